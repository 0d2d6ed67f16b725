"""The simulated eWeLink cloud, driven over real loopback HTTP and websockets (no mocks).

These tests pin the wire rules of /work/contract.md that the client is written against:
signatures, common parameters, regions, token supersession and expiry, the websocket
handshake, heartbeat, commands and pushes, faults and the simulator-only control API.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import sys
import time
from email.utils import parsedate_to_datetime

import aiohttp
import pytest

from app.simulators.ewelink import DEMO_PASSWORD, SEED, EwelinkCloudSim, SeedAccount
from app.simulators.site import DemoSite, run_sim
from app.vendors.ewelink import signing

APPID = "SimTestAppid00000000000000000000"
APPSECRET = "SimTestAppsecret0000000000000000"
EU_EMAIL = "demo@sitekit.example"
US_EMAIL = "us@sitekit.example"
AS_PHONE = "+8613800000001"
WS_TIMEOUT = 3.0


@pytest.fixture
async def sim():
    cloud = EwelinkCloudSim(appid=APPID, appsecret=APPSECRET, seed=True)
    await cloud.start(host="127.0.0.1", port=0)
    try:
        yield cloud
    finally:
        await cloud.stop()


@pytest.fixture
async def session():
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        yield http


# ----- helpers ------------------------------------------------------------------------------

def common(ts: float | None = None) -> dict:
    return signing.common_params(APPID, time.time() if ts is None else ts)


async def post_login(session, sim, body: dict, region="eu", authorization: str | None = "sign"):
    raw = signing.body_bytes(body)
    headers = {"Content-Type": "application/json"}
    if authorization == "sign":
        headers["Authorization"] = signing.authorization(APPSECRET, raw)
    elif authorization is not None:
        headers["Authorization"] = authorization
    async with session.post(sim.base_url(region) + "/api/user/login", data=raw, headers=headers) as resp:
        assert resp.status == 200
        assert resp.headers.get("Date")
        return await resp.json()


async def login(session, sim, account=EU_EMAIL, password=DEMO_PASSWORD, region="eu") -> dict:
    field = "email" if "@" in account else "phoneNumber"
    return await post_login(session, sim, {**common(), field: account, "password": password}, region)


async def refresh(session, sim, rt, region="eu", sign=True) -> dict:
    params = {"grantType": "refresh", "rt": rt, **common()}
    headers = {"Authorization": signing.authorization(APPSECRET, signing.query_message(params))} if sign else {}
    async with session.get(sim.base_url(region) + "/api/user/refresh", params=params, headers=headers) as resp:
        return await resp.json()


async def device_list(session, sim, at, region="eu", params: dict | None = None) -> dict:
    query = params if params is not None else {"lang": "en", **common()}
    headers = {"Authorization": f"Bearer {at}"} if at else {}
    async with session.get(sim.base_url(region) + "/api/user/device", params=query, headers=headers) as resp:
        return await resp.json()


async def dispatch(session, sim, at, region="eu", accept="ws") -> dict:
    raw = signing.body_bytes({"accept": accept, **common()})
    async with session.post(sim.base_url(region) + "/dispatch/app", data=raw,
                            headers={"Authorization": f"Bearer {at}"}) as resp:
        return await resp.json()


def user_online(reply: dict, **overrides) -> dict:
    frame = {"action": "userOnline", "version": 8, "ts": int(time.time()), "at": reply["at"],
             "userAgent": "app", "apikey": reply["user"]["apikey"], "appid": APPID,
             "nonce": signing.nonce(), "sequence": str(int(time.time() * 1000))}
    frame.update(overrides)
    return frame


async def connect(session, sim, reply: dict, region="eu", **overrides):
    """Dispatch, open the socket, send userOnline; returns (ws, handshake reply)."""
    target = await dispatch(session, sim, reply["at"], region)
    assert target["error"] == 0
    ws = await session.ws_connect(f"ws://{target['domain']}:{target['port']}/api/ws")
    await ws.send_str(json.dumps(user_online(reply, **overrides)))
    return ws, await receive_json(ws)


async def online_socket(session, sim, reply: dict):
    ws, hello = await connect(session, sim, reply)
    assert hello["error"] == 0
    return ws


async def receive_json(ws) -> dict:
    msg = await ws.receive(timeout=WS_TIMEOUT)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def receive_until(ws, predicate) -> dict:
    while True:
        frame = await receive_json(ws)
        if predicate(frame):
            return frame


def update_frame(reply: dict, deviceid: str, params, sequence: str = "1") -> str:
    return json.dumps({"action": "update", "apikey": reply["user"]["apikey"], "deviceid": deviceid,
                       "userAgent": "app", "sequence": sequence, "params": params})


# ----- REST: signature and common parameters ---------------------------------------------

async def test_login_signature_ok_wrong_and_missing(sim, session):
    body = {**common(), "email": EU_EMAIL, "password": DEMO_PASSWORD}
    ok = await post_login(session, sim, body)
    assert ok["error"] == 0 and ok["region"] == "eu"
    assert ok["user"]["email"] == EU_EMAIL and ok["user"]["apikey"] and ok["at"] and ok["rt"]

    wrong = signing.authorization("not-the-secret", signing.body_bytes(body))
    assert await post_login(session, sim, body, authorization=wrong) == {
        "error": 406, "msg": "sign verification failed"}
    assert (await post_login(session, sim, body, authorization=None))["error"] == 406

    # Signed over other bytes (same JSON, different spacing): the exact raw body counts.
    other_bytes = json.dumps(body).encode()
    raw = signing.body_bytes(body)
    async with session.post(sim.base_url("eu") + "/api/user/login", data=raw,
                            headers={"Authorization": signing.authorization(APPSECRET, other_bytes)}) as resp:
        assert (await resp.json())["error"] == 406


@pytest.mark.parametrize("name", ["appid", "nonce", "ts", "version"])
async def test_missing_common_parameter_is_400(sim, session, name):
    body = {**common(), "email": EU_EMAIL, "password": DEMO_PASSWORD}
    del body[name]
    assert await post_login(session, sim, body) == {"error": 400, "msg": f"missing parameter: {name}"}


async def test_missing_login_fields_and_bad_values(sim, session):
    assert (await post_login(session, sim, {**common(), "password": "x"}))["error"] == 400
    assert (await post_login(session, sim, {**common(), "email": EU_EMAIL}))["msg"] == "missing parameter: password"
    base = {"email": EU_EMAIL, "password": DEMO_PASSWORD}
    for nonce in ("short", "abc-defg", "123456789"):
        assert (await post_login(session, sim, {**common(), **base, "nonce": nonce}))["error"] == 400
    assert (await post_login(session, sim, {**common(), **base, "version": 7}))["error"] == 400
    assert await post_login(session, sim, {**common(), **base, "appid": "x" * 32}) == {
        "error": 406, "msg": "appid is unauthorized"}


async def test_stale_timestamp_and_clock_offset(sim, session):
    base = {"email": EU_EMAIL, "password": DEMO_PASSWORD}
    stale = await post_login(session, sim, {**common(time.time() - 700), **base})
    assert stale == {"error": 406, "msg": "timestamp out of range"}
    assert (await post_login(session, sim, {**common(time.time() + 500), **base}))["error"] == 0

    # A skewed simulator clock: our real-time ts is refused, its own time is accepted.
    sim.faults.clock_offset = 3600
    assert (await post_login(session, sim, {**common(), **base}))["error"] == 406
    assert (await post_login(session, sim, {**common(time.time() + 3600), **base}))["error"] == 0
    async with session.get(sim.base_url("eu") + "/api/user/device") as resp:
        server = parsedate_to_datetime(resp.headers["Date"]).timestamp()
    assert abs(server - (time.time() + 3600)) < 5


# ----- REST: accounts and regions -------------------------------------------------------

async def test_region_relocation_wrong_password_and_unknown(sim, session):
    assert await login(session, sim, US_EMAIL, region="eu") == {"error": 301, "region": "us"}
    us = await login(session, sim, US_EMAIL, region="us")
    assert us["error"] == 0 and us["region"] == "us"
    assert (await login(session, sim, EU_EMAIL, password="nope"))["error"] == 401
    assert (await login(session, sim, "nobody@sitekit.example"))["error"] == 404
    asia = await login(session, sim, AS_PHONE, region="as")
    assert asia["error"] == 0 and asia["user"]["phoneNumber"] == AS_PHONE
    assert [d["deviceid"] for d in (await device_list(session, sim, asia["at"], "as"))["devicelist"]] == ["1000cc0001"]


async def test_second_login_supersedes_first_tokens_and_sockets(sim, session):
    first = await login(session, sim)
    ws = await online_socket(session, sim, first)
    second = await login(session, sim)

    assert await device_list(session, sim, first["at"]) == {"error": 401, "msg": "token invalid"}
    assert (await dispatch(session, sim, first["at"]))["error"] == 401
    assert (await refresh(session, sim, first["rt"]))["error"] == 401
    assert (await device_list(session, sim, second["at"]))["error"] == 0

    # the socket opened with the old at is closed by the simulator
    msg = await ws.receive(timeout=WS_TIMEOUT)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    # and reconnecting with the old at is refused at the handshake
    ws_old = await session.ws_connect(sim.base_url("eu").replace("http", "ws") + "/api/ws")
    await ws_old.send_str(json.dumps(user_online(first)))
    assert await receive_json(ws_old) == {"error": 406, "reason": "Authentication Failed",
                                          "actionName": "userOnline"}
    await ws_old.close()


async def test_expired_access_token_402_then_refresh(sim, session):
    first = await login(session, sim)
    sim.expire_access_tokens()
    assert await device_list(session, sim, first["at"]) == {"error": 402, "msg": "token expired"}
    assert (await dispatch(session, sim, first["at"]))["error"] == 402

    renewed = await refresh(session, sim, first["rt"])
    assert renewed["error"] == 0 and set(renewed) == {"error", "at", "rt"}
    assert (await device_list(session, sim, renewed["at"]))["error"] == 0
    # the pair it came from no longer works
    assert (await refresh(session, sim, first["rt"]))["error"] == 401
    assert (await device_list(session, sim, first["at"]))["error"] == 401


async def test_refresh_rules(sim, session):
    first = await login(session, sim)
    assert (await refresh(session, sim, first["rt"], sign=False))["error"] == 406
    assert (await refresh(session, sim, "0" * 40))["error"] == 401
    assert (await refresh(session, sim, first["at"]))["error"] == 401  # an at is not an rt
    sim.expire_refresh_tokens()
    assert (await refresh(session, sim, first["rt"]))["error"] == 402
    assert (await device_list(session, sim, first["at"]))["error"] == 0  # at itself still valid


async def test_device_list_shape(sim, session):
    reply = await login(session, sim)
    assert (await device_list(session, sim, None))["error"] == 401
    assert (await device_list(session, sim, reply["at"], params={"lang": "en"}))["error"] == 400
    devices = {d["deviceid"]: d for d in (await device_list(session, sim, reply["at"]))["devicelist"]}
    eu_seed = next(a for a in SEED if a.region == "eu")
    assert set(devices) == {d.deviceid for d in eu_seed.devices}
    hall = devices["1000aa0001"]
    assert hall["name"] == "Hall light" and hall["uiid"] == 1 and hall["online"] is True
    assert hall["apikey"] == reply["user"]["apikey"] and hall["devicekey"] != hall["apikey"]
    assert hall["extra"]["extra"]["uiid"] == 1 and hall["brandName"] and hall["productModel"]
    assert {"switch", "startup", "pulse", "pulseWidth", "sledOnline", "fwVersion", "rssi"} <= set(hall["params"])
    assert hall["params"]["switch"] == "off"
    for deviceid, outlets in (("1000aa0002", 2), ("1000aa0003", 3), ("1000aa0004", 4)):
        params = devices[deviceid]["params"]
        assert [s["outlet"] for s in params["switches"]] == list(range(outlets))
        assert "configure" in params and "pulses" in params
    plug = devices["1000aa0005"]["params"]
    assert all(isinstance(plug[k], str) for k in ("power", "voltage", "current"))
    sensor = devices["1000aa0006"]["params"]
    assert float(sensor["currentTemperature"]) and sensor["currentHumidity"].isdigit()
    assert devices["1000aa0007"]["online"] is False


async def test_dispatch_names_the_region_port(sim, session):
    reply = await login(session, sim)
    target = await dispatch(session, sim, reply["at"])
    assert target == {"error": 0, "reason": "ok", "IP": "127.0.0.1",
                      "port": sim.ws_port("eu"), "domain": "127.0.0.1"}
    assert (await dispatch(session, sim, reply["at"], accept="http"))["error"] == 400


# ----- websocket --------------------------------------------------------------------------

async def test_handshake_ok_and_refusals(sim, session):
    reply = await login(session, sim)
    ws, hello = await connect(session, sim, reply, sequence="42")
    assert hello == {"error": 0, "apikey": reply["user"]["apikey"],
                     "config": {"hb": 1, "hbInterval": 145}, "sequence": "42"}
    assert sim.handshakes == 1 and sim.open_sockets == 1
    await ws.close()

    for overrides in ({"at": "f" * 40}, {"appid": "x" * 32}, {"apikey": "someone-else"}):
        ws, refused = await connect(session, sim, reply, **overrides)
        assert refused == {"error": 406, "reason": "Authentication Failed", "actionName": "userOnline"}
        assert (await ws.receive(timeout=WS_TIMEOUT)).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    sim.expire_access_tokens()
    ws, refused = await connect(session, sim, await refresh(session, sim, reply["rt"]) | {"user": reply["user"]})
    assert refused["error"] == 0  # a refreshed at is good for the socket
    await ws.close()
    assert sim.handshakes == 2


async def test_handshake_must_come_first_and_in_time(session):
    async with EwelinkCloudSim(appid=APPID, appsecret=APPSECRET, handshake_timeout=0.2) as quick:
        reply = await login(session, quick)
        url = quick.base_url("eu").replace("http", "ws") + "/api/ws"
        idle = await session.ws_connect(url)
        assert (await idle.receive(timeout=WS_TIMEOUT)).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        early = await session.ws_connect(url)
        await early.send_str(update_frame(reply, "1000aa0001", {"switch": "on"}))
        assert (await receive_json(early))["error"] == 406
        assert quick.handshakes == 0
        await idle.close()
        await early.close()


async def test_fixed_port_gives_consecutive_region_ports():
    for _ in range(20):
        probe = EwelinkCloudSim(appid=APPID, appsecret=APPSECRET, seed=False)
        await probe.start()
        base = probe.ws_port("cn")
        await probe.stop()
        fixed = EwelinkCloudSim(appid=APPID, appsecret=APPSECRET, seed=False)
        try:
            await fixed.start(port=base)
        except OSError:
            continue  # a neighbouring port was taken: try another base
        try:
            assert fixed.regions == {r: f"http://127.0.0.1:{base + i}" for i, r in enumerate(("cn", "as", "eu", "us"))}
        finally:
            await fixed.stop()
        return
    pytest.skip("no four free consecutive ports")


async def test_ping_pong(sim, session):
    ws = await online_socket(session, sim, await login(session, sim))
    for _ in range(3):
        await ws.send_str("ping")
        assert (await ws.receive(timeout=WS_TIMEOUT)).data == "pong"
    await ws.close()


async def test_update_ack_and_push_to_every_socket(sim, session):
    reply = await login(session, sim)
    ws, watcher = await online_socket(session, sim, reply), await online_socket(session, sim, reply)
    await ws.send_str(update_frame(reply, "1000aa0001", {"switch": "on"}, sequence="777"))
    ack = await receive_json(ws)
    assert ack == {"error": 0, "deviceid": "1000aa0001", "apikey": reply["user"]["apikey"], "sequence": "777"}
    for socket in (ws, watcher):
        push = await receive_json(socket)
        assert push["action"] == "update" and push["userAgent"] == "device"
        assert push["deviceid"] == "1000aa0001" and push["params"] == {"switch": "on"}
        assert isinstance(push["d_seq"], int)
    assert sim.device("1000aa0001").params["switch"] == "on"

    await ws.send_str(json.dumps({"action": "query", "deviceid": "1000aa0001", "apikey": reply["user"]["apikey"],
                                  "sequence": "778", "params": []}))
    answer = await receive_json(ws)
    assert answer["error"] == 0 and answer["sequence"] == "778"
    assert answer["params"]["switch"] == "on" and "fwVersion" in answer["params"]
    await ws.close()
    await watcher.close()


async def test_multi_channel_partial_switches(sim, session):
    reply = await login(session, sim)
    ws = await online_socket(session, sim, reply)
    await ws.send_str(update_frame(reply, "1000aa0004", {"switches": [{"switch": "on", "outlet": 2}]}))
    assert (await receive_json(ws))["error"] == 0
    push = await receive_json(ws)
    assert push["params"] == {"switches": [{"switch": "on", "outlet": 2}]}
    await ws.send_str(update_frame(reply, "1000aa0004", {"switches": [{"switch": "on", "outlet": 0},
                                                                      {"switch": "off", "outlet": 2}]}))
    assert (await receive_json(ws))["error"] == 0
    await receive_json(ws)
    assert sim.device("1000aa0004").params["switches"] == [
        {"switch": "on", "outlet": 0}, {"switch": "off", "outlet": 1},
        {"switch": "off", "outlet": 2}, {"switch": "off", "outlet": 3}]
    await ws.close()


@pytest.mark.parametrize("deviceid, params", [
    ("1000aa0001", {"switch": "maybe"}),
    ("1000aa0001", {"switches": [{"switch": "on", "outlet": 0}]}),
    ("1000aa0002", {"switches": [{"switch": "on", "outlet": 2}]}),  # a 2-gang has outlets 0, 1
    ("1000aa0002", {"switch": "on"}),
    ("1000aa0005", {"power": "10"}),  # readings are read-only
    ("1000aa0001", {"pulseWidth": 750}),
    ("1000aa0001", {}),
])
async def test_invalid_params_are_400(sim, session, deviceid, params):
    reply = await login(session, sim)
    ws = await online_socket(session, sim, reply)
    await ws.send_str(update_frame(reply, deviceid, params, sequence="9"))
    answer = await receive_json(ws)
    assert answer["error"] == 400 and answer["sequence"] == "9"
    await ws.close()


async def test_foreign_device_403_offline_503_and_sysmsg(sim, session):
    reply = await login(session, sim)
    ws = await online_socket(session, sim, reply)
    await ws.send_str(update_frame(reply, "1000bb0001", {"switch": "on"}, sequence="1"))  # the us account's
    assert (await receive_json(ws))["error"] == 403
    await ws.send_str(update_frame(reply, "1000aa0007", {"switch": "on"}, sequence="2"))
    assert await receive_json(ws) == {"error": 503, "deviceid": "1000aa0007", "apikey": reply["user"]["apikey"],
                                      "sequence": "2", "reason": "device offline"}

    await sim.set_online("1000aa0007", True)
    assert await receive_json(ws) == {"action": "sysmsg", "deviceid": "1000aa0007",
                                      "apikey": reply["user"]["apikey"], "params": {"online": True}}
    await ws.send_str(update_frame(reply, "1000aa0007", {"switch": "on"}, sequence="3"))
    assert (await receive_json(ws))["error"] == 0
    await ws.close()


async def test_unresponsive_device_504_while_socket_stays_responsive(sim, session):
    reply = await login(session, sim)
    ws = await online_socket(session, sim, reply)
    sim.faults.device_timeout = 0.3
    sim.set_unresponsive("1000aa0001", True)
    started = time.monotonic()
    await ws.send_str(update_frame(reply, "1000aa0001", {"switch": "on"}, sequence="5"))
    await ws.send_str("ping")  # answered while the command waits
    assert (await ws.receive(timeout=WS_TIMEOUT)).data == "pong"
    answer = await receive_json(ws)
    assert answer["error"] == 504 and answer["sequence"] == "5"
    assert time.monotonic() - started >= 0.29
    assert sim.device("1000aa0001").params["switch"] == "off"

    sim.set_unresponsive("1000aa0001", False)
    sim.faults.device_reply_delay = 0.2
    started = time.monotonic()
    await ws.send_str(update_frame(reply, "1000aa0001", {"switch": "on"}, sequence="6"))
    assert (await receive_json(ws))["error"] == 0
    assert time.monotonic() - started >= 0.19
    await ws.close()


async def test_press_button_pushes_device_update(sim, session):
    reply = await login(session, sim)
    ws = await online_socket(session, sim, reply)
    await sim.press_button("1000aa0003", {"switches": [{"switch": "on", "outlet": 1}]})
    push = await receive_json(ws)
    assert push["userAgent"] == "device" and push["params"] == {"switches": [{"switch": "on", "outlet": 1}]}
    with pytest.raises(ValueError):
        await sim.press_button("1000aa0007", {"switch": "on"})  # offline devices cannot report
    await ws.close()


async def test_drop_websockets_is_abnormal_and_reconnect_counts(sim, session):
    reply = await login(session, sim)
    ws = await online_socket(session, sim, reply)
    assert await sim.drop_websockets() == 1
    msg = await ws.receive(timeout=WS_TIMEOUT)
    assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    assert ws.close_code != 1000
    assert sim.open_sockets == 0
    ws = await online_socket(session, sim, reply)
    assert sim.handshakes == 2
    await ws.close()


async def test_heartbeat_timeout_closes_silent_socket(session):
    async with EwelinkCloudSim(appid=APPID, appsecret=APPSECRET, hb_interval=0.2) as tiny:
        reply = await login(session, tiny)
        silent, _ = await connect(session, tiny, reply)
        chatty, hello = await connect(session, tiny, reply)
        assert hello["config"]["hbInterval"] == 0.2
        started = time.monotonic()
        while time.monotonic() - started < 0.6:  # 2 silences' worth, pinging every 0.1 s
            await chatty.send_str("ping")
            assert (await chatty.receive(timeout=WS_TIMEOUT)).data == "pong"
            await asyncio.sleep(0.1)
        msg = await silent.receive(timeout=WS_TIMEOUT)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert not chatty.closed
        await chatty.close()


async def test_live_drift_pushes_readings(session):
    async with EwelinkCloudSim(appid=APPID, appsecret=APPSECRET, live_drift_seconds=0.05) as live:
        reply = await login(session, live)
        ws = await online_socket(session, live, reply)
        seen = set()
        while seen != {"1000aa0005", "1000aa0006"}:
            push = await receive_json(ws)
            seen.add(push["deviceid"])
            assert push["userAgent"] == "device"
            if push["deviceid"] == "1000aa0006":
                assert set(push["params"]) == {"currentTemperature", "currentHumidity"}
        await ws.close()


async def test_extra_accounts_and_http_status_fault(sim, session):
    sim.add_account(SeedAccount(region="eu", email="empty@sitekit.example", password="pw12345"))
    empty = await login(session, sim, "empty@sitekit.example", password="pw12345")
    assert (await device_list(session, sim, empty["at"]))["devicelist"] == []
    sim.faults.http_status = 502
    async with session.get(sim.base_url("eu") + "/api/user/device") as resp:
        assert resp.status == 502 and resp.content_type == "text/plain" and resp.headers["Date"]


# ----- simulator-only control endpoints -------------------------------------------------

async def test_control_endpoints(sim, session):
    control = sim.base_url("us") + "/_sim/"
    async with session.post(control + "faults", json={"delay_seconds": 0.2, "device_timeout": 1}) as resp:
        assert (await resp.json())["faults"]["delay_seconds"] == 0.2
    assert sim.faults.device_timeout == 1.0
    started = time.monotonic()
    reply = await login(session, sim)
    assert time.monotonic() - started >= 0.19
    async with session.post(control + "faults", json={"delay_seconds": 0}) as resp:
        assert resp.status == 200
    async with session.post(control + "faults", json={"no_such_fault": 1}) as resp:
        assert resp.status == 400 and (await resp.json())["ok"] is False

    ws = await online_socket(session, sim, reply)
    async with session.post(control + "online", json={"deviceid": "1000aa0001", "online": False}) as resp:
        assert (await resp.json()) == {"ok": True}
    assert (await receive_json(ws))["params"] == {"online": False}
    async with session.post(control + "online", json={"deviceid": "nope", "online": True}) as resp:
        assert resp.status == 400
    async with session.post(control + "press", json={"deviceid": "1000aa0006",
                                                     "params": {"currentTemperature": "30.5"}}) as resp:
        assert resp.status == 200
    assert (await receive_json(ws))["params"] == {"currentTemperature": "30.5"}
    async with session.post(control + "expire", json={"tokens": "access"}) as resp:
        assert resp.status == 200
    assert (await device_list(session, sim, reply["at"]))["error"] == 402
    async with session.post(control + "drop") as resp:
        assert (await resp.json()) == {"ok": True, "dropped": 1}
    assert (await ws.receive(timeout=WS_TIMEOUT)).type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)


async def test_nothing_secret_is_logged(sim, session, caplog):
    caplog.set_level(logging.DEBUG)
    reply = await login(session, sim)
    renewed = await refresh(session, sim, reply["rt"])
    ws = await online_socket(session, sim, {**reply, "at": renewed["at"]})
    await ws.close()
    text = caplog.text
    for secret in (DEMO_PASSWORD, reply["at"], reply["rt"], renewed["at"], renewed["rt"], APPSECRET):
        assert secret not in text


# ----- the demo site ------------------------------------------------------------------------

SITE_PARTS = {"ewelink", "ewelink_ap_devices", "site_wifi", "nuheat", "nxcloud", "nexhome"}


async def test_demo_site_describe_and_login(session):
    async with DemoSite(live_drift_seconds=None) as site:
        info = site.describe()
        # pairing: test_sonoff_simulator.py; nuheat: test_nuheat_simulator.py
        assert set(info) == SITE_PARTS
        ewelink = info["ewelink"]
        assert set(ewelink) == {"api", "region", "regions", "appid", "appsecret", "email", "password",
                                "dispatch"}
        assert set(ewelink["regions"]) == {"cn", "as", "eu", "us"}
        assert ewelink["api"] == ewelink["regions"]["eu"] and ewelink["region"] == "eu"
        assert len(ewelink["appid"]) == 32 and ewelink["appid"].isalnum()
        assert len(ewelink["appsecret"]) == 32 and ewelink["appsecret"].isalnum()
        assert (ewelink["email"], ewelink["password"]) == (EU_EMAIL, DEMO_PASSWORD)
        assert site.ewelink.live_drift_seconds is None
        raw = signing.body_bytes({**signing.common_params(ewelink["appid"], time.time()),
                                  "email": ewelink["email"], "password": ewelink["password"]})
        async with session.post(ewelink["api"] + "/api/user/login", data=raw,
                                headers={"Authorization": signing.authorization(ewelink["appsecret"], raw)}) as resp:
            assert (await resp.json())["error"] == 0
    assert site.ewelink is None


async def test_run_sim_prints_one_json_line_and_stops_on_cancel(session):
    out = io.StringIO()
    task = asyncio.create_task(run_sim("127.0.0.1", 0, out=out))
    for _ in range(200):
        if out.getvalue().endswith("\n"):
            break
        await asyncio.sleep(0.01)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    api = json.loads(lines[0])["ewelink"]["api"]
    async with session.get(api + "/_sim/faults") as resp:
        assert resp.status == 200
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(aiohttp.ClientConnectionError):
        async with session.get(api + "/_sim/faults"):
            pass
    assert len(out.getvalue().splitlines()) == 1


@pytest.mark.skipif(sys.platform == "win32", reason="signal handling is POSIX")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_run_sim_process_exits_cleanly_on_signal(signum):
    code = "import asyncio, sys; from app.simulators.site import run_sim; asyncio.run(run_sim('127.0.0.1', 0))"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 10)
        assert set(json.loads(line)) == SITE_PARTS
        proc.send_signal(signum)
        rest, _ = await asyncio.wait_for(proc.communicate(), 10)
        assert proc.returncode == 0 and rest == b""
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
