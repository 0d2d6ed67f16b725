"""The simulated NXCloud endpoints: SMS, WhatsApp, number check submit and query.

Every request first passes the convention's common checks, in this order, each refused in
the endpoint's own reply shape (SMS: string codes and `result`; WhatsApp: `message`;
number check: `msg`): a missing header 1001, an unknown accessKey 1005, a `ts` that is not
milliseconds within 60 s of the simulator clock 1004, a Content-Type other than
application/json or a signature that does not match 1003 (verified over the body bytes
exactly as received), a bizType/action that is not this endpoint's 1002 (checked after the
signature, so any correctly signed request gets past 1003), a business the account lacks
1005, a body that is not a JSON object 1002. Header names are case-insensitive.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping

from aiohttp import web

from app.simulators.nxcloud import demo
from app.vendors.nxcloud import signing
from app.vendors.nxcloud.models import calling_code

if TYPE_CHECKING:
    from app.simulators.nxcloud.sim import NxcloudSim

SMS_PATH, WHATSAPP_PATH = "/api/sms/mtsend_v2", "/api/wa/mt"
CHECK_PATH, QUERY_PATH = "/api/number/check", "/api/number/query"
ENDPOINTS = {SMS_PATH: ("3", "mtsend"), WHATSAPP_PATH: ("2", "mt"), CHECK_PATH: ("1", "numbercheck"),
             QUERY_PATH: ("1", "numbercheck")}
COMMON_MESSAGES = {1001: "Missing parameters", 1002: "Parameter error", 1003: "Invalid signature",
                   1004: "Timestamp expired", 1005: "Insufficient permissions"}
DIGITS = re.compile(r"^[1-9][0-9]{6,14}$")
SYS_MESSAGE_ID = re.compile(r"^[0-9A-Za-z-]{10,50}$")
SOURCE_ADDRESS = re.compile(r"^[0-9A-Za-z]{1,20}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SMS_MAX_CHARS, WHATSAPP_MAX_CHARS = 1000, 4096
HOUR = 3600.0

Handler = Callable[[web.Request, dict[str, Any]], Awaitable[web.StreamResponse]]


def _sms_reply(code: int | str, result: str, messageid: str = "") -> web.Response:
    return web.json_response({"result": result, "code": str(code), "messageid": messageid})


def _wa_reply(code: int, message: str, data: Any = None) -> web.Response:
    return web.json_response({"code": code, "message": message, "data": data})


def _meta_error(meta_code: int, message: str) -> web.Response:
    return _wa_reply(9099, "WhatsApp error", {"error": {
        "code": meta_code, "message": f"(#{meta_code}) {message}", "type": "OAuthException",
        "fbtrace_id": secrets.token_urlsafe(12), "error_data": {"messaging_product": "whatsapp",
                                                               "details": message}}})


def _check_reply(code: int, msg: str, data: Any = None) -> web.Response:
    return web.json_response({"msg": msg, "code": code, "data": {} if data is None else data})


REFUSE_IN_SHAPE = {SMS_PATH: _sms_reply, WHATSAPP_PATH: _wa_reply, CHECK_PATH: _check_reply,
                   QUERY_PATH: _check_reply}


class NxcloudApi:
    def __init__(self, sim: NxcloudSim) -> None:
        self.sim = sim

    def add_routes(self, app: web.Application) -> None:
        for path, handler in ((SMS_PATH, self.sms), (WHATSAPP_PATH, self.whatsapp), (CHECK_PATH, self.check),
                              (QUERY_PATH, self.query)):
            app.router.add_post(path, self._guarded(path, handler))

    # ----- the common checks ------------------------------------------------------------------

    def _guarded(self, path: str, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def guarded(request: web.Request) -> web.StreamResponse:
            faults = self.sim.faults
            if faults.delay_seconds > 0:
                await asyncio.sleep(faults.delay_seconds)
            if faults.http_status is not None:
                self.sim.record(path, None)
                return web.Response(status=faults.http_status, text="simulated upstream failure\n")
            raw = await request.read()
            code = self._common_refusal(request, raw, path)
            body: Any = None
            if code is None:
                try:
                    body = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    body = None
                if not isinstance(body, dict):
                    code = 1002
            if code is not None:
                self.sim.record(path, code)
                return REFUSE_IN_SHAPE[path](code, COMMON_MESSAGES[code])
            return await handler(request, body)
        return guarded

    def _common_refusal(self, request: web.Request, raw: bytes, path: str) -> int | None:
        headers = request.headers  # case-insensitive, like the real server
        names = (*signing.SIGNED_HEADERS, signing.SIGN_HEADER)
        if any(not (headers.get(name) or "").strip() for name in names):
            return 1001
        account = self.sim.account
        if headers["accessKey"] != account.access_key:
            return 1005
        ts = headers["ts"].strip()
        if not ts.isdigit() or abs(int(ts) - self.sim.now() * 1000) > signing.TS_WINDOW_MS:
            return 1004
        if request.content_type != "application/json":
            return 1003
        if not signing.verify(headers, raw, account.access_secret):
            return 1003
        if (headers["bizType"], headers["action"]) != ENDPOINTS[path]:
            return 1002
        if int(headers["bizType"]) not in account.businesses:
            return 1005
        return None

    def _drop_after_acting(self, request: web.Request) -> web.StreamResponse | None:
        """With the fault on, the send has happened but the reply never leaves."""
        if not self.sim.faults.drop_after_acting:
            return None
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=204)  # never reaches the client

    # ----- SMS -------------------------------------------------------------------------------

    async def sms(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        refusal = self._sms_refusal(body)
        if refusal is not None:
            code, text = refusal
            self.sim.record(SMS_PATH, int(code))
            return _sms_reply(code, text)
        messageid = str(secrets.randbelow(9 * 10**11) + 10**11)
        for phone in body["phone"].split(","):
            self.sim.add_sent("sms", phone, body["content"], message_id=messageid,
                              sys_message_id=body.get("sysMessageId"), sender=body.get("sourceAddress"))
        self.sim.record(SMS_PATH, 0)
        return self._drop_after_acting(request) or _sms_reply(0, "Request succeeded", messageid)

    def _sms_refusal(self, body: Mapping[str, Any]) -> tuple[str, str] | None:
        account = self.sim.account
        app_key, phone, content = body.get("appKey"), body.get("phone"), body.get("content")
        if not isinstance(app_key, str) or not app_key or not isinstance(phone, str) or not phone:
            return "2", "Parameter error or empty"
        if app_key != account.app_key:
            return "1", "Application unavailable or incorrect key"
        if not isinstance(content, str) or not content.strip():
            return "4", "Content is empty or contains illegal keywords"
        if len(content) > SMS_MAX_CHARS:
            return "5", "Content is too long"
        if any(word in content.lower() for word in demo.FORBIDDEN_WORDS):
            return "4", "Content is empty or contains illegal keywords"
        phones = phone.split(",")
        if any(not DIGITS.match(p) or demo.NUMBERS.get(p) == "invalid" for p in phones):
            return "6", "Invalid number"
        source = body.get("sourceAddress")
        if source is not None and (not isinstance(source, str) or not SOURCE_ADDRESS.match(source)):
            return "8", "sourceaddress/sender must be 1-20 digits or letters"
        sys_id = body.get("sysMessageId")
        if sys_id is not None and (not isinstance(sys_id, str) or not SYS_MESSAGE_ID.match(sys_id)):
            return "2", "Parameter error or empty"
        if self.sim.faults.insufficient_balance:
            return "3", "Insufficient balance"
        if self.sim.faults.sms_tps_limited > 0:
            self.sim.faults.sms_tps_limited -= 1
            return "28", "TPS limit exceeded"
        limit = self.sim.sms_per_number_per_hour
        if limit is not None:
            since = time.monotonic() - HOUR
            for p in phones:
                if sum(1 for m in self.sim.sent if m.channel == "sms" and m.to == p and m.at >= since) >= limit:
                    return "27", ("Frequency limit is enabled, and the maximum allowed number of messages "
                                  "sent to the same number within one hour has been reached")
        return None

    # ----- WhatsApp --------------------------------------------------------------------------

    async def whatsapp(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        refusal, rendered = self._whatsapp_refusal(body)
        if refusal is not None:
            payload = json.loads(refusal.body)  # type: ignore[arg-type]
            self.sim.record(WHATSAPP_PATH, payload["code"])
            return refusal
        message_id = "wamid." + secrets.token_urlsafe(18)
        template = body["template"]["name"] if body["type"] == "template" else None
        self.sim.add_sent("whatsapp", body["to"], rendered, message_id=message_id, template=template)
        self.sim.record(WHATSAPP_PATH, 0)
        return self._drop_after_acting(request) or _wa_reply(
            0, "Request successful", {"messaging_product": "whatsapp", "messages": [{"id": message_id}]})

    def _whatsapp_refusal(self, body: Mapping[str, Any]) -> tuple[web.Response | None, str]:
        account = self.sim.account
        for name in ("appkey", "business_phone", "messaging_product", "recipient_type", "to", "type"):
            if not isinstance(body.get(name), str) or not body[name]:
                return _wa_reply(9000, f"Parameter exception: {name} is required"), ""
        if body["appkey"] != account.app_key:
            return _wa_reply(9003, "Application does not exist/unavailable"), ""
        if not DIGITS.match(body["business_phone"]):
            return _wa_reply(9002, "Merchant phone number error"), ""
        if body["business_phone"] != account.business_phone:
            return _wa_reply(9006, "The WhatsApp number is not bound to the application"), ""
        if body["messaging_product"] != "whatsapp" or body["recipient_type"] != "individual":
            return _wa_reply(9000, "Parameter exception: messaging_product must be whatsapp and "
                                   "recipient_type individual"), ""
        kind = body["type"]
        if kind == "text":
            text = body.get("text")
            if not isinstance(text, Mapping) or not isinstance(text.get("body"), str) or not text["body"].strip():
                return _wa_reply(9000, "Parameter exception: text.body is required"), ""
            if len(text["body"]) > WHATSAPP_MAX_CHARS:
                return _meta_error(100, "Invalid parameter"), ""
            rendered = text["body"]
        elif kind == "template":
            refusal, rendered = self._template_refusal(body.get("template"))
            if refusal is not None:
                return refusal, ""
        else:
            return _wa_reply(9000, f"Parameter exception: type {kind!r} is not supported here (text, template)"), ""
        to = body["to"]
        if not DIGITS.match(to):
            return _meta_error(100, "Invalid parameter"), ""
        if self.sim.faults.insufficient_balance:
            return _wa_reply(9005, "Insufficient account balance"), ""
        if demo.NUMBERS.get(to) in ("invalid", "not_whatsapp"):
            return _meta_error(131026, "Message undeliverable"), ""
        return None, rendered

    def _template_refusal(self, template: Any) -> tuple[web.Response | None, str]:
        if not isinstance(template, Mapping) or not isinstance(template.get("name"), str) or not template["name"]:
            return _wa_reply(9000, "Parameter exception: template.name is required"), ""
        language = template.get("language")
        if (not isinstance(language, Mapping) or not language.get("code")
                or language.get("policy") != "deterministic"):
            return _wa_reply(9000, "Parameter exception: template.language needs code and policy "
                                   "deterministic"), ""
        known = self.sim.templates.get(template["name"])
        if known is None or known.language != language["code"]:
            return _meta_error(132001, "Template name does not exist in the translation"), ""
        values: list[str] = []
        for component in template.get("components") or []:
            if isinstance(component, Mapping) and component.get("type") == "body":
                for parameter in component.get("parameters") or []:
                    if isinstance(parameter, Mapping) and parameter.get("type") == "text":
                        values.append(str(parameter.get("text", "")))
        if len(values) != known.body_params:
            return _meta_error(132000, "Number of parameters does not match the expected number of params"), ""
        rendered = known.text
        for index, value in enumerate(values, start=1):
            rendered = rendered.replace("{{%d}}" % index, value)
        return None, rendered

    # ----- number check ----------------------------------------------------------------------

    async def check(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        code, msg, data = self._check_submit(body)
        self.sim.record(CHECK_PATH, code)
        return _check_reply(code, msg, data)

    def _check_submit(self, body: Mapping[str, Any]) -> tuple[int, str, dict[str, Any]]:
        empty = {"messageId": "", "batchNo": ""}
        app_key, phone = body.get("appkey"), body.get("phone")
        if not isinstance(app_key, str) or not app_key or not isinstance(phone, str) or not phone.strip():
            return 201, "Parameter error or empty", empty
        if app_key != self.sim.account.app_key:
            return 202, "Application not available or incorrect appkey", empty
        level = body.get("checkLevel", 1)
        if isinstance(level, bool) or level not in (1, 4, 5):
            return 207, "Invalid check type", empty
        batch_no = body.get("batchNo")
        if batch_no is not None and (not isinstance(batch_no, str) or len(batch_no) > 64):
            return 212, "Batch number length cannot exceed 64 characters", empty
        phones = [p.strip() for p in phone.split(",") if p.strip()]
        if not phones:
            return 201, "Parameter error or empty", empty
        if len({calling_code(p) for p in phones if p.isdigit()}) > 1:
            return 201, "Parameter error: all numbers in the same batch must belong to the same country", empty
        if self.sim.faults.insufficient_balance:
            return 211, "Insufficient customer balance", empty
        message_id = uuid.uuid4().hex
        batch_no = batch_no or str(secrets.randbelow(9 * 10**11) + 10**11)
        for p in phones:
            item_id = message_id if len(phones) == 1 else f"{message_id}-{secrets.randbelow(10**6):06d}"
            self.sim.add_check(item_id, batch_no, p, level)
        return 0, "success", {"messageId": message_id, "batchNo": batch_no}

    async def query(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        code, msg, data = self._query(body)
        self.sim.record(QUERY_PATH, code)
        return _check_reply(code, msg, data)

    def _query(self, body: Mapping[str, Any]) -> tuple[int, str, dict[str, Any]]:
        page, size, date = body.get("page"), body.get("pageSize"), body.get("date")
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in (page, size)):
            return 88, "page and pageSize are required", {}
        if size > 100:
            return 88, "pageSize cannot exceed 100", {}
        if not isinstance(date, str) or not DATE.match(date):
            return 88, "Incorrect date format [yyyy-MM-dd]", {}
        message_id, batch_no = body.get("messageId") or "", body.get("batchNo") or ""
        if not message_id and not batch_no:
            return 88, "batchNo and messageId cannot be empty at the same time", {}
        app_key = body.get("appkey")
        if app_key is not None and app_key != self.sim.account.app_key:
            return 202, "Application not available or incorrect appkey", {}
        now = time.monotonic()
        found = [c for c in self.sim.checks
                 if c.date == date and c.ready_at <= now
                 and (not message_id or c.message_id == message_id or c.message_id.startswith(message_id + "-"))
                 and (not batch_no or c.batch_no == batch_no)]
        pages = (len(found) + size - 1) // size
        chosen = found[(page - 1) * size: page * size]
        return 0, "Request successful", {"result": [check_result(c) for c in chosen], "totalSize": len(found),
                                         "totalPage": pages, "pageSize": size, "page": page}


def check_result(check: Any) -> dict[str, Any]:
    """A finished check in the query's flat shape (the fields by level as documented)."""
    phone, level = check.phone, check.level
    status = demo.NUMBERS.get(phone, "valid") if DIGITS.match(phone) else "malformed"
    well_formed = status not in ("invalid", "malformed")
    code = calling_code(phone) if phone.isdigit() else ""
    result: dict[str, Any] = {
        "messageId": check.message_id, "batchNo": check.batch_no, "phone": phone, "checkLevel": level,
        "preCheck": "YES" if well_formed else "NO", "regionCode": "GB" if code == "44" else "",
        "countryCode": code, "nationalNumber": phone[len(code):] if well_formed else "",
        "standNumber": phone if well_formed else "", "numberType": 2 if well_formed else 0,
        "carrier": demo.CARRIER if well_formed and code == "44" else "",
        "price": {1: 0.002, 4: 0.01, 5: 0.006}[level], "currency": "USD"}
    if level == 5:
        result.update({
            "validity": "YES" if well_formed else "NO",
            "reachable": "NO" if status in ("unreachable", "invalid", "malformed") else "YES",
            "roaming": "NO" if status in ("valid", "not_whatsapp") else "UNKNOWN"})
    elif level == 4:
        response = {"unreachable": "power_off_or_out_of_service", "invalid": "invalid_number",
                    "malformed": "invalid_number"}.get(status, "bell")
        result.update({"early": "YES" if response == "bell" else "NO", "answered": "NO", "response": response})
    return result


def utc_date(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d")
