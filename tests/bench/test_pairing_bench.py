"""Pairing benchmark: the pairing flow's own overhead against the simulated device.

`make bench` runs this with `pytest -s`. The simulated Sonoff and the simulated cloud run
on loopback with zero device delays (reboot, join, register) and mDNS off, so what is
left is the flow itself: its exchanges with the device's hotspot web server (GET /device,
POST /ap) and with the cloud (device list, add device, device list until online), the
step machine around them, and the simulated device registering on loopback.

Each run pairs a fresh device (a new device id, in pairing mode) with `EwelinkPairing`,
the flow `PairingService` (GUI and CLI) runs, with small poll intervals so waiting does
not hide the overhead (wait_cloud polls the device list every 5 ms here instead of
0.5 s+); the LAN step asks the device where its LAN server is instead of browsing mDNS
(see test_mdns_bench.py for that). Median of RUNS runs after one unmeasured warm-up; the
per-step medians show where the time goes.

The second figure is the same through `PairingService` on the in-process demo site (its
devices given zero delays), as the GUI and `sitekit pair` run it: it adds the secret-store
writes (Wi-Fi details, the pairing memo) and the device list refresh after the run.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time

import aiohttp

from app.core.clock import ClockSkew
from app.core.http import make_session
from app.core.settings import HttpSettings
from app.simulators.ewelink import EwelinkCloudSim
from app.services.pairing import PairingService
from app.services.workspace import Workspace
from app.simulators.ewelink.sonoff import DeviceDelays, SimulatedSonoff, SiteWifi
from app.vendors.ewelink.client import EwelinkClient
from app.vendors.ewelink.pairing import (STEPS, EwelinkPairing, PairingPlan, PairingTimeouts)

RUNS = 15
GOAL_MS = float(os.environ.get("SITEKIT_BENCH_PAIRING_GOAL_MS", "50"))
APPID, APPSECRET = "SiteKitBenchAppId000000000000000", "SiteKitBenchAppSecret00000000000"
ACCOUNT, PASSWORD = "demo@sitekit.example", "sitekit-demo"
WIFI = SiteWifi("Bench-Site", "bench-wifi-pw")
# Bounds only: a healthy run is far inside every one of them.
TIMEOUTS = PairingTimeouts(request=2, find=1, read=2, check_wifi=1, send_wifi=2, rejoin=2,
                           add=2, wait_cloud=5, wait_lan=2, retry_delay=0.01,
                           poll_interval=0.005, ap_probe_interval=1.0)


class StepClock:
    """Per-step wall time from the progress callback (first "running" to its end)."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.ended: dict[str, float] = {}

    def __call__(self, progress) -> None:
        now = time.perf_counter()
        for step in progress.steps:
            if step.status == "running":
                self.started.setdefault(step.name, now)
            elif step.status != "pending" and step.name in self.started:
                self.ended.setdefault(step.name, now)

    def seconds(self) -> dict[str, float]:
        return {name: self.ended[name] - self.started[name]
                for name in self.started if name in self.ended}


def _device_lan_locator(device: SimulatedSonoff):
    async def locate(deviceid: str, timeout: float) -> str | None:
        await device.wait_mode("online", timeout)
        return device.lan_url

    return locate


async def _pair_once(sim, client, device_session, index: int) -> tuple[float, dict[str, float]]:
    deviceid = f"1000be{index:04d}"
    device = SimulatedSonoff(sim, deviceid=deviceid, devicekey=f"bench-key-{deviceid}",
                             chipid=f"BE{index:06d}", uiid=1, site_wifi=WIFI,
                             delays=DeviceDelays(), mdns=False)
    await device.start(ap_port=0)
    try:
        plan = PairingPlan(device_url=device.ap_url, ssid=WIFI.ssid, password=WIFI.password,
                           name=f"Bench {index}", server_name="127.0.0.1",
                           server_port=sim.ws_port("eu"))
        steps = StepClock()
        pairing = EwelinkPairing(plan, session=device_session, cloud=client, timeouts=TIMEOUTS,
                                 lan_locator=_device_lan_locator(device))
        start = time.perf_counter()
        result = await pairing.run(steps)
        elapsed = time.perf_counter() - start
        assert result.deviceid == deviceid and result.online and result.lan_url == device.lan_url
        return elapsed, steps.seconds()
    finally:
        await device.stop()


async def _bench() -> tuple[list[float], dict[str, list[float]]]:
    sim = EwelinkCloudSim(appid=APPID, appsecret=APPSECRET, seed=True, live_drift_seconds=None)
    await sim.start(host="127.0.0.1", port=0)
    session = make_session(HttpSettings(timeout_seconds=5.0), ClockSkew())
    device_session = aiohttp.ClientSession()
    try:
        client = EwelinkClient(session, appid=APPID, appsecret=APPSECRET, region="eu",
                               regions=sim.regions)
        await client.login(ACCOUNT, PASSWORD)
        await _pair_once(sim, client, device_session, 0)  # warm-up: imports, first connections
        totals: list[float] = []
        per_step: dict[str, list[float]] = {name: [] for name in STEPS}
        for index in range(1, RUNS + 1):
            elapsed, steps = await _pair_once(sim, client, device_session, index)
            totals.append(elapsed)
            for name, seconds in steps.items():
                per_step[name].append(seconds)
        return totals, per_step
    finally:
        await device_session.close()
        await session.close()
        await sim.stop()


def test_pairing_flow_overhead_is_small():
    totals, per_step = asyncio.run(_bench())
    median = statistics.median(totals) * 1000
    lines = [f"\npairing a fresh simulated Sonoff on loopback, zero device delays, "
             f"median of {RUNS} runs:",
             f"  whole flow (8 steps)      {median:6.1f} ms  (min {min(totals) * 1000:.1f}, "
             f"max {max(totals) * 1000:.1f}; goal <= {GOAL_MS:g} ms)"]
    for name in STEPS:
        if per_step[name]:
            lines.append(f"    {name:12}            {statistics.median(per_step[name]) * 1000:6.1f} ms")
    print("\n".join(lines))
    assert median <= GOAL_MS, (
        f"pairing takes {median:.1f} ms of its own against a device that answers at once "
        f"(goal {GOAL_MS:g} ms): look at the per-step figures above")


async def _bench_service() -> list[float]:
    workspace = await Workspace.open(demo=True, store_events=False, demo_site_options=dict(
        ap_devices=RUNS + 1, device_delays=DeviceDelays(), live_drift_seconds=None))
    try:
        wifi = workspace.demo_site.site_wifi
        totals = []
        for device in list(workspace.demo_site.ap_devices):  # the first one warms up
            service = PairingService(workspace, timeouts=TIMEOUTS)
            service.plan(device.ap_url, wifi.ssid, wifi.password, "Bench")
            start = time.perf_counter()
            result = await service.run(None)
            totals.append(time.perf_counter() - start)
            await service.close()
            assert result.deviceid == device.deviceid and result.online
        return totals[1:]
    finally:
        await workspace.close()


def test_pairing_service_overhead_is_small():
    totals = asyncio.run(_bench_service())
    median = statistics.median(totals) * 1000
    print(f"\npairing through PairingService (as the GUI and `sitekit pair` run it) on the "
          f"demo site, zero device delays, median of {len(totals)} runs:"
          f"\n  whole flow + secret store + device list refresh  {median:6.1f} ms  "
          f"(min {min(totals) * 1000:.1f}, max {max(totals) * 1000:.1f}; goal <= {GOAL_MS:g} ms)")
    assert median <= GOAL_MS, (
        f"pairing through the service takes {median:.1f} ms of its own (goal {GOAL_MS:g} ms)")
