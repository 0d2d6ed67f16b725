"""`NexhomeSim`: the simulated NEXhome IoT cloud (REST API + message subscription) on loopback.

    sim = NexhomeSim()                        # the demo building (demo.py)
    await sim.start("127.0.0.1", port=0)
    sim.describe()   # {"api", "developer_id", "app_id", "app_secret"}
    await sim.stop()

Apps: the demo app (`sim.app_id`, all permissions but the Plant room door) and
`sim.restricted_app` (no message subscription; `add_app()` makes more).

Fault knobs (`sim.faults`): `delay_seconds` before every answer (commands: after acting), `clock_offset` (sim clock
minus real clock: TIMESTAMP check and `Date`), `drop_after_acting` (a command acts, then the
connection is closed without an answer), `http_status` (every authenticated call answers
it with the guide's error body), `commit_status` (only offset commits answer it: the
consumer has to live with redeliveries), and `script` (a `FaultScript`: scripted generic HTTP
faults on any route, served before the guard: 429 storms with Retry-After, 5xx bursts in the
guide's error body, drops before or after acting, truncated, malformed and oversized replies).

Test hooks: `resident_at_door(...)` (someone uses a credential at a door, or rings a flat:
access records and call logs on the subscription), `set_online(device_id, online)`
(DEVICE_STATUS), `drop_consumers()` (the subscription is lost: pulls and commits answer 404),
`redelivery_seconds` (default the documented 30 s), `max_pull_wait` (caps long polls),
`live_drift_seconds=N` (a resident at some door every N s). Observations: `door(id).openings`,
`elevator_calls`, `repeats` (commands recognised by REQUEST-ID), `requests` (every call:
app, method, path, refused status or None; a request a scripted fault answered is counted in
`faults.script` instead), `queue(app_id).uncommitted()`.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from app.simulators.faults import FaultScript, fault_middleware
from app.simulators.listening import listen, url_host

from app.simulators.nexhome import demo
from app.simulators.nexhome.api import AUTHORITY, RestApi, error
from app.simulators.nexhome.mq import AppQueue, QueuedMessage

HISTORY = 10_000
COMMAND_MEMORY = 10_000  # REQUEST-IDs of commands remembered per simulator


@dataclass
class Faults:
    delay_seconds: float = 0.0
    clock_offset: float = 0.0
    drop_after_acting: bool = False
    http_status: int | None = None
    commit_status: int | None = None  # commits answer this (the offsets are not stored)
    # The middleware holds this object: script on it (add/storm/clear), never replace it.
    script: FaultScript = field(default_factory=FaultScript)


@dataclass
class SimApp:
    developer_id: str
    app_id: str
    app_secret: str
    can_subscribe: bool = True
    all_doors: bool = False  # False: doors with granted=False answer 403


@dataclass
class SimRequest:
    time: float
    app_id: str
    method: str
    path: str
    refused: int | None  # the refusal's status, None when the guard let it through


def _fault_error(status: int) -> web.Response:
    # A scripted status fault answers in the guide's error body, as NEXhome's gateway does.
    return error(status, "Too many requests" if status == 429 else "Simulated failure",
                 domain=AUTHORITY)


class NexhomeSim:
    def __init__(self, *, developer_id: str = "sitekit-developer", app_id: str = "sitekit-app",
                 app_secret: str | None = None, seed: bool = True,
                 redelivery_seconds: float = 30.0, max_pull_wait: float = 30.0,
                 live_drift_seconds: float | None = None) -> None:
        self.developer_id, self.app_id = developer_id, app_id
        self.app_secret = app_secret if app_secret is not None else secrets.token_hex(16)
        self.faults = Faults()
        self.apps: dict[str, SimApp] = {}
        self.add_app(app_id, self.app_secret, developer_id=developer_id)
        self.restricted_app = self.add_app(app_id + "-nomq", secrets.token_hex(16),
                                           developer_id=developer_id, can_subscribe=False)
        self.building = demo.seed_building() if seed else demo.Building({}, {}, {}, {})
        self.elevator_floors = demo.ELEVATOR_FLOORS
        self.redelivery_seconds = redelivery_seconds
        self.max_pull_wait = max_pull_wait
        self.live_drift_seconds = live_drift_seconds
        self.credentials: dict[str, dict] = {}
        self.announcements: dict[str, dict] = {}
        self.elevator_configs: dict[str, list[int]] = {}
        self.elevator_calls: list[tuple[str, int, int]] = []
        self.commands: OrderedDict[tuple[str, str], tuple[str, int, Any]] = OrderedDict()
        self.commands_in_flight: dict[tuple[str, str], asyncio.Event] = {}
        self.repeats = 0
        self.requests: deque[SimRequest] = deque(maxlen=HISTORY)
        self._queues: dict[str, AppQueue] = {}
        self._ids = 0
        self._rng = random.Random(5)
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._host = "127.0.0.1"
        self._drift_task: asyncio.Task | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        self._host = host
        app = web.Application(middlewares=[fault_middleware(self.faults.script, _fault_error)])
        RestApi(self).add_routes(app)
        self._runner, self._port = await listen(app, host, port)
        if self.live_drift_seconds:
            self._drift_task = asyncio.create_task(self._drift_forever(self.live_drift_seconds))

    async def stop(self) -> None:
        task, self._drift_task = self._drift_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for queue in self._queues.values():
            queue.drop_consumers()  # long polls answer at once instead of holding shutdown
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> NexhomeSim:
        await self.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    @property
    def api(self) -> str:
        if self._runner is None:
            raise RuntimeError("simulator not started")
        return f"http://{url_host(self._host)}:{self._port}"

    def describe(self) -> dict[str, str]:
        return {"api": self.api, "developer_id": self.developer_id, "app_id": self.app_id,
                "app_secret": self.app_secret}

    # -- shared with the API -----------------------------------------------------------------------

    def now(self) -> float:
        return time.time() + self.faults.clock_offset

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    async def apply_delay(self) -> None:
        if self.faults.delay_seconds > 0:
            await asyncio.sleep(self.faults.delay_seconds)

    def add_app(self, app_id: str, app_secret: str, *, developer_id: str | None = None,
                can_subscribe: bool = True, all_doors: bool = False) -> SimApp:
        app = SimApp(developer_id or self.developer_id, app_id, app_secret, can_subscribe,
                     all_doors)
        self.apps[app_id] = app
        return app

    def record(self, request: web.Request, app: SimApp | None, refusal: web.Response | None) -> None:
        self.requests.append(SimRequest(time.monotonic(), app.app_id if app else "",
                                        request.method, request.path,
                                        refusal.status if refusal is not None else None))

    def remember_command(self, app_id: str, request_id: str, path: str,
                         response: web.Response) -> None:
        import json
        body = json.loads(response.body) if response.body else None  # type: ignore[arg-type]
        self.commands[(app_id, request_id)] = (path, response.status, body)
        while len(self.commands) > COMMAND_MEMORY:
            self.commands.popitem(last=False)

    def queue(self, app_id: str) -> AppQueue:
        if app_id not in self._queues:
            self._queues[app_id] = AppQueue(lambda: self.redelivery_seconds)
        return self._queues[app_id]

    def publish(self, topic: str, payload: dict) -> list[QueuedMessage]:
        """To every app with the message subscription."""
        return [self.queue(app.app_id).publish(topic, dict(payload), self.now_ms())
                for app in self.apps.values() if app.can_subscribe]

    def next_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._ids:05d}"

    def add_person(self, name: str, phone: str, room_ids: list[str]) -> demo.SimPerson:
        person = demo.SimPerson(self.next_id("P"), name, phone, room_ids)
        self.building.persons[person.id] = person
        return person

    def add_credential(self, person_id: str, body: dict) -> dict:
        credential = {"id": self.next_id("CR"), "personId": person_id, "type": body["type"],
                      "content": body["content"], "rule": dict(body.get("rule") or {}),
                      "deviceIds": list(body.get("deviceIds") or [])}
        self.credentials[credential["id"]] = credential
        return credential

    def add_announcement(self, body: dict) -> dict:
        item = {"id": self.next_id("AN"), "title": body["title"], "content": body["content"],
                "deviceIds": list(body["deviceIds"]), "effectiveTime": body["effectiveTime"],
                "expiredTime": body["expiredTime"]}
        self.announcements[item["id"]] = item
        return item

    def open_door(self, door: demo.SimDoor, *, credential: str, person_id: str,
                  reason: str) -> None:
        door.openings += 1
        self.publish("ACCESS_RECORD", {"accessId": door.id, "deviceId": door.device_id,
                                       "personId": person_id, "credentialType": credential,
                                       "result": "GRANTED", "reason": reason})

    # -- knobs and observations --------------------------------------------------------------------

    def door(self, access_id: str) -> demo.SimDoor:
        return self.building.doors[access_id]

    def resident_at_door(self, access_id: str = demo.MAIN_ENTRANCE, *,
                         person_id: str | None = None, credential: str | None = "PIN",
                         granted: bool = True, calls_room: str | None = None,
                         answered: bool = True, duration_seconds: int = 25) -> list[QueuedMessage]:
        """Someone at a door: with a credential (an access record, the door opens when
        granted), or ringing a flat (`calls_room`, a room id: a call log). Returns what was
        published (one message per subscribed app and record)."""
        door = self.building.doors[access_id]
        device = self.building.devices[door.device_id]
        person_id = person_id if person_id is not None else next(iter(self.building.persons), "")
        published: list[QueuedMessage] = []
        if credential is not None:
            if granted:
                door.openings += 1
            published += self.publish("ACCESS_RECORD", {
                "accessId": door.id, "deviceId": device.id, "personId": person_id,
                "credentialType": credential, "result": "GRANTED" if granted else "DENIED",
                "reason": "" if granted else "Credential not valid at this door"})
        if calls_room is not None:
            room = self.building.rooms[calls_room]
            published += self.publish("CALL_LOG", {
                "deviceId": device.id, "caller": device.name, "callee": f"Flat {room.number}",
                "startTime": self.now_ms() - duration_seconds * 1000,
                "durationSeconds": duration_seconds if answered else 0, "answered": answered})
        return published

    def set_online(self, device_id: str, online: bool) -> None:
        device = self.building.devices[device_id]
        if device.online != online:
            device.online = online
            self.publish("DEVICE_STATUS", {"deviceId": device_id, "online": online})

    def drop_consumers(self) -> None:
        """The subscription is lost (broker restart): every consumer is forgotten."""
        for queue in self._queues.values():
            queue.drop_consumers()

    def drift_once(self) -> list[QueuedMessage]:
        """A resident at a random granted, online door; sometimes ringing a flat instead."""
        doors = [d for d in self.building.doors.values()
                 if d.granted and self.building.devices[d.device_id].online]
        if not doors or not self.building.persons:
            return []
        door = self._rng.choice(doors)
        person = self._rng.choice(list(self.building.persons.values()))
        if self._rng.random() < 0.3 and person.room_ids:
            return self.resident_at_door(door.id, person_id=person.id, credential=None,
                                         calls_room=person.room_ids[0],
                                         answered=self._rng.random() < 0.8)
        return self.resident_at_door(door.id, person_id=person.id,
                                     credential=self._rng.choice(("PIN", "CARD", "QRCODE")))

    async def _drift_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.drift_once()
