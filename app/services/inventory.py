"""Every device SiteKit knows, kept current from the live feed, and commands to them.

A device known both ways (cloud account and LAN) is one device. Commands go over the LAN
when the device answers there and over the cloud otherwise; the user can force either.
The last device list is kept in the secret store (it holds the devices' LAN keys), so
with no internet on site the devices can still be listed and switched over the LAN.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import asdict
from typing import Awaitable, Callable

import aiohttp

from app.core.errors import (CommandTimeout, ConfigError, DeviceOffline, NetworkError,
                             SiteKitError)
from app.core.events import Event
from app.core.secrets import SecretStore
from app.services.accounts import EwelinkAccount
from app.services.describe import offline_reason
from app.services.feed import Feed
from app.services.lan import LanPresence
from app.vendors.ewelink.lan import LanAnnouncement, LanClient
from app.vendors.ewelink.live import CommandOutcomeUnknown, EwelinkLive, _result_word
from app.vendors.ewelink.models import Device, switch_params

log = logging.getLogger(__name__)

DeviceListener = Callable[[str], None]  # called with the deviceid that changed ("" = all)
ROUTES = ("auto", "lan", "cloud")


class Inventory:
    def __init__(self, account: EwelinkAccount, feed: Feed,
                 live: Callable[[], Awaitable[EwelinkLive]], *, secrets: SecretStore,
                 lan: LanPresence, lan_session: aiohttp.ClientSession) -> None:
        self._account = account
        self._feed = feed
        self._live = live
        self._secrets = secrets
        self.lan = lan
        self._lan_session = lan_session  # not the cloud session: devices must not move its clock
        self._devices: dict[str, Device] = {}
        self._listeners: list[DeviceListener] = []
        self._lan_seq: dict[str, int | None] = {}
        # When the list came from the saved copy because the cloud was unreachable: its age.
        self.saved_copy_time: float | None = None
        # Reconnects: the cloud does not replay what devices reported while we were away,
        # so after one the device list is read again and only the differences published.
        self._was_online = False
        self._resync_task: asyncio.Task | None = None
        self._reports: dict[str, int] = {}  # deviceid -> live reports applied, ever
        feed.subscribe(self._on_event)
        lan.subscribe(self._on_lan_presence)

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

    # -- the device list ------------------------------------------------------------------

    @property
    def _saved_key(self) -> str:
        return f"{self._account.profile.key}/ewelink/devices"

    async def refresh(self) -> list[Device]:
        """The account's devices from the cloud; the saved copy when the cloud is unreachable."""
        await self._account.ensure_signed_in()
        try:
            devices = await self._account.client.devices()
        except NetworkError as exc:
            saved = await self._load_saved()
            if saved is None:
                raise
            log.warning("cloud unreachable (%s); using the saved device list", exc.message)
            devices, self.saved_copy_time = saved
        else:
            self.saved_copy_time = None
            await self._save(devices)
        self._devices = {d.deviceid: d for d in devices}
        self._notify("")
        return self.devices

    async def _save(self, devices: list[Device]) -> None:
        if not self._account.profile.remember_tokens:
            return  # the demo site's list is as ephemeral as its tokens
        raw = json.dumps({"saved": time.time(), "devices": [asdict(d) for d in devices]})
        await asyncio.to_thread(self._secrets.set, self._saved_key, raw)

    async def _load_saved(self) -> tuple[list[Device], float] | None:
        raw = await asyncio.to_thread(self._secrets.get, self._saved_key)
        try:
            data = json.loads(raw) if raw else None
            if not data:
                return None
            devices = []
            for item in data["devices"]:
                item["channel_names"] = {int(k): v for k, v in item.get("channel_names", {}).items()}
                item["online"] = False  # what the cloud would say is unknown
                devices.append(Device(**item))
            return devices, float(data["saved"])
        except (ValueError, KeyError, TypeError, AttributeError):  # an unreadable copy
            return None

    def clear(self) -> None:
        self._devices = {}
        self._was_online = False
        self._notify("")

    # -- live updates ---------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if event.vendor != "ewelink":
            return
        if event.kind == "connection" and not event.device:
            self._on_connection(str(event.payload.get("status") or ""))
            return
        if event.device not in self._devices:
            return
        device = self._devices[event.device]
        if event.kind in ("state", "online", "offline"):
            self._reports[event.device] = self._reports.get(event.device, 0) + 1
        if event.kind == "state":
            device.apply(event.payload)
        elif event.kind in ("online", "offline"):
            device.online = event.kind == "online"
        else:
            return
        self._notify(event.device)

    def _on_connection(self, status: str) -> None:
        if status != "online":
            return
        if self._was_online and self._devices and self._account.signed_in:
            if self._resync_task is None or self._resync_task.done():
                self._resync_task = asyncio.get_running_loop().create_task(
                    self._resync(), name="ewelink-resync")
        self._was_online = True

    async def _resync(self) -> None:
        """After a reconnect: publish what changed while the live channel was down."""
        before = dict(self._reports)
        client = self._account.client
        if client is None:
            return  # signed out meanwhile
        try:
            fresh = await client.devices()
        except SiteKitError as exc:
            log.info("after reconnecting, the device list could not be read (%s); states "
                     "update as devices report", exc.message)
            return
        except Exception:  # a bug here must not leave a task error unreported
            log.exception("re-reading the device list after a reconnect failed")
            return
        for new in fresh:
            old = self._devices.get(new.deviceid)
            # A device that reported while we read has newer news than this list.
            if old is None or self._reports.get(new.deviceid, 0) != before.get(new.deviceid, 0):
                continue
            changed = {k: v for k, v in new.params.items() if old.params.get(k) != v}
            if changed:
                self._feed.publish(Event("ewelink", new.deviceid, "state", changed))
            if new.online != old.online:
                self._feed.publish(Event("ewelink", new.deviceid,
                                         "online" if new.online else "offline",
                                         {"online": new.online}))

    async def close(self) -> None:
        task, self._resync_task = self._resync_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _on_lan_presence(self, deviceid: str, announcement: LanAnnouncement | None) -> None:
        device = self._devices.get(deviceid)
        if device is None:
            return
        if announcement is not None and announcement.seq != self._lan_seq.get(deviceid):
            self._lan_seq[deviceid] = announcement.seq
            try:
                params = announcement.decrypt_params(device.devicekey)
            except SiteKitError as exc:
                log.info("LAN record of %s unreadable: %s", deviceid, exc.message)
            else:
                if params:
                    # A LAN report is a device report like any other: one feed for both.
                    self._feed.publish(Event("ewelink", deviceid, "state", params))
                    return
        self._notify(deviceid)

    # -- commands -------------------------------------------------------------------------

    def route(self, deviceid: str, via: str = "auto") -> str:
        """Where a command would go: 'lan' or 'cloud'."""
        if via not in ROUTES:
            raise ConfigError(f"Unknown route {via!r}.", hint="Use auto, lan or cloud.")
        if via != "auto":
            return via
        return "lan" if self.lan.url(deviceid) else "cloud"

    async def set_switch(self, deviceid: str, on: bool, outlet: int | None = None,
                         via: str = "auto") -> str:
        """Switch a device (or one outlet); returns the route used once the device acked."""
        device = self._devices.get(deviceid)
        if device is None:
            raise ConfigError(f"No device {deviceid!r} on this account.",
                              hint="Refresh the device list.")
        params = switch_params(device, on, outlet)
        route = self.route(deviceid, via)
        if route == "lan":
            try:
                await self._switch_over_lan(device, params)
            except NetworkError as exc:
                if via == "lan" or not device.online:
                    raise
                log.info("LAN command to %s failed (%s); using the cloud", deviceid, exc.message)
                route = "cloud"
        if route == "cloud":
            await self._switch_over_cloud(device, params)
        # The ack means the device applied it; its own report usually follows, but a
        # lost report must not leave the screen showing the old state.
        device.apply(params)
        self._notify(deviceid)
        return route

    async def _switch_over_lan(self, device: Device, params: dict) -> None:
        url = self.lan.url(device.deviceid)
        if url is None:
            raise NetworkError(
                f"{device.name} is not answering on this network (LAN).",
                hint="The laptop and the device must be on the same network; mDNS does not "
                     "cross VLANs, guest Wi-Fi or VPNs. Use the cloud route instead.")
        if not device.devicekey:
            raise ConfigError(f"SiteKit has no LAN key for {device.name}.",
                              hint="Refresh the device list while online; the key comes from the cloud.")
        client = LanClient(self._lan_session, device.deviceid, device.devicekey, url)
        command = next(iter(params))
        try:
            await client.send(command, params)
        except SiteKitError as exc:
            # a switch test that failed is an action too: the feed says so, as for the cloud
            self._feed.publish(Event("ewelink", device.deviceid, "command",
                                     {"params": params, "result": _result_word(exc),
                                      "via": "lan"}))
            raise
        self._feed.publish(Event("ewelink", device.deviceid, "command",
                                 {"params": params, "result": "ok", "via": "lan"}))

    async def _switch_over_cloud(self, device: Device, params: dict) -> None:
        if not device.online:
            raise _offline(device, "device offline")
        live = await self._live()
        try:
            await live.update(device.deviceid, params)
        except DeviceOffline as exc:
            # The cloud knows better than our last device list: show it offline now.
            device.online = False
            self._notify(device.deviceid)
            raise _offline(device, exc.vendor_message) from None
        except CommandOutcomeUnknown as exc:
            # Never sent again by itself: the user checks the device, then decides.
            error = CommandOutcomeUnknown(exc.message.replace(device.deviceid, device.name),
                                          hint=exc.hint)
            error.code = getattr(exc, "code", None)
            raise error from None
        except CommandTimeout as exc:
            raise CommandTimeout(f"{device.name} did not confirm the command in time.",
                                 hint=exc.hint) from None


def _offline(device: Device, vendor_message: str) -> DeviceOffline:
    return DeviceOffline("eWeLink", 503, vendor_message, message=offline_reason(device))
