"""The schedule editor with real widgets: drag with the mouse, see the rule broken, fix it,
save through the Nuheat simulator and read the schedule back; read-only for API v2."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.services.thermostats import ScheduleState
from app.ui.thermostats.schedule_editor import ScheduleEditor
from app.vendors.nuheat import client as nuheat_client
from app.vendors.nuheat import schedule_rules as rules
from app.vendors.nuheat.models import TemperatureScale
from tests.gui.support import until
from tests.unit.test_schedule_editing import _schedule

LEAVE = 1  # the event's index in the demo schedule's days (WAKE, LEAVE, RETURN, SLEEP)


def _editor(qtbot, schedule=None, scale=TemperatureScale.CELSIUS, width=900) -> ScheduleEditor:
    editor = ScheduleEditor()
    qtbot.addWidget(editor)
    editor.resize(width, 520)
    editor.show()
    editor.set_schedule(ScheduleState(schedule or _schedule()), scale, "Master Bath")
    QTest.qWaitForWindowExposed(editor)
    return editor


def _point_at(editor: ScheduleEditor, row: int, clock: str) -> QPoint:
    """Where to drop an event of `row` so that it lands on `clock`."""
    timeline = editor.timeline
    x = timeline.x_for_position(rules.parse_clock(clock))
    y = timeline.marker_center(row, 0).y()
    return QPoint(round(x), y)


def _drag(editor: ScheduleEditor, row: int, index: int, clock: str, steps: int = 12) -> None:
    timeline = editor.timeline
    start = timeline.marker_center(row, index)
    end = _point_at(editor, row, clock)
    QTest.mousePress(timeline, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, steps + 1):
        QTest.mouseMove(timeline, start + (end - start) * step / steps)
    QTest.mouseRelease(timeline, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def _leave_clock(editor: ScheduleEditor, row: int = 0) -> str:
    return editor.draft.rows[row].events[LEAVE].clock


def test_a_drag_breaking_a_rule_is_flagged_while_dragging_and_blocks_save(qtbot):
    editor = _editor(qtbot)
    timeline = editor.timeline
    assert not editor.save_button.isEnabled()  # unchanged
    start = timeline.marker_center(0, LEAVE)
    onto_return = _point_at(editor, 0, "17:30")
    QTest.mousePress(timeline, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 21):
        QTest.mouseMove(timeline, start + (onto_return - start) * step / 20)
    # still dragging: the rule is already broken, flagged on both events, and said in words
    assert editor.draft.dragging == (0, LEAVE)
    assert _leave_clock(editor) == "17:30"
    assert editor.draft.event_violations(0, LEAVE) and editor.draft.event_violations(0, 2)
    [message] = timeline.row_messages(0)
    assert "RETURN at 17:30 must come at least 15 min after LEAVE at 17:30" in message
    assert not editor.save_button.isEnabled()
    assert "problem" in editor.state_label.text()
    QTest.mouseRelease(timeline, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       onto_return)
    assert not editor.save_button.isEnabled() and editor.undo_button.isEnabled()

    _drag(editor, 0, LEAVE, "12:00")
    assert _leave_clock(editor) == "12:00"
    assert editor.draft.valid and timeline.row_messages(0) == []
    assert editor.save_button.isEnabled() and "Unsaved" in editor.state_label.text()
    # the weekend row did not move
    assert _leave_clock(editor, 1) == "10:00"

    QTest.keyClick(timeline, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _leave_clock(editor) == "17:30" and not editor.save_button.isEnabled()
    QTest.keyClick(timeline, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _leave_clock(editor) == "08:00" and not editor.draft.dirty
    QTest.keyClick(timeline, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(timeline, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert _leave_clock(editor) == "12:00" and editor.save_button.isEnabled()


def test_escape_cancels_a_drag_and_arrow_keys_move_the_selection(qtbot):
    editor = _editor(qtbot)
    timeline = editor.timeline
    start = timeline.marker_center(0, LEAVE)
    QTest.mousePress(timeline, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(timeline, _point_at(editor, 0, "11:00"))
    assert _leave_clock(editor) == "11:00"
    QTest.keyClick(timeline, Qt.Key.Key_Escape)
    QTest.mouseRelease(timeline, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       _point_at(editor, 0, "11:00"))
    assert _leave_clock(editor) == "08:00" and not editor.draft.can_undo
    assert timeline.selected == (0, LEAVE)
    QTest.keyClick(timeline, Qt.Key.Key_Right)
    QTest.keyClick(timeline, Qt.Key.Key_Right)
    assert _leave_clock(editor) == "08:30"
    assert editor.time.currentData() == "08:30"
    # choosing events without the mouse
    QTest.keyClick(timeline, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert timeline.selected == (0, 2) and "RETURN" in editor.event_name.text()
    QTest.keyClick(timeline, Qt.Key.Key_Down)
    assert timeline.selected == (1, 2) and "Sat, Sun" in editor.event_name.text()
    QTest.keyClick(timeline, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert timeline.selected == (1, 1)
    assert _leave_clock(editor) == "08:30" and _leave_clock(editor, 1) == "10:00"


def test_details_edit_the_selected_event_in_the_users_scale(qtbot):
    editor = _editor(qtbot, scale=TemperatureScale.FAHRENHEIT)
    QTest.mouseClick(editor.timeline, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     editor.timeline.marker_center(1, 0))  # the weekend's WAKE
    assert editor.event_row.isVisible() and "WAKE" in editor.event_name.text()
    assert editor.temperature.suffix() == " °F" and editor.temperature.value() == 72
    editor.temperature.setValue(70)
    assert editor.draft.rows[1].events[0].temperature == 2111  # 70 °F in hundredths of °C
    assert editor.draft.rows[0].events[0].temperature == 2200
    editor.active.setChecked(False)  # WAKE cannot be switched off: the rule says so
    assert not editor.draft.valid and not editor.save_button.isEnabled()
    assert "cannot be switched off" in editor.timeline.row_messages(1)[0]
    editor.active.setChecked(True)
    editor.time.setCurrentIndex(editor.time.findData("09:00"))
    editor.time.activated.emit(editor.time.currentIndex())
    assert editor.draft.rows[1].events[0].clock == "09:00"
    assert editor.draft.valid and editor.save_button.isEnabled()


def test_copy_day_dialog_regroups_days(qtbot):
    editor = _editor(qtbot)
    editor.timeline.select((1, 0))
    editor.copy_button.click()
    dialog = editor.copy_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.source_day == 6  # the selected row's first day
    assert not dialog.targets[7].isEnabled()  # Sunday already has Saturday's events
    assert not dialog.copy.isEnabled()
    dialog.targets[5].setChecked(True)
    assert dialog.copy.text() == "Copy to 1 day"
    dialog.copy.click()
    assert [r.label for r in editor.draft.rows] == ["Mon–Thu", "Fri–Sun"]
    assert editor.save_button.isEnabled()
    editor.undo_button.click()
    assert [r.label for r in editor.draft.rows] == ["Mon–Fri", "Sat, Sun"]


def test_saving_state_and_errors(qtbot):
    editor = _editor(qtbot)
    sent = []
    editor.save_requested.connect(sent.append)
    _drag(editor, 0, LEAVE, "09:00")
    editor.save_button.click()
    assert len(sent) == 1 and sent[0].days[0].events[LEAVE].clock == "09:00"
    assert editor.saving and not editor.save_button.isEnabled()
    assert editor.save_button.text() == "Saving…"
    editor.show_save_error("The Nuheat API refused the schedule.")
    assert editor.banner.text() == "The Nuheat API refused the schedule."
    assert editor.save_button.isEnabled()
    editor.save_button.click()
    editor.saved()
    assert not editor.dirty and not editor.save_button.isEnabled()
    assert "Saved" in editor.state_label.text()


def test_read_only_without_a_schedule(qtbot):
    editor = ScheduleEditor()
    qtbot.addWidget(editor)
    editor.resize(900, 520)
    editor.show()
    reason = "This thermostat moved to Nuheat's API v2; change its schedule in the Nuheat app."
    editor.set_schedule(ScheduleState(None, reason), TemperatureScale.CELSIUS, "Cabin Bath")
    assert reason in editor.banner.text() and "read-only" in editor.banner.text()
    assert not editor.actions.isVisible() and not editor.details.isVisible()
    assert "cannot be read" in editor.timeline.placeholder


# ----- against the simulator ----------------------------------------------------------------

async def _serials(client) -> tuple[str, str]:
    """A thermostat with a v1 schedule, and one moved to API v2."""
    for thermostat in await client.thermostats():
        try:
            await client.schedule(thermostat.serial_number)
        except nuheat_client.ScheduleReadOnly:
            read_only = thermostat.serial_number
            break
    editable = next(t.serial_number for t in await client.thermostats()
                    if t.serial_number != read_only)
    return editable, read_only


async def test_drag_flag_fix_save_and_read_back_from_the_simulator(qtbot, demo_ws):
    client = await demo_ws.nuheat.ensure_signed_in()
    serial, _ = await _serials(client)
    schedule = await client.schedule(serial)
    editor = ScheduleEditor()
    qtbot.addWidget(editor)
    editor.resize(900, 520)
    editor.show()
    editor.set_schedule(ScheduleState(schedule), TemperatureScale.CELSIUS, "Master Bath")
    await until(editor.isVisible, 5, "the editor on screen")
    row = 0
    assert editor.draft.rows[row].weekdays == (1, 2, 3, 4, 5)
    events = editor.draft.rows[row].events
    leave = next(i for i, e in enumerate(events) if e.schedule_type == rules.LEAVE)
    return_clock = next(e.clock for e in events if e.schedule_type == rules.RETURN)

    _drag(editor, row, leave, return_clock)  # onto RETURN: less than 15 min apart
    assert editor.draft.event_violations(row, leave)
    assert any("at least 15 min" in m for m in editor.timeline.row_messages(row))
    assert not editor.save_button.isEnabled()

    _drag(editor, row, leave, "12:15")
    assert editor.draft.valid and editor.save_button.isEnabled()

    saving: list[asyncio.Task] = []

    def save(model) -> None:
        async def put() -> None:
            try:
                await client.put_schedule(model)
            except Exception as error:  # noqa: BLE001 - shown as the page would
                editor.show_save_error(str(error))
                raise
            editor.saved()
        saving.append(asyncio.ensure_future(put()))

    editor.save_requested.connect(save)
    editor.save_button.click()
    assert editor.saving
    await until(lambda: saving and saving[0].done(), 10, "the PUT")
    saving[0].result()
    assert not editor.dirty and "Saved" in editor.state_label.text()

    back = await client.schedule(serial)
    for day in back.days:
        leave_back = next(e for e in day.events if e.schedule_type == rules.LEAVE)
        assert leave_back.clock == ("12:15" if day.week_day <= 5 else
                                    next(e.clock for e in schedule.days[5].events
                                         if e.schedule_type == rules.LEAVE))
    sim = demo_ws.demo_site.nuheat
    assert any(e["clock"] == "12:15" for e in sim.thermostats[serial].days[0]["events"])


async def test_a_thermostat_on_api_v2_is_shown_read_only(qtbot, demo_ws):
    client = await demo_ws.nuheat.ensure_signed_in()
    _, serial = await _serials(client)
    with pytest.raises(nuheat_client.ScheduleReadOnly):
        await client.schedule(serial)
    state = await demo_ws.thermostats.schedule(serial)  # the state the page hands over
    assert state.schedule is None and state.read_only_reason
    editor = ScheduleEditor()
    qtbot.addWidget(editor)
    editor.resize(900, 520)
    editor.show()
    editor.set_schedule(state, TemperatureScale.CELSIUS, "Cabin Bath")
    assert "read-only" in editor.banner.text()
    assert state.read_only_reason in editor.banner.text()
    assert editor.draft is None and not editor.save_button.isVisible()
    assert not editor.details.isVisible() and editor.timeline.placeholder


def test_a_schedule_missing_days_says_so(qtbot):
    from app.vendors.nuheat.models import ScheduleModel

    schedule = _schedule()
    editor = _editor(qtbot, ScheduleModel(schedule.serial_number, schedule.days[:5]))
    assert [r.label for r in editor.draft.rows] == ["Mon–Fri"]
    [general] = editor.draft.general_violations
    assert "Saturday, Sunday" in general.message
    editor.copy_day(1, [6, 7])  # give the weekend the weekday events: complete again
    assert editor.draft.valid and editor.save_button.isEnabled()
    editor.separate_day(7)
    assert [r.label for r in editor.draft.rows] == ["Mon–Sat", "Sunday"]
