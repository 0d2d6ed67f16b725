"""The simulated Sonoff's LAN control server (port 8081 in real life).

`POST /zeroconf/<command>` with `{"sequence","deviceid","selfApikey","encrypt":true,"iv",
"data"}` where data is the AES-128-CBC ciphertext (key MD5(devicekey)) of the params JSON.
Commands: `info` (params `{}`; the reply's `iv`/`data` carry every param, encrypted), and
any param this device can set, the command naming the param (`switch`, `switches`,
`startup`, `pulse`, `sledOnline`, ...): the params must contain that key and pass the
same rules as a cloud command.

Replies are HTTP 200 `{"seq":n,"sequence","error":code}`, as the DIY API does: 400 body
not JSON, 401 a plain (unencrypted) request or one that does not decrypt with the key,
404 another deviceid, 422 params that do not fit the command or the device. `seq` is
the device's change counter (1 after boot, +1 per change), the same as the mDNS TXT `seq`.

The real web server handles one request at a time: so does this one (a lock).
The device's `faults.script` (a `FaultScript`) serves scripted HTTP faults in front of it:
5xx, a drop before or after the switch is applied, cut-off, unreadable or oversized replies.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from app.simulators.ewelink import devices as device_rules
from app.simulators.ewelink.ap_server import recording_middleware
from app.simulators.ewelink.lan_cipher import CipherError, decrypt, encrypt
from app.simulators.faults import fault_middleware

if TYPE_CHECKING:
    from app.simulators.ewelink.sonoff import SimulatedSonoff

log = logging.getLogger(__name__)


class LanRefusal(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def make_lan_app(device: SimulatedSonoff) -> web.Application:
    lock = asyncio.Lock()

    async def command(request: web.Request) -> web.Response:
        async with lock:
            raw = await request.read()
            name = request.match_info["command"]
            try:
                body = _json_object(raw)
            except LanRefusal as refusal:
                return _reply(device, None, refusal.code, refusal.reason)
            sequence = body.get("sequence")
            try:
                params = _open(device, body)
                extra = await _run(device, name, params)
            except LanRefusal as refusal:
                log.info("LAN %s refused: %s %s", name, refusal.code, refusal.reason)
                return _reply(device, sequence, refusal.code, refusal.reason)
            return _reply(device, sequence, 0, None, extra)

    def error_reply(status: int) -> web.Response:
        body = {"seq": device.seq, "sequence": None, "error": status,
                "reason": "simulated failure"}
        return web.json_response(body, status=status, headers={"Connection": "close"})

    app = web.Application(middlewares=[recording_middleware(device.faults.seen),
                                       fault_middleware(device.faults.script, error_reply)])
    app.router.add_post("/zeroconf/{command}", command)
    return app


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise LanRefusal(400, "body is not JSON") from None
    if not isinstance(body, dict):
        raise LanRefusal(400, "body is not a JSON object")
    return body


def _open(device: SimulatedSonoff, body: dict[str, Any]) -> dict[str, Any]:
    """The decrypted params of a request, after the deviceid and encryption checks."""
    if body.get("deviceid") != device.deviceid:
        raise LanRefusal(404, "wrong deviceid")
    if body.get("encrypt") is not True or not isinstance(body.get("iv"), str) \
            or not isinstance(body.get("data"), str):
        raise LanRefusal(401, "this device expects encrypted requests")
    try:
        plaintext = decrypt(device.devicekey, body["iv"], body["data"])
        text = plaintext.decode("utf-8")
    except (CipherError, UnicodeDecodeError):
        raise LanRefusal(401, "data does not decrypt with this device's key") from None
    try:
        params = json.loads(text)
    except ValueError:
        raise LanRefusal(400, "decrypted data is not JSON") from None
    if not isinstance(params, dict):
        raise LanRefusal(422, "params must be a JSON object")
    return params


async def _run(device: SimulatedSonoff, name: str, params: dict[str, Any]) -> dict[str, Any]:
    if name == "info":
        iv, data = encrypt(device.devicekey, _dumps(device.params))
        return {"encrypt": True, "iv": iv, "data": data}
    if name not in params:
        raise LanRefusal(422, f"params must contain {name!r} for /zeroconf/{name}")
    try:
        clean = device_rules.validate(device.uiid, params)
    except device_rules.InvalidParams as exc:
        raise LanRefusal(422, str(exc)) from None
    await device.apply_change(clean, source="lan")
    return {}


def _reply(device: SimulatedSonoff, sequence: Any, code: int, reason: str | None,
           extra: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"seq": device.seq, "sequence": sequence, "error": code}
    if reason:
        body["reason"] = reason
    body.update(extra or {})
    return web.json_response(body, headers={"Connection": "close"})


def _dumps(params: dict[str, Any]) -> str:
    return json.dumps(params, separators=(",", ":"))
