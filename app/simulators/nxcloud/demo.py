"""The demo NXCloud account: keys, a WhatsApp business phone, templates, known numbers.

Numbers are in the UK range Ofcom keeps for drama (+44 7700 900xxx), so a demo can never
text a real person. Numbers the directory does not list check as valid mobiles.
"""

from __future__ import annotations

from dataclasses import dataclass

ACCESS_KEY = "sitekit-demo-ak"
ACCESS_SECRET = "sitekit-demo-secret-0001"
APP_KEY = "skdemo01"
BUSINESS_PHONE = "447700900001"
CARRIER = "Demo Mobile UK"


@dataclass(frozen=True)
class Template:
    name: str
    language: str
    body_params: int  # how many {{n}} variables the body has
    text: str  # with {{1}}, {{2}}…; the outbox keeps the rendered text


TEMPLATES = (
    Template("resident_pin", "en_US", 1, "Your SiteKit door PIN is {{1}}. Keep it private."),
    Template("visitor_qr", "en_US", 2, "Hello {{1}}, your visitor QR code is valid until {{2}}."),
)

# number -> valid | invalid | unreachable | not_whatsapp
NUMBERS = {
    "447700900123": "valid",  # resident Alice
    "447700900456": "valid",  # resident Bob
    "447700900000": "invalid",
    "447700900999": "unreachable",
    "447700900777": "not_whatsapp",
}

# SMS words the demo content filter refuses (code "4"), as real filters refuse spam words.
FORBIDDEN_WORDS = ("casino", "lottery")
