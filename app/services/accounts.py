"""The eWeLink account: sign in, keep tokens fresh and in the secret store, sign out.

Tokens are stored per site (`SiteProfile.key`) so the demo site, a training-lab site
file and the real cloud never overwrite each other's sign-in.
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, replace

import aiohttp

from app.core.clock import ClockSkew
from app.core.errors import ConfigError
from app.core.secrets import SecretStore
from app.core.settings import Settings
from app.services.site import APPSECRET_KEY, EwelinkEndpoints, SiteProfile
from app.vendors.ewelink.client import EwelinkClient, Tokens
from app.vendors.ewelink.regions import REGION_NAMES

log = logging.getLogger(__name__)


class EwelinkAccount:
    def __init__(self, profile: SiteProfile, settings: Settings, secrets: SecretStore,
                 session: aiohttp.ClientSession, clock: ClockSkew) -> None:
        self.profile = profile
        self._settings = settings
        self._secrets = secrets
        self._session = session
        self._clock = clock
        self._memory_tokens: str | None = None  # the demo site's are never written anywhere
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sitekit-secrets")
        self._pending_writes: list[Future] = []
        self.client: EwelinkClient | None = None

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

    async def load(self) -> None:
        """Pick up the tokens stored for this site, if any (the keyring may block)."""
        if not self.profile.remember_tokens:
            return
        raw = await asyncio.to_thread(self._secrets.get, self._token_key)
        if not raw:
            return
        try:
            tokens = Tokens(**json.loads(raw))
        except (TypeError, ValueError):
            log.warning("stored eWeLink tokens are unreadable; sign in again")
            return
        self._memory_tokens = raw
        try:
            self.client = self._make_client(self.profile.ewelink, tokens.region, tokens)
        except ConfigError:
            pass  # tokens without an app id are useless; Settings asks for it

    def _save_tokens(self, tokens: Tokens | None) -> None:
        raw = json.dumps(asdict(tokens)) if tokens is not None else None
        self._memory_tokens = raw
        if not self.profile.remember_tokens:
            return
        # The system keyring may be a D-Bus round trip: write behind, in order, off the loop.
        if raw is None:
            self._pending_writes.append(self._writer.submit(self._secrets.delete, self._token_key))
        else:
            self._pending_writes.append(self._writer.submit(self._secrets.set, self._token_key, raw))

    async def flush(self) -> None:
        """Wait until every token change has reached the secret store."""
        pending, self._pending_writes = self._pending_writes, []
        for future in pending:
            await asyncio.wrap_future(future)

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
        if region not in REGION_NAMES:
            raise ConfigError(f"Unknown eWeLink region {region!r}.",
                              hint="Choose one of: " + ", ".join(REGION_NAMES) + ".")
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
            await asyncio.to_thread(self._settings.save)
        await self.flush()
        return tokens

    async def ensure_signed_in(self) -> None:
        """Use stored tokens, or on a simulated site sign in with its demo credentials."""
        if self.signed_in:
            return
        if self.profile.demo_credentials is None:
            if self.client is not None and self.client.ended is not None:
                # The cloud ended the session (a sign-in elsewhere, an expired refresh
                # token): an AuthError, which the GUI turns into its sign-in page.
                raise self.client.ended
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
        await self.flush()

    async def close(self) -> None:
        await self.flush()
        self._writer.shutdown(wait=False)
