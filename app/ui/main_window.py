"""The main window: navigation on the left, one screen at a time, status at the bottom.

It shows itself before any site is open (a light "Opening…" screen, so the first paint
does not wait for the network or heavy imports), then `attach(workspace)` builds the
screens and either goes to sign-in or straight to the devices.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow,
                               QStackedWidget, QVBoxLayout, QWidget)

from app.ui import style
from app.ui.application import BENCH_ENV
from app.ui.tasks import Tasks

if TYPE_CHECKING:
    from app.services.workspace import Workspace
    from app.ui.bridge import WorkspaceSignals
    from app.ui.devices.page import DevicesPage
    from app.ui.diagnostics.page import DiagnosticsPage
    from app.ui.doors.page import DoorsPage
    from app.ui.feed.page import EventsPage
    from app.ui.messaging.page import MessagingPage
    from app.ui.onboarding.wizard import OnboardingWizard
    from app.ui.pairing.wizard import PairPage
    from app.ui.residents.page import ResidentsPage
    from app.ui.settings.page import SettingsPage
    from app.ui.thermostats.page import ThermostatsPage

OpenWorkspace = Callable[..., Awaitable["Workspace"]]

NAV_ITEMS = ("Devices", "Pair", "Thermostats", "Doors", "Residents", "Messages", "Events",
             "Diagnostics", "Settings")
(DEVICES, PAIR, THERMOSTATS, DOORS, RESIDENTS, MESSAGES, EVENTS, DIAGNOSTICS,
 SETTINGS) = range(len(NAV_ITEMS))

LIVE_TEXT = {
    "online": "Live updates on",
    "connecting": "Connecting…",
    "reconnecting": "Reconnecting…",
    "stopped": "Live updates off",
    "signed_out": "Signed out",
}

class LoadingScreen(QWidget):
    """The first frame: deliberately plain Qt, so it paints before anything else loads."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Content")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.text = QLabel("Opening the site…")
        self.text.setProperty("role", "heading")
        self.text.setWordWrap(True)  # "Could not open the site: …" can be long
        self.text.setMaximumWidth(640)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.text)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)


class MainWindow(QMainWindow):
    first_painted = Signal()
    close_requested = Signal()

    def __init__(self, open_workspace: OpenWorkspace | None = None) -> None:
        super().__init__()
        self.setWindowTitle("SiteKit")
        self.resize(1280, 760)
        self.setMinimumSize(QSize(940, 600))
        self.tasks = Tasks()
        self._open_workspace = open_workspace
        self.ws: "Workspace | None" = None
        self.signals: "WorkspaceSignals | None" = None
        self._painted = False
        self.live_state = "stopped"
        self._built = False

        self.root = QStackedWidget()
        self.loading = LoadingScreen()
        self.root.addWidget(self.loading)
        self.setCentralWidget(self.root)
        self._build_status_bar()

    # -- first paint ------------------------------------------------------------------

    def paintEvent(self, event) -> None:  # noqa: N802
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            if os.environ.get(BENCH_ENV):
                print(f"SITEKIT_FIRST_PAINT {time.time():.6f}", flush=True)
            self.first_painted.emit()

    @property
    def painted(self) -> bool:
        return self._painted

    def closeEvent(self, event) -> None:  # noqa: N802
        # The application closes the workspace, then the loop; see application.py.
        event.accept()
        self.close_requested.emit()

    # -- building ---------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        self.site_label = QLabel("")
        self.account_label = QLabel("")
        bar.addWidget(self.site_label)
        bar.addWidget(self.account_label, 1)
        live = QWidget()
        live_layout = QHBoxLayout(live)
        live_layout.setContentsMargins(0, 0, 8, 0)
        live_layout.setSpacing(4)
        self.live_dot = QLabel("●")  # a text dot: no custom widget before the first paint
        self.live_label = QLabel(LIVE_TEXT["stopped"])
        live_layout.addWidget(self.live_dot)
        live_layout.addWidget(self.live_label)
        bar.addPermanentWidget(live)

    def _build(self) -> None:
        """The screens; built after the first paint so the window appears at once."""
        if self._built:
            return
        from PySide6.QtCore import Qt  # not at import time: see widgets.py

        from app.ui.devices.page import DevicesPage
        from app.ui.diagnostics.page import DiagnosticsPage
        from app.ui.doors.page import DoorsPage
        from app.ui.feed.page import EventsPage
        from app.ui.messaging.page import MessagingPage
        from app.ui.onboarding.wizard import OnboardingWizard
        from app.ui.pairing.wizard import PairPage
        from app.ui.residents.page import ResidentsPage
        from app.ui.settings.page import SettingsPage
        from app.ui.thermostats.page import ThermostatsPage

        self.wizard: OnboardingWizard = OnboardingWizard(self.tasks)
        self.wizard.signed_in.connect(self._signed_in)
        self.wizard.demo_requested.connect(lambda: self.tasks.spawn(self.switch_site(demo=True)))
        self.wizard.settings_requested.connect(lambda: self.show_screen(SETTINGS))
        self.wizard.nuheat_requested.connect(lambda: self.show_nuheat_sign_in())
        self.wizard.nuheat_signed_in.connect(self._nuheat_signed_in)
        self.wizard.nuheat_skipped.connect(self._nuheat_skipped)
        self.wizard.vendor_requested.connect(self.show_vendor_connect)
        self.wizard.vendor_connected.connect(self._vendor_connected)
        self.wizard.vendor_skipped.connect(lambda _vendor: self._back_from_wizard())
        self.root.addWidget(self.wizard)

        self.shell = QWidget()
        shell_layout = QHBoxLayout(self.shell)
        shell_layout.setContentsMargins(0, 0, 0, 0)
        shell_layout.setSpacing(0)
        nav = QWidget()
        nav.setObjectName("Nav")
        nav.setFixedWidth(190)
        nav_layout = QVBoxLayout(nav)
        nav_layout.setContentsMargins(0, 0, 0, 12)
        nav_layout.setSpacing(0)
        title = QLabel("SiteKit")
        title.setObjectName("NavTitle")
        nav_layout.addWidget(title)
        subtitle = QLabel("Installer toolkit")
        subtitle.setObjectName("NavSubtitle")
        nav_layout.addWidget(subtitle)
        self.nav = QListWidget()
        self.nav.setObjectName("NavList")
        self.nav.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.nav.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for name in NAV_ITEMS:
            QListWidgetItem(name, self.nav)
        nav_layout.addWidget(self.nav, 1)
        self.nav_site = QLabel("")
        self.nav_site.setWordWrap(True)
        self.nav_site.setStyleSheet("color: #94a3b8; font-size: 11px; padding: 0 18px;")
        nav_layout.addWidget(self.nav_site)
        shell_layout.addWidget(nav)

        self.pages = QStackedWidget()
        self.devices: DevicesPage = DevicesPage(self.tasks)
        self.events: EventsPage = EventsPage()
        self.settings: SettingsPage = SettingsPage(self.tasks)
        self.pair: PairPage = PairPage(self.tasks)
        self.thermostats: ThermostatsPage = ThermostatsPage(self.tasks)
        self.doors: DoorsPage = DoorsPage(self.tasks)
        self.residents: ResidentsPage = ResidentsPage(self.tasks)
        self.messages: MessagingPage = MessagingPage(self.tasks)
        self.diagnostics: DiagnosticsPage = DiagnosticsPage(self.tasks)
        for page in (self.devices, self.pair, self.thermostats, self.doors, self.residents,
                     self.messages, self.events, self.diagnostics, self.settings):
            self.pages.addWidget(page)
        shell_layout.addWidget(self.pages, 1)
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.nav.setCurrentRow(DEVICES)
        self.root.addWidget(self.shell)

        self.devices.refresh_requested.connect(lambda: self.tasks.spawn(self.refresh_devices()))
        self.devices.sign_in_requested.connect(lambda: self.show_onboarding())
        self.settings.sign_in_requested.connect(lambda: self.show_onboarding())
        self.settings.sign_out_requested.connect(lambda: self.tasks.spawn(self.sign_out()))
        self.settings.nuheat_sign_in_requested.connect(lambda: self.show_nuheat_sign_in())
        self.settings.nuheat_sign_out_requested.connect(
            lambda: self.tasks.spawn(self.sign_out_nuheat(), name="Nuheat sign-out"))
        self.settings.temperature_unit_changed.connect(lambda _unit: self.thermostats.refresh())
        self.thermostats.sign_in_requested.connect(lambda: self.show_nuheat_sign_in())
        self.messages.settings_requested.connect(lambda: self.show_vendor_connect("nxcloud"))
        self.residents.settings_requested.connect(lambda: self.show_vendor_connect("nexhome"))
        self.doors.settings_requested.connect(lambda: self.show_vendor_connect("nexhome"))
        self.pair.paired.connect(self._device_paired)
        self.pair.show_device_requested.connect(self.show_device)
        self._built = True

    # -- workspace --------------------------------------------------------------------

    def show_opening(self, text: str = "Opening the site…") -> None:
        self.loading.text.setText(text)
        self.root.setCurrentWidget(self.loading)

    def attach(self, ws: "Workspace") -> None:
        from app.ui.bridge import WorkspaceSignals

        self._build()
        self.ws = ws
        self.signals = WorkspaceSignals(ws, self)
        self.signals.live_status.connect(self._live_status)
        # the account label depends on the sign-in alone, not on device reports: a whole
        # new list ("") comes with a sign-in or sign-out, and the live status changes when
        # the cloud ends the session
        self.signals.devices_changed.connect(
            lambda ids: self._update_account() if "" in ids else None)
        self.signals.live_status.connect(lambda *_: self._update_account())
        # the Thermostats screen signs a simulated site's Nuheat account in by itself
        self.signals.thermostat_changed.connect(
            lambda serial: self.settings.refresh_nuheat() if not serial else None)
        self.devices.attach(ws, self.signals)
        self.events.attach(ws, self.signals)
        self.settings.attach(ws)
        self.pair.attach(ws)
        self.thermostats.attach(ws, self.signals)
        self.doors.attach(ws, self.signals)
        self.residents.attach(ws, self.signals)
        self.messages.attach(ws, self.signals)
        self.diagnostics.attach(ws, self.signals)
        simulated = ws.profile.is_simulated
        self.site_label.setText(ws.profile.label)
        self.site_label.setStyleSheet(
            "background: #fef3c7; color: #92400e; border-radius: 4px; font-weight: 600;"
            if simulated else "font-weight: 600;")
        self.site_label.setToolTip("A simulated site on this laptop: nothing real is switched."
                                   if simulated else "The real eWeLink cloud")
        self.nav_site.setText(f"{ws.profile.label}" + (" · simulated" if simulated else ""))
        self._live_status(ws.live_status, ws.live_message)
        self._update_account()
        if ws.ewelink.signed_in:
            self.show_screen(DEVICES)
            self.tasks.spawn(self.start_session(), name="start session")
        else:
            self.devices.show_signed_out()
            self.show_onboarding()

    def detach(self) -> "Workspace | None":
        ws, self.ws = self.ws, None
        if self.signals is not None:
            self.signals.disconnect_services()
            self.signals.deleteLater()
            self.signals = None
        if self._built:
            self.devices.detach()
            self.events.detach()
            self.settings.detach()
            self.pair.detach()
            self.thermostats.detach()
            self.doors.detach()
            self.residents.detach()
            self.messages.detach()
            self.diagnostics.detach()
        return ws

    async def switch_site(self, *, demo: bool = False, site_file=None) -> None:
        """Close this site and open another (the welcome page's "Explore the demo site")."""
        if self._open_workspace is None:
            return
        self.show_opening("Opening the demo site…" if demo else "Opening the site…")
        old = self.detach()
        await self.tasks.cancel_all()
        if old is not None:
            await old.close()
        self.attach(await self._open_workspace(demo=demo, site_file=site_file))

    # -- navigation -------------------------------------------------------------------

    def show_screen(self, index: int) -> None:
        self._build()
        self.root.setCurrentWidget(self.shell)
        self.nav.setCurrentRow(index)

    def show_onboarding(self, error: str = "") -> None:
        self._build()
        ws = self.ws
        if ws is None:
            return
        credentials = ws.profile.demo_credentials
        self.wizard.start(
            self._sign_in, welcome=credentials is None and not error,
            site_label=ws.profile.label.lower(),
            region=ws.settings.ewelink.region if credentials is None else credentials[0],
            account=ws.settings.ewelink.account if credentials is None else "",
            credentials=credentials, error=error)
        self.root.setCurrentWidget(self.wizard)

    def show_device(self, deviceid: str) -> None:
        """The Devices screen with one device selected (after pairing it)."""
        self.show_screen(DEVICES)
        self.devices.show_devices()
        self.devices.select_device(deviceid)

    def show_nuheat_sign_in(self, error: str = "") -> None:
        """The wizard's Nuheat page (from the welcome page, Settings or the Thermostats screen)."""
        self._build()
        ws = self.ws
        if ws is None:
            return
        endpoints = ws.profile.nuheat
        self._wizard_return = self.root.currentWidget()
        # ws.nuheat.sign_in itself, not a lambda: the page passes its own browser opener,
        # which makes "open the page again" and "copy the link" work on a real site
        self.wizard.start_nuheat(ws.nuheat.sign_in, error=error,
                                 simulated=endpoints is not None and endpoints.demo_credentials is not None,
                                 needs_client_id=endpoints is None or not endpoints.client_id)
        self.root.setCurrentWidget(self.wizard)

    def _nuheat_signed_in(self) -> None:
        self.settings.refresh_nuheat()
        self.show_screen(THERMOSTATS)
        self.thermostats.refresh()

    def _nuheat_skipped(self) -> None:
        self._back_from_wizard()

    def _back_from_wizard(self) -> None:
        """Where a skipped Nuheat/NEXhome/NXCloud page returns: the screens, or first-run."""
        back = getattr(self, "_wizard_return", None)
        if back is self.shell or (self.ws is not None and self.ws.ewelink.signed_in):
            self.root.setCurrentWidget(self.shell)
        else:
            self.show_onboarding()

    def show_vendor_connect(self, vendor: str) -> None:
        """The wizard's Connect NEXhome / Connect NXCloud page."""
        self._build()
        if self.ws is None:
            return
        self._wizard_return = self.root.currentWidget()
        self.wizard.start_vendor(vendor, self.ws)
        self.root.setCurrentWidget(self.wizard)

    def _vendor_connected(self, vendor: str) -> None:
        if self.ws is not None:  # the Settings card shows what the page saved
            (self.settings.nexhome if vendor == "nexhome" else self.settings.nxcloud).attach(self.ws)
        self.show_screen(DOORS if vendor == "nexhome" else MESSAGES)

    async def sign_out_nuheat(self) -> None:
        ws = self.ws
        if ws is None:
            return
        await ws.sign_out_nuheat()
        self.settings.refresh_nuheat()
        self.thermostats.show_signed_out()

    def _device_paired(self, deviceid: str) -> None:
        # The pairing service refreshed the inventory; an empty list becomes a table now.
        if self.ws is not None and self.ws.ewelink.signed_in:
            self.devices.show_devices()

    @property
    def current_screen(self) -> QWidget:
        widget = self.root.currentWidget()
        return self.pages.currentWidget() if self._built and widget is self.shell else widget

    # -- session ----------------------------------------------------------------------

    async def _sign_in(self, region: str, account: str, password: str) -> Any:
        assert self.ws is not None
        return await self.ws.ewelink.sign_in(region, account, password)

    def _signed_in(self) -> None:
        self._update_account()
        self.settings.refresh_account()
        self.show_screen(DEVICES)
        self.tasks.spawn(self.start_session(), name="start session")

    async def start_session(self) -> None:
        """After sign-in: load the devices, then go live."""
        ws = self.ws
        if ws is None:
            return
        if not await self.refresh_devices():
            return
        self.tasks.spawn(self._start_lan(ws), name="LAN presence")
        from app.core.errors import SiteKitError

        try:
            await ws.start_live()
        except SiteKitError as exc:
            self._live_status("stopped", exc.user_text())

    async def _start_lan(self, ws: "Workspace") -> None:
        """Watch which devices answer on this network (mDNS; the demo site's directory)."""
        try:
            await ws.lan.start()
        except Exception as exc:  # LAN control is a bonus: the cloud still works
            import logging

            logging.getLogger(__name__).warning("LAN discovery did not start: %s", exc)

    async def refresh_devices(self) -> bool:
        from app.core.errors import AuthError, SiteKitError

        ws = self.ws
        if ws is None:
            return False
        self.devices.show_loading()
        try:
            await ws.inventory.refresh()
        except AuthError as exc:
            self.devices.show_signed_out()
            self.show_onboarding(error=exc.user_text())
            return False
        except SiteKitError as exc:
            self.devices.show_failed(exc.user_text())
            return False
        self.devices.show_devices()
        return True

    async def sign_out(self) -> None:
        ws = self.ws
        if ws is None:
            return
        await ws.sign_out()
        self._update_account()
        self.settings.refresh_account()
        self.devices.show_signed_out()
        self._live_status(ws.live_status, "")
        self.show_onboarding()

    # -- status bar -------------------------------------------------------------------

    def _update_account(self) -> None:
        ws = self.ws
        if ws is None:
            self.account_label.setText("")
            return
        from app.ui.onboarding.flow import region_label

        if ws.ewelink.signed_in:
            self.account_label.setText(f"{ws.ewelink.account} · {region_label(ws.ewelink.region)}")
        else:
            self.account_label.setText("Not signed in")

    def _live_status(self, status: str, message: str) -> None:
        colour = style.STATUS_COLOURS.get(status, style.MUTED)
        self.live_dot.setStyleSheet(f"color: {colour}; padding: 0;")
        self.live_label.setText(LIVE_TEXT.get(status, status.capitalize() or "—"))
        self.live_label.setToolTip(message)
        self.live_state = status
        if status == "signed_out" and self.ws is not None and self._built:
            self.devices.show_signed_out()
            self.show_onboarding(error=message or "The eWeLink session ended. Sign in again.")
