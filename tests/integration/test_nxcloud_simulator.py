"""The simulated NXCloud, spoken to with raw requests: what it accepts and how it refuses."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from app.simulators.nxcloud import NxcloudSim
from app.simulators.nxcloud import demo
from app.vendors.nxcloud import signing

SMS = ("/api/sms/mtsend_v2", 3, "mtsend")
WHATSAPP = ("/api/wa/mt", 2, "mt")
CHECK = ("/api/number/check", 1, "numbercheck")
QUERY = ("/api/number/query", 1, "numbercheck")


@pytest.fixture
async def sim():
    sim = NxcloudSim(result_delay_seconds=0.3)
    await sim.start("127.0.0.1", 0)
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
async def session():
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        yield session


def headers_for(endpoint, body: bytes, *, ts: str | None = None, secret: str = demo.ACCESS_SECRET,
                access_key: str = demo.ACCESS_KEY) -> dict[str, str]:
    _, biz, action = endpoint
    return signing.signed_headers(access_key=access_key, access_secret=secret, biz_type=biz, action=action,
                                  ts=ts or signing.timestamp_ms(time.time()), body=body)


async def post(session, sim, endpoint, body: bytes | dict, headers: dict | None = None, **kwargs):
    raw = body if isinstance(body, bytes) else signing.body_bytes(body)
    async with session.post(sim.api + endpoint[0], data=raw,
                            headers=headers or headers_for(endpoint, raw, **kwargs)) as response:
        assert response.status == 200
        return json.loads(await response.text())


def sms_body(**changes):
    body = {"appKey": demo.APP_KEY, "phone": "447700900123", "content": "Your PIN is 4821"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


# -- signatures -----------------------------------------------------------------------------

def _vectors():
    from tests.vectors import load
    return load("signatures.json")["nxcloud"]


@pytest.mark.parametrize("vector", _vectors(), ids=lambda v: v["name"])
async def test_simulator_verifies_every_vector_over_the_received_bytes(vector, session):
    # The vectors' ts is from 2022: the simulator's clock is set there. Their action "send"
    # is no endpoint's, so a good signature gets past 1003 and stops at 1002; a body that
    # differs by one byte stops at 1003.
    sim = NxcloudSim(access_key=vector["headers"]["accessKey"], access_secret=vector["accessSecret"])
    sim.faults.clock_offset = int(vector["headers"]["ts"]) / 1000 - time.time()
    await sim.start()
    try:
        headers = {**vector["headers"], "sign": vector["sign"], "Content-Type": "application/json"}
        body = vector["body"].encode("utf-8")
        assert (await post(session, sim, CHECK, body, headers))["code"] == 1002
        assert (await post(session, sim, CHECK, body + b" ", headers))["code"] == 1003
    finally:
        await sim.stop()


async def test_body_signed_exactly_as_sent_even_unsorted_and_spaced(sim, session):
    raw = ('{"phone": "447700900456",\n "content": "Hi, ça va?", "appKey": "%s"}' % demo.APP_KEY).encode()
    reply = await post(session, sim, SMS, raw)
    assert reply["code"] == "0"
    assert sim.sent[-1].text == "Hi, ça va?"


async def test_signature_over_a_reserialised_body_is_refused(sim, session):
    raw = ('{"phone":"447700900456","content":"Hi","appKey":"%s"}' % demo.APP_KEY).encode()
    canonical = json.dumps(json.loads(raw), sort_keys=True).encode()
    assert canonical != raw
    reply = await post(session, sim, SMS, raw, headers_for(SMS, canonical))
    assert reply == {"result": "Invalid signature", "code": "1003", "messageid": ""}
    assert not sim.sent


async def test_lowercase_header_names_are_accepted(sim, session):
    raw = signing.body_bytes(sms_body())
    headers = {k.lower(): v for k, v in headers_for(SMS, raw).items()}
    assert (await post(session, sim, SMS, raw, headers))["code"] == "0"


# -- common refusals --------------------------------------------------------------------------

@pytest.mark.parametrize("offset_ms", [61_000, -61_000])
async def test_ts_outside_sixty_seconds_is_1004(sim, session, offset_ms):
    ts = str(int(time.time() * 1000) + offset_ms)
    assert (await post(session, sim, SMS, sms_body(), ts=ts))["code"] == "1004"


async def test_ts_inside_the_window_or_in_seconds(sim, session):
    near = str(int(time.time() * 1000) - 50_000)
    assert (await post(session, sim, SMS, sms_body(), ts=near))["code"] == "0"
    seconds = str(int(time.time()))
    assert (await post(session, sim, SMS, sms_body(), ts=seconds))["code"] == "1004"
    assert (await post(session, sim, SMS, sms_body(), ts="soon"))["code"] == "1004"


async def test_ts_follows_the_simulator_clock(sim, session):
    sim.faults.clock_offset = 3600
    assert (await post(session, sim, SMS, sms_body()))["code"] == "1004"
    later = signing.timestamp_ms(time.time() + 3600)
    assert (await post(session, sim, SMS, sms_body(), ts=later))["code"] == "0"


@pytest.mark.parametrize("missing", ["accessKey", "ts", "bizType", "action", "sign"])
async def test_each_missing_header_is_1001(sim, session, missing):
    raw = signing.body_bytes(sms_body())
    headers = headers_for(SMS, raw)
    del headers[missing]
    assert (await post(session, sim, SMS, raw, headers))["code"] == "1001"


async def test_wrong_action_or_biztype_is_1002_in_each_shape(sim, session):
    raw = signing.body_bytes({"appkey": demo.APP_KEY, "phone": "447700900123"})
    assert await post(session, sim, CHECK, raw, headers_for(SMS, raw)) == {
        "msg": "Parameter error", "code": 1002, "data": {}}
    assert (await post(session, sim, WHATSAPP, raw, headers_for(SMS, raw))) == {
        "code": 1002, "message": "Parameter error", "data": None}


async def test_body_that_is_not_a_json_object_is_1002(sim, session):
    assert (await post(session, sim, SMS, b"[1, 2]"))["code"] == "1002"


async def test_wrong_secret_or_content_type_is_1003(sim, session):
    assert (await post(session, sim, SMS, sms_body(), secret="nope"))["code"] == "1003"
    raw = signing.body_bytes(sms_body())
    headers = {**headers_for(SMS, raw), "Content-Type": "text/plain"}
    assert (await post(session, sim, SMS, raw, headers))["code"] == "1003"


async def test_unknown_key_or_business_not_enabled_is_1005(sim, session):
    assert (await post(session, sim, SMS, sms_body(), access_key="someone"))["code"] == "1005"
    sim.account.businesses.discard(3)
    assert (await post(session, sim, SMS, sms_body()))["code"] == "1005"
    assert not sim.sent


# -- SMS ------------------------------------------------------------------------------------

async def test_sms_accepted_into_the_outbox(sim, session):
    reply = await post(session, sim, SMS, sms_body(sysMessageId="sk-0123456789", sourceAddress="SiteKit"))
    assert reply["code"] == "0" and reply["result"] and reply["messageid"].isdigit()
    sent = sim.sent[-1]
    assert (sent.channel, sent.to, sent.sys_message_id, sent.sender) == (
        "sms", "447700900123", "sk-0123456789", "SiteKit")


@pytest.mark.parametrize("changes, code", [
    ({"appKey": None}, "2"),
    ({"appKey": "wrong"}, "1"),
    ({"content": "  "}, "4"),
    ({"content": "Win the casino jackpot"}, "4"),
    ({"content": "x" * 1001}, "5"),
    ({"phone": "44770"}, "6"),
    ({"phone": "447700900000"}, "6"),
    ({"phone": "07700900123"}, "6"),
    ({"sourceAddress": "Site Kit!"}, "8"),
    ({"sysMessageId": "short"}, "2"),
])
async def test_sms_refusals(sim, session, changes, code):
    reply = await post(session, sim, SMS, sms_body(**changes))
    assert reply["code"] == code and isinstance(reply["code"], str) and reply["result"]
    assert not sim.sent


async def test_sms_content_of_exactly_1000_is_accepted(sim, session):
    assert (await post(session, sim, SMS, sms_body(content="x" * 1000)))["code"] == "0"


async def test_sms_balance_and_frequency_limit(sim, session):
    sim.faults.insufficient_balance = True
    assert (await post(session, sim, SMS, sms_body()))["code"] == "3"
    sim.faults.insufficient_balance = False
    sim.sms_per_number_per_hour = 2
    for _ in range(2):
        assert (await post(session, sim, SMS, sms_body()))["code"] == "0"
    assert (await post(session, sim, SMS, sms_body()))["code"] == "27"


async def test_drop_after_acting_sends_but_never_answers(sim, session):
    sim.faults.drop_after_acting = True
    with pytest.raises(aiohttp.ClientError):
        await post(session, sim, SMS, sms_body())
    assert len(sim.sent) == 1


# -- WhatsApp -------------------------------------------------------------------------------

def wa_body(**changes):
    body = {"appkey": demo.APP_KEY, "business_phone": demo.BUSINESS_PHONE, "messaging_product": "whatsapp",
            "recipient_type": "individual", "to": "447700900123", "type": "text", "text": {"body": "Hello"}}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def template(name="resident_pin", params=("4821",), language="en_US"):
    return {"name": name, "language": {"code": language, "policy": "deterministic"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}]}


async def test_whatsapp_text_and_template(sim, session):
    reply = await post(session, sim, WHATSAPP, wa_body())
    assert reply["code"] == 0 and reply["data"]["messages"][0]["id"]
    reply = await post(session, sim, WHATSAPP, wa_body(type="template", text=None, template=template()))
    assert reply["code"] == 0
    assert [m.text for m in sim.sent] == ["Hello", "Your SiteKit door PIN is 4821. Keep it private."]
    assert sim.sent[-1].template == "resident_pin"


@pytest.mark.parametrize("changes, code, meta", [
    ({"to": None}, 9000, None),
    ({"text": {"body": ""}}, 9000, None),
    ({"appkey": "nope"}, 9003, None),
    ({"business_phone": "447700900002"}, 9006, None),
    ({"to": "447700900777"}, 9099, 131026),
    ({"type": "template", "template": template("no_such_template")}, 9099, 132001),
    ({"type": "template", "template": template(language="de")}, 9099, 132001),
    ({"type": "template", "template": template(params=())}, 9099, 132000),
    ({"text": {"body": "x" * 4097}}, 9099, 100),
])
async def test_whatsapp_refusals(sim, session, changes, code, meta):
    reply = await post(session, sim, WHATSAPP, wa_body(**changes))
    assert reply["code"] == code and reply["message"]
    if meta:
        assert reply["data"]["error"]["code"] == meta
    assert not sim.sent


async def test_whatsapp_balance(sim, session):
    sim.faults.insufficient_balance = True
    assert (await post(session, sim, WHATSAPP, wa_body()))["code"] == 9005


# -- number check ---------------------------------------------------------------------------

async def test_number_check_result_only_after_the_delay(sim, session):
    reply = await post(session, sim, CHECK, {"appkey": demo.APP_KEY, "phone": "447700900999", "checkLevel": 5})
    assert reply["code"] == 0 and reply["msg"]
    message_id = reply["data"]["messageId"]
    query = {"page": 1, "pageSize": 100, "date": sim.checks[-1].date, "messageId": message_id}
    early = await post(session, sim, QUERY, query)
    assert early["code"] == 0 and early["data"]["result"] == [] and early["data"]["totalSize"] == 0
    await asyncio.sleep(sim.result_delay_seconds + 0.05)
    late = await post(session, sim, QUERY, query)
    [result] = late["data"]["result"]
    assert (result["phone"], result["validity"], result["reachable"]) == ("447700900999", "YES", "NO")


async def test_number_check_batch_by_batch_no(sim, session):
    sim.result_delay_seconds = 0
    reply = await post(session, sim, CHECK, {"appkey": demo.APP_KEY, "phone": "447700900123,447700900000",
                                             "batchNo": "b-1"})
    assert reply["data"]["batchNo"] == "b-1"
    query = {"page": 1, "pageSize": 1, "date": sim.checks[-1].date, "batchNo": "b-1"}
    page = await post(session, sim, QUERY, query)
    assert page["data"]["totalSize"] == 2 and page["data"]["totalPage"] == 2
    assert page["data"]["result"][0]["messageId"].startswith(reply["data"]["messageId"] + "-")


@pytest.mark.parametrize("changes, code", [
    ({"appkey": None}, 201),
    ({"appkey": "nope"}, 202),
    ({"checkLevel": 2}, 207),
    ({"phone": "447700900123,33612345678"}, 201),
    ({"batchNo": "x" * 65}, 212),
])
async def test_number_check_refusals(sim, session, changes, code):
    body = {"appkey": demo.APP_KEY, "phone": "447700900123", "checkLevel": 1, **changes}
    reply = await post(session, sim, CHECK, {k: v for k, v in body.items() if v is not None})
    assert reply["code"] == code and reply["msg"]


async def test_number_check_balance_and_query_refusals(sim, session):
    sim.faults.insufficient_balance = True
    assert (await post(session, sim, CHECK, {"appkey": demo.APP_KEY, "phone": "447700900123"}))["code"] == 211
    bad_date = await post(session, sim, QUERY, {"page": 1, "pageSize": 10, "date": "23/11/2026", "messageId": "x"})
    assert bad_date == {"msg": "Incorrect date format [yyyy-MM-dd]", "code": 88, "data": {}}
    no_id = await post(session, sim, QUERY, {"page": 1, "pageSize": 10, "date": "2026-11-23"})
    assert no_id["code"] == 88


# -- faults and description -------------------------------------------------------------------

async def test_http_status_fault_and_date_header(sim, session):
    sim.faults.clock_offset = -7200
    raw = signing.body_bytes(sms_body())
    async with session.post(sim.api + SMS[0], data=raw, headers=headers_for(SMS, raw)) as response:
        from email.utils import parsedate_to_datetime
        assert abs(parsedate_to_datetime(response.headers["Date"]).timestamp() - (time.time() - 7200)) < 5
    sim.faults.http_status = 503
    async with session.post(sim.api + SMS[0], data=raw, headers=headers_for(SMS, raw)) as response:
        assert response.status == 503


async def test_describe_names_exactly_what_a_client_needs(sim):
    assert sim.describe() == {"api": sim.api, "access_key": demo.ACCESS_KEY, "access_secret": demo.ACCESS_SECRET,
                              "app_key": demo.APP_KEY, "business_phone": demo.BUSINESS_PHONE}
    assert sim.api.startswith("http://127.0.0.1:")
