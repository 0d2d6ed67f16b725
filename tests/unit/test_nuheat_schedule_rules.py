"""Nuheat schedule rules: one example per rule, then hypothesis properties (valid schedules
pass; a mutation that breaks one rule is reported with that rule's code)."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import pytest

from app.vendors.nuheat import schedule_rules as rules
from app.vendors.nuheat.schedule_rules import (
    CLOCK_INVALID,
    EVENTS_TOO_CLOSE,
    GROUP_DAYS_DIFFER,
    LEAVE,
    OFF_GRID,
    RETURN,
    SLEEP,
    SLEEP_TOO_LATE,
    TYPE_INVALID,
    TYPE_REPEATED,
    WAKE,
    WAKE_DEACTIVATED,
    RuleViolation,
    check_day,
    check_schedule,
    snap_clock,
)

try:  # the property tests need hypothesis (test extra); the examples run without it
    from hypothesis import assume, given
    from hypothesis import strategies as st
except ImportError:
    st = None


def event(clock, kind, active=True, temperature=2100):
    return {"clock": clock, "scheduleType": kind, "active": active, "temperature": temperature}


def usual_events():
    return [event("06:00", WAKE, temperature=2200), event("08:30", LEAVE, temperature=1800),
            event("17:00", RETURN, temperature=2200), event("22:30", SLEEP, temperature=1900)]


def day(weekday, events=None, group=1):
    return {"weekDay": weekday, "weekDayGroupNumber": group,
            "events": usual_events() if events is None else events}


def schedule(days):
    return {"serialNumber": "12345678", "days": days}


def usual_week():
    # weekdays (Mon-Fri) in group 1, weekend in group 2 with a lie-in
    weekend = [event("08:00", WAKE), event("23:30", SLEEP)]
    return schedule([day(d, group=1) for d in range(1, 6)]
                    + [day(d, copy.deepcopy(weekend), group=2) for d in (6, 0)])


def codes(violations):
    return [v.code for v in violations]


# --- examples, one rule at a time ------------------------------------------------------


def test_a_usual_week_is_valid():
    assert check_schedule(usual_week()) == []


def test_empty_schedule_and_empty_day_are_valid():
    assert check_schedule(schedule([])) == []
    assert check_day(day(1, [])) == []


def test_events_fifteen_minutes_apart_pass_and_closer_fail():
    ok = [event("06:00", WAKE), event("06:15", LEAVE)]
    assert check_day(day(1, ok)) == []
    same = [event("06:00", WAKE), event("06:00", LEAVE)]
    (v,) = check_day(day(1, same))
    assert v.code == EVENTS_TOO_CLOSE and v.event_index == 1 and v.event_type == LEAVE
    assert "0 min" in v.message and "at least 15 min" in v.message


def test_closeness_is_measured_in_time_order_not_list_order():
    events = [event("17:00", RETURN), event("06:00", WAKE), event("16:50", LEAVE)]
    found = check_day(day(1, events))
    close = [v for v in found if v.code == EVENTS_TOO_CLOSE]
    assert [(v.event_index, v.event_type) for v in close] == [(0, RETURN)]
    assert "10 min after LEAVE" in close[0].message


def test_inactive_events_still_count_for_spacing():
    events = [event("06:00", WAKE), event("06:00", LEAVE, active=False)]
    assert codes(check_day(day(1, events))) == [EVENTS_TOO_CLOSE]


@pytest.mark.parametrize("clock", ["06:05", "06:10", "06:20", "06:59", "23:01"])
def test_minutes_off_the_quarter_hour_fail(clock):
    (v,) = check_day(day(1, [event(clock, WAKE)]))
    assert v.code == OFF_GRID and v.event_index == 0
    assert ":00, :15, :30 or :45" in v.message


@pytest.mark.parametrize("clock", ["00:00", "06:15", "12:30", "23:45"])
def test_minutes_on_the_quarter_hour_pass(clock):
    assert check_day(day(1, [event(clock, WAKE)])) == []


def test_off_grid_message_suggests_the_nearest_quarter():
    (v,) = check_day(day(1, [event("06:08", WAKE)]))
    assert "e.g. 06:15" in v.message


@pytest.mark.parametrize("clock", ["6:00", "24:00", "06:60", "0600", "ab:cd", "", None, 600,
                                   "０６:００"])
def test_unreadable_clock_is_reported(clock):
    (v,) = check_day(day(1, [event(clock, WAKE)]))
    assert v.code == CLOCK_INVALID and v.event_index == 0


@pytest.mark.parametrize("kind", [4, -1, None, "WAKE", True])
def test_unknown_event_type_is_reported(kind):
    found = check_day(day(1, [event("06:00", kind)]))
    assert codes(found) == [TYPE_INVALID]
    assert found[0].event_type is None


def test_wake_cannot_be_deactivated_but_others_can():
    events = usual_events()
    events[1]["active"] = False
    events[2]["active"] = False
    events[3]["active"] = False
    assert check_day(day(1, events)) == []
    events[0]["active"] = False
    (v,) = check_day(day(3, events))
    assert v.code == WAKE_DEACTIVATED and v.event_index == 0 and v.event_type == WAKE
    assert v.weekday == 3 and "Wednesday" in v.message


@pytest.mark.parametrize("clock", ["00:00", "01:30", "02:45"])
def test_sleep_after_midnight_before_three_is_allowed(clock):
    events = usual_events()
    events[3]["clock"] = clock
    assert check_day(day(1, events)) == []


@pytest.mark.parametrize("clock", ["03:00", "04:30", "05:45"])
def test_sleep_after_midnight_from_three_on_is_refused(clock):
    events = usual_events()  # WAKE 06:00 ... SLEEP would sit before WAKE
    events[3]["clock"] = clock
    (v,) = check_day(day(1, events))
    assert v.code == SLEEP_TOO_LATE and v.event_index == 3 and v.event_type == SLEEP
    assert "before 03:00" in v.message


def test_sleep_between_other_events_is_refused():
    events = usual_events()
    events[3]["clock"] = "12:00"  # before RETURN 17:00
    assert codes(check_day(day(1, events))) == [SLEEP_TOO_LATE]


def test_sleep_at_midnight_counts_fifteen_minutes_after_a_late_return():
    events = [event("06:00", WAKE), event("23:45", RETURN), event("00:00", SLEEP)]
    assert check_day(day(1, events)) == []
    events[1]["clock"] = "23:45"
    events[2]["clock"] = "23:45"
    assert EVENTS_TOO_CLOSE in codes(check_day(day(1, events)))


def test_a_sleep_alone_early_in_the_morning_is_fine():
    assert check_day(day(1, [event("01:00", SLEEP)])) == []


def test_same_event_type_twice_a_day_is_refused():
    events = usual_events() + [event("12:00", LEAVE)]
    (v,) = check_day(day(2, events))
    assert v.code == TYPE_REPEATED and v.event_index == 4 and v.event_type == LEAVE
    assert "already has a LEAVE event" in v.message


def test_days_in_one_group_must_have_the_same_events():
    week = usual_week()
    week["days"][2]["events"][1]["temperature"] = 1700  # Wednesday differs from Monday
    (v,) = check_schedule(week)
    assert v.code == GROUP_DAYS_DIFFER
    assert (v.weekday, v.group, v.event_index, v.event_type) == (3, 1, 1, LEAVE)
    assert "Wednesday" in v.message and "Monday" in v.message and "group 1" in v.message


def test_group_days_may_list_the_same_events_in_another_order():
    week = usual_week()
    week["days"][1]["events"].reverse()
    assert check_schedule(week) == []


def test_a_day_with_an_extra_event_differs_from_its_group():
    week = usual_week()
    week["days"][6]["events"].append(event("12:00", LEAVE))  # Sunday, group 2 with Saturday
    (v,) = check_schedule(week)
    assert v.code == GROUP_DAYS_DIFFER and v.weekday == 0 and v.event_index == 2


def test_a_day_missing_an_event_differs_from_its_group():
    week = usual_week()
    del week["days"][4]["events"][2]  # Friday without RETURN
    (v,) = check_schedule(week)
    assert v.code == GROUP_DAYS_DIFFER and v.weekday == 5 and v.event_index is None


def test_equal_days_in_different_groups_are_fine():
    week = schedule([day(d, group=d + 1) for d in range(7)])
    assert check_schedule(week) == []


def test_violation_carries_rule_code_alias_and_is_immutable():
    v = RuleViolation(OFF_GRID, "m", 1, 1, 0, WAKE)
    assert v.rule_code == OFF_GRID
    with pytest.raises(AttributeError):
        v.code = "x"  # type: ignore[misc]


# --- objects instead of dicts (models.py dataclasses, camelCase or snake_case) ----------


@dataclass
class SnakeEvent:
    clock: str
    schedule_type: int
    active: bool = True
    temperature: int = 2000


@dataclass
class SnakeDay:
    week_day: int
    week_day_group_number: int
    events: list = field(default_factory=list)


@dataclass
class CamelSchedule:
    serialNumber: str
    days: list


def test_model_objects_are_read_like_dicts():
    good = [SnakeEvent("06:00", WAKE), SnakeEvent("22:00", SLEEP)]
    bad = [SnakeEvent("06:00", WAKE, active=False), SnakeEvent("22:00", SLEEP)]
    sched = CamelSchedule("1", [SnakeDay(1, 1, good), SnakeDay(2, 1, bad)])
    assert sorted(codes(check_schedule(sched))) == [GROUP_DAYS_DIFFER, WAKE_DEACTIVATED]


def test_the_models_module_is_accepted_when_it_exists():
    models = pytest.importorskip("app.vendors.nuheat.models")
    needed = ("ScheduleModel", "ScheduleDayModel", "ScheduleDayEventModel")
    if not all(hasattr(models, name) for name in needed):
        pytest.skip("models.py has no schedule dataclasses yet")
    parse = getattr(models, "parse_schedule", None) or getattr(models.ScheduleModel, "from_json",
                                                                None)
    if parse is None:
        pytest.skip("models.py has no parser for a ScheduleModel")
    week = usual_week()
    assert check_schedule(parse(week)) == []
    week["days"][0]["events"][0]["active"] = False
    assert WAKE_DEACTIVATED in codes(check_schedule(parse(week)))


# --- snapping --------------------------------------------------------------------------


@pytest.mark.parametrize("minutes, snapped", [(0, 0), (7, 0), (7.4, 0), (7.5, 15), (8, 15),
                                              (22, 15), (23, 30), (361, 360), (1430, 1425),
                                              (1439, 1425), (2000, 1425), (-20, 0)])
def test_snap_clock_rounds_to_the_nearest_quarter_inside_the_day(minutes, snapped):
    assert snap_clock(minutes) == snapped


def test_check_day_is_cheap_enough_for_every_mouse_move():
    d = day(1, usual_events())
    d["events"][1]["clock"] = "06:05"  # a violation too, so messages get built
    start = time.perf_counter()
    for _ in range(2000):
        check_day(d)
    per_call = (time.perf_counter() - start) / 2000
    assert per_call < 0.001  # a frame is 16 ms; this is typically ~10 µs


# --- hypothesis: generated valid schedules pass, single-rule mutations are caught --------

if st is None:

    def test_property_tests_need_hypothesis():
        pytest.importorskip("hypothesis")

else:

    SLOTS_PER_DAY = 96  # quarter hours
    AFTER_MIDNIGHT_SLOTS = 12  # 00:00-02:45 for SLEEP


    def _slot_clock(slot: int) -> str:
        return rules.format_clock(slot * 15)


    @st.composite
    def valid_day_events(draw):
        """Events of one valid day: a subset of the four types, each once, on distinct quarter
        hours; SLEEP (if any) last, possibly after midnight before 03:00."""
        kinds = draw(st.lists(st.sampled_from([WAKE, LEAVE, RETURN]), unique=True, max_size=3))
        with_sleep = draw(st.booleans())
        slots = draw(st.lists(st.integers(0, SLOTS_PER_DAY - 1), unique=True,
                              min_size=len(kinds), max_size=len(kinds)))
        events = []
        for kind, slot in zip(kinds, slots):
            active = True if kind == WAKE else draw(st.booleans())
            events.append(event(_slot_clock(slot), kind, active,
                                draw(st.integers(500, 7000))))
        if with_sleep:
            first = max(slots) + 1 if slots else 0
            slot = draw(st.integers(first, SLOTS_PER_DAY + AFTER_MIDNIGHT_SLOTS - 1))
            events.append(event(_slot_clock(slot % SLOTS_PER_DAY), SLEEP, draw(st.booleans()),
                                draw(st.integers(500, 7000))))
        return draw(st.permutations(events))


    @st.composite
    def valid_templates(draw):
        """(templates, group_of_weekday): distinct event sets and which one each day uses."""
        count = draw(st.integers(1, 7))
        templates = draw(st.lists(valid_day_events(), min_size=count, max_size=count))
        group_of = draw(st.lists(st.integers(0, count - 1), min_size=7, max_size=7))
        return templates, group_of


    def build_schedule(templates, group_of, serial="12345678"):
        days = [{"weekDay": weekday, "weekDayGroupNumber": group + 1,
                 "events": copy.deepcopy(templates[group])}
                for weekday, group in enumerate(group_of)]
        return {"serialNumber": serial, "days": days}


    valid_schedules = valid_templates().map(lambda t: build_schedule(*t))


    @given(valid_schedules)
    def test_generated_valid_schedules_pass(sched):
        assert check_schedule(sched) == []


    @given(valid_day_events())
    def test_check_day_agrees_with_check_schedule_on_one_day(events):
        one = schedule([day(1, events)])
        assert check_day(one["days"][0]) == check_schedule(one)


    def _mutated(draw, mutate):
        templates, group_of = draw(valid_templates())
        index = draw(st.integers(0, len(templates) - 1))
        group_of[draw(st.integers(0, 6))] = index  # the mutated set is used by at least one day
        mutate(templates[index])
        return build_schedule(templates, group_of), index + 1


    def _assert_reported(sched, code, group):
        found = check_schedule(sched)
        assert code in codes(found), found
        assert all(v.group == group for v in found if v.code == code)


    @given(st.data())
    def test_events_too_close_is_reported(data):
        def mutate(events):
            assume(len(events) >= 2)
            a, b = data.draw(st.lists(st.integers(0, len(events) - 1), unique=True, min_size=2,
                                      max_size=2))
            base = rules.parse_clock(events[a]["clock"])
            if events[a]["scheduleType"] == SLEEP and base < 180:
                base += 1440
            gap = data.draw(st.sampled_from([0, 5, 10, 14]))
            moved = base + gap
            clock = moved % 1440
            # it must land at that instant: only a SLEEP before 03:00 sits past midnight
            after_midnight = events[b]["scheduleType"] == SLEEP and clock < 180
            assume(moved == clock + (1440 if after_midnight else 0))
            events[b]["clock"] = rules.format_clock(moved)
        sched, group = _mutated(data.draw, mutate)
        _assert_reported(sched, EVENTS_TOO_CLOSE, group)


    @given(st.data())
    def test_minutes_off_grid_is_reported(data):
        def mutate(events):
            assume(events)
            i = data.draw(st.integers(0, len(events) - 1))
            hour = events[i]["clock"][:2]
            minute = data.draw(st.integers(0, 59).filter(lambda m: m % 15))
            events[i]["clock"] = f"{hour}:{minute:02d}"
        sched, group = _mutated(data.draw, mutate)
        _assert_reported(sched, OFF_GRID, group)


    @given(st.data())
    def test_wake_deactivated_is_reported(data):
        def mutate(events):
            wakes = [e for e in events if e["scheduleType"] == WAKE]
            assume(wakes)
            wakes[0]["active"] = False
        sched, group = _mutated(data.draw, mutate)
        assert set(codes(check_schedule(sched))) == {WAKE_DEACTIVATED}
        _assert_reported(sched, WAKE_DEACTIVATED, group)


    @given(st.data())
    def test_sleep_after_midnight_too_late_is_reported(data):
        def mutate(events):
            sleeps = [e for e in events if e["scheduleType"] == SLEEP]
            others = [rules.parse_clock(e["clock"]) for e in events if e["scheduleType"] != SLEEP]
            assume(sleeps and others and max(others) >= 180 + 15)
            slot = data.draw(st.integers(12, max(others) // 15 - 1))  # 03:00 .. before the last
            sleeps[0]["clock"] = _slot_clock(slot)
        sched, group = _mutated(data.draw, mutate)
        _assert_reported(sched, SLEEP_TOO_LATE, group)


    @given(st.data())
    def test_event_type_repeated_is_reported(data):
        def mutate(events):
            assume(len(events) >= 2)
            a, b = data.draw(st.lists(st.integers(0, len(events) - 1), unique=True, min_size=2,
                                      max_size=2))
            events[b]["scheduleType"] = events[a]["scheduleType"]
        sched, group = _mutated(data.draw, mutate)
        _assert_reported(sched, TYPE_REPEATED, group)


    @given(valid_templates(), st.data())
    def test_group_days_differ_is_reported(templates_and_groups, data):
        templates, group_of = templates_and_groups
        a, b = data.draw(st.lists(st.integers(0, 6), unique=True, min_size=2, max_size=2))
        group_of[b] = group_of[a]
        sched = build_schedule(templates, group_of)
        assert check_schedule(sched) == []
        events = sched["days"][b]["events"]
        assume(events)
        victim = events[data.draw(st.integers(0, len(events) - 1))]
        victim["temperature"] += data.draw(st.sampled_from([-100, -1, 1, 50]))
        found = check_schedule(sched)
        assert found and set(codes(found)) == {GROUP_DAYS_DIFFER}
        assert all(v.group == group_of[a] + 1 for v in found)
        # the changed day is flagged, or it is the group's reference and the others are
        assert b in [v.weekday for v in found] or len(found) == group_of.count(group_of[a]) - 1
