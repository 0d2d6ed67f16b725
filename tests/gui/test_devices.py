"""The device list and switch panel, driven with real clicks against the demo site."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.ui.devices.model import NAME, STATE, STATUS
from tests.gui.support import cell, row_of, until

HALL = "1000aa0001"
KITCHEN = "1000aa0002"
PLANT_ROOM = "1000aa0004"
PLUG = "1000aa0005"
SENSOR = "1000aa0006"
GARAGE = "1000aa0007"


def _state(window, name: str) -> str:
    model = window.devices.model
    return cell(model, row_of(model, NAME, name), STATE)


async def test_list_shows_kind_status_and_state(signed_in):
    model = signed_in.devices.model
    row = row_of(model, NAME, "Garage light")
    assert cell(model, row, STATUS) == "Offline"
    assert cell(model, row_of(model, NAME, "Hall light"), STATUS) == "Online"
    assert _state(signed_in, "Plant room 4-gang") == "All 4 off"
    assert _state(signed_in, "Heat pump plug").startswith("On · ")
    assert _state(signed_in, "Heat pump plug").endswith(" W")
    assert "°C" in _state(signed_in, "Loft sensor") and "%" in _state(signed_in, "Loft sensor")
    assert signed_in.devices.count.text() == "7 devices · 6 online"


async def test_toggle_is_pending_until_the_device_confirms(signed_in, sim, qtbot):
    window = signed_in
    sim.faults.device_reply_delay = 0.3  # long enough to see "pending…" on screen
    assert window.devices.select_device(PLANT_ROOM)
    panel = window.devices.panel
    assert panel.title.text() == "Plant room 4-gang"
    assert [r.name.text() for r in panel.rows] == [f"Channel {n}" for n in range(1, 5)]
    row = panel.row(1)
    assert row.state.text() == "Off" and not row.toggle.isChecked()

    qtbot.mouseClick(row.toggle, Qt.MouseButton.LeftButton)
    assert row.state.text() == "pending…"
    assert row.toggle.pending and not row.toggle.isChecked()  # not on until the device says so
    assert not row.toggle.isEnabled()

    await until(lambda: row.state.text() == "On", 5, "the device to confirm")
    assert row.toggle.isChecked() and row.toggle.isEnabled() and not row.toggle.pending
    assert panel.error_text() == ""
    assert sim.device(PLANT_ROOM).params["switches"][1]["switch"] == "on"
    assert _state(window, "Plant room 4-gang") == "1 of 4 on"


async def test_a_change_made_at_the_device_shows_up_live(signed_in, sim):
    window = signed_in
    window.devices.select_device(HALL)
    row = window.devices.panel.row(0)
    assert row.state.text() == "Off"
    await sim.press_button(HALL, {"switch": "on"})  # someone presses the wall switch
    await until(lambda: row.state.text() == "On", 5, "the pushed report")
    assert row.toggle.isChecked()
    assert _state(window, "Hall light") == "On"
    assert window.devices.panel.last_report.text().startswith("Last report ")


async def test_offline_device_cannot_be_switched_and_says_why(signed_in):
    window = signed_in
    window.devices.select_device(GARAGE)
    panel = window.devices.panel
    assert panel.online_text.text() == "Offline"
    assert not panel.row(0).toggle.isEnabled()
    assert panel.row(0).toggle.toolTip() == "The device is offline."
    assert panel.error_text().startswith("Garage light is offline, so it cannot be switched.")


async def test_device_going_offline_disables_its_toggles(signed_in, sim):
    window = signed_in
    window.devices.select_device(KITCHEN)
    panel = window.devices.panel
    assert panel.row(0).toggle.isEnabled()
    await sim.set_online(KITCHEN, False)
    await until(lambda: not panel.row(0).toggle.isEnabled(), 5, "the offline push")
    assert "Kitchen 2-gang is offline" in panel.error_text()
    assert not panel.all_on.isEnabled()
    await sim.set_online(KITCHEN, True)
    await until(lambda: panel.row(0).toggle.isEnabled(), 5, "the online push")
    assert panel.error_text() == ""


async def test_cloud_says_offline_error_is_shown_clearly(signed_in, sim, qtbot):
    window = signed_in
    sim.device(HALL).online = False  # the cloud knows; SiteKit has not heard yet
    window.devices.select_device(HALL)
    panel = window.devices.panel
    qtbot.mouseClick(panel.row(0).toggle, Qt.MouseButton.LeftButton)
    await until(lambda: panel.error_text(), 5, "the error")
    text = panel.error_text()
    assert "Hall light is offline" in text and "503" in text
    assert "1000aa0001" not in text  # the device's name, not its id
    row = panel.row(0)
    assert row.state.text() == "Off" and not row.toggle.pending and not row.toggle.isChecked()
    # the cloud's answer outranks our last device list: the device now shows offline
    await until(lambda: not row.toggle.isEnabled(), 5, "the device marked offline")

    # when it comes back, the panel clears the message and switching works again
    await sim.set_online(HALL, True)
    await until(lambda: row.toggle.isEnabled(), 5, "the online push")
    qtbot.mouseClick(row.toggle, Qt.MouseButton.LeftButton)
    assert panel.error_text() == ""
    await until(lambda: row.state.text() == "On", 5, "the switch")


async def test_all_on_switches_every_channel(signed_in, qtbot):
    window = signed_in
    window.devices.select_device(KITCHEN)
    panel = window.devices.panel
    assert panel.all_on.isVisible()
    qtbot.mouseClick(panel.all_on, Qt.MouseButton.LeftButton)
    assert all(r.state.text() == "pending…" for r in panel.rows)
    await until(lambda: all(r.state.text() == "On" for r in panel.rows), 5, "both channels")
    assert _state(window, "Kitchen 2-gang") == "All 2 on"


async def test_plug_and_sensor_readings(signed_in, sim):
    window = signed_in
    panel = window.devices.panel
    window.devices.select_device(PLUG)
    values = {w.objectName(): w.text() for w in panel.readings.findChildren(type(panel.title))
              if w.objectName().startswith("reading-")}
    assert set(values) == {"reading-power_w", "reading-voltage_v", "reading-current_a"}
    assert values["reading-power_w"].endswith(" W")
    assert panel.readings.isVisible() and not panel.all_on.isVisible()

    window.devices.select_device(SENSOR)
    await sim.press_button(SENSOR, {"currentTemperature": "21.5", "currentHumidity": "48"})
    await until(lambda: _state(window, "Loft sensor") == "Off · 21.5 °C  48 %", 5, "new reading")

    def labels() -> list[str]:
        return [w.text() for w in panel.readings.findChildren(type(panel.title))]

    # the panel follows with the bridge's next batch of device changes (within BATCH_MS)
    await until(lambda: "21.5 °C" in labels() and "48 %" in labels(), 5, "the panel's reading")


async def test_selection_survives_a_refresh(signed_in, qtbot):
    window = signed_in
    window.devices.select_device(PLUG)
    qtbot.mouseClick(window.devices.refresh_button, Qt.MouseButton.LeftButton)
    await until(lambda: window.devices.list_stack.currentWidget() is window.devices.table, 5,
                "the list again")
    assert window.devices.panel.title.text() == "Heat pump plug"
    assert window.devices.panel.device is window.devices.model.device_at(
        window.devices.model.row_of(PLUG))  # the panel follows the new Device object
