"""The Thermostats screen on the demo site: the list, the control panel, live rows, the
schedule tab (read-only for a thermostat moved to API v2) and the energy tab."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt

from app.ui.tasks import Tasks
from app.ui.thermostats.model import (HEATING, MODE, NAME, SET_POINT, STATUS, TEMPERATURE,
                                      mode_text)
from app.ui.thermostats.page import ENERGY, SCHEDULE, ThermostatsPage
from app.vendors.nuheat.models import ScheduleMode, TemperatureScale, format_temperature
from tests.gui.support import cell, row_of, until

C = TemperatureScale.CELSIUS


@pytest.fixture
async def page(qtbot, demo_ws):
    from app.ui.bridge import WorkspaceSignals

    tasks = Tasks()
    signals = WorkspaceSignals(demo_ws)
    screen = ThermostatsPage(tasks)
    screen.resize(1100, 720)
    screen.show()
    screen.attach(demo_ws, signals)
    await until(lambda: screen.model.rowCount() == 12, 15, "the thermostat list")
    # the page starts live changes after the first list; tests begin with them online
    await until(lambda: demo_ws.thermostats.live_status == "online", 15, "live changes")
    try:
        yield screen
    finally:
        for _ in range(300):
            if not tasks.running:
                break
            await asyncio.sleep(0.01)
        await demo_ws.thermostats.stop_live()
        screen.detach()
        signals.disconnect_services()
        await tasks.cancel_all()
        screen.hide()
        screen.deleteLater()


def _serial(page: ThermostatsPage, name: str) -> str:
    return page.model.thermostat_at(row_of(page.model, NAME, name)).serial_number


async def test_the_list_shows_the_demo_thermostats_as_the_simulator_has_them(page, demo_ws):
    sim = demo_ws.demo_site.nuheat
    assert sorted(page.model.index(r, NAME).data() for r in range(12)) == sorted(
        sim.thermostats[s].name for s in sim.demo_serials())
    for row in range(12):
        serial = page.model.thermostat_at(row).serial_number
        simulated = sim.thermostat(serial)
        assert cell(page.model, row, TEMPERATURE) == format_temperature(
            simulated.currentTemperature, C)
        assert cell(page.model, row, SET_POINT) == format_temperature(simulated.setPointTemp, C)
        if simulated.online:
            assert cell(page.model, row, HEATING) == ("Heating" if simulated.isHeating else "Idle")
        assert cell(page.model, row, STATUS) == ("Online" if simulated.online else "Offline")
    assert cell(page.model, row_of(page.model, NAME, "Mudroom"), MODE) == "Permanent hold"
    assert cell(page.model, row_of(page.model, NAME, "Kitchen"), MODE) == "Manual"
    sauna = row_of(page.model, NAME, "Sauna Room")
    assert cell(page.model, sauna, HEATING) == "Offline"
    assert "Floor sensor open" in page.model.index(sauna, NAME).data(Qt.ItemDataRole.ToolTipRole)
    assert page.count.text() == (f"12 thermostats · 3 homes · "
                                 f"{sum(1 for s in sim.demo_serials() if sim.thermostat(s).isHeating)}"
                                 f" heating · 1 offline")
    assert page.quota.text().startswith("API calls left: ")
    assert page.live.text() == "Live"


async def test_a_hold_set_in_the_panel_reaches_the_thermostat(page, demo_ws, qtbot):
    sim = demo_ws.demo_site.nuheat
    serial = _serial(page, "Master Bath")
    page.select_thermostat(serial)
    panel = page.panel
    assert panel.thermostat.serial_number == serial
    # the hold ends at the next schedule change unless the user picks another time
    await until(lambda: demo_ws.thermostats.next_schedule_change(
        serial, datetime.now().astimezone()) is not None, 10, "the schedule for the default")
    expected = demo_ws.thermostats.next_schedule_change(serial, datetime.now().astimezone())
    qtbot.mouseClick(panel.mode_buttons[ScheduleMode.HOLD], Qt.MouseButton.LeftButton)
    assert panel.until_edit.isVisible() and panel.set_point_edit.isVisible()
    if expected - datetime.now().astimezone() <= timedelta(hours=23):
        assert abs(panel.form_until() - expected) < timedelta(minutes=1)
    panel.set_point_edit.setValue(23.5)
    until_time = (datetime.now().astimezone() + timedelta(hours=3)).replace(second=0,
                                                                          microsecond=0)
    panel.until_edit.setDateTime(until_time.replace(tzinfo=None))
    assert panel.status.text() == "Not applied yet."
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    assert panel.pending and not panel.apply_button.isEnabled()
    await until(lambda: not panel.pending, 10, "the change")
    assert panel.error_text() == ""

    simulated = sim.thermostat(serial)
    assert simulated.scheduleMode == 2
    assert simulated.setPointTemp == 2350
    held = datetime.fromisoformat(simulated.holdSetPointDateTime.replace("Z", "+00:00"))
    assert held == until_time.astimezone(timezone.utc)
    row = row_of(page.model, NAME, "Master Bath")
    assert cell(page.model, row, MODE) == f"Hold until {until_time:%H:%M}"
    assert cell(page.model, row, SET_POINT) == "23.5 °C"
    assert panel.status.text().startswith("Done at")

    # and back to the schedule
    qtbot.mouseClick(panel.mode_buttons[ScheduleMode.AUTO], Qt.MouseButton.LeftButton)
    assert not panel.set_point_edit.isVisible()
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    await until(lambda: not panel.pending, 10, "the change back")
    assert sim.thermostat(serial).scheduleMode == 1
    assert cell(page.model, row, MODE) == "Schedule"


async def test_a_failed_change_keeps_the_form_and_says_why(page, demo_ws, qtbot):
    sim = demo_ws.demo_site.nuheat
    serial = _serial(page, "Kids Bath")
    page.select_thermostat(serial)
    panel = page.panel
    qtbot.mouseClick(panel.mode_buttons[ScheduleMode.PERMANENT_HOLD], Qt.MouseButton.LeftButton)
    panel.set_point_edit.setValue(26.0)
    sim.faults.http_status = 500
    try:
        qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
        await until(lambda: not panel.pending, 15, "the failure")
    finally:
        sim.faults.http_status = None
    assert panel.error_text()
    assert panel.chosen_mode == ScheduleMode.PERMANENT_HOLD
    assert panel.set_point_edit.value() == 26.0
    assert panel.apply_button.isEnabled()
    assert sim.thermostat(serial).scheduleMode == 1
    # trying again works with what is still in the form
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    await until(lambda: not panel.pending, 10, "the retry")
    assert panel.error_text() == ""
    assert sim.thermostat(serial).scheduleMode == 3
    assert sim.thermostat(serial).setPointTemp == 2600


async def test_an_offline_thermostat_is_shown_plainly(page):
    page.select_thermostat(_serial(page, "Sauna Room"))
    panel = page.panel
    assert panel.online_text.text() == "Offline"
    assert "offline" in panel.banner.text() and "Floor sensor open" in panel.banner.text()
    assert not panel.control.isVisible()


async def test_a_change_on_the_thermostat_shows_up_in_its_row(page, demo_ws):
    sim = demo_ws.demo_site.nuheat
    serial = _serial(page, "Basement")
    page.select_thermostat(serial)
    sim.change_on_thermostat(serial, currentTemperature=2455, scheduleMode=3, setPointTemp=2600)
    row = row_of(page.model, NAME, "Basement")
    await until(lambda: cell(page.model, row, TEMPERATURE) == "24.5 °C", 10,
                "the live change in the row")
    assert cell(page.model, row, MODE) == "Permanent hold"
    assert cell(page.model, row, HEATING) == "Heating"
    assert page.panel.current.text() == "24.5 °C"  # the selected one's panel follows too
    assert mode_text(page.panel.thermostat) == "Permanent hold"


async def test_the_schedule_tab_shows_the_schedule_and_v2_read_only(page, demo_ws):
    page.select_thermostat(_serial(page, "Master Bath"))
    page.tabs.setCurrentIndex(SCHEDULE)
    editor = page.editor
    await until(lambda: editor.draft is not None, 10, "the schedule")
    assert editor.draft.serial_number == _serial(page, "Master Bath")
    assert editor.read_only_reason == ""

    page.select_thermostat(_serial(page, "Cabin Bath"))  # moved to API v2
    await until(lambda: editor.read_only_reason != "", 10, "the read-only schedule")
    assert editor.draft is None
    assert page.schedule_stack.currentWidget() is editor
    assert "read-only" in editor.banner.text()


async def test_saving_a_schedule_goes_through_the_service(page, demo_ws):
    sim = demo_ws.demo_site.nuheat
    serial = _serial(page, "Reception")
    page.select_thermostat(serial)
    page.tabs.setCurrentIndex(SCHEDULE)
    editor = page.editor
    await until(lambda: editor.draft is not None and editor.draft.serial_number == serial, 10,
                "the schedule")
    editor.draft.set_temperature(0, 0, 2150)
    editor._edited()
    assert editor.dirty
    editor.save()
    await until(lambda: not editor.saving, 10, "the save")
    assert not editor.dirty
    assert sim.thermostats[serial].days[0]["events"][0]["temperature"] == 2150


async def test_the_energy_tab_charts_the_selected_thermostat(page, demo_ws):
    serial = _serial(page, "Kitchen")
    page.select_thermostat(serial)
    page.tabs.setCurrentIndex(ENERGY)
    energy = page.energy
    for view, bars in (("day", 24), ("week", 7), ("month", 12)):
        energy.set_view(view)
        await until(lambda: not energy.loading and energy.figures is not None, 10, view)
        usage = await demo_ws.thermostats.energy(serial, view, energy.when)
        assert len(energy.bar_values) == bars
        assert energy.figures.kwh == pytest.approx(usage.total_kwh)
        assert energy.totals_text().startswith(f"{usage.total_kwh:,.1f} kWh · cost ")


def test_signed_out_offers_the_sign_in(qtbot):
    screen = ThermostatsPage(Tasks())
    qtbot.addWidget(screen)
    screen.show_signed_out()
    assert screen.list_state.text.text() == "Not signed in to Nuheat"
    assert screen.list_state.action.text() == "Sign in to Nuheat"
    with qtbot.waitSignal(screen.sign_in_requested, timeout=1000):
        qtbot.mouseClick(screen.list_state.action, Qt.MouseButton.LeftButton)


async def test_a_failed_schedule_save_keeps_the_edits(page, demo_ws):
    sim = demo_ws.demo_site.nuheat
    serial = _serial(page, "Server Room")
    page.select_thermostat(serial)
    page.tabs.setCurrentIndex(SCHEDULE)
    editor = page.editor
    await until(lambda: editor.draft is not None and editor.draft.serial_number == serial, 10,
                "the schedule")
    before = sim.thermostats[serial].days[0]["events"][0]["temperature"]
    editor.draft.set_temperature(0, 0, 2250)
    editor._edited()
    sim.faults.http_status = 500
    try:
        editor.save()
        await until(lambda: not editor.saving, 15, "the failed save")
    finally:
        sim.faults.http_status = None
    assert "Not saved" in editor.banner.text()
    assert editor.dirty  # nothing lost: Save again works
    assert sim.thermostats[serial].days[0]["events"][0]["temperature"] == before
    editor.save()
    await until(lambda: not editor.saving, 10, "the second save")
    assert not editor.dirty
    assert sim.thermostats[serial].days[0]["events"][0]["temperature"] == 2250


async def test_a_schedule_save_whose_answer_is_lost_does_not_invite_a_blind_retry(page, demo_ws):
    from app.simulators.faults import HttpFault

    sim = demo_ws.demo_site.nuheat
    serial = _serial(page, "Server Room")
    page.select_thermostat(serial)
    page.tabs.setCurrentIndex(SCHEDULE)
    editor = page.editor
    await until(lambda: editor.draft is not None and editor.draft.serial_number == serial, 10,
                "the schedule")
    before = sim.thermostats[serial].days[0]["events"][0]["temperature"]
    editor.draft.set_temperature(0, 0, 2250)
    editor._edited()
    # the PUT's connection drops (nothing applied), then the read-back cannot tell either
    sim.faults.script.add(HttpFault("drop", method="PUT", path="/api/v1/Schedule"))
    sim.faults.script.add(HttpFault("status", status=503, method="GET", path="/api/v1/Schedule",
                                    times=5))
    try:
        editor.save()
        await until(lambda: not editor.saving, 20, "the save without an answer")
    finally:
        sim.faults.script.clear()
    text = editor.banner.text()
    assert "may or may not have been applied" in text and "try Save again" not in text
    assert editor.dirty  # the edits stay
    assert sim.thermostats[serial].days[0]["events"][0]["temperature"] == before


async def test_unsaved_schedule_edits_are_not_dropped_by_a_click_in_the_list(page, qtbot):
    serial = _serial(page, "Break Room")
    other = _serial(page, "Washroom")
    page.select_thermostat(serial)
    page.tabs.setCurrentIndex(SCHEDULE)
    editor = page.editor
    await until(lambda: editor.draft is not None and editor.draft.serial_number == serial, 10,
                "the schedule")
    editor.draft.set_temperature(0, 0, 2150)
    editor._edited()

    page.select_thermostat(other)
    box = page.unsaved_box
    assert box is not None and "Break Room" in box.text()
    assert page.panel.thermostat.serial_number == serial  # still on the edited one
    keep = next(b for b in box.buttons() if b.text() == "Keep editing")
    qtbot.mouseClick(keep, Qt.MouseButton.LeftButton)
    assert page.unsaved_box is None and editor.dirty
    assert page.model.thermostat_at(page.table.currentIndex().row()).serial_number == serial

    page.select_thermostat(other)
    discard = next(b for b in page.unsaved_box.buttons() if b.text() == "Discard changes")
    qtbot.mouseClick(discard, Qt.MouseButton.LeftButton)
    assert page.panel.thermostat.serial_number == other
    await until(lambda: editor.draft is not None and editor.draft.serial_number == other, 10,
                "the other schedule")
    assert not editor.dirty


async def test_an_account_in_fahrenheit_with_a_12_hour_clock(page, demo_ws, qtbot):
    sim = demo_ws.demo_site.nuheat
    user = next(u for u in sim.users.values() if u.username == sim.username)
    user.temperatureScale, user.use12Hour = "Fahrenheit", True
    serial = _serial(page, "Master Bath")
    page.select_thermostat(serial)
    page.refresh()
    await until(lambda: cell(page.model, row_of(page.model, NAME, "Master Bath"),
                             SET_POINT).endswith("°F"), 10, "the list in °F")
    panel = page.panel
    assert panel.set_point_edit.suffix() == " °F"
    assert (panel.set_point_edit.minimum(), panel.set_point_edit.maximum()) == (41, 158)
    qtbot.mouseClick(panel.mode_buttons[ScheduleMode.PERMANENT_HOLD], Qt.MouseButton.LeftButton)
    panel.set_point_edit.lineEdit().selectAll()
    qtbot.keyClicks(panel.set_point_edit.lineEdit(), "75")
    qtbot.keyClick(panel.set_point_edit.lineEdit(), Qt.Key.Key_Return)  # Enter applies
    await until(lambda: not panel.pending, 10, "the change")
    assert sim.thermostat(serial).setPointTemp == 2389  # 75 °F in hundredths of °C
    assert cell(page.model, row_of(page.model, NAME, "Master Bath"), SET_POINT) == "75 °F"

    qtbot.mouseClick(panel.mode_buttons[ScheduleMode.HOLD], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    await until(lambda: not panel.pending, 10, "the hold")
    assert panel.error_text() == ""
    mode = cell(page.model, row_of(page.model, NAME, "Master Bath"), MODE)
    assert mode.startswith("Hold until ") and mode.endswith(("AM", "PM"))


async def test_signing_out_shows_the_sign_in_again(page, demo_ws):
    await demo_ws.sign_out_nuheat()
    await until(lambda: page.stack.currentWidget() is page.list_state, 5, "the signed-out state")
    assert page.list_state.text.text() == "Not signed in to Nuheat"
    assert page.model.rowCount() == 0
    assert page.panel.thermostat is None


async def test_a_failed_refresh_keeps_the_list(page, demo_ws):
    sim = demo_ws.demo_site.nuheat
    sim.faults.http_status = 503
    try:
        assert await page.load() is False
    finally:
        sim.faults.http_status = None
    assert page.stack.currentWidget() is page.splitter
    assert page.model.rowCount() == 12
    assert "Could not refresh" in page.refresh_banner.text()
    assert await page.load() is True
    assert page.refresh_banner.text() == ""
