"""The pairing wizard, driven with real keys and clicks against the demo site's simulated
Sonoffs (zero device delays, short pairing timeouts), and the route selector it feeds."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from app.core.network import Gateway, InterfaceAddress, NetworkView
from app.ui.main_window import DEVICES, PAIR
from app.ui.pairing.flow import CONNECTED, DEMO, HOTSPOT, PROGRESS, RESULT, START, WIFI, WRONG_ROUTE
from app.vendors.ewelink.pairing import STEPS, PairingTimeouts
from tests.gui.support import until

SSID, PASSWORD = "SiteKit-Demo", "sitekit-demo-wifi"  # the demo site's network
FIRST, SECOND = "1000ee0001", "1000ee0002"

FAST = PairingTimeouts(request=1.0, find=2, read=3, check_wifi=1, send_wifi=3, rejoin=3, add=3,
                       wait_cloud=5, wait_lan=2, retry_delay=0.05, poll_interval=0.1,
                       ap_probe_interval=0.05)

# What the laptop's network looks like: at the office, then on a device's hotspot.
OFFICE = NetworkView(Gateway("192.168.1.1", "eth0"),
                     (InterfaceAddress("eth0", "192.168.1.20", "255.255.255.0"),))
ON_HOTSPOT = NetworkView(Gateway("10.10.7.1", "wlan0"),
                         (InterfaceAddress("wlan0", "10.10.7.2", "255.255.255.0"),))
CABLE_TOO = NetworkView(Gateway("192.168.1.1", "eth0"),
                        (InterfaceAddress("eth0", "192.168.1.20", "255.255.255.0"),
                         InterfaceAddress("wlan0", "10.10.7.2", "255.255.255.0")))


@pytest.fixture
async def demo_ws():
    """The demo site with devices that join, register and return to AP mode at once."""
    from app.services.workspace import Workspace
    from app.simulators.ewelink.sonoff import DeviceDelays

    ws = await Workspace.open(demo=True, store_events=False, demo_site_options={
        "live_drift_seconds": None,
        "device_delays": DeviceDelays(reboot=0, join=0, register=0, ap_return=0.2)})
    try:
        yield ws
    finally:
        await ws.close()


class Network:
    """Stands in for netifaces and the Wi-Fi name lookup (the test machine's own network
    must not decide what the page shows)."""

    def __init__(self, view: NetworkView = OFFICE, ssid: str | None = None) -> None:
        self.view, self.ssid = view, ssid

    def snapshot(self) -> NetworkView:
        return self.view

    def current_ssid(self, timeout: float = 1.0) -> str | None:
        return self.ssid


async def open_pair(window, network: Network | None = None):
    page = window.pair
    network = network or Network()
    page.network_snapshot = network.snapshot
    page.current_ssid = network.current_ssid
    page.service.timeouts = FAST
    page.set_network_poll_interval(50)
    window.activateWindow()
    window.show_screen(PAIR)
    await until(lambda: page.flow.network is not None and page.flow.demo_devices, 5,
                "the network check and the waiting devices")
    await until(lambda: page.flow.ssid, 5, "the Wi-Fi details prefilled")
    return page


def retype(qtbot, field, text: str) -> None:
    """Replace a field's text the way a person does (select all, type)."""
    field.setFocus()
    field.selectAll()
    if not text:
        qtbot.keyClick(field, Qt.Key.Key_Backspace)
    for char in text:
        if char.isascii():
            qtbot.keyClick(field, char)
        else:  # QTest only maps ASCII to keys: send the typed text itself
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(field, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier,
                                                        char))


def statuses(page) -> dict[str, str]:
    return {name: row.status for name, row in page.progress_page.rows.items()}


async def pair_through(page, qtbot, *, name: str, password: str = PASSWORD) -> None:
    """Start page -> Wi-Fi page (name typed) -> pairing, with Enter only."""
    assert page.flow.page == START
    qtbot.keyClick(page.start_page.next_button, Qt.Key.Key_Return)
    assert page.flow.page == WIFI
    wifi = page.wifi_page
    if wifi.password.text() != password:
        retype(qtbot, wifi.password, password)
    retype(qtbot, wifi.name, name)
    qtbot.keyClick(wifi.name, Qt.Key.Key_Return)
    assert page.flow.page == PROGRESS


async def test_pair_a_device_end_to_end(signed_in, qtbot):
    window = signed_in
    page = await open_pair(window)
    start = page.start_page
    # the demo site explains its simulated devices and picks the first waiting one
    assert "3 simulated Sonoffs are waiting" in start.demo_note.text()
    assert start.demo_choice(FIRST).isChecked() and page.flow.source == DEMO
    assert start.hotspot_headline.text() == "Waiting for the ITEAD-… hotspot"
    assert "eth0" in start.hotspot_detail.text()
    assert start.next_button.isEnabled() and window.focusWidget() is start.next_button

    qtbot.keyClick(start.next_button, Qt.Key.Key_Return)
    wifi = page.wifi_page
    assert page.flow.page == WIFI and wifi.isVisible()
    assert (wifi.ssid.text(), wifi.password.text()) == (SSID, PASSWORD)  # the demo network
    assert "Demo site" in wifi.origin.text()
    assert wifi.password.echoMode() == wifi.password.EchoMode.Password
    assert window.focusWidget() is wifi.name  # the Wi-Fi is known: the name is what to type
    # typed by hand, as on a real site
    retype(qtbot, wifi.ssid, SSID)
    retype(qtbot, wifi.password, PASSWORD)
    assert wifi.ssid_notes.text.text() == "12 of 32 bytes"
    qtbot.mouseClick(wifi.show_password, Qt.MouseButton.LeftButton)
    assert wifi.password.echoMode() == wifi.password.EchoMode.Normal
    qtbot.mouseClick(wifi.show_password, Qt.MouseButton.LeftButton)
    assert wifi.password.echoMode() == wifi.password.EchoMode.Password
    retype(qtbot, wifi.name, "Porch light")
    qtbot.keyClick(wifi.name, Qt.Key.Key_Return)

    assert page.flow.page == PROGRESS
    progress = page.progress_page
    assert progress.heading.text() == "Pairing “Porch light”"
    assert progress.cancel_button.isVisible() and not progress.retry_button.isVisible()
    await until(lambda: page.flow.page == RESULT, 10, "the result page")
    assert statuses(page) == {name: "done" for name in STEPS}
    assert progress.rows["read"].message.text().startswith(f"Device {FIRST} (chip ")
    assert progress.rows["wait_cloud"].state.text() == "Done"

    result = page.result_page
    assert result.heading.text() == "“Porch light” is paired"
    assert result.values["deviceid"].text() == FIRST
    assert result.values["chipid"].text() not in ("", "—")
    assert "Switch" in result.values["model"].text()
    assert result.values["cloud"].text() == "● Online in the eWeLink cloud"
    assert result.values["lan"].text().startswith("● Found on the LAN at 127.0.0.1:")
    assert window.focusWidget() is result.another_button

    # the Devices list has it, online, without a manual refresh
    model = window.devices.model
    row = model.row_of(FIRST)
    assert row >= 0 and model.device_at(row).name == "Porch light"
    assert model.device_at(row).online
    qtbot.mouseClick(result.show_button, Qt.MouseButton.LeftButton)
    assert window.pages.currentIndex() == DEVICES
    assert window.devices.panel.title.text() == "Porch light"
    # the details are remembered for the next device on this site
    assert await page.service.remembered_wifi() == (SSID, PASSWORD)


async def test_wrong_wifi_password_fails_with_the_fix_then_works(signed_in, qtbot):
    window = signed_in
    page = await open_pair(window)
    await pair_through(page, qtbot, name="Hall spot", password="not-the-password")

    await until(lambda: page.flow.outcome == "failed", 10, "the failure")
    progress = page.progress_page
    row = progress.rows["wait_cloud"]
    assert row.status == "failed" and row.state.text() == "Failed"
    assert "could not join “SiteKit-Demo”" in row.message.text()
    assert row.hint.isVisible() and row.hint.text().startswith("What to do: ")
    assert "password is probably wrong" in row.hint.text()
    assert progress.overall.text() == "Stopped"
    assert progress.rows["wait_lan"].state.text() == "Not run"
    assert not progress.cancel_button.isVisible()
    assert progress.retry_button.isVisible() and window.focusWidget() is progress.retry_button

    # fix the password and pair again: it finishes, and the device is not added twice
    qtbot.mouseClick(progress.edit_button, Qt.MouseButton.LeftButton)
    assert page.flow.page == WIFI
    retype(qtbot, page.wifi_page.password, PASSWORD)
    qtbot.keyClick(page.wifi_page.password, Qt.Key.Key_Return)
    await until(lambda: page.flow.page == RESULT, 10, "the result page")
    assert progress.rows["add"].message.text().startswith("Already on the account")
    ids = [d.deviceid for d in window.ws.inventory.devices]
    assert ids.count(FIRST) == 1


async def test_cancel_really_cancels(signed_in, qtbot):
    window = signed_in
    page = await open_pair(window)
    device = window.ws.demo_site.ap_devices[0]
    device.faults.never_registers = True  # joins the Wi-Fi, never reaches the cloud
    await pair_through(page, qtbot, name="Never online")
    progress = page.progress_page
    await until(lambda: progress.rows["wait_cloud"].status == "running", 10, "the cloud wait")
    await until(lambda: progress.rows["wait_cloud"].state.text().endswith(" s left"), 2,
                "a countdown")
    assert progress.rows["wait_cloud"].state.text().startswith("Running · ")

    qtbot.mouseClick(progress.cancel_button, Qt.MouseButton.LeftButton)
    await until(lambda: page.flow.outcome == "cancelled", 5, "the cancellation")
    assert not page.running  # the run's task is over, not left behind
    assert page.service.current.status == "cancelled"
    assert progress.rows["wait_cloud"].status == "cancelled"
    assert progress.rows["wait_lan"].state.text() == "Not run"
    assert progress.overall.text() == "Cancelled"
    assert "Retry continues" in progress.banner.text()
    assert progress.retry_button.isVisible() and not progress.cancel_button.isVisible()

    # Retry continues with the same details: the device took them already (its hotspot
    # is gone), so the run skips to the cloud, and finishes once the device is online
    page.service.timeouts = replace(FAST, wait_lan=0.3)
    qtbot.keyClick(progress.retry_button, Qt.Key.Key_Return)
    assert page.flow.running and progress.cancel_button.isVisible()
    await until(lambda: progress.rows["wait_cloud"].status == "running", 5, "the cloud wait")
    assert progress.rows["read"].status == "skipped"
    assert "already took the Wi-Fi details" in progress.rows["read"].message.text()
    assert progress.rows["send_wifi"].status == "skipped"
    await window.ws.demo_site.ewelink.set_online(FIRST, True)  # it reached the cloud at last
    await until(lambda: page.flow.page == RESULT, 5, "the result page")
    result = page.result_page
    assert result.values["cloud"].text() == "● Online in the eWeLink cloud"
    assert result.values["lan"].text().startswith("Not found on the LAN")
    assert result.warnings.text().startswith("Found on the LAN: Not found on the LAN")


async def test_pair_another_keeps_the_wifi_and_moves_on(signed_in, qtbot):
    window = signed_in
    page = await open_pair(window)
    wifi = page.wifi_page
    qtbot.keyClick(page.start_page.next_button, Qt.Key.Key_Return)
    retype(qtbot, wifi.ssid, SSID)
    retype(qtbot, wifi.password, PASSWORD)
    retype(qtbot, wifi.name, "Landing 1")
    qtbot.keyClick(wifi.name, Qt.Key.Key_Return)
    await until(lambda: page.flow.page == RESULT, 10, "the first result")

    # Enter on the result page: straight back to the start, next device picked
    qtbot.keyClick(page.result_page.another_button, Qt.Key.Key_Return)
    assert page.flow.page == START
    await until(lambda: page.flow.demo_device == SECOND, 5, "the next waiting device")
    assert page.start_page.demo_choice(SECOND).isChecked()
    assert FIRST not in page.start_page.demo_choices  # it left pairing mode
    assert window.focusWidget() is page.start_page.next_button

    qtbot.keyClick(page.start_page.next_button, Qt.Key.Key_Return)
    assert (wifi.ssid.text(), wifi.password.text()) == (SSID, PASSWORD)  # kept
    assert wifi.name.text() == "Landing 2" and wifi.name.selectedText() == "Landing 2"
    assert window.focusWidget() is wifi.name
    qtbot.keyClick(wifi.name, Qt.Key.Key_Return)
    await until(lambda: page.flow.page == RESULT, 10, "the second result")
    assert page.result_page.values["deviceid"].text() == SECOND
    assert page.result_page.session.text() == "Paired this session: 2 (Landing 1, Landing 2)"
    names = {d.deviceid: d.name for d in window.ws.inventory.devices}
    assert (names[FIRST], names[SECOND]) == ("Landing 1", "Landing 2")


async def test_wifi_details_are_checked_as_typed(signed_in, qtbot):
    window = signed_in
    page = await open_pair(window)
    device = window.ws.demo_site.ap_devices[0]
    qtbot.keyClick(page.start_page.next_button, Qt.Key.Key_Return)
    wifi = page.wifi_page

    retype(qtbot, wifi.password, "short")
    assert wifi.password_notes.kind == "quiet"  # still typing: the rule, not an error yet
    assert wifi.password_notes.text.text() == "8 to 63 characters, or empty for an open network"
    assert not wifi.pair_button.isEnabled()
    qtbot.keyClick(wifi.password, Qt.Key.Key_Return)
    assert page.flow.page == WIFI
    assert wifi.password_notes.kind == "error" and "5 characters" in wifi.password_notes.text.text()
    retype(qtbot, wifi.password, "")
    assert wifi.password_notes.kind == "warning"  # an open network: allowed, but said
    assert "open network" in wifi.password_notes.text.text()
    retype(qtbot, wifi.password, PASSWORD)
    assert wifi.password_notes.kind == "quiet"

    retype(qtbot, wifi.ssid, "é" * 17)  # 17 characters, 34 bytes: shown at once
    assert "34 bytes long" in wifi.ssid_notes.text.text() and wifi.ssid_notes.kind == "error"
    assert wifi.ssid.property("invalid") is True
    assert not wifi.pair_button.isEnabled()
    qtbot.keyClick(wifi.ssid, Qt.Key.Key_Return)  # blocked before anything is sent
    assert page.flow.page == WIFI and not page.running
    assert device.ap_details is None and device.mode == "ap"

    retype(qtbot, wifi.ssid, "Office-5G")
    assert wifi.ssid_notes.kind == "warning" and "5 GHz" in wifi.ssid_notes.text.text()
    assert wifi.ssid.property("invalid") is False
    assert wifi.pair_button.isEnabled()

    qtbot.mouseClick(wifi.back_button, Qt.MouseButton.LeftButton)
    assert page.flow.page == START


async def test_the_hotspot_is_detected_live(signed_in, qtbot):
    window = signed_in
    network = Network(OFFICE)
    page = await open_pair(window, network)
    start = page.start_page
    assert page.flow.hotspot.state == "waiting" and page.flow.source == DEMO

    # the installer joins the device's hotspot: the page notices by itself
    network.view, network.ssid = ON_HOTSPOT, "ITEAD-1000ff0001"
    await until(lambda: start.hotspot_headline.text() == "Connected to ITEAD-1000ff0001", 4,
                "the hotspot")
    assert page.flow.hotspot.state == CONNECTED
    assert "wlan0 has 10.10.7.2" in start.hotspot_detail.text()
    assert page.flow.source == HOTSPOT and start.hotspot_choice.isChecked()
    assert start.hotspot_choice.text() == "The device on the hotspot (10.10.7.1, via wlan0)"
    assert start.next_button.isEnabled() and window.focusWidget() is start.next_button
    assert page.flow.device_url is None  # the service finds it at the gateway itself

    # a cable plugged in as well: the hotspot address is there, the route goes elsewhere
    network.view = CABLE_TOO
    await until(lambda: page.flow.hotspot.state == WRONG_ROUTE, 4, "the wrong route")
    assert "unplug the network cable" in start.hotspot_detail.text()

    # or the address is typed in
    network.view = OFFICE
    await until(lambda: page.flow.hotspot.state == "waiting", 4, "the office network")
    qtbot.mouseClick(start.hotspot_choice, Qt.MouseButton.LeftButton)
    assert not start.next_button.isEnabled()
    assert "Join the device's ITEAD" in start.problem.text()
    qtbot.keyClicks(start.address, "10.10.7.1")
    assert page.flow.source == "address" and start.address_choice.isChecked()
    assert start.next_button.isEnabled()
    qtbot.keyClick(start.address, Qt.Key.Key_Return)
    assert page.flow.page == WIFI
    assert page.wifi_page.device.text().startswith("The device at 10.10.7.1 will join")
