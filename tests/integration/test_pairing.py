"""Pairing end to end against the simulated Sonoff and the simulated cloud on loopback.

Nothing is mocked: the device's hotspot web server, its registration with the cloud, the
add-device call and the device list are the simulators' real HTTP and websockets. The
device URL is always given explicitly (no gateway detection here: see tests/e2e).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time

import aiohttp
import pytest
from aiohttp import web

from app.core.errors import AuthError, VendorError
from app.simulators.ewelink.sonoff import DeviceDelays, SimulatedSonoff, SiteWifi
from app.vendors.ewelink.client import EwelinkClient
from app.vendors.ewelink.pairing import (EwelinkPairing, PairingFailed, PairingMemo, PairingPlan,
                                         PairingTimeouts)
from app.vendors.ewelink.pairing_steps import (CANCELLED, DONE, FAILED, PENDING, SKIPPED,
                                               WARNING)
from tests.integration.conftest import DEMO_PASSWORD, EU_ACCOUNT, US_ACCOUNT

WIFI = SiteWifi("Site-Net", "correct-horse")
DEVICEID = "1000ee0001"
DEVICEKEY = "6a1f2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
CHIPID = "00C0FFEE"

FAST = dict(request=0.5, find=1, read=1.5, check_wifi=1, send_wifi=2, rejoin=2, add=2,
            wait_cloud=3, wait_lan=1, retry_delay=0.05, poll_interval=0.05,
            ap_probe_interval=0.05)


def timeouts(**overrides) -> PairingTimeouts:
    return PairingTimeouts(**{**FAST, **overrides})


@pytest.fixture
async def device_session():
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def client(make_ewelink_client) -> EwelinkClient:
    client = make_ewelink_client()
    await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    return client


@pytest.fixture
async def make_sonoff(ewelink_sim):
    made: list[SimulatedSonoff] = []

    async def make(deviceid=DEVICEID, uiid=1, **delays) -> SimulatedSonoff:
        device = SimulatedSonoff(ewelink_sim, deviceid=deviceid, devicekey=DEVICEKEY,
                                 chipid=CHIPID, uiid=uiid, site_wifi=WIFI,
                                 delays=DeviceDelays(**delays), mdns=False)
        made.append(device)
        await device.start(ap_port=0)
        return device

    yield make
    await asyncio.gather(*(d.stop() for d in made))


def plan_for(ewelink_sim, device, *, ssid=WIFI.ssid, password=WIFI.password, name="Porch lamp",
             port=None) -> PairingPlan:
    return PairingPlan(device_url=device.ap_url, ssid=ssid, password=password, name=name,
                       server_name="127.0.0.1",
                       server_port=ewelink_sim.ws_port("eu") if port is None else port)


def lan_locator(device):
    async def locate(deviceid: str, timeout: float):
        deadline = time.monotonic() + timeout
        while device.lan_url is None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return device.lan_url

    return locate


class Memos:
    """Stands in for the service's secret-store memo (in memory)."""

    def __init__(self):
        self.current: PairingMemo | None = None
        self.history: list[PairingMemo | None] = []

    def __call__(self, memo):
        self.current = memo
        self.history.append(None if memo is None else PairingMemo(**vars(memo)))


def statuses(pairing) -> dict[str, str]:
    return {s.name: s.status for s in pairing.steps}


async def listed(client, deviceid=DEVICEID):
    return [d for d in await client.devices() if d.deviceid == deviceid]


# -- the whole way ----------------------------------------------------------------------------

async def test_pairing_end_to_end(ewelink_sim, make_sonoff, client, device_session):
    device = await make_sonoff()
    memos = Memos()
    seen = []
    pairing = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                             timeouts=timeouts(), on_memo=memos, lan_locator=lan_locator(device))
    start = time.monotonic()
    result = await pairing.run(seen.append)
    assert time.monotonic() - start < 2.0

    assert result.deviceid == DEVICEID and result.name == "Porch lamp" and result.online
    assert result.lan_url == device.lan_url and device.mode == "online"
    assert set(statuses(pairing).values()) == {DONE}
    # what the device got: version 4, the details, the dispatch server, an integer port
    assert (device.ap_details.ssid, device.ap_details.password) == (WIFI.ssid, WIFI.password)
    assert device.ap_details.server_name == "127.0.0.1"
    assert device.ap_details.port == ewelink_sim.ws_port("eu")
    # on the account once, online, with its key
    [entry] = await listed(client)
    assert entry.online and entry.devicekey == DEVICEKEY and entry.name == "Porch lamp"
    # progress: every step went through running, one snapshot per change, ending done
    assert seen[-1].status == "done"
    assert [p.current for p in seen if p.current][:1] == ["find"]
    assert "pairing mode" in pairing.steps[1].message
    # the memo learned the device, marked the send, and was cleared at the end
    assert memos.history[0].deviceid == DEVICEID and not memos.history[0].wifi_sent
    assert any(m is not None and m.wifi_sent for m in memos.history)
    assert memos.current is None


async def test_a_multi_channel_device_pairs_too(ewelink_sim, make_sonoff, client, device_session):
    device = await make_sonoff(deviceid="1000ee0002", uiid=2)
    pairing = EwelinkPairing(plan_for(ewelink_sim, device, name="Kitchen"), session=device_session,
                             cloud=client, timeouts=timeouts())
    result = await pairing.run()
    assert result.online and result.lan_url is None
    assert pairing.steps[-1].status == SKIPPED  # no LAN locator given
    [entry] = await listed(client, "1000ee0002")
    assert entry.kind == "multi_switch"


# -- drops and reruns: never a duplicate -------------------------------------------------------

async def test_a_drop_during_post_ap_is_taken_as_accepted(ewelink_sim, make_sonoff, client,
                                                          device_session):
    device = await make_sonoff()
    device.faults.drop_ap_reply = True
    pairing = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                             timeouts=timeouts())
    result = await pairing.run()
    assert result.online
    send = pairing.steps[3]
    assert send.status == DONE and send.attempts == 1  # watched the hotspot, never re-posted
    assert "most likely took the details" in send.message
    assert len(await listed(client)) == 1


async def test_drop_then_stop_then_a_second_run_finishes_without_a_duplicate(
        ewelink_sim, make_sonoff, client, device_session):
    device = await make_sonoff()
    device.faults.drop_ap_reply = True
    memos = Memos()
    first = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                           timeouts=timeouts(), on_memo=memos)

    def stop_after_send(progress):
        if progress.step("send_wifi").status == DONE:
            task.cancel()  # the laptop loses the hotspot, the user closes the window...

    task = asyncio.create_task(first.run(stop_after_send))
    with pytest.raises(asyncio.CancelledError):
        await task
    assert statuses(first)["send_wifi"] == DONE and statuses(first)["rejoin"] == CANCELLED
    assert memos.current.wifi_sent and memos.current.deviceid == DEVICEID
    await device.wait_mode("online", 3)
    assert await listed(client) == []  # never added: the first run stopped before that

    second = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                            timeouts=timeouts(), memo=memos.current, on_memo=memos)
    result = await second.run()
    assert result.online and result.deviceid == DEVICEID
    steps = statuses(second)
    assert (steps["read"], steps["check_wifi"], steps["send_wifi"]) == (SKIPPED, SKIPPED, SKIPPED)
    assert "previous run" in second.steps[1].message
    assert steps["add"] == DONE and steps["wait_cloud"] == DONE
    assert len(await listed(client)) == 1
    assert memos.current is None


async def test_moving_on_to_the_next_device_still_adds_the_unfinished_one(
        ewelink_sim, make_sonoff, client, device_session):
    # Twenty devices in a row, all at 10.10.7.1: a run stopped after the send, and the
    # installer went straight on to the next device. Both end up on the account, once.
    first_device = await make_sonoff(deviceid="1000ee0010")
    memos = Memos()
    first = EwelinkPairing(plan_for(ewelink_sim, first_device, name="Hall"),
                           session=device_session, cloud=client, timeouts=timeouts(),
                           on_memo=memos)

    def stop_after_send(progress):
        if progress.step("send_wifi").status == DONE:
            task.cancel()

    task = asyncio.create_task(first.run(stop_after_send))
    with pytest.raises(asyncio.CancelledError):
        await task
    assert memos.current.deviceid == "1000ee0010" and memos.current.name == "Hall"

    next_device = await make_sonoff(deviceid="1000ee0011")
    second = EwelinkPairing(plan_for(ewelink_sim, next_device, name="Stairs"),
                            session=device_session, cloud=client, timeouts=timeouts(),
                            memo=memos.current, on_memo=memos)
    result = await second.run()
    assert result.deviceid == "1000ee0011" and result.online
    add = second.steps[5]
    assert add.status == DONE and "Also added device 1000ee0010 (“Hall”)" in add.message
    names = {d.deviceid: d.name for d in await client.devices()}
    assert (names["1000ee0010"], names["1000ee0011"]) == ("Hall", "Stairs")
    assert len([d for d in await client.devices() if d.deviceid.startswith("1000ee001")]) == 2


async def test_a_rerun_after_the_add_does_not_add_again(ewelink_sim, make_sonoff, client,
                                                        device_session):
    # The first run adds the device, then gives up waiting (registration is slow).
    device = await make_sonoff(register=0.6)
    memos = Memos()
    first = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                           timeouts=timeouts(wait_cloud=0.2), on_memo=memos)
    with pytest.raises(PairingFailed) as info:
        await first.run()
    assert info.value.step == "wait_cloud"
    assert "on the account, offline" in info.value.message
    assert statuses(first)["add"] == DONE and memos.current.wifi_sent

    second = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                            timeouts=timeouts(), memo=memos.current, on_memo=memos)
    result = await second.run()
    assert result.online
    assert second.steps[5].message.startswith("Already on the account")
    assert len(await listed(client)) == 1


async def test_cancelling_mid_way_then_running_again(ewelink_sim, make_sonoff, client,
                                                     device_session):
    device = await make_sonoff(join=0.5)
    memos = Memos()
    first = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                           timeouts=timeouts(), on_memo=memos)
    waiting = asyncio.Event()

    def watch(progress):
        if progress.current == "wait_cloud":
            waiting.set()

    task = asyncio.create_task(first.run(watch))
    await asyncio.wait_for(waiting.wait(), 3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert first.status == "cancelled"
    steps = statuses(first)
    assert steps["add"] == DONE and steps["wait_cloud"] == CANCELLED
    assert steps["wait_lan"] == PENDING

    second = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                            timeouts=timeouts(), memo=memos.current, on_memo=memos)
    assert (await second.run()).online
    assert len(await listed(client)) == 1


async def test_cancel_while_sending_finishes_the_exchange_first(ewelink_sim, make_sonoff, client,
                                                               device_session):
    device = await make_sonoff()
    memos = Memos()
    pairing = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                             timeouts=timeouts(), on_memo=memos)

    def cancel_on_send(progress):
        if progress.current == "send_wifi" and not task.cancelling():
            task.cancel()

    task = asyncio.create_task(pairing.run(cancel_on_send))
    with pytest.raises(asyncio.CancelledError):
        await task
    send = pairing.steps[3]
    assert send.status == CANCELLED
    # The POST /ap went out before the cancel landed: the device has the details, and the
    # memo and the message say so (no half-sent state).
    assert device.ap_details is not None
    assert memos.current.wifi_sent
    assert "after the device took the Wi-Fi details" in send.message


async def test_an_online_push_ends_the_wait_before_the_next_poll(ewelink_sim, make_sonoff,
                                                                  client, device_session):
    from app.vendors.ewelink.live import EwelinkLive

    live = EwelinkLive(client)
    await live.start()
    await live.wait_online(3)

    def online_events(callback):
        return live.subscribe(lambda event: callback(event.device) if event.kind == "online"
                              else None)

    device = await make_sonoff(register=0.3)
    pairing = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                             timeouts=timeouts(poll_interval=30, wait_cloud=5),
                             online_events=online_events)
    try:
        start = time.monotonic()
        result = await pairing.run()
        assert result.online and time.monotonic() - start < 2  # not the 30 s poll
    finally:
        await live.stop()


# -- failures name the cause ----------------------------------------------------------------

async def test_wrong_wifi_is_noticed_when_the_hotspot_comes_back(ewelink_sim, make_sonoff, client,
                                                                device_session):
    device = await make_sonoff(ap_return=0.2)
    pairing = EwelinkPairing(plan_for(ewelink_sim, device, password="wrong-horse"),
                             session=device_session, cloud=client, timeouts=timeouts())
    with pytest.raises(PairingFailed) as info:
        await pairing.run()
    assert info.value.step == "wait_cloud"
    assert "could not join “Site-Net”" in info.value.message
    assert "password" in info.value.hint and "2.4 GHz" in info.value.hint
    assert device.mode == "ap"

    # With the right details the same device pairs, re-reading it (no skipping).
    again = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                           timeouts=timeouts(), memo=pairing.memo)
    assert (await again.run()).online
    assert statuses(again)["send_wifi"] == DONE
    assert len(await listed(client)) == 1


async def test_wrong_wifi_times_out_with_the_likely_cause(ewelink_sim, make_sonoff, client,
                                                         device_session):
    device = await make_sonoff(ap_return=30)
    pairing = EwelinkPairing(plan_for(ewelink_sim, device, password="wrong-horse"),
                             session=device_session, cloud=client,
                             timeouts=timeouts(wait_cloud=0.4))
    start = time.monotonic()
    with pytest.raises(PairingFailed) as info:
        await pairing.run()
    assert time.monotonic() - start < 2
    assert info.value.step == "wait_cloud"
    assert "has not come online" in info.value.message and "0.4 s" in info.value.message
    assert "password is wrong" in info.value.hint and "5 GHz" in info.value.hint
    assert device.mode == "failed_join"


async def test_a_device_that_never_comes_online_is_a_bounded_wait(ewelink_sim, make_sonoff, client,
                                                                 device_session):
    device = await make_sonoff()
    device.faults.never_registers = True
    seen = []
    pairing = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                             timeouts=timeouts(wait_cloud=0.5))
    start = time.monotonic()
    with pytest.raises(PairingFailed) as info:
        await pairing.run(seen.append)
    elapsed = time.monotonic() - start
    assert elapsed < 2.0
    assert info.value.step == "wait_cloud"
    assert "has not come online in the eWeLink cloud within 0.5 s" in info.value.message
    assert "reach the internet" in info.value.hint
    wait = pairing.steps[6]
    assert wait.status == FAILED and wait.timeout == 0.5
    # the deadline was there for a countdown while it ran
    running = [p.step("wait_cloud") for p in seen if p.current == "wait_cloud"]
    assert running and running[0].deadline is not None
    assert [s.status for s in pairing.steps[7:]] == [PENDING]


async def test_a_silent_device_address_names_the_hotspot(ewelink_sim, client, device_session):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    plan = PairingPlan(device_url=f"127.0.0.1:{port}", ssid=WIFI.ssid, password=WIFI.password,
                       name="x", server_name="127.0.0.1", server_port=1)
    pairing = EwelinkPairing(plan, session=device_session, cloud=client,
                             timeouts=timeouts(read=0.4))
    start = time.monotonic()
    with pytest.raises(PairingFailed) as info:
        await pairing.run()
    assert time.monotonic() - start < 1.5
    assert info.value.step == "read"
    assert info.value.message == ("The device did not answer at 127.0.0.1: is the laptop still "
                                  "on the ITEAD hotspot?")
    assert "12345678" in info.value.hint
    assert pairing.steps[1].attempts >= 2  # retried until the deadline


@pytest.fixture
async def odd_device():
    """A web server that is not a pairable Sonoff (a router page, vendor-only firmware)."""
    replies: dict[str, web.Response] = {}

    async def device(request):
        return replies["reply"]

    app = web.Application()
    app.router.add_get("/device", device)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield replies, f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.mark.parametrize("reply, words", [
    (lambda: web.Response(text="<html>router login</html>", content_type="text/html"),
     "it is not a Sonoff in pairing mode"),
    (lambda: web.json_response({"data": "q83vEjRWeJA="}), "encrypted (vendor-only firmware)"),
    (lambda: web.json_response({"accept": "post"}), "did not say its device id and key"),
])
async def test_devices_that_cannot_be_paired_say_why(odd_device, client, device_session,
                                                     reply, words):
    replies, url = odd_device
    replies["reply"] = reply()
    plan = PairingPlan(device_url=url, ssid=WIFI.ssid, password=WIFI.password, name="x",
                       server_name="127.0.0.1", server_port=1)
    pairing = EwelinkPairing(plan, session=device_session, cloud=client, timeouts=timeouts())
    with pytest.raises(PairingFailed) as info:
        await pairing.run()
    assert info.value.step == "read" and words in info.value.message
    assert pairing.steps[1].attempts == 1  # not worth retrying


async def test_bad_wifi_details_stop_before_anything_is_sent(ewelink_sim, make_sonoff, client,
                                                            device_session):
    device = await make_sonoff()
    pairing = EwelinkPairing(plan_for(ewelink_sim, device, ssid="Café-" + "x" * 28),
                             session=device_session, cloud=client, timeouts=timeouts())
    with pytest.raises(PairingFailed) as info:
        await pairing.run()
    assert info.value.step == "check_wifi" and "34 bytes" in info.value.message
    assert "2.4 GHz" in info.value.hint
    assert device.ap_details is None and device.mode == "ap"


async def test_a_5ghz_name_is_a_warning_not_a_stop(ewelink_sim, make_sonoff, client,
                                                   device_session):
    device = await make_sonoff(ap_return=0.1)
    pairing = EwelinkPairing(plan_for(ewelink_sim, device, ssid="Site-Net-5G"),
                             session=device_session, cloud=client, timeouts=timeouts())
    with pytest.raises(PairingFailed) as info:
        await pairing.run()
    assert pairing.steps[2].status == WARNING and "5 GHz" in pairing.steps[2].message
    assert pairing.steps[3].status == DONE
    assert info.value.step == "wait_cloud"  # that network is not the site's: it cannot join


async def test_details_the_device_refuses_are_reported_with_its_reason(ewelink_sim, make_sonoff,
                                                                       client, device_session):
    device = await make_sonoff()
    pairing = EwelinkPairing(plan_for(ewelink_sim, device, port=0), session=device_session,
                             cloud=client, timeouts=timeouts())
    with pytest.raises(PairingFailed) as info:
        await pairing.run()
    assert info.value.step == "send_wifi"
    assert info.value.message == "The device refused the Wi-Fi details: port out of range."
    assert "bug" in info.value.hint
    assert pairing.steps[3].attempts == 1 and device.mode == "ap"


async def test_a_cloud_that_stays_unreachable_fails_rejoin(ewelink_sim, make_sonoff, client,
                                                           device_session, make_ewelink_client):
    device = await make_sonoff()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    offline = make_ewelink_client(regions={"eu": closed}, tokens=client.tokens)
    pairing = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=offline,
                             timeouts=timeouts(rejoin=0.4))
    seen = []
    with pytest.raises(PairingFailed) as info:
        await pairing.run(seen.append)
    assert info.value.step == "rejoin"
    assert "still unreachable after 0.4 s" in info.value.message
    assert "continues where it stopped" in info.value.hint
    assert any("Reconnect this laptop" in p.step("rejoin").message for p in seen)
    assert pairing.memo.wifi_sent  # so the next run continues with the cloud


async def test_not_signed_in_fails_at_rejoin_with_the_fix(ewelink_sim, make_sonoff,
                                                          make_ewelink_client, device_session):
    device = await make_sonoff()
    pairing = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session,
                             cloud=make_ewelink_client(), timeouts=timeouts())
    with pytest.raises(PairingFailed) as info:
        await pairing.run()
    assert info.value.step == "rejoin" and "Not signed in" in info.value.message


async def test_a_device_on_another_account_is_refused_at_add(ewelink_sim, make_sonoff, client,
                                                             make_ewelink_client, device_session):
    device = await make_sonoff()
    other = make_ewelink_client(region="us")
    await other.login(US_ACCOUNT, DEMO_PASSWORD)
    await other.add_device(DEVICEID, DEVICEKEY, "Theirs", CHIPID)
    pairing = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                             timeouts=timeouts())
    with pytest.raises(PairingFailed) as info:
        await pairing.run()
    assert info.value.step == "add"
    assert "belongs to another eWeLink account" in info.value.message
    assert "Delete" in info.value.hint


async def test_not_found_on_the_lan_is_only_a_warning(ewelink_sim, make_sonoff, client,
                                                      device_session):
    device = await make_sonoff()

    async def nowhere(deviceid, timeout):
        await asyncio.sleep(timeout / 2)
        return None

    pairing = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                             timeouts=timeouts(wait_lan=0.2), lan_locator=nowhere)
    result = await pairing.run()
    assert result.online and result.lan_url is None
    lan = pairing.steps[7]
    assert lan.status == WARNING and "Not found on the LAN" in lan.message
    assert "cloud control works" in lan.hint
    assert pairing.status == "done"


# -- the add-device call itself ------------------------------------------------------------

async def test_add_device_is_idempotent_and_maps_errors(ewelink_sim, make_sonoff, client,
                                                        make_ewelink_client):
    await make_sonoff()
    added = await client.add_device(DEVICEID, DEVICEKEY, "Lamp", CHIPID)
    assert added.deviceid == DEVICEID and added.devicekey == DEVICEKEY and added.name == "Lamp"
    again = await client.add_device(DEVICEID, DEVICEKEY, "Lamp", CHIPID)
    assert again.deviceid == DEVICEID
    assert len(await listed(client)) == 1
    assert client.device_apikeys[DEVICEID] == added.apikey

    with pytest.raises(VendorError) as info:
        await client.add_device(DEVICEID, "not-the-key", "Lamp")
    assert info.value.code == 406 and "key of device" in info.value.message
    with pytest.raises(VendorError) as info:
        await client.add_device(DEVICEID, DEVICEKEY, "Lamp", "WRONGCHIP")
    assert info.value.code == 406 and "chip id" in info.value.message
    with pytest.raises(VendorError) as info:
        await client.add_device("1000ffffff", DEVICEKEY, "Lamp")
    assert info.value.code == 404 and "does not know device" in info.value.message

    other = make_ewelink_client(region="us")
    await other.login(US_ACCOUNT, DEMO_PASSWORD)
    with pytest.raises(VendorError) as info:
        await other.add_device(DEVICEID, DEVICEKEY, "Theirs")
    assert info.value.code == 403 and "another eWeLink account" in info.value.message

    with pytest.raises(AuthError):
        await make_ewelink_client().add_device(DEVICEID, DEVICEKEY, "x")


def test_progress_json_friendly():
    # The CLI prints progress as JSON lines: states are plain data.
    plan = PairingPlan(None, "s", "p" * 8, "n", "h", 1)
    pairing = EwelinkPairing(plan, session=None, cloud=None)
    assert json.loads(json.dumps([vars(s) for s in pairing.progress().steps]))[0]["name"] == "find"


# -- the service, on the in-process demo site ----------------------------------------------

@pytest.fixture
async def demo_workspace():
    from app.services.workspace import Workspace

    ws = await Workspace.open(demo=True, store_events=False, demo_site_options={
        "live_drift_seconds": None, "device_delays": DeviceDelays()})
    try:
        yield ws
    finally:
        await ws.close()


async def test_the_service_pairs_a_demo_device_and_remembers_the_wifi(demo_workspace):
    from app.services.pairing import PairingService

    ws = demo_workspace
    description = ws.demo_site.describe()
    target = description["ewelink_ap_devices"][0]
    wifi = description["site_wifi"]
    service = PairingService(ws, timeouts=timeouts())
    assert await service.remembered_wifi() is None
    plan = service.plan(target["url"], wifi["ssid"], wifi["password"], "Demo lamp")
    assert (plan.server_name, plan.server_port) == (
        "127.0.0.1", description["ewelink"]["dispatch"]["port"])
    assert service.dispatch_target() == (plan.server_name, plan.server_port)

    result = await service.run()
    assert result.deviceid == target["deviceid"] and result.online
    assert result.lan_url == ws.demo_site.lan_directory()[target["deviceid"]]
    assert await service.remembered_wifi() == (wifi["ssid"], wifi["password"])
    assert await service.pending() is None
    assert ws.inventory.get(target["deviceid"]).name == "Demo lamp"  # list refreshed
    await service.close()


async def test_the_service_finishes_a_dropped_pairing_in_a_new_run(demo_workspace):
    from app.services.pairing import PairingService

    ws = demo_workspace
    device = ws.demo_site.ap_devices[1]
    device.faults.drop_ap_reply = True
    wifi = ws.demo_site.site_wifi
    first = PairingService(ws, timeouts=timeouts())
    first.plan(device.ap_url, wifi.ssid, wifi.password, "Kitchen")

    def stop_after_send(progress):
        if progress.step("send_wifi").status == DONE:
            task.cancel()

    task = asyncio.create_task(first.run(stop_after_send))
    with pytest.raises(asyncio.CancelledError):
        await task
    pending = await first.pending()
    assert pending.deviceid == device.deviceid and pending.wifi_sent
    await device.wait_mode("online", 3)

    # A new service (as a new `sitekit pair` process would be) picks up the stored memo.
    second = PairingService(ws, timeouts=timeouts())
    second.plan(pending.device_url, wifi.ssid, wifi.password, "Kitchen")
    result = await second.run()
    assert result.online and result.deviceid == device.deviceid
    assert second.current.steps[1].status == SKIPPED
    devices = await ws.ewelink.client.devices()
    assert [d.deviceid for d in devices].count(device.deviceid) == 1
    assert await second.pending() is None


async def test_the_service_needs_a_plan(demo_workspace):
    from app.core.errors import ConfigError
    from app.services.pairing import PairingService

    with pytest.raises(ConfigError):
        await PairingService(demo_workspace).run()
    assert not PairingService.check_wifi("x" * 33, "").ok
