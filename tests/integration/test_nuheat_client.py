"""The Nuheat OpenAPI v1 client against the simulator: models, modes, schedules, 405, rate limits, 401."""

from __future__ import annotations

import asyncio
import copy
from datetime import date

import aiohttp
import pytest

from app.core.errors import AuthError, RateLimited
from app.core.ratelimit import Window
from app.simulators.nuheat import EMPTY_USERNAME, RateLimit
from app.vendors.nuheat.auth import NuheatAuth
from app.vendors.nuheat.client import NotFound, NuheatClient, ScheduleInvalid, ScheduleReadOnly
from app.vendors.nuheat.models import (
    OperatingMode, ScheduleMode, ScheduleType, ThermostatUpdateModel)
from tests.integration.test_nuheat_auth import login_filler


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as http:
        yield http


async def signed_in(sim, session, username=None, **client_options):
    auth = NuheatAuth(session, issuer=sim.issuer, client_id=sim.public_client_id)
    await auth.sign_in(login_filler(username or sim.username, sim.password), timeout=10)
    return NuheatClient(session, auth, api=sim.api, **client_options)


def max_in_any_window(times, period):
    times, best, start = sorted(times), 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= period:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_reads_every_model(nuheat_sim, session):
    client = await signed_in(nuheat_sim, session)
    account = await client.account()
    assert account.email == nuheat_sim.username
    groups = await client.groups()
    assert groups and (await client.group(groups[0].group_id)).group_name == groups[0].group_name
    thermostats = await client.thermostats()
    assert sorted(t.serial_number for t in thermostats) == sorted(nuheat_sim.demo_serials())
    first = thermostats[0]
    one = await client.thermostat(first.serial_number)
    assert one.serial_number == first.serial_number and one.operating_mode in (OperatingMode.AUTO,
                                                                                OperatingMode.MANUAL)
    assert 500 <= one.set_point_temp <= 7000
    day = await client.energy_day(first.serial_number, date(2026, 11, 20))
    assert day.energy_usage_type == "Day" and len(day.energy_usage) == 24
    week = await client.energy_week(first.serial_number, date(2026, 11, 20))
    assert week.energy_usage_type == "Week" and len(week.energy_usage) == 7
    year = await client.energy_month(first.serial_number, 2025)
    assert year.energy_usage_type == "Month" and len(year.energy_usage) == 12
    assert client.quota is not None and client.quota.period == "7d" and client.quota.remaining < 250_000


async def test_unknown_and_empty(nuheat_sim, session):
    client = await signed_in(nuheat_sim, session)
    with pytest.raises(NotFound):
        await client.thermostat("does-not-exist")
    empty = await signed_in(nuheat_sim, session, username=EMPTY_USERNAME)
    assert await empty.thermostats() == []


async def test_modes(nuheat_sim, session):
    client = await signed_in(nuheat_sim, session)
    serial = next(t.serial_number for t in await client.thermostats() if t.operating_mode == OperatingMode.AUTO)
    await client.update_thermostat(ThermostatUpdateModel.permanent_hold(serial, 2350))
    t = await client.thermostat(serial)
    assert (t.schedule_mode, t.set_point_temp) == (ScheduleMode.PERMANENT_HOLD, 2350)
    await client.update_thermostat(ThermostatUpdateModel.hold(serial, 1900))
    t = await client.thermostat(serial)
    assert (t.schedule_mode, t.set_point_temp) == (ScheduleMode.HOLD, 1900) and t.hold_set_point_date_time
    await client.update_thermostat(ThermostatUpdateModel.auto(serial))
    assert (await client.thermostat(serial)).schedule_mode == ScheduleMode.AUTO


async def test_schedule_round_trip_and_local_check(nuheat_sim, session):
    client = await signed_in(nuheat_sim, session)
    schedules = await client.schedules()
    schedule = schedules[0]
    edited = copy.deepcopy(schedule)
    for day in edited.days:
        for event in day.events:
            if event.schedule_type == ScheduleType.WAKE:
                event.temperature = 2250
    await client.put_schedule(edited)
    back = await client.schedule(schedule.serial_number)
    assert all(e.temperature == 2250 for d in back.days for e in d.events if e.schedule_type == ScheduleType.WAKE)

    broken = copy.deepcopy(back)
    broken.days[0].events[0].clock = "06:07"  # off the 15-minute grid
    with pytest.raises(ScheduleInvalid) as caught:
        await client.put_schedule(broken)
    assert caught.value.violations and "save" in caught.value.user_text().lower()
    assert nuheat_sim.rejected_schedules == 0  # never sent


async def test_schedule_of_a_v2_thermostat_is_read_only(nuheat_sim, session):
    client = await signed_in(nuheat_sim, session)
    serial = nuheat_sim.demo_serials()[0]
    schedule = await client.schedule(serial)
    nuheat_sim.set_migrated_to_v2(serial, True)
    with pytest.raises(ScheduleReadOnly) as caught:
        await client.schedule(serial)
    assert "read-only" in caught.value.message and caught.value.code == 405
    with pytest.raises(ScheduleReadOnly):
        await client.put_schedule(schedule)


async def test_expired_access_token_is_renewed_once(nuheat_sim, session):
    client = await signed_in(nuheat_sim, session)
    before = client.auth.tokens.refresh_token
    nuheat_sim.expire_access_tokens()
    assert (await client.account()).email == nuheat_sim.username
    assert client.auth.tokens.refresh_token != before
    nuheat_sim.expire_access_tokens()
    nuheat_sim.expire_refresh_tokens()
    with pytest.raises(AuthError) as caught:
        await client.account()
    assert "expired" in caught.value.message and "Sign in" in caught.value.hint


async def test_retry_after_is_honoured(nuheat_sim, session):
    # The server is stricter than the governor thinks: the 4th call in a second meets a 429.
    client = await signed_in(nuheat_sim, session, windows=(Window(1000, 1),))
    nuheat_sim.set_rate_limits([RateLimit(3, 1)])
    for _ in range(4):
        await client.account()
    refused = [r for r in nuheat_sim.requests if not r.allowed]
    assert len(refused) == 1
    after = [r.time for r in nuheat_sim.requests if r.time > refused[0].time]
    assert after and after[0] - refused[0].time >= 0.9  # Retry-After: 1 (whole seconds, rounded up)
    assert all(r.allowed for r in nuheat_sim.requests if r.time > refused[0].time)


async def test_rate_limited_after_retries_is_explained(nuheat_sim, session):
    client = await signed_in(nuheat_sim, session, windows=(Window(1000, 1),), max_rate_limited_retries=0)
    nuheat_sim.set_rate_limits([RateLimit(1, 60)])
    await client.account()
    with pytest.raises(RateLimited) as caught:
        await client.account()
    assert caught.value.retry_after == 60 and "quota exceeded" in caught.value.vendor_message


@pytest.mark.timeout(90)
async def test_burst_of_1000_arrives_within_50_per_second(nuheat_sim, session):
    # The seed's 50/s; the 30-minute and longer windows would stretch 1,000 calls past half an hour.
    nuheat_sim.set_rate_limits([RateLimit(50, 1)])
    client = await signed_in(nuheat_sim, session, windows=(Window(50, 1),))
    serial = nuheat_sim.demo_serials()[0]
    nuheat_sim.requests.clear()
    queue = list(range(1000))

    async def worker():
        while queue:
            queue.pop()
            await client.thermostat(serial)

    # A few concurrent callers saturate 50/s; more would only add event-loop jitter to the
    # arrival times the simulator counts, which no client-side governor can see.
    await asyncio.gather(*(worker() for _ in range(4)))
    arrivals = [r.time for r in nuheat_sim.requests]
    assert len(arrivals) == 1000 and all(r.allowed for r in nuheat_sim.requests)
    assert max_in_any_window(arrivals, 1.0) <= 50
    # How close to the cap the governor runs is a benchmark figure, not a test assertion.


async def test_calls_failing_together_renew_the_token_once(nuheat_sim, session):
    client = await signed_in(nuheat_sim, session)
    serials = nuheat_sim.demo_serials()[:6]
    nuheat_sim.expire_access_tokens()
    before = nuheat_sim.token_requests
    found = await asyncio.gather(*(client.thermostat(s) for s in serials))
    assert [t.serial_number for t in found] == serials
    assert nuheat_sim.token_requests == before + 1  # one rotation; a second would have used a dead token
