"""`NuheatSim`: the simulated Nuheat cloud, an identity server and the OpenAPI v1 on loopback.

    sim = NuheatSim()                      # demo data, seed rate limits
    NuheatSim(demo_thermostats=200)        # the demo homes plus buildings of 10 up to 200
    await sim.start("127.0.0.1", port=0)   # port N>0: identity on N, API on N+1
    sim.issuer, sim.api                    # base URLs (no trailing slash)
    sim.client_id, sim.client_secret       # a confidential client (secret; PKCE optional)
    sim.public_client_id                   # a public PKCE client (no secret)
    sim.username, sim.password             # the demo account
    await sim.stop()

Fault knobs and test hooks: `faults.script` (a `FaultScript`: scripted HTTP faults on both
apps, by path and method), `faults.replies` (exact replies for the next API calls), `faults.delay_seconds`, `faults.clock_offset` (sim clock minus
real clock: token times, expiry, hold times, "today" of energy logs, and every answer's
`Date` header), `faults.http_status` (every
API call answers it, plain text; `http_status_for_method` only for one method, e.g. {"GET": 503}); `expire_access_tokens()`, `expire_refresh_tokens()`,
`revoke_user_grants(username)` (the user withdrew the app's access),
`set_migrated_to_v2(serial, True)` (schedule endpoints answer 405),
`set_rate_limits([RateLimit(...)])`, `change_on_thermostat(serial, **fields)`,
`drift_once()` (what `live_drift_seconds=N` does every N s: a floor warms or cools, holds
that ran out return to Auto; each change notified);
observations: `requests` (every authorised API call: time, user, client, method, path,
allowed), `token_requests`, `revocations`, `failed_logins`, `rejected_schedules`.

Change notifications: a SignalR JSON-hub-protocol websocket at `{api}/notificationsHost`
(hub.py); every change through the API or `change_on_thermostat` is published to the
owner's subscribed connections. `sim.hub.handshakes`, `sim.hub.connections`,
`await sim.hub.drop_connections()`; faults `notify_delay_seconds`, `notify_twice`.

Identity and API are separate aiohttp apps on separate ports, as the real hosts are.
The access log is off: query strings and forms carry codes and tokens.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable

from email.utils import formatdate

from aiohttp import web

from app.simulators.faults import FaultScript, fault_middleware
from app.simulators.listening import listen

from app.simulators.nuheat import demo
from app.simulators.nuheat.api import OpenApi
from app.simulators.nuheat.hub import NotificationHub
from app.simulators.nuheat.jwt_signing import SigningKey
from app.simulators.nuheat.oidc import IdentityApi
from app.simulators.nuheat.ratelimit import DEFAULT_RATE_LIMITS, RateLimit, RateLimiter
from app.simulators.nuheat.schedule_checks import clock_minutes, effective_minutes
from app.simulators.nuheat.state import Grant, IdentityState, SimClient

_WILDCARD_HOSTS = ("", "0.0.0.0", "::")
HISTORY = 100_000  # API requests and notifications kept for tests to inspect


@dataclass
class Faults:
    delay_seconds: float = 0.0
    clock_offset: float = 0.0
    http_status: int | None = None
    http_status_for_method: dict[str, int] = field(default_factory=dict)  # e.g. {"GET": 503}
    notify_delay_seconds: float = 0.0  # hub notifications late by this (the real hub: 1-6 s)
    notify_twice: bool = False  # each hub notification sent twice
    # Scripted generic HTTP faults (status storms, drops, truncated/malformed/oversized
    # replies) for both the identity server and the API (the hub's upgrade included); one
    # script, told apart by path: /connect/..., /api/v1/..., /notificationsHost.
    script: FaultScript = field(default_factory=FaultScript)
    # The next API requests (/api/...) answer exactly these (status, Content-Type, body), in
    # order, whatever they asked: what a broken backend or a proxy might send (fuzzing).
    replies: deque = field(default_factory=deque)


@dataclass
class ApiRequest:
    time: float  # time.monotonic() when it arrived
    user_id: str
    client_id: str
    method: str
    path: str
    allowed: bool


@dataclass
class _Listener:
    runner: web.AppRunner
    port: int


@dataclass
class Notification:
    """A change, as the SignalR hub would announce it: type 1 account, 2 thermostat, 3 schedule, 4 group."""
    type: int
    id: str
    timeStamp: str


def _api_error(status: int) -> web.StreamResponse:
    """The OpenAPI's own error shapes: 429 a text line, 400 and 5xx `{"messages": [...]}`,
    401/403/404 no body."""
    if status == 429:
        return web.Response(status=429, text="API calls quota exceeded! maximum admitted 50 per 1s.")
    if status == 400 or status >= 500:
        return web.json_response({"messages": [f"Simulated failure ({status})."]}, status=status)
    return web.Response(status=status)


def _identity_error(status: int) -> web.StreamResponse:
    """IdentityServer's RFC 6749 error JSON."""
    error = "temporarily_unavailable" if status == 503 else "server_error" if status >= 500 else "invalid_request"
    return web.json_response({"error": error, "error_description": f"Simulated failure ({status})."},
                             status=status, headers={"Cache-Control": "no-store"})


class NuheatSim:
    def __init__(self, *, client_id: str = "sitekit-desktop", client_secret: str | None = None,
                 public_client_id: str = "sitekit-native", redirect_uris: Iterable[str] = (),
                 rate_limits: Iterable[RateLimit] = DEFAULT_RATE_LIMITS, seed: bool = True,
                 hub_ping_interval: float = 15.0, live_drift_seconds: float | None = None,
                 demo_thermostats: int | None = None) -> None:
        self.client_id = client_id
        self.client_secret = client_secret if client_secret is not None else secrets.token_urlsafe(24)
        self.public_client_id = public_client_id
        self.faults = Faults()
        self.signing_key = SigningKey()
        self.identity = IdentityState()
        uris = tuple(redirect_uris)
        self.identity.clients[client_id] = SimClient(client_id, self.client_secret, uris)
        self.identity.clients[public_client_id] = SimClient(public_client_id, None, uris)
        self.rate_limiter = RateLimiter(tuple(rate_limits))
        self.users: dict[str, demo.SimUser] = {}
        self.groups: dict[str, demo.SimGroup] = {}
        self.thermostats: dict[str, demo.SimThermostat] = {}
        self.username, self.password = demo.DEMO_USERNAME, demo.DEMO_PASSWORD
        if seed:
            self._seed(demo_thermostats)
        # bounded: a demo site serves a GUI for hours
        self.requests: deque[ApiRequest] = deque(maxlen=HISTORY)
        self.notifications: deque[Notification] = deque(maxlen=HISTORY)
        self.hub = NotificationHub(self, ping_interval=hub_ping_interval)
        self.live_drift_seconds = live_drift_seconds
        self._drift_task: asyncio.Task | None = None
        self._drift_rng = random.Random(4)
        self.token_requests = self.revocations = self.failed_logins = self.rejected_schedules = 0
        self._identity: _Listener | None = None
        self._api: _Listener | None = None
        self._host = "127.0.0.1"

    def _seed(self, total: int | None = None) -> None:
        for user in demo.seed_users():
            self.users[user.user_id] = user
        owner = next(u for u in self.users.values() if u.username == demo.DEMO_USERNAME)
        groups, thermostats = demo.seed_homes(owner.user_id)
        if total is not None and total > len(thermostats):
            more_groups, more = demo.seed_more_homes(owner.user_id, total - len(thermostats))
            groups, thermostats = groups + more_groups, thermostats + more
        self.groups.update((g.groupId, g) for g in groups)
        self.thermostats.update((t.serialNumber, t) for t in thermostats)

    # ----- lifecycle --------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if self._identity is not None:
            raise RuntimeError("simulator already started")
        self._host = "127.0.0.1" if host in _WILDCARD_HOSTS else host
        identity_app = web.Application(middlewares=[fault_middleware(self.faults.script, _identity_error)])
        api_app = web.Application(middlewares=[fault_middleware(self.faults.script, _api_error),
                                               self._scripted_reply])
        for app in (identity_app, api_app):
            app.on_response_prepare.append(self._date_header)
        IdentityApi(self).add_routes(identity_app)
        OpenApi(self).add_routes(api_app)
        self.hub.add_routes(api_app)
        self._identity = await self._listen(identity_app, host, port)
        try:
            self._api = await self._listen(api_app, host, port + 1 if port else 0)
        except BaseException:
            await self.stop()
            raise
        if self.live_drift_seconds:
            self._drift_task = asyncio.create_task(self._drift_forever(self.live_drift_seconds))

    @web.middleware
    async def _scripted_reply(self, request: web.Request, handler) -> web.StreamResponse:
        if self.faults.replies and request.path.startswith("/api/"):
            status, content_type, body = self.faults.replies.popleft()
            return web.Response(status=status, body=body, headers={"Content-Type": content_type})
        return await handler(request)

    async def _date_header(self, request: web.Request, response: web.StreamResponse) -> None:
        # The sim's clock, offset included, as a real server's Date would show it.
        response.headers["Date"] = formatdate(self.now(), usegmt=True)

    @staticmethod
    async def _listen(app: web.Application, host: str, port: int) -> _Listener:
        return _Listener(*await listen(app, host, port))

    async def stop(self) -> None:
        task, self._drift_task = self._drift_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self.hub.close()
        listeners = [self._api, self._identity]
        self._api = self._identity = None
        for listener in listeners:
            if listener is not None:
                await listener.runner.cleanup()

    async def __aenter__(self) -> NuheatSim:
        await self.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    def _url(self, listener: _Listener | None) -> str:
        if listener is None:
            raise RuntimeError("simulator not started")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{listener.port}"

    @property
    def issuer(self) -> str:
        return self._url(self._identity)

    @property
    def api(self) -> str:
        return self._url(self._api)

    # ----- shared helpers for the two apps ----------------------------------------------------

    def now(self) -> float:
        return time.time() + self.faults.clock_offset

    async def apply_delay(self) -> None:
        if self.faults.delay_seconds > 0:
            await asyncio.sleep(self.faults.delay_seconds)

    def user_by_login(self, username: str, password: str) -> demo.SimUser | None:
        for user in self.users.values():
            if user.username.lower() == username.strip().lower() and secrets.compare_digest(
                    user.password.encode(), password.encode()):
                return user
        return None

    def bearer_grant(self, request: web.Request) -> Grant | None:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else request.query.get("access_token", "")
        grant = self.identity.access_tokens.get(token) if token else None
        if grant is None or grant.expires_at <= self.now():
            return None
        return grant

    def record_request(self, grant: Grant, request: web.Request, allowed: bool) -> None:
        self.requests.append(ApiRequest(time.monotonic(), grant.user_id, grant.client_id, request.method,
                                        request.path, allowed))

    def changed(self, kind: int, item_id: str) -> None:
        stamp = datetime.fromtimestamp(self.now(), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        notification = Notification(kind, item_id, stamp)
        self.notifications.append(notification)
        self.hub.publish(self._owner(kind, item_id), notification)

    def _owner(self, kind: int, item_id: str) -> str | None:
        if kind == 1:
            return item_id
        if kind == 4:
            group = self.groups.get(item_id)
            return group.owner if group else None
        thermostat = self.thermostats.get(item_id)
        return thermostat.owner if thermostat else None

    @staticmethod
    def _tz(thermostat: demo.SimThermostat) -> timezone:
        sign = -1 if thermostat.tzOffset.startswith("-") else 1
        hours, minutes = thermostat.tzOffset.lstrip("+-").split(":")
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))

    def today(self, thermostat: demo.SimThermostat) -> date:
        return datetime.fromtimestamp(self.now(), tz=self._tz(thermostat)).date()

    def _events_around(self, thermostat: demo.SimThermostat, now: datetime) -> list[tuple[datetime, int]]:
        """(moment, temperature) of every active event from yesterday to a week ahead, sorted."""
        tz = self._tz(thermostat)
        local_today = now.astimezone(tz).date()
        by_weekday = {d["weekDay"]: d for d in thermostat.days}
        moments = []
        for offset in range(-1, 8):
            day = local_today + timedelta(days=offset)
            for event in by_weekday.get(day.isoweekday(), {}).get("events", []):
                minutes = clock_minutes(event["clock"])
                if event["active"] and minutes is not None:
                    start = datetime(day.year, day.month, day.day, tzinfo=tz)
                    moments.append((start + timedelta(minutes=effective_minutes(event["scheduleType"], minutes)),
                                    event["temperature"]))
        return sorted(moments)

    def next_event_time(self, thermostat: demo.SimThermostat, now: datetime) -> datetime | None:
        return next((at for at, _ in self._events_around(thermostat, now) if at > now), None)

    def settle(self, thermostat: demo.SimThermostat) -> None:
        """Bring derived state up to the sim clock: expired holds return to Auto, Auto follows
        the schedule, and the relay heats when the floor is below the set point."""
        now = datetime.fromtimestamp(self.now(), tz=timezone.utc)
        if thermostat.operatingMode == 1 and thermostat.scheduleMode == 2:
            until = thermostat.holdSetPointDateTime
            if until is None or datetime.fromisoformat(until.replace("Z", "+00:00")) <= now:
                thermostat.scheduleMode, thermostat.holdSetPointDateTime = 1, None
        if thermostat.operatingMode == 1 and thermostat.scheduleMode == 1:
            past = [temp for at, temp in self._events_around(thermostat, now) if at <= now]
            if past:
                thermostat.setPointTemp = past[-1]
        thermostat.isHeating = thermostat.online and thermostat.currentTemperature < thermostat.setPointTemp - 25

    # ----- knobs ------------------------------------------------------------------------------

    def expire_access_tokens(self) -> None:
        for grant in self.identity.access_tokens.values():
            grant.expires_at = 0

    def expire_refresh_tokens(self) -> None:
        for grant in self.identity.refresh_tokens.values():
            grant.expires_at = 0

    def revoke_user_grants(self, username: str) -> None:
        """The user withdrew this site's access: every refresh token of theirs stops working."""
        ids = {u.user_id for u in self.users.values() if u.username.lower() == username.lower()}
        for token in [t for t, g in self.identity.refresh_tokens.items() if g.user_id in ids]:
            del self.identity.refresh_tokens[token]

    def set_migrated_to_v2(self, serial: str, migrated: bool = True) -> None:
        self.thermostats[serial].migrated_to_v2 = migrated

    def set_rate_limits(self, limits: Iterable[RateLimit]) -> None:
        self.rate_limiter.limits = tuple(limits)
        self.rate_limiter.reset()

    def change_on_thermostat(self, serial: str, **fields: Any) -> None:
        """Someone changed the thermostat itself (its buttons): set model fields directly."""
        thermostat = self.thermostats[serial]
        for name, value in fields.items():
            if not hasattr(thermostat, name):
                raise AttributeError(f"no thermostat field {name!r}")
            setattr(thermostat, name, value)
        self.settle(thermostat)
        self.changed(2, serial)

    def drift_once(self) -> str | None:
        """One thermostat's floor warms (heating) or cools a little, as it would on its own;
        holds that ran out return to Auto. Returns the serial that changed (and was notified)."""
        for thermostat in self.thermostats.values():
            mode = thermostat.scheduleMode
            self.settle(thermostat)
            if thermostat.scheduleMode != mode:
                self.changed(2, thermostat.serialNumber)
        online = [t for t in self.thermostats.values() if t.online]
        if not online:
            return None
        thermostat = self._drift_rng.choice(online)
        step = self._drift_rng.choice((5, 10, 15, 20))
        thermostat.currentTemperature += step if thermostat.isHeating else -step
        self.settle(thermostat)
        self.changed(2, thermostat.serialNumber)
        return thermostat.serialNumber

    async def _drift_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.drift_once()

    def thermostat(self, serial: str) -> demo.SimThermostat:
        thermostat = self.thermostats[serial]
        self.settle(thermostat)
        return thermostat

    def demo_serials(self) -> list[str]:
        owner = next(u.user_id for u in self.users.values() if u.username == self.username)
        return [t.serialNumber for t in self.thermostats.values() if t.owner == owner]
