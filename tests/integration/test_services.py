"""Services (workspace, accounts, inventory, feed) against the in-process demo site."""

import asyncio
import json

import pytest

from app.core.errors import ConfigError, DeviceOffline
from app.services.site import SiteProfile
from app.services.workspace import Workspace

QUIET = {"live_drift_seconds": None}


@pytest.fixture
async def demo():
    ws = await Workspace.open(demo=True, demo_site_options=QUIET)
    yield ws
    await ws.close()


async def wait_for(predicate, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_demo_site_signs_in_lists_and_switches(demo):
    assert not demo.ewelink.signed_in
    devices = await demo.inventory.refresh()
    assert demo.ewelink.signed_in and demo.ewelink.account == "demo@sitekit.example"
    assert {d.kind for d in devices} >= {"switch", "multi_switch", "power_plug", "sensor"}
    changed = []
    demo.inventory.subscribe(changed.append)
    events = []
    demo.feed.subscribe(events.append)

    await demo.inventory.set_switch("1000aa0001", True)
    assert demo.inventory.get("1000aa0001").channels[0].on
    # the device's own report arrives through the live feed as an Event
    await wait_for(lambda: any(e.kind == "state" and e.device == "1000aa0001" for e in events))
    assert "1000aa0001" in changed
    assert demo.live_status == "online"


async def test_multi_channel_outlet(demo):
    await demo.inventory.refresh()
    await demo.inventory.set_switch("1000aa0004", True, outlet=2)
    channels = demo.inventory.get("1000aa0004").channels
    assert [c.on for c in channels] == [False, False, True, False]
    await demo.inventory.set_switch("1000aa0004", False, outlet=2)
    assert not demo.inventory.get("1000aa0004").channels[2].on


async def test_offline_device_is_refused_with_a_reason(demo):
    await demo.inventory.refresh()
    with pytest.raises(DeviceOffline) as info:
        await demo.inventory.set_switch("1000aa0007", True)
    assert "offline" in info.value.user_text()


async def test_device_going_offline_and_back_reaches_inventory(demo):
    await demo.inventory.refresh()
    await demo.start_live()
    await demo.live()
    await demo.demo_site.ewelink.set_online("1000aa0001", False)
    await wait_for(lambda: not demo.inventory.get("1000aa0001").online)
    await demo.demo_site.ewelink.set_online("1000aa0001", True)
    await wait_for(lambda: demo.inventory.get("1000aa0001").online)


async def test_feed_persists_events(demo):
    await demo.inventory.refresh()
    await demo.inventory.set_switch("1000aa0001", True)
    history = await demo.feed.history(50)
    assert any(e.device == "1000aa0001" for e in history)


async def test_find_device_by_name_or_id(demo):
    await demo.inventory.refresh()
    assert demo.inventory.find("hall light").deviceid == "1000aa0001"
    assert demo.inventory.find("1000aa0002").name == "Kitchen 2-gang"
    with pytest.raises(ConfigError) as info:
        demo.inventory.find("Nope")
    assert "Hall light" in info.value.hint


async def test_demo_tokens_are_never_written_to_the_secret_store(demo):
    await demo.inventory.refresh()
    assert demo.secrets.get("demo/ewelink/tokens") is None


async def test_site_file_tokens_persist_between_workspaces(tmp_path):
    from app.simulators.site import DemoSite

    async with DemoSite(live_drift_seconds=None) as site:
        site_file = tmp_path / "site.json"
        site_file.write_text(json.dumps(site.describe()) + "\n")
        first = await Workspace.open(site_file=site_file)
        try:
            await first.inventory.refresh()
            assert first.ewelink.signed_in
            at = first.ewelink.client.tokens.at
        finally:
            await first.close()
        second = await Workspace.open(site_file=site_file)
        try:
            assert second.ewelink.signed_in  # no second login: the stored tokens are used
            assert second.ewelink.client.tokens.at == at
            assert len(await second.inventory.refresh()) >= 7
        finally:
            await second.close()


async def test_real_profile_without_app_id_says_what_to_do():
    ws = await Workspace.open()
    try:
        with pytest.raises(ConfigError) as info:
            await ws.ewelink.sign_in("eu", "me@example.com", "pw")
        assert "Settings" in info.value.hint
        with pytest.raises(ConfigError):
            await ws.inventory.refresh()
    finally:
        await ws.close()


def test_site_file_errors_are_specific(tmp_path):
    with pytest.raises(ConfigError) as info:
        SiteProfile.from_file(tmp_path / "missing.json")
    assert "Cannot read" in info.value.message
    bad = tmp_path / "bad.json"
    bad.write_text("hello\n")
    with pytest.raises(ConfigError) as info:
        SiteProfile.from_file(bad)
    assert "JSON" in info.value.message
    partial = tmp_path / "partial.json"
    partial.write_text('{"nuheat": {}}\n')
    with pytest.raises(ConfigError):
        SiteProfile.from_file(partial)


async def test_cloud_offline_answer_marks_the_device_offline(demo):
    await demo.inventory.refresh()
    demo.demo_site.ewelink.device("1000aa0001").online = False  # no sysmsg reached us
    with pytest.raises(DeviceOffline) as info:
        await demo.inventory.set_switch("1000aa0001", True)
    assert "Hall light is offline" in info.value.user_text()
    assert "1000aa0001" not in info.value.message
    assert not demo.inventory.get("1000aa0001").online


async def test_dispatch_server_for_paired_devices_is_a_setting():
    from app.services.pairing import PairingService

    ws = await Workspace.open()
    try:
        service = PairingService(ws)
        assert service.dispatch_target() == ("eu-disp.coolkit.cc", 443)
        ws.settings.ewelink.dispatch_server = "{region}-dispd.coolkit.cc"
        assert service.dispatch_target() == ("eu-dispd.coolkit.cc", 443)
    finally:
        await ws.close()


async def test_demo_site_dispatch_comes_from_its_description(demo):
    from app.services.pairing import PairingService

    described = demo.demo_site.describe()["ewelink"]["dispatch"]
    assert PairingService(demo).dispatch_target() == (described["serverName"], described["port"])
