"""The simulated Sonoff's hotspot web server (AP mode: 10.10.7.1 port 80 in real life).

`GET /device` -> `{"deviceid","apikey":<devicekey>,"chipid","accept":"post"}` (guide,
"Pairing devices"; the apikey here is the device's own key, not a user's).
`POST /ap` takes `{"version":4,"ssid","password","serverName","port"}`. The body is JSON
whatever the Content-Type says: the official app sends it as
application/x-www-form-urlencoded. Rules checked here (what real firmware refuses or
chokes on): ssid 1..32 UTF-8 bytes, password empty (open network) or 8..63 characters
(WPA2 passphrase), serverName a non-empty string, port an integer 1..65535 (not "443").
Refusals are HTTP 400 `{"error":400,"reason":"..."}`. A good body answers `{"error":0}`
and the device takes it from there (sonoff.py): the hotspot goes away.

`faults` (the device's `FaultScript`) serves scripted HTTP faults in front of both routes: a
drop before or after acting on `POST /ap`, a cut-off, unreadable or oversized `GET /device`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, MutableSequence

from aiohttp import web

from app.simulators.faults import FaultScript, fault_middleware

log = logging.getLogger(__name__)

SSID_MAX_BYTES = 32
PASSWORD_MIN, PASSWORD_MAX = 8, 63


@dataclass(frozen=True)
class ApDetails:
    """What the app sent in `POST /ap`."""
    ssid: str
    password: str
    server_name: str
    port: int


class ApRequestError(ValueError):
    """A `POST /ap` body the device refuses; the message is the reply's `reason`."""


def parse_ap_body(raw: bytes) -> ApDetails:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApRequestError("body must be JSON") from None
    if not isinstance(body, dict):
        raise ApRequestError("body must be a JSON object")
    ssid = body.get("ssid")
    if not isinstance(ssid, str) or not ssid:
        raise ApRequestError("ssid missing")
    if len(ssid.encode("utf-8")) > SSID_MAX_BYTES:
        raise ApRequestError("ssid too long")
    password = body.get("password", "")
    if not isinstance(password, str):
        raise ApRequestError("password must be a string")
    if password and not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ApRequestError(f"password must be empty or {PASSWORD_MIN}-{PASSWORD_MAX} characters")
    server_name = body.get("serverName")
    if not isinstance(server_name, str) or not server_name.strip():
        raise ApRequestError("serverName missing")
    port = body.get("port")
    if isinstance(port, bool) or not isinstance(port, int):
        raise ApRequestError("port must be an integer")
    if not 1 <= port <= 65535:
        raise ApRequestError("port out of range")
    return ApDetails(ssid=ssid, password=password, server_name=server_name.strip(), port=port)


def error_reply(status: int) -> web.Response:
    """A scripted failure in the shape of the device's own refusals."""
    return web.json_response({"error": status, "reason": "simulated failure"}, status=status)


def recording_middleware(seen: MutableSequence[tuple[str, str]]):
    """Note (method, path) of every request, faulted or not: tests count what reached the
    device (e.g. that a POST /ap was never sent twice)."""

    @web.middleware
    async def record(request: web.Request, handler) -> web.StreamResponse:
        seen.append((request.method, request.path))
        return await handler(request)

    return record


def make_ap_app(identity: dict[str, Any], on_details: Callable[[ApDetails, web.Request], Awaitable[
        web.StreamResponse | None]], faults: FaultScript | None = None,
        seen: MutableSequence[tuple[str, str]] | None = None) -> web.Application:
    """The AP-mode app; `on_details` runs for an accepted `POST /ap` and may answer instead
    (None: answer `{"error":0}`)."""

    async def device(request: web.Request) -> web.Response:
        return web.json_response(identity)

    async def ap(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            details = parse_ap_body(raw)
        except ApRequestError as exc:
            log.info("POST /ap refused: %s", exc)
            return web.json_response({"error": 400, "reason": str(exc)}, status=400)
        answer = await on_details(details, request)
        return answer if answer is not None else web.json_response({"error": 0})

    middlewares = [recording_middleware(seen)] if seen is not None else []
    if faults is not None:
        middlewares.append(fault_middleware(faults, error_reply))
    app = web.Application(middlewares=middlewares)
    app.router.add_get("/device", device)
    app.router.add_post("/ap", ap)
    return app
