"""The fault matrix for NXCloud: SiteKit's client, Messaging service and CLI against the real
simulator on loopback, with faults scripted on `sim.faults` (FaultScript and the simulator's
own knobs). One test per row; each asserts the outcome and counts requests at the simulator
and messages in its outbox.
"""

from __future__ import annotations

import time

import pytest

from app.core.errors import AuthError, NetworkError, ProtocolError, RateLimited
from app.core.events import Event
from app.core.http import ReplyTooLarge
from app.services.feed import Feed
from app.services.messaging import Messaging
from app.services.site import SiteProfile
from app.simulators.faults import HttpFault
from app.simulators.nxcloud import NxcloudSim
from app.vendors.nxcloud import client as nxcloud_client
from app.vendors.nxcloud.client import NxcloudClient, SendOutcomeUnknown
from tests.reliability.test_nexhome_faults import SimsInThread, run_cli, site_description

SMS = nxcloud_client.SMS.path
WHATSAPP = nxcloud_client.WHATSAPP.path
CHECK = nxcloud_client.NUMBER_CHECK.path
QUERY = nxcloud_client.NUMBER_QUERY.path
ALICE = "+44 7700 900123"
PIN_TEXT = "Your door PIN is 4821"


@pytest.fixture
def note_secret(secrets_used):
    return secrets_used.add


@pytest.fixture
def session(http_session):
    return http_session


@pytest.fixture
async def sim(note_secret):
    sim = NxcloudSim(result_delay_seconds=0.1, sms_per_number_per_hour=None)
    note_secret(sim.account.access_secret)
    await sim.start("127.0.0.1", 0)
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
def make_client(sim, session, clock):
    def make(**overrides):
        options = dict(sim.describe(), session=session, clock=clock)
        options.update(overrides)
        return NxcloudClient(**options)
    return make


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
async def messaging(sim, session, clock):
    profile = SiteProfile.from_description(site_description(nxcloud=sim), key="faults",
                                           label="Faults")
    feed = Feed(None)
    events: list[Event] = []
    feed.subscribe(events.append)
    service = Messaging(profile, session, clock, feed)
    service.events = events  # type: ignore[attr-defined]
    try:
        yield service
    finally:
        await feed.close()


def calls(sim: NxcloudSim, path: str) -> list:
    return [r for r in sim.requests if r.path == path]


# -- 1. 429 storms ----------------------------------------------------------------------------

async def test_nxcloud_429_storm(client, sim):
    """Retry-After honoured on every 429 (refused before anything was sent, so the SMS is
    sent again), and the SMS goes out exactly once."""
    sim.faults.script.storm(3, retry_after=0.3, path=SMS)
    started = time.monotonic()
    receipt = await client.send_sms(ALICE, PIN_TEXT)
    assert time.monotonic() - started >= 3 * 0.3
    assert receipt.message_id and len(sim.sent) == 1
    assert sim.faults.script.requests == 4 and sim.faults.script.served("status") == 3


async def test_nxcloud_429_storm_that_does_not_end(client, sim):
    sim.faults.script.storm(100, retry_after=0.01, path=SMS)
    with pytest.raises(RateLimited) as caught:
        await client.send_sms(ALICE, PIN_TEXT)
    assert "still limiting" in caught.value.message and "Nothing was sent" in caught.value.hint
    assert sim.faults.script.requests == nxcloud_client.MAX_RATE_WAITS + 1 and not sim.sent
    sim.faults.script.clear()
    sim.faults.script.storm(1, retry_after=900, path=SMS)
    with pytest.raises(RateLimited) as caught:
        await client.send_sms(ALICE, PIN_TEXT)
    assert "900 s" in caught.value.message
    assert sim.faults.script.requests == nxcloud_client.MAX_RATE_WAITS + 2 and not sim.sent


# -- 2. 5xx bursts ----------------------------------------------------------------------------

@pytest.fixture
def quick_retries(monkeypatch):
    """The product's re-read waits (0.5 s, 1.5 s) shortened: the rows count requests."""
    monkeypatch.setattr(nxcloud_client, "READ_RETRY_DELAYS", (0.05, 0.1))


async def test_nxcloud_5xx_burst_query_retried(client, sim, quick_retries):
    """The number-check query is a read: a short 5xx burst is ridden out."""
    sim.faults.script.storm(2, status=503, retry_after=None, path=QUERY)
    result = await client.check_number(ALICE, 1, wait=10, poll_interval=0.2)
    assert result.phone == "447700900123"
    assert sim.faults.script.served("status") == 2


async def test_nxcloud_5xx_burst_query_bounded(client, sim, quick_retries):
    sim.faults.script.storm(50, status=502, retry_after=None, path=QUERY)
    with pytest.raises(NetworkError) as caught:
        await client.number_check_results(message_id="x" * 20)
    assert "HTTP 502" in caught.value.message
    assert sim.faults.script.requests == len(nxcloud_client.READ_RETRY_DELAYS) + 1


async def test_nxcloud_5xx_on_sms_not_retried(messaging, sim):
    """A send is never repeated on its own: one request, and the user is told the SMS may or
    may not have gone out (a gateway's 5xx says nothing about it)."""
    sim.faults.script.storm(5, status=503, retry_after=None, path=SMS)
    with pytest.raises(SendOutcomeUnknown) as caught:
        await messaging.send_sms(ALICE, PIN_TEXT)
    assert "may or may not" in caught.value.message and "HTTP 503" in caught.value.message
    assert sim.faults.script.requests == 1 and not sim.sent


async def test_nxcloud_5xx_on_number_check_submit_not_retried(client, sim):
    sim.faults.script.storm(5, status=500, retry_after=None, path=CHECK)
    with pytest.raises(NetworkError):
        await client.submit_number_check(ALICE, 1)
    assert sim.faults.script.requests == 1 and not sim.checks


# -- 4. bad and revoked keys -------------------------------------------------------------------

async def test_nxcloud_bad_access_secret(make_client, sim, note_secret):
    wrong = "not-the-secret-0000"
    note_secret(wrong)
    with pytest.raises(AuthError) as caught:
        await make_client(access_secret=wrong).send_sms(ALICE, PIN_TEXT)
    assert caught.value.code == 1003 and "secret" in caught.value.user_text().lower()
    assert len(sim.requests) == 1 and not sim.sent


async def test_nxcloud_revoked_access_key(client, sim):
    sim.account.access_key = "revoked-and-replaced"
    with pytest.raises(AuthError) as caught:
        await client.check_number(ALICE, 1, wait=1)
    assert caught.value.code == 1005
    assert len(sim.requests) == 1 and not sim.checks


def test_nxcloud_bad_access_secret_cli(tmp_path, run_home, capsys, note_secret):
    wrong = "not-the-secret-1111"
    note_secret(wrong)
    with SimsInThread(nexhome=False) as sims:
        note_secret(sims.nxcloud.account.access_secret)
        site = sims.site_file(tmp_path / "site.json", nxcloud={"access_secret": wrong})
        code, out, err = run_cli(capsys, "--site", str(site), "nxcloud", "sms", ALICE, PIN_TEXT)
        assert code == 1
        assert "NXCloud error 1003" in err and "Traceback" not in err
        assert len(sims.nxcloud.requests) == 1 and not sims.nxcloud.sent


# -- 6. clock skew ------------------------------------------------------------------------------

@pytest.mark.parametrize("offset", [600, -600])
async def test_nxcloud_clock_skew(client, sim, clock, offset):
    sim.faults.clock_offset = offset
    await client.send_sms(ALICE, PIN_TEXT)
    assert len(sim.sent) == 1 and abs(clock.offset - offset) < 5
    assert [r.code for r in sim.requests] == [1004, 0]  # accepted on the first retry
    await client.send_sms(ALICE, PIN_TEXT)
    assert [r.code for r in sim.requests][2:] == [0]  # corrected for good


# -- 7. lost reply to a send --------------------------------------------------------------------

async def test_nxcloud_sms_reply_lost(messaging, sim):
    """NXCloud took the SMS and the answer was lost: not sent again, the user told the outcome
    is unknown and how to check, the feed says so (number masked, never the text), and an
    explicit retry carries the same sysMessageId."""
    sim.faults.script.add(HttpFault("drop_after", path=SMS))
    with pytest.raises(SendOutcomeUnknown) as caught:
        await messaging.send_sms(ALICE, PIN_TEXT)
    exc = caught.value
    assert "may or may not" in exc.message and "NXCloud console" in exc.hint
    assert len(sim.sent) == 1 and len(calls(sim, SMS)) == 1
    [event] = [e for e in messaging.events if e.vendor == "nxcloud"]
    assert event.payload["outcome"] == "unknown" and "900123" not in str(event.payload)
    assert event.payload["text"].startswith("SMS (test) to +44 ••••••0123: outcome unknown (")
    assert "4821" not in str(event.payload)
    receipt = await messaging.send_sms(ALICE, PIN_TEXT, sys_message_id=exc.sys_message_id)
    assert receipt.sys_message_id == exc.sys_message_id
    assert [m.sys_message_id for m in sim.sent] == [exc.sys_message_id] * 2


async def test_nxcloud_whatsapp_reply_lost(client, sim):
    sim.faults.drop_after_acting = True
    with pytest.raises(SendOutcomeUnknown):
        await client.send_whatsapp_text(ALICE, "Hello from the site")
    assert len(sim.sent) == 1 and len(calls(sim, WHATSAPP)) == 1


def test_nxcloud_sms_reply_lost_cli(tmp_path, run_home, capsys, note_secret):
    with SimsInThread(nexhome=False) as sims:
        note_secret(sims.nxcloud.account.access_secret)
        site = sims.site_file(tmp_path / "site.json")
        sims.nxcloud.faults.script.add(HttpFault("drop_after", path=SMS))
        code, out, err = run_cli(capsys, "--site", str(site), "nxcloud", "sms", ALICE, PIN_TEXT)
        assert code == 1
        assert "may or may not have been sent" in err and "Traceback" not in err
        assert len(sims.nxcloud.sent) == 1 and len(calls(sims.nxcloud, SMS)) == 1
        # the user retries as told: under the same message id, so reports show one message
        first = sims.nxcloud.sent[0].sys_message_id
        assert first and f"same message id ({first})" in err
        code, out, err = run_cli(capsys, "--site", str(site), "nxcloud", "sms", ALICE, PIN_TEXT,
                                 "--message-id", first)
        assert code == 0, err
        assert [m.sys_message_id for m in sims.nxcloud.sent] == [first, first]


# -- 8. malformed, truncated, oversized replies ---------------------------------------------------

@pytest.mark.parametrize("kind", ["malformed", "truncate", "oversize"])
async def test_nxcloud_unreadable_replies(client, sim, kind):
    sim.faults.script.add(HttpFault(kind, path=QUERY))
    started = time.monotonic()
    with pytest.raises(ProtocolError) as caught:
        await client.number_check_results(message_id="x" * 20)
    assert time.monotonic() - started < 30  # no hang
    text = caught.value.user_text()
    assert "NXCloud" in text and "Traceback" not in text
    if kind == "oversize":
        assert isinstance(caught.value, ReplyTooLarge)
    if kind == "truncate":
        assert "cut off" in text
    page = await client.number_check_results(message_id="x" * 20)  # fine again
    assert page.results == ()


@pytest.mark.parametrize("kind", ["malformed", "truncate", "oversize"])
async def test_nxcloud_unreadable_reply_to_a_send(client, sim, kind):
    """Something answered the SMS, unreadably: it may have gone out, so the outcome is
    unknown (never a bare protocol error inviting a second send)."""
    sim.faults.script.add(HttpFault(kind, path=SMS))
    with pytest.raises(SendOutcomeUnknown) as caught:
        await client.send_sms(ALICE, PIN_TEXT)
    assert caught.value.sys_message_id and sim.faults.script.requests == 1


async def test_nxcloud_sms_tps_limit(client, sim, monkeypatch):
    """NXCloud's own 429: HTTP 200 with code "28" (too many per second, nothing sent). The
    SMS is sent again after a pause, bounded, and goes out once."""
    monkeypatch.setattr(nxcloud_client, "TPS_RETRY_DELAYS", (0.05, 0.1, 0.2))
    sim.faults.sms_tps_limited = 2
    receipt = await client.send_sms(ALICE, PIN_TEXT)
    assert receipt.message_id and len(sim.sent) == 1
    assert [r.code for r in calls(sim, SMS)] == [28, 28, 0]
    sim.faults.sms_tps_limited = 100
    with pytest.raises(RateLimited) as caught:
        await client.send_sms(ALICE, PIN_TEXT)
    assert caught.value.code == "28" and len(sim.sent) == 1
    assert len(calls(sim, SMS)) == 3 + 4  # bounded: one try and three more


async def test_nxcloud_connection_test_in_settings(sim, session, clock, note_secret):
    """The Settings / wizard 'Test' button (connections.test_nxcloud) under faults."""
    from app.services import connections

    account = sim.account
    wrong = "not-the-secret-2222"
    note_secret(wrong)
    with pytest.raises(AuthError):
        await connections.test_nxcloud(session, clock, sim.api, account.access_key, wrong,
                                       account.app_key, wait=2)
    sim.faults.script.storm(2, retry_after=0.1, path=CHECK)
    outcome = await connections.test_nxcloud(session, clock, sim.api, account.access_key,
                                             account.access_secret, account.app_key, wait=5)
    assert "NXCloud" in outcome.summary
    sim.faults.script.add(HttpFault("oversize", path=CHECK))
    with pytest.raises(ProtocolError):
        await connections.test_nxcloud(session, clock, sim.api, account.access_key,
                                       account.access_secret, account.app_key, wait=2)
