"""The `Event` record every live source yields (websocket reports, LAN, pairing steps)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Event:
    vendor: str  # "ewelink", "nuheat", "nexhome", "nxcloud", "sitekit"
    device: str  # the vendor's device id; "" for account-level events
    kind: str  # e.g. "state", "online", "offline", "command", "error", "connection"
    payload: dict[str, Any] = field(default_factory=dict)
    time: datetime = field(default_factory=utcnow)  # aware, UTC

    def summary(self) -> str:
        """One human line for feeds and the CLI."""
        if not self.payload:
            return self.kind
        parts = [f"{k}={_short(v)}" for k, v in self.payload.items()]
        return f"{self.kind}: " + ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"time": self.time.isoformat(), "vendor": self.vendor, "device": self.device,
                "kind": self.kind, "payload": self.payload}


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= 60 else text[:57] + "..."
