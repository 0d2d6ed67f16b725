"""Simulated device behaviour by `uiid`: default params, what a command may set, how a
report merges into the state, and the slow drift of sensor and power readings.

Kinds follow CoolKit's UIIDProtocol (see /work/shared/protocol-notes.md):
- switch (uiid 1, 6, 14): `switch`, `startup`, `pulse`, `pulseWidth` (500..3,600,000 ms in
  500 ms steps), `sledOnline`;
- multi_switch (2, 3, 4 and 7, 8, 9 with 2/3/4 outlets; 77, 78 with one): `switches`,
  `configure`, `pulses` (arrays of per-outlet objects; partial arrays are merged by
  `outlet`), `sledOnline`;
- power_plug (5 POW, 32 POWR2): `switch`, `startup`, `sledOnline`; `power`, `voltage`,
  `current` are read-only strings;
- sensor (15 TH10/TH16): `switch`, `mainSwitch`, `deviceType`, `startup`, `sledOnline`;
  `currentTemperature` / `currentHumidity` are read-only strings.
Read-only or unknown keys in a command are refused (400): that is what makes a wrong
command visible in tests. Unknown uiids accept any params object (they degrade to raw
params in the client too).
"""

from __future__ import annotations

import copy
import random
from typing import Any, NamedTuple


class InvalidParams(ValueError):
    """A command's params do not fit the device kind (the websocket answers 400)."""


class CatalogueEntry(NamedTuple):
    model: str
    ui: str
    product_model: str


_SWITCH_UIIDS = {1, 6, 14}
_MULTI_OUTLETS = {2: 2, 3: 3, 4: 4, 7: 2, 8: 3, 9: 4, 77: 1, 78: 1}
_POWER_UIIDS = {5, 32}
_SENSOR_UIIDS = {15}

_CATALOGUE = {
    1: CatalogueEntry("PSF-B01-GL", "Single Channel Switch", "BASICR2"),
    6: CatalogueEntry("PSF-B85-GL", "Single Channel Switch", "T1EU1C"),
    14: CatalogueEntry("PSF-B01-GL", "Single Channel Switch", "BASICR2"),
    2: CatalogueEntry("PSF-B67-GL", "Double Channel Switch", "T1EU2C"),
    3: CatalogueEntry("PSF-B67-GL", "Three Channel Switch", "T1EU3C"),
    4: CatalogueEntry("PSF-B04-GL", "Four Channel Switch", "4CHR3"),
    5: CatalogueEntry("PSF-A04-GL", "Power Detection Socket Switch", "POW"),
    32: CatalogueEntry("PSF-BPB-GL", "Power Detection Socket Switch", "POWR2"),
    15: CatalogueEntry("PSA-BHA-GL", "Temperature And Humidity Monitoring Switch", "TH16"),
}

ON_OFF = ("on", "off")
STARTUP = ("on", "off", "stay")
SENSOR_MODES = ("normal", "temperature", "humidity")
PULSE_MIN_MS, PULSE_MAX_MS, PULSE_STEP_MS = 500, 3_600_000, 500

# The plug's load when on, and the mains it sits on: drift wanders around these.
PLUG_LOAD_W = 1250.0
MAINS_V = 230.0


def kind_of(uiid: int) -> str:
    if uiid in _SWITCH_UIIDS:
        return "switch"
    if uiid in _MULTI_OUTLETS:
        return "multi_switch"
    if uiid in _POWER_UIIDS:
        return "power_plug"
    if uiid in _SENSOR_UIIDS:
        return "sensor"
    return "unknown"


def outlet_count(uiid: int) -> int:
    return _MULTI_OUTLETS.get(uiid, 0)


def catalogue(uiid: int) -> CatalogueEntry:
    return _CATALOGUE.get(uiid, CatalogueEntry("", "Unknown", f"uiid {uiid}"))


def copy_params(params: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(params)


def default_params(deviceid: str, uiid: int) -> dict[str, Any]:
    """What a freshly paired device of this uiid reports."""
    mac = ":".join(deviceid[i:i + 2] for i in range(0, 10, 2)).upper() + ":E1"
    common = {"sledOnline": "on", "fwVersion": "3.6.0", "rssi": -55, "staMac": mac, "init": 1,
              "version": 8}
    kind = kind_of(uiid)
    if kind == "switch":
        return {"switch": "off", "startup": "off", "pulse": "off", "pulseWidth": 500, **common}
    if kind == "multi_switch":
        outlets = range(outlet_count(uiid))
        return {
            "switches": [{"switch": "off", "outlet": i} for i in outlets],
            "configure": [{"startup": "off", "outlet": i} for i in outlets],
            "pulses": [{"pulse": "off", "width": 1000, "outlet": i} for i in outlets],
            **common, "rssi": -61,
        }
    if kind == "power_plug":
        current = PLUG_LOAD_W / MAINS_V
        return {"switch": "on", "startup": "stay", **common, "rssi": -58,
                "power": f"{PLUG_LOAD_W:.2f}", "voltage": f"{MAINS_V:.2f}", "current": f"{current:.2f}"}
    if kind == "sensor":
        return {"switch": "off", "mainSwitch": "off", "deviceType": "normal", "startup": "off",
                "sensorType": "AM2301", "currentTemperature": "19.4", "currentHumidity": "52",
                **common, "rssi": -64}
    return {**common}


# ----- validation -------------------------------------------------------------------------

def _choice(allowed: tuple[str, ...]):
    def check(key: str, value: Any) -> str:
        if value not in allowed:
            raise InvalidParams(f"{key} must be one of {', '.join(allowed)}")
        return value
    return check


def _pulse_width(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParams(f"{key} must be an integer number of milliseconds")
    if not PULSE_MIN_MS <= value <= PULSE_MAX_MS or value % PULSE_STEP_MS:
        raise InvalidParams(f"{key} must be {PULSE_MIN_MS}..{PULSE_MAX_MS} ms in {PULSE_STEP_MS} ms steps")
    return value


def _outlet_array(item_checks: dict[str, Any]):
    """An array of per-outlet objects; partial arrays are fine, repeated outlets are not."""
    def check(key: str, value: Any, outlets: int) -> list[dict[str, Any]]:
        if not isinstance(value, list) or not value:
            raise InvalidParams(f"{key} must be a non-empty array")
        seen: set[int] = set()
        items = []
        for item in value:
            if not isinstance(item, dict):
                raise InvalidParams(f"{key} items must be objects")
            outlet = item.get("outlet")
            if isinstance(outlet, bool) or not isinstance(outlet, int) or not 0 <= outlet < outlets:
                raise InvalidParams(f"{key}: outlet must be 0..{outlets - 1}")
            if outlet in seen:
                raise InvalidParams(f"{key}: outlet {outlet} given twice")
            seen.add(outlet)
            extra = set(item) - set(item_checks) - {"outlet"}
            if extra:
                raise InvalidParams(f"{key}: unknown field {sorted(extra)[0]}")
            clean = {}
            for field_name, field_check in item_checks.items():
                if field_name not in item:
                    raise InvalidParams(f"{key}: missing {field_name}")
                clean[field_name] = field_check(f"{key}.{field_name}", item[field_name])
            clean["outlet"] = outlet
            items.append(clean)
        return items
    return check


_SCALARS = {
    "switch": _choice(ON_OFF),
    "mainSwitch": _choice(ON_OFF),
    "pulse": _choice(ON_OFF),
    "sledOnline": _choice(ON_OFF),
    "startup": _choice(STARTUP),
    "pulseWidth": _pulse_width,
    "deviceType": _choice(SENSOR_MODES),
}
_ARRAYS = {
    "switches": _outlet_array({"switch": _choice(ON_OFF)}),
    "configure": _outlet_array({"startup": _choice(STARTUP)}),
    "pulses": _outlet_array({"pulse": _choice(ON_OFF), "width": _pulse_width}),
}
_WRITABLE = {
    "switch": {"switch", "startup", "pulse", "pulseWidth", "sledOnline"},
    "multi_switch": {"switches", "configure", "pulses", "sledOnline"},
    "power_plug": {"switch", "startup", "sledOnline"},
    "sensor": {"switch", "mainSwitch", "deviceType", "startup", "sledOnline"},
}


def validate(uiid: int, params: Any) -> dict[str, Any]:
    """The command's params, checked for this uiid (raises InvalidParams)."""
    if not isinstance(params, dict) or not params:
        raise InvalidParams("params must be a non-empty object")
    kind = kind_of(uiid)
    if kind == "unknown":
        return copy_params(params)
    clean: dict[str, Any] = {}
    for key, value in params.items():
        if key not in _WRITABLE[kind]:
            raise InvalidParams(f"{key} cannot be set on a uiid {uiid} device")
        if key in _ARRAYS:
            clean[key] = _ARRAYS[key](key, value, outlet_count(uiid))
        else:
            clean[key] = _SCALARS[key](key, value)
    return clean


# ----- applying reports -------------------------------------------------------------------

def apply(uiid: int, state: dict[str, Any], params: dict[str, Any]) -> None:
    """Merge params into the device state: scalars replace, outlet arrays merge by outlet."""
    for key, value in params.items():
        current = state.get(key)
        if isinstance(value, list) and isinstance(current, list) and _is_outlet_array(value):
            by_outlet = {item.get("outlet"): dict(item) for item in current if isinstance(item, dict)}
            for item in value:
                by_outlet.setdefault(item["outlet"], {}).update(copy.deepcopy(item))
            state[key] = [by_outlet[o] for o in sorted(by_outlet, key=lambda o: (o is None, o))]
        else:
            state[key] = copy.deepcopy(value)
    if kind_of(uiid) == "power_plug" and "switch" in params:
        # No load through an open relay; the load comes back (and drifts) when closed.
        if params["switch"] == "off":
            state["power"], state["current"] = "0.00", "0.00"
        else:
            volts = _float(state.get("voltage"), MAINS_V)
            state["power"], state["current"] = f"{PLUG_LOAD_W:.2f}", f"{PLUG_LOAD_W / volts:.2f}"


def _is_outlet_array(value: list[Any]) -> bool:
    return all(isinstance(item, dict) and "outlet" in item for item in value)


def _float(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


# ----- live drift -------------------------------------------------------------------------

def drift(uiid: int, state: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The next reading of a sensor or plug (a small random walk); {} for other kinds."""
    kind = kind_of(uiid)
    if kind == "sensor":
        temp = _float(state.get("currentTemperature"), 19.4) + rng.uniform(-0.3, 0.3)
        hum = _float(state.get("currentHumidity"), 52) + rng.choice((-1, 0, 0, 1))
        temp = min(28.0, max(12.0, temp))
        hum = min(75, max(30, int(hum)))
        return {"currentTemperature": f"{temp:.1f}", "currentHumidity": str(hum)}
    if kind == "power_plug":
        volts = min(240.0, max(220.0, _float(state.get("voltage"), MAINS_V) + rng.uniform(-0.8, 0.8)))
        if state.get("switch") != "on":
            return {"power": "0.00", "voltage": f"{volts:.2f}", "current": "0.00"}
        watts = PLUG_LOAD_W * rng.uniform(0.95, 1.05)
        return {"power": f"{watts:.2f}", "voltage": f"{volts:.2f}", "current": f"{watts / volts:.2f}"}
    return {}
