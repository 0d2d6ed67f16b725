"""The simulator's own, server-side check of a PUT /api/v1/Schedule body.

Written independently of app/vendors/nuheat/schedule_rules.py on purpose: property tests
compare the two. Returns the list of messages for a 400 `{"messages": [...]}`; empty when
the schedule is accepted.

How the seed's rules are read here:
- A body has `serialNumber` and `days`: seven days, week days 1 (Monday) … 7 (Sunday), each
  once, each with an integer `weekDayGroupNumber` and a list of `events`.
- An event is `{clock "HH:mm", scheduleType 0 WAKE|1 LEAVE|2 RETURN|3 SLEEP, active bool,
  temperature int}` with the temperature 5–70 °C in hundredths.
- Minutes are 00, 15, 30 or 45. No scheduleType twice in a day. WAKE present and active.
- SLEEP may sit after midnight only before 03:00 (00:00–02:45 counts as that night, i.e.
  24:00–26:45 of the day). Other events are times of their own day.
- Active events, in type order WAKE → LEAVE → RETURN → SLEEP, are each at least 15 minutes
  after the previous active one (so they also come in that order). Inactive events do
  not take part in the spacing.
- Days sharing a weekDayGroupNumber have the same set of events.
"""

from __future__ import annotations

import re
from typing import Any

TYPE_NAMES = {0: "WAKE", 1: "LEAVE", 2: "RETURN", 3: "SLEEP"}
WEEK_DAY_NAMES = {1: "Monday", 2: "Tuesday", 3: "Wednesday", 4: "Thursday", 5: "Friday", 6: "Saturday",
                  7: "Sunday"}
MIN_TEMPERATURE, MAX_TEMPERATURE = 500, 7000
MIN_GAP_MINUTES = 15
SLEEP_AFTER_MIDNIGHT_BEFORE = 3 * 60
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def clock_minutes(clock: str) -> int | None:
    match = _CLOCK.match(clock) if isinstance(clock, str) else None
    return int(match.group(1)) * 60 + int(match.group(2)) if match else None


def effective_minutes(schedule_type: int, minutes: int) -> int:
    """Minutes from the day's midnight; a SLEEP before 03:00 belongs to that night."""
    if schedule_type == 3 and minutes < SLEEP_AFTER_MIDNIGHT_BEFORE:
        return minutes + 24 * 60
    return minutes


def check_schedule(body: Any, serial_number: str | None = None) -> list[str]:
    if not isinstance(body, dict):
        return ["The schedule must be a JSON object with serialNumber and days."]
    messages: list[str] = []
    if not isinstance(body.get("serialNumber"), str) or not body.get("serialNumber"):
        messages.append("serialNumber is required.")
    days = body.get("days")
    if not isinstance(days, list):
        return messages + ["days must be a list of the seven week days."]
    seen_days: set[int] = set()
    groups: dict[int, tuple[int, frozenset]] = {}
    for index, day in enumerate(days):
        if not isinstance(day, dict):
            messages.append(f"days[{index}] must be an object.")
            continue
        week_day = day.get("weekDay")
        if not _is_int(week_day) or week_day not in WEEK_DAY_NAMES:
            messages.append(f"days[{index}].weekDay must be 1 (Monday) to 7 (Sunday).")
            continue
        name = WEEK_DAY_NAMES[week_day]
        if week_day in seen_days:
            messages.append(f"{name} appears more than once.")
            continue
        seen_days.add(week_day)
        group = day.get("weekDayGroupNumber")
        if not _is_int(group):
            messages.append(f"{name}: weekDayGroupNumber must be an integer.")
        day_messages, event_set = _check_day(name, day.get("events"))
        messages += day_messages
        if _is_int(group) and event_set is not None:
            if group in groups and groups[group][1] != event_set:
                other = WEEK_DAY_NAMES[groups[group][0]]
                messages.append(f"{name} and {other} are in week-day group {group} but have different "
                                f"events; put them in separate groups.")
            groups.setdefault(group, (week_day, event_set))
    missing = [WEEK_DAY_NAMES[d] for d in sorted(set(WEEK_DAY_NAMES) - seen_days)]
    if missing:
        messages.append("Every week day needs a schedule; missing: " + ", ".join(missing) + ".")
    return messages


def _check_day(name: str, events: Any) -> tuple[list[str], frozenset | None]:
    if not isinstance(events, list):
        return [f"{name}: events must be a list."], None
    messages: list[str] = []
    timed: list[tuple[int, int, str]] = []  # (scheduleType, effective minutes, clock) of active events
    seen_types: set[int] = set()
    keys = []
    well_formed = True
    for index, event in enumerate(events):
        where = f"{name}, event {index + 1}"
        if not isinstance(event, dict):
            messages.append(f"{where}: must be an object.")
            well_formed = False
            continue
        kind, clock = event.get("scheduleType"), event.get("clock")
        active, temperature = event.get("active"), event.get("temperature")
        if not _is_int(kind) or kind not in TYPE_NAMES:
            messages.append(f"{where}: scheduleType must be 0 (WAKE), 1 (LEAVE), 2 (RETURN) or 3 (SLEEP).")
            well_formed = False
            continue
        where = f"{name}, {TYPE_NAMES[kind]}"
        if kind in seen_types:
            messages.append(f"{where}: only one {TYPE_NAMES[kind]} event is allowed per day.")
        seen_types.add(kind)
        if not isinstance(active, bool):
            messages.append(f"{where}: active must be true or false.")
            well_formed = False
        if not _is_int(temperature) or not MIN_TEMPERATURE <= temperature <= MAX_TEMPERATURE:
            messages.append(f"{where}: temperature must be 500 to 7000 (5–70 °C in hundredths).")
            well_formed = False
        minutes = clock_minutes(clock)
        if minutes is None:
            messages.append(f"{where}: clock must be a time HH:mm.")
            well_formed = False
            continue
        if minutes % 15:
            messages.append(f"{where} at {clock}: minutes must be 00, 15, 30 or 45.")
        if kind == 0 and active is False:
            messages.append(f"{where}: the WAKE event can never be deactivated.")
        if active is True or kind == 0:
            timed.append((kind, effective_minutes(kind, minutes), clock))
        keys.append((kind, clock, active, temperature))
    if 0 not in seen_types and well_formed:
        messages.append(f"{name}: a WAKE event is required.")
    timed.sort()
    for (kind_a, at_a, clock_a), (kind_b, at_b, clock_b) in zip(timed, timed[1:]):
        if kind_a == kind_b:
            continue
        if at_b - at_a < MIN_GAP_MINUTES:
            if at_b <= at_a:
                messages.append(f"{name}, {TYPE_NAMES[kind_b]} at {clock_b} must come after "
                                f"{TYPE_NAMES[kind_a]} at {clock_a}.")
            else:
                messages.append(f"{name}, {TYPE_NAMES[kind_b]} at {clock_b} is less than 15 minutes after "
                                f"{TYPE_NAMES[kind_a]} at {clock_a}.")
    return messages, (frozenset(keys) if well_formed else None)
