"""The Pair screen: a four-page wizard around `PairingService`.

    Device (pairing-mode steps, live hotspot check, which device)
    Wi-Fi (SSID, password, name; checked as typed; remembered for the next device)
    Pairing (one row per step with its status and countdown; Cancel, Retry)
    Done (what was paired; Pair another, Show in Devices)

Made for pairing twenty devices in a row: Enter always does the obvious next thing, focus
lands in the field that needs typing, and the start page notices the next hotspot by
itself (the network is read every second, in a worker thread: netifaces and the Wi-Fi
name lookup must not hold up painting).

Tests and the tour swap `network_snapshot` / `current_ssid` for fakes and set
`service.timeouts` to short ones.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QPushButton, QScrollArea, QVBoxLayout, QWidget

from app.core import network
from app.core.errors import SiteKitError
from app.services.describe import kind_label
from app.services.pairing import PairingService
from app.ui.pairing.flow import ADDRESS, DEMO, HOTSPOT, PROGRESS, RESULT, START, WIFI, PairingFlow
from app.ui.pairing.pages import ProgressPage, ResultPage, StartPage, Stepper, WifiPage
from app.ui.tasks import Tasks
from app.ui.widgets import Page
from app.vendors.ewelink.pairing import PairingFailed
from app.vendors.ewelink.pairing_steps import Progress

if TYPE_CHECKING:
    from app.services.workspace import Workspace

log = logging.getLogger(__name__)

NETWORK_POLL_MS = 1000
SSID_POLL_SECONDS = 5.0  # the Wi-Fi name comes from a subprocess: less often
COUNTDOWN_MS = 250
CONTENT_WIDTH = 860


class PairPage(Page):
    paired = Signal(str)  # deviceid, after a pairing that finished
    show_device_requested = Signal(str)  # deviceid

    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__("Pair a device", "Put a new Sonoff on the site's Wi-Fi and on the "
                                          "account, through its pairing hotspot.", parent)
        self._tasks = tasks
        self._ws: "Workspace | None" = None
        self.service: PairingService | None = None
        self.flow = PairingFlow()
        self.network_snapshot = network.snapshot  # swapped for fakes in tests and the tour
        self.current_ssid = network.current_ssid
        self._wifi_name: str | None = None
        self._ssid_read_at = 0.0
        self._network_task: asyncio.Task | None = None
        self._ssid_task: asyncio.Task | None = None
        self._run_task: asyncio.Task | None = None
        self._shown_page: str | None = None
        self._shown_outcome: str | None = None
        self._next_was_enabled = False

        self.stepper = Stepper()
        self.body.addWidget(self.stepper)
        column = QWidget()
        column.setObjectName("ScrollBody")
        column_layout = QVBoxLayout(column)
        column_layout.setContentsMargins(0, 0, 6, 0)
        column_layout.setSpacing(0)
        self.start_page = StartPage()
        self.wifi_page = WifiPage()
        self.progress_page = ProgressPage()
        self.result_page = ResultPage()
        self._pages = {START: self.start_page, WIFI: self.wifi_page,
                       PROGRESS: self.progress_page, RESULT: self.result_page}
        for widget in self._pages.values():
            column_layout.addWidget(widget)
        column_layout.addStretch(1)
        # The column (not each page) has the maximum width: the scroll area then asks the
        # wrapped labels for their height at the width they really get.
        column.setMaximumWidth(CONTENT_WIDTH)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.scroll.setWidget(column)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.body.addWidget(self.scroll, 1)

        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(NETWORK_POLL_MS)
        self._poll_timer.timeout.connect(self._poll_network)
        self._countdown_timer = QTimer(self)
        self._countdown_timer.setInterval(COUNTDOWN_MS)
        self._countdown_timer.timeout.connect(self.progress_page.tick)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.press_enter)
        self._wire()
        self._use_flow(PairingFlow())

    # -- wiring -----------------------------------------------------------------------

    def _wire(self) -> None:
        start, wifi = self.start_page, self.wifi_page
        start.hotspot_choice.toggled.connect(lambda on: on and self.flow.choose(HOTSPOT))
        start.address_choice.toggled.connect(lambda on: on and self._choose_address())
        start.address.textEdited.connect(self._address_typed)
        start.group.buttonToggled.connect(self._demo_toggled)
        start.next_button.clicked.connect(self.next)
        wifi.ssid.textEdited.connect(lambda text: self.flow.set_field("ssid", text))
        wifi.password.textEdited.connect(lambda text: self.flow.set_field("password", text))
        wifi.name.textEdited.connect(lambda text: self.flow.set_field("name", text))
        wifi.ssid.editingFinished.connect(lambda: self.flow.touch("ssid"))
        wifi.password.editingFinished.connect(lambda: self.flow.touch("password"))
        wifi.show_password.toggled.connect(lambda on: self.flow.set_field("show_password", on))
        wifi.back_button.clicked.connect(lambda: self.flow.back())
        wifi.pair_button.clicked.connect(self.pair)
        progress = self.progress_page
        progress.cancel_button.clicked.connect(self.cancel)
        progress.retry_button.clicked.connect(self.retry)
        progress.edit_button.clicked.connect(lambda: self.flow.edit_wifi())
        progress.start_over_button.clicked.connect(lambda: self.flow.start_over())
        result = self.result_page
        result.another_button.clicked.connect(self.pair_another)
        result.show_button.clicked.connect(self._show_device)

    def _use_flow(self, flow: PairingFlow) -> None:
        self.flow = flow
        flow.on_change(self._render)
        self._shown_page = None
        self._render()

    def attach(self, ws: "Workspace") -> None:
        self._ws = ws
        # The network reader goes through the page, so a test can swap it after attach.
        self.service = PairingService(ws, network_snapshot=lambda: self.network_snapshot())
        self._use_flow(PairingFlow(demo=ws.demo_site is not None))
        self._tasks.spawn(self._prefill(ws), name="pairing: remembered Wi-Fi")
        self._update_polling()

    def detach(self) -> None:
        self._ws = None
        if self._run_task is not None and not self._run_task.done():
            self._run_task.cancel()
        self._poll_timer.stop()
        self._countdown_timer.stop()
        self.service = None

    async def _prefill(self, ws: "Workspace") -> None:
        service = self.service
        remembered = await service.remembered_wifi() if service is not None else None
        if ws is not self._ws:
            return
        if remembered:
            self.flow.prefill_wifi(*remembered, "remembered")
            return
        site = ws.demo_site
        if site is not None:
            wifi = site.describe().get("site_wifi") or {}
            if wifi.get("ssid"):
                self.flow.prefill_wifi(wifi["ssid"], wifi.get("password", ""), "demo")

    # -- the live network check -------------------------------------------------------

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._update_polling()

    def hideEvent(self, event) -> None:  # noqa: N802
        super().hideEvent(event)
        self._update_polling()

    def set_network_poll_interval(self, ms: int) -> None:
        """How often the start page reads the network (tests use a short one)."""
        self._poll_timer.setInterval(ms)

    def _update_polling(self) -> None:
        wanted = self._ws is not None and self.isVisible() and self.flow.page == START
        if wanted and not self._poll_timer.isActive():
            self._poll_timer.start()
            self._poll_network()  # at once, not a second later
        elif not wanted and self._poll_timer.isActive():
            self._poll_timer.stop()

    def _poll_network(self) -> None:
        if self._ws is None:
            return
        if self.service is not None:
            self.flow.set_demo_devices(self.service.waiting_demo_devices())
        if self._network_task is None or self._network_task.done():
            self._network_task = self._tasks.spawn(self._read_network(), name="network check")
        due = time.monotonic() - self._ssid_read_at >= SSID_POLL_SECONDS
        if due and (self._ssid_task is None or self._ssid_task.done()):
            self._ssid_read_at = time.monotonic()
            self._ssid_task = self._tasks.spawn(self._read_ssid(), name="Wi-Fi name")

    async def _read_network(self) -> None:
        try:
            view = await asyncio.to_thread(self.network_snapshot)
        except Exception:  # never let a network oddity break the page
            log.exception("reading the network failed")
            return
        if self._ws is None:
            return
        changed = view != self.flow.network
        self.flow.set_network(view, self._wifi_name)
        if changed and (self._ssid_task is None or self._ssid_task.done()):
            # joined or left a network: its name has most likely changed too
            self._ssid_read_at = time.monotonic()
            self._ssid_task = self._tasks.spawn(self._read_ssid(), name="Wi-Fi name")

    async def _read_ssid(self) -> None:
        try:
            name = await asyncio.to_thread(self.current_ssid, 1.0)
        except Exception:
            log.exception("reading the Wi-Fi name failed")
            return
        if name != self._wifi_name:
            self._wifi_name = name
            if self._ws is not None and self.flow.network is not None:
                self.flow.set_network(self.flow.network, name)

    # -- actions (buttons and Enter) --------------------------------------------------

    def press_enter(self) -> None:
        """Enter: a focused button is pressed; otherwise the page's main action."""
        focus = QApplication.focusWidget()
        if isinstance(focus, QPushButton) and self.isAncestorOf(focus) and focus.isVisible() \
                and focus.isEnabled():
            focus.click()
            return
        page = self.flow.page
        if page == START:
            self.next()
        elif page == WIFI:
            self.pair()
        elif page == PROGRESS and not self.flow.running:
            self.retry()
        elif page == RESULT:
            self.pair_another()

    def next(self) -> None:
        self.flow.next()

    def pair(self) -> None:
        self._start_run(self.flow.begin())

    def retry(self) -> None:
        self._start_run(self.flow.retry())

    def cancel(self) -> None:
        """Really cancel: the run's task is cancelled (an exchange under way finishes first)."""
        if self.flow.cancel() and self._run_task is not None:
            self._run_task.cancel()

    def pair_another(self) -> None:
        self.flow.pair_another()

    def _show_device(self) -> None:
        if self.flow.result is not None:
            self.show_device_requested.emit(self.flow.result.deviceid)

    def _choose_address(self) -> None:
        self.flow.choose(ADDRESS)
        self.start_page.address.setFocus()

    def _address_typed(self, text: str) -> None:
        self.flow.set_field("address", text)
        if self.flow.source != ADDRESS:
            self.flow.choose(ADDRESS)

    def _demo_toggled(self, button, on: bool) -> None:
        deviceid = button.property("deviceid")
        if on and deviceid:
            self.flow.choose(DEMO, deviceid)

    # -- the run ----------------------------------------------------------------------

    def _start_run(self, request) -> None:
        if request is None or self.service is None:
            return
        self._run_task = self._tasks.spawn(self._run(self.service, *request), name="pairing")

    async def _run(self, service: PairingService, device_url: str | None, ssid: str,
                   password: str, name: str) -> None:
        flow = self.flow
        try:
            service.plan(device_url, ssid, password, name)
            result = await service.run(lambda progress: self._progress(service, progress))
        except PairingFailed as exc:
            flow.failed(exc.step, exc.message, exc.hint)
        except SiteKitError as exc:
            flow.failed(None, exc.message, exc.hint)
        except asyncio.CancelledError:
            flow.cancelled()
            raise
        except Exception as exc:  # a bug: say so instead of spinning forever
            log.exception("pairing crashed")
            flow.failed(None, f"Pairing stopped on an unexpected error ({type(exc).__name__}).",
                        "The log has the details; please send it to support.")
        else:
            ws = self._ws
            device = ws.inventory.get(result.deviceid) if ws is not None else None
            model = ""
            if device is not None:
                product = " ".join(p for p in (device.brand, device.model) if p)
                model = f"{product} ({kind_label(device)})" if product else kind_label(device)
            flow.succeeded(result, model)
            self.paired.emit(result.deviceid)

    def _progress(self, service: PairingService, progress: Progress) -> None:
        current = service.current
        identity = getattr(current, "identity", None) or {}
        if identity.get("deviceid") and identity["deviceid"] != self.flow.identity.get("deviceid"):
            self.flow.set_identity(identity["deviceid"], identity.get("chipid"))
        self.flow.update(progress)

    # -- rendering --------------------------------------------------------------------

    def _render(self) -> None:
        flow = self.flow
        page = flow.page
        entered = page != self._shown_page
        self.stepper.set_page(page)
        for name, widget in self._pages.items():
            widget.setVisible(name == page)
        self._pages[page].render(flow)
        if flow.running and not self._countdown_timer.isActive():
            self._countdown_timer.start()
        elif not flow.running and self._countdown_timer.isActive():
            self._countdown_timer.stop()
        self._place_focus(entered)
        self._shown_page = page
        self._shown_outcome = flow.outcome
        if entered:
            self.scroll.verticalScrollBar().setValue(0)
            self._update_polling()

    def _place_focus(self, entered: bool) -> None:
        flow = self.flow
        page = flow.page
        if page == START:
            button = self.start_page.next_button
            enabled = button.isEnabled()
            if flow.source == ADDRESS:
                if entered:
                    self.start_page.address.setFocus()
            elif enabled and (entered or not self._next_was_enabled):
                button.setFocus()  # the hotspot just appeared: Enter goes on
            self._next_was_enabled = enabled
        elif page == WIFI and entered:
            self.wifi_page.focus_first_needed(flow)
        elif page == PROGRESS:
            if entered and flow.running:
                self.progress_page.cancel_button.setFocus()
            elif not flow.running and flow.outcome != self._shown_outcome:
                retry = self.progress_page.retry_button
                retry.setFocus()
                # on a small screen the buttons may be below the fold
                QTimer.singleShot(0, self.scroll, lambda: self.scroll.ensureWidgetVisible(retry))
        elif page == RESULT and entered:
            self.result_page.another_button.setFocus()

    # -- for tests and the tour -------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._run_task is not None and not self._run_task.done()


__all__ = ["PairPage"]
