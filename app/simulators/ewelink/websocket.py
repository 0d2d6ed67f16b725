"""The persistent connection of the simulated cloud (`GET /api/ws`).

Handshake: the first frame must be `userOnline` with a valid `at`, the sim's appid and the
account's user apikey, within `handshake_timeout` seconds; otherwise the reply is
`{"error":406,"reason":"Authentication Failed","actionName":"userOnline"}` and a close.
Keep-alive is the text frame `ping` -> `pong`; any frame counts as life (protocol-level
pings too, as "sent nothing" reads), and a socket silent for hbInterval * 1.5 s is closed
(code 1000, "heartbeat timeout").

`update` replies (deviceStatus_en.md): 400 bad request / invalid params, 403 not the
account's device or a foreign apikey, 503 device offline, 504 device unresponsive (after
`device_timeout`); ok replies come after `device_reply_delay`, then the applied params
are pushed to every socket of the owner as an `update` with userAgent "device". The push
carries the params as applied (a partial `switches` array stays partial), like a device
reporting what changed. Commands run as tasks, so pings and other commands on the same
socket are answered while a device is slow.

`query` with `params: []` answers every param; a non-empty list answers those keys. An
offline device answers 503 to `query` too (the guide: a command to an offline device
always fails). A refresh does not close sockets opened with the refreshed `at`; only a
new login does (the guide's "forced to log out").

A socket whose first frame is `register` is a device, not an app: device_socket.py runs
it. Commands to a device that has such a socket (a simulated Sonoff) are forwarded to it
and answered once it acknowledges (504 if it does not within `device_timeout`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, WSMsgType, web

from app.simulators.ewelink import devices as device_rules
from app.simulators.ewelink.frames import json_number, parse_frame
from app.simulators.ewelink.device_socket import serve_device

if TYPE_CHECKING:
    from app.simulators.ewelink.cloud import EwelinkCloudSim
    from app.simulators.ewelink.state import Account

log = logging.getLogger(__name__)

AUTH_FAILED = {"error": 406, "reason": "Authentication Failed", "actionName": "userOnline"}
# How long a server-side close waits for the client's close frame: short, so a test
# client that stopped reading does not hold the simulator up.
CLOSE_TIMEOUT = 1.0


class Connection:
    """One client socket; `account` and `at` are set by a successful handshake."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, region: str) -> None:
        self.ws = ws
        self.request = request
        self.region = region
        self.account: Account | None = None
        self.at: str | None = None
        self.tasks: set[asyncio.Task] = set()
        self._send_lock = asyncio.Lock()

    @property
    def ready(self) -> bool:
        return self.account is not None and not self.ws.closed

    async def send_json(self, payload: dict[str, Any]) -> None:
        await self.send_text(json.dumps(payload, separators=(",", ":")))

    async def send_text(self, text: str) -> None:
        if self.ws.closed:
            return
        async with self._send_lock:
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                pass  # the client went away; its handler cleans up

    async def close(self, code: int = WSCloseCode.OK, message: str = "") -> None:
        try:
            await self.ws.close(code=code, message=message.encode())
        except (ConnectionError, RuntimeError):
            pass

    def abort(self) -> None:
        """Cut the TCP connection without a close frame (the client sees 1006)."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    def spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


class WebsocketApi:
    def __init__(self, cloud: EwelinkCloudSim, region: str) -> None:
        self.cloud = cloud
        self.region = region

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/api/ws", self.handle)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(timeout=CLOSE_TIMEOUT, autoping=True)
        await ws.prepare(request)
        conn = Connection(ws, request, self.region)
        self.cloud.connections.add(conn)
        try:
            first = await self._first_frame(conn)
            if first is not None and first.get("action") == "register":
                # a device, not an app: device_socket.py runs it (not an app connection)
                self.cloud.connections.discard(conn)
                await serve_device(self.cloud, ws, request, first)
            elif first is not None and await self._handshake(conn, first):
                await self._serve(conn)
        except asyncio.CancelledError:
            raise
        except Exception:  # a simulator bug must not look like a protocol answer
            log.exception("websocket handler failed")
            await conn.close(WSCloseCode.INTERNAL_ERROR, "simulator error")
        finally:
            self.cloud.connections.discard(conn)
            for task in list(conn.tasks):
                task.cancel()
        return ws

    async def _first_frame(self, conn: Connection) -> dict[str, Any] | None:
        """The first text frame parsed ({} when it is not a JSON object); None: no usable frame."""
        try:
            msg = await conn.ws.receive(timeout=self.cloud.handshake_timeout)
        except asyncio.TimeoutError:
            await conn.close(WSCloseCode.POLICY_VIOLATION, "no userOnline")
            return None
        if msg.type != WSMsgType.TEXT:
            return None
        return parse_frame(msg.data) or {}

    async def _handshake(self, conn: Connection, frame: dict[str, Any]) -> bool:
        account = self._authenticate(frame)
        if account is None:
            log.info("websocket at %s: userOnline refused (406)", self.region)
            await conn.send_json(AUTH_FAILED)
            await conn.close(WSCloseCode.OK, "Authentication Failed")
            return False
        conn.account, conn.at = account, frame["at"]
        self.cloud.handshakes += 1
        log.info("websocket at %s: userOnline ok", self.region)
        await conn.send_json({"error": 0, "apikey": account.apikey,
                              "config": {"hb": 1, "hbInterval": json_number(self.cloud.hb_interval)},
                              "sequence": frame.get("sequence")})
        return True

    def _authenticate(self, frame: dict[str, Any] | None) -> Account | None:
        if not frame or frame.get("action") != "userOnline":
            return None
        if frame.get("appid") != self.cloud.appid:
            return None
        status, account_id = self.cloud.state.tokens.check(frame.get("at"), "at")
        if status != "ok":
            return None
        account = self.cloud.state.accounts.get(account_id)
        if account is None or frame.get("apikey") != account.apikey:
            return None
        return account

    async def _serve(self, conn: Connection) -> None:
        silence = self.cloud.hb_interval * 1.5
        while True:
            try:
                msg = await conn.ws.receive(timeout=silence)
            except asyncio.TimeoutError:
                log.info("websocket at %s: no frame for %.1f s, closing", self.region, silence)
                await conn.close(WSCloseCode.OK, "heartbeat timeout")
                return
            if msg.type == WSMsgType.TEXT:
                if msg.data == "ping":
                    await conn.send_text("pong")
                else:
                    await self._on_frame(conn, parse_frame(msg.data))
            elif msg.type == WSMsgType.BINARY:
                await conn.send_json({"error": 400, "reason": "text frames only"})
            else:  # CLOSE, CLOSING, CLOSED, ERROR
                return

    async def _on_frame(self, conn: Connection, frame: dict[str, Any] | None) -> None:
        if frame is None:
            await conn.send_json({"error": 400, "reason": "frame is not a JSON object"})
            return
        action = frame.get("action")
        if action == "update":
            conn.spawn(self._update(conn, frame))
        elif action == "query":
            await self._query(conn, frame)
        elif action == "userOnline":
            await conn.send_json({"error": 400, "reason": "already online",
                                  "actionName": "userOnline", "sequence": frame.get("sequence")})
        else:
            await conn.send_json({"error": 400, "reason": f"unknown action {action!r}",
                                  "sequence": frame.get("sequence")})

    def _target(self, conn: Connection, frame: dict[str, Any]):
        """(device, error code) for an update/query frame."""
        account = conn.account
        deviceid, apikey = frame.get("deviceid"), frame.get("apikey")
        if not isinstance(deviceid, str) or not deviceid or not isinstance(apikey, str):
            return None, 400
        device = self.cloud.state.devices.get(deviceid)
        if device is None or device.owner_id != account.id or apikey != account.apikey:
            return None, 403
        if not device.online:
            return device, 503
        return device, 0

    async def _update(self, conn: Connection, frame: dict[str, Any]) -> None:
        account = conn.account
        reply = {"deviceid": frame.get("deviceid"), "apikey": account.apikey,
                 "sequence": frame.get("sequence")}
        if isinstance(frame.get("deviceid"), str):
            self.cloud.updates[frame["deviceid"]] += 1
        fault = self.cloud.faults.take_ws_update_fault()
        if fault == "drop_before":
            conn.abort()
            return
        device, code = self._target(conn, frame)
        if code:
            await conn.send_json({"error": code, **reply, "reason": _REASONS[code]})
            return
        try:
            params = device_rules.validate(device.uiid, frame.get("params"))
        except device_rules.InvalidParams as exc:
            await conn.send_json({"error": 400, **reply, "reason": str(exc)})
            return
        faults = self.cloud.faults
        if fault == "error":
            code = faults.ws_update_error
            await conn.send_json({"error": code, **reply, "reason": _REASONS.get(code, "server error")})
            return
        if device.unresponsive:
            await asyncio.sleep(faults.device_timeout)
            await conn.send_json({"error": 504, **reply, "reason": _REASONS[504]})
            return
        if faults.device_reply_delay > 0:
            await asyncio.sleep(faults.device_reply_delay)
        if not device.online:  # went offline while the command was on its way
            await conn.send_json({"error": 503, **reply, "reason": _REASONS[503]})
            return
        link = self.cloud.device_links.get(device.deviceid)
        if link is not None:
            # a simulated Sonoff holds its own state: no ack from it, no change
            code = await link.command(params, faults.device_timeout)
            if code:
                await conn.send_json({"error": code, **reply, "reason": _REASONS.get(code, "device error")})
                return
        device_rules.apply(device.uiid, device.params, params)
        if fault == "drop_after":
            conn.abort()  # the device acted; its report reaches the owner's other sockets
            await self.cloud.push_update(device, params)
            return
        if fault != "silent":
            await conn.send_json({"error": 0, **reply})
        await self.cloud.push_update(device, params)

    async def _query(self, conn: Connection, frame: dict[str, Any]) -> None:
        reply = {"deviceid": frame.get("deviceid"), "apikey": conn.account.apikey,
                 "sequence": frame.get("sequence")}
        device, code = self._target(conn, frame)
        if code:
            await conn.send_json({"error": code, **reply, "reason": _REASONS[code]})
            return
        wanted = frame.get("params")
        params = device_rules.copy_params(device.params)
        if isinstance(wanted, list) and wanted:
            params = {k: v for k, v in params.items() if k in wanted}
        await conn.send_json({"error": 0, **reply, "params": params})


_REASONS = {400: "bad request", 403: "no permission", 500: "server error",
            503: "device offline", 504: "request timed out"}
