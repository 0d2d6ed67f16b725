"""The Thermostats screen: every Nuheat thermostat of the site on the left, the selected one
on the right in three tabs (Control, Schedule, Energy), the API quota in the header.

The page loads the list itself when attached (a simulated site signs its demo account in
on demand; a real one needs a sign-in first, which the page asks for). Rows follow the
service's change notifications, so a change made on the thermostat shows up by itself.
The schedule and the energy log are read only when their tab is shown.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QMessageBox,
                               QPushButton, QScrollArea, QSplitter, QStackedWidget, QTabWidget,
                               QVBoxLayout, QWidget)

from app.core.errors import AuthError, ConfigError, SiteKitError
from app.ui import style
from app.ui.devices.page import ListState
from app.ui.tasks import Tasks
from app.ui.thermostats.energy import EnergyView
from app.ui.thermostats.model import (HEATING, HOME, MODE, NAME, SERIAL_ROLE, SET_POINT, STATUS,
                                      TEMPERATURE, ThermostatListModel)
from app.ui.thermostats.panel import ThermostatPanel
from app.ui.thermostats.quota import quota_low, quota_text
from app.ui.thermostats.schedule_editor import ScheduleEditor
from app.ui.widgets import (Banner, Page, StatusDot, column_dropping_table, label, padded_card,
                            setup_list_table)
from app.vendors.nuheat.client import ChangeOutcomeUnknown, ScheduleInvalid

if TYPE_CHECKING:
    from app.core.ratelimit import ServerQuota
    from app.services.workspace import Workspace
    from app.ui.bridge import WorkspaceSignals
    from app.vendors.nuheat.models import ScheduleModel

log = logging.getLogger(__name__)

CONTROL, SCHEDULE, ENERGY = range(3)

LIVE_TEXT = {
    "online": "Live",
    "connecting": "Connecting…",
    "reconnecting": "Reconnecting…",
    "stopped": "Not live",
    "signed_out": "Signed out",
}
LIVE_TIP = {
    "online": "Changes made on a thermostat or in the Nuheat app show up here by themselves.",
    "stopped": "Changes made elsewhere show up after Refresh.",
}

TAB_STYLE = f"""
QTabWidget::pane {{ border: none; background: transparent; top: -1px; }}
QTabBar::tab {{ padding: 7px 16px; margin-right: 4px; border: none;
    border-bottom: 2px solid transparent; color: {style.MUTED}; font-weight: 600; }}
QTabBar::tab:selected {{ color: {style.TEXT}; border-bottom: 2px solid {style.ACCENT}; }}
QTabBar::tab:hover:!selected {{ color: {style.TEXT}; }}
QTabBar::tab:disabled {{ color: #b6c0cc; }}
"""


# Drops the least needed columns when too narrow: the panel beside it names the home and
# the status anyway (and Heating says "Offline"); an installer scans for temperature, mode
# and heating.
ThermostatTable = column_dropping_table((STATUS, HOME, SET_POINT))


class ThermostatsPage(Page):
    sign_in_requested = Signal()

    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__("Thermostats", "Nuheat floor heating on this site. Select a "
                                        "thermostat to change it, edit its schedule or see "
                                        "its energy use.", parent)
        self._tasks = tasks
        self._ws: "Workspace | None" = None
        self._signals: "WorkspaceSignals | None" = None
        self._connections: list = []
        self._unsubscribe_status: Callable[[], None] | None = None
        self._action: Callable[[], None] | None = None
        self._selected: str | None = None
        self._keep_selected: str | None = None
        self._schedule_for: str | None = None  # the serial the editor shows (or is loading)
        self._schedule_generation = 0
        self._reverting = False  # putting the selection back while asking about a draft
        self.unsaved_box: QMessageBox | None = None
        self.loading = False
        self._load_when_shown = False  # a simulated site loads when the screen is first shown
        self.live_status = "stopped"

        toolbar = QHBoxLayout()
        toolbar.setSpacing(10)
        self.live_dot = StatusDot()
        toolbar.addWidget(self.live_dot)
        self.live = label("", "hint")
        toolbar.addWidget(self.live)
        toolbar.addSpacing(6)
        self.count = label("", "hint")
        toolbar.addWidget(self.count, 1)
        self.quota = label("", "hint")
        self.quota.setToolTip("What the Nuheat API said with its last answer. SiteKit paces "
                              "its calls so normal use stays well inside the limits.")
        toolbar.addWidget(self.quota)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Read every thermostat from Nuheat again")
        self.refresh_button.clicked.connect(self.refresh)
        toolbar.addWidget(self.refresh_button)
        self.body.addLayout(toolbar)

        # -- the list -----------------------------------------------------------------
        self.model = ThermostatListModel(self)
        self.table = ThermostatTable()
        setup_list_table(self.table, self.model,
                         fit=(NAME, HOME, TEMPERATURE, SET_POINT, HEATING, STATUS), stretch=MODE)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())
        self.model.modelAboutToBeReset.connect(self._before_reset)
        self.model.modelReset.connect(self._after_reset)

        self.list_state = ListState()
        self.list_state.action.clicked.connect(lambda: self._action and self._action())

        # -- the tabs -----------------------------------------------------------------
        self.panel = ThermostatPanel(tasks)
        self.panel.setObjectName("ScrollBody")
        panel_area = QScrollArea()
        panel_area.setWidgetResizable(True)
        panel_area.setWidget(self.panel)

        self.editor = ScheduleEditor()
        self.editor.save_requested.connect(self._save_schedule)
        self.schedule_state = ListState()
        self.schedule_state.action.clicked.connect(lambda: self._load_schedule(reload=True))
        self.schedule_stack = QStackedWidget()
        self.schedule_stack.addWidget(self.editor)
        self.schedule_stack.addWidget(self.schedule_state)
        schedule_card, schedule_layout = padded_card((16, 14, 16, 14))
        schedule_layout.addWidget(self.schedule_stack)

        self.energy = EnergyView(tasks)
        energy_card, energy_layout = padded_card((16, 14, 16, 12))
        energy_layout.addWidget(self.energy)

        self.tabs = QTabWidget()
        self.tabs.setStyleSheet(TAB_STYLE)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(panel_area, "Control")
        self.tabs.addTab(self._padded(schedule_card), "Schedule")
        self.tabs.addTab(self._padded(energy_card), "Energy")
        self.tabs.currentChanged.connect(lambda _: self._tab_changed())

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(14)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setSizes([470, 530])  # scaled to the real width when first laid out
        self.table.setMinimumWidth(300)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tabs.setMinimumWidth(420)

        # a failed refresh of a list already shown: the list stays, with the reason above it
        self.refresh_banner = Banner()
        self.body.addWidget(self.refresh_banner)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.list_state)
        self.stack.addWidget(self.splitter)
        self.body.addWidget(self.stack, 1)
        self.show_signed_out()

    @staticmethod
    def _padded(widget: QWidget) -> QWidget:
        """A tab's content with the same breathing room above it as the Control tab."""
        box = QWidget()
        box.setObjectName("ScrollBody")
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addWidget(widget)
        return box

    # -- wiring -----------------------------------------------------------------------

    def attach(self, ws: "Workspace", signals: "WorkspaceSignals") -> None:
        self._ws = ws
        self._signals = signals
        service = ws.thermostats
        self.model.set_source(lambda: service.items, service.home_name, lambda: service.scale,
                              lambda: bool(getattr(service, "use12_hour", False)))
        self.panel.clear_state()
        self.panel.set_controller(service.set_mode, service.next_schedule_change)
        self.energy.set_loader(service.energy)
        self._connections = [signals.thermostat_changed.connect(self._thermostat_changed),
                             signals.quota_changed.connect(self._quota_changed)]
        # no bridge signal for this one: the page listens itself and stops on detach
        subscribe_status = getattr(service, "subscribe_status", None)
        self._unsubscribe_status = (subscribe_status(self._live_status)
                                    if subscribe_status is not None else None)
        self._live_status(service.live_status, getattr(service, "live_message", ""))
        self._quota_changed(service.quota)
        self._load_when_shown = False
        if ws.nuheat.signed_in:
            self.refresh()  # a stored sign-in: thermostats and their live changes from the start
        elif self._can_load(ws):
            # a simulated site signs its demo account in on demand: only when someone looks
            self.show_loading()
            self._load_when_shown = True
            if self.isVisible():
                self._load_pending()
        else:
            self.show_signed_out()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._load_pending()

    def _load_pending(self) -> None:
        if self._load_when_shown and self._ws is not None:
            self._load_when_shown = False
            self.refresh()

    def detach(self) -> None:
        signals, self._signals = self._signals, None
        if signals is not None:
            for connection in self._connections:
                signals.disconnect(connection)
        self._connections = []
        if self._unsubscribe_status is not None:
            self._unsubscribe_status()
            self._unsubscribe_status = None
        self._ws = None
        self._load_when_shown = False
        self.panel.set_controller(None, None)
        self.energy.set_loader(None)
        self.energy.show_thermostat(None)
        self.model.set_source(lambda: [])
        self.panel.clear_state()
        self._schedule_for = None
        self.quota.setText("")
        self.show_signed_out()

    @staticmethod
    def _can_load(ws: "Workspace") -> bool:
        if ws.nuheat.signed_in:
            return True
        try:
            return ws.nuheat.endpoints.demo_credentials is not None
        except ConfigError:
            return False

    # -- loading ----------------------------------------------------------------------

    def refresh(self) -> None:
        if self._ws is None or self.loading:
            return
        self._tasks.spawn(self.load(), name="thermostats")

    async def load(self) -> bool:
        """Read the list; the screen says what happened. Returns whether a list came."""
        ws = self._ws
        if ws is None:
            return False
        self.loading = True
        first = not ws.thermostats.loaded
        if first:
            self.show_loading()
        else:
            self.refresh_button.setEnabled(False)
            self.refresh_button.setText("Refreshing…")
        try:
            await ws.thermostats.refresh()
        except AuthError as exc:
            self.show_signed_out(exc.user_text())
            return False
        except SiteKitError as exc:
            self._load_failed(first, exc.user_text())
            return False
        except Exception as exc:  # noqa: BLE001 - the screen says so; the log has the rest
            log.exception("loading the thermostats failed unexpectedly")
            self._load_failed(first, f"Loading failed unexpectedly ({type(exc).__name__}). "
                                     "The log has the details.")
            return False
        finally:
            self.loading = False
            self.refresh_button.setEnabled(True)
            self.refresh_button.setText("Refresh")
        if self._ws is not ws:
            return False
        self.refresh_banner.clear()
        self.show_thermostats()
        if getattr(ws.thermostats, "live_status", "") == "stopped":
            self._tasks.spawn(ws.thermostats.start_live(), name="nuheat live")
        return True

    def _load_failed(self, first: bool, message: str) -> None:
        if first or self.stack.currentWidget() is not self.splitter:
            self.show_failed(message)
        else:
            self.refresh_banner.show_message(f"Could not refresh the thermostats: {message} "
                                             f"The list shows what was last read.", "warning")

    # -- states -----------------------------------------------------------------------

    def _show_list(self, has_list: bool) -> None:
        self.stack.setCurrentWidget(self.splitter if has_list else self.list_state)
        if not has_list:
            self.refresh_banner.clear()
        for widget in (self.refresh_button, self.count, self.live, self.live_dot):
            widget.setVisible(has_list)

    def _live_status(self, status: str, message: str = "") -> None:
        self.live_status = status
        self.live.setText(LIVE_TEXT.get(status, status))
        self.live_dot.set_colour(style.STATUS_COLOURS.get(status, style.MUTED))
        tip = LIVE_TIP.get(status, "")
        self.live.setToolTip("\n".join(p for p in (message, tip) if p))

    def show_loading(self) -> None:
        self._action = None
        self.list_state.set("Loading thermostats…", "Asking Nuheat for this account's homes "
                                                     "and thermostats.", busy=True)
        self._show_list(False)

    def show_signed_out(self, reason: str = "") -> None:
        self._action = self.sign_in_requested.emit
        self.list_state.set("Not signed in to Nuheat",
                            "Sign in with the Nuheat account that owns the thermostats. "
                            "SiteKit opens the Nuheat sign-in page in your browser.",
                            error=reason, action="Sign in to Nuheat")
        self._show_list(False)

    def show_failed(self, message: str) -> None:
        self._action = self.refresh
        self.list_state.set("Could not load the thermostats", error=message, action="Try again")
        self._show_list(False)

    def show_thermostats(self) -> None:
        self.model.reload()
        self._update_list_state()
        if self._selected is None and self.model.rowCount():
            self.select_thermostat(self.model.thermostat_at(0).serial_number)

    def _update_list_state(self) -> None:
        rows = self.model.thermostats
        if not rows:
            self._action = self.refresh
            self.list_state.set("No thermostats on this account",
                                "Thermostats added in the Nuheat app show up here.",
                                action="Refresh")
            self._show_list(False)
            return
        self._show_list(True)
        self.table.fit_columns()
        homes = {self.model.index(r, HOME).data() for r in range(len(rows))}
        heating = sum(1 for t in rows if t.online and t.is_heating)
        offline = sum(1 for t in rows if not t.online)
        parts = [f"{len(rows)} thermostats", f"{len(homes)} homes" if len(homes) > 1 else "",
                 f"{heating} heating", f"{offline} offline" if offline else ""]
        self.count.setText(" · ".join(p for p in parts if p))

    # -- selection --------------------------------------------------------------------

    def select_thermostat(self, serial: str) -> bool:
        row = self.model.row_of(serial)
        if row < 0:
            return False
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        return True

    def _selection_changed(self) -> None:
        if self._reverting:
            return
        index = self.table.selectionModel().currentIndex()
        serial = index.data(SERIAL_ROLE) if index.isValid() else None
        if serial and serial != self._selected and self._unsaved_schedule():
            self._ask_before_leaving(serial)
            return
        changed = serial != self._selected
        self._selected = serial
        self._show_selected()
        if changed and serial:
            self._tab_changed()
            if self.tabs.currentIndex() != SCHEDULE:
                self._prefetch_schedule(serial)

    def _unsaved_schedule(self) -> bool:
        return (self._selected is not None and self._schedule_for == self._selected
                and self.editor.dirty and not self.editor.saving)

    def _ask_before_leaving(self, target: str) -> None:
        """Another thermostat was picked while the schedule has unsaved edits: stay on
        this one and ask, so a click in the list never throws an evening's work away."""
        current = self._selected
        self._reverting = True
        try:
            self.select_thermostat(current)
        finally:
            self._reverting = False
        ws = self._ws
        name = lambda serial: (ws.thermostats.get(serial).name  # noqa: E731
                               if ws is not None and ws.thermostats.get(serial) else serial)
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved schedule",
                          f"The schedule of {name(current)} has changes that are not saved.",
                          parent=self)
        box.setInformativeText(f"Discard them and show {name(target)}, or keep editing and "
                               f"save first.")
        discard = box.addButton("Discard changes", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep editing", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)

        def answered(_result: int) -> None:
            self.unsaved_box = None
            box.deleteLater()
            if box.clickedButton() is discard:
                self._schedule_for = None  # the draft goes; the next schedule replaces it
                self.editor.show_loading()
                self.select_thermostat(target)
            else:
                self.tabs.setCurrentIndex(SCHEDULE)

        box.finished.connect(answered)
        self.unsaved_box = box
        box.open()

    def _show_selected(self) -> None:
        ws = self._ws
        serial = self._selected
        thermostat = ws.thermostats.get(serial) if ws is not None and serial else None
        if ws is not None:
            self.panel.set_scale(ws.thermostats.scale)
            self.panel.set_use12_hour(bool(getattr(ws.thermostats, "use12_hour", False)))
        self.panel.show_thermostat(thermostat, ws.thermostats.home_name(serial)
                                   if thermostat is not None else "")

    def _before_reset(self) -> None:
        self._keep_selected = self._selected

    def _after_reset(self) -> None:
        keep = self._keep_selected
        if keep and self.model.row_of(keep) >= 0:
            self.select_thermostat(keep)
            self._show_selected()
        else:
            self._selected = None
            self.panel.show_thermostat(None)

    # -- live updates -----------------------------------------------------------------

    def _thermostat_changed(self, serial: str) -> None:
        ws = self._ws
        if ws is None:
            return
        if not serial and not ws.thermostats.loaded:
            # the service was cleared (signed out): nothing left to show
            self.model.reload()
            self._selected = None
            self._schedule_for = None
            if not self.loading:
                self.show_signed_out()
            return
        self.model.thermostat_changed(serial)
        if self.stack.currentWidget() is self.splitter or (not serial and self.model.rowCount()):
            self._update_list_state()
        if serial and serial == self._selected:
            self._show_selected()
            if self.tabs.currentIndex() == SCHEDULE and not self.editor.dirty \
                    and not self.editor.saving:
                self._load_schedule(only_if_changed=True)

    def _quota_changed(self, quota: "ServerQuota | None") -> None:
        ws = self._ws
        client = ws.nuheat.client if ws is not None else None
        windows = client.governor.windows if client is not None else ()
        self.quota.setText(quota_text(quota, windows))
        colour = style.WARN if quota_low(quota, windows) else style.MUTED
        self.quota.setStyleSheet(f"color: {colour}; font-size: 12px;")

    # -- tabs -------------------------------------------------------------------------

    def _tab_changed(self) -> None:
        tab = self.tabs.currentIndex()
        if tab == SCHEDULE:
            if self._schedule_for != self._selected:
                self._load_schedule()
        elif tab == ENERGY:
            self.energy.show_thermostat(self._selected)

    def _prefetch_schedule(self, serial: str) -> None:
        """Read the schedule in the background so a Hold defaults to its next change."""
        ws = self._ws
        if ws is None:
            return

        async def fetch() -> None:
            try:
                await ws.thermostats.schedule(serial)
            except SiteKitError:
                return  # the Schedule tab says what is wrong when it is opened
            if serial == self._selected:
                self.panel.schedule_known()

        self._tasks.spawn(fetch(), name=f"schedule {serial}")

    def _load_schedule(self, *, reload: bool = False, only_if_changed: bool = False) -> None:
        ws = self._ws
        serial = self._selected
        self._schedule_generation += 1
        self._schedule_for = serial
        self.schedule_stack.setCurrentWidget(self.editor)
        if ws is None or serial is None:
            self.editor.show_loading("Select a thermostat to see its schedule.")
            return
        if self.editor.draft is None or self.editor.draft.serial_number != serial:
            self.editor.show_loading()
            only_if_changed = False
        self._tasks.spawn(self._read_schedule(ws, serial, self._schedule_generation, reload,
                                              only_if_changed),
                          name=f"schedule {serial}")

    async def _read_schedule(self, ws: "Workspace", serial: str, generation: int,
                             reload: bool, only_if_changed: bool = False) -> None:
        try:
            state = await ws.thermostats.schedule(serial, reload=reload)
        except SiteKitError as exc:
            if generation == self._schedule_generation:
                self._schedule_failed(exc.user_text())
            return
        except Exception as exc:  # noqa: BLE001
            log.exception("reading the schedule of %s failed unexpectedly", serial)
            if generation == self._schedule_generation:
                self._schedule_failed(f"Reading the schedule failed unexpectedly "
                                      f"({type(exc).__name__}). The log has the details.")
            return
        if generation != self._schedule_generation or self._ws is not ws:
            return
        draft = self.editor.draft
        if only_if_changed and (self.editor.dirty or (
                draft is not None and state.schedule is not None
                and draft.to_model().to_api() == state.schedule.to_api())):
            return  # a temperature changed, not the schedule: keep the editor (and its undo)
        thermostat = ws.thermostats.get(serial)
        self.editor.set_schedule(state, ws.thermostats.scale,
                                 thermostat.name if thermostat else serial)
        self.schedule_stack.setCurrentWidget(self.editor)
        if serial == self._selected:
            self.panel.schedule_known()

    def _schedule_failed(self, message: str) -> None:
        self._schedule_for = None  # opening the tab again tries again
        self.schedule_state.set("Could not read the schedule", error=message, action="Try again")
        self.schedule_stack.setCurrentWidget(self.schedule_state)

    def _save_schedule(self, schedule: "ScheduleModel") -> None:
        ws = self._ws
        if ws is None:
            self.editor.show_save_error("Not connected to a site.")
            return
        self._tasks.spawn(self._run_save(ws, schedule), name=f"save schedule "
                                                             f"{schedule.serial_number}")

    async def _run_save(self, ws: "Workspace", schedule: "ScheduleModel") -> None:
        try:
            await ws.thermostats.save_schedule(schedule)
        except ScheduleInvalid as exc:
            self.editor.show_save_error(exc.user_text())
            return
        except ChangeOutcomeUnknown as exc:
            # "try Save again" would be wrong here: Nuheat may already have the schedule
            self.editor.show_save_error(f"{exc.user_text()} Your changes are still here.")
            return
        except SiteKitError as exc:
            self.editor.show_save_error(f"Not saved: {exc.user_text()} Your changes are "
                                        f"still here; try Save again.")
            return
        except Exception as exc:  # noqa: BLE001
            log.exception("saving the schedule of %s failed unexpectedly", schedule.serial_number)
            self.editor.show_save_error(f"Not saved: unexpected {type(exc).__name__}. Your "
                                        f"changes are still here; the log has the details.")
            return
        if self._schedule_for == schedule.serial_number:
            self.editor.saved()
        if schedule.serial_number == self._selected:
            self.panel.schedule_known()
