"""The simulated eWeLink cloud in the end-to-end test, in the site router's namespace.

Run as `ip netns exec SITE python -m tests.e2e.cloud_side`. The first stdin line is the
configuration (JSON): {"host": "10.20.0.1", "devices": [{"deviceid", "devicekey",
"chipid", "uiid"}]}. The cloud learns those devices from the factory (`manufacture`),
so the add-device call accepts them, then listens on `host` and prints the site
description as one JSON line: the same shape `sitekit sim` prints, so
`sitekit --site FILE` works with it. End of stdin stops it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sys

from app.simulators.ewelink import SEED, EwelinkCloudSim

REGION = "eu"


def _key() -> str:
    return secrets.token_hex(16)


async def main() -> int:
    loop = asyncio.get_running_loop()
    config = json.loads(await loop.run_in_executor(None, sys.stdin.readline))
    host = config["host"]
    sim = EwelinkCloudSim(appid=_key(), appsecret=_key(), seed=True, live_drift_seconds=None)
    for device in config.get("devices", []):
        sim.manufacture(deviceid=device["deviceid"], devicekey=device["devicekey"],
                        chipid=device["chipid"], uiid=int(device.get("uiid", 1)))
    await sim.start(host=host, port=0)
    account = next(a for a in SEED if a.region == REGION)
    try:
        description = {
            "ewelink": {
                "api": sim.base_url(REGION), "region": REGION, "regions": sim.regions,
                "appid": sim.appid, "appsecret": sim.appsecret,
                "email": account.email, "password": account.password,
                "dispatch": {"serverName": host, "port": sim.ws_port(REGION)},
            },
        }
        print(json.dumps(description), flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)  # end of input: stop
    finally:
        await sim.stop()
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s cloud %(name)s: %(message)s")
    sys.exit(asyncio.run(main()))
