"""Nuheat schedule rules, checked locally before a PUT and live while an event is dragged.

The rules are the seed's "Schedule Rules" (the API refuses a schedule that breaks one):

- each event at least 15 minutes from the next one          -> EVENTS_TOO_CLOSE
- minutes on the 15-minute grid (00, 15, 30, 45)             -> OFF_GRID
- the WAKE event is never deactivated                        -> WAKE_DEACTIVATED
- SLEEP may sit after midnight only if it is before 03:00    -> SLEEP_TOO_LATE
- no event type twice in one day                             -> TYPE_REPEATED
- days with different events never share a week-day group    -> GROUP_DAYS_DIFFER

plus two shape checks without which the rules cannot be read: CLOCK_INVALID (clock is not
"HH:mm" in 00:00-23:59) and TYPE_INVALID (scheduleType not 0-3).

How the seed's wording is read here (the simulator checks the same rules with its own code;
tests/integration/test_nuheat_rules_agree.py compares the two):

- Every event counts, active or not: the seed's rules do not exempt inactive events.
- SLEEP closes the day. A SLEEP clock before 03:00 is "after midnight" and sorts after the
  day's other events (00:30 counts as 24:30, so RETURN 23:45 -> SLEEP 00:00 is 15 minutes).
  A SLEEP at 03:00 or later that comes before another event of the same day can only mean a
  SLEEP after midnight too late, so it is SLEEP_TOO_LATE. Spacing is measured on that order.
- "Different set of events" compares the whole events (type, clock, active, temperature),
  regardless of their order in the list.

Everything here is pure and works on plain data: dicts in the API's ScheduleModel shape
({serialNumber, days: [{weekDay, weekDayGroupNumber, events: [{clock, scheduleType, active,
temperature}]}]}) or objects with those attribute names (camelCase or snake_case), so the
dataclasses in models.py can be passed as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

GRID_MINUTES = 15
MIN_GAP_MINUTES = 15
SLEEP_AFTER_MIDNIGHT_LIMIT = 3 * 60  # a SLEEP before 03:00 belongs to the evening before
MINUTES_PER_DAY = 24 * 60

WAKE, LEAVE, RETURN, SLEEP = 0, 1, 2, 3
EVENT_NAMES = {WAKE: "WAKE", LEAVE: "LEAVE", RETURN: "RETURN", SLEEP: "SLEEP"}

# .NET DayOfWeek numbering (the OpenAPI is ASP.NET): 0 is Sunday.
WEEKDAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")

EVENTS_TOO_CLOSE = "events_too_close"
OFF_GRID = "minutes_off_grid"
WAKE_DEACTIVATED = "wake_deactivated"
SLEEP_TOO_LATE = "sleep_after_midnight_too_late"
TYPE_REPEATED = "event_type_repeated"
GROUP_DAYS_DIFFER = "group_days_differ"
CLOCK_INVALID = "clock_invalid"
TYPE_INVALID = "schedule_type_invalid"

RULE_CODES = (
    EVENTS_TOO_CLOSE,
    OFF_GRID,
    WAKE_DEACTIVATED,
    SLEEP_TOO_LATE,
    TYPE_REPEATED,
    GROUP_DAYS_DIFFER,
    CLOCK_INVALID,
    TYPE_INVALID,
)


@dataclass(frozen=True, slots=True)
class RuleViolation:
    """One broken rule, located precisely enough for the editor to highlight it.

    weekday/group come from the day (None when the day has none); event_index is the event's
    position in that day's `events` list (None when the violation is about the whole day).
    """

    code: str
    message: str
    weekday: int | None = None
    group: int | None = None
    event_index: int | None = None
    event_type: int | None = None

    @property
    def rule_code(self) -> str:
        return self.code


# ---------------------------------------------------------------------------------------
# small helpers the editor uses too


def snap_clock(minutes: float) -> int:
    """Round minutes since midnight to the nearest 15-minute step, kept inside 00:00-23:45."""
    snapped = int((minutes + GRID_MINUTES / 2) // GRID_MINUTES) * GRID_MINUTES
    return max(0, min(MINUTES_PER_DAY - GRID_MINUTES, snapped))


def parse_clock(clock: Any) -> int | None:
    """'HH:mm' -> minutes since midnight, or None when it is not a valid 24-hour clock."""
    # Hand-parsed rather than a regex or strptime: check_day runs on every mouse move.
    if not isinstance(clock, str) or len(clock) != 5 or clock[2] != ":":
        return None
    hh, mm = clock[:2], clock[3:]
    if not (hh.isdigit() and mm.isdigit() and hh.isascii() and mm.isascii()):
        return None
    hours, minutes = int(hh), int(mm)
    if hours > 23 or minutes > 59:
        return None
    return hours * 60 + minutes


def format_clock(minutes: int) -> str:
    minutes %= MINUTES_PER_DAY
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def weekday_name(weekday: Any) -> str:
    if isinstance(weekday, int) and 0 <= weekday < 7:
        return WEEKDAY_NAMES[weekday]
    return f"Day {weekday}" if weekday is not None else "This day"


def event_name(schedule_type: Any) -> str:
    return EVENT_NAMES.get(schedule_type, f"Event type {schedule_type}")


# ---------------------------------------------------------------------------------------
# reading plain dicts or model objects


def _field(obj: Any, camel: str, snake: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(camel, obj.get(snake))
    value = getattr(obj, camel, None)
    return getattr(obj, snake, None) if value is None else value


def _type_of(event: Any) -> int | None:
    raw = _field(event, "scheduleType", "schedule_type")
    if isinstance(raw, bool):
        return None
    try:
        value = int(raw)  # also takes an IntEnum from models.py
    except (TypeError, ValueError):
        return None
    return value if value in EVENT_NAMES else None


def _day_events(day: Any) -> list:
    return list(_field(day, "events", "events") or [])


# ---------------------------------------------------------------------------------------
# the rules


def check_day(day: Any) -> list[RuleViolation]:
    """Every rule that concerns one day alone (all but the week-day group rule).

    Cheap enough to run on each mouse move: one pass over at most a handful of events.
    """
    weekday = _field(day, "weekDay", "week_day")
    group = _field(day, "weekDayGroupNumber", "week_day_group_number")
    name = weekday_name(weekday)
    found: list[RuleViolation] = []

    def flag(code: str, message: str, index: int | None, kind: int | None) -> None:
        found.append(RuleViolation(code, message, weekday, group, index, kind))

    timed: list[tuple[int, int, int]] = []  # (position in the day, index, type)
    seen_types: dict[int, int] = {}
    events = _day_events(day)
    for index, event in enumerate(events):
        kind = _type_of(event)
        clock = _field(event, "clock", "clock")
        minutes = parse_clock(clock)
        if kind is None:
            raw = _field(event, "scheduleType", "schedule_type")
            flag(TYPE_INVALID, f"{name}: event {index + 1} has an unknown type ({raw!r}); "
                 "use WAKE, LEAVE, RETURN or SLEEP.", index, None)
        label = f"{name} {event_name(kind)}" if kind is not None else f"{name} event {index + 1}"
        if minutes is None:
            flag(CLOCK_INVALID, f"{label}: the time {clock!r} is not a 24-hour time like 06:30.",
                 index, kind)
        elif minutes % GRID_MINUTES:
            flag(OFF_GRID, f"{label} at {clock}: times must be on the quarter hour "
                 f"(:00, :15, :30 or :45), e.g. {format_clock(snap_clock(minutes))}.", index, kind)
        if kind is not None:
            if kind in seen_types:
                flag(TYPE_REPEATED, f"{label}: {name} already has a {event_name(kind)} event; "
                     "each event type may appear only once a day.", index, kind)
            else:
                seen_types[kind] = index
            active = _field(event, "active", "active")
            if kind == WAKE and active is not None and not active:
                flag(WAKE_DEACTIVATED, f"{label}: the WAKE event cannot be switched off.",
                     index, kind)
        if minutes is not None:
            position = minutes
            if kind == SLEEP and minutes < SLEEP_AFTER_MIDNIGHT_LIMIT:
                position += MINUTES_PER_DAY  # after midnight: the end of this day, not its start
            timed.append((position, index, kind if kind is not None else -1))

    if len(timed) < 2:
        return found
    timed.sort()
    last_position = timed[-1][0]
    for position, index, kind in timed:
        if kind == SLEEP and position < last_position:
            flag(SLEEP_TOO_LATE, f"{name} SLEEP at {format_clock(position)}: SLEEP must be the "
                 "day's last event; after midnight it must be before 03:00.", index, kind)
    for (before_pos, before_index, before_kind), (pos, index, kind) in zip(timed, timed[1:]):
        gap = pos - before_pos
        if gap < MIN_GAP_MINUTES:
            label = event_name(kind) if kind >= 0 else f"event {index + 1}"
            before = event_name(before_kind) if before_kind >= 0 else f"event {before_index + 1}"
            flag(EVENTS_TOO_CLOSE, f"{name} {label} at {format_clock(pos)} is {gap} min after "
                 f"{before} at {format_clock(before_pos)}; events must be at least "
                 f"{MIN_GAP_MINUTES} min apart.", index, kind if kind >= 0 else None)
    return found


def _event_signature(event: Any) -> tuple:
    kind = _type_of(event)
    return (
        kind if kind is not None else -1,
        str(_field(event, "clock", "clock")),
        bool(_field(event, "active", "active")),
        _field(event, "temperature", "temperature"),
    )


def _first_difference(day_events: list, reference: list) -> int | None:
    """Index (in day_events) of the first event with no identical counterpart in the reference."""
    remaining = [_event_signature(e) for e in reference]
    for index, event in enumerate(day_events):
        signature = _event_signature(event)
        if signature in remaining:
            remaining.remove(signature)
        else:
            return index
    return None


def check_groups(days: Iterable[Any]) -> list[RuleViolation]:
    """Days sharing a weekDayGroupNumber must carry the same events (the first day of the
    group in list order is the reference; every other day that differs is flagged)."""
    found: list[RuleViolation] = []
    first_of_group: dict[Any, tuple[Any, list, tuple]] = {}
    for day in days:
        group = _field(day, "weekDayGroupNumber", "week_day_group_number")
        if group is None:
            continue
        weekday = _field(day, "weekDay", "week_day")
        events = _day_events(day)
        signature = tuple(sorted(_event_signature(e) for e in events))
        if group not in first_of_group:
            first_of_group[group] = (weekday, events, signature)
            continue
        ref_weekday, ref_events, ref_signature = first_of_group[group]
        if signature == ref_signature:
            continue
        index = _first_difference(events, ref_events)
        kind = _type_of(events[index]) if index is not None else None
        found.append(RuleViolation(
            GROUP_DAYS_DIFFER,
            f"{weekday_name(weekday)} shares week-day group {group} with "
            f"{weekday_name(ref_weekday)} but its events differ; give them the same events "
            "or put it in a group of its own.",
            weekday, group, index, kind))
    return found


def check_schedule(schedule: Any) -> list[RuleViolation]:
    """All violations in a ScheduleModel (dict or object); an empty list means the API
    should accept it."""
    days = list(_field(schedule, "days", "days") or [])
    found: list[RuleViolation] = []
    for day in days:
        found.extend(check_day(day))
    found.extend(check_groups(days))
    return found


def is_valid(schedule: Any) -> bool:
    return not check_schedule(schedule)
