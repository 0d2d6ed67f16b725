"""`EwelinkCloudSim`: the simulated eWeLink (CoolKit v1) cloud, one aiohttp app per region.

Every region (cn, as, eu, us) listens on its own port of the same host and knows its
region, so a login at the wrong one answers 301 like the real servers. The websocket is
served by each region's app at `/api/ws`; dispatch names the port of the region asked.
Everything else (accounts, devices, tokens, open sockets, faults) is shared.

Every reply carries a `Date` header from the simulator clock (real time plus
`faults.clock_offset`), which is also the clock that checks `ts` and ages tokens.
The access log is off: the refresh query string carries the refresh token.

Fault knobs beyond the contract: `faults.http_status` (None, or an HTTP status that every
REST call answers with a plain-text body, for clients' non-2xx / non-JSON handling);
`faults.script`, the shared scripted HTTP faults (app/simulators/faults.py: storms, drops,
truncated/malformed/oversized replies), served on every path but `/_sim/`, with the v1
error shape `{"error": status, "msg": ...}` for status faults; and `faults.ws_update_fault`
for the next `ws_update_fault_times` websocket `update` commands: "drop_before" (the socket
is cut before the device gets the command), "drop_after" (the device acts, the socket is
cut before the reply), "silent" (the device acts and reports, the reply never comes) or
"error" (reply `ws_update_error`, the device untouched). `requests` counts every REST and
websocket request by (method, path) and `updates` every websocket `update` by device.
Simulator-only HTTP control endpoints are described in control.py.

Devices: seeded devices live only in the cloud. A simulated Sonoff (sonoff.py) is a real
peer: the cloud knows it from manufacture(), it registers over the websocket
(device_socket.py), is claimed by `POST /api/user/device/add`, and holds its own state
(the cloud forwards commands to it and mirrors its reports).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
from collections import Counter
from dataclasses import dataclass, field, fields
from email.utils import formatdate
from typing import Any, Mapping

from aiohttp import web

from app.simulators.ewelink import devices as device_rules
from app.simulators.faults import FaultScript, fault_middleware
from app.simulators.ewelink.control import PREFIX as CONTROL_PREFIX
from app.simulators.ewelink.control import ControlApi
from app.simulators.ewelink.device_socket import DeviceLink
from app.simulators.ewelink.rest import RestApi
from app.simulators.ewelink.state import SEED, Account, CloudState, SeedAccount, SimDevice
from app.simulators.ewelink.websocket import Connection, WebsocketApi

log = logging.getLogger(__name__)

REGIONS = ("cn", "as", "eu", "us")
_WILDCARD_HOSTS = ("", "0.0.0.0", "::")


@dataclass
class Faults:
    delay_seconds: float = 0.0  # before every REST reply
    clock_offset: float = 0.0  # simulator clock minus real clock (Date header, ts check, expiry)
    device_reply_delay: float = 0.0  # device ack latency for websocket updates
    device_timeout: float = 5.0  # an unresponsive device answers 504 after this
    http_status: int | None = None  # when set, every REST call answers this status, plain text
    ws_update_fault: str | None = None  # one of WS_UPDATE_FAULTS (module docstring)
    ws_update_fault_times: int = 0  # how many more `update` commands meet it
    ws_update_error: int = 500  # the reply code of the "error" fault
    script: FaultScript = field(default_factory=FaultScript)

    _NOT_KNOBS = ("script",)  # set from Python, not through /_sim/faults
    _INTS = ("ws_update_fault_times", "ws_update_error")

    def update(self, values: Mapping[str, Any]) -> None:
        """Set knobs by name (the /_sim/faults body); unknown names or bad types raise."""
        known = {f.name for f in fields(self)} - set(self._NOT_KNOBS)
        for name, value in values.items():
            if name not in known:
                raise KeyError(f"unknown fault {name!r}; known: {', '.join(sorted(known))}")
            if name == "http_status":
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                          or not 100 <= value <= 599):
                    raise ValueError("http_status must be null or an HTTP status code")
            elif name == "ws_update_fault":
                if value is not None and value not in WS_UPDATE_FAULTS:
                    raise ValueError("ws_update_fault must be null or one of "
                                     + ", ".join(WS_UPDATE_FAULTS))
            elif name in self._INTS:
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"{name} must be a whole number, not negative")
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{name} must be a number")
            elif name != "clock_offset" and value < 0:
                raise ValueError(f"{name} must not be negative")
        for name, value in values.items():
            keep = name in ("http_status", "ws_update_fault") or name in self._INTS
            setattr(self, name, value if keep else float(value))

    def take_ws_update_fault(self) -> str | None:
        """The fault the next websocket `update` meets, counted as used."""
        if self.ws_update_fault is None or self.ws_update_fault_times <= 0:
            return None
        self.ws_update_fault_times -= 1
        return self.ws_update_fault

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in self._NOT_KNOBS}


WS_UPDATE_FAULTS = ("drop_before", "drop_after", "silent", "error")


def v1_error_body(status: int) -> web.Response:
    """A scripted status fault in CoolKit v1's error shape (at that HTTP status)."""
    reason = {429: "request too frequent", 500: "server error", 502: "bad gateway",
              503: "service unavailable", 504: "gateway timeout"}.get(status, "error")
    return web.json_response({"error": status, "msg": reason}, status=status)


class EwelinkCloudSim:
    def __init__(self, appid: str, appsecret: str, hb_interval: float = 145, seed: bool = True,
                 live_drift_seconds: float | None = None, *, handshake_timeout: float = 10.0) -> None:
        self.appid = appid
        self.appsecret = appsecret
        self.hb_interval = hb_interval
        self.handshake_timeout = handshake_timeout
        self.live_drift_seconds = live_drift_seconds
        self.faults = Faults()
        self.state = CloudState(self.now)
        if seed:
            for account in SEED:
                self.state.add_account(account)
        self.handshakes = 0  # successful userOnline handshakes, ever
        self.requests: Counter[tuple[str, str]] = Counter()  # (method, path), all but /_sim/
        self.updates: Counter[str] = Counter()  # websocket `update` commands, by deviceid
        self.connections: set[Connection] = set()  # app sockets
        self.device_links: dict[str, DeviceLink] = {}  # registered devices' sockets, by deviceid
        self._host: str | None = None
        self._ports: dict[str, int] = {}
        self._runners: list[web.AppRunner] = []
        self._tasks: set[asyncio.Task] = set()
        self._d_seq = 0
        self._rng = random.Random(0x5E1C)  # drift is repeatable from run to run

    # ----- lifecycle ----------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on `host`; port 0 = an ephemeral port per region, N = N+i for cn, as, eu, us."""
        if self._runners:
            raise RuntimeError("simulator already started")
        self._host = host
        try:
            for index, region in enumerate(REGIONS):
                runner = web.AppRunner(self._make_app(region), access_log=None, shutdown_timeout=1.0)
                self._runners.append(runner)
                await runner.setup()
                sock = listen_socket(host, port + index if port else 0)
                self._ports[region] = sock.getsockname()[1]
                await web.SockSite(runner, sock).start()
        except BaseException:
            await self.stop()
            raise
        if self.live_drift_seconds:
            self._spawn(self._drift_loop())
        log.info("eWeLink simulator listening: %s", ", ".join(
            f"{r}={u}" for r, u in self.regions.items()))

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.connections:
            await asyncio.gather(*(c.close(1001, "simulator stopping") for c in list(self.connections)),
                                 return_exceptions=True)
        if self.device_links:
            await asyncio.gather(*(link.close(1001, "simulator stopping")
                                   for link in list(self.device_links.values())), return_exceptions=True)
        runners, self._runners = self._runners, []
        for runner in runners:
            await runner.cleanup()
        self._ports.clear()

    async def __aenter__(self) -> EwelinkCloudSim:
        await self.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    def _make_app(self, region: str) -> web.Application:
        app = web.Application(middlewares=[self._scripted_faults, self._rest_faults])
        RestApi(self, region).add_routes(app)
        WebsocketApi(self, region).add_routes(app)
        ControlApi(self).add_routes(app)
        app.on_response_prepare.append(self._date_header)
        return app

    # ----- addresses ----------------------------------------------------------------------

    @property
    def regions(self) -> dict[str, str]:
        """Base URLs by region, e.g. {"eu": "http://127.0.0.1:41234", ...}."""
        return {region: self.base_url(region) for region in self._ports}

    def base_url(self, region: str) -> str:
        if region not in self._ports:
            raise KeyError(f"region {region!r} is not being served (started? one of {REGIONS})")
        return f"http://{self._url_host()}:{self._ports[region]}"

    def ws_port(self, region: str) -> int:
        return self._ports[region]

    def _url_host(self) -> str:
        host = self._host or "127.0.0.1"
        if host in _WILDCARD_HOSTS:
            return "127.0.0.1"
        return f"[{host}]" if ":" in host else host

    def public_host(self, request: web.Request) -> str:
        """The host dispatch names: the bound host, or the one the client used for 0.0.0.0."""
        host = self._host or "127.0.0.1"
        if host in _WILDCARD_HOSTS:
            return request.url.host or "127.0.0.1"
        return host

    # ----- clock and middleware ----------------------------------------------------------

    def now(self) -> float:
        return time.time() + self.faults.clock_offset

    async def _date_header(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Date"] = formatdate(self.now(), usegmt=True)

    @web.middleware
    async def _scripted_faults(self, request: web.Request, handler):
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)  # a script can always undo a fault
        self.requests[(request.method, request.path)] += 1
        # Built per request so a test may swap `faults.script` for a fresh one.
        return await fault_middleware(self.faults.script, v1_error_body)(request, handler)

    @web.middleware
    async def _rest_faults(self, request: web.Request, handler):
        if request.path.startswith(CONTROL_PREFIX) or request.path == "/api/ws":
            return await handler(request)
        if self.faults.delay_seconds > 0:
            await asyncio.sleep(self.faults.delay_seconds)
        if self.faults.http_status is not None:
            return web.Response(status=self.faults.http_status, content_type="text/plain",
                                text="simulated upstream failure\n")
        return await handler(request)

    # ----- control (tests and /_sim) -----------------------------------------------------

    def device(self, deviceid: str) -> SimDevice:
        try:
            return self.state.devices[deviceid]
        except KeyError:
            raise KeyError(f"no simulated device {deviceid!r}") from None

    def add_account(self, account: SeedAccount) -> Account:
        """Add an account (and its devices) beside the seed, e.g. an empty one for a test."""
        return self.state.add_account(account)

    def manufacture(self, *, deviceid: str, devicekey: str, chipid: str, uiid: int) -> SimDevice:
        """Make the cloud know a physical device (a simulated Sonoff) before any account holds it.

        That is what lets the add-device call accept it before or after it registers.
        """
        return self.state.manufacture(deviceid, devicekey, chipid, uiid)

    async def add_to_account(self, account: Account, device: SimDevice, name: str) -> None:
        """Claim a device for an account; if it is already connected the owner hears so."""
        self.state.claim(device, account, name)
        if device.online:
            await self._push(account.id, {"action": "sysmsg", "deviceid": device.deviceid,
                                          "apikey": device.owner_apikey, "params": {"online": True}})

    def set_unresponsive(self, deviceid: str, unresponsive: bool = True) -> None:
        self.device(deviceid).unresponsive = unresponsive

    async def set_online(self, deviceid: str, online: bool) -> None:
        """Change a device's connection; a change is pushed as sysmsg to the owner's sockets."""
        device = self.device(deviceid)
        if device.online == online:
            return
        device.online = online
        await self._push(device.owner_id, {"action": "sysmsg", "deviceid": device.deviceid,
                                           "apikey": device.owner_apikey,
                                           "params": {"online": online}})

    async def press_button(self, deviceid: str, params: dict[str, Any]) -> None:
        """A change made at the device (button, sensor): state merged, update pushed."""
        device = self.device(deviceid)
        if not device.online:
            raise ValueError(f"device {deviceid} is offline: it cannot report")
        if not isinstance(params, dict) or not params:
            raise ValueError("params must be a non-empty dict")
        device_rules.apply(device.uiid, device.params, params)
        await self.push_update(device, params)

    async def drop_websockets(self) -> int:
        """Cut every client socket without a close frame; returns how many were cut."""
        dropped = list(self.connections)
        for conn in dropped:
            conn.abort()
        # let the handlers notice, so callers see a consistent `connections` afterwards
        for _ in range(100):
            if not any(c in self.connections for c in dropped):
                break
            await asyncio.sleep(0.01)
        return len(dropped)

    async def push_raw(self, text: str) -> int:
        """Send `text` as one frame to every handshaken app socket (junk, huge frames)."""
        targets = [c for c in self.connections if c.ready]
        await asyncio.gather(*(c.send_text(text) for c in targets), return_exceptions=True)
        return len(targets)

    def expire_access_tokens(self) -> None:
        self.state.tokens.expire("at")

    def expire_refresh_tokens(self) -> None:
        self.state.tokens.expire("rt")

    @property
    def open_sockets(self) -> int:
        """Sockets that completed the handshake and are still open."""
        return sum(1 for c in self.connections if c.ready)

    # ----- pushes -------------------------------------------------------------------------

    def close_superseded_sockets(self, account_id: str, keep_at: str) -> None:
        """A new login: sockets opened with an older `at` of the account are closed."""
        for conn in list(self.connections):
            if conn.account is not None and conn.account.id == account_id and conn.at != keep_at:
                self._spawn(conn.close(1000, "logged in elsewhere"))

    async def push_update(self, device: SimDevice, params: dict[str, Any]) -> None:
        self._d_seq += 1
        await self._push(device.owner_id, {
            "action": "update", "deviceid": device.deviceid, "apikey": device.owner_apikey,
            "userAgent": "device", "params": device_rules.copy_params(params), "d_seq": self._d_seq})

    async def _push(self, account_id: str, payload: dict[str, Any]) -> None:
        targets = [c for c in self.connections if c.ready and c.account.id == account_id]
        if targets:
            await asyncio.gather(*(c.send_json(payload) for c in targets), return_exceptions=True)

    async def _drift_loop(self) -> None:
        """Demo realism: sensors and plugs report new readings every live_drift_seconds."""
        while True:
            await asyncio.sleep(self.live_drift_seconds)
            for device in list(self.state.devices.values()):
                if not device.online or device.unresponsive:
                    continue
                changes = device_rules.drift(device.uiid, device.params, self._rng)
                if changes:
                    device_rules.apply(device.uiid, device.params, changes)
                    await self.push_update(device, changes)

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def listen_socket(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        if os.name == "posix":  # on Windows SO_REUSEADDR would let two sims share a port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
