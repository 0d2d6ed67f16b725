"""What the door test screen says, without Qt: door rows, results, access records, audit lines.

A technician reads these standing at a door with a phone in the other hand, so every line
says what happened and when ("Opened at 13:42:05"), and a refusal says why and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping

from app.core.audit import AuditEntry
from app.core.events import Event
from app.vendors.nexhome.models import Device, Door, ElevatorCallResult, UnlockResult

EVENT_VENDOR = "nexhome"
ACCESS_KIND = "access"
# the credential type of an access record that a remote unlock leaves (SiteKit's endpoint
# model, endpoints.py; the real name may differ)
REMOTE_CREDENTIALS = ("REMOTE",)
DEVICE_KIND = "device"  # a station went on- or offline

ONLINE, OFFLINE, NOT_GRANTED = "online", "offline", "not_granted"
STATUS_TEXT = {ONLINE: "Online", OFFLINE: "Offline", NOT_GRANTED: "Not granted"}

NOT_GRANTED_REASON = ("This door is not granted to this app: NEXhome refuses SiteKit's unlock "
                      "(403). Ask the NEXhome administrator to grant the app access to it "
                      "(open platform → Application Management → access points).")

# an access record normally follows an unlock within a second or two; after this long the
# screen stops showing a spinner and says so
RECORD_WAIT_SECONDS = 15

# what a test of one door is doing
IDLE, UNLOCKING, OPENED, REFUSED, UNKNOWN = "idle", "unlocking", "opened", "refused", "unknown"

OUTCOME_TEXT = {"sent": "Sent, no answer yet", "ok": "Done", "failed": "Failed",
                "unknown": "Unknown, may have happened", "repeated": "Done (same request again)"}
ACTION_TEXT = {"unlock": "Unlock", "elevator_call": "Call lift"}


def clock(moment: datetime) -> str:
    """Laptop time with seconds: a technician compares it with the door and the record."""
    return f"{moment.astimezone():%H:%M:%S}"


@dataclass(frozen=True)
class DoorRow:
    """One line of the list: a door the devices name, with what the app may do with it."""
    id: str
    name: str
    device_id: str
    device_name: str
    location: str
    status: str  # ONLINE | OFFLINE | NOT_GRANTED

    @property
    def can_unlock(self) -> bool:
        return self.status == ONLINE

    @property
    def reason(self) -> str:
        """Why Unlock is disabled ("" when it is not)."""
        if self.status == OFFLINE:
            return (f"{self.device_name or 'The door station'} is offline, so NEXhome cannot "
                    f"open this door. Check its power and network on site, then Refresh.")
        if self.status == NOT_GRANTED:
            return NOT_GRANTED_REASON
        return ""


def location_text(device: Device | None) -> str:
    if device is None:
        return ""
    text = device.location.text()
    return text[:1].upper() + text[1:]


def door_rows(doors: Iterable[Door], devices: Iterable[Device],
              door_name=None) -> list[DoorRow]:
    """The doors the app can see, then the doors its devices name that it may not use
    (NEXhome answers 403 for those, and the door list leaves them out): a technician
    should see them with the reason rather than wonder where they went."""
    devices = list(devices)
    by_id = {d.id: d for d in devices}
    rows: list[DoorRow] = []
    seen: set[str] = set()
    for door in doors:
        device = by_id.get(door.device_id)
        online = door.online and (device.online if device is not None else True)
        rows.append(DoorRow(door.id, door.name or f"Door {door.id}", door.device_id,
                            device.display_name if device else door.device_id,
                            location_text(device), ONLINE if online else OFFLINE))
        seen.add(door.id)
    for device in devices:
        for access_id in device.access_ids:
            if access_id in seen:
                continue
            seen.add(access_id)
            name = (door_name(access_id) if door_name else "") or ""
            if not name or name == access_id:
                name = f"Door {access_id}"
            rows.append(DoorRow(access_id, name, device.id, device.display_name,
                                location_text(device), NOT_GRANTED))
    return rows


@dataclass(frozen=True)
class AccessSeen:
    """An access record of the live feed, as the screen shows it next to its door."""
    door_id: str
    time: datetime
    credential: str  # "REMOTE", "PIN", "CARD", "QRCODE", "FACE", …
    granted: bool
    reason: str = ""
    person: str = ""

    @property
    def remote(self) -> bool:
        """A remote unlock (ours, or another app's): a resident's card does not count as the
        record of an unlock sent from here."""
        return self.credential in REMOTE_CREDENTIALS

    def text(self) -> str:
        return f"Access record: {self.summary()}"

    def summary(self) -> str:
        how = "remote unlock" if self.remote else (
            self.credential.lower().replace("qrcode", "QR code").replace("pin", "PIN")
            or "no credential")
        if self.person:
            how = f"{how} ({self.person})"
        verdict = "granted" if self.granted else "denied"
        if not self.granted and self.reason:
            verdict = f"denied: {self.reason}"
        return f"{how}, {verdict}, {clock(self.time)}"


def news_text(record: AccessSeen) -> str:
    """What an access record that came while the user decides tells them."""
    said = f"Since then the door's access record came in ({record.summary()})."
    if record.granted:
        return f"{said} It did open: there is no need to try again."
    return f"{said} It was refused."


def access_from_event(event: Event, person_name=None) -> AccessSeen | None:
    """The access record an event carries, or None for anything else."""
    if event.vendor != EVENT_VENDOR or event.kind != ACCESS_KIND:
        return None
    payload: Mapping[str, Any] = event.payload or {}
    door_id = str(payload.get("accessId") or "")
    if not door_id:
        return None
    person_id = str(payload.get("personId") or "")
    person = (person_name(person_id) if person_name and person_id else "") or ""
    if person == person_id:
        person = ""  # an id means nothing on site; the record's credential says enough
    return AccessSeen(door_id, event.time, str(payload.get("credentialType") or "").upper(),
                      str(payload.get("result") or "").upper() == "GRANTED",
                      str(payload.get("reason") or ""), person)


@dataclass
class DoorTest:
    """The last unlock of one door from this screen, and the records seen for it since."""
    state: str = IDLE
    at: datetime | None = None  # when the answer (or the silence) came
    message: str = ""  # the refusal, in words
    request_id: str = ""  # kept after an unknown outcome: a retry reuses it
    retried: bool = False
    record: AccessSeen | None = None  # the newest access record of this door
    record_after_unlock: bool = False  # the record came after our last unlock was sent
    sent_at: datetime | None = None

    @property
    def waiting_for_record(self) -> bool:
        return (self.sent_at is not None and not self.record_after_unlock
                and self.state in (UNLOCKING, OPENED, UNKNOWN))

    def record_overdue(self, now: datetime) -> bool:
        return (self.waiting_for_record and self.sent_at is not None
                and (now - self.sent_at).total_seconds() >= RECORD_WAIT_SECONDS)

    def result_text(self) -> str:
        if self.state == UNLOCKING:
            return "Unlocking…"
        if self.state == OPENED and self.at is not None:
            again = " (tried again with the same request)" if self.retried else ""
            return f"Opened at {clock(self.at)}{again}"
        if self.state == REFUSED:
            when = f" at {clock(self.at)}" if self.at is not None else ""
            return f"Not opened{when}: {self.message}" if self.message else f"Not opened{when}."
        if self.state == UNKNOWN and self.at is not None:
            if self.record_after_unlock and self.record is not None and self.record.granted:
                return (f"No answer from NEXhome at {clock(self.at)}, but the door's access "
                        f"record shows it opened.")
            return f"No answer at {clock(self.at)}: the door may or may not have opened."
        return ""

    def short_text(self) -> str:
        """For the list's Last test column (the panel has the whole story)."""
        mark = ""
        if self.record is not None:
            mark = "✓" if self.record.granted else "✗ denied"
        if self.state == UNLOCKING:
            return "Unlocking…"
        if self.state == OPENED and self.at is not None:
            return f"Opened {clock(self.at)}" + (f" · record {mark}"
                                                 if self.record_after_unlock else "")
        if self.state == REFUSED:
            return f"Refused {clock(self.at)}" if self.at is not None else "Refused"
        if self.state == UNKNOWN:
            return "Unknown" + (f" · record {mark}" if self.record_after_unlock else "")
        if self.record is not None:
            return f"Record {clock(self.record.time)} {mark}"
        return ""


def unlock_opened(result: UnlockResult) -> bool:
    # a server that answers without a result still answered 2xx: the command was accepted
    return result.opened or not result.result


def elevator_text(result: ElevatorCallResult, controller: str, at: datetime) -> str:
    floors = f"from floor {result.from_floor} to floor {result.to_floor}"
    answer = (result.result or "accepted").lower()
    if answer in ("called", "accepted", "ok"):
        return f"{controller}: lift called {floors} at {clock(at)}"
    return f"{controller}: NEXhome answered “{answer}” {floors} at {clock(at)}"


@dataclass(frozen=True)
class AuditLine:
    time: str
    who: str
    what: str
    result: str
    outcome: str
    detail: str = field(default="")


def audit_line(entry: AuditEntry) -> AuditLine:
    action = ACTION_TEXT.get(entry.action, entry.action.replace("_", " ").capitalize())
    target = entry.target_name or entry.target
    what = f"{action} ({target})" if entry.action == "elevator_call" else f"{action} {target}"
    detail = entry.detail.strip()
    if entry.outcome == "ok":
        result = (detail[:1].upper() + detail[1:]) if detail else OUTCOME_TEXT["ok"]
    elif entry.outcome == "repeated":
        # the service's detail repeats why; the list says it in a few words
        said = detail.split(" (repeat", 1)[0]
        said = (said[:1].upper() + said[1:]) if said else "Done"
        result = f"{said} · same request again, acted once"
    else:
        result = OUTCOME_TEXT.get(entry.outcome, entry.outcome)
        if detail:
            result = f"{result}: {detail}" if entry.outcome in ("failed", "unknown") \
                else f"{result} · {detail}"
    return AuditLine(clock(entry.time), entry.actor, what, result, entry.outcome, detail)
