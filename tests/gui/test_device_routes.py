"""The device panel's route selector: where a device answers, and Auto / LAN / Cloud.

A demo device is paired first (through the pairing service, zero device delays): it then
answers on the LAN (the demo site's directory stands in for mDNS) as well as in the cloud.
The seeded demo devices are cloud only.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.services.pairing import PairingService
from app.vendors.ewelink.pairing import PairingTimeouts
from tests.gui.support import until

HALL = "1000aa0001"
NEW = "1000ee0001"
FAST = PairingTimeouts(retry_delay=0.05, poll_interval=0.1, ap_probe_interval=0.05, wait_lan=3)


@pytest.fixture
async def demo_ws():
    from app.services.workspace import Workspace
    from app.simulators.ewelink.sonoff import DeviceDelays

    ws = await Workspace.open(demo=True, store_events=False, demo_site_options={
        "live_drift_seconds": None, "device_delays": DeviceDelays(0, 0, 0)})
    try:
        yield ws
    finally:
        await ws.close()


@pytest.fixture
async def paired(signed_in):
    """The window, signed in, with demo device NEW paired as "Porch light"."""
    ws = signed_in.ws
    service = PairingService(ws, timeouts=FAST)
    [(deviceid, url)] = [d for d in service.waiting_demo_devices() if d[0] == NEW]
    service.plan(url, "SiteKit-Demo", "sitekit-demo-wifi", "Porch light")
    await service.run()
    await until(lambda: signed_in.devices.model.row_of(NEW) >= 0, 5, "the paired device listed")
    await until(lambda: ws.lan.address(NEW) is not None, 5, "the device on the LAN")
    return signed_in


def lan_commands(ws, deviceid: str) -> list:
    return [e for e in ws.feed.recent(50) if e.device == deviceid and e.kind == "command"
            and e.payload.get("via") == "lan"]


async def test_a_cloud_only_device_says_so_and_lan_cannot_be_forced(signed_in, qtbot):
    window = signed_in
    window.devices.select_device(HALL)
    panel = window.devices.panel
    assert panel.where.text() == "Cloud only: not answering on this network (LAN)"
    assert panel.route_buttons["auto"].isChecked()
    assert panel.route_note.text() == "Auto: over the cloud now."
    assert panel.row(0).toggle.isEnabled()

    qtbot.mouseClick(panel.route_buttons["lan"], Qt.MouseButton.LeftButton)
    assert panel.route_of(HALL) == "lan"
    assert not panel.row(0).toggle.isEnabled()  # it would only fail
    assert panel.row(0).toggle.toolTip() == "Not answering on this network (LAN)."
    assert panel.error_text().startswith("Hall light is not answering on this network (LAN)")

    qtbot.mouseClick(panel.route_buttons["cloud"], Qt.MouseButton.LeftButton)
    assert panel.route_note.text() == "Always through the eWeLink cloud."
    assert panel.row(0).toggle.isEnabled() and panel.error_text() == ""


async def test_a_paired_device_is_switched_over_the_lan_or_the_cloud(paired, qtbot):
    window = paired
    ws = window.ws
    sim_device = next(d for d in ws.demo_site.ap_devices if d.deviceid == NEW)
    window.devices.select_device(NEW)
    panel = window.devices.panel
    assert panel.title.text() == "Porch light"
    assert panel.where.text() == f"On the LAN at {ws.lan.address(NEW)}"
    assert panel.where.text().startswith("On the LAN at 127.0.0.1:")
    assert panel.route_note.text() == "Auto: over the LAN now."

    row = panel.row(0)
    qtbot.mouseClick(row.toggle, Qt.MouseButton.LeftButton)
    await until(lambda: row.state.text() == "On", 5, "the LAN switch")
    assert sim_device.params["switch"] == "on"
    assert len(lan_commands(ws, NEW)) == 1

    qtbot.mouseClick(panel.route_buttons["cloud"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(row.toggle, Qt.MouseButton.LeftButton)
    await until(lambda: row.state.text() == "Off", 5, "the cloud switch")
    assert sim_device.params["switch"] == "off"
    assert len(lan_commands(ws, NEW)) == 1  # that one went through the cloud

    # the choice is per device: another device is still on Auto
    window.devices.select_device(HALL)
    assert panel.route_buttons["auto"].isChecked()
    window.devices.select_device(NEW)
    assert panel.route_buttons["cloud"].isChecked()


async def test_offline_in_the_cloud_but_on_the_lan_can_still_be_switched(paired, qtbot):
    window = paired
    ws = window.ws
    sim = ws.demo_site.ewelink
    window.devices.select_device(NEW)
    panel = window.devices.panel
    await sim.set_online(NEW, False)  # the site's internet is down, say
    await until(lambda: panel.online_text.text() == "Offline", 5, "the offline push")
    assert "offline in the cloud but answers on this network" in panel.error_text()
    row = panel.row(0)
    assert row.toggle.isEnabled()
    qtbot.mouseClick(row.toggle, Qt.MouseButton.LeftButton)
    await until(lambda: row.state.text() == "On", 5, "the LAN switch")
    assert len(lan_commands(ws, NEW)) == 1

    qtbot.mouseClick(panel.route_buttons["cloud"], Qt.MouseButton.LeftButton)
    assert not row.toggle.isEnabled()
    assert panel.error_text().startswith("Porch light is offline")
