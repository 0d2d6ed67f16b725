"""ScheduleDraft: rows by week-day group, edits per row, undo/redo, violations per event."""

from __future__ import annotations

import pytest

from app.services.schedule_editing import ScheduleDraft, clock_for_position, days_label
from app.vendors.nuheat import schedule_rules as rules
from app.vendors.nuheat.models import ScheduleModel


def _event(clock, kind, temperature, active=True):
    return {"clock": clock, "scheduleType": kind, "active": active, "temperature": temperature}


WORKDAY = [_event("06:30", 0, 2200), _event("08:00", 1, 1800), _event("17:30", 2, 2200),
           _event("22:30", 3, 1800)]
WEEKEND = [_event("08:00", 0, 2200), _event("10:00", 1, 1800, False),
           _event("16:00", 2, 2200, False), _event("00:30", 3, 1800)]


def _schedule() -> ScheduleModel:
    """The simulator's demo schedule: Mon-Fri in group 1, Sat-Sun in group 2."""
    return ScheduleModel.from_api({"serialNumber": "1270337", "days": [
        {"weekDay": d, "weekDayGroupNumber": 1 if d <= 5 else 2,
         "events": [dict(e) for e in (WORKDAY if d <= 5 else WEEKEND)]} for d in range(1, 8)]})


def _clocks(draft: ScheduleDraft, row: int) -> list[str]:
    return [e.clock for e in draft.rows[row].events]


def test_rows_are_week_day_groups_in_week_order():
    draft = ScheduleDraft(_schedule())
    assert [(r.group, r.weekdays, r.label) for r in draft.rows] == [
        (1, (1, 2, 3, 4, 5), "Mon–Fri"), (2, (6, 7), "Sat, Sun")]
    assert draft.valid and not draft.dirty and not draft.can_undo
    assert draft.to_model().to_api() == _schedule().to_api()


def test_a_group_whose_days_differ_is_split_rather_than_losing_events():
    raw = _schedule().to_api()
    raw["days"][4]["events"][0]["temperature"] = 2300  # Friday differs from Mon-Thu
    draft = ScheduleDraft(ScheduleModel.from_api(raw))
    assert [r.weekdays for r in draft.rows] == [(1, 2, 3, 4), (5,), (6, 7)]
    assert draft.rows[1].events[0].temperature == 2300
    assert len({r.group for r in draft.rows}) == 3
    assert draft.valid


def test_labels():
    assert days_label([1, 2, 3, 4, 5]) == "Mon–Fri"
    assert days_label([6, 7]) == "Sat, Sun"
    assert days_label([1, 3, 5]) == "Mon, Wed, Fri"
    assert days_label([3]) == "Wednesday"
    assert days_label(range(1, 8)) == "Every day"


def test_positions_snap_and_sleep_stays_in_its_night():
    assert clock_for_position(rules.LEAVE, 8 * 60 + 7) == "08:00"
    assert clock_for_position(rules.LEAVE, 8 * 60 + 8) == "08:15"
    assert clock_for_position(rules.LEAVE, 25 * 60) == "23:45"  # never past the day
    assert clock_for_position(rules.SLEEP, 24 * 60 + 40) == "00:45"  # after midnight
    assert clock_for_position(rules.SLEEP, 30 * 60) == "02:45"  # last slot of the night
    assert clock_for_position(rules.SLEEP, 60) == "03:00"  # not back to the morning


def test_an_edit_applies_to_every_day_of_the_row():
    draft = ScheduleDraft(_schedule())
    assert draft.move_event(0, 1, 9 * 60 + 10)  # LEAVE 08:00 -> 09:15
    assert draft.set_temperature(0, 0, 2250)
    model = draft.to_model()
    for day in model.days[:5]:
        assert day.week_day_group_number == 1
        assert day.events[1].clock == "09:15" and day.events[0].temperature == 2250
    for day in model.days[5:]:
        assert day.events[1].clock == "10:00" and day.events[0].temperature == 2200
    assert draft.dirty and draft.valid and rules.is_valid(model)


def test_undo_and_redo():
    draft = ScheduleDraft(_schedule())
    draft.move_event(0, 1, 9 * 60)
    draft.set_active(1, 1, True)
    assert draft.can_undo and not draft.can_redo
    assert draft.undo()
    assert draft.rows[1].events[1].active is False and _clocks(draft, 0)[1] == "09:00"
    assert draft.undo()
    assert not draft.dirty and not draft.can_undo
    assert draft.redo() and _clocks(draft, 0)[1] == "09:00"
    draft.set_temperature(0, 0, 2000)  # a new edit drops what could be redone
    assert not draft.can_redo
    assert not draft.move_event(0, 0, 6 * 60 + 30)  # no change, no undo step
    assert draft.undo() and draft.rows[0].events[0].temperature == 2200


def test_revert_is_undoable_and_saving_moves_the_baseline():
    draft = ScheduleDraft(_schedule())
    draft.move_event(0, 1, 9 * 60)
    assert draft.revert() and not draft.dirty
    assert draft.undo() and draft.dirty
    draft.mark_saved()
    assert not draft.dirty
    assert draft.undo() and draft.dirty  # back to what the thermostat no longer has


def test_copy_day_regroups():
    draft = ScheduleDraft(_schedule())
    assert draft.copy_day(6, [5])  # Friday gets the weekend
    assert [r.weekdays for r in draft.rows] == [(1, 2, 3, 4), (5, 6, 7)]
    model = draft.to_model()
    assert model.days[4].week_day_group_number == 2
    assert [e.clock for e in model.days[4].events] == ["08:00", "10:00", "16:00", "00:30"]
    assert draft.valid and rules.is_valid(model)
    assert draft.copy_day(1, [5, 6, 7])  # a row emptied by the copy disappears
    assert [r.weekdays for r in draft.rows] == [(1, 2, 3, 4, 5, 6, 7)]
    assert draft.rows[0].label == "Every day"
    assert not draft.copy_day(1, [2])  # already alike
    assert draft.undo() and draft.undo()
    assert [r.weekdays for r in draft.rows] == [(1, 2, 3, 4, 5), (6, 7)]


def test_separate_day_then_edit_it_alone():
    draft = ScheduleDraft(_schedule())
    assert draft.separate_day(5)
    assert [r.weekdays for r in draft.rows] == [(1, 2, 3, 4), (5,), (6, 7)]
    friday = draft.row_of_weekday(5)
    draft.move_event(friday, 2, 16 * 60)
    model = draft.to_model()
    assert model.days[4].events[2].clock == "16:00" and model.days[3].events[2].clock == "17:30"
    assert model.days[4].week_day_group_number not in (1, 2)
    assert draft.valid and rules.is_valid(model)


def test_violations_are_placed_on_rows_and_events_once_per_row():
    draft = ScheduleDraft(_schedule())
    draft.move_event(0, 1, 17 * 60 + 30)  # LEAVE onto RETURN's 17:30
    [violation] = draft.violations
    assert violation.row == 0 and violation.code == rules.EVENTS_OUT_OF_ORDER
    assert violation.event == 2 and violation.partner == 1  # RETURN flagged, LEAVE its pair
    assert violation.message.startswith("Mon–Fri RETURN at 17:30")
    assert draft.event_violations(0, 1) == [violation] == draft.event_violations(0, 2)
    assert draft.event_violations(0, 0) == [] and draft.row_violations(1) == []
    assert not draft.valid

    draft.undo()
    draft.set_active(1, 0, False)  # the weekend's WAKE
    [violation] = draft.violations
    assert (violation.row, violation.event, violation.code) == (1, 0, rules.WAKE_DEACTIVATED)
    assert violation.message == "Sat, Sun WAKE: the WAKE event cannot be switched off."
    assert violation.partner is None


def test_partner_is_the_event_the_rule_compared_with():
    draft = ScheduleDraft(_schedule())
    draft.separate_day(1)
    draft.move_event(0, 1, 6 * 60 + 30)  # Monday: LEAVE onto WAKE
    draft.commit_drag()
    [violation] = draft.violations
    assert (violation.event, violation.partner) == (1, 0)
    assert violation.message.startswith("Monday LEAVE at 06:30")  # one day: its own name


def test_a_drag_is_one_undo_step_and_checks_while_it_runs():
    draft = ScheduleDraft(_schedule())
    draft.begin_drag(0, 1)
    assert draft.dragging == (0, 1)
    assert draft.preview(9 * 60) and draft.valid
    assert not draft.preview(9 * 60 + 5)  # the same quarter hour: nothing to redraw
    assert draft.preview(17 * 60 + 25)  # 17:30: on RETURN
    assert not draft.valid and draft.event_violations(0, 1)
    assert not draft.can_undo  # not while dragging
    assert draft.preview(12 * 60) and draft.valid
    assert draft.commit_drag()
    assert draft.dragging is None and _clocks(draft, 0)[1] == "12:00"
    assert draft.undo() and _clocks(draft, 0)[1] == "08:00" and not draft.can_undo


def test_a_drag_back_to_its_start_or_cancelled_leaves_no_undo_step():
    draft = ScheduleDraft(_schedule())
    draft.begin_drag(0, 1)
    draft.preview(10 * 60)
    draft.preview(8 * 60)
    assert not draft.commit_drag() and not draft.can_undo
    draft.begin_drag(0, 1)
    draft.preview(17 * 60 + 30)
    draft.cancel_drag()
    assert draft.valid and _clocks(draft, 0)[1] == "08:00" and not draft.can_undo


def test_preview_checks_only_the_dragged_row_but_agrees_with_a_full_check():
    draft = ScheduleDraft(_schedule())
    draft.set_active(1, 0, False)  # a violation in the weekend row stays put
    draft.begin_drag(0, 2)
    draft.preview(8 * 60)  # RETURN onto LEAVE
    during = set(draft.violations)
    draft.commit_drag()
    assert set(draft.violations) == during
    assert {v.row for v in during} == {0, 1}


def test_an_edit_during_a_drag_ends_the_drag_first():
    draft = ScheduleDraft(_schedule())
    draft.begin_drag(0, 1)
    draft.preview(9 * 60)
    draft.set_temperature(0, 0, 2000)
    assert draft.dragging is None
    assert draft.undo() and _clocks(draft, 0)[1] == "09:00"
    assert draft.undo() and _clocks(draft, 0)[1] == "08:00"


def test_sleep_after_midnight_moves_within_its_night():
    draft = ScheduleDraft(_schedule())
    sleep = draft.rows[1].events[3]
    assert sleep.clock == "00:30" and sleep.position == 24 * 60 + 30
    draft.move_event(1, 3, 26 * 60)
    assert draft.rows[1].events[3].clock == "02:00" and draft.valid


def test_preview_needs_a_drag():
    with pytest.raises(RuntimeError):
        ScheduleDraft(_schedule()).preview(60)
