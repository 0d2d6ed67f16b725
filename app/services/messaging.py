"""Messages to residents through NXCloud: check a number, send an SMS or a WhatsApp message.

Used by the messaging panel, by credential issuing (a PIN or QR sent to a resident) and by
`sitekit nxcloud …`. Every send becomes an event in the feed, with the resident's number
masked: the feed is saved on the laptop and exported in reports, and a phone number is
personal data the technician does not need there. The message text never goes to the feed
(it may carry a PIN).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import replace
from typing import Iterator

import aiohttp

from app.core.clock import ClockSkew
from app.core.errors import ConfigError
from app.core.events import Event
from app.core.secrets import SecretStore
from app.core.settings import Settings
from app.services.feed import Feed
from app.services.site import SiteProfile, save_nxcloud_account
from app.vendors.nxcloud.client import NxcloudClient, SendOutcomeUnknown
from app.vendors.nxcloud.models import (NumberCheckResult, SmsReceipt, WhatsAppReceipt,
                                        WhatsAppTemplate, display_phone, normalize_phone)

log = logging.getLogger(__name__)

VENDOR = "nxcloud"
# NXCloud's check levels by what they cost the technician in time and money
CHECK_LEVELS = {"basic": 1, "call": 4, "hlr": 5}


def vendor_clock(shared: ClockSkew) -> ClockSkew:
    """A clock of one vendor's own, starting from what the shared one knows (a laptop clock
    that is off is off for every server), then moved only by that vendor's answers: the
    shared clock follows every server's Date, so another vendor that is on time would undo
    a correction (and each switch between them would cost a refused request)."""
    own = ClockSkew()
    own.observe(shared.offset)
    return own


def masked_phone(phone: str) -> str:
    """`+44 7700 900123` -> `+44 ••••••0123`: enough to tell residents apart, no more."""
    try:
        digits = normalize_phone(phone)
    except Exception:  # noqa: BLE001 - a number that does not parse is masked whole
        return "••••"
    shown = display_phone(digits)
    code, _, national = shown.partition(" ")
    return f"{code} {'•' * max(0, len(national) - 4)}{national[-4:]}"


class Messaging:
    def __init__(self, profile: SiteProfile, session: aiohttp.ClientSession, clock: ClockSkew,
                 feed: Feed) -> None:
        self.profile = profile
        self._session = session
        self._clock = clock
        self._feed = feed
        self._client: NxcloudClient | None = None

    @property
    def configured(self) -> bool:
        return self.profile.nxcloud is not None and self.profile.nxcloud.configured

    @property
    def client(self) -> NxcloudClient:
        if self._client is None:
            endpoints = self.profile.nxcloud
            if endpoints is None or not endpoints.configured:
                raise ConfigError("SiteKit has no NXCloud account for this site yet.",
                                  hint="Enter the NXCloud access key, secret and app key in "
                                       "Settings (or `sitekit nxcloud configure`), or try the demo site.")
            self._client = NxcloudClient(self._session, api=endpoints.api,
                                         access_key=endpoints.access_key,
                                         access_secret=endpoints.access_secret,
                                         app_key=endpoints.app_key,
                                         business_phone=endpoints.business_phone,
                                         clock=vendor_clock(self._clock))
        return self._client

    def configure(self, settings: Settings, secrets: SecretStore, *, access_key: str, app_key: str,
                  business_phone: str | None = None, access_secret: str | None = None) -> None:
        """Store the real NXCloud account (see `save_nxcloud_account`); blocking.

        The workspace's profile was built at start-up: on the real site the next call uses
        the new keys at once; a simulated site keeps its own account.
        """
        save_nxcloud_account(settings, secrets, access_key=access_key, app_key=app_key,
                             business_phone=business_phone, access_secret=access_secret)
        if self.profile.key == "real":
            self.profile = replace(self.profile, nxcloud=SiteProfile.real(settings, secrets).nxcloud)
            self._client = None

    @property
    def business_phone(self) -> str:
        return self.profile.nxcloud.business_phone if self.profile.nxcloud is not None else ""

    async def check_number(self, phone: str, level: str = "hlr", *, wait: float = 15.0) -> NumberCheckResult:
        """Is this a number a message can reach? `level`: basic (format only), call, hlr."""
        if level not in CHECK_LEVELS:
            raise ConfigError(f"Unknown number check {level!r}.",
                              hint="Use basic, call or hlr.")
        result = await self.client.check_number(phone, CHECK_LEVELS[level], wait=wait)
        self._publish(phone, "number_check", f"Number check ({level}): {result.verdict}",
                      verdict=result.verdict)
        return result

    async def send_sms(self, phone: str, text: str, *, sys_message_id: str | None = None,
                       purpose: str = "test") -> SmsReceipt:
        with self._unknown_outcome(phone, "sms", f"SMS ({purpose})"):
            receipt = await self.client.send_sms(phone, text, sys_message_id=sys_message_id)
        self._publish(phone, "sms", f"SMS sent ({purpose})", message_id=receipt.message_id)
        return receipt

    async def send_whatsapp(self, phone: str, text: str, *, purpose: str = "test") -> WhatsAppReceipt:
        with self._unknown_outcome(phone, "whatsapp", f"WhatsApp message ({purpose})"):
            receipt = await self.client.send_whatsapp_text(phone, text)
        self._publish(phone, "whatsapp", f"WhatsApp message sent ({purpose})",
                      message_id=receipt.message_id)
        return receipt

    async def send_whatsapp_template(self, phone: str, template: WhatsAppTemplate, *,
                                     purpose: str = "test") -> WhatsAppReceipt:
        with self._unknown_outcome(phone, "whatsapp", f"WhatsApp template {template.name} ({purpose})"):
            receipt = await self.client.send_whatsapp_template(phone, template)
        self._publish(phone, "whatsapp", f"WhatsApp template {template.name} sent ({purpose})",
                      message_id=receipt.message_id)
        return receipt

    @contextmanager
    def _unknown_outcome(self, phone: str, kind: str, what: str) -> Iterator[None]:
        """A send whose answer was lost still goes in the feed: it may have reached the
        resident, and the feed is where the technician looks before sending again."""
        try:
            yield
        except SendOutcomeUnknown as exc:
            payload = {"outcome": "unknown"}
            if exc.sys_message_id:
                payload["sys_message_id"] = exc.sys_message_id
            self._publish(phone, kind, what, suffix=f": outcome unknown ({exc.reason})", **payload)
            raise

    def _publish(self, phone: str, kind: str, what: str, *, suffix: str = "", **payload) -> None:
        who = masked_phone(phone)
        self._feed.publish(Event(VENDOR, who, kind, {"text": f"{what} to {who}{suffix}",
                                                     **payload}))
