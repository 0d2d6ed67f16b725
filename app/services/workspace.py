"""Everything one running SiteKit needs, wired together: the composition root.

The GUI, the CLI and the tests open a `Workspace`, use its services, and close it.
Starting the in-process demo site is the one place a service touches the simulators.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
from pathlib import Path
from typing import Callable

from app.core import paths
from app.core.clock import ClockSkew
from app.core.events import Event
from app.core.http import make_session
from app.core.secrets import SecretStore
from app.core.settings import Settings
from app.core.store import EventStore
from app.services.accounts import EwelinkAccount
from app.services.building import Building
from app.services.feed import Feed
from app.services.inventory import Inventory
from app.services.lan import LanPresence
from app.services.messaging import Messaging
from app.services.nuheat import NuheatAccount
from app.services.site import SiteProfile
from app.services.thermostats import Thermostats
from app.vendors.ewelink.live import EwelinkLive

log = logging.getLogger(__name__)

StatusListener = Callable[[str, str], None]


class Workspace:
    def __init__(self, *, profile: SiteProfile, settings: Settings, secrets: SecretStore,
                 store: EventStore | None, demo_site=None) -> None:
        self.profile = profile
        self.settings = settings
        self.secrets = secrets
        self.demo_site = demo_site
        self.clock = ClockSkew()
        self.session = make_session(settings.http, self.clock)
        # Devices on the LAN get a session of their own: their Date headers (no real-time
        # clock) must not move the cloud clock.
        self.device_session = make_session(settings.http)
        self._store = store
        self.feed = Feed(store)
        self.ewelink = EwelinkAccount(profile, settings, secrets, self.session, self.clock)
        self.nuheat = NuheatAccount(profile, settings, secrets, self.session)
        self.messaging = Messaging(profile, self.session, self.clock, self.feed)
        self.thermostats = Thermostats(self.nuheat, self.feed)
        # Commands to the building are audited even when events are not kept on disk.
        self._building_store = store if store is not None else EventStore(":memory:")
        self.building = Building(profile, self.session, self.clock, self.feed,
                                 self._building_store, self.messaging,
                                 actor=settings.operator or _os_user())
        directory = None
        if demo_site is not None and not getattr(demo_site, "device_mdns", True):
            directory = demo_site.lan_directory  # no multicast on plain loopback
        self.lan = LanPresence(directory=directory)
        self.inventory = Inventory(self.ewelink, self.feed, self.live, secrets=secrets,
                                   lan=self.lan, lan_session=self.device_session)
        self._live: EwelinkLive | None = None
        self._unsubscribe_live: Callable[[], None] | None = None
        self.live_status = "stopped"
        self.live_message = ""
        self._status_listeners: list[StatusListener] = []

    @classmethod
    async def open(cls, *, demo: bool = False, site_file: Path | None = None,
                   store_events: bool = True, demo_site_options: dict | None = None) -> "Workspace":
        # Settings and keyring access are blocking (keyring may talk D-Bus): off the loop.
        settings = await asyncio.to_thread(Settings.load)
        secrets = await asyncio.to_thread(SecretStore)
        demo_site = None
        if demo:
            from app.simulators.site import DemoSite

            demo_site = DemoSite(**(demo_site_options or {}))
            await demo_site.start()
            profile = SiteProfile.from_description(demo_site.describe(), key="demo",
                                                   label="Demo site", remember_tokens=False)
        elif site_file is not None:
            profile = await asyncio.to_thread(SiteProfile.from_file, Path(site_file))
        else:
            profile = SiteProfile.real(settings, secrets)
        store = EventStore(paths.events_db()) if store_events else None
        workspace = cls(profile=profile, settings=settings, secrets=secrets, store=store,
                        demo_site=demo_site)
        await workspace.ewelink.load()
        await workspace.nuheat.load()
        return workspace

    # -- live channel -------------------------------------------------------------

    def subscribe_status(self, callback: StatusListener) -> Callable[[], None]:
        self._status_listeners.append(callback)
        return lambda: (self._status_listeners.remove(callback)
                        if callback in self._status_listeners else None)

    def _on_live_event(self, event: Event) -> None:
        if event.kind == "connection":
            self.live_status = str(event.payload.get("status", ""))
            self.live_message = str(event.payload.get("message", ""))
            for callback in list(self._status_listeners):
                callback(self.live_status, self.live_message)
        self.feed.publish(event)

    async def start_live(self) -> EwelinkLive:
        """Connect the websocket (once), for the account currently signed in."""
        await self.ewelink.ensure_signed_in()
        client = self.ewelink.client
        if self._live is not None and self._live.client is client and self._live.status != "signed_out":
            return self._live
        await self.stop_live()
        live = EwelinkLive(client)
        self._unsubscribe_live = live.subscribe(self._on_live_event)
        self._live = live
        await live.start()
        return live

    async def live(self) -> EwelinkLive:
        """The live channel, connected; used by commands."""
        live = await self.start_live()
        if live.status != "online":
            await live.wait_online(timeout=15)
        return live

    async def stop_live(self) -> None:
        if self._live is not None:
            if self._unsubscribe_live:
                self._unsubscribe_live()
            await self._live.stop()
            self._live = None
            self.live_status = "stopped"

    async def sign_out(self) -> None:
        await self.stop_live()
        await self.ewelink.sign_out()
        self.inventory.clear()

    async def sign_out_nuheat(self) -> None:
        """Stop Nuheat live changes, revoke and forget the sign-in, empty the thermostat list."""
        await self.thermostats.stop_live()
        await self.nuheat.sign_out()
        self.thermostats.clear()

    async def close(self) -> None:
        await self.stop_live()
        await self.thermostats.stop_live()
        await self.building.stop_live()
        await self.lan.stop()
        await self.inventory.close()  # a device-list re-read after a reconnect may be running
        await self.feed.close()
        await self.ewelink.close()
        await self.nuheat.close()
        await self.session.close()
        await self.device_session.close()
        if self._store is not None:
            await self._store.close()
        if self._building_store is not self._store:
            await self._building_store.close()
        if self.demo_site is not None:
            await self.demo_site.stop()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in the environment: still audit
        return "unknown"
