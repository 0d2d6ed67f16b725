"""Clock skew: how far this laptop's clock is from the servers' clocks.

Vendors sign and validate timestamps; a laptop whose clock is a few minutes off (common
after a flat CMOS battery or a time-zone change on site) gets its requests refused.
Every response's `Date` header feeds the tracker, and signers use `now()` instead of
`time.time()`.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

# A Date header has one-second resolution and arrives after a network delay: skew
# smaller than this is noise and is not corrected.
NOISE_SECONDS = 2.0


def date_header_time(header: str | None) -> float | None:
    """A `Date` (or HTTP-date) header as Unix time; None when absent or unreadable."""
    if not header:
        return None
    try:
        return parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None


class ClockSkew:
    def __init__(self) -> None:
        # server time minus local time, in seconds
        self.offset: float = 0.0
        self.samples = 0

    def observe_date_header(self, value: str | None, local_time: float | None = None) -> None:
        server = date_header_time(value)
        if server is None:
            return
        local = time.time() if local_time is None else local_time
        self.observe(server - local)

    def observe(self, offset: float) -> None:
        # Follow the newest sample: a clock that was corrected while we run should be
        # trusted immediately, not averaged away.
        self.offset = offset if abs(offset) >= NOISE_SECONDS else 0.0
        self.samples += 1

    def now(self) -> float:
        """Our best estimate of the servers' Unix time."""
        return time.time() + self.offset

    def describe(self) -> str:
        if not self.offset:
            return "The laptop clock agrees with the server."
        direction = "behind" if self.offset > 0 else "ahead of"
        return (f"The laptop clock is {abs(self.offset):.0f} s {direction} the server's; "
                "SiteKit corrects for it, but fix the system clock if you can.")
