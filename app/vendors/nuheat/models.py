"""What the Nuheat OpenAPI v1 says about accounts, groups, thermostats, schedules and energy.

Field names follow the API's models (AccountModel, GroupModel, ThermostatModel, ...) one to
one, in snake_case (`setPointTemp` is `set_point_temp`); `from_api` reads the JSON and
`to_api` writes it back with the documented camelCase keys.

Temperatures travel as hundredths of a degree Celsius (2150 is 21.5 °C; the app shows 61 °F
for a stored 1607). They stay in hundredths inside the models and are converted only at the
edge, with the helpers below, to whatever scale the user chose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any, Mapping

from app.core.errors import ProtocolError

# -- temperatures -----------------------------------------------------------------------

# The Nuheat apps accept set points from 5 to 70 °C.
SET_POINT_MIN = 500
SET_POINT_MAX = 7000


class TemperatureScale(str, Enum):
    CELSIUS = "Celsius"
    FAHRENHEIT = "Fahrenheit"

    @classmethod
    def parse(cls, value: Any) -> TemperatureScale:
        if isinstance(value, cls):
            return value
        text = str(value or "").strip().lower()
        if text in ("fahrenheit", "f", "°f"):
            return cls.FAHRENHEIT
        return cls.CELSIUS  # the API's default, and the safe reading of anything unknown


def centi_to_celsius(centi: int | float) -> float:
    return centi / 100.0


def celsius_to_centi(celsius: float) -> int:
    return int(round(celsius * 100))


def centi_to_fahrenheit(centi: int | float) -> float:
    return centi / 100.0 * 9.0 / 5.0 + 32.0


def fahrenheit_to_centi(fahrenheit: float) -> int:
    return int(round((fahrenheit - 32.0) * 5.0 / 9.0 * 100))


def from_centi(centi: int | float, scale: TemperatureScale | str) -> float:
    """Hundredths of °C -> degrees in `scale`."""
    if TemperatureScale.parse(scale) is TemperatureScale.FAHRENHEIT:
        return centi_to_fahrenheit(centi)
    return centi_to_celsius(centi)


def to_centi(degrees: float, scale: TemperatureScale | str) -> int:
    """Degrees in `scale` -> hundredths of °C, as the API wants them."""
    if TemperatureScale.parse(scale) is TemperatureScale.FAHRENHEIT:
        return fahrenheit_to_centi(degrees)
    return celsius_to_centi(degrees)


def format_temperature(centi: int | float | None, scale: TemperatureScale | str) -> str:
    """'21.5 °C' (half degrees, as the thermostat shows) or '61 °F' (whole degrees)."""
    if centi is None:
        return "—"
    if TemperatureScale.parse(scale) is TemperatureScale.FAHRENHEIT:
        return f"{round(centi_to_fahrenheit(centi)):d} °F"
    return f"{round(centi_to_celsius(centi) * 2) / 2:.1f} °C"


def set_point_in_range(centi: int) -> bool:
    return SET_POINT_MIN <= centi <= SET_POINT_MAX


# -- enums ------------------------------------------------------------------------------

class OperatingMode(IntEnum):
    AUTO = 1  # follows ScheduleMode
    MANUAL = 2  # schedule off; only the set point counts


class ScheduleMode(IntEnum):
    AUTO = 1  # schedule decides; set point and hold time ignored
    HOLD = 2  # set point until holdSetPointDateTime (≤ 23 h ahead; default: next event)
    PERMANENT_HOLD = 3  # set point until changed


class ScheduleType(IntEnum):
    WAKE = 0
    LEAVE = 1
    RETURN = 2
    SLEEP = 3


def _enum(kind: type[IntEnum], value: Any) -> IntEnum | int | None:
    """The enum member, or the raw int for a value a newer API added (never fail)."""
    if value is None or value == "":
        return None
    number = _int(value, None)
    if number is None:
        return None
    try:
        return kind(number)
    except ValueError:
        return number


# Beyond what any field of this API holds: a bigger "number" is garbage, not data.
_INT_LIMIT = 10**12


def _int(value: Any, default: Any = 0) -> Any:
    """An int from an int, a finite float or an integer text; `default` for anything else
    (inf, nan, a huge or non-numeric value, a list...)."""
    if isinstance(value, bool) or isinstance(value, int):
        number = int(value)
    elif isinstance(value, float):
        number = int(value) if math.isfinite(value) else None
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:  # also a text of more digits than Python converts
            number = None
    else:
        number = None
    if number is None or abs(number) > _INT_LIMIT:
        return default
    return number


def _float(value: Any, default: float = 0.0) -> float:
    if isinstance(value, (list, dict)):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return number if math.isfinite(number) else default


def _str(value: Any) -> str:
    """Text fields: a text as is, a number written out, anything else (a list, an object) empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def _mapping(raw: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise ProtocolError(f"Nuheat sent {what} that is not an object ({type(raw).__name__}).",
                            hint="Try again later; if it persists, Nuheat's service has a problem.")
    return raw


def _items(raw: Mapping[str, Any], key: str, what: str) -> list[Any]:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ProtocolError(f"Nuheat sent {what} whose {key} is not a list.",
                            hint="Try again later; if it persists, Nuheat's service has a problem.")
    return value


# Real offsets run from -12 to +14 hours; anything else would break time arithmetic later.
_MAX_TZ_HOURS = 18.0


def parse_tz_offset(raw: Any) -> float:
    """tzOffset as hours east of UTC: the API has been seen writing -5.0 and "-05:00".
    Unreadable or impossible values read as 0 (UTC)."""
    if isinstance(raw, bool):
        return 0.0
    if isinstance(raw, (int, float)):
        hours = _float(raw)
    else:
        text = _str(raw).strip()
        if ":" in text:
            sign = -1.0 if text.startswith("-") else 1.0
            whole, _, minutes = text.lstrip("+-").partition(":")
            whole_hours, minute_count = _int(whole, None), _int(minutes, None)
            if whole_hours is None or minute_count is None or not whole.isdigit() or not minutes.isdigit():
                return 0.0
            hours = sign * (whole_hours + minute_count / 60)
        else:
            hours = _float(text)
    return hours if abs(hours) <= _MAX_TZ_HOURS else 0.0


# -- models -----------------------------------------------------------------------------

@dataclass
class AccountModel:
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    use12_hour: bool = False
    temperature_scale: TemperatureScale = TemperatureScale.CELSIUS

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> AccountModel:
        raw = _mapping(raw, "an account")
        return cls(first_name=_str(raw.get("firstName")), last_name=_str(raw.get("lastName")),
                   email=_str(raw.get("email")), use12_hour=bool(raw.get("use12Hour")),
                   temperature_scale=TemperatureScale.parse(raw.get("temperatureScale")))

    def to_api(self) -> dict[str, Any]:
        return {"firstName": self.first_name, "lastName": self.last_name, "email": self.email,
                "use12Hour": self.use12_hour, "temperatureScale": self.temperature_scale.value}


@dataclass
class GroupModel:
    group_id: str
    group_name: str = ""
    away_mode: bool = False
    away_set_point_temp: int | None = None

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> GroupModel:
        raw = _mapping(raw, "a home (group)")
        return cls(group_id=_str(raw.get("groupId")), group_name=_str(raw.get("groupName")),
                   away_mode=bool(raw.get("awayMode")), away_set_point_temp=_int(raw.get("awaySetPointTemp"), None))

    def to_api(self) -> dict[str, Any]:
        return {"groupId": self.group_id, "groupName": self.group_name, "awayMode": self.away_mode,
                "awaySetPointTemp": self.away_set_point_temp}


@dataclass
class ThermostatModel:
    serial_number: str
    name: str = ""
    set_point_temp: int = 0
    schedule_mode: ScheduleMode | int | None = None
    hold_set_point_date_time: str | None = None
    group_id: str | None = None
    sw_version: str = ""
    online: bool = False
    operating_mode: OperatingMode | int | None = None
    is_heating: bool = False
    current_temperature: int = 0
    tz_offset: float = 0.0  # hours east of UTC
    error: Any = None

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> ThermostatModel:
        raw = _mapping(raw, "a thermostat")
        group = _str(raw.get("groupId"))
        return cls(
            serial_number=_str(raw.get("serialNumber")), name=_str(raw.get("name")),
            set_point_temp=_int(raw.get("setPointTemp")),
            schedule_mode=_enum(ScheduleMode, raw.get("scheduleMode")),
            hold_set_point_date_time=_str(raw.get("holdSetPointDateTime")) or None,
            group_id=group or None, sw_version=_str(raw.get("swVersion")),
            online=bool(raw.get("online")), operating_mode=_enum(OperatingMode, raw.get("operatingMode")),
            is_heating=bool(raw.get("isHeating")), current_temperature=_int(raw.get("currentTemperature")),
            tz_offset=parse_tz_offset(raw.get("tzOffset")), error=raw.get("error"))

    def to_api(self) -> dict[str, Any]:
        return {"serialNumber": self.serial_number, "name": self.name, "setPointTemp": self.set_point_temp,
                "scheduleMode": None if self.schedule_mode is None else int(self.schedule_mode),
                "holdSetPointDateTime": self.hold_set_point_date_time, "groupId": self.group_id,
                "swVersion": self.sw_version, "online": self.online,
                "operatingMode": None if self.operating_mode is None else int(self.operating_mode),
                "isHeating": self.is_heating, "currentTemperature": self.current_temperature,
                "tzOffset": self.tz_offset, "error": self.error}


@dataclass
class ThermostatUpdateModel:
    """The body of PUT /api/v1/Thermostat. Build it with `auto()`, `hold()` or `permanent_hold()`."""

    serial_number: str
    set_point_temp: int = 0
    schedule_mode: ScheduleMode = ScheduleMode.AUTO
    hold_set_point_date_time: str | None = None
    name: str | None = None

    @classmethod
    def auto(cls, serial_number: str) -> ThermostatUpdateModel:
        # Auto ignores set point and hold time; the seed's example sends 0 and "".
        return cls(serial_number, 0, ScheduleMode.AUTO, "")

    @classmethod
    def hold(cls, serial_number: str, set_point_temp: int, until: str | None = None) -> ThermostatUpdateModel:
        """Hold `set_point_temp` until `until` (ISO 8601 UTC, ≤ 23 h ahead) or, without it, the next event."""
        return cls(serial_number, set_point_temp, ScheduleMode.HOLD, until)

    @classmethod
    def permanent_hold(cls, serial_number: str, set_point_temp: int) -> ThermostatUpdateModel:
        return cls(serial_number, set_point_temp, ScheduleMode.PERMANENT_HOLD)

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {"serialNumber": self.serial_number, "setPointTemp": self.set_point_temp,
                                "scheduleMode": int(self.schedule_mode)}
        if self.schedule_mode is not ScheduleMode.PERMANENT_HOLD and self.hold_set_point_date_time is not None:
            body["holdSetPointDateTime"] = self.hold_set_point_date_time
        if self.name is not None:
            body["name"] = self.name
        return body


@dataclass
class ScheduleDayEventModel:
    clock: str  # "HH:mm"
    schedule_type: ScheduleType | int
    active: bool = True
    temperature: int = 0

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> ScheduleDayEventModel:
        raw = _mapping(raw, "a schedule event")
        kind = _enum(ScheduleType, raw.get("scheduleType"))
        return cls(clock=_str(raw.get("clock")), schedule_type=-1 if kind is None else kind,
                   active=bool(raw.get("active", True)), temperature=_int(raw.get("temperature")))

    def to_api(self) -> dict[str, Any]:
        return {"clock": self.clock, "scheduleType": int(self.schedule_type), "active": self.active,
                "temperature": self.temperature}

    @property
    def minutes(self) -> int | None:
        """Minutes after midnight, or None when `clock` is not HH:mm."""
        try:
            hours, minutes = self.clock.split(":")
            return int(hours) * 60 + int(minutes)
        except ValueError:
            return None


@dataclass
class ScheduleDayModel:
    week_day: int
    week_day_group_number: int
    events: list[ScheduleDayEventModel] = field(default_factory=list)

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> ScheduleDayModel:
        raw = _mapping(raw, "a schedule day")
        return cls(week_day=_int(raw.get("weekDay")), week_day_group_number=_int(raw.get("weekDayGroupNumber")),
                   events=[ScheduleDayEventModel.from_api(e) for e in _items(raw, "events", "a schedule day")])

    def to_api(self) -> dict[str, Any]:
        return {"weekDay": self.week_day, "weekDayGroupNumber": self.week_day_group_number,
                "events": [e.to_api() for e in self.events]}


@dataclass
class ScheduleModel:
    serial_number: str
    days: list[ScheduleDayModel] = field(default_factory=list)

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> ScheduleModel:
        raw = _mapping(raw, "a schedule")
        return cls(serial_number=_str(raw.get("serialNumber")),
                   days=[ScheduleDayModel.from_api(d) for d in _items(raw, "days", "a schedule")])

    def to_api(self) -> dict[str, Any]:
        return {"serialNumber": self.serial_number, "days": [d.to_api() for d in self.days]}


@dataclass
class EnergyUsageEntry:
    entry: str  # hour (Day), week day (Week) or month 1-12 (the year view)
    minutes: int = 0  # heating relay on
    energy_k_watt_hour: float = 0.0
    charge_k_watt_hour: float = 0.0  # cents in practice

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> EnergyUsageEntry:
        raw = _mapping(raw, "an energy log entry")
        return cls(entry=_str(raw.get("entry")), minutes=_int(raw.get("minutes")),
                   energy_k_watt_hour=_float(raw.get("energyKWattHour")),
                   charge_k_watt_hour=_float(raw.get("chargeKWattHour")))

    def to_api(self) -> dict[str, Any]:
        return {"entry": self.entry, "minutes": self.minutes, "energyKWattHour": self.energy_k_watt_hour,
                "chargeKWattHour": self.charge_k_watt_hour}


@dataclass
class EnergyUsageModel:
    energy_usage_type: str  # "Day" | "Week" | "Month"
    energy_usage_from: str = ""
    energy_usage_to: str = ""
    monday_is_first_day: bool = True
    energy_usage: list[EnergyUsageEntry] = field(default_factory=list)

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> EnergyUsageModel:
        raw = _mapping(raw, "an energy log")
        return cls(energy_usage_type=_str(raw.get("energyUsageType")),
                   energy_usage_from=_str(raw.get("energyUsageFrom")),
                   energy_usage_to=_str(raw.get("energyUsageTo")),
                   monday_is_first_day=bool(raw.get("mondayIsFirstDay", True)),
                   energy_usage=[EnergyUsageEntry.from_api(e)
                                 for e in _items(raw, "energyUsage", "an energy log")])

    def to_api(self) -> dict[str, Any]:
        return {"energyUsageType": self.energy_usage_type, "energyUsageFrom": self.energy_usage_from,
                "energyUsageTo": self.energy_usage_to, "mondayIsFirstDay": self.monday_is_first_day,
                "energyUsage": [e.to_api() for e in self.energy_usage]}

    def in_order(self) -> list[EnergyUsageEntry]:
        """Entries by ascending entry number (the Day log arrives 23 .. 0)."""
        return sorted(self.energy_usage, key=lambda e: (_int(e.entry, 10**6), e.entry))

    @property
    def total_minutes(self) -> int:
        return sum(e.minutes for e in self.energy_usage)

    @property
    def total_kwh(self) -> float:
        return sum(e.energy_k_watt_hour for e in self.energy_usage)

    @property
    def total_charge(self) -> float:
        return sum(e.charge_k_watt_hour for e in self.energy_usage)
