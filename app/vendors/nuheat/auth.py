"""Nuheat sign-in: OAuth2 authorization code + PKCE for a native app (RFC 8252, RFC 7636).

    auth = NuheatAuth(session, issuer=..., client_id=..., client_secret=None, on_tokens=store)
    tokens = await auth.sign_in(open_browser)     # open_browser(url) shows the login page
    token = await auth.access_token()             # refreshed ahead of its expiry
    await auth.sign_out()                         # revokes the refresh token

The flow: discovery -> authorize URL (state, nonce, PKCE S256) -> the user signs in in the
system browser -> the identity server redirects to our loopback receiver
(http://127.0.0.1:<port>/) -> code exchange at the token endpoint (public client: PKCE only;
confidential client: also client_secret_basic or client_secret_post) -> id_token checked
against the JWKS named in the discovery document (signature, iss, aud, exp, nonce).
Refresh tokens are one-time (the server rotates them): every refresh hands the new pair to
`on_tokens`, which stores it (keyring). When the refresh token is expired or revoked the
user must sign in again; AuthError says which.

Crypto is not written by hand: PKCE and random tokens come from Authlib
(`create_s256_code_challenge`, `generate_token`), JWT/JWKS from joserfc, the JOSE library
Authlib itself depends on and now points to (authlib.jose is deprecated in its favour).
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import logging
import math
import time
from dataclasses import asdict, dataclass
from typing import Any, Awaitable, Callable
from urllib.parse import quote_plus, urlencode

import aiohttp
from aiohttp import web
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.core.clock import ClockSkew
from app.core.errors import AuthError, NetworkError, ProtocolError, VendorError
from app.core.http import read_text

log = logging.getLogger(__name__)

VENDOR = "Nuheat"
# Where Nuheat's identity server lives since the July 2026 move (older: identity.mynuheat.com).
DEFAULT_ISSUER = "https://identity.nam.mynuheat.com"
DEFAULT_SCOPES = ("openid", "openapi", "profile", "offline_access")
# RFC 7636 §4.1: 43-128 characters from the unreserved set; 64 gives 384 bits.
VERIFIER_LENGTH = 64
# Refresh this long before the 1-hour access token runs out, so no call meets a stale one.
REFRESH_MARGIN_SECONDS = 300.0
# Clock difference tolerated when checking exp/iat of an id_token.
LEEWAY_SECONDS = 120
SIGN_IN_AGAIN = "Sign in to Nuheat again."
WHAT = "The Nuheat identity server"
# Longer than any access token Nuheat issues (1 hour); a bigger expires_in is not believed.
MAX_EXPIRES_IN = 30 * 86400
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=30)


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str
    method: str = "S256"

    @classmethod
    def from_verifier(cls, verifier: str) -> Pkce:
        if not 43 <= len(verifier) <= 128:
            raise ValueError("a PKCE code verifier has 43 to 128 characters (RFC 7636 §4.1)")
        return cls(verifier, create_s256_code_challenge(verifier))

    @classmethod
    def generate(cls) -> Pkce:
        return cls.from_verifier(generate_token(VERIFIER_LENGTH))


@dataclass
class NuheatTokens:
    access_token: str
    refresh_token: str | None
    expires_at: float  # epoch seconds (our clock)
    id_token: str | None = None
    scope: str = ""
    subject: str = ""  # the user id (`sub`), from the id_token

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> NuheatTokens:
        """Tokens as stored; ValueError when the stored text is not a set of tokens (a
        damaged or hand-edited entry must read as "not signed in", not fail later)."""
        try:
            raw = json.loads(text)
        except RecursionError:
            raise ValueError("stored Nuheat tokens are not JSON") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("access_token"), str):
            raise ValueError("stored Nuheat tokens lack an access token")
        expires_at = raw.get("expires_at")
        if isinstance(expires_at, bool) or not isinstance(expires_at, (int, float)) \
                or not math.isfinite(expires_at):
            raise ValueError("stored Nuheat tokens lack an expiry time")

        def text_or_none(key: str) -> str | None:
            value = raw.get(key)
            return value if isinstance(value, str) and value else None

        return cls(access_token=raw["access_token"], refresh_token=text_or_none("refresh_token"),
                   expires_at=float(expires_at), id_token=text_or_none("id_token"),
                   scope=text_or_none("scope") or "", subject=text_or_none("subject") or "")

    def expires_within(self, seconds: float, now: float) -> bool:
        return self.expires_at - now <= seconds


@dataclass(frozen=True)
class Provider:
    """The parts of the discovery document SiteKit uses."""
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    revocation_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    code_challenge_methods: tuple[str, ...] = ()
    token_auth_methods: tuple[str, ...] = ("client_secret_basic",)

    @classmethod
    def from_discovery(cls, raw: Any) -> Provider:
        if not isinstance(raw, dict):
            raise ProtocolError("Nuheat's discovery document is not a JSON object.")

        def url(key: str, required: bool = True) -> str | None:
            value = raw.get(key)
            if isinstance(value, str) and value.startswith(("https://", "http://")):
                return value
            if value is None and not required:
                return None
            raise ProtocolError(f"Nuheat's discovery document lacks a usable {key}.",
                                hint="Check the Nuheat identity server address in Settings.")

        def names(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
            value = raw.get(key)
            if not isinstance(value, list):
                return default
            return tuple(v for v in value if isinstance(v, str)) or default

        issuer = raw.get("issuer")
        if not isinstance(issuer, str) or not issuer:
            raise ProtocolError("Nuheat's discovery document lacks 'issuer'.",
                                hint="Check the Nuheat identity server address in Settings.")
        return cls(issuer=issuer, authorization_endpoint=url("authorization_endpoint"),
                   token_endpoint=url("token_endpoint"), jwks_uri=url("jwks_uri"),
                   revocation_endpoint=url("revocation_endpoint", required=False),
                   userinfo_endpoint=url("userinfo_endpoint", required=False),
                   code_challenge_methods=names("code_challenge_methods_supported", ()),
                   token_auth_methods=names("token_endpoint_auth_methods_supported", ("client_secret_basic",)))


@dataclass(frozen=True)
class AuthorizationRequest:
    """One sign-in attempt: what went into the authorize URL and must come back or be reused."""
    url: str
    redirect_uri: str
    state: str
    nonce: str
    pkce: Pkce


def auth_error(reason: str, *, code: str = "auth", vendor_message: str = "", hint: str = SIGN_IN_AGAIN) -> AuthError:
    error = AuthError(VENDOR, code, vendor_message, message=reason, hint=hint)
    error.reason = reason
    return error


# -- token endpoint replies (pure, fuzzed) -----------------------------------------------------

def _text(value: Any, limit: int = 300) -> str:
    return value[:limit] if isinstance(value, str) else ""


def parse_token_reply(status: int, body: Any, *, refreshing: bool) -> dict[str, Any]:
    """The token endpoint's JSON when it holds tokens; otherwise the AuthError (RFC 6749 §5.2
    error) or ProtocolError (a 200 without a usable access token) it amounts to."""
    if status == 200:
        if isinstance(body, dict) and isinstance(body.get("access_token"), str) and body["access_token"]:
            return body
        raise ProtocolError("Nuheat's identity server answered the token request without an access token.",
                            hint="Try again later; if it persists, check the identity server address in Settings.")
    error = _text(body.get("error"), 80) if isinstance(body, dict) else ""
    description = _text(body.get("error_description")) if isinstance(body, dict) else ""
    if status >= 500 or status == 429 or error == "temporarily_unavailable":
        # The service is down or busy: that says nothing about the sign-in, which stays as it
        # is (an AuthError would send the user to the sign-in page for nothing).
        raise VendorError(VENDOR, status, description or error,
                          message=f"Nuheat's sign-in service is unavailable (HTTP {status}).",
                          hint="Try again in a few minutes; you stay signed in." if refreshing
                          else "Try the sign-in again in a few minutes.")
    raise token_error(error or f"http_{status}", description, refreshing)


def token_error(error: str, description: str, refreshing: bool) -> AuthError:
    if error == "invalid_client":
        return auth_error("Nuheat refused SiteKit's client id or secret.", code=error, vendor_message=description,
                          hint="Check the Nuheat client id and secret in Settings.")
    if refreshing and error == "invalid_grant":
        if "expired" in description.lower():
            reason = "Your Nuheat sign-in has expired (the refresh token is older than Nuheat allows)."
        else:
            reason = "Your Nuheat sign-in was revoked or already used elsewhere."
        return auth_error(reason, code=error, vendor_message=description)
    if error == "invalid_grant":
        return auth_error("Nuheat refused the sign-in code (expired, used or not issued to SiteKit).",
                          code=error, vendor_message=description, hint="Start the sign-in again.")
    return auth_error(f"Nuheat refused the token request ({error}).", code=error, vendor_message=description)


# -- loopback redirect receiver (RFC 8252 §7.3) ------------------------------------------

_DONE_PAGE = ("<!doctype html><meta charset='utf-8'><title>SiteKit</title>"
              "<h1>{title}</h1><p>{text}</p><p>You can close this tab and return to SiteKit.</p>")


class LoopbackReceiver:
    """A one-shot aiohttp server on 127.0.0.1 that receives the authorization redirect.

    Port 0 picks a free port (IdentityServer accepts any loopback port for a client registered
    with `http://127.0.0.1` and no path); a fixed port suits clients registered with exact URIs.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, path: str = "/") -> None:
        self.host, self.port, self.path = host, port, path if path.startswith("/") else "/" + path
        self._runner: web.AppRunner | None = None
        self._result: asyncio.Future[dict[str, str]] | None = None

    @property
    def redirect_uri(self) -> str:
        if self._runner is None:
            raise RuntimeError("receiver not started")
        return f"http://{self.host}:{self.port}{self.path}"

    async def start(self) -> str:
        self._result = asyncio.get_running_loop().create_future()
        app = web.Application()
        app.router.add_get(self.path, self._receive)
        runner = web.AppRunner(app, access_log=None)  # the query carries the code
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            raise NetworkError(f"Cannot listen on {self.host}:{self.port} for the Nuheat sign-in ({error}).",
                               hint="Choose another redirect port in Settings.") from None
        self._runner = runner
        self.port = runner.addresses[0][1]
        return self.redirect_uri

    async def _receive(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        if self._result is not None and not self._result.done() and ("code" in params or "error" in params):
            self._result.set_result(params)
        failed = "error" in params or "code" not in params
        page = _DONE_PAGE.format(title="Sign-in failed" if failed else "Signed in to Nuheat",
                                 text="SiteKit shows the reason." if failed else "SiteKit has your sign-in.")
        return web.Response(text=page, content_type="text/html")

    async def wait(self, timeout: float | None = None) -> dict[str, str]:
        if self._result is None:
            raise RuntimeError("receiver not started")
        try:
            return await asyncio.wait_for(asyncio.shield(self._result), timeout)
        except asyncio.TimeoutError:
            raise auth_error("The Nuheat sign-in was not completed in time.", code="timeout",
                             hint="Start the sign-in again and finish it in the browser.") from None

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._result is not None and not self._result.done():
            self._result.cancel()


# -- the sign-in client ------------------------------------------------------------------

OpenBrowser = Callable[[str], Awaitable[Any] | Any]


class NuheatAuth:
    def __init__(self, session: aiohttp.ClientSession, *, issuer: str = DEFAULT_ISSUER, client_id: str,
                 client_secret: str | None = None, token_auth_method: str = "client_secret_basic",
                 scopes: tuple[str, ...] = DEFAULT_SCOPES, redirect_host: str = "127.0.0.1",
                 redirect_port: int = 0, redirect_path: str = "/", tokens: NuheatTokens | None = None,
                 on_tokens: Callable[[NuheatTokens | None], None] | None = None,
                 clock: Callable[[], float] = time.time, refresh_margin: float = REFRESH_MARGIN_SECONDS,
                 skew: ClockSkew | None = None) -> None:
        if token_auth_method not in ("client_secret_basic", "client_secret_post"):
            raise ValueError(f"unsupported token endpoint auth method {token_auth_method!r}")
        self.session = session
        self.issuer = issuer.rstrip("/")
        self.client_id, self.client_secret = client_id, client_secret or None
        self.token_auth_method = token_auth_method
        self.scopes = tuple(scopes)
        self.redirect_host, self.redirect_port, self.redirect_path = redirect_host, redirect_port, redirect_path
        self.tokens = tokens
        self.on_tokens = on_tokens
        self.clock = clock
        # The identity server's clock minus `clock`, from each answer's Date header: an id_token
        # is checked against the server's time, so a laptop minutes off still signs in.
        self.skew = skew or ClockSkew()
        self.refresh_margin = refresh_margin
        self._provider: Provider | None = None
        self._keys: KeySet | None = None
        self._refresh_lock = asyncio.Lock()
        self._renewal_lost = False  # the last renewal's answer never arrived

    # ----- HTTP ---------------------------------------------------------------------------

    async def _request(self, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
        try:
            async with self.session.request(method, url, timeout=HTTP_TIMEOUT, **kwargs) as response:
                status = response.status
                # The id_token's times are the server's: learn its clock from every answer.
                self.skew.observe_date_header(response.headers.get("Date"), self.clock())
                text = await read_text(response, what=WHAT)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise NetworkError(f"Cannot reach Nuheat's identity server ({type(error).__name__}).",
                               hint="Check the internet connection.") from None
        if not text:
            return status, None
        try:
            return status, json.loads(text)
        except (ValueError, RecursionError):
            if status >= 400:
                return status, {"error": f"http_{status}", "error_description": text[:200]}
            raise ProtocolError(f"Nuheat's identity server answered HTTP {status} with something that is "
                                f"not JSON.", hint="Try again later; if it persists, check the identity "
                                "server address in Settings.") from None

    async def discover(self) -> Provider:
        if self._provider is None:
            status, body = await self._request("GET", self.issuer + "/.well-known/openid-configuration")
            if status != 200 or not isinstance(body, dict):
                raise ProtocolError(f"Nuheat's discovery document could not be read (HTTP {status}).")
            provider = Provider.from_discovery(body)
            if provider.issuer.rstrip("/") != self.issuer:
                raise ProtocolError(f"Nuheat's discovery document names issuer {provider.issuer!r}, "
                                    f"expected {self.issuer!r}.")
            self._provider = provider
        return self._provider

    async def _key_set(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            provider = await self.discover()
            status, body = await self._request("GET", provider.jwks_uri)
            if status != 200 or not isinstance(body, dict):
                raise ProtocolError(f"Nuheat's signing keys (JWKS) could not be read (HTTP {status}).")
            try:
                self._keys = KeySet.import_key_set(body)
            except (JoseError, ValueError, KeyError, TypeError) as error:
                raise ProtocolError(f"Nuheat's signing keys (JWKS) are unreadable ({error}).") from None
        return self._keys

    def _client_auth(self, form: dict[str, str]) -> dict[str, str]:
        """Public clients send only client_id; confidential ones add their secret (basic or post)."""
        if self.client_secret is None:
            form["client_id"] = self.client_id
            return {}
        if self.token_auth_method == "client_secret_post":
            form["client_id"], form["client_secret"] = self.client_id, self.client_secret
            return {}
        # RFC 6749 §2.3.1: form-urlencode id and secret, then Basic.
        pair = f"{quote_plus(self.client_id)}:{quote_plus(self.client_secret)}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}

    async def _token_call(self, form: dict[str, str], *, refreshing: bool) -> dict[str, Any]:
        provider = await self.discover()
        headers = self._client_auth(form)
        status, body = await self._request("POST", provider.token_endpoint, data=form, headers=headers)
        return parse_token_reply(status, body, refreshing=refreshing)

    # ----- sign-in ----------------------------------------------------------------------------

    async def authorization_request(self, redirect_uri: str) -> AuthorizationRequest:
        provider = await self.discover()
        if provider.code_challenge_methods and "S256" not in provider.code_challenge_methods:
            raise ProtocolError("Nuheat's identity server does not offer PKCE S256.")
        pkce, state, nonce = Pkce.generate(), generate_token(32), generate_token(32)
        query = {"client_id": self.client_id, "response_type": "code", "scope": " ".join(self.scopes),
                 "redirect_uri": redirect_uri, "state": state, "nonce": nonce,
                 "code_challenge": pkce.challenge, "code_challenge_method": pkce.method}
        separator = "&" if "?" in provider.authorization_endpoint else "?"
        return AuthorizationRequest(provider.authorization_endpoint + separator + urlencode(query),
                                    redirect_uri, state, nonce, pkce)

    async def complete(self, request: AuthorizationRequest, params: dict[str, str]) -> NuheatTokens:
        """Check what came back to the redirect URI, exchange the code, validate the id_token."""
        if params.get("state") != request.state:
            raise auth_error("The Nuheat sign-in answer does not belong to this sign-in (state mismatch).",
                             code="state_mismatch", hint="Start the sign-in again.")
        if "error" in params:
            error = params["error"]
            if error == "access_denied":
                reason = "The Nuheat sign-in was cancelled."
            else:
                reason = f"Nuheat refused the sign-in ({error})."
            raise auth_error(reason, code=error, vendor_message=params.get("error_description", ""),
                             hint="Start the sign-in again.")
        code = params.get("code")
        if not code:
            raise ProtocolError("The Nuheat sign-in answer carries no code.")
        return await self.exchange_code(request, code)

    async def exchange_code(self, request: AuthorizationRequest, code: str) -> NuheatTokens:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": request.redirect_uri,
                "code_verifier": request.pkce.verifier}
        body = await self._token_call(form, refreshing=False)
        id_token = body.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise ProtocolError("Nuheat's token answer has no id_token (is the openid scope granted?).")
        claims = await self.validate_id_token(id_token, nonce=request.nonce)
        return self._store(self._tokens_from(body, subject=str(claims.get("sub", ""))))

    async def sign_in(self, open_browser: OpenBrowser, *, timeout: float = 300.0) -> NuheatTokens:
        """The whole flow: receiver up, browser to the login page, wait, exchange, receiver down."""
        receiver = LoopbackReceiver(self.redirect_host, self.redirect_port, self.redirect_path)
        redirect_uri = await receiver.start()
        try:
            request = await self.authorization_request(redirect_uri)
            opened = open_browser(request.url)
            if inspect.isawaitable(opened):
                await opened
            params = await receiver.wait(timeout)
            return await self.complete(request, params)
        finally:
            await receiver.stop()

    async def validate_id_token(self, id_token: str, *, nonce: str | None) -> dict[str, Any]:
        """Signature against the JWKS (refetched once for an unknown key id), then iss, aud, exp, nonce."""
        try:
            try:
                token = jwt.decode(id_token, await self._key_set(), algorithms=["RS256"])
            except (JoseError, ValueError):
                # Keys rotate: read the JWKS again once before calling the token forged.
                token = jwt.decode(id_token, await self._key_set(refresh=True), algorithms=["RS256"])
            expected: dict[str, Any] = {"iss": {"essential": True, "value": self.issuer},
                                        "aud": {"essential": True, "value": self.client_id},
                                        "exp": {"essential": True}, "sub": {"essential": True}}
            if nonce is not None:
                expected["nonce"] = {"essential": True, "value": nonce}
            registry = jwt.JWTClaimsRegistry(now=lambda: int(self.server_now()), leeway=LEEWAY_SECONDS, **expected)
            registry.validate(token.claims)
        except (JoseError, ValueError) as error:
            raise auth_error("Nuheat's sign-in answer failed its security check (id_token: "
                             f"{getattr(error, 'description', '') or error}).",
                             code="invalid_id_token", hint="Start the sign-in again; check the computer's clock.") \
                from None
        return dict(token.claims)

    def server_now(self) -> float:
        """The identity server's time, as far as its Date headers tell."""
        return self.clock() + self.skew.offset

    # ----- tokens ------------------------------------------------------------------------------

    def _tokens_from(self, body: dict[str, Any], *, subject: str = "",
                     previous: NuheatTokens | None = None) -> NuheatTokens:
        expires_in = body.get("expires_in", 3600)
        if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)) \
                or not 0 < expires_in <= MAX_EXPIRES_IN:
            expires_in = 3600.0  # the documented lifetime; an unusable figure must not stop refreshes
        return NuheatTokens(
            access_token=str(body["access_token"]),
            # A server that does not rotate may omit it: keep the one we have.
            refresh_token=_text(body.get("refresh_token"), 4096) or (previous.refresh_token if previous else None),
            expires_at=self.clock() + float(expires_in),
            id_token=_text(body.get("id_token"), 16384) or (previous.id_token if previous else None),
            scope=_text(body.get("scope"), 1000) or (previous.scope if previous else ""),
            subject=subject or (previous.subject if previous else ""))

    def _store(self, tokens: NuheatTokens | None) -> NuheatTokens | None:
        self.tokens = tokens
        if self.on_tokens is not None:
            self.on_tokens(tokens)
        return tokens

    @property
    def signed_in(self) -> bool:
        return self.tokens is not None

    async def refresh(self) -> NuheatTokens:
        """Trade the refresh token for a new pair. The old refresh token is dead afterwards."""
        async with self._refresh_lock:
            return await self._refresh_locked()

    async def _refresh_locked(self) -> NuheatTokens:
        current = self.tokens
        if current is None or not current.refresh_token:
            raise auth_error("SiteKit has no Nuheat sign-in to renew.", code="no_refresh_token")
        form = {"grant_type": "refresh_token", "refresh_token": current.refresh_token}
        try:
            body = await self._token_call(form, refreshing=True)
        except AuthError as error:
            log.info("Nuheat refused to renew the sign-in (%s)", error.code)  # never the token itself
            if error.code == "invalid_grant":
                self._store(None)  # the stored pair is dead: forget it, the user must sign in again
                if self._renewal_lost:
                    self._renewal_lost = False
                    raise auth_error("Nuheat renewed the sign-in, but its answer was lost on the way; renewals "
                                     "work once, so this sign-in has ended.", code=error.code,
                                     vendor_message=error.vendor_message) from None
            raise
        except (NetworkError, ProtocolError):
            # The request may have reached Nuheat, which then rotated the refresh token we
            # still hold. If the next renewal is refused, this is why.
            self._renewal_lost = True
            raise
        self._renewal_lost = False
        if body.get("id_token"):
            if not isinstance(body["id_token"], str):
                raise ProtocolError("Nuheat's renewed sign-in carries an unreadable id_token.")
            # Refresh does not carry the sign-in nonce (OIDC Core §12.2).
            claims = await self.validate_id_token(body["id_token"], nonce=None)
            if current.subject and claims.get("sub") != current.subject:
                raise auth_error("Nuheat renewed the sign-in for a different user.", code="subject_changed")
        return self._store(self._tokens_from(body, previous=current))

    async def refresh_if_current(self, access_token: str) -> NuheatTokens:
        """Refresh because `access_token` was refused, unless someone already replaced it."""
        async with self._refresh_lock:
            if self.tokens is not None and self.tokens.access_token != access_token:
                return self.tokens
            return await self._refresh_locked()

    async def access_token(self) -> str:
        """A valid access token, refreshed first when it is within `refresh_margin` of expiry."""
        tokens = self.tokens
        if tokens is None:
            raise auth_error("SiteKit is not signed in to Nuheat.", code="signed_out", hint="Sign in to Nuheat.")
        if not tokens.expires_within(self.refresh_margin, self.clock()):
            return tokens.access_token
        async with self._refresh_lock:
            # Another caller may have refreshed while we waited for the lock.
            if self.tokens is not None and not self.tokens.expires_within(self.refresh_margin, self.clock()):
                return self.tokens.access_token
            return (await self._refresh_locked()).access_token

    async def revoke(self, token: str, token_type_hint: str = "refresh_token") -> None:
        provider = await self.discover()
        if not provider.revocation_endpoint:
            return
        form = {"token": token, "token_type_hint": token_type_hint}
        headers = self._client_auth(form)
        status, body = await self._request("POST", provider.revocation_endpoint, data=form, headers=headers)
        if status != 200:
            error = body.get("error", f"http_{status}") if isinstance(body, dict) else f"http_{status}"
            raise auth_error(f"Nuheat did not revoke the sign-in ({error}).", code=str(error),
                             vendor_message=body.get("error_description", "") if isinstance(body, dict) else "",
                             hint="Remove SiteKit's access in the Nuheat account settings.")

    async def sign_out(self) -> None:
        """Revoke the refresh token (access tokens cannot be revoked; they die within the hour), forget both."""
        tokens = self.tokens
        try:
            if tokens is not None and tokens.refresh_token:
                await self.revoke(tokens.refresh_token)
        finally:
            self._store(None)
