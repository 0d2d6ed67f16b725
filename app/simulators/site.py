"""A whole demo site on loopback: every simulated vendor cloud, started together.

`DemoSite` is a thin composer: it starts each simulator and describes where they listen
and with which (demo-only) credentials: the eWeLink cloud and the Nuheat cloud (identity
server + OpenAPI), NEXhome's access-control cloud (a demo building) and NXCloud's
messaging API.

    async with DemoSite() as site:
        site.describe()["ewelink"]["api"]      # the eu base URL

The site also has a Wi-Fi network (`site_wifi`) and, on loopback, a few simulated Sonoffs
in pairing (AP) mode waiting to be paired onto it: `describe()` names their hotspot web
servers (`ewelink_ap_devices`) and the network (`site_wifi`). mDNS is off for them by
default (multicast does not flow on plain loopback); in-process tests find the LAN
servers of paired devices through `lan_directory()`.

`run_sim` is what `sitekit sim` runs: it prints the description as one JSON line (so a
script can read it) and serves until cancelled or sent SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import signal
import sys
import uuid
from typing import Any, TextIO

from app.simulators.ewelink import SEED, EwelinkCloudSim
from app.simulators.ewelink.sonoff import DeviceDelays, SimulatedSonoff, SiteWifi
from app.simulators.nexhome import NexhomeSim
from app.simulators.nuheat import NuheatSim
from app.simulators.nxcloud import NxcloudSim
from app.vendors.ewelink.signing import NONCE_ALPHABET

log = logging.getLogger(__name__)

DEMO_REGION = "eu"
DEMO_WIFI = SiteWifi("SiteKit-Demo", "sitekit-demo-wifi")
# The demo devices' kinds, cycled: single, 2-gang, single.
AP_DEVICE_UIIDS = (1, 2, 1)
# Small but nonzero, so the pairing wizard on the demo site shows each step happening.
DEMO_DEVICE_DELAYS = DeviceDelays(reboot=1.0, join=1.0, register=0.5, ap_return=30.0)


def _random_key(length: int = 32) -> str:
    return "".join(secrets.choice(NONCE_ALPHABET) for _ in range(length))


def _demo_account():
    return next(account for account in SEED if account.region == DEMO_REGION)


def ap_device_identity(index: int) -> tuple[str, str, str]:
    """(deviceid, devicekey, chipid) of the index-th demo device: stable from run to run."""
    deviceid = f"1000ee{index + 1:04d}"
    devicekey = str(uuid.uuid5(_DEVICE_NAMESPACE, f"devicekey:{deviceid}"))
    chipid = uuid.uuid5(_DEVICE_NAMESPACE, f"chipid:{deviceid}").hex[:6].upper()
    return deviceid, devicekey, chipid


_DEVICE_NAMESPACE = uuid.UUID("5e1c0a7e-0000-4000-8000-0000000000a1")


class DemoSite:
    def __init__(self, *, live_drift_seconds: float | None = 5.0, hb_interval: float = 145,
                 ap_devices: int = 3, device_mdns: bool = False,
                 device_delays: DeviceDelays | None = None, site_wifi: SiteWifi = DEMO_WIFI) -> None:
        self.live_drift_seconds = live_drift_seconds
        self.hb_interval = hb_interval
        self.ap_device_count = ap_devices
        self.device_mdns = device_mdns
        self.device_delays = device_delays if device_delays is not None else DEMO_DEVICE_DELAYS
        self.site_wifi = site_wifi
        self.ewelink: EwelinkCloudSim | None = None
        self.nuheat: NuheatSim | None = None
        self.nxcloud: NxcloudSim | None = None
        self.nexhome: NexhomeSim | None = None
        self.ap_devices: list[SimulatedSonoff] = []

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Start every simulator; port N>0 gives eWeLink N..N+3 (cn, as, eu, us), Nuheat N+4
        (identity) and N+5 (API), NXCloud N+6, NEXhome N+7."""
        if self.ewelink is not None:
            raise RuntimeError("demo site already started")
        # Fresh app credentials per start: nothing real can be used against a demo site.
        sim = EwelinkCloudSim(appid=_random_key(), appsecret=_random_key(), hb_interval=self.hb_interval,
                              seed=True, live_drift_seconds=self.live_drift_seconds)
        await sim.start(host=host, port=port)
        self.ewelink = sim
        try:
            # a fresh client secret per start, like the eWeLink app credentials
            nuheat = NuheatSim(client_secret=_random_key(), live_drift_seconds=self.live_drift_seconds)
            await nuheat.start(host=host, port=port + 4 if port else 0)
            self.nuheat = nuheat
            nxcloud = NxcloudSim(access_key=_random_key(16), access_secret=_random_key())
            await nxcloud.start(host=host, port=port + 6 if port else 0)
            self.nxcloud = nxcloud
            # residents at the doors as often as the other clouds drift, but never faster than 20 s:
            # access records are what a technician watches for, not background noise
            drift = self.live_drift_seconds
            nexhome = NexhomeSim(live_drift_seconds=max(drift * 4, 20.0) if drift else None)
            await nexhome.start(host, port + 7 if port else 0)
            self.nexhome = nexhome
            for index in range(self.ap_device_count):
                deviceid, devicekey, chipid = ap_device_identity(index)
                device = SimulatedSonoff(
                    sim, deviceid=deviceid, devicekey=devicekey, chipid=chipid,
                    uiid=AP_DEVICE_UIIDS[index % len(AP_DEVICE_UIIDS)], site_wifi=self.site_wifi,
                    delays=self.device_delays, host=_device_host(host), mdns=self.device_mdns)
                self.ap_devices.append(device)
                await device.start(ap_port=0)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        devices, self.ap_devices = self.ap_devices, []
        # devices first: they hold sockets to the cloud
        await asyncio.gather(*(d.stop() for d in devices), return_exceptions=True)
        nuheat, self.nuheat = self.nuheat, None
        if nuheat is not None:
            await nuheat.stop()
        nxcloud, self.nxcloud = self.nxcloud, None
        if nxcloud is not None:
            await nxcloud.stop()
        nexhome, self.nexhome = self.nexhome, None
        if nexhome is not None:
            await nexhome.stop()
        sim, self.ewelink = self.ewelink, None
        if sim is not None:
            await sim.stop()

    def lan_directory(self) -> dict[str, str]:
        """{deviceid: lan_url} of the demo devices that are online (in-process tests only)."""
        return {d.deviceid: d.lan_url for d in self.ap_devices if d.lan_url}

    async def __aenter__(self) -> DemoSite:
        await self.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    def describe(self) -> dict[str, Any]:
        """Where each simulator listens and the demo credentials (demo-only secrets)."""
        if self.ewelink is None or self.nuheat is None:
            raise RuntimeError("demo site not started")
        account = _demo_account()
        regions = self.ewelink.regions
        return {
            "ewelink": {
                "api": regions[DEMO_REGION],
                "region": DEMO_REGION,
                "regions": regions,
                "appid": self.ewelink.appid,
                "appsecret": self.ewelink.appsecret,
                "email": account.email,
                "password": account.password,
                # what POST /ap should name so the devices find this cloud (http, not https)
                "dispatch": {"serverName": self.ewelink._url_host(),
                             "port": self.ewelink.ws_port(DEMO_REGION)},
            },
            "ewelink_ap_devices": [{"url": d.ap_url, "deviceid": d.deviceid}
                                   for d in self.ap_devices if d.ap_url],
            "site_wifi": {"ssid": self.site_wifi.ssid, "password": self.site_wifi.password},
            "nuheat": {
                "issuer": self.nuheat.issuer,
                "api": self.nuheat.api,
                "client_id": self.nuheat.client_id,
                "client_secret": self.nuheat.client_secret,
                "username": self.nuheat.username,
                "password": self.nuheat.password,
            },
            **({"nxcloud": self.nxcloud.describe()} if self.nxcloud is not None else {}),
            **({"nexhome": self.nexhome.describe()} if self.nexhome is not None else {}),
        }


async def run_sim(host: str = "127.0.0.1", port: int = 0, out: TextIO = sys.stdout) -> None:
    """Serve a demo site until Ctrl-C, SIGTERM or cancellation; print its description first.

    Ctrl-C and SIGTERM end it cleanly (it returns); where signal handlers cannot be set
    (Windows, a non-main thread) Ctrl-C arrives as cancellation and still stops the site.
    """
    site = DemoSite()
    await site.start(host=host, port=port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
            handled.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
    try:
        out.write(json.dumps(site.describe()) + "\n")
        out.flush()
        await stop.wait()
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
        await site.stop()
        log.info("demo site stopped")


def _device_host(host: str) -> str:
    """The demo devices listen where the cloud does (loopback unless told otherwise)."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
