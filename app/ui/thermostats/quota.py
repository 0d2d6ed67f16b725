"""The Nuheat API quota in words, from the server's last X-Rate-Limit-* headers.

The headers name the window ("30m"), the calls left and when the window resets, but not
its size; the size comes from the client's own windows (the same figures, configurable).
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from app.core.ratelimit import ServerQuota, Window

PERIOD_WORDS = {"1s": "this second", "30m": "this 30 min", "1h": "this hour",
                "12h": "these 12 hours", "1d": "today", "7d": "this week"}


def period_words(label: str) -> str:
    if label in PERIOD_WORDS:
        return PERIOD_WORDS[label]
    units = {"s": "s", "m": "min", "h": "hours", "d": "days"}
    number, unit = label[:-1], label[-1:]
    return f"these {number} {units[unit]}" if number.isdigit() and unit in units else label


def reset_words(reset: datetime, now: datetime | None = None) -> str:
    local = reset.astimezone()
    now = (now or datetime.now().astimezone()).astimezone()
    if local.date() == now.date():
        return f"{local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def quota_text(quota: ServerQuota | None, windows: Iterable[Window] = (),
               now: datetime | None = None) -> str:
    """'API calls left: 742 of 750 this 30 min · resets 12:30'; "" before the first call."""
    if quota is None:
        return ""
    limit = next((w.limit for w in windows if w.label == quota.period), None)
    of = f" of {limit:,}" if limit else ""
    text = f"API calls left: {quota.remaining:,}{of} {period_words(quota.period)}"
    if quota.reset is not None:
        text += f" · resets {reset_words(quota.reset, now)}"
    return text


def quota_low(quota: ServerQuota | None, windows: Iterable[Window] = ()) -> bool:
    """Under a tenth of the window left: worth showing in the warning colour."""
    if quota is None:
        return False
    limit = next((w.limit for w in windows if w.label == quota.period), None)
    return bool(limit) and quota.remaining < limit / 10
