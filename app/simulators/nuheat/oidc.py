"""The simulated Nuheat identity server (IdentityServer4-like OpenID Connect provider).

Routes: discovery `/.well-known/openid-configuration`, JWKS `…/jwks`, `/connect/authorize`
(GET: an HTML login form whose hidden inputs carry the authorize parameters; POST: the
filled form, answered by a 302 to the redirect URI with `code` and `state`),
`/connect/token` (authorization_code with PKCE plain/S256, refresh_token with rotation:
a used refresh token is refused), `/connect/userinfo`, `/connect/revocation`.

Clients authenticate with client_secret_basic or client_secret_post; a public client
sends only its client_id and must use PKCE. Errors at the token endpoint are RFC 6749
JSON (`{"error": "invalid_grant", "error_description": …}`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import hashlib
import html
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus, urlencode, urlsplit

from aiohttp import web

from app.simulators.nuheat.jwt_signing import b64url, s256_challenge
from app.simulators.nuheat.state import (ACCESS_TOKEN_SECONDS, CODE_SECONDS, REFRESH_TOKEN_SECONDS,
                                         SUPPORTED_SCOPES, AuthorizationCode, Grant, SimClient)

if TYPE_CHECKING:
    from app.simulators.nuheat.sim import NuheatSim

AUTHORIZE_PARAMS = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
                    "code_challenge", "code_challenge_method", "response_mode")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def response(self) -> web.Response:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="identity"'
        return web.json_response({"error": self.error, "error_description": self.description},
                                 status=self.status, headers=headers)


def _bad_page(message: str) -> web.Response:
    """Errors the authorize endpoint cannot send back to the client (bad client or redirect)."""
    return web.Response(status=400, content_type="text/html",
                        text=f"<!doctype html><title>Error</title><h1>Sorry, there was an error</h1>"
                             f"<p class='error'>{html.escape(message)}</p>")


def _redirect(redirect_uri: str, params: dict[str, str | None]) -> web.HTTPFound:
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return web.HTTPFound(redirect_uri + separator + urlencode({k: v for k, v in params.items() if v is not None}))


class IdentityApi:
    def __init__(self, sim: NuheatSim) -> None:
        self.sim = sim

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/.well-known/openid-configuration", self.discovery)
        app.router.add_get("/.well-known/openid-configuration/jwks", self.jwks)
        app.router.add_get("/connect/authorize", self.authorize_form)
        app.router.add_post("/connect/authorize", self.authorize_submit)
        app.router.add_post("/connect/token", self.token)
        app.router.add_get("/connect/userinfo", self.userinfo)
        app.router.add_post("/connect/userinfo", self.userinfo)
        app.router.add_post("/connect/revocation", self.revocation)

    # ----- discovery ------------------------------------------------------------------------

    async def discovery(self, request: web.Request) -> web.Response:
        issuer = self.sim.issuer
        return web.json_response({
            "issuer": issuer,
            "jwks_uri": issuer + "/.well-known/openid-configuration/jwks",
            "authorization_endpoint": issuer + "/connect/authorize",
            "token_endpoint": issuer + "/connect/token",
            "userinfo_endpoint": issuer + "/connect/userinfo",
            "end_session_endpoint": issuer + "/connect/endsession",
            "revocation_endpoint": issuer + "/connect/revocation",
            "introspection_endpoint": issuer + "/connect/introspect",
            "frontchannel_logout_supported": True,
            "backchannel_logout_supported": True,
            "scopes_supported": list(SUPPORTED_SCOPES),
            "claims_supported": ["sub", "name", "family_name", "given_name", "email"],
            "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token", "implicit"],
            "response_types_supported": ["code", "token", "id_token", "id_token token", "code id_token",
                                         "code token", "code id_token token"],
            "response_modes_supported": ["form_post", "query", "fragment"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "request_parameter_supported": True,
        })

    async def jwks(self, request: web.Request) -> web.Response:
        return web.json_response(self.sim.signing_key.jwks())

    # ----- authorize ------------------------------------------------------------------------

    def _redirect_allowed(self, client: SimClient, redirect_uri: str) -> bool:
        if client.redirect_uris:
            return redirect_uri in client.redirect_uris
        try:
            parts = urlsplit(redirect_uri)
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            return False
        return parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS and not parts.fragment

    def _check_authorize(self, params: dict[str, str]) -> tuple[SimClient, str] | web.Response:
        """Validate what must be valid before anything can be sent back to the redirect URI."""
        client = self.sim.identity.clients.get(params.get("client_id", ""))
        if client is None:
            return _bad_page("Unknown client or client not enabled.")
        redirect_uri = params.get("redirect_uri", "")
        if not self._redirect_allowed(client, redirect_uri):
            return _bad_page("Invalid redirect_uri.")
        return client, redirect_uri

    def _authorize_error(self, client: SimClient, params: dict[str, str]) -> tuple[str, str] | None:
        if params.get("response_type") != "code":
            return "unsupported_response_type", "Only response_type=code is supported by this client."
        scopes = params.get("scope", "").split()
        if "openid" not in scopes:
            return "invalid_scope", "The openid scope is required."
        unknown = [s for s in scopes if s not in client.allowed_scopes]
        if unknown:
            return "invalid_scope", "Invalid scope: " + " ".join(unknown)
        challenge = params.get("code_challenge")
        method = params.get("code_challenge_method") or ("plain" if challenge else None)
        if challenge is None and client.public:
            return "invalid_request", "code challenge required"
        if method is not None and method not in ("plain", "S256"):
            return "invalid_request", "Transform algorithm not supported"
        if challenge is not None and not 43 <= len(challenge) <= 128:
            return "invalid_request", "Invalid code_challenge"
        return None

    def _login_page(self, params: dict[str, str], error: str = "") -> web.Response:
        hidden = "\n".join(
            f'<input type="hidden" name="{name}" value="{html.escape(params[name], quote=True)}">'
            for name in AUTHORIZE_PARAMS if params.get(name) is not None)
        error_html = f'<div class="alert alert-danger">{html.escape(error)}</div>' if error else ""
        return web.Response(content_type="text/html", text=f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Nuheat - Sign in</title></head>
<body><h1>Sign in to Nuheat</h1>{error_html}
<form method="post" action="/connect/authorize">
{hidden}
<label>Email <input type="email" name="username" autofocus></label>
<label>Password <input type="password" name="password"></label>
<button type="submit" name="button" value="login">Sign in</button>
<button type="submit" name="button" value="cancel">Cancel</button>
</form></body></html>""")

    def _authorize_request(self, params: dict[str, str]):
        """(client, redirect_uri) for good authorize parameters; a page for a bad client or
        redirect (nowhere safe to send the error); the OAuth error redirect for the rest."""
        checked = self._check_authorize(params)
        if isinstance(checked, web.Response):
            return checked
        client, redirect_uri = checked
        error = self._authorize_error(client, params)
        if error:
            raise _redirect(redirect_uri, {"error": error[0], "error_description": error[1],
                                     "state": params.get("state")})
        return client, redirect_uri

    async def authorize_form(self, request: web.Request) -> web.Response:
        await self.sim.apply_delay()
        params = dict(request.query)
        checked = self._authorize_request(params)
        if isinstance(checked, web.Response):
            return checked
        return self._login_page(params)

    async def authorize_submit(self, request: web.Request) -> web.Response:
        await self.sim.apply_delay()
        form = dict(await request.post())
        params = {name: str(form[name]) for name in AUTHORIZE_PARAMS if name in form}
        checked = self._authorize_request(params)
        if isinstance(checked, web.Response):
            return checked
        client, redirect_uri = checked
        if form.get("button") == "cancel":
            raise _redirect(redirect_uri, {"error": "access_denied", "state": params.get("state")})
        user = self.sim.user_by_login(str(form.get("username", "")), str(form.get("password", "")))
        if user is None:
            self.sim.failed_logins += 1
            return self._login_page(params, "Invalid username or password")
        code = self.sim.identity.new_handle()
        challenge = params.get("code_challenge")
        self.sim.identity.codes[code] = AuthorizationCode(
            client_id=client.client_id, redirect_uri=redirect_uri, scopes=tuple(params["scope"].split()),
            user_id=user.user_id, nonce=params.get("nonce"), code_challenge=challenge,
            code_challenge_method=(params.get("code_challenge_method") or "plain") if challenge else None,
            expires_at=self.sim.now() + CODE_SECONDS, auth_time=int(self.sim.now()))
        raise _redirect(redirect_uri, {"code": code, "scope": params["scope"], "state": params.get("state"),
                                 "session_state": self.sim.identity.new_handle()[:43].lower()})

    # ----- token ----------------------------------------------------------------------------

    def _authenticate_client(self, request: web.Request, form: dict[str, str]) -> SimClient:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
                raw_id, raw_secret = decoded.split(":", 1)
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise OAuthError("invalid_client", "Malformed Basic authorization header.", 401) from None
            client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
            if "client_secret" in form:
                raise OAuthError("invalid_request", "Use one client authentication method only.")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret")
        client = self.sim.identity.clients.get(client_id)
        if client is None:
            raise OAuthError("invalid_client", "Unknown client.", 401)
        if client.public:
            return client
        if not secret or not hmac.compare_digest(secret.encode(), client.secret.encode()):
            raise OAuthError("invalid_client", "Client authentication failed.", 401)
        return client

    async def token(self, request: web.Request) -> web.Response:
        await self.sim.apply_delay()
        if request.content_type != "application/x-www-form-urlencoded":
            return OAuthError("invalid_request", "POST body must be application/x-www-form-urlencoded.").response()
        form = {k: str(v) for k, v in (await request.post()).items()}
        try:
            client = self._authenticate_client(request, form)
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                body = self._code_grant(client, form)
            elif grant_type == "refresh_token":
                body = self._refresh_grant(client, form)
            else:
                raise OAuthError("unsupported_grant_type", f"Grant type {grant_type!r} is not supported.")
        except OAuthError as error:
            return error.response()
        self.sim.token_requests += 1
        return web.json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _code_grant(self, client: SimClient, form: dict[str, str]) -> dict[str, Any]:
        code = self.sim.identity.codes.pop(form.get("code", ""), None)  # one use, even a failed one
        if code is None or code.expires_at < self.sim.now():
            raise OAuthError("invalid_grant", "Invalid or expired authorization code.")
        if code.client_id != client.client_id:
            raise OAuthError("invalid_grant", "The code was issued to another client.")
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorize request.")
        verifier = form.get("code_verifier")
        if code.code_challenge is not None:
            if not verifier or not 43 <= len(verifier) <= 128:
                raise OAuthError("invalid_grant", "code_verifier missing or malformed.")
            expected = s256_challenge(verifier) if code.code_challenge_method == "S256" else verifier
            if not hmac.compare_digest(expected.encode(), code.code_challenge.encode()):
                raise OAuthError("invalid_grant", "Transformed code verifier does not match code challenge.")
        elif verifier:
            raise OAuthError("invalid_grant", "code_verifier sent but no code_challenge was.")
        return self._issue(client, code.user_id, code.scopes, code.auth_time, code.nonce)

    def _refresh_grant(self, client: SimClient, form: dict[str, str]) -> dict[str, Any]:
        token = form.get("refresh_token", "")
        grant = self.sim.identity.refresh_tokens.get(token)
        if grant is None:
            raise OAuthError("invalid_grant", "Invalid refresh token (unknown, used or revoked).")
        if grant.client_id != client.client_id:
            raise OAuthError("invalid_grant", "The refresh token was issued to another client.")
        if grant.expires_at < self.sim.now():
            del self.sim.identity.refresh_tokens[token]
            raise OAuthError("invalid_grant", "The refresh token has expired.")
        scopes = grant.scopes
        if form.get("scope"):
            asked = tuple(form["scope"].split())
            if not set(asked) <= set(grant.scopes):
                raise OAuthError("invalid_scope", "Refresh cannot widen the granted scopes.")
            scopes = asked
        del self.sim.identity.refresh_tokens[token]  # one-time use: rotated
        return self._issue(client, grant.user_id, scopes, grant.auth_time, None, keep_offline=True)

    def _issue(self, client: SimClient, user_id: str, scopes: tuple[str, ...], auth_time: int,
               nonce: str | None, keep_offline: bool = False) -> dict[str, Any]:
        now = self.sim.now()
        identity, issuer, key = self.sim.identity, self.sim.issuer, self.sim.signing_key
        access_claims = {
            "iss": issuer, "nbf": int(now), "iat": int(now), "exp": int(now) + ACCESS_TOKEN_SECONDS,
            "aud": ["openapi", issuer + "/resources"], "client_id": client.client_id, "sub": user_id,
            "auth_time": auth_time, "idp": "local", "scope": list(scopes), "amr": ["pwd"],
            "jti": identity.new_handle()[:32],
        }
        access_token = key.sign(access_claims, typ="at+jwt")
        identity.access_tokens[access_token] = Grant(user_id, client.client_id, scopes,
                                                     now + ACCESS_TOKEN_SECONDS, auth_time)
        body: dict[str, Any] = {"access_token": access_token, "expires_in": ACCESS_TOKEN_SECONDS,
                                "token_type": "Bearer", "scope": " ".join(scopes)}
        if "openid" in scopes:
            id_claims = {"iss": issuer, "nbf": int(now), "iat": int(now), "exp": int(now) + 300,
                         "aud": client.client_id, "amr": ["pwd"], "at_hash": self._at_hash(access_token),
                         "sid": identity.new_handle()[:32], "sub": user_id, "auth_time": auth_time, "idp": "local"}
            if nonce is not None:
                id_claims["nonce"] = nonce
            body["id_token"] = key.sign(id_claims)
        if "offline_access" in scopes:
            refresh_token = identity.new_handle()
            identity.refresh_tokens[refresh_token] = Grant(user_id, client.client_id, scopes,
                                                           now + REFRESH_TOKEN_SECONDS, auth_time)
            body["refresh_token"] = refresh_token
        return body

    @staticmethod
    def _at_hash(access_token: str) -> str:
        return b64url(hashlib.sha256(access_token.encode("ascii")).digest()[:16])

    # ----- userinfo, revocation ---------------------------------------------------------------

    async def userinfo(self, request: web.Request) -> web.Response:
        await self.sim.apply_delay()
        grant = self.sim.bearer_grant(request)
        if grant is None:
            return web.Response(status=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if "openid" not in grant.scopes:
            return web.Response(status=403, headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'})
        user = self.sim.users[grant.user_id]
        claims: dict[str, Any] = {"sub": user.user_id}
        if "profile" in grant.scopes:
            claims.update(name=f"{user.first_name} {user.last_name}", given_name=user.first_name,
                          family_name=user.last_name, email=user.username)
        return web.json_response(claims)

    async def revocation(self, request: web.Request) -> web.Response:
        """RFC 7009: 200 whether or not the token was known. Access tokens are JWTs and cannot be
        revoked (the seed says so); a refresh token is."""
        await self.sim.apply_delay()
        form = {k: str(v) for k, v in (await request.post()).items()}
        try:
            client = self._authenticate_client(request, form)
        except OAuthError as error:
            return error.response()
        token = form.get("token")
        if not token:
            return OAuthError("invalid_request", "token is required.").response()
        hint = form.get("token_type_hint")
        if hint not in (None, "", "refresh_token", "access_token"):
            return OAuthError("unsupported_token_type", f"Unsupported token type {hint!r}.").response()
        grant = self.sim.identity.refresh_tokens.get(token)
        if grant is not None and grant.client_id == client.client_id:
            del self.sim.identity.refresh_tokens[token]
            self.sim.revocations += 1
        return web.Response(status=200)

