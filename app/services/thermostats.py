"""The Nuheat thermostats of the signed-in account, kept current from live changes.

`ws.thermostats` is what the thermostat screen and `sitekit nuheat` use: the list ordered
by home, schedules (a thermostat moved to API v2 gets a read-only state with a reason, not
an error), mode changes checked before they are sent, energy logs, and the server's quota.
Live change notifications (already debounced by `NuheatLive`) re-read the object they name;
subscribers hear the serial number, and the feed gets an `Event` worded for people.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Literal

from app.core.errors import SiteKitError
from app.core.events import Event
from app.core.ratelimit import ServerQuota
from app.services.feed import Feed
from app.services.nuheat import NuheatAccount
from app.vendors.nuheat import schedule_rules
from app.vendors.nuheat.client import ChangeOutcomeUnknown, NotFound, NuheatClient, ScheduleReadOnly
from app.vendors.nuheat.live import NuheatLive
from app.vendors.nuheat.models import (
    SET_POINT_MAX, SET_POINT_MIN, EnergyUsageModel, GroupModel, OperatingMode, ScheduleMode,
    ScheduleModel, TemperatureScale, ThermostatModel, ThermostatUpdateModel,
    format_temperature, set_point_in_range)

log = logging.getLogger(__name__)

VENDOR = "nuheat"
# The API refuses a hold that ends more than 23 hours ahead.
MAX_HOLD = timedelta(hours=23)
MODE_NAMES = {ScheduleMode.AUTO: "Auto", ScheduleMode.HOLD: "Hold",
              ScheduleMode.PERMANENT_HOLD: "Permanent hold"}
LIVE_KINDS = {1: "account", 2: "thermostat", 3: "schedule", 4: "group"}

ChangeListener = Callable[[str], None]  # a serial number; "" = the whole list
QuotaListener = Callable[[ServerQuota], None]
StatusListener = Callable[[str, str], None]  # live status, its message


class ModeInvalid(SiteKitError):
    """A mode change SiteKit will not send: the set point or hold time breaks a rule."""


@dataclass
class ScheduleState:
    """What the schedule editor shows for one thermostat."""
    schedule: ScheduleModel | None  # None while read-only or not loaded
    read_only_reason: str = ""  # non-empty after a 405 (moved to API v2): user text


# What a 405 on a schedule endpoint means to the user (the API's own text is for developers).
READ_ONLY_REASON = ("This thermostat was moved to Nuheat's newer API (v2), which does not let other "
                    "apps read or change its schedule. You can still change its mode and set point "
                    "here; edit its schedule in the Nuheat app.")


def mode_text(thermostat: ThermostatModel, *, use12_hour: bool = False) -> str:
    """'Auto', 'Hold until 18:00' (the thermostat's local time), 'Permanent hold', 'Manual'."""
    if thermostat.operating_mode == OperatingMode.MANUAL:
        return "Manual"
    text = MODE_NAMES.get(thermostat.schedule_mode, "—") if thermostat.schedule_mode else "—"
    if thermostat.schedule_mode == ScheduleMode.HOLD and thermostat.hold_set_point_date_time:
        until = _parse_utc(thermostat.hold_set_point_date_time)
        try:
            local = until.astimezone(_thermostat_tz(thermostat)) if until is not None else None
        except OverflowError:  # a date at the calendar's edge: show the mode without its end
            local = None
        if local is not None:
            text += " until " + (local.strftime("%I:%M %p").lstrip("0") if use12_hour
                                 else local.strftime("%H:%M"))
    return text


def _parse_utc(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _thermostat_tz(thermostat: ThermostatModel) -> timezone:
    return timezone(timedelta(hours=thermostat.tz_offset))


def next_change(schedule: ScheduleModel, tz: timezone, now: datetime) -> datetime | None:
    """The first active schedule event after `now`, in the thermostat's time zone."""
    if now.tzinfo is None:
        now = now.astimezone()
    local_today = now.astimezone(tz).date()
    by_weekday = {day.week_day: day for day in schedule.days}
    best: datetime | None = None
    # From yesterday: a SLEEP at 01:00 belongs to the evening before.
    for offset in range(-1, 9):
        day = local_today + timedelta(days=offset)
        entry = by_weekday.get(day.isoweekday())
        if entry is None:
            continue
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
        for event in entry.events:
            minutes = event.minutes
            if not event.active or minutes is None:
                continue
            at = midnight + timedelta(minutes=schedule_rules.day_position(int(event.schedule_type), minutes))
            if at > now and (best is None or at < best):
                best = at
    return best


class Thermostats:
    def __init__(self, account: NuheatAccount, feed: Feed) -> None:
        self._account = account
        self._feed = feed
        self._thermostats: dict[str, ThermostatModel] = {}
        self._groups: dict[str, GroupModel] = {}
        self._schedules: dict[str, ScheduleState] = {}
        self._listeners: list[ChangeListener] = []
        self._quota_listeners: list[QuotaListener] = []
        self._status_listeners: list[StatusListener] = []
        self._scale: TemperatureScale | None = None
        self._use12_hour = False
        self._quota: ServerQuota | None = None
        self._loaded = False
        self._live: NuheatLive | None = None
        self._unsubscribe_live: Callable[[], None] | None = None
        self._live_auth: Any = None
        self._live_status = "stopped"
        self.live_message = ""
        self._tasks: set[asyncio.Task] = set()

    # -- subscriptions ----------------------------------------------------------------------

    def subscribe(self, callback: ChangeListener) -> Callable[[], None]:
        return _add(self._listeners, callback)

    def subscribe_quota(self, callback: QuotaListener) -> Callable[[], None]:
        return _add(self._quota_listeners, callback)

    def subscribe_status(self, callback: StatusListener) -> Callable[[], None]:
        """The live channel's status ("online", "reconnecting", …) and its message."""
        return _add(self._status_listeners, callback)

    def _notify(self, serial: str) -> None:
        _call_all(self._listeners, serial)

    # -- what is known ----------------------------------------------------------------------

    @property
    def items(self) -> list[ThermostatModel]:
        return sorted(self._thermostats.values(),
                      key=lambda t: (self.home_name(t.serial_number).casefold(), t.name.casefold(),
                                     t.serial_number))

    def get(self, serial: str) -> ThermostatModel | None:
        return self._thermostats.get(serial)

    def home_name(self, serial: str) -> str:
        thermostat = self._thermostats.get(serial)
        group = self._groups.get(thermostat.group_id) if thermostat and thermostat.group_id else None
        return group.group_name if group else ""

    def group(self, group_id: str) -> GroupModel | None:
        return self._groups.get(group_id)

    @property
    def scale(self) -> TemperatureScale:
        if self._scale is not None:
            return self._scale
        return TemperatureScale.parse(self._account.settings.temperature_unit)

    @property
    def use12_hour(self) -> bool:
        return self._use12_hour

    @property
    def quota(self) -> ServerQuota | None:
        if self._quota is None and self._account.client is not None:
            return self._account.client.quota
        return self._quota

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    def live_status(self) -> str:
        return self._live_status

    def mode_text(self, serial: str) -> str:
        thermostat = self._thermostats.get(serial)
        return mode_text(thermostat, use12_hour=self._use12_hour) if thermostat else ""

    # -- reading ------------------------------------------------------------------------------

    async def _client(self) -> NuheatClient:
        client = await self._account.ensure_signed_in()
        # A sign-in builds a new client: hook every one up to the quota display.
        if client.on_quota is not self._on_quota:
            client.on_quota = self._on_quota
        return client

    def _on_quota(self, quota: ServerQuota) -> None:
        self._quota = quota
        _call_all(self._quota_listeners, quota)

    async def refresh(self) -> None:
        """Account scale, homes and thermostats, all at once; subscribers hear ""."""
        client = await self._client()
        account, groups, thermostats = await asyncio.gather(
            client.account(), client.groups(), self._read_thermostats(client))
        self._scale = account.temperature_scale
        self._use12_hour = account.use12_hour
        self._groups = {g.group_id: g for g in groups}
        self._thermostats = {t.serial_number: t for t in thermostats}
        self._schedules = {s: state for s, state in self._schedules.items() if s in self._thermostats}
        self._loaded = True
        self._notify("")

    async def _read_thermostats(self, client: NuheatClient) -> list[ThermostatModel]:
        return await client.thermostats()

    async def _read_thermostat(self, client: NuheatClient, serial: str) -> ThermostatModel:
        return await client.thermostat(serial)

    async def reload_thermostat(self, serial: str) -> ThermostatModel | None:
        """Read one thermostat again; gone from the account: dropped from the list."""
        client = await self._client()
        try:
            thermostat = await self._read_thermostat(client, serial)
        except NotFound:
            if self._thermostats.pop(serial, None) is not None:
                self._schedules.pop(serial, None)
                self._notify("")
            return None
        is_new = serial not in self._thermostats
        self._thermostats[serial] = thermostat
        self._notify("" if is_new else serial)
        return thermostat

    async def schedule(self, serial: str, *, reload: bool = False) -> ScheduleState:
        """The week schedule; a thermostat moved to API v2 gets a read-only state with a reason."""
        cached = self._schedules.get(serial)
        if cached is not None and not reload:
            return cached
        client = await self._client()
        try:
            state = ScheduleState(await client.schedule(serial))
        except ScheduleReadOnly:
            state = ScheduleState(None, READ_ONLY_REASON)
        self._schedules[serial] = state
        return state

    def cached_schedule(self, serial: str) -> ScheduleState | None:
        return self._schedules.get(serial)

    # -- changing ---------------------------------------------------------------------------

    async def save_schedule(self, schedule: ScheduleModel) -> ScheduleModel:
        """Checked locally first (ScheduleInvalid lists every broken rule), sent, read back."""
        client = await self._client()
        serial = schedule.serial_number
        try:
            await client.put_schedule(schedule)
        except ScheduleReadOnly:
            self._schedules[serial] = ScheduleState(None, READ_ONLY_REASON)
            self._notify(serial)
            raise
        except ChangeOutcomeUnknown as lost:
            # Never sent again on our own: read what the thermostat has and say so.
            saved = await self._read_back(client.schedule(serial))
            if saved is None or _schedule_key(saved) != _schedule_key(schedule):
                self._publish_unknown(serial, "schedule", "schedule save", lost)
                raise
            log.info("Nuheat's answer to saving %s's schedule was lost; reading it back shows it saved", serial)
        else:
            saved = await client.schedule(serial)
        self._schedules[serial] = ScheduleState(saved)
        self._notify(serial)
        name = self._name(serial)
        self._feed.publish(Event(VENDOR, serial, "schedule", {
            "text": f"{name}: schedule saved ({_schedule_outline(saved)})",
            "name": name, "action": "saved", "days": len(saved.days)}))
        return saved

    async def set_mode(self, serial: str, mode: ScheduleMode, set_point: int | None = None,
                       until: datetime | None = None) -> ThermostatModel:
        """Auto, Hold (until `until`, ≤ 23 h ahead; None: the next schedule event) or
        Permanent hold; `set_point` in hundredths of °C. Returns the thermostat read back."""
        mode = ScheduleMode(mode)
        client = await self._client()
        current = self._thermostats.get(serial)
        if current is None:
            current = await self._read_thermostat(client, serial)
        if mode is ScheduleMode.AUTO:
            update = ThermostatUpdateModel.auto(serial)
        else:
            if set_point is None:
                set_point = current.set_point_temp
            self._check_set_point(set_point)
            if mode is ScheduleMode.PERMANENT_HOLD:
                update = ThermostatUpdateModel.permanent_hold(serial, set_point)
            else:
                update = ThermostatUpdateModel.hold(serial, set_point, self._hold_until(until, current))
        confirmed: ThermostatModel | None = None
        try:
            await client.update_thermostat(update)
        except ChangeOutcomeUnknown as lost:
            # Never sent again on our own: read the thermostat; if it shows what was asked,
            # the change went through and only its answer was lost.
            confirmed = await self._read_back(self._read_thermostat(client, serial))
            if confirmed is None or not _mode_applied(confirmed, mode, set_point):
                self._publish_unknown(serial, "mode", "mode change", lost)
                raise
            log.info("Nuheat's answer to a mode change of %s was lost; reading it back shows it applied", serial)
        if confirmed is not None:
            after = confirmed
        else:
            try:
                after = await self._read_thermostat(client, serial)
            except SiteKitError as exc:
                # The thermostat has the change (Nuheat said so); only the read-back failed. Show
                # what was sent rather than report a failure that would make the user send again.
                log.info("Nuheat accepted the mode change; reading %s back failed: %s", serial, exc)
                after = replace(current, schedule_mode=mode,
                                set_point_temp=current.set_point_temp if mode is ScheduleMode.AUTO else set_point,
                                hold_set_point_date_time=update.hold_set_point_date_time or None)
        self._thermostats[serial] = after
        self._notify(serial)
        wanted = MODE_NAMES[mode]
        if mode is not ScheduleMode.AUTO:
            wanted += f" {format_temperature(set_point, self.scale)}"
        self._feed.publish(Event(VENDOR, serial, "mode", {
            "text": f"{after.name or serial}: {wanted} → now {mode_text(after, use12_hour=self._use12_hour)}",
            "mode": int(mode), "set_point": set_point, "result": "ok"}))
        return after

    @staticmethod
    async def _read_back(reading):
        """The object read again after a lost answer, or None when that fails too."""
        try:
            return await reading
        except SiteKitError as exc:
            log.info("Nuheat: reading back after a lost answer failed: %s", exc)
            return None

    def _publish_unknown(self, serial: str, kind: str, what: str, lost: ChangeOutcomeUnknown) -> None:
        name = self._name(serial)
        self._feed.publish(Event(VENDOR, serial, kind, {
            "text": f"{name}: {what} sent, no answer from Nuheat; unknown whether it took effect",
            "name": name, "result": "unknown", "cause": lost.cause}))

    def _check_set_point(self, centi: int) -> None:
        if not set_point_in_range(centi):
            scale = self.scale
            raise ModeInvalid(
                f"{format_temperature(centi, scale)} is outside what a Nuheat thermostat accepts.",
                hint=f"Choose a set point between {format_temperature(SET_POINT_MIN, scale)} and "
                     f"{format_temperature(SET_POINT_MAX, scale)}.")

    def _hold_until(self, until: datetime | None, thermostat: ThermostatModel) -> str | None:
        if until is None:
            return None  # the server holds until the next schedule event
        if until.tzinfo is None:
            until = until.astimezone()  # the laptop's local time
        now = self._server_now()
        tz = _thermostat_tz(thermostat)
        if until <= now:
            raise ModeInvalid("The hold must end in the future.",
                              hint="Pick a later time, or hold until the next schedule event.")
        if until - now > MAX_HOLD:
            latest = (now + MAX_HOLD).astimezone(tz)
            raise ModeInvalid(
                "A hold can last at most 23 hours.",
                hint=f"Pick a time before {latest.strftime('%a %H:%M')} (the thermostat's time), "
                     "or use Permanent hold.")
        return until.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _server_now(self) -> datetime:
        """Nuheat's time (the identity server's Date headers): it checks a hold's end by its own
        clock, so a laptop minutes off must not decide "in the future" or "within 23 hours"."""
        auth = self._account.auth
        stamp = auth.server_now() if auth is not None else datetime.now(timezone.utc).timestamp()
        return datetime.fromtimestamp(stamp, tz=timezone.utc)

    def next_schedule_change(self, serial: str, now: datetime) -> datetime | None:
        """The next active event of the cached schedule (None until it was loaded, or read-only)."""
        thermostat = self._thermostats.get(serial)
        state = self._schedules.get(serial)
        if thermostat is None or state is None or state.schedule is None:
            return None
        return next_change(state.schedule, _thermostat_tz(thermostat), now)

    async def energy(self, serial: str, view: Literal["day", "week", "month"],
                     when: date) -> EnergyUsageModel:
        """Hour by hour (day), day by day (week), or month by month for `when.year` (month)."""
        client = await self._client()
        if view == "day":
            return await client.energy_day(serial, when)
        if view == "week":
            return await client.energy_week(serial, when)
        if view == "month":
            return await client.energy_month(serial, when.year)
        raise ValueError(f"unknown energy view {view!r}")

    # -- live changes -----------------------------------------------------------------------

    async def start_live(self) -> None:
        """Connect to the change notifications (once per sign-in)."""
        client = await self._client()
        live = self._live
        if live is not None and live.session is client.session and self._live_auth is client.auth \
                and live.status != "signed_out":
            return
        await self.stop_live()
        live = NuheatLive.from_auth(client.session, client.auth, api=client.api, refresh=self._reread)
        self._live_auth = client.auth
        self._unsubscribe_live = live.subscribe(self._on_live_event)
        self._live = live
        await live.start()

    async def wait_live_online(self, timeout: float = 15.0) -> None:
        if self._live is None:
            await self.start_live()
        await self._live.wait_online(timeout)

    async def stop_live(self) -> None:
        tasks, self._tasks = self._tasks, set()
        for task in tasks:
            task.cancel()
        live, self._live = self._live, None
        if live is None:
            return
        await live.stop()
        if self._unsubscribe_live is not None:
            self._unsubscribe_live()
            self._unsubscribe_live = None
        if self._live_status not in ("stopped", "signed_out"):
            self._set_live_status("stopped", "Live changes stopped.")

    def _set_live_status(self, status: str, message: str) -> None:
        self._live_status, self.live_message = status, message
        for callback in list(self._status_listeners):
            try:
                callback(status, message)
            except Exception:  # a screen's bug must not stop live changes
                log.exception("thermostat status listener failed")

    async def _reread(self, kind: int, item_id: str) -> dict[str, Any] | None:
        """What a notification names, read again; returns the Event payload."""
        if kind == 2:
            thermostat = await self.reload_thermostat(item_id)
            return self._thermostat_payload(thermostat) if thermostat else {
                "text": f"Thermostat {item_id} is no longer on this account."}
        if kind == 3:
            if item_id not in self._thermostats:
                return None
            state = await self.schedule(item_id, reload=True)
            self._notify(item_id)
            name = self._name(item_id)
            if state.schedule is None:
                return {"text": f"{name}: schedule changed (read-only here)", "name": name}
            return {"text": f"{name}: schedule changed ({_schedule_outline(state.schedule)})",
                    "name": name}
        if kind == 4:
            client = await self._client()
            try:
                group = await client.group(item_id)
            except NotFound:
                self._groups.pop(item_id, None)
                self._notify("")
                return {"text": f"Home {item_id} is no longer on this account."}
            self._groups[item_id] = group
            self._notify("")
            away = "away" if group.away_mode else "at home"
            return {"text": f"{group.group_name or 'Home'}: {away}", "home": group.group_name,
                    "away": group.away_mode}
        if kind == 1:
            client = await self._client()
            account = await client.account()
            scale_changed = account.temperature_scale is not self._scale
            self._scale, self._use12_hour = account.temperature_scale, account.use12_hour
            if scale_changed:
                self._notify("")
            return {"text": f"Account settings changed (temperatures in {account.temperature_scale.value})"}
        return None

    def _thermostat_payload(self, t: ThermostatModel) -> dict[str, Any]:
        scale = self.scale
        parts = [format_temperature(t.current_temperature, scale),
                 f"set point {format_temperature(t.set_point_temp, scale)}",
                 mode_text(t, use12_hour=self._use12_hour)]
        if t.is_heating:
            parts.append("heating")
        if not t.online:
            parts.append("offline")
        return {"text": f"{t.name or t.serial_number}: " + ", ".join(parts), "name": t.name,
                "current_temperature": t.current_temperature, "set_point": t.set_point_temp,
                "mode": mode_text(t), "heating": t.is_heating, "online": t.online}

    def _on_live_event(self, event: Event) -> None:
        if event.kind == "connection":
            status = str(event.payload.get("status", ""))
            self._set_live_status(status, str(event.payload.get("message", "")))
            self._feed.publish(event)
            if status == "online" and event.payload.get("resync") and self._loaded:
                # Changes made while we were away were never notified: read everything again.
                self._spawn(self.refresh())
            return
        payload = dict(event.payload.get("object") or {})
        if "error" in event.payload:
            payload.setdefault("text", f"Changed, but reading it again failed: {event.payload['error']}")
            payload["error"] = event.payload["error"]
        if not payload:
            return
        payload["notified"] = event.payload.get("timeStamp")
        self._feed.publish(Event(VENDOR, event.device, event.kind, payload, time=event.time))

    def _spawn(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("Nuheat: re-reading after a reconnect failed: %s", task.exception())

    # -- sign-out ------------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget everything (after sign-out); subscribers hear ""."""
        self._thermostats, self._groups, self._schedules = {}, {}, {}
        self._scale, self._quota, self._loaded = None, None, False
        if self._live is None and self._live_status != "stopped":
            # A refused channel said "signed_out"; after this sign-out a new sign-in starts afresh.
            self._set_live_status("stopped", "Signed out of Nuheat.")
        self._notify("")

    def _name(self, serial: str) -> str:
        thermostat = self._thermostats.get(serial)
        return (thermostat.name if thermostat and thermostat.name else serial)


def _mode_applied(seen: ThermostatModel, mode: ScheduleMode, set_point: int | None) -> bool:
    if mode is ScheduleMode.AUTO:
        return seen.schedule_mode == ScheduleMode.AUTO and seen.operating_mode != OperatingMode.MANUAL
    if seen.set_point_temp != set_point:
        return False
    return seen.operating_mode == OperatingMode.MANUAL or seen.schedule_mode == mode


def _schedule_key(schedule: ScheduleModel) -> list:
    """A schedule as the server keeps it (days by week day, events by type), to compare."""
    return sorted((day.week_day, day.week_day_group_number,
                   sorted((int(e.schedule_type), e.clock, e.active, e.temperature) for e in day.events))
                  for day in schedule.days)


def _schedule_outline(schedule: ScheduleModel) -> str:
    groups = {day.week_day_group_number for day in schedule.days}
    return f"{len(groups)} day group{'s' if len(groups) != 1 else ''}"


def _add(listeners: list, callback) -> Callable[[], None]:
    listeners.append(callback)

    def unsubscribe() -> None:
        with contextlib.suppress(ValueError):
            listeners.remove(callback)

    return unsubscribe


def _call_all(listeners: list, value: Any) -> None:
    for callback in list(listeners):
        try:
            callback(value)
        except Exception:  # one broken screen must not silence the others
            log.exception("thermostat listener failed")
