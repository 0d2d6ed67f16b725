"""Words for device state, shared by the CLI and the screens so both say the same thing."""

from __future__ import annotations

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
