"""`sitekit nuheat …`: the Nuheat commands, on the same services the GUI uses.

Temperatures are shown and read in the account's scale (°C or °F); the API itself always
speaks hundredths of a degree Celsius.
"""

from __future__ import annotations

import json
import sys
import webbrowser
from datetime import datetime, time, timedelta, timezone

from app.cli import print_json
from app.cli_support import run_with_workspace
from app.core.errors import ConfigError
from app.services.workspace import Workspace
from app.vendors.nuheat import schedule_rules
from app.vendors.nuheat.models import (
    EnergyUsageModel, OperatingMode, ScheduleMode, ScheduleModel, ScheduleType, TemperatureScale,
    ThermostatModel, ThermostatUpdateModel, format_temperature, from_centi, set_point_in_range, to_centi)

MODE_NAMES = {ScheduleMode.AUTO: "Auto", ScheduleMode.HOLD: "Hold", ScheduleMode.PERMANENT_HOLD: "Permanent hold"}


async def run(args) -> int:
    return await run_with_workspace(args, ACTIONS[args.action])


def _open_browser(url: str) -> None:
    # Also print the address: on a headless laptop or over SSH no browser opens.
    print(f"Opening the Nuheat sign-in page in your browser. If nothing opens, visit:\n{url}",
          file=sys.stderr, flush=True)
    webbrowser.open(url)


async def _login(ws: Workspace, args) -> int:
    simulated = ws.profile.nuheat is not None and ws.profile.nuheat.demo_credentials is not None
    await ws.nuheat.sign_in(None if simulated else _open_browser)
    account = await ws.nuheat.client.account()
    if args.json:
        print_json({"signed_in": True, "account": account.email, "site": ws.profile.label,
                    "temperature_scale": account.temperature_scale.value})
    else:
        print(f"Signed in to Nuheat as {account.email} ({ws.profile.label}).")
    return 0


async def _find(ws: Workspace, which: str) -> ThermostatModel:
    """A thermostat by serial number or (case-insensitive) name."""
    client = await ws.nuheat.ensure_signed_in()
    thermostats = await client.thermostats()
    for thermostat in thermostats:
        if thermostat.serial_number == which:
            return thermostat
    named = [t for t in thermostats if t.name.casefold() == which.casefold()]
    if len(named) == 1:
        return named[0]
    raise ConfigError(f"No thermostat {which!r} on this Nuheat account.",
                      hint="Use a serial number from `sitekit nuheat thermostats`.")


def _mode_text(t: ThermostatModel) -> str:
    if t.operating_mode == OperatingMode.MANUAL:
        return "Manual"
    mode = MODE_NAMES.get(t.schedule_mode, "—") if t.schedule_mode is not None else "—"
    if t.schedule_mode == ScheduleMode.HOLD and t.hold_set_point_date_time:
        mode += f" until {t.hold_set_point_date_time}"
    return mode


def _degrees(centi: int, scale: TemperatureScale) -> float:
    value = from_centi(centi, scale)
    return round(value) if scale is TemperatureScale.FAHRENHEIT else round(value * 2) / 2


async def _thermostats(ws: Workspace, args) -> int:
    client = await ws.nuheat.ensure_signed_in()
    scale = await ws.nuheat.temperature_scale()
    thermostats = await client.thermostats()
    if args.json:
        print_json([{"serial_number": t.serial_number, "name": t.name, "online": t.online,
                     "heating": t.is_heating, "mode": _mode_text(t),
                     "temperature_scale": scale.value,
                     "current_temperature": _degrees(t.current_temperature, scale),
                     "set_point": _degrees(t.set_point_temp, scale),
                     "error": t.error} for t in thermostats])
        return 0
    rows = [("SERIAL", "NAME", "NOW", "SET POINT", "HEATING", "ONLINE", "MODE")]
    rows += [(t.serial_number, t.name, format_temperature(t.current_temperature, scale),
              format_temperature(t.set_point_temp, scale), "yes" if t.is_heating else "no",
              "yes" if t.online else "no", _mode_text(t) + (f" ({t.error})" if t.error else ""))
             for t in thermostats]
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:6])) + "  " + row[6])
    return 0


def _hold_until(text: str) -> str:
    """ISO 8601 (a time zone, or local time) or HH:MM (the next such local time), as UTC."""
    text = text.strip()
    try:
        if len(text) <= 5 and ":" in text:
            clock = time.fromisoformat(text.zfill(5))
            now = datetime.now().astimezone()
            when = now.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)
            if when <= now:
                when += timedelta(days=1)
        else:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.astimezone()  # the laptop's local time
    except ValueError:
        raise ConfigError(f"Cannot read the hold time {text!r}.",
                          hint="Give HH:MM (local) or an ISO 8601 date and time, e.g. 2026-11-23T18:00.") from None
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _set(ws: Workspace, args) -> int:
    thermostat = await _find(ws, args.serial)
    scale = await ws.nuheat.temperature_scale()
    unit = "°F" if scale is TemperatureScale.FAHRENHEIT else "°C"
    if args.auto:
        update = ThermostatUpdateModel.auto(thermostat.serial_number)
    else:
        if args.temp is None:
            raise ConfigError("Give the set point with --temp.", hint=f"In {unit}, e.g. --temp 21.5.")
        centi = to_centi(args.temp, scale)
        if not set_point_in_range(centi):
            raise ConfigError(f"{args.temp:g} {unit} is outside the thermostat's range.",
                              hint=f"Choose between {format_temperature(500, scale)} and "
                                   f"{format_temperature(7000, scale)}.")
        if args.permanent:
            update = ThermostatUpdateModel.permanent_hold(thermostat.serial_number, centi)
        else:
            update = ThermostatUpdateModel.hold(thermostat.serial_number, centi, _hold_until(args.hold))
    await ws.nuheat.client.update_thermostat(update)
    after = await ws.nuheat.client.thermostat(thermostat.serial_number)
    if args.json:
        print_json({"serial_number": after.serial_number, "name": after.name, "mode": _mode_text(after),
                    "set_point": _degrees(after.set_point_temp, scale), "temperature_scale": scale.value})
    else:
        print(f"{after.name}: {_mode_text(after)}, set point {format_temperature(after.set_point_temp, scale)}")
    return 0


def _schedule_lines(schedule: ScheduleModel, scale: TemperatureScale) -> list[str]:
    lines = []
    for day in sorted(schedule.days, key=lambda d: d.week_day):
        events = []
        for event in day.events:
            kind = event.schedule_type.name if isinstance(event.schedule_type, ScheduleType) else "?"
            off = "" if event.active else " (off)"
            events.append(f"{kind} {event.clock} {format_temperature(event.temperature, scale)}{off}")
        lines.append(f"{schedule_rules.weekday_name(day.week_day):9}  group {day.week_day_group_number}  "
                     + "  ".join(events))
    return lines


async def _schedule(ws: Workspace, args) -> int:
    if args.schedule_action == "get":
        thermostat = await _find(ws, args.serial)
        schedule = await ws.nuheat.client.schedule(thermostat.serial_number)
        if args.json:
            print_json(schedule.to_api())
        else:
            scale = await ws.nuheat.temperature_scale()
            print(f"{thermostat.name} ({thermostat.serial_number})")
            for line in _schedule_lines(schedule, scale):
                print(line)
        return 0
    return await _schedule_put(ws, args)


def _violation_text(v: schedule_rules.RuleViolation) -> str:
    where = f" (event {v.event_index + 1})" if v.event_index is not None else ""
    return f"  - {v.message}{where} [{v.code}]"


async def _schedule_put(ws: Workspace, args) -> int:
    try:
        raw = json.loads(args.file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"Cannot read {args.file}: {exc.strerror or exc}.") from None
    except ValueError as exc:
        raise ConfigError(f"{args.file} is not JSON ({exc}).",
                          hint="Start from `sitekit nuheat schedule get SERIAL --json`.") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{args.file} does not hold a schedule object.",
                          hint="Start from `sitekit nuheat schedule get SERIAL --json`.")
    thermostat = await _find(ws, args.serial)
    raw["serialNumber"] = thermostat.serial_number  # the command line names the thermostat
    # Checked here, before anything is sent, so every broken rule is listed at once.
    violations = schedule_rules.check_schedule(raw)
    if violations:
        count = len(violations)
        print(f"error: the schedule in {args.file} breaks {count} rule{'s' if count > 1 else ''}; "
              "nothing was sent:", file=sys.stderr)
        for violation in violations:
            print(_violation_text(violation), file=sys.stderr)
        return 1
    await ws.nuheat.client.put_schedule(ScheduleModel.from_api(raw))
    print(f"Saved the schedule of {thermostat.name} ({thermostat.serial_number}).")
    return 0


def _energy_json(usage: EnergyUsageModel) -> dict:
    return {"type": usage.energy_usage_type, "from": usage.energy_usage_from, "to": usage.energy_usage_to,
            "total_kwh": round(usage.total_kwh, 3), "total_minutes": usage.total_minutes,
            "total_charge": round(usage.total_charge, 2),
            "entries": [e.to_api() for e in usage.in_order()]}


async def _energy(ws: Workspace, args) -> int:
    thermostat = await _find(ws, args.serial)
    client = ws.nuheat.client
    if args.year is not None:
        usage = await client.energy_month(thermostat.serial_number, args.year)
        label = "Month"
    elif args.week is not None:
        usage = await client.energy_week(thermostat.serial_number, args.week)
        label = "Day"
    else:
        usage = await client.energy_day(thermostat.serial_number, args.day)
        label = "Hour"
    if args.json:
        print_json({"serial_number": thermostat.serial_number, **_energy_json(usage)})
        return 0
    print(f"{thermostat.name} ({thermostat.serial_number}): {usage.energy_usage_type} "
          f"{usage.energy_usage_from} – {usage.energy_usage_to}")
    has_rates = any(e.charge_k_watt_hour for e in usage.energy_usage)
    print(f"{label:6}  {'kWh':>8}  {'heating':>8}" + ("  cost" if has_rates else ""))
    for entry in usage.in_order():
        cost = f"  {entry.charge_k_watt_hour:.2f}" if has_rates else ""
        print(f"{entry.entry:6}  {entry.energy_k_watt_hour:8.2f}  {entry.minutes:5d} min{cost}")
    cost = f"  {usage.total_charge:.2f}" if has_rates else ""
    print(f"{'total':6}  {usage.total_kwh:8.2f}  {usage.total_minutes:5d} min{cost}")
    return 0


ACTIONS = {"login": _login, "thermostats": _thermostats, "set": _set, "schedule": _schedule,
           "energy": _energy}
