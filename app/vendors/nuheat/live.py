"""Nuheat live changes: SignalR change notifications, turned into `Event`s.

The hub (`{api}/notificationsHost`) speaks SignalR's JSON hub protocol over a websocket:
every frame is JSON + the record separator 0x1e; handshake `{"protocol":"json","version":1}`
-> `{}`; we invoke `Subscribe` with the type ids as *strings* ("1" account, "2" thermostat,
"3" schedule, "4" group); the server invokes `Notify` with `[{type, id, timeStamp}]`
(sometimes a single object instead of a list), pings (type 6) and may close (type 7).

Why a small client of our own rather than a SignalR library (see protocol-notes): Nuheat's
negotiate-then-connect-by-id got 404 on the real backend, so we must connect straight over
WebSockets with the token already on the upgrade request; `pysignalr` does not expose `skip_negotiation` on its
client and applies its (synchronous) `access_token_factory` only after the socket opened,
and `signalrcore` runs its own threads beside our asyncio loop. The part of the protocol we
need is a handful of frame shapes, which is also what the one live-verified Python client
(`nuheat-ha`) does with aiohttp.

Notifications arrive 1-6 s late, sometimes twice, sometimes out of order. For each (type, id)
we keep the newest timeStamp seen, drop older ones and repeats of it, and coalesce a burst
within `debounce` seconds into one re-read of the object (the `refresh` callback), then one
Event. The hub binds the token at connect time, so we reconnect a little before the access
token expires; after a drop we reconnect with backoff. After a reconnect the "connection"
event says `resync: True`: changes made while we were away were not notified.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Awaitable, Callable

import aiohttp

from app.core.errors import AuthError, NetworkError, ProtocolError, SiteKitError
from app.core.events import Event
from app.core.http import MAX_WS_MESSAGE_BYTES
from app.core.live import STATUSES as LIVE_STATUSES
from app.core.live import LiveChannel, SessionRefused

log = logging.getLogger(__name__)

EVENT_VENDOR = "nuheat"
HUB_PATH = "/notificationsHost"
RS = "\x1e"
INVOCATION, COMPLETION, PING, CLOSE = 1, 3, 6, 7
HANDSHAKE = {"protocol": "json", "version": 1}
ALL_TYPES = (1, 2, 3, 4)
KINDS = {1: "account", 2: "thermostat", 3: "schedule", 4: "group"}
# SignalR's defaults: the server pings every 15 s and drops a client silent for 30 s.
PING_INTERVAL = 15.0
SILENCE_TIMEOUT = 30.0

STATUSES = LIVE_STATUSES

Refresh = Callable[[int, str], Awaitable[Any]]


# ----- protocol framing (pure) ---------------------------------------------------------------

def encode(message: dict[str, Any]) -> str:
    """One hub-protocol frame: compact JSON followed by the record separator."""
    return json.dumps(message, separators=(",", ":")) + RS


class FrameReader:
    """Splits websocket text into hub messages; a message may span websocket frames and one
    websocket frame may carry several messages. An unfinished message is kept up to `limit`
    characters: a hub that never sends the separator must not grow memory without end."""

    def __init__(self, limit: int = MAX_WS_MESSAGE_BYTES) -> None:
        self._buffer = ""
        self.limit = limit

    def feed(self, text: str) -> list[dict[str, Any]]:
        self._buffer += text
        *records, self._buffer = self._buffer.split(RS)
        if len(self._buffer) > self.limit:
            self._buffer = ""
            raise ProtocolError(f"The Nuheat hub sent a message longer than {self.limit} characters.",
                                hint="SiteKit reconnects by itself.")
        messages = []
        for record in records:
            if not record.strip():
                continue
            try:
                value = json.loads(record)
            except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
                raise ProtocolError("The Nuheat hub sent a frame that is not JSON.",
                                    hint="SiteKit reconnects by itself.") from None
            if isinstance(value, dict):
                messages.append(value)
        return messages


@dataclass(frozen=True)
class Notification:
    type: int
    id: str
    timeStamp: str | None


def parse_notify(message: dict[str, Any]) -> list[Notification]:
    """The notifications in a `Notify` invocation; `arguments[0]` is a list or one object."""
    arguments = message.get("arguments")
    if not isinstance(arguments, list) or not arguments:
        return []
    first = arguments[0]
    items = first if isinstance(first, list) else [first]
    found = []
    for item in items:
        if not isinstance(item, dict):
            continue
        kind, item_id = item.get("type"), item.get("id")
        if isinstance(kind, str) and kind.strip().isdigit() and len(kind) < 4:
            kind = int(kind)
        # Types are 1-4 (0 was once UserAccount too); ids are texts or numbers, never objects.
        if not isinstance(kind, int) or isinstance(kind, bool) or not 0 <= kind < 100:
            continue
        if isinstance(item_id, bool) or not isinstance(item_id, (str, int)) or item_id == "":
            continue
        item_id = str(item_id)[:200]
        stamp = item.get("timeStamp")
        found.append(Notification(kind, item_id, stamp[:64] if isinstance(stamp, str) else None))
    return found


def parse_timestamp(text: str | None) -> float | None:
    """Seconds since the epoch, or None when absent or unreadable (then never 'older')."""
    if not isinstance(text, str) or not text:
        return None
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:  # the hub writes UTC
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    except (ValueError, OverflowError):  # OverflowError: a year 9999 pushed past the calendar
        return None


class Debouncer:
    """Decides which notifications are worth a re-read: per (type, id) the newest timeStamp
    wins; an older one is stale, the same one again within `duplicate_window` is a repeat."""

    def __init__(self, duplicate_window: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.duplicate_window = duplicate_window
        self.clock = clock
        self._latest: dict[tuple[int, str], tuple[float | None, float]] = {}

    def accept(self, notification: Notification) -> bool:
        return self.verdict(notification) == "new"

    def verdict(self, notification: Notification) -> str:
        """"new", "repeat" (the newest timeStamp again, within the window) or "stale" (older)."""
        key = (notification.type, notification.id)
        stamp = parse_timestamp(notification.timeStamp)
        now = self.clock()
        previous = self._latest.get(key)
        if previous is not None and stamp is not None and previous[0] is not None:
            if stamp < previous[0]:
                return "stale"
            if stamp == previous[0] and now - previous[1] < self.duplicate_window:
                return "repeat"
        self._latest[key] = (stamp, now)
        return "new"


# ----- the live channel ----------------------------------------------------------------------

class _Unauthorized(SessionRefused):
    pass


class NuheatLive(LiveChannel):
    event_vendor = EVENT_VENDOR
    task_name = "nuheat-live"
    log_prefix = "Nuheat live"
    connecting_message = "Connecting to Nuheat live changes…"
    stopped_message = "Live changes stopped."
    network_failure = "The Nuheat live connection failed ({})."
    unexpected_failure = "Nuheat live changes hit an unexpected problem ({})."
    _log = log

    def __init__(self, session: aiohttp.ClientSession, *, api: str,
                 access_token: Callable[[], Awaitable[str]],
                 token_expires_at: Callable[[], float | None] = lambda: None,
                 renew: Callable[[], Awaitable[Any]] | None = None,
                 refresh: Refresh | None = None,
                 types: tuple[int, ...] = ALL_TYPES, hub_path: str = HUB_PATH,
                 backoff: tuple[float, ...] = (0, 2, 5, 15, 60, 300),
                 debounce: float = 1.0, duplicate_window: float = 30.0,
                 renew_margin: float = 60.0, ping_interval: float = PING_INTERVAL,
                 silence_timeout: float = SILENCE_TIMEOUT, handshake_timeout: float = 10.0,
                 stable_after: float = 60.0, min_session: float = 5.0,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(backoff=backoff, stable_after=stable_after)
        self.session = session
        self.url = api.rstrip("/") + hub_path
        self._access_token = access_token
        self._token_expires_at = token_expires_at
        self._renew = renew
        self._refresh = refresh
        self.types = tuple(types)
        self.debounce = debounce
        self.renew_margin = renew_margin
        self.ping_interval = ping_interval
        self.silence_timeout = silence_timeout
        self.handshake_timeout = handshake_timeout
        self.min_session = min_session
        self.clock = clock
        self.debouncer = Debouncer(duplicate_window)

        # self.connections (from LiveChannel) counts successful subscriptions.
        self.refreshes = 0  # objects re-read after a notification
        self._pending: dict[tuple[int, str], asyncio.Task] = {}
        self._latest_stamp: dict[tuple[int, str], str | None] = {}
        self._repeat_only: set[tuple[int, str]] = set()  # re-reads started by a repeat alone
        self._emitted: dict[tuple[int, str], Any] = {}  # the object last emitted per key
        self._invocation = 0

    @classmethod
    def from_auth(cls, session: aiohttp.ClientSession, auth: Any, *, api: str,
                  refresh: Refresh | None = None, **options: Any) -> NuheatLive:
        """Wired to a NuheatAuth: its access token, its expiry, its refresh."""
        options.setdefault("renew_margin", auth.refresh_margin / 2)
        return cls(session, api=api, access_token=auth.access_token,
                   token_expires_at=lambda: auth.tokens.expires_at if auth.tokens else None,
                   renew=auth.refresh, refresh=refresh, clock=auth.clock, **options)

    # -- public -------------------------------------------------------------------------
    # subscribe(), start(), stop() and wait_online() come from LiveChannel.

    async def events(self) -> AsyncIterator[Event]:
        """Every event from now on, as an async iterator (ends when the caller stops)."""
        queue: asyncio.Queue[Event] = asyncio.Queue()
        unsubscribe = self.subscribe(queue.put_nowait)
        try:
            while True:
                yield await queue.get()
        finally:
            unsubscribe()

    async def _stopped(self) -> None:
        pending, self._pending = self._pending, {}
        for waiting in pending.values():
            waiting.cancel()
        for waiting in pending.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await waiting

    def _not_running_error(self) -> Exception | None:
        if self.status in ("stopped", "signed_out"):
            return self.last_error or NetworkError("Nuheat live changes are not running.",
                                                   hint="Start them first.")
        return None

    def _online_timeout_error(self, timeout: float) -> Exception:
        return NetworkError(f"Could not connect to Nuheat live changes within {timeout:g} s.",
                            hint=self.last_error.user_text() if self.last_error else
                            "Check the internet connection.")

    async def drop(self) -> None:
        """Close the current socket (tests, or the user's "reconnect now")."""
        await self._close_socket()

    # -- connection loop -------------------------------------------------------------------

    # The loop itself (one renewal per refused streak, sign-out on AuthError, backoff) is
    # LiveChannel._run; these are its Nuheat parts.

    def _can_renew_credentials(self) -> bool:
        return self._renew is not None

    async def _renew_credentials(self) -> None:
        await self._renew()

    async def _reconnect_at_once(self) -> bool:
        if not isinstance(self.last_error, _TokenRenewal):
            return False
        # We closed the socket ourselves, for a fresh access token: no backoff.
        self._set_status("reconnecting", "Renewing the live connection's sign-in.")
        if self._renew is not None:
            try:
                await self._renew()
            except AuthError as exc:
                self._sign_out(exc)
            except SiteKitError as exc:
                self.last_error = exc
        return True

    async def _connect_and_serve(self) -> float:
        token = await self._access_token()
        try:
            # The header rather than `?access_token=` (which the hub also takes): a URL ends
            # up in proxies' and error messages' text, a header does not.
            ws = await self.session.ws_connect(self.url, headers={"Authorization": f"Bearer {token}"},
                                               autoping=True, heartbeat=None,
                                               max_msg_size=MAX_WS_MESSAGE_BYTES)
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status == 401:
                raise _Unauthorized() from None
            raise NetworkError(f"The Nuheat hub refused the connection (HTTP {exc.status}).",
                               hint="SiteKit keeps retrying.") from None
        self._ws = ws
        reader = FrameReader()
        await ws.send_str(encode(HANDSHAKE))
        leftover = await self._handshake(ws, reader)
        self._invocation += 1
        subscribe_id = str(self._invocation)
        await ws.send_str(encode({"type": INVOCATION, "invocationId": subscribe_id,
                                  "target": "Subscribe", "arguments": [[str(t) for t in self.types]]}))
        up_since = time.monotonic()
        self.last_error = None
        renew_timer = asyncio.create_task(self._renew_timer(ws), name="nuheat-live-renew")
        pinger = asyncio.create_task(self._pinger(ws), name="nuheat-live-ping")
        try:
            for message in leftover:
                self._handle(message, subscribe_id)
            await self._read(ws, reader, subscribe_id)
        finally:
            for task in (renew_timer, pinger):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.last_error is None:
            self.last_error = NetworkError(f"The Nuheat hub closed the connection (code {ws.close_code}).",
                                           hint="SiteKit reconnects by itself.")
        return up_since

    async def _handshake(self, ws: aiohttp.ClientWebSocketResponse,
                         reader: FrameReader) -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.handshake_timeout
        while True:
            msg = await self._receive_before(ws, deadline)
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise NetworkError("The Nuheat hub closed the connection during the handshake.",
                                   hint="SiteKit retries by itself.")
            messages = reader.feed(msg.data)
            if not messages:
                continue
            reply, rest = messages[0], messages[1:]
            if reply.get("error"):
                raise ProtocolError(f"The Nuheat hub refused the handshake: {str(reply['error'])[:200]}",
                                    hint="SiteKit retries by itself.")
            return rest

    async def _read(self, ws: aiohttp.ClientWebSocketResponse, reader: FrameReader, subscribe_id: str) -> None:
        while not ws.closed:
            try:
                msg = await ws.receive(timeout=self.silence_timeout)
            except asyncio.TimeoutError:
                self.last_error = NetworkError("The Nuheat live connection went silent.",
                                               hint="SiteKit reconnects by itself.")
                return
            if msg.type == aiohttp.WSMsgType.ERROR:
                # e.g. a message over max_msg_size: aiohttp closes the socket and says why.
                self.last_error = ProtocolError(f"The Nuheat hub sent something SiteKit cannot read ({msg.data}).",
                                                hint="SiteKit reconnects by itself.")
                return
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                return
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            for message in reader.feed(msg.data):
                if not self._handle(message, subscribe_id):
                    return

    def _handle(self, message: dict[str, Any], subscribe_id: str) -> bool:
        """False when the server closes the connection."""
        kind = message.get("type")
        if kind == INVOCATION and message.get("target") == "Notify":
            for notification in parse_notify(message):
                self._notified(notification)
        elif kind == COMPLETION and message.get("invocationId") == subscribe_id:
            if message.get("error"):
                raise ProtocolError(f"The Nuheat hub refused the subscription: {str(message['error'])[:200]}",
                                    hint="SiteKit retries by itself.")
            self.connections += 1
            self._set_status("online", "Receiving Nuheat live changes.", resync=self.connections > 1)
        elif kind == CLOSE:
            error = message.get("error")
            error = error[:200] if isinstance(error, str) else ""
            self.last_error = NetworkError(
                f"The Nuheat hub closed the connection{': ' + error if error else ''}.",
                hint="SiteKit reconnects by itself.")
            return False
        return True  # pings and anything else need no answer

    async def _pinger(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while not ws.closed:
            await asyncio.sleep(self.ping_interval)
            with contextlib.suppress(aiohttp.ClientError, ConnectionError, RuntimeError):
                await ws.send_str(encode({"type": PING}))

    async def _renew_timer(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        expires_at = self._token_expires_at()
        if expires_at is None:
            return
        # Never sooner than `min_session`: a token that stays short-lived must not spin.
        await asyncio.sleep(max(expires_at - self.renew_margin - self.clock(), self.min_session))
        self.last_error = _TokenRenewal("The live connection's access token is about to expire.")
        await ws.close()

    # -- notifications -------------------------------------------------------------------------

    def _notified(self, notification: Notification) -> None:
        verdict = self.debouncer.verdict(notification)
        key = (notification.type, notification.id)
        if verdict == "stale" or (verdict == "repeat" and key in self._pending):
            log.debug("Nuheat live: dropped a %s notification for %s %s", verdict,
                      notification.type, notification.id)
            return
        if verdict == "new":
            self._latest_stamp[key] = notification.timeStamp
            self._repeat_only.discard(key)
        elif key not in self._pending:
            # The hub stamps to the second: the "same" notification after our re-read may be a
            # second change within that second. Read again; emit only if the object changed.
            self._repeat_only.add(key)
        if key in self._pending:
            return  # coalesced into the re-read already waiting
        task = asyncio.get_running_loop().create_task(self._settle(key))
        self._pending[key] = task

    async def _settle(self, key: tuple[int, str]) -> None:
        kind, item_id = key
        try:
            await asyncio.sleep(self.debounce)
            self._pending.pop(key, None)
            repeat_only = key in self._repeat_only
            self._repeat_only.discard(key)
            payload: dict[str, Any] = {"type": kind, "timeStamp": self._latest_stamp.get(key)}
            if self._refresh is not None:
                try:
                    current = await self._refresh(kind, item_id)
                    self.refreshes += 1
                except SiteKitError as exc:
                    payload["error"] = exc.message
                else:
                    if current is not None:
                        payload["object"] = current
            if repeat_only and (self._refresh is None or payload.get("object") == self._emitted.get(key)):
                return  # a true duplicate: nothing new to tell
            self._emitted[key] = payload.get("object")
            self._emit(Event(EVENT_VENDOR, item_id, KINDS.get(kind, f"type{kind}"),
                             payload))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Nuheat live: could not handle a notification")
        finally:
            if self._pending.get(key) is asyncio.current_task():
                del self._pending[key]

    # -- status and events ------------------------------------------------------------------

    def _sign_out(self, cause: AuthError | None) -> None:
        self.last_error = cause or AuthError(EVENT_VENDOR, 401, "Unauthorized",
                                             message="Nuheat no longer accepts this sign-in for live changes.",
                                             hint="Sign in to Nuheat again.")
        log.warning("Nuheat live: sign-in refused; not reconnecting")
        self._set_status("signed_out", self.last_error.message)


class _TokenRenewal(NetworkError):
    """Not a failure: we closed the socket to reconnect with a fresh access token."""
