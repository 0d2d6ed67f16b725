"""The messaging service and `sitekit nxcloud …` against the demo site's NXCloud simulator."""

from __future__ import annotations

import json

import pytest

from app.core.errors import ConfigError
from app.services.messaging import masked_phone
from app.services.site import SiteProfile
from app.services.workspace import Workspace
from app.vendors.nxcloud.models import InvalidPhoneNumber
from tests.integration.test_cli import sitekit

RESIDENT = "+44 7700 900123"  # valid in the simulator's demo numbers
NOT_ON_WHATSAPP = "+44 7700 900777"


@pytest.fixture
async def ws():
    workspace = await Workspace.open(demo=True, store_events=False,
                                     demo_site_options={"live_drift_seconds": None})
    workspace.demo_site.nxcloud.result_delay_seconds = 0.2
    try:
        yield workspace
    finally:
        await workspace.close()


def test_masked_phone_keeps_the_country_and_the_last_four_digits():
    assert masked_phone(RESIDENT) == "+44 ••••••0123"
    assert masked_phone("not a number") == "••••"


async def test_sms_reaches_the_simulator_and_the_feed_never_sees_number_or_text(ws):
    seen = []
    ws.feed.subscribe(seen.append)
    receipt = await ws.messaging.send_sms(RESIDENT, "Your door PIN is 4711", purpose="PIN")
    [sent] = [m for m in ws.demo_site.nxcloud.sent if m.message_id == receipt.message_id]
    assert sent.text == "Your door PIN is 4711" and receipt.phone == "447700900123"
    [event] = [e for e in seen if e.vendor == "nxcloud"]
    text = json.dumps(event.payload) + event.device
    assert "4711" not in text and "900123" not in text and "0123" in text
    assert event.payload["text"] == "SMS sent (PIN) to +44 ••••••0123"


async def test_number_check_names_the_verdict(ws):
    valid = await ws.messaging.check_number(RESIDENT, "hlr", wait=5)
    assert valid.verdict == "valid"
    invalid = await ws.messaging.check_number("+44 7700 900000", "hlr", wait=5)
    assert invalid.verdict == "invalid"
    with pytest.raises(ConfigError, match="Unknown number check"):
        await ws.messaging.check_number(RESIDENT, "psychic")


async def test_a_national_number_is_refused_before_anything_is_sent(ws):
    before = len(ws.demo_site.nxcloud.sent)
    with pytest.raises(InvalidPhoneNumber, match="country code"):
        await ws.messaging.send_sms("07700 900123", "hello")
    assert len(ws.demo_site.nxcloud.sent) == before


async def test_a_site_without_nxcloud_says_where_to_set_it_up(ws):
    profile = SiteProfile.from_description({"ewelink": {"api": "http://127.0.0.1:9", "appid": "a",
                                                        "appsecret": "s"}}, key="x", label="X")
    from app.services.messaging import Messaging

    messaging = Messaging(profile, ws.session, ws.clock, ws.feed)
    assert not messaging.configured
    with pytest.raises(ConfigError) as missing:
        await messaging.send_sms(RESIDENT, "hello")
    assert "Settings" in missing.value.hint and "nxcloud configure" in missing.value.hint


def test_cli_check_sms_and_whatsapp_refusal():
    check = sitekit("--demo", "nxcloud", "check", RESIDENT, "--json")
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout)["verdict"] == "valid"
    sms = sitekit("--demo", "nxcloud", "sms", RESIDENT, "SiteKit test message", "--json")
    assert sms.returncode == 0, sms.stderr
    assert json.loads(sms.stdout)["message_id"]
    refused = sitekit("--demo", "nxcloud", "whatsapp", NOT_ON_WHATSAPP, "hello", "--json")
    assert refused.returncode == 1
    error = json.loads(refused.stdout)["error"]
    assert error["vendor"] == "NXCloud"
    assert "SMS" in error["hint"]


def test_cli_configure_keeps_the_secret_out_of_the_settings_file(isolated_home):
    result = sitekit("nxcloud", "configure", "--access-key", "ak-1", "--app-key", "app-1",
                     "--business-phone", "+44 7700 900001", "--access-secret-stdin",
                     input="the-access-secret\n")
    assert result.returncode == 0, result.stderr
    settings_text = next(isolated_home.rglob("settings.toml")).read_text()
    assert "ak-1" in settings_text and "app-1" in settings_text
    assert "the-access-secret" not in settings_text
