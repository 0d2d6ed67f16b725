"""The simulated Nuheat cloud over real loopback HTTP: OIDC sign-in (the login form filled
by HTTP, no browser), tokens, and the OpenAPI v1 with its rules, limits and faults."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote_plus, urlsplit

import aiohttp
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from app.simulators.nuheat import DEMO_PASSWORD, DEMO_USERNAME, EMPTY_USERNAME, NuheatSim, RateLimit
from app.simulators.nuheat.jwt_signing import s256_challenge
from tests.vectors import __file__ as _vectors_init

REDIRECT_URI = "http://127.0.0.1:53682/callback"
SCOPES = "openid openapi profile offline_access"


def _pkce_vector() -> dict[str, str]:
    from pathlib import Path
    return json.loads((Path(_vectors_init).parent / "lan-and-pkce.json").read_text())["pkce_rfc7636_appendix_b"]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action")
        elif tag == "input" and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value", "")


@pytest.fixture
async def sim():
    simulator = NuheatSim()
    await simulator.start("127.0.0.1", 0)
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def session():
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        yield http


async def authorize(session, sim, *, client_id=None, scope=SCOPES, challenge=None, method="S256",
                    username=DEMO_USERNAME, password=DEMO_PASSWORD, nonce="n-0S6_WzA2Mj",
                    state="af0ifjsldkj") -> dict[str, list[str]]:
    """GET the login form, POST it filled in; returns the redirect's query parameters."""
    params = {"client_id": client_id or sim.public_client_id, "redirect_uri": REDIRECT_URI,
              "response_type": "code", "scope": scope, "state": state, "nonce": nonce}
    if challenge is not None:
        params.update(code_challenge=challenge, code_challenge_method=method)
    async with session.get(sim.issuer + "/connect/authorize", params=params, allow_redirects=False) as reply:
        assert reply.status == 200, await reply.text()
        assert reply.content_type == "text/html"
        form = _FormParser()
        form.feed(await reply.text())
    assert form.action == "/connect/authorize"
    data = {**form.fields, "username": username, "password": password, "button": "login"}
    async with session.post(sim.issuer + form.action, data=data, allow_redirects=False) as reply:
        if reply.status == 200:
            return {"_page": [await reply.text()]}
        assert reply.status == 302, await reply.text()
        location = reply.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return parse_qs(urlsplit(location).query)


async def token_request(session, sim, data, auth=None):
    async with session.post(sim.issuer + "/connect/token", data=data, headers=auth) as reply:
        return reply.status, await reply.json()


async def sign_in(session, sim, scope=SCOPES, username=DEMO_USERNAME) -> dict:
    verifier = secrets.token_urlsafe(48)
    query = await authorize(session, sim, challenge=s256_challenge(verifier), scope=scope, username=username)
    status, body = await token_request(session, sim, {
        "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": REDIRECT_URI,
        "client_id": sim.public_client_id, "code_verifier": verifier})
    assert status == 200, body
    return body


async def api(session, sim, method, path, token, **kwargs):
    async with session.request(method, sim.api + path, headers={"Authorization": f"Bearer {token}"},
                               **kwargs) as reply:
        body = await reply.read()
        parsed = json.loads(body) if body and reply.content_type == "application/json" else body.decode()
        return reply.status, parsed, reply.headers


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_jwt(token: str, jwks: dict) -> dict:
    """Check an RS256 JWS against the JWKS with `cryptography` (raises when it is bad)."""
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(_b64(header_b64))
    assert header["alg"] == "RS256"
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    key = rsa.RSAPublicNumbers(int.from_bytes(_b64(jwk["e"]), "big"),
                               int.from_bytes(_b64(jwk["n"]), "big")).public_key()
    key.verify(_b64(signature_b64), f"{header_b64}.{payload_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return json.loads(_b64(payload_b64))


# ----- identity server -------------------------------------------------------------------------

async def test_discovery_and_jwks(sim, session):
    async with session.get(sim.issuer + "/.well-known/openid-configuration") as reply:
        discovery = await reply.json()
    assert discovery["issuer"] == sim.issuer
    assert discovery["code_challenge_methods_supported"] == ["plain", "S256"]
    assert set(discovery["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}
    for name, path in (("authorization_endpoint", "/connect/authorize"), ("token_endpoint", "/connect/token"),
                       ("userinfo_endpoint", "/connect/userinfo"), ("revocation_endpoint", "/connect/revocation"),
                       ("jwks_uri", "/.well-known/openid-configuration/jwks")):
        assert discovery[name] == sim.issuer + path
    async with session.get(discovery["jwks_uri"]) as reply:
        jwks = await reply.json()
    (key,) = jwks["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]


async def test_pkce_s256_sign_in_then_account_and_thermostats(sim, session):
    verifier = _pkce_vector()["code_verifier"]
    assert s256_challenge(verifier) == _pkce_vector()["code_challenge_S256"]
    query = await authorize(session, sim, challenge=s256_challenge(verifier))
    assert query["state"] == ["af0ifjsldkj"] and query["scope"] == [SCOPES]
    status, tokens = await token_request(session, sim, {
        "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": REDIRECT_URI,
        "client_id": sim.public_client_id, "code_verifier": verifier})
    assert status == 200, tokens
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert tokens["refresh_token"] and tokens["scope"] == SCOPES
    async with session.get(sim.issuer + "/.well-known/openid-configuration/jwks") as reply:
        jwks = await reply.json()
    claims = verify_jwt(tokens["id_token"], jwks)
    assert claims["iss"] == sim.issuer and claims["aud"] == sim.public_client_id
    assert claims["nonce"] == "n-0S6_WzA2Mj" and claims["exp"] > claims["iat"]
    access = verify_jwt(tokens["access_token"], jwks)
    assert "openapi" in access["aud"] and access["client_id"] == sim.public_client_id
    assert access["sub"] == claims["sub"] and "openapi" in access["scope"]

    status, account, headers = await api(session, sim, "GET", "/api/v1/Account", tokens["access_token"])
    assert status == 200
    assert account == {"firstName": "Dana", "lastName": "Demo", "email": DEMO_USERNAME, "use12Hour": False,
                       "temperatureScale": "Celsius"}
    assert headers["X-Rate-Limit-Limit"] == "7d" and headers["X-Rate-Limit-Remaining"] == "249999"
    status, thermostats, _ = await api(session, sim, "GET", "/api/v1/Thermostat", tokens["access_token"])
    assert status == 200 and len(thermostats) == 12
    assert set(thermostats[0]) == {"serialNumber", "name", "setPointTemp", "scheduleMode", "holdSetPointDateTime",
                                   "groupId", "swVersion", "online", "operatingMode", "isHeating",
                                   "currentTemperature", "tzOffset", "error"}
    serial = thermostats[0]["serialNumber"]
    status, one, _ = await api(session, sim, "GET", f"/api/v1/Thermostat/{serial}", tokens["access_token"])
    assert status == 200 and one == thermostats[0]
    status, body, _ = await api(session, sim, "GET", "/api/v1/Thermostat/999", tokens["access_token"])
    assert status == 404
    async with session.get(sim.issuer + "/connect/userinfo",
                           headers={"Authorization": "Bearer " + tokens["access_token"]}) as reply:
        assert await reply.json() == {"sub": claims["sub"], "name": "Dana Demo", "given_name": "Dana",
                                      "family_name": "Demo", "email": DEMO_USERNAME}


async def test_login_form_rejects_a_wrong_password_and_cancel_is_access_denied(sim, session):
    query = await authorize(session, sim, challenge=s256_challenge("x" * 43), password="wrong")
    assert "Invalid username or password" in query["_page"][0] and sim.failed_logins == 1
    params = {"client_id": sim.public_client_id, "redirect_uri": REDIRECT_URI, "response_type": "code",
              "scope": SCOPES, "state": "s1", "code_challenge": s256_challenge("x" * 43),
              "code_challenge_method": "S256", "button": "cancel"}
    async with session.post(sim.issuer + "/connect/authorize", data=params, allow_redirects=False) as reply:
        assert reply.status == 302
        assert parse_qs(urlsplit(reply.headers["Location"]).query) == {"error": ["access_denied"], "state": ["s1"]}


async def test_authorize_refuses_bad_clients_redirects_and_missing_pkce(sim, session):
    base = {"client_id": sim.public_client_id, "redirect_uri": REDIRECT_URI, "response_type": "code",
            "scope": SCOPES, "state": "s"}
    for change in ({"client_id": "nobody"}, {"redirect_uri": "https://evil.example/cb"}):
        async with session.get(sim.issuer + "/connect/authorize", params={**base, **change},
                               allow_redirects=False) as reply:
            assert reply.status == 400
    # a public client must use PKCE: the error goes back to the (valid) redirect URI
    async with session.get(sim.issuer + "/connect/authorize", params=base, allow_redirects=False) as reply:
        assert reply.status == 302
        query = parse_qs(urlsplit(reply.headers["Location"]).query)
        assert query["error"] == ["invalid_request"] and query["state"] == ["s"]
    async with session.get(sim.issuer + "/connect/authorize",
                           params={**base, "code_challenge": "a" * 43, "code_challenge_method": "S512"},
                           allow_redirects=False) as reply:
        assert parse_qs(urlsplit(reply.headers["Location"]).query)["error"] == ["invalid_request"]


async def test_pkce_plain_and_wrong_verifier_and_code_reuse(sim, session):
    verifier = secrets.token_urlsafe(40)
    query = await authorize(session, sim, challenge=verifier, method="plain")
    exchange = {"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": REDIRECT_URI,
                "client_id": sim.public_client_id, "code_verifier": verifier}
    status, body = await token_request(session, sim, exchange)
    assert status == 200 and body["access_token"]
    status, body = await token_request(session, sim, exchange)  # a code is good once
    assert (status, body["error"]) == (400, "invalid_grant")

    query = await authorize(session, sim, challenge=s256_challenge(verifier))
    status, body = await token_request(session, sim, {**exchange, "code": query["code"][0],
                                                      "code_verifier": secrets.token_urlsafe(40)})
    assert (status, body["error"]) == (400, "invalid_grant")
    query = await authorize(session, sim, challenge=s256_challenge(verifier))
    status, body = await token_request(session, sim, {**exchange, "code": query["code"][0],
                                                      "redirect_uri": "http://127.0.0.1:1/other"})
    assert (status, body["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
async def test_confidential_client_with_secret(sim, session, auth_method):
    query = await authorize(session, sim, client_id=sim.client_id)  # PKCE optional for it
    data = {"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": REDIRECT_URI}
    auth = None
    if auth_method == "client_secret_basic":
        # RFC 6749 §2.3.1: form-encode id and secret, then base64
        pair = f"{quote_plus(sim.client_id)}:{quote_plus(sim.client_secret)}".encode()
        auth = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    else:
        data.update(client_id=sim.client_id, client_secret=sim.client_secret)
    status, tokens = await token_request(session, sim, data, auth=auth)
    assert status == 200, tokens
    status, body = await token_request(session, sim, {"grant_type": "refresh_token",
                                                      "refresh_token": tokens["refresh_token"],
                                                      "client_id": sim.client_id, "client_secret": "wrong"})
    assert (status, body["error"]) == (401, "invalid_client")


async def test_refresh_rotates_and_revocation_ends_the_session(sim, session):
    tokens = await sign_in(session, sim)
    refresh = {"grant_type": "refresh_token", "client_id": sim.public_client_id}
    status, rotated = await token_request(session, sim, {**refresh, "refresh_token": tokens["refresh_token"]})
    assert status == 200 and rotated["refresh_token"] != tokens["refresh_token"]
    assert "nonce" not in verify_jwt(rotated["id_token"], sim.signing_key.jwks())
    status, body = await token_request(session, sim, {**refresh, "refresh_token": tokens["refresh_token"]})
    assert (status, body["error"]) == (400, "invalid_grant")  # the old one was used up

    async with session.post(sim.issuer + "/connect/revocation",
                            data={"token": rotated["refresh_token"], "token_type_hint": "refresh_token",
                                  "client_id": sim.public_client_id}) as reply:
        assert reply.status == 200
    assert sim.revocations == 1
    status, body = await token_request(session, sim, {**refresh, "refresh_token": rotated["refresh_token"]})
    assert (status, body["error"]) == (400, "invalid_grant")

    # access tokens expire (not revocable): the API answers 401
    assert (await api(session, sim, "GET", "/api/v1/Account", rotated["access_token"]))[0] == 200
    sim.expire_access_tokens()
    status, _, headers = await api(session, sim, "GET", "/api/v1/Account", rotated["access_token"])
    assert status == 401 and "invalid_token" in headers["WWW-Authenticate"]


async def test_expired_and_withdrawn_refresh_tokens(sim, session):
    tokens = await sign_in(session, sim)
    sim.expire_refresh_tokens()
    status, body = await token_request(session, sim, {"grant_type": "refresh_token", "client_id": sim.public_client_id,
                                                      "refresh_token": tokens["refresh_token"]})
    assert (status, body["error"]) == (400, "invalid_grant") and "expired" in body["error_description"]
    tokens = await sign_in(session, sim)
    sim.revoke_user_grants(DEMO_USERNAME)
    status, body = await token_request(session, sim, {"grant_type": "refresh_token", "client_id": sim.public_client_id,
                                                      "refresh_token": tokens["refresh_token"]})
    assert status == 400


async def test_api_401_403_and_empty_account_404(sim, session):
    assert (await api(session, sim, "GET", "/api/v1/Account", "nonsense"))[0] == 401
    async with session.get(sim.api + "/api/v1/Account") as reply:
        assert reply.status == 401
    tokens = await sign_in(session, sim, scope="openid profile offline_access")
    assert "refresh_token" in tokens
    assert (await api(session, sim, "GET", "/api/v1/Thermostat", tokens["access_token"]))[0] == 403
    tokens = await sign_in(session, sim, username=EMPTY_USERNAME)
    assert (await api(session, sim, "GET", "/api/v1/Thermostat", tokens["access_token"]))[0] == 404
    status, account, _ = await api(session, sim, "GET", "/api/v1/Account", tokens["access_token"])
    assert account["temperatureScale"] == "Fahrenheit" and account["use12Hour"] is True


async def test_http_status_fault(sim, session):
    tokens = await sign_in(session, sim)
    sim.faults.http_status = 500
    status, body, _ = await api(session, sim, "GET", "/api/v1/Account", tokens["access_token"])
    assert status == 500 and body == "simulated failure"


# ----- groups, thermostat modes, schedules ---------------------------------------------------

def serial_of(sim, name: str) -> str:
    return next(t.serialNumber for t in sim.thermostats.values() if t.name == name)


@pytest.fixture
async def token(sim, session):
    return (await sign_in(session, sim))["access_token"]


async def test_groups_get_and_put(sim, session, token):
    status, groups, _ = await api(session, sim, "GET", "/api/v1/Group", token)
    assert status == 200 and [g["groupName"] for g in groups] == ["Maple Street", "Lakeside Cabin", "Office"]
    assert set(groups[0]) == {"groupId", "groupName", "awayMode", "awaySetPointTemp"}
    group_id = groups[0]["groupId"]
    assert isinstance(group_id, str)
    status, _, _ = await api(session, sim, "PUT", "/api/v1/Group", token, json={"groupId": group_id, "awayMode": True})
    assert status == 204
    status, group, _ = await api(session, sim, "GET", f"/api/v1/Group/{group_id}", token)
    assert status == 200 and group["awayMode"] is True
    status, body, _ = await api(session, sim, "PUT", "/api/v1/Group", token, json={"groupId": group_id,
                                                                                     "awayMode": "yes"})
    assert status == 400 and body == {"messages": ["awayMode must be true or false."]}
    assert (await api(session, sim, "PUT", "/api/v1/Group", token, json={"groupId": "1", "awayMode": True}))[0] == 404
    assert (await api(session, sim, "GET", "/api/v1/Group/1", token))[0] == 404
    assert (4, group_id) in [(n.type, n.id) for n in sim.notifications]


async def put_thermostat(session, sim, token, body):
    status, reply, _ = await api(session, sim, "PUT", "/api/v1/Thermostat", token, json=body)
    return status, reply


async def get_thermostat(session, sim, token, serial):
    return (await api(session, sim, "GET", f"/api/v1/Thermostat/{serial}", token))[1]


async def test_thermostat_modes(sim, session, token):
    from datetime import datetime, timedelta, timezone
    serial = serial_of(sim, "Master Bath")
    before = await get_thermostat(session, sim, token, serial)
    assert before["scheduleMode"] == 1 and before["operatingMode"] == 1
    assert before["setPointTemp"] in (2200, 1800)  # Auto follows the schedule

    assert await put_thermostat(session, sim, token, {"serialNumber": serial, "setPointTemp": 2650,
                                                      "scheduleMode": 3}) == (204, "")
    after = await get_thermostat(session, sim, token, serial)
    assert (after["scheduleMode"], after["setPointTemp"], after["holdSetPointDateTime"]) == (3, 2650, None)

    until = (datetime.now(timezone.utc) + timedelta(hours=2)).replace(microsecond=0)
    status, _ = await put_thermostat(session, sim, token, {"serialNumber": serial, "setPointTemp": 2400,
                                                           "scheduleMode": 2,
                                                           "holdSetPointDateTime": until.isoformat()})
    assert status == 204
    after = await get_thermostat(session, sim, token, serial)
    assert (after["scheduleMode"], after["setPointTemp"]) == (2, 2400)
    assert datetime.fromisoformat(after["holdSetPointDateTime"].replace("Z", "+00:00")) == until

    # Hold without a time: until the next schedule event (within a day for this schedule)
    assert (await put_thermostat(session, sim, token, {"serialNumber": serial, "setPointTemp": 2300,
                                                       "scheduleMode": 2}))[0] == 204
    after = await get_thermostat(session, sim, token, serial)
    hold = datetime.fromisoformat(after["holdSetPointDateTime"].replace("Z", "+00:00"))
    assert timedelta(0) < hold - datetime.now(timezone.utc) <= timedelta(hours=24)
    assert hold.astimezone(timezone(timedelta(hours=-5))).strftime("%M") in ("00", "15", "30", "45")

    too_far = (datetime.now(timezone.utc) + timedelta(hours=23, minutes=5)).isoformat()
    status, body = await put_thermostat(session, sim, token, {"serialNumber": serial, "setPointTemp": 2300,
                                                              "scheduleMode": 2, "holdSetPointDateTime": too_far})
    assert status == 400 and body == {"messages": ["holdSetPointDateTime must be within the next 23 hours."]}
    past = (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat()
    status, body = await put_thermostat(session, sim, token, {"serialNumber": serial, "scheduleMode": 2,
                                                              "holdSetPointDateTime": past})
    assert status == 400 and "in the future" in body["messages"][0]

    # Auto: the set point sent is ignored, the schedule's applies again
    assert (await put_thermostat(session, sim, token, {"serialNumber": serial, "setPointTemp": 0,
                                                       "scheduleMode": 1, "holdSetPointDateTime": ""}))[0] == 204
    after = await get_thermostat(session, sim, token, serial)
    assert (after["scheduleMode"], after["holdSetPointDateTime"]) == (1, None)
    assert after["setPointTemp"] == before["setPointTemp"]

    # a set point alone puts an Auto thermostat in Hold until the next event (as the app does)
    assert (await put_thermostat(session, sim, token, {"serialNumber": serial, "setPointTemp": 2150}))[0] == 204
    after = await get_thermostat(session, sim, token, serial)
    assert (after["scheduleMode"], after["setPointTemp"]) == (2, 2150) and after["holdSetPointDateTime"]


async def test_thermostat_manual_mode_and_validation(sim, session, token):
    kitchen = serial_of(sim, "Kitchen")  # operatingMode 2 Manual
    assert (await put_thermostat(session, sim, token, {"serialNumber": kitchen, "setPointTemp": 2500,
                                                       "scheduleMode": 2,
                                                       "holdSetPointDateTime": "garbage"}))[0] == 204
    after = await get_thermostat(session, sim, token, kitchen)
    assert (after["operatingMode"], after["scheduleMode"], after["setPointTemp"]) == (2, 1, 2500)
    assert after["holdSetPointDateTime"] is None

    serial = serial_of(sim, "Basement")
    for body, message in (
            ({"setPointTemp": 7100, "scheduleMode": 3}, "setPointTemp must be between 500 and 7000 (5–70 °C)."),
            ({"setPointTemp": 2100, "scheduleMode": 4}, "scheduleMode must be 1 (Auto), 2 (Hold) or 3 (Permanent Hold)."),
            ({"setPointTemp": "21", "scheduleMode": 3}, "setPointTemp must be an integer (hundredths of a degree Celsius)."),
            ({"scheduleMode": 2}, "setPointTemp is required for Hold (no previous hold value).")):
        status, reply = await put_thermostat(session, sim, token, {"serialNumber": serial, **body})
        assert (status, reply) == (400, {"messages": [message]}), body
    assert (await put_thermostat(session, sim, token, {"serialNumber": "404", "setPointTemp": 2100}))[0] == 404
    assert (await put_thermostat(session, sim, token, {"serialNumber": serial, "name": "Games Room"}))[0] == 204
    assert (await get_thermostat(session, sim, token, serial))["name"] == "Games Room"
    assert (2, serial) in [(n.type, n.id) for n in sim.notifications]


async def test_change_on_the_thermostat_is_seen_by_the_api(sim, session, token):
    serial = serial_of(sim, "Mudroom")
    sim.change_on_thermostat(serial, setPointTemp=1950, currentTemperature=1700)
    after = await get_thermostat(session, sim, token, serial)
    assert (after["setPointTemp"], after["isHeating"]) == (1950, True)


async def test_schedules_get_put_and_rules(sim, session, token):
    status, schedules, _ = await api(session, sim, "GET", "/api/v1/Schedule", token)
    assert status == 200 and len(schedules) == 10  # the two moved to API v2 are left out
    serial = serial_of(sim, "Master Bath")
    status, schedule, _ = await api(session, sim, "GET", f"/api/v1/Schedule/{serial}", token)
    assert status == 200 and schedule["serialNumber"] == serial and len(schedule["days"]) == 7
    day = schedule["days"][0]
    assert set(day) == {"weekDay", "weekDayGroupNumber", "events"}
    assert set(day["events"][0]) == {"clock", "scheduleType", "active", "temperature"}

    for d in schedule["days"]:
        if d["weekDayGroupNumber"] == 1:
            d["events"][0]["clock"] = "05:45"
    status, body, _ = await api(session, sim, "PUT", "/api/v1/Schedule", token, json=schedule)
    assert status == 204, body
    assert (await api(session, sim, "GET", f"/api/v1/Schedule/{serial}", token))[1] == schedule
    assert (3, serial) in [(n.type, n.id) for n in sim.notifications]

    bad = json.loads(json.dumps(schedule))
    bad["days"][0]["events"][1]["clock"] = "05:50"
    bad["days"][0]["events"][0]["active"] = False
    status, body, _ = await api(session, sim, "PUT", "/api/v1/Schedule", token, json=bad)
    assert status == 400 and len(body["messages"]) >= 3
    assert any("deactivated" in m for m in body["messages"])
    assert any("week-day group 1" in m for m in body["messages"])
    assert (await api(session, sim, "GET", f"/api/v1/Schedule/{serial}", token))[1] == schedule  # unchanged
    assert sim.rejected_schedules == 1
    status, _, _ = await api(session, sim, "PUT", "/api/v1/Schedule", token, json={**schedule, "serialNumber": "9"})
    assert status == 404
    assert (await api(session, sim, "GET", "/api/v1/Schedule/9", token))[0] == 404


async def test_thermostats_moved_to_v2_answer_405_on_schedules(sim, session, token):
    cabin = serial_of(sim, "Cabin Bath")
    status, body, _ = await api(session, sim, "GET", f"/api/v1/Schedule/{cabin}", token)
    assert status == 405 and body == {"messages": ["Method not allowed since thermostat schedules are incompatible"]}
    serial = serial_of(sim, "Reception")
    _, schedule, _ = await api(session, sim, "GET", f"/api/v1/Schedule/{serial}", token)
    sim.set_migrated_to_v2(serial)
    assert (await api(session, sim, "GET", f"/api/v1/Schedule/{serial}", token))[0] == 405
    assert (await api(session, sim, "PUT", "/api/v1/Schedule", token, json=schedule))[0] == 405
    assert (await api(session, sim, "GET", f"/api/v1/Thermostat/{serial}", token))[0] == 200  # still there


# ----- rate limits -----------------------------------------------------------------------------

async def test_rate_limits_per_user_and_client_with_429(session):
    sim = NuheatSim(rate_limits=[RateLimit(5, 60), RateLimit(8, 3600)])  # wide enough for a slow machine
    await sim.start("127.0.0.1", 0)
    try:
        token = (await sign_in(session, sim))["access_token"]
        remaining = []
        for _ in range(5):
            status, _, headers = await api(session, sim, "GET", "/api/v1/Account", token)
            assert status == 200
            assert headers["X-Rate-Limit-Limit"] == "1h"
            remaining.append(int(headers["X-Rate-Limit-Remaining"]))
        assert remaining == [7, 6, 5, 4, 3]
        status, body, headers = await api(session, sim, "GET", "/api/v1/Account", token)
        assert status == 429 and body == "API calls quota exceeded! maximum admitted 5 per 1m."
        assert 59 <= int(headers["Retry-After"]) <= 60 and "X-Rate-Limit-Remaining" not in headers
        assert [r.allowed for r in sim.requests] == [True] * 5 + [False]

        # another client of the same user has its own counters
        query = await authorize(session, sim, client_id=sim.client_id)
        _, other = await token_request(session, sim, {
            "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": REDIRECT_URI,
            "client_id": sim.client_id, "client_secret": sim.client_secret})
        status, _, headers = await api(session, sim, "GET", "/api/v1/Account", other["access_token"])
        assert status == 200 and headers["X-Rate-Limit-Remaining"] == "7"

        sim.set_rate_limits([RateLimit(1000, 1)])  # configurable at run time (counters restart)
        status, _, headers = await api(session, sim, "GET", "/api/v1/Account", token)
        assert status == 200 and headers["X-Rate-Limit-Limit"] == "1s"
    finally:
        await sim.stop()


# ----- energy logs -----------------------------------------------------------------------------

async def test_energy_logs_day_week_month(sim, session, token):
    serial = serial_of(sim, "Master Bath")
    status, day, _ = await api(session, sim, "GET", f"/api/v1/EnergyLog/Day/{serial}/2026-01-14", token)
    assert status == 200
    assert (day["energyUsageType"], day["energyUsageFrom"], day["energyUsageTo"]) == ("Day", "2026-01-14",
                                                                                       "2026-01-14")
    assert day["mondayIsFirstDay"] is True
    assert [e["entry"] for e in day["energyUsage"]] == [str(h) for h in range(23, -1, -1)]
    assert all(0 <= e["minutes"] <= 60 for e in day["energyUsage"])
    morning = next(e for e in day["energyUsage"] if e["entry"] == "6")
    assert morning["minutes"] > 0 and morning["energyKWattHour"] > 0 and morning["chargeKWattHour"] > 0
    assert set(morning) == {"entry", "minutes", "energyKWattHour", "chargeKWattHour"}
    again = (await api(session, sim, "GET", f"/api/v1/EnergyLog/Day/{serial}/2026-01-14", token))[1]
    assert again == day  # stable figures

    status, week, _ = await api(session, sim, "GET", f"/api/v1/EnergyLog/Week/{serial}/2026-01-14", token)
    assert status == 200 and (week["energyUsageFrom"], week["energyUsageTo"]) == ("2026-01-12", "2026-01-18")
    assert [e["entry"] for e in week["energyUsage"]] == ["1", "2", "3", "4", "5", "6", "7"]
    assert week["energyUsage"][2]["minutes"] == sum(e["minutes"] for e in day["energyUsage"])  # Wednesday

    status, year, _ = await api(session, sim, "GET", f"/api/v1/EnergyLog/Month/{serial}/2025", token)
    assert status == 200 and year["energyUsageType"] == "Month"
    assert [e["entry"] for e in year["energyUsage"]] == [str(m) for m in range(1, 13)]
    minutes = {int(e["entry"]): e["minutes"] for e in year["energyUsage"]}
    assert minutes[1] > minutes[7] > 0  # more heating in winter

    future = (await api(session, sim, "GET", f"/api/v1/EnergyLog/Day/{serial}/2099-01-01", token))[1]
    assert all(e["minutes"] == 0 for e in future["energyUsage"])
    status, body, _ = await api(session, sim, "GET", f"/api/v1/EnergyLog/Day/{serial}/2026-13-01", token)
    assert status == 400 and body["messages"]
    assert (await api(session, sim, "GET", f"/api/v1/EnergyLog/Month/{serial}/26", token))[0] == 400
    assert (await api(session, sim, "GET", "/api/v1/EnergyLog/Week/9/2026-01-14", token))[0] == 404


# ----- the demo site ----------------------------------------------------------------------------

async def test_demo_site_describes_nuheat_and_its_credentials_work(session):
    from app.simulators.site import DemoSite

    async with DemoSite(live_drift_seconds=None, ap_devices=0) as site:
        info = site.describe()["nuheat"]
        assert set(info) == {"issuer", "api", "client_id", "client_secret", "username", "password"}
        assert (info["issuer"], info["api"]) == (site.nuheat.issuer, site.nuheat.api)
        assert (info["username"], info["password"]) == (DEMO_USERNAME, DEMO_PASSWORD)
        assert len(info["client_secret"]) == 32
        query = await authorize(session, site.nuheat, client_id=info["client_id"],
                                challenge=s256_challenge("v" * 43), username=info["username"],
                                password=info["password"])
        status, tokens = await token_request(session, site.nuheat, {
            "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": REDIRECT_URI,
            "code_verifier": "v" * 43, "client_id": info["client_id"], "client_secret": info["client_secret"]})
        assert status == 200, tokens
        async with session.get(info["api"] + "/api/v1/Thermostat",
                               headers={"Authorization": "Bearer " + tokens["access_token"]}) as reply:
            assert reply.status == 200 and len(await reply.json()) == 12
    assert site.nuheat is None


# ----- change notifications (SignalR JSON hub protocol) -------------------------------------------

RS = "\x1e"


async def hub_connect(session, sim, token, path="/notificationsHost", header=False):
    if header:
        ws = await session.ws_connect(sim.api + path, headers={"Authorization": f"Bearer {token}"})
    else:
        ws = await session.ws_connect(sim.api + path, params={"access_token": token})
    await ws.send_str(json.dumps({"protocol": "json", "version": 1}) + RS)
    assert await ws.receive_str(timeout=2) == "{}" + RS
    return ws


async def hub_receive(ws, timeout=2.0) -> dict:
    """The next frame that is not a ping."""
    while True:
        text = await ws.receive_str(timeout=timeout)
        assert text.endswith(RS)
        message = json.loads(text[:-1])
        if message.get("type") != 6:
            return message


async def test_hub_notifies_subscribed_changes(sim, session, token):
    ws = await hub_connect(session, sim, token)
    await ws.send_str(json.dumps({"type": 1, "invocationId": "0", "target": "Subscribe",
                                  "arguments": [["2", "3"]]}) + RS)
    assert await hub_receive(ws) == {"type": 3, "invocationId": "0", "result": None}
    serial = serial_of(sim, "Basement")
    assert (await put_thermostat(session, sim, token, {"serialNumber": serial, "setPointTemp": 2300,
                                                       "scheduleMode": 3}))[0] == 204
    message = await hub_receive(ws)
    assert message["type"] == 1 and message["target"] == "Notify"
    (notification,) = message["arguments"][0]
    assert (notification["type"], notification["id"]) == (2, serial) and notification["timeStamp"].endswith("Z")

    # groups are not subscribed: nothing; then a change made on the thermostat itself
    group_id = sim.thermostats[serial].groupId
    assert (await api(session, sim, "PUT", "/api/v1/Group", token, json={"groupId": group_id,
                                                                          "awayMode": True}))[0] == 204
    sim.change_on_thermostat(serial, currentTemperature=1900)
    (notification,) = (await hub_receive(ws))["arguments"][0]
    assert (notification["type"], notification["id"]) == (2, serial)

    await ws.send_str(json.dumps({"type": 1, "invocationId": "1", "target": "Unsubscribe",
                                  "arguments": [["2"]]}) + RS)
    assert await hub_receive(ws) == {"type": 3, "invocationId": "1", "result": None}
    sim.faults.notify_twice = True
    sim.faults.notify_delay_seconds = 0.2  # the real hub is late
    sim.change_on_thermostat(serial, currentTemperature=1950)  # type 2: unsubscribed now
    _, schedule, _ = await api(session, sim, "GET", f"/api/v1/Schedule/{serial}", token)
    assert (await api(session, sim, "PUT", "/api/v1/Schedule", token, json=schedule))[0] == 204
    with pytest.raises(asyncio.TimeoutError):
        await hub_receive(ws, timeout=0.1)
    first, second = await hub_receive(ws), await hub_receive(ws)
    assert first == second and first["arguments"][0][0]["type"] == 3
    await ws.send_str(json.dumps({"type": 7}) + RS)
    await ws.receive(timeout=2)
    assert ws.closed


async def test_hub_reconnect_and_refusals(session):
    sim = NuheatSim(hub_ping_interval=0.1)
    await sim.start("127.0.0.1", 0)
    try:
        token = (await sign_in(session, sim))["access_token"]
        ws = await hub_connect(session, sim, token, path="/v1/changenotifications", header=True)
        message = json.loads((await ws.receive_str(timeout=2))[:-1])
        assert message == {"type": 6}  # pings
        await sim.hub.drop_connections()
        while not ws.closed:
            await ws.receive(timeout=2)

        ws = await hub_connect(session, sim, token)
        assert sim.hub.handshakes == 2
        await ws.send_str(json.dumps({"type": 1, "invocationId": "7", "target": "Subscribe",
                                      "arguments": [["2"]]}) + RS)
        assert (await hub_receive(ws))["result"] is None
        serial = serial_of(sim, "Kitchen")
        sim.change_on_thermostat(serial, setPointTemp=2250)
        assert (await hub_receive(ws))["arguments"][0][0]["id"] == serial
        await ws.send_str(json.dumps({"type": 1, "invocationId": "8", "target": "Subscribe",
                                      "arguments": [[2]]}) + RS)
        assert "error" in await hub_receive(ws)  # type ids are strings
        await ws.close()

        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(sim.api + "/notificationsHost", params={"access_token": "bad"})
        assert refused.value.status == 401
        ws = await session.ws_connect(sim.api + "/notificationsHost", params={"access_token": token})
        await ws.send_str(json.dumps({"protocol": "messagepack", "version": 1}) + RS)
        assert "error" in json.loads((await ws.receive_str(timeout=2))[:-1])
        await ws.close()
        async with session.post(sim.api + "/notificationsHost/negotiate?negotiateVersion=1",
                                headers={"Authorization": f"Bearer {token}"}) as reply:
            body = await reply.json()
        assert body["availableTransports"][0]["transport"] == "WebSockets" and body["connectionId"]
    finally:
        await sim.stop()


async def test_tokens_validate_with_joserfc(sim, session):
    """The client validates with joserfc (the JOSE library Authlib points to): the simulator's
    tokens must pass it."""
    jwt = pytest.importorskip("joserfc.jwt")
    from joserfc.errors import InvalidClaimError
    from joserfc.jwk import KeySet

    tokens = await sign_in(session, sim)
    async with session.get(sim.issuer + "/.well-known/openid-configuration/jwks") as reply:
        key_set = KeySet.import_key_set(await reply.json())
    token = jwt.decode(tokens["id_token"], key_set, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(iss={"essential": True, "value": sim.issuer},
                          aud={"essential": True, "value": sim.public_client_id},
                          nonce={"essential": True, "value": "n-0S6_WzA2Mj"},
                          exp={"essential": True}).validate(token.claims)
    with pytest.raises(InvalidClaimError):
        jwt.JWTClaimsRegistry(aud={"essential": True, "value": "someone-else"}).validate(token.claims)
    access = jwt.decode(tokens["access_token"], key_set, algorithms=["RS256"])
    assert access.header["typ"] == "at+jwt" and "openapi" in access.claims["aud"]


async def test_live_drift_changes_thermostats_on_their_own(session):
    sim = NuheatSim(live_drift_seconds=0.05)
    await sim.start("127.0.0.1", 0)
    try:
        token = (await sign_in(session, sim))["access_token"]
        ws = await hub_connect(session, sim, token)
        await ws.send_str(json.dumps({"type": 1, "invocationId": "0", "target": "Subscribe",
                                      "arguments": [["2"]]}) + RS)
        assert (await hub_receive(ws))["result"] is None
        (notification,) = (await hub_receive(ws))["arguments"][0]
        assert notification["type"] == 2 and notification["id"] in sim.thermostats
        await ws.close()
    finally:
        await sim.stop()


def test_drift_once_returns_expired_holds_to_auto():
    sim = NuheatSim()
    serial = next(iter(sim.thermostats))
    thermostat = sim.thermostats[serial]
    thermostat.scheduleMode, thermostat.setPointTemp = 2, 2600
    thermostat.holdSetPointDateTime = "2020-01-01T00:00:00Z"
    before = thermostat.currentTemperature
    changed = sim.drift_once()
    assert thermostat.scheduleMode == 1 and thermostat.holdSetPointDateTime is None
    assert (2, serial) in [(n.type, n.id) for n in sim.notifications]
    assert changed in sim.thermostats and (changed != serial or thermostat.currentTemperature != before)


async def test_hub_closes_a_connection_whose_token_expired(sim, session, token):
    ws = await hub_connect(session, sim, token)
    sim.expire_access_tokens()
    message = await hub_receive(ws)
    assert message["type"] == 7 and message["allowReconnect"] is True and "expired" in message["error"]
    while not ws.closed:
        await ws.receive(timeout=2)
