"""The pairing wizard's rules, without Qt (app/ui/pairing/flow.py)."""

from __future__ import annotations

import pytest

from app.core.network import Gateway, InterfaceAddress, NetworkView
from app.ui.pairing.flow import (ADDRESS, CHECKING, CONNECTED, DEMO, HOTSPOT, PROGRESS, RESULT,
                                 START, WAITING, WIFI, WRONG_ROUTE, PairingFlow, hotspot_status,
                                 next_name)
from app.vendors.ewelink.pairing import PairingResult

OFFICE = NetworkView(Gateway("192.168.1.1", "eth0"),
                     (InterfaceAddress("eth0", "192.168.1.20", "255.255.255.0"),))
HOTSPOT_VIEW = NetworkView(Gateway("10.10.7.1", "wlan0"),
                           (InterfaceAddress("wlan0", "10.10.7.2", "255.255.255.0"),))
DEVICES = [("1000ee0001", "http://127.0.0.1:4001"), ("1000ee0002", "http://127.0.0.1:4002")]


@pytest.mark.parametrize("name, suggestion", [
    ("Light 1", "Light 2"), ("Kitchen 09", "Kitchen 10"), ("Spot 007", "Spot 008"),
    ("Porch light", ""), ("", ""), ("R2D2", "R2D3"),
])
def test_next_name(name, suggestion):
    assert next_name(name) == suggestion


def test_hotspot_status_wording():
    assert hotspot_status(None).state == CHECKING
    waiting = hotspot_status(OFFICE, "Office")
    assert waiting.state == WAITING
    assert "eth0 (Wi-Fi “Office”), gateway 192.168.1.1" in waiting.detail
    connected = hotspot_status(HOTSPOT_VIEW, "ITEAD-1000ab1234")
    assert connected.state == CONNECTED and connected.adapter == "wlan0"
    assert connected.headline == "Connected to ITEAD-1000ab1234"
    assert connected.detail == "Adapter wlan0 has 10.10.7.2; the device answers at 10.10.7.1."
    # a Wi-Fi name that is not a device's hotspot is not claimed as one
    assert hotspot_status(HOTSPOT_VIEW, "Office").headline == "Connected to a device hotspot"
    both = NetworkView(OFFICE.gateway, OFFICE.addresses + HOTSPOT_VIEW.addresses)
    wrong = hotspot_status(both)
    assert wrong.state == WRONG_ROUTE and wrong.adapter == "wlan0"
    assert "wlan0 (10.10.7.2)" in wrong.detail and "eth0 (gateway 192.168.1.1)" in wrong.detail
    assert "not connected to any network" in hotspot_status(NetworkView(None)).detail


def test_demo_devices_are_picked_until_a_hotspot_appears():
    flow = PairingFlow(demo=True)
    flow.set_network(OFFICE)
    assert flow.start_problem.startswith("Join the device's ITEAD")
    flow.set_demo_devices(DEVICES)
    assert (flow.source, flow.demo_device, flow.device_url) == (DEMO, "1000ee0001",
                                                               "http://127.0.0.1:4001")
    assert flow.start_problem == ""
    flow.choose(DEMO, "1000ee0002")
    assert flow.device_url == "http://127.0.0.1:4002"
    flow.set_network(HOTSPOT_VIEW)  # a real hotspot outranks the simulated devices
    assert flow.source == HOTSPOT and flow.device_url is None and flow.start_problem == ""


def test_an_address_must_look_like_one():
    flow = PairingFlow()
    flow.set_network(OFFICE)
    flow.choose(ADDRESS)
    assert not flow.next()
    for bad in ("", "  ", "10.10 .7.1", "http://:80"):
        flow.set_field("address", bad)
        assert flow.start_problem, bad
    flow.set_field("address", "10.10.7.1")
    assert flow.next() and flow.page == WIFI
    assert flow.device_label == "The device at 10.10.7.1"


def test_wifi_errors_show_when_they_can_no_longer_be_typed_away():
    flow = PairingFlow(page=WIFI)
    flow.set_field("ssid", "x" * 33)
    assert flow.visible_errors["ssid"]  # too long: shown at once
    flow.set_field("ssid", "Site")
    flow.set_field("password", "1234")
    assert flow.visible_errors == {"ssid": [], "password": []}  # still typing
    assert not flow.can_pair
    assert flow.begin() is None  # nothing to send; now every error shows
    assert "4 characters" in flow.visible_errors["password"][0]
    assert flow.page == WIFI
    flow.set_field("password", "p" * 64)
    assert flow.visible_errors["password"]
    flow.set_field("ssid", "Home-5GHz")
    flow.set_field("password", "correct-horse")
    assert flow.field_warnings["ssid"] and flow.can_pair


def test_a_run_then_pair_another_keeps_the_wifi():
    flow = PairingFlow(demo=True)
    flow.set_network(OFFICE)
    flow.set_demo_devices(DEVICES)
    flow.prefill_wifi("Site", "correct-horse", "remembered")
    assert flow.next()
    flow.set_field("name", "Light 4")
    assert flow.begin() == ("http://127.0.0.1:4001", "Site", "correct-horse", "Light 4")
    assert flow.page == PROGRESS and flow.running
    assert flow.retry() is None  # not while it runs
    assert flow.cancel() and not flow.cancel()  # once
    flow.cancelled()
    assert flow.retry() == ("http://127.0.0.1:4001", "Site", "correct-horse", "Light 4")
    flow.succeeded(PairingResult("1000ee0001", "Light 4", True, None), "Sonoff (Switch)")
    assert flow.page == RESULT and len(flow.paired) == 1

    flow.pair_another()
    assert flow.page == START and flow.result is None and flow.progress is None
    assert (flow.ssid, flow.password, flow.name) == ("Site", "correct-horse", "Light 5")
    assert flow.demo_device == "1000ee0002"  # the one just paired left pairing mode
    flow.prefill_wifi("Other", "other-password", "remembered")  # never over typed details
    assert flow.ssid == "Site"


def test_a_failure_keeps_the_details_for_editing():
    flow = PairingFlow(page=WIFI, ssid="Site", password="correct-horse")
    assert flow.begin() == (None, "Site", "correct-horse", "")
    flow.failed("send_wifi", "The device refused the Wi-Fi details.", "Check them.")
    assert flow.outcome == "failed" and not flow.running
    flow.edit_wifi()
    assert flow.page == WIFI and flow.ssid == "Site"
    flow.back()
    assert flow.page == START
