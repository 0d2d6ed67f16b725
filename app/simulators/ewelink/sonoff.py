"""A simulated Sonoff you pair exactly like a real one.

Life of the device (modes):
- "ap": pairing mode, hotspot up: the AP web server (ap_server.py) answers at `ap_url`.
- "joining": it accepted `POST /ap`; the hotspot is gone; after `delays.join + delays.reboot`
  it is on Wi-Fi if the details match the site network, then (after `delays.register`) it
  asks `POST http://{serverName}:{port}/dispatch/device` for its websocket and sends
  `register` there (device_socket.py is the cloud's end). A cloud that cannot be reached
  is retried every `RETRY_SECONDS`, as devices do; `faults.never_registers` keeps it here.
- "online": registered; the cloud shows it online to its owner once it is on an account;
  the LAN control server (lan_server.py) answers at `lan_url` and, unless `mdns=False`,
  it is advertised over mDNS (advertiser.py). It stays "online" (on the site Wi-Fi, LAN
  control working) if the cloud socket drops; `cloud_connected` says whether it is up,
  and it reconnects by itself.
- "failed_join": the Wi-Fi details were wrong: never online; after `delays.ap_return` the
  hotspot comes back at the same address (mode "ap") for another try, as real devices do.

The device holds its own state (`params`, `seq`): LAN commands, cloud commands (forwarded
to it over its socket) and `press()` change it; every change bumps `seq`, re-announces the
mDNS record and is reported to the cloud, which pushes it to the owner.

Beyond the contract: `lan_host` (the LAN server may listen on another address than the
hotspot, e.g. the site LAN in a network-namespace test), `press(params)` (a button), and
`cloud_connected`, `ap_details` (what `POST /ap` sent, for tests), `wifi_ok`, and on
`faults`: `script` (the shared scripted HTTP faults, app/simulators/faults.py, served by both
the hotspot and the LAN server) and `seen` (every request either server received, faulted
or not, so a test can tell that a command reached the device once).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

import aiohttp
from aiohttp import web

from app.simulators.ewelink import devices as device_rules
from app.simulators.ewelink.frames import parse_frame
from app.simulators.ewelink.advertiser import Advertiser, build_txt
from app.simulators.ewelink.ap_server import ApDetails, make_ap_app
from app.simulators.ewelink.cloud import listen_socket
from app.simulators.ewelink.lan_server import make_lan_app
from app.simulators.faults import FaultScript

if TYPE_CHECKING:
    from app.simulators.ewelink.cloud import EwelinkCloudSim

log = logging.getLogger(__name__)

MODES = ("ap", "joining", "online", "failed_join")
RETRY_SECONDS = 1.0  # between attempts to reach the cloud (instance: retry_seconds)
CLOUD_TIMEOUT = 5.0  # per dispatch / websocket step
ROM_VERSION = "3.6.0"
AP_CLOSE_DELAY = 0.0  # closing the hotspot lets the in-flight POST /ap reply finish first


@dataclass(frozen=True)
class SiteWifi:
    """The site's Wi-Fi network, as the simulated devices can join it."""
    ssid: str
    password: str


@dataclass
class DeviceDelays:
    """Seconds; zero in unit tests, small but nonzero on the demo site for realism."""
    reboot: float = 0.0  # after POST /ap, before trying Wi-Fi
    join: float = 0.0  # to associate with the access point
    register: float = 0.0  # on Wi-Fi, before reaching the cloud
    ap_return: float = 30.0  # after failing to join, back to pairing mode
    # after accepting POST /ap, the hotspot stays up this long (firmware that is slow to
    # leave pairing mode; 0: closed as soon as the reply is out)
    ap_close: float = 0.0


@dataclass
class DeviceFaults:
    drop_ap_reply: bool = False  # accept POST /ap and apply it, but cut the connection unanswered
    never_registers: bool = False  # joins Wi-Fi but never reaches the cloud
    # Scripted HTTP faults on both of its web servers (hotspot and LAN); it outlives the
    # hotspot closing and reopening, so a script set in pairing mode still applies after.
    script: FaultScript = field(default_factory=FaultScript)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (method, path), both servers


class SimulatedSonoff:
    def __init__(self, cloud: EwelinkCloudSim, *, deviceid: str, devicekey: str, chipid: str,
                 uiid: int = 1, site_wifi: SiteWifi, delays: DeviceDelays | None = None,
                 host: str = "127.0.0.1", lan_port: int = 0, mdns: bool = True,
                 mdns_interfaces: Sequence[str] | None = None, lan_host: str | None = None) -> None:
        self.cloud = cloud
        self.deviceid = deviceid
        self.devicekey = devicekey
        self.chipid = chipid
        self.uiid = uiid
        self.site_wifi = site_wifi
        self.delays = delays or DeviceDelays()
        self.host = host
        self.lan_host = lan_host or host
        self.lan_port = lan_port
        self.mdns = mdns
        self.mdns_interfaces = list(mdns_interfaces) if mdns_interfaces else None
        self.faults = DeviceFaults()
        self.params: dict[str, Any] = device_rules.default_params(deviceid, uiid)
        self.seq = 0  # 1 after the LAN side boots, +1 per change
        self.ap_details: ApDetails | None = None
        self.cloud_connected = False
        self.retry_seconds = RETRY_SECONDS
        # The cloud knows the device from the factory: adding it before it registers works.
        cloud.manufacture(deviceid=deviceid, devicekey=devicekey, chipid=chipid, uiid=uiid)
        self._mode = "ap"
        self._mode_changed = asyncio.Event()
        self._ap_runner: web.AppRunner | None = None
        self._ap_port: int | None = None
        self._ap_url: str | None = None
        self._lan_runner: web.AppRunner | None = None
        self._lan_url: str | None = None
        self._advertiser: Advertiser | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ws_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self._lifecycle: asyncio.Task | None = None
        self._sequence = 0

    def __repr__(self) -> str:  # no devicekey
        return f"SimulatedSonoff({self.deviceid!r}, uiid={self.uiid}, mode={self._mode!r})"

    # ----- public state ------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def ap_url(self) -> str | None:
        return self._ap_url

    @property
    def lan_url(self) -> str | None:
        return self._lan_url

    @property
    def wifi_ok(self) -> bool:
        details = self.ap_details
        return details is not None and (details.ssid, details.password) == (
            self.site_wifi.ssid, self.site_wifi.password)

    async def wait_mode(self, mode: str, timeout: float) -> None:
        """Until the device is in `mode`; asyncio.TimeoutError after `timeout` s."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")

        async def reached() -> None:
            while self._mode != mode:
                self._mode_changed.clear()
                await self._mode_changed.wait()

        await asyncio.wait_for(reached(), timeout)

    def _set_mode(self, mode: str) -> None:
        if mode != self._mode:
            log.info("device %s: %s -> %s", self.deviceid, self._mode, mode)
        self._mode = mode
        self._mode_changed.set()

    # ----- lifecycle ---------------------------------------------------------------------

    async def start(self, ap_port: int = 0) -> None:
        """Power on in pairing mode: the hotspot's web server at host:ap_port (0: ephemeral)."""
        if self._session is not None:
            raise RuntimeError("device already started")
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=CLOUD_TIMEOUT))
        try:
            await self._open_ap(ap_port)
        except BaseException:
            await self._session.close()
            self._session = None
            raise

    async def stop(self) -> None:
        """Power off: every server, the cloud socket and the mDNS record go away."""
        tasks = [t for t in (self._lifecycle, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._lifecycle = None
        if self._ws is not None:
            await self._ws.close()
            self._ws = None
        self.cloud_connected = False
        await self._close_ap()
        await self._close_lan()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> SimulatedSonoff:
        await self.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    # ----- AP mode -----------------------------------------------------------------------

    async def _open_ap(self, port: int) -> None:
        identity = {"deviceid": self.deviceid, "apikey": self.devicekey, "chipid": self.chipid,
                    "accept": "post"}
        runner = web.AppRunner(make_ap_app(identity, self._on_ap_details, self.faults.script,
                                           self.faults.seen), access_log=None,
                               shutdown_timeout=0.5)
        await runner.setup()
        try:
            sock = listen_socket(self.host, port)
        except BaseException:
            await runner.cleanup()
            raise
        self._ap_port = sock.getsockname()[1]
        await web.SockSite(runner, sock).start()
        self._ap_runner = runner
        self._ap_url = f"http://{_url_host(self.host)}:{self._ap_port}"
        self._set_mode("ap")

    async def _close_ap(self) -> None:
        runner, self._ap_runner = self._ap_runner, None
        self._ap_url = None
        if runner is not None:
            await runner.cleanup()

    async def _on_ap_details(self, details: ApDetails, request: web.Request) -> web.StreamResponse | None:
        if self._mode != "ap":
            return None  # a second POST while the hotspot closes: the first one is being applied
        self.ap_details = details
        self._set_mode("joining")
        self._lifecycle = asyncio.get_running_loop().create_task(self._join())
        if self.faults.drop_ap_reply:
            # applied, but the app never hears so: the connection breaks before the reply
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=204)  # never reaches the client
        return None

    # ----- joining and the cloud --------------------------------------------------------

    async def _join(self) -> None:
        try:
            # Yield so the POST /ap handler returns; closing the hotspot's server waits for
            # that in-flight reply to go out, so no fixed delay is needed.
            await asyncio.sleep(max(AP_CLOSE_DELAY, self.delays.ap_close))
            await self._close_ap()
            await asyncio.sleep(self.delays.join + self.delays.reboot)
            if not self.wifi_ok:
                log.info("device %s: cannot join the network (wrong Wi-Fi details)", self.deviceid)
                self._set_mode("failed_join")
                await asyncio.sleep(self.delays.ap_return)
                self.ap_details = None
                await self._reopen_ap()
                return
            await asyncio.sleep(self.delays.register)
            if self.faults.never_registers:
                return  # on Wi-Fi, but the cloud is never reached: stays "joining"
            await self._cloud_loop()
        except asyncio.CancelledError:
            raise
        except Exception:  # a simulator bug must show, not vanish in a task nobody awaits
            log.exception("device %s: lifecycle failed", self.deviceid)
            raise

    async def _reopen_ap(self) -> None:
        """Back to pairing mode at the same address; the port may be briefly taken."""
        for attempt in range(20):
            try:
                await self._open_ap(self._ap_port or 0)
                return
            except OSError:
                if attempt == 19:
                    raise
                await asyncio.sleep(0.25)

    async def _cloud_loop(self) -> None:
        while True:
            try:
                await self._connect_cloud()
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ValueError, KeyError,
                    TypeError) as exc:
                log.info("device %s: cloud not reachable (%s); retrying", self.deviceid,
                         type(exc).__name__)
            await asyncio.sleep(self.retry_seconds)

    async def _connect_cloud(self) -> None:
        details = self.ap_details
        assert details is not None and self._session is not None
        base = f"http://{_url_host(details.server_name)}:{details.port}"
        async with self._session.post(base + "/dispatch/device", json={
                "accept": "ws", "version": 2, "ts": int(time.time()), "deviceid": self.deviceid,
                "apikey": self.devicekey, "model": device_rules.catalogue(self.uiid).model,
                "romVersion": ROM_VERSION}) as resp:
            dispatch = await resp.json(content_type=None)
        if not isinstance(dispatch, dict) or dispatch.get("error") != 0:
            raise ValueError(f"dispatch refused: {dispatch!r}")
        ws_url = f"ws://{_url_host(str(dispatch['domain']))}:{int(dispatch['port'])}/api/ws"
        async with self._session.ws_connect(ws_url, autoping=True, heartbeat=None) as ws:
            await ws.send_str(json.dumps({
                "action": "register", "deviceid": self.deviceid, "apikey": self.devicekey,
                "userAgent": "device", "romVersion": ROM_VERSION,
                "model": device_rules.catalogue(self.uiid).model, "ts": int(time.time()),
                "sequence": self._next_sequence()}))
            msg = await ws.receive(timeout=CLOUD_TIMEOUT)
            reply = parse_frame(msg.data) if msg.type == aiohttp.WSMsgType.TEXT else None
            if not reply or reply.get("error") != 0:
                raise ValueError(f"register refused: {reply!r}")
            hb_interval = float((reply.get("config") or {}).get("hbInterval") or 145)
            self._ws = ws
            self.cloud_connected = True
            try:
                # the full state first, as devices report after registering
                await self._send({"action": "update", "deviceid": self.deviceid,
                                  "apikey": self.devicekey, "userAgent": "device",
                                  "sequence": self._next_sequence(), "params": self.params})
                if self._mode != "online":
                    await self._go_online()
                await self._serve_cloud(ws, hb_interval)
            finally:
                self._ws = None
                self.cloud_connected = False

    async def _serve_cloud(self, ws: aiohttp.ClientWebSocketResponse, hb_interval: float) -> None:
        pinger = asyncio.get_running_loop().create_task(self._ping(ws, hb_interval))
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT or msg.data == "pong":
                    continue
                frame = parse_frame(msg.data)
                if frame and frame.get("action") == "update":
                    await self._on_cloud_command(frame)
        finally:
            pinger.cancel()
            await asyncio.gather(pinger, return_exceptions=True)

    async def _ping(self, ws: aiohttp.ClientWebSocketResponse, hb_interval: float) -> None:
        while not ws.closed:
            await asyncio.sleep(hb_interval / 3)
            async with self._ws_lock:
                if not ws.closed:
                    await ws.send_str("ping")

    async def _on_cloud_command(self, frame: dict[str, Any]) -> None:
        reply = {"deviceid": self.deviceid, "apikey": frame.get("apikey"), "userAgent": "device",
                 "sequence": frame.get("sequence")}
        try:
            params = device_rules.validate(self.uiid, frame.get("params"))
        except device_rules.InvalidParams as exc:
            await self._send({"error": 400, **reply, "reason": str(exc)})
            return
        # the cloud pushes the change to the owner itself once acknowledged: no report here
        await self.apply_change(params, source="cloud")
        await self._send({"error": 0, **reply})

    async def _send(self, payload: dict[str, Any]) -> None:
        ws = self._ws
        if ws is None or ws.closed:
            return
        async with self._ws_lock:
            try:
                await ws.send_str(json.dumps(payload, separators=(",", ":")))
            except (ConnectionError, RuntimeError):
                pass

    def _next_sequence(self) -> str:
        self._sequence += 1
        return f"{int(time.time() * 1000)}{self._sequence:03d}"

    # ----- LAN mode ----------------------------------------------------------------------

    async def _go_online(self) -> None:
        self.seq = 1
        runner = web.AppRunner(make_lan_app(self), access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        try:
            sock = listen_socket(self.lan_host, self.lan_port)
        except BaseException:
            await runner.cleanup()
            raise
        port = sock.getsockname()[1]
        await web.SockSite(runner, sock).start()
        self._lan_runner = runner
        self._lan_url = f"http://{_url_host(self.lan_host)}:{port}"
        if self.mdns:
            self._advertiser = Advertiser(deviceid=self.deviceid, host=self.lan_host, port=port,
                                          interfaces=self.mdns_interfaces)
            self._advertiser.start(self._txt())
        self._set_mode("online")

    async def _close_lan(self) -> None:
        advertiser, self._advertiser = self._advertiser, None
        if advertiser is not None:
            await advertiser.close()
        runner, self._lan_runner = self._lan_runner, None
        self._lan_url = None
        if runner is not None:
            await runner.cleanup()

    def _txt(self) -> dict[str, str]:
        return build_txt(deviceid=self.deviceid, uiid=self.uiid, devicekey=self.devicekey,
                         seq=self.seq, params=self.params)

    @property
    def advertiser(self) -> Advertiser | None:
        return self._advertiser

    async def apply_change(self, params: dict[str, Any], *, source: str) -> None:
        """Merge a change into the state: seq+1, mDNS re-announced, reported unless the cloud
        sent it (source "cloud" | "lan" | "button")."""
        device_rules.apply(self.uiid, self.params, params)
        self.seq += 1
        if self._advertiser is not None:
            await self._advertiser.update(self._txt())
        if source != "cloud":
            await self._send({"action": "update", "deviceid": self.deviceid, "apikey": self.devicekey,
                              "userAgent": "device", "sequence": self._next_sequence(),
                              "params": device_rules.copy_params(params)})

    async def press(self, params: dict[str, Any]) -> None:
        """A button on the device (e.g. {"switch": "on"}): applied and reported like a LAN change."""
        await self.apply_change(device_rules.validate(self.uiid, params), source="button")



def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
