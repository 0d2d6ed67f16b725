"""The end-to-end site: three network namespaces wired like an installer's day on site.

    device ns                         laptop ns                      site ns (router + cloud)
    ┌──────────────────────┐  hotspot  ┌──────────────────────┐       ┌──────────────────────┐
    │ ap0  10.10.7.1/24    ├───veth────┤ wlan0 10.10.7.100/24 │       │ br0  10.20.0.1/24    │
    │  (AP web server :80) │           │  default via         │       │  EwelinkCloudSim     │
    │                      │           │  10.10.7.1 (hotspot) │       │  (all regions)       │
    │ sta0 10.20.0.20/24   ├──veth──┐  │ eth0  10.20.0.10/24  ├─veth──┤ br0 port lan-lap     │
    │  (LAN server :8081,  │        └──┼──────────────────────┼─veth──┤ br0 port lan-dev     │
    │   mDNS advertiser)   │           │  (down until rejoin) │       │                      │
    └──────────────────────┘           └──────────────────────┘       └──────────────────────┘

- The hotspot: a veth between the device (10.10.7.1, as a Sonoff in AP mode) and the
  laptop's "Wi-Fi" (10.10.7.100), whose default route goes via 10.10.7.1: what the
  laptop looks like after joining ITEAD-<deviceid>. `sitekit pair` finds the device
  through that default gateway (netifaces), as it does on a real laptop.
- The site LAN: a bridge in the site namespace (its router, 10.20.0.1, where the
  simulated cloud also listens) with the device's station interface (10.20.0.20) and the
  laptop's second link (10.20.0.10) on it. mDNS flows over the bridge.
- While the laptop is on the hotspot its site link is down, and the site network is
  unreachable (an `unreachable` route, high metric), so a cloud call fails at once, as it
  does on a real hotspot without internet. `rejoin_site_network()` is what happens when the
  device takes the Wi-Fi details: the hotspot goes away (the device's ap0 down), the laptop
  loses it (wlan0 down) and joins the site network (eth0 up, default route via the
  router).

Nothing is sent outside these namespaces. Skips (with the reason) where namespaces,
veth pairs or bridges cannot be made; always torn down, processes first.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.netns import Lab, LabUnavailable, leftover_namespaces, unavailable_reason

REPO = Path(__file__).resolve().parents[2]

HOTSPOT_DEVICE = "10.10.7.1"
HOTSPOT_LAPTOP = "10.10.7.100"
SITE_ROUTER = "10.20.0.1"  # also where the simulated cloud listens
SITE_LAPTOP = "10.20.0.10"
SITE_DEVICE = "10.20.0.20"
SITE_NET = "10.20.0.0/24"
# Higher than the kernel's metric 0 for the connected route eth0 brings: no gap, no clash.
UNREACHABLE_METRIC = "4000"


@dataclass
class SiteLab:
    lab: Lab
    device: str  # namespace names
    laptop: str
    site: str
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)

    def rejoin_site_network(self) -> None:
        """The hotspot goes away and the laptop joins the site's Wi-Fi."""
        self.lab.batch(self.laptop, [
            "link set eth0 up",
            f"route replace default via {SITE_ROUTER} dev eth0",
            "link set wlan0 down",
        ])
        self.lab.ip(self.device, "link", "set", "ap0", "down")

    def spawn(self, namespace: str, argv: list[str], **kwargs):
        return self.lab.spawn(namespace, argv, env=self.env, cwd=REPO, **kwargs)

    def run(self, namespace: str, argv: list[str], **kwargs):
        return self.lab.run(namespace, argv, env=self.env, cwd=REPO, **kwargs)


def build_site(lab: Lab) -> tuple[str, str, str]:
    device, laptop, site = lab.namespace("dev"), lab.namespace("lap"), lab.namespace("site")
    # the hotspot
    lab.veth(device, "ap0", laptop, "wlan0")
    lab.batch(device, [f"addr add {HOTSPOT_DEVICE}/24 dev ap0", "link set ap0 up"])
    lab.batch(laptop, [
        f"addr add {HOTSPOT_LAPTOP}/24 dev wlan0", "link set wlan0 up",
        f"route add default via {HOTSPOT_DEVICE} dev wlan0",
        f"route add unreachable {SITE_NET} metric {UNREACHABLE_METRIC}",
    ])
    # the site LAN: a switch in the router's namespace
    lab.bridge(site, "br0")
    lab.veth(site, "lan-lap", laptop, "eth0")
    lab.veth(site, "lan-dev", device, "sta0")
    lab.batch(site, [
        f"addr add {SITE_ROUTER}/24 dev br0", "link set br0 up",
        "link set lan-lap master br0", "link set lan-lap up",
        "link set lan-dev master br0", "link set lan-dev up",
    ])
    lab.batch(device, [f"addr add {SITE_DEVICE}/24 dev sta0", "link set sta0 up"])
    lab.ip(laptop, "addr", "add", f"{SITE_LAPTOP}/24", "dev", "eth0")  # link down: on the hotspot
    return device, laptop, site


@pytest.fixture
def site_lab(tmp_path):
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    lab = Lab("e2e", tmp_path)
    try:
        try:
            device, laptop, site = build_site(lab)
        except LabUnavailable as exc:
            pytest.skip(str(exc))
        env = dict(os.environ)
        env.update(PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1",
                   SITEKIT_HOME=str(tmp_path / "laptop-home"),
                   # never the real keyring, in any process of the lab
                   PYTHON_KEYRING_BACKEND="app.core.secrets.MemoryKeyring",
                   QT_QPA_PLATFORM="offscreen")
        yield SiteLab(lab, device, laptop, site, tmp_path, env)
    finally:
        lab.close()
        assert not leftover_namespaces(lab.prefix), "a namespace of the lab was left behind"


def python(*args: str) -> list[str]:
    return [sys.executable, *args]
