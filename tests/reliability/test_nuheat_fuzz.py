"""Fuzzing every Nuheat parser SiteKit owns, with hypothesis: SignalR frames (`FrameReader`,
`parse_notify`, the live channel's message handling), the models, the API's error bodies and
replies, the token endpoint's replies, the discovery document, id_tokens, stored tokens and
the schedule rules. Last, the whole client fed arbitrary replies by the Nuheat simulator.

The rule everywhere: a model (or a plain value) or a SiteKitError, never another exception,
never a hang.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc.jwk import KeySet

from app.core.errors import SiteKitError, VendorError
from app.services.schedule_editing import ScheduleDraft
from app.services.thermostats import mode_text, next_change
from app.simulators.nuheat.jwt_signing import SigningKey
from app.vendors.nuheat import schedule_rules
from app.vendors.nuheat.auth import NuheatAuth, NuheatTokens, Provider, parse_token_reply
from app.vendors.nuheat.client import NuheatClient, decode_reply
from app.vendors.nuheat.live import Debouncer, FrameReader, Notification, NuheatLive, parse_notify, parse_timestamp
from app.vendors.nuheat.models import (
    AccountModel, EnergyUsageModel, GroupModel, ScheduleModel, ThermostatModel, format_temperature)

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
WIRE = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Field names the parsers look for, so generated objects reach past the first `.get()`.
KEYS = ["serialNumber", "name", "setPointTemp", "scheduleMode", "holdSetPointDateTime", "groupId",
        "swVersion", "online", "operatingMode", "isHeating", "currentTemperature", "tzOffset", "error",
        "firstName", "lastName", "email", "use12Hour", "temperatureScale", "groupName", "awayMode",
        "awaySetPointTemp", "days", "weekDay", "weekDayGroupNumber", "events", "clock", "scheduleType",
        "active", "temperature", "energyUsageType", "energyUsageFrom", "energyUsageTo",
        "mondayIsFirstDay", "energyUsage", "entry", "minutes", "energyKWattHour", "chargeKWattHour",
        "messages", "type", "id", "timeStamp", "target", "arguments", "invocationId", "error",
        "access_token", "refresh_token", "expires_in", "id_token", "scope", "error_description",
        "issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "revocation_endpoint",
        "code_challenge_methods_supported", "token_endpoint_auth_methods_supported", "expires_at"]

scalars = (st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=24)
           | st.sampled_from(["-05:00", "+14:00", "99:99", "2026-11-23T10:00:00Z", "9999-12-31T23:59:59-23:59",
                              "0001-01-01T00:00:00+23:00", "07:15", "24:00", "1e400", "NaN", "http://x"]))


def _objects(children):
    return (st.lists(children, max_size=4)
            | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=6))


json_values = st.recursive(scalars, _objects, max_leaves=25)
json_objects = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=10)
thermostat_objects = st.fixed_dictionaries({}, optional={
    "holdSetPointDateTime": st.sampled_from(["0001-01-01T00:00:00+23:00", "9999-12-31T23:59:59-23:59",
                                             "2026-11-23T18:00:00Z"]) | json_values,
    "tzOffset": st.sampled_from([14, -12, "+14:00", "-12:00"]) | json_values, "setPointTemp": json_values})


def shaped(value):
    """Model-shaped nesting: a schedule's days' events, an energy log's entries."""
    return st.fixed_dictionaries({}, optional={
        "serialNumber": json_values, "days": st.lists(
            st.fixed_dictionaries({}, optional={"weekDay": json_values, "weekDayGroupNumber": json_values,
                                                "events": st.lists(json_objects, max_size=4) | json_values}),
            max_size=7) | json_values,
        "energyUsage": st.lists(json_objects, max_size=4) | json_values})


model_inputs = json_values | json_objects | shaped(None) | thermostat_objects


# ----- SignalR ---------------------------------------------------------------------------------

frames = st.lists(st.one_of(
    st.text(max_size=60),
    st.builds(lambda v: json.dumps(v) + "\x1e", json_values),
    st.builds(lambda v: json.dumps({"type": 1, "target": "Notify", "arguments": v}) + "\x1e", json_values),
    st.sampled_from(["\x1e", "{}\x1e", "[" * 5000 + "\x1e", '{"type":6}\x1e{"type":7,"error":5}\x1e'])),
    max_size=6)


@FUZZ
@given(frames)
def test_nuheat_fuzz_signalr_frames(chunks):
    reader = FrameReader(limit=10_000)
    for chunk in chunks:
        try:
            messages = reader.feed(chunk)
        except SiteKitError:
            continue
        assert all(isinstance(m, dict) for m in messages)
        for message in messages:
            for n in parse_notify(message):
                assert isinstance(n.type, int) and isinstance(n.id, str) and n.id
                assert n.timeStamp is None or isinstance(n.timeStamp, str)


@FUZZ
@given(st.dictionaries(st.sampled_from(["type", "target", "arguments", "invocationId", "error"]), json_values,
                       max_size=5) | json_objects)
def test_nuheat_fuzz_parse_notify(message):
    for notification in parse_notify(message):
        assert isinstance(notification, Notification)
        Debouncer().verdict(notification)
        parse_timestamp(notification.timeStamp)


@FUZZ
@given(st.lists(st.fixed_dictionaries({"type": st.sampled_from([1, 3, 6, 7]) | json_values},
                                      optional={"target": st.just("Notify") | json_values,
                                                "arguments": json_values,
                                                "invocationId": st.just("1") | json_values,
                                                "error": json_values}), max_size=5))
def test_nuheat_fuzz_live_messages(messages):
    """The live channel's own handling of hub messages, re-reads included."""
    async def run():
        async def reread(kind, item_id):
            return {"kind": kind, "id": item_id}

        live = NuheatLive(None, api="http://127.0.0.1:9", access_token=lambda: None, refresh=reread,
                          debounce=0)
        events = []
        live.subscribe(events.append)
        try:
            for message in messages:
                try:
                    if not live._handle(message, "1"):
                        break
                except SiteKitError:
                    break
            await asyncio.sleep(0.01)
        finally:
            await live._stopped()
        return events

    for event in asyncio.run(run()):
        assert isinstance(event.device, str)


@FUZZ
@given(st.text(max_size=40) | st.sampled_from(["2026-11-23T10:00:00Z", "9999-12-31T23:59:59-23:59",
                                                "0001-01-01T00:00:00+23:00", "2026-02-30T00:00:00Z"]))
def test_nuheat_fuzz_timestamps(text):
    stamp = parse_timestamp(text)
    assert stamp is None or isinstance(stamp, float)


# ----- models and what the app computes from them ----------------------------------------------

@FUZZ
@given(model_inputs)
def test_nuheat_fuzz_models(raw):
    for model in (AccountModel, GroupModel, ThermostatModel, ScheduleModel, EnergyUsageModel):
        try:
            parsed = model.from_api(raw)
        except SiteKitError:
            continue
        parsed.to_api()
        if isinstance(parsed, ThermostatModel):
            # A hold's end at the calendar's edge, in the thermostat's zone, must still print.
            held = ThermostatModel.from_api({**raw, "operatingMode": 1, "scheduleMode": 2}) \
                if isinstance(raw, dict) else parsed
            mode_text(held)
            assert isinstance(parsed.set_point_temp, int) and isinstance(parsed.serial_number, str)
            mode_text(parsed)
            mode_text(parsed, use12_hour=True)
            format_temperature(parsed.current_temperature, "Fahrenheit")
        elif isinstance(parsed, ScheduleModel):
            schedule_rules.check_schedule(parsed.to_api())
            next_change(parsed, timezone.utc, datetime(2026, 11, 23, 12, tzinfo=timezone.utc))
            draft = ScheduleDraft(parsed)  # what the editor opens
            draft.violations
            draft.to_model()
        elif isinstance(parsed, EnergyUsageModel):
            parsed.in_order()
            assert isinstance(parsed.total_kwh, float) or parsed.total_kwh == 0


@FUZZ
@given(model_inputs)
def test_nuheat_fuzz_schedule_rules(raw):
    """The rules run on what a user's file holds (`sitekit nuheat schedule put`) before parsing."""
    violations = schedule_rules.check_schedule(raw)
    assert isinstance(violations, list)


# ----- API replies and error bodies ------------------------------------------------------------

@FUZZ
@given(st.integers(min_value=100, max_value=599), st.sampled_from(["application/json", "text/plain", ""]),
       st.text(max_size=80) | st.builds(json.dumps, json_values), st.sampled_from(["GET", "PUT"]))
def test_nuheat_fuzz_api_replies(status, content_type, text, method):
    try:
        answer = decode_reply(status, content_type, text, method, "/api/v1/Schedule/1")
    except SiteKitError:
        return
    error = NuheatClient._error(status, answer, "/api/v1/Schedule/1", method)
    assert isinstance(error, VendorError) and len(error.message) < 1000


# ----- the identity server: token replies, discovery, id_tokens, stored tokens -----------------

@FUZZ
@given(st.sampled_from([200, 400, 401, 429, 500, 503]), model_inputs, st.booleans())
def test_nuheat_fuzz_token_replies(status, body, refreshing):
    auth = NuheatAuth(None, issuer="http://127.0.0.1:9", client_id="c")
    try:
        accepted = parse_token_reply(status, body, refreshing=refreshing)
    except SiteKitError:
        return
    tokens = auth._tokens_from(accepted)
    assert isinstance(tokens.access_token, str) and tokens.expires_at > 0
    assert tokens.refresh_token is None or isinstance(tokens.refresh_token, str)
    NuheatTokens.from_json(tokens.to_json())


@FUZZ
@given(model_inputs)
def test_nuheat_fuzz_discovery(raw):
    try:
        provider = Provider.from_discovery(raw)
    except SiteKitError:
        return
    assert all(isinstance(u, str) for u in (provider.issuer, provider.token_endpoint, provider.jwks_uri))


@FUZZ
@given(st.text(max_size=200) | st.builds(json.dumps, json_values))
def test_nuheat_fuzz_stored_tokens(text):
    try:
        tokens = NuheatTokens.from_json(text)
    except ValueError:  # what the account's loader expects: "unreadable, sign in again"
        return
    tokens.expires_within(60, 0.0)


class _FixedKeys(NuheatAuth):
    """The id_token checks on their own: the keys are the simulator's, no HTTP."""

    def __init__(self, key: SigningKey) -> None:
        super().__init__(None, issuer="http://127.0.0.1:9", client_id="sitekit-native")
        self._fixed = KeySet.import_key_set(key.jwks())

    async def _key_set(self, refresh: bool = False) -> KeySet:
        return self._fixed


SIGNING_KEY = SigningKey()
claims = st.dictionaries(st.sampled_from(["iss", "aud", "exp", "nbf", "iat", "sub", "nonce"]) | st.text(max_size=5),
                         json_values, max_size=8)


@FUZZ
@given(st.text(max_size=120) | st.builds(lambda c: SIGNING_KEY.sign(c), claims), st.none() | st.text(max_size=8))
def test_nuheat_fuzz_id_tokens(token, nonce):
    auth = _FixedKeys(SIGNING_KEY)
    try:
        result = asyncio.run(auth.validate_id_token(token, nonce=nonce))
    except SiteKitError:
        return
    assert isinstance(result, dict) and result.get("sub") is not None


# ----- the whole client, fed arbitrary replies by the simulator --------------------------------

@pytest.fixture
def wire(secrets_used):
    """A signed-in client and the simulator on a loop of this test's own (hypothesis runs
    examples synchronously)."""
    from app.simulators.nuheat import NuheatSim
    from tests.integration.test_nuheat_auth import login_filler

    loop = asyncio.new_event_loop()
    sim = NuheatSim()
    loop.run_until_complete(sim.start("127.0.0.1", 0))
    secrets_used.update({sim.password, sim.client_secret})
    session = loop.run_until_complete(_session())
    def remember(tokens):
        if tokens is not None:
            secrets_used.update({tokens.access_token, tokens.refresh_token, tokens.id_token} - {None})

    auth = NuheatAuth(session, issuer=sim.issuer, client_id=sim.public_client_id, on_tokens=remember)
    loop.run_until_complete(auth.sign_in(login_filler(sim.username, sim.password), timeout=10))
    client = NuheatClient(session, auth, api=sim.api, read_retry_backoff=0.01, max_read_retries=1,
                          request_timeout=5)
    try:
        yield loop, sim, client
    finally:
        loop.run_until_complete(session.close())
        loop.run_until_complete(sim.stop())
        loop.close()


async def _session():
    from app.core.http import make_session
    from app.core.settings import HttpSettings

    return make_session(HttpSettings(timeout_seconds=10))


@WIRE
@given(st.integers(min_value=200, max_value=599), st.sampled_from(["application/json", "text/plain", "text/html"]),
       st.binary(max_size=300) | st.builds(lambda v: json.dumps(v).encode(), model_inputs),
       st.sampled_from(["thermostats", "thermostat", "schedule", "account", "energy", "update"]))
def test_nuheat_fuzz_client_replies(wire, status, content_type, body, call):
    loop, sim, client = wire
    sim.faults.replies.clear()
    sim.faults.replies.extend([(status, content_type, body)] * 3)  # a retry sees the same
    calls = {
        "thermostats": client.thermostats, "thermostat": lambda: client.thermostat("1270337"),
        "schedule": lambda: client.schedule("1270337"), "account": client.account,
        "energy": lambda: client.energy_month("1270337", 2026),
        "update": lambda: client.set_away("g1", True)}

    async def call_once():
        try:
            return await asyncio.wait_for(calls[call](), 20)
        except SiteKitError:
            return None

    loop.run_until_complete(call_once())
    sim.faults.replies.clear()
