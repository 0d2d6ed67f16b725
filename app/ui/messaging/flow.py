"""The messaging panel's rules, without Qt: what a typed number means, the channels and
their limits, the demo account's WhatsApp templates, and the guard that keeps a message
whose outcome is unknown from being sent twice by accident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Sequence

from app.vendors.nxcloud.models import (SMS_MAX_CHARS, WHATSAPP_TEXT_MAX_CHARS, InvalidPhoneNumber,
                                        WhatsAppTemplate, display_phone, normalize_phone)

SMS, WHATSAPP, TEMPLATE = "sms", "whatsapp", "template"
CHANNELS = ((SMS, "SMS"), (WHATSAPP, "WhatsApp text"), (TEMPLATE, "WhatsApp template"))
CHANNEL_NAMES = dict(CHANNELS)
LIMITS = {SMS: SMS_MAX_CHARS, WHATSAPP: WHATSAPP_TEXT_MAX_CHARS}

# (level, what the technician picks, what it does and costs)
CHECK_LEVELS = (
    ("basic", "Quick format check",
     "Checks the format and the carrier's number range. Fast and cheap; does not ask the network."),
    ("hlr", "Ask the network (HLR)",
     "Asks the mobile network whether the number exists and is switched on. Takes a few seconds."),
    ("call", "Test call",
     "Rings the number briefly without connecting. The slowest check; the phone may ring."),
)
# how long the panel waits for NXCloud's result before saying "still checking"
CHECK_WAIT = {"basic": 15.0, "hlr": 20.0, "call": 45.0}

EMPTY_PHONE_HINT = "With the country code first, e.g. +44 7700 900123."


@dataclass(frozen=True)
class TemplateForm:
    """A WhatsApp template this panel can fill in: its name, a label per {{n}} value."""
    name: str
    title: str
    fields: tuple[str, ...]
    text: str  # with {{1}}, {{2}}… as approved by WhatsApp
    language: str = "en_US"

    def preview(self, values: Sequence[str]) -> str:
        text = self.text
        for number, label in enumerate(self.fields, 1):
            value = values[number - 1].strip() if number <= len(values) else ""
            text = text.replace(f"{{{{{number}}}}}", value or f"[{label}]")
        return text

    def missing(self, values: Sequence[str]) -> str | None:
        """The label of the first empty value, or None when all are filled in."""
        for number, label in enumerate(self.fields):
            if number >= len(values) or not values[number].strip():
                return label
        return None

    def build(self, values: Sequence[str]) -> WhatsAppTemplate:
        return WhatsAppTemplate(self.name, self.language,
                                body_params=tuple(v.strip() for v in values[:len(self.fields)]))


# The templates approved for SiteKit's NXCloud WhatsApp application (the demo account
# has the same ones).
TEMPLATES = (
    TemplateForm("resident_pin", "Resident PIN", ("PIN",),
                 "Your SiteKit door PIN is {{1}}. Keep it private."),
    TemplateForm("visitor_qr", "Visitor QR code", ("Visitor's name", "Valid until"),
                 "Hello {{1}}, your visitor QR code is valid until {{2}}."),
)


def plain_reason(message: str) -> str:
    """A phone error without the echo of what was typed (it is right above the note)."""
    text = message.strip()
    echoed = re.sub(r"^(['\"]).*?\1\s+", "", text)
    if echoed != text:
        return f"It {echoed}"  # "'0770…' looks like…" -> "It looks like…"
    return text


@dataclass(frozen=True)
class PhoneNote:
    digits: str | None  # the normalised number, None when there is none (yet)
    text: str  # the note under the field
    error: bool


def phone_note(typed: str) -> PhoneNote:
    """What to say under the phone field while the technician types."""
    if not typed.strip():
        return PhoneNote(None, EMPTY_PHONE_HINT, False)
    try:
        digits = normalize_phone(typed)
    except InvalidPhoneNumber as exc:
        return PhoneNote(None, _national_note(typed) or f"{plain_reason(exc.message)} {exc.hint}".strip(),
                         True)
    return PhoneNote(digits, f"Sends to {display_phone(digits)}", False)


def _national_note(typed: str) -> str:
    """The commonest mistake on site, said with the technician's own number."""
    digits = re.sub(r"\D", "", typed)
    if typed.strip().startswith("+") or not digits.startswith("0") or digits.startswith("00"):
        return ""
    national = typed.strip()[1:].strip()
    return (f"Starts with 0: add the country code and drop the 0 "
            f"(in the UK that is +44 {national}).")


def count_text(channel: str, text: str) -> tuple[str, bool]:
    """`"12 / 1000 characters"` and whether the text is over the channel's limit."""
    limit = LIMITS.get(channel)
    if limit is None:
        return "", False
    count = len(text)
    if count > limit:
        return f"{count} / {limit} characters · {count - limit} too many", True
    return f"{count} / {limit} characters", False


def format_elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


# -- number-check verdicts: (icon, colour role, headline) ------------------------------------

VERDICTS = {
    "valid": ("✔", "ok", "Valid"),
    "format_ok": ("✔", "info", "Format OK"),
    "invalid": ("✖", "error", "Not a valid number"),
    "unreachable": ("⚠", "warning", "Cannot be reached now"),
    "unknown": ("?", "muted", "Could not be checked"),
}


# -- the sent list and the unknown-outcome guard -----------------------------------------------

ACCEPTED, UNKNOWN, REFUSED = "accepted", "unknown", "refused"


@dataclass(frozen=True)
class SentRecord:
    at: datetime
    channel: str  # SMS | WHATSAPP | TEMPLATE
    masked_phone: str
    outcome: str  # ACCEPTED | UNKNOWN | REFUSED
    detail: str = ""  # the message id, or why it was refused

    @property
    def status(self) -> str:
        if self.outcome == ACCEPTED:
            return f"Accepted · id {self.detail}" if self.detail else "Accepted"
        if self.outcome == UNKNOWN:
            return "Unknown: may or may not have gone"
        return f"Not sent: {self.detail}" if self.detail else "Not sent"


@dataclass
class UnknownOutcome:
    phone: str  # normalised
    channel: str
    sys_message_id: str | None  # an SMS retry reuses it: both attempts show as one message
    content: str = ""  # only the same text is the same message


@dataclass
class SendGuard:
    """Remembers the numbers whose last message may or may not have gone out.

    Sending to such a number again takes a deliberate click on "Send again anyway";
    SiteKit never repeats it by itself. A success (or a definite refusal) clears it.
    """
    unknown: dict[str, UnknownOutcome] = field(default_factory=dict)

    def record_unknown(self, phone: str, channel: str, sys_message_id: str | None,
                       content: str = "") -> None:
        self.unknown[phone] = UnknownOutcome(phone, channel, sys_message_id, content)

    def pending_for(self, phone: str | None) -> UnknownOutcome | None:
        return self.unknown.get(phone) if phone else None

    def settled(self, phone: str) -> None:
        self.unknown.pop(phone, None)

    def retry_id(self, phone: str, channel: str, content: str = "") -> str | None:
        """The SMS id to reuse when the same SMS is sent again after an unknown outcome."""
        pending = self.unknown.get(phone)
        if pending is not None and pending.channel == channel == SMS and pending.content == content:
            return pending.sys_message_id
        return None
