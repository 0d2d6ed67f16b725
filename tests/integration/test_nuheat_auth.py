"""Nuheat sign-in end to end against the simulated identity server.

No browser: `fill_login_form` plays the user. It GETs the authorize page, posts the login
form with its hidden fields, and follows the 302 to SiteKit's loopback receiver by HTTP.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from app.core.errors import AuthError
from app.simulators.nuheat.jwt_signing import SigningKey
from app.simulators.nuheat.login_form import LoginForm
from app.vendors.nuheat.auth import LoopbackReceiver, NuheatAuth, NuheatTokens


def login_filler(username: str, password: str, *, button: str = "login", pages: list | None = None):
    """An `open_browser` that signs in over HTTP; `pages` collects any page that is not a redirect."""
    async def fill_login_form(url: str) -> None:
        async with aiohttp.ClientSession() as browser:
            async with browser.get(url, allow_redirects=False) as page:
                if page.status == 302:  # the server refused before showing the form
                    await (await browser.get(page.headers["Location"])).release()
                    return
                form = LoginForm()
                form.feed(await page.text())
            target = urlsplit(url)._replace(path=form.action, query="").geturl()
            data = {**form.fields, "username": username, "password": password, "button": button}
            async with browser.post(target, data=data, allow_redirects=False) as answer:
                if answer.status != 302:
                    if pages is not None:
                        pages.append(await answer.text())
                    return
                location = answer.headers["Location"]
            async with browser.get(location) as done:  # the loopback receiver
                assert done.status == 200
    return fill_login_form


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as http:
        yield http


def public_auth(sim, session, **kwargs):
    return NuheatAuth(session, issuer=sim.issuer, client_id=sim.public_client_id, **kwargs)


async def account_status(sim, session, access_token):
    async with session.get(sim.api + "/api/v1/Account",
                           headers={"Authorization": f"Bearer {access_token}"}) as response:
        return response.status


async def test_public_client_signs_in_with_pkce(nuheat_sim, session):
    stored = []
    auth = public_auth(nuheat_sim, session, on_tokens=stored.append)
    tokens = await auth.sign_in(login_filler(nuheat_sim.username, nuheat_sim.password), timeout=10)
    assert tokens.access_token and tokens.refresh_token and tokens.id_token and tokens.subject
    assert stored == [tokens]
    assert 3500 < tokens.expires_at - time.time() <= 3600
    assert set(tokens.scope.split()) == {"openid", "openapi", "profile", "offline_access"}
    assert await account_status(nuheat_sim, session, await auth.access_token()) == 200
    assert NuheatTokens.from_json(tokens.to_json()) == tokens


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
async def test_confidential_client_signs_in(nuheat_sim, session, method):
    auth = NuheatAuth(session, issuer=nuheat_sim.issuer, client_id=nuheat_sim.client_id,
                      client_secret=nuheat_sim.client_secret, token_auth_method=method)
    tokens = await auth.sign_in(login_filler(nuheat_sim.username, nuheat_sim.password), timeout=10)
    assert await account_status(nuheat_sim, session, tokens.access_token) == 200


async def test_wrong_client_secret_is_explained(nuheat_sim, session):
    auth = NuheatAuth(session, issuer=nuheat_sim.issuer, client_id=nuheat_sim.client_id, client_secret="nope")
    with pytest.raises(AuthError, match="client id or secret"):
        await auth.sign_in(login_filler(nuheat_sim.username, nuheat_sim.password), timeout=10)


async def test_authorize_url_carries_state_nonce_and_s256(nuheat_sim, session):
    auth = public_auth(nuheat_sim, session)
    request = await auth.authorization_request("http://127.0.0.1:5555/")
    query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
    assert query["code_challenge_method"] == "S256" and query["code_challenge"] == request.pkce.challenge
    assert query["state"] == request.state and query["nonce"] == request.nonce
    assert query["scope"] == "openid openapi profile offline_access"
    assert query["response_type"] == "code" and query["redirect_uri"] == "http://127.0.0.1:5555/"
    other = await auth.authorization_request("http://127.0.0.1:5555/")
    assert (other.state, other.nonce, other.pkce.verifier) != (request.state, request.nonce, request.pkce.verifier)


async def test_cancel_and_state_mismatch(nuheat_sim, session):
    auth = public_auth(nuheat_sim, session)
    with pytest.raises(AuthError, match="cancelled"):
        await auth.sign_in(login_filler(nuheat_sim.username, nuheat_sim.password, button="cancel"), timeout=10)
    request = await auth.authorization_request("http://127.0.0.1:5555/")
    with pytest.raises(AuthError, match="state mismatch"):
        await auth.complete(request, {"code": "x", "state": "forged"})


async def test_wrong_password_stays_on_the_form_until_timeout(nuheat_sim, session):
    pages = []
    auth = public_auth(nuheat_sim, session)
    with pytest.raises(AuthError, match="not completed in time"):
        await auth.sign_in(login_filler(nuheat_sim.username, "wrong", pages=pages), timeout=0.5)
    assert "Invalid username or password" in pages[0]
    assert nuheat_sim.failed_logins == 1


async def test_refresh_rotates_and_the_old_token_is_dead(nuheat_sim, session):
    stored = []
    auth = public_auth(nuheat_sim, session, on_tokens=stored.append)
    first = await auth.sign_in(login_filler(nuheat_sim.username, nuheat_sim.password), timeout=10)
    second = await auth.refresh()
    assert second.refresh_token != first.refresh_token and second.access_token != first.access_token
    assert second.subject == first.subject and stored[-1] == second
    assert await account_status(nuheat_sim, session, second.access_token) == 200
    # A copy of SiteKit still holding the first pair (restored from an old keyring entry):
    stale = public_auth(nuheat_sim, session, tokens=first)
    with pytest.raises(AuthError) as caught:
        await stale.refresh()
    assert "revoked or already used" in caught.value.message and "Sign in" in caught.value.hint
    assert stale.tokens is None


async def test_access_token_is_refreshed_before_it_expires(nuheat_sim, session):
    now = [time.time()]
    auth = public_auth(nuheat_sim, session, clock=lambda: now[0])
    first = await auth.sign_in(login_filler(nuheat_sim.username, nuheat_sim.password), timeout=10)
    assert await auth.access_token() == first.access_token
    now[0] += 3600 - 200  # inside the 300 s margin; the server's clock moves on too
    nuheat_sim.faults.clock_offset = 3600 - 200
    fresh = await auth.access_token()
    assert fresh != first.access_token and auth.tokens.refresh_token != first.refresh_token


async def test_expired_refresh_token_asks_to_sign_in_again(nuheat_sim, session):
    stored = []
    auth = public_auth(nuheat_sim, session, on_tokens=stored.append)
    await auth.sign_in(login_filler(nuheat_sim.username, nuheat_sim.password), timeout=10)
    nuheat_sim.expire_refresh_tokens()
    with pytest.raises(AuthError) as caught:
        await auth.refresh()
    assert "expired" in caught.value.message and caught.value.hint == "Sign in to Nuheat again."
    assert stored[-1] is None and not auth.signed_in


async def test_sign_out_revokes_the_refresh_token(nuheat_sim, session):
    auth = public_auth(nuheat_sim, session)
    tokens = await auth.sign_in(login_filler(nuheat_sim.username, nuheat_sim.password), timeout=10)
    await auth.sign_out()
    assert nuheat_sim.revocations == 1 and auth.tokens is None
    with pytest.raises(AuthError, match="revoked"):
        await public_auth(nuheat_sim, session, tokens=tokens).refresh()


async def test_revoked_by_the_user(nuheat_sim, session):
    auth = public_auth(nuheat_sim, session)
    await auth.sign_in(login_filler(nuheat_sim.username, nuheat_sim.password), timeout=10)
    nuheat_sim.revoke_user_grants(nuheat_sim.username)
    with pytest.raises(AuthError, match="revoked"):
        await auth.refresh()


def _claims(sim, auth, **overrides):
    now = int(time.time())
    claims = {"iss": sim.issuer, "aud": auth.client_id, "sub": "u1", "iat": now, "nbf": now, "exp": now + 300,
              "nonce": "n-1"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.mark.parametrize("overrides", [
    {"iss": "https://evil.example"}, {"aud": "someone-else"}, {"exp": int(time.time()) - 3600},
    {"nonce": "other"}, {"nonce": None}, {"sub": None}])
async def test_id_token_claims_are_checked(nuheat_sim, session, overrides):
    auth = public_auth(nuheat_sim, session)
    token = nuheat_sim.signing_key.sign(_claims(nuheat_sim, auth, **overrides))
    with pytest.raises(AuthError, match="security check"):
        await auth.validate_id_token(token, nonce="n-1")


async def test_id_token_signature_is_checked(nuheat_sim, session):
    auth = public_auth(nuheat_sim, session)
    good = nuheat_sim.signing_key.sign(_claims(nuheat_sim, auth))
    assert (await auth.validate_id_token(good, nonce="n-1"))["sub"] == "u1"
    forged = SigningKey().sign(_claims(nuheat_sim, auth))
    with pytest.raises(AuthError, match="security check"):
        await auth.validate_id_token(forged, nonce="n-1")
    header, payload, signature = good.split(".")
    tampered = ".".join([header, _claims_b64(nuheat_sim, auth, sub="admin"), signature])
    with pytest.raises(AuthError, match="security check"):
        await auth.validate_id_token(tampered, nonce="n-1")


def _claims_b64(sim, auth, **overrides):
    import base64
    import json
    raw = json.dumps(_claims(sim, auth, **overrides), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def test_loopback_receiver_fixed_port_and_path(session):
    receiver = LoopbackReceiver(port=0, path="/callback")
    uri = await receiver.start()
    try:
        assert uri.startswith("http://127.0.0.1:") and uri.endswith("/callback")
        async with session.get(uri + "?code=abc&state=s") as page:
            assert page.status == 200 and "Signed in" in await page.text()
        assert await receiver.wait(1) == {"code": "abc", "state": "s"}
    finally:
        await receiver.stop()


async def test_concurrent_callers_near_expiry_share_one_refresh(nuheat_sim, session):
    now = [time.time()]
    auth = public_auth(nuheat_sim, session, clock=lambda: now[0])
    await auth.sign_in(login_filler(nuheat_sim.username, nuheat_sim.password), timeout=10)
    before = nuheat_sim.token_requests
    now[0] += 3500
    nuheat_sim.faults.clock_offset = 3500
    tokens = await asyncio.gather(*(auth.access_token() for _ in range(8)))
    assert len(set(tokens)) == 1 and nuheat_sim.token_requests == before + 1
