"""Device rules of the eWeLink simulator: what a command may set, how reports merge."""

import random

import pytest

from app.simulators.ewelink import devices


def test_kinds_by_uiid():
    assert [devices.kind_of(u) for u in (1, 6, 14, 2, 3, 4, 77, 5, 32, 15, 9999)] == [
        "switch", "switch", "switch", "multi_switch", "multi_switch", "multi_switch", "multi_switch",
        "power_plug", "power_plug", "sensor", "unknown"]
    assert [devices.outlet_count(u) for u in (2, 3, 4, 7, 8, 9, 77)] == [2, 3, 4, 2, 3, 4, 1]


def test_validate_accepts_good_commands():
    assert devices.validate(1, {"switch": "on", "pulseWidth": 1500, "startup": "stay"}) == {
        "switch": "on", "pulseWidth": 1500, "startup": "stay"}
    assert devices.validate(4, {"switches": [{"outlet": 3, "switch": "off"}]}) == {
        "switches": [{"switch": "off", "outlet": 3}]}
    assert devices.validate(2, {"pulses": [{"pulse": "on", "width": 500, "outlet": 1}]})
    assert devices.validate(15, {"mainSwitch": "on", "deviceType": "temperature"})
    assert devices.validate(9999, {"anything": [1, 2]}) == {"anything": [1, 2]}


@pytest.mark.parametrize("uiid, params", [
    (1, None), (1, []), (1, {}), (1, {"switch": True}), (1, {"rssi": -40}), (1, {"pulseWidth": 499}),
    (1, {"pulseWidth": 3_600_500}), (1, {"pulseWidth": "500"}),
    (2, {"switches": []}), (2, {"switches": [{"switch": "on"}]}), (2, {"switches": [{"switch": "on", "outlet": -1}]}),
    (2, {"switches": [{"switch": "on", "outlet": 0}, {"switch": "off", "outlet": 0}]}),
    (2, {"switches": [{"switch": "on", "outlet": 0, "extra": 1}]}), (2, {"switches": "on"}),
    (3, {"configure": [{"startup": "maybe", "outlet": 0}]}),
    (32, {"voltage": "230"}), (15, {"currentTemperature": "20"}), (15, {"deviceType": "auto"}),
])
def test_validate_refuses_bad_commands(uiid, params):
    with pytest.raises(devices.InvalidParams):
        devices.validate(uiid, params)


def test_apply_merges_outlet_arrays_and_keeps_other_keys():
    state = devices.default_params("1000aa0003", 3)
    devices.apply(3, state, {"switches": [{"switch": "on", "outlet": 2}], "sledOnline": "off"})
    assert state["switches"] == [{"switch": "off", "outlet": 0}, {"switch": "off", "outlet": 1},
                                 {"switch": "on", "outlet": 2}]
    assert state["sledOnline"] == "off" and len(state["configure"]) == 3


def test_plug_load_follows_its_relay():
    state = devices.default_params("1000aa0005", 32)
    devices.apply(32, state, {"switch": "off"})
    assert (state["power"], state["current"]) == ("0.00", "0.00")
    devices.apply(32, state, {"switch": "on"})
    assert float(state["power"]) > 1000 and float(state["current"]) > 1


def test_drift_is_a_small_walk_in_strings():
    rng = random.Random(1)
    sensor = devices.default_params("1000aa0006", 15)
    for _ in range(200):
        changes = devices.drift(15, sensor, rng)
        devices.apply(15, sensor, changes)
        assert 12.0 <= float(changes["currentTemperature"]) <= 28.0
        assert 30 <= int(changes["currentHumidity"]) <= 75
    plug = devices.default_params("1000aa0005", 32)
    reading = devices.drift(32, plug, rng)
    assert all(isinstance(reading[k], str) for k in ("power", "voltage", "current"))
    assert devices.drift(1, devices.default_params("1000aa0001", 1), rng) == {}
