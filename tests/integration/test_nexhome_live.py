"""NexhomeLive against the simulated message subscription: at-least-once, shown once."""

from __future__ import annotations

import asyncio

import pytest

from app.core.errors import NetworkError

from app.simulators.nexhome import BACK_STATION, MAIN_ENTRANCE, NexhomeSim
from app.vendors.nexhome.client import NexhomeClient
from app.vendors.nexhome.live import NexhomeLive
from tests.integration.conftest import wait_until

REDELIVERY = 0.3


@pytest.fixture
async def nexhome_sim():
    sim = NexhomeSim(redelivery_seconds=REDELIVERY, max_pull_wait=0.5)
    await sim.start("127.0.0.1", 0)
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
def client(nexhome_sim, http_session, clock):
    return NexhomeClient(http_session, api=nexhome_sim.api, developer_id=nexhome_sim.developer_id,
                         app_id=nexhome_sim.app_id, app_secret=nexhome_sim.app_secret,
                         clock=clock, request_timeout=3.0, command_timeout=2.0)


class Recorder:
    def __init__(self, fail_first: int = 0) -> None:
        self.stored: list[str] = []
        self.fail_first = fail_first
        self.events = []

    async def store(self, message, event) -> None:
        if self.fail_first > 0:
            self.fail_first -= 1
            raise OSError("disk full")
        self.stored.append(message.id)

    def on_event(self, event) -> None:
        if event.kind != "connection":
            self.events.append(event)


@pytest.fixture
async def make_live(client):
    channels = []

    async def make(recorder: Recorder, **options) -> NexhomeLive:
        options.setdefault("wait_seconds", 1)
        options.setdefault("backoff", (0.05, 0.1))
        live = NexhomeLive(client, store=recorder.store, **options)
        live.subscribe(recorder.on_event)
        channels.append(live)
        await live.start()
        await live.wait_online(3)
        return live

    yield make
    for live in channels:
        await live.stop()


async def test_unlock_arrives_as_access_event_and_is_committed(make_live, client, nexhome_sim):
    recorder = Recorder()
    live = await make_live(recorder)
    live.set_names(doors=await client.doors())
    await client.unlock(MAIN_ENTRANCE)
    nexhome_sim.resident_at_door(MAIN_ENTRANCE, person_id="P0001", credential=None,
                                 calls_room="R101")
    await wait_until(lambda: len(recorder.events) == 2, 3)
    access, call = recorder.events
    assert (access.vendor, access.kind, access.device) == ("nexhome", "access", "DS-1")
    assert access.payload["text"] == "Main entrance: opened remotely"
    assert call.kind == "call" and call.payload["text"].endswith("called Flat 101: answered, 25 s")
    await wait_until(lambda: not nexhome_sim.queue(nexhome_sim.app_id).uncommitted(), 2)
    assert len(recorder.stored) == 2


async def test_failed_store_is_not_committed_and_comes_again_once(make_live, nexhome_sim):
    recorder = Recorder(fail_first=1)
    live = await make_live(recorder)
    nexhome_sim.resident_at_door(MAIN_ENTRANCE, person_id="P0002", credential="QRCODE")
    await wait_until(lambda: live.store_failures == 1, 3)
    assert recorder.events == [] and nexhome_sim.queue(nexhome_sim.app_id).uncommitted()
    await wait_until(lambda: len(recorder.events) == 1, 3)  # redelivered after 0.3 s
    assert recorder.events[0].payload["text"] == "Door 1001: opened for P0002 (qrcode)"
    await wait_until(lambda: not nexhome_sim.queue(nexhome_sim.app_id).uncommitted(), 2)
    await asyncio.sleep(REDELIVERY * 2)
    assert len(recorder.events) == 1 and len(recorder.stored) == 1


async def test_redelivered_messages_shown_once_when_commits_are_lost(make_live, nexhome_sim):
    recorder = Recorder()
    nexhome_sim.faults.commit_status = 503
    live = await make_live(recorder)
    for _ in range(3):
        nexhome_sim.resident_at_door(MAIN_ENTRANCE, credential="PIN")
    await wait_until(lambda: len(recorder.events) == 3, 3)
    # every commit fails: the messages come again (to a new consumer, after backoff)
    await wait_until(lambda: live.redeliveries >= 3, 3)
    nexhome_sim.faults.commit_status = None
    await wait_until(lambda: not nexhome_sim.queue(nexhome_sim.app_id).uncommitted(), 3)
    assert len(recorder.events) == 3 and len(recorder.stored) == 3
    assert len({e.payload["messageId"] for e in recorder.events}) == 3


async def test_store_saying_already_had_it_is_not_shown(make_live, nexhome_sim, client):
    recorder = Recorder()

    async def store(message, event):
        return False  # e.g. found in SQLite after a restart

    live = NexhomeLive(client, store=store, wait_seconds=1, backoff=(0.05,))
    live.subscribe(recorder.on_event)
    await live.start()
    try:
        await live.wait_online(3)
        nexhome_sim.resident_at_door()
        await wait_until(lambda: not nexhome_sim.queue(nexhome_sim.app_id).uncommitted(), 3)
        assert recorder.events == [] and live.redeliveries == 1
    finally:
        await live.stop()


async def test_subscription_lost_and_recovered(make_live, nexhome_sim):
    recorder = Recorder()
    statuses = []
    live = await make_live(recorder)
    live.subscribe(lambda e: e.kind == "connection" and statuses.append(e.payload["status"]))
    first = live.consumer_id
    nexhome_sim.drop_consumers()
    await wait_until(lambda: live.consumer_id not in (None, first) and live.status == "online", 3)
    assert statuses[:2] == ["reconnecting", "online"]
    nexhome_sim.set_online(BACK_STATION, True)
    await wait_until(lambda: len(recorder.events) == 1, 3)
    assert recorder.events[0].kind == "device"
    assert recorder.events[0].payload["text"] == "Device DS-3 came online"
    assert live.connections == 2


async def test_network_loss_backs_off_and_recovers(make_live, nexhome_sim):
    recorder = Recorder()
    live = await make_live(recorder)
    port = int(nexhome_sim.api.rsplit(":", 1)[1])
    await nexhome_sim.stop()
    await wait_until(lambda: isinstance(live.last_error, NetworkError), 3)
    assert live.status == "reconnecting"
    nexhome_sim.resident_at_door()  # published while the subscription is down
    await nexhome_sim.start("127.0.0.1", port)
    await wait_until(lambda: live.status == "online", 5)
    await wait_until(lambda: len(recorder.events) == 1, 3)


async def test_app_without_subscription_permission_stops_with_advice(nexhome_sim, http_session, clock):
    restricted = nexhome_sim.restricted_app
    client = NexhomeClient(http_session, api=nexhome_sim.api, developer_id=nexhome_sim.developer_id,
                           app_id=restricted.app_id, app_secret=restricted.app_secret, clock=clock)
    live = NexhomeLive(client, backoff=(0.05,))
    await live.start()
    try:
        with pytest.raises(Exception) as info:
            await live.wait_online(3)
        assert live.status == "signed_out"
        assert "Message Subscription" in str(info.value)
    finally:
        await live.stop()


async def test_stop_deletes_the_consumer(make_live, nexhome_sim):
    live = await make_live(Recorder())
    await live.stop()
    assert live.status == "stopped"
    assert not nexhome_sim.queue(nexhome_sim.app_id).consumers
