"""`NxcloudSim`: the simulated NXCloud API on loopback.

    sim = NxcloudSim()                       # the demo account (demo.py), results after 1.5 s
    NxcloudSim(result_delay_seconds=0.2)     # faster number-check results for tests
    await sim.start("127.0.0.1", port=0)
    sim.api                                  # base URL, no trailing slash
    sim.describe()                           # {"api", "access_key", "access_secret", "app_key", "business_phone"}
    await sim.stop()

Observations: `sent` (the outbox: every SMS and WhatsApp message accepted, in order, as
`SentMessage`), `checks` (submitted number checks), `requests` (path and reply code of
every call, including refusals; code None for an `http_status` fault; a request a scripted
fault answered is counted in `faults.script` instead).
Fault knobs (`sim.faults`): `delay_seconds` before every reply; `clock_offset` (simulator
clock minus real clock: the `ts` window and the `Date` header); `drop_after_acting` (a send
is accepted and recorded in the outbox, then the connection is cut before the reply);
`http_status` (every call answers it, plain text); `insufficient_balance` (SMS "3", WhatsApp
9005, number check 211); `sms_tps_limited` (the next N SMS answer "28", the TPS limit); `script` (a `FaultScript`: scripted generic HTTP faults per path,
served before the common checks: 429 storms with Retry-After, 5xx bursts in plain text as
NXCloud's gateway sends them, drops before or after acting, truncated, malformed and
oversized replies). Settings: `result_delay_seconds` (a check's result appears in the
query this long after the submit), `sms_per_number_per_hour` (code "27" beyond it; None
turns the limit off), `account.businesses` (bizTypes the account may use; others get 1005),
`templates` (WhatsApp templates by name).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from aiohttp import web

from app.simulators.faults import FaultScript, fault_middleware
from app.simulators.listening import listen, url_host

from app.simulators.nxcloud import demo
from app.simulators.nxcloud.api import NxcloudApi, utc_date

HISTORY = 10_000  # requests, messages and checks kept (a demo site runs for hours)


@dataclass
class Faults:
    delay_seconds: float = 0.0
    clock_offset: float = 0.0
    drop_after_acting: bool = False
    http_status: int | None = None
    insufficient_balance: bool = False
    sms_tps_limited: int = 0  # the next N SMS answer code "28" (TPS limit), nothing sent
    # The middleware holds this object: script on it (add/storm/clear), never replace it.
    script: FaultScript = field(default_factory=FaultScript)


@dataclass
class Account:
    access_key: str = demo.ACCESS_KEY
    access_secret: str = demo.ACCESS_SECRET
    app_key: str = demo.APP_KEY
    business_phone: str = demo.BUSINESS_PHONE
    businesses: set[int] = field(default_factory=lambda: {1, 2, 3})


@dataclass
class SentMessage:
    channel: str  # sms | whatsapp
    to: str
    text: str  # SMS content, WhatsApp text, or the template rendered with its values
    message_id: str
    sys_message_id: str | None = None
    sender: str | None = None
    template: str | None = None
    at: float = 0.0  # time.monotonic()


@dataclass
class NumberCheck:
    message_id: str
    batch_no: str
    phone: str
    level: int
    date: str  # yyyy-MM-dd (UTC, simulator clock) the query must name
    ready_at: float  # time.monotonic() from which the query returns it


@dataclass
class RequestRecord:
    path: str
    code: int | None
    at: float


class NxcloudSim:
    def __init__(self, *, access_key: str = demo.ACCESS_KEY, access_secret: str = demo.ACCESS_SECRET,
                 app_key: str = demo.APP_KEY, business_phone: str = demo.BUSINESS_PHONE,
                 result_delay_seconds: float = 1.5, sms_per_number_per_hour: int | None = 5) -> None:
        self.account = Account(access_key, access_secret, app_key, business_phone)
        self.faults = Faults()
        self.result_delay_seconds = result_delay_seconds
        self.sms_per_number_per_hour = sms_per_number_per_hour
        self.templates = {t.name: t for t in demo.TEMPLATES}
        self.sent: deque[SentMessage] = deque(maxlen=HISTORY)
        self.checks: deque[NumberCheck] = deque(maxlen=HISTORY)
        self.requests: deque[RequestRecord] = deque(maxlen=HISTORY)
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port = 0

    # ----- lifecycle --------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        self._host = host
        app = web.Application(middlewares=[fault_middleware(self.faults.script)])
        NxcloudApi(self).add_routes(app)
        app.on_response_prepare.append(self._date_header)
        self._runner, self._port = await listen(app, host, port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> NxcloudSim:
        await self.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    @property
    def api(self) -> str:
        if self._runner is None:
            raise RuntimeError("simulator not started")
        return f"http://{url_host(self._host)}:{self._port}"

    def describe(self) -> dict[str, Any]:
        """What a client needs (demo-only secrets): the `sitekit sim` "nxcloud" entry."""
        return {"api": self.api, "access_key": self.account.access_key,
                "access_secret": self.account.access_secret, "app_key": self.account.app_key,
                "business_phone": self.account.business_phone}

    # ----- clock and records ------------------------------------------------------------------

    def now(self) -> float:
        return time.time() + self.faults.clock_offset

    async def _date_header(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Date"] = formatdate(self.now(), usegmt=True)

    def record(self, path: str, code: int | None) -> None:
        self.requests.append(RequestRecord(path, code, time.monotonic()))

    def add_sent(self, channel: str, to: str, text: str, *, message_id: str, sys_message_id: str | None = None,
                 sender: str | None = None, template: str | None = None) -> SentMessage:
        message = SentMessage(channel, to, text, message_id, sys_message_id, sender, template, time.monotonic())
        self.sent.append(message)
        return message

    def add_check(self, message_id: str, batch_no: str, phone: str, level: int) -> NumberCheck:
        check = NumberCheck(message_id, batch_no, phone, level, utc_date(self.now()),
                            time.monotonic() + self.result_delay_seconds)
        self.checks.append(check)
        return check
