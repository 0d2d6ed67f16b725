"""The eWeLink live channel: one websocket that carries our commands and the devices' reports.

Flow (guide steps 3-6): dispatch -> websocket -> `userOnline` handshake -> text `ping`
keep-alive within the server's `hbInterval` -> `update`/`query` commands matched to their
replies by `sequence`, device pushes (`update` from the device, `sysmsg` online changes)
turned into `Event`s for subscribers.

After a drop we reconnect with backoff (SonoffLAN's 0, 15, 60, 300, 900, 3600 s; the
backoff resets once a connection stayed up a while). One thing we never do is sign in
again by ourselves: eWeLink allows one session per account, and a handshake refused with
406 usually means someone signed in elsewhere. We try one token refresh; if that fails we
stop, say so (status "signed_out") and leave it to the user, instead of fighting the other
session in a reconnect storm.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict
from typing import Any

import aiohttp

from app.core.errors import (AuthError, CommandTimeout, DeviceOffline, NetworkError,
                             ProtocolError, SessionTakenOver, SiteKitError, VendorError)
from app.core.events import Event
from app.core.http import MAX_WS_MESSAGE_BYTES
from app.core.live import STATUSES as LIVE_STATUSES
from app.core.live import LiveChannel, SessionRefused
from app.vendors.ewelink import signing
from app.vendors.ewelink.client import SESSION_ENDED, SESSION_HINT, VENDOR, EwelinkClient

log = logging.getLogger(__name__)

EVENT_VENDOR = "ewelink"
DEFAULT_HB_INTERVAL = 145.0
# Ping a quarter early so a slow loop or network never lets the server's timer run out.
PING_FRACTION = 0.75
# Nothing at all (not even `pong`) for this many heartbeat intervals: the socket is dead
# even if TCP has not noticed yet.
SILENCE_INTERVALS = 2.0
# The guide gives the client 10 s for its first frame; the reply normally follows at once.
HANDSHAKE_TIMEOUT = 10.0
# What we accept as the server's hbInterval: a tiny one would make us ping in a tight loop
# and call the socket silent at once, a huge one would never notice a dead socket.
MIN_HB_INTERVAL = 1.0
MAX_HB_INTERVAL = 3600.0

CHECK_DEVICE = ("Look at the device, or at its state in SiteKit's device list (it updates "
                "when the device reports), before sending the command again.")


class CommandOutcomeUnknown(CommandTimeout, NetworkError):
    """The command went out but its answer never came: the device may or may not have
    acted. SiteKit never repeats it by itself; the user checks, then decides. (Also a
    NetworkError: when the connection dropped, that is what happened.)"""

STATUSES = LIVE_STATUSES


class _HandshakeRefused(SessionRefused):
    """userOnline answered 406: the access token is not (or no longer) accepted."""


class EwelinkLive(LiveChannel):
    event_vendor = EVENT_VENDOR
    task_name = "ewelink-live"
    log_prefix = "eWeLink live"
    connecting_message = "Connecting to eWeLink…"
    stopped_message = "Live connection stopped."
    network_failure = "The eWeLink live connection failed ({})."
    unexpected_failure = "The eWeLink live connection hit an unexpected problem ({})."
    _log = log

    def __init__(self, client: EwelinkClient, *,
                 backoff: tuple[float, ...] = (0, 15, 60, 300, 900, 3600),
                 command_timeout: float = 10.0,
                 send_interval: float = 0.1,
                 stable_after: float = 60.0,
                 handshake_timeout: float = HANDSHAKE_TIMEOUT) -> None:
        super().__init__(backoff=backoff, stable_after=stable_after)
        self.client = client
        self.command_timeout = command_timeout
        # SonoffLAN's throttle: bursts of commands make the cloud drop the socket.
        self.send_interval = send_interval
        self.handshake_timeout = handshake_timeout

        self.hb_interval = DEFAULT_HB_INTERVAL
        # self.connections (from LiveChannel) counts successful handshakes.
        self._pending: OrderedDict[str, tuple[str, asyncio.Future]] = OrderedDict()
        self._send_lock = asyncio.Lock()
        self._last_send = 0.0
        self._last_sequence = 0
        self._last_heard = 0.0

    # -- public -------------------------------------------------------------------------

    # subscribe(), start(), stop() and wait_online() come from LiveChannel.

    async def _stopped(self) -> None:
        self._fail_pending(CommandOutcomeUnknown(
            "The eWeLink live connection was stopped after the command was sent and before "
            "the device answered: whether it acted is unknown.", hint=CHECK_DEVICE))

    def _not_running_error(self) -> Exception | None:
        if self.status == "signed_out":
            return self.last_error or SessionTakenOver(VENDOR, None, message=SESSION_ENDED,
                                                       hint=SESSION_HINT)
        if self.status == "stopped":
            return NetworkError("The eWeLink live connection is not running.",
                                hint="Start it first.")
        return None

    def _online_timeout_error(self, timeout: float) -> Exception:
        why = self.last_error.user_text() if self.last_error else ""
        return NetworkError(f"Could not connect to eWeLink live within {timeout:g} s.",
                            hint=why or "Check the internet connection.")

    async def update(self, deviceid: str, params: dict[str, Any],
                     timeout: float | None = None) -> dict[str, Any]:
        """Send `params` to a device; returns the cloud's reply once the device acked."""
        message = {"action": "update", "deviceid": deviceid, "userAgent": "app",
                   "params": params}
        try:
            reply = await self._command(deviceid, message, timeout)
        except SiteKitError as exc:
            self._emit(Event(EVENT_VENDOR, deviceid, "command",
                             {"params": params, "result": _result_word(exc)}))
            raise
        self._emit(Event(EVENT_VENDOR, deviceid, "command", {"params": params, "result": "ok"}))
        return reply

    async def query(self, deviceid: str, timeout: float | None = None) -> dict[str, Any]:
        """All current params of a device (also emitted as a "state" event)."""
        message = {"action": "query", "deviceid": deviceid, "userAgent": "app", "params": []}
        reply = await self._command(deviceid, message, timeout)
        params = reply.get("params")
        return dict(params) if isinstance(params, dict) else {}

    # -- commands -----------------------------------------------------------------------

    async def _command(self, deviceid: str, message: dict[str, Any],
                       timeout: float | None) -> dict[str, Any]:
        timeout = self.command_timeout if timeout is None else timeout
        if self.status in ("connecting", "reconnecting"):
            # Give a connection that is on its way the command's own time to come up.
            with contextlib.suppress(NetworkError):
                await self.wait_online(timeout)
        if self.status == "signed_out":
            raise self.last_error or SessionTakenOver(VENDOR, None, message=SESSION_ENDED,
                                                     hint=SESSION_HINT)
        ws = self._ws
        if self.status != "online" or ws is None or ws.closed:
            raise NetworkError("SiteKit is not connected to eWeLink live right now "
                               f"(status: {self.status}).",
                               hint=self.last_error.user_text() if self.last_error else
                               "Wait for the connection to come back and try again.")
        tokens = self.client.tokens
        user_apikey = tokens.user_apikey if tokens else ""
        # Shared devices need the owner's apikey, plus ours as selfApikey.
        apikey = self.client.device_apikeys.get(deviceid) or user_apikey
        message = {**message, "apikey": apikey}
        if apikey != user_apikey and user_apikey:
            message["selfApikey"] = user_apikey
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        try:
            async with self._send_lock:
                await self._throttle()
                sequence = self._next_sequence()
                message["sequence"] = sequence
                self._pending[sequence] = (deviceid, future)
                await ws.send_str(json.dumps(message, separators=(",", ":")))
            reply = await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise CommandOutcomeUnknown(
                f"{deviceid} did not answer within {timeout:g} s: the command was sent, but "
                "whether the device acted is unknown.",
                hint="The device may be slow or its Wi-Fi weak. " + CHECK_DEVICE) from None
        except (aiohttp.ClientError, ConnectionError, RuntimeError) as exc:
            raise NetworkError(f"Sending to eWeLink live failed ({type(exc).__name__}).",
                               hint="SiteKit reconnects by itself; try again in a moment.") from None
        finally:
            for key, (_, waiting) in list(self._pending.items()):
                if waiting is future:
                    del self._pending[key]
        return _check_reply(deviceid, reply)

    async def _throttle(self) -> None:
        wait = self._last_send + self.send_interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_send = time.monotonic()

    def _next_sequence(self) -> str:
        # Millisecond timestamps, as the apps send, made unique for bursts.
        value = max(int(time.time() * 1000), self._last_sequence + 1)
        self._last_sequence = value
        return str(value)

    def _fail_pending(self, error: SiteKitError) -> None:
        pending, self._pending = self._pending, OrderedDict()
        for _, future in pending.values():
            if not future.done():
                future.set_exception(error)

    # -- connection loop -------------------------------------------------------------------

    # The loop itself (one refresh per refused streak, sign-out on AuthError, backoff) is
    # LiveChannel._run; these are its eWeLink parts.

    async def _renew_credentials(self) -> None:
        await self.client.refresh()
        log.info("eWeLink live: handshake refused; token refreshed, reconnecting")

    async def _connection_closed(self) -> None:
        await self._close_socket()
        # Only commands already on the wire are pending: their outcome is unknown, and
        # repeating one after the reconnect could act twice (a pulse, a toggle elsewhere).
        self._fail_pending(CommandOutcomeUnknown(
            "The eWeLink live connection dropped after the command was sent and before the "
            "device answered: whether it acted is unknown.",
            hint="SiteKit reconnects by itself and does not send the command again. "
                 + CHECK_DEVICE))

    async def _connect_and_serve(self) -> float:
        """One connection's life. Returns when it closes (monotonic time it came up)."""
        url = await self.client.dispatch()
        tokens = self.client.tokens
        if tokens is None:
            raise AuthError(VENDOR, None, message="Not signed in to eWeLink.",
                            hint="Sign in again.")
        ws = await self.client.session.ws_connect(url, autoping=True, heartbeat=None,
                                                  max_msg_size=MAX_WS_MESSAGE_BYTES)
        self._ws = ws
        await self._handshake(ws, tokens)
        up_since = time.monotonic()
        self.connections += 1
        self.last_error = None
        self._set_status("online", "Connected to eWeLink.")
        log.info("eWeLink live: online (heartbeat %g s)", self.hb_interval)
        heartbeat = asyncio.create_task(self._heartbeat(ws), name="ewelink-heartbeat")
        try:
            await self._read(ws)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        if self.last_error is None:
            code = ws.close_code
            self.last_error = NetworkError(
                f"eWeLink closed the live connection (code {code}).",
                hint="SiteKit reconnects by itself.")
        return up_since

    async def _handshake(self, ws: aiohttp.ClientWebSocketResponse, tokens) -> None:
        ts = int(self.client.clock.now())
        hello = {"action": "userOnline", "version": signing.API_VERSION, "ts": ts,
                 "at": tokens.at, "userAgent": "app", "apikey": tokens.user_apikey,
                 "appid": self.client.appid, "nonce": signing.nonce(),
                 "sequence": self._next_sequence()}
        await ws.send_str(json.dumps(hello, separators=(",", ":")))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.handshake_timeout
        while True:
            msg = await self._receive_before(ws, deadline)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING,
                            aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                raise NetworkError("eWeLink closed the live connection during the handshake.",
                                   hint="SiteKit retries by itself.")
            if msg.type != aiohttp.WSMsgType.TEXT or msg.data == "pong":
                continue
            reply = _json(msg.data)
            if reply is None or "error" not in reply:
                continue  # a push that raced the reply; the state arrives again later
            self.hb_interval = handshake_reply(reply)
            return

    async def _heartbeat(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        period = self.hb_interval * PING_FRACTION
        while not ws.closed:
            await asyncio.sleep(period)
            if time.monotonic() - self._last_heard > self.hb_interval * SILENCE_INTERVALS:
                log.warning("eWeLink live: nothing heard for %.0f s; reconnecting",
                            time.monotonic() - self._last_heard)
                self.last_error = NetworkError("The eWeLink live connection went silent.",
                                               hint="SiteKit reconnects by itself.")
                await ws.close()
                return
            with contextlib.suppress(aiohttp.ClientError, ConnectionError, RuntimeError):
                await ws.send_str("ping")

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._last_heard = time.monotonic()
        async for msg in ws:
            self._last_heard = time.monotonic()
            if msg.type == aiohttp.WSMsgType.ERROR:
                self.last_error = _read_error(msg.data if isinstance(msg.data, BaseException)
                                              else ws.exception())
                log.warning("eWeLink live: %s", self.last_error.message)
                return
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            if msg.data == "pong":
                continue
            data = _json(msg.data)
            if data is None:
                log.debug("eWeLink live: ignoring a frame that is not a JSON object")
                continue
            try:
                self._dispatch_message(data)
            except Exception:  # one odd frame must not end the connection
                log.exception("eWeLink live: could not handle a frame")

    def _dispatch_message(self, data: dict[str, Any]) -> None:
        action = data.get("action")
        deviceid = str(data.get("deviceid") or "")
        if action == "update":
            params = data.get("params")
            if isinstance(params, dict) and deviceid:
                self._emit(Event(EVENT_VENDOR, deviceid, "state", dict(params)))
            return
        if action == "sysmsg":
            params = data.get("params") if isinstance(data.get("params"), dict) else {}
            online = params.get("online")
            if isinstance(online, bool) and deviceid:
                self._emit(Event(EVENT_VENDOR, deviceid, "online" if online else "offline",
                                 dict(params)))
            return
        if action is not None or "error" not in data:
            log.debug("eWeLink live: ignoring action %r", action)
            return
        # A reply to one of our commands.
        future = self._take_pending(str(data.get("sequence") or ""), deviceid)
        if future is not None and not future.done():
            future.set_result(data)
        if data.get("error") == 0 and isinstance(data.get("params"), dict) and deviceid:
            # query replies carry the full state: share it like a report
            self._emit(Event(EVENT_VENDOR, deviceid, "state", dict(data["params"])))

    def _take_pending(self, sequence: str, deviceid: str) -> asyncio.Future | None:
        if sequence and sequence in self._pending:
            return self._pending.pop(sequence)[1]
        # Some replies come without `sequence`: give it to the oldest command for that
        # device (or, lacking a deviceid too, the oldest command at all).
        for key, (target, future) in self._pending.items():
            if not sequence and (not deviceid or target == deviceid):
                del self._pending[key]
                return future
        return None

    # -- status and events ------------------------------------------------------------------

    def _sign_out(self, cause: AuthError | None) -> None:
        vendor_message = cause.vendor_message if cause is not None else "Authentication Failed"
        code = cause.code if cause is not None else 406
        self.last_error = SessionTakenOver(
            VENDOR, code, vendor_message, message=SESSION_ENDED, hint=SESSION_HINT)
        log.warning("eWeLink live: session ended (code %s); not reconnecting", code)
        self._set_status("signed_out", SESSION_ENDED)


def _json(text: Any) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (TypeError, ValueError, RecursionError):  # RecursionError: absurd nesting
        return None
    return value if isinstance(value, dict) else None


def handshake_reply(reply: dict[str, Any]) -> float:
    """The `userOnline` reply -> the heartbeat interval to keep; raises when refused."""
    code = _reply_code(reply)
    if code == 0:
        config = reply.get("config") if isinstance(reply.get("config"), dict) else {}
        interval = config.get("hbInterval")
        if (isinstance(interval, bool) or not isinstance(interval, (int, float))
                or not interval > 0):  # also NaN
            return DEFAULT_HB_INTERVAL
        return min(max(float(interval), MIN_HB_INTERVAL), MAX_HB_INTERVAL)
    if code == 406:
        raise _HandshakeRefused()
    raise VendorError(VENDOR, code if code is not None else _short(reply.get("error")),
                      _vendor_text(reply),
                      message="eWeLink refused the live connection.",
                      hint="SiteKit retries by itself.")


def _reply_code(reply: dict[str, Any]) -> int | None:
    """`error` as an int; None when absent or not a number."""
    code = reply.get("error")
    if code is None or isinstance(code, bool):
        return None
    if isinstance(code, float):
        return int(code) if code.is_integer() else None  # NaN/inf never int()
    if isinstance(code, str) and len(code) > 12:
        return None
    try:
        return int(code)
    except (TypeError, ValueError, OverflowError):
        return None


def _short(value: Any) -> str:
    text = str(value) if isinstance(value, (str, int, float)) else type(value).__name__
    return text[:40]


def _vendor_text(reply: dict[str, Any]) -> str:
    for key in ("reason", "msg"):
        value = reply.get(key)
        if isinstance(value, str) and value:
            return value[:200]
    return ""


def _read_error(exc: BaseException | None) -> SiteKitError:
    if isinstance(exc, aiohttp.WebSocketError) and exc.code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG:
        return ProtocolError(
            f"eWeLink sent a live message bigger than {MAX_WS_MESSAGE_BYTES // (1024 * 1024)} MB; "
            "SiteKit dropped the connection.",
            hint="SiteKit reconnects by itself; if it keeps happening, a proxy may be in the way.")
    what = type(exc).__name__ if exc is not None else "unknown error"
    return ProtocolError(f"The eWeLink live connection broke ({what}).",
                         hint="SiteKit reconnects by itself.")


def _check_reply(deviceid: str, reply: dict[str, Any]) -> dict[str, Any]:
    if reply.get("error") is None:
        return reply
    code = _reply_code(reply)
    if code == 0:
        return reply
    if code is None:
        raise ProtocolError(f"eWeLink answered the command to {deviceid} with an error SiteKit "
                            f"cannot read ({_short(reply.get('error'))!r}).",
                            hint="Whether the device acted is unknown. " + CHECK_DEVICE)
    vendor_message = _vendor_text(reply)
    if code == 503:
        raise DeviceOffline(VENDOR, 503, vendor_message,
                            message=f"{deviceid} is offline in the eWeLink cloud.",
                            hint="Check that it has power and Wi-Fi; it comes back online "
                                 "by itself once it reaches the cloud.")
    if code == 504:
        error = CommandOutcomeUnknown(
            f"{deviceid} did not answer the eWeLink cloud in time: whether it acted is "
            "unknown.", hint="The device may be slow or its Wi-Fi weak. " + CHECK_DEVICE)
        error.code = 504  # keep the vendor code for logs and support
        raise error
    if code == 400:
        raise VendorError(VENDOR, 400, vendor_message,
                          message=f"{deviceid} does not accept these settings.",
                          hint="The device type may not support this command.")
    if code == 403:
        raise VendorError(VENDOR, 403, vendor_message,
                          message=f"This account may not control {deviceid}.",
                          hint="Check that the device is in (or shared with) this account.")
    if code == 500:
        raise VendorError(VENDOR, 500, vendor_message,
                          message=f"eWeLink had an internal error with the command to "
                                  f"{deviceid}; it may or may not have reached the device.",
                          hint="SiteKit does not send it again by itself. " + CHECK_DEVICE)
    raise VendorError(VENDOR, code, vendor_message,
                      message=f"eWeLink could not deliver the command to {deviceid}.",
                      hint="Try again in a moment.")


def _result_word(error: SiteKitError) -> str:
    if isinstance(error, DeviceOffline):
        return "offline"
    if isinstance(error, CommandTimeout):
        return "timeout"
    if isinstance(error, VendorError):
        return f"error {error.code}"
    if isinstance(error, ProtocolError):
        return "protocol error"
    return "not sent" if isinstance(error, NetworkError) else "error"
