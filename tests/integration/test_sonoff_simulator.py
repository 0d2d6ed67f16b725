"""The simulated Sonoff over real loopback HTTP and websockets (no mocks).

Pairing as the app does it: read the device in AP mode, send the Wi-Fi details, watch the
hotspot go away, the device register with the simulated cloud, get added to the account
and show online; then LAN control with encrypted bodies, and changes flowing both ways
between the LAN and the cloud. The encryption in these tests is the simulator's own
(lan_cipher.py), checked against the shared vectors in tests/unit/test_sonoff_lan_cipher.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from app.simulators.ewelink import DEMO_PASSWORD, EwelinkCloudSim
from app.simulators.ewelink.lan_cipher import decrypt, encrypt
from app.simulators.ewelink.sonoff import DeviceDelays, SimulatedSonoff, SiteWifi
from app.simulators.site import DemoSite
from app.vendors.ewelink import signing

APPID = "SonoffTestAppid00000000000000000"
APPSECRET = "SonoffTestAppsecret0000000000000"
EU_EMAIL = "demo@sitekit.example"
US_EMAIL = "us@sitekit.example"
WIFI = SiteWifi("Site-Net", "correct-horse")
DEVICEID = "1000dd0001"
DEVICEKEY = "3f1b3a5e-8c2d-4e6f-9a0b-1c2d3e4f5a6b"
CHIPID = "00A1B2"
TIMEOUT = 3.0
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def cloud():
    sim = EwelinkCloudSim(appid=APPID, appsecret=APPSECRET, seed=True)
    await sim.start(host="127.0.0.1", port=0)
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
async def session():
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        yield http


@pytest.fixture
async def make_device(cloud):
    made: list[SimulatedSonoff] = []

    async def make(deviceid=DEVICEID, uiid=1, devicekey=DEVICEKEY, ap_return=30.0, **kwargs):
        device = SimulatedSonoff(cloud, deviceid=deviceid, devicekey=devicekey, chipid=CHIPID, uiid=uiid,
                                 site_wifi=WIFI, delays=DeviceDelays(ap_return=ap_return), mdns=False,
                                 **kwargs)
        made.append(device)
        await device.start(ap_port=0)
        return device

    yield make
    await asyncio.gather(*(d.stop() for d in made))


# ----- helpers ------------------------------------------------------------------------------

def ap_body(cloud, ssid=WIFI.ssid, password=WIFI.password, **overrides) -> dict:
    body = {"version": 4, "ssid": ssid, "password": password, "serverName": "127.0.0.1",
            "port": cloud.ws_port("eu")}
    body.update(overrides)
    return body


async def post_ap(session, device, body, headers=FORM) -> tuple[int, dict]:
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    async with session.post(device.ap_url + "/ap", data=raw, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


async def pair(session, cloud, device) -> None:
    status, reply = await post_ap(session, device, ap_body(cloud))
    assert (status, reply) == (200, {"error": 0})
    await device.wait_mode("online", TIMEOUT)


async def login(session, cloud, email=EU_EMAIL, region="eu") -> dict:
    raw = signing.body_bytes({**signing.common_params(APPID, time.time()), "email": email,
                              "password": DEMO_PASSWORD})
    async with session.post(cloud.base_url(region) + "/api/user/login", data=raw,
                            headers={"Authorization": signing.authorization(APPSECRET, raw)}) as resp:
        reply = await resp.json()
    assert reply["error"] == 0, reply
    return reply


async def device_add(session, cloud, account: dict, deviceid=DEVICEID, apikey=DEVICEKEY,
                     name="Porch lamp", region="eu", **extra) -> dict:
    body = {"deviceid": deviceid, "apikey": apikey, "name": name, "isSub": 0, "chipid": CHIPID,
            **signing.common_params(APPID, time.time()), **extra}
    async with session.post(cloud.base_url(region) + "/api/user/device/add", json=body,
                            headers={"Authorization": f"Bearer {account['at']}"}) as resp:
        assert resp.status == 200
        return await resp.json()


async def device_list(session, cloud, account: dict, region="eu") -> list[dict]:
    params = {"lang": "en", **signing.common_params(APPID, time.time())}
    async with session.get(cloud.base_url(region) + "/api/user/device", params=params,
                           headers={"Authorization": f"Bearer {account['at']}"}) as resp:
        reply = await resp.json()
    assert reply["error"] == 0, reply
    return reply["devicelist"]


async def app_socket(session, cloud, account: dict):
    ws = await session.ws_connect(f"ws://127.0.0.1:{cloud.ws_port('eu')}/api/ws")
    await ws.send_json({"action": "userOnline", "version": 8, "ts": int(time.time()), "at": account["at"],
                        "userAgent": "app", "apikey": account["user"]["apikey"], "appid": APPID,
                        "nonce": signing.nonce(), "sequence": "1"})
    hello = await receive_json(ws)
    assert hello["error"] == 0
    return ws


async def receive_json(ws) -> dict:
    msg = await ws.receive(timeout=TIMEOUT)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def receive_until(ws, predicate) -> dict:
    while True:
        frame = await receive_json(ws)
        if predicate(frame):
            return frame


async def lan(session, device, command, params, *, deviceid=None, devicekey=DEVICEKEY,
              encrypted=True, raw: bytes | None = None) -> dict:
    body = {"sequence": "42", "deviceid": deviceid or device.deviceid, "selfApikey": "123"}
    if encrypted:
        iv, data = encrypt(devicekey, json.dumps(params))
        body.update({"encrypt": True, "iv": iv, "data": data})
    else:
        body["data"] = json.dumps(params)
    async with session.post(f"{device.lan_url}/zeroconf/{command}",
                            data=raw if raw is not None else json.dumps(body),
                            headers={"Connection": "close"}) as resp:
        assert resp.status == 200
        return await resp.json()


# ----- AP mode ------------------------------------------------------------------------------

async def test_get_device_answers_identity(session, make_device):
    device = await make_device()
    assert device.mode == "ap" and device.lan_url is None
    async with session.get(device.ap_url + "/device") as resp:
        assert resp.status == 200
        assert await resp.json() == {"deviceid": DEVICEID, "apikey": DEVICEKEY, "chipid": CHIPID,
                                     "accept": "post"}


@pytest.mark.parametrize("overrides, reason", [
    ({"ssid": "x" * 33}, "ssid too long"),
    ({"ssid": "é" * 17}, "ssid too long"),  # 17 characters, 34 UTF-8 bytes
    ({"ssid": ""}, "ssid missing"),
    ({"password": "1234567"}, "password must be empty or 8-63 characters"),
    ({"password": "p" * 64}, "password must be empty or 8-63 characters"),
    ({"port": "443"}, "port must be an integer"),
    ({"port": True}, "port must be an integer"),
    ({"port": 70000}, "port out of range"),
    ({"serverName": ""}, "serverName missing"),
])
async def test_post_ap_refuses_bad_details(session, cloud, make_device, overrides, reason):
    device = await make_device()
    status, reply = await post_ap(session, device, ap_body(cloud, **overrides))
    assert (status, reply) == (400, {"error": 400, "reason": reason})
    assert device.mode == "ap" and device.ap_url


@pytest.mark.parametrize("raw, reason", [
    (b"ssid=Site-Net&password=correct-horse", "body must be JSON"),
    (b'["Site-Net"]', "body must be a JSON object"),
    (b"\xff\xfe", "body must be JSON"),
])
async def test_post_ap_refuses_malformed_bodies(session, make_device, raw, reason):
    device = await make_device()
    status, reply = await post_ap(session, device, raw)
    assert (status, reply) == (400, {"error": 400, "reason": reason})


async def test_thirty_two_byte_multibyte_ssid_and_empty_password_are_accepted(session, cloud, make_device):
    device = await make_device()
    status, reply = await post_ap(session, device, ap_body(cloud, ssid="é" * 16, password=""))
    assert (status, reply) == (200, {"error": 0})
    assert device.ap_details.ssid == "é" * 16 and device.ap_details.password == ""


async def test_pairing_registers_and_goes_online_then_add_to_account(session, cloud, make_device):
    device = await make_device()
    ap_url = device.ap_url
    await pair(session, cloud, device)
    # the hotspot is gone
    assert device.ap_url is None
    with pytest.raises(aiohttp.ClientConnectionError):
        async with session.get(ap_url + "/device"):
            pass
    assert cloud.device(DEVICEID).online and device.cloud_connected and device.lan_url
    account = await login(session, cloud)
    assert DEVICEID not in [d["deviceid"] for d in await device_list(session, cloud, account)]

    added = await device_add(session, cloud, account)
    assert added["error"] == 0
    assert added["device"]["deviceid"] == DEVICEID and added["device"]["devicekey"] == DEVICEKEY
    assert added["device"]["apikey"] == account["user"]["apikey"] and added["device"]["online"] is True
    assert added["device"]["name"] == "Porch lamp" and added["device"]["extra"]["extra"]["chipid"] == CHIPID

    again = await device_add(session, cloud, account, name="Another name")
    assert again == added  # idempotent: same device, no rename
    listed = [d for d in await device_list(session, cloud, account) if d["deviceid"] == DEVICEID]
    assert len(listed) == 1 and listed[0]["online"] is True and listed[0]["uiid"] == 1

    other = await login(session, cloud, US_EMAIL, region="us")
    assert await device_add(session, cloud, other, region="us") == {
        "error": 403, "msg": "device belongs to another account"}
    assert DEVICEID not in [d["deviceid"] for d in await device_list(session, cloud, other, "us")]


async def test_device_add_refusals(session, cloud, make_device):
    await make_device()
    account = await login(session, cloud)
    assert await device_add(session, cloud, account, apikey="not-the-key") == {
        "error": 406, "msg": "device key mismatch"}
    assert await device_add(session, cloud, account, deviceid="10000fffff") == {
        "error": 404, "msg": "device not found"}
    assert await device_add(session, cloud, account, chipid="FFFFFF") == {"error": 406, "msg": "chipid mismatch"}
    reply = await device_add(session, cloud, {"at": "nope"})
    assert reply["error"] == 401
    body = {"deviceid": DEVICEID, "apikey": DEVICEKEY, "name": "x", **signing.common_params(APPID, time.time())}
    del body["nonce"]
    async with session.post(cloud.base_url("eu") + "/api/user/device/add", json=body,
                            headers={"Authorization": f"Bearer {account['at']}"}) as resp:
        assert await resp.json() == {"error": 400, "msg": "missing parameter: nonce"}


async def test_added_before_registering_pushes_sysmsg_online(session, cloud, make_device):
    device = await make_device()
    account = await login(session, cloud)
    added = await device_add(session, cloud, account, name="")  # order varies in the field
    assert added["device"]["online"] is False and added["device"]["name"] == f"BASICR2 {DEVICEID}"
    ws = await app_socket(session, cloud, account)
    try:
        await pair(session, cloud, device)
        frame = await receive_until(ws, lambda f: f.get("action") == "sysmsg")
        assert frame == {"action": "sysmsg", "deviceid": DEVICEID, "apikey": account["user"]["apikey"],
                         "params": {"online": True}}
        await device.stop()
        frame = await receive_until(ws, lambda f: f.get("action") == "sysmsg")
        assert frame["params"] == {"online": False}
    finally:
        await ws.close()


async def test_wrong_wifi_never_online_and_hotspot_returns(session, cloud, make_device):
    device = await make_device(ap_return=0.3)
    ap_url = device.ap_url
    status, reply = await post_ap(session, device, ap_body(cloud, password="wrong-password"))
    assert (status, reply) == (200, {"error": 0})  # the device cannot know before trying
    await device.wait_mode("failed_join", TIMEOUT)
    assert device.ap_url is None and not cloud.device(DEVICEID).online
    await device.wait_mode("ap", TIMEOUT)
    assert device.ap_url == ap_url and device.lan_url is None and not cloud.device(DEVICEID).online
    async with session.get(ap_url + "/device") as resp:
        assert (await resp.json())["deviceid"] == DEVICEID
    # a second try with the right details works
    await pair(session, cloud, device)
    assert cloud.device(DEVICEID).online


async def test_dropped_reply_after_accepting_still_pairs(session, cloud, make_device):
    device = await make_device()
    device.faults.drop_ap_reply = True
    ap_url = device.ap_url
    with pytest.raises(aiohttp.ClientConnectionError):  # the app never hears {"error":0}
        await post_ap(session, device, ap_body(cloud))
    await device.wait_mode("online", TIMEOUT)
    with pytest.raises(aiohttp.ClientConnectionError):  # a retry finds the hotspot gone
        async with session.post(ap_url + "/ap", data=json.dumps(ap_body(cloud)), headers=FORM):
            pass
    assert cloud.device(DEVICEID).online


async def test_never_registers_stays_joining(session, cloud, make_device):
    device = await make_device()
    device.faults.never_registers = True
    await post_ap(session, device, ap_body(cloud))
    with pytest.raises(asyncio.TimeoutError):
        await device.wait_mode("online", 0.3)
    assert device.mode == "joining" and not cloud.device(DEVICEID).online and device.lan_url is None


async def test_unreachable_cloud_is_retried_until_stop(session, cloud, make_device):
    device = await make_device()
    await post_ap(session, device, ap_body(cloud, port=1))  # nothing listens on port 1
    with pytest.raises(asyncio.TimeoutError):
        await device.wait_mode("online", 0.3)
    assert device.mode == "joining" and not cloud.device(DEVICEID).online


async def test_register_with_a_wrong_key_is_refused(session, cloud):
    ws = await session.ws_connect(f"ws://127.0.0.1:{cloud.ws_port('eu')}/api/ws")
    await ws.send_json({"action": "register", "deviceid": "1000aa0001", "apikey": "wrong",
                        "userAgent": "device", "sequence": "1"})
    assert (await receive_json(ws))["error"] == 406
    assert (await ws.receive(timeout=TIMEOUT)).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    await ws.close()


async def test_dispatch_device_names_the_websocket(session, cloud):
    async with session.post(cloud.base_url("us") + "/dispatch/device", json={"deviceid": DEVICEID}) as resp:
        assert await resp.json() == {"error": 0, "reason": "ok", "IP": "127.0.0.1",
                                     "port": cloud.ws_port("us"), "domain": "127.0.0.1"}
    async with session.post(cloud.base_url("us") + "/dispatch/device", data=b"nope") as resp:
        assert (await resp.json())["error"] == 400


async def test_cloud_end_of_a_device_socket(session, cloud):
    """The cloud's side alone, with a hand-driven device socket: register, ping, commands
    forwarded and acknowledged, no answer (504), socket gone while waiting (503)."""
    cloud.manufacture(deviceid="1000dd0009", devicekey="key-9", chipid="C9", uiid=1)
    account = await login(session, cloud)
    assert (await device_add(session, cloud, account, deviceid="1000dd0009", apikey="key-9",
                             chipid="C9"))["error"] == 0
    app = await app_socket(session, cloud, account)
    dev = await session.ws_connect(f"ws://127.0.0.1:{cloud.ws_port('eu')}/api/ws")
    try:
        await dev.send_json({"action": "register", "deviceid": "1000dd0009", "apikey": "key-9",
                             "userAgent": "device", "romVersion": "3.6.0", "model": "PSF-B01-GL",
                             "ts": int(time.time()), "sequence": "1"})
        assert await receive_json(dev) == {"error": 0, "deviceid": "1000dd0009",
                                           "apikey": account["user"]["apikey"],
                                           "config": {"hb": 1, "hbInterval": 145}, "sequence": "1"}
        assert (await receive_until(app, lambda f: f.get("action") == "sysmsg"))["params"] == {"online": True}
        assert cloud.open_sockets == 1 and cloud.handshakes == 1  # the device is not an app socket
        await dev.send_str("ping")
        assert (await dev.receive(timeout=TIMEOUT)).data == "pong"

        def command(sequence):
            return {"action": "update", "apikey": account["user"]["apikey"], "deviceid": "1000dd0009",
                    "userAgent": "app", "sequence": sequence, "params": {"switch": "on"}}

        await app.send_json(command("a"))
        forwarded = await receive_json(dev)
        assert forwarded["action"] == "update" and forwarded["userAgent"] == "app"
        assert forwarded["params"] == {"switch": "on"} and cloud.device("1000dd0009").params["switch"] == "off"
        await dev.send_json({"error": 0, "deviceid": "1000dd0009", "sequence": forwarded["sequence"]})
        assert (await receive_until(app, lambda f: f.get("sequence") == "a"))["error"] == 0
        assert cloud.device("1000dd0009").params["switch"] == "on"

        cloud.faults.device_timeout = 0.2
        await app.send_json(command("b"))
        await receive_json(dev)  # forwarded, never answered
        assert (await receive_until(app, lambda f: f.get("sequence") == "b"))["error"] == 504

        cloud.faults.device_timeout = 5.0
        await app.send_json(command("c"))
        await receive_json(dev)
        await dev.close()
        assert (await receive_until(app, lambda f: f.get("sequence") == "c"))["error"] == 503
        assert not cloud.device("1000dd0009").online
    finally:
        await dev.close()
        await app.close()


# ----- LAN mode -----------------------------------------------------------------------------

async def test_lan_switch_and_info_with_encrypted_bodies(session, cloud, make_device):
    device = await make_device()
    await pair(session, cloud, device)
    assert device.seq == 1
    reply = await lan(session, device, "switch", {"switch": "on"})
    assert reply == {"seq": 2, "sequence": "42", "error": 0}
    assert device.params["switch"] == "on" and cloud.device(DEVICEID).params["switch"] == "on"
    info = await lan(session, device, "info", {})
    assert info["error"] == 0 and info["seq"] == 2 and info["encrypt"] is True
    params = json.loads(decrypt(DEVICEKEY, info["iv"], info["data"]))
    assert params == device.params and params["switch"] == "on"


async def test_lan_switches_on_a_two_gang(session, cloud, make_device):
    device = await make_device(uiid=2)
    await pair(session, cloud, device)
    reply = await lan(session, device, "switches", {"switches": [{"switch": "on", "outlet": 1}]})
    assert reply["error"] == 0
    assert device.params["switches"] == [{"switch": "off", "outlet": 0}, {"switch": "on", "outlet": 1}]
    assert (await lan(session, device, "switch", {"switch": "on"}))["error"] == 422
    assert (await lan(session, device, "switches", {"switches": [{"switch": "on", "outlet": 2}]}))["error"] == 422


async def test_lan_refusals(session, cloud, make_device):
    device = await make_device()
    await pair(session, cloud, device)
    assert (await lan(session, device, "switch", {"switch": "on"}, encrypted=False))["error"] == 401
    assert (await lan(session, device, "switch", {"switch": "on"}, devicekey="another-key"))["error"] == 401
    assert (await lan(session, device, "switch", {"switch": "on"}, deviceid="1000ffffff"))["error"] == 404
    assert (await lan(session, device, "switch", {"switch": "maybe"}))["error"] == 422
    assert (await lan(session, device, "switch", {"startup": "on"}))["error"] == 422  # command names the param
    assert (await lan(session, device, "switch", {}, raw=b"{not json"))["error"] == 400
    assert device.params["switch"] == "off" and device.seq == 1


async def test_lan_change_is_pushed_to_the_cloud_owner(session, cloud, make_device):
    device = await make_device()
    account = await login(session, cloud)
    await device_add(session, cloud, account)
    await pair(session, cloud, device)
    ws = await app_socket(session, cloud, account)
    try:
        await lan(session, device, "switch", {"switch": "on"})
        frame = await receive_until(ws, lambda f: f.get("action") == "update")
        assert frame["deviceid"] == DEVICEID and frame["userAgent"] == "device"
        assert frame["params"] == {"switch": "on"} and frame["apikey"] == account["user"]["apikey"]
        await device.press({"switch": "off"})  # the button on the device
        frame = await receive_until(ws, lambda f: f.get("action") == "update")
        assert frame["params"] == {"switch": "off"}
        listed = {d["deviceid"]: d for d in await device_list(session, cloud, account)}
        assert listed[DEVICEID]["params"]["switch"] == "off"
    finally:
        await ws.close()


async def test_cloud_command_reaches_the_device(session, cloud, make_device):
    device = await make_device()
    account = await login(session, cloud)
    await device_add(session, cloud, account)
    await pair(session, cloud, device)
    ws = await app_socket(session, cloud, account)
    try:
        await ws.send_json({"action": "update", "apikey": account["user"]["apikey"], "deviceid": DEVICEID,
                            "userAgent": "app", "sequence": "7", "params": {"switch": "on"}})
        reply = await receive_until(ws, lambda f: f.get("sequence") == "7")
        assert reply["error"] == 0
        assert device.params["switch"] == "on" and device.seq == 2
        info = await lan(session, device, "info", {})
        assert json.loads(decrypt(DEVICEKEY, info["iv"], info["data"]))["switch"] == "on"
    finally:
        await ws.close()


async def test_lan_requests_are_served_one_at_a_time(session, cloud, make_device):
    device = await make_device(uiid=4)
    await pair(session, cloud, device)
    replies = await asyncio.gather(*(
        lan(session, device, "switches", {"switches": [{"switch": "on", "outlet": i}]}) for i in range(4)))
    assert all(r["error"] == 0 for r in replies)
    assert sorted(r["seq"] for r in replies) == [2, 3, 4, 5]  # each saw its own change, none interleaved
    assert [c["switch"] for c in device.params["switches"]] == ["on"] * 4


async def test_device_reconnects_when_its_cloud_socket_drops(session, cloud, make_device):
    device = await make_device()
    device.retry_seconds = 0.05
    await pair(session, cloud, device)
    await cloud.device_links[DEVICEID].close()
    for _ in range(100):
        if not cloud.device(DEVICEID).online:
            break
        await asyncio.sleep(0.01)
    # LAN control keeps working while the cloud is away
    assert (await lan(session, device, "switch", {"switch": "on"}))["error"] == 0
    for _ in range(200):
        if cloud.device(DEVICEID).online and DEVICEID in cloud.device_links:
            break
        await asyncio.sleep(0.01)
    assert cloud.device(DEVICEID).online and device.mode == "online"
    for _ in range(100):  # the full report after re-registering carries the LAN change
        if cloud.device(DEVICEID).params["switch"] == "on":
            break
        await asyncio.sleep(0.01)
    assert cloud.device(DEVICEID).params["switch"] == "on"


async def test_no_secrets_in_logs(session, cloud, make_device, caplog):
    caplog.set_level("DEBUG")
    device = await make_device()
    account = await login(session, cloud)
    await device_add(session, cloud, account)
    await pair(session, cloud, device)
    await lan(session, device, "switch", {"switch": "on"})
    await post_ap(session, await make_device(deviceid="1000dd0002"), ap_body(cloud, password="p" * 64))
    for secret in (DEVICEKEY, WIFI.password, "p" * 64, account["at"]):
        assert secret not in caplog.text


# ----- the demo site ------------------------------------------------------------------------

async def test_demo_site_has_ap_devices_and_site_wifi(session):
    async with DemoSite(live_drift_seconds=None, device_delays=DeviceDelays()) as site:
        info = site.describe()
        assert info["site_wifi"] == {"ssid": "SiteKit-Demo", "password": site.site_wifi.password}
        assert len(site.site_wifi.password) >= 8
        assert info["ewelink"]["dispatch"] == {"serverName": "127.0.0.1",
                                               "port": site.ewelink.ws_port("eu")}
        devices = info["ewelink_ap_devices"]
        assert [d["deviceid"] for d in devices] == ["1000ee0001", "1000ee0002", "1000ee0003"]
        assert [d.uiid for d in site.ap_devices] == [1, 2, 1]
        assert all(not d.mdns for d in site.ap_devices) and site.lan_directory() == {}
        async with session.get(devices[1]["url"] + "/device") as resp:
            ident = await resp.json()
        body = {"version": 4, "ssid": info["site_wifi"]["ssid"], "password": info["site_wifi"]["password"],
                **info["ewelink"]["dispatch"]}
        async with session.post(devices[1]["url"] + "/ap", data=json.dumps(body), headers=FORM) as resp:
            assert await resp.json() == {"error": 0}
        await site.ap_devices[1].wait_mode("online", TIMEOUT)
        assert site.lan_directory() == {"1000ee0002": site.ap_devices[1].lan_url}
        assert ident["deviceid"] == "1000ee0002" and site.ewelink.device("1000ee0002").online
        assert [d["deviceid"] for d in site.describe()["ewelink_ap_devices"]] == ["1000ee0001", "1000ee0003"]
    assert site.ap_devices == []


async def test_demo_site_device_identities_are_stable():
    from app.simulators.site import ap_device_identity

    assert ap_device_identity(0) == ap_device_identity(0)
    assert ap_device_identity(0)[1] != ap_device_identity(1)[1]


# ----- real mDNS, in a network namespace ------------------------------------------------------

# Runs inside a fresh network namespace whose loopback carries multicast: a cloud sim and a
# device with mDNS on, paired; zeroconf's own browser finds it, the TXT record decrypts with
# the device key, and a LAN change is re-announced with the next seq. Prints one JSON line.
MDNS_PROBE = r'''
import asyncio, json, sys, time
import aiohttp
from zeroconf import IPVersion, ServiceStateChange
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf
from app.simulators.ewelink import EwelinkCloudSim
from app.simulators.ewelink.lan_cipher import decrypt, encrypt
from app.simulators.ewelink.sonoff import SimulatedSonoff, SiteWifi

KEY = "0123456789abcdef0123456789abcdef"
TYPE = "_ewelink._tcp.local."

def txt(info):
    props = {k.decode(): v.decode() for k, v in info.properties.items()}
    data = "".join(props[f"data{i}"] for i in range(1, 10) if f"data{i}" in props)
    return props, json.loads(decrypt(KEY, props["iv"], data))

async def main():
    cloud = EwelinkCloudSim(appid="a" * 32, appsecret="s" * 32)
    await cloud.start("127.0.0.1", 0)
    device = SimulatedSonoff(cloud, deviceid="1000abcdef", devicekey=KEY, chipid="ABCDEF", uiid=1,
                             site_wifi=SiteWifi("Net", "password1"), mdns=True, mdns_interfaces=["127.0.0.1"])
    await device.start()
    zc = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    changes = asyncio.Queue()
    browser = AsyncServiceBrowser(zc.zeroconf, [TYPE], handlers=[
        lambda zeroconf, service_type, name, state_change: changes.put_nowait((name, state_change))])
    result = {}
    try:
        async with aiohttp.ClientSession() as http:
            body = {"version": 4, "ssid": "Net", "password": "password1", "serverName": "127.0.0.1",
                    "port": cloud.ws_port("eu")}
            async with http.post(device.ap_url + "/ap", data=json.dumps(body)) as resp:
                assert (await resp.json()) == {"error": 0}
            await device.wait_mode("online", 5)
            started = time.monotonic()
            name, change = await asyncio.wait_for(changes.get(), 8)
            result["found_s"] = round(time.monotonic() - started, 2)
            info = AsyncServiceInfo(TYPE, name)
            assert await info.async_request(zc.zeroconf, 3000)
            props, params = txt(info)
            result.update(name=name, port=info.port, addresses=info.parsed_addresses(), props=props,
                          params=params, lan_port=int(device.lan_url.rsplit(":", 1)[1]))
            iv, data = encrypt(KEY, json.dumps({"switch": "on"}))
            async with http.post(device.lan_url + "/zeroconf/switch", json={
                    "sequence": "1", "deviceid": "1000abcdef", "selfApikey": "123", "encrypt": True,
                    "iv": iv, "data": data}) as resp:
                result["lan_reply"] = await resp.json()
            while True:
                name, change = await asyncio.wait_for(changes.get(), 5)
                if change is ServiceStateChange.Updated:
                    info = AsyncServiceInfo(TYPE, name)
                    await info.async_request(zc.zeroconf, 3000)
                    props, params = txt(info)
                    if props["seq"] == "2":
                        result.update(updated_seq=props["seq"], updated_params=params)
                        break
    finally:
        await browser.async_cancel()
        await zc.async_close()
        await device.stop()
        await cloud.stop()
    print(json.dumps(result))

asyncio.run(main())
'''


def _netns(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", "netns", *args], capture_output=True, text=True, timeout=10)


@pytest.fixture
def multicast_namespace():
    """A network namespace whose loopback carries multicast (plain loopback does not)."""
    if sys.platform != "linux" or shutil.which("ip") is None:
        pytest.skip("real mDNS needs Linux network namespaces (`ip netns`)")
    if os.geteuid() != 0:
        pytest.skip("real mDNS needs a network namespace: creating one needs root (CI runs as root)")
    name = f"sk-sonoff-{os.getpid()}"
    made = _netns("add", name)
    if made.returncode != 0:
        pytest.skip(f"cannot create a network namespace: {made.stderr.strip()}")
    try:
        for cmd in (["ip", "link", "set", "lo", "up"], ["ip", "link", "set", "lo", "multicast", "on"]):
            done = _netns("exec", name, *cmd)
            if done.returncode != 0:
                pytest.skip(f"cannot set up loopback in the namespace: {done.stderr.strip()}")
        yield name
    finally:
        _netns("del", name)


async def test_real_mdns_advertising_in_a_namespace(multicast_namespace):
    repo = Path(__file__).resolve().parents[2]
    proc = await asyncio.create_subprocess_exec(
        "ip", "netns", "exec", multicast_namespace, sys.executable, "-c", MDNS_PROBE, cwd=repo,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()[-2000:]
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result["name"] == "eWeLink_1000abcdef._ewelink._tcp.local."
    assert result["port"] == result["lan_port"] and result["addresses"] == ["127.0.0.1"]
    props = result["props"]
    assert {k: props[k] for k in ("txtvers", "id", "type", "apivers", "seq", "encrypt")} == {
        "txtvers": "1", "id": "1000abcdef", "type": "plug", "apivers": "1", "seq": "1", "encrypt": "true"}
    assert result["params"]["switch"] == "off" and result["params"]["fwVersion"]
    assert result["lan_reply"] == {"seq": 2, "sequence": "1", "error": 0}
    assert result["updated_seq"] == "2" and result["updated_params"]["switch"] == "on"
