"""The simulated Nuheat OpenAPI v1 (`/api/v1/...`).

Every call: Bearer access token (missing/unknown/expired -> 401, no body), the `openapi`
scope (else 403), then the per user + client rate limits (429 with Retry-After and a text
body), then the handler. 400 and 405 answer `{"messages": [...]}` (the seed's error shape);
401/403/404 have no body. Accepted calls carry X-Rate-Limit-* headers.

Mode rules (the seed's "Validation"): in operating mode Manual only setPointTemp (and name)
apply; in Auto, scheduleMode 1 follows the schedule (set point and hold time ignored),
2 Hold takes setPointTemp (or the last hold value) until holdSetPointDateTime, which must
be in the future and no more than 23 hours ahead (default: the next schedule event),
3 Permanent Hold keeps setPointTemp. A set point sent without a scheduleMode puts an Auto
thermostat in Hold until the next event, as the app does.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from aiohttp import web

from app.simulators.nuheat import demo
from app.simulators.nuheat.schedule_checks import check_schedule
from app.simulators.nuheat.state import Grant

if TYPE_CHECKING:
    from app.simulators.nuheat.sim import NuheatSim

Handler = Callable[[web.Request, Grant], Awaitable[web.StreamResponse]]
MIN_SET_POINT, MAX_SET_POINT = 500, 7000
MAX_HOLD = timedelta(hours=23)
V2_SCHEDULE_MESSAGE = "Method not allowed since thermostat schedules are incompatible"


def messages(status: int, *texts: str) -> web.Response:
    return web.json_response({"messages": list(texts)}, status=status)


def _not_found() -> web.Response:
    return web.Response(status=404)


def parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def format_datetime(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class OpenApi:
    def __init__(self, sim: NuheatSim) -> None:
        self.sim = sim

    def add_routes(self, app: web.Application) -> None:
        guard = self._guard
        router = app.router
        router.add_get("/api/v1/Account", guard(self.account))
        router.add_get("/api/v1/Group", guard(self.groups))
        router.add_get("/api/v1/Group/{groupId}", guard(self.group))
        router.add_put("/api/v1/Group", guard(self.put_group))
        router.add_get("/api/v1/Thermostat", guard(self.thermostats))
        router.add_get("/api/v1/Thermostat/{serialNumber}", guard(self.thermostat))
        router.add_put("/api/v1/Thermostat", guard(self.put_thermostat))
        router.add_get("/api/v1/Schedule", guard(self.schedules))
        router.add_get("/api/v1/Schedule/{serialNumber}", guard(self.schedule))
        router.add_put("/api/v1/Schedule", guard(self.put_schedule))
        router.add_get("/api/v1/EnergyLog/Day/{serialNumber}/{day}", guard(self.energy_day))
        router.add_get("/api/v1/EnergyLog/Week/{serialNumber}/{day}", guard(self.energy_week))
        router.add_get("/api/v1/EnergyLog/Month/{serialNumber}/{year}", guard(self.energy_month))

    def _guard(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def guarded(request: web.Request) -> web.StreamResponse:
            sim = self.sim
            await sim.apply_delay()
            status = sim.faults.http_status or sim.faults.http_status_for_method.get(request.method)
            if status is not None:
                return web.Response(status=status, text="simulated failure")
            grant = sim.bearer_grant(request)
            if grant is None:
                return web.Response(status=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
            if "openapi" not in grant.scopes:
                return web.Response(status=403, headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'})
            verdict = sim.rate_limiter.check(grant.user_id, grant.client_id, sim.now())
            sim.record_request(grant, request, verdict.allowed)
            if not verdict.allowed:
                return web.Response(status=429, text=verdict.message, headers=verdict.headers)
            response = await handler(request, grant)
            response.headers.update(verdict.headers)
            return response
        return guarded

    async def _json_body(self, request: web.Request) -> Any:
        try:
            return json.loads(await request.text())
        except ValueError:
            raise web.HTTPBadRequest(text=json.dumps({"messages": ["The body must be JSON."]}),
                                     content_type="application/json") from None

    # ----- account and groups -----------------------------------------------------------------

    async def account(self, request: web.Request, grant: Grant) -> web.Response:
        user = self.sim.users[grant.user_id]
        return web.json_response({"firstName": user.first_name, "lastName": user.last_name, "email": user.username,
                                  "use12Hour": user.use12Hour, "temperatureScale": user.temperatureScale})

    async def groups(self, request: web.Request, grant: Grant) -> web.Response:
        found = [g.model() for g in self.sim.groups.values() if g.owner == grant.user_id]
        return web.json_response(found) if found else _not_found()

    async def group(self, request: web.Request, grant: Grant) -> web.Response:
        group = self.sim.groups.get(request.match_info["groupId"])
        if group is None or group.owner != grant.user_id:
            return _not_found()
        return web.json_response(group.model())

    async def put_group(self, request: web.Request, grant: Grant) -> web.Response:
        body = await self._json_body(request)
        if not isinstance(body, dict) or body.get("groupId") in (None, ""):
            return messages(400, "groupId is required.")
        group = self.sim.groups.get(str(body["groupId"]))
        if group is None or group.owner != grant.user_id:
            return _not_found()
        problems = []
        if "awayMode" in body and not isinstance(body["awayMode"], bool):
            problems.append("awayMode must be true or false.")
        if "groupName" in body and (not isinstance(body["groupName"], str) or not body["groupName"].strip()):
            problems.append("groupName must be a non-empty text.")
        if problems:
            return messages(400, *problems)
        if "awayMode" in body:
            group.awayMode = body["awayMode"]
        if "groupName" in body:
            group.groupName = body["groupName"].strip()
        self.sim.changed(4, group.groupId)
        return web.Response(status=204)

    # ----- thermostats --------------------------------------------------------------------------

    def _owned(self, serial: Any, grant: Grant) -> demo.SimThermostat | None:
        thermostat = self.sim.thermostats.get(str(serial))
        if thermostat is None or thermostat.owner != grant.user_id:
            return None
        self.sim.settle(thermostat)
        return thermostat

    async def thermostats(self, request: web.Request, grant: Grant) -> web.Response:
        found = [self._owned(t.serialNumber, grant) for t in self.sim.thermostats.values()
                 if t.owner == grant.user_id]
        return web.json_response([t.model() for t in found if t]) if found else _not_found()

    async def thermostat(self, request: web.Request, grant: Grant) -> web.Response:
        thermostat = self._owned(request.match_info["serialNumber"], grant)
        return web.json_response(thermostat.model()) if thermostat else _not_found()

    async def put_thermostat(self, request: web.Request, grant: Grant) -> web.Response:
        body = await self._json_body(request)
        if not isinstance(body, dict) or not body.get("serialNumber"):
            return messages(400, "serialNumber is required.")
        thermostat = self._owned(body["serialNumber"], grant)
        if thermostat is None:
            return _not_found()
        problems = self._apply_update(thermostat, body)
        if problems:
            return messages(400, *problems)
        self.sim.changed(2, thermostat.serialNumber)
        return web.Response(status=204)

    def _apply_update(self, t: demo.SimThermostat, body: dict[str, Any]) -> list[str]:
        """Validate everything first, then apply: a 400 changes nothing."""
        problems: list[str] = []
        name = body.get("name")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            problems.append("name must be a non-empty text.")
        set_point = body.get("setPointTemp")
        if set_point is not None and (isinstance(set_point, bool) or not isinstance(set_point, int)):
            problems.append("setPointTemp must be an integer (hundredths of a degree Celsius).")
            set_point = None
        mode = body.get("scheduleMode")
        if mode is not None and (isinstance(mode, bool) or mode not in (1, 2, 3)):
            problems.append("scheduleMode must be 1 (Auto), 2 (Hold) or 3 (Permanent Hold).")
            mode = None
        manual = t.operatingMode == 2
        follows_schedule = not manual and mode == 1
        if set_point is not None and not follows_schedule and not MIN_SET_POINT <= set_point <= MAX_SET_POINT:
            problems.append("setPointTemp must be between 500 and 7000 (5–70 °C).")
        hold_until = None
        now = datetime.fromtimestamp(self.sim.now(), tz=timezone.utc)
        if not manual and (mode == 2 or (mode is None and set_point is not None)):
            raw = body.get("holdSetPointDateTime")
            if mode == 2 and raw not in (None, ""):
                hold_until = parse_datetime(raw)
                if hold_until is None:
                    problems.append("holdSetPointDateTime must be an ISO-8601 date and time.")
                elif hold_until <= now:
                    problems.append("holdSetPointDateTime must be in the future.")
                elif hold_until - now > MAX_HOLD:
                    problems.append("holdSetPointDateTime must be within the next 23 hours.")
            if hold_until is None and not problems:
                hold_until = self.sim.next_event_time(t, now)
            if mode == 2 and set_point is None and t.last_hold_set_point is None and not problems:
                problems.append("setPointTemp is required for Hold (no previous hold value).")
        if problems:
            return problems
        if name is not None:
            t.name = name.strip()
        if manual:
            if set_point is not None:
                t.setPointTemp = set_point
        elif mode == 1:
            t.scheduleMode, t.holdSetPointDateTime = 1, None
        elif mode == 2 or (mode is None and set_point is not None):
            t.scheduleMode = 2
            t.setPointTemp = set_point if set_point is not None else t.last_hold_set_point
            t.last_hold_set_point = t.setPointTemp
            t.holdSetPointDateTime = format_datetime(hold_until) if hold_until else None
        elif mode == 3:
            t.scheduleMode, t.holdSetPointDateTime = 3, None
            if set_point is not None:
                t.setPointTemp = set_point
        self.sim.settle(t)
        return []

    # ----- schedules --------------------------------------------------------------------------

    async def schedules(self, request: web.Request, grant: Grant) -> web.Response:
        """Thermostats moved to API v2 are left out of the list (their own GET answers 405)."""
        found = [t.schedule_model() for t in self.sim.thermostats.values()
                 if t.owner == grant.user_id and not t.migrated_to_v2]
        return web.json_response(found) if found else _not_found()

    async def schedule(self, request: web.Request, grant: Grant) -> web.Response:
        thermostat = self._owned(request.match_info["serialNumber"], grant)
        if thermostat is None:
            return _not_found()
        if thermostat.migrated_to_v2:
            return messages(405, V2_SCHEDULE_MESSAGE)
        return web.json_response(thermostat.schedule_model())

    async def put_schedule(self, request: web.Request, grant: Grant) -> web.Response:
        body = await self._json_body(request)
        serial = body.get("serialNumber") if isinstance(body, dict) else None
        thermostat = self._owned(serial, grant) if isinstance(serial, str) and serial else None
        if thermostat is None and isinstance(serial, str) and serial:
            return _not_found()
        if thermostat is not None and thermostat.migrated_to_v2:
            return messages(405, V2_SCHEDULE_MESSAGE)
        problems = check_schedule(body)
        if problems:
            self.sim.rejected_schedules += 1
            return messages(400, *problems)
        assert thermostat is not None
        thermostat.days = sorted(
            ({"weekDay": d["weekDay"], "weekDayGroupNumber": d["weekDayGroupNumber"],
              "events": sorted(({"clock": e["clock"], "scheduleType": e["scheduleType"], "active": e["active"],
                                 "temperature": e["temperature"]} for e in d["events"]),
                               key=lambda e: e["scheduleType"])}
             for d in body["days"]), key=lambda d: d["weekDay"])
        self.sim.settle(thermostat)
        self.sim.changed(3, thermostat.serialNumber)
        return web.Response(status=204)

    # ----- energy -----------------------------------------------------------------------------

    def _energy_target(self, request: web.Request, grant: Grant):
        thermostat = self._owned(request.match_info["serialNumber"], grant)
        user = self.sim.users[grant.user_id]
        return thermostat, user, self.sim.today(thermostat) if thermostat else None

    @staticmethod
    def _parse_day(text: str) -> date | None:
        try:
            return date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            return None

    async def energy_day(self, request: web.Request, grant: Grant) -> web.Response:
        return self._energy_from_day(request, grant, demo.energy_day)

    async def energy_week(self, request: web.Request, grant: Grant) -> web.Response:
        return self._energy_from_day(request, grant, demo.energy_week)

    def _energy_from_day(self, request: web.Request, grant: Grant, build) -> web.Response:
        """Day and Week logs: the same target and date checks, a different log built."""
        thermostat, user, today = self._energy_target(request, grant)
        if thermostat is None:
            return _not_found()
        day = self._parse_day(request.match_info["day"])
        if day is None:
            return messages(400, "The date must be yyyy-MM-dd.")
        return web.json_response(build(thermostat, user, day, today))

    async def energy_month(self, request: web.Request, grant: Grant) -> web.Response:
        thermostat, user, today = self._energy_target(request, grant)
        if thermostat is None:
            return _not_found()
        text = request.match_info["year"]
        if not (text.isdigit() and len(text) == 4 and 2000 <= int(text) <= 2100):
            return messages(400, "The year must be yyyy (2000–2100).")
        return web.json_response(demo.energy_month(thermostat, user, int(text), today))
