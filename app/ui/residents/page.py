"""The Residents screen: the building's persons and their PINs and QR codes, a panel's
directory, and announcements on the panels (NEXhome, through `ws.building`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QItemSelectionModel, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLineEdit, QPushButton, QScrollArea,
                               QStackedWidget, QTableView, QTabWidget, QVBoxLayout, QWidget)

from app.core.errors import SiteKitError
from app.ui.devices.page import ListState
from app.ui.residents.announcements import AnnouncementEditor
from app.ui.residents.contacts import ContactsEditor
from app.ui.residents.credential_dialog import CredentialDialog, error_text
from app.ui.residents.model import NAME, PHONE, ROOMS, PersonListModel, room_label
from app.ui.residents.person_panel import PersonPanel
from app.ui.tasks import Tasks
from app.ui.thermostats.page import TAB_STYLE
from app.ui.widgets import Page, label, padded_card, setup_list_table

if TYPE_CHECKING:
    from app.services.workspace import Workspace
    from app.ui.bridge import WorkspaceSignals

NOT_CONFIGURED = ("To list the building's residents and issue PINs and QR codes, SiteKit needs "
                  "this site's NEXhome application: API address, developer ID, app ID and app "
                  "secret. Enter them in Settings → NEXhome.")
ALL_FLATS = "All flats"


def centre_column(layout: QVBoxLayout, widget: QWidget, width: int) -> None:
    """Put `widget` in a centred column at most `width` wide. (Aligning a word-wrapped label
    in the layout instead leaves it at its size hint: a few words a line, cut off below.)"""
    at = layout.indexOf(widget)
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    layout.removeWidget(widget)
    widget.setMaximumWidth(width)
    row.addStretch(1)
    row.addWidget(widget, 100)
    row.addStretch(1)
    layout.insertLayout(at, row)


class ResidentsPage(Page):
    settings_requested = Signal()

    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__("Residents", "The building's residents: issue a PIN or a visitor QR "
                                      "code, fill a panel's directory, announce something on "
                                      "the panels.", parent)
        self._tasks = tasks
        self._ws: "Workspace | None" = None
        self._unsubscribe: Callable[[], None] | None = None
        self._action: Callable[[], None] | None = None
        self._selected: str | None = None
        self.loading = False
        self.credential_dialog: CredentialDialog | None = None

        self.list_state = ListState()
        self.list_state.action.clicked.connect(lambda: self._action and self._action())
        for widget in (self.list_state.detail, self.list_state.banner):
            centre_column(self.list_state.layout(), widget, 620)

        self.tabs = QTabWidget()
        self.tabs.setStyleSheet(TAB_STYLE)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._build_residents(), "Residents")
        self.contacts = ContactsEditor(tasks)
        self.tabs.addTab(self._carded(self.contacts), "Panel directory")
        self.announcements = AnnouncementEditor(tasks)
        self.tabs.addTab(self._carded(self.announcements), "Announcements")

        self.stack = QStackedWidget()
        self.stack.addWidget(self.list_state)
        self.stack.addWidget(self.tabs)
        self.body.addWidget(self.stack, 1)
        self.show_not_configured()

    # -- building ---------------------------------------------------------------------

    @staticmethod
    def _carded(widget: QWidget) -> QWidget:
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 10, 0, 0)
        frame, inner = padded_card((18, 14, 18, 14))
        inner.addWidget(widget)
        layout.addWidget(frame)
        return holder

    def _build_residents(self) -> QWidget:
        tab = QWidget()
        columns = QHBoxLayout(tab)
        columns.setContentsMargins(0, 10, 0, 0)
        columns.setSpacing(16)
        left = QVBoxLayout()
        left.setSpacing(8)
        toolbar = QHBoxLayout()
        toolbar.setSpacing(8)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name, flat or phone")
        self.search.setAccessibleName("Search residents")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _: self._filter())
        toolbar.addWidget(self.search, 1)
        self.room = QComboBox()
        self.room.setAccessibleName("Flat")
        self.room.setMinimumWidth(130)
        self.room.currentIndexChanged.connect(lambda _: self._filter())
        toolbar.addWidget(self.room)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Ask NEXhome for the residents, flats and panels again")
        self.refresh_button.clicked.connect(self.refresh)
        toolbar.addWidget(self.refresh_button)
        left.addLayout(toolbar)
        self.model = PersonListModel(self)
        self.table = QTableView()
        setup_list_table(self.table, self.model, fit=(ROOMS, PHONE), stretch=NAME)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())
        left.addWidget(self.table, 1)
        self.count = label("", "hint")
        left.addWidget(self.count)
        columns.addLayout(left, 5)

        self.panel = PersonPanel(self._tasks)
        self.panel.setObjectName("ScrollBody")
        self.panel.issue_requested.connect(self.open_issue_dialog)
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setWidget(self.panel)
        area.setMinimumWidth(320)
        columns.addWidget(area, 4)
        return tab

    # -- wiring -----------------------------------------------------------------------

    def attach(self, ws: "Workspace", signals: "WorkspaceSignals | None" = None) -> None:
        self.detach()
        self._ws = ws
        building = ws.building
        self._unsubscribe = building.subscribe(self._building_changed)
        self.model.set_source(lambda: building.persons, lambda: building.rooms)
        self.panel.set_loader(self._load_credentials)
        self.panel.lift.set_access(building.lift_floors, building.set_lift_floors)
        self.contacts.set_building(building)
        self.announcements.set_building(building)
        self._show_current()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        # NEXhome is read when the screen is first opened, not at start-up (a technician
        # who never opens it costs the site no calls); a Settings change shows here too
        self._show_current()

    def _show_current(self) -> None:
        if self._ws is None or self.loading:
            return
        building = self._ws.building
        if not building.configured:
            self.show_not_configured()
        elif building.persons:
            if self.stack.currentWidget() is not self.tabs:
                self.show_residents()
        elif self.isVisible():
            self.refresh()
        else:
            self.show_loading()

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._ws = None
        self.panel.set_loader(None)
        self.panel.lift.set_access(None, None)
        self.contacts.set_building(None)
        self.announcements.set_building(None)
        self.model.set_source(lambda: [], lambda: [])
        self.panel.show_person(None)

    def refresh(self) -> None:
        """Read persons, flats and panels again (Settings changes land here too)."""
        if self._ws is None or self.loading:
            return
        if not self._ws.building.configured:
            self.show_not_configured()
            return
        self.show_loading()
        self._tasks.spawn(self._run_refresh(self._ws), name="residents-refresh")

    async def _run_refresh(self, ws: "Workspace") -> None:
        self.loading = True
        try:
            await ws.building.refresh()
        except SiteKitError as exc:
            if ws is self._ws:
                self.show_failed(error_text(exc))
            return
        finally:
            self.loading = False
        if ws is self._ws:
            self.show_residents()

    # -- states -----------------------------------------------------------------------

    def _show_content(self, shown: bool) -> None:
        self.stack.setCurrentWidget(self.tabs if shown else self.list_state)

    def show_not_configured(self) -> None:
        self._action = self.settings_requested.emit
        self.list_state.set("NEXhome is not set up for this site", NOT_CONFIGURED,
                            action="Open Settings")
        self._show_content(False)

    def show_loading(self) -> None:
        self._action = None
        self.list_state.set("Loading residents…", "Asking NEXhome for the building's residents, "
                                                  "flats and panels.", busy=True)
        self._show_content(False)

    def show_failed(self, message: str) -> None:
        self._action = self.refresh
        self.list_state.set("Could not load the residents", error=message, action="Try again")
        self._show_content(False)

    def show_residents(self) -> None:
        self._reload()
        self._show_content(True)

    # -- list -------------------------------------------------------------------------

    def _reload(self) -> None:
        keep = self._selected
        self.model.reload()
        self._fill_rooms()
        self._filter()
        self.contacts.reload_devices()
        self.announcements.reload_devices()
        if keep:
            self.select_person(keep)

    def _fill_rooms(self) -> None:
        keep = self.room.currentData()
        self.room.blockSignals(True)
        self.room.clear()
        self.room.addItem(ALL_FLATS, "")
        for room in self.model.rooms():
            self.room.addItem(room_label(room), room.id)
        self.room.setCurrentIndex(max(0, self.room.findData(keep)) if keep else 0)
        self.room.blockSignals(False)

    def _filter(self) -> None:
        keep = self._selected
        self.model.set_filter(self.search.text(), self.room.currentData() or "")
        shown, total = self.model.rowCount(), self.model.total
        self.count.setText(f"{total} residents" if shown == total else f"{shown} of {total} residents")
        if keep and self.model.row_of(keep) >= 0:
            self.select_person(keep)
        elif shown == 1:
            self.select_person(self.model.person_at(0).id)
        else:
            self._selection_changed()

    def select_person(self, person_id: str) -> bool:
        row = self.model.row_of(person_id)
        if row < 0:
            return False
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def _selection_changed(self) -> None:
        index = self.table.selectionModel().currentIndex()
        person = self.model.person_at(index.row()) if index.isValid() else None
        new = person.id if person else None
        if new == self._selected and person is not None and self.panel.person == person:
            return
        self._selected = new
        self.panel.show_person(person, self.model.rooms_text(person) if person else "")

    def _building_changed(self, what: str) -> None:
        # another screen (Doors) may have refreshed the building: same lists here
        if what != "" or self._ws is None or self.loading:
            return
        if self.stack.currentWidget() is self.tabs:
            self._reload()
        elif self._ws.building.persons:
            self.show_residents()

    # -- credentials ------------------------------------------------------------------

    async def _load_credentials(self, person_id: str) -> list:
        building = self._ws.building if self._ws else None
        if building is None:
            return []
        # Building has no reading of credentials of its own: its client's is the one call
        return await building.client.credentials(person_id)

    def open_issue_dialog(self, person_id: str, kind: str) -> CredentialDialog | None:
        if self._ws is None:
            return None
        building = self._ws.building
        person = building.person(person_id)
        if person is None:
            return None

        async def issue(kind_: str, valid_from: datetime, valid_until: datetime) -> Any:
            return await building.issue_credential(person_id, kind_, valid_from=valid_from,
                                                   valid_until=valid_until)

        async def send(channel: str, issued: Any) -> str:
            result = await send_credential(building, issued, kind, channel, person.phone)
            if result.send_error:
                raise SiteKitError(result.send_error)
            return result.sent_to

        dialog = CredentialDialog(self._tasks, person, kind, issue, send,
                                  self.model.rooms_text(person), parent=self)
        dialog.issued.connect(lambda _: self.panel.reload_credentials())
        dialog.finished.connect(lambda _: self._dialog_closed(dialog))
        self.credential_dialog = dialog
        dialog.open()
        return dialog

    def _dialog_closed(self, dialog: CredentialDialog) -> None:
        if self.credential_dialog is dialog:
            self.credential_dialog = None
        dialog.deleteLater()


async def send_credential(building: Any, issued: Any, kind: str, channel: str, phone: str) -> Any:
    """Send an issued code with the same words and WhatsApp templates as
    `issue_credential(send=...)`; the IssuedCredential back, with sent_to or send_error."""
    return await building.send_credential(issued, channel, phone=phone)
