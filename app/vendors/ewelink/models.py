"""What the eWeLink cloud says about a device, in a shape the rest of SiteKit can use.

The cloud sends one loose JSON object per device; what its `params` mean depends on
the device's `uiid` (CoolKit's UIIDProtocol). We know a handful of uiids well (see
`KINDS`); everything else is kept as raw params so a device we have never seen still
shows up, with its name and online state, instead of breaking the device list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from app.core.errors import SiteKitError

# uiid -> (kind, number of channels). Multi-channel devices often report four entries in
# `switches` whatever their gang count, so the count comes from the uiid, not the list.
SINGLE_SWITCH = {1: 1, 6: 1, 14: 1}
MULTI_SWITCH = {2: 2, 3: 3, 4: 4, 7: 2, 8: 3, 9: 4}
# One relay, but spoken in the multi-channel shape (`switches`, outlet 0).
SINGLE_IN_MULTI_SHAPE = {77: 1, 78: 1}
# POW (5) and POWR2 (32): `power`, `voltage`, `current` as strings.
POWER_PLUG_STRINGS = {5, 32}
# TH10/TH16: `currentTemperature` / `currentHumidity` strings, maybe "unavailable".
SENSOR = {15}
# DualR3 (126, two channels) and POWR3 (190): integers in hundredths.
DUAL_R3 = 126
POWR3 = 190

KINDS = ("switch", "multi_switch", "power_plug", "sensor", "unknown")


class UnsupportedCommand(SiteKitError, ValueError):
    """The device cannot do what was asked (no such outlet, nothing to switch)."""


@dataclass(frozen=True)
class Channel:
    outlet: int  # the vendor's outlet number (0-based, as in `switches`)
    name: str
    on: bool | None  # None when the device has not reported this channel


@dataclass
class Device:
    deviceid: str
    name: str
    uiid: int | None
    online: bool
    params: dict[str, Any] = field(default_factory=dict)
    apikey: str = ""  # the owner's user apikey (what `update` must carry for shared devices)
    devicekey: str = ""  # the device's own key (LAN encryption)
    brand: str = ""
    model: str = ""
    # Per-outlet names from the app (`tags.ck_channel_name`), when the user set them.
    channel_names: dict[int, str] = field(default_factory=dict)

    # -- what kind of thing this is -------------------------------------------------------

    @property
    def kind(self) -> str:
        uiid = self.uiid
        if uiid in SINGLE_SWITCH or uiid in SINGLE_IN_MULTI_SHAPE:
            return "switch"
        if uiid in MULTI_SWITCH or uiid == DUAL_R3:
            return "multi_switch"
        if uiid in POWER_PLUG_STRINGS or uiid == POWR3:
            return "power_plug"
        if uiid in SENSOR:
            return "sensor"
        return "unknown"

    @property
    def uses_switches_array(self) -> bool:
        """True when commands and reports use `switches` rather than `switch`."""
        if self.uiid in MULTI_SWITCH or self.uiid in SINGLE_IN_MULTI_SHAPE or self.uiid == DUAL_R3:
            return True
        if self.kind == "unknown":
            # Unknown uiid: follow what the device itself reports.
            return "switches" in self.params and "switch" not in self.params
        return False

    @property
    def channel_count(self) -> int:
        uiid = self.uiid
        if uiid in MULTI_SWITCH:
            return MULTI_SWITCH[uiid]
        if uiid == DUAL_R3:
            return 2
        if uiid in SINGLE_SWITCH or uiid in SINGLE_IN_MULTI_SHAPE:
            return 1
        if self.kind == "power_plug":
            return 1
        if self.kind == "sensor":
            # A TH10/16 drives a relay; a bare sensor variant has nothing to switch.
            return 1 if "switch" in self.params else 0
        # Unknown: best effort from the report, so a new relay model can still be switched.
        if self.uses_switches_array:
            return len(_switch_entries(self.params))
        return 1 if "switch" in self.params else 0

    @property
    def channels(self) -> list[Channel]:
        count = self.channel_count
        if count == 0:
            return []
        if self.uses_switches_array:
            states = _switch_entries(self.params)
            outlets = range(count) if self.kind != "unknown" else sorted(states)
            return [Channel(outlet, self._channel_name(outlet, count), _on_off(states.get(outlet)))
                    for outlet in outlets]
        return [Channel(0, self._channel_name(0, 1), _on_off(self.params.get("switch")))]

    def _channel_name(self, outlet: int, count: int) -> str:
        if outlet in self.channel_names:
            return self.channel_names[outlet]
        return self.name if count == 1 else f"Channel {outlet + 1}"

    @property
    def readings(self) -> dict[str, float]:
        """Measured values as floats, keyed with their unit; absent when not reported."""
        p = self.params
        out: dict[str, float] = {}
        if self.uiid == DUAL_R3:
            # Per outlet: actPow_00, voltage_00, current_00 … in hundredths.
            total_power = total_current = 0.0
            seen_power = seen_current = False
            for outlet in range(2):
                suffix = f"_{outlet:02d}"
                power = _number(p.get("actPow" + suffix), 0.01)
                voltage = _number(p.get("voltage" + suffix), 0.01)
                current = _number(p.get("current" + suffix), 0.01)
                if power is not None:
                    out[f"power_w_{outlet}"] = power
                    total_power += power
                    seen_power = True
                if current is not None:
                    out[f"current_a_{outlet}"] = current
                    total_current += current
                    seen_current = True
                if voltage is not None:
                    out.setdefault("voltage_v", voltage)
            if seen_power:
                out["power_w"] = round(total_power, 2)
            if seen_current:
                out["current_a"] = round(total_current, 2)
            return out
        scale = 0.01 if self.uiid == POWR3 else 1.0
        for key, name in (("power", "power_w"), ("voltage", "voltage_v"), ("current", "current_a")):
            value = _number(p.get(key), scale)
            if value is not None:
                out[name] = value
        for key, name in (("currentTemperature", "temperature_c"),
                          ("currentHumidity", "humidity_pct")):
            value = _number(p.get(key))
            if value is not None:
                out[name] = value
        return out

    # -- reports ----------------------------------------------------------------------

    def apply(self, params: Mapping[str, Any] | None) -> None:
        """Merge a report (websocket push, query reply or our own command) into `params`.

        `switches` may be partial (only the outlets that changed): entries are merged by
        outlet. An `online` flag (the payload of a `sysmsg`) sets `online` instead.
        """
        if not isinstance(params, Mapping):
            return
        for key, value in params.items():
            if key == "online" and isinstance(value, bool):
                self.online = value
            elif key == "switches" and isinstance(value, list):
                self.params["switches"] = _merge_switches(self.params.get("switches"), value)
            else:
                self.params[key] = value


def parse_device(raw: Mapping[str, Any]) -> Device:
    """One entry of the cloud's device list -> `Device`. Never raises on odd input."""
    if not isinstance(raw, Mapping):
        raw = {}
    extra = raw.get("extra")
    inner = extra.get("extra") if isinstance(extra, Mapping) else None
    inner = inner if isinstance(inner, Mapping) else {}
    uiid = _int(raw.get("uiid"))
    if uiid is None:
        uiid = _int(inner.get("uiid"))
    params = raw.get("params")
    params = dict(params) if isinstance(params, Mapping) else {}
    deviceid = str(raw.get("deviceid") or "")
    return Device(
        deviceid=deviceid,
        name=str(raw.get("name") or deviceid or "Unnamed device"),
        uiid=uiid,
        online=raw.get("online") is True,
        params=params,
        apikey=str(raw.get("apikey") or ""),
        devicekey=str(raw.get("devicekey") or ""),
        brand=str(raw.get("brandName") or inner.get("manufacturer") or ""),
        model=str(raw.get("productModel") or inner.get("model") or ""),
        channel_names=_channel_names(raw.get("tags")),
    )


def switch_params(device: Device, on: bool, outlet: int | None = None) -> dict[str, Any]:
    """The `params` of an `update` that switches `device` (or one outlet of it).

    For multi-channel devices `outlet=None` switches every channel.
    """
    state = "on" if on else "off"
    channels = device.channels
    if not channels:
        raise UnsupportedCommand(f"{device.name} has no switch SiteKit knows how to control.",
                                 hint="Use the eWeLink app for this device.")
    outlets = [c.outlet for c in channels]
    if outlet is not None and outlet not in outlets:
        raise UnsupportedCommand(
            f"{device.name} has no outlet {outlet}.",
            hint=f"Its outlets are {', '.join(str(o) for o in outlets)}.")
    if device.uses_switches_array:
        chosen = outlets if outlet is None else [outlet]
        return {"switches": [{"switch": state, "outlet": o} for o in chosen]}
    return {"switch": state}


# -- helpers ------------------------------------------------------------------------------

def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None  # 1.5 is no uiid or outlet; NaN and the infinities would not convert
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _on_off(value: Any) -> bool | None:
    if value == "on":
        return True
    if value == "off":
        return False
    return None


def _number(value: Any, scale: float = 1.0) -> float | None:
    """A reading as float; strings like "12.5" accepted, "unavailable"/""/junk -> None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond float
        return None
    if math.isnan(number) or math.isinf(number):
        return None
    return round(number * scale, 6) if scale != 1.0 else number


def _switch_entries(params: Mapping[str, Any]) -> dict[int, Any]:
    """outlet -> "on"/"off" from a `switches` list, ignoring malformed entries."""
    entries = params.get("switches")
    out: dict[int, Any] = {}
    if isinstance(entries, list):
        for entry in entries:
            if isinstance(entry, Mapping):
                outlet = _int(entry.get("outlet"))
                if outlet is not None:
                    out[outlet] = entry.get("switch")
    return out


def _merge_switches(current: Any, update: list) -> list[dict[str, Any]]:
    merged: dict[int, dict[str, Any]] = {}
    for entry in current if isinstance(current, list) else []:
        if isinstance(entry, Mapping) and _int(entry.get("outlet")) is not None:
            merged[_int(entry.get("outlet"))] = dict(entry)
    for entry in update:
        if isinstance(entry, Mapping) and _int(entry.get("outlet")) is not None:
            outlet = _int(entry.get("outlet"))
            merged[outlet] = {**merged.get(outlet, {}), **entry}
    return [merged[o] for o in sorted(merged)]


def _channel_names(tags: Any) -> dict[int, str]:
    names = tags.get("ck_channel_name") if isinstance(tags, Mapping) else None
    out: dict[int, str] = {}
    if isinstance(names, Mapping):
        for key, value in names.items():
            outlet = _int(key)
            if outlet is not None and isinstance(value, str) and value.strip():
                out[outlet] = value.strip()
    return out
