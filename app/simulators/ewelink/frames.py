"""Websocket frame helpers shared by the cloud's app and device sockets and the device."""

from __future__ import annotations

import json
from typing import Any


def parse_frame(data: Any) -> dict[str, Any] | None:
    """A JSON object frame, or None for anything else (text, arrays, garbage)."""
    try:
        frame = json.loads(data)
    except (TypeError, ValueError, RecursionError):  # RecursionError: absurd nesting
        return None
    return frame if isinstance(frame, dict) else None


def json_number(value: float) -> int | float:
    """145.0 -> 145: the real cloud sends whole seconds as integers."""
    return int(value) if float(value).is_integer() else value
