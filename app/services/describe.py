"""Words for devices and events, shared by the CLI and the screens so both say the same thing."""

from __future__ import annotations

import json
from typing import Any

from app.core.events import Event
from app.vendors.ewelink.models import Device

KIND_LABELS = {
    "switch": "Switch",
    "multi_switch": "Multi-gang switch",
    "power_plug": "Power-metering plug",
    "sensor": "Temperature/humidity sensor",
    "unknown": "Other device",
}

READING_FORMATS = {
    "power_w": "{:,.0f} W",
    "voltage_v": "{:.0f} V",
    "current_a": "{:.2f} A",
    "temperature_c": "{:.1f} °C",
    "humidity_pct": "{:.0f} %",
}


def kind_label(device: Device) -> str:
    return KIND_LABELS.get(device.kind, KIND_LABELS["unknown"])


def readings_text(device: Device) -> str:
    parts = [READING_FORMATS[key].format(value) for key, value in device.readings.items()
             if key in READING_FORMATS and value is not None]
    return "  ".join(parts)


def switch_text(device: Device) -> str:
    channels = device.channels
    if not channels:
        return ""
    on = sum(1 for c in channels if c.on)
    if len(channels) == 1:
        return "On" if on else "Off"
    if on == 0:
        return f"All {len(channels)} off"
    if on == len(channels):
        return f"All {len(channels)} on"
    return f"{on} of {len(channels)} on"


def state_summary(device: Device) -> str:
    """'On', '2 of 4 on', '21.5 °C  48 %', '1,234 W'…; 'Offline' first when it is."""
    parts = [p for p in (switch_text(device), readings_text(device)) if p]
    text = "  ".join(parts) or "—"
    return text if device.online else f"Offline (last: {text})"


READING_LABELS = {
    "power_w": "Power",
    "voltage_v": "Voltage",
    "current_a": "Current",
    "temperature_c": "Temperature",
    "humidity_pct": "Humidity",
}

VENDOR_NAMES = {"ewelink": "eWeLink", "nuheat": "Nuheat", "nexhome": "NEXhome",
                "nxcloud": "NXCloud", "sitekit": "SiteKit"}

# what the live channel reports as a command's result, in words
RESULT_NAMES = {"ok": "confirmed", "offline": "device offline", "timeout": "no answer",
                "not sent": "not sent"}

KIND_NAMES = {"state": "Report", "online": "Online", "offline": "Offline",
              "connection": "Connection", "command": "Command", "error": "Error"}


def offline_reason(device: Device) -> str:
    return (f"{device.name} is offline, so it cannot be switched. Check that it has power "
            "and that its Wi-Fi network is up; it shows as online again as soon as it "
            "reconnects.")


def vendor_name(vendor: str) -> str:
    return VENDOR_NAMES.get(vendor, vendor)


def kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind, kind.capitalize())


def params_text(params: Any, device: Device | None = None) -> str:
    """A device report or command in words: 'Channel 2 on · Power 1,234 W · rssi -58'."""
    if not isinstance(params, dict) or not params:
        return _short(params) if params not in (None, {}, []) else ""
    parts: list[str] = []
    rest = dict(params)
    names = {}
    if device is not None:
        names = {c.outlet: c.name for c in device.channels}
    if "switch" in rest:
        value = rest.pop("switch")
        parts.append(f"Switched {value}" if isinstance(value, str) else f"switch {_short(value)}")
    switches = rest.pop("switches", None)
    if isinstance(switches, list):
        for entry in switches:
            if isinstance(entry, dict) and "outlet" in entry:
                outlet = entry.get("outlet")
                name = names.get(outlet) if isinstance(outlet, int) else None
                if name is None:
                    name = (f"Channel {outlet + 1}" if isinstance(outlet, int)
                            else f"Outlet {outlet}")
                parts.append(f"{name} {entry.get('switch', '?')}")
    # Readings: let the device model parse them, so scales (POWR3 hundredths) stay right.
    probe = Device(deviceid="", name="", uiid=device.uiid if device else None, online=True,
                   params=dict(rest))
    for key, value in probe.readings.items():
        if key in READING_FORMATS and value is not None:
            parts.append(f"{READING_LABELS.get(key, key)} {READING_FORMATS[key].format(value)}")
    for raw_key in ("power", "voltage", "current", "currentTemperature", "currentHumidity",
                    "actPow_00", "actPow_01", "voltage_00", "voltage_01", "current_00",
                    "current_01"):
        if raw_key in rest and probe.readings:
            rest.pop(raw_key)
    for key, value in rest.items():
        parts.append(f"{key} {_short(value)}")
    return " · ".join(parts)


def event_summary(event: Event, device: Device | None = None) -> str:
    payload = event.payload or {}
    text = payload.get("text")
    if isinstance(text, str) and text:  # the source worded it already (Nuheat's events)
        return text
    if event.kind == "state":
        return params_text(payload, device) or "Report"
    if event.kind == "online":
        return "Came online"
    if event.kind == "offline":
        return "Went offline"
    if event.kind == "connection":
        status = str(payload.get("status", ""))
        message = str(payload.get("message", ""))
        if message:
            return message
        return status.replace("_", " ").capitalize() if status else "Connection"
    if event.kind == "command":
        text = params_text(payload.get("params"), device) or "Command"
        result = payload.get("result")
        if isinstance(result, str) and result:
            text += f" → {RESULT_NAMES.get(result, result)}"
        elif result not in (None, "", {}, []):
            text += f" → {_short(result)}"
        return f"Sent: {text}"
    return event.summary()


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"),
                                                           ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"
