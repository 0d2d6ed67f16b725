"""`sitekit nuheat …`: the Nuheat commands, on the same services the GUI uses.

Temperatures are shown and read in the account's scale (°C or °F); the API itself always
speaks hundredths of a degree Celsius.
"""

from __future__ import annotations

import asyncio
import json
import sys
import webbrowser
from datetime import date, datetime, time, timedelta

from app.cli import print_json, read_secret
from app.cli_support import run_with_workspace
from app.core.errors import ConfigError, SiteKitError
from app.core.events import Event
from app.services.workspace import Workspace
from app.vendors.nuheat import schedule_rules
from app.vendors.nuheat.client import ScheduleReadOnly
from app.vendors.nuheat.models import (
    EnergyUsageModel, ScheduleMode, ScheduleModel, ScheduleType, TemperatureScale, ThermostatModel,
    format_temperature, from_centi, to_centi)


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
    await ws.thermostats.refresh()
    thermostats = ws.thermostats.items
    for thermostat in thermostats:
        if thermostat.serial_number == which:
            return thermostat
    named = [t for t in thermostats if t.name.casefold() == which.casefold()]
    if len(named) == 1:
        return named[0]
    raise ConfigError(f"No thermostat {which!r} on this Nuheat account.",
                      hint="Use a serial number from `sitekit nuheat thermostats`.")


def _degrees(centi: int, scale: TemperatureScale) -> float:
    value = from_centi(centi, scale)
    return round(value) if scale is TemperatureScale.FAHRENHEIT else round(value * 2) / 2


async def _thermostats(ws: Workspace, args) -> int:
    await ws.thermostats.refresh()
    scale = ws.thermostats.scale
    thermostats = ws.thermostats.items
    mode = ws.thermostats.mode_text
    if args.json:
        print_json([{"serial_number": t.serial_number, "name": t.name,
                     "home": ws.thermostats.home_name(t.serial_number), "online": t.online,
                     "heating": t.is_heating, "mode": mode(t.serial_number),
                     "temperature_scale": scale.value,
                     "current_temperature": _degrees(t.current_temperature, scale),
                     "set_point": _degrees(t.set_point_temp, scale),
                     "error": t.error} for t in thermostats])
        return 0
    rows = [("SERIAL", "HOME", "NAME", "NOW", "SET POINT", "HEATING", "ONLINE", "MODE")]
    rows += [(t.serial_number, ws.thermostats.home_name(t.serial_number), t.name,
              format_temperature(t.current_temperature, scale),
              format_temperature(t.set_point_temp, scale), "yes" if t.is_heating else "no",
              "yes" if t.online else "no", mode(t.serial_number) + (f" ({t.error})" if t.error else ""))
             for t in thermostats]
    widths = [max(len(r[i]) for r in rows) for i in range(7)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:7])) + "  " + row[7])
    return 0


def _hold_until(text: str) -> datetime:
    """ISO 8601 (a time zone, or local time) or HH:MM (the next such local time)."""
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
    return when


async def _set(ws: Workspace, args) -> int:
    thermostat = await _find(ws, args.serial)
    scale = ws.thermostats.scale
    unit = "°F" if scale is TemperatureScale.FAHRENHEIT else "°C"
    centi = until = None
    if args.auto:
        mode = ScheduleMode.AUTO
    else:
        if args.temp is None:
            raise ConfigError("Give the set point with --temp.", hint=f"In {unit}, e.g. --temp 21.5.")
        centi = to_centi(args.temp, scale)  # the service checks the range, in the user's unit
        if args.permanent:
            mode = ScheduleMode.PERMANENT_HOLD
        else:
            mode, until = ScheduleMode.HOLD, _hold_until(args.hold)
    after = await ws.thermostats.set_mode(thermostat.serial_number, mode, centi, until)
    shown = ws.thermostats.mode_text(after.serial_number)
    if args.json:
        print_json({"serial_number": after.serial_number, "name": after.name, "mode": shown,
                    "set_point": _degrees(after.set_point_temp, scale), "temperature_scale": scale.value})
    else:
        print(f"{after.name}: {shown}, set point {format_temperature(after.set_point_temp, scale)}")
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
        state = await ws.thermostats.schedule(thermostat.serial_number)
        if state.schedule is None:
            raise ScheduleReadOnly("Nuheat", 405, "", message=f"{thermostat.name}'s schedule is read-only here. "
                                   + state.read_only_reason)
        schedule = state.schedule
        if args.json:
            print_json(schedule.to_api())
        else:
            scale = ws.thermostats.scale
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
    await ws.thermostats.save_schedule(ScheduleModel.from_api(raw))
    print(f"Saved the schedule of {thermostat.name} ({thermostat.serial_number}).")
    return 0


def _energy_json(usage: EnergyUsageModel) -> dict:
    return {"type": usage.energy_usage_type, "from": usage.energy_usage_from, "to": usage.energy_usage_to,
            "total_kwh": round(usage.total_kwh, 3), "total_minutes": usage.total_minutes,
            "total_charge": round(usage.total_charge, 2),
            "entries": [e.to_api() for e in usage.in_order()]}


async def _energy(ws: Workspace, args) -> int:
    thermostat = await _find(ws, args.serial)
    serial = thermostat.serial_number
    if args.year is not None:
        usage = await ws.thermostats.energy(serial, "month", date(args.year, 1, 1))
        label = "Month"
    elif args.week is not None:
        usage = await ws.thermostats.energy(serial, "week", args.week)
        label = "Day"
    else:
        usage = await ws.thermostats.energy(serial, "day", args.day)
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


async def _configure(ws: Workspace, args) -> int:
    secret = read_secret("Nuheat client secret (empty: none, a public PKCE client): ", True) \
        if args.client_secret_stdin else None
    # Settings file and keyring writes block (the keyring may be a D-Bus round trip).
    await asyncio.to_thread(ws.nuheat.configure, client_id=args.client_id, client_secret=secret)
    if secret is None:
        said = "kept the stored client secret, if any"
    elif secret.strip():
        said = "stored the client secret in the secret store"
    else:
        said = "forgot the client secret (a public PKCE client)"
    print(f"Saved the Nuheat client ID in settings and {said}.")
    print(ws.secrets.location)
    return 0


async def _logout(ws: Workspace, args) -> int:
    was_signed_in = ws.nuheat.signed_in
    await ws.sign_out_nuheat()
    if was_signed_in:
        print(f"Signed out of Nuheat on {ws.profile.label}: the sign-in was revoked and forgotten.")
    else:
        print(f"Not signed in to Nuheat on {ws.profile.label}; nothing to forget.")
    return 0


def _watch_line(event: Event) -> str:
    stamp = event.time.astimezone().strftime("%H:%M:%S")
    payload = event.payload or {}
    if event.kind == "connection":
        text = str(payload.get("message") or payload.get("status") or "connection")
    else:
        text = str(payload.get("text") or event.summary())
    return f"{stamp}  {event.kind:10}  {text}"


async def _watch(ws: Workspace, args) -> int:
    """Live changes as they arrive, until Ctrl+C (or --for SECONDS)."""
    await ws.thermostats.refresh()
    done = asyncio.get_running_loop().create_future()

    def show(event: Event) -> None:
        if event.vendor != "nuheat":
            return
        if args.json:
            print_json(event.to_json())
        else:
            print(_watch_line(event), flush=True)
        if event.kind == "connection" and event.payload.get("status") == "signed_out" and not done.done():
            done.set_exception(SiteKitError(str(event.payload.get("message") or "Signed out of Nuheat."),
                                            hint="Sign in again: `sitekit nuheat login`."))

    unsubscribe = ws.feed.subscribe(show)
    try:
        await ws.thermostats.start_live()
        if not args.json:
            print(f"Watching {len(ws.thermostats.items)} thermostats on {ws.profile.label}; "
                  "Ctrl+C stops.", file=sys.stderr, flush=True)
        try:
            await asyncio.wait_for(done, timeout=args.seconds)
        except asyncio.TimeoutError:
            pass
    finally:
        unsubscribe()
        await ws.thermostats.stop_live()
    return 0


ACTIONS = {"login": _login, "thermostats": _thermostats, "set": _set, "schedule": _schedule,
           "energy": _energy, "configure": _configure, "logout": _logout, "watch": _watch}
