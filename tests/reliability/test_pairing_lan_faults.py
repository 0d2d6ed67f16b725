"""Fault matrix, eWeLink pairing (the device's hotspot web server) and LAN control.

Everything runs against the simulated Sonoff's real servers on loopback (its hotspot
`GET /device` / `POST /ap` server and its encrypted `/zeroconf/*` LAN server) and the
simulated eWeLink cloud; faults are scripted on the device's `faults.script` and every
request that reached the device is counted in `faults.seen`. Nothing mocks HTTP.

Rows: a drop during `POST /ap` before the device acts and after it acts (reply lost), a
5xx to `POST /ap`; `GET /device` cut off, unreadable, oversized and 5xx; LAN 5xx, unreadable,
cut off and oversized replies; a lost LAN switch reply (client, and the service's auto
route, which must not repeat it over the cloud); one row through `sitekit pair`.
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import sys
import time

import aiohttp
import pytest

from app.core.errors import ProtocolError, SiteKitError, VendorError
from app.simulators.ewelink.sonoff import DeviceDelays, SimulatedSonoff, SiteWifi
from app.simulators.faults import HttpFault
from app.vendors.ewelink.client import RETRY_WAITS
from app.vendors.ewelink.lan import LAN_REPLY_LIMIT, LanClient, LanOutcomeUnknown
from app.vendors.ewelink.pairing import (EwelinkPairing, PairingFailed, PairingMemo, PairingPlan,
                                         PairingTimeouts)
from app.vendors.ewelink.pairing_steps import DONE, FAILED, SKIPPED
from tests.integration.conftest import DEMO_PASSWORD, EU_ACCOUNT

WIFI = SiteWifi("Fault-Site", "fault-matrix-wifi-pw")
DEVICEKEY = "7b2e9c14-5d3a-4e8f-9a61-0c2d4e6f8a10"
CHIPID = "00FA0175"
# Small but not tight: a loaded 2-core machine still makes every deadline.
FAST = dict(request=1.0, find=2, read=3, check_wifi=1, send_wifi=4, rejoin=4, add=4,
            wait_cloud=6, wait_lan=2, retry_delay=0.05, poll_interval=0.05,
            ap_probe_interval=0.1, confirm_send=1.0)


# How many times the cloud client sends a call that is safe to repeat before giving up.
CLIENT_TRIES = len(RETRY_WAITS) + 1


def timeouts(**overrides) -> PairingTimeouts:
    return PairingTimeouts(**{**FAST, **overrides})


@pytest.fixture(autouse=True)
def _secrets(secrets_used):
    secrets_used.update({WIFI.password, DEVICEKEY})


@pytest.fixture
async def device_session():
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def client(make_ewelink_client):
    client = make_ewelink_client()
    await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    return client


@pytest.fixture
async def make_sonoff(ewelink_sim):
    made: list[SimulatedSonoff] = []
    counter = iter(range(1, 100))

    async def make(uiid: int = 1) -> SimulatedSonoff:
        device = SimulatedSonoff(ewelink_sim, deviceid=f"1000fa{next(counter):04d}",
                                 devicekey=DEVICEKEY, chipid=CHIPID, uiid=uiid, site_wifi=WIFI,
                                 delays=DeviceDelays(), mdns=False)
        made.append(device)
        await device.start(ap_port=0)
        return device

    yield make
    await asyncio.gather(*(d.stop() for d in made))


@pytest.fixture
async def online_sonoff(make_sonoff, ewelink_sim, device_session):
    """A device that took the Wi-Fi by hand and answers on the LAN."""
    device = await make_sonoff()
    body = {"version": 4, "ssid": WIFI.ssid, "password": WIFI.password,
            "serverName": "127.0.0.1", "port": ewelink_sim.ws_port("eu")}
    async with device_session.post(device.ap_url + "/ap", data=json.dumps(body)) as reply:
        assert await reply.json(content_type=None) == {"error": 0}
    await device.wait_mode("online", 5)
    device.faults.seen.clear()
    return device


def plan_for(ewelink_sim, device) -> PairingPlan:
    return PairingPlan(device_url=device.ap_url, ssid=WIFI.ssid, password=WIFI.password,
                       name="Fault lamp", server_name="127.0.0.1",
                       server_port=ewelink_sim.ws_port("eu"))


def pairing_for(ewelink_sim, device, session, cloud, memos=None, **overrides) -> EwelinkPairing:
    return EwelinkPairing(plan_for(ewelink_sim, device), session=session, cloud=cloud,
                          timeouts=timeouts(**overrides), on_memo=memos)


def messages_of(snapshots, step: str) -> list[str]:
    return [p.step(step).message for p in snapshots]


def count(device, method: str, path: str) -> int:
    return device.faults.seen.count((method, path))


class Memos:
    def __init__(self) -> None:
        self.current: PairingMemo | None = None

    def __call__(self, memo: PairingMemo | None) -> None:
        self.current = None if memo is None else PairingMemo(**vars(memo))


async def on_account(client, deviceid: str) -> int:
    return [d.deviceid for d in await client.devices()].count(deviceid)


def lan_client(session, device, **options) -> LanClient:
    return LanClient(session, device.deviceid, DEVICEKEY, device.lan_url, **options)


# -- pairing: POST /ap ----------------------------------------------------------------------

async def test_ewelink_pairing_post_ap_drop_before_acting(ewelink_sim, make_sonoff, client,
                                                          device_session):
    """The connection closes before the device reads the details: it stays in pairing mode.
    SiteKit must not post again on its own; it says what happened and what to do."""
    device = await make_sonoff()
    device.faults.script.add(HttpFault("drop", path="/ap", method="POST"))
    memos = Memos()
    first = pairing_for(ewelink_sim, device, device_session, client, memos, confirm_send=0.5)
    with pytest.raises(PairingFailed) as failed:
        await first.run()
    assert failed.value.step == "send_wifi"
    assert "answer to the Wi-Fi details was lost" in failed.value.message
    assert "still in pairing mode" in failed.value.message
    assert "did not send them again" in failed.value.message
    assert "Run pairing again" in failed.value.hint
    assert count(device, "POST", "/ap") == 1  # never re-posted
    assert count(device, "GET", "/device") >= 2  # it watched instead
    send = first.steps[3]  # the GUI's row: failed, with the reason, not a spinner
    assert send.status == FAILED and "still in pairing mode" in send.message
    assert first.status == "failed"
    # The memo keeps "may have them": the next run looks before it sends.
    assert device.mode == "ap" and memos.current is not None and memos.current.wifi_sent
    assert await on_account(client, device.deviceid) == 0

    # The user's explicit second run sends them (the device is in pairing mode) and finishes.
    second = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                            timeouts=timeouts(), memo=memos.current, on_memo=memos)
    result = await second.run()
    assert result.online and count(device, "POST", "/ap") == 2
    assert second.steps[3].status == DONE  # it saw the device in pairing mode, then sent
    assert await on_account(client, device.deviceid) == 1


async def test_ewelink_pairing_post_ap_reply_lost_after_acting(ewelink_sim, make_sonoff, client,
                                                               device_session):
    """The device takes the Wi-Fi, the answer is lost: SiteKit sees the hotspot go, goes on
    to watch for the device online, and never posts the details again."""
    device = await make_sonoff()
    device.faults.script.add(HttpFault("drop_after", path="/ap", method="POST"))
    memos = Memos()
    pairing = pairing_for(ewelink_sim, device, device_session, client, memos)
    result = await pairing.run()
    assert result.online and result.deviceid == device.deviceid
    send = pairing.steps[3]
    assert send.name == "send_wifi" and send.status == DONE and send.attempts == 1
    assert "answer was lost" in send.message and "most likely took the details" in send.message
    assert [s.status for s in pairing.steps[4:7]] == [DONE, DONE, DONE]
    assert count(device, "POST", "/ap") == 1
    assert device.faults.script.served("drop_after") == 1
    assert await on_account(client, device.deviceid) == 1
    assert memos.current is None  # finished: nothing left to continue


async def test_ewelink_pairing_post_ap_reply_lost_then_run_stopped(ewelink_sim, make_sonoff,
                                                                   client, device_session):
    """Stopped right after a lost answer: the memo says the details may be on the device, so
    the next run checks (hotspot gone) and continues with the cloud without posting."""
    device = await make_sonoff()
    device.faults.script.add(HttpFault("drop_after", path="/ap", method="POST"))
    memos = Memos()
    first = pairing_for(ewelink_sim, device, device_session, client, memos)

    def stop_when_sending(progress):
        if progress.step("send_wifi").status == "running" and "lost" in \
                progress.step("send_wifi").message:
            task.cancel()

    task = asyncio.create_task(first.run(stop_when_sending))
    with pytest.raises(asyncio.CancelledError):
        await task
    assert memos.current is not None and memos.current.wifi_sent
    await device.wait_mode("online", 5)
    second = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                            timeouts=timeouts(), memo=memos.current, on_memo=memos)
    result = await second.run()
    assert result.online
    assert second.steps[3].status == SKIPPED and count(device, "POST", "/ap") == 1
    assert await on_account(client, device.deviceid) == 1


async def test_ewelink_pairing_post_ap_reply_lost_device_slow_to_leave(
        ewelink_sim, make_sonoff, client, device_session):
    """The answer is lost and the hotspot outlives the watch: the run says "most likely not"
    but keeps the memo's "may have them", so the next run, finding the hotspot gone by then,
    continues with the cloud instead of waiting for a device that already left."""
    device = await make_sonoff()
    device.delays.ap_close = 1.5
    device.faults.script.add(HttpFault("drop_after", path="/ap", method="POST"))
    memos = Memos()
    first = pairing_for(ewelink_sim, device, device_session, client, memos, confirm_send=0.5)
    with pytest.raises(PairingFailed) as failed:
        await first.run()
    assert failed.value.step == "send_wifi" and "still in pairing mode" in failed.value.message
    assert memos.current is not None and memos.current.wifi_sent
    await device.wait_mode("online", 10)
    second = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                            timeouts=timeouts(), memo=memos.current, on_memo=memos)
    result = await second.run()
    assert result.online and second.steps[3].status == SKIPPED
    assert count(device, "POST", "/ap") == 1
    assert await on_account(client, device.deviceid) == 1


async def test_ewelink_pairing_post_ap_5xx(ewelink_sim, make_sonoff, client, device_session):
    """A server error to the command: no retry; the outcome is checked by watching, and the
    user is told the device is still in pairing mode."""
    device = await make_sonoff()
    device.faults.script.storm(1, status=503, retry_after=None, path="/ap", method="POST")
    pairing = pairing_for(ewelink_sim, device, device_session, client, confirm_send=0.5)
    with pytest.raises(PairingFailed) as failed:
        await pairing.run()
    assert failed.value.step == "send_wifi"
    assert "HTTP 503" in failed.value.message and "still in pairing mode" in failed.value.message
    assert count(device, "POST", "/ap") == 1 and device.mode == "ap"


async def test_ewelink_pairing_post_ap_malformed_reply(ewelink_sim, make_sonoff, client,
                                                       device_session):
    device = await make_sonoff()
    device.faults.script.add(HttpFault("malformed", path="/ap", method="POST"))
    pairing = pairing_for(ewelink_sim, device, device_session, client, confirm_send=0.5)
    with pytest.raises(PairingFailed) as failed:
        await pairing.run()
    assert failed.value.step == "send_wifi"
    assert "no readable reply" in failed.value.message
    assert count(device, "POST", "/ap") == 1


async def test_ewelink_pairing_post_ap_truncated_reply(ewelink_sim, make_sonoff, client,
                                                       device_session):
    """Cut off mid-answer (the device did not act here: the fault answers for it)."""
    device = await make_sonoff()
    device.faults.script.add(HttpFault("truncate", path="/ap", method="POST"))
    pairing = pairing_for(ewelink_sim, device, device_session, client, confirm_send=0.5)
    with pytest.raises(PairingFailed) as failed:
        await pairing.run()
    assert failed.value.step == "send_wifi"
    assert "cut off" in failed.value.message and "still in pairing mode" in failed.value.message
    assert count(device, "POST", "/ap") == 1


async def test_ewelink_pairing_reply_lost_then_cloud_5xx_while_watching(
        ewelink_sim, make_sonoff, client, device_session):
    """After a lost answer the device is watched for online; a cloud 5xx burst during that
    watch (more than the client's own retries) does not end it, and nothing is re-posted."""
    device = await make_sonoff()
    device.faults.script.add(HttpFault("drop_after", path="/ap", method="POST"))
    pairing = pairing_for(ewelink_sim, device, device_session, client, wait_cloud=20)
    stormed, seen = [], []

    def storm_once_added(progress):
        seen.append(progress)
        if progress.step("add").status == DONE and not stormed:
            # Two whole device-list calls fail, each after the client's own retries.
            stormed.append(ewelink_sim.faults.script.storm(
                2 * CLIENT_TRIES, status=503, retry_after=None, path="/api/user/device",
                method="GET"))

    result = await pairing.run(storm_once_added)
    assert result.online and stormed and stormed[0].times == 0  # the whole burst was served
    assert any("cloud did not answer" in m for m in messages_of(seen, "wait_cloud"))
    assert count(device, "POST", "/ap") == 1
    assert await on_account(client, device.deviceid) == 1


async def test_ewelink_pairing_add_5xx_burst_never_adds_twice(ewelink_sim, make_sonoff, client,
                                                              device_session):
    """Adding is retried (after listing again) through a 5xx burst: on the account once."""
    device = await make_sonoff()
    ewelink_sim.faults.script.storm(CLIENT_TRIES, status=503, retry_after=None,
                                    path="/api/user/device/add", method="POST")
    pairing = pairing_for(ewelink_sim, device, device_session, client, add=15)
    result = await pairing.run()
    assert result.online and pairing.steps[5].attempts >= 2
    assert ewelink_sim.faults.script.served("status") == CLIENT_TRIES
    assert await on_account(client, device.deviceid) == 1


async def test_ewelink_pairing_signed_in_elsewhere_after_the_wifi_went_out(
        ewelink_sim, make_sonoff, client, make_ewelink_client, device_session):
    """A second sign-in to the account (the eWeLink app, a colleague) ends SiteKit's session
    while the device is joining: the run stops with "sign in again" after a bounded number of
    calls, and after signing in the next run continues with the cloud, never re-posting."""
    device = await make_sonoff()
    elsewhere = make_ewelink_client()
    await elsewhere.login(EU_ACCOUNT, DEMO_PASSWORD)  # SiteKit's token is now superseded
    before = sum(ewelink_sim.requests.values())
    memos = Memos()
    first = pairing_for(ewelink_sim, device, device_session, client, memos)
    with pytest.raises(PairingFailed) as failed:
        await first.run()
    assert failed.value.step == "rejoin"
    assert "sign in again" in failed.value.user_text().lower()
    assert "run pairing again" in failed.value.hint and "continues" in failed.value.hint
    assert sum(ewelink_sim.requests.values()) - before <= 5  # no loop against the cloud
    assert memos.current is not None and memos.current.wifi_sent
    assert count(device, "POST", "/ap") == 1

    await device.wait_mode("online", 5)
    await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    second = EwelinkPairing(plan_for(ewelink_sim, device), session=device_session, cloud=client,
                            timeouts=timeouts(), memo=memos.current, on_memo=memos)
    result = await second.run()
    assert result.online and second.steps[3].status == SKIPPED
    assert count(device, "POST", "/ap") == 1
    assert await on_account(client, device.deviceid) == 1


# -- pairing: GET /device -------------------------------------------------------------------

async def test_ewelink_pairing_get_device_truncated(ewelink_sim, make_sonoff, client,
                                                    device_session):
    """Reading is safe to repeat: two cut-off replies, then the pairing goes through."""
    device = await make_sonoff()
    device.faults.script.add(HttpFault("truncate", path="/device", method="GET", times=2))
    pairing = pairing_for(ewelink_sim, device, device_session, client)
    result = await pairing.run()
    assert result.online
    assert pairing.steps[1].status == DONE and pairing.steps[1].attempts >= 3
    assert device.faults.script.served("truncate") == 2


async def test_ewelink_pairing_get_device_truncated_always(ewelink_sim, make_sonoff, client,
                                                           device_session):
    """Cut off every time: bounded by the read step, and the message says what happened."""
    device = await make_sonoff()
    device.faults.script.add(HttpFault("truncate", path="/device", method="GET", times=1000))
    pairing = pairing_for(ewelink_sim, device, device_session, client, read=0.6)
    started = time.monotonic()
    with pytest.raises(PairingFailed) as failed:
        await pairing.run()
    assert time.monotonic() - started < 30
    assert failed.value.step == "read" and "cut off" in failed.value.message
    assert "did not answer" not in failed.value.message  # it answered, badly
    assert count(device, "POST", "/ap") == 0


async def test_ewelink_pairing_get_device_malformed(ewelink_sim, make_sonoff, client,
                                                    device_session):
    device = await make_sonoff()
    device.faults.script.add(HttpFault("malformed", path="/device", method="GET"))
    pairing = pairing_for(ewelink_sim, device, device_session, client)
    with pytest.raises(PairingFailed) as failed:
        await pairing.run()
    assert failed.value.step == "read"
    assert "not a Sonoff in pairing mode" in failed.value.message
    assert "ITEAD" in failed.value.hint
    assert count(device, "POST", "/ap") == 0


async def test_ewelink_pairing_get_device_oversized(ewelink_sim, make_sonoff, client,
                                                    device_session):
    """Far more than a hotspot sends: stop reading at the limit and say so, no retry."""
    device = await make_sonoff()
    device.faults.script.add(HttpFault("oversize", path="/device", method="GET"))
    pairing = pairing_for(ewelink_sim, device, device_session, client)
    with pytest.raises(PairingFailed) as failed:
        await pairing.run()
    assert failed.value.step == "read"
    assert "64 KB" in failed.value.message and "stopped reading" in failed.value.message
    assert count(device, "GET", "/device") == 1 and count(device, "POST", "/ap") == 0


async def test_ewelink_pairing_get_device_5xx_burst(ewelink_sim, make_sonoff, client,
                                                    device_session):
    device = await make_sonoff()
    device.faults.script.storm(3, status=503, retry_after=None, path="/device", method="GET")
    pairing = pairing_for(ewelink_sim, device, device_session, client)
    result = await pairing.run()
    assert result.online and pairing.steps[1].attempts >= 4
    assert count(device, "POST", "/ap") == 1


async def test_ewelink_pairing_get_device_429(ewelink_sim, make_sonoff, client,
                                              device_session):
    """A busy hotspot (429) is asked again, like a 5xx, not taken for another device."""
    device = await make_sonoff()
    device.faults.script.storm(2, status=429, retry_after=0.1, path="/device", method="GET")
    pairing = pairing_for(ewelink_sim, device, device_session, client)
    result = await pairing.run()
    assert result.online and pairing.steps[1].attempts >= 3
    assert device.faults.script.served("status") == 2


async def test_ewelink_pairing_get_device_5xx_always(ewelink_sim, make_sonoff, client,
                                                     device_session):
    device = await make_sonoff()
    device.faults.script.storm(1000, status=500, retry_after=None, path="/device", method="GET")
    pairing = pairing_for(ewelink_sim, device, device_session, client, read=0.6)
    with pytest.raises(PairingFailed) as failed:
        await pairing.run()
    assert failed.value.step == "read" and "HTTP 500" in failed.value.message
    assert "Still the same after 0.6 s" in failed.value.message
    assert 2 <= count(device, "GET", "/device") < 200  # bounded by the step's deadline


# -- pairing through the CLI ---------------------------------------------------------------

async def test_ewelink_pairing_cli_post_ap_drop_before_acting(ewelink_sim, make_sonoff, run_home,
                                                              tmp_path, monkeypatch, capsys):
    """`sitekit --site FILE pair --device URL`: exit 1, the step and a clear message; the
    details were sent once."""
    import app.cli
    import app.services.pairing as pairing_service

    device = await make_sonoff()
    device.faults.script.add(HttpFault("drop", path="/ap", method="POST"))
    site = tmp_path / "site.json"  # the test's input (it holds the demo password), not output
    regions = ewelink_sim.regions
    site.write_text(json.dumps({"ewelink": {
        "api": regions["eu"], "region": "eu", "regions": regions, "appid": ewelink_sim.appid,
        "appsecret": ewelink_sim.appsecret, "email": EU_ACCOUNT, "password": DEMO_PASSWORD,
        "dispatch": {"serverName": "127.0.0.1", "port": ewelink_sim.ws_port("eu")}}}))
    # Real-world waits shrunk (timings only; the HTTP is real).
    monkeypatch.setattr(pairing_service, "PairingTimeouts",
                        functools.partial(PairingTimeouts, **FAST))
    monkeypatch.setattr(sys, "stdin", io.StringIO(WIFI.password + "\n"))
    code = await asyncio.to_thread(app.cli.main, [
        "--site", str(site), "pair", "--device", device.ap_url, "--ssid", WIFI.ssid,
        "--password-stdin", "--name", "CLI lamp", "--json"])
    out, err = capsys.readouterr()
    assert code == 1
    error = json.loads(out)["error"]
    assert error["step"] == "send_wifi"
    assert "still in pairing mode" in error["message"] and "Run pairing again" in error["hint"]
    assert "Traceback" not in err and WIFI.password not in out + err
    assert count(device, "POST", "/ap") == 1


# -- LAN control ----------------------------------------------------------------------------

async def test_ewelink_lan_switch_5xx(online_sonoff, device_session):
    """A command: a clear error, not repeated."""
    device = online_sonoff
    device.faults.script.storm(1, status=503, retry_after=None, path="/zeroconf/switch")
    with pytest.raises(VendorError) as failed:
        await lan_client(device_session, device).switch(True)
    assert "web server failed (HTTP 503)" in failed.value.message
    assert "unknown" in failed.value.message and "did not send it again" in failed.value.message
    assert count(device, "POST", "/zeroconf/switch") == 1
    assert device.params["switch"] == "off"


async def test_ewelink_lan_info_5xx_burst(online_sonoff, device_session):
    """A read: asked once more, never more than that."""
    device = online_sonoff
    device.faults.script.storm(1, status=502, retry_after=None, path="/zeroconf/info")
    params = await lan_client(device_session, device).info()
    assert params["switch"] == "off" and count(device, "POST", "/zeroconf/info") == 2

    device.faults.script.storm(5, status=500, retry_after=None, path="/zeroconf/info")
    with pytest.raises(VendorError) as failed:
        await lan_client(device_session, device).info()
    assert "HTTP 500" in failed.value.message
    assert count(device, "POST", "/zeroconf/info") == 4


async def test_ewelink_lan_switch_reply_lost(online_sonoff, device_session):
    """The device switched, the answer was lost: LanOutcomeUnknown, sent once."""
    device = online_sonoff
    device.faults.script.add(HttpFault("drop_after", path="/zeroconf/switch"))
    with pytest.raises(LanOutcomeUnknown) as failed:
        await lan_client(device_session, device).switch(True)
    assert "may or may not have acted" in failed.value.message
    assert "did not send it again" in failed.value.message
    assert "Check the device's state" in failed.value.hint
    assert device.params["switch"] == "on"  # it did act
    assert count(device, "POST", "/zeroconf/switch") == 1


async def test_ewelink_lan_switch_dropped_before_acting(online_sonoff, device_session):
    device = online_sonoff
    device.faults.script.add(HttpFault("drop", path="/zeroconf/switch"))
    with pytest.raises(LanOutcomeUnknown):
        await lan_client(device_session, device).switch(True)
    assert device.params["switch"] == "off" and count(device, "POST", "/zeroconf/switch") == 1


async def test_ewelink_lan_switch_no_answer_in_time(online_sonoff, device_session):
    """Acted, but the answer comes too late: also an unknown outcome, not a retry."""
    device = online_sonoff
    device.faults.script.add(HttpFault("delay", path="/zeroconf/switch", seconds=1.5))
    with pytest.raises(LanOutcomeUnknown) as failed:
        await lan_client(device_session, device, timeout=0.5).switch(True)
    assert "no answer within 0.5 s" in failed.value.message
    assert count(device, "POST", "/zeroconf/switch") == 1


async def test_ewelink_lan_malformed(online_sonoff, device_session):
    device = online_sonoff
    device.faults.script.add(HttpFault("malformed", path="/zeroconf/switch"))
    with pytest.raises(ProtocolError) as failed:
        await lan_client(device_session, device).switch(True)
    assert "not JSON" in failed.value.message and "unknown" in failed.value.message
    assert count(device, "POST", "/zeroconf/switch") == 1


async def test_ewelink_lan_truncated(online_sonoff, device_session):
    device = online_sonoff
    device.faults.script.add(HttpFault("truncate", path="/zeroconf/switch"))
    with pytest.raises(ProtocolError) as failed:
        await lan_client(device_session, device).switch(True)
    assert "cut off" in failed.value.message and "did not send it again" in failed.value.message
    assert count(device, "POST", "/zeroconf/switch") == 1
    # A read is asked once more after a cut-off answer.
    device.faults.script.add(HttpFault("truncate", path="/zeroconf/info"))
    assert (await lan_client(device_session, device).info())["switch"] == "off"
    assert count(device, "POST", "/zeroconf/info") == 2


async def test_ewelink_lan_oversized(online_sonoff, device_session):
    device = online_sonoff
    device.faults.script.add(HttpFault("oversize", path="/zeroconf/info"))
    started = time.monotonic()
    with pytest.raises(ProtocolError) as failed:
        await lan_client(device_session, device).info()
    assert time.monotonic() - started < 20
    assert f"{LAN_REPLY_LIMIT // 1024} KB" in failed.value.message
    assert "not a Sonoff's answer" in failed.value.message
    assert count(device, "POST", "/zeroconf/info") == 1


async def test_ewelink_lan_switch_reply_lost_auto_route_not_repeated_over_cloud(run_home):
    """The service's auto route falls back to the cloud when the LAN is unreachable; a lost
    answer is not that: the command must not go out a second time over the cloud."""
    from app.services.workspace import Workspace
    from app.services.pairing import PairingService

    ws = await Workspace.open(demo=True, store_events=False, demo_site_options={
        "live_drift_seconds": None, "device_delays": DeviceDelays()})
    try:
        sonoff = ws.demo_site.ap_devices[0]
        site_wifi = ws.demo_site.site_wifi
        service = PairingService(ws, timeouts=timeouts())
        service.plan(sonoff.ap_url, site_wifi.ssid, site_wifi.password, "Hall")
        await service.run()
        await service.close()
        await ws.lan.start()
        assert await ws.lan.wait_for(sonoff.deviceid, 5) == sonoff.lan_url
        seq = sonoff.seq
        sonoff.faults.script.add(HttpFault("drop_after", path="/zeroconf/switch"))
        with pytest.raises(LanOutcomeUnknown):
            await ws.inventory.set_switch(sonoff.deviceid, True, via="auto")
        await asyncio.sleep(0.3)  # a cloud repeat would reach the device within this
        assert sonoff.params["switch"] == "on" and sonoff.seq == seq + 1  # applied once
        assert count(sonoff, "POST", "/zeroconf/switch") == 1
    finally:
        await ws.close()


async def test_ewelink_lan_errors_are_sitekit_errors(online_sonoff, device_session):
    """Every LAN fault above surfaces as a SiteKitError (the GUI and CLI show its text)."""
    device = online_sonoff
    for fault in ("drop", "drop_after", "truncate", "malformed"):
        device.faults.script.add(HttpFault(fault, path="/zeroconf/switches"))
        with pytest.raises(SiteKitError) as failed:
            await lan_client(device_session, device).switch(True, outlet=0)
        assert failed.value.message and "Traceback" not in failed.value.user_text()
    assert count(device, "POST", "/zeroconf/switches") == 4


async def test_ewelink_lan_answer_not_http(device_session):
    """Something that is not the device's HTTP server answers after the request went out
    (the simulator cannot send non-HTTP, so a raw socket does): a command's outcome is
    unknown and it is not repeated; a read is asked once more, then a ProtocolError."""
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            received.append(await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5))
            writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
            await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        with pytest.raises(LanOutcomeUnknown) as lost:
            await LanClient(device_session, "1000fa0099", DEVICEKEY, url).switch(True)
        assert "not HTTP" in lost.value.message and len(received) == 1
        with pytest.raises(ProtocolError) as odd:
            await LanClient(device_session, "1000fa0099", DEVICEKEY, url).info()
        assert "not in HTTP" in odd.value.message and len(received) == 3
    finally:
        server.close()
        await server.wait_closed()
