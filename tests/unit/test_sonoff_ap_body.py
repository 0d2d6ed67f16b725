"""What the simulated Sonoff accepts in `POST /ap` (the rules real firmware enforces)."""

import json

import pytest

from app.simulators.ewelink.ap_server import ApDetails, ApRequestError, parse_ap_body

GOOD = {"version": 4, "ssid": "Site", "password": "12345678", "serverName": "eu-disp.coolkit.cc", "port": 443}


def body(**overrides) -> bytes:
    return json.dumps({**GOOD, **overrides}).encode()


def test_good_body():
    assert parse_ap_body(body()) == ApDetails("Site", "12345678", "eu-disp.coolkit.cc", 443)


@pytest.mark.parametrize("ssid", ["a", "x" * 32, "é" * 16, "日本語のネットワーク"])  # 30 bytes
def test_ssid_up_to_32_bytes(ssid):
    assert parse_ap_body(body(ssid=ssid)).ssid == ssid


@pytest.mark.parametrize("ssid", ["x" * 33, "é" * 17, "日本語のネットワーク名"])  # 33 bytes
def test_ssid_over_32_bytes(ssid):
    with pytest.raises(ApRequestError, match="ssid too long"):
        parse_ap_body(body(ssid=ssid))


@pytest.mark.parametrize("password", ["", "8" * 8, "p" * 63, "pässwörd"])
def test_password_empty_or_8_to_63(password):
    assert parse_ap_body(body(password=password)).password == password


def test_missing_password_means_an_open_network():
    raw = json.dumps({k: v for k, v in GOOD.items() if k != "password"}).encode()
    assert parse_ap_body(raw).password == ""


@pytest.mark.parametrize("overrides, reason", [
    ({"password": "7" * 7}, "password must be empty"), ({"password": "p" * 64}, "password must be empty"),
    ({"password": 12345678}, "password must be a string"), ({"ssid": None}, "ssid missing"),
    ({"port": "443"}, "port must be an integer"), ({"port": 443.0}, "port must be an integer"),
    ({"port": 0}, "port out of range"), ({"serverName": "  "}, "serverName missing"),
])
def test_refusals(overrides, reason):
    with pytest.raises(ApRequestError, match=reason):
        parse_ap_body(body(**overrides))
