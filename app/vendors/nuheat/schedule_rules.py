"""Nuheat schedule rules, checked locally before a PUT and live while an event is dragged.

The rules are the seed's "Schedule Rules" (the API refuses a schedule that breaks one):

- each event at least 15 minutes from the next one          -> EVENTS_TOO_CLOSE,
                                                                EVENTS_OUT_OF_ORDER
- minutes on the 15-minute grid (00, 15, 30, 45)             -> OFF_GRID
- the WAKE event is never deactivated (nor left out)         -> WAKE_DEACTIVATED, WAKE_MISSING
- SLEEP may sit after midnight only if it is before 03:00    -> SLEEP_TOO_LATE
- no event type twice in one day                             -> TYPE_REPEATED
- days with different events never share a week-day group    -> GROUP_DAYS_DIFFER

and the shape the API needs before it can apply them: CLOCK_INVALID ("HH:mm", 00:00-23:59),
TYPE_INVALID (scheduleType 0-3), FIELD_INVALID (active true/false, temperature a whole
number), TEMPERATURE_RANGE (5-70 degC, i.e. 500-7000 hundredths, as the apps allow),
WEEKDAY_INVALID (1 Monday .. 7 Sunday), WEEKDAY_REPEATED, WEEK_INCOMPLETE (all seven days),
GROUP_INVALID (weekDayGroupNumber an integer), SERIAL_MISSING, SHAPE_INVALID (days or
events not a list). Nothing here raises on malformed input (a schedule file edited by hand).

How the seed's wording is read (the simulator checks the same rules with its own code;
tests/integration/test_nuheat_rules_agree.py checks that both accept the same schedules):

- "The next event" is the next one in the thermostat's day: WAKE -> LEAVE -> RETURN -> SLEEP.
  Only events that run take part: active ones, and WAKE (which must be active anyway). Each
  must be at least 15 minutes after the previous one, so they also come in that order; an
  inactive LEAVE/RETURN/SLEEP keeps its clock (which must still be on the grid) but no place.
- SLEEP closes the day. A SLEEP clock before 03:00 is "after midnight": 00:30 counts as 24:30,
  so RETURN 23:45 -> SLEEP 00:00 is 15 minutes. A SLEEP at 03:00 or later that does not come
  after the day's other running events would be a SLEEP after midnight too late.
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
MIN_TEMPERATURE, MAX_TEMPERATURE = 500, 7000  # hundredths of a degree Celsius: 5-70 degC

WAKE, LEAVE, RETURN, SLEEP = 0, 1, 2, 3
EVENT_NAMES = {WAKE: "WAKE", LEAVE: "LEAVE", RETURN: "RETURN", SLEEP: "SLEEP"}

# weekDay 1 is Monday ... 7 Sunday (ISO numbering, as the simulator and the apps show a week)
WEEKDAY_NAMES = {1: "Monday", 2: "Tuesday", 3: "Wednesday", 4: "Thursday", 5: "Friday",
                 6: "Saturday", 7: "Sunday"}

EVENTS_TOO_CLOSE = "events_too_close"
EVENTS_OUT_OF_ORDER = "events_out_of_order"
OFF_GRID = "minutes_off_grid"
WAKE_DEACTIVATED = "wake_deactivated"
WAKE_MISSING = "wake_missing"
SLEEP_TOO_LATE = "sleep_after_midnight_too_late"
TYPE_REPEATED = "event_type_repeated"
GROUP_DAYS_DIFFER = "group_days_differ"
CLOCK_INVALID = "clock_invalid"
TYPE_INVALID = "schedule_type_invalid"
FIELD_INVALID = "event_field_invalid"
TEMPERATURE_RANGE = "temperature_out_of_range"
WEEKDAY_INVALID = "weekday_invalid"
WEEKDAY_REPEATED = "weekday_repeated"
WEEK_INCOMPLETE = "week_incomplete"
GROUP_INVALID = "group_invalid"
SERIAL_MISSING = "serial_missing"
SHAPE_INVALID = "shape_invalid"

RULE_CODES = (
    EVENTS_TOO_CLOSE, EVENTS_OUT_OF_ORDER, OFF_GRID, WAKE_DEACTIVATED, WAKE_MISSING,
    SLEEP_TOO_LATE, TYPE_REPEATED, GROUP_DAYS_DIFFER, CLOCK_INVALID, TYPE_INVALID,
    FIELD_INVALID, TEMPERATURE_RANGE, WEEKDAY_INVALID, WEEKDAY_REPEATED, WEEK_INCOMPLETE,
    GROUP_INVALID, SERIAL_MISSING, SHAPE_INVALID,
)


@dataclass(frozen=True, slots=True)
class RuleViolation:
    """One broken rule, located precisely enough for the editor to highlight it.

    weekday/group come from the day (None when the violation is about the whole schedule);
    event_index is the event's position in that day's `events` list (None when the violation
    is about the whole day); event_type is that event's scheduleType when it has a valid one.
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
    if not (hh.isascii() and mm.isascii() and hh.isdigit() and mm.isdigit()):
        return None
    hours, minutes = int(hh), int(mm)
    if hours > 23 or minutes > 59:
        return None
    return hours * 60 + minutes


def format_clock(minutes: int) -> str:
    minutes %= MINUTES_PER_DAY
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def day_position(schedule_type: int, minutes: int) -> int:
    """Minutes from the day's midnight; a SLEEP before 03:00 is that night, after midnight."""
    if schedule_type == SLEEP and minutes < SLEEP_AFTER_MIDNIGHT_LIMIT:
        return minutes + MINUTES_PER_DAY
    return minutes


def weekday_name(weekday: Any) -> str:
    name = WEEKDAY_NAMES.get(weekday) if _is_int(weekday) else None
    return name or (f"Day {weekday}" if weekday is not None else "This day")


def event_name(schedule_type: Any) -> str:
    return EVENT_NAMES.get(schedule_type, f"Event type {schedule_type}")


# ---------------------------------------------------------------------------------------
# reading plain dicts or model objects


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _field(obj: Any, camel: str, snake: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(camel, obj.get(snake))
    value = getattr(obj, camel, None)
    return getattr(obj, snake, None) if value is None else value


def _type_of(event: Any) -> int | None:
    raw = _field(event, "scheduleType", "schedule_type")
    if not _is_int(raw):  # an IntEnum from models.py is an int too
        return None
    value = int(raw)
    return value if value in EVENT_NAMES else None


def _as_list(value: Any) -> list:
    """A list field as a list; anything else (a file edited by hand) counts as empty, and
    check_week / check_day report the wrong shape."""
    return list(value) if isinstance(value, (list, tuple)) else []


def _day_events(day: Any) -> list:
    return _as_list(_field(day, "events", "events"))


# ---------------------------------------------------------------------------------------
# the rules


def check_day(day: Any) -> list[RuleViolation]:
    """Every rule that concerns one day alone (all but the week-day group rule and the
    week's shape).

    Cheap enough to run on each mouse move: two passes over a handful of events.
    """
    weekday = _field(day, "weekDay", "week_day")
    group = _field(day, "weekDayGroupNumber", "week_day_group_number")
    name = weekday_name(weekday)
    found: list[RuleViolation] = []

    def flag(code: str, message: str, index: int | None, kind: int | None) -> None:
        found.append(RuleViolation(code, message, weekday, group, index, kind))

    events = _field(day, "events", "events")
    if events is not None and not isinstance(events, (list, tuple)):
        flag(SHAPE_INVALID, f"{name}: 'events' must be a list of events.", None, None)

    running: list[tuple[int, int, int]] = []  # (type, position in the day, index) of running events
    seen_types: set[int] = set()
    unreadable_type = False
    for index, event in enumerate(_day_events(day)):
        kind = _type_of(event)
        clock = _field(event, "clock", "clock")
        active = _field(event, "active", "active")
        temperature = _field(event, "temperature", "temperature")
        minutes = parse_clock(clock)
        if kind is None:
            unreadable_type = True
            raw = _field(event, "scheduleType", "schedule_type")
            flag(TYPE_INVALID, f"{name}: event {index + 1} has an unknown type ({raw!r}); "
                 "use WAKE, LEAVE, RETURN or SLEEP.", index, None)
            label = f"{name} event {index + 1}"
        else:
            label = f"{name} {EVENT_NAMES[kind]}"
            if kind in seen_types:
                flag(TYPE_REPEATED, f"{label}: {name} already has a {EVENT_NAMES[kind]} event; "
                     "each event type may appear only once a day.", index, kind)
            seen_types.add(kind)
        if not isinstance(active, bool):
            flag(FIELD_INVALID, f"{label}: 'active' must be true or false.", index, kind)
        if not _is_int(temperature):
            flag(FIELD_INVALID, f"{label}: the temperature must be a whole number of "
                 "hundredths of a degree.", index, kind)
        elif not MIN_TEMPERATURE <= temperature <= MAX_TEMPERATURE:
            flag(TEMPERATURE_RANGE, f"{label}: {temperature / 100:g} °C is outside 5-70 °C.",
                 index, kind)
        if minutes is None:
            flag(CLOCK_INVALID, f"{label}: the time {clock!r} is not a 24-hour time like 06:30.",
                 index, kind)
        elif minutes % GRID_MINUTES:
            flag(OFF_GRID, f"{label} at {clock}: times must be on the quarter hour "
                 f"(:00, :15, :30 or :45), e.g. {format_clock(snap_clock(minutes))}.", index, kind)
        if kind == WAKE and active is False:
            flag(WAKE_DEACTIVATED, f"{label}: the WAKE event cannot be switched off.", index, kind)
        if kind is not None and minutes is not None and (active is True or kind == WAKE):
            running.append((kind, day_position(kind, minutes), index))

    if WAKE not in seen_types and not unreadable_type:
        flag(WAKE_MISSING, f"{name} has no WAKE event; every day needs one.", None, None)

    running.sort()
    for (kind_a, at_a, _), (kind_b, at_b, index_b) in zip(running, running[1:]):
        if kind_a == kind_b:  # a repeated type, flagged above
            continue
        gap = at_b - at_a
        if gap >= MIN_GAP_MINUTES:
            continue
        a, b = f"{EVENT_NAMES[kind_a]} at {format_clock(at_a)}", \
            f"{EVENT_NAMES[kind_b]} at {format_clock(at_b)}"
        if gap > 0:
            flag(EVENTS_TOO_CLOSE, f"{name} {b} is {gap} min after {a}; events must be at "
                 f"least {MIN_GAP_MINUTES} min apart.", index_b, kind_b)
        elif kind_b == SLEEP:
            flag(SLEEP_TOO_LATE, f"{name} {b} must come after {a}: SLEEP ends the day, and "
                 "after midnight it must be before 03:00.", index_b, kind_b)
        else:
            flag(EVENTS_OUT_OF_ORDER, f"{name} {b} must come at least {MIN_GAP_MINUTES} min "
                 f"after {a} (the day runs WAKE, LEAVE, RETURN, SLEEP).", index_b, kind_b)
    return found


def _event_signature(event: Any) -> tuple:
    kind = _type_of(event)
    return (
        kind if kind is not None else -1,
        str(_field(event, "clock", "clock")),
        _field(event, "active", "active") is True,
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
        if not _is_int(group):
            continue
        weekday = _field(day, "weekDay", "week_day")
        events = _day_events(day)
        signature = tuple(sorted(map(_event_signature, events), key=repr))
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


def check_week(schedule: Any) -> list[RuleViolation]:
    """The schedule's shape: a serial number and each week day 1-7 exactly once."""
    found: list[RuleViolation] = []
    serial = _field(schedule, "serialNumber", "serial_number")
    if not isinstance(serial, str) or not serial:
        found.append(RuleViolation(SERIAL_MISSING, "The schedule has no thermostat serial number."))
    seen: set[int] = set()
    days = _field(schedule, "days", "days")
    if days is not None and not isinstance(days, (list, tuple)):
        found.append(RuleViolation(SHAPE_INVALID, "'days' must be a list of week days."))
    for day in _as_list(days):
        weekday = _field(day, "weekDay", "week_day")
        group = _field(day, "weekDayGroupNumber", "week_day_group_number")
        if not _is_int(group):
            found.append(RuleViolation(GROUP_INVALID, f"{weekday_name(weekday)}: the week-day "
                                       "group must be a whole number.", weekday, None))
        if not _is_int(weekday) or weekday not in WEEKDAY_NAMES:
            found.append(RuleViolation(WEEKDAY_INVALID, f"{weekday_name(weekday)}: week days "
                                       "are 1 (Monday) to 7 (Sunday).", weekday, group))
        elif weekday in seen:
            found.append(RuleViolation(WEEKDAY_REPEATED, f"{weekday_name(weekday)} appears "
                                       "more than once.", weekday, group))
        else:
            seen.add(weekday)
    missing = [WEEKDAY_NAMES[d] for d in sorted(set(WEEKDAY_NAMES) - seen)]
    if missing:
        found.append(RuleViolation(WEEK_INCOMPLETE, "Every week day needs a schedule; missing: "
                                   + ", ".join(missing) + "."))
    return found


def check_schedule(schedule: Any) -> list[RuleViolation]:
    """All violations in a ScheduleModel (dict or object); an empty list means the API
    should accept it."""
    days = _as_list(_field(schedule, "days", "days"))
    found = check_week(schedule)
    for day in days:
        found.extend(check_day(day))
    found.extend(check_groups(days))
    return found


def is_valid(schedule: Any) -> bool:
    return not check_schedule(schedule)
