"""A client-side rate governor: keep every call inside several windows at once.

Vendors limit calls per user + client over more than one period (Nuheat: 50 per second, 750
per 30 minutes, 20,000 per 12 hours, 250,000 per 7 days). Their counters are fixed windows
that open at the first call, which we cannot see; a sliding window is safe against any
alignment: if no `period` ever holds more than `limit` of our calls, no fixed window of that
length can either. `margin_seconds` widens every period a little because calls reach the
server with some jitter, so two sent exactly one period apart may arrive closer together.

Small limits keep the exact send times; large ones (250,000 a week) keep counts in time
buckets and count a bucket until its *end* leaves the window, which over-counts slightly
and so stays safe, in bounded memory.

Plain asyncio; the clock and the sleep are injectable so tests run on a fake clock.
When a 429 arrives anyway, `hold_off(retry_after)` stops every caller until it has passed;
`observe(headers)` keeps the server's X-Rate-Limit-* figures for the UI.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Awaitable, Callable, Mapping

from app.core.clock import date_header_time

EXACT_UP_TO = 2000  # limits above this are counted in buckets
BUCKETS_PER_PERIOD = 2000


@dataclass(frozen=True)
class Window:
    limit: int
    period_seconds: float

    def __post_init__(self) -> None:
        if self.limit < 1 or self.period_seconds <= 0:
            raise ValueError("a rate window needs a limit ≥ 1 and a period > 0")

    @property
    def label(self) -> str:
        """The period as rate-limit headers write it: 1s, 30m, 12h, 7d."""
        seconds = self.period_seconds
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds >= size and seconds % size == 0:
                return f"{int(seconds // size)}{unit}"
        return f"{seconds:g}s"


@dataclass(frozen=True)
class ServerQuota:
    """What the server last said in X-Rate-Limit-*: the longest window's label, calls left, reset."""
    period: str
    remaining: int
    reset: datetime | None


class _Counter:
    """Calls within the last `span` seconds, exactly or in buckets."""

    def __init__(self, window: Window, span: float) -> None:
        self.window, self.span = window, span
        self.exact = window.limit <= EXACT_UP_TO
        self.bucket = span / BUCKETS_PER_PERIOD
        self.entries: deque[list[float]] = deque()  # [time or bucket start, count]
        self.total = 0

    def _expires(self, stamp: float) -> float:
        return stamp + self.span + (0.0 if self.exact else self.bucket)

    def trim(self, now: float) -> None:
        while self.entries and self._expires(self.entries[0][0]) <= now:
            self.total -= int(self.entries.popleft()[1])

    def add(self, now: float) -> None:
        stamp = now if self.exact else math.floor(now / self.bucket) * self.bucket
        if self.entries and self.entries[-1][0] == stamp:
            self.entries[-1][1] += 1
        else:
            self.entries.append([stamp, 1])
        self.total += 1

    def wait(self, now: float) -> float:
        """Seconds until one more call fits (0 when it fits now)."""
        self.trim(now)
        if self.total < self.window.limit:
            return 0.0
        # Drop the oldest entries until enough room is freed; the last one dropped decides.
        excess, freed = self.total - self.window.limit + 1, 0
        for stamp, count in self.entries:
            freed += int(count)
            if freed >= excess:
                return max(0.0, self._expires(stamp) - now)
        return 0.0  # unreachable: total counts the entries


class RateGovernor:
    def __init__(self, windows: tuple[Window, ...] | list[Window], *, margin_seconds: float = 0.05,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.windows = tuple(windows)
        self.margin_seconds = margin_seconds
        self.clock, self._sleep = clock, sleep
        self._counters = [_Counter(w, w.period_seconds + margin_seconds) for w in self.windows]
        self._held_until = 0.0
        self._lock = asyncio.Lock()
        self.server_quota: ServerQuota | None = None
        self.waited_seconds = 0.0  # total time callers were held back (shown in diagnostics)

    def delay(self) -> float:
        """Seconds before the next call may go (0: now)."""
        now = self.clock()
        waits = [counter.wait(now) for counter in self._counters]
        return max([self._held_until - now, 0.0, *waits])

    def try_acquire(self) -> bool:
        """Take a slot if one is free now; never waits."""
        if self.delay() > 0:
            return False
        now = self.clock()
        for counter in self._counters:
            counter.add(now)
        return True

    async def acquire(self) -> None:
        """Wait for a slot and take it. Callers are served in arrival order."""
        async with self._lock:
            while True:
                wait = self.delay()
                if wait <= 0 and self.try_acquire():
                    return
                self.waited_seconds += wait
                await self._sleep(wait)

    def hold_off(self, seconds: float) -> None:
        """The server said 429 with Retry-After: nobody calls until it has passed."""
        self._held_until = max(self._held_until, self.clock() + max(0.0, seconds))

    def remaining(self) -> dict[str, int]:
        """Calls left in each window by our own count, e.g. {"1s": 50, "30m": 750, ...}."""
        now = self.clock()
        left = {}
        for counter in self._counters:
            counter.trim(now)
            left[counter.window.label] = max(0, counter.window.limit - counter.total)
        return left

    def observe(self, headers: Mapping[str, str]) -> ServerQuota | None:
        """Keep X-Rate-Limit-Limit/Remaining/Reset when the answer carries them."""
        period, remaining = headers.get("X-Rate-Limit-Limit"), headers.get("X-Rate-Limit-Remaining")
        if period is None or remaining is None:
            return None
        try:
            left = int(remaining)
        except ValueError:
            return None
        self.server_quota = ServerQuota(period, left, parse_reset(headers.get("X-Rate-Limit-Reset")))
        return self.server_quota


def parse_reset(value: str | None) -> datetime | None:
    """.NET's round-trip 'o' format: 2026-11-23T10:00:00.1234567Z (seven fractional digits)."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if "." in text:
        head, rest = text.split(".", 1)
        digits = rest[:len(rest) - len(rest.lstrip("0123456789"))]
        zone = rest[len(digits):]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # the API speaks UTC


# A Retry-After beyond this is not a delay anyone will wait for: treated as unreadable.
_RETRY_AFTER_CAP = 1e9


def retry_after_seconds(value: str | None, server_time: float | None = None) -> float | None:
    """Retry-After in seconds: delay-seconds, or an HTTP date (RFC 9110) counted from the
    server's own `Date` when it sent one (our clock may be off), else from ours. None when
    absent or unreadable (negative, not finite, absurdly long)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        when = date_header_time(value)
        if when is None:
            return None
        return max(0.0, when - (server_time if server_time is not None else time.time()))
    return seconds if math.isfinite(seconds) and 0 <= seconds < _RETRY_AFTER_CAP else None


def parse_retry_after(value: str | None, default: float = 1.0) -> float:
    """Retry-After in seconds, `default` when absent or unreadable."""
    seconds = retry_after_seconds(value)
    return default if seconds is None else seconds
