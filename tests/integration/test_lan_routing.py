"""One device, two routes: pair a demo device, then switch it over the LAN and the cloud."""

import json
import os
import subprocess
import sys

import pytest

from app.core.errors import NetworkError
from app.services.pairing import PairingService
from app.services.workspace import Workspace
from app.simulators.ewelink.sonoff import DeviceDelays
from app.vendors.ewelink.pairing import PairingTimeouts

FAST = PairingTimeouts(poll_interval=0.05, retry_delay=0.05, ap_probe_interval=0.1)


@pytest.fixture
async def paired():
    ws = await Workspace.open(demo=True, demo_site_options={
        "live_drift_seconds": None, "device_delays": DeviceDelays(0, 0, 0, ap_return=1)})
    service = PairingService(ws, timeouts=FAST)
    deviceid, url = service.waiting_demo_devices()[0]
    service.plan(url, "SiteKit-Demo", "sitekit-demo-wifi", "Porch light")
    result = await service.run()
    await service.close()
    assert result.online and result.deviceid == deviceid
    sonoff = next(d for d in ws.demo_site.ap_devices if d.deviceid == deviceid)
    yield ws, sonoff
    await ws.close()


async def test_auto_route_prefers_the_lan_when_the_device_answers_there(paired):
    ws, sonoff = paired
    assert ws.inventory.route(sonoff.deviceid) == "cloud"  # presence not started yet
    await ws.lan.start()
    assert await ws.lan.wait_for(sonoff.deviceid, 2) == sonoff.lan_url
    assert ws.inventory.route(sonoff.deviceid) == "lan"
    assert ws.lan.address(sonoff.deviceid) == sonoff.lan_url.split("://")[1]
    events = []
    ws.feed.subscribe(events.append)
    assert await ws.inventory.set_switch(sonoff.deviceid, True) == "lan"
    assert sonoff.params["switch"] == "on"
    assert ws.inventory.get(sonoff.deviceid).channels[0].on
    assert any(e.kind == "command" and e.payload.get("via") == "lan" for e in events)


async def test_cloud_route_can_be_forced(paired):
    ws, sonoff = paired
    await ws.lan.start()
    await ws.lan.wait_for(sonoff.deviceid, 2)
    assert await ws.inventory.set_switch(sonoff.deviceid, True, via="cloud") == "cloud"
    assert sonoff.params["switch"] == "on"
    assert await ws.inventory.set_switch(sonoff.deviceid, False, via="lan") == "lan"
    assert sonoff.params["switch"] == "off"


async def test_forcing_lan_for_a_device_not_on_the_lan_says_why(paired):
    ws, _ = paired
    await ws.lan.start()
    with pytest.raises(NetworkError) as info:
        await ws.inventory.set_switch("1000aa0001", True, via="lan")  # a cloud-only device
    assert "not answering on this network" in info.value.message
    assert "cloud" in info.value.hint


async def test_saved_device_list_lets_the_lan_work_without_the_cloud(tmp_path):
    from app.simulators.site import DemoSite

    async with DemoSite(live_drift_seconds=None, device_delays=DeviceDelays(0, 0, 0)) as site:
        site_file = tmp_path / "site.json"
        site_file.write_text(json.dumps(site.describe()) + "\n")
        ws = await Workspace.open(site_file=site_file)
        try:
            before = await ws.inventory.refresh()
            assert ws.inventory.saved_copy_time is None
            await site.ewelink.stop()  # the site's internet is down
            after = await ws.inventory.refresh()
            assert ws.inventory.saved_copy_time is not None
            assert [d.deviceid for d in after] == [d.deviceid for d in before]
            assert all(d.devicekey for d in after)  # LAN keys survive in the secret store
            assert not any(d.online for d in after)
        finally:
            await ws.close()


def test_cli_pair_on_the_demo_site():
    result = subprocess.run([sys.executable, "-m", "app", "--demo", "pair", "--ssid",
                             "SiteKit-Demo", "--password-stdin", "--name", "Porch", "--json"],
                            input="sitekit-demo-wifi\n", capture_output=True, text=True,
                            timeout=90, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply["online"] is True and reply["deviceid"].startswith("1000ee")
    assert "Send the Wi-Fi details" in result.stderr  # progress, one line per step


def test_cli_pair_refuses_an_over_long_ssid_before_sending():
    result = subprocess.run([sys.executable, "-m", "app", "--demo", "pair", "--ssid", "é" * 17,
                             "--password-stdin", "--json"], input="sitekit-demo-wifi\n",
                            capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert result.returncode == 1
    error = json.loads(result.stdout)["error"]
    assert "32" in error["message"] and "Nothing was sent" in error["hint"]
