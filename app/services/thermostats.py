"""The Nuheat thermostats of the signed-in account, kept current from live changes.

Interface skeleton (contract A); filled in by the next commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable, Literal

from app.core.ratelimit import ServerQuota
from app.services.feed import Feed
from app.services.nuheat import NuheatAccount
from app.vendors.nuheat.models import (
    EnergyUsageModel, ScheduleMode, ScheduleModel, TemperatureScale, ThermostatModel)


@dataclass
class ScheduleState:
    """What the schedule editor shows for one thermostat."""
    schedule: ScheduleModel | None  # None while read-only or not loaded
    read_only_reason: str = ""  # non-empty after a 405 (moved to API v2): user text


class Thermostats:
    def __init__(self, account: NuheatAccount, feed: Feed) -> None:
        self._account = account
        self._feed = feed
        self._thermostats: dict[str, ThermostatModel] = {}
        self._listeners: list[Callable[[str], None]] = []
        self._quota_listeners: list[Callable[[ServerQuota], None]] = []
        self._scale: TemperatureScale | None = None
        self._quota: ServerQuota | None = None
        self._loaded = False
        self.live_status = "stopped"

    def subscribe(self, callback: Callable[[str], None]) -> Callable[[], None]:
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def subscribe_quota(self, callback: Callable[[ServerQuota], None]) -> Callable[[], None]:
        self._quota_listeners.append(callback)
        return lambda: (self._quota_listeners.remove(callback)
                        if callback in self._quota_listeners else None)

    @property
    def items(self) -> list[ThermostatModel]:
        return list(self._thermostats.values())

    def get(self, serial: str) -> ThermostatModel | None:
        return self._thermostats.get(serial)

    def home_name(self, serial: str) -> str:
        return ""

    @property
    def scale(self) -> TemperatureScale:
        return self._scale or TemperatureScale.CELSIUS

    @property
    def quota(self) -> ServerQuota | None:
        return self._quota

    @property
    def loaded(self) -> bool:
        return self._loaded

    async def refresh(self) -> None:
        raise NotImplementedError

    async def schedule(self, serial: str, *, reload: bool = False) -> ScheduleState:
        raise NotImplementedError

    async def save_schedule(self, schedule: ScheduleModel) -> ScheduleModel:
        raise NotImplementedError

    async def set_mode(self, serial: str, mode: ScheduleMode, set_point: int | None = None,
                       until: datetime | None = None) -> ThermostatModel:
        raise NotImplementedError

    def next_schedule_change(self, serial: str, now: datetime) -> datetime | None:
        return None

    async def energy(self, serial: str, view: Literal["day", "week", "month"],
                     when: date) -> EnergyUsageModel:
        raise NotImplementedError

    async def start_live(self) -> None:
        raise NotImplementedError

    async def stop_live(self) -> None:
        pass

    def clear(self) -> None:
        self._thermostats = {}
        self._loaded = False
        for callback in list(self._listeners):
            callback("")
