"""The shared pieces of the fault matrix: the simulators' scripted HTTP faults, and the
size-limited reader every client uses, against a real aiohttp server on loopback."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from app.core.errors import ProtocolError
from app.core.http import MAX_REPLY_BYTES, ReplyTooLarge, read_text
from app.simulators.faults import FaultScript, HttpFault, fault_middleware


@pytest.fixture
async def served():
    script = FaultScript()
    acted: list[str] = []

    async def act(request: web.Request) -> web.Response:
        acted.append(request.path)
        return web.json_response({"ok": True})

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 2048)

    app = web.Application(middlewares=[fault_middleware(script)])
    app.router.add_route("*", "/act", act)
    app.router.add_get("/big", big)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield script, acted, session, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_storm_answers_the_status_with_retry_after_then_stops(served):
    script, acted, session, base = served
    script.storm(2, status=429, retry_after=3, path="/act")
    seen = []
    for _ in range(3):
        async with session.get(base + "/act") as response:
            seen.append((response.status, response.headers.get("Retry-After")))
    assert seen == [(429, "3"), (429, "3"), (200, None)]
    assert acted == ["/act"] and script.requests == 3 and script.served("status") == 2


async def test_faults_match_method_and_path(served):
    script, acted, session, base = served
    script.add(HttpFault("status", status=503, method="POST", path="/act"))
    async with session.get(base + "/act") as response:
        assert response.status == 200
    async with session.post(base + "/act") as response:
        assert response.status == 503


async def test_drop_before_acting_does_not_act(served):
    script, acted, session, base = served
    script.add(HttpFault("drop"))
    with pytest.raises(aiohttp.ClientError):
        async with session.post(base + "/act") as response:
            await read_text(response)
    assert acted == []


async def test_drop_after_acting_acts_and_loses_the_reply(served):
    script, acted, session, base = served
    script.add(HttpFault("drop_after"))
    with pytest.raises(aiohttp.ClientError):
        async with session.post(base + "/act") as response:
            await read_text(response)
    assert acted == ["/act"]


async def test_truncated_reply_is_a_clear_protocol_error(served):
    script, _, session, base = served
    script.add(HttpFault("truncate"))
    with pytest.raises(ProtocolError, match="cut off"):
        async with session.get(base + "/act") as response:
            await read_text(response, what="The test server")


async def test_oversized_reply_stops_at_the_limit(served):
    script, _, session, base = served
    script.add(HttpFault("oversize"))
    with pytest.raises(ReplyTooLarge, match="The test server sent more than 4.0 MB"):
        async with session.get(base + "/act") as response:
            await read_text(response, what="The test server")


async def test_declared_length_over_the_limit_is_refused_before_reading(served):
    _, _, session, base = served
    with pytest.raises(ReplyTooLarge, match="reply of 2 KB; SiteKit reads at most 1 KB"):
        async with session.get(base + "/big") as response:
            await read_text(response, limit=1024)
    async with session.get(base + "/big") as response:
        assert len(await read_text(response)) == 2048 < MAX_REPLY_BYTES


async def test_malformed_reply_is_served_as_200(served):
    script, _, session, base = served
    script.add(HttpFault("malformed"))
    async with session.get(base + "/act") as response:
        assert response.status == 200 and await read_text(response) == "{not json"


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown fault kind"):
        HttpFault("explode")


async def test_aiohttp_resends_a_dropped_put_unless_told_to_send_once(served):
    from app.core.http import SEND_ONCE, AnswerLost

    script, acted, session, base = served
    async with session.get(base + "/act") as response:  # a kept-alive connection to reuse
        await response.read()
    script.add(HttpFault("drop_after", method="PUT"))
    async with session.put(base + "/act") as response:
        assert response.status == 200  # aiohttp sent it again, by itself
    assert acted == ["/act", "/act", "/act"]

    acted.clear()
    script.add(HttpFault("drop_after", method="PUT"))
    with pytest.raises(AnswerLost):
        async with session.put(base + "/act", **SEND_ONCE) as response:
            await read_text(response)
    assert acted == ["/act"]
