"""Pairing as the GUI and the CLI use it: plan, run with progress, remember the Wi-Fi.

    service = PairingService(workspace)
    plan = service.plan(None, "SiteWifi", "password", "Hall light")   # None: find the device
    result = await service.run(progress_cb)                           # PairingResult

The flow itself lives in app/vendors/ewelink/pairing.py. This service supplies what it
needs from the workspace: the account (signed in; the demo site signs in by itself), the
dispatch server the device must register with, a LAN locator, and storage in the secret
store for the site's Wi-Fi details ("ewelink/site-wifi/<profile key>", offered for the
next device) and for an unfinished pairing (the memo that lets the next run finish it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from app.core.errors import ConfigError
from app.core.events import Event
from app.core.http import make_session
from app.vendors.ewelink.lan import LanDiscovery
from app.vendors.ewelink.models import Device
from app.vendors.ewelink.ap_device import WifiCheck, check_wifi
from app.vendors.ewelink.pairing import (EwelinkPairing, LanLocator, PairingMemo, PairingPlan,
                                         PairingResult, PairingTimeouts)
from app.vendors.ewelink.pairing_steps import Progress, ProgressCallback

if TYPE_CHECKING:
    from app.services.workspace import Workspace

log = logging.getLogger(__name__)

DEFAULT_DISPATCH_PORT = 443


STEP_WORDS = {"done": "done", "skipped": "skipped", "warning": "warning", "failed": "failed",
              "cancelled": "cancelled"}


class _StepsToFeed:
    """Each pairing step that ends, and the outcome, as an event in the feed: pairing is
    one of SiteKit's own actions and belongs in the one stream with everything else. Only
    finished steps (not every countdown message), never the Wi-Fi password."""

    def __init__(self, workspace: Workspace, pairing: EwelinkPairing) -> None:
        self._feed = workspace.feed
        self._pairing = pairing
        self._said: dict[str, str] = {}

    def _deviceid(self) -> str:
        pairing = self._pairing
        if pairing.device is not None:
            return pairing.device.deviceid
        return str(pairing.identity.get("deviceid") or "")

    def _publish(self, step: str, status: str, text: str, deviceid: str) -> None:
        password = self._pairing.plan.password
        if password:
            text = text.replace(password, "••••")
        self._feed.publish(Event("ewelink", deviceid, "pairing",
                                 {"step": step, "status": status, "text": text}))

    def __call__(self, snapshot: Progress) -> None:
        name = self._pairing.plan.name
        for state in snapshot.steps:
            if state.status in STEP_WORDS and self._said.get(state.name) != state.status:
                self._said[state.name] = state.status
                text = f"Pairing {name}: {state.title} — {STEP_WORDS[state.status]}"
                if state.message:
                    text += f": {state.message}"
                self._publish(state.name, state.status, text, self._deviceid())

    def paired(self, result: PairingResult) -> None:
        where = "online" if result.online else "added, not online yet"
        self._publish("result", "done", f"Pairing {result.name}: paired ({where})",
                      result.deviceid)


def wifi_key(profile_key: str) -> str:
    return f"ewelink/site-wifi/{profile_key}"


def memo_key(profile_key: str) -> str:
    return f"ewelink/pairing-memo/{profile_key}"


class _AccountCloud:
    """The flow's view of the account: sign in when needed (the demo site does it itself)."""

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace

    async def devices(self) -> list[Device]:
        await self._ws.ewelink.ensure_signed_in()
        return await self._ws.ewelink.client.devices()

    async def add_device(self, deviceid: str, devicekey: str, name: str,
                         chipid: str | None = None) -> Device:
        await self._ws.ewelink.ensure_signed_in()
        return await self._ws.ewelink.client.add_device(deviceid, devicekey, name, chipid)


async def _mdns_locator(deviceid: str, timeout: float):
    """Browse mDNS just for this wait. Started only now, after the laptop is back on the site
    network: zeroconf joins the multicast group on the addresses it finds at start, so a
    browser started while on the device's hotspot would listen on the wrong network."""
    async with LanDiscovery() as discovery:
        return await discovery.wait_for(deviceid, timeout)


class PairingService:
    def __init__(self, workspace: Workspace, *, timeouts: PairingTimeouts | None = None,
                 lan_locator: LanLocator | None = None, lan_discovery: bool = True,
                 network_snapshot=None) -> None:
        """`lan_locator`: how `wait_lan` finds a device (default: mDNS, or the demo site's
        directory when its devices do not advertise). `lan_discovery=False` skips it."""
        self.workspace = workspace
        self.timeouts = timeouts or PairingTimeouts()
        self._lan_locator = lan_locator
        self._lan_discovery_enabled = lan_discovery
        self._network_snapshot = network_snapshot
        self._plan: PairingPlan | None = None
        self._writes: list[asyncio.Future] = []
        self.current: EwelinkPairing | None = None  # the run in progress (or the last one)

    # -- planning -----------------------------------------------------------------------

    def plan(self, device_url: str | None, ssid: str, password: str, name: str) -> PairingPlan:
        """Set what the next run does; the Wi-Fi check is `check_wifi(ssid, password)`."""
        server_name, port = self.dispatch_target()
        self._plan = PairingPlan(device_url=(device_url or "").strip() or None, ssid=ssid,
                                 password=password, name=name.strip() or "Sonoff",
                                 server_name=server_name, server_port=port)
        return self._plan

    def waiting_demo_devices(self) -> list[tuple[str, str]]:
        """(deviceid, URL) of the in-process demo site's devices now in pairing mode."""
        site = self.workspace.demo_site
        return [(d.deviceid, d.ap_url) for d in getattr(site, "ap_devices", []) if d.ap_url]

    @staticmethod
    def check_wifi(ssid: str, password: str) -> WifiCheck:
        return check_wifi(ssid, password)

    def dispatch_target(self) -> tuple[str, int]:
        """Where a paired device registers: the simulated cloud, or `{region}-disp.coolkit.cc`."""
        ws = self.workspace
        region = ws.ewelink.region
        endpoints = ws.profile.ewelink
        configured = endpoints.dispatch
        if configured.get("serverName"):
            return str(configured["serverName"]), int(configured.get("port") or DEFAULT_DISPATCH_PORT)
        base = endpoints.regions.get(region)
        if base and base.startswith("http://"):
            # A simulated cloud (site file): it serves device dispatch on the region's port.
            parts = urlsplit(base)
            if parts.hostname and parts.port:
                return parts.hostname, parts.port
        settings = ws.settings.ewelink
        return settings.dispatch_server.format(region=region), int(settings.dispatch_port)

    async def remembered_wifi(self) -> tuple[str, str] | None:
        """The Wi-Fi details used last on this site (to prefill the form)."""
        raw = await asyncio.to_thread(self.workspace.secrets.get,
                                      wifi_key(self.workspace.profile.key))
        try:
            data = json.loads(raw) if raw else None
            return (str(data["ssid"]), str(data["password"])) if data else None
        except (ValueError, KeyError, TypeError):
            return None

    async def pending(self) -> PairingMemo | None:
        """An unfinished pairing the next run will continue, if any."""
        raw = await asyncio.to_thread(self.workspace.secrets.get,
                                      memo_key(self.workspace.profile.key))
        return PairingMemo.from_json(raw)

    # -- running ------------------------------------------------------------------------

    async def run(self, progress_cb: ProgressCallback | None = None) -> PairingResult:
        """Run the planned pairing. Raises PairingFailed (with the step, cause and fix),
        ConfigError when nothing is planned or nobody is signed in; cancellable."""
        plan = self._plan
        if plan is None:
            raise ConfigError("Nothing to pair yet.", hint="Enter the Wi-Fi details first.")
        ws = self.workspace
        if not ws.ewelink.signed_in and ws.profile.demo_credentials is None:
            raise ConfigError("Sign in to eWeLink before pairing.",
                              hint="The device is added to the account you are signed in with; "
                                   "sign in while the laptop still has internet.")
        if check_wifi(plan.ssid, plan.password).ok:
            self._write(wifi_key(ws.profile.key),
                        json.dumps({"ssid": plan.ssid, "password": plan.password}))
        memo = await self.pending()
        # Device traffic gets its own session: the workspace session feeds the cloud clock
        # from Date headers, and a device's clock (no RTC) must not move it.
        session = make_session(ws.settings.http)
        pairing = EwelinkPairing(
            plan, session=session, cloud=_AccountCloud(ws), timeouts=self.timeouts, memo=memo,
            on_memo=self._store_memo, lan_locator=self._locator(),
            online_events=self._online_events, network_snapshot=self._network_snapshot)
        self.current = pairing
        steps_to_feed = _StepsToFeed(ws, pairing)

        def progress(snapshot: Progress) -> None:
            steps_to_feed(snapshot)
            if progress_cb is not None:
                progress_cb(snapshot)

        try:
            result = await pairing.run(progress)
        finally:
            await session.close()
            await self._flush()
        steps_to_feed.paired(result)
        try:
            await ws.inventory.refresh()
        except Exception as exc:  # the pairing worked; a stale list is a small matter
            log.info("device list refresh after pairing failed: %s", exc)
        return result

    async def close(self) -> None:
        await self._flush()

    # -- plumbing -----------------------------------------------------------------------

    def _online_events(self, callback) -> Any:
        def on_event(event: Event) -> None:
            if event.vendor == "ewelink" and event.kind == "online":
                callback(event.device)

        return self.workspace.feed.subscribe(on_event)

    def _locator(self) -> LanLocator | None:
        if self._lan_locator is not None:
            return self._lan_locator
        if not self._lan_discovery_enabled:
            return None
        site = self.workspace.demo_site
        if site is not None and not getattr(site, "device_mdns", True) \
                and hasattr(site, "lan_directory"):
            # The in-process demo site's devices do not advertise (no multicast on
            # loopback): ask the site where their LAN servers are instead.
            return self._demo_directory_locator(site)
        return _mdns_locator

    def _demo_directory_locator(self, site) -> LanLocator:
        async def locate(deviceid: str, timeout: float) -> str | None:
            deadline = time.monotonic() + timeout
            while True:
                url = site.lan_directory().get(deviceid)
                if url or time.monotonic() >= deadline:
                    return url
                await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

        return locate

    def _store_memo(self, memo: PairingMemo | None) -> None:
        key = memo_key(self.workspace.profile.key)
        self._write(key, memo.to_json() if memo is not None else None)

    def _write(self, key: str, value: str | None) -> None:
        """Write behind, in order, off the loop (the keyring may be a D-Bus round trip)."""
        secrets = self.workspace.secrets
        previous = self._writes[-1] if self._writes else None

        async def write() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            if value is None:
                await asyncio.to_thread(secrets.delete, key)
            else:
                await asyncio.to_thread(secrets.set, key, value)

        self._writes.append(asyncio.ensure_future(write()))

    async def _flush(self) -> None:
        writes, self._writes = self._writes, []
        for result in await asyncio.gather(*writes, return_exceptions=True):
            if isinstance(result, BaseException):
                log.warning("storing pairing details failed: %s", type(result).__name__)
