"""Nuheat live changes against the simulator's SignalR hub over real loopback websockets:
a change through the API and a change "on the thermostat" both arrive as Events with the
object re-read; after the hub drops the socket the client reconnects and still hears
changes; repeated notifications become one Event; the token is renewed before it expires."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from app.core.events import Event
from app.simulators.nuheat import DEMO_PASSWORD, DEMO_USERNAME, NuheatSim
from app.vendors.nuheat.auth import NuheatAuth
from app.vendors.nuheat.live import NuheatLive
from tests.integration.test_nuheat_auth import login_filler

PATHS = {1: "/api/v1/Account", 2: "/api/v1/Thermostat/{}", 3: "/api/v1/Schedule/{}", 4: "/api/v1/Group/{}"}


@pytest.fixture
async def sim():
    simulator = NuheatSim(hub_ping_interval=0.5)
    await simulator.start("127.0.0.1", 0)
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def session():
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        yield http


@pytest.fixture
async def auth(sim, session):
    signed_in = NuheatAuth(session, issuer=sim.issuer, client_id=sim.public_client_id)
    await signed_in.sign_in(login_filler(DEMO_USERNAME, DEMO_PASSWORD), timeout=5)
    return signed_in


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self._arrived = asyncio.Event()

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        self._arrived.set()

    def changes(self, kind: str | None = None) -> list[Event]:
        return [e for e in self.events if e.kind != "connection" and (kind is None or e.kind == kind)]

    async def wait_for(self, predicate, timeout: float = 4.0) -> Event:
        async def scan() -> Event:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                self._arrived.clear()
                await self._arrived.wait()
        return await asyncio.wait_for(scan(), timeout)


@pytest.fixture
async def live(sim, session, auth):
    async def reread(kind: int, item_id: str):
        token = await auth.access_token()
        async with session.get(sim.api + PATHS[kind].format(item_id),
                               headers={"Authorization": f"Bearer {token}"}) as reply:
            return await reply.json() if reply.status == 200 else None

    channel = NuheatLive.from_auth(session, auth, api=sim.api, refresh=reread, debounce=0.2,
                                   backoff=(0, 0.2), ping_interval=0.5, silence_timeout=3)
    recorder = Recorder()
    channel.subscribe(recorder)
    channel.recorder = recorder
    await channel.start()
    await channel.wait_online(5)
    try:
        yield channel
    finally:
        await channel.stop()


def _serial(sim) -> str:
    return sim.demo_serials()[0]


async def test_a_change_through_the_api_arrives_with_the_object_reread(sim, session, auth, live):
    serial = _serial(sim)
    token = await auth.access_token()
    async with session.put(sim.api + "/api/v1/Thermostat", headers={"Authorization": f"Bearer {token}"},
                           json={"serialNumber": serial, "scheduleMode": 3, "setPointTemp": 2350}) as reply:
        assert reply.status == 204
    event = await live.recorder.wait_for(lambda e: e.kind == "thermostat" and e.device == serial)
    assert event.vendor == "nuheat"
    assert event.payload["type"] == 2 and event.payload["timeStamp"]
    assert event.payload["object"]["setPointTemp"] == 2350


async def test_a_change_made_on_the_thermostat_arrives(sim, live):
    serial = _serial(sim)
    sim.change_on_thermostat(serial, name="Hall by the door")
    event = await live.recorder.wait_for(lambda e: e.kind == "thermostat" and e.device == serial)
    assert event.payload["object"]["name"] == "Hall by the door"


async def test_after_the_hub_drops_the_socket_the_client_reconnects_and_still_hears(sim, live):
    assert live.connections == 1
    await sim.hub.drop_connections()
    await live.recorder.wait_for(lambda e: e.kind == "connection" and e.payload.get("resync"))
    assert live.status == "online" and live.connections == 2
    serial = _serial(sim)
    sim.change_on_thermostat(serial, name="After the reconnect")
    event = await live.recorder.wait_for(lambda e: e.kind == "thermostat" and e.device == serial)
    assert event.payload["object"]["name"] == "After the reconnect"


async def test_repeated_and_bursty_notifications_become_one_event(sim, live):
    sim.faults.notify_twice = True
    serial = _serial(sim)
    sim.change_on_thermostat(serial, name="One")
    sim.change_on_thermostat(serial, name="Two")
    await live.recorder.wait_for(lambda e: e.kind == "thermostat")
    await asyncio.sleep(0.5)  # anything else would have arrived by now
    changes = live.recorder.changes("thermostat")
    assert len(changes) == 1 and live.refreshes == 1
    assert changes[0].payload["object"]["name"] == "Two"


async def test_a_group_change_arrives_as_a_group_event(sim, session, auth, live):
    token = await auth.access_token()
    async with session.get(sim.api + "/api/v1/Group", headers={"Authorization": f"Bearer {token}"}) as reply:
        group_id = (await reply.json())[0]["groupId"]
    async with session.put(sim.api + "/api/v1/Group", headers={"Authorization": f"Bearer {token}"},
                           json={"groupId": group_id, "awayMode": True}) as reply:
        assert reply.status == 204
    event = await live.recorder.wait_for(lambda e: e.kind == "group")
    assert event.device == group_id and event.payload["object"]["awayMode"] is True


async def test_the_connection_is_renewed_before_the_access_token_expires(sim, session, auth):
    first_token = auth.tokens.access_token
    remaining = auth.tokens.expires_at - auth.clock()
    channel = NuheatLive.from_auth(session, auth, api=sim.api, debounce=0.1, backoff=(0,),
                                   renew_margin=remaining - 0.3, min_session=0.1)
    recorder = Recorder()
    channel.subscribe(recorder)
    await channel.start()
    try:
        await recorder.wait_for(lambda e: e.kind == "connection" and e.payload.get("resync"))
        assert auth.tokens.access_token != first_token  # renewed, then reconnected with it
        sim.change_on_thermostat(_serial(sim), name="Renewed")
        await recorder.wait_for(lambda e: e.kind == "thermostat")
    finally:
        await channel.stop()
    assert channel.status == "stopped"


async def test_a_refused_token_signs_out_instead_of_retrying(sim, session):
    async def bogus() -> str:
        return "not-a-token"

    channel = NuheatLive(session, api=sim.api, access_token=bogus, backoff=(0,))
    await channel.start()
    try:
        for _ in range(100):
            if channel.status == "signed_out":
                break
            await asyncio.sleep(0.02)
        assert channel.status == "signed_out"
        assert sim.hub.handshakes == 0
    finally:
        await channel.stop()


async def test_events_as_an_async_iterator(sim, live):
    serial = _serial(sim)

    async def first_change() -> Event:
        async for event in live.events():
            if event.kind == "thermostat":
                return event

    waiting = asyncio.create_task(first_change())
    await asyncio.sleep(0)  # let the iterator subscribe
    sim.change_on_thermostat(serial, name="Iterated")
    event = await asyncio.wait_for(waiting, 4)
    assert event.device == serial and event.payload["object"]["name"] == "Iterated"


async def test_a_token_the_hub_no_longer_accepts_is_renewed_and_the_channel_comes_back(sim, auth, live):
    first_token = auth.tokens.access_token
    sim.expire_access_tokens()  # the hub closes (type 7), the next connect gets 401
    await live.recorder.wait_for(lambda e: e.kind == "connection" and e.payload.get("resync"))
    assert live.status == "online" and auth.tokens.access_token != first_token
    closed = [e for e in live.recorder.events if e.kind == "connection" and e.payload["status"] == "reconnecting"]
    assert closed and "expired" in closed[0].payload["message"]
    serial = _serial(sim)
    sim.change_on_thermostat(serial, name="With a new token")
    event = await live.recorder.wait_for(lambda e: e.kind == "thermostat" and e.device == serial)
    assert event.payload["object"]["name"] == "With a new token"
