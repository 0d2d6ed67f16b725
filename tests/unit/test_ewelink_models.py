"""Device parsing by uiid, readings, report merging and switch commands."""

import pytest

from app.core.errors import SiteKitError
from app.vendors.ewelink.models import Channel, UnsupportedCommand, parse_device, switch_params


def raw(uiid, params, **extra):
    base = {
        "name": "Test device", "deviceid": "1000abcdef", "apikey": "owner-apikey",
        "devicekey": "device-key", "uiid": uiid, "online": True, "params": params,
        "extra": {"extra": {"uiid": uiid, "model": "PSA-B01-GL"}},
        "brandName": "SONOFF", "productModel": "BASICR2",
    }
    base.update(extra)
    return base


def four_gang(states=("off", "off", "off", "off")):
    return [{"switch": s, "outlet": i} for i, s in enumerate(states)]


# -- parsing ----------------------------------------------------------------------------

@pytest.mark.parametrize("uiid", [1, 6, 14])
def test_single_channel_switch(uiid):
    device = parse_device(raw(uiid, {"switch": "on", "startup": "off", "sledOnline": "on"}))
    assert device.kind == "switch"
    assert device.channels == [Channel(0, "Test device", True)]
    assert switch_params(device, False) == {"switch": "off"}
    assert device.readings == {}


def test_fields_come_through():
    device = parse_device(raw(1, {"switch": "off"}))
    assert (device.deviceid, device.name, device.uiid, device.online) == (
        "1000abcdef", "Test device", 1, True)
    assert (device.apikey, device.devicekey, device.brand, device.model) == (
        "owner-apikey", "device-key", "SONOFF", "BASICR2")


@pytest.mark.parametrize("uiid,count", [(2, 2), (3, 3), (4, 4), (7, 2), (8, 3), (9, 4)])
def test_multi_channel_count_comes_from_uiid_not_from_the_report(uiid, count):
    # Real multi-gang devices report four entries whatever their gang count.
    device = parse_device(raw(uiid, {"switches": four_gang(("on", "off", "on", "on"))}))
    assert device.kind == "multi_switch"
    assert [c.outlet for c in device.channels] == list(range(count))
    assert [c.on for c in device.channels] == [True, False, True, True][:count]
    assert device.channels[0].name == "Channel 1"


@pytest.mark.parametrize("uiid", [77, 78])
def test_single_channel_in_multi_shape(uiid):
    device = parse_device(raw(uiid, {"switches": four_gang(("on", "off", "off", "off"))}))
    assert device.kind == "switch"
    assert device.channels == [Channel(0, "Test device", True)]
    assert switch_params(device, False) == {"switches": [{"switch": "off", "outlet": 0}]}


@pytest.mark.parametrize("uiid", [5, 32])
def test_power_plug_string_values(uiid):
    device = parse_device(raw(uiid, {"switch": "on", "power": "1200.55", "voltage": "231.20",
                                     "current": "5.19"}))
    assert device.kind == "power_plug"
    assert device.readings == {"power_w": 1200.55, "voltage_v": 231.2, "current_a": 5.19}
    assert device.channels[0].on is True
    assert switch_params(device, False) == {"switch": "off"}


def test_sensor_strings_and_unavailable():
    device = parse_device(raw(15, {"switch": "off", "currentTemperature": "21.4",
                                   "currentHumidity": "unavailable"}))
    assert device.kind == "sensor"
    assert device.readings == {"temperature_c": 21.4}
    assert device.channels[0].on is False


def test_sensor_without_relay_has_nothing_to_switch():
    device = parse_device(raw(15, {"currentTemperature": "19"}))
    assert device.channels == []
    with pytest.raises(UnsupportedCommand):
        switch_params(device, True)


def test_powr3_integers_are_hundredths():
    device = parse_device(raw(190, {"switch": "on", "power": 12345, "voltage": 23012,
                                    "current": 537}))
    assert device.kind == "power_plug"
    assert device.readings == {"power_w": 123.45, "voltage_v": 230.12, "current_a": 5.37}


def test_dual_r3_two_channels_and_per_outlet_readings():
    device = parse_device(raw(126, {
        "switches": four_gang(("on", "off", "off", "off")),
        "actPow_00": 10050, "actPow_01": 2000, "voltage_00": 23000, "voltage_01": 23010,
        "current_00": 44, "current_01": 9}))
    assert device.kind == "multi_switch"
    assert [c.on for c in device.channels] == [True, False]
    readings = device.readings
    assert readings["power_w_0"] == 100.5 and readings["power_w_1"] == 20.0
    assert readings["power_w"] == 120.5
    assert readings["voltage_v"] == 230.0
    assert readings["current_a"] == 0.53


@pytest.mark.parametrize("params", [
    {"colorR": 255, "mode": "x"},
    {},
    {"switch": "on", "temperature": "junk"},
])
def test_unknown_uiid_keeps_raw_params(params):
    device = parse_device(raw(9999, params))
    assert device.kind == "unknown"
    assert device.params == params
    assert isinstance(device.readings, dict)


def test_unknown_uiid_with_a_switch_can_still_be_switched():
    single = parse_device(raw(181, {"switch": "off"}))
    assert single.kind == "unknown"
    assert switch_params(single, True) == {"switch": "on"}
    multi = parse_device(raw(1234, {"switches": four_gang()[:2]}))
    assert [c.outlet for c in multi.channels] == [0, 1]
    assert switch_params(multi, True, outlet=1) == {"switches": [{"switch": "on", "outlet": 1}]}


@pytest.mark.parametrize("junk", [
    {},
    {"deviceid": 12345, "uiid": "abc", "params": "nope", "extra": "x", "online": "yes"},
    {"deviceid": "x", "extra": {"extra": {"uiid": "2"}}, "params": {"switches": "bad"}},
    {"deviceid": "x", "uiid": True, "params": None, "tags": {"ck_channel_name": "bad"}},
    "not even a dict",
])
def test_parse_never_fails(junk):
    device = parse_device(junk)
    assert isinstance(device.kind, str)
    assert isinstance(device.channels, list)
    assert isinstance(device.readings, dict)
    assert device.online is False


def test_uiid_from_extra_when_top_level_missing():
    data = raw(4, {"switches": four_gang()})
    del data["uiid"]
    assert parse_device(data).uiid == 4
    assert parse_device({"extra": {"extra": {"uiid": "2"}}}).kind == "multi_switch"


def test_channel_names_from_tags():
    device = parse_device(raw(2, {"switches": four_gang()}, tags={
        "ck_channel_name": {"0": "Hall", "1": " "}}))
    assert [c.name for c in device.channels] == ["Hall", "Channel 2"]


# -- reports ----------------------------------------------------------------------------

def test_apply_merges_partial_switches_by_outlet():
    device = parse_device(raw(4, {"switches": four_gang(), "configure": []}))
    device.apply({"switches": [{"switch": "on", "outlet": 2}]})
    assert [c.on for c in device.channels] == [False, False, True, False]
    assert device.params["configure"] == []
    device.apply({"switches": [{"switch": "on", "outlet": 0}, {"switch": "off", "outlet": 2}]})
    assert [c.on for c in device.channels] == [True, False, False, False]
    assert len(device.params["switches"]) == 4


def test_apply_to_a_device_that_never_reported_switches():
    device = parse_device(raw(2, {}))
    assert [c.on for c in device.channels] == [None, None]
    device.apply({"switches": [{"switch": "on", "outlet": 1}]})
    assert [c.on for c in device.channels] == [None, True]


def test_apply_plain_params_and_readings():
    device = parse_device(raw(32, {"switch": "off", "power": "0"}))
    device.apply({"switch": "on", "power": "815.2"})
    assert device.channels[0].on is True
    assert device.readings["power_w"] == 815.2


def test_apply_online_flag_from_sysmsg():
    device = parse_device(raw(1, {"switch": "off"}))
    device.apply({"online": False})
    assert device.online is False
    assert "online" not in device.params


def test_apply_ignores_junk():
    device = parse_device(raw(4, {"switches": four_gang()}))
    device.apply(None)
    device.apply({"switches": [{"switch": "on"}, "x", {"outlet": "bad"}]})
    assert [c.on for c in device.channels] == [False] * 4


# -- commands ---------------------------------------------------------------------------

def test_switch_one_outlet_and_all_outlets():
    device = parse_device(raw(3, {"switches": four_gang()}))
    assert switch_params(device, True, outlet=2) == {"switches": [{"switch": "on", "outlet": 2}]}
    assert switch_params(device, False) == {"switches": [
        {"switch": "off", "outlet": 0}, {"switch": "off", "outlet": 1},
        {"switch": "off", "outlet": 2}]}


def test_switch_a_missing_outlet_is_a_readable_error():
    device = parse_device(raw(2, {"switches": four_gang()}))
    with pytest.raises(UnsupportedCommand) as caught:
        switch_params(device, True, outlet=3)
    assert isinstance(caught.value, SiteKitError)
    assert "no outlet 3" in caught.value.message
    single = parse_device(raw(1, {"switch": "off"}))
    assert switch_params(single, True, outlet=0) == {"switch": "on"}
    with pytest.raises(UnsupportedCommand):
        switch_params(single, True, outlet=1)
