"""The Nuheat OpenAPI v1: account, groups, thermostats, schedules, energy logs.

    client = NuheatClient(session, auth, api="https://api.nam.mynuheat.com")
    await client.thermostats()                      # -> list[ThermostatModel]
    await client.update_thermostat(ThermostatUpdateModel.hold(serial, 2150))
    await client.put_schedule(schedule)             # checked locally first (schedule_rules)

Every call waits for the rate governor first (app/core/ratelimit.py, default the seed's
50/s, 750/30 min, 20,000/12 h, 250,000/7 days per user + client), so normal use never
meets a 429. When one comes anyway, the governor holds every caller for Retry-After and the
call is tried again (bounded in count and total wait). A 401 triggers one refresh of the
access token and one retry. Reads (GET) are repeated after a dropped connection or a 5xx, a
few times with backoff; changes (PUT) never are: a lost answer raises ChangeOutcomeUnknown,
a 5xx a VendorError saying to check first. Every reply is read through `read_text` (size
limit; a cut-off body is a ProtocolError).

Errors are VendorError subclasses with vendor "Nuheat" and the HTTP status as code; 400
keeps the API's `{"messages": [...]}` text. A 405 on a schedule endpoint means the
thermostat moved to API v2, whose schedules v1 cannot read or write: ScheduleReadOnly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from datetime import date
from typing import Any, Callable

import aiohttp

from app.core.errors import (
    AuthError, CommandTimeout, NetworkError, ProtocolError, RateLimited, SiteKitError, VendorError)
from app.core.http import SEND_ONCE, AnswerLost, read_text
from app.core.ratelimit import RateGovernor, ServerQuota, Window, parse_retry_after
from app.vendors.nuheat import schedule_rules
from app.vendors.nuheat.auth import NuheatAuth
from app.vendors.nuheat.models import (
    AccountModel, EnergyUsageModel, GroupModel, ScheduleModel, ThermostatModel, ThermostatUpdateModel)

log = logging.getLogger(__name__)

VENDOR = "Nuheat"
# Since the July 2026 move (older copies: https://api.mynuheat.com).
DEFAULT_API = "https://api.nam.mynuheat.com"
# The seed's burst and rate limits, per user + client.
DEFAULT_WINDOWS = (Window(50, 1), Window(750, 30 * 60), Window(20_000, 12 * 3600), Window(250_000, 7 * 86400))
# A 429 is repeated after its Retry-After, at most this many times and this long in all for
# one call (the seed's example says 58 s); past that the user is told how long to wait.
MAX_RATE_LIMITED_RETRIES = 5
MAX_RATE_LIMITED_WAIT = 120.0
# A GET is repeated after a dropped connection or a 5xx this many times, with this backoff
# doubling from 0.5 s; a 503's Retry-After is honoured up to MAX_READ_RETRY_WAIT.
MAX_READ_RETRIES = 2
READ_RETRY_BACKOFF = 0.5
MAX_READ_RETRY_WAIT = 10.0
WHAT = "The Nuheat API"
REQUEST_TIMEOUT = 30.0  # seconds for one HTTP exchange, body included


class NotFound(VendorError):
    """The thermostat, group or schedule is not on this account (or the list is empty)."""


class ScheduleReadOnly(VendorError):
    """The thermostat moved to Nuheat's API v2: its schedule cannot be read or changed through v1."""


class ChangeOutcomeUnknown(CommandTimeout):
    """A change (PUT) went out and no answer came back: Nuheat may or may not have applied it.

    Never repeated by SiteKit on its own: the user checks, then decides."""

    def __init__(self, method: str, path: str, cause: str) -> None:
        self.method, self.path, self.cause = method, path, cause
        what = _CHANGES.get(path, "the change")
        super().__init__(f"No answer from Nuheat to {what} ({cause}): it may or may not have been applied.",
                         hint="Refresh the thermostats (or look at the thermostat) to see whether it took "
                              "effect before sending it again.")


_CHANGES = {"/api/v1/Thermostat": "the mode change", "/api/v1/Schedule": "the schedule save",
            "/api/v1/Group": "the away-mode change"}


class _Unanswered(Exception):
    """The request may have left, and no HTTP status came back."""

    def __init__(self, cause: str, *, timed_out: bool = False) -> None:
        super().__init__(cause)
        self.cause = cause
        self.timed_out = timed_out


# Errors that mean the request never left (no connection was made).
_NEVER_SENT = tuple(kind for kind in (aiohttp.ClientConnectorError, getattr(aiohttp, "ConnectionTimeoutError", None))
                    if kind is not None)


def _cause(error: BaseException, timeout: float | None = None) -> str:
    """Why no answer came, in words for the user (the exception itself goes to the log)."""
    if isinstance(error, asyncio.TimeoutError):
        return f"no answer within {timeout:g} s" if timeout else "no answer in time"
    if isinstance(error, (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
        return "the connection closed before Nuheat answered"
    return f"the connection failed: {type(error).__name__}"


def _endpoint(path: str) -> str:
    return path.split("?", 1)[0]


class ScheduleInvalid(SiteKitError):
    """The schedule breaks a rule; `violations` locate each problem for the editor."""

    def __init__(self, violations: list[schedule_rules.RuleViolation]) -> None:
        self.violations = violations
        first = violations[0].message if violations else "The schedule breaks a rule."
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        super().__init__(f"The schedule cannot be saved: {first}{more}",
                         hint="Fix the highlighted events, then save again.")


def _messages(body: Any) -> str:
    """The API's `{"messages": [...]}` (or a text body) as one line, short enough to show."""
    if isinstance(body, dict) and isinstance(body.get("messages"), list):
        return " ".join(str(m) for m in body["messages"] if isinstance(m, (str, int, float)))[:300]
    if isinstance(body, str):
        return body[:300]
    return ""


def decode_reply(status: int, content_type: str, text: str, method: str, path: str) -> Any:
    """A reply's body: JSON when it says so, else the text. Broken JSON in a success is a
    ProtocolError; in an error status the text is kept (the status says enough)."""
    if not text or "json" not in content_type.lower():
        return text
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        if 200 <= status < 300:
            raise ProtocolError(f"The Nuheat API answered {method} {_endpoint(path)} with broken JSON.",
                                hint="Try again later; if it persists, Nuheat's service has a problem.") from None
        return text


class NuheatClient:
    def __init__(self, session: aiohttp.ClientSession, auth: NuheatAuth, *, api: str = DEFAULT_API,
                 governor: RateGovernor | None = None, windows: tuple[Window, ...] = DEFAULT_WINDOWS,
                 max_rate_limited_retries: int = MAX_RATE_LIMITED_RETRIES,
                 max_rate_limited_wait: float = MAX_RATE_LIMITED_WAIT,
                 max_read_retries: int = MAX_READ_RETRIES, read_retry_backoff: float = READ_RETRY_BACKOFF,
                 on_quota: Callable[[ServerQuota], None] | None = None,
                 request_timeout: float = REQUEST_TIMEOUT) -> None:
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=request_timeout)
        self.auth = auth
        self.api = api.rstrip("/")
        self.governor = governor or RateGovernor(windows)
        self.max_rate_limited_retries = max_rate_limited_retries
        self.max_rate_limited_wait = max_rate_limited_wait
        self.max_read_retries = max_read_retries
        self.read_retry_backoff = read_retry_backoff
        self.on_quota = on_quota

    @property
    def quota(self) -> ServerQuota | None:
        """The server's last X-Rate-Limit-* figures (longest window), for the UI."""
        return self.governor.server_quota

    # ----- transport ----------------------------------------------------------------------

    async def _send(self, method: str, path: str, body: Any) -> tuple[int, dict[str, str], Any, str]:
        """One HTTP exchange. Raises _Unanswered when the request may have reached Nuheat but
        no status came back, NetworkError when it certainly did not leave."""
        held = self.governor.delay()
        if held > self.max_rate_limited_wait:
            # Nuheat said to pause (or our own count of its limits is spent) for longer than a
            # person waits on a button: say so now instead of sleeping through it.
            raise RateLimited(VENDOR, 429, "", retry_after=held,
                              message="Nuheat is limiting SiteKit's calls for this account.",
                              hint=f"Try again in {max(1, math.ceil(held))} s.")
        await self.governor.acquire()
        token = await self.auth.access_token()
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        status: int | None = None
        answer_headers: dict[str, str] = {}
        try:
            options = SEND_ONCE if method != "GET" else {}
            async with self.session.request(method, self.api + path, data=data, headers=headers,
                                            timeout=self.timeout, **options) as response:
                status, answer_headers = response.status, dict(response.headers)
                if method != "GET" and 200 <= status < 300:
                    # A change Nuheat accepted is done whatever follows in the body (204 has
                    # none): a body cut off or unreadable must not make the user send it again.
                    with contextlib.suppress(ProtocolError):
                        await read_text(response, what=WHAT)
                    return status, answer_headers, None, token
                text = await read_text(response, what=WHAT)
        except _NEVER_SENT as error:
            # Never connected: nothing was sent, so nothing can have changed.
            raise NetworkError(f"Cannot reach the Nuheat API ({type(error).__name__}).",
                               hint="Check the internet connection.") from None
        except AnswerLost as error:
            log.info("Nuheat %s %s: no answer (%r)", method, _endpoint(path), error.__cause__)
            raise _Unanswered(_cause(error.__cause__ or error)) from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            log.info("Nuheat %s %s: no answer (%s)", method, _endpoint(path), type(error).__name__)
            raise _Unanswered(_cause(error, self.timeout.total),
                              timed_out=isinstance(error, asyncio.TimeoutError)) from None
        parsed = decode_reply(status, answer_headers.get("Content-Type", ""), text, method, path)
        return status, answer_headers, parsed, token

    async def request(self, method: str, path: str, body: Any = None) -> Any:
        """GETs are repeated on a dropped connection or a 5xx (bounded); changes never are:
        a change whose answer was lost raises ChangeOutcomeUnknown."""
        refreshed, rate_limited, failures, waited = False, 0, 0, 0.0
        safe = method == "GET"
        while True:
            try:
                status, headers, answer, token = await self._send(method, path, body)
            except _Unanswered as lost:
                if not safe:
                    raise ChangeOutcomeUnknown(method, path, lost.cause) from None
                failures += 1
                # A server silent for the whole timeout is not asked again at once: the user
                # would wait several timeouts for the same answer.
                if failures > self.max_read_retries or lost.timed_out:
                    raise NetworkError(f"The Nuheat API did not answer {_endpoint(path)} ({lost.cause}; "
                                       f"tried {failures} time{'s' if failures > 1 else ''}).",
                                       hint="Check the internet connection, then try again.") from None
                await asyncio.sleep(self._retry_delay(failures, None))
                continue
            quota = self.governor.observe(headers)
            if quota is not None and self.on_quota is not None:
                self.on_quota(quota)
            if status == 401 and not refreshed:
                # The access token died early (server clock, revocation of the session): renew once.
                refreshed = True
                # Refresh tokens are one-time: when calls fail together, only the first renews;
                # the others find a newer token already there and just try again.
                await self.auth.refresh_if_current(token)
                continue
            if status == 429:
                # Refused before acting, so repeating is safe for changes too. Bounded in count
                # and in total wait: past that, the user hears how long to wait.
                retry_after = parse_retry_after(headers.get("Retry-After"))
                self.governor.hold_off(retry_after)
                rate_limited += 1
                waited += retry_after
                if rate_limited <= self.max_rate_limited_retries and waited <= self.max_rate_limited_wait:
                    continue
                raise RateLimited(VENDOR, 429, _messages(answer), retry_after=retry_after,
                                  message="Nuheat is limiting SiteKit's calls for this account.",
                                  hint=f"Try again in {max(1, math.ceil(retry_after))} s.")
            if status >= 500 and safe and failures < self.max_read_retries:
                failures += 1
                await asyncio.sleep(self._retry_delay(failures, headers.get("Retry-After")))
                continue
            if 200 <= status < 300:
                return None if status == 204 or answer == "" else answer
            raise self._error(status, answer, path, method)

    def _retry_delay(self, failures: int, retry_after: str | None) -> float:
        """Backoff for a repeated GET; a 503's Retry-After is honoured, within reason."""
        delay = self.read_retry_backoff * (2 ** (failures - 1))
        if retry_after is not None:
            delay = max(delay, min(parse_retry_after(retry_after, delay), MAX_READ_RETRY_WAIT))
        return delay

    @staticmethod
    def _error(status: int, answer: Any, path: str, method: str = "GET") -> VendorError:
        text = _messages(answer)
        if status == 400:
            return VendorError(VENDOR, 400, text, message=text or "Nuheat refused the request.",
                               hint="Check the values and try again.")
        if status == 401:
            return AuthError(VENDOR, 401, text, message="Nuheat no longer accepts SiteKit's sign-in.",
                             hint="Sign in to Nuheat again.")
        if status == 403:
            return AuthError(VENDOR, 403, text, message="The Nuheat sign-in lacks the openapi permission.",
                             hint="Sign in again and allow SiteKit access to the API.")
        if status == 404:
            return NotFound(VENDOR, 404, text, message="Not found on this Nuheat account.")
        if status == 405 and "/Schedule" in path:
            return ScheduleReadOnly(
                VENDOR, 405, text, message="This thermostat moved to Nuheat's API v2: its schedule is read-only here.",
                hint="Change the schedule in the Nuheat app.")
        if status >= 500:
            if method != "GET":
                return VendorError(VENDOR, status, text, message="Nuheat's server had a problem with the change.",
                                   hint="Refresh to see whether it took effect, then try again in a few minutes.")
            return VendorError(VENDOR, status, text, message="Nuheat's server had a problem.",
                               hint="Try again in a few minutes.")
        return VendorError(VENDOR, status, text, message=f"Nuheat answered HTTP {status}.")

    async def _get_list(self, path: str) -> list[Any]:
        """List endpoints answer 404 when the list is empty."""
        try:
            answer = await self.request("GET", path)
        except NotFound:
            return []
        if not isinstance(answer, list):
            raise ProtocolError(f"Nuheat's {path} did not answer a list.")
        return answer

    async def _get_object(self, path: str) -> dict[str, Any]:
        answer = await self.request("GET", path)
        if not isinstance(answer, dict):
            raise ProtocolError(f"Nuheat's {path} did not answer an object.")
        return answer

    # ----- endpoints ----------------------------------------------------------------------

    async def account(self) -> AccountModel:
        return AccountModel.from_api(await self._get_object("/api/v1/Account"))

    async def groups(self) -> list[GroupModel]:
        return [GroupModel.from_api(g) for g in await self._get_list("/api/v1/Group")]

    async def group(self, group_id: str) -> GroupModel:
        return GroupModel.from_api(await self._get_object(f"/api/v1/Group/{group_id}"))

    async def set_away(self, group_id: str, away: bool) -> None:
        await self.request("PUT", "/api/v1/Group", {"groupId": group_id, "awayMode": away})

    async def thermostats(self) -> list[ThermostatModel]:
        return [ThermostatModel.from_api(t) for t in await self._get_list("/api/v1/Thermostat")]

    async def thermostat(self, serial_number: str) -> ThermostatModel:
        return ThermostatModel.from_api(await self._get_object(f"/api/v1/Thermostat/{serial_number}"))

    async def update_thermostat(self, update: ThermostatUpdateModel) -> None:
        await self.request("PUT", "/api/v1/Thermostat", update.to_api())

    async def schedules(self) -> list[ScheduleModel]:
        return [ScheduleModel.from_api(s) for s in await self._get_list("/api/v1/Schedule")]

    async def schedule(self, serial_number: str) -> ScheduleModel:
        return ScheduleModel.from_api(await self._get_object(f"/api/v1/Schedule/{serial_number}"))

    async def put_schedule(self, schedule: ScheduleModel, *, check: bool = True) -> None:
        """Checked locally first, so the user sees which event breaks which rule."""
        body = schedule.to_api()
        if check:
            violations = schedule_rules.check_schedule(body)
            if violations:
                raise ScheduleInvalid(violations)
        await self.request("PUT", "/api/v1/Schedule", body)

    async def energy_day(self, serial_number: str, day: date) -> EnergyUsageModel:
        return EnergyUsageModel.from_api(
            await self._get_object(f"/api/v1/EnergyLog/Day/{serial_number}/{day.isoformat()}"))

    async def energy_week(self, serial_number: str, day: date) -> EnergyUsageModel:
        return EnergyUsageModel.from_api(
            await self._get_object(f"/api/v1/EnergyLog/Week/{serial_number}/{day.isoformat()}"))

    async def energy_month(self, serial_number: str, year: int) -> EnergyUsageModel:
        """Month by month for `year` (the API calls this view Month)."""
        return EnergyUsageModel.from_api(await self._get_object(f"/api/v1/EnergyLog/Month/{serial_number}/{year}"))
