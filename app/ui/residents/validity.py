"""When a credential or an announcement is valid: sensible defaults and plain-words checks.

No Qt here, so the rules are tested without widgets. Times are aware datetimes in the
laptop's zone (what the technician reads on the clock on the wall).
"""

from __future__ import annotations

from datetime import datetime, timedelta

PIN, QRCODE = "PIN", "QRCODE"
# a QR code is mostly for a visitor or a contractor: a week; a PIN is a resident's own
DEFAULT_DAYS = {QRCODE: 7, PIN: 365}
ANNOUNCEMENT_DAYS = 3
MAX_DAYS = 366  # what NEXhome (and Building) accept
# the from-time may sit a little in the past: the form was filled in a minute ago
PAST_GRACE = timedelta(minutes=10)


def now() -> datetime:
    return datetime.now().astimezone().replace(second=0, microsecond=0)


def default_window(kind: str, start: datetime | None = None) -> tuple[datetime, datetime]:
    start = start or now()
    return start, start + timedelta(days=DEFAULT_DAYS.get(kind, 7))


def announcement_window(start: datetime | None = None) -> tuple[datetime, datetime]:
    start = start or now()
    return start, start + timedelta(days=ANNOUNCEMENT_DAYS)


def window_problem(valid_from: datetime, valid_until: datetime,
                   current: datetime | None = None) -> str:
    """What is wrong with the window, in words for the technician; "" when it is fine."""
    current = current or now()
    if valid_until <= valid_from:
        return "“Valid until” must be later than “Valid from”."
    if valid_until <= current:
        return "“Valid until” is in the past: the code would never work."
    if valid_from < current - PAST_GRACE:
        return "“Valid from” is in the past; set it to now or later."
    if valid_until - valid_from > timedelta(days=MAX_DAYS):
        return "At most a year: issue a new one when it runs out."
    return ""


def duration_text(valid_from: datetime, valid_until: datetime) -> str:
    """`7 days`, `3 h 30 min`: how long the window is, next to the fields."""
    span = valid_until - valid_from
    if span.total_seconds() <= 0:
        return ""
    days, rest = span.days, span.seconds
    hours, minutes = rest // 3600, rest % 3600 // 60
    if days >= 2:
        return f"{days} days" + (f" {hours} h" if hours else "")
    hours += days * 24
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min"


def moment_text(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone().strftime("%a %d %b %Y %H:%M")
