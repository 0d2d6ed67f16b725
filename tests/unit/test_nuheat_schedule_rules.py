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
    EVENTS_OUT_OF_ORDER,
    EVENTS_TOO_CLOSE,
    FIELD_INVALID,
    GROUP_DAYS_DIFFER,
    GROUP_INVALID,
    LEAVE,
    OFF_GRID,
    RETURN,
    SERIAL_MISSING,
    SHAPE_INVALID,
    SLEEP,
    SLEEP_TOO_LATE,
    TEMPERATURE_RANGE,
    TYPE_INVALID,
    TYPE_REPEATED,
    WAKE,
    WAKE_DEACTIVATED,
    WAKE_MISSING,
    WEEK_INCOMPLETE,
    WEEKDAY_INVALID,
    WEEKDAY_REPEATED,
    RuleViolation,
    check_day,
    check_schedule,
    snap_clock,
)

try:  # the property tests need hypothesis (test extra); the examples run without it
    from hypothesis import assume, given, settings
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
    # Monday-Friday in group 1, the weekend (6 Saturday, 7 Sunday) in group 2 with a lie-in
    weekend = [event("08:00", WAKE), event("23:30", SLEEP)]
    return schedule([day(d, group=1) for d in range(1, 6)]
                    + [day(d, copy.deepcopy(weekend), group=2) for d in (6, 7)])


def codes(violations):
    return [v.code for v in violations]


# --- examples, one rule at a time ------------------------------------------------------


def test_a_usual_week_is_valid():
    assert check_schedule(usual_week()) == []


def test_a_day_with_only_wake_is_valid_and_an_empty_day_is_not():
    assert check_day(day(1, [event("07:00", WAKE)])) == []
    (v,) = check_day(day(2, []))
    assert v.code == WAKE_MISSING and v.event_index is None and "Tuesday" in v.message


def test_events_fifteen_minutes_apart_pass_and_closer_fail():
    assert check_day(day(1, [event("06:00", WAKE), event("06:15", LEAVE)])) == []
    found = check_day(day(1, [event("06:00", WAKE), event("06:10", LEAVE)]))
    assert sorted(codes(found)) == sorted([OFF_GRID, EVENTS_TOO_CLOSE])
    close = next(v for v in found if v.code == EVENTS_TOO_CLOSE)
    assert close.event_index == 1 and close.event_type == LEAVE
    assert "10 min after WAKE at 06:00" in close.message and "at least 15 min" in close.message


def test_the_day_runs_wake_leave_return_sleep_whatever_the_list_order():
    events = [event("17:00", RETURN), event("06:00", WAKE), event("16:50", LEAVE)]
    close = [v for v in check_day(day(1, events)) if v.code == EVENTS_TOO_CLOSE]
    assert [(v.event_index, v.event_type) for v in close] == [(0, RETURN)]
    assert "10 min after LEAVE" in close[0].message


@pytest.mark.parametrize("leave", ["06:00", "05:00"])
def test_an_event_at_or_before_the_previous_type_is_out_of_order(leave):
    (v,) = check_day(day(1, [event("06:00", WAKE), event(leave, LEAVE)]))
    assert v.code == EVENTS_OUT_OF_ORDER and v.event_index == 1 and v.event_type == LEAVE
    assert "after WAKE at 06:00" in v.message


def test_inactive_events_keep_no_place_in_the_day():
    events = [event("06:00", WAKE), event("05:00", LEAVE, active=False),
              event("06:00", RETURN, active=False), event("12:00", SLEEP, active=False),
              event("18:00", LEAVE, active=False)]
    assert codes(check_day(day(1, events))) == [TYPE_REPEATED]
    del events[4]
    assert check_day(day(1, events)) == []
    events[1]["active"] = True  # LEAVE 05:00 before WAKE 06:00 now runs
    assert codes(check_day(day(1, events))) == [EVENTS_OUT_OF_ORDER]


def test_an_inactive_event_skipped_links_its_neighbours():
    events = usual_events()
    events[1]["active"] = False  # no LEAVE: WAKE 06:00 -> RETURN
    events[2]["clock"] = "06:15"
    assert check_day(day(1, events)) == []
    events[2]["clock"] = "06:00"
    assert codes(check_day(day(1, events))) == [EVENTS_OUT_OF_ORDER]


@pytest.mark.parametrize("clock", ["06:05", "06:10", "06:20", "06:59", "23:01"])
def test_minutes_off_the_quarter_hour_fail(clock):
    (v,) = check_day(day(1, [event(clock, WAKE)]))
    assert v.code == OFF_GRID and v.event_index == 0
    assert ":00, :15, :30 or :45" in v.message


def test_inactive_events_too_must_be_on_the_quarter_hour():
    (v,) = check_day(day(1, [event("06:00", WAKE), event("09:10", LEAVE, active=False)]))
    assert v.code == OFF_GRID and v.event_index == 1


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


@pytest.mark.parametrize("kind", [4, -1, None, "WAKE", True, 1.0])
def test_unknown_event_type_is_reported(kind):
    found = check_day(day(1, [event("06:00", kind)]))
    assert codes(found) == [TYPE_INVALID]
    assert found[0].event_type is None


@pytest.mark.parametrize("field_name, value", [("active", None), ("active", 1),
                                               ("temperature", None), ("temperature", 21.5),
                                               ("temperature", "2100"), ("temperature", True)])
def test_malformed_fields_are_reported(field_name, value):
    bad = event("06:00", WAKE)
    bad[field_name] = value
    (v,) = check_day(day(1, [bad]))
    assert v.code == FIELD_INVALID and v.event_index == 0


@pytest.mark.parametrize("temperature, ok", [(499, False), (500, True), (7000, True),
                                             (7001, False), (-100, False)])
def test_temperatures_from_5_to_70_degrees(temperature, ok):
    found = check_day(day(1, [event("06:00", WAKE, temperature=temperature)]))
    assert codes(found) == ([] if ok else [TEMPERATURE_RANGE])
    if not ok:
        assert "outside 5-70 °C" in found[0].message


def test_wake_cannot_be_deactivated_but_others_can():
    events = usual_events()
    for other in events[1:]:
        other["active"] = False
    assert check_day(day(1, events)) == []
    events[0]["active"] = False
    (v,) = check_day(day(3, events))
    assert v.code == WAKE_DEACTIVATED and v.event_index == 0 and v.event_type == WAKE
    assert v.weekday == 3 and "Wednesday" in v.message


def test_an_inactive_wake_still_keeps_its_place():
    events = [event("06:00", WAKE, active=False), event("06:00", LEAVE)]
    assert sorted(codes(check_day(day(1, events)))) == sorted([WAKE_DEACTIVATED,
                                                               EVENTS_OUT_OF_ORDER])


@pytest.mark.parametrize("clock", ["00:00", "01:30", "02:45"])
def test_sleep_after_midnight_before_three_is_allowed(clock):
    events = usual_events()
    events[3]["clock"] = clock
    assert check_day(day(1, events)) == []


@pytest.mark.parametrize("clock", ["03:00", "04:30", "05:45"])
def test_sleep_after_midnight_from_three_on_is_refused(clock):
    events = usual_events()  # RETURN 17:00, so a SLEEP at 03:00+ would be the next night's
    events[3]["clock"] = clock
    (v,) = check_day(day(1, events))
    assert v.code == SLEEP_TOO_LATE and v.event_index == 3 and v.event_type == SLEEP
    assert "before 03:00" in v.message


def test_sleep_between_other_events_is_refused():
    events = usual_events()
    events[3]["clock"] = "12:00"  # before RETURN 17:00
    assert codes(check_day(day(1, events))) == [SLEEP_TOO_LATE]


def test_an_inactive_sleep_may_sit_anywhere():
    events = usual_events()
    events[3].update(clock="12:00", active=False)
    assert check_day(day(1, events)) == []


def test_sleep_at_midnight_counts_fifteen_minutes_after_a_late_return():
    events = [event("06:00", WAKE), event("23:45", RETURN), event("00:00", SLEEP)]
    assert check_day(day(1, events)) == []
    events[2]["clock"] = "23:45"
    assert codes(check_day(day(1, events))) == [SLEEP_TOO_LATE]


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
    assert v.code == GROUP_DAYS_DIFFER and v.weekday == 7 and v.event_index == 2
    assert "Sunday" in v.message and "Saturday" in v.message


def test_a_day_missing_an_event_differs_from_its_group():
    week = usual_week()
    del week["days"][4]["events"][2]  # Friday without RETURN
    (v,) = check_schedule(week)
    assert v.code == GROUP_DAYS_DIFFER and v.weekday == 5 and v.event_index is None


def test_equal_days_in_different_groups_are_fine():
    assert check_schedule(schedule([day(d, group=d) for d in range(1, 8)])) == []


def test_the_week_needs_each_day_once_and_a_serial():
    week = usual_week()
    week["days"][6]["weekDay"] = 6
    assert codes(check_schedule(week)) == [WEEKDAY_REPEATED, WEEK_INCOMPLETE]
    assert "missing: Sunday" in check_schedule(week)[1].message
    week["days"][6]["weekDay"] = 0
    assert codes(check_schedule(week))[0] == WEEKDAY_INVALID
    week = usual_week()
    week["serialNumber"] = ""
    week["days"][0]["weekDayGroupNumber"] = "1"
    assert codes(check_schedule(week)) == [SERIAL_MISSING, GROUP_INVALID]
    assert codes(check_schedule({"days": []})) == [SERIAL_MISSING, WEEK_INCOMPLETE]


@pytest.mark.parametrize("bad, code", [({"serialNumber": "1", "days": 5}, SHAPE_INVALID),
                                       ({"serialNumber": "1", "days": "1234567"}, SHAPE_INVALID),
                                       (None, SERIAL_MISSING), ([], SERIAL_MISSING)])
def test_a_schedule_of_the_wrong_shape_is_reported_not_raised(bad, code):
    assert code in codes(check_schedule(bad))


def test_events_of_the_wrong_shape_are_reported_not_raised():
    week = usual_week()
    week["days"][0]["events"] = {"clock": "06:00"}
    week["days"][1]["events"] = [None, "x", 7, {"clock": ["06", "00"], "temperature": [1]}]
    found = check_schedule(week)
    assert [v.code for v in found if v.weekday == 1][0] == SHAPE_INVALID
    assert TYPE_INVALID in [v.code for v in found if v.weekday == 2]


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


def test_objects_are_read_like_dicts():
    good = [SnakeEvent("06:00", WAKE), SnakeEvent("22:00", SLEEP)]
    bad = [SnakeEvent("06:00", WAKE, active=False), SnakeEvent("22:00", SLEEP)]
    days = [SnakeDay(d, 1, copy.deepcopy(good)) for d in range(1, 8)]
    assert check_schedule(CamelSchedule("1", days)) == []
    days[1] = SnakeDay(2, 1, bad)
    assert sorted(codes(check_schedule(CamelSchedule("1", days)))) == [GROUP_DAYS_DIFFER,
                                                                        WAKE_DEACTIVATED]


def test_the_models_module_is_accepted_when_it_exists():
    models = pytest.importorskip("app.vendors.nuheat.models")
    parse = getattr(getattr(models, "ScheduleModel", None), "from_api", None)
    if parse is None:
        pytest.skip("models.py has no ScheduleModel.from_api yet")
    week = usual_week()
    assert check_schedule(parse(week)) == []
    week["days"][0]["events"][0]["active"] = False
    assert WAKE_DEACTIVATED in codes(check_schedule(parse(week)))


# --- snapping and speed ----------------------------------------------------------------


@pytest.mark.parametrize("minutes, snapped", [(0, 0), (7, 0), (7.4, 0), (7.5, 15), (8, 15),
                                              (22, 15), (23, 30), (361, 360), (1430, 1425),
                                              (1439, 1425), (2000, 1425), (-20, 0)])
def test_snap_clock_rounds_to_the_nearest_quarter_inside_the_day(minutes, snapped):
    assert snap_clock(minutes) == snapped


def test_check_day_is_cheap_enough_for_every_mouse_move():
    d = day(1, usual_events())
    d["events"][1]["clock"] = "06:05"  # violations too, so messages get built
    start = time.perf_counter()
    for _ in range(2000):
        check_day(d)
    per_call = (time.perf_counter() - start) / 2000
    assert per_call < 0.001  # a frame is 16 ms; this is typically ~10-20 µs


# --- hypothesis: generated valid schedules pass, single-rule mutations are caught --------

SLOTS_PER_DAY = 96  # quarter hours
AFTER_MIDNIGHT_SLOTS = 12  # 00:00-02:45, for SLEEP


def slot_clock(slot: int) -> str:
    return rules.format_clock(slot * 15)


def build_schedule(templates, group_of, serial="12345678"):
    """Seven days (1 Monday .. 7 Sunday); day i uses event set group_of[i-1], and days with
    the same set share a week-day group."""
    days = [{"weekDay": weekday, "weekDayGroupNumber": group + 1,
             "events": copy.deepcopy(templates[group])}
            for weekday, group in enumerate(group_of, start=1)]
    return {"serialNumber": serial, "days": days}


if st is None:

    def test_property_tests_need_hypothesis():
        pytest.importorskip("hypothesis")

else:
    # deadline=None on each property: a busy machine must not turn slowness into a failure
    temperatures = st.integers(rules.MIN_TEMPERATURE, rules.MAX_TEMPERATURE)

    @st.composite
    def valid_day_events(draw):
        """Events of one valid day: WAKE (active) and some of LEAVE, RETURN, SLEEP, each once.
        Running events sit on distinct quarter hours in type order, SLEEP last (maybe after
        midnight, before 03:00); inactive ones anywhere on the grid."""
        kinds = [WAKE] + draw(st.lists(st.sampled_from([LEAVE, RETURN, SLEEP]), unique=True))
        kinds.sort()
        active = {k: k == WAKE or draw(st.booleans()) for k in kinds}
        running_day = [k for k in kinds if active[k] and k != SLEEP]
        slots = sorted(draw(st.lists(st.integers(0, SLOTS_PER_DAY - 1), unique=True,
                                     min_size=len(running_day), max_size=len(running_day))))
        slot_of = dict(zip(running_day, slots))
        if SLEEP in kinds and active[SLEEP]:
            first = slots[-1] + 1
            slot_of[SLEEP] = draw(st.integers(first, SLOTS_PER_DAY + AFTER_MIDNIGHT_SLOTS - 1))
        events = []
        for kind in kinds:
            slot = slot_of.get(kind)
            if slot is None:
                slot = draw(st.integers(0, SLOTS_PER_DAY - 1))
            events.append(event(slot_clock(slot % SLOTS_PER_DAY), kind, active[kind],
                                draw(temperatures)))
        return draw(st.permutations(events))

    @st.composite
    def valid_templates(draw):
        """(templates, group_of): distinct event sets and which one each week day uses."""
        count = draw(st.integers(1, 7))
        templates = draw(st.lists(valid_day_events(), min_size=count, max_size=count))
        group_of = draw(st.lists(st.integers(0, count - 1), min_size=7, max_size=7))
        return templates, group_of

    valid_schedules = valid_templates().map(lambda t: build_schedule(*t))

    @settings(deadline=None)
    @given(valid_schedules)
    def test_generated_valid_schedules_pass(sched):
        assert check_schedule(sched) == []

    @settings(deadline=None)
    @given(valid_day_events())
    def test_check_day_agrees_with_check_schedule_on_one_day(events):
        week = build_schedule([events], [0] * 7)
        week["days"][0]["events"].append(event("xx", WAKE))
        found = check_schedule(week)
        assert [v for v in found if v.weekday == 1 and v.code != GROUP_DAYS_DIFFER] == \
            check_day(week["days"][0])

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

    def _running(events):
        """(position, event) of the running events in day order."""
        timed = [(rules.day_position(e["scheduleType"], rules.parse_clock(e["clock"])), e)
                 for e in events if e["active"] or e["scheduleType"] == WAKE]
        return sorted(timed, key=lambda t: t[1]["scheduleType"])

    @settings(deadline=None)
    @given(st.data())
    def test_events_too_close_is_reported(data):
        def mutate(events):
            running = _running(events)
            assume(len(running) >= 2)
            i = data.draw(st.integers(1, len(running) - 1))
            (before, _), (_, moved_event) = running[i - 1], running[i]
            moved = before + data.draw(st.sampled_from([5, 10, 14]))
            clock = moved % 1440
            assume(rules.day_position(moved_event["scheduleType"], clock) == moved)
            moved_event["clock"] = rules.format_clock(clock)
        sched, group = _mutated(data.draw, mutate)
        _assert_reported(sched, EVENTS_TOO_CLOSE, group)

    @settings(deadline=None)
    @given(st.data())
    def test_events_out_of_order_is_reported(data):
        def mutate(events):
            running = [e for _, e in _running(events) if e["scheduleType"] != SLEEP]
            assume(len(running) >= 2)
            a, b = running[0], running[data.draw(st.integers(1, len(running) - 1))]
            a["clock"], b["clock"] = b["clock"], a["clock"]
        sched, group = _mutated(data.draw, mutate)
        _assert_reported(sched, EVENTS_OUT_OF_ORDER, group)

    @settings(deadline=None)
    @given(st.data())
    def test_minutes_off_grid_is_reported(data):
        def mutate(events):
            i = data.draw(st.integers(0, len(events) - 1))
            hour = events[i]["clock"][:2]
            minute = data.draw(st.integers(0, 59).filter(lambda m: m % 15))
            events[i]["clock"] = f"{hour}:{minute:02d}"
        sched, group = _mutated(data.draw, mutate)
        _assert_reported(sched, OFF_GRID, group)

    @settings(deadline=None)
    @given(st.data())
    def test_wake_deactivated_is_reported(data):
        def mutate(events):
            next(e for e in events if e["scheduleType"] == WAKE)["active"] = False
        sched, group = _mutated(data.draw, mutate)
        assert set(codes(check_schedule(sched))) == {WAKE_DEACTIVATED}
        _assert_reported(sched, WAKE_DEACTIVATED, group)

    @settings(deadline=None)
    @given(st.data())
    def test_wake_missing_is_reported(data):
        def mutate(events):
            events.remove(next(e for e in events if e["scheduleType"] == WAKE))
        sched, group = _mutated(data.draw, mutate)
        _assert_reported(sched, WAKE_MISSING, group)

    @settings(deadline=None)
    @given(st.data())
    def test_sleep_after_midnight_too_late_is_reported(data):
        def mutate(events):
            sleeps = [e for e in events if e["scheduleType"] == SLEEP]
            latest = max(p for p, e in _running(events) if e["scheduleType"] != SLEEP)
            assume(sleeps and latest >= 180)
            slot = data.draw(st.integers(12, latest // 15))  # 03:00 .. the latest event
            sleeps[0].update(clock=slot_clock(slot), active=True)
        sched, group = _mutated(data.draw, mutate)
        _assert_reported(sched, SLEEP_TOO_LATE, group)

    @settings(deadline=None)
    @given(st.data())
    def test_event_type_repeated_is_reported(data):
        def mutate(events):
            extra = copy.deepcopy(data.draw(st.sampled_from(events)))
            extra["active"] = extra["scheduleType"] == WAKE
            events.append(extra)
        sched, group = _mutated(data.draw, mutate)
        _assert_reported(sched, TYPE_REPEATED, group)

    @settings(deadline=None)
    @given(st.data())
    def test_temperature_out_of_range_is_reported(data):
        def mutate(events):
            victim = data.draw(st.sampled_from(events))
            victim["temperature"] = data.draw(st.one_of(st.integers(-1000, 499),
                                                        st.integers(7001, 20000)))
        sched, group = _mutated(data.draw, mutate)
        assert set(codes(check_schedule(sched))) == {TEMPERATURE_RANGE}
        _assert_reported(sched, TEMPERATURE_RANGE, group)

    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                    max_size=4),
        max_leaves=12)
    event_like = st.fixed_dictionaries({}, optional={
        "clock": json_values | st.sampled_from(["06:00", "24:00", "00:07"]),
        "scheduleType": json_values | st.integers(-1, 4), "active": json_values,
        "temperature": json_values | st.integers(0, 8000)})
    day_like = st.fixed_dictionaries({}, optional={
        "weekDay": json_values | st.integers(0, 8), "weekDayGroupNumber": json_values,
        "events": json_values | st.lists(event_like | json_values, max_size=5)})
    schedule_like = json_values | st.fixed_dictionaries({}, optional={
        "serialNumber": json_values, "days": json_values | st.lists(day_like | json_values,
                                                                    max_size=8)})

    @settings(deadline=None)
    @given(schedule_like)
    def test_any_json_gives_violations_never_an_exception(value):
        found = check_schedule(value)
        assert all(isinstance(v, RuleViolation) and v.code in rules.RULE_CODES for v in found)
        assert all(isinstance(v.message, str) and v.message for v in found)

    @settings(deadline=None)
    @given(day_like | json_values)
    def test_check_day_takes_any_json_day(value):
        assert all(v.code in rules.RULE_CODES for v in check_day(value))

    @settings(deadline=None)
    @given(valid_templates(), st.data())
    def test_group_days_differ_is_reported(templates_and_groups, data):
        templates, group_of = templates_and_groups
        a, b = data.draw(st.lists(st.integers(0, 6), unique=True, min_size=2, max_size=2))
        group_of[b] = group_of[a]
        sched = build_schedule(templates, group_of)
        assert check_schedule(sched) == []
        events = sched["days"][b]["events"]
        victim = events[data.draw(st.integers(0, len(events) - 1))]
        victim["temperature"] += data.draw(st.sampled_from([-100, -1, 1, 50]))
        assume(rules.MIN_TEMPERATURE <= victim["temperature"] <= rules.MAX_TEMPERATURE)
        found = check_schedule(sched)
        assert found and set(codes(found)) == {GROUP_DAYS_DIFFER}
        assert all(v.group == group_of[a] + 1 for v in found)
        # the changed day is flagged, or it is the group's reference and the others are
        flagged = [v.weekday for v in found]
        assert b + 1 in flagged or len(found) == group_of.count(group_of[a]) - 1
