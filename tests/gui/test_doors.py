"""The Doors screen against the demo site's simulated NEXhome building: unlock a door and see
its access record arrive, a lost answer → the question → a retry with the same request that
does not open the door twice, offline and not-granted doors, a lift call.
Set SITEKIT_SHOTS=dir to keep PNGs of every state."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.simulators.nexhome.demo import (BACK_DOOR, ELEVATOR, GARAGE, MAIN_ENTRANCE,
                                         PLANT_ROOM)
from app.ui.doors.model import LAST, STATUS
from tests.gui.support import until


async def shot(widget, name: str) -> None:
    folder = os.environ.get("SITEKIT_SHOTS")
    if folder:
        await asyncio.sleep(0.05)  # let the layouts settle
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"doors-{name}.png"))


async def dialog_shot(page, box, name: str) -> None:
    """The page with its open question drawn over it, as a technician sees them."""
    folder = os.environ.get("SITEKIT_SHOTS")
    if folder:
        await asyncio.sleep(0.05)
        from PySide6.QtGui import QPainter

        image = page.grab()
        painter = QPainter(image)
        painter.fillRect(image.rect(), Qt.GlobalColor.transparent)
        dialog = box.grab()
        painter.drawPixmap((image.width() - dialog.width()) // 2,
                           (image.height() - dialog.height()) // 3, dialog)
        painter.end()
        Path(folder).mkdir(parents=True, exist_ok=True)
        image.save(str(Path(folder) / f"doors-{name}.png"))


@pytest.fixture
async def page(qtbot, demo_ws):
    """The screen, shown; each test attaches and loads it with `opened`."""
    from app.ui.doors.page import DoorsPage
    from app.ui.tasks import Tasks

    tasks = Tasks()
    widget = DoorsPage(tasks)
    widget.resize(1090, 700)
    widget.show()
    try:
        yield widget
    finally:
        for _ in range(300):
            if not tasks.running:
                break
            await asyncio.sleep(0.01)
        await tasks.cancel_all()
        signals = widget._signals
        widget.detach()
        if signals is not None:
            signals.disconnect_services()
        widget.hide()
        widget.deleteLater()


@contextlib.asynccontextmanager
async def opened(page, ws):
    """The screen attached to the demo site and loaded, for the body of one test.

    The NEXhome long poll starts and stops inside the test: a pull in flight while pytest
    moves between a fixture and the test is served by the simulator with no running loop."""
    from app.ui.bridge import WorkspaceSignals

    page.attach(ws, WorkspaceSignals(ws))
    try:
        await until(lambda: page.stack.currentWidget() is page.content, 15, "the door list")
        await until(lambda: page.live_status == "online", 15, "the access records subscription")
        yield page
    finally:
        await ws.building.stop_live()


def _click(qtbot, button) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


async def _unlock_via_gui(page, qtbot, door_id: str) -> None:
    assert page.select_door(door_id)
    _click(qtbot, page.panel.unlock_button)
    box = page.confirm_box
    assert box is not None and box.isVisible()
    name = page.door(door_id).name
    assert box.text() == f"Unlock {name}?"
    assert "will really open" in box.informativeText()
    assert box.defaultButton() is box.cancel_button  # Enter alone never opens a door
    await dialog_shot(page, box, f"confirm-{door_id}")
    box.unlock_button.click()


async def test_unlock_shows_the_result_and_the_access_record(page, qtbot, demo_ws):
    nexhome = demo_ws.demo_site.nexhome
    async with opened(page, demo_ws):
        await shot(page, "list")
        assert page.count.text() == "5 doors · 3 online · 1 offline · 1 not granted"
        assert page.commands_empty.isVisible()

        await _unlock_via_gui(page, qtbot, MAIN_ENTRANCE)
        await until(lambda: page.tests[MAIN_ENTRANCE].state == "opened", 10, "the unlock answer")
        assert nexhome.door(MAIN_ENTRANCE).openings == 1
        assert page.panel.result.text().startswith("Opened at ")
        await until(lambda: page.tests[MAIN_ENTRANCE].record_after_unlock, 10, "the access record")
        record = page.panel.record.text()
        assert record.startswith("Access record: remote unlock, granted, "), record
        row = page.model.row_of(MAIN_ENTRANCE)
        assert page.model.index(row, LAST).data().endswith("· record ✓")
        await until(lambda: page.commands_model.rowCount() == 1, 5, "the audit line")
        line = page.commands_model.lines[0]
        assert (line.what, line.outcome) == ("Unlock Main entrance", "ok")
        await shot(page, "opened")

        # a resident at another door: its record shows next to that door, not this one
        nexhome.resident_at_door(GARAGE, credential="CARD")
        await until(lambda: page.tests[GARAGE].record is not None, 10, "the garage record")
        assert page.tests[GARAGE].record.credential == "CARD"
        assert page.tests[MAIN_ENTRANCE].record.credential == "REMOTE"


async def test_a_lost_answer_asks_and_a_retry_reuses_the_request(page, qtbot, demo_ws):
    nexhome = demo_ws.demo_site.nexhome
    async with opened(page, demo_ws):
        nexhome.faults.drop_after_acting = True
        await _unlock_via_gui(page, qtbot, MAIN_ENTRANCE)
        await until(lambda: page.unknown_box is not None, 25, "the outcome question")
        box = page.unknown_box
        assert box.text() == "Main entrance may or may not have opened."
        assert box.retry_button.text() == "Try again (same request)"
        assert box.leave_button.text() == "Leave it"
        assert nexhome.door(MAIN_ENTRANCE).openings == 1  # it did act
        assert page.tests[MAIN_ENTRANCE].state == "unknown"
        request_id = box.request_id
        assert request_id and page.tests[MAIN_ENTRANCE].request_id == request_id
        # the access record of the opening that happened tells the technician while they decide
        await until(lambda: "It did open: there is no need to try again"
                    in box.informativeText(), 10, "the record news")
        await dialog_shot(page, box, "unknown")
        await asyncio.sleep(0.3)
        assert nexhome.door(MAIN_ENTRANCE).openings == 1  # never retried by itself

        nexhome.faults.drop_after_acting = False
        repeats = nexhome.repeats
        box.retry_button.click()
        await until(lambda: page.tests[MAIN_ENTRANCE].state == "opened", 10, "the retry")
        assert nexhome.repeats == repeats + 1  # NEXhome recognised the same REQUEST-ID
        assert nexhome.door(MAIN_ENTRANCE).openings == 1
        assert "same request" in page.panel.result.text()
        await until(lambda: page.commands_model.rowCount() == 2, 5, "both audit lines")
        assert [line.outcome for line in page.commands_model.lines] == ["repeated", "unknown"]
        await shot(page, "retried")


async def test_leave_it_does_not_send_again(page, qtbot, demo_ws):
    nexhome = demo_ws.demo_site.nexhome
    async with opened(page, demo_ws):
        nexhome.faults.drop_after_acting = True
        await _unlock_via_gui(page, qtbot, GARAGE)
        await until(lambda: page.unknown_box is not None, 25, "the outcome question")
        page.unknown_box.leave_button.click()
        await asyncio.sleep(0.2)
        assert page.unknown_box is None
        assert nexhome.door(GARAGE).openings == 1
        assert page.panel.result.text().startswith("No answer")
        # the record of the opening that did happen settles the question on screen
        await until(lambda: "record shows it opened" in page.panel.result.text(), 10,
                    "the record")
        await shot(page, "left")


async def test_two_lost_answers_are_asked_in_turn(page, demo_ws):
    nexhome = demo_ws.demo_site.nexhome
    async with opened(page, demo_ws):
        nexhome.faults.drop_after_acting = True
        page.unlock(MAIN_ENTRANCE)  # both confirmed: straight to the sending
        page.unlock(GARAGE)
        await until(lambda: all(page.tests[d].state == "unknown" for d in (MAIN_ENTRANCE, GARAGE)),
                    25, "both outcomes")
        first = page.unknown_box
        assert first is not None
        first.leave_button.click()
        await until(lambda: page.unknown_box is not None and page.unknown_box is not first, 5,
                    "the second question")
        asked = {first.text(), page.unknown_box.text()}
        assert asked == {"Main entrance may or may not have opened.",
                         "Garage gate may or may not have opened."}
        page.unknown_box.leave_button.click()
        await until(lambda: page.unknown_box is None, 5, "no more questions")


async def test_cancelling_the_confirmation_opens_nothing(page, qtbot, demo_ws):
    async with opened(page, demo_ws):
        page.select_door(MAIN_ENTRANCE)
        _click(qtbot, page.panel.unlock_button)
        page.confirm_box.cancel_button.click()
        await asyncio.sleep(0.2)
        assert demo_ws.demo_site.nexhome.door(MAIN_ENTRANCE).openings == 0
        assert page.tests[MAIN_ENTRANCE].state == "idle"


async def test_offline_and_not_granted_doors_say_why(page, qtbot, demo_ws):
    async with opened(page, demo_ws):
        page.select_door(BACK_DOOR)
        assert not page.panel.unlock_button.isEnabled()
        assert "offline" in page.panel.reason.text()
        assert page.model.index(page.model.row_of(BACK_DOOR), STATUS).data() == "Offline"
        await shot(page, "offline")
        page.select_door(PLANT_ROOM)
        assert not page.panel.unlock_button.isEnabled()
        assert "not granted to this app" in page.panel.reason.text()
        await shot(page, "not-granted")

        # a station that goes offline takes its door with it, without a refresh
        from app.simulators.nexhome.demo import MAIN_STATION

        page.select_door(MAIN_ENTRANCE)
        demo_ws.demo_site.nexhome.set_online(MAIN_STATION, False)
        await until(lambda: page.door(MAIN_ENTRANCE).status == "offline", 10, "offline")
        assert not page.panel.unlock_button.isEnabled()
        assert page.count.text() == "5 doors · 2 online · 2 offline · 1 not granted"
        demo_ws.demo_site.nexhome.set_online(MAIN_STATION, True)
        await until(lambda: page.door(MAIN_ENTRANCE).status == "online", 10, "online again")
        assert page.panel.unlock_button.isEnabled()


async def test_an_elevator_call_reaches_the_lift(page, qtbot, demo_ws):
    nexhome = demo_ws.demo_site.nexhome
    async with opened(page, demo_ws):
        form = page.elevator
        assert form.controller.currentData() == ELEVATOR
        form.from_floor.setValue(0)
        form.to_floor.setValue(7)
        _click(qtbot, form.call_button)
        await until(lambda: not form.busy, 10, "the lift call")
        assert nexhome.elevator_calls == [(ELEVATOR, 0, 7)]
        assert "lift called from floor 0 to floor 7" in form.result.text()
        await until(lambda: page.commands_model.rowCount() == 1, 5, "the audit line")
        assert page.commands_model.lines[0].what == "Call lift (Lift A controller)"
        await shot(page, "elevator")


async def test_not_configured_asks_for_settings(qtbot, demo_ws):
    from app.ui.bridge import WorkspaceSignals
    from app.ui.doors.page import DoorsPage
    from app.ui.tasks import Tasks

    signals = WorkspaceSignals(demo_ws)
    page = DoorsPage(Tasks())
    page.resize(1090, 700)
    page.show()
    building = demo_ws.building
    profile = building.profile
    building.use_profile(dataclasses.replace(profile, nexhome=None))
    try:
        page.attach(demo_ws, signals)
        assert page.stack.currentWidget() is page.setup_state
        asked = []
        page.settings_requested.connect(lambda: asked.append(True))
        page.settings_button.click()
        assert asked == [True]
        await shot(page, "not-configured")
    finally:
        building.use_profile(profile)
        page.detach()
        signals.disconnect_services()
        page.deleteLater()


async def test_loading_and_failed_states(page, demo_ws):
    async with opened(page, demo_ws):
        page.show_loading()
        await shot(page, "loading")
        page.show_failed("NEXhome error 500: NEXhome had a problem on its side. "
                         "Try again in a minute.")
        assert page.list_state.action.text() == "Try again"
        await shot(page, "failed")
        page.list_state.action.click()  # Try again reads the list again
        await until(lambda: page.stack.currentWidget() is page.content, 15, "the list again")


async def test_refusals_explain_and_update_the_door(page, qtbot, demo_ws):
    """What NEXhome says at unlock time wins over the list read earlier."""
    from app.simulators.nexhome.demo import MAIN_STATION

    nexhome = demo_ws.demo_site.nexhome
    async with opened(page, demo_ws):
        page.unlock(PLANT_ROOM)  # the button is disabled; NEXhome must refuse it anyway
        await until(lambda: page.tests[PLANT_ROOM].state == "refused", 10, "the 403")
        assert "not granted to this app (403)" in page.tests[PLANT_ROOM].message
        assert page.door(PLANT_ROOM).status == "not_granted"

        nexhome.building.devices[MAIN_STATION].online = False  # unplugged since the list
        page.select_door(MAIN_ENTRANCE)
        await _unlock_via_gui(page, qtbot, MAIN_ENTRANCE)
        await until(lambda: page.tests[MAIN_ENTRANCE].state == "refused", 10, "the refusal")
        assert page.panel.result.text().endswith("NEXhome says the door's station is offline.")
        assert page.door(MAIN_ENTRANCE).status == "offline"
        assert not page.panel.unlock_button.isEnabled()
        assert "offline" in page.panel.reason.text()
        assert nexhome.door(MAIN_ENTRANCE).openings == 0
        await until(lambda: page.commands_model.rowCount() == 2, 5, "the audit lines")
        assert [line.outcome for line in page.commands_model.lines] == ["failed", "failed"]
        await shot(page, "refused")


def test_wording_without_qt():
    from datetime import datetime, timezone

    from app.core.audit import AuditEntry
    from app.ui.doors.wording import AccessSeen, DoorTest, audit_line, door_rows
    from app.vendors.nexhome.models import Device, Door, Location

    station = Device("AC-1", name="Basement controller", type="ACCESS_CONTROLLER", online=True,
                     location=Location("A", "1", "-1"), access_ids=("1004", "1005"))
    rows = door_rows([Door("1004", "Bike storage", "AC-1", True)], [station])
    assert [(r.name, r.status, r.location) for r in rows] == [
        ("Bike storage", "online", "Building A, unit 1, floor -1"),
        ("Door 1005", "not_granted", "Building A, unit 1, floor -1")]
    assert "not granted to this app" in rows[1].reason and not rows[1].can_unlock

    at = datetime(2026, 11, 23, 12, 42, 5, tzinfo=timezone.utc)
    local = at.astimezone().strftime("%H:%M:%S")
    test = DoorTest(state="opened", at=at)
    assert test.result_text() == f"Opened at {local}"
    test.record = AccessSeen("1004", at, "REMOTE", True)
    assert test.record.text() == f"Access record: remote unlock, granted, {local}"
    assert AccessSeen("1004", at, "PIN", False, "Expired", "Anna").text() == \
        f"Access record: PIN (Anna), denied: Expired, {local}"

    entry = AuditEntry("tech", "nexhome", "unlock", "1004", "Bike storage", "r1", "repeated",
                       "opened (repeat of an earlier request; NEXhome acts once per request)",
                       at)
    line = audit_line(entry)
    assert (line.what, line.result) == ("Unlock Bike storage",
                                        "Opened · same request again, acted once")


async def test_nothing_is_asked_until_the_screen_is_shown(page, demo_ws):
    """The main window attaches every screen at once; the doors load when first looked at."""
    from app.ui.bridge import WorkspaceSignals

    nexhome = demo_ws.demo_site.nexhome
    page.hide()
    page.attach(demo_ws, WorkspaceSignals(demo_ws))
    try:
        await asyncio.sleep(0.3)
        assert not [r for r in nexhome.requests if r.app_id == nexhome.app_id]
        page.show()
        await until(lambda: page.stack.currentWidget() is page.content, 15, "the door list")
        await until(lambda: page.live_status == "online", 15, "the access records")
    finally:
        await demo_ws.building.stop_live()


async def test_a_residents_record_is_not_taken_for_the_unlocks(page, demo_ws):
    from datetime import datetime, timezone

    from app.core.events import Event
    from app.ui.doors.wording import DoorTest

    async with opened(page, demo_ws):
        now = datetime.now(timezone.utc)
        page.tests[GARAGE] = DoorTest(state="opened", at=now, sent_at=now)
        page.select_door(GARAGE)

        def record(credential: str) -> Event:
            return Event("nexhome", "DS-2", "access", {"accessId": GARAGE, "result": "GRANTED",
                                                       "credentialType": credential})

        page._signals.events.emit([record("CARD")])
        assert page.tests[GARAGE].record.credential == "CARD"
        assert not page.tests[GARAGE].record_after_unlock
        assert page.panel.record.text() == "Waiting for the door's access record…"
        page._signals.events.emit([record("REMOTE")])
        assert page.tests[GARAGE].record_after_unlock
        assert page.panel.record.text().startswith("Access record: remote unlock, granted")


def test_no_record_after_a_while_says_so(qtbot):
    from datetime import datetime, timedelta, timezone

    from app.ui.doors.panel import DoorPanel
    from app.ui.doors.wording import DoorRow, DoorTest

    panel = DoorPanel()
    qtbot.addWidget(panel)
    sent = datetime.now(timezone.utc) - timedelta(seconds=20)
    door = DoorRow("1001", "Main entrance", "DS-1", "Main entrance station",
                   "Building A, unit 1, floor 0", "online")
    panel.show_door(door, DoorTest(state="opened", at=sent, sent_at=sent))
    assert panel.record.text().startswith("No access record 15 s after the unlock.")
    assert panel.record_spinner.isHidden()


async def test_a_lost_lift_answer_asks_and_retries_the_same_request(page, qtbot, demo_ws):
    nexhome = demo_ws.demo_site.nexhome
    async with opened(page, demo_ws):
        form = page.elevator
        form.from_floor.setValue(2)
        form.to_floor.setValue(5)
        nexhome.faults.drop_after_acting = True
        _click(qtbot, form.call_button)
        await until(lambda: page.unknown_box is not None, 25, "the outcome question")
        box = page.unknown_box
        assert box.text() == "The lift may or may not have been called (floor 2 to 5)."
        assert "may or may not" in form.result.text()
        nexhome.faults.drop_after_acting = False
        repeats = nexhome.repeats
        box.retry_button.click()
        await until(lambda: "lift called" in form.result.text(), 10, "the retry")
        assert nexhome.repeats == repeats + 1
        assert nexhome.elevator_calls == [(ELEVATOR, 2, 5)]  # called once


async def test_a_floor_the_lift_does_not_serve_is_explained(page, qtbot, demo_ws):
    async with opened(page, demo_ws):
        form = page.elevator
        form.from_floor.setValue(0)
        form.to_floor.setValue(40)
        _click(qtbot, form.call_button)
        await until(lambda: not form.busy, 10, "the refusal")
        assert form.result.text() == "Not called. To floor: no such floor."
        assert demo_ws.demo_site.nexhome.elevator_calls == []
        await shot(page, "elevator-refused")
