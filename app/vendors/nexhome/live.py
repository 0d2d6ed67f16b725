"""NEXhome message subscription as an at-least-once stream of `Event`s.

    live = NexhomeLive(client, store=persist)   # persist(message, event) -> awaitable
    live.subscribe(feed.add); await live.start() ... await live.stop()

NEXhome delivers access records, call logs and device status through a message queue; the
model (endpoints.py) is a pull consumer over the same signed HTTPS, because a desktop on a
site network cannot receive pushes. One consumer per connection: create it, long-poll
(`waitSeconds`), and for each message:

1. a message id already stored (a redelivery: our commit was lost, or came too late) is
   committed again and not shown;
2. otherwise `store(message, event)` runs; only when it returns (and not False, which means
   "already had it", e.g. the SQLite copy after a restart) is the event emitted;
3. the ids stored in this batch are committed. A store that fails leaves its message
   uncommitted: NEXhome delivers it again after 30 s.

Built on `LiveChannel`: it fits a polling consumer as well as a socket. One "connection" is
a run of pulls; the consumer outlives network problems (they back off, then pull on with
the same consumer), a consumer that NEXhome forgot (404) is replaced at once, a refused signature (401) or a missing message-subscription permission
(403) stop the channel with status "signed_out" and say what to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from typing import Awaitable, Callable, Iterable, Mapping

from app.core.errors import AuthError, NetworkError, SiteKitError, VendorError
from app.core.events import Event, utcnow
from app.core.live import LiveChannel
from app.vendors.nexhome.client import VENDOR, NexhomeClient, NotFound, PermissionDenied
from app.vendors.nexhome.models import AccessRecord, CallLog, Device, Door, Message, Person

log = logging.getLogger(__name__)

EVENT_VENDOR = "nexhome"
KINDS = {"ACCESS_RECORD": "access", "CALL_LOG": "call", "DEVICE_STATUS": "device"}
SEEN_LIMIT = 5000  # message ids remembered; the service's SQLite copy covers older ones
# What `store` gets: the message and the event that will be shown once it is stored.
Store = Callable[[Message, Event], Awaitable[bool | None]]


class NexhomeLive(LiveChannel):
    event_vendor = EVENT_VENDOR
    task_name = "nexhome-live"
    log_prefix = "NEXhome live"
    connecting_message = "Subscribing to NEXhome messages…"
    stopped_message = "NEXhome messages stopped."
    network_failure = "The NEXhome message subscription failed ({})."
    unexpected_failure = "The NEXhome message subscription hit an unexpected problem ({})."
    _log = log

    def __init__(self, client: NexhomeClient, *, store: Store | None = None,
                 wait_seconds: float = 20, max_messages: int = 50,
                 backoff: tuple[float, ...] = (1, 5, 15, 60), stable_after: float = 60.0,
                 seen_limit: int = SEEN_LIMIT) -> None:
        super().__init__(backoff=backoff, stable_after=stable_after)
        self.client = client
        self.store = store
        self.wait_seconds = wait_seconds
        self.max_messages = max_messages
        self.seen_limit = seen_limit
        self.consumer_id: str | None = None
        self.redeliveries = 0  # messages recognised as already stored (diagnostics)
        self.store_failures = 0
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._consumer_lost = False
        self._consumer_worked = False  # a pull with the current consumer has succeeded
        self.device_names: dict[str, str] = {}
        self.door_names: dict[str, str] = {}
        self.person_names: dict[str, str] = {}

    def set_names(self, devices: Iterable[Device] = (), doors: Iterable[Door] = (),
                  persons: Iterable[Person] = ()) -> None:
        """Names for the events' text (ids are shown where a name is unknown)."""
        self.device_names.update((d.id, d.display_name) for d in devices)
        self.door_names.update((d.id, d.name or d.id) for d in doors)
        self.person_names.update((p.id, p.name or p.id) for p in persons)

    def remember(self, message_ids: Iterable[str]) -> None:
        """Ids already stored (e.g. read back from SQLite at start): never shown again."""
        for message_id in message_ids:
            self._mark_seen(message_id)

    # -- LiveChannel hooks ---------------------------------------------------------------------

    async def _connect_and_serve(self) -> float:
        up_since = time.monotonic()
        try:
            if self.consumer_id is None:
                self.consumer_id = await self.client.create_consumer()
                self._consumer_worked = False
            # else: a network failure does not end a consumer on NEXhome's side; pulling on
            # with it leaves no orphan behind (each would hold messages until it expires).
            up_since = time.monotonic()
            self.connections += 1
            self._set_status("online", "Receiving NEXhome access records and call logs.")
            while True:
                messages = await self.client.pull(self.consumer_id,
                                                  max_messages=self.max_messages,
                                                  wait_seconds=self.wait_seconds)
                self._consumer_worked = True
                await self._handle(self.consumer_id, messages)
        except NotFound as exc:
            consumer, self.consumer_id = self.consumer_id, None
            if consumer is None or not self._consumer_worked:
                # Not a working consumer NEXhome forgot: creating one, or its first pull, is
                # refused (a gateway, a moved API). Subscribing again at once would loop
                # flat out; this is a failure to back off from.
                raise VendorError(VENDOR, exc.code, exc.vendor_message,
                                  message="NEXhome's message subscription is not there "
                                          "(HTTP 404).",
                                  hint="Check the NEXhome API address; SiteKit keeps "
                                       "retrying.") from None
            log.info("NEXhome live: consumer %s is gone; subscribing again", consumer)
            self._consumer_lost = True
            return up_since
        except PermissionDenied as exc:
            raise AuthError(VENDOR, exc.code, exc.vendor_message,
                            message="This NEXhome application may not subscribe to messages.",
                            hint=exc.hint) from None

    def _can_renew_credentials(self) -> bool:
        return False  # signed requests: nothing to renew

    def _sign_out(self, cause: AuthError | None) -> None:
        self.last_error = cause or AuthError(VENDOR, 401, "",
                                             message="NEXhome refused SiteKit's app credentials.",
                                             hint="Check the NEXhome credentials in Settings.")
        log.warning("NEXhome live: %s; not retrying", self.last_error.message)
        self._set_status("signed_out", self.last_error.message, hint=self.last_error.hint)

    def _not_running_error(self) -> Exception | None:
        if self.status in ("stopped", "signed_out"):
            return self.last_error or NetworkError("NEXhome messages are not running.",
                                                   hint="Start them first.")
        return None

    async def _reconnect_at_once(self) -> bool:
        if not self._consumer_lost:
            return False
        self._consumer_lost = False
        self._set_status("reconnecting", "The NEXhome message subscription was lost; "
                                         "subscribing again.")
        return True

    async def _stopped(self) -> None:
        consumer, self.consumer_id = self.consumer_id, None
        if consumer is None:
            return
        # Courtesy only: a consumer left behind expires on NEXhome's side.
        with contextlib.suppress(SiteKitError, asyncio.TimeoutError):
            await asyncio.wait_for(self.client.delete_consumer(consumer), 2.0)

    # -- messages ------------------------------------------------------------------------------

    async def _handle(self, consumer_id: str, messages: list[Message]) -> None:
        done: list[str] = []
        for message in messages:
            if not message.id:
                continue
            if message.id in self._seen:
                self.redeliveries += 1
                done.append(message.id)  # stored before; its commit did not count
                continue
            event = to_event(message, self.device_names, self.door_names, self.person_names)
            try:
                fresh = True
                if self.store is not None:
                    fresh = (await self.store(message, event)) is not False
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # left uncommitted: NEXhome delivers it again
                self.store_failures += 1
                log.warning("NEXhome live: storing message %s failed (%s); it will come again",
                            message.id, type(exc).__name__)
                continue
            self._mark_seen(message.id)
            done.append(message.id)
            if fresh:
                self._emit(event)
            else:
                self.redeliveries += 1
        await self.client.commit(consumer_id, done)

    def _mark_seen(self, message_id: str) -> None:
        self._seen[message_id] = None
        self._seen.move_to_end(message_id)
        while len(self._seen) > self.seen_limit:
            self._seen.popitem(last=False)


# -- wording ------------------------------------------------------------------------------------

def to_event(message: Message, device_names: Mapping[str, str] | None = None,
             door_names: Mapping[str, str] | None = None,
             person_names: Mapping[str, str] | None = None) -> Event:
    """A message as the feed shows it: kind access/call/device and a readable "text"."""
    device_names = device_names or {}
    door_names = door_names or {}
    person_names = person_names or {}
    record = message.record
    kind = KINDS.get(message.topic, message.topic.lower() or "message")
    payload: dict = {"messageId": message.id, "topic": message.topic, **message.payload}
    device = str(message.payload.get("deviceId") or "")
    if isinstance(record, AccessRecord):
        door = door_names.get(record.access_id) or f"Door {record.access_id}"
        if record.credential_type == "REMOTE":
            how = "remotely"
        else:
            who = person_names.get(record.person_id) or record.person_id or "someone"
            how = f"for {who} ({record.credential_type.lower() or 'no credential'})"
        if record.granted:
            text = f"{door}: opened {how}"
        else:
            text = f"{door}: refused {how}" + (f": {record.reason}" if record.reason else "")
    elif isinstance(record, CallLog):
        station = device_names.get(record.device_id) or record.caller or record.device_id
        result = (f"answered, {record.duration_seconds} s" if record.answered
                  else "not answered")
        text = f"{station} called {record.callee or 'a flat'}: {result}"
    elif message.topic == "DEVICE_STATUS":
        name = device_names.get(device) or f"Device {device}"
        online = message.payload.get("online")
        text = f"{name} {'came online' if online else 'went offline'}"
    else:
        text = f"NEXhome message {message.topic or '(no topic)'}"
    payload["text"] = text
    return Event(EVENT_VENDOR, device, kind, payload, message.time or utcnow())
