"""The cloud's end of a device's websocket: `register`, device reports, commands to the device.

A real device, once on Wi-Fi, asks `POST /dispatch/device` where to connect, opens the same
`/api/ws` the apps use and sends `{"action":"register","deviceid","apikey":<devicekey>,
"userAgent":"device",...}` first (SonOTA's fake server shows the exchange). The simulated
cloud answers `{"error":0,"deviceid","apikey":<owner apikey, or the devicekey while no
account holds it>,"config":{"hb":1,"hbInterval":...}}` and marks the device online (a
sysmsg to the owner's sockets, if it has one); when the socket ends, offline again.

Frames on a device socket:
- device -> cloud `{"action":"update","userAgent":"device","params":{...}}`: a report
  (a LAN command or a button changed something, or the full state right after register):
  merged into the cloud's copy and pushed to the owner as `update` from the device;
  answered `{"error":0,"deviceid","sequence"}`.
- cloud -> device `{"action":"update","userAgent":"app","sequence","params"}`: an app's
  command forwarded (websocket.py does this for devices that have a socket); the device
  answers `{"error":0,"deviceid","sequence"}`. No answer within `device_timeout`: 504 to
  the app; the socket ending meanwhile: 503 (offline).
- `ping` -> `pong`; a socket silent for hbInterval * 1.5 s is closed, as for apps.
A device socket is not an app connection: it is not in `cloud.connections`, so
`drop_websockets`, `open_sockets` and `handshakes` keep meaning the apps' sockets.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, WSMsgType, web

from app.simulators.ewelink import devices as device_rules
from app.simulators.ewelink.frames import json_number, parse_frame

if TYPE_CHECKING:
    from app.simulators.ewelink.cloud import EwelinkCloudSim
    from app.simulators.ewelink.state import SimDevice

log = logging.getLogger(__name__)

REGISTER_FAILED = {"error": 406, "reason": "unknown device or wrong device key", "actionName": "register"}


class DeviceLink:
    """One registered device's socket, as the cloud sees it."""

    def __init__(self, cloud: EwelinkCloudSim, ws: web.WebSocketResponse, request: web.Request,
                 device: SimDevice) -> None:
        self.cloud = cloud
        self.ws = ws
        self.request = request
        self.device = device
        self._pending: dict[str, asyncio.Future] = {}
        self._send_lock = asyncio.Lock()
        self._sequence = 0

    async def send_json(self, payload: dict[str, Any]) -> None:
        if self.ws.closed:
            return
        async with self._send_lock:
            try:
                await self.ws.send_str(json.dumps(payload, separators=(",", ":")))
            except (ConnectionError, RuntimeError):
                pass

    async def close(self, code: int = WSCloseCode.GOING_AWAY, message: str = "") -> None:
        try:
            await self.ws.close(code=code, message=message.encode())
        except (ConnectionError, RuntimeError):
            pass

    async def command(self, params: dict[str, Any], timeout: float) -> int:
        """Forward an app's command: the device's answer code (0 ok), 504 when it did not
        answer in time, 503 when its socket closed meanwhile."""
        self._sequence += 1
        sequence = f"{int(time.time() * 1000)}{self._sequence:03d}"
        future = asyncio.get_running_loop().create_future()
        self._pending[sequence] = future
        try:
            await self.send_json({"action": "update", "deviceid": self.device.deviceid,
                                  "apikey": self.device.owner_apikey or self.device.devicekey,
                                  "userAgent": "app", "sequence": sequence, "params": params})
            reply = await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            return 504
        finally:
            self._pending.pop(sequence, None)
        code = reply.get("error")
        return code if isinstance(code, int) and not isinstance(code, bool) else 500

    def fail_pending(self) -> None:
        """The socket ended: commands waiting for the device learn it went offline."""
        for future in self._pending.values():
            if not future.done():
                future.set_result({"error": 503})
        self._pending.clear()

    async def serve(self) -> None:
        silence = self.cloud.hb_interval * 1.5
        while True:
            try:
                msg = await self.ws.receive(timeout=silence)
            except asyncio.TimeoutError:
                await self.close(WSCloseCode.OK, "heartbeat timeout")
                return
            if msg.type == WSMsgType.TEXT:
                if msg.data == "ping":
                    async with self._send_lock:
                        if not self.ws.closed:
                            await self.ws.send_str("pong")
                    continue
                frame = parse_frame(msg.data)
                if frame is None:
                    await self.send_json({"error": 400, "reason": "frame is not a JSON object"})
                elif frame.get("action") == "update":
                    await self._report(frame)
                elif "action" not in frame and frame.get("sequence") in self._pending:
                    future = self._pending.pop(frame["sequence"])
                    if not future.done():
                        future.set_result(frame)
                elif "action" in frame:
                    await self.send_json({"error": 400, "reason": f"unknown action {frame['action']!r}",
                                          "sequence": frame.get("sequence")})
            elif msg.type == WSMsgType.BINARY:
                await self.send_json({"error": 400, "reason": "text frames only"})
            else:
                return

    async def _report(self, frame: dict[str, Any]) -> None:
        params = frame.get("params")
        reply = {"deviceid": self.device.deviceid, "sequence": frame.get("sequence")}
        if not isinstance(params, dict) or not params:
            await self.send_json({"error": 400, **reply, "reason": "params must be a non-empty object"})
            return
        device_rules.apply(self.device.uiid, self.device.params, params)
        await self.send_json({"error": 0, **reply})
        await self.cloud.push_update(self.device, params)


async def serve_device(cloud: EwelinkCloudSim, ws: web.WebSocketResponse, request: web.Request,
                       frame: dict[str, Any]) -> None:
    """Run a socket whose first frame was `register` until it ends."""
    device = cloud.state.devices.get(frame.get("deviceid"))
    if device is None or not isinstance(frame.get("apikey"), str) or frame["apikey"] != device.devicekey:
        log.info("device register refused (406)")
        await ws.send_str(json.dumps(REGISTER_FAILED))
        await ws.close(code=WSCloseCode.OK, message=b"register failed")
        return
    link = DeviceLink(cloud, ws, request, device)
    previous = cloud.device_links.get(device.deviceid)
    cloud.device_links[device.deviceid] = link
    if previous is not None:  # the device rebooted and came back before its old socket timed out
        await previous.close(WSCloseCode.OK, "replaced by a new register")
    await link.send_json({"error": 0, "deviceid": device.deviceid,
                          "apikey": device.owner_apikey or device.devicekey,
                          "config": {"hb": 1, "hbInterval": json_number(cloud.hb_interval)},
                          "sequence": frame.get("sequence")})
    log.info("device %s registered", device.deviceid)
    await cloud.set_online(device.deviceid, True)
    try:
        await link.serve()
    finally:
        link.fail_pending()
        if cloud.device_links.get(device.deviceid) is link:
            del cloud.device_links[device.deviceid]
            await cloud.set_online(device.deviceid, False)
        log.info("device %s socket closed", device.deviceid)
