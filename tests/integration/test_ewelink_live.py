"""EwelinkLive against the simulated eWeLink cloud: handshake, heartbeat, commands, pushes,
drops, and the one-session-per-account rule."""

from __future__ import annotations

import asyncio
import time

import pytest

from app.core.errors import (CommandTimeout, DeviceOffline, NetworkError, SessionTakenOver,
                             VendorError)
from app.vendors.ewelink.client import SESSION_ENDED, EwelinkClient
from app.vendors.ewelink.live import EwelinkLive
from app.vendors.ewelink.models import switch_params
from tests.integration.conftest import (DEMO_PASSWORD, EU_ACCOUNT, SIM_HB_INTERVAL,
                                        wait_until)

HALL = "1000aa0001"
FOUR_GANG = "1000aa0004"
GARAGE_OFFLINE = "1000aa0007"
FAST_BACKOFF = (0, 0.2, 0.5)


class Recorder:
    """Collects events and lets a test await the next one that matches."""

    def __init__(self) -> None:
        self.events = []
        self._changed = asyncio.Event()

    def __call__(self, event) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, kind, device=None):
        return [e for e in self.events
                if e.kind == kind and (device is None or e.device == device)]

    def statuses(self):
        return [e.payload["status"] for e in self.of("connection")]

    async def wait_for(self, match, timeout=3.0):
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if match(event):
                    return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("no matching event arrived")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass


@pytest.fixture
async def signed_in(make_ewelink_client):
    client = make_ewelink_client()
    await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    return client


@pytest.fixture
async def live(signed_in):
    live = EwelinkLive(signed_in, backoff=FAST_BACKOFF, command_timeout=2.0, stable_after=0.5)
    recorder = Recorder()
    live.subscribe(recorder)
    live.recorder = recorder
    await live.start()
    await live.wait_online(5)
    try:
        yield live
    finally:
        await live.stop()


async def test_online_with_the_servers_heartbeat_and_pings_keep_it_up(live, ewelink_sim):
    assert live.status == "online"
    assert live.hb_interval == SIM_HB_INTERVAL
    assert live.recorder.statuses()[:2] == ["connecting", "online"]
    # The simulator closes a socket silent for 1.5 intervals: outlive that a few times.
    await asyncio.sleep(SIM_HB_INTERVAL * 3)
    assert live.status == "online"
    assert ewelink_sim.handshakes == 1


async def test_switching_a_single_channel_device(live, ewelink_sim, signed_in):
    devices = {d.deviceid: d for d in await signed_in.devices()}
    hall = devices[HALL]
    reply = await live.update(HALL, switch_params(hall, True))
    assert reply["error"] == 0 and reply["deviceid"] == HALL
    assert ewelink_sim.device(HALL).params["switch"] == "on"
    state = await live.recorder.wait_for(lambda e: e.kind == "state" and e.device == HALL)
    hall.apply(state.payload)
    assert hall.channels[0].on is True
    command = live.recorder.of("command", HALL)[-1]
    assert command.payload == {"params": {"switch": "on"}, "result": "ok"}


async def test_switching_outlet_2_of_the_four_gang(live, ewelink_sim, signed_in):
    devices = {d.deviceid: d for d in await signed_in.devices()}
    gang = devices[FOUR_GANG]
    before = [c.on for c in gang.channels]
    await live.update(FOUR_GANG, switch_params(gang, True, outlet=2))
    pushed = await live.recorder.wait_for(
        lambda e: e.kind == "state" and e.device == FOUR_GANG and "switches" in e.payload)
    gang.apply(pushed.payload)
    after = [c.on for c in gang.channels]
    assert after[2] is True
    assert after[:2] == before[:2] and after[3] == before[3]  # the other outlets untouched
    sim_state = {s["outlet"]: s["switch"] for s in ewelink_sim.device(FOUR_GANG).params["switches"]}
    assert sim_state[2] == "on"


async def test_query_returns_all_params(live):
    params = await live.query(FOUR_GANG)
    assert len(params["switches"]) == 4


async def test_command_to_an_offline_device(live):
    with pytest.raises(DeviceOffline) as caught:
        await live.update(GARAGE_OFFLINE, {"switch": "on"})
    assert caught.value.code == 503 and "offline" in caught.value.message
    assert live.recorder.of("command", GARAGE_OFFLINE)[-1].payload["result"] == "offline"


async def test_invalid_params_are_a_vendor_error(live):
    with pytest.raises(VendorError) as caught:
        await live.update(HALL, {"switch": "sideways"})
    assert caught.value.code == 400


async def test_cloud_timeout_504_is_a_command_timeout(live, ewelink_sim):
    ewelink_sim.faults.device_timeout = 0.3
    ewelink_sim.set_unresponsive(HALL, True)
    started = time.monotonic()
    with pytest.raises(CommandTimeout) as caught:
        await live.update(HALL, {"switch": "on"}, timeout=3)
    assert getattr(caught.value, "code", None) == 504
    assert time.monotonic() - started < 2
    assert live.recorder.of("command", HALL)[-1].payload["result"] == "timeout"
    assert live.status == "online"


async def test_no_answer_at_all_is_a_command_timeout(live, ewelink_sim):
    ewelink_sim.faults.device_timeout = 30
    ewelink_sim.set_unresponsive(HALL, True)
    started = time.monotonic()
    with pytest.raises(CommandTimeout):
        await live.update(HALL, {"switch": "on"}, timeout=0.4)
    assert time.monotonic() - started < 1.5


async def test_device_pushes_become_events(live, ewelink_sim):
    await ewelink_sim.press_button(HALL, {"switch": "on"})
    pushed = await live.recorder.wait_for(lambda e: e.kind == "state" and e.device == HALL)
    assert pushed.payload["switch"] == "on"
    await ewelink_sim.set_online(HALL, False)
    offline = await live.recorder.wait_for(lambda e: e.kind == "offline" and e.device == HALL)
    assert offline.payload == {"online": False}
    await ewelink_sim.set_online(HALL, True)
    await live.recorder.wait_for(lambda e: e.kind == "online" and e.device == HALL)


async def test_drop_and_reconnect_then_commands_work_again(live, ewelink_sim):
    assert ewelink_sim.handshakes == 1
    await ewelink_sim.drop_websockets()
    await wait_until(lambda: ewelink_sim.handshakes == 2)
    await live.wait_online(3)
    assert "reconnecting" in live.recorder.statuses()
    reply = await live.update(HALL, {"switch": "on"})
    assert reply["error"] == 0


async def test_pending_commands_fail_fast_when_the_socket_drops(live, ewelink_sim):
    ewelink_sim.faults.device_reply_delay = 3.0
    command = asyncio.create_task(live.update(HALL, {"switch": "on"}, timeout=10))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await ewelink_sim.drop_websockets()
    with pytest.raises(NetworkError):
        await command
    assert time.monotonic() - started < 1.0


async def test_repeated_drops_back_off(live, ewelink_sim):
    # Drops right after each connection (never stable): the delays grow along `backoff`.
    live.stable_after = 60
    for expected in (2, 3, 4):
        await ewelink_sim.drop_websockets()
        await wait_until(lambda: ewelink_sim.handshakes == expected, timeout=3)
    messages = [e.payload["message"] for e in live.recorder.of("connection")
                if e.payload["status"] == "reconnecting"]
    assert [m.rsplit("retrying in ", 1)[1] for m in messages] == ["0 s.", "0.2 s.", "0.5 s."]


async def test_a_second_sign_in_elsewhere_signs_live_out_without_a_storm(
        live, ewelink_sim, make_ewelink_client, signed_in):
    assert ewelink_sim.handshakes == 1
    other = make_ewelink_client()
    await other.login(EU_ACCOUNT, DEMO_PASSWORD)  # e.g. the installer's phone app
    await wait_until(lambda: live.status == "signed_out", timeout=3)
    assert isinstance(live.last_error, SessionTakenOver)
    assert live.last_error.message.endswith(SESSION_ENDED)
    signed_out = live.recorder.of("connection")[-1]
    assert signed_out.payload == {"status": "signed_out", "message": SESSION_ENDED}
    # Stays signed out, and does not keep knocking (each knock would end the other session).
    await asyncio.sleep(1.0)
    assert live.status == "signed_out"
    assert ewelink_sim.handshakes <= 2
    assert signed_in.tokens is None
    with pytest.raises(SessionTakenOver):
        await live.update(HALL, {"switch": "on"})
    with pytest.raises(SessionTakenOver):
        await live.wait_online(1)


class ExpiringClient(EwelinkClient):
    """Times a simulator fault between dispatch and handshake (the only way to get a
    refused handshake with a token dispatch accepted)."""

    before_handshake = None

    async def dispatch(self) -> str:
        url = await super().dispatch()
        if self.before_handshake is not None:
            action, self.before_handshake = self.before_handshake, None
            await action()
        return url


async def _expiring_client(make_ewelink_client, action):
    client = make_ewelink_client(cls=ExpiringClient)
    await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    client.before_handshake = action
    return client


async def test_refused_handshake_refreshes_once_and_connects(make_ewelink_client, ewelink_sim):
    async def expire():
        ewelink_sim.expire_access_tokens()

    client = await _expiring_client(make_ewelink_client, expire)
    at_before = client.tokens.at
    live = EwelinkLive(client, backoff=FAST_BACKOFF, command_timeout=2.0)
    try:
        await live.start()
        await live.wait_online(5)
        assert client.tokens.at != at_before
        assert ewelink_sim.handshakes == 1
        assert (await live.update(HALL, {"switch": "off"}))["error"] == 0
    finally:
        await live.stop()


async def test_refused_handshake_and_failed_refresh_signs_out(make_ewelink_client, ewelink_sim):
    async def sign_in_elsewhere():
        await make_ewelink_client().login(EU_ACCOUNT, DEMO_PASSWORD)

    client = await _expiring_client(make_ewelink_client, sign_in_elsewhere)
    live = EwelinkLive(client, backoff=FAST_BACKOFF, command_timeout=2.0)
    statuses = []
    live.subscribe(lambda e: statuses.append(e.payload.get("status")))
    try:
        await live.start()
        with pytest.raises(SessionTakenOver):
            await live.wait_online(5)
        await asyncio.sleep(0.5)
        assert live.status == "signed_out"
        assert ewelink_sim.handshakes == 0
        assert statuses == ["connecting", "signed_out"]
    finally:
        await live.stop()
    assert live.status == "signed_out"  # stop() keeps what the user must act on


async def test_stop_leaves_nothing_running(signed_in):
    live = EwelinkLive(signed_in, backoff=FAST_BACKOFF)
    await live.start()
    await live.wait_online(5)
    await live.stop()
    assert live.status == "stopped"
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert not [t for t in others if "ewelink" in t.get_name()]
    with pytest.raises(NetworkError):
        await live.update(HALL, {"switch": "on"})
    # and it can start again
    await live.start()
    await live.wait_online(5)
    await live.stop()


async def test_stop_while_reconnecting_is_clean(signed_in, ewelink_sim):
    live = EwelinkLive(signed_in, backoff=(5, 5))
    await live.start()
    await live.wait_online(5)
    await ewelink_sim.drop_websockets()
    await wait_until(lambda: live.status == "reconnecting")
    started = time.monotonic()
    await live.stop()
    assert time.monotonic() - started < 1
    assert live.status == "stopped"


async def test_a_failing_subscriber_does_not_break_the_channel(live, ewelink_sim):
    def broken(event):
        raise RuntimeError("subscriber bug")

    unsubscribe = live.subscribe(broken)
    await ewelink_sim.press_button(HALL, {"switch": "on"})
    await live.recorder.wait_for(lambda e: e.kind == "state" and e.device == HALL)
    assert live.status == "online"
    unsubscribe()
    unsubscribe()  # twice is harmless


async def test_live_with_a_skewed_clock(make_ewelink_client, ewelink_sim, clock):
    ewelink_sim.faults.clock_offset = 3600
    client = make_ewelink_client()
    await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    live = EwelinkLive(client, backoff=FAST_BACKOFF)
    try:
        await live.start()
        await live.wait_online(5)
        assert (await live.update(HALL, {"switch": "on"}))["error"] == 0
    finally:
        await live.stop()


async def test_replies_without_sequence_go_to_the_oldest_command_of_that_device(signed_in):
    # Seen from the real service; the simulator always sends `sequence`.
    live = EwelinkLive(signed_in)
    loop = asyncio.get_running_loop()
    first, second, other = loop.create_future(), loop.create_future(), loop.create_future()
    live._pending.update({"1": (HALL, first), "2": (HALL, second), "3": (FOUR_GANG, other)})
    live._dispatch_message({"error": 0, "deviceid": FOUR_GANG})
    live._dispatch_message({"error": 0, "deviceid": HALL})
    assert other.done() and first.done() and not second.done()
    live._dispatch_message({"error": 0, "deviceid": HALL, "sequence": "999"})  # stale: ignored
    assert not second.done()
    live._dispatch_message({"error": 0, "deviceid": HALL, "sequence": "2"})
    assert second.result()["sequence"] == "2"
