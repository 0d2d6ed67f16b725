"""The device in the end-to-end test: a SimulatedSonoff in its own network namespace.

Run inside the device namespace (`ip netns exec DEV python -m tests.e2e.device_side`).
The first stdin line is the configuration (JSON):
    {"deviceid", "devicekey", "chipid", "uiid", "ssid", "password",
     "ap_host", "ap_port", "lan_host", "lan_port", "mdns_interfaces": [...]}
The device powers on in pairing mode (hotspot web server at ap_host:ap_port). What it
does then is up to whoever pairs it: after `POST /ap` it reaches the cloud named there
over the network (dispatch, websocket), serves LAN control at lan_host:lan_port and
advertises itself over mDNS on `mdns_interfaces`.

It reports on stdout, one JSON object per line:
    {"event": "mode", "mode": "ap" | "joining" | "online" | "failed_join",
     "ap_url": ..., "lan_url": ..., "cloud_connected": bool}
    {"event": "state", "seq": n, "params": {...}}          (every change of its state)
End of stdin powers it off (servers, cloud socket and mDNS record go away).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys

from app.simulators.ewelink.sonoff import DeviceDelays, SimulatedSonoff, SiteWifi

WATCH_INTERVAL = 0.02  # how often the reporter looks at the device


class FactoryRecord:
    """Stands in for the cloud object SimulatedSonoff is built with, which it only uses to
    say "this device exists" (`manufacture`). Here the cloud runs in another process in
    another namespace, and cloud_side.py has been told about the device there; everything
    the device says to the cloud goes over the network, as a real device's does."""

    def manufacture(self, **identity) -> None:
        return None


def report(message: dict) -> None:
    print(json.dumps(message, separators=(",", ":")), flush=True)


async def watch(device: SimulatedSonoff) -> None:
    last_mode: tuple | None = None
    last_seq: int | None = None
    while True:
        mode = (device.mode, device.ap_url, device.lan_url, device.cloud_connected)
        if mode != last_mode:
            last_mode = mode
            report({"event": "mode", "mode": device.mode, "ap_url": device.ap_url,
                    "lan_url": device.lan_url, "cloud_connected": device.cloud_connected})
        if device.seq != last_seq:
            last_seq = device.seq
            report({"event": "state", "seq": device.seq, "params": device.params})
        await asyncio.sleep(WATCH_INTERVAL)


async def main() -> int:
    loop = asyncio.get_running_loop()
    config = json.loads(await loop.run_in_executor(None, sys.stdin.readline))
    device = SimulatedSonoff(
        FactoryRecord(), deviceid=config["deviceid"], devicekey=config["devicekey"],
        chipid=config["chipid"], uiid=int(config.get("uiid", 1)),
        site_wifi=SiteWifi(config["ssid"], config["password"]), delays=DeviceDelays(),
        host=config["ap_host"], lan_host=config["lan_host"], lan_port=int(config["lan_port"]),
        mdns=True, mdns_interfaces=config.get("mdns_interfaces"))
    await device.start(ap_port=int(config["ap_port"]))
    watcher = loop.create_task(watch(device))
    try:
        await loop.run_in_executor(None, sys.stdin.readline)  # end of input: power off
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await device.stop()
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s device %(name)s: %(message)s")
    sys.exit(asyncio.run(main()))
