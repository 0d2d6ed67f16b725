"""A real mDNS round trip: zeroconf advertising and browsing, no mocks.

Multicast does not flow on a plain loopback interface, so the test makes a network
namespace of its own with loopback up and multicast on, and runs SiteKit's LanDiscovery
in a subprocess inside it, which starts the advertiser (the simulated Sonoff's, with its
encrypted TXT record) as a process of its own, so the records really cross the network.
Nothing leaves that namespace. Skips (with the reason) where namespaces cannot be made;
the namespace is always deleted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEVICEID = "1000abcdef"
DEVICEKEY = "0123456789abcdef0123456789abcdef"

# The device side: its own process, so the records really cross the (namespaced) network.
ADVERTISER = r"""
import asyncio, json, sys
from app.simulators.ewelink.advertiser import Advertiser, build_txt

DEVICEID, KEY = sys.argv[1], sys.argv[2]
PARAMS = json.loads(sys.argv[3])


async def main():
    loop = asyncio.get_running_loop()
    advertiser = Advertiser(deviceid=DEVICEID, host="127.0.0.1", port=8081,
                            interfaces=["127.0.0.1"])
    advertiser.start(build_txt(deviceid=DEVICEID, uiid=1, devicekey=KEY, seq=1, params=PARAMS))
    await advertiser.wait_registered(10)
    print("registered", flush=True)
    # one line on stdin: announce a change (seq 2, switched off); end of input: go away
    line = await loop.run_in_executor(None, sys.stdin.readline)
    if line.strip() == "update":
        await advertiser.update(build_txt(deviceid=DEVICEID, uiid=1, devicekey=KEY, seq=2,
                                          params=dict(PARAMS, switch="off")))
        print("updated", flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)
    await advertiser.close()


asyncio.run(main())
"""

# The laptop side: SiteKit's LanDiscovery, browsing while the device process advertises.
ROUND_TRIP = r"""
import asyncio, json, sys, time
from app.vendors.ewelink.lan import LanDiscovery

DEVICEID, KEY, ADVERTISER = sys.argv[1], sys.argv[2], sys.argv[3]
PARAMS = {"switch": "on", "startup": "stay", "pulse": "off", "sledOnline": "on",
          "fwVersion": "3.6.0", "rssi": -50, "staMac": "AA:BB:CC:DD:EE:01"}


async def main():
    discovery = LanDiscovery(interfaces=["127.0.0.1"])
    await discovery.start()
    seqs = []
    discovery.subscribe(lambda device: seqs.append(device.announcement.seq))
    start = time.monotonic()
    device = await asyncio.create_subprocess_exec(
        sys.executable, "-c", ADVERTISER, DEVICEID, KEY, json.dumps(PARAMS),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    try:
        found = await discovery.wait_for(DEVICEID, 10)
        found_after = time.monotonic() - start
        first = {"host": found.host, "port": found.port, "url": found.url,
                 "type": found.announcement.type, "seq": found.announcement.seq,
                 "chunks": sum(1 for k in found.announcement.txt if k.startswith("data")),
                 "params": found.announcement.decrypt_params(KEY)}
        assert (await asyncio.wait_for(device.stdout.readline(), 10)).strip() == b"registered"
        device.stdin.write(b"update\n")
        await device.stdin.drain()
        assert (await asyncio.wait_for(device.stdout.readline(), 10)).strip() == b"updated"
        deadline = time.monotonic() + 10
        while discovery.devices[DEVICEID].announcement.seq != 2:
            if time.monotonic() > deadline:
                raise SystemExit("the updated record (seq 2) never arrived")
            await asyncio.sleep(0.02)
        updated = discovery.devices[DEVICEID].announcement.decrypt_params(KEY)
        device.stdin.write(b"done\n")
        await device.stdin.drain()
        await asyncio.wait_for(device.wait(), 10)
    finally:
        if device.returncode is None:
            device.kill()
            await device.wait()
        await discovery.stop()
    print(json.dumps({"first": first, "updated": updated, "seqs": seqs, "sent": PARAMS,
                      "advertiser_exit": device.returncode, "found_after": found_after}))


asyncio.run(main())
"""


def _run(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=check)


@pytest.fixture
def namespace():
    if not sys.platform.startswith("linux"):
        pytest.skip("network namespaces are Linux only")
    if os.geteuid() != 0:
        pytest.skip("creating a network namespace needs root (CI runs the tests as root)")
    if shutil.which("ip") is None:
        pytest.skip("the `ip` tool (iproute2) is not installed")
    name = f"sitekit-mdns-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    made = _run("ip", "netns", "add", name, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot create a network namespace: {made.stderr.strip() or made.returncode}")
    try:
        _run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
        _run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "multicast", "on")
        yield name
    finally:
        _run("ip", "netns", "del", name, check=False)


def test_lan_discovery_finds_and_decrypts_an_advertised_device(namespace):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c", ROUND_TRIP,
                           DEVICEID, DEVICEKEY, ADVERTISER], capture_output=True, text=True,
                          timeout=30, cwd=REPO, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    first = result["first"]
    assert first["host"] == "127.0.0.1" and first["port"] == 8081
    assert first["url"] == "http://127.0.0.1:8081"
    assert first["type"] == "plug" and first["seq"] == 1
    assert first["chunks"] >= 2  # the payload really was split over data1..N
    assert first["params"] == result["sent"]
    assert result["updated"] == dict(result["sent"], switch="off")
    assert result["advertiser_exit"] == 0
    assert result["seqs"][0] == 1 and result["seqs"][-1] == 2
    assert result["found_after"] < 10


def test_the_namespace_is_gone_afterwards():
    # Runs after the round trip in file order: no namespace of ours is left behind.
    if shutil.which("ip") is None or os.geteuid() != 0:
        pytest.skip("needs root and iproute2")
    listing = _run("ip", "netns", "list", check=False).stdout
    assert f"sitekit-mdns-{os.getpid()}-" not in listing
