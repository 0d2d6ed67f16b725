"""LAN control benchmark: `LanClient.switch` round trip beside a raw aiohttp POST.

`make bench` runs this with `pytest -s`. One simulated Sonoff, paired onto the simulated
cloud on loopback (its LAN server is up once it is online), is switched on and off
ROUNDS times by each of:
- `LanClient.switch(on)`: JSON + AES encryption of the params, the POST, the reply parsed
  (and decrypted when it carries state), errors mapped — what SiteKit does;
- a raw `aiohttp` POST of an already encrypted body for the same state to the same URL,
  reading the reply bytes — the floor for that exchange.
Both use the same session and `Connection: close` (as real devices need), interleaved in
the same run (ABBA order), after a warm-up. The LanClient is made with `min_interval=0`:
it normally keeps >= 200 ms between requests to one device (their web servers take one at
a time), a pause that is policy, not round-trip time, so it is left out of the figures.
The figure that matters is the ratio of the medians (LanClient / raw).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time

import aiohttp

from app.simulators.ewelink import EwelinkCloudSim
from app.simulators.ewelink.sonoff import SimulatedSonoff, SiteWifi
from app.vendors.ewelink.lan import SELF_APIKEY, LanClient
from app.vendors.ewelink.lan_crypto import encrypt

ROUNDS = 300
WARMUP = 20
GOAL_RATIO = float(os.environ.get("SITEKIT_BENCH_LAN_RATIO", "1.2"))
WIFI = SiteWifi("Bench-Site", "bench-wifi-pw")
DEVICEID, DEVICEKEY = "1000bf0001", "3d5e7f10-2a4b-4c6d-8e0f-1a2b3c4d5e6f"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _raw_body(state: str) -> bytes:
    iv, data = encrypt(DEVICEKEY, json.dumps({"switch": state}, separators=(",", ":")))
    return json.dumps({"sequence": str(int(time.time() * 1000)), "deviceid": DEVICEID,
                       "selfApikey": SELF_APIKEY, "encrypt": True, "iv": iv,
                       "data": data}).encode("utf-8")


async def _online_device(sim: EwelinkCloudSim, session: aiohttp.ClientSession) -> SimulatedSonoff:
    device = SimulatedSonoff(sim, deviceid=DEVICEID, devicekey=DEVICEKEY, chipid="BF000001",
                             uiid=1, site_wifi=WIFI, mdns=False)
    await device.start(ap_port=0)
    # the Wi-Fi details, as pairing sends them; the device then registers and goes online
    async with session.post(device.ap_url + "/ap", data=json.dumps({
            "version": 4, "ssid": WIFI.ssid, "password": WIFI.password,
            "serverName": "127.0.0.1", "port": sim.ws_port("eu")})) as reply:
        assert (await reply.json(content_type=None))["error"] == 0
    await device.wait_mode("online", 10)
    return device


async def _bench() -> tuple[list[float], list[float], dict[str, str]]:
    sim = EwelinkCloudSim(appid="SiteKitBenchAppId000000000000000",
                          appsecret="SiteKitBenchAppSecret00000000000", seed=True,
                          live_drift_seconds=None)
    await sim.start(host="127.0.0.1", port=0)
    session = aiohttp.ClientSession()
    device = None
    try:
        device = await _online_device(sim, session)
        url = f"{device.lan_url}/zeroconf/switch"
        client = LanClient(session, DEVICEID, DEVICEKEY, device.lan_url, min_interval=0)
        bodies = {state: _raw_body(state) for state in ("on", "off")}
        headers = {"Content-Type": "application/json", "Connection": "close"}

        async def via_client(on: bool) -> float:
            start = time.perf_counter()
            await client.switch(on)
            return time.perf_counter() - start

        async def raw(on: bool) -> float:
            body = bodies["on" if on else "off"]
            start = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
            return time.perf_counter() - start

        # the raw body really is a valid command for this device
        async with session.post(url, data=bodies["on"], headers=headers) as response:
            assert (await response.json(content_type=None))["error"] == 0
        for index in range(WARMUP):
            await via_client(index % 2 == 0)
            await raw(index % 2 == 0)
        client_times, raw_times = [], []
        for index in range(ROUNDS):
            on = index % 2 == 0
            if index % 4 in (0, 3):  # ABBA: neither always goes first
                client_times.append(await via_client(on))
                raw_times.append(await raw(on))
            else:
                raw_times.append(await raw(on))
                client_times.append(await via_client(on))
        final = dict(device.params)
        return client_times, raw_times, final
    finally:
        if device is not None:
            await device.stop()
        await session.close()
        await sim.stop()


def test_lan_switch_round_trip_is_close_to_a_raw_post():
    client_times, raw_times, final = asyncio.run(_bench())
    assert final["switch"] == "off"  # the last round switched it off: commands really landed

    def figures(times: list[float]) -> str:
        return (f"p50 {statistics.median(times) * 1000:6.2f} ms   "
                f"p99 {_percentile(times, 0.99) * 1000:6.2f} ms")

    ratio = statistics.median(client_times) / statistics.median(raw_times)
    print(f"\nLAN switch round trip on loopback, {ROUNDS} each, interleaved, Connection: close:"
          f"\n  raw aiohttp POST (pre-encrypted body)  {figures(raw_times)}"
          f"\n  LanClient.switch (min_interval=0)      {figures(client_times)}"
          f"\n  p50 ratio LanClient / raw              {ratio:6.2f}  (goal <= {GOAL_RATIO:g})"
          f"\n  (LanClient normally also waits >= 200 ms between requests to one device; "
          f"that pause is policy and not measured here)")
    assert ratio <= GOAL_RATIO, (
        f"a LAN switch through LanClient takes {ratio:.2f}x a raw POST of the same body "
        f"(goal {GOAL_RATIO:g}): its own work per request (encryption, JSON, checks) grew")
