"""The audit trail: every command that acts on a building (a door unlocked, a lift called).

Kept apart from the event feed: events are what the devices said, audit entries are what
somebody using SiteKit asked for, with the outcome as it became known. An entry is written
before the command is sent (outcome "sent"), so a crash or a lost reply still leaves a
trace, then updated once the outcome is known ("ok", "failed", "unknown", "repeated").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.core.events import utcnow

OUTCOMES = ("sent", "ok", "failed", "unknown", "repeated")


@dataclass
class AuditEntry:
    actor: str  # who asked: the SiteKit user or technician name on this laptop
    vendor: str  # "nexhome", …
    action: str  # "unlock", "elevator_call", …
    target: str  # the door / device id
    target_name: str = ""  # as the user saw it
    request_id: str = ""  # the vendor request id; the same one for an explicit retry
    outcome: str = "sent"
    detail: str = ""  # the vendor's answer or the error, in words (never a secret)
    time: datetime = field(default_factory=utcnow)  # aware, UTC: when it was asked
    id: int | None = None  # the row, once stored
