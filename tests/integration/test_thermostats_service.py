"""`ws.thermostats` against the demo site's Nuheat simulator: the list by home, schedules
(read-only after a 405), saving with local rules, modes with their limits, energy, quota,
and live changes made "on the thermostat" reaching subscribers and the feed."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone

import pytest

from app.core.events import Event
from app.services.thermostats import ModeInvalid, ScheduleState, next_change
from app.vendors.nuheat.models import parse_tz_offset
from app.services.workspace import Workspace
from app.vendors.nuheat.client import ScheduleInvalid
from app.vendors.nuheat.models import ScheduleMode, ScheduleModel, TemperatureScale
from tests.integration.conftest import wait_until

MASTER_BATH = "1270337"  # Maple Street, weekday/weekend schedule, tzOffset -05:00
CABIN_BATH = "1270372"  # moved to API v2: schedule endpoints answer 405


@pytest.fixture
async def ws():
    workspace = await Workspace.open(demo=True, store_events=False,
                                     demo_site_options={"live_drift_seconds": None})
    try:
        yield workspace
    finally:
        await workspace.close()


@pytest.fixture
def sim(ws):
    return ws.demo_site.nuheat


async def test_refresh_orders_by_home_then_name_and_notifies(ws):
    heard: list[str] = []
    ws.thermostats.subscribe(heard.append)
    assert not ws.thermostats.loaded
    await ws.thermostats.refresh()
    assert ws.thermostats.loaded and heard == [""]
    items = ws.thermostats.items
    assert len(items) == 12
    keys = [(ws.thermostats.home_name(t.serial_number), t.name) for t in items]
    assert keys == sorted(keys, key=lambda k: (k[0].casefold(), k[1].casefold()))
    assert ws.thermostats.home_name(MASTER_BATH) == "Maple Street"
    assert ws.thermostats.get(MASTER_BATH).tz_offset == -5.0  # "-05:00" on the wire
    assert ws.thermostats.scale is TemperatureScale.CELSIUS
    assert ws.thermostats.quota is not None and ws.thermostats.quota.remaining > 0


async def test_quota_subscribers_hear_every_answer(ws):
    figures = []
    ws.thermostats.subscribe_quota(figures.append)
    await ws.thermostats.refresh()
    assert len(figures) >= 3  # account, groups, thermostats
    assert figures[-1].remaining < figures[0].remaining


async def test_schedule_of_a_v2_thermostat_is_read_only_with_a_reason(ws):
    await ws.thermostats.refresh()
    state = await ws.thermostats.schedule(CABIN_BATH)
    assert isinstance(state, ScheduleState) and state.schedule is None
    assert "API (v2)" in state.read_only_reason and "Nuheat app" in state.read_only_reason
    normal = await ws.thermostats.schedule(MASTER_BATH)
    assert normal.schedule is not None and normal.read_only_reason == ""
    assert len(normal.schedule.days) == 7


async def test_invalid_schedule_is_refused_before_anything_is_sent(ws, sim):
    await ws.thermostats.refresh()
    schedule = (await ws.thermostats.schedule(MASTER_BATH)).schedule
    schedule.days[0].events[0].clock = "06:07"
    puts = sum(1 for r in sim.requests if r.method == "PUT")
    with pytest.raises(ScheduleInvalid) as caught:
        await ws.thermostats.save_schedule(schedule)
    assert caught.value.violations and "15" in caught.value.violations[0].message
    assert sum(1 for r in sim.requests if r.method == "PUT") == puts


async def test_valid_schedule_is_saved_read_back_notified_and_in_the_feed(ws, sim):
    await ws.thermostats.refresh()
    heard, events = [], []
    ws.thermostats.subscribe(heard.append)
    ws.feed.subscribe(events.append)
    schedule = (await ws.thermostats.schedule(MASTER_BATH)).schedule
    for day in schedule.days:
        if day.week_day_group_number == 1:
            day.events[0].clock = "06:00"
            day.events[0].temperature = 2350
    saved = await ws.thermostats.save_schedule(schedule)
    assert saved.days[0].events[0].clock == "06:00"
    assert sim.thermostats[MASTER_BATH].days[0]["events"][0]["temperature"] == 2350
    assert (await ws.thermostats.schedule(MASTER_BATH)).schedule == saved  # cached read-back
    assert MASTER_BATH in heard
    saved_events = [e for e in events if e.kind == "schedule" and e.device == MASTER_BATH]
    assert saved_events and "schedule saved" in saved_events[0].payload["text"]


async def test_set_mode_auto_hold_permanent(ws, sim):
    await ws.thermostats.refresh()
    held = await ws.thermostats.set_mode(MASTER_BATH, ScheduleMode.PERMANENT_HOLD, 2150)
    assert held.schedule_mode == ScheduleMode.PERMANENT_HOLD and held.set_point_temp == 2150
    assert ws.thermostats.get(MASTER_BATH).set_point_temp == 2150

    # Hold without a time: the server's default, the next schedule event; the service
    # computes the same moment from the cached schedule.
    await ws.thermostats.schedule(MASTER_BATH)
    now = datetime.now(timezone.utc)
    expected = ws.thermostats.next_schedule_change(MASTER_BATH, now)
    hold = await ws.thermostats.set_mode(MASTER_BATH, ScheduleMode.HOLD, 1900)
    assert hold.schedule_mode == ScheduleMode.HOLD and hold.set_point_temp == 1900
    server_until = datetime.fromisoformat(hold.hold_set_point_date_time.replace("Z", "+00:00"))
    assert expected is not None and server_until == expected
    assert ws.thermostats.mode_text(MASTER_BATH).startswith("Hold until ")

    until = now + timedelta(hours=2)
    hold = await ws.thermostats.set_mode(MASTER_BATH, ScheduleMode.HOLD, 2000, until=until)
    assert hold.hold_set_point_date_time == until.strftime("%Y-%m-%dT%H:%M:%SZ")

    auto = await ws.thermostats.set_mode(MASTER_BATH, ScheduleMode.AUTO)
    assert auto.schedule_mode == ScheduleMode.AUTO and auto.hold_set_point_date_time is None


async def test_a_mode_change_nuheat_accepted_is_not_reported_as_failed_when_the_read_back_fails(ws, sim):
    await ws.thermostats.refresh()
    sim.faults.http_status_for_method["GET"] = 503
    try:
        held = await ws.thermostats.set_mode(MASTER_BATH, ScheduleMode.PERMANENT_HOLD, 2250)
    finally:
        sim.faults.http_status_for_method.clear()
    assert sim.thermostat(MASTER_BATH).setPointTemp == 2250  # the thermostat has it
    assert held.schedule_mode == ScheduleMode.PERMANENT_HOLD and held.set_point_temp == 2250
    assert ws.thermostats.get(MASTER_BATH).set_point_temp == 2250


async def test_set_mode_refuses_what_the_thermostat_would_refuse(ws, sim):
    await ws.thermostats.refresh()
    puts = sum(1 for r in sim.requests if r.method == "PUT")
    now = datetime.now(timezone.utc)
    with pytest.raises(ModeInvalid) as too_long:
        await ws.thermostats.set_mode(MASTER_BATH, ScheduleMode.HOLD, 2000, until=now + timedelta(hours=24))
    assert "at most 23 hours" in too_long.value.message and "Permanent hold" in too_long.value.hint
    with pytest.raises(ModeInvalid, match="future"):
        await ws.thermostats.set_mode(MASTER_BATH, ScheduleMode.HOLD, 2000, until=now - timedelta(minutes=1))
    with pytest.raises(ModeInvalid) as too_hot:
        await ws.thermostats.set_mode(MASTER_BATH, ScheduleMode.PERMANENT_HOLD, 7500)
    assert "75.0 °C" in too_hot.value.message and "5.0 °C" in too_hot.value.hint
    assert sum(1 for r in sim.requests if r.method == "PUT") == puts


async def test_energy_views(ws):
    await ws.thermostats.refresh()
    day = await ws.thermostats.energy(MASTER_BATH, "day", date(2026, 11, 20))
    assert day.energy_usage_type == "Day" and len(day.energy_usage) == 24
    week = await ws.thermostats.energy(MASTER_BATH, "week", date(2026, 11, 20))
    assert week.energy_usage_type == "Week" and len(week.energy_usage) == 7
    year = await ws.thermostats.energy(MASTER_BATH, "month", date(2026, 3, 5))
    assert year.energy_usage_type == "Month" and year.energy_usage_from == "2026-01-01"
    assert year.total_charge > 0  # the demo account has a kWh rate


async def test_change_on_the_thermostat_reaches_subscribers_and_the_feed(ws, sim):
    await ws.thermostats.refresh()
    statuses, heard, events = [], [], []
    ws.thermostats.subscribe_status(lambda status, message: statuses.append(status))
    ws.thermostats.subscribe(heard.append)
    ws.feed.subscribe(events.append)
    await ws.thermostats.start_live()
    await ws.thermostats.wait_live_online(10)
    assert ws.thermostats.live_status == "online" and "online" in statuses

    sim.change_on_thermostat(MASTER_BATH, currentTemperature=1733)
    await wait_until(lambda: ws.thermostats.get(MASTER_BATH).current_temperature == 1733, timeout=6)
    assert MASTER_BATH in heard
    await wait_until(lambda: any(e.kind == "thermostat" and e.device == MASTER_BATH for e in events))
    event = next(e for e in events if e.kind == "thermostat" and e.device == MASTER_BATH)
    assert event.vendor == "nuheat"
    assert event.payload["text"].startswith("Master Bath: 17.5 °C, set point")

    # A schedule changed elsewhere (another app) is re-read into the cache.
    await ws.thermostats.schedule(MASTER_BATH)
    sim.thermostats[MASTER_BATH].days[0]["events"][0]["temperature"] = 2450
    sim.changed(3, MASTER_BATH)
    await wait_until(lambda: ws.thermostats.cached_schedule(MASTER_BATH).schedule.days[0].events[0].temperature
                     == 2450, timeout=6)
    await wait_until(lambda: any(e.kind == "schedule" and "schedule changed" in e.payload.get("text", "")
                                 for e in events))

    await ws.thermostats.stop_live()
    assert ws.thermostats.live_status == "stopped"


async def test_sign_out_clears_and_stops_live(ws):
    await ws.thermostats.refresh()
    await ws.thermostats.start_live()
    await ws.thermostats.wait_live_online(10)
    heard: list[str] = []
    ws.thermostats.subscribe(heard.append)
    await ws.sign_out_nuheat()
    assert not ws.nuheat.signed_in
    assert ws.thermostats.items == [] and not ws.thermostats.loaded and heard == [""]
    assert ws.thermostats.live_status == "stopped"


def test_next_change_in_the_thermostat_time_zone():
    schedule = ScheduleModel.from_api({"serialNumber": "1", "days": [
        {"weekDay": d, "weekDayGroupNumber": 1, "events": [
            {"clock": "06:30", "scheduleType": 0, "active": True, "temperature": 2200},
            {"clock": "08:00", "scheduleType": 1, "active": False, "temperature": 1800},
            {"clock": "01:00", "scheduleType": 3, "active": True, "temperature": 1800}]}
        for d in range(1, 8)]})
    tz = timezone(timedelta(hours=parse_tz_offset("-05:00")))
    # 07:00 local on a Monday: WAKE has passed, LEAVE is inactive, SLEEP is tonight at 01:00.
    now = datetime(2026, 11, 23, 7, 0, tzinfo=tz)
    assert next_change(schedule, tz, now) == datetime(2026, 11, 24, 1, 0, tzinfo=tz)
    assert next_change(schedule, tz, datetime(2026, 11, 24, 2, 0, tzinfo=tz)) == \
        datetime(2026, 11, 24, 6, 30, tzinfo=tz)
    assert parse_tz_offset(-5.0) == -5.0 and parse_tz_offset("+05:30") == 5.5 and parse_tz_offset(None) == 0.0


async def test_saving_a_v2_schedule_turns_the_state_read_only(ws, sim):
    await ws.thermostats.refresh()
    schedule = (await ws.thermostats.schedule(MASTER_BATH)).schedule
    schedule.serial_number = CABIN_BATH
    from app.vendors.nuheat.client import ScheduleReadOnly

    with pytest.raises(ScheduleReadOnly):
        await ws.thermostats.save_schedule(schedule)
    assert ws.thermostats.cached_schedule(CABIN_BATH).read_only_reason


async def test_repeated_notifications_become_one_event_and_a_reconnect_reads_everything(ws, sim):
    await ws.thermostats.refresh()
    events: list[Event] = []
    ws.feed.subscribe(events.append)
    await ws.thermostats.start_live()
    await ws.thermostats.wait_live_online(10)
    sim.faults.notify_twice = True
    sim.change_on_thermostat(MASTER_BATH, currentTemperature=1844)
    await wait_until(lambda: any(e.kind == "thermostat" for e in events), timeout=6)
    await asyncio.sleep(1.5)  # past the debounce: a second event would have arrived by now
    assert len([e for e in events if e.kind == "thermostat" and e.device == MASTER_BATH]) == 1

    # A change while the socket is down is never notified; the resync after reconnecting reads it.
    statuses: list[str] = []
    ws.thermostats.subscribe_status(lambda status, message: statuses.append(status))
    sim.thermostats[MASTER_BATH].name = "Main Bath"  # changed without a notification
    await sim.hub.drop_connections()
    await wait_until(lambda: "reconnecting" in statuses and statuses[-1] == "online", timeout=10)
    await wait_until(lambda: ws.thermostats.get(MASTER_BATH).name == "Main Bath", timeout=5)


async def test_a_refused_live_sign_in_is_signed_out_until_the_user_signs_out_and_in(ws, sim):
    await ws.thermostats.refresh()
    await ws.thermostats.start_live()
    await ws.thermostats.wait_live_online(10)
    sim.revoke_user_grants(sim.username)
    sim.expire_access_tokens()
    await sim.hub.drop_connections()
    await wait_until(lambda: ws.thermostats.live_status == "signed_out", timeout=10)
    assert "sign" in ws.thermostats.live_message.lower()
    await ws.sign_out_nuheat()
    assert ws.thermostats.live_status == "stopped"  # a fresh sign-in may start it again
    await ws.thermostats.refresh()  # the demo site signs in again on demand
    await ws.thermostats.start_live()
    await ws.thermostats.wait_live_online(10)
