"""SIMULATOR-ONLY control endpoints under `/_sim/` (the real cloud has nothing like them).

They let a script drive a running `sitekit sim` the way tests drive the Python API:
- `GET  /_sim/faults`  -> the current fault knobs
- `POST /_sim/faults`  {"delay_seconds": 1.5, ...} -> sets the given knobs, answers all
- `POST /_sim/online`  {"deviceid", "online": bool} -> pushes sysmsg to the owner
- `POST /_sim/drop`    -> cuts every client websocket, answers {"dropped": n}
- `POST /_sim/press`   {"deviceid", "params"} -> a device-originated update push
- `POST /_sim/unresponsive` {"deviceid", "unresponsive": bool}
- `POST /_sim/expire`  {"tokens": "access" | "refresh"}
They answer plain JSON (`{"ok": true, ...}` or HTTP 400 `{"ok": false, "message"}`) and
ignore the REST faults (delay, forced HTTP status), so a script can always undo a fault.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from app.simulators.ewelink.cloud import EwelinkCloudSim

PREFIX = "/_sim/"


def _bad(message: str) -> web.Response:
    return web.json_response({"ok": False, "message": message}, status=400)


class ControlApi:
    def __init__(self, cloud: EwelinkCloudSim) -> None:
        self.cloud = cloud

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(PREFIX + "faults", self.get_faults)
        app.router.add_post(PREFIX + "faults", self.set_faults)
        app.router.add_post(PREFIX + "online", self.set_online)
        app.router.add_post(PREFIX + "drop", self.drop)
        app.router.add_post(PREFIX + "press", self.press)
        app.router.add_post(PREFIX + "unresponsive", self.set_unresponsive)
        app.router.add_post(PREFIX + "expire", self.expire)

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any] | None:
        raw = await request.read()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    async def get_faults(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "faults": self.cloud.faults.as_dict()})

    async def set_faults(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if body is None:
            return _bad("body must be a JSON object of fault fields")
        try:
            self.cloud.faults.update(body)
        except (KeyError, TypeError, ValueError) as exc:
            return _bad(str(exc))
        return web.json_response({"ok": True, "faults": self.cloud.faults.as_dict()})

    def _device_body(self, body: dict[str, Any] | None, flag: str | None) -> str | None:
        if body is None:
            return "body must be a JSON object"
        if body.get("deviceid") not in self.cloud.state.devices:
            return "unknown deviceid"
        if flag is not None and not isinstance(body.get(flag), bool):
            return f"{flag} must be true or false"
        return None

    async def set_online(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        problem = self._device_body(body, "online")
        if problem:
            return _bad(problem)
        await self.cloud.set_online(body["deviceid"], body["online"])
        return web.json_response({"ok": True})

    async def set_unresponsive(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        problem = self._device_body(body, "unresponsive")
        if problem:
            return _bad(problem)
        self.cloud.set_unresponsive(body["deviceid"], body["unresponsive"])
        return web.json_response({"ok": True})

    async def press(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        problem = self._device_body(body, None)
        if problem:
            return _bad(problem)
        if not isinstance(body.get("params"), dict) or not body["params"]:
            return _bad("params must be a non-empty object")
        try:
            await self.cloud.press_button(body["deviceid"], body["params"])
        except ValueError as exc:
            return _bad(str(exc))
        return web.json_response({"ok": True})

    async def drop(self, request: web.Request) -> web.Response:
        dropped = await self.cloud.drop_websockets()
        return web.json_response({"ok": True, "dropped": dropped})

    async def expire(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        which = (body or {}).get("tokens")
        if which == "access":
            self.cloud.expire_access_tokens()
        elif which == "refresh":
            self.cloud.expire_refresh_tokens()
        else:
            return _bad('tokens must be "access" or "refresh"')
        return web.json_response({"ok": True})
