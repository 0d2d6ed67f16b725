"""The building behind NEXhome: doors, residents, credentials, announcements, live records.

    building = ws.building
    await building.refresh()                    # devices, doors, persons, rooms → caches
    try:
        await building.unlock(door_id)
    except CommandNeedsDecision as exc:         # the answer was lost: did the door open?
        ... ask the user ..., then: await building.unlock(door_id, request_id=exc.request_id)

Every command that acts on the building (unlock, elevator call) leaves an audit entry
written BEFORE it is sent (a crash or a lost answer still leaves a trace) and completed with
the outcome, and one "command" event in the feed. Commands are never retried on their own:
after a lost answer the person in front of the door decides, and a retry reuses the request
id so NEXhome does not act twice.

Credentials: the PIN / QR content is a secret. It is returned once (IssuedCredential.content)
and never written to a log line, the feed or the audit trail.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable, Iterable, Literal

import aiohttp

from app.core.audit import AuditEntry
from app.core.clock import ClockSkew
from app.core.errors import ConfigError, SiteKitError
from app.core.events import Event, utcnow
from app.core.store import EventStore
from app.services.feed import Feed
from app.services.messaging import Messaging, masked_phone, vendor_clock
from app.services.site import SiteProfile
from app.vendors.nexhome import signing
from app.vendors.nexhome.client import CommandOutcomeUnknown, NexhomeClient
from app.vendors.nexhome.live import EVENT_VENDOR, NexhomeLive
from app.vendors.nexhome.models import (ELEVATOR_CONTROLLER, Announcement, Contact, Credential,
                                        Device, Door, ElevatorCallResult, Message, Person, Room,
                                        UnlockResult)
from app.vendors.nxcloud.models import WhatsAppTemplate

log = logging.getLogger(__name__)

VENDOR = EVENT_VENDOR  # "nexhome": feed events and audit entries
PIN_DIGITS = 6
QR_TOKEN_BYTES = 18  # 24 URL-safe characters: unguessable, short enough for a small QR
# Without a chosen end, a credential or an announcement lasts this long (never "for ever":
# a forgotten visitor QR must stop working on its own).
DEFAULT_VALIDITY = timedelta(days=1)
MAX_VALIDITY = timedelta(days=366)
Listener = Callable[[str], None]


class CommandNeedsDecision(SiteKitError):
    """A command went out and its answer was lost: it may have been carried out.

    Raised after the audit entry says "unknown". Not retried: the caller asks the user and,
    to try again, calls the same method with `request_id=` this one."""

    def __init__(self, action: str, target: str, target_name: str, request_id: str,
                 cause: str = "") -> None:
        self.action = action
        self.target = target
        self.target_name = target_name
        self.request_id = request_id
        self.cause = cause
        what = {"unlock": f"unlock {target_name}",
                "elevator_call": f"call {target_name}"}.get(action, f"{action} {target_name}")
        super().__init__(
            f"No answer from NEXhome to {what}" + (f" ({cause})" if cause else "")
            + "; it may or may not have been carried out.",
            hint="Check on site. Trying again with the same request "
                 f"({request_id}) cannot make NEXhome act twice.")


@dataclass(frozen=True)
class IssuedCredential:
    credential: Credential
    content: str  # the PIN / QR text: show it once, never log it
    person_name: str = ""
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    sent_to: str = ""  # the masked number it was sent to, "" when not sent
    send_error: str = ""  # issued but not sent: why (do not issue again)

    def __repr__(self) -> str:  # the content must not reach a log line through a repr
        return (f"IssuedCredential(credential={self.credential!r}, sent_to={self.sent_to!r}, "
                f"send_error={self.send_error!r})")


class Building:
    def __init__(self, profile: SiteProfile, session: aiohttp.ClientSession, clock: ClockSkew,
                 feed: Feed, store: EventStore, messaging: Messaging, *, actor: str) -> None:
        self.profile = profile
        self._session = session
        self._clock = clock
        self._feed = feed
        self._store = store
        self._messaging = messaging
        self.actor = actor
        self._client: NexhomeClient | None = None
        self._listeners: list[Listener] = []
        self._live: NexhomeLive | None = None
        self._unsubscribe_live: Callable[[], None] | None = None
        self.devices: list[Device] = []
        self.doors: list[Door] = []
        self.persons: list[Person] = []
        self.rooms: list[Room] = []
        self._live_message = ""
        self._restart: asyncio.Task | None = None
        self._live_lock = asyncio.Lock()

    # -- configuration -------------------------------------------------------------------------

    @property
    def configured(self) -> bool:
        return self.profile.nexhome is not None and self.profile.nexhome.configured

    @property
    def client(self) -> NexhomeClient:
        if self._client is None:
            endpoints = self.profile.nexhome
            if endpoints is None or not endpoints.configured:
                raise ConfigError("SiteKit has no NEXhome application for this site yet.",
                                  hint="Enter the NEXhome API address, developer ID, app ID "
                                       "and app secret in Settings (or `sitekit nexhome "
                                       "configure`), or try the demo site.")
            self._client = NexhomeClient(self._session, api=endpoints.api,
                                         developer_id=endpoints.developer_id,
                                         app_id=endpoints.app_id,
                                         app_secret=endpoints.app_secret,
                                         clock=vendor_clock(self._clock))
        return self._client

    def use_profile(self, profile: SiteProfile) -> None:
        """New NEXhome credentials (Settings): the next call signs with them, and a running
        live channel subscribes again with them (its old consumer belongs to the old app)."""
        self.profile = profile
        self._client = None
        if self._live is not None and self._live.status not in ("stopped", "signed_out"):
            self._restart = asyncio.get_running_loop().create_task(self._restart_live())

    async def _restart_live(self) -> None:
        await self.stop_live()
        if self.configured:
            await self.start_live()

    # -- change notification ---------------------------------------------------------------------

    def subscribe(self, callback: Listener) -> Callable[[], None]:
        """`callback("")` after a refresh (everything may have changed), `callback(id)` when
        one door or device changed, `callback("live")` when the live status changed."""
        self._listeners.append(callback)
        return lambda: (self._listeners.remove(callback)
                        if callback in self._listeners else None)

    def _changed(self, what: str = "") -> None:
        for callback in list(self._listeners):
            try:
                callback(what)
            except Exception:  # noqa: BLE001 - one broken listener must not stop the others
                log.exception("Building listener failed")

    # -- reading ---------------------------------------------------------------------------------

    async def refresh(self) -> None:
        client = self.client
        devices, persons, rooms = await asyncio.gather(client.devices(), client.persons(),
                                                       client.rooms())
        doors = await client.doors(devices)
        self.devices, self.doors, self.persons, self.rooms = devices, doors, persons, rooms
        if self._live is not None:
            self._live.set_names(devices, doors, persons)
        self._changed("")

    def door(self, door_id: str) -> Door | None:
        return next((d for d in self.doors if d.id == door_id), None)

    def device(self, device_id: str) -> Device | None:
        return next((d for d in self.devices if d.id == device_id), None)

    def person(self, person_id: str) -> Person | None:
        return next((p for p in self.persons if p.id == person_id), None)

    def door_name(self, door_id: str) -> str:
        door = self.door(door_id)
        return (door.name if door and door.name else "") or f"Door {door_id}"

    def device_name(self, device_id: str) -> str:
        device = self.device(device_id)
        return device.display_name if device else f"Device {device_id}"

    def person_name(self, person_id: str) -> str:
        person = self.person(person_id)
        return (person.name if person and person.name else "") or f"Person {person_id}"

    def room_text(self, person: Person) -> str:
        names = {r.id: r.name or r.number or r.id for r in self.rooms}
        return ", ".join(names.get(r, r) for r in person.room_ids)

    # -- commands ----------------------------------------------------------------------------------

    async def unlock(self, door_id: str, *, request_id: str | None = None) -> UnlockResult:
        name = self.door_name(door_id)
        door = self.door(door_id)
        device_id = door.device_id if door else ""
        return await self._command(
            "unlock", door_id, name, request_id,
            lambda rid: self.client.unlock(door_id, request_id=rid),
            lambda r: "opened" if r.opened else (r.result.lower() or "answered"),
            device=device_id, payload={"accessId": door_id})

    async def call_elevator(self, device_id: str, from_floor: int, to_floor: int, *,
                            request_id: str | None = None) -> ElevatorCallResult:
        check_floors(self.device(device_id), from_floor, to_floor)
        name = self.device_name(device_id)
        return await self._command(
            "elevator_call", device_id, name, request_id,
            lambda rid: self.client.call_elevator(device_id, from_floor, to_floor,
                                                  request_id=rid),
            lambda r: f"floor {from_floor} → {to_floor}: {r.result.lower() or 'answered'}",
            device=device_id, payload={"fromFloor": from_floor, "toFloor": to_floor})

    async def _command(self, action: str, target: str, name: str, request_id: str | None,
                       send, describe, *, device: str, payload: dict):
        retry = request_id is not None
        if retry:
            earlier = await self._store.audit_entries(10, vendor=VENDOR, request_id=request_id)
        else:
            request_id = signing.new_request_id()
            earlier = []
        entry = await self._store.add_audit(AuditEntry(
            actor=self.actor, vendor=VENDOR, action=action, target=target, target_name=name,
            request_id=request_id,
            detail="retry of an earlier request" if retry else ""))
        verb = "unlock" if action == "unlock" else "call elevator"
        try:
            result = await send(request_id)
        except CommandOutcomeUnknown as exc:
            detail = f"no answer ({exc.cause})"
            await self._store.set_audit_outcome(entry, "unknown", detail)
            self._publish(device, f"{name}: {verb} → unknown, {detail}", action, target,
                          request_id, "unknown", payload)
            raise CommandNeedsDecision(action, target, name, request_id, exc.cause) from None
        except SiteKitError as exc:
            await self._store.set_audit_outcome(entry, "failed", exc.message)
            self._publish(device, f"{name}: {verb} → failed: {exc.message}", action, target,
                          request_id, "failed", payload)
            raise
        except BaseException as exc:  # cancelled or a bug: the entry must not stay "sent"
            await asyncio.shield(self._store.set_audit_outcome(
                entry, "unknown", f"interrupted ({type(exc).__name__})"))
            raise
        said = describe(result)
        # NEXhome answers a repeated REQUEST-ID with the first answer and does not act
        # again; its answer looks the same, so a retry of a request already in the trail
        # is "repeated": the building acted at most once for both entries together.
        outcome = "repeated" if earlier else "ok"
        detail = said + (" (repeat of an earlier request; NEXhome acts once per request)"
                         if earlier else "")
        await self._store.set_audit_outcome(entry, outcome, detail)
        self._publish(device, f"{name}: {verb} → {said}" + (" (repeat)" if earlier else ""),
                      action, target, request_id, outcome, payload)
        self._changed(target)
        return result

    def _publish(self, device: str, text: str, action: str, target: str, request_id: str,
                 outcome: str, payload: dict) -> None:
        self._feed.publish(Event(VENDOR, device, "command", {
            "text": text, "action": action, "target": target, "request_id": request_id,
            "outcome": outcome, "actor": self.actor, **payload}))

    async def audit(self, limit: int = 200) -> list[AuditEntry]:
        return await self._store.audit_entries(limit, vendor=VENDOR)

    # -- credentials -------------------------------------------------------------------------------

    async def issue_credential(self, person_id: str, kind: Literal["PIN", "QRCODE"], *,
                               valid_from: datetime | None = None,
                               valid_until: datetime | None = None,
                               send: Literal["sms", "whatsapp"] | None = None,
                               phone: str | None = None) -> IssuedCredential:
        kind = kind.upper()  # type: ignore[assignment]
        if kind not in ("PIN", "QRCODE"):
            raise ConfigError(f"SiteKit issues PIN and QRCODE credentials, not {kind!r}.")
        if send not in (None, "sms", "whatsapp"):
            raise ConfigError(f"Send by sms or whatsapp, not {send!r}.")
        if kind == "QRCODE" or valid_from is not None or valid_until is not None:
            valid_from, valid_until = check_window(valid_from, valid_until, "credential",
                                                   now=utcnow())
        content = new_pin() if kind == "PIN" else new_qr_content()
        person = self.person(person_id)
        person_name = (person.name if person else "") or person_id
        to = phone or (person.phone if person else "")
        if send and not to:
            # Known before issuing: nothing issued that cannot be delivered.
            raise ConfigError(f"{person_name} has no phone number in NEXhome.",
                              hint="Type the number to send it to.")
        credential = await self.client.issue_credential(person_id, kind, content,
                                                        effective=valid_from,
                                                        expired=valid_until)
        what = "PIN" if kind == "PIN" else "QR code"
        log.info("NEXhome: %s %s issued for person %s", what, credential.id, person_id)
        until = f", valid until {_when(valid_until)}" if valid_until else ""
        self._feed.publish(Event(VENDOR, "", "credential", {
            "text": f"{what} issued for {person_name}{until}", "person": person_id,
            "credential": credential.id, "type": kind, "actor": self.actor}))
        issued = IssuedCredential(credential, content, person_name, valid_from, valid_until)
        if send:
            issued = await self._send(issued, kind, send, to)
        return issued

    async def send_credential(self, issued: IssuedCredential, channel: Literal["sms", "whatsapp"],
                              phone: str | None = None) -> IssuedCredential:
        """Send an issued credential (again, or for the first time after the dialog showed
        it) to the person's phone or `phone`; a failure comes back as `send_error`."""
        person = self.person(issued.credential.person_id)
        to = phone or (person.phone if person else "")
        if not to:
            raise ConfigError(f"{issued.person_name or 'This person'} has no phone number in "
                              "NEXhome.", hint="Type the number to send it to.")
        kind = issued.credential.type or ("PIN" if issued.content.isdigit() else "QRCODE")
        return await self._send(replace(issued, sent_to="", send_error=""), kind, channel, to)

    async def _send(self, issued: IssuedCredential, kind: str, channel: str,
                    phone: str) -> IssuedCredential:
        building = self.profile.label or "the building"
        until = f", valid until {_when(issued.valid_until)}" if issued.valid_until else ""
        if kind == "PIN":
            text = f"Your entry PIN for {building} is {issued.content}{until}. Keep it private."
        else:
            text = f"Your entry QR code for {building}{until}: {issued.content}"
        try:
            if channel == "sms":
                await self._messaging.send_sms(phone, text, purpose=f"{kind.lower()} credential")
            elif kind == "PIN":
                await self._messaging.send_whatsapp_template(
                    phone, WhatsAppTemplate("resident_pin", body_params=[issued.content]),
                    purpose="PIN credential")
            else:
                # The approved template announces the code; the code itself follows as text
                # (the template opened the conversation).
                await self._messaging.send_whatsapp_template(
                    phone, WhatsAppTemplate("visitor_qr", body_params=[
                        issued.person_name, _when(issued.valid_until) or "further notice"]),
                    purpose="QR credential")
                await self._messaging.send_whatsapp(phone, text, purpose="QR credential")
        except Exception as exc:  # noqa: BLE001 - the credential exists: never lose it here
            log.warning("NEXhome: credential %s issued but not sent (%s)",
                        issued.credential.id, type(exc).__name__)
            reason = exc.user_text() if isinstance(exc, SiteKitError) else (
                f"Sending failed ({type(exc).__name__}).")
            return replace(issued, send_error=reason)
        return replace(issued, sent_to=masked_phone(phone))

    # -- directory, announcements --------------------------------------------------------------

    async def push_contacts(self, device_id: str, contacts: list[Contact]) -> None:
        check_contacts(contacts)
        await self.client.push_contacts(device_id, contacts)
        self._feed.publish(Event(VENDOR, device_id, "directory", {
            "text": f"{self.device_name(device_id)}: directory replaced "
                    f"({len(contacts)} contacts)", "actor": self.actor}))

    async def lift_floors(self, person_id: str) -> tuple[int, ...]:
        """The floors the lift takes this person to (NEXhome's elevator configuration)."""
        return (await self.client.elevator_config(person_id)).floors

    async def set_lift_floors(self, person_id: str, floors: Iterable[int]) -> tuple[int, ...]:
        """Give a person the lift to exactly these floors (none: no lift access). Audited:
        who may reach which floor is as much a key as a PIN."""
        wanted = parse_floors(floors)
        served = tuple(sorted({f for d in self.devices if d.type == ELEVATOR_CONTROLLER
                               for f in _device_floors(d)}))
        outside = [f for f in wanted if served and f not in served]
        if outside:
            raise ConfigError(f"The lifts here serve floors {min(served)} to {max(served)}, "
                              f"not {', '.join(map(str, outside))}.")
        name = self.person_name(person_id)
        entry = await self._store.add_audit(AuditEntry(
            actor=self.actor, vendor=VENDOR, action="lift_floors", target=person_id,
            target_name=name, detail=floors_text(wanted)))
        try:
            config = await self.client.set_elevator_config(person_id, wanted)
        except SiteKitError as exc:
            await self._store.set_audit_outcome(entry, "failed", exc.message)
            raise
        except BaseException as exc:  # cancelled or a bug: the entry must not stay "sent"
            await asyncio.shield(self._store.set_audit_outcome(
                entry, "unknown", f"interrupted ({type(exc).__name__})"))
            raise
        await self._store.set_audit_outcome(entry, "ok", floors_text(config.floors))
        self._feed.publish(Event(VENDOR, person_id, "lift_floors", {
            "text": f"{name}: lift to {floors_text(config.floors)}", "actor": self.actor}))
        return config.floors

    async def announce(self, title: str, text: str, device_ids: list[str], *,
                       valid_from: datetime | None = None,
                       valid_until: datetime | None = None) -> Announcement:
        title, text = title.strip(), text.strip()
        if not title:
            raise ConfigError("An announcement needs a title.")
        if len(title) > 64:
            raise ConfigError(f"The title is {len(title)} characters; panels show at most 64.")
        if not text:
            raise ConfigError("An announcement needs a text.")
        if len(text) > 1000:
            raise ConfigError(f"The text is {len(text)} characters; NEXhome takes at most 1000.")
        if not device_ids:
            raise ConfigError("Choose at least one device to show the announcement on.")
        valid_from, valid_until = check_window(valid_from, valid_until, "announcement",
                                               now=utcnow())
        announcement = await self.client.announce(title, text, device_ids,
                                                  effective=valid_from, expired=valid_until)
        self._feed.publish(Event(VENDOR, "", "announcement", {
            "text": f"Announcement \"{title}\" on {len(device_ids)} device(s) until "
                    f"{_when(valid_until)}", "announcement": announcement.id,
            "actor": self.actor}))
        return announcement

    # -- live access records ---------------------------------------------------------------------

    @property
    def live_status(self) -> str:
        return self._live.status if self._live is not None else "stopped"

    @property
    def live_message(self) -> str:
        return self._live_message if self._live is not None else ""

    async def start_live(self) -> None:
        # One channel at a time: the page, a restart after new credentials and the CLI may
        # ask together, and a second channel would be left running unseen.
        async with self._live_lock:
            if (self._live is not None and self._live.client is self.client
                    and self._live.status not in ("stopped", "signed_out")):
                return
            await self._stop_live()
            live = NexhomeLive(self.client, store=self._store_message)
            live.set_names(self.devices, self.doors, self.persons)
            self._unsubscribe_live = live.subscribe(self._on_live_event)
            self._live = live
            await live.start()

    async def stop_live(self) -> None:
        restart, self._restart = self._restart, None
        if restart is not None and restart is not asyncio.current_task() and not restart.done():
            restart.cancel()  # closing: no new subscription after this
        async with self._live_lock:
            await self._stop_live()

    async def _stop_live(self) -> None:
        live, self._live = self._live, None
        unsubscribe, self._unsubscribe_live = self._unsubscribe_live, None
        if live is None:
            return
        await live.stop()  # its "stopped" status still reaches the feed
        if unsubscribe is not None:
            unsubscribe()

    async def _store_message(self, message: Message, event: Event) -> bool:
        # One transaction stores the event and marks the message consumed: a redelivery,
        # even after a restart, is recognised here and not shown twice.
        return await self._store.add_message_once(VENDOR, message.id, event)

    def _on_live_event(self, event: Event) -> None:
        if event.kind == "connection":
            self._live_message = str(event.payload.get("message", ""))
            self._feed.publish(event)
            self._changed("live")
            return
        # Already in SQLite (add_message_once): shown, not saved a second time.
        self._feed.publish_stored(event)
        if event.kind == "device" and event.device:
            self._changed(event.device)

    def clear(self) -> None:
        self.devices, self.doors, self.persons, self.rooms = [], [], [], []
        self._changed("")


# -- rules ------------------------------------------------------------------------------------

def new_pin() -> str:
    return f"{secrets.randbelow(10 ** PIN_DIGITS):0{PIN_DIGITS}d}"


def new_qr_content() -> str:
    return secrets.token_urlsafe(QR_TOKEN_BYTES)


def check_window(valid_from: datetime | None, valid_until: datetime | None, what: str, *,
                 now: datetime) -> tuple[datetime, datetime]:
    """A validity window NEXhome accepts: from (default now) strictly before until (default
    a day later), until in the future, not longer than a year. Naive times are local."""
    start = _aware(valid_from) if valid_from is not None else now
    end = _aware(valid_until) if valid_until is not None else start + DEFAULT_VALIDITY
    # An end already past is the likelier slip (a wrong year or day); say that first.
    if end <= now:
        raise ConfigError(f"The {what} would end in the past ({_when(end)}).",
                          hint="Choose an end in the future.")
    if end <= start:
        raise ConfigError(f"The {what} would end ({_when(end)}) before it starts "
                          f"({_when(start)}).", hint="Choose an end after the start.")
    if end - start > MAX_VALIDITY:
        raise ConfigError(f"The {what} would last more than a year.",
                          hint="Choose an end within a year of the start.")
    return start, end


def check_floors(device: Device | None, from_floor: int, to_floor: int) -> None:
    for floor in (from_floor, to_floor):
        if isinstance(floor, bool) or not isinstance(floor, int):
            raise ConfigError(f"Floor {floor!r} is not a whole number.")
    if from_floor == to_floor:
        raise ConfigError(f"The lift is called from floor {from_floor} to the same floor.",
                          hint="Choose a different destination floor.")
    if device is not None and device.type and device.type != ELEVATOR_CONTROLLER:
        raise ConfigError(f"{device.display_name} is a {device.type_name}, not an elevator "
                          "controller.")
    floors = _device_floors(device)
    if floors:
        for floor in (from_floor, to_floor):
            if floor not in floors:
                raise ConfigError(f"{device.display_name} serves floors {min(floors)} to "
                                  f"{max(floors)}, not {floor}.")


def parse_floors(floors: Iterable[int] | str) -> tuple[int, ...]:
    """Floors as whole numbers, sorted, each once; "0, 1, -1" is accepted as typed."""
    if isinstance(floors, str):
        parts = [p.strip() for p in floors.replace(";", ",").split(",") if p.strip()]
        values = []
        for part in parts:
            try:
                values.append(int(part))
            except ValueError:
                raise ConfigError(f"{part!r} is not a floor number.",
                                  hint="Write floors as whole numbers separated by commas, "
                                       "e.g. -1, 0, 3.") from None
        floors = values
    result = set()
    for floor in floors:
        if isinstance(floor, bool) or not isinstance(floor, int):
            raise ConfigError(f"Floor {floor!r} is not a whole number.")
        if not -20 <= floor <= 300:
            raise ConfigError(f"Floor {floor} is not a floor a building has.")
        result.add(floor)
    return tuple(sorted(result))


def floors_text(floors: Iterable[int]) -> str:
    floors = tuple(floors)
    if not floors:
        return "no floors"
    return ("floor " if len(floors) == 1 else "floors ") + ", ".join(map(str, floors))


def _device_floors(device: Device | None) -> tuple[int, ...]:
    """The floors the controller says it serves, when its record says (`floors` or
    `minFloor`/`maxFloor`); () when unknown, and NEXhome checks."""
    if device is None:
        return ()
    raw = device.raw
    listed = raw.get("floors")
    if isinstance(listed, list):
        return tuple(f for f in listed if isinstance(f, int) and not isinstance(f, bool))
    low, high = raw.get("minFloor"), raw.get("maxFloor")
    if isinstance(low, int) and isinstance(high, int) and low <= high:
        return tuple(range(low, high + 1))
    return ()


def check_contacts(contacts: list[Contact]) -> None:
    for i, contact in enumerate(contacts, 1):
        if not contact.name.strip():
            raise ConfigError(f"Contact {i} has no name.")
        if len(contact.name) > 64:
            raise ConfigError(f"Contact {i} ({contact.name[:20]}…): a name is at most 64 "
                              "characters.")
        if not contact.number.strip():
            raise ConfigError(f"Contact {i} ({contact.name}) has no number to call.")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.astimezone()


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone().strftime("%d %b %Y %H:%M")
