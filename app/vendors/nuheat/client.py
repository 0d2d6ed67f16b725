"""The Nuheat OpenAPI v1: account, groups, thermostats, schedules, energy logs.

    client = NuheatClient(session, auth, api="https://api.nam.mynuheat.com")
    await client.thermostats()                      # -> list[ThermostatModel]
    await client.update_thermostat(ThermostatUpdateModel.hold(serial, 2150))
    await client.put_schedule(schedule)             # checked locally first (schedule_rules)

Every call waits for the rate governor first (app/core/ratelimit.py, default the seed's
50/s, 750/30 min, 20,000/12 h, 250,000/7 days per user + client), so normal use never
meets a 429. When one comes anyway, the governor holds every caller for Retry-After and the
call is tried again. A 401 triggers one refresh of the access token and one retry.

Errors are VendorError subclasses with vendor "Nuheat" and the HTTP status as code; 400
keeps the API's `{"messages": [...]}` text. A 405 on a schedule endpoint means the
thermostat moved to API v2, whose schedules v1 cannot read or write: ScheduleReadOnly.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Any, Callable

import aiohttp

from app.core.errors import AuthError, NetworkError, ProtocolError, RateLimited, SiteKitError, VendorError
from app.core.ratelimit import RateGovernor, ServerQuota, Window, parse_retry_after
from app.vendors.nuheat import schedule_rules
from app.vendors.nuheat.auth import NuheatAuth
from app.vendors.nuheat.models import (
    AccountModel, EnergyUsageModel, GroupModel, ScheduleModel, ThermostatModel, ThermostatUpdateModel)

VENDOR = "Nuheat"
# Since the July 2026 move (older copies: https://api.mynuheat.com).
DEFAULT_API = "https://api.nam.mynuheat.com"
# The seed's burst and rate limits, per user + client.
DEFAULT_WINDOWS = (Window(50, 1), Window(750, 30 * 60), Window(20_000, 12 * 3600), Window(250_000, 7 * 86400))
# After this many 429s in a row for one call, give up and tell the user.
MAX_RATE_LIMITED_RETRIES = 2
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=30)


class NotFound(VendorError):
    """The thermostat, group or schedule is not on this account (or the list is empty)."""


class ScheduleReadOnly(VendorError):
    """The thermostat moved to Nuheat's API v2: its schedule cannot be read or changed through v1."""


class ScheduleInvalid(SiteKitError):
    """The schedule breaks a rule; `violations` locate each problem for the editor."""

    def __init__(self, violations: list[schedule_rules.RuleViolation]) -> None:
        self.violations = violations
        first = violations[0].message if violations else "The schedule breaks a rule."
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        super().__init__(f"The schedule cannot be saved: {first}{more}",
                         hint="Fix the highlighted events, then save again.")


def _messages(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("messages"), list):
        return " ".join(str(m) for m in body["messages"])
    if isinstance(body, str):
        return body[:300]
    return ""


class NuheatClient:
    def __init__(self, session: aiohttp.ClientSession, auth: NuheatAuth, *, api: str = DEFAULT_API,
                 governor: RateGovernor | None = None, windows: tuple[Window, ...] = DEFAULT_WINDOWS,
                 max_rate_limited_retries: int = MAX_RATE_LIMITED_RETRIES,
                 on_quota: Callable[[ServerQuota], None] | None = None) -> None:
        self.session = session
        self.auth = auth
        self.api = api.rstrip("/")
        self.governor = governor or RateGovernor(windows)
        self.max_rate_limited_retries = max_rate_limited_retries
        self.on_quota = on_quota

    @property
    def quota(self) -> ServerQuota | None:
        """The server's last X-Rate-Limit-* figures (longest window), for the UI."""
        return self.governor.server_quota

    # ----- transport ----------------------------------------------------------------------

    async def _send(self, method: str, path: str, body: Any) -> tuple[int, dict[str, str], Any, str]:
        await self.governor.acquire()
        token = await self.auth.access_token()
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        try:
            async with self.session.request(method, self.api + path, data=data, headers=headers,
                                            timeout=HTTP_TIMEOUT) as response:
                text = await response.text()
                status, answer_headers = response.status, dict(response.headers)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise NetworkError(f"Cannot reach the Nuheat API ({type(error).__name__}).",
                               hint="Check the internet connection.") from None
        parsed: Any = text
        if text and "json" in answer_headers.get("Content-Type", "").lower():
            try:
                parsed = json.loads(text)
            except ValueError:
                raise ProtocolError(f"The Nuheat API answered HTTP {status} with broken JSON.") from None
        return status, answer_headers, parsed, token

    async def request(self, method: str, path: str, body: Any = None) -> Any:
        refreshed, rate_limited = False, 0
        while True:
            status, headers, answer, token = await self._send(method, path, body)
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
                retry_after = parse_retry_after(headers.get("Retry-After"))
                self.governor.hold_off(retry_after)
                rate_limited += 1
                if rate_limited <= self.max_rate_limited_retries:
                    continue
                raise RateLimited(VENDOR, 429, _messages(answer), retry_after=retry_after,
                                  message="Nuheat is limiting SiteKit's calls for this account.",
                                  hint=f"Try again in {int(retry_after)} s.")
            if 200 <= status < 300:
                return None if status == 204 or answer == "" else answer
            raise self._error(status, answer, path)

    @staticmethod
    def _error(status: int, answer: Any, path: str) -> VendorError:
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
