"""An installer's job, end to end, in network namespaces (see conftest.py for the wiring).

A simulated Sonoff is in pairing mode at 10.10.7.1:80 in its own namespace; the laptop
namespace is on its hotspot (default gateway 10.10.7.1). Then, with the real CLI run
inside the laptop namespace:
1. `sitekit pair --ssid … --password-stdin --json`, no --device: it finds the device
   through the default gateway (netifaces), hands it the Wi-Fi details, the hotspot goes
   away, the laptop rejoins the site network, the device registers with the simulated
   cloud (site namespace), is added to the account and found on the LAN over mDNS;
2. `sitekit lan discover --json` finds it over mDNS on the site LAN;
3. `sitekit lan switch DEVICE on --json` switches it over the LAN: the device itself
   reports the new state, and the cloud (which the device reports to) shows it too.
Every process and wait is bounded; the namespaces are always removed.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.e2e.conftest import HOTSPOT_DEVICE, SITE_DEVICE, SITE_ROUTER, python
from tests.e2e.netns import leftover_namespaces, unavailable_reason

pytestmark = pytest.mark.e2e

DEVICE = {"deviceid": "1000e2e001", "devicekey": "7f3c1a52-9d4e-4b6a-8c21-5e0f2d9b7a64",
          "chipid": "00E2E001", "uiid": 1}
SSID, WIFI_PASSWORD = "Site-Office-2G", "e2e-site-wifi"
LAN_PORT = 8081
CLI_TIMEOUT = 20.0  # one CLI run (pairing included), far above what it takes


def _mode(*names: str):
    return lambda m: isinstance(m, dict) and m.get("event") == "mode" and m.get("mode") in names


def test_pair_from_the_hotspot_then_discover_and_switch_over_the_lan(site_lab):
    lab = site_lab
    started = time.monotonic()

    cloud = lab.spawn(lab.site, python("-m", "tests.e2e.cloud_side"), name="cloud",
                      stdin_text=json.dumps({"host": SITE_ROUTER, "devices": [DEVICE]}) + "\n")
    description = cloud.expect(lambda m: isinstance(m, dict) and "ewelink" in m, 15,
                               "site description")
    site_file = lab.workdir / "site.json"
    site_file.write_text(json.dumps(description) + "\n")
    sitekit = python("-m", "app", "--site", str(site_file))

    device = lab.spawn(lab.device, python("-m", "tests.e2e.device_side"), name="device",
                       stdin_text=json.dumps({
                           **DEVICE, "ssid": SSID, "password": WIFI_PASSWORD,
                           "ap_host": HOTSPOT_DEVICE, "ap_port": 80, "lan_host": SITE_DEVICE,
                           "lan_port": LAN_PORT, "mdns_interfaces": [SITE_DEVICE]}) + "\n")
    hotspot = device.expect(_mode("ap"), 15, "pairing mode")
    assert hotspot["ap_url"] == f"http://{HOTSPOT_DEVICE}:80"

    # 1. pair, with no --device: found through the laptop's default gateway
    pair = lab.spawn(lab.laptop, sitekit + ["pair", "--ssid", SSID, "--password-stdin",
                                            "--name", "Office lamp", "--json"],
                     name="sitekit-pair", stdin_text=WIFI_PASSWORD + "\n", keep_stdin=False)
    # the device took the details and left pairing mode (it may be online already: the
    # reporter samples every 20 ms and zero delays make "joining" brief)
    device.expect(_mode("joining", "online"), CLI_TIMEOUT, "POST /ap (pairing mode left)")
    lab.rejoin_site_network()
    online = device.expect(_mode("online"), 15, "registration with the cloud")
    assert online["lan_url"] == f"http://{SITE_DEVICE}:{LAN_PORT}"
    assert pair.wait(CLI_TIMEOUT) == 0, pair.describe()
    result = pair.messages[-1]
    assert result["deviceid"] == DEVICE["deviceid"] and result["online"] is True, result
    assert result["name"] == "Office lamp", result
    assert result["lan_url"] == f"http://{SITE_DEVICE}:{LAN_PORT}", result
    progress = pair.stderr_text
    # the find step used the default gateway of the hotspot link, not a given address
    assert f"default gateway {HOTSPOT_DEVICE}" in progress and "wlan0" in progress, progress
    for title in ("Send the Wi-Fi details", "Back on the site network", "Add to the account",
                  "Online in the cloud", "Found on the LAN"):
        assert f"✓ {title}" in progress, progress

    # 2. discovered over mDNS on the site LAN
    discover = lab.run(lab.laptop, sitekit + ["lan", "discover", "--json", "--seconds", "1.5"],
                       name="sitekit-lan-discover", timeout=CLI_TIMEOUT)
    assert discover.popen.returncode == 0, discover.describe()
    rows = {row["deviceid"]: row for row in discover.messages[-1]}
    assert DEVICE["deviceid"] in rows, discover.describe()
    found = rows[DEVICE["deviceid"]]
    assert found["url"] == f"http://{SITE_DEVICE}:{LAN_PORT}" and found["on_account"] is True
    assert found["name"] == "Office lamp"

    # 3. switched over the LAN, confirmed by the device and by the cloud it reports to
    switch = lab.run(lab.laptop, sitekit + ["lan", "switch", DEVICE["deviceid"], "on", "--json"],
                     name="sitekit-lan-switch", timeout=CLI_TIMEOUT)
    assert switch.popen.returncode == 0, switch.describe()
    reply = switch.messages[-1]
    assert reply["via"] == "lan" and reply["acknowledged"] is True and reply["state"] == "on"
    device.expect(lambda m: isinstance(m, dict) and m.get("event") == "state"
                  and m["params"].get("switch") == "on", 5, "switch on, reported by the device")
    listing = lab.run(lab.laptop, sitekit + ["ewelink", "devices", "--json"],
                      name="sitekit-devices", timeout=CLI_TIMEOUT)
    assert listing.popen.returncode == 0, listing.describe()
    paired = next(d for d in listing.messages[-1] if d["deviceid"] == DEVICE["deviceid"])
    assert paired["online"] is True and [c["on"] for c in paired["channels"]] == [True], paired

    elapsed = time.monotonic() - started
    print(f"\nend-to-end (namespaces): pair, discover, switch in {elapsed:.1f} s\n"
          f"sitekit pair said:\n{progress}")
    assert elapsed < 30, f"the scenario took {elapsed:.1f} s (budget 30 s)"


def test_no_namespace_is_left_behind():
    # Runs after the scenario in file order; the fixture also checks its own.
    if unavailable_reason():
        pytest.skip(unavailable_reason())
    assert not leftover_namespaces("sitekit-e2e-"), "an e2e namespace was left behind"
