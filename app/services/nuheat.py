"""The Nuheat account: sign in (OAuth2 + PKCE in the browser), keep tokens, a ready client.

Tokens are stored per site (`SiteProfile.key`), like eWeLink's, so the demo site, a
training-lab site file and the real cloud never overwrite each other's sign-in. On a
simulated site nobody sits at a browser: signing in fills the simulator's login form.
"""

from __future__ import annotations

import asyncio
import logging
import webbrowser
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Awaitable, Callable

import aiohttp

from app.core.errors import AuthError, ConfigError
from app.core.secrets import SecretStore
from app.core.settings import Settings
from app.services.site import NuheatEndpoints, SiteProfile, save_nuheat_client
from app.vendors.nuheat.auth import NuheatAuth, NuheatTokens
from app.vendors.nuheat.client import NuheatClient
from app.vendors.nuheat.models import TemperatureScale

log = logging.getLogger(__name__)

OpenBrowser = Callable[[str], Awaitable[Any] | Any]


def _system_browser(url: str) -> None:
    webbrowser.open(url)


class NuheatAccount:
    def __init__(self, profile: SiteProfile, settings: Settings, secrets: SecretStore,
                 session: aiohttp.ClientSession) -> None:
        self.profile = profile
        self._settings = settings
        self._secrets = secrets
        self._session = session
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sitekit-nuheat-secrets")
        self._pending_writes: list[Future] = []
        self.auth: NuheatAuth | None = None
        self.client: NuheatClient | None = None
        self._scale: TemperatureScale | None = None

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def endpoints(self) -> NuheatEndpoints:
        if self.profile.nuheat is None:
            raise ConfigError("This site has no Nuheat cloud.",
                              hint="Use the demo site, or a site file that names a Nuheat part.")
        return self.profile.nuheat

    @property
    def _token_key(self) -> str:
        return f"{self.profile.key}/nuheat/tokens"

    @property
    def signed_in(self) -> bool:
        return self.auth is not None and self.auth.tokens is not None

    async def load(self) -> None:
        """Pick up the tokens stored for this site, if any (the keyring may block)."""
        if self.profile.nuheat is None or not self.profile.remember_tokens:
            return
        raw = await asyncio.to_thread(self._secrets.get, self._token_key)
        if not raw:
            return
        try:
            tokens = NuheatTokens.from_json(raw)
        except (TypeError, ValueError, KeyError):
            log.warning("stored Nuheat tokens are unreadable; sign in again")
            return
        try:
            self._build(tokens)
        except ConfigError:
            pass  # no client id yet; Settings asks for it

    def configure(self, *, client_id: str, client_secret: str | None = None) -> None:
        """Store the real cloud's client id and secret (see `save_nuheat_client`); blocking.

        On the real site the next sign-in uses them at once; a simulated site keeps its own.
        """
        save_nuheat_client(self._settings, self._secrets, client_id, client_secret)
        if self.profile.key == "real":
            self.profile = replace(self.profile,
                                   nuheat=SiteProfile.real(self._settings, self._secrets).nuheat)

    def _build(self, tokens: NuheatTokens | None = None) -> NuheatClient:
        endpoints = self.endpoints
        if not endpoints.client_id:
            raise ConfigError("SiteKit has no Nuheat client ID yet.",
                              hint="Enter the client ID Nuheat issued in Settings → Nuheat, "
                                   "or try the demo site.")
        self.auth = NuheatAuth(self._session, issuer=endpoints.issuer, client_id=endpoints.client_id,
                               client_secret=endpoints.client_secret or None,
                               redirect_port=endpoints.redirect_port, tokens=tokens,
                               on_tokens=self._save_tokens)
        self.client = NuheatClient(self._session, self.auth, api=endpoints.api)
        return self.client

    def _save_tokens(self, tokens: NuheatTokens | None) -> None:
        if not self.profile.remember_tokens:
            return
        # The system keyring may be a D-Bus round trip: write behind, in order, off the loop.
        if tokens is None:
            self._pending_writes.append(self._writer.submit(self._secrets.delete, self._token_key))
        else:
            self._pending_writes.append(self._writer.submit(self._secrets.set, self._token_key,
                                                            tokens.to_json()))

    async def flush(self) -> None:
        """Wait until every token change has reached the secret store."""
        pending, self._pending_writes = self._pending_writes, []
        for future in pending:
            await asyncio.wrap_future(future)

    async def sign_in(self, open_browser: OpenBrowser | None = None, *, timeout: float = 300.0) -> NuheatTokens:
        """The browser sign-in; on a simulated site the demo account fills the login form."""
        demo = self.endpoints.demo_credentials
        if open_browser is None:
            if demo is not None:
                from app.simulators.nuheat.login_form import login_form_filler

                open_browser = login_form_filler(*demo)
                timeout = min(timeout, 30.0)
            else:
                open_browser = _system_browser
        self._build()
        self._scale = None
        tokens = await self.auth.sign_in(open_browser, timeout=timeout)
        await self.flush()
        return tokens

    async def ensure_signed_in(self) -> NuheatClient:
        """The client, signed in; a simulated site signs its demo account in on demand."""
        if self.signed_in and self.client is not None:
            return self.client
        if self.profile.nuheat is not None and self.endpoints.demo_credentials is not None:
            await self.sign_in()
            return self.client
        raise AuthError("Nuheat", "signed_out", message="Not signed in to Nuheat.",
                        hint="Sign in first (the Sign in page, or `sitekit nuheat login`).")

    async def temperature_scale(self) -> TemperatureScale:
        """The account's °C/°F choice (asked once), else the SiteKit setting."""
        if self._scale is None:
            client = await self.ensure_signed_in()
            try:
                self._scale = (await client.account()).temperature_scale
            except AuthError:
                raise
            except Exception:  # noqa: BLE001 - a display preference must not stop a command
                self._scale = TemperatureScale.parse(self._settings.temperature_unit)
        return self._scale

    async def sign_out(self) -> None:
        auth, self.auth, self.client = self.auth, None, None
        if auth is not None and auth.tokens is not None:
            try:
                await auth.sign_out()  # revokes the refresh token; on_tokens(None) forgets it
            except Exception:  # noqa: BLE001 - forgetting locally matters more than the revocation
                log.info("Nuheat token revocation failed; forgetting the tokens anyway")
                self._save_tokens(None)
        else:
            self._save_tokens(None)
        await self.flush()

    async def close(self) -> None:
        await self.flush()
        self._writer.shutdown(wait=False)
