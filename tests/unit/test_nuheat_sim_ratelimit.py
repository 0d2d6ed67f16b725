"""The Nuheat simulator's server-side rate limits (app/simulators/nuheat/ratelimit.py)."""

from __future__ import annotations

from datetime import datetime, timezone

from app.simulators.nuheat.ratelimit import DEFAULT_RATE_LIMITS, RateLimit, RateLimiter

T0 = 1_800_000_000.0


def test_defaults_are_the_seeds_figures():
    assert [(r.limit, r.label) for r in DEFAULT_RATE_LIMITS] == [(50, "1s"), (750, "30m"), (20_000, "12h"),
                                                                 (250_000, "7d")]


def test_headers_name_the_longest_window():
    limiter = RateLimiter((RateLimit(3, 1), RateLimit(10, 3600)))
    verdict = limiter.check("u", "c", T0)
    assert verdict.allowed
    assert verdict.headers["X-Rate-Limit-Limit"] == "1h"
    assert verdict.headers["X-Rate-Limit-Remaining"] == "9"
    reset = datetime.fromisoformat(verdict.headers["X-Rate-Limit-Reset"])
    assert reset == datetime.fromtimestamp(T0 + 3600, tz=timezone.utc)
    assert verdict.headers["X-Rate-Limit-Reset"].endswith("0Z")  # .NET "o": seven digits


def test_burst_window_blocks_then_resets():
    limiter = RateLimiter((RateLimit(3, 1), RateLimit(10, 3600)))
    assert all(limiter.check("u", "c", T0 + i * 0.1).allowed for i in range(3))
    blocked = limiter.check("u", "c", T0 + 0.5)
    assert not blocked.allowed and blocked.headers == {"Retry-After": "1"}
    assert blocked.message == "API calls quota exceeded! maximum admitted 3 per 1s."
    assert limiter.check("u", "c", T0 + 1.0).allowed  # the window opened at T0 has reset
    assert limiter.check("u", "c", T0 + 1.0).headers["X-Rate-Limit-Remaining"] == "5"  # refused calls not counted


def test_long_window_retry_after_counts_down():
    limiter = RateLimiter((RateLimit(100, 1), RateLimit(4, 1800)))
    for i in range(4):
        assert limiter.check("u", "c", T0 + i).allowed
    blocked = limiter.check("u", "c", T0 + 600)
    assert not blocked.allowed and blocked.headers["Retry-After"] == "1200"
    assert "maximum admitted 4 per 30m" in blocked.message


def test_limits_are_per_user_and_client():
    limiter = RateLimiter((RateLimit(1, 60),))
    assert limiter.check("u", "c", T0).allowed
    assert not limiter.check("u", "c", T0).allowed
    assert limiter.check("u", "other-client", T0).allowed
    assert limiter.check("other-user", "c", T0).allowed


def test_no_limits_means_no_headers():
    assert RateLimiter(()).check("u", "c", T0).headers == {}
