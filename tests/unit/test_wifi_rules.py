"""Wi-Fi details a Sonoff will take: SSID bytes, password length, 5 GHz warnings."""

from __future__ import annotations

import pytest

from app.vendors.ewelink.ap_device import WIFI_REMINDER, check_wifi


@pytest.mark.parametrize("ssid", ["a", "SiteKit-Demo", "x" * 32, "é" * 16, "日本" * 5 + "ab",
                                  "📶" * 8])
def test_ssids_up_to_32_utf8_bytes_pass(ssid):
    assert len(ssid.encode()) <= 32
    assert check_wifi(ssid, "password1").ok


@pytest.mark.parametrize("ssid, size", [("x" * 33, 33), ("é" * 17, 34), ("日本語" * 4, 36),
                                        ("📶" * 9, 36), ("Café-" + "x" * 27, 33)])
def test_ssids_over_32_bytes_fail_and_say_bytes(ssid, size):
    result = check_wifi(ssid, "password1")
    assert not result.ok
    assert f"{size} bytes" in result.errors[0] and "32" in result.errors[0]


def test_multibyte_ssid_error_explains_why_the_count_is_bigger():
    error = check_wifi("é" * 17, "password1").errors[0]
    assert "2 to 4 bytes" in error
    assert "2 to 4 bytes" not in check_wifi("x" * 33, "password1").errors[0]


def test_empty_ssid_fails():
    result = check_wifi("", "password1")
    assert not result.ok and "SSID" in result.errors[0]


@pytest.mark.parametrize("password", ["", "12345678", "x" * 63, "pässwörd", "p" * 8 + " " * 2])
def test_empty_or_8_to_63_characters_pass(password):
    assert check_wifi("Site", password).ok


@pytest.mark.parametrize("password", ["1234567", "x", "x" * 64, "ö" * 7])
def test_other_password_lengths_fail(password):
    result = check_wifi("Site", password)
    assert not result.ok
    assert f"{len(password)} characters" in result.errors[0] and "8 to 63" in result.errors[0]


def test_password_length_counts_characters_not_bytes():
    # 8 characters, 16 bytes: WPA passphrase rules count characters.
    assert check_wifi("Site", "ö" * 8).ok


def test_both_wrong_gives_both_errors():
    assert len(check_wifi("x" * 40, "short").errors) == 2


@pytest.mark.parametrize("ssid", ["Home-5G", "Office_5GHz", "net 5 GHz", "Wifi5G", "5G",
                                  "Shop-5G-Ext", "cafe_5ghz"])
def test_5ghz_looking_names_warn_but_pass(ssid):
    result = check_wifi(ssid, "password1")
    assert result.ok
    assert any("5 GHz" in w and "2.4 GHz" in w for w in result.warnings)


@pytest.mark.parametrize("ssid", ["Home", "Route25G", "5Guest", "SiteKit-Demo", "G5"])
def test_other_names_do_not_warn_about_5ghz(ssid):
    assert not any("5 GHz" in w for w in check_wifi(ssid, "password1").warnings)


def test_empty_password_is_allowed_with_a_warning():
    result = check_wifi("Open", "")
    assert result.ok and any("open network" in w for w in result.warnings)


def test_non_ascii_password_and_spaces_in_the_name_warn():
    result = check_wifi(" Site ", "pässwörd")
    assert result.ok
    assert any("space" in w for w in result.warnings)
    assert any("ASCII" in w for w in result.warnings)


def test_plain_good_details_have_no_warnings():
    assert check_wifi("SiteKit-Demo", "correct-horse") == check_wifi("SiteKit-Demo", "correct-horse")
    assert check_wifi("SiteKit-Demo", "correct-horse").warnings == ()
    assert "2.4 GHz" in WIFI_REMINDER
