"""NxcloudClient against the simulated NXCloud on loopback (never a mocked HTTP layer)."""

from __future__ import annotations

import asyncio
import time

import pytest

from app.core.clock import ClockSkew
from app.core.errors import AuthError, NetworkError, RateLimited, VendorError
from app.core.http import make_session
from app.core.settings import HttpSettings
from app.simulators.nxcloud import NxcloudSim
from app.vendors.nxcloud import signing
from app.vendors.nxcloud.client import (SMS, WHATSAPP, Endpoint, InsufficientBalance, NumberCheckPending,
                                        NxcloudClient, SendOutcomeUnknown)
from app.vendors.nxcloud.models import InvalidInput, InvalidMessage, InvalidPhoneNumber, WhatsAppTemplate

ALICE, BOB = "+44 7700 900123", "+44 7700 900456"
INVALID, UNREACHABLE, NOT_ON_WHATSAPP = "+44 7700 900000", "+44 7700 900999", "+44 7700 900777"


@pytest.fixture
async def nxcloud_sim():
    sim = NxcloudSim(result_delay_seconds=0.3)
    await sim.start("127.0.0.1", 0)
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
def make_client(nxcloud_sim, http_session, clock):
    def make(session=None, **overrides):
        options = {key: value for key, value in nxcloud_sim.describe().items()}
        options.update(session=session or http_session, clock=clock)
        options.update(overrides)
        return NxcloudClient(**options)
    return make


def sms_calls(sim):
    return [r for r in sim.requests if r.path == SMS.path]


# -- SMS ------------------------------------------------------------------------------------

async def test_sms_sent_with_the_number_normalised(make_client, nxcloud_sim):
    receipt = await make_client().send_sms(ALICE, "Your door PIN is 4821")
    assert receipt.phone == "447700900123" and receipt.message_id and receipt.sys_message_id
    [sent] = nxcloud_sim.sent
    assert (sent.channel, sent.to, sent.text, sent.sys_message_id) == (
        "sms", "447700900123", "Your door PIN is 4821", receipt.sys_message_id)


async def test_sms_with_sender(make_client, nxcloud_sim):
    await make_client(sms_sender="SiteKit").send_sms(BOB, "Hello")
    assert nxcloud_sim.sent[-1].sender == "SiteKit"


@pytest.mark.parametrize("phone, content, error", [
    ("07700 900123", "Hi", InvalidPhoneNumber),
    ("call Alice", "Hi", InvalidPhoneNumber),
    (ALICE, "x" * 1001, InvalidMessage),
    (ALICE, "", InvalidMessage),
])
async def test_sms_input_refused_before_anything_is_sent(make_client, nxcloud_sim, phone, content, error):
    with pytest.raises(error) as caught:
        await make_client().send_sms(phone, content)
    assert caught.value.message and caught.value.hint
    assert not nxcloud_sim.requests


async def test_sms_refused_number_keeps_the_string_code(make_client):
    with pytest.raises(VendorError) as caught:
        await make_client().send_sms(INVALID, "Hi")
    assert caught.value.code == "6" and caught.value.vendor_message == "Invalid number"
    assert "+44 7700900000 is not a valid number" in caught.value.message


async def test_sms_forbidden_words(make_client):
    with pytest.raises(VendorError) as caught:
        await make_client().send_sms(ALICE, "Lottery win!")
    assert caught.value.code == "4" and "forbidden words" in caught.value.message


async def test_sms_balance_and_frequency_limit(make_client, nxcloud_sim):
    nxcloud_sim.faults.insufficient_balance = True
    with pytest.raises(InsufficientBalance) as caught:
        await make_client().send_sms(ALICE, "Hi")
    assert caught.value.code == "3" and "Top up" in caught.value.hint
    nxcloud_sim.faults.insufficient_balance = False
    nxcloud_sim.sms_per_number_per_hour = 1
    await make_client().send_sms(ALICE, "Hi")
    with pytest.raises(RateLimited) as limited:
        await make_client().send_sms(ALICE, "Hi again")
    assert limited.value.code == "27"


async def test_wrong_app_key(make_client):
    with pytest.raises(AuthError) as caught:
        await make_client(app_key="nope").send_sms(ALICE, "Hi")
    assert caught.value.code == "1" and "app key" in caught.value.hint


# -- bodies signed exactly as sent ----------------------------------------------------------------

async def test_call_signs_and_sends_the_given_bytes_untouched(make_client, nxcloud_sim):
    raw = ('{"content": "Unsorted, spaced", "phone": "447700900456",\n  "appKey": "%s"}'
           % nxcloud_sim.account.app_key).encode()
    reply = await make_client().call(SMS, raw)
    assert reply["code"] == "0"
    assert nxcloud_sim.sent[-1].text == "Unsorted, spaced"


# -- WhatsApp -------------------------------------------------------------------------------

async def test_whatsapp_text(make_client, nxcloud_sim):
    receipt = await make_client().send_whatsapp_text(ALICE, "The lift is tested today at 10:00.")
    assert receipt.message_id.startswith("wamid.") and receipt.to == "447700900123"
    assert nxcloud_sim.sent[-1].channel == "whatsapp"


async def test_whatsapp_template_with_a_body_value(make_client, nxcloud_sim):
    await make_client().send_whatsapp_template(ALICE, WhatsAppTemplate("resident_pin", body_params=["4821"]))
    await make_client().send_whatsapp_template(BOB, WhatsAppTemplate("visitor_qr",
                                                                     body_params=["Dana", "2026-11-30 18:00"]))
    assert [m.text for m in nxcloud_sim.sent] == [
        "Your SiteKit door PIN is 4821. Keep it private.",
        "Hello Dana, your visitor QR code is valid until 2026-11-30 18:00."]


@pytest.mark.parametrize("template, words", [
    (WhatsAppTemplate("no_such_template"), "no template of that name in that language (WhatsApp error 132001)"),
    (WhatsAppTemplate("resident_pin"), "does not match the template (WhatsApp error 132000)"),
])
async def test_whatsapp_template_refusals(make_client, template, words):
    with pytest.raises(VendorError) as caught:
        await make_client().send_whatsapp_template(ALICE, template)
    assert caught.value.code == 9099 and words in caught.value.message


async def test_whatsapp_to_a_number_without_whatsapp(make_client):
    with pytest.raises(VendorError) as caught:
        await make_client().send_whatsapp_text(NOT_ON_WHATSAPP, "Hi")
    assert "131026" in caught.value.message and "SMS" in caught.value.hint


async def test_business_phone_checked_only_for_whatsapp(make_client, nxcloud_sim):
    client = make_client(business_phone="07700 900001")
    await client.send_sms(ALICE, "SMS still works")
    with pytest.raises(InvalidInput, match="business phone in Settings is wrong"):
        await client.send_whatsapp_text(ALICE, "Hi")
    with pytest.raises(InvalidInput, match="No WhatsApp business phone"):
        await make_client(business_phone="").send_whatsapp_text(ALICE, "Hi")
    assert len(nxcloud_sim.requests) == 1


async def test_whatsapp_business_phone_and_balance(make_client, nxcloud_sim):
    with pytest.raises(VendorError) as caught:
        await make_client(business_phone="447700900002").send_whatsapp_text(ALICE, "Hi")
    assert caught.value.code == 9006
    nxcloud_sim.faults.insufficient_balance = True
    with pytest.raises(InsufficientBalance):
        await make_client().send_whatsapp_text(ALICE, "Hi")
    assert not nxcloud_sim.sent


# -- number check ---------------------------------------------------------------------------

@pytest.mark.parametrize("phone, level, verdict", [
    (ALICE, 5, "valid"), (INVALID, 5, "invalid"), (UNREACHABLE, 5, "unreachable"),
    (UNREACHABLE, 4, "unreachable"), (ALICE, 1, "format_ok"), (INVALID, 1, "invalid"),
])
async def test_check_number_waits_for_the_delayed_result(make_client, phone, level, verdict):
    started = time.monotonic()
    result = await make_client().check_number(phone, level, wait=3, poll_interval=0.1)
    assert result.verdict == verdict and result.level == level
    assert time.monotonic() - started >= 0.3  # the simulator's result_delay_seconds
    assert result.summary()


async def test_check_number_gives_up_within_wait_and_the_ticket_still_works(make_client, nxcloud_sim):
    nxcloud_sim.result_delay_seconds = 0.6
    client = make_client()
    with pytest.raises(NumberCheckPending) as caught:
        await client.check_number(ALICE, 5, wait=0.2, poll_interval=0.1)
    polls = [r for r in nxcloud_sim.requests if r.path == "/api/number/query"]
    assert 1 <= len(polls) <= 3
    ticket = caught.value.ticket
    await asyncio.sleep(0.6)
    page = await client.number_check_results(message_id=ticket.message_id, date=ticket.date)
    assert [r.verdict for r in page.results] == ["valid"]


async def test_number_check_refusals(make_client, nxcloud_sim):
    with pytest.raises(InvalidPhoneNumber, match="different countries"):
        await make_client().submit_number_check([ALICE, "+33 6 12 34 56 78"])
    nxcloud_sim.faults.insufficient_balance = True
    with pytest.raises(InsufficientBalance) as caught:
        await make_client().check_number(ALICE)
    assert caught.value.code == 211


# -- common errors 1001-1005 ---------------------------------------------------------------------

async def test_1001_missing_header(make_client):
    with pytest.raises(VendorError) as caught:
        await make_client(access_key="").send_sms(ALICE, "Hi")
    assert caught.value.code == 1001 and "missing" in caught.value.message


async def test_1002_wrong_action(make_client):
    with pytest.raises(VendorError) as caught:
        await make_client().call(Endpoint(SMS.path, 3, "send"), {"appKey": "x"})
    assert caught.value.code == 1002


async def test_1003_wrong_secret(make_client, nxcloud_sim):
    with pytest.raises(AuthError) as caught:
        await make_client(access_secret="wrong").send_whatsapp_text(ALICE, "Hi")
    assert caught.value.code == 1003 and "access secret" in caught.value.hint
    assert not nxcloud_sim.sent


async def test_1004_clock_an_hour_behind_is_corrected_and_sent_once(make_client, nxcloud_sim, clock):
    nxcloud_sim.faults.clock_offset = 3600
    await make_client().send_sms(ALICE, "Hi")
    assert [r.code for r in sms_calls(nxcloud_sim)] == [1004, 0]
    assert len(nxcloud_sim.sent) == 1
    assert clock.offset == pytest.approx(3600, abs=5)


async def test_1004_corrected_without_the_app_session_tracker(nxcloud_sim):
    clock = ClockSkew()
    nxcloud_sim.faults.clock_offset = -3600
    async with make_session(HttpSettings(timeout_seconds=5.0)) as session:
        client = NxcloudClient(session, clock=clock, **nxcloud_sim.describe())
        await client.send_whatsapp_text(ALICE, "Hi")
    assert clock.offset == pytest.approx(-3600, abs=5)


async def test_1004_small_skew_within_the_window_needs_no_retry(make_client, nxcloud_sim):
    nxcloud_sim.faults.clock_offset = 30
    await make_client().send_sms(ALICE, "Hi")
    assert [r.code for r in sms_calls(nxcloud_sim)] == [0]


async def test_1005_access_key_or_business(make_client, nxcloud_sim):
    with pytest.raises(AuthError) as caught:
        await make_client(access_key="someone-else").send_sms(ALICE, "Hi")
    assert caught.value.code == 1005
    nxcloud_sim.account.businesses.discard(2)
    with pytest.raises(AuthError) as caught:
        await make_client().send_whatsapp_text(ALICE, "Hi")
    assert caught.value.code == 1005 and "enabled" in caught.value.hint


# -- ambiguous sends are not retried ------------------------------------------------------------

async def test_sms_reply_lost_after_sending_is_not_retried(make_client, nxcloud_sim):
    nxcloud_sim.faults.drop_after_acting = True
    client = make_client()
    with pytest.raises(SendOutcomeUnknown) as caught:
        await client.send_sms(ALICE, "Your door PIN is 4821")
    error = caught.value
    assert len(sms_calls(nxcloud_sim)) == 1 and len(nxcloud_sim.sent) == 1
    assert "may or may not have been sent" in error.message and "not sent twice" in error.hint
    assert error.sys_message_id == nxcloud_sim.sent[0].sys_message_id
    # The technician chose to retry: same id, so both attempts are recognisable as one message.
    nxcloud_sim.faults.drop_after_acting = False
    receipt = await client.send_sms(ALICE, "Your door PIN is 4821", sys_message_id=error.sys_message_id)
    assert receipt.sys_message_id == error.sys_message_id
    assert [m.sys_message_id for m in nxcloud_sim.sent] == [error.sys_message_id] * 2


async def test_whatsapp_reply_lost_is_not_retried(make_client, nxcloud_sim):
    nxcloud_sim.faults.drop_after_acting = True
    with pytest.raises(SendOutcomeUnknown) as caught:
        await make_client().send_whatsapp_template(ALICE, WhatsAppTemplate("resident_pin", body_params=["1"]))
    assert caught.value.channel == "WhatsApp message"
    assert len([r for r in nxcloud_sim.requests if r.path == WHATSAPP.path]) == 1
    assert len(nxcloud_sim.sent) == 1


async def test_send_timeout_is_ambiguous_and_not_retried(nxcloud_sim, clock):
    nxcloud_sim.faults.delay_seconds = 1.0
    async with make_session(HttpSettings(timeout_seconds=0.3), clock) as session:
        client = NxcloudClient(session, clock=clock, **nxcloud_sim.describe())
        with pytest.raises(SendOutcomeUnknown, match="no answer in time"):
            await client.send_sms(ALICE, "Hi")
    await asyncio.sleep(1.0)  # the simulator finishes the request it was holding
    assert len(nxcloud_sim.sent) <= 1 and len(sms_calls(nxcloud_sim)) <= 1


async def test_server_error_on_send_is_ambiguous_but_on_a_check_is_a_network_error(make_client, nxcloud_sim):
    nxcloud_sim.faults.http_status = 502
    with pytest.raises(SendOutcomeUnknown, match="HTTP 502"):
        await make_client().send_sms(ALICE, "Hi")
    with pytest.raises(NetworkError):
        await make_client().submit_number_check(ALICE)


async def test_nothing_listening_is_a_plain_network_error(make_client, nxcloud_sim):
    client = make_client()
    await nxcloud_sim.stop()
    with pytest.raises(NetworkError):
        await client.send_sms(ALICE, "Hi")


def test_secret_not_in_repr():
    client = NxcloudClient(None, access_key="k", access_secret="s3cr3t", app_key="a")  # type: ignore[arg-type]
    assert "s3cr3t" not in repr(client)
    assert signing.SIGN_HEADER == "sign"
