"""Fault matrix row 9, eWeLink cloud: every parser of what the cloud sends, fuzzed.

Device JSON (`parse_device` and everything a `Device` derives from it, `apply` of reports,
`switch_params`), the device list reply, REST reply bodies and error bodies (`_decode`,
`_code`, `vendor_error`), websocket frames (the live channel's `_json` and
`_dispatch_message`, the handshake reply, command replies) and the simulator's own frame
parser. Each input either becomes a model or a SiteKit error, never another exception.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import SiteKitError
from app.simulators.ewelink.frames import parse_frame
from app.vendors.ewelink import client as client_module
from app.vendors.ewelink import live as live_module
from app.vendors.ewelink.client import EwelinkClient, Tokens, parse_device_list, vendor_error
from app.vendors.ewelink.live import EwelinkLive
from app.vendors.ewelink.models import Device, parse_device, switch_params

FUZZ = settings(max_examples=80, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# JSON as json.loads can produce it: NaN and the infinities included (Python accepts them),
# and integers beyond what a float holds.
scalars = (st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.just(10**400)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
           | st.sampled_from(["on", "off", "unavailable", "", "12.5", "1e400", "NaN"]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                           max_leaves=8)
keys = st.sampled_from(["deviceid", "name", "uiid", "online", "params", "apikey", "devicekey",
                        "brandName", "productModel", "extra", "tags", "switch", "switches",
                        "outlet", "power", "voltage", "current", "currentTemperature",
                        "currentHumidity", "actPow_00", "voltage_01", "ck_channel_name",
                        "error", "msg", "reason", "config", "hbInterval", "action",
                        "sequence", "devicelist", "data", "region"])
uiids = st.sampled_from([1, 2, 3, 4, 5, 6, 7, 8, 9, 14, 15, 32, 77, 78, 126, 190, 0, -1,
                         10**20, 10**400, "2", "x", None, 1.5, 2.0, math.inf, math.nan, True])
# Objects shaped like the cloud's, with any value in any place, nested one level.
flat = st.dictionaries(keys, json_values, max_size=6)
shaped = st.dictionaries(keys, json_values | flat | st.lists(flat, max_size=3), max_size=6)
switches = st.lists(st.fixed_dictionaries({}, optional={"switch": scalars, "outlet": scalars}),
                    max_size=5)
params = st.dictionaries(keys, json_values, max_size=5) | st.fixed_dictionaries(
    {"switches": switches}) | flat
devices = (st.builds(lambda base, uiid, p: {**base, "uiid": uiid, "params": p},
                     shaped, uiids, params) | shaped | json_values)
texts = (st.text(max_size=120) | st.binary(max_size=120).map(lambda b: b.decode("latin-1"))
         | json_values.map(lambda v: json.dumps(v, allow_nan=True))
         | shaped.map(lambda v: json.dumps(v, allow_nan=True)))


def _use(device: Device) -> None:
    """Everything the screens and the CLI read from a device."""
    assert isinstance(device.name, str) and isinstance(device.deviceid, str)
    device.kind, device.uses_switches_array, device.channel_count, device.readings
    for channel in device.channels:
        assert channel.on in (True, False, None)
    for outlet in (None, 0, 1, 3):
        try:
            params = switch_params(device, True, outlet)
        except SiteKitError:
            continue
        assert isinstance(params, dict) and params


def _client() -> EwelinkClient:
    return EwelinkClient(None, appid="fuzz", appsecret="fuzz",  # type: ignore[arg-type]
                         tokens=Tokens("at", "rt", "apikey", "eu", "fuzz@example.com"))


@FUZZ
@given(devices)
def test_ewelink_fuzz_parse_device(raw):
    _use(parse_device(raw))


@FUZZ
@given(devices, st.lists(params | json_values, max_size=3))
def test_ewelink_fuzz_device_reports(raw, reports):
    device = parse_device(raw)
    for report in reports:
        device.apply(report)
        _use(device)


@FUZZ
@given(json_values | shaped | st.fixed_dictionaries({"devicelist": st.lists(devices, max_size=3)}))
def test_ewelink_fuzz_device_list(reply):
    try:
        result = parse_device_list(reply)
    except SiteKitError:
        return
    for device in result:
        _use(device)


@FUZZ
@given(texts)
def test_ewelink_fuzz_rest_reply_text(text):
    reply = client_module._decode(text)
    assert reply is None or isinstance(reply, (dict, list))
    code = client_module._code(reply)
    assert code is None or isinstance(code, int)
    if isinstance(reply, dict):
        for call in ("login", "refresh", "bearer"):
            assert isinstance(vendor_error(reply, call=call, region="eu"), SiteKitError)


@FUZZ
@given(shaped)
def test_ewelink_fuzz_error_bodies(reply):
    for call in ("login", "refresh", "bearer"):
        error = vendor_error(reply, call=call, region="eu")
        assert isinstance(error, SiteKitError) and error.message and error.hint
    try:
        live_module._check_reply("1000aa0001", reply)
    except SiteKitError as error:
        assert error.message


@FUZZ
@given(shaped)
def test_ewelink_fuzz_handshake_reply(reply):
    try:
        interval = live_module.handshake_reply(reply)
    except (SiteKitError, live_module._HandshakeRefused):
        return
    assert live_module.MIN_HB_INTERVAL <= interval <= live_module.MAX_HB_INTERVAL


@pytest.fixture(scope="module")
def live_channel():
    live = EwelinkLive(_client())
    seen = []
    live.subscribe(seen.append)
    live.seen = seen
    return live


@FUZZ
@given(st.lists(texts, max_size=4))
def test_ewelink_fuzz_websocket_frames(live_channel, frames):
    for text in frames:
        frame = live_module._json(text)
        if frame is None:
            continue
        live_channel._dispatch_message(frame)  # never raises
    for event in live_channel.seen:
        assert isinstance(event.payload, dict)
    live_channel.seen.clear()


@FUZZ
@given(texts | st.binary(max_size=100))
def test_ewelink_fuzz_simulator_frames(data):
    frame = parse_frame(data)
    assert frame is None or isinstance(frame, dict)


@pytest.mark.parametrize("raw", [
    {"uiid": math.inf}, {"uiid": 10**400}, {"uiid": "9" * 5000},
    {"uiid": 5, "params": {"power": 10**400, "voltage": "1e400", "current": math.nan}},
    {"uiid": 4, "params": {"switches": [{"switch": "on", "outlet": math.inf}]}},
    {"uiid": 9999, "params": {"switches": [{"switch": "on", "outlet": 10**400}]}},
    {"tags": {"ck_channel_name": {"1e400": "x", "inf": "y"}}, "extra": {"extra": {"uiid": -math.inf}}},
])
def test_ewelink_fuzz_pathological_devices(raw):
    device = parse_device(raw)
    _use(device)
    device.apply(raw.get("params") or {"switches": [{"outlet": math.nan}]})
    _use(device)


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a":' * 100_000, "1" * 5000,
                                  '{"error": 1e999}', '{"error": "9' + "9" * 5000 + '"}',
                                  '{"error": -Infinity}', '{"error": NaN}'])
def test_ewelink_fuzz_pathological_replies(text):
    reply = client_module._decode(text)
    client_module._code(reply)
    assert live_module._json(text) is None or isinstance(live_module._json(text), dict)
    assert parse_frame(text) is None or isinstance(parse_frame(text), dict)
    if isinstance(reply, dict):
        assert isinstance(vendor_error(reply, call="bearer"), SiteKitError)
        with pytest.raises(SiteKitError):
            live_module._check_reply("1000aa0001", reply)
