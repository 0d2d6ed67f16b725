"""The fault matrix, eWeLink cloud: SiteKit's client, live channel, services and CLI against
the simulated CoolKit v1 cloud misbehaving on purpose (one test per row, `test_ewelink_<fault>`).

Counts come from the simulator (`requests` by method and path, `updates` by device,
`handshakes`, the fault script's `applied`), so "no request lost", "bounded" and "never
repeated" are facts about the wire, not about the client's own bookkeeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import time
from pathlib import Path

import pytest

from app import cli
from app.core.errors import (AuthError, NetworkError, ProtocolError, RateLimited,
                             SessionTakenOver, VendorError)
from app.core.http import MAX_WS_MESSAGE_BYTES, ReplyTooLarge
from app.services.workspace import Workspace
from app.simulators.faults import HttpFault
from app.vendors.ewelink.client import SESSION_ENDED
from app.vendors.ewelink.live import CommandOutcomeUnknown, EwelinkLive
from tests.integration.conftest import (DEMO_PASSWORD, EU_ACCOUNT, EWELINK_APPID,
                                        EWELINK_APPSECRET, wait_until)

HALL = "1000aa0001"
FOUR_GANG = "1000aa0004"
DEVICES = ("GET", "/api/user/device")
REFRESH = ("GET", "/api/user/refresh")
LOGIN = ("POST", "/api/user/login")
DISPATCH = ("POST", "/dispatch/app")
WS = ("GET", "/api/ws")


@pytest.fixture(autouse=True)
def _secrets(secrets_used):
    secrets_used.update({DEMO_PASSWORD, EWELINK_APPSECRET})


@pytest.fixture
async def client(make_ewelink_client, secrets_used):
    client = make_ewelink_client()
    tokens = await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    secrets_used.update({tokens.at, tokens.rt})
    return client


def _site_file(home: Path, sim, *, password: bool) -> Path:
    """The line `sitekit sim` prints, for our simulator; without the password it behaves
    like a real account (no silent sign-in with published demo credentials)."""
    ewelink = {"api": sim.base_url("eu"), "region": "eu", "regions": sim.regions,
               "appid": EWELINK_APPID, "appsecret": EWELINK_APPSECRET, "email": EU_ACCOUNT}
    if password:
        ewelink["password"] = DEMO_PASSWORD
    path = home / ("site.json" if password else "real-site.json")
    path.write_text(json.dumps({"ewelink": ewelink}) + "\n")
    return path


@contextlib.asynccontextmanager
async def _workspace(home: Path, sim, secrets_used, *, password: bool = False):
    ws = await Workspace.open(site_file=_site_file(home, sim, password=password),
                              store_events=False)
    try:
        if not password:
            tokens = await ws.ewelink.sign_in("eu", EU_ACCOUNT, DEMO_PASSWORD)
            secrets_used.update({tokens.at, tokens.rt})
        await ws.inventory.refresh()
        events = []
        ws.feed.subscribe(events.append)
        ws.events = events
        yield ws
    finally:
        await ws.inventory.close()
        await ws.close()


async def _online(ws: Workspace) -> EwelinkLive:
    live = await ws.start_live()
    await live.wait_online(10)
    return live


def _states(events, device, **params):
    return [e for e in events if e.kind == "state" and e.device == device
            and all(e.payload.get(k) == v for k, v in params.items())]


async def _cli(*argv: str) -> tuple[int, str, str]:
    """`sitekit …` in this process (same keyring), on a thread: our simulator keeps serving."""
    out, err = io.StringIO(), io.StringIO()

    def run() -> int:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            return cli.main(list(argv))

    code = await asyncio.wait_for(asyncio.to_thread(run), 60)
    return code, out.getvalue(), err.getvalue()


# -- 1. 429 storm -----------------------------------------------------------------------------

async def test_ewelink_429_storm(client, ewelink_sim):
    script = ewelink_sim.faults.script
    script.storm(3, retry_after=0.4, path="/api/user/device")
    started = time.monotonic()
    devices = await client.devices()
    waited = time.monotonic() - started
    assert len(devices) == 7  # nothing lost: the call went through after the storm
    assert script.served("status") == 3
    assert ewelink_sim.requests[DEVICES] == 4
    assert waited >= 3 * 0.4 - 0.05  # each Retry-After honoured


async def test_ewelink_429_long_retry_after_is_reported_not_waited(client, ewelink_sim):
    ewelink_sim.faults.script.storm(1, retry_after=120, path="/api/user/device")
    started = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        await client.devices()
    assert time.monotonic() - started < 5
    assert caught.value.retry_after == 120
    assert "wait 120 s" in caught.value.message and "120 s" in caught.value.hint
    assert ewelink_sim.requests[DEVICES] == 1


async def test_ewelink_429_storm_without_end_is_bounded(client, ewelink_sim):
    ewelink_sim.faults.script.storm(50, retry_after=0.1, path="/api/user/device")
    with pytest.raises(RateLimited) as caught:
        await client.devices()
    assert "still limiting" in caught.value.message
    assert ewelink_sim.requests[DEVICES] == 5  # the call and 4 waits, never more


async def test_ewelink_429_storm_via_cli(run_home, ewelink_sim):
    site = _site_file(run_home, ewelink_sim, password=True)
    ewelink_sim.faults.script.storm(2, retry_after=0.3, path="/api/user/device")
    code, out, err = await _cli("--site", str(site), "ewelink", "devices", "--json")
    assert code == 0, err
    assert len(json.loads(out)) == 7
    assert ewelink_sim.requests[DEVICES] == 3


# -- 2. 5xx burst ---------------------------------------------------------------------------

async def test_ewelink_5xx_burst_on_a_read_is_retried(client, ewelink_sim):
    ewelink_sim.faults.script.add(HttpFault("status", status=503, path="/api/user/device",
                                            times=2))
    devices = await client.devices()
    assert len(devices) == 7
    assert ewelink_sim.requests[DEVICES] == 3


async def test_ewelink_5xx_that_lasts_is_a_clear_error_after_bounded_retries(client, ewelink_sim):
    ewelink_sim.faults.script.add(HttpFault("status", status=502, path="/api/user/device",
                                            times=20))
    with pytest.raises(NetworkError) as caught:
        await client.devices()
    assert "502" in caught.value.message and "tried 3 times" in caught.value.hint
    assert ewelink_sim.requests[DEVICES] == 3


async def test_ewelink_connection_cut_mid_read_is_retried(client, ewelink_sim):
    ewelink_sim.faults.script.add(HttpFault("drop", path="/api/user/device"))
    assert len(await client.devices()) == 7
    assert ewelink_sim.requests[DEVICES] == 2


async def test_ewelink_5xx_on_refresh_is_not_repeated(client, ewelink_sim):
    # The rt is single-use: a refresh the cloud did but whose reply was lost must not be
    # sent again (it would look like a takeover and end the session).
    ewelink_sim.expire_access_tokens()
    ewelink_sim.faults.script.add(HttpFault("status", status=503, path="/api/user/refresh",
                                            times=5))
    with pytest.raises(VendorError) as caught:
        await client.devices()
    assert caught.value.code == 503 and "unavailable" in caught.value.message
    assert ewelink_sim.requests[REFRESH] == 1
    assert client.tokens is not None  # not signed out by a passing outage
    ewelink_sim.faults.script.clear()
    assert len(await client.devices()) == 7


async def test_ewelink_5xx_on_a_switch_is_not_repeated(run_home, ewelink_sim, secrets_used):
    async with _workspace(run_home, ewelink_sim, secrets_used) as ws:
        await _online(ws)
        ewelink_sim.faults.update({"ws_update_fault": "error", "ws_update_fault_times": 1,
                                   "ws_update_error": 500})
        with pytest.raises(VendorError) as caught:
            await ws.inventory.set_switch(HALL, True, via="cloud")
        assert caught.value.code == 500
        assert "may or may not have reached" in caught.value.message
        assert "does not send it again" in caught.value.hint
        await asyncio.sleep(0.3)
        assert ewelink_sim.updates[HALL] == 1
        assert ewelink_sim.device(HALL).params["switch"] == "off"


async def test_ewelink_5xx_while_reconnecting_a_switch_is_refused_not_queued(
        run_home, ewelink_sim, secrets_used):
    async with _workspace(run_home, ewelink_sim, secrets_used) as ws:
        live = await _online(ws)
        live.command_timeout = 1.0
        ewelink_sim.faults.script.add(HttpFault("status", status=503, path="/dispatch/app",
                                                times=1000))
        await ewelink_sim.drop_websockets()
        # (through the inventory the same refusal comes after the workspace's 15 s wait)
        with pytest.raises(NetworkError) as caught:
            await live.update(HALL, {"switch": "on"})
        assert "not connected" in caught.value.message
        assert "reconnects by itself" in caught.value.hint
        assert not isinstance(caught.value, CommandOutcomeUnknown)  # it never left
        ewelink_sim.faults.script.clear()
        # the first reconnect backoff step is 0, the next 15 s: come back by hand
        await ws.stop_live()
        await _online(ws)
        await asyncio.sleep(0.5)
        assert ewelink_sim.updates[HALL] == 0  # not queued and sent later behind the user's back
        assert ewelink_sim.device(HALL).params["switch"] == "off"


async def test_ewelink_5xx_via_cli(run_home, ewelink_sim):
    site = _site_file(run_home, ewelink_sim, password=True)
    ewelink_sim.faults.script.add(HttpFault("status", status=503, path="/api/user/device",
                                            times=20))
    code, out, err = await _cli("--site", str(site), "ewelink", "devices")
    assert code == 1
    assert "unavailable" in err and "tried 3 times" in err and "Traceback" not in err
    assert ewelink_sim.requests[DEVICES] == 3


# -- 3. websocket drops --------------------------------------------------------------------

async def test_ewelink_websocket_drop(run_home, ewelink_sim, secrets_used):
    async with _workspace(run_home, ewelink_sim, secrets_used) as ws:
        live = await _online(ws)
        events = ws.events
        await ewelink_sim.press_button(HALL, {"switch": "on"})
        await wait_until(lambda: _states(events, HALL, switch="on"))

        # The way back takes a moment (a slow dispatch), so the next report surely falls
        # in the gap; the cloud does not replay it.
        ewelink_sim.faults.script.add(HttpFault("delay", seconds=0.5, path="/dispatch/app"))
        assert await ewelink_sim.drop_websockets() == 1
        await ewelink_sim.press_button(FOUR_GANG, {"switches": [{"switch": "on", "outlet": 1}]})
        assert ewelink_sim.open_sockets == 0
        await wait_until(lambda: ewelink_sim.handshakes == 2 and live.status == "online",
                         timeout=10)
        four = ws.inventory.get(FOUR_GANG)
        await wait_until(lambda: four.channels[1].on is True, timeout=10)
        # Reports after the reconnect arrive as before.
        await ewelink_sim.press_button(HALL, {"switch": "off"})
        await wait_until(lambda: _states(events, HALL, switch="off"))
        await asyncio.sleep(0.3)

        assert len(_states(events, HALL, switch="on")) == 1
        assert len(_states(events, HALL, switch="off")) == 1
        four_events = [e for e in _states(events, FOUR_GANG)
                       if {"switch": "on", "outlet": 1} in (e.payload.get("switches") or [])]
        assert len(four_events) == 1  # not lost, not doubled
        statuses = [e.payload["status"] for e in events if e.kind == "connection"]
        assert statuses[-2:] == ["reconnecting", "online"]
        assert ewelink_sim.open_sockets == 1


async def test_ewelink_websocket_drop_backs_off_while_the_cloud_refuses(client, ewelink_sim):
    live = EwelinkLive(client, backoff=(0, 0.3, 0.6), stable_after=60)
    statuses = []
    live.subscribe(lambda e: e.kind == "connection" and statuses.append(e.payload))
    await live.start()
    try:
        await live.wait_online(5)
        ewelink_sim.faults.script.add(HttpFault("status", status=503, path="/api/ws", times=2))
        await ewelink_sim.drop_websockets()
        await wait_until(lambda: ewelink_sim.handshakes == 2 and live.status == "online",
                         timeout=10)
    finally:
        await live.stop()
    waits = [s["message"].rsplit("retrying in ", 1)[1] for s in statuses
             if s["status"] == "reconnecting"]
    assert waits == ["0 s.", "0.3 s.", "0.6 s."]
    assert ewelink_sim.requests[WS] == 4  # first connection, two refused, one accepted


# -- 4. expired and revoked tokens ---------------------------------------------------------

async def test_ewelink_expired_access_token(client, ewelink_sim, secrets_used):
    ewelink_sim.expire_access_tokens()
    assert len(await client.devices()) == 7
    secrets_used.update({client.tokens.at, client.tokens.rt})
    assert ewelink_sim.requests[DEVICES] == 2 and ewelink_sim.requests[REFRESH] == 1


async def test_ewelink_expired_refresh_token(client, ewelink_sim):
    ewelink_sim.expire_access_tokens()
    ewelink_sim.expire_refresh_tokens()
    with pytest.raises(AuthError) as caught:
        await client.devices()
    assert caught.value.code == 402 and "expired" in caught.value.message
    assert client.tokens is None
    with pytest.raises(AuthError):  # the same answer again, without asking the cloud
        await client.devices()
    assert ewelink_sim.requests[DEVICES] == 1 and ewelink_sim.requests[REFRESH] == 1


async def test_ewelink_expired_token_on_the_live_channel(run_home, ewelink_sim, secrets_used):
    async with _workspace(run_home, ewelink_sim, secrets_used) as ws:
        live = await _online(ws)
        ewelink_sim.expire_access_tokens()
        await ewelink_sim.drop_websockets()
        await wait_until(lambda: ewelink_sim.handshakes == 2 and live.status == "online",
                         timeout=10)
        secrets_used.update({ws.ewelink.client.tokens.at, ws.ewelink.client.tokens.rt})
        assert ewelink_sim.requests[REFRESH] == 1
        assert ewelink_sim.requests[LOGIN] == 1  # never a silent new sign-in


async def test_ewelink_refresh_reply_lost(client, ewelink_sim):
    # The cloud swapped the tokens but the answer never arrived: the tokens SiteKit holds
    # are dead. Not retried blindly, and the next call says what happened.
    ewelink_sim.expire_access_tokens()
    ewelink_sim.faults.script.add(HttpFault("drop_after", path="/api/user/refresh"))
    with pytest.raises(NetworkError):
        await client.devices()
    assert ewelink_sim.requests[REFRESH] == 1
    with pytest.raises(SessionTakenOver) as caught:
        await client.devices()
    assert "refresh was cut off" in caught.value.message and "Sign in again" in caught.value.hint
    assert client.tokens is None
    assert ewelink_sim.requests[REFRESH] == 1 and ewelink_sim.requests[DEVICES] == 2


async def test_ewelink_revoked_token_via_cli(run_home, ewelink_sim, secrets_used,
                                             make_ewelink_client):
    site = _site_file(run_home, ewelink_sim, password=False)
    # Sign in the way the GUI does (tokens kept in this process's keyring for this site),
    # then a sign-in elsewhere revokes that session.
    async with _workspace(run_home, ewelink_sim, secrets_used):
        pass
    other = make_ewelink_client()
    await other.login(EU_ACCOUNT, DEMO_PASSWORD)
    secrets_used.update({other.tokens.at, other.tokens.rt})
    before = ewelink_sim.requests.copy()
    code, out, err = await _cli("--site", str(site), "ewelink", "devices", "--json")
    assert code == 1
    error = json.loads(out)["error"]
    assert error["code"] == 401 and error["message"].endswith(SESSION_ENDED)
    assert "does not sign in again by itself" in error["hint"]
    asked = ewelink_sim.requests - before
    assert asked[DEVICES] == 1 and asked[LOGIN] == 0 and asked[REFRESH] == 0


# -- 5. a second sign-in elsewhere -------------------------------------------------------------

async def test_ewelink_second_login_elsewhere(run_home, ewelink_sim, secrets_used,
                                              make_ewelink_client):
    async with _workspace(run_home, ewelink_sim, secrets_used) as ws:
        live = await _online(ws)
        other = make_ewelink_client()
        await other.login(EU_ACCOUNT, DEMO_PASSWORD)
        secrets_used.update({other.tokens.at, other.tokens.rt})
        await wait_until(lambda: live.status == "signed_out", timeout=10)
        await asyncio.sleep(0.5)  # room for a storm, if there were one

        assert ws.live_status == "signed_out" and SESSION_ENDED in ws.live_message
        assert ewelink_sim.handshakes == 1
        assert ewelink_sim.requests[LOGIN] == 2  # ours and the other one: no re-login
        # The reconnect's dispatch met 401 (superseded): signed out at once, no refresh.
        assert ewelink_sim.requests[REFRESH] == 0
        assert ewelink_sim.requests[DISPATCH] == 2 and ewelink_sim.requests[WS] == 1
        # What the user does next meets the same clear answer (the GUI shows sign-in).
        with pytest.raises(SessionTakenOver) as caught:
            await ws.inventory.set_switch(HALL, True, via="cloud")
        assert SESSION_ENDED in caught.value.message
        assert ewelink_sim.updates[HALL] == 0
        with pytest.raises(AuthError):  # the device list: what the GUI answers with sign-in
            await ws.inventory.refresh()
        assert ewelink_sim.requests[LOGIN] == 2 and ewelink_sim.requests[DEVICES] == 1
        # The other session was left alone.
        assert len(await other.devices()) == 7


# -- 6. clock skew -----------------------------------------------------------------------------

@pytest.mark.parametrize("offset", [600, -600, 900, -900])
async def test_ewelink_clock_skew(offset, make_ewelink_client, ewelink_sim, secrets_used):
    ewelink_sim.faults.clock_offset = offset
    client = make_ewelink_client()
    tokens = await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    secrets_used.update({tokens.at, tokens.rt})
    assert ewelink_sim.requests[LOGIN] <= 2  # accepted on the first retry at most
    assert abs(client.clock.offset - offset) < 5  # detected from Date
    assert len(await client.devices()) == 7
    assert ewelink_sim.requests[DEVICES] == 1  # corrected: signed right the first time
    live = EwelinkLive(client)
    await live.start()
    try:
        await live.wait_online(5)
    finally:
        await live.stop()


# -- 7. a command whose reply is lost ------------------------------------------------------------

@pytest.mark.parametrize("fault, acted", [("drop_after", True), ("drop_before", False)])
async def test_ewelink_switch_reply_lost(fault, acted, run_home, ewelink_sim, secrets_used):
    async with _workspace(run_home, ewelink_sim, secrets_used) as ws:
        live = await _online(ws)
        ewelink_sim.faults.update({"ws_update_fault": fault, "ws_update_fault_times": 1})
        with pytest.raises(CommandOutcomeUnknown) as caught:
            await ws.inventory.set_switch(HALL, True, via="cloud")
        assert "whether it acted is unknown" in caught.value.message
        assert "before sending the command again" in caught.value.hint
        await wait_until(lambda: ewelink_sim.handshakes == 2 and live.status == "online",
                         timeout=10)
        await asyncio.sleep(0.5)
        assert ewelink_sim.updates[HALL] == 1  # never repeated, not even after the reconnect
        expected = "on" if acted else "off"
        assert ewelink_sim.device(HALL).params["switch"] == expected
        # How to check: the list catches up with what the device really did.
        await wait_until(lambda: ws.inventory.get(HALL).channels[0].on is acted, timeout=10)


async def test_ewelink_switch_reply_never_comes(run_home, ewelink_sim, secrets_used):
    async with _workspace(run_home, ewelink_sim, secrets_used) as ws:
        live = await _online(ws)
        live.command_timeout = 1.0
        ewelink_sim.faults.update({"ws_update_fault": "silent", "ws_update_fault_times": 1})
        with pytest.raises(CommandOutcomeUnknown) as caught:
            await ws.inventory.set_switch(HALL, True, via="cloud")
        assert caught.value.message.startswith("Hall light did not answer")
        assert "unknown" in caught.value.message
        await asyncio.sleep(0.3)
        assert ewelink_sim.updates[HALL] == 1
        # the device's own report did arrive: the list shows what happened
        assert ws.inventory.get(HALL).channels[0].on is True


async def test_ewelink_switch_reply_lost_via_cli(run_home, ewelink_sim):
    site = _site_file(run_home, ewelink_sim, password=True)
    ewelink_sim.faults.update({"ws_update_fault": "drop_after", "ws_update_fault_times": 1})
    code, out, err = await _cli("--site", str(site), "ewelink", "switch", HALL, "on",
                                "--via", "cloud")
    assert code == 1
    assert "unknown" in err and "before sending the command again" in err
    assert "Traceback" not in err
    assert ewelink_sim.updates[HALL] == 1


# -- 8. malformed, truncated, oversized --------------------------------------------------------

@pytest.mark.parametrize("kind, words, error", [
    ("malformed", "not JSON", ProtocolError),
    ("truncate", "cut off", ProtocolError),
    ("oversize", "SiteKit stopped reading", ReplyTooLarge),
])
async def test_ewelink_bad_reply(kind, words, error, client, ewelink_sim):
    ewelink_sim.faults.script.add(HttpFault(kind, path="/api/user/device"))
    with pytest.raises(error) as caught:
        await asyncio.wait_for(client.devices(), 30)
    assert words in caught.value.message
    assert caught.value.hint
    assert ewelink_sim.requests[DEVICES] == 1
    assert len(await client.devices()) == 7  # and the next call is fine


async def test_ewelink_bad_reply_via_cli(run_home, ewelink_sim):
    site = _site_file(run_home, ewelink_sim, password=True)
    ewelink_sim.faults.script.add(HttpFault("malformed", path="/api/user/device"))
    code, out, err = await _cli("--site", str(site), "ewelink", "devices")
    assert code == 1 and "not JSON" in err and "Traceback" not in err


async def test_ewelink_bad_websocket_frames(run_home, ewelink_sim, secrets_used):
    async with _workspace(run_home, ewelink_sim, secrets_used) as ws:
        live = await _online(ws)
        junk = ["{not json", "[1, 2]", "null", '{"action": "update", "params": "x"}',
                '{"action": "sysmsg", "deviceid": "1000aa0001", "params": []}',
                '{"error": NaN, "sequence": "1"}', "[" * 50_000]
        for frame in junk:
            await ewelink_sim.push_raw(frame)
        await ewelink_sim.press_button(HALL, {"switch": "on"})
        await wait_until(lambda: _states(ws.events, HALL, switch="on"))
        assert ewelink_sim.handshakes == 1 and live.status == "online"

        huge = json.dumps({"action": "update", "deviceid": HALL,
                           "params": {"pad": "x" * (MAX_WS_MESSAGE_BYTES + 10)}})
        await ewelink_sim.push_raw(huge)
        await wait_until(lambda: ewelink_sim.handshakes == 2 and live.status == "online",
                         timeout=10)
        reasons = [e.payload["message"] for e in ws.events
                   if e.kind == "connection" and e.payload["status"] == "reconnecting"]
        assert any("bigger than 1 MB" in r for r in reasons)
        assert not [e for e in ws.events if e.kind == "state" and "pad" in e.payload]


# -- the simulator's control endpoint for scripted faults (`sitekit sim` users) -------------------

async def test_ewelink_faults_scripted_over_http(client, ewelink_sim, http_session):
    control = ewelink_sim.base_url("eu") + "/_sim/script"
    async with http_session.post(control, json={"kind": "status", "status": 429,
                                                "retry_after": 0.2, "times": 2,
                                                "path": "/api/user/device"}) as response:
        assert response.status == 200 and len((await response.json())["faults"]) == 1
    async with http_session.post(control, json={"kind": "nonsense"}) as response:
        assert response.status == 400
    assert len(await client.devices()) == 7
    async with http_session.get(control) as response:
        state = await response.json()
    assert state["faults"] == [] and [a[0] for a in state["applied"]] == ["status", "status"]
