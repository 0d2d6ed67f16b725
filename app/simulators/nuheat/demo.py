"""Demo data: accounts, homes (groups), a dozen thermostats with schedules, energy logs.

Everything is deterministic (seeded by serial number and date), so a chart looks the same
every time and tests can rely on the figures being stable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

DEMO_USERNAME = "demo@sitekit.example"
DEMO_PASSWORD = "sitekit-demo"
EMPTY_USERNAME = "empty@sitekit.example"  # an account without thermostats (list -> 404)


@dataclass
class SimUser:
    user_id: str
    username: str
    password: str
    first_name: str
    last_name: str
    use12Hour: bool = False
    temperatureScale: str = "Celsius"
    # What the energy log needs for kWh and cost (cents per kWh); None: minutes only.
    kilowatt_rate_cents: float | None = None


@dataclass
class SimGroup:
    groupId: str
    groupName: str
    owner: str  # user_id
    awayMode: bool = False
    awaySetPointTemp: int = 1200

    def model(self) -> dict[str, Any]:
        return {"groupId": self.groupId, "groupName": self.groupName, "awayMode": self.awayMode,
                "awaySetPointTemp": self.awaySetPointTemp}


@dataclass
class SimThermostat:
    serialNumber: str
    name: str
    groupId: str
    owner: str
    setPointTemp: int = 2100
    scheduleMode: int = 1
    holdSetPointDateTime: str | None = None
    swVersion: str = "1.0.21"
    online: bool = True
    operatingMode: int = 1
    isHeating: bool = False
    currentTemperature: int = 2050
    tzOffset: str = "-05:00"
    error: str | None = None
    migrated_to_v2: bool = False  # schedule endpoints answer 405
    heated_area_m2: float = 10.0
    watt_density: float = 130.0  # W/m² of the floor heating cable
    last_hold_set_point: int | None = None
    days: list[dict[str, Any]] = field(default_factory=list)

    def model(self) -> dict[str, Any]:
        return {
            "serialNumber": self.serialNumber, "name": self.name, "setPointTemp": self.setPointTemp,
            "scheduleMode": self.scheduleMode, "holdSetPointDateTime": self.holdSetPointDateTime,
            "groupId": self.groupId, "swVersion": self.swVersion, "online": self.online,
            "operatingMode": self.operatingMode, "isHeating": self.isHeating,
            "currentTemperature": self.currentTemperature, "tzOffset": self.tzOffset, "error": self.error,
        }

    def schedule_model(self) -> dict[str, Any]:
        return {"serialNumber": self.serialNumber, "days": [
            {"weekDay": d["weekDay"], "weekDayGroupNumber": d["weekDayGroupNumber"],
             "events": [dict(e) for e in d["events"]]} for d in self.days]}


def _event(clock: str, kind: int, temperature: int, active: bool = True) -> dict[str, Any]:
    return {"clock": clock, "scheduleType": kind, "active": active, "temperature": temperature}


def weekday_weekend_schedule(comfort: int = 2200, setback: int = 1800) -> list[dict[str, Any]]:
    """Mon–Fri in group 1 (leave for work), Sat–Sun in group 2 (home all day)."""
    workday = [_event("06:30", 0, comfort), _event("08:00", 1, setback), _event("17:30", 2, comfort),
               _event("22:30", 3, setback)]
    weekend = [_event("08:00", 0, comfort), _event("10:00", 1, setback, active=False),
               _event("16:00", 2, comfort, active=False), _event("00:30", 3, setback)]
    return [{"weekDay": d, "weekDayGroupNumber": 1 if d <= 5 else 2,
             "events": [dict(e) for e in (workday if d <= 5 else weekend)]} for d in range(1, 8)]


def every_day_schedule(comfort: int = 2100, setback: int = 1700) -> list[dict[str, Any]]:
    events = [_event("07:00", 0, comfort), _event("09:00", 1, setback, active=False),
              _event("17:00", 2, comfort, active=False), _event("23:00", 3, setback)]
    return [{"weekDay": d, "weekDayGroupNumber": 1, "events": [dict(e) for e in events]} for d in range(1, 8)]


def seed_users() -> list[SimUser]:
    return [SimUser("b0f1a3c2-0000-4000-8000-000000000001", DEMO_USERNAME, DEMO_PASSWORD, "Dana", "Demo",
                    kilowatt_rate_cents=14.5),
            SimUser("b0f1a3c2-0000-4000-8000-000000000002", EMPTY_USERNAME, DEMO_PASSWORD, "Evan", "Empty",
                    use12Hour=True, temperatureScale="Fahrenheit")]


def seed_homes(owner: str) -> tuple[list[SimGroup], list[SimThermostat]]:
    """Three homes, twelve thermostats: a house, a cabin (two moved to API v2) and an office."""
    groups = [SimGroup("31742", "Maple Street", owner, awaySetPointTemp=1500),
              SimGroup("31743", "Lakeside Cabin", owner, awayMode=True, awaySetPointTemp=1000),
              SimGroup("31744", "Office", owner, awaySetPointTemp=1300)]
    rooms = [
        ("31742", ["Master Bath", "Kids Bath", "Kitchen", "Mudroom", "Basement"], "-05:00"),
        ("31743", ["Cabin Bath", "Cabin Kitchen", "Sauna Room"], "-06:00"),
        ("31744", ["Reception", "Washroom", "Break Room", "Server Room"], "-05:00"),
    ]
    thermostats: list[SimThermostat] = []
    serial = 1_270_330
    for group_id, names, tz in rooms:
        for name in names:
            serial += 7
            rng = random.Random(serial)
            office = group_id == "31744"
            thermostat = SimThermostat(
                serialNumber=str(serial), name=name, groupId=group_id, owner=owner, tzOffset=tz,
                swVersion=rng.choice(["1.0.21", "1.0.24", "2.3.1"]),
                currentTemperature=rng.randrange(1850, 2350, 5),
                heated_area_m2=round(rng.uniform(4, 18), 1), watt_density=rng.choice([108.0, 130.0, 161.0]),
                days=weekday_weekend_schedule() if not office else every_day_schedule(2000, 1600))
            thermostats.append(thermostat)
    by_name = {t.name: t for t in thermostats}
    by_name["Kitchen"].operatingMode = 2  # Manual: schedule off
    by_name["Kitchen"].setPointTemp = 2300
    by_name["Mudroom"].scheduleMode = 3  # Permanent Hold
    by_name["Mudroom"].setPointTemp = 2400
    by_name["Sauna Room"].online = False
    by_name["Sauna Room"].error = "Floor sensor open"
    by_name["Cabin Bath"].migrated_to_v2 = True
    by_name["Cabin Kitchen"].migrated_to_v2 = True
    return groups, thermostats


def seed_more_homes(owner: str, count: int, *, per_home: int = 10) -> tuple[list[SimGroup], list[SimThermostat]]:
    """`count` more thermostats in extra buildings of `per_home` rooms each (benchmarks, big sites)."""
    groups: list[SimGroup] = []
    thermostats: list[SimThermostat] = []
    serial = 1_400_000
    for index in range(count):
        if index % per_home == 0:
            groups.append(SimGroup(str(41_000 + len(groups)), f"Building {len(groups) + 1}", owner))
        serial += 7
        rng = random.Random(serial)
        thermostats.append(SimThermostat(
            serialNumber=str(serial), name=f"Unit {index % per_home + 1:02d}", groupId=groups[-1].groupId,
            owner=owner, currentTemperature=rng.randrange(1850, 2350, 5),
            heated_area_m2=round(rng.uniform(4, 18), 1), days=weekday_weekend_schedule()))
    return groups, thermostats


# ----- energy ---------------------------------------------------------------------------------

def heating_minutes(serial: str, day: date) -> list[int]:
    """Minutes the heating relay was on, per hour 0–23 of a day: morning and evening peaks,
    more in winter."""
    rng = random.Random(f"{serial}:{day.isoformat()}")
    winter = 1.0 + 0.8 * abs(6.5 - day.month) / 5.5 - 0.4  # 0.6 in summer … 1.4 in winter
    minutes = []
    for hour in range(24):
        base = 8
        if 5 <= hour <= 8:
            base = 38
        elif 17 <= hour <= 21:
            base = 30
        elif hour >= 23 or hour <= 4:
            base = 12
        minutes.append(max(0, min(60, round(base * winter + rng.uniform(-8, 8)))))
    return minutes


def usage_entry(entry: str, minutes: int, thermostat: SimThermostat, user: SimUser) -> dict[str, Any]:
    energy = charge = 0.0
    if user.kilowatt_rate_cents is not None:
        energy = round(minutes / 60 * thermostat.heated_area_m2 * thermostat.watt_density / 1000, 3)
        charge = round(energy * user.kilowatt_rate_cents, 2)
    return {"entry": entry, "minutes": minutes, "energyKWattHour": energy, "chargeKWattHour": charge}


def day_minutes(thermostat: SimThermostat, day: date, today: date) -> list[int]:
    return [0] * 24 if day > today else heating_minutes(thermostat.serialNumber, day)


def energy_day(thermostat: SimThermostat, user: SimUser, day: date, today: date) -> dict[str, Any]:
    minutes = day_minutes(thermostat, day, today)
    return {"energyUsageType": "Day", "energyUsageFrom": day.isoformat(), "energyUsageTo": day.isoformat(),
            "mondayIsFirstDay": True,
            # newest hour first, as in the seed's example
            "energyUsage": [usage_entry(str(h), minutes[h], thermostat, user) for h in range(23, -1, -1)]}


def energy_week(thermostat: SimThermostat, user: SimUser, day: date, today: date) -> dict[str, Any]:
    monday = day - timedelta(days=day.weekday())
    entries = []
    for offset in range(7):
        current = monday + timedelta(days=offset)
        entries.append(usage_entry(str(offset + 1), sum(day_minutes(thermostat, current, today)), thermostat, user))
    return {"energyUsageType": "Week", "energyUsageFrom": monday.isoformat(),
            "energyUsageTo": (monday + timedelta(days=6)).isoformat(), "mondayIsFirstDay": True,
            "energyUsage": entries}


def energy_month(thermostat: SimThermostat, user: SimUser, year: int, today: date) -> dict[str, Any]:
    entries = []
    for month in range(1, 13):
        current, total = date(year, month, 1), 0
        while current.month == month:
            if current <= today:
                total += sum(heating_minutes(thermostat.serialNumber, current))
            current += timedelta(days=1)
        entries.append(usage_entry(str(month), total, thermostat, user))
    return {"energyUsageType": "Month", "energyUsageFrom": f"{year}-01-01", "energyUsageTo": f"{year}-12-31",
            "mondayIsFirstDay": True, "energyUsage": entries}
