"""The Nuheat simulator's own server-side schedule rules (app/simulators/nuheat/schedule_checks.py)."""

from __future__ import annotations

import copy

import pytest

from app.simulators.nuheat.demo import every_day_schedule, weekday_weekend_schedule
from app.simulators.nuheat.schedule_checks import check_schedule


def schedule(days=None):
    return {"serialNumber": "1270337", "days": days if days is not None else weekday_weekend_schedule()}


def with_event(day_index: int, event_index: int, **changes):
    body = schedule()
    body["days"][day_index]["events"][event_index].update(changes)
    return body


def set_group_events(body, group: int, event_index: int, **changes):
    for day in body["days"]:
        if day["weekDayGroupNumber"] == group:
            day["events"][event_index].update(changes)
    return body


@pytest.mark.parametrize("days", [weekday_weekend_schedule(), every_day_schedule()])
def test_demo_schedules_are_valid(days):
    assert check_schedule(schedule(days)) == []


def test_minutes_must_be_on_the_quarter_hour():
    body = set_group_events(schedule(), 1, 1, clock="08:10")
    problems = check_schedule(body)
    assert any("Monday, LEAVE at 08:10: minutes must be 00, 15, 30 or 45" in p for p in problems)


def test_events_at_least_15_minutes_apart_and_in_order():
    assert check_schedule(set_group_events(schedule(), 1, 1, clock="06:45")) == []  # exactly 15 min after WAKE
    problems = check_schedule(set_group_events(schedule(), 1, 1, clock="06:30"))
    assert any("LEAVE at 06:30 must come after WAKE at 06:30" in p for p in problems)
    problems = check_schedule(set_group_events(schedule(), 1, 2, clock="08:00"))
    assert any("RETURN at 08:00 must come after LEAVE" in p for p in problems)
    # on quarter hours a gap is 0 or >= 15; off them both rules speak
    problems = check_schedule(set_group_events(schedule(), 1, 1, clock="06:40"))
    assert any("LEAVE at 06:40 is less than 15 minutes after WAKE at 06:30" in p for p in problems)
    assert any("minutes must be 00, 15, 30 or 45" in p for p in problems)


def test_inactive_events_do_not_take_part_in_spacing():
    body = set_group_events(schedule(), 2, 1, clock="08:00")  # weekend LEAVE is inactive
    assert check_schedule(body) == []


def test_wake_can_never_be_deactivated_or_left_out():
    problems = check_schedule(set_group_events(schedule(), 1, 0, active=False))
    assert any("WAKE event can never be deactivated" in p for p in problems)
    body = schedule()
    for day in body["days"]:
        day["events"] = day["events"][1:]
    assert any("a WAKE event is required" in p for p in check_schedule(body))


def test_sleep_after_midnight_only_before_three():
    assert check_schedule(set_group_events(schedule(), 1, 3, clock="02:45")) == []
    problems = check_schedule(set_group_events(schedule(), 1, 3, clock="03:00"))
    assert any("SLEEP at 03:00 must come after RETURN" in p for p in problems)
    # after midnight it is still spaced from... nothing earlier that night: 00:00 is fine
    assert check_schedule(set_group_events(schedule(), 1, 3, clock="00:00")) == []


def test_no_event_type_twice_a_day():
    body = schedule()
    for day in body["days"][:5]:
        day["events"].append({"clock": "12:00", "scheduleType": 1, "active": True, "temperature": 1900})
    problems = check_schedule(body)
    assert any("only one LEAVE event is allowed per day" in p for p in problems)


def test_different_events_never_share_a_week_day_group():
    body = with_event(0, 2, temperature=2300)  # Monday differs from the rest of group 1
    problems = check_schedule(body)
    assert any("are in week-day group 1 but have different events" in p for p in problems)
    body["days"][0]["weekDayGroupNumber"] = 3  # its own group: fine
    assert check_schedule(body) == []


def test_structure_problems():
    assert check_schedule([]) != []
    body = schedule()
    del body["days"][6]
    assert any("missing: Sunday" in p for p in check_schedule(body))
    body = schedule()
    body["days"][6]["weekDay"] = 1
    assert any("Monday appears more than once" in p for p in check_schedule(body))
    assert any("temperature must be 500 to 7000" in p for p in check_schedule(with_event(0, 0, temperature=8000)))
    assert any("clock must be a time HH:mm" in p for p in check_schedule(with_event(0, 0, clock="6:30")))
    assert any("scheduleType must be" in p for p in check_schedule(with_event(0, 0, scheduleType=7)))
    body = schedule()
    body["serialNumber"] = ""
    assert check_schedule(body) == ["serialNumber is required."]


def test_the_check_does_not_change_the_body():
    body = set_group_events(schedule(), 1, 1, clock="06:30")
    before = copy.deepcopy(body)
    check_schedule(body)
    assert body == before
