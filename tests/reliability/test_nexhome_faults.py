"""The fault matrix for NEXhome: SiteKit's client, Building service and CLI against the real
simulator on loopback, with faults scripted on `sim.faults` (FaultScript and the simulator's
own knobs). One test per row; each asserts the outcome and counts requests at the simulator.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest

from app.core.errors import AuthError, NetworkError, ProtocolError, RateLimited, VendorError
from app.core.events import Event
from app.core.http import ReplyTooLarge
from app.core.store import EventStore
from app.services.building import Building, CommandNeedsDecision
from app.services.feed import Feed
from app.services.messaging import Messaging
from app.services.site import SiteProfile
from app.simulators.faults import HttpFault
from app.simulators.nexhome import MAIN_ENTRANCE, NexhomeSim
from app.simulators.nxcloud import NxcloudSim
from app.vendors.nexhome import client as nexhome_client
from app.vendors.nexhome.client import CommandOutcomeUnknown, NexhomeClient

PREFIX = "/api/v1/cits"
DEVICES = f"{PREFIX}/devices"
ACCESS = f"{PREFIX}/access/{MAIN_ENTRANCE}"
UNLOCK = f"{ACCESS}/unlock"
MQ = f"{PREFIX}/mq/consumers"
REDELIVERY = 0.3


# -- fixtures and helpers (the NXCloud file imports the helpers) ----------------------------

@pytest.fixture
def note_secret(secrets_used):
    """Every secret a row uses: the final scan looks for them in what the run left behind."""
    return secrets_used.add


@pytest.fixture
async def sim(note_secret):
    sim = NexhomeSim(redelivery_seconds=REDELIVERY, max_pull_wait=0.3)
    note_secret(sim.app_secret)
    await sim.start("127.0.0.1", 0)
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
def session(http_session):
    """The app's own session (conftest): timeouts and the Date-header clock tracker."""
    return http_session


@pytest.fixture
def client(sim, session, clock):
    return NexhomeClient(session, api=sim.api, developer_id=sim.developer_id, app_id=sim.app_id,
                         app_secret=sim.app_secret, clock=clock, request_timeout=5.0,
                         command_timeout=3.0)


def site_description(nexhome: NexhomeSim | None = None, nxcloud: NxcloudSim | None = None,
                     overrides: dict | None = None) -> dict:
    """What `sitekit sim` prints, for just these simulators (eWeLink points nowhere: the
    NEXhome and NXCloud commands never use it)."""
    description = {"ewelink": {"region": "eu", "appid": "unused", "appsecret": "unused",
                               "api": "http://127.0.0.1:9"}}
    if nexhome is not None:
        description["nexhome"] = nexhome.describe()
    if nxcloud is not None:
        description["nxcloud"] = nxcloud.describe()
    for name, values in (overrides or {}).items():
        description[name] = {**description[name], **values}
    return description


@pytest.fixture
async def building(sim, session, clock, run_home):
    """The Building service as the workspace builds it, on a real SQLite store (in the
    folder the secret scan reads)."""
    profile = SiteProfile.from_description(site_description(sim), key="faults", label="Faults")
    store = EventStore(run_home / "events.db")
    feed = Feed(store, flush_delay=0.05)
    messaging = Messaging(profile, session, clock, feed)
    building = Building(profile, session, clock, feed, store, messaging, actor="tester")
    try:
        yield building
    finally:
        await building.stop_live()
        await feed.close()
        await store.close()


def sim_calls(sim: NexhomeSim, path: str, method: str = "") -> list:
    return [r for r in sim.requests if r.path == path and (not method or r.method == method)]


async def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)


class SimsInThread:
    """The simulators on their own loop in a thread, so `app.cli.main` (which runs its own
    asyncio loop) can be called from the test's thread like a user's shell calls it."""

    def __init__(self, nexhome: bool = True, nxcloud: bool = True) -> None:
        self._want = (nexhome, nxcloud)
        self.nexhome: NexhomeSim | None = None
        self.nxcloud: NxcloudSim | None = None

    def __enter__(self) -> "SimsInThread":
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.run(self._start())
        return self

    def run(self, coro, timeout: float = 20.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _start(self) -> None:
        if self._want[0]:
            self.nexhome = NexhomeSim(redelivery_seconds=REDELIVERY, max_pull_wait=0.3)
            await self.nexhome.start("127.0.0.1", 0)
        if self._want[1]:
            self.nxcloud = NxcloudSim(result_delay_seconds=0.2)
            await self.nxcloud.start("127.0.0.1", 0)

    async def _stop(self) -> None:
        for sim in (self.nexhome, self.nxcloud):
            if sim is not None:
                await sim.stop()

    def site_file(self, path: Path, **overrides) -> Path:
        path.write_text(json.dumps(site_description(self.nexhome, self.nxcloud, overrides)) + "\n",
                        encoding="utf-8")
        return path

    def __exit__(self, *exc_info) -> None:
        try:
            self.run(self._stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    from app.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- 1. 429 storms ----------------------------------------------------------------------------

async def test_nexhome_429_storm(client, sim):
    """Retry-After honoured on every 429, and the read succeeds: no request lost."""
    sim.faults.script.storm(3, retry_after=0.4, path=DEVICES, method="GET")
    started = time.monotonic()
    devices = await client.devices()
    elapsed = time.monotonic() - started
    assert len(devices) == len(sim.building.devices)
    assert sim.faults.script.served("status") == 3
    assert elapsed >= 3 * 0.4  # waited at least what it was told, three times
    pages = len(sim_calls(sim, DEVICES))
    assert sim.faults.script.requests == pages + 3  # each refusal sent again once, no more


async def test_nexhome_429_storm_on_unlock_keeps_the_request_id(client, sim):
    """A 429 was refused before acting: the unlock waits and goes through, the door opens
    once, under the one REQUEST-ID."""
    sim.faults.script.storm(2, retry_after=0.2, path=UNLOCK, method="POST")
    result = await client.unlock(MAIN_ENTRANCE)
    assert result.opened and sim.door(MAIN_ENTRANCE).openings == 1
    assert sim.faults.script.requests == 3 and sim.repeats == 0
    assert [key[1] for key in sim.commands] == [result.request_id]


async def test_nexhome_429_storm_that_does_not_end(client, sim):
    """Bounded: a storm longer than the client's patience, or a Retry-After too long to sit
    through, is a clear RateLimited error, never a loop."""
    sim.faults.script.storm(100, retry_after=0.01, path=ACCESS, method="GET")
    with pytest.raises(RateLimited) as caught:
        await client.door(MAIN_ENTRANCE)
    assert "still limiting" in caught.value.message
    assert sim.faults.script.requests == nexhome_client.MAX_RATE_WAITS + 1
    sim.faults.script.clear()
    sim.faults.script.storm(1, retry_after=600, path=ACCESS, method="GET")
    with pytest.raises(RateLimited) as caught:
        await client.door(MAIN_ENTRANCE)
    assert "600 s" in caught.value.message and caught.value.retry_after == 600
    assert sim.faults.script.requests == nexhome_client.MAX_RATE_WAITS + 2


# -- 2. 5xx bursts ----------------------------------------------------------------------------

@pytest.fixture
def quick_retries(monkeypatch):
    """The product's re-read waits (0.5 s, 1.5 s) shortened: the rows count requests."""
    monkeypatch.setattr(nexhome_client, "READ_RETRY_DELAYS", (0.05, 0.1))


async def test_nexhome_5xx_burst_read_retried(client, sim, quick_retries):
    sim.faults.script.storm(2, status=503, retry_after=None, path=ACCESS, method="GET")
    door = await client.door(MAIN_ENTRANCE)
    assert door.id == MAIN_ENTRANCE
    assert sim.faults.script.requests == 3


async def test_nexhome_5xx_burst_read_bounded(client, sim, quick_retries):
    sim.faults.script.storm(50, status=500, retry_after=None, path=ACCESS, method="GET")
    with pytest.raises(VendorError) as caught:
        await client.door(MAIN_ENTRANCE)
    assert "problem on its side" in caught.value.message
    assert sim.faults.script.requests == len(nexhome_client.READ_RETRY_DELAYS) + 1


async def test_nexhome_5xx_on_unlock_not_retried(building, sim):
    """A command is never repeated on its own: one request, a clear error, audited."""
    sim.faults.script.storm(5, status=503, retry_after=None, path=UNLOCK, method="POST")
    with pytest.raises(VendorError) as caught:
        await building.unlock(MAIN_ENTRANCE)
    assert caught.value.code == 503 and "problem on its side" in caught.value.message
    assert sim.faults.script.requests == 1
    assert sim.door(MAIN_ENTRANCE).openings == 0
    [entry] = await building.audit()
    assert entry.outcome == "failed"


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_nexhome_5xx_on_commands_is_an_unknown_outcome(client, sim, status):
    """Unlike 503 (not taken on), a 500, 502 or 504 may come after the door or lift was
    told to move: the outcome is unknown and nothing is repeated."""
    from app.simulators.nexhome import ELEVATOR

    sim.faults.script.storm(5, status=status, retry_after=None, path=f"{PREFIX}/elevators")
    with pytest.raises(CommandOutcomeUnknown) as caught:
        await client.call_elevator(ELEVATOR, 0, 5)
    assert f"HTTP {status}" in caught.value.message
    sim.faults.script.storm(5, status=status, retry_after=None, path=UNLOCK)
    with pytest.raises(CommandOutcomeUnknown):
        await client.unlock(MAIN_ENTRANCE)
    assert sim.faults.script.requests == 2


# -- 3. the message pull (live channel) ---------------------------------------------------------

def live_counts(events: list[Event]):
    access = [e for e in events if e.kind == "access"]
    return access, {e.payload["messageId"] for e in access}


async def stored_access(store: EventStore) -> list[Event]:
    return [e for e in await store.recent(1000, vendor="nexhome") if e.kind == "access"]


async def start_live(building: Building, sim: NexhomeSim) -> list[Event]:
    events: list[Event] = []
    building._feed.subscribe(events.append)
    await building.start_live()
    # The product's backoff (1, 5, 15, 60 s) is right on site; here it would only make the
    # suite slow. Read by the reconnect loop at each failure.
    building._live.backoff = (0.05, 0.1, 0.2)
    await wait_until(lambda: building.live_status == "online")
    return events


async def test_nexhome_message_pull_dropped(building, sim):
    """The pull's connection is cut (before and after NEXhome handed messages out): the
    channel reconnects with backoff on a new consumer, and every access record arrives once."""
    events = await start_live(building, sim)
    first = sim.resident_at_door(MAIN_ENTRANCE)
    await wait_until(lambda: len(live_counts(events)[0]) == 1)
    script = sim.faults.script
    consumer = building._live.consumer_id
    pull = f"{MQ}/{consumer}/messages"
    script.add(HttpFault("drop", path=pull, method="POST"))
    published = [*first, *sim.resident_at_door(MAIN_ENTRANCE)]
    await wait_until(lambda: building._live.connections >= 2, timeout=15)
    # Pulling on: the next pull is handed its messages, and the answer is lost.
    script.add(HttpFault("drop_after", path=pull, method="POST"))
    published += sim.resident_at_door(MAIN_ENTRANCE) + sim.resident_at_door(MAIN_ENTRANCE)
    await wait_until(lambda: len(live_counts(events)[0]) == 4, timeout=20)
    await asyncio.sleep(REDELIVERY * 3)  # room for a duplicate to show up, if there were one
    access, ids = live_counts(events)
    assert len(access) == 4 and ids == {m.id for m in published}
    assert script.served("drop") == 1 and script.served("drop_after") == 1
    assert building._live.connections >= 3  # reconnected after each
    # The same consumer pulls on: none left behind on NEXhome's side.
    assert building._live.consumer_id == consumer
    assert sim.queue(sim.app_id).consumers == {consumer}
    assert len(sim_calls(sim, MQ, "POST")) == 1
    assert building.live_status == "online"
    await building._feed.flush()
    assert len(await stored_access(building._store)) == 4


async def test_nexhome_message_redelivery_stored_once(building, sim):
    """Our commits are lost (connection dropped after NEXhome stored nothing, then a 500):
    NEXhome delivers the same messages again, and SiteKit stores and shows each once."""
    events = await start_live(building, sim)
    offsets = f"{MQ}/{building._live.consumer_id}/offsets"
    sim.faults.script.add(HttpFault("drop", path=offsets, method="POST"))
    sim.faults.commit_status = 500
    published = sim.resident_at_door(MAIN_ENTRANCE) + sim.resident_at_door(MAIN_ENTRANCE)
    await wait_until(lambda: max((m.deliveries for m in published), default=0) >= 2, timeout=20)
    sim.faults.commit_status = None
    await wait_until(lambda: not sim.queue(sim.app_id).uncommitted(), timeout=20)
    access, ids = live_counts(events)
    assert len(access) == 2 and ids == {m.id for m in published}
    assert building._live.redeliveries >= 2
    await building._feed.flush()
    assert len(await stored_access(building._store)) == 2


async def test_nexhome_consumer_lost_is_replaced(building, sim):
    events = await start_live(building, sim)
    before = building._live.consumer_id
    sim.drop_consumers()
    published = sim.resident_at_door(MAIN_ENTRANCE)
    await wait_until(lambda: len(live_counts(events)[0]) == 1, timeout=15)
    assert building._live.consumer_id not in (None, before)
    assert live_counts(events)[1] == {m.id for m in published}


# -- 4. bad and revoked app secret --------------------------------------------------------------

async def test_nexhome_bad_app_secret(sim, session, clock, note_secret):
    wrong = "0" * 32
    note_secret(wrong)
    client = NexhomeClient(session, api=sim.api, developer_id=sim.developer_id,
                           app_id=sim.app_id, app_secret=wrong, clock=clock)
    with pytest.raises(AuthError) as caught:
        await client.devices()
    assert "app secret" in caught.value.hint
    assert len(sim.requests) == 1  # no retry loop on a refusal


async def test_nexhome_revoked_secret_stops_the_live_channel(building, sim, note_secret):
    """The app secret is changed on the platform while SiteKit is subscribed: the channel
    stops with the re-enter-credentials message, and does not keep knocking."""
    events = await start_live(building, sim)
    revoked = "f" * 32
    note_secret(revoked)
    sim.apps[sim.app_id].app_secret = revoked
    await wait_until(lambda: building.live_status == "signed_out", timeout=15)
    refused = len([r for r in sim.requests if r.refused == 401])
    await asyncio.sleep(1.0)  # a loop would show here in hundreds
    assert len([r for r in sim.requests if r.refused == 401]) == refused <= 2
    [last] = [e for e in events if e.kind == "connection"][-1:]
    assert last.payload["status"] == "signed_out"
    assert "Settings" in last.payload.get("hint", "") + last.payload["message"]


def test_nexhome_bad_app_secret_cli(tmp_path, run_home, capsys, note_secret):
    wrong = "1" * 32
    note_secret(wrong)
    with SimsInThread(nxcloud=False) as sims:
        note_secret(sims.nexhome.app_secret)
        site = sims.site_file(tmp_path / "site.json", nexhome={"app_secret": wrong})
        code, out, err = run_cli(capsys, "--site", str(site), "nexhome", "doors")
        assert code == 1
        assert "NEXhome refused" in err and "app secret" in err and "Traceback" not in err
        assert len(sims.nexhome.requests) <= 3  # devices, persons, rooms read together; no loop


# -- 6. clock skew ------------------------------------------------------------------------------

@pytest.mark.parametrize("offset", [600, -600])
async def test_nexhome_clock_skew(client, sim, clock, offset):
    sim.faults.clock_offset = offset
    door = await client.door(MAIN_ENTRANCE)
    assert door.id == MAIN_ENTRANCE
    assert abs(clock.offset - offset) < 5
    assert [r.refused for r in sim.requests] == [401, None]  # accepted on the first retry
    result = await client.unlock(MAIN_ENTRANCE)
    assert result.opened and sim.door(MAIN_ENTRANCE).openings == 1
    assert [r.refused for r in sim.requests][2:] == [None]  # corrected for good


# -- 7. lost reply to a command ------------------------------------------------------------------

async def test_nexhome_unlock_reply_lost(building, sim):
    """The door opened, the answer was lost: SiteKit says so, does not repeat the unlock,
    and an explicit retry reuses the REQUEST-ID so the door does not open twice."""
    sim.faults.script.add(HttpFault("drop_after", path=UNLOCK, method="POST"))
    with pytest.raises(CommandNeedsDecision) as caught:
        await building.unlock(MAIN_ENTRANCE)
    exc = caught.value
    assert "may or may not" in exc.message and "Check on site" in exc.hint
    assert sim.door(MAIN_ENTRANCE).openings == 1
    assert len(sim_calls(sim, UNLOCK)) == 1  # never silently repeated
    [entry] = await building.audit()
    assert entry.outcome == "unknown" and entry.request_id == exc.request_id
    result = await building.unlock(MAIN_ENTRANCE, request_id=exc.request_id)
    assert result.opened and sim.repeats == 1 and sim.door(MAIN_ENTRANCE).openings == 1


async def test_nexhome_unlock_answer_too_slow(sim, http_session, clock):
    """No answer within the command timeout is the same as a lost answer: unknown, and not
    repeated (whether the server still acts on a request whose client gave up is its own
    business: here the connection closes under it)."""
    client = NexhomeClient(http_session, api=sim.api, developer_id=sim.developer_id,
                           app_id=sim.app_id, app_secret=sim.app_secret, clock=clock,
                           command_timeout=0.5)
    sim.faults.script.add(HttpFault("delay", seconds=1.5, path=UNLOCK, method="POST"))
    with pytest.raises(CommandOutcomeUnknown) as caught:
        await client.unlock(MAIN_ENTRANCE)
    assert "no answer in time" in caught.value.message
    await asyncio.sleep(1.5)
    assert sim.faults.script.requests == 1 and sim.door(MAIN_ENTRANCE).openings <= 1


async def test_nexhome_issue_credential_reply_lost(building, sim, note_secret):
    """Not a door command, but not harmless to repeat either: a PIN issued twice is two
    valid PINs. The lost answer says it may have been done and to look first."""
    person = next(iter(sim.building.persons))
    path = f"{PREFIX}/persons/{person}/credentials"
    sim.faults.script.add(HttpFault("drop_after", path=path, method="POST"))
    with pytest.raises(NetworkError) as caught:
        await building.issue_credential(person, "PIN")
    assert "may or may not" in caught.value.message and "twice" in caught.value.hint
    assert len(sim_calls(sim, path, "POST")) == 1 and len(sim.credentials) == 1
    for credential in sim.credentials.values():
        note_secret(credential["content"])


@pytest.mark.parametrize("kind", ["truncate", "malformed", "oversize"])
async def test_nexhome_unlock_unreadable_reply_is_unknown(client, sim, kind):
    """Something answered the unlock but not readably: the outcome is unknown, not an error
    that invites pressing the button again."""
    sim.faults.script.add(HttpFault(kind, path=UNLOCK, method="POST"))
    with pytest.raises(CommandOutcomeUnknown) as caught:
        await client.unlock(MAIN_ENTRANCE)
    assert caught.value.request_id and sim.faults.script.requests == 1


def test_nexhome_unlock_reply_lost_cli(tmp_path, run_home, capsys, note_secret):
    with SimsInThread(nxcloud=False) as sims:
        note_secret(sims.nexhome.app_secret)
        site = sims.site_file(tmp_path / "site.json")
        sims.nexhome.faults.script.add(HttpFault("drop_after", path=UNLOCK, method="POST"))
        code, out, err = run_cli(capsys, "--site", str(site), "nexhome", "unlock", MAIN_ENTRANCE,
                                 "--yes")
        assert code == 3, err
        assert "may or may not" in err and "--request-id" in err and "Traceback" not in err
        assert sims.nexhome.door(MAIN_ENTRANCE).openings == 1
        assert len(sim_calls(sims.nexhome, UNLOCK)) == 1
        retry = next(line for line in err.splitlines() if "--request-id" in line).split()
        request_id = retry[retry.index("--request-id") + 1]
        code, out, err = run_cli(capsys, "--site", str(site), "nexhome", "unlock", MAIN_ENTRANCE,
                                 "--yes", "--request-id", request_id)
        assert code == 0, err
        assert sims.nexhome.door(MAIN_ENTRANCE).openings == 1 and sims.nexhome.repeats == 1


# -- 8. malformed, truncated, oversized replies -------------------------------------------------

@pytest.mark.parametrize("kind", ["malformed", "truncate", "oversize"])
async def test_nexhome_unreadable_replies(client, sim, kind):
    sim.faults.script.add(HttpFault(kind, path=DEVICES, method="GET"))
    started = time.monotonic()
    with pytest.raises(ProtocolError) as caught:
        await client.devices()
    assert time.monotonic() - started < 30  # no hang
    text = caught.value.user_text()
    assert "NEXhome" in text and "Traceback" not in text
    if kind == "oversize":
        assert isinstance(caught.value, ReplyTooLarge) and "MB" in text
    if kind == "truncate":
        assert "cut off" in text
    assert await client.devices()  # the next call is fine again


async def test_nexhome_unreadable_pull_keeps_the_channel_alive(building, sim):
    events = await start_live(building, sim)
    pull = f"{MQ}/{building._live.consumer_id}/messages"
    sim.faults.script.add(HttpFault("truncate", path=pull, method="POST"))
    sim.faults.script.add(HttpFault("oversize", path=MQ, method="POST"))
    await wait_until(lambda: len(sim.faults.script.applied) == 2, timeout=15)
    published = sim.resident_at_door(MAIN_ENTRANCE)
    await wait_until(lambda: len(live_counts(events)[0]) == 1, timeout=20)
    assert live_counts(events)[1] == {m.id for m in published}
    await wait_until(lambda: building.live_status == "online")
    assert isinstance(building._live.last_error, ProtocolError)


async def test_nexhome_network_down_is_a_network_error(session, clock):
    client = NexhomeClient(session, api="http://127.0.0.1:9", developer_id="d", app_id="a",
                           app_secret="s" * 32, clock=clock)
    with pytest.raises(NetworkError):
        await client.devices()


async def test_nexhome_clock_skew_with_nxcloud_on_time(http_session, clock, run_home, note_secret):
    """The workspace's services share one session and clock. NEXhome 10 minutes off while
    NXCloud is on time: each vendor is corrected once, and neither's Date undoes the other's
    correction (before: every switch between them cost a refused request)."""
    nexhome, nxcloud = NexhomeSim(), NxcloudSim(sms_per_number_per_hour=None)
    note_secret(nexhome.app_secret)
    await nexhome.start("127.0.0.1", 0)
    await nxcloud.start("127.0.0.1", 0)
    try:
        nexhome.faults.clock_offset = 600
        profile = SiteProfile.from_description(site_description(nexhome, nxcloud), key="skew",
                                               label="Skew")
        store = EventStore(run_home / "events.db")
        feed = Feed(store, flush_delay=0.05)
        messaging = Messaging(profile, http_session, clock, feed)
        building = Building(profile, http_session, clock, feed, store, messaging, actor="t")
        for _ in range(3):
            await building.client.door(MAIN_ENTRANCE)
            await messaging.send_sms("+44 7700 900123", "Test")
        assert [r.refused for r in nexhome.requests].count(401) == 1
        # NXCloud's clock starts from the shared one, which NEXhome's Date moved: at most
        # one refusal, then it follows NXCloud's own Date.
        assert [r.code for r in nxcloud.requests].count(1004) <= 1 and len(nxcloud.sent) == 3
        await feed.close()
        await store.close()
    finally:
        await nexhome.stop()
        await nxcloud.stop()


async def test_nexhome_address_of_another_service(http_session, clock):
    """Wrong shape of a whole service: the NEXhome address points at another web server
    (here NXCloud's), whose 404s are not NEXhome's. The error says to check the address."""
    async with NxcloudSim() as other:
        client = NexhomeClient(http_session, api=other.api, developer_id="d", app_id="a",
                               app_secret="s" * 32, clock=clock)
        with pytest.raises(VendorError) as caught:
            await client.devices()
        assert "API address" in caught.value.hint and "HTTP 404" in caught.value.message
        with pytest.raises(VendorError) as caught:  # nothing there to act: not "unknown"
            await client.unlock(MAIN_ENTRANCE)
        assert "API address" in caught.value.hint


async def test_nexhome_subscription_refused_with_404_backs_off(client, sim):
    """Creating the consumer answers 404 (a gateway, a moved API): a failure to back off
    from, not "the consumer was lost, subscribe again at once" (which looped flat out)."""
    from app.vendors.nexhome.live import NexhomeLive

    sim.faults.script.storm(10_000, status=404, retry_after=None, path=MQ)
    live = NexhomeLive(client, wait_seconds=1, backoff=(0.2, 0.4))
    await live.start()
    try:
        await asyncio.sleep(1.5)
        assert sim.faults.script.requests <= 8  # 1.5 s of 0.2-0.4 s waits, not thousands
        assert live.status == "reconnecting" and "subscription is not there" in live.last_error.message
    finally:
        await live.stop()


@pytest.mark.parametrize("offset", [600, -600])
async def test_nexhome_clock_skew_on_the_subscription(building, sim, offset):
    """The live channel signs with the Building's NEXhome clock: one refusal, corrected,
    and access records flow."""
    sim.faults.clock_offset = offset
    events = await start_live(building, sim)
    published = sim.resident_at_door(MAIN_ENTRANCE)
    await wait_until(lambda: len(live_counts(events)[0]) == 1)
    assert live_counts(events)[1] == {m.id for m in published}
    assert [r.refused for r in sim.requests].count(401) == 1


async def test_nexhome_429_and_5xx_on_the_subscription(building, sim):
    """A 429 storm on the pull is waited out inside the call; a 5xx burst on it (a POST:
    not re-sent by the client) makes the channel back off and pull on. Nothing lost, nothing
    twice."""
    events = await start_live(building, sim)
    pull = f"{MQ}/{building._live.consumer_id}/messages"
    sim.faults.script.storm(3, retry_after=0.1, path=pull)
    published = sim.resident_at_door(MAIN_ENTRANCE)
    await wait_until(lambda: sim.faults.script.served("status") == 3)
    sim.faults.script.storm(2, status=503, retry_after=None, path=pull)
    published += sim.resident_at_door(MAIN_ENTRANCE) + sim.resident_at_door(MAIN_ENTRANCE)
    await wait_until(lambda: len(live_counts(events)[0]) == 3, timeout=15)
    await asyncio.sleep(REDELIVERY * 3)
    assert live_counts(events)[1] == {m.id for m in published}
    assert len(live_counts(events)[0]) == 3 and sim.faults.script.served("status") == 5
    await wait_until(lambda: building.live_status == "online")


async def test_nexhome_revoke_reply_lost(client, sim):
    """aiohttp sends an idempotent request (DELETE, PUT) again by itself when a kept-alive
    connection drops before the answer. A revoke NEXhome already carried out would then come
    back 404, "not found", though it worked: the client must not resend behind our back."""
    person = next(iter(sim.building.persons))
    credential = await client.issue_credential(person, "PIN", "482113")
    path = f"{PREFIX}/credentials/{credential.id}"
    sim.faults.script.add(HttpFault("drop_after", path=path, method="DELETE"))
    with pytest.raises(NetworkError) as caught:
        await client.revoke_credential(credential.id)
    assert "may or may not" in caught.value.message
    assert len(sim_calls(sim, path, "DELETE")) == 1 and credential.id not in sim.credentials


async def test_nexhome_connection_test_in_settings(sim, http_session, clock, note_secret):
    """The Settings / wizard 'Test' button (connections.test_nexhome) under faults: each
    answer says what to fix, none is a traceback, and a short storm is ridden out."""
    from app.services import connections

    wrong = "2" * 32
    note_secret(wrong)
    with pytest.raises(AuthError) as caught:
        await connections.test_nexhome(http_session, clock, sim.api, sim.developer_id,
                                       sim.app_id, wrong)
    assert "app secret" in caught.value.hint
    async with NxcloudSim() as other:
        with pytest.raises(VendorError) as caught:
            await connections.test_nexhome(http_session, clock, other.api, sim.developer_id,
                                           sim.app_id, sim.app_secret)
        assert "API address" in caught.value.hint
    sim.faults.script.storm(2, retry_after=0.1, path=DEVICES)
    outcome = await connections.test_nexhome(http_session, clock, sim.api, sim.developer_id,
                                             sim.app_id, sim.app_secret)
    assert "devices" in outcome.summary
