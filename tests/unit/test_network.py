"""Default gateway and interface detection (netifaces and the /proc/net/route fallback)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.core import network
from app.core.network import (Gateway, InterfaceAddress, LinuxProcBackend, NetifacesBackend,
                              NetworkView, parse_proc_route, snapshot)

HEADER = ("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n")


def route(iface, dest, gw, flags, metric, mask):
    return f"{iface}\t{dest}\t{gw}\t{flags}\t0\t0\t{metric}\t{mask}\t0\t0\t0\n"


def test_proc_route_default_gateway_is_little_endian_hex():
    text = HEADER + route("wlan0", "00000000", "01070A0A", "0003", 600, "00000000") \
        + route("wlan0", "00070A0A", "00000000", "0001", 600, "00FFFFFF")
    assert parse_proc_route(text) == Gateway("10.10.7.1", "wlan0")


def test_proc_route_picks_the_lowest_metric_and_ignores_down_or_gatewayless_routes():
    text = (HEADER
            + route("eth0", "00000000", "0101A8C0", "0003", 100, "00000000")   # 192.168.1.1
            + route("wlan0", "00000000", "01070A0A", "0003", 600, "00000000")  # 10.10.7.1
            + route("tun0", "00000000", "0100000A", "0002", 0, "00000000")     # not up
            + route("eth1", "00000000", "00000000", "0001", 0, "00000000"))    # no gateway flag
    assert parse_proc_route(text) == Gateway("192.168.1.1", "eth0")


def test_proc_route_without_a_default_route():
    assert parse_proc_route(HEADER + route("lo", "0000007F", "00000000", "0001", 0, "000000FF")) is None
    assert parse_proc_route("") is None
    assert parse_proc_route(HEADER + "garbage line\n") is None


def test_proc_backend_reads_the_route_file(tmp_path: Path):
    path = tmp_path / "route"
    path.write_text(HEADER + route("wlan0", "00000000", "01070A0A", "0003", 0, "00000000"))
    assert LinuxProcBackend(str(path)).default_gateway() == Gateway("10.10.7.1", "wlan0")
    assert LinuxProcBackend(str(tmp_path / "missing")).default_gateway() is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/net/route is Linux only")
def test_the_fallback_agrees_with_netifaces_on_this_machine():
    fallback, real = LinuxProcBackend(), NetifacesBackend()
    assert fallback.default_gateway() == real.default_gateway()
    mine = {(a.interface, a.address) for a in fallback.addresses()}
    theirs = {(a.interface, a.address) for a in real.addresses()}
    assert mine == theirs and ("lo", "127.0.0.1") in mine


class FakeBackend:
    name = "fake"

    def __init__(self, gateway, addresses, fail=False):
        self._gateway, self._addresses, self._fail = gateway, addresses, fail

    def default_gateway(self):
        if self._fail:
            raise RuntimeError("broken")
        return self._gateway

    def addresses(self):
        if self._fail:
            raise RuntimeError("broken")
        return self._addresses


def test_on_the_hotspot_the_gateway_is_the_device():
    view = snapshot(FakeBackend(Gateway("10.10.7.1", "wlan0"),
                                [InterfaceAddress("wlan0", "10.10.7.2", "255.255.255.0")]))
    assert view.on_hotspot and view.gateway_is_hotspot
    assert view.device_url() == "http://10.10.7.1"
    assert "wlan0" in view.describe() and "10.10.7.1" in view.describe()
    assert view.source == "fake"


def test_hotspot_on_one_adapter_default_route_on_another_is_named():
    view = snapshot(FakeBackend(Gateway("192.168.1.1", "eth0"),
                                [InterfaceAddress("eth0", "192.168.1.20", "255.255.255.0"),
                                 InterfaceAddress("wlan0", "10.10.7.3", "255.255.255.0")]))
    assert view.on_hotspot and not view.gateway_is_hotspot
    assert [a.interface for a in view.hotspot_addresses] == ["wlan0"]
    assert view.device_url() == "http://10.10.7.1"
    text = view.describe()
    assert "wlan0" in text and "eth0" in text and "wrong adapter" in text


def test_not_on_a_hotspot():
    view = snapshot(FakeBackend(Gateway("192.168.1.1", "eth0"),
                                [InterfaceAddress("eth0", "192.168.1.20", "255.255.255.0")]))
    assert not view.on_hotspot
    assert view.device_url() == "http://192.168.1.1"
    assert "Not on a device hotspot" in view.describe()


def test_no_network_at_all_and_a_broken_backend():
    for backend in (FakeBackend(None, []), FakeBackend(None, [], fail=True)):
        view = snapshot(backend)
        assert view.gateway is None and view.device_url() is None
        assert "no default gateway" in view.describe()


def test_interface_address_network():
    assert str(InterfaceAddress("wlan0", "10.10.7.9", "255.255.255.0").network) == "10.10.7.0/24"
    assert InterfaceAddress("x", "bogus").network is None
    assert network.in_hotspot("10.10.7.200") and not network.in_hotspot("10.10.8.1")
    assert not network.in_hotspot("not an ip")


def test_default_backend_is_netifaces_here():
    assert network.default_backend().name == "netifaces"


def test_default_backend_falls_back_when_netifaces_breaks(monkeypatch):
    def broken():
        raise ImportError("no wheel")

    monkeypatch.setattr(network, "NetifacesBackend", broken)
    expected = "/proc/net/route" if sys.platform.startswith("linux") else "none"
    assert network.default_backend().name == expected


def test_empty_network_view_describes_itself():
    assert NetworkView(gateway=None).describe().startswith("This laptop has no default gateway")
