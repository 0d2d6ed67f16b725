"""EwelinkClient against the simulated eWeLink cloud (real aiohttp servers on loopback)."""

from __future__ import annotations

import asyncio
import logging
import re

import aiohttp
import pytest
from aiohttp import web

from app.core.clock import ClockSkew
from app.core.errors import (AuthError, NetworkError, ProtocolError, RateLimited,
                             SessionTakenOver, SiteKitError, VendorError)
from app.vendors.ewelink.client import (SESSION_ENDED, EwelinkClient, Tokens, default_base_url,
                                        vendor_error)
from tests.integration.conftest import (AS_PHONE, DEMO_PASSWORD, EU_ACCOUNT, EWELINK_APPID,
                                        EWELINK_APPSECRET, US_ACCOUNT)


async def test_login_by_email_lists_the_demo_devices(make_ewelink_client):
    seen: list = []
    client = make_ewelink_client(on_tokens=seen.append)
    tokens = await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    assert tokens.region == "eu" and tokens.account == EU_ACCOUNT
    assert tokens.at and tokens.rt and tokens.user_apikey
    assert client.tokens == tokens and seen == [tokens]

    devices = {d.deviceid: d for d in await client.devices()}
    assert {"1000aa0001", "1000aa0004", "1000aa0005", "1000aa0006", "1000aa0007"} <= set(devices)
    assert devices["1000aa0001"].kind == "switch" and devices["1000aa0001"].online
    assert devices["1000aa0004"].kind == "multi_switch"
    assert len(devices["1000aa0004"].channels) == 4
    assert devices["1000aa0005"].kind == "power_plug"
    assert "power_w" in devices["1000aa0005"].readings
    assert devices["1000aa0006"].kind == "sensor"
    assert devices["1000aa0007"].online is False
    assert client.device_apikeys["1000aa0001"] == devices["1000aa0001"].apikey


@pytest.mark.parametrize("typed", [AS_PHONE, AS_PHONE.lstrip("+"), "+86 138-0000-0001"])
async def test_login_by_phone_in_asia(make_ewelink_client, typed):
    client = make_ewelink_client(region="as")
    tokens = await client.login(typed, DEMO_PASSWORD)
    assert tokens.region == "as"
    assert [d.deviceid for d in await client.devices()] == ["1000cc0001"]


async def test_login_in_the_wrong_region_relocates_once(make_ewelink_client):
    client = make_ewelink_client(region="eu")
    tokens = await client.login(US_ACCOUNT, DEMO_PASSWORD)
    assert tokens.region == "us" and client.region == "us"
    assert [d.name for d in await client.devices()] == ["Porch light"]


async def test_a_second_relocation_is_reported_not_followed(make_ewelink_client, ewelink_sim):
    # "us" points at the eu server, which answers 301 again: we must stop, not loop.
    regions = dict(ewelink_sim.regions, us=ewelink_sim.base_url("eu"))
    client = make_ewelink_client(region="eu", regions=regions)
    with pytest.raises(VendorError) as caught:
        await client.login(US_ACCOUNT, DEMO_PASSWORD)
    assert caught.value.code == 301
    assert "regions" in caught.value.message
    assert client.tokens is None and client.region == "eu"


async def test_wrong_app_secret_is_a_406_about_the_signature(make_ewelink_client):
    client = make_ewelink_client(appsecret="not-the-secret")
    with pytest.raises(VendorError) as caught:
        await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    error = caught.value
    assert error.code == 406 and error.vendor == "eWeLink"
    assert error.vendor_message == "sign verification failed"
    assert "signature" in error.message and "app secret" in error.hint
    assert "clock is wrong" not in error.message  # the clock was fine: no clock story


async def test_wrong_app_id_is_reported_plainly(make_ewelink_client):
    client = make_ewelink_client(appid="SomeoneElsesAppId")
    with pytest.raises(VendorError) as caught:
        await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    assert caught.value.code == 406 and "app ID" in caught.value.message


async def test_wrong_password_and_unknown_account(make_ewelink_client):
    client = make_ewelink_client()
    with pytest.raises(AuthError) as caught:
        await client.login(EU_ACCOUNT, "wrong password")
    assert caught.value.code == 401
    assert caught.value.message.endswith("Wrong email/phone or password.")
    with pytest.raises(AuthError) as caught:
        await client.login("nobody@sitekit.example", DEMO_PASSWORD)
    assert caught.value.code == 404 and "No eWeLink account" in caught.value.message


async def test_expired_access_token_is_refreshed_once_and_the_call_retried(
        make_ewelink_client, ewelink_sim):
    seen: list = []
    client = make_ewelink_client(on_tokens=seen.append)
    first = await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    ewelink_sim.expire_access_tokens()
    # Three calls at once hit 402 together: one refresh serves them all (a second
    # refresh with the already-rotated rt would be refused).
    results = await asyncio.gather(*(client.devices() for _ in range(3)))
    assert all(len(devices) == 7 for devices in results)
    assert client.tokens.at != first.at and client.tokens.rt != first.rt
    assert len(seen) == 2 and seen[-1] == client.tokens
    assert client.tokens.user_apikey == first.user_apikey


async def test_expired_refresh_token_means_sign_in_again(make_ewelink_client, ewelink_sim):
    seen: list = []
    client = make_ewelink_client(on_tokens=seen.append)
    await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    ewelink_sim.expire_access_tokens()
    ewelink_sim.expire_refresh_tokens()
    with pytest.raises(AuthError) as caught:
        await client.devices()
    assert caught.value.code == 402 and "Sign in" in caught.value.hint
    assert client.tokens is None and seen[-1] is None


async def test_explicit_refresh_rotates_both_tokens(make_ewelink_client):
    client = make_ewelink_client()
    first = await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    second = await client.refresh()
    assert (second.at, second.rt) != (first.at, first.rt)
    # the old pair is dead: a client still holding it is told to sign in again
    stale = make_ewelink_client(tokens=first)
    with pytest.raises(SessionTakenOver):
        await stale.refresh()
    assert len(await client.devices()) == 7


async def test_a_second_sign_in_ends_the_first_session(make_ewelink_client):
    seen: list = []
    first = make_ewelink_client(on_tokens=seen.append)
    await first.login(EU_ACCOUNT, DEMO_PASSWORD)
    second = make_ewelink_client()
    await second.login(EU_ACCOUNT, DEMO_PASSWORD)
    with pytest.raises(SessionTakenOver) as caught:
        await first.devices()
    assert caught.value.code == 401
    assert caught.value.message.endswith(SESSION_ENDED)
    assert "elsewhere" in str(caught.value)
    assert first.tokens is None and seen[-1] is None
    assert len(await second.devices()) == 7
    with pytest.raises(AuthError):  # no tokens any more: a clear "not signed in"
        await first.devices()


async def test_saved_tokens_work_without_signing_in(make_ewelink_client):
    tokens = await make_ewelink_client().login(US_ACCOUNT, DEMO_PASSWORD)
    restored = make_ewelink_client(region="eu", tokens=tokens)
    assert restored.region == "us"  # the tokens' region wins
    assert [d.deviceid for d in await restored.devices()] == ["1000bb0001"]


async def test_dispatch_names_the_simulated_websocket(make_ewelink_client):
    client = make_ewelink_client()
    await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    url = await client.dispatch()
    assert url.startswith("ws://127.0.0.1:") and url.endswith("/api/ws")


async def test_expired_token_at_dispatch_is_refreshed(make_ewelink_client, ewelink_sim):
    client = make_ewelink_client()
    first = await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    ewelink_sim.expire_access_tokens()
    assert (await client.dispatch()).endswith("/api/ws")
    assert client.tokens.at != first.at


# -- clock ----------------------------------------------------------------------------------

async def test_laptop_clock_an_hour_behind_is_corrected_on_login(
        make_ewelink_client, ewelink_sim, clock):
    ewelink_sim.faults.clock_offset = 3600
    client = make_ewelink_client()
    await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    assert clock.offset == pytest.approx(3600, abs=5)
    assert len(await client.devices()) == 7  # later calls use the corrected time


async def test_clock_correction_without_the_app_session_tracker(ewelink_sim):
    # A plain session does not feed the ClockSkew: the client's own retry must do it.
    clock = ClockSkew()
    ewelink_sim.faults.clock_offset = -3600
    async with aiohttp.ClientSession() as session:
        client = EwelinkClient(session, appid=EWELINK_APPID, appsecret=EWELINK_APPSECRET,
                               regions=ewelink_sim.regions, clock=clock)
        await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    assert clock.offset == pytest.approx(-3600, abs=5)


async def test_still_refused_after_the_clock_retry_names_the_clock_error(
        make_ewelink_client, ewelink_sim):
    ewelink_sim.faults.clock_offset = 3600
    client = make_ewelink_client(appsecret="not-the-secret")
    with pytest.raises(VendorError) as caught:
        await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    assert caught.value.code == 406
    assert re.search(r"clock is wrong by 3(599|600|601) seconds", caught.value.message)
    assert "app secret" in caught.value.hint


# -- transport failures -----------------------------------------------------------------------

async def test_unreachable_server_is_a_network_error_naming_the_host(http_session):
    client = EwelinkClient(http_session, appid=EWELINK_APPID, appsecret=EWELINK_APPSECRET,
                           regions={"eu": "http://127.0.0.1:9"})
    with pytest.raises(NetworkError) as caught:
        await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    assert "127.0.0.1:9" in caught.value.message
    assert "firewall" in caught.value.hint


@pytest.fixture
async def captive_portal():
    """Not eWeLink: what a hotel portal or broken proxy in between answers."""
    async def html(request):
        return web.Response(text="<html>Please accept the terms</html>",
                            content_type="text/html")

    async def bad_gateway(request):
        return web.Response(status=502, text="Bad gateway")

    async def slow_down(request):
        return web.Response(status=429, text="slow down", headers={"Retry-After": "30"})

    app = web.Application()
    app.router.add_route("*", "/html/api/user/login", html)
    app.router.add_route("*", "/bad/api/user/login", bad_gateway)
    app.router.add_route("*", "/busy/api/user/login", slow_down)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_answers_that_are_not_the_service(http_session, captive_portal):
    def client(prefix):
        return EwelinkClient(http_session, appid=EWELINK_APPID, appsecret=EWELINK_APPSECRET,
                             regions={"eu": captive_portal + prefix})

    with pytest.raises(ProtocolError) as caught:
        await client("/html").login(EU_ACCOUNT, DEMO_PASSWORD)
    assert "not JSON" in caught.value.message
    with pytest.raises(NetworkError) as caught:
        await client("/bad").login(EU_ACCOUNT, DEMO_PASSWORD)
    assert "502" in caught.value.message
    with pytest.raises(RateLimited) as caught:
        await client("/busy").login(EU_ACCOUNT, DEMO_PASSWORD)
    assert caught.value.retry_after == 30


async def test_secrets_never_reach_the_log(make_ewelink_client, ewelink_sim, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_ewelink_client()
    tokens = await client.login(EU_ACCOUNT, DEMO_PASSWORD)
    ewelink_sim.expire_access_tokens()
    await client.devices()
    secrets = [DEMO_PASSWORD, EWELINK_APPSECRET, tokens.at, tokens.rt,
               client.tokens.at, client.tokens.rt]
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("app.vendors"))
    assert ours  # we do log what happens...
    for secret in secrets:  # ...but never a secret
        assert secret not in ours
    assert tokens.at not in repr(tokens) and tokens.rt not in repr(tokens)


# -- the error table ------------------------------------------------------------------------

@pytest.mark.parametrize("code", [400, 301, 401, 402, 403, 404, 406, 429, 500, 503, 504, 4242])
@pytest.mark.parametrize("call", ["login", "refresh", "bearer"])
def test_every_code_has_a_readable_message_and_hint(code, call):
    error = vendor_error({"error": code, "msg": "vendor words"}, call=call, region="eu")
    assert isinstance(error, VendorError)
    assert error.code == code and error.vendor == "eWeLink"
    assert error.vendor_message == "vendor words"
    assert error.message and error.hint
    assert str(code) in str(error)


def test_error_classes_by_call():
    assert type(vendor_error({"error": 401}, call="login")) is AuthError
    assert isinstance(vendor_error({"error": 401}, call="bearer"), SessionTakenOver)
    assert isinstance(vendor_error({"error": 401}, call="refresh"), SessionTakenOver)
    assert isinstance(vendor_error({"error": 402}, call="refresh"), AuthError)
    assert isinstance(vendor_error({"error": 429}, call="bearer"), RateLimited)
    assert "clock" in vendor_error({"error": 406, "msg": "timestamp out of range"},
                                   call="login").message
    assert isinstance(vendor_error({"error": "junk"}, call="login"), SiteKitError)


def test_default_urls_and_token_repr():
    assert default_base_url("eu") == "https://eu-api.coolkit.cc:8080"
    assert default_base_url("cn") == "https://cn-api.coolkit.cn:8080"
    tokens = Tokens(at="AT-SECRET", rt="RT-SECRET", user_apikey="k", region="eu", account="a")
    assert "SECRET" not in repr(tokens)
