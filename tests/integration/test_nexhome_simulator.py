"""The simulated NEXhome cloud refuses what the real one would, with the guide's error body.

Requests are built by hand here (signing.headers), so the checks do not depend on the client.
"""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from app.simulators.nexhome import MAIN_ENTRANCE, MAIN_STATION, NexhomeSim
from app.vendors.nexhome import signing

DEVICES = "/api/v1/cits/devices"
ERROR_KEYS = {"code", "message", "status", "domain", "details"}


@pytest.fixture
async def nexhome_sim():
    sim = NexhomeSim(redelivery_seconds=0.3, max_pull_wait=1.0)
    await sim.start("127.0.0.1", 0)
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
async def raw():
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        yield session


def signed(sim, method, path, *, secret=None, ts=None, request_id=None, app_id=None):
    return signing.headers(method, path, developer_id=sim.developer_id,
                           app_id=app_id or sim.app_id, app_secret=secret or sim.app_secret,
                           request_id=request_id or signing.new_request_id(),
                           timestamp=str(ts if ts is not None else int(time.time() * 1000)))


async def call(session, sim, method, path, *, params=None, json_body=None, headers=None, **kw):
    headers = headers if headers is not None else signed(sim, method, path, **kw)
    data = None if json_body is None else json.dumps(json_body)
    async with session.request(method, sim.api + path, params=params, data=data,
                               headers=headers) as response:
        return response.status, await response.json(), response.headers


def assert_error_body(body, status):
    assert set(body) == ERROR_KEYS and body["code"] == status
    for item in body["details"]:
        assert set(item) == {"domain", "errorCode", "message", "fieldPath"}


async def test_describe_has_exactly_the_issue_keys(nexhome_sim):
    assert set(nexhome_sim.describe()) == {"api", "developer_id", "app_id", "app_secret"}
    assert nexhome_sim.describe()["api"].startswith("http://127.0.0.1:")


async def test_signed_request_accepted_and_query_not_signed(raw, nexhome_sim):
    status, body, headers = await call(raw, nexhome_sim, "GET", DEVICES, params={"page": 2})
    assert status == 200 and body["page"] == 2 and body["total"] == len(nexhome_sim.building.devices)
    assert "Date" in headers


async def test_bad_signature_refused(raw, nexhome_sim):
    status, body, _ = await call(raw, nexhome_sim, "GET", DEVICES, secret="nope")
    assert status == 401 and body["status"] == "UNAUTHORIZED"
    assert_error_body(body, 401)
    assert body["details"][0]["fieldPath"] == "SIGNATURE"
    # a signature for another path does not carry over
    headers = signed(nexhome_sim, "GET", "/api/v1/cits/rooms")
    status, body, _ = await call(raw, nexhome_sim, "GET", DEVICES, headers=headers)
    assert status == 401


@pytest.mark.parametrize("age", [301, -301])
async def test_timestamp_outside_five_minutes_refused(raw, nexhome_sim, age):
    ts = int((time.time() - age) * 1000)
    status, body, _ = await call(raw, nexhome_sim, "GET", DEVICES, ts=ts)
    assert status == 401 and body["details"][0]["errorCode"] == "TIMESTAMP_EXPIRED"
    ok = int((time.time() - 290) * 1000)
    assert (await call(raw, nexhome_sim, "GET", DEVICES, ts=ok))[0] == 200


async def test_clock_offset_moves_the_window_and_the_date_header(raw, nexhome_sim):
    nexhome_sim.faults.clock_offset = 3600
    status, body, headers = await call(raw, nexhome_sim, "GET", DEVICES)
    assert status == 401
    from email.utils import parsedate_to_datetime
    assert parsedate_to_datetime(headers["Date"]).timestamp() - time.time() > 3500


async def test_header_problems_name_the_header(raw, nexhome_sim):
    headers = signed(nexhome_sim, "GET", DEVICES)
    del headers["TIMESTAMP"]
    status, body, _ = await call(raw, nexhome_sim, "GET", DEVICES, headers=headers)
    assert status == 400 and body["details"][0]["fieldPath"] == "TIMESTAMP"
    status, body, _ = await call(raw, nexhome_sim, "GET", DEVICES, request_id="x" * 33)
    assert status == 400 and body["details"][0]["fieldPath"] == "REQUEST-ID"
    status, body, _ = await call(raw, nexhome_sim, "GET", DEVICES, app_id="someone-else")
    assert status == 401 and body["details"][0]["fieldPath"] == "APP-ID"


async def test_paging_size_above_50_refused(raw, nexhome_sim):
    status, body, _ = await call(raw, nexhome_sim, "GET", "/api/v1/cits/persons",
                                 params={"page": 1, "size": 51})
    assert status == 400 and body["details"][0]["fieldPath"] == "size"
    status, body, _ = await call(raw, nexhome_sim, "GET", "/api/v1/cits/persons",
                                 params={"page": 3, "size": 50})
    assert status == 200 and body["total"] == 120 and len(body["elements"]) == 20


async def test_404_and_403_bodies(raw, nexhome_sim):
    status, body, _ = await call(raw, nexhome_sim, "GET", "/api/v1/cits/access/9999")
    assert status == 404
    assert_error_body(body, 404)
    status, body, _ = await call(raw, nexhome_sim, "POST", "/api/v1/cits/access/1005/unlock",
                                 json_body={})
    assert status == 403 and body["status"] == "PERMISSION_DENIED"
    assert nexhome_sim.door("1005").openings == 0


async def test_repeated_request_id_recognised_for_commands(raw, nexhome_sim):
    path = f"/api/v1/cits/access/{MAIN_ENTRANCE}/unlock"
    request_id = signing.new_request_id()
    first = await call(raw, nexhome_sim, "POST", path, json_body={}, request_id=request_id)
    second = await call(raw, nexhome_sim, "POST", path, json_body={}, request_id=request_id)
    assert first[:2] == second[:2] == (200, {"id": MAIN_ENTRANCE, "result": "OPENED"})
    assert nexhome_sim.door(MAIN_ENTRANCE).openings == 1 and nexhome_sim.repeats == 1
    other = "/api/v1/cits/elevators/EC-1/call"
    status, body, _ = await call(raw, nexhome_sim, "POST", other,
                                 json_body={"fromFloor": 0, "toFloor": 3}, request_id=request_id)
    assert status == 409 and body["details"][0]["fieldPath"] == "REQUEST-ID"


async def test_drop_after_acting_acts_then_drops(raw, nexhome_sim):
    nexhome_sim.faults.drop_after_acting = True
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await call(raw, nexhome_sim, "POST", f"/api/v1/cits/access/{MAIN_ENTRANCE}/unlock",
                   json_body={})
    assert nexhome_sim.door(MAIN_ENTRANCE).openings == 1


async def test_offline_device_refuses_commands(raw, nexhome_sim):
    status, body, _ = await call(raw, nexhome_sim, "POST", "/api/v1/cits/access/1003/unlock",
                                 json_body={})
    assert status == 400 and body["status"] == "FAILED_PRECONDITION"
    assert body["details"][0]["errorCode"] == "DEVICE_OFFLINE"


async def test_mq_redelivers_uncommitted_after_the_delay(raw, nexhome_sim):
    _, created, _ = await call(raw, nexhome_sim, "POST", "/api/v1/cits/mq/consumers", json_body={})
    pull = f"/api/v1/cits/mq/consumers/{created['consumerId']}/messages"
    nexhome_sim.resident_at_door(MAIN_ENTRANCE, calls_room="R101")
    _, first, _ = await call(raw, nexhome_sim, "POST", pull, json_body={"max": 10, "waitSeconds": 1})
    assert [m["topic"] for m in first] == ["ACCESS_RECORD", "CALL_LOG"]
    _, none_yet, _ = await call(raw, nexhome_sim, "POST", pull, json_body={"max": 10, "waitSeconds": 0})
    assert none_yet == []
    await asyncio.sleep(0.35)
    _, again, _ = await call(raw, nexhome_sim, "POST", pull, json_body={"max": 10, "waitSeconds": 0})
    assert [m["messageId"] for m in again] == [m["messageId"] for m in first]
    commit = f"/api/v1/cits/mq/consumers/{created['consumerId']}/offsets"
    status, _, _ = await call(raw, nexhome_sim, "POST", commit,
                              json_body={"messageIds": [m["messageId"] for m in again]})
    assert status == 200
    status, _, _ = await call(raw, nexhome_sim, "POST", commit,
                              json_body={"messageIds": [m["messageId"] for m in again]})
    assert status == 200  # a commit sent twice (first answer lost) is harmless
    status, body, _ = await call(raw, nexhome_sim, "POST", commit,
                                 json_body={"messageIds": ["never-delivered"]})
    assert status == 400 and body["details"][0]["fieldPath"] == "messageIds[0]"
    await asyncio.sleep(0.35)
    _, after, _ = await call(raw, nexhome_sim, "POST", pull, json_body={"max": 10, "waitSeconds": 0})
    assert after == []


async def test_long_poll_wakes_on_a_new_message(raw, nexhome_sim):
    _, created, _ = await call(raw, nexhome_sim, "POST", "/api/v1/cits/mq/consumers", json_body={})
    pull = f"/api/v1/cits/mq/consumers/{created['consumerId']}/messages"
    loop = asyncio.get_running_loop()
    loop.call_later(0.1, nexhome_sim.resident_at_door)
    started = time.monotonic()
    _, messages, _ = await call(raw, nexhome_sim, "POST", pull, json_body={"max": 10, "waitSeconds": 1})
    assert len(messages) == 1 and time.monotonic() - started < 0.9


async def test_lost_consumers_answer_404_and_restricted_app_403(raw, nexhome_sim):
    _, created, _ = await call(raw, nexhome_sim, "POST", "/api/v1/cits/mq/consumers", json_body={})
    nexhome_sim.drop_consumers()
    pull = f"/api/v1/cits/mq/consumers/{created['consumerId']}/messages"
    status, body, _ = await call(raw, nexhome_sim, "POST", pull, json_body={"max": 1, "waitSeconds": 0})
    assert status == 404
    restricted = nexhome_sim.restricted_app
    status, body, _ = await call(raw, nexhome_sim, "POST", "/api/v1/cits/mq/consumers",
                                 json_body={}, app_id=restricted.app_id, secret=restricted.app_secret)
    assert status == 403
    assert_error_body(body, 403)


async def test_drift_publishes_records(nexhome_sim):
    published = [m for _ in range(10) for m in nexhome_sim.drift_once()]
    assert {m.topic for m in published} <= {"ACCESS_RECORD", "CALL_LOG"} and published


async def test_device_status_messages(nexhome_sim):
    nexhome_sim.set_online(MAIN_STATION, False)
    queued = nexhome_sim.queue(nexhome_sim.app_id).uncommitted()
    assert queued[-1].topic == "DEVICE_STATUS" and queued[-1].payload["online"] is False


async def test_live_drift_publishes_by_itself():
    sim = NexhomeSim(live_drift_seconds=0.05)
    await sim.start("127.0.0.1", 0)
    try:
        from tests.integration.conftest import wait_until
        await wait_until(lambda: len(sim.queue(sim.app_id).uncommitted()) >= 2, 2)
        assert not sim.queue(sim.restricted_app.app_id).uncommitted()  # no subscription
    finally:
        await sim.stop()
