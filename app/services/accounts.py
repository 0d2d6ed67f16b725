"""The eWeLink account: sign in, keep tokens fresh and in the secret store, sign out.

Tokens are stored per site (`SiteProfile.key`) so the demo site, a training-lab site
file and the real cloud never overwrite each other's sign-in.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, replace

import aiohttp

from app.core.clock import ClockSkew
from app.core.errors import ConfigError
from app.core.secrets import SecretStore
from app.core.settings import Settings
from app.services.site import APPSECRET_KEY, EWELINK_REGIONS, EwelinkEndpoints, SiteProfile
from app.vendors.ewelink.client import EwelinkClient, Tokens

log = logging.getLogger(__name__)


class EwelinkAccount:
    def __init__(self, profile: SiteProfile, settings: Settings, secrets: SecretStore,
                 session: aiohttp.ClientSession, clock: ClockSkew) -> None:
        self.profile = profile
        self._settings = settings
        self._secrets = secrets
        self._session = session
        self._clock = clock
        self._memory_tokens: str | None = None  # demo site: never written anywhere
        self.client: EwelinkClient | None = None
        tokens = self._load_tokens()
        if tokens is not None:
            self.client = self._make_client(profile.ewelink, tokens.region, tokens)

    @property
    def _token_key(self) -> str:
        return f"{self.profile.key}/ewelink/tokens"

    @property
    def signed_in(self) -> bool:
        return self.client is not None and self.client.tokens is not None

    @property
    def account(self) -> str:
        return self.client.tokens.account if self.signed_in else ""

    @property
    def region(self) -> str:
        if self.signed_in:
            return self.client.tokens.region
        return self.profile.ewelink.region

    def _load_tokens(self) -> Tokens | None:
        raw = self._secrets.get(self._token_key) if self.profile.remember_tokens else self._memory_tokens
        if not raw:
            return None
        try:
            return Tokens(**json.loads(raw))
        except (TypeError, ValueError):
            log.warning("stored eWeLink tokens are unreadable; sign in again")
            return None

    def _save_tokens(self, tokens: Tokens | None) -> None:
        raw = json.dumps(asdict(tokens)) if tokens is not None else None
        if not self.profile.remember_tokens:
            self._memory_tokens = raw
        elif raw is None:
            self._secrets.delete(self._token_key)
        else:
            self._secrets.set(self._token_key, raw)

    def _make_client(self, endpoints: EwelinkEndpoints, region: str,
                     tokens: Tokens | None = None) -> EwelinkClient:
        if not endpoints.appid or not endpoints.appsecret:
            raise ConfigError(
                "SiteKit has no eWeLink app ID and app secret yet.",
                hint="Enter the APPID and secret CoolKit gave you in Settings → eWeLink "
                     "(or run `sitekit ewelink configure`), or try the demo site.")
        return EwelinkClient(self._session, appid=endpoints.appid, appsecret=endpoints.appsecret,
                             region=region, regions=endpoints.regions, clock=self._clock,
                             tokens=tokens, on_tokens=self._save_tokens)

    async def sign_in(self, region: str, account: str, password: str, *,
                      appid: str | None = None, appsecret: str | None = None) -> Tokens:
        """Sign in; on success the tokens are stored and the region/account remembered."""
        if region not in EWELINK_REGIONS:
            raise ConfigError(f"Unknown eWeLink region {region!r}.",
                              hint="Choose one of: " + ", ".join(EWELINK_REGIONS) + ".")
        account = account.strip()
        if not account or not password:
            raise ConfigError("Enter the account's email or phone number and its password.")
        endpoints = self.profile.ewelink
        if appid or appsecret:
            endpoints = replace(endpoints, appid=appid or endpoints.appid,
                                appsecret=appsecret or endpoints.appsecret)
            if self.profile.key == "real":
                self.configure(appid=endpoints.appid, appsecret=endpoints.appsecret)
        client = self._make_client(endpoints, region)
        tokens = await client.login(account, password)
        self.client = client
        if self.profile.key == "real":
            self._settings.ewelink.region = tokens.region
            self._settings.ewelink.account = account
            self._settings.save()
        return tokens

    async def ensure_signed_in(self) -> None:
        """Use stored tokens, or on a simulated site sign in with its demo credentials."""
        if self.signed_in:
            return
        if self.profile.demo_credentials is None:
            raise ConfigError("SiteKit is not signed in to eWeLink.",
                              hint="Sign in first (the Sign in page, or `sitekit ewelink login`).")
        region, account, password = self.profile.demo_credentials
        await self.sign_in(region, account, password)

    def configure(self, *, appid: str, appsecret: str | None = None,
                  region: str | None = None) -> None:
        """Store the real cloud's app id (settings) and secret (secret store)."""
        self._settings.ewelink.appid = appid.strip()
        if region:
            self._settings.ewelink.region = region
        self._settings.save()
        if appsecret:
            self._secrets.set(APPSECRET_KEY, appsecret.strip())
        if self.profile.key == "real":
            self.profile = SiteProfile.real(self._settings, self._secrets)

    async def sign_out(self) -> None:
        self._save_tokens(None)
        self.client = None
