"""NXCloud client: SMS, WhatsApp (text and template) and number check.

    client = NxcloudClient(session, api=DEFAULT_API, access_key=…, access_secret=…,
                           app_key=…, business_phone="447700900001", clock=clock)
    await client.send_sms("+44 7700 900123", "Your PIN is 4821")          # -> SmsReceipt
    await client.send_whatsapp_text("+44 7700 900123", "Hello")            # -> WhatsAppReceipt
    await client.send_whatsapp_template("+44…", WhatsAppTemplate("resident_pin", body_params=["4821"]))
    await client.check_number("+44 7700 900123", level=5, wait=10)        # -> NumberCheckResult

Every call is a signed JSON POST (signing.py): the body is serialised once, and the bytes
signed are the bytes sent. `ts` comes from the shared `ClockSkew`; a 1004 (timestamp
refused) whose reply carries a `Date` more than 60 s from our `ts` corrects the clock and
is sent once more (the server refused it before acting, so nothing goes out twice). A 429
is waited out per its Retry-After (bounded); a read (the number-check query) is sent again
after a 5xx or a dropped connection (bounded). Every reply is read through `read_text`
(size limit; a cut-off reply is a ProtocolError, or SendOutcomeUnknown for a send).

Sends are never retried after an ambiguous failure (the connection broke or timed out
after the request left, a 5xx or an unreadable reply): the message may have gone out, so
`SendOutcomeUnknown` says so, and an explicit retry of an SMS can pass the same
`sys_message_id` so both attempts are recognisable as one message in delivery reports and
the console. Input NXCloud would refuse (number, text length) is refused here, before
anything is sent or paid for (`InvalidInput`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

import aiohttp

from app.core.clock import ClockSkew, date_header_time
from app.core.errors import AuthError, NetworkError, ProtocolError, RateLimited, SiteKitError, VendorError
from app.core.http import describe_failure, read_text
from app.core.ratelimit import retry_after_seconds
from app.vendors.nxcloud import models, signing
from app.vendors.nxcloud.models import (NumberCheckPage, NumberCheckResult, NumberCheckTicket, SmsReceipt,
                                        WhatsAppReceipt, WhatsAppTemplate)

log = logging.getLogger(__name__)

VENDOR = "NXCloud"
DEFAULT_API = "https://api2.nxcloud.com"
# Pages of the number-check query hold at most this many results (the API's limit).
QUERY_PAGE_SIZE = 100
# A check's result is normally ready within seconds; polling is bounded in count as well.
MAX_POLLS = 60
# A read that meets a 5xx or a dropped connection is sent again after these waits.
READ_RETRY_DELAYS = (0.5, 1.5)
# An SMS refused with code "28" (the account's TPS limit: nothing sent) is sent again after
# these waits.
TPS_RETRY_DELAYS = (1.0, 2.0, 4.0)
# A 429 is waited out (Retry-After, or DEFAULT_RATE_WAIT) at most MAX_RATE_WAITS times and
# MAX_RATE_WAIT seconds in all per call; beyond that a clear error instead of a screen that
# seems frozen.
MAX_RATE_WAITS = 5
MAX_RATE_WAIT = 30.0
DEFAULT_RATE_WAIT = 2.0


@dataclass(frozen=True)
class Endpoint:
    path: str
    biz_type: int
    action: str
    # A read: sending it again cannot send or charge anything twice.
    safe: bool = False


SMS = Endpoint("/api/sms/mtsend_v2", 3, "mtsend")
WHATSAPP = Endpoint("/api/wa/mt", 2, "mt")
NUMBER_CHECK = Endpoint("/api/number/check", 1, "numbercheck")
NUMBER_QUERY = Endpoint("/api/number/query", 1, "numbercheck", safe=True)


class SendOutcomeUnknown(SiteKitError):
    """A message may or may not have gone out; SiteKit does not send it again by itself."""

    def __init__(self, channel: str, phone: str, reason: str, *, sys_message_id: str | None = None) -> None:
        self.channel = channel
        self.phone = phone
        self.sys_message_id = sys_message_id
        self.reason = reason
        retry = (f" To send it again, retry with the same message id ({sys_message_id}) so both attempts "
                 "show as one message." if sys_message_id else "")
        super().__init__(
            f"The {channel} to {models.display_phone(phone)} may or may not have been sent: {reason}.",
            hint="Ask the resident, or look in the NXCloud console, before sending again; SiteKit did not "
                 "retry, so it is not sent twice." + retry)


class InsufficientBalance(VendorError):
    """The NXCloud account needs topping up."""


class NumberCheckPending(SiteKitError):
    """The check was submitted but its result was not ready within the wait."""

    def __init__(self, ticket: NumberCheckTicket, waited: float) -> None:
        self.ticket = ticket
        super().__init__(
            f"NXCloud has not finished checking {models.display_phone(ticket.phones[0])} "
            f"after {waited:.0f} s.",
            hint="Check again in a minute; the result is kept under message id " + ticket.message_id + ".")


class NxcloudClient:
    def __init__(self, session: aiohttp.ClientSession, *, api: str = DEFAULT_API, access_key: str,
                 access_secret: str, app_key: str, business_phone: str = "", clock: ClockSkew | None = None,
                 sms_sender: str = "") -> None:
        self.session = session
        self.api = api.rstrip("/")
        self.access_key = access_key
        self._access_secret = access_secret
        self.app_key = app_key
        # Checked when WhatsApp is used, so a bad business number never blocks SMS or checks.
        self.business_phone = business_phone
        self.clock = clock or ClockSkew()
        self.sms_sender = sms_sender

    def __repr__(self) -> str:  # the secret must not reach a log through a repr
        return f"NxcloudClient(api={self.api!r}, access_key={self.access_key!r}, access_secret=***)"

    # -- SMS ----------------------------------------------------------------------------------

    async def send_sms(self, phone: str, content: str, *, sys_message_id: str | None = None,
                       sender: str | None = None) -> SmsReceipt:
        """Send one SMS. Pass the `sys_message_id` of an earlier attempt to retry it explicitly."""
        number = models.normalize_phone(phone)
        models.check_sms_content(content)
        sys_id = models.check_sys_message_id(sys_message_id) if sys_message_id else models.new_sys_message_id()
        source = self.sms_sender if sender is None else sender
        body: dict[str, Any] = {"appKey": self.app_key, "phone": number, "content": content}
        if source:
            if not models.SOURCE_ADDRESS.match(source):
                raise models.InvalidMessage(f"{source!r} cannot be an SMS sender.",
                                            hint="Use 1 to 20 letters or digits.", field="sourceAddress")
            body["sourceAddress"] = source
        body["sysMessageId"] = sys_id
        for attempt in range(len(TPS_RETRY_DELAYS) + 1):
            reply = await self.call(SMS, body, sending=("SMS", number, sys_id))
            # "28": the account's sends per second are exceeded and this one was refused
            # (nothing sent), NXCloud's own 429: wait a moment and send it again.
            if str(reply.get("code", "")).strip() != "28" or attempt == len(TPS_RETRY_DELAYS):
                break
            log.info("NXCloud: SMS send rate limit (28); sending again in %.1f s",
                     TPS_RETRY_DELAYS[attempt])
            await asyncio.sleep(TPS_RETRY_DELAYS[attempt])
        code = models.reply_code(reply)
        if code != 0:
            raise _sms_error(reply, number)
        message_id = str(reply.get("messageid") or "")
        if not message_id:
            raise ProtocolError("NXCloud accepted the SMS but gave no message id.",
                                hint="It was probably sent; check the NXCloud console before sending again.")
        log.info("NXCloud: SMS accepted for %s (id %s)", _masked(number), message_id)
        return SmsReceipt(phone=number, message_id=message_id, sys_message_id=sys_id)

    # -- WhatsApp -----------------------------------------------------------------------------

    async def send_whatsapp_text(self, to: str, text: str, *, preview_url: bool = False) -> WhatsAppReceipt:
        number = models.normalize_phone(to)
        models.check_whatsapp_text(text)
        return await self._send_whatsapp(number, "text", {"body": text, "preview_url": preview_url})

    async def send_whatsapp_template(self, to: str, template: WhatsAppTemplate) -> WhatsAppReceipt:
        number = models.normalize_phone(to)
        if not template.name.strip():
            raise models.InvalidMessage("No WhatsApp template was chosen.", field="template")
        return await self._send_whatsapp(number, "template", template.as_json())

    async def _send_whatsapp(self, number: str, kind: str, content: dict[str, Any]) -> WhatsAppReceipt:
        if not self.business_phone.strip():
            raise models.InvalidInput("No WhatsApp business phone is set up.",
                                      hint="Enter the NXCloud WhatsApp business number in Settings.",
                                      field="business_phone")
        try:
            business_phone = models.normalize_phone(self.business_phone)
        except models.InvalidPhoneNumber as exc:
            raise models.InvalidInput(f"The WhatsApp business phone in Settings is wrong: {exc.message}",
                                      hint=exc.hint, field="business_phone") from None
        body = {"appkey": self.app_key, "business_phone": business_phone, "messaging_product": "whatsapp",
                "recipient_type": "individual", "to": number, "type": kind, kind: content}
        reply = await self.call(WHATSAPP, body, sending=("WhatsApp message", number, None))
        if models.reply_code(reply) != 0:
            raise _whatsapp_error(reply)
        data = reply.get("data") if isinstance(reply.get("data"), Mapping) else {}
        messages = data.get("messages") if isinstance(data.get("messages"), list) else []
        first = messages[0] if messages and isinstance(messages[0], Mapping) else {}
        message_id = str(first.get("id") or data.get("message_id") or "")
        if not message_id:
            raise ProtocolError("NXCloud accepted the WhatsApp message but gave no message id.",
                                hint="It was probably sent; check the NXCloud console before sending again.")
        log.info("NXCloud: WhatsApp %s accepted for %s", kind, _masked(number))
        return WhatsAppReceipt(to=number, message_id=message_id)

    # -- number check -------------------------------------------------------------------------

    async def submit_number_check(self, phones: str | Sequence[str], level: int = 1, *,
                                  batch_no: str | None = None) -> NumberCheckTicket:
        """Start a check (one country per batch); the result comes later by `number_check_results`."""
        items = [phones] if isinstance(phones, str) else list(phones)
        numbers = tuple(models.normalize_phone(p) for p in items)
        if not numbers:
            raise models.InvalidPhoneNumber("No phone number to check.", field="phone")
        if len({models.calling_code(n) for n in numbers}) > 1:
            raise models.InvalidPhoneNumber("The numbers to check are in different countries.",
                                            hint="Check one country at a time.", field="phone")
        models.check_level(level)
        body: dict[str, Any] = {"appkey": self.app_key, "phone": ",".join(numbers), "checkLevel": level}
        if batch_no:
            body["batchNo"] = batch_no
        date = _utc_date(self.clock.now())
        reply = await self.call(NUMBER_CHECK, body)
        if models.reply_code(reply) != 0:
            raise _check_error(reply)
        data = reply.get("data") if isinstance(reply.get("data"), Mapping) else {}
        message_id = str(data.get("messageId") or "")
        if not message_id:
            raise ProtocolError("NXCloud accepted the number check but gave no message id.",
                                hint="Try the check again later.")
        return NumberCheckTicket(phones=numbers, level=level, message_id=message_id,
                                 batch_no=str(data.get("batchNo") or batch_no or ""), date=date)

    async def number_check_results(self, *, message_id: str = "", batch_no: str = "", date: str = "",
                                   page: int = 1, page_size: int = QUERY_PAGE_SIZE) -> NumberCheckPage:
        """One page of finished results (empty while the check is still running)."""
        if not message_id and not batch_no:
            raise models.InvalidInput("Give the check's message id or batch number.", field="messageId")
        body: dict[str, Any] = {"page": page, "pageSize": min(page_size, QUERY_PAGE_SIZE),
                                "date": date or _utc_date(self.clock.now())}
        if message_id:
            body["messageId"] = message_id
        if batch_no:
            body["batchNo"] = batch_no
        reply = await self.call(NUMBER_QUERY, body)
        if models.reply_code(reply) != 0:
            raise _check_error(reply)
        data = reply.get("data") if isinstance(reply.get("data"), Mapping) else {}
        items = data.get("result") if isinstance(data.get("result"), list) else []
        results = tuple(models.parse_check_result(i) for i in items if isinstance(i, Mapping))

        def integer(key: str, default: int) -> int:
            try:
                return int(data.get(key))
            except (TypeError, ValueError, OverflowError):  # JSON Infinity
                return default

        return NumberCheckPage(results=results, page=integer("page", page),
                               total_pages=integer("totalPage", 1 if results else 0),
                               total=integer("totalSize", len(results)))

    async def check_number(self, phone: str, level: int = 1, *, wait: float = 15.0,
                           poll_interval: float = 1.0) -> NumberCheckResult:
        """Submit a check of one number and poll its result for up to `wait` seconds.

        NXCloud works through checks asynchronously (seconds for a basic check, longer for
        HLR or a test call); NumberCheckPending carries the ticket when time runs out.
        """
        ticket = await self.submit_number_check(phone, level)
        poll_interval = max(0.05, poll_interval)
        polls = max(1, min(MAX_POLLS, int(wait / poll_interval) + 1))
        started = time.monotonic()
        for attempt in range(polls):
            await asyncio.sleep(min(poll_interval, max(0.0, wait - (time.monotonic() - started))))
            page = await self.number_check_results(message_id=ticket.message_id, date=ticket.date)
            for result in page.results:
                if result.phone == ticket.phones[0] or len(page.results) == 1:
                    return result
            if time.monotonic() - started >= wait:
                break
        raise NumberCheckPending(ticket, time.monotonic() - started)

    # -- transport ----------------------------------------------------------------------------

    async def call(self, endpoint: Endpoint, body: Mapping[str, Any] | bytes, *,
                   sending: tuple[str, str, str | None] | None = None) -> dict[str, Any]:
        """One signed POST; returns the decoded reply whatever its code, after the common
        errors 1001-1005 are raised. `body` as bytes is sent (and signed) untouched.
        `sending` = (what, phone, sys_message_id) marks a call that sends a message.

        Sent again, within bounds, only when that cannot do anything twice: after a 429 (the
        request was refused before anything happened; Retry-After is waited out), after a
        1004 with a clock correction (once), and for a read (`endpoint.safe`) after a 5xx or
        a dropped connection."""
        data = body if isinstance(body, bytes) else signing.body_bytes(body)
        rate_waits = failures = 0
        rate_waited = 0.0
        clock_fixed = False
        while True:
            try:
                status, text, sent_ms, server_time, local_time, retry_after = await self._send(
                    endpoint, data, sending)
            except _Lost as exc:
                if endpoint.safe and failures < len(READ_RETRY_DELAYS):
                    await asyncio.sleep(READ_RETRY_DELAYS[failures])
                    failures += 1
                    continue
                raise _lost(sending, exc.cause) from None
            if status == 429:
                wait = DEFAULT_RATE_WAIT if retry_after is None else max(0.0, retry_after)
                if rate_waits >= MAX_RATE_WAITS or rate_waited + wait > MAX_RATE_WAIT:
                    raise _rate_limited(retry_after, rate_waits)
                rate_waits += 1
                rate_waited += wait
                log.info("NXCloud asked SiteKit to wait %.1f s (429 on %s)", wait, endpoint.path)
                await asyncio.sleep(wait)
                continue
            reply = _decode(text)
            if reply is None or (status >= 400 and models.reply_code(reply) is None):
                if status >= 500 and endpoint.safe and failures < len(READ_RETRY_DELAYS):
                    await asyncio.sleep(READ_RETRY_DELAYS[failures])
                    failures += 1
                    continue
                if sending is not None and (status >= 500 or status < 400):
                    what, phone, sys_id = sending
                    raise SendOutcomeUnknown(what, phone, f"NXCloud answered HTTP {status} without a "
                                                          f"result", sys_message_id=sys_id)
                if status >= 500:
                    raise NetworkError(f"NXCloud is not answering properly right now (HTTP {status}).",
                                       hint="Try again in a few minutes.")
                raise ProtocolError(f"NXCloud answered {endpoint.path} with something SiteKit cannot "
                                    f"read (HTTP {status}).",
                                    hint="A proxy may be in the way, or the API address is wrong.")
            log.debug("NXCloud %s -> code %s", endpoint.path, reply.get("code"))
            if (models.reply_code(reply) == 1004 and not clock_fixed and server_time is not None
                    and abs(server_time * 1000 - sent_ms) > signing.TS_WINDOW_MS):
                log.warning("NXCloud refused the timestamp and its clock differs from ours by %.0f s; "
                            "retrying once with the server's time", server_time - sent_ms / 1000)
                self.clock.observe(server_time - local_time)
                clock_fixed = True
                continue
            code = models.reply_code(reply)
            if code is not None and code in models.COMMON_CODES:
                raise self._common_error(code, reply)
            return reply

    async def _send(self, endpoint: Endpoint, data: bytes, sending: tuple[str, str, str | None] | None
                    ) -> tuple[int, str, int, float | None, float, float | None]:
        """Send once: (status, reply text, the ts we sent in ms, server time from Date or None,
        local time then, Retry-After or None). Raises NetworkError when nothing reached NXCloud,
        _Lost when the request may have gone out without an answer, and for a reply cut off or
        too large: SendOutcomeUnknown for a send, ProtocolError otherwise."""
        ts = signing.timestamp_ms(self.clock.now())
        headers = signing.signed_headers(access_key=self.access_key, access_secret=self._access_secret,
                                         biz_type=endpoint.biz_type, action=endpoint.action, ts=ts, body=data)
        url = self.api + endpoint.path
        try:
            async with self.session.post(url, data=data, headers=headers) as response:
                local_time = time.time()
                server_time = date_header_time(response.headers.get("Date"))
                status = response.status
                retry_after = retry_after_seconds(response.headers.get("Retry-After"), server_time)
                text = await read_text(response, what="NXCloud")
        except aiohttp.ClientConnectorError as exc:
            # Never connected: nothing reached NXCloud, so even a send is known not to have happened.
            raise NetworkError(f"Could not reach NXCloud ({describe_failure(exc)}).",
                               hint="Check the internet connection, any proxy or firewall.") from None
        except ProtocolError as exc:
            if sending is not None:  # NXCloud answered: the message may well have gone out
                what, phone, sys_id = sending
                raise SendOutcomeUnknown(what, phone, exc.message.rstrip("."),
                                         sys_message_id=sys_id) from None
            raise
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise _Lost(describe_failure(exc)) from None
        if server_time is not None:
            # Follow NXCloud's own clock on every reply: with a clock of its own (Messaging
            # gives one), nothing else moves it.
            self.clock.observe(server_time - local_time)
        return status, text, int(ts), server_time, local_time, retry_after

    def _common_error(self, code: int, reply: Mapping[str, Any]) -> VendorError:
        text, hint = models.COMMON_CODES[code]
        vendor_text = models.reply_text(reply)
        if code == 1004:
            offset = self.clock.offset
            if abs(offset) >= 1:
                text = (f"NXCloud refused the request: the laptop clock is {abs(offset):.0f} s "
                        f"{'behind' if offset > 0 else 'ahead of'} the server (60 s are allowed).")
        if code in (1003, 1005):
            return AuthError(VENDOR, code, vendor_text, message=text, hint=hint)
        return VendorError(VENDOR, code, vendor_text, message=text, hint=hint)


# -- error mapping ----------------------------------------------------------------------------

def _sms_error(reply: Mapping[str, Any], number: str) -> VendorError:
    code = str(reply.get("code", "")).strip()
    vendor_text = models.reply_text(reply)
    text, hint = models.SMS_CODES.get(code, ("NXCloud refused the SMS.", "Try again; if it persists, send the log "
                                                                       "to support."))
    if code == "6":
        text = f"NXCloud says {models.display_phone(number)} is not a valid number."
    if code == "3":
        return InsufficientBalance(VENDOR, code, vendor_text, message=text, hint=hint)
    if code in ("27", "28"):
        return RateLimited(VENDOR, code, vendor_text, message=text, hint=hint)
    if code == "1":
        return AuthError(VENDOR, code, vendor_text, message=text, hint=hint)
    return VendorError(VENDOR, code, vendor_text, message=text, hint=hint)


def _whatsapp_error(reply: Mapping[str, Any]) -> VendorError:
    code = models.reply_code(reply)
    vendor_text = models.reply_text(reply)
    text, hint = models.WHATSAPP_CODES.get(code if code is not None else -1,
                                           ("NXCloud refused the WhatsApp message.",
                                            "Try again; if it persists, send the log to support."))
    if code == 9099:
        data = reply.get("data") if isinstance(reply.get("data"), Mapping) else {}
        meta = data.get("error") if isinstance(data.get("error"), Mapping) else {}
        meta_code = models.reply_code(meta)
        meta_text = str(meta.get("message") or "")
        reason = models.META_CODES.get(meta_code) if meta_code is not None else None
        text = f"WhatsApp refused the message: {(reason or meta_text or 'no reason given').rstrip('.')}"
        text += f" (WhatsApp error {meta_code})." if meta_code is not None else "."
        hint = ("Check the template name, language and values." if meta_code in (132000, 132001)
                else "Check the number, or send the credential by SMS instead." if meta_code == 131026
                else "Check the message and the number.")
        vendor_text = f"{vendor_text}: {meta_text}" if meta_text else vendor_text
    if code == 9005:
        return InsufficientBalance(VENDOR, code, vendor_text, message=text, hint=hint)
    if code == 9003:
        return AuthError(VENDOR, code, vendor_text, message=text, hint=hint)
    return VendorError(VENDOR, code, vendor_text, message=text, hint=hint)


def _check_error(reply: Mapping[str, Any]) -> VendorError:
    code = models.reply_code(reply)
    vendor_text = models.reply_text(reply)
    text, hint = models.CHECK_CODES.get(code if code is not None else 288,
                                        ("NXCloud refused the number check.", "Try again later."))
    if code == 88 and vendor_text:
        text = f"NXCloud could not answer the number check query: {vendor_text}"
    if code == 211:
        return InsufficientBalance(VENDOR, code, vendor_text, message=text, hint=hint)
    if code in (202, 210):
        return AuthError(VENDOR, code, vendor_text, message=text, hint=hint)
    return VendorError(VENDOR, code, vendor_text, message=text, hint=hint)


class _Lost(Exception):
    """The request may have reached NXCloud; no answer came back."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


def _lost(sending: tuple[str, str, str | None] | None, cause: str) -> SiteKitError:
    if sending is not None:
        what, phone, sys_id = sending
        return SendOutcomeUnknown(what, phone, f"the connection failed before NXCloud answered ({cause})",
                                  sys_message_id=sys_id)
    return NetworkError(f"NXCloud did not answer ({cause}).",
                        hint="Check the internet connection and try again.")


def _rate_limited(retry_after: float | None, waits: int) -> RateLimited:
    if retry_after is not None and retry_after > MAX_RATE_WAIT:
        text = f"NXCloud is limiting how often SiteKit calls it and asked for a {retry_after:.0f} s pause."
    else:
        text = f"NXCloud is still limiting how often SiteKit calls it after {waits} waits."
    return RateLimited(VENDOR, 429, "", retry_after=retry_after, message=text,
                       hint="Nothing was sent. Wait a minute and try again.")


# -- small helpers ----------------------------------------------------------------------------

def _masked(number: str) -> str:
    """A resident's number for the log: enough to tell messages apart, not to call them."""
    return models.display_phone(number)[:-6] + "***" + number[-3:]


def _utc_date(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d")


def _decode(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
