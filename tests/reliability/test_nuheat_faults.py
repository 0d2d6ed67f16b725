"""The fault matrix for Nuheat: SiteKit's client, sign-in, live channel, thermostat service and
CLI against the real Nuheat simulator (identity server, OpenAPI v1, SignalR hub on loopback)
while it misbehaves on purpose (`sim.faults.script`, the hub, the sim's clock and grants).

Counts come from the simulator: `script.requests` sees every request to either app,
`script.applied` every fault served, `sim.requests` every API call that reached a handler.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict

import pytest

from app.core.clock import ClockSkew
from app.core.errors import AuthError, NetworkError, ProtocolError, RateLimited, SiteKitError, VendorError
from app.core.events import Event
from app.core.http import ReplyTooLarge, make_session
from app.core.settings import HttpSettings
from app.simulators.faults import HttpFault
from app.simulators.nuheat import NuheatSim
from app.vendors.nuheat.auth import NuheatAuth, NuheatTokens
from app.vendors.nuheat.client import ChangeOutcomeUnknown, NuheatClient
from app.vendors.nuheat.live import NuheatLive
from app.vendors.nuheat.models import ScheduleMode, ThermostatUpdateModel
from tests.integration.test_nuheat_auth import login_filler

THERMOSTAT = "/api/v1/Thermostat"
MASTER_BATH = "1270337"  # an Auto thermostat of the demo account
HUB = "/notificationsHost"


# ----- fixtures and helpers --------------------------------------------------------------------

@pytest.fixture
async def sim(secrets_used):
    simulator = NuheatSim(hub_ping_interval=0.5)
    await simulator.start("127.0.0.1", 0)
    secrets_used.update({simulator.password, simulator.client_secret})
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def session():
    # The app's own session factory (timeouts, the Date-header clock tracker).
    http = make_session(HttpSettings(timeout_seconds=10.0), ClockSkew())
    try:
        yield http
    finally:
        await http.close()


def remember(secrets_used: set[str], tokens: NuheatTokens | None) -> None:
    if tokens is not None:
        secrets_used.update(t for t in (tokens.access_token, tokens.refresh_token, tokens.id_token) if t)


async def sign_in(sim, session, secrets_used, **client_options) -> NuheatClient:
    auth = NuheatAuth(session, issuer=sim.issuer, client_id=sim.public_client_id,
                      on_tokens=lambda tokens: remember(secrets_used, tokens))
    await auth.sign_in(login_filler(sim.username, sim.password), timeout=10)
    client_options.setdefault("read_retry_backoff", 0.05)
    return NuheatClient(session, auth, api=sim.api, **client_options)


def api_calls(sim, method: str, path: str) -> int:
    """Calls that reached the simulator's handler (past the scripted faults and the guard)."""
    return sum(1 for r in sim.requests if r.method == method and r.path == path and r.allowed)


def site_file(sim, home) -> object:
    description = {"ewelink": {"region": "eu", "api": "http://127.0.0.1:9", "appid": "a", "appsecret": "s"},
                   "nuheat": {"issuer": sim.issuer, "api": sim.api, "client_id": sim.client_id,
                              "client_secret": sim.client_secret, "username": sim.username,
                              "password": sim.password}}
    path = home / "nuheat-site.json"
    path.write_text(json.dumps(description))
    return path


@pytest.fixture
async def workspace(sim, run_home, secrets_used):
    """The whole app (settings, event store, log) on a site file naming this simulator."""
    from app.services.workspace import Workspace

    ws = await Workspace.open(site_file=site_file(sim, run_home), store_events=True)
    await ws.nuheat.sign_in()
    remember(secrets_used, ws.nuheat.auth.tokens)
    ws.nuheat.auth.on_tokens = _chain(ws.nuheat.auth.on_tokens, lambda t: remember(secrets_used, t))
    try:
        yield ws
    finally:
        await ws.close()


def _chain(first, second):
    def both(tokens):
        first(tokens)
        second(tokens)
    return both


async def cli(sim, home, *argv: str, capsys) -> tuple[int, str, str]:
    from app.cli import build_parser
    from app.cli_nuheat import run

    args = build_parser().parse_args(["--site", str(site_file(sim, home)), "nuheat", *argv])
    code = await run(args)
    out = capsys.readouterr()
    return code, out.out, out.err


async def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)


# ----- 1. 429 storms ---------------------------------------------------------------------------

async def test_nuheat_429_storm(sim, session, secrets_used):
    client = await sign_in(sim, session, secrets_used)
    script = sim.faults.script
    script.storm(3, status=429, retry_after=0.3, path=THERMOSTAT, method="GET")
    started = time.monotonic()
    thermostats = await client.thermostats()
    # Retry-After honoured each time (the governor holds every caller), the call not lost.
    assert time.monotonic() - started >= 0.9
    assert sorted(t.serial_number for t in thermostats) == sorted(sim.demo_serials())
    assert script.served("status") == 3 and api_calls(sim, "GET", THERMOSTAT) == 1

    # A change refused with 429 was not acted on: repeating it is safe, and it lands once.
    script.storm(2, status=429, retry_after=0.2, path=THERMOSTAT, method="PUT")
    await client.update_thermostat(ThermostatUpdateModel.permanent_hold(MASTER_BATH, 2300))
    assert api_calls(sim, "PUT", THERMOSTAT) == 1 and sim.thermostat(MASTER_BATH).setPointTemp == 2300


async def test_nuheat_429_storm_longer_than_the_budget(sim, session, secrets_used):
    client = await sign_in(sim, session, secrets_used, max_rate_limited_retries=3)
    script = sim.faults.script
    script.storm(50, status=429, retry_after=0.1, path=THERMOSTAT)
    before = script.requests
    with pytest.raises(RateLimited) as caught:
        await client.thermostats()
    assert script.requests - before == 4  # the call and 3 retries, then the user is told
    assert "limiting" in caught.value.message and "Try again in 1 s" in caught.value.hint

    # A Retry-After beyond what one call may wait is not slept through: the user hears it at once.
    script.clear()
    script.storm(5, status=429, retry_after=600, path=THERMOSTAT)
    started, before = time.monotonic(), script.requests
    client.governor = type(client.governor)(client.governor.windows)  # forget the last hold
    with pytest.raises(RateLimited) as caught:
        await client.thermostats()
    assert script.requests - before == 1 and "600 s" in caught.value.hint
    # Nor is the next call held for ten minutes: it is refused at once, with the time left.
    with pytest.raises(RateLimited) as caught:
        await client.thermostats()
    assert script.requests - before == 1 and time.monotonic() - started < 30
    assert caught.value.retry_after > 500


async def test_nuheat_429_storm_cli(sim, run_home, capsys):
    sim.faults.script.storm(2, status=429, retry_after=0.3, path=THERMOSTAT, method="GET")
    code, out, err = await cli(sim, run_home, "thermostats", "--json", capsys=capsys)
    assert code == 0, err
    assert sorted(t["serial_number"] for t in json.loads(out)) == sorted(sim.demo_serials())
    assert sim.faults.script.served("status") == 2


# ----- 2. 5xx bursts ---------------------------------------------------------------------------

async def test_nuheat_5xx_burst_on_reads_is_retried(sim, session, secrets_used):
    client = await sign_in(sim, session, secrets_used)
    script = sim.faults.script
    script.storm(2, status=503, retry_after=None, path=THERMOSTAT, method="GET")
    assert len(await client.thermostats()) == len(sim.demo_serials())
    assert script.served("status") == 2 and api_calls(sim, "GET", THERMOSTAT) == 1

    # Connections dropped before the answer: a read is simply asked again.
    script.add(HttpFault("drop", path=THERMOSTAT, method="GET", times=3))
    assert len(await client.thermostats()) == len(sim.demo_serials())
    assert script.served("drop") == 3 and api_calls(sim, "GET", THERMOSTAT) == 2

    # A longer burst: bounded retries, then a clear error (never an endless loop).
    script.storm(20, status=500, retry_after=None, path=THERMOSTAT, method="GET")
    before = script.requests
    with pytest.raises(VendorError) as caught:
        await client.thermostats()
    assert script.requests - before == 1 + client.max_read_retries
    assert caught.value.code == 500 and "server had a problem" in caught.value.message


async def test_nuheat_5xx_on_a_change_is_not_repeated(sim, session, secrets_used):
    client = await sign_in(sim, session, secrets_used)
    script = sim.faults.script
    for path, call in ((THERMOSTAT, client.update_thermostat(ThermostatUpdateModel.permanent_hold(MASTER_BATH, 2400))),
                       ("/api/v1/Group", client.set_away((await client.groups())[0].group_id, True))):
        script.storm(5, status=503, retry_after=None, path=path, method="PUT")
        before = script.requests
        with pytest.raises(VendorError) as caught:
            await call
        assert script.requests - before == 1, f"a change to {path} was sent again"
        assert caught.value.code == 503 and "Refresh to see whether it took effect" in caught.value.hint
        script.clear()
    assert sim.thermostat(MASTER_BATH).setPointTemp != 2400


async def test_nuheat_5xx_at_the_token_endpoint_keeps_the_sign_in(sim, session, secrets_used):
    client = await sign_in(sim, session, secrets_used)
    sim.expire_access_tokens()
    sim.faults.script.storm(3, status=503, retry_after=None, path="/connect/token")
    with pytest.raises(VendorError) as caught:
        await client.account()
    # Not an AuthError: an outage must not send the user to the sign-in page, nor forget tokens.
    assert not isinstance(caught.value, AuthError) and "sign-in service is unavailable" in caught.value.message
    assert client.auth.tokens is not None
    sim.faults.script.clear()
    assert (await client.account()).email == sim.username  # the kept refresh token still works


async def test_nuheat_5xx_cli_set_is_not_repeated(sim, run_home, capsys):
    sim.faults.script.storm(5, status=502, retry_after=None, path=THERMOSTAT, method="PUT")
    code, out, err = await cli(sim, run_home, "set", MASTER_BATH, "--temp", "24", "--permanent", capsys=capsys)
    assert code == 1
    assert "server had a problem with the change" in err and "Traceback" not in err
    assert sim.faults.script.served("status") == 1


# ----- 3. SignalR drops ------------------------------------------------------------------------

class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def changes(self, device: str | None = None) -> list[Event]:
        return [e for e in self.events if e.kind != "connection" and (device is None or e.device == device)]


@pytest.fixture
async def live(sim, session, secrets_used):
    client = await sign_in(sim, session, secrets_used)

    async def reread(kind: int, item_id: str):
        return asdict(await client.thermostat(item_id)) if kind == 2 else None

    channel = NuheatLive.from_auth(session, client.auth, api=sim.api, refresh=reread, debounce=0.1,
                                   backoff=(0, 0.2, 0.4), ping_interval=0.5, silence_timeout=5)
    channel.recorder = Recorder()
    channel.subscribe(channel.recorder)
    await channel.start()
    await channel.wait_online(10)
    try:
        yield channel
    finally:
        await channel.stop()


def subscribed_types(sim) -> list[set[str]]:
    return [{t for t, n in c.subscriptions.items() if n > 0} for c in sim.hub.connections]


async def test_nuheat_signalr_drop(sim, live):
    recorder = live.recorder
    serials = sim.demo_serials()[:2]
    sim.faults.notify_twice = True  # the real hub repeats itself too
    for round_ in range(3):
        sim.change_on_thermostat(serials[0], currentTemperature=2000 + round_)
        await wait_for(lambda: len(recorder.changes(serials[0])) == round_ + 1)
        await sim.hub.drop_connections()
        await wait_for(lambda: live.connections == round_ + 2 and live.status == "online")
        # Restored: one connection, subscribed to every type again.
        assert subscribed_types(sim) == [{"1", "2", "3", "4"}]
    sim.change_on_thermostat(serials[1], currentTemperature=1900)
    await wait_for(lambda: len(recorder.changes(serials[1])) == 1)
    await asyncio.sleep(0.5)  # room for a late duplicate to show up
    assert len(recorder.changes(serials[0])) == 3 and len(recorder.changes(serials[1])) == 1
    online = [e for e in recorder.events if e.kind == "connection" and e.payload["status"] == "online"]
    assert [e.payload.get("resync") for e in online] == [False, True, True, True]


async def test_nuheat_signalr_upgrade_refused_then_back(sim, live):
    script = sim.faults.script
    script.storm(3, status=503, retry_after=None, path=HUB)
    handshakes = sim.hub.handshakes
    await sim.hub.drop_connections()
    await wait_for(lambda: script.served("status") == 3 and live.status == "online")
    assert sim.hub.handshakes == handshakes + 1  # one good connection after three refusals
    reconnecting = [e.payload["message"] for e in live.recorder.events
                    if e.kind == "connection" and e.payload["status"] == "reconnecting"]
    assert len(reconnecting) == 4 and "HTTP 503" in reconnecting[-1]  # the drop, then three refusals
    # Backing off (the fixture's steps 0, 0.2, 0.4 s; the last one repeats).
    assert [m.rsplit("retrying in ", 1)[1] for m in reconnecting] == ["0 s.", "0.2 s.", "0.4 s.", "0.4 s."]
    sim.change_on_thermostat(sim.demo_serials()[0], currentTemperature=1800)
    await wait_for(lambda: len(live.recorder.changes()) == 1)


async def test_nuheat_signalr_unreadable_frames_reconnect(sim, live):
    for bad in ("{not json\x1e", "x" * (1024 * 1024 + 16)):  # not JSON; bigger than max_msg_size
        connections = live.connections
        connection = next(iter(sim.hub.connections))
        await connection.ws.send_str(bad)
        await wait_for(lambda: live.connections == connections + 1 and live.status == "online")
    messages = [e.payload["message"] for e in live.recorder.events
                if e.kind == "connection" and e.payload["status"] == "reconnecting"]
    assert "not JSON" in messages[0] and "cannot read" in messages[1]
    sim.change_on_thermostat(sim.demo_serials()[0], currentTemperature=1850)
    await wait_for(lambda: len(live.recorder.changes()) == 1)


async def test_nuheat_signalr_drop_through_the_service(sim, workspace):
    """The feed counts: one event per change across drops, none lost after a reconnect."""
    ws = workspace
    feed: list[Event] = []
    ws.feed.subscribe(feed.append)
    await ws.thermostats.refresh()
    await ws.thermostats.start_live()
    await ws.thermostats.wait_live_online(10)
    serial = sim.demo_serials()[0]

    def changes() -> list[Event]:
        return [e for e in feed if e.kind == "thermostat" and e.device == serial]

    sim.change_on_thermostat(serial, currentTemperature=2100)
    await wait_for(lambda: len(changes()) == 1)
    await sim.hub.drop_connections()
    await wait_for(lambda: ws.thermostats.live_status == "online" and bool(sim.hub.connections))
    sim.change_on_thermostat(serial, currentTemperature=2110)
    await wait_for(lambda: len(changes()) == 2)
    await asyncio.sleep(1.5)  # the debounce window and a late duplicate
    assert len(changes()) == 2
    assert ws.thermostats.get(serial).current_temperature == 2110


# ----- 4. expired and revoked tokens -----------------------------------------------------------

async def test_nuheat_expired_access_token_is_refreshed(sim, session, secrets_used):
    client = await sign_in(sim, session, secrets_used)
    sim.expire_access_tokens()
    before, tokens_before = sim.faults.script.requests, sim.token_requests
    assert (await client.account()).email == sim.username
    # The refused call, one refresh, the call again.
    assert sim.faults.script.requests - before == 3 and sim.token_requests == tokens_before + 1


@pytest.mark.parametrize("how", ["revoked", "expired"])
async def test_nuheat_revoked_token_asks_to_sign_in_again(sim, session, secrets_used, how):
    client = await sign_in(sim, session, secrets_used)
    if how == "revoked":
        sim.revoke_user_grants(sim.username)  # the user withdrew SiteKit's access
    else:
        sim.expire_refresh_tokens()  # 15 days without use
    sim.expire_access_tokens()
    before = sim.faults.script.requests
    with pytest.raises(AuthError) as caught:
        await client.thermostats()
    assert caught.value.code == "invalid_grant" and how in caught.value.message
    assert "Sign in to Nuheat again" in caught.value.hint
    assert sim.faults.script.requests - before == 2  # the refused call and one refresh: no loop
    assert client.auth.tokens is None  # forgotten: the GUI shows the sign-in page
    with pytest.raises(AuthError) as again:
        await client.thermostats()
    assert again.value.code == "signed_out" and sim.faults.script.requests - before == 2


async def test_nuheat_lost_reply_to_a_renewal(sim, session, secrets_used):
    """Nuheat rotated the refresh token but its answer never came: the one we hold is dead.
    SiteKit does not loop on it; it says what happened and asks for a new sign-in."""
    client = await sign_in(sim, session, secrets_used)
    sim.expire_access_tokens()
    sim.faults.script.add(HttpFault("drop_after", path="/connect/token"))
    before = sim.faults.script.requests
    with pytest.raises(NetworkError):
        await client.account()
    assert sim.faults.script.requests - before == 2  # the refused call, the renewal (lost)
    with pytest.raises(AuthError) as caught:
        await client.account()
    assert "answer was lost" in caught.value.message and "Sign in to Nuheat again" in caught.value.hint
    assert sim.faults.script.requests - before == 4 and client.auth.tokens is None


async def test_nuheat_401_storm_is_bounded(sim, session, secrets_used):
    client = await sign_in(sim, session, secrets_used)
    sim.faults.script.storm(100, status=401, retry_after=None, path="/api/v1/")
    before = sim.faults.script.requests
    with pytest.raises(AuthError) as caught:
        await client.thermostats()
    assert sim.faults.script.requests - before == 3  # call, one refresh, call: then stop
    assert "no longer accepts" in caught.value.message


async def test_nuheat_revoked_token_stops_the_live_channel(sim, live):
    sim.revoke_user_grants(sim.username)
    sim.expire_access_tokens()  # the hub closes connections whose token expired
    before = sim.faults.script.requests
    await wait_for(lambda: live.status == "signed_out")
    assert isinstance(live.last_error, AuthError) and "revoked" in live.last_error.message
    await asyncio.sleep(1.0)
    # One upgrade refused, one refresh refused: then it waits for the user, no loop.
    assert sim.faults.script.requests - before <= 3 and live.status == "signed_out"


# ----- 5. the same sign-in used elsewhere ------------------------------------------------------

async def test_nuheat_second_login_elsewhere(sim, session, secrets_used):
    ours = await sign_in(sim, session, secrets_used)
    # The same person signs in on another computer: Nuheat keeps both sign-ins.
    other = await sign_in(sim, session, secrets_used)
    assert (await other.account()).email == sim.username
    assert (await ours.account()).email == sim.username

    # Our stored tokens copied to another install, which refreshed first: refresh tokens are
    # one-time, so ours is dead. A clear re-sign-in prompt, after one attempt.
    copy = NuheatAuth(session, issuer=sim.issuer, client_id=sim.public_client_id,
                      tokens=NuheatTokens.from_json(ours.auth.tokens.to_json()),
                      on_tokens=lambda tokens: remember(secrets_used, tokens))
    await copy.refresh()
    sim.expire_access_tokens()
    before = sim.faults.script.requests
    with pytest.raises(AuthError) as caught:
        await ours.account()
    assert "already used elsewhere" in caught.value.message and caught.value.hint == "Sign in to Nuheat again."
    assert sim.faults.script.requests - before == 2 and ours.auth.tokens is None


# ----- 6. clock skew ---------------------------------------------------------------------------

@pytest.mark.parametrize("offset", [600, -600])
async def test_nuheat_clock_skew(sim, session, secrets_used, offset):
    sim.faults.clock_offset = offset
    before = sim.faults.script.requests
    # The id_token's iat/exp are the server's: checked against the server's clock (from Date).
    client = await sign_in(sim, session, secrets_used)
    assert abs(client.auth.skew.offset - offset) < 5
    assert sim.token_requests == 1  # signed in on the first try
    assert (await client.account()).email == sim.username
    await client.auth.refresh()  # a renewed id_token is checked the same way
    assert (await client.account()).email == sim.username
    assert sim.faults.script.requests - before < 12


async def test_nuheat_clock_skew_hold_limits_use_nuheat_time(sim, workspace):
    """A hold's end is checked by Nuheat's clock: SiteKit refuses what Nuheat would refuse."""
    from datetime import datetime, timedelta, timezone

    from app.services.thermostats import ModeInvalid

    sim.faults.clock_offset = 600  # Nuheat is 10 minutes ahead of the laptop
    await workspace.thermostats.refresh()  # answers carry the server's Date
    await workspace.nuheat.auth.refresh()
    laptop_now = datetime.now(timezone.utc)
    with pytest.raises(ModeInvalid):  # 5 min ahead by the laptop is 5 min ago for Nuheat
        await workspace.thermostats.set_mode(MASTER_BATH, ScheduleMode.HOLD, 2200,
                                             laptop_now + timedelta(minutes=5))
    # 22 h 55 min ahead by the laptop is 22 h 45 min for Nuheat: within its 23 hours.
    held = await workspace.thermostats.set_mode(MASTER_BATH, ScheduleMode.HOLD, 2200,
                                                laptop_now + timedelta(hours=22, minutes=55))
    assert held.schedule_mode == ScheduleMode.HOLD


# ----- 7. lost reply to a change ---------------------------------------------------------------

async def test_nuheat_lost_reply_to_a_change(sim, session, secrets_used):
    client = await sign_in(sim, session, secrets_used)
    for kind in ("drop", "drop_after"):
        sim.faults.script.add(HttpFault(kind, path=THERMOSTAT, method="PUT"))
        before = sim.faults.script.requests
        with pytest.raises(ChangeOutcomeUnknown) as caught:
            await client.update_thermostat(ThermostatUpdateModel.permanent_hold(MASTER_BATH, 2450))
        assert sim.faults.script.requests - before == 1, "a change whose answer was lost was sent again"
        assert "may or may not have been applied" in caught.value.message
        assert "the connection closed before Nuheat answered" in caught.value.message
        assert "before sending it again" in caught.value.hint
    assert sim.thermostat(MASTER_BATH).setPointTemp == 2450  # the drop_after one acted


async def test_nuheat_lost_reply_through_the_service(sim, workspace):
    ws = workspace
    feed: list[Event] = []
    ws.feed.subscribe(feed.append)
    await ws.thermostats.refresh()
    script = sim.faults.script

    # Lost before Nuheat acted: SiteKit reads the thermostat, sees it unchanged, and says so.
    script.add(HttpFault("drop", path=THERMOSTAT, method="PUT"))
    with pytest.raises(ChangeOutcomeUnknown):
        await ws.thermostats.set_mode(MASTER_BATH, ScheduleMode.PERMANENT_HOLD, 2550)
    assert api_calls(sim, "PUT", THERMOSTAT) == 0
    assert [e.payload["result"] for e in feed if e.kind == "mode"] == ["unknown"]

    # Lost after Nuheat acted: reading it back shows the change, so it is reported done.
    script.add(HttpFault("drop_after", path=THERMOSTAT, method="PUT"))
    after = await ws.thermostats.set_mode(MASTER_BATH, ScheduleMode.PERMANENT_HOLD, 2550)
    assert after.set_point_temp == 2550 and api_calls(sim, "PUT", THERMOSTAT) == 1
    assert [e.payload["result"] for e in feed if e.kind == "mode"] == ["unknown", "ok"]

    # A schedule save whose answer was lost after it was saved: read back, found saved.
    state = await ws.thermostats.schedule(MASTER_BATH)
    schedule = state.schedule
    for day in schedule.days:  # every day of a week-day group keeps the same events
        day.events[0].temperature += 50
    script.add(HttpFault("drop_after", path="/api/v1/Schedule", method="PUT"))
    saved = await ws.thermostats.save_schedule(schedule)
    assert saved.days[0].events[0].temperature == schedule.days[0].events[0].temperature
    assert api_calls(sim, "PUT", "/api/v1/Schedule") == 1


async def test_nuheat_lost_reply_cli(sim, run_home, capsys):
    sim.faults.script.add(HttpFault("drop", path=THERMOSTAT, method="PUT"))
    code, out, err = await cli(sim, run_home, "set", MASTER_BATH, "--temp", "25", "--permanent", capsys=capsys)
    assert code == 1 and "Traceback" not in err
    assert "No answer from Nuheat to the mode change" in err and "Refresh the thermostats" in err
    assert sim.faults.script.served("drop") == 1 and api_calls(sim, "PUT", THERMOSTAT) == 0


# ----- 8. malformed, truncated and oversized replies -------------------------------------------

@pytest.mark.parametrize("kind", ["malformed", "truncate", "oversize"])
async def test_nuheat_bad_replies(sim, session, secrets_used, kind):
    client = await sign_in(sim, session, secrets_used)
    script = sim.faults.script
    script.add(HttpFault(kind, path=THERMOSTAT, method="GET"))
    before = script.requests
    with pytest.raises(ProtocolError) as caught:
        await asyncio.wait_for(client.thermostats(), 30)
    assert script.requests - before == 1
    expected = {"malformed": "broken JSON", "truncate": "cut off", "oversize": "SiteKit stopped reading"}[kind]
    assert expected in caught.value.message
    if kind == "oversize":
        assert isinstance(caught.value, ReplyTooLarge)
    assert len(await client.thermostats()) == len(sim.demo_serials())  # and the next call is fine

    # A change Nuheat accepted stays accepted whatever its body looks like: no error, no repeat.
    script.add(HttpFault(kind, path=THERMOSTAT, method="PUT"))
    await client.update_thermostat(ThermostatUpdateModel.permanent_hold(MASTER_BATH, 2150))


@pytest.mark.parametrize("kind", ["malformed", "truncate", "oversize"])
async def test_nuheat_bad_replies_from_the_identity_server(sim, session, secrets_used, kind):
    client = await sign_in(sim, session, secrets_used)
    sim.expire_access_tokens()
    sim.faults.script.add(HttpFault(kind, path="/connect/token"))
    with pytest.raises(ProtocolError):
        await asyncio.wait_for(client.account(), 30)
    # Discovery itself, on a fresh start.
    fresh = NuheatAuth(session, issuer=sim.issuer, client_id=sim.public_client_id)
    sim.faults.script.add(HttpFault(kind, path="/.well-known/openid-configuration"))
    with pytest.raises(ProtocolError):
        await asyncio.wait_for(fresh.discover(), 30)
    assert (await fresh.discover()).token_endpoint.endswith("/connect/token")


async def test_nuheat_bad_reply_cli(sim, run_home, capsys):
    sim.faults.script.add(HttpFault("malformed", path=THERMOSTAT, method="GET", times=10))
    code, out, err = await cli(sim, run_home, "thermostats", capsys=capsys)
    assert code == 1 and "Traceback" not in err and "broken JSON" in err


async def test_nuheat_slow_reply_is_bounded(sim, session, secrets_used):
    """A server that never answers: the request times out (bounded), once, and says so."""
    client = await sign_in(sim, session, secrets_used, max_read_retries=1, request_timeout=0.5)
    # (2 s: the simulator's shutdown waits for the delayed handlers)
    sim.faults.script.add(HttpFault("delay", seconds=2, path=THERMOSTAT, method="GET"))
    before = sim.faults.script.requests
    with pytest.raises(SiteKitError) as caught:
        await asyncio.wait_for(client.thermostats(), 20)
    assert isinstance(caught.value, NetworkError) and "did not answer" in caught.value.message
    assert "no answer within 0.5 s; tried 1 time" in caught.value.message
    assert sim.faults.script.requests - before == 1  # a silent server is not asked again at once
