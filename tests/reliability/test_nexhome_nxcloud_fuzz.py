"""Fuzzing every NEXhome and NXCloud parser SiteKit owns, with hypothesis.

Two levels: the parsers themselves (models, error bodies, message payloads, number-check
results, phone numbers) fed arbitrary JSON-ish values, and the whole client fed arbitrary
replies (status, Content-Type, bytes) by a real aiohttp server on loopback. The rule is the
same everywhere: a model or a SiteKitError, never another exception, never a hang.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
from unittest import mock

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.clock import ClockSkew
from app.core.errors import SiteKitError
from app.core.events import Event
from app.core.http import make_session
from app.core.ratelimit import retry_after_seconds
from app.core.settings import HttpSettings
from app.vendors.nexhome import client as nexhome_client
from app.vendors.nexhome import endpoints, models as nexhome_models
from app.vendors.nexhome.client import NexhomeClient, error_from_reply
from app.vendors.nexhome.live import to_event
from app.vendors.nxcloud import client as nxcloud_client
from app.vendors.nxcloud import models as nxcloud_models
from app.vendors.nxcloud.client import NxcloudClient

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
WIRE = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Keys the parsers look for, so generated objects reach past the first `.get()`.
NEXHOME_KEYS = ["id", "sn", "name", "type", "online", "location", "building", "unit", "floor",
                "accessIds", "features", "deviceId", "phone", "roomIds", "number", "personId",
                "content", "rule", "effectiveTime", "expiredTime", "encryptedQrcode",
                "deviceIds", "title", "floors", "accessId", "credentialType", "result",
                "reason", "caller", "callee", "startTime", "durationSeconds", "answered",
                "messageId", "topic", "time", "payload", "total", "page", "size", "elements",
                "code", "message", "status", "domain", "details", "errorCode", "fieldPath",
                "consumerId", "messages", "contacts", "fromFloor", "toFloor"]
NXCLOUD_KEYS = ["code", "result", "message", "msg", "messageid", "data", "messages", "id",
                "message_id", "error", "messageId", "batchNo", "page", "totalPage", "totalSize",
                "basic", "live", "dial", "cost", "phone", "checkLevel", "preCheck",
                "regionCode", "countryCode", "nationalNumber", "numberType", "carrier",
                "validity", "reachable", "roaming", "early", "response", "price", "currency"]
TOPICS = ["ACCESS_RECORD", "CALL_LOG", "DEVICE_STATUS", "access_record", "", "OTHER"]

scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-2**70, max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30)
           | st.sampled_from(TOPICS + ["0", "1", "YES", "NO", "true", "1e999", "-0", "٣"])
           | st.sampled_from([math.inf, -math.inf, math.nan, 10**400]))


def json_values(keys: list[str]):
    key = st.sampled_from(keys) | st.text(max_size=8)
    return st.recursive(scalars, lambda children: (st.lists(children, max_size=5)
                                                   | st.dictionaries(key, children, max_size=8)),
                        max_leaves=15)


nexhome_values = json_values(NEXHOME_KEYS)
nxcloud_values = json_values(NXCLOUD_KEYS)
nexhome_objects = st.dictionaries(st.sampled_from(NEXHOME_KEYS), nexhome_values, max_size=10)
nxcloud_objects = st.dictionaries(st.sampled_from(NXCLOUD_KEYS), nxcloud_values, max_size=10)


def sitekit_or_model(fn, *args):
    """Call a parser; a SiteKitError is a fine answer, any other exception fails the test."""
    try:
        return fn(*args)
    except SiteKitError as exc:
        assert isinstance(exc.user_text(), str) and exc.message
        return None


# -- NEXhome parsers ----------------------------------------------------------------------------

NEXHOME_PARSERS = [nexhome_models.Device.from_api, nexhome_models.Door.from_api,
                   nexhome_models.Person.from_api, nexhome_models.Room.from_api,
                   nexhome_models.Credential.from_api, nexhome_models.Contact.from_api,
                   nexhome_models.Announcement.from_api, nexhome_models.ElevatorConfig.from_api,
                   nexhome_models.AccessRecord.from_api, nexhome_models.CallLog.from_api,
                   nexhome_models.Message.from_api, nexhome_models.Page.from_api,
                   nexhome_models.Location.from_api]


@FUZZ
@given(value=nexhome_values | nexhome_objects)
def test_nexhome_fuzz_models(value):
    for parse in NEXHOME_PARSERS:
        model = sitekit_or_model(parse, value)
        if isinstance(model, nexhome_models.Device):
            assert isinstance(model.display_name, str) and isinstance(model.type_name, str)
            assert isinstance(model.location.text(), str)


@FUZZ
@given(message=st.fixed_dictionaries({"messageId": nexhome_values, "topic": st.sampled_from(TOPICS)
                                      | nexhome_values, "time": nexhome_values,
                                      "payload": nexhome_objects | nexhome_values}))
def test_nexhome_fuzz_messages_to_feed_events(message):
    """A message off the subscription, whatever it holds, becomes a feed event with text."""
    parsed = nexhome_models.Message.from_api(message)
    event = to_event(parsed, {"DS-1": "Main"}, {"1001": "Main entrance"}, {"P1": "Anna"})
    assert isinstance(event, Event) and isinstance(event.payload["text"], str)
    json.dumps(event.payload, ensure_ascii=False, default=str)


@FUZZ
@given(status=st.integers(min_value=100, max_value=599), answer=nexhome_values | nexhome_objects)
def test_nexhome_fuzz_error_bodies(status, answer):
    error = error_from_reply(status, answer, endpoints.devices(1))
    assert isinstance(error, SiteKitError) and isinstance(error.user_text(), str)
    assert error.message and "Traceback" not in error.user_text()


@FUZZ
@given(text=st.text(max_size=300) | st.builds(json.dumps, nexhome_values))
def test_nexhome_fuzz_reply_text(text):
    answer = nexhome_client._decode(text)
    for parse in (nexhome_models.Page.from_api, nexhome_models.Device.from_api):
        sitekit_or_model(parse, answer)
    sitekit_or_model(nexhome_client._as_list, answer, "messages")


# -- NXCloud parsers ----------------------------------------------------------------------------

@FUZZ
@given(reply=nxcloud_objects)
def test_nxcloud_fuzz_replies(reply):
    code = nxcloud_models.reply_code(reply)
    assert code is None or isinstance(code, int)
    assert isinstance(nxcloud_models.reply_text(reply), str)
    for build in (lambda r: nxcloud_client._sms_error(r, "447700900123"),
                  nxcloud_client._whatsapp_error, nxcloud_client._check_error):
        error = build(reply)
        assert isinstance(error, SiteKitError) and error.message


@FUZZ
@given(item=nxcloud_objects)
def test_nxcloud_fuzz_number_check_results(item):
    result = nxcloud_models.parse_check_result(item)
    assert result.verdict in ("invalid", "unreachable", "valid", "format_ok", "unknown")
    assert isinstance(result.summary(), str)


@FUZZ
@given(text=st.text(max_size=40) | st.from_regex(r"\+?[0-9 ()\-]{0,24}", fullmatch=True))
def test_nxcloud_fuzz_phone_numbers(text):
    digits = sitekit_or_model(nxcloud_models.normalize_phone, text)
    if digits is not None:
        assert digits.isdigit()
        assert isinstance(nxcloud_models.display_phone(digits), str)


# -- the whole client against arbitrary replies on the wire --------------------------------------

class WireServer:
    """A loopback server answering every request with the reply the current example chose,
    and a client session, on a loop in a thread (hypothesis drives examples synchronously)."""

    def __init__(self) -> None:
        self.reply: tuple[int, str, bytes] = (200, "application/json", b"{}")

    def __enter__(self) -> "WireServer":
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.run(self._start())
        return self

    def run(self, coro, timeout: float = 30.0):
        # A hang fails here (concurrent.futures.TimeoutError), as it should.
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _answer(self, request: web.Request) -> web.Response:
        await request.read()
        status, content_type, body = self.reply
        # A 429 with a Retry-After of 0: the wait is tested in the fault rows, not here.
        return web.Response(status=status, body=body, headers={"Content-Type": content_type,
                                                                "Retry-After": "0"})

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.api = f"http://127.0.0.1:{port}"
        self.session = make_session(HttpSettings(timeout_seconds=10), ClockSkew())

    async def _stop(self) -> None:
        await self.session.close()
        await self.runner.cleanup()

    def __exit__(self, *exc_info) -> None:
        try:
            self.run(self._stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


@pytest.fixture(scope="module")
def wire():
    # Retries and rate waits of zero: each example is one scenario, not a wait.
    with WireServer() as server, \
            mock.patch.object(nexhome_client, "READ_RETRY_DELAYS", (0.0, 0.0)), \
            mock.patch.object(nxcloud_client, "READ_RETRY_DELAYS", (0.0, 0.0)):
        yield server


statuses = st.sampled_from([200, 201, 204, 400, 401, 403, 404, 409, 429, 500, 502, 503]) | \
    st.integers(min_value=200, max_value=599)
content_types = st.sampled_from(["application/json", "application/json; charset=utf-8",
                                 "text/plain", "text/html; charset=latin-1",
                                 "application/json; charset=no-such-charset"])


def bodies(values):
    return (st.binary(max_size=600) | st.text(max_size=300).map(str.encode)
            | st.builds(lambda v: json.dumps(v, allow_nan=True).encode(), values))


def outcome(server: WireServer, coro) -> object:
    async def guarded():
        try:
            return await coro
        except SiteKitError as exc:
            assert exc.message and "Traceback" not in exc.user_text()
            return exc
    return server.run(guarded())


NEXHOME_CALLS = ["devices", "door", "unlock", "pull", "contacts", "create_consumer"]


@WIRE
@given(status=statuses, content_type=content_types,
       body=bodies(nexhome_values | nexhome_objects | st.fixed_dictionaries(
           {"total": nexhome_values, "elements": st.lists(nexhome_objects, max_size=3)})),
       call=st.sampled_from(NEXHOME_CALLS))
def test_nexhome_fuzz_client_replies(wire, status, content_type, body, call):
    wire.reply = (status, content_type, body)
    client = NexhomeClient(wire.session, api=wire.api, developer_id="d", app_id="a",
                           app_secret="fuzz-secret", request_timeout=10, command_timeout=10)
    coro = {"devices": lambda: client.devices(), "door": lambda: client.door("1001"),
            "unlock": lambda: client.unlock("1001"),
            "pull": lambda: client.pull("C1", wait_seconds=0),
            "contacts": lambda: client.contacts("DS-1"),
            "create_consumer": lambda: client.create_consumer()}[call]()
    result = outcome(wire, coro)
    if call == "unlock" and not isinstance(result, SiteKitError):
        assert isinstance(result, nexhome_models.UnlockResult)
    if call == "devices" and not isinstance(result, SiteKitError):
        assert all(isinstance(d, nexhome_models.Device) for d in result)


NXCLOUD_CALLS = ["sms", "whatsapp", "submit", "query"]


@WIRE
@given(status=statuses, content_type=content_types,
       body=bodies(nxcloud_values | nxcloud_objects | st.fixed_dictionaries(
           {"code": st.sampled_from([0, "0", 1004, 88, None]),
            "data": nxcloud_objects | st.fixed_dictionaries(
                {"result": st.lists(nxcloud_objects, max_size=3),
                 "messages": st.lists(nxcloud_objects, max_size=2)})})),
       call=st.sampled_from(NXCLOUD_CALLS))
def test_nxcloud_fuzz_client_replies(wire, status, content_type, body, call):
    wire.reply = (status, content_type, body)
    client = NxcloudClient(wire.session, api=wire.api, access_key="k", access_secret="fuzz-secret",
                           app_key="app", business_phone="447700900001")
    coro = {"sms": lambda: client.send_sms("+44 7700 900123", "Hello"),
            "whatsapp": lambda: client.send_whatsapp_text("+44 7700 900123", "Hello"),
            "submit": lambda: client.submit_number_check("+44 7700 900123", 1),
            "query": lambda: client.number_check_results(message_id="m" * 12)}[call]()
    result = outcome(wire, coro)
    if call == "sms" and not isinstance(result, SiteKitError):
        assert isinstance(result, nxcloud_models.SmsReceipt) and result.message_id
    if call == "query" and not isinstance(result, SiteKitError):
        assert isinstance(result, nxcloud_models.NumberCheckPage)


# -- a couple of replies worth pinning down (found by fuzzing or by reading) ----------------------

@pytest.mark.parametrize("value", [math.inf, -math.inf, 1e308 * 10, "Infinity"])
def test_nexhome_fuzz_infinite_numbers(value):
    """JSON `Infinity` is accepted by Python's json: an int field holding it is no number."""
    assert nexhome_models.Page.from_api({"total": value, "page": value}).total is None
    assert nexhome_models.CallLog.from_api({"durationSeconds": value}).duration_seconds == 0
    assert nexhome_models.ElevatorConfig.from_api({"floors": [value, 3]}).floors == (3,)
    assert nxcloud_models.parse_check_result({"numberType": value, "price": value}).summary()



@FUZZ
@given(value=st.none() | st.text(max_size=40) | st.floats().map(str)
       | st.datetimes().map(lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT")),
       server_time=st.none() | st.floats(min_value=0, max_value=4e9))
def test_nexhome_nxcloud_fuzz_retry_after(value, server_time):
    seconds = retry_after_seconds(value, server_time)
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)


def test_nexhome_nxcloud_retry_after_as_a_date():
    """RFC 9110 allows an HTTP date: counted from the server's own Date, not our clock."""
    server_now = 1_700_000_000.0
    parse = retry_after_seconds  # the one all clients use (app/core/ratelimit.py)
    assert parse("Tue, 14 Nov 2023 22:13:40 GMT", server_now) == 20.0
    assert parse("Tue, 14 Nov 2023 22:13:00 GMT", server_now) == 0.0  # already past
    assert parse("7", None) == 7.0 and parse("soon", None) is None
    assert parse("-5", None) is None and parse("inf", None) is None


@FUZZ
@given(text=st.text(max_size=60) | st.lists(st.integers(-50, 400) | scalars, max_size=6))
def test_nexhome_fuzz_lift_floors_typed(text):
    """What a technician types in the lift-floors field (or a list from a file)."""
    from app.services.building import floors_text, parse_floors

    floors = sitekit_or_model(parse_floors, text)
    if floors is not None:
        assert list(floors) == sorted(set(floors)) and isinstance(floors_text(floors), str)


@FUZZ
@given(phone=st.text(max_size=40))
def test_nxcloud_fuzz_masked_phone(phone):
    """Whatever number reaches the feed is masked, never shown whole."""
    from app.services.messaging import masked_phone

    shown = masked_phone(phone)
    digits = "".join(c for c in phone if c.isdigit())
    assert isinstance(shown, str)
    if len(digits) >= 10:
        assert digits not in shown.replace(" ", "")
