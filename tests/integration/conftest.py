"""Fixtures for talking to the simulated eWeLink cloud on loopback.

Timings are shrunk (heartbeat, backoff, device timeouts) so the scenarios that involve
waiting still run in a few seconds.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from app.core.clock import ClockSkew
from app.core.http import make_session
from app.core.settings import HttpSettings

EWELINK_APPID = "SiteKitTestAppId0000000000000000"
EWELINK_APPSECRET = "SiteKitTestAppSecret000000000000"
DEMO_PASSWORD = "sitekit-demo"
EU_ACCOUNT = "demo@sitekit.example"
US_ACCOUNT = "us@sitekit.example"
AS_PHONE = "+8613800000001"
# The simulator closes a socket silent for 1.5 intervals: 1 s makes that testable.
SIM_HB_INTERVAL = 1.0


@pytest.fixture
async def ewelink_sim():
    from app.simulators.ewelink import EwelinkCloudSim

    sim = EwelinkCloudSim(appid=EWELINK_APPID, appsecret=EWELINK_APPSECRET,
                          hb_interval=SIM_HB_INTERVAL, seed=True)
    await sim.start(host="127.0.0.1", port=0)
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
async def nuheat_sim():
    from app.simulators.nuheat import NuheatSim

    sim = NuheatSim()
    await sim.start("127.0.0.1", 0)
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
def clock():
    return ClockSkew()


@pytest.fixture
async def http_session(clock):
    # The app's own session factory: total timeouts and the Date-header clock tracker.
    session = make_session(HttpSettings(timeout_seconds=5.0), clock)
    try:
        yield session
    finally:
        await session.close()


@pytest.fixture
def make_ewelink_client(ewelink_sim, http_session, clock):
    """A factory: make_ewelink_client(region="eu", cls=EwelinkClient, **overrides)."""
    from app.vendors.ewelink.client import EwelinkClient

    def make(region: str = "eu", cls=EwelinkClient, **kwargs):
        options = dict(session=http_session, appid=EWELINK_APPID, appsecret=EWELINK_APPSECRET,
                       region=region, regions=ewelink_sim.regions, clock=clock)
        options.update(kwargs)
        return cls(**options)

    return make


async def wait_until(predicate, timeout: float = 5.0, interval: float = 0.02) -> None:
    """Poll `predicate()` until true; fails the test with a clear message on timeout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)
