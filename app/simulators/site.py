"""A whole demo site on loopback: every simulated vendor cloud, started together.

`DemoSite` is a thin composer: it starts each simulator and describes where they listen
and with which (demo-only) credentials. Today that is the eWeLink cloud; other vendors
join here as they get simulators.

    async with DemoSite() as site:
        site.describe()["ewelink"]["api"]      # the eu base URL

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
from typing import Any, TextIO

from app.simulators.ewelink import SEED, EwelinkCloudSim
from app.vendors.ewelink.signing import NONCE_ALPHABET

log = logging.getLogger(__name__)

DEMO_REGION = "eu"


def _random_key(length: int = 32) -> str:
    return "".join(secrets.choice(NONCE_ALPHABET) for _ in range(length))


def _demo_account():
    return next(account for account in SEED if account.region == DEMO_REGION)


class DemoSite:
    def __init__(self, *, live_drift_seconds: float | None = 5.0, hb_interval: float = 145) -> None:
        self.live_drift_seconds = live_drift_seconds
        self.hb_interval = hb_interval
        self.ewelink: EwelinkCloudSim | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Start every simulator; port N>0 gives eWeLink N..N+3 (cn, as, eu, us)."""
        if self.ewelink is not None:
            raise RuntimeError("demo site already started")
        # Fresh app credentials per start: nothing real can be used against a demo site.
        sim = EwelinkCloudSim(appid=_random_key(), appsecret=_random_key(), hb_interval=self.hb_interval,
                              seed=True, live_drift_seconds=self.live_drift_seconds)
        await sim.start(host=host, port=port)
        self.ewelink = sim

    async def stop(self) -> None:
        sim, self.ewelink = self.ewelink, None
        if sim is not None:
            await sim.stop()

    async def __aenter__(self) -> DemoSite:
        await self.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    def describe(self) -> dict[str, Any]:
        """Where each simulator listens and the demo credentials (demo-only secrets)."""
        if self.ewelink is None:
            raise RuntimeError("demo site not started")
        account = _demo_account()
        regions = self.ewelink.regions
        return {"ewelink": {
            "api": regions[DEMO_REGION],
            "region": DEMO_REGION,
            "regions": regions,
            "appid": self.ewelink.appid,
            "appsecret": self.ewelink.appsecret,
            "email": account.email,
            "password": account.password,
        }}


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
