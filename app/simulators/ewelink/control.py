"""SIMULATOR-ONLY control endpoints under `/_sim/` (the real cloud has nothing like them).

They let a script drive a running `sitekit sim` the way tests drive the Python API:
- `GET  /_sim/faults`  -> the current fault knobs
- `POST /_sim/faults`  {"delay_seconds": 1.5, ...} -> sets the given knobs, answers all
- `POST /_sim/online`  {"deviceid", "online": bool} -> pushes sysmsg to the owner
- `POST /_sim/drop`    -> cuts every client websocket, answers {"dropped": n}
- `POST /_sim/press`   {"deviceid", "params"} -> a device-originated update push
- `POST /_sim/unresponsive` {"deviceid", "unresponsive": bool}
- `POST /_sim/expire`  {"tokens": "access" | "refresh"}
- `POST /_sim/script`  {"kind", "status", "retry_after", "path", "method", "times", "seconds"}
  adds a scripted HTTP fault (app/simulators/faults.py); {"clear": true} removes them all
- `GET  /_sim/script`  -> the scripted faults still to serve, those served, requests seen
They answer plain JSON (`{"ok": true, ...}` or HTTP 400 `{"ok": false, "message"}`) and
ignore the REST faults (delay, forced HTTP status), so a script can always undo a fault.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

from aiohttp import web

from app.simulators.faults import HttpFault

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
        app.router.add_get(PREFIX + "script", self.get_script)
        app.router.add_post(PREFIX + "script", self.add_script)

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

    def _script_state(self) -> dict[str, Any]:
        script = self.cloud.faults.script
        return {"ok": True, "faults": [asdict(f) for f in script.faults],
                "applied": [list(a) for a in script.applied], "requests": script.requests}

    async def get_script(self, request: web.Request) -> web.Response:
        return web.json_response(self._script_state())

    async def add_script(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if body is None:
            return _bad("body must be a JSON object")
        if body.get("clear") is True:
            self.cloud.faults.script.clear()
            return web.json_response(self._script_state())
        known = {f.name for f in fields(HttpFault)}
        unknown = sorted(set(body) - known)
        if unknown:
            return _bad(f"unknown fields {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        try:
            fault = HttpFault(**body)
        except (TypeError, ValueError) as exc:
            return _bad(str(exc))
        if (not isinstance(fault.times, int) or isinstance(fault.times, bool) or fault.times < 1
                or not isinstance(fault.path, str) or not isinstance(fault.method, str)):
            return _bad("times must be a positive whole number; path and method strings")
        self.cloud.faults.script.add(fault)
        return web.json_response(self._script_state())
