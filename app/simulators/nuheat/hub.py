"""The change-notification hub: SignalR's JSON hub protocol over a websocket at
`{api}/notificationsHost` (as the real API; the later v1 path `/v1/changenotifications`
is served too).

Wire: optional `POST …/negotiate` (answers a connection id and the WebSockets transport;
clients may skip it), then the websocket, authorised at connect time by `Authorization:
Bearer` or `?access_token=` (bad/expired -> 401 before the upgrade). Every frame ends with
the record separator 0x1e. Handshake `{"protocol":"json","version":1}` -> `{}` (anything
else -> `{"error": …}` and close). Invocations `Subscribe` / `Unsubscribe` take a list of
type ids as strings ("1" account, "2" thermostat, "3" schedule, "4" group) and complete
with `{"type":3,"invocationId":…,"result":null}`; a subscription counts per call, so an
Unsubscribe undoes one Subscribe. The server sends `Notify` with a list of
`{type, id, timeStamp}` for the connection's own objects only, pings (type 6) every
`ping_interval` seconds, answers a close (type 7) by closing, and closes a connection
(type 7 with an error, allowReconnect) once the token it connected with has expired.

Faults (sim.faults): `notify_delay_seconds` (the real hub is 1–6 s late),
`notify_twice` (send each notification twice, as the real one sometimes does).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from app.simulators.nuheat.sim import NuheatSim, Notification

log = logging.getLogger(__name__)

RS = "\x1e"
HUB_PATHS = ("/notificationsHost", "/v1/changenotifications")
INVOCATION, COMPLETION, PING, CLOSE = 1, 3, 6, 7
NOTIFICATION_TYPES = {"1", "2", "3", "4"}
EXPIRY_CHECK_SECONDS = 0.25


@dataclass(eq=False)
class HubConnection:
    ws: web.WebSocketResponse
    user_id: str
    grant: Any = None  # the access token's grant, bound at connect time
    subscriptions: Counter = field(default_factory=Counter)

    def wants(self, kind: int) -> bool:
        return self.subscriptions[str(kind)] > 0

    async def send(self, message: dict[str, Any]) -> None:
        if not self.ws.closed:
            await self.ws.send_str(json.dumps(message, separators=(",", ":")) + RS)


class NotificationHub:
    def __init__(self, sim: NuheatSim, ping_interval: float = 15.0) -> None:
        self.sim = sim
        self.ping_interval = ping_interval
        self.connections: set[HubConnection] = set()
        self.handshakes = 0
        self._tasks: set[asyncio.Task] = set()

    def add_routes(self, app: web.Application) -> None:
        for path in HUB_PATHS:
            app.router.add_post(path + "/negotiate", self.negotiate)
            app.router.add_get(path, self.connect)

    async def negotiate(self, request: web.Request) -> web.Response:
        if self.sim.bearer_grant(request) is None:
            return web.Response(status=401)
        connection_id = secrets.token_urlsafe(16)
        return web.json_response({"negotiateVersion": 1, "connectionId": connection_id,
                                  "connectionToken": connection_id,
                                  "availableTransports": [{"transport": "WebSockets",
                                                           "transferFormats": ["Text", "Binary"]}]})

    async def connect(self, request: web.Request) -> web.StreamResponse:
        grant = self.sim.bearer_grant(request)
        if grant is None:
            return web.Response(status=401)
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        connection = HubConnection(ws, grant.user_id, grant)
        pinger: asyncio.Task | None = None
        try:
            if not await self._handshake(connection):
                return ws
            self.connections.add(connection)
            self.handshakes += 1
            pinger = asyncio.create_task(self._ping(connection))
            buffer = ""
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    break
                buffer += message.data
                *frames, buffer = buffer.split(RS)
                for frame in frames:
                    if frame and not await self._handle(connection, frame):
                        await ws.close()
                        return ws
        finally:
            self.connections.discard(connection)
            if pinger is not None:
                pinger.cancel()
        return ws

    async def _handshake(self, connection: HubConnection) -> bool:
        try:
            message = await connection.ws.receive(timeout=15)
        except asyncio.TimeoutError:
            await connection.ws.close()
            return False
        if message.type != WSMsgType.TEXT or not message.data.endswith(RS):
            await connection.ws.close()
            return False
        try:
            request = json.loads(message.data.split(RS)[0])
        except ValueError:
            request = {}
        if request.get("protocol") != "json" or request.get("version") != 1:
            await connection.send({"error": "Requested protocol is not available on this server."})
            await connection.ws.close()
            return False
        await connection.ws.send_str("{}" + RS)
        return True

    async def _handle(self, connection: HubConnection, frame: str) -> bool:
        try:
            message = json.loads(frame)
        except ValueError:
            await connection.send({"type": CLOSE, "error": "Connection closed with an error: invalid JSON."})
            return False
        kind = message.get("type")
        if kind == CLOSE:
            return False
        if kind != INVOCATION:
            return True  # pings and anything else need no answer
        target, invocation_id = message.get("target"), message.get("invocationId")
        arguments = message.get("arguments") or []
        error = None
        if target in ("Subscribe", "Unsubscribe"):
            types = arguments[0] if arguments and isinstance(arguments[0], list) else None
            if types is None or not all(isinstance(t, str) and t in NOTIFICATION_TYPES for t in types):
                error = "Failed to invoke '%s' due to an error on the server: type ids are strings \"1\"-\"4\"." % target
            else:
                for item in types:
                    if target == "Subscribe":
                        connection.subscriptions[item] += 1
                    elif connection.subscriptions[item] > 0:
                        connection.subscriptions[item] -= 1
        else:
            error = f"Unknown hub method '{target}'"
        if invocation_id is not None:
            reply: dict[str, Any] = {"type": COMPLETION, "invocationId": invocation_id}
            if error:
                reply["error"] = error
            else:
                reply["result"] = None
            await connection.send(reply)
        return True

    async def _ping(self, connection: HubConnection) -> None:
        """Ping every ping_interval; close (type 7, reconnect allowed) once the token the
        connection was opened with has expired: the hub binds the token at connect time."""
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + self.ping_interval
        try:
            while not connection.ws.closed:
                await asyncio.sleep(min(EXPIRY_CHECK_SECONDS, max(0.0, next_ping - loop.time())))
                if connection.grant.expires_at <= self.sim.now():
                    await connection.send({"type": CLOSE, "error": "Unauthorized: the access token has expired.",
                                           "allowReconnect": True})
                    await connection.ws.close()
                    return
                if loop.time() >= next_ping:
                    await connection.send({"type": PING})
                    next_ping = loop.time() + self.ping_interval
        except (ConnectionError, RuntimeError):
            pass

    # ----- notifications ----------------------------------------------------------------------

    def publish(self, owner: str | None, notification: Notification) -> None:
        targets = [c for c in self.connections if c.user_id == owner and c.wants(notification.type)]
        if not targets:
            return
        task = asyncio.get_running_loop().create_task(self._deliver(targets, notification))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, targets: list[HubConnection], notification: Notification) -> None:
        delay = self.sim.faults.notify_delay_seconds
        if delay > 0:
            await asyncio.sleep(delay)
        payload = {"type": INVOCATION, "target": "Notify",
                   "arguments": [[{"type": notification.type, "id": notification.id,
                                   "timeStamp": notification.timeStamp}]]}
        for _ in range(2 if self.sim.faults.notify_twice else 1):
            for connection in targets:
                try:
                    await connection.send(payload)
                except (ConnectionError, RuntimeError):
                    log.debug("hub connection gone while notifying")

    async def drop_connections(self) -> None:
        """Close every hub connection (as a server restart would)."""
        for connection in list(self.connections):
            await connection.ws.close()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.drop_connections()
