"""The Devices screen: the account's devices on the left, the selected one on the right."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QPushButton,
                               QScrollArea, QStackedWidget, QVBoxLayout, QWidget)

from app.core.events import Event
from app.ui.devices.model import DEVICE_ID_ROLE, KIND, NAME, STATE, STATUS, DeviceListModel
from app.ui.devices.panel import DevicePanel
from app.ui.tasks import Tasks
from app.ui.widgets import (Banner, Page, Spinner, column_dropping_table, label, primary_button,
                            setup_list_table)

if TYPE_CHECKING:
    from app.services.workspace import Workspace
    from app.ui.bridge import WorkspaceSignals


class ListState(QWidget):
    """What the list area says when there is no list: loading, empty, signed out, failed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.spinner = Spinner(size=22)
        row.addWidget(self.spinner)
        self.text = label("", "heading")
        row.addWidget(self.text)
        row.addStretch(1)
        layout.addLayout(row)
        self.detail = label("", "subtitle", wrap=True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.detail)
        self.banner = Banner()
        layout.addWidget(self.banner)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.action = primary_button("")
        buttons.addWidget(self.action)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(2)

    def set(self, text: str, detail: str = "", *, busy: bool = False, error: str = "",
            action: str = "") -> None:
        self.text.setText(text)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.spinner.setVisible(busy)
        self.banner.show_message(error, "error")
        self.action.setText(action)
        self.action.setVisible(bool(action))


_REPORTS = frozenset(("state", "online", "offline"))  # what "Last report" counts


# Drops the Type column when too narrow: the panel beside it names the type anyway, and
# the state matters more on site.
DeviceTable = column_dropping_table((KIND,), sized=(NAME, KIND, STATUS), stretch_minimum=150)


class DevicesPage(Page):
    refresh_requested = Signal()
    sign_in_requested = Signal()

    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__("Devices", "Every device on the account, live. Select one to switch "
                                    "it and see its readings.", parent)
        self._tasks = tasks
        self._ws: "Workspace | None" = None
        self._action: Callable[[], None] | None = None

        columns = QHBoxLayout()
        columns.setSpacing(16)
        left = QVBoxLayout()
        left.setSpacing(8)
        toolbar = QHBoxLayout()
        self.count = label("", "hint")
        toolbar.addWidget(self.count, 1)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Ask the cloud for the device list again")
        self.refresh_button.clicked.connect(self.refresh_requested.emit)
        toolbar.addWidget(self.refresh_button)
        left.addLayout(toolbar)

        self.model = DeviceListModel(parent=self)
        self.table = DeviceTable()
        # names and types are short and must never be cut; the state takes what is left
        setup_list_table(self.table, self.model, fit=(NAME, KIND, STATUS), stretch=STATE)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())
        self.model.modelAboutToBeReset.connect(self._before_reset)
        self.model.modelReset.connect(self._after_reset)

        self.list_state = ListState()
        self.list_state.action.clicked.connect(lambda: self._action and self._action())
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.list_state)
        self.list_stack.addWidget(self.table)
        left.addWidget(self.list_stack, 1)
        columns.addLayout(left, 5)

        self.panel = DevicePanel(tasks)
        self.panel_area = QScrollArea()
        self.panel_area.setWidgetResizable(True)
        self.panel_area.setWidget(self.panel)
        self.panel_area.setMinimumWidth(340)
        self.panel.setObjectName("ScrollBody")
        columns.addWidget(self.panel_area, 3)
        self.body.addLayout(columns, 1)
        self._selected: str | None = None
        self.show_signed_out()

    # -- wiring -----------------------------------------------------------------------

    def attach(self, ws: "Workspace", signals: "WorkspaceSignals") -> None:
        self._ws = ws
        self.panel.clear_state()
        self.panel.set_event_source(ws.feed.recent)
        self.model.set_source(lambda: ws.inventory.devices, ws.lan.address)
        self.panel.set_switcher(
            lambda deviceid, on, outlet, via: ws.inventory.set_switch(deviceid, on, outlet,
                                                                      via=via))
        self.panel.set_routing(ws.inventory.route, ws.lan.address)
        signals.devices_changed.connect(self._devices_changed)
        signals.events.connect(self._events)

    def detach(self) -> None:
        self._ws = None
        self.panel.set_event_source(None)
        self.panel.set_switcher(None)
        self.panel.set_routing(None, None)
        self.model.set_source(lambda: [])
        self.panel.clear_state()

    # -- states -----------------------------------------------------------------------

    def _show_list(self, has_list: bool) -> None:
        # without a list there is nothing to select: the message gets the whole width
        self.list_stack.setCurrentWidget(self.table if has_list else self.list_state)
        self.panel_area.setVisible(has_list)
        self.refresh_button.setVisible(has_list)
        self.count.setVisible(has_list)

    def show_loading(self) -> None:
        self._action = None
        self.list_state.set("Loading devices…", "Asking the cloud for this account's devices.",
                            busy=True)
        self._show_list(False)

    def show_signed_out(self) -> None:
        self._action = self.sign_in_requested.emit
        self.list_state.set("Not signed in", "Sign in to an eWeLink account to see its devices.",
                            action="Sign in…")
        self._show_list(False)

    def show_failed(self, message: str) -> None:
        self._action = self.refresh_requested.emit
        self.list_state.set("Could not load the devices", error=message, action="Try again")
        self._show_list(False)

    def show_devices(self) -> None:
        self.model.reload()
        self._update_list_state()
        self.table.fit_columns()

    def _update_list_state(self) -> None:
        devices = self.model.rowCount()
        if devices == 0:
            self._action = self.refresh_requested.emit
            self.list_state.set("No devices on this account",
                                "Devices added in the eWeLink app (or paired with SiteKit) "
                                "show up here.", action="Refresh")
            self._show_list(False)
            return
        self._show_list(True)
        online = sum(1 for row in range(devices) if (d := self.model.device_at(row)) and d.online)
        self.count.setText(f"{devices} devices · {online} online")

    # -- selection --------------------------------------------------------------------

    def select_device(self, deviceid: str) -> bool:
        row = self.model.row_of(deviceid)
        if row < 0:
            return False
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        return True

    def _selection_changed(self) -> None:
        index = self.table.selectionModel().currentIndex()
        deviceid = index.data(DEVICE_ID_ROLE) if index.isValid() else None
        self._selected = deviceid
        self.panel.show_device(self.model.device_at(index.row()) if deviceid else None)

    def _before_reset(self) -> None:
        self._keep_selected = self._selected

    def _after_reset(self) -> None:
        # the inventory replaced its Device objects: keep the same device selected
        keep = getattr(self, "_keep_selected", None)
        if keep and self.model.row_of(keep) >= 0:
            self.select_device(keep)
        else:
            self.panel.show_device(None)
        if self._ws is not None and self.list_stack.currentWidget() is self.table:
            self._update_list_state()
            self.table.fit_columns()

    # -- live updates -----------------------------------------------------------------

    def _devices_changed(self, deviceids: "frozenset[str] | set[str]") -> None:
        """A batch of inventory changes ("" = the whole list): the list state and the
        panel are refreshed once per batch, not per report."""
        self.model.devices_changed(deviceids)
        if self._selected and ("" in deviceids or self._selected in deviceids):
            self.panel.render()
        if self.list_stack.currentWidget() is self.table:
            self._update_list_state()

    def _events(self, events: "list[Event]") -> None:
        panel = self.panel
        selected = panel.device.deviceid if panel.device is not None else None
        reported: dict[str, datetime] = {}
        mine: Event | None = None
        for event in events:
            device = event.device
            if not device:
                continue
            if device == selected:
                mine = event
            if event.kind in _REPORTS:
                reported[device] = event.time
        if mine is not None:  # the panel re-reads its recent events once for the batch
            panel.event_arrived(mine)
        # the last report of each device in the batch is all the panel keeps
        for device, when in reported.items():
            panel.device_reported(device, when)
