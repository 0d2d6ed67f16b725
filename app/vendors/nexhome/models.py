"""Typed NEXhome records, parsed tolerantly.

The endpoint model is SiteKit's guess until NEXhome publishes its list (endpoints.py), so
parsing never fails on a missing or oddly typed field: ids become strings, unknown device
types and topics are kept as they came, missing values take neutral defaults. Times are
Unix milliseconds on the wire and aware UTC datetimes here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

DOOR_STATION, INDOOR_MONITOR = "DOOR_STATION", "INDOOR_MONITOR"
ACCESS_CONTROLLER, ELEVATOR_CONTROLLER = "ACCESS_CONTROLLER", "ELEVATOR_CONTROLLER"
DEVICE_TYPE_NAMES = {DOOR_STATION: "door station", INDOOR_MONITOR: "indoor monitor",
                     ACCESS_CONTROLLER: "access controller",
                     ELEVATOR_CONTROLLER: "elevator controller"}


def _str(value: Any, default: str = "") -> str:
    if value is None or isinstance(value, (dict, list)):
        return default
    return str(value)


def _int(value: Any, default: int | None = None) -> int | None:
    if isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # JSON Infinity is a float
        return default


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "online")
    return bool(value)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def from_ms(value: Any) -> datetime | None:
    ms = _int(value)
    if ms is None:
        return None
    try:
        return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class Location:
    building: str = ""
    unit: str = ""
    floor: str = ""

    @classmethod
    def from_api(cls, raw: Any) -> Location:
        raw = _map(raw)
        return cls(_str(raw.get("building")), _str(raw.get("unit")), _str(raw.get("floor")))

    def text(self) -> str:
        parts = [f"building {self.building}" if self.building else "",
                 f"unit {self.unit}" if self.unit else "",
                 f"floor {self.floor}" if self.floor else ""]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Device:
    id: str
    sn: str = ""
    name: str = ""
    type: str = ""
    online: bool = False
    location: Location = field(default_factory=Location)
    access_ids: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, raw: Any) -> Device:
        raw = _map(raw)
        return cls(id=_str(raw.get("id")), sn=_str(raw.get("sn")), name=_str(raw.get("name")),
                   type=_str(raw.get("type")).upper(), online=_bool(raw.get("online")),
                   location=Location.from_api(raw.get("location")),
                   access_ids=tuple(_str(a) for a in _list(raw.get("accessIds")) if _str(a)),
                   features=tuple(_str(f).upper() for f in _list(raw.get("features"))),
                   raw=dict(raw))

    @property
    def type_name(self) -> str:
        return DEVICE_TYPE_NAMES.get(self.type, self.type.lower().replace("_", " ") or "device")

    @property
    def supports_face(self) -> bool:
        return "FACE" in self.features

    @property
    def display_name(self) -> str:
        return self.name or self.sn or self.id


@dataclass(frozen=True)
class Door:
    """An access point: a lock a door station or access controller opens."""
    id: str
    name: str = ""
    device_id: str = ""
    online: bool = False

    @classmethod
    def from_api(cls, raw: Any) -> Door:
        raw = _map(raw)
        return cls(_str(raw.get("id")), _str(raw.get("name")), _str(raw.get("deviceId")),
                   _bool(raw.get("online")))


@dataclass(frozen=True)
class UnlockResult:
    access_id: str
    result: str
    request_id: str

    @property
    def opened(self) -> bool:
        return self.result.upper() == "OPENED"


@dataclass(frozen=True)
class ElevatorCallResult:
    device_id: str
    from_floor: int | None
    to_floor: int | None
    result: str
    request_id: str


@dataclass(frozen=True)
class Person:
    id: str
    name: str = ""
    phone: str = ""
    room_ids: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, raw: Any) -> Person:
        raw = _map(raw)
        return cls(_str(raw.get("id")), _str(raw.get("name")), _str(raw.get("phone")),
                   tuple(_str(r) for r in _list(raw.get("roomIds")) if _str(r)))


@dataclass(frozen=True)
class Room:
    id: str
    name: str = ""
    building: str = ""
    unit: str = ""
    floor: str = ""
    number: str = ""

    @classmethod
    def from_api(cls, raw: Any) -> Room:
        raw = _map(raw)
        return cls(_str(raw.get("id")), _str(raw.get("name")), _str(raw.get("building")),
                   _str(raw.get("unit")), _str(raw.get("floor")), _str(raw.get("number")))


@dataclass(frozen=True)
class CredentialRule:
    effective: datetime | None = None
    expired: datetime | None = None
    encrypted_qrcode: bool | None = None

    @classmethod
    def from_api(cls, raw: Any) -> CredentialRule:
        raw = _map(raw)
        encrypted = raw.get("encryptedQrcode")
        return cls(from_ms(raw.get("effectiveTime")), from_ms(raw.get("expiredTime")),
                   None if encrypted is None else _bool(encrypted))


@dataclass(frozen=True)
class Credential:
    id: str
    person_id: str = ""
    type: str = ""
    content: str = ""  # the PIN digits, card number or QR payload (a secret: never logged)
    rule: CredentialRule = field(default_factory=CredentialRule)
    device_ids: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, raw: Any) -> Credential:
        raw = _map(raw)
        return cls(_str(raw.get("id")), _str(raw.get("personId")), _str(raw.get("type")).upper(),
                   _str(raw.get("content")), CredentialRule.from_api(raw.get("rule")),
                   tuple(_str(d) for d in _list(raw.get("deviceIds")) if _str(d)))

    def __repr__(self) -> str:
        return f"Credential(id={self.id!r}, person_id={self.person_id!r}, type={self.type!r})"


@dataclass(frozen=True)
class Contact:
    """One line of a panel's directory."""
    name: str
    room: str = ""
    number: str = ""

    @classmethod
    def from_api(cls, raw: Any) -> Contact:
        raw = _map(raw)
        return cls(_str(raw.get("name")), _str(raw.get("room")), _str(raw.get("number")))

    def to_api(self) -> dict[str, str]:
        return {"name": self.name, "room": self.room, "number": self.number}


@dataclass(frozen=True)
class Announcement:
    id: str
    title: str = ""
    content: str = ""
    device_ids: tuple[str, ...] = ()
    effective: datetime | None = None
    expired: datetime | None = None

    @classmethod
    def from_api(cls, raw: Any) -> Announcement:
        raw = _map(raw)
        return cls(_str(raw.get("id")), _str(raw.get("title")), _str(raw.get("content")),
                   tuple(_str(d) for d in _list(raw.get("deviceIds")) if _str(d)),
                   from_ms(raw.get("effectiveTime")), from_ms(raw.get("expiredTime")))


@dataclass(frozen=True)
class ElevatorConfig:
    person_id: str
    floors: tuple[int, ...] = ()

    @classmethod
    def from_api(cls, raw: Any, person_id: str = "") -> ElevatorConfig:
        raw = _map(raw)
        floors = (_int(f) for f in _list(raw.get("floors")))
        return cls(_str(raw.get("personId"), person_id), tuple(f for f in floors if f is not None))


@dataclass(frozen=True)
class AccessRecord:
    access_id: str = ""
    device_id: str = ""
    person_id: str = ""
    credential_type: str = ""
    result: str = ""  # GRANTED | DENIED
    reason: str = ""

    @classmethod
    def from_api(cls, raw: Any) -> AccessRecord:
        raw = _map(raw)
        return cls(_str(raw.get("accessId")), _str(raw.get("deviceId")),
                   _str(raw.get("personId")), _str(raw.get("credentialType")).upper(),
                   _str(raw.get("result")).upper(), _str(raw.get("reason")))

    @property
    def granted(self) -> bool:
        return self.result == "GRANTED"


@dataclass(frozen=True)
class CallLog:
    device_id: str = ""
    caller: str = ""
    callee: str = ""
    start: datetime | None = None
    duration_seconds: int = 0
    answered: bool = False

    @classmethod
    def from_api(cls, raw: Any) -> CallLog:
        raw = _map(raw)
        return cls(_str(raw.get("deviceId")), _str(raw.get("caller")), _str(raw.get("callee")),
                   from_ms(raw.get("startTime")), _int(raw.get("durationSeconds"), 0) or 0,
                   _bool(raw.get("answered")))


@dataclass(frozen=True)
class Message:
    """One message of the subscription; `record` is the parsed payload for known topics."""
    id: str
    topic: str
    time: datetime | None
    payload: Mapping[str, Any]

    @classmethod
    def from_api(cls, raw: Any) -> Message:
        raw = _map(raw)
        return cls(_str(raw.get("messageId")), _str(raw.get("topic")).upper(),
                   from_ms(raw.get("time")), dict(_map(raw.get("payload"))))

    @property
    def record(self) -> AccessRecord | CallLog | None:
        if self.topic == "ACCESS_RECORD":
            return AccessRecord.from_api(self.payload)
        if self.topic == "CALL_LOG":
            return CallLog.from_api(self.payload)
        return None


@dataclass(frozen=True)
class Page:
    total: int | None  # None: the reply did not say
    page: int
    size: int
    elements: list[Any]

    @classmethod
    def from_api(cls, raw: Any) -> Page:
        raw = _map(raw)
        elements = raw.get("elements")
        return cls(_int(raw.get("total")), _int(raw.get("page"), 0) or 0,
                   _int(raw.get("size"), 0) or 0, _list(elements))
