"""The Nuheat account service: sign-in on a simulated site, tokens per site in the secret store."""

from __future__ import annotations

import aiohttp
import pytest

from app.core.errors import AuthError, ConfigError
from app.core.secrets import SecretStore
from app.core.settings import Settings
from app.services.site import SiteProfile
from app.services.nuheat import NuheatAccount
from app.services.workspace import Workspace
from app.simulators.nuheat import NuheatSim
from app.vendors.nuheat.models import TemperatureScale


def lab_profile(sim: NuheatSim, *, username: str | None = None) -> SiteProfile:
    description = {
        "ewelink": {"region": "eu", "api": "http://127.0.0.1:9", "appid": "a", "appsecret": "s"},
        "nuheat": {"issuer": sim.issuer, "api": sim.api, "client_id": sim.client_id,
                   "client_secret": sim.client_secret, "username": username or sim.username,
                   "password": sim.password},
    }
    return SiteProfile.from_description(description, key="site-lab", label="Lab")


async def test_demo_workspace_signs_in_by_filling_the_login_form():
    ws = await Workspace.open(demo=True, store_events=False)
    try:
        assert ws.profile.nuheat is not None and ws.profile.nuheat.demo_credentials
        assert not ws.nuheat.signed_in
        await ws.nuheat.sign_in()
        assert ws.nuheat.signed_in
        thermostats = await ws.nuheat.client.thermostats()
        assert len(thermostats) == 12
        assert await ws.nuheat.temperature_scale() is TemperatureScale.CELSIUS
    finally:
        await ws.close()


async def test_tokens_are_stored_per_site_and_reused(nuheat_sim):
    secrets = SecretStore()
    profile = lab_profile(nuheat_sim)
    async with aiohttp.ClientSession() as session:
        account = NuheatAccount(profile, Settings(), secrets, session)
        await account.sign_in()
        await account.flush()
        assert secrets.get("site-lab/nuheat/tokens")
        assert secrets.get("demo/nuheat/tokens") is None
        await account.close()

        token_requests = nuheat_sim.token_requests
        again = NuheatAccount(profile, Settings(), secrets, session)
        await again.load()
        assert again.signed_in  # no second browser trip
        assert [t.serial_number for t in await again.client.thermostats()]
        assert nuheat_sim.token_requests == token_requests  # the stored access token was enough

        await again.sign_out()
        assert not again.signed_in
        assert secrets.get("site-lab/nuheat/tokens") is None
        assert nuheat_sim.revocations == 1
        await again.close()


async def test_fahrenheit_account(nuheat_sim):
    from app.simulators.nuheat import EMPTY_USERNAME

    async with aiohttp.ClientSession() as session:
        account = NuheatAccount(lab_profile(nuheat_sim, username=EMPTY_USERNAME), Settings(), SecretStore(),
                                session)
        await account.sign_in()
        assert await account.temperature_scale() is TemperatureScale.FAHRENHEIT
        await account.close()


async def test_real_profile_needs_a_client_id():
    settings = Settings()
    assert settings.nuheat.issuer == "https://identity.nam.mynuheat.com"
    assert settings.nuheat.api == "https://api.nam.mynuheat.com"
    profile = SiteProfile.real(settings, SecretStore())
    async with aiohttp.ClientSession() as session:
        account = NuheatAccount(profile, settings, SecretStore(), session)
        with pytest.raises(ConfigError):
            await account.sign_in(lambda url: None)
        with pytest.raises(AuthError):
            await account.ensure_signed_in()
        await account.close()


def test_settings_round_trip_nuheat_section():
    settings = Settings.from_dict({"nuheat": {"client_id": "abc", "redirect_port": 8123}})
    assert settings.nuheat.client_id == "abc" and settings.nuheat.redirect_port == 8123
    assert Settings.from_dict(settings.to_dict()).nuheat == settings.nuheat
