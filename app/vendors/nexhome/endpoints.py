"""Every NEXhome path and body shape SiteKit uses, in one place.

NEXhome publishes only its access guide (signature, headers, error body). The paths and
shapes here are SiteKit's model from `shared/protocol-notes.md` (a public snippet confirms
`GET /api/v1/cits/access/{id}` and the credential body `{content, type, rule: {encryptedQrcode,
effectiveTime, expiredTime}}`); when NEXhome publishes the real list, this module is what
changes. The client builds every request through these functions and the simulator routes
on the same templates (`ROUTES`), so both move together.

Conventions of the model: list calls take `page` (from FIRST_PAGE) and `size` (≤ PAGE_SIZE)
and answer `{"total", "page", "size", "elements": [...]}`; times in bodies are Unix
milliseconds, like the TIMESTAMP header.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

PREFIX = "/api/v1/cits"
PAGE_SIZE = 50  # the guide: "the default maximum is 50 items"
FIRST_PAGE = 1
# Keys of a page reply.
PAGE_TOTAL, PAGE_ELEMENTS = "total", "elements"

DEVICE_TYPES = ("DOOR_STATION", "INDOOR_MONITOR", "ACCESS_CONTROLLER", "ELEVATOR_CONTROLLER")
CREDENTIAL_TYPES = ("PIN", "CARD", "QRCODE", "FACE")
TOPICS = ("ACCESS_RECORD", "CALL_LOG", "DEVICE_STATUS")
UNLOCK_OPENED = "OPENED"
ELEVATOR_CALLED = "CALLED"
# The pull's long-poll limit in the model (a proxy would cut longer requests).
MAX_WAIT_SECONDS = 30
MAX_PULL = 50


@dataclass(frozen=True)
class Call:
    """One request: what the client sends and signs (`path` is the signed URI)."""
    method: str
    path: str
    query: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None
    # Commands act on the building (a door opens): never retried without asking.
    command: bool = False


# Route templates (aiohttp syntax); the simulator registers exactly these.
ROUTES: dict[str, tuple[str, str]] = {
    "devices": ("GET", f"{PREFIX}/devices"),
    "device": ("GET", f"{PREFIX}/devices/{{deviceId}}"),
    "access": ("GET", f"{PREFIX}/access/{{accessId}}"),
    "unlock": ("POST", f"{PREFIX}/access/{{accessId}}/unlock"),
    "elevator_call": ("POST", f"{PREFIX}/elevators/{{deviceId}}/call"),
    "persons": ("GET", f"{PREFIX}/persons"),
    "person": ("GET", f"{PREFIX}/persons/{{personId}}"),
    "create_person": ("POST", f"{PREFIX}/persons"),
    "rooms": ("GET", f"{PREFIX}/rooms"),
    "credentials": ("GET", f"{PREFIX}/persons/{{personId}}/credentials"),
    "issue_credential": ("POST", f"{PREFIX}/persons/{{personId}}/credentials"),
    "revoke_credential": ("DELETE", f"{PREFIX}/credentials/{{credentialId}}"),
    "contacts": ("GET", f"{PREFIX}/devices/{{deviceId}}/contacts"),
    "push_contacts": ("PUT", f"{PREFIX}/devices/{{deviceId}}/contacts"),
    "announcements": ("GET", f"{PREFIX}/announcements"),
    "announce": ("POST", f"{PREFIX}/announcements"),
    "withdraw_announcement": ("DELETE", f"{PREFIX}/announcements/{{announcementId}}"),
    "elevator_config": ("GET", f"{PREFIX}/elevator-configs/{{personId}}"),
    "set_elevator_config": ("PUT", f"{PREFIX}/elevator-configs/{{personId}}"),
    "create_consumer": ("POST", f"{PREFIX}/mq/consumers"),
    "pull": ("POST", f"{PREFIX}/mq/consumers/{{consumerId}}/messages"),
    "commit": ("POST", f"{PREFIX}/mq/consumers/{{consumerId}}/offsets"),
    "delete_consumer": ("DELETE", f"{PREFIX}/mq/consumers/{{consumerId}}"),
}


def _call(name: str, *, query: Mapping[str, Any] | None = None, body: Any = None,
          command: bool = False, **ids: Any) -> Call:
    method, template = ROUTES[name]
    # ids go into the path, so they must not smuggle a '/' or '?' into the signed URI
    safe = {k: _segment(v) for k, v in ids.items()}
    return Call(method, template.format(**safe), dict(query or {}), body, command)


def _segment(value: Any) -> str:
    text = str(value)
    if not text or any(c in text for c in "/?#% "):
        raise ValueError(f"not a usable NEXhome id: {value!r}")
    return text


def page_query(page: int, size: int = PAGE_SIZE, **filters: Any) -> dict[str, Any]:
    query = {"page": page, "size": size}
    query.update({k: v for k, v in filters.items() if v is not None})
    return query


# -- devices and doors -----------------------------------------------------------------------

def devices(page: int, size: int = PAGE_SIZE) -> Call:
    """→ page of `{id, sn, name, type, online, location: {building, unit, floor},
    accessIds: [...], features: [...]}`; `features` may hold "FACE" (SiteKit's addition)."""
    return _call("devices", query=page_query(page, size))


def device(device_id: str) -> Call:
    return _call("device", deviceId=device_id)


def access(access_id: str) -> Call:
    """→ door `{id, name, deviceId, online}`."""
    return _call("access", accessId=access_id)


def unlock(access_id: str) -> Call:
    """→ `{id, result: "OPENED"}`."""
    return _call("unlock", accessId=access_id, body={}, command=True)


def elevator_call(device_id: str, from_floor: int, to_floor: int) -> Call:
    """→ `{deviceId, fromFloor, toFloor, result: "CALLED"}`."""
    return _call("elevator_call", deviceId=device_id,
                 body={"fromFloor": int(from_floor), "toFloor": int(to_floor)}, command=True)


# -- persons, rooms, credentials ---------------------------------------------------------------

def persons(page: int, size: int = PAGE_SIZE, *, room_id: str | None = None) -> Call:
    """→ page of `{id, name, phone, roomIds: [...]}`."""
    return _call("persons", query=page_query(page, size, roomId=room_id))


def person(person_id: str) -> Call:
    return _call("person", personId=person_id)


def create_person(name: str, *, phone: str = "", room_ids: Sequence[str] = ()) -> Call:
    return _call("create_person", body={"name": name, "phone": phone, "roomIds": list(room_ids)})


def rooms(page: int, size: int = PAGE_SIZE) -> Call:
    """→ page of `{id, name, building, unit, floor, number}`."""
    return _call("rooms", query=page_query(page, size))


def credentials(person_id: str, page: int, size: int = PAGE_SIZE) -> Call:
    """→ page of `{id, personId, type, content, rule, deviceIds}`."""
    return _call("credentials", personId=person_id, query=page_query(page, size))


def issue_credential(person_id: str, credential_type: str, content: str, *,
                     effective_ms: int | None = None, expired_ms: int | None = None,
                     encrypted_qrcode: bool | None = None,
                     device_ids: Sequence[str] = ()) -> Call:
    """`{type: PIN|CARD|QRCODE|FACE, content, rule: {effectiveTime, expiredTime,
    encryptedQrcode}}`; FACE adds `deviceIds` (face-capable devices only). → the credential."""
    body: dict[str, Any] = {"type": credential_type, "content": content}
    rule: dict[str, Any] = {}
    if effective_ms is not None:
        rule["effectiveTime"] = int(effective_ms)
    if expired_ms is not None:
        rule["expiredTime"] = int(expired_ms)
    if encrypted_qrcode is not None:
        rule["encryptedQrcode"] = bool(encrypted_qrcode)
    if rule:
        body["rule"] = rule
    if device_ids:
        body["deviceIds"] = list(device_ids)
    return _call("issue_credential", personId=person_id, body=body)


def revoke_credential(credential_id: str) -> Call:
    return _call("revoke_credential", credentialId=credential_id)


# -- panel directory, announcements, elevator configuration -----------------------------------

def contacts(device_id: str) -> Call:
    """→ `[{name, room, number}]`."""
    return _call("contacts", deviceId=device_id)


def push_contacts(device_id: str, entries: Iterable[Mapping[str, Any]]) -> Call:
    """Replaces the panel's directory: `[{name, room, number}]`."""
    return _call("push_contacts", deviceId=device_id,
                 body=[{"name": e.get("name"), "room": e.get("room"), "number": e.get("number")}
                       for e in entries])


def announcements(page: int, size: int = PAGE_SIZE) -> Call:
    return _call("announcements", query=page_query(page, size))


def announce(title: str, content: str, device_ids: Sequence[str], *, effective_ms: int,
             expired_ms: int) -> Call:
    """`{title, content, deviceIds, effectiveTime, expiredTime}` → `{id, ...}`."""
    return _call("announce", body={"title": title, "content": content,
                                   "deviceIds": list(device_ids),
                                   "effectiveTime": int(effective_ms),
                                   "expiredTime": int(expired_ms)})


def withdraw_announcement(announcement_id: str) -> Call:
    return _call("withdraw_announcement", announcementId=announcement_id)


def elevator_config(person_id: str) -> Call:
    """→ `{personId, floors: [...]}`."""
    return _call("elevator_config", personId=person_id)


def set_elevator_config(person_id: str, floors: Iterable[int]) -> Call:
    return _call("set_elevator_config", personId=person_id,
                 body={"floors": sorted({int(f) for f in floors})})


# -- message subscription (a pull consumer over the same signed HTTPS) ------------------------

def create_consumer() -> Call:
    """→ `{consumerId}`; needs the app's message-subscription permission (else 403)."""
    return _call("create_consumer", body={})


def pull(consumer_id: str, *, max_messages: int = MAX_PULL, wait_seconds: float = 20) -> Call:
    """Long poll. → `[{messageId, topic, time, payload}]` (possibly empty); 404 once the
    consumer is gone. Messages not committed come again after the redelivery delay (30 s)."""
    return _call("pull", consumerId=consumer_id,
                 body={"max": int(max_messages),
                       "waitSeconds": max(0, min(int(wait_seconds), MAX_WAIT_SECONDS))})


def commit(consumer_id: str, message_ids: Sequence[str]) -> Call:
    """`{messageIds}` → `{committed: n}`."""
    return _call("commit", consumerId=consumer_id, body={"messageIds": list(message_ids)})


def delete_consumer(consumer_id: str) -> Call:
    return _call("delete_consumer", consumerId=consumer_id)
