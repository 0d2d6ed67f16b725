"""NXCloud's message rules, code tables and replies, without any I/O.

Phone numbers travel as the country calling code followed by the national number, digits
only (`447700900123`). People type `+44 7700 900123`, `0044 …` or `(44) 7700-900123`:
`normalize_phone` accepts those and refuses what cannot be a full international number,
with a message that says why, before anything is sent or paid for.

Each API has its own reply shape: SMS answers `{"code": "0", "result", "messageid"}` with a
**string** code; WhatsApp `{"code": 0, "message", "data": {"messages": [{"id"}]}}` and the
number check `{"code": 0, "msg", "data": {...}}` with integer codes. The tables below give
each code a sentence for the technician and a hint; the vendor's own text is kept too.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from app.core.errors import SiteKitError

SMS_MAX_CHARS = 1000
# Meta's limit for a WhatsApp text body.
WHATSAPP_TEXT_MAX_CHARS = 4096
# ITU-T E.164: at most 15 digits with the country code; none of today's numbers is shorter than 7.
PHONE_MIN_DIGITS, PHONE_MAX_DIGITS = 7, 15
CHECK_LEVELS = {1: "basic", 4: "call", 5: "HLR"}
SYS_MESSAGE_ID = re.compile(r"^[0-9A-Za-z-]{10,50}$")
SOURCE_ADDRESS = re.compile(r"^[0-9A-Za-z]{1,20}$")

# Calling codes of one or two digits; every other code has three. The codes are prefix-free,
# so this is enough to split a number into country code and national number.
_SHORT_CODES = frozenset({
    "1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45",
    "46", "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62",
    "63", "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"})


class InvalidInput(SiteKitError):
    """Something typed that NXCloud would refuse (or charge for and fail); nothing was sent."""

    def __init__(self, message: str, *, hint: str = "", field: str = "") -> None:
        super().__init__(message, hint=hint)
        self.field = field


class InvalidPhoneNumber(InvalidInput):
    pass


class InvalidMessage(InvalidInput):
    pass


# -- phone numbers ---------------------------------------------------------------------------

def normalize_phone(text: str) -> str:
    """`+44 7700 900123` -> `447700900123`, or InvalidPhoneNumber saying what is wrong."""
    raw = (text or "").strip()
    if not raw:
        raise InvalidPhoneNumber("No phone number was given.",
                                 hint="Type the number with its country code, e.g. +44 7700 900123.",
                                 field="phone")
    if re.search(r"[A-Za-z]", raw):
        raise InvalidPhoneNumber(f"{raw!r} is not a phone number (it contains letters).",
                                 hint="Type digits only, with the country code first.", field="phone")
    if re.search(r"[^0-9+\s().\-/]", raw) or raw.count("+") > 1 or "+" in raw.lstrip()[1:]:
        raise InvalidPhoneNumber(f"{raw!r} is not a phone number.",
                                 hint="Type digits only, with the country code first, e.g. +44 7700 900123.",
                                 field="phone")
    international = raw.startswith("+")
    digits = re.sub(r"\D", "", raw)
    if not international and digits.startswith("00"):
        digits, international = digits[2:], True  # the international prefix used in Europe
    if digits.startswith("0"):
        raise InvalidPhoneNumber(
            f"{raw!r} looks like a national number (it starts with 0).",
            hint="Add the country code and drop the leading 0: 07700 900123 in the UK is +44 7700 900123.",
            field="phone")
    if len(digits) < PHONE_MIN_DIGITS:
        raise InvalidPhoneNumber(f"{raw!r} is too short for a phone number with its country code.",
                                 hint="Check the number; it needs the country code first.", field="phone")
    if len(digits) > PHONE_MAX_DIGITS:
        raise InvalidPhoneNumber(f"{raw!r} has {len(digits)} digits; international numbers have at most 15.",
                                 hint="Check for a doubled country code or extra digits.", field="phone")
    return digits


def calling_code(digits: str) -> str:
    """The country calling code at the start of a normalised number."""
    for size in (1, 2):
        if digits[:size] in _SHORT_CODES:
            return digits[:size]
    return digits[:3]


def display_phone(digits: str) -> str:
    """`447700900123` -> `+44 7700900123` (for messages; the API never sees this form)."""
    code = calling_code(digits)
    return f"+{code} {digits[len(code):]}"


# -- message rules ---------------------------------------------------------------------------

def check_sms_content(content: str) -> str:
    if content is None or not content.strip():
        raise InvalidMessage("The SMS text is empty.", hint="Type the message to send.", field="content")
    if len(content) > SMS_MAX_CHARS:
        raise InvalidMessage(f"The SMS text has {len(content)} characters; NXCloud takes at most {SMS_MAX_CHARS}.",
                             hint=f"Shorten it by {len(content) - SMS_MAX_CHARS} characters.", field="content")
    return content


def check_whatsapp_text(body: str) -> str:
    if body is None or not body.strip():
        raise InvalidMessage("The WhatsApp message is empty.", hint="Type the message to send.", field="body")
    if len(body) > WHATSAPP_TEXT_MAX_CHARS:
        raise InvalidMessage(f"The WhatsApp message has {len(body)} characters; WhatsApp takes at most "
                             f"{WHATSAPP_TEXT_MAX_CHARS}.", hint="Shorten it.", field="body")
    return body


def new_sys_message_id() -> str:
    """Our own id for an SMS (the API's `sysMessageId`, 10-50 of [0-9A-Za-z-]).

    Keep it with the send: after an ambiguous failure, an explicit retry passes the same id,
    so delivery reports and the NXCloud console show both attempts as one message.
    """
    return "sk-" + secrets.token_hex(12)


def check_sys_message_id(value: str) -> str:
    if not SYS_MESSAGE_ID.match(value or ""):
        raise InvalidMessage(f"{value!r} cannot be an SMS message id.",
                             hint="Use 10 to 50 letters, digits or dashes.", field="sysMessageId")
    return value


def check_level(level: int) -> int:
    if level not in CHECK_LEVELS:
        raise InvalidInput(f"Number check level {level!r} does not exist.",
                           hint="Use 1 (basic format and carrier), 4 (test call) or 5 (HLR: valid and reachable).",
                           field="checkLevel")
    return level


@dataclass(frozen=True)
class WhatsAppTemplate:
    """A pre-approved WhatsApp template and the values of its {{n}} variables, in order."""
    name: str
    language: str = "en_US"
    body_params: Sequence[str] = ()
    header_params: Sequence[str] = ()

    def as_json(self) -> dict[str, Any]:
        components = []
        if self.header_params:
            components.append({"type": "header",
                               "parameters": [{"type": "text", "text": str(p)} for p in self.header_params]})
        if self.body_params:
            components.append({"type": "body",
                               "parameters": [{"type": "text", "text": str(p)} for p in self.body_params]})
        template: dict[str, Any] = {"name": self.name,
                                    "language": {"code": self.language, "policy": "deterministic"}}
        if components:
            template["components"] = components
        return template


# -- code tables: (what it means for the technician, what to do) -------------------------------

COMMON_CODES: dict[int, tuple[str, str]] = {
    1001: ("NXCloud says a common header parameter is missing.",
           "This is a SiteKit bug or an API change; send the log to support."),
    1002: ("NXCloud says a parameter is wrong (bizType, action or the body).",
           "This is likely a SiteKit bug or an API change; send the log to support."),
    1003: ("NXCloud rejected the request signature.",
           "Check that the access secret in Settings belongs to the access key."),
    1004: ("NXCloud refused the request because the laptop clock is wrong (more than 60 s off).",
           "Set the system clock (turn on automatic time) and try again."),
    1005: ("NXCloud does not accept this access key for this service.",
           "Check the access key in Settings, and that the NXCloud account has this service "
           "(SMS, WhatsApp or number check) enabled."),
}

SMS_CODES: dict[str, tuple[str, str]] = {
    "1": ("NXCloud does not know this SMS application key (or it is disabled).", "Check the app key in Settings."),
    "2": ("NXCloud says a parameter of the SMS is wrong or empty.", "Check the number and the text."),
    "3": ("The NXCloud account has too little balance to send this SMS.", "Top up the NXCloud account."),
    "4": ("NXCloud refused the SMS text: it is empty or contains forbidden words.",
          "Reword the message and send it again."),
    "5": ("The SMS text is too long for NXCloud.", f"Keep it within {SMS_MAX_CHARS} characters."),
    "6": ("NXCloud says the phone number is not valid.",
          "Check the number; it needs the country code first."),
    "8": ("NXCloud refused the sender name (1-20 letters or digits).", "Change the SMS sender in Settings."),
    "9": ("NXCloud refused this computer's IP address.",
          "Add this network's public IP to the allowed list in the NXCloud console."),
    "27": ("NXCloud limits messages to the same number (5 per hour) and that limit is reached.",
           "Wait an hour before sending to this number again."),
    "28": ("NXCloud is limiting how fast this account sends.", "Wait a moment and send again."),
    "88": ("NXCloud could not take the SMS.", "Try again in a minute."),
    "99": ("NXCloud had a system error.", "Check the NXCloud console before sending again."),
    "102": ("The NXCloud account (or its agent's) is deactivated.", "Contact NXCloud."),
    "104": ("This verification-code SMS application takes at most 5 numbers at a time.", "Send fewer at once."),
}

WHATSAPP_CODES: dict[int, tuple[str, str]] = {
    -1: ("NXCloud could not take the WhatsApp message.", "Check the NXCloud console before sending again."),
    9000: ("NXCloud says a parameter of the WhatsApp message is missing.",
           "This is likely a SiteKit bug or an API change; send the log to support."),
    9001: ("NXCloud had a business system error.", "Check the NXCloud console before sending again."),
    9002: ("NXCloud says the business phone is not a WhatsApp business number.",
           "Check the WhatsApp business phone in Settings."),
    9003: ("NXCloud does not know this WhatsApp application key (or it is disabled).",
           "Check the app key in Settings."),
    9004: ("The NXCloud WhatsApp application has no price for the recipient's country.",
           "Ask NXCloud to enable that country."),
    9005: ("The NXCloud account has too little balance to send this WhatsApp message.",
           "Top up the NXCloud account."),
    9006: ("The business phone is not bound to this WhatsApp application.",
           "Check the business phone and app key in Settings, or ask NXCloud to bind them."),
    9007: ("NXCloud could not reach WhatsApp.", "Check the NXCloud console before sending again."),
    9099: ("WhatsApp refused the message.", "See WhatsApp's reason above."),
}

CHECK_CODES: dict[int, tuple[str, str]] = {
    88: ("NXCloud could not answer the number check query.", "Try again in a minute."),
    201: ("NXCloud says a parameter of the number check is wrong or empty.",
          "Check the number; all numbers of one check must be in the same country."),
    202: ("NXCloud does not know this number-check application key (or it is disabled).",
          "Check the app key in Settings."),
    203: ("NXCloud does not recognise the country or carrier of this number.",
          "Check the country code."),
    204: ("NXCloud could not charge the account for the check.", "Try again later."),
    205: ("The NXCloud application has no price for this check.", "Ask NXCloud to enable it."),
    206: ("NXCloud's checking service failed.", "Try again later."),
    207: ("NXCloud does not offer this check level.", "Use level 1, 4 or 5."),
    210: ("The access key and the app key belong to different NXCloud customers.",
          "Check the access key and the app key in Settings."),
    211: ("The NXCloud account has too little balance for the number check.", "Top up the NXCloud account."),
    212: ("The batch number is longer than 64 characters.", "Use a shorter batch number."),
    288: ("NXCloud could not take the number check.", "Try again in a minute."),
    299: ("NXCloud had a system error.", "Try again later."),
}

# Meta's error codes a technician can act on (inside WhatsApp's 9099 replies).
META_CODES: dict[int, str] = {
    131026: "WhatsApp could not deliver it: the number may not use WhatsApp.",
    132000: "The number of template values does not match the template.",
    132001: "WhatsApp has no template of that name in that language.",
    100: "WhatsApp says a parameter is not valid.",
}


# -- replies -------------------------------------------------------------------------------

def reply_code(reply: Mapping[str, Any]) -> int | None:
    """The reply's code as an integer ("0" on SMS, 0 elsewhere); None if there is none."""
    value = reply.get("code")
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def reply_text(reply: Mapping[str, Any]) -> str:
    """The vendor's description: `result` (SMS), `message` (WhatsApp) or `msg` (number check)."""
    for key in ("result", "message", "msg"):
        value = reply.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


@dataclass(frozen=True)
class SmsReceipt:
    phone: str
    message_id: str  # NXCloud's `messageid`
    sys_message_id: str  # ours, also in delivery reports


@dataclass(frozen=True)
class WhatsAppReceipt:
    to: str
    message_id: str  # WhatsApp's message id (data.messages[0].id)


@dataclass(frozen=True)
class NumberCheckTicket:
    """A submitted check; the result is read by `message_id` (one number) or `batch_no`."""
    phones: tuple[str, ...]
    level: int
    message_id: str
    batch_no: str
    date: str  # yyyy-MM-dd the query needs


def _yes(value: Any) -> bool | None:
    text = str(value or "").strip().upper()
    return True if text == "YES" else False if text == "NO" else None


NUMBER_TYPES = {0: "other", 1: "fixed line", 2: "mobile", 3: "toll-free", 4: "VoIP", 5: "organisation",
                6: "private", 7: "voicemail", 8: "restricted"}
UNREACHABLE_RESPONSES = {"not_available", "number_paused", "power_off", "power_off_or_out_of_service",
                         "no_response"}


@dataclass(frozen=True)
class NumberCheckResult:
    phone: str
    level: int | None = None
    message_id: str = ""
    pre_check: bool | None = None  # the format check passed
    region_code: str = ""
    country_code: str = ""
    national_number: str = ""
    number_type: int | None = None
    carrier: str = ""
    valid: bool | None = None  # HLR (level 5)
    reachable: bool | None = None
    roaming: bool | None = None
    rang: bool | None = None  # call check (level 4)
    answered: bool | None = None
    call_response: str = ""
    price: float | None = None
    currency: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def verdict(self) -> str:
        """invalid | unreachable | valid | format_ok | unknown: what SiteKit tells the technician."""
        if self.pre_check is False or self.valid is False or self.call_response == "invalid_number":
            return "invalid"
        if self.reachable is False or self.call_response in UNREACHABLE_RESPONSES:
            return "unreachable"
        if self.valid or self.rang or self.answered:
            return "valid"
        if self.pre_check:
            return "format_ok"
        return "unknown"

    def summary(self) -> str:
        who = display_phone(self.phone) if self.phone.isdigit() else self.phone
        kind = NUMBER_TYPES.get(self.number_type) if self.number_type is not None else None
        about = ", ".join(x for x in (kind and f"{kind} number", self.carrier) if x)
        about = f" ({about})" if about else ""
        text = {
            "invalid": "is not a valid number",
            "unreachable": "exists but cannot be reached right now",
            "valid": "is valid and reachable" if self.reachable else "is valid",
            "format_ok": "has a valid format (a basic check does not ask the network)",
            "unknown": "could not be checked",
        }[self.verdict]
        return f"{who}{about} {text}."


def parse_check_result(item: Mapping[str, Any]) -> NumberCheckResult:
    """One entry of the query's `data.result[]`.

    The query documentation lists flat fields; the callback nests them in `basic`, `live`
    and `dial` (and the protocol notes describe the query that way too): both are read.
    """
    data = item.get("data") if isinstance(item.get("data"), Mapping) else {}
    flat: dict[str, Any] = dict(item)
    for part in ("basic", "live", "dial", "cost"):
        for source in (item.get(part), data.get(part)):
            if isinstance(source, Mapping):
                flat.update(source)

    def integer(value: Any) -> int | None:
        try:
            return int(value)
        except (TypeError, ValueError, OverflowError):  # JSON Infinity
            return None

    def number(value: Any) -> float | None:
        try:
            return float(value)
        except (TypeError, ValueError):
            return None

    return NumberCheckResult(
        phone=str(flat.get("phone") or ""), level=integer(flat.get("checkLevel")),
        message_id=str(flat.get("messageId") or ""), pre_check=_yes(flat.get("preCheck")),
        region_code=str(flat.get("regionCode") or ""), country_code=str(flat.get("countryCode") or ""),
        national_number=str(flat.get("nationalNumber") or ""), number_type=integer(flat.get("numberType")),
        carrier=str(flat.get("carrier") or ""), valid=_yes(flat.get("validity")),
        reachable=_yes(flat.get("reachable")), roaming=_yes(flat.get("roaming")),
        rang=_yes(flat.get("early")), answered=_yes(flat.get("answered")),
        call_response=str(flat.get("response") or ""), price=number(flat.get("price")),
        currency=str(flat.get("currency") or ""), raw=dict(item))


@dataclass(frozen=True)
class NumberCheckPage:
    results: tuple[NumberCheckResult, ...]
    page: int
    total_pages: int
    total: int
