"""SiteKit's own actions reach the feed (issue 6): every command a technician gives lands in
the one stream of Events, the way a device report does.

One test per action, against the in-process demo site, through the services the GUI and
the CLI call, with the workspace's real SQLite store (SITEKIT_HOME is a temp dir). Each
checks the three places an action has to show up: the feed's subscribers (the Events pane,
as it happens), the store (`Feed.history`, what Load older, diagnostics and a restart see),
and the words a person reads (`event_summary`, the pane's Summary column). None may carry
what the technician typed as a secret (Wi-Fi password, message text, a full phone number).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest

from app.core.errors import DeviceOffline, SiteKitError
from app.core.events import Event
from app.services.describe import event_summary
from app.services.pairing import PairingService
from app.services.workspace import Workspace
from app.simulators.ewelink.sonoff import DeviceDelays
from app.simulators.nexhome import BACK_DOOR, ELEVATOR, MAIN_ENTRANCE
from app.vendors.ewelink.pairing import PairingTimeouts
from app.vendors.nuheat.models import ScheduleMode

FAST = PairingTimeouts(poll_interval=0.05, retry_delay=0.05, ap_probe_interval=0.1)
WIFI_PASSWORD = "sitekit-demo-wifi"
MASTER_BATH = "1270337"  # a Nuheat demo thermostat with a writable schedule
RESIDENT = "+44 7700 900123"  # a number the NXCloud simulator delivers to


@pytest.fixture
async def ws():
    workspace = await Workspace.open(demo=True, demo_site_options={
        "live_drift_seconds": None, "device_delays": DeviceDelays(0, 0, 0, ap_return=1)})
    assert workspace.feed._store is not None  # the events are kept, as in the app
    try:
        yield workspace
    finally:
        await workspace.close()


class Seen:
    """What the feed's subscribers heard since the action started."""

    def __init__(self, ws: Workspace) -> None:
        self.events: list[Event] = []
        ws.feed.subscribe(self.events.append)

    def of(self, vendor: str, kind: str) -> list[Event]:
        return [e for e in self.events if e.vendor == vendor and e.kind == kind]


async def _stored(ws: Workspace, event: Event) -> Event:
    """The same event read back from SQLite (history flushes what is pending first)."""
    since = event.time.replace(microsecond=0)
    found = [e for e in await ws.feed.history(limit=2000, vendor=event.vendor, kind=event.kind,
                                              device=event.device or None)
             if e.time >= since and e.payload == event.payload]
    assert found, f"{event.kind} event of {event.vendor} not in the store"
    return found[-1]


def _words(event: Event) -> str:
    text = event_summary(event)
    assert text and not text.startswith("{"), f"no wording for {event}"
    return text


# -- eWeLink ----------------------------------------------------------------------------


async def test_pairing_steps_reach_the_feed(ws):
    seen = Seen(ws)
    service = PairingService(ws, timeouts=FAST)
    deviceid, url = service.waiting_demo_devices()[0]
    service.plan(url, "SiteKit-Demo", WIFI_PASSWORD, "Porch light")
    try:
        result = await service.run()
    finally:
        await service.close()
    assert result.online and result.deviceid == deviceid
    steps = seen.of("ewelink", "pairing")
    assert steps, "pairing left nothing in the feed"
    # one event per finished step, in order, and the outcome last
    names = [e.payload.get("step") for e in steps]
    assert len(names) >= 4 and names[-1] == "result"
    assert steps[-1].device == deviceid and steps[-1].payload["status"] == "done"
    assert "Porch light" in _words(steps[-1])
    for event in steps:
        assert WIFI_PASSWORD not in json.dumps(event.payload)
        assert event.payload["status"] in ("done", "skipped", "warning", "failed", "cancelled")
    assert (await _stored(ws, steps[-1])).payload["status"] == "done"


async def test_a_failed_pairing_says_which_step_in_the_feed(ws):
    seen = Seen(ws)
    service = PairingService(ws, timeouts=PairingTimeouts(
        request=0.5, find=1.0, read=1.0, poll_interval=0.05, retry_delay=0.05,
        ap_probe_interval=0.1))
    # nobody answers there: the device is never found
    service.plan("http://127.0.0.1:9", "SiteKit-Demo", WIFI_PASSWORD, "Porch light")
    with pytest.raises(SiteKitError):
        await service.run()
    await service.close()
    failed = [e for e in seen.of("ewelink", "pairing") if e.payload["status"] == "failed"]
    assert failed, "a failed pairing left nothing in the feed"
    assert failed[-1].payload["step"] != "result" and "failed" in _words(failed[-1]).lower()
    await _stored(ws, failed[-1])


async def test_switch_test_over_the_cloud_reaches_the_feed(ws):
    await ws.inventory.refresh()
    seen = Seen(ws)
    assert await ws.inventory.set_switch("1000aa0001", True, via="cloud") == "cloud"
    [command] = seen.of("ewelink", "command")
    assert command.device == "1000aa0001" and command.payload["result"] == "ok"
    assert _words(command) == "Sent: Switched on → confirmed"
    await _stored(ws, command)


async def test_a_refused_cloud_switch_reaches_the_feed(ws):
    await ws.inventory.refresh()
    # the cloud answers the next switch with an error code
    ws.demo_site.ewelink.faults.update({"ws_update_fault": "error", "ws_update_fault_times": 1})
    seen = Seen(ws)
    with pytest.raises(SiteKitError):
        await ws.inventory.set_switch("1000aa0001", True, via="cloud")
    [command] = seen.of("ewelink", "command")
    assert command.payload["result"] not in ("ok", "", None)
    assert _words(command).startswith("Sent: Switched on → ")
    await _stored(ws, command)


async def _paired_on_the_lan(ws) -> str:
    service = PairingService(ws, timeouts=FAST)
    deviceid, url = service.waiting_demo_devices()[0]
    service.plan(url, "SiteKit-Demo", WIFI_PASSWORD, "Porch light")
    try:
        assert (await service.run()).online
    finally:
        await service.close()
    await ws.lan.start()
    assert await ws.lan.wait_for(deviceid, 5)
    return deviceid


async def test_switch_test_over_the_lan_reaches_the_feed(ws):
    deviceid = await _paired_on_the_lan(ws)
    seen = Seen(ws)
    assert await ws.inventory.set_switch(deviceid, True, via="lan") == "lan"
    [command] = seen.of("ewelink", "command")
    assert command.payload == {"params": {"switch": "on"}, "result": "ok", "via": "lan"}
    assert _words(command) == "Sent: Switched on → confirmed"
    await _stored(ws, command)


async def test_a_failed_lan_switch_reaches_the_feed(ws):
    deviceid = await _paired_on_the_lan(ws)
    sonoff = next(d for d in ws.demo_site.ap_devices if d.deviceid == deviceid)
    await sonoff._close_lan()  # the device stops answering on the LAN after it was found
    seen = Seen(ws)
    with pytest.raises(SiteKitError):
        await ws.inventory.set_switch(deviceid, True, via="lan")
    [command] = seen.of("ewelink", "command")
    assert command.payload["via"] == "lan" and command.payload["result"] != "ok"
    assert _words(command).startswith("Sent: Switched on → ")
    await _stored(ws, command)


# -- NEXhome ------------------------------------------------------------------------------


async def test_unlock_reaches_the_feed(ws):
    await ws.building.refresh()
    seen = Seen(ws)
    result = await ws.building.unlock(MAIN_ENTRANCE)
    assert result.opened
    [command] = seen.of("nexhome", "command")
    assert _words(command) == "Main entrance: unlock → opened"
    await _stored(ws, command)


async def test_a_refused_unlock_reaches_the_feed(ws):
    await ws.building.refresh()
    seen = Seen(ws)
    with pytest.raises(DeviceOffline):
        await ws.building.unlock(BACK_DOOR)
    [command] = seen.of("nexhome", "command")
    assert "unlock → failed" in _words(command)
    await _stored(ws, command)


async def test_elevator_call_reaches_the_feed(ws):
    await ws.building.refresh()
    seen = Seen(ws)
    await ws.building.call_elevator(ELEVATOR, 0, 7)
    [command] = seen.of("nexhome", "command")
    assert _words(command) == "Lift A controller: call elevator → floor 0 → 7: called"
    await _stored(ws, command)


async def test_lift_floors_set_reach_the_feed(ws):
    await ws.building.refresh()
    person = ws.building.persons[0]
    seen = Seen(ws)
    await ws.building.set_lift_floors(person.id, "3, 0")
    [floors] = seen.of("nexhome", "lift_floors")
    assert floors.device == person.id and _words(floors)
    await _stored(ws, floors)


async def test_announcement_reaches_the_feed(ws):
    await ws.building.refresh()
    seen = Seen(ws)
    await ws.building.announce("Lift maintenance", "Lift A is off on Monday.", ["DS-1"])
    [announced] = seen.of("nexhome", "announcement")
    assert "Lift maintenance" in _words(announced)
    await _stored(ws, announced)


async def test_credential_issued_and_sent_reach_the_feed_never_the_pin(ws):
    from app.core import paths

    await ws.building.refresh()
    person = ws.building.persons[0]
    seen = Seen(ws)
    issued = await ws.building.issue_credential(person.id, "PIN", send="sms", phone=RESIDENT)
    [credential] = seen.of("nexhome", "credential")
    [sms] = seen.of("nxcloud", "sms")
    assert "PIN issued for" in _words(credential) and "SMS sent" in _words(sms)
    await _stored(ws, credential)
    await _stored(ws, sms)
    # the PIN is nowhere in the store's files (the database and its write-ahead log)
    # (a whole number of its own: not the microseconds of a stored time, ".123456")
    pin = re.compile(rb"(?<![\d.])" + issued.content.encode() + rb"(?!\d)")
    files = [p for p in paths.events_db().parent.iterdir() if p.name.startswith("events")]
    assert files and not any(pin.search(p.read_bytes()) for p in files)


async def test_number_check_reaches_the_feed(ws):
    seen = Seen(ws)
    await ws.messaging.check_number(RESIDENT, "basic")
    [check] = seen.of("nxcloud", "number_check")
    assert _words(check).startswith("Number check (basic): ")
    stored = await _stored(ws, check)
    assert "900123" not in json.dumps(stored.payload) + stored.device


def test_an_unlock_from_the_cli_is_in_the_history():
    """The CLI is SiteKit too: what it does lands in the same store the GUI reads."""
    import asyncio

    from app.core import paths
    from app.core.store import EventStore
    from tests.integration.test_cli import sitekit

    result = sitekit("--demo", "nexhome", "unlock", "Main entrance", "--yes")
    assert result.returncode == 0, result.stderr

    async def read() -> list[Event]:
        store = EventStore(paths.events_db())
        try:
            return await store.history(vendor="nexhome", kind="command")
        finally:
            await store.close()

    commands = asyncio.run(read())
    assert [_words(e) for e in commands] == ["Main entrance: unlock → opened"]


# -- Nuheat -------------------------------------------------------------------------------


async def test_schedule_save_reaches_the_feed(ws):
    await ws.thermostats.refresh()
    schedule = (await ws.thermostats.schedule(MASTER_BATH)).schedule
    for day in schedule.days:  # a week-day group's days change together
        if day.week_day_group_number == schedule.days[0].week_day_group_number:
            day.events[0].temperature = 2350
    seen = Seen(ws)
    await ws.thermostats.save_schedule(schedule)
    [saved] = seen.of("nuheat", "schedule")
    assert saved.device == MASTER_BATH and "schedule saved" in _words(saved)
    await _stored(ws, saved)


async def test_mode_change_reaches_the_feed(ws):
    await ws.thermostats.refresh()
    seen = Seen(ws)
    await ws.thermostats.set_mode(MASTER_BATH, ScheduleMode.PERMANENT_HOLD, 2150)
    [mode] = seen.of("nuheat", "mode")
    assert mode.device == MASTER_BATH and _words(mode)
    await _stored(ws, mode)


# -- NXCloud ------------------------------------------------------------------------------


async def test_sms_sent_reaches_the_feed_without_number_or_text(ws):
    seen = Seen(ws)
    await ws.messaging.send_sms(RESIDENT, "Your door PIN is 4711", purpose="PIN")
    [sms] = seen.of("nxcloud", "sms")
    assert _words(sms) == "SMS sent (PIN) to +44 ••••••0123"
    stored = await _stored(ws, sms)
    text = json.dumps(stored.payload, ensure_ascii=False) + stored.device
    assert "4711" not in text and "900123" not in text


async def test_whatsapp_sent_reaches_the_feed_without_number_or_text(ws):
    seen = Seen(ws)
    await ws.messaging.send_whatsapp(RESIDENT, "Gate code 2468", purpose="test")
    [sent] = seen.of("nxcloud", "whatsapp")
    assert _words(sent).startswith("WhatsApp message sent (test) to +44 ")
    stored = await _stored(ws, sent)
    text = json.dumps(stored.payload, ensure_ascii=False) + stored.device
    assert "2468" not in text and "900123" not in text


async def test_own_actions_survive_a_restart():
    """What the technician did is still in the history when SiteKit opens again."""
    first = await Workspace.open(demo=True, demo_site_options={"live_drift_seconds": None})
    try:
        await first.building.refresh()
        await first.building.unlock(MAIN_ENTRANCE)
    finally:
        await first.close()
    again = await Workspace.open(demo=True, demo_site_options={"live_drift_seconds": None})
    try:
        commands = await again.feed.history(vendor="nexhome", kind="command")
        assert any(_words(e) == "Main entrance: unlock → opened" for e in commands)
        assert all(e.time.tzinfo is not None and e.time <= datetime.now(timezone.utc)
                   for e in commands)
    finally:
        await again.close()
