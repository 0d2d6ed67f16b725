"""The multi-window rate governor on a fake clock (no real waiting)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.ratelimit import RateGovernor, Window, parse_reset, parse_retry_after


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def governor(windows, clock, margin=0.0):
    return RateGovernor(windows, margin_seconds=margin, clock=clock, sleep=clock.sleep)


def max_in_any_window(times, period):
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= period:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_burst_then_wait():
    clock = FakeClock()
    g = governor([Window(50, 1)], clock)
    assert all(g.try_acquire() for _ in range(50))
    assert not g.try_acquire()
    assert g.delay() == pytest.approx(1.0)
    clock.now += 0.5
    assert g.delay() == pytest.approx(0.5)
    clock.now += 0.5
    assert g.try_acquire()


def test_margin_widens_the_period():
    clock = FakeClock()
    g = governor([Window(2, 1)], clock, margin=0.05)
    g.try_acquire(), g.try_acquire()
    assert g.delay() == pytest.approx(1.05)


def test_every_window_counts():
    clock = FakeClock()
    g = governor([Window(3, 1), Window(5, 10)], clock)
    assert sum(g.try_acquire() for _ in range(10)) == 3
    clock.now += 1
    assert sum(g.try_acquire() for _ in range(10)) == 2  # the 10 s window is full now
    assert g.delay() == pytest.approx(9.0)
    assert g.remaining() == {"1s": 1, "10s": 0}


async def test_acquire_paces_a_burst():
    clock = FakeClock()
    g = governor([Window(50, 1), Window(750, 1800)], clock, margin=0.05)
    sent = []
    for _ in range(1000):
        await g.acquire()
        sent.append(clock.now)
    assert max_in_any_window(sent, 1.0) <= 50
    assert max_in_any_window(sent, 1800) <= 750
    # 1000 calls: 750 paced at 50 per 1.05 s, then the 30-minute window is spent.
    assert sent[749] - sent[0] == pytest.approx(14 * 1.05)
    assert sent[750] - sent[0] == pytest.approx(1800.05)


async def test_concurrent_callers_share_the_limit():
    clock = FakeClock()
    g = governor([Window(5, 1)], clock)
    sent = []

    async def call():
        await g.acquire()
        sent.append(clock.now)

    await asyncio.gather(*(call() for _ in range(23)))
    assert len(sent) == 23 and max_in_any_window(sent, 1.0) <= 5


async def test_hold_off_after_429():
    clock = FakeClock()
    g = governor([Window(50, 1)], clock)
    g.hold_off(58)
    assert g.delay() == pytest.approx(58)
    await g.acquire()
    assert clock.now == pytest.approx(1058)


def test_large_limits_use_bounded_memory_and_stay_safe():
    clock = FakeClock()
    g = governor([Window(250_000, 7 * 86400)], clock)
    for i in range(250_000):
        assert g.try_acquire()
        clock.now += 0.001
    assert not g.try_acquire()
    counter = g._counters[0]
    assert len(counter.entries) <= 2000
    # Never earlier than an exact sliding window would allow.
    assert clock.now + g.delay() >= 1000.0 + 7 * 86400


@settings(max_examples=60, deadline=None)
@given(gaps=st.lists(st.floats(min_value=0, max_value=0.7), min_size=1, max_size=120),
       limit=st.integers(1, 6), period=st.sampled_from([0.5, 1.0, 2.5]))
def test_property_never_more_than_limit_in_any_period(gaps, limit, period):
    clock = FakeClock()
    g = governor([Window(limit, period)], clock)
    sent = []
    for gap in gaps:
        clock.now += gap
        if g.try_acquire():
            sent.append(clock.now)
    assert max_in_any_window(sent, period) <= limit


def test_server_quota_from_headers():
    g = governor([Window(50, 1)], FakeClock())
    quota = g.observe({"X-Rate-Limit-Limit": "7d", "X-Rate-Limit-Remaining": "249990",
                       "X-Rate-Limit-Reset": "2026-11-30T10:00:00.1234567Z"})
    assert quota.period == "7d" and quota.remaining == 249990
    assert quota.reset == datetime(2026, 11, 30, 10, 0, 0, 123456, tzinfo=timezone.utc)
    assert g.server_quota is quota
    assert g.observe({}) is None and g.server_quota is quota


def test_header_parsing_edges():
    assert parse_reset("2018-10-03T19:00:00Z") == datetime(2018, 10, 3, 19, tzinfo=timezone.utc)
    assert parse_reset("garbage") is None and parse_reset(None) is None
    assert parse_retry_after("58") == 58 and parse_retry_after(None, 2) == 2 and parse_retry_after("x") == 1


def test_labels_and_validation():
    assert [Window(1, p).label for p in (1, 1800, 43200, 604800, 0.5)] == ["1s", "30m", "12h", "7d", "0.5s"]
    with pytest.raises(ValueError):
        Window(0, 1)
