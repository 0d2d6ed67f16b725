"""Server-side burst and rate limits, per user + client, as the Nuheat OpenAPI applies them.

Fixed windows that open at the first request of the period (as AspNetCoreRateLimit, which
the real API's messages come from, counts): a pair that hits a window's limit is refused
until that window resets, with `Retry-After` the seconds left. A refused call is not
counted. Accepted calls carry the X-Rate-Limit-* headers of the longest window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone


@dataclass(frozen=True)
class RateLimit:
    limit: int
    period_seconds: float

    @property
    def label(self) -> str:
        """The period as the API writes it: 1s, 30m, 12h, 7d."""
        seconds = self.period_seconds
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds >= size and seconds % size == 0:
                return f"{int(seconds // size)}{unit}"
        return f"{seconds:g}s"


# The seed's figures (per user + client).
DEFAULT_RATE_LIMITS: tuple[RateLimit, ...] = (
    RateLimit(50, 1), RateLimit(750, 30 * 60), RateLimit(20_000, 12 * 3600), RateLimit(250_000, 7 * 86400))


@dataclass
class _Window:
    started: float = 0.0
    count: int = 0


@dataclass
class Verdict:
    allowed: bool
    headers: dict[str, str]
    message: str = ""


@dataclass
class RateLimiter:
    limits: tuple[RateLimit, ...] = DEFAULT_RATE_LIMITS
    _windows: dict[tuple[str, str], list[_Window]] = field(default_factory=dict)

    def check(self, user: str, client_id: str, now: float) -> Verdict:
        if not self.limits:
            return Verdict(True, {})
        windows = self._windows.setdefault((user, client_id), [_Window() for _ in self.limits])
        for limit, window in zip(self.limits, windows):
            if window.count and now >= window.started + limit.period_seconds:
                window.count = 0
        for limit, window in zip(self.limits, windows):
            if window.count >= limit.limit:
                retry_after = max(1, math.ceil(window.started + limit.period_seconds - now))
                return Verdict(False, {"Retry-After": str(retry_after)},
                               f"API calls quota exceeded! maximum admitted {limit.limit} per {limit.label}.")
        for window in windows:
            if window.count == 0:
                window.started = now
            window.count += 1
        longest_index = max(range(len(self.limits)), key=lambda i: self.limits[i].period_seconds)
        longest, window = self.limits[longest_index], windows[longest_index]
        reset = datetime.fromtimestamp(window.started + longest.period_seconds, tz=timezone.utc)
        return Verdict(True, {
            "X-Rate-Limit-Limit": longest.label,
            "X-Rate-Limit-Remaining": str(max(0, longest.limit - window.count)),
            # .NET's round-trip "o" format: seven fractional digits and a Z
            "X-Rate-Limit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z",
        })

    def reset(self) -> None:
        self._windows.clear()
