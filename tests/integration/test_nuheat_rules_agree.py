"""The client's schedule rules and the simulator's server-side checks (written separately)
agree: a schedule PUT to the simulated OpenAPI is accepted (204) exactly when
check_schedule finds nothing, else refused with 400 {"messages": [...]}.

Schedules come from hypothesis: valid weeks, and valid weeks with a few random edits
(clocks on and off the quarter hour, types, active flags, temperatures, dropped and added
events, swapped clocks, edits to one day of a group, a wrong or repeated week day), so
both sides of the boundary are well covered. The simulator runs on its own event loop in a
thread because hypothesis drives plain functions.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from app.vendors.nuheat.schedule_rules import check_schedule

hypothesis = pytest.importorskip("hypothesis")
sim_package = pytest.importorskip("app.simulators.nuheat")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.unit.test_nuheat_schedule_rules import build_schedule, valid_templates  # noqa: E402

REDIRECT_URI = "http://127.0.0.1:53682/callback"


class SimThread:
    """A NuheatSim on an event loop of its own, with a signed-in aiohttp session."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 10.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def start(self) -> None:
        # generous limits: this test is about the rules, not the governor
        limits = (sim_package.RateLimit(1_000_000, 1),)
        self.sim = sim_package.NuheatSim(rate_limits=limits)
        await self.sim.start("127.0.0.1", 0)
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        self.token = await self._sign_in()
        self.serial = next(s for s in self.sim.demo_serials()
                           if not self.sim.thermostat(s).migrated_to_v2)

    async def _sign_in(self) -> str:
        sim = self.sim
        params = {"client_id": sim.client_id, "redirect_uri": REDIRECT_URI,
                  "response_type": "code", "scope": "openid openapi profile offline_access",
                  "state": "rules-agree", "nonce": "n-rules-agree"}
        async with self.http.get(f"{sim.issuer}/connect/authorize", params=params) as reply:
            assert reply.status == 200, await reply.text()
        form = dict(params, username=sim.username, password=sim.password, button="login")
        async with self.http.post(f"{sim.issuer}/connect/authorize", data=form,
                                  allow_redirects=False) as reply:
            assert reply.status == 302, await reply.text()
            code = parse_qs(urlsplit(reply.headers["Location"]).query)["code"][0]
        basic = base64.b64encode(f"{sim.client_id}:{sim.client_secret}".encode()).decode()
        async with self.http.post(f"{sim.issuer}/connect/token",
                                  headers={"Authorization": f"Basic {basic}"},
                                  data={"grant_type": "authorization_code", "code": code,
                                        "redirect_uri": REDIRECT_URI}) as reply:
            assert reply.status == 200, await reply.text()
            return (await reply.json())["access_token"]

    async def put_schedule(self, body: dict) -> tuple[int, list[str]]:
        async with self.http.put(f"{self.sim.api}/api/v1/Schedule", json=body,
                                 headers={"Authorization": f"Bearer {self.token}"}) as reply:
            if reply.status == 400:
                return 400, (await reply.json())["messages"]
            return reply.status, []

    async def stop(self) -> None:
        await self.http.close()
        await self.sim.stop()

    def close(self) -> None:
        self.run(self.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture(scope="module")
def nuheat():
    server = SimThread()
    try:
        server.run(server.start())
        yield server
    finally:
        server.close()


# --- schedules on both sides of the rules --------------------------------------------

clocks = st.one_of(
    st.integers(0, 95).map(lambda slot: f"{slot * 15 // 60:02d}:{slot * 15 % 60:02d}"),
    st.integers(0, 1439).map(lambda m: f"{m // 60:02d}:{m % 60:02d}"),
    st.sampled_from(["24:00", "6:00", "", "ab:cd"]),
)


@st.composite
def edit(draw):
    """One random change to a list of events (returned as a function to apply)."""
    op = draw(st.sampled_from(["clock", "active", "type", "drop", "add", "temperature", "swap"]))

    def apply(events: list) -> None:
        if op == "add" or not events:
            events.append({"clock": draw(clocks), "scheduleType": draw(st.integers(0, 3)),
                           "active": draw(st.booleans()),
                           "temperature": draw(st.integers(400, 7100))})
            return
        target = draw(st.sampled_from(events))
        if op == "clock":
            target["clock"] = draw(clocks)
        elif op == "active":
            target["active"] = not target["active"]
        elif op == "type":
            target["scheduleType"] = draw(st.integers(-1, 4))
        elif op == "drop":
            events.remove(target)
        elif op == "temperature":
            target["temperature"] = draw(st.integers(400, 7100))
        else:
            other = draw(st.sampled_from(events))
            target["clock"], other["clock"] = other["clock"], target["clock"]

    return apply


@st.composite
def schedules(draw, serial: str):
    templates, group_of = draw(valid_templates())
    for _ in range(draw(st.integers(0, 3))):  # edits every day of a group shares
        draw(edit())(templates[draw(st.integers(0, len(templates) - 1))])
    sched = build_schedule(templates, group_of, serial=serial)
    if draw(st.integers(0, 4)) == 0:  # an edit to one day only
        draw(edit())(sched["days"][draw(st.integers(0, 6))]["events"])
    if draw(st.integers(0, 9)) == 0:
        sched["days"][draw(st.integers(0, 6))]["weekDay"] = draw(st.integers(0, 8))
    return sched


def test_the_same_schedules_pass_both_checks(nuheat):
    seen = {"accepted": 0, "refused": 0}

    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(st.data())
    def agree(data):
        sched = data.draw(schedules(nuheat.serial))
        violations = check_schedule(sched)
        status, messages = nuheat.run(nuheat.put_schedule(sched))
        assert status in (204, 400)
        assert (status == 204) == (not violations), (
            f"client: {[v.message for v in violations]}\nserver: {messages}\n{sched}")
        seen["accepted" if status == 204 else "refused"] += 1

    agree()
    # both sides of the boundary were exercised
    assert seen["accepted"] >= 10 and seen["refused"] >= 10, seen


def test_an_accepted_schedule_reads_back_and_still_passes(nuheat):
    templates, group_of = [[{"clock": "06:00", "scheduleType": 0, "active": True,
                             "temperature": 2200},
                            {"clock": "00:30", "scheduleType": 3, "active": True,
                             "temperature": 1900}]], [0] * 7
    body = build_schedule(templates, group_of, serial=nuheat.serial)
    assert check_schedule(body) == []
    assert nuheat.run(nuheat.put_schedule(body)) == (204, [])

    async def read_back():
        async with nuheat.http.get(f"{nuheat.sim.api}/api/v1/Schedule/{nuheat.serial}",
                                   headers={"Authorization": f"Bearer {nuheat.token}"}) as reply:
            assert reply.status == 200
            return await reply.json()

    stored = nuheat.run(read_back())
    assert check_schedule(stored) == []
    assert [e["clock"] for e in stored["days"][0]["events"]] == ["06:00", "00:30"]


def test_the_checks_agree_on_many_more_schedules_and_on_any_json():
    """The same comparison without HTTP, so it can afford many more examples, plus JSON of
    any shape (a hand-edited file): both refuse it or both accept it, neither raises."""
    from tests.unit.test_nuheat_schedule_rules import schedule_like

    @settings(max_examples=800, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(schedules("12345678") | schedule_like)
    def agree(value):
        assert (not sim_package.check_schedule(value)) == (not check_schedule(value)), value

    agree()
