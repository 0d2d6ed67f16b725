"""Which of the account's devices answer on the local network, and where.

On a real site (and in the namespace end-to-end test) presence comes from mDNS. The
in-process demo site's devices cannot advertise (multicast does not flow on plain
loopback), so there the site's own directory of LAN servers stands in for mDNS.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from app.vendors.ewelink.lan import LanAnnouncement, LanDevice, LanDiscovery

log = logging.getLogger(__name__)

# (deviceid, announcement or None) — None when the presence came from the demo directory
PresenceListener = Callable[[str, LanAnnouncement | None], None]

DIRECTORY_POLL_SECONDS = 0.5


class LanPresence:
    def __init__(self, *, directory: Callable[[], dict[str, str]] | None = None,
                 interfaces=None) -> None:
        self._directory = directory
        self._discovery = None if directory else LanDiscovery(interfaces=interfaces)
        self._listeners: list[PresenceListener] = []
        self._directory_urls: dict[str, str] = {}
        self._poll_task: asyncio.Task | None = None
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def running(self) -> bool:
        return self._poll_task is not None or bool(self._discovery and self._discovery.running)

    @property
    def source(self) -> str:
        return "demo site directory" if self._directory else "mDNS (_ewelink._tcp)"

    async def start(self) -> None:
        if self.running:
            return
        if self._directory is not None:
            self._poll_directory()
            self._poll_task = asyncio.get_running_loop().create_task(self._poll_forever())
            return
        self._unsubscribe = self._discovery.subscribe(self._on_lan_device)
        await self._discovery.start()

    async def stop(self) -> None:
        if self._poll_task is not None:
            self._poll_task.cancel()
            await asyncio.gather(self._poll_task, return_exceptions=True)
            self._poll_task = None
        if self._discovery is not None:
            if self._unsubscribe:
                self._unsubscribe()
                self._unsubscribe = None
            await self._discovery.stop()

    def subscribe(self, callback: PresenceListener) -> Callable[[], None]:
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def devices(self) -> dict[str, str]:
        """{deviceid: base URL} of every device answering on the LAN right now."""
        if self._discovery is not None:
            return {d: dev.url for d, dev in self._discovery.devices.items()}
        return dict(self._directory_urls)

    def announcement(self, deviceid: str) -> LanAnnouncement | None:
        if self._discovery is None:
            return None
        found = self._discovery.devices.get(deviceid)
        return found.announcement if found else None

    def url(self, deviceid: str) -> str | None:
        return self.devices().get(deviceid)

    def address(self, deviceid: str) -> str | None:
        """'host:port' for screens, or None when the device is not on the LAN."""
        url = self.url(deviceid)
        return url.split("://", 1)[-1] if url else None

    async def wait_for(self, deviceid: str, timeout: float) -> str | None:
        """The device's URL once it answers on the LAN, or None after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (url := self.url(deviceid)) is None and loop.time() < deadline:
            await asyncio.sleep(0.05)
        return url

    def _notify(self, deviceid: str, announcement: LanAnnouncement | None) -> None:
        for callback in list(self._listeners):
            try:
                callback(deviceid, announcement)
            except Exception:
                log.exception("LAN presence listener failed")

    def _on_lan_device(self, device: LanDevice) -> None:
        self._notify(device.deviceid, device.announcement)

    def _poll_directory(self) -> None:
        current = dict(self._directory())
        changed = {d for d in current.keys() | self._directory_urls.keys()
                   if current.get(d) != self._directory_urls.get(d)}
        self._directory_urls = current
        for deviceid in sorted(changed):
            self._notify(deviceid, None)

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(DIRECTORY_POLL_SECONDS)
            self._poll_directory()


async def discover_once(seconds: float, *, interfaces=None) -> dict[str, LanDevice]:
    """Browse mDNS for `seconds` and return what answered (for `sitekit lan discover`)."""
    async with LanDiscovery(interfaces=interfaces) as discovery:
        await asyncio.sleep(seconds)
        return dict(discovery.devices)
