"""Every device SiteKit knows, kept current from the live feed, and commands to them."""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

from app.core.errors import CommandTimeout, ConfigError, DeviceOffline
from app.core.events import Event
from app.services.accounts import EwelinkAccount
from app.services.describe import offline_reason
from app.services.feed import Feed
from app.vendors.ewelink.live import EwelinkLive
from app.vendors.ewelink.models import Device, switch_params

log = logging.getLogger(__name__)

DeviceListener = Callable[[str], None]  # called with the deviceid that changed ("" = all)


class Inventory:
    def __init__(self, account: EwelinkAccount, feed: Feed,
                 live: Callable[[], Awaitable[EwelinkLive]]) -> None:
        self._account = account
        self._live = live
        self._devices: dict[str, Device] = {}
        self._listeners: list[DeviceListener] = []
        feed.subscribe(self._on_event)

    @property
    def devices(self) -> list[Device]:
        return list(self._devices.values())

    def get(self, deviceid: str) -> Device | None:
        return self._devices.get(deviceid)

    def find(self, text: str) -> Device:
        """A device by id or by name (case-insensitive), for the CLI."""
        if text in self._devices:
            return self._devices[text]
        matches = [d for d in self._devices.values() if d.name.casefold() == text.casefold()]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(f"{d.name} ({d.deviceid})" for d in self._devices.values()) or "none"
        if matches:
            raise ConfigError(f"More than one device is named {text!r}.",
                              hint="Use the device id instead: " + known + ".")
        raise ConfigError(f"No device {text!r} on this account.", hint="Devices: " + known + ".")

    def subscribe(self, callback: DeviceListener) -> Callable[[], None]:
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def _notify(self, deviceid: str) -> None:
        for callback in list(self._listeners):
            try:
                callback(deviceid)
            except Exception:
                log.exception("inventory listener failed")

    async def refresh(self) -> list[Device]:
        await self._account.ensure_signed_in()
        devices = await self._account.client.devices()
        self._devices = {d.deviceid: d for d in devices}
        self._notify("")
        return self.devices

    def clear(self) -> None:
        self._devices = {}
        self._notify("")

    def _on_event(self, event: Event) -> None:
        if event.vendor != "ewelink" or event.device not in self._devices:
            return
        device = self._devices[event.device]
        if event.kind == "state":
            device.apply(event.payload)
        elif event.kind in ("online", "offline"):
            device.online = event.kind == "online"
        else:
            return
        self._notify(event.device)

    async def set_switch(self, deviceid: str, on: bool, outlet: int | None = None) -> None:
        """Switch a device (or one outlet); returns once the device has acknowledged."""
        device = self._devices.get(deviceid)
        if device is None:
            raise ConfigError(f"No device {deviceid!r} on this account.",
                              hint="Refresh the device list.")
        if not device.online:
            raise _offline(device, "device offline")
        params = switch_params(device, on, outlet)
        live = await self._live()
        try:
            await live.update(deviceid, params)
        except DeviceOffline as exc:
            # The cloud knows better than our last device list: show it offline now.
            device.online = False
            self._notify(deviceid)
            raise _offline(device, exc.vendor_message) from None
        except CommandTimeout as exc:
            raise CommandTimeout(f"{device.name} did not confirm the command in time.",
                                 hint=exc.hint) from None
        # The ack means the device applied it; its own report usually follows, but a
        # lost report must not leave the screen showing the old state.
        device.apply(params)
        self._notify(deviceid)


def _offline(device: Device, vendor_message: str) -> DeviceOffline:
    return DeviceOffline("eWeLink", 503, vendor_message, message=offline_reason(device))
