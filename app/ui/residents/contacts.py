"""A panel's directory: the names a visitor scrolls through on a door station, to push.

NEXhome replaces a panel's whole directory with each push, so the table here is the full
list the panel will have afterwards. "Import residents" fills it from the building's
persons (one line per person and flat); blank lines are left out; a line with a name but
no number is refused before anything is sent.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.core.errors import SiteKitError
from app.ui.residents.credential_dialog import error_text
from app.ui.residents.model import room_label
from app.ui.tasks import Tasks
from app.ui.widgets import Banner, Spinner, label, primary_button
from app.vendors.nexhome.models import DOOR_STATION, INDOOR_MONITOR, Contact, Device

NAME, ROOM, NUMBER = range(3)
HEADERS = ("Name", "Flat", "Number")
PANEL_TYPES = (DOOR_STATION, INDOOR_MONITOR)
MAX_NAME = 64


def panel_devices(devices: list[Device]) -> list[Device]:
    """Devices with a directory: door stations first (what a visitor uses), online before
    offline, then by name with numbers in numeric order (flat 101 before flat 1001)."""
    panels = [d for d in devices if d.type in PANEL_TYPES]
    return sorted(panels, key=lambda d: (d.type != DOOR_STATION, not d.online,
                                         natural_key(d.display_name)))


def natural_key(text: str) -> list:
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower())
            for part in re.split(r"(\d+)", text) if part]


def device_label(device: Device) -> str:
    return device.display_name + ("" if device.online else "  (offline)")


def contacts_problem(rows: list[tuple[str, str, str]]) -> tuple[list[Contact], str]:
    """The contacts to push, or what is wrong (1-based line numbers, as the table shows)."""
    contacts: list[Contact] = []
    for line, (name, room, number) in enumerate(rows, start=1):
        name, room, number = name.strip(), room.strip(), number.strip()
        if not (name or room or number):
            continue
        if not name:
            return [], f"Line {line} has no name."
        if len(name) > MAX_NAME:
            return [], f"Line {line}: a name is at most {MAX_NAME} characters on the panel."
        if not number:
            return [], f"Line {line} ({name}) has no number to call."
        contacts.append(Contact(name, room, number))
    if not contacts:
        return [], "The directory is empty: add lines or import the residents first."
    return contacts, ""


class ContactsEditor(QWidget):
    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._building: Any = None
        self.busy = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(label("The directory a visitor scrolls through on a panel. A push "
                               "replaces the panel's whole directory with these lines.",
                               "hint", wrap=True))
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(label("Panel"))
        self.device = QComboBox()
        self.device.setAccessibleName("Panel")
        self.device.setMinimumWidth(240)
        self.device.currentIndexChanged.connect(lambda _: self._device_changed())
        top.addWidget(self.device)
        top.addStretch(1)
        self.load_button = QPushButton("Load from panel")
        self.load_button.setToolTip("Replace the lines with the directory the panel has now")
        self.load_button.clicked.connect(self.load_from_panel)
        top.addWidget(self.load_button)
        self.import_button = QPushButton("Import residents")
        self.import_button.setToolTip("Replace the lines with the building's residents: name, "
                                      "flat and phone number")
        self.import_button.clicked.connect(self.import_residents)
        top.addWidget(self.import_button)
        layout.addLayout(top)

        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setDefaultSectionSize(30)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setHighlightSections(False)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(ROOM, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(NUMBER, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(ROOM, 120)
        self.table.setColumnWidth(NUMBER, 170)
        self.table.itemChanged.connect(lambda _: self._edited())
        layout.addWidget(self.table, 1)

        rows = QHBoxLayout()
        rows.setSpacing(8)
        self.add_button = QPushButton("Add line")
        self.add_button.clicked.connect(self.add_line)
        self.remove_button = QPushButton("Remove selected")
        self.remove_button.clicked.connect(self.remove_selected)
        rows.addWidget(self.add_button)
        rows.addWidget(self.remove_button)
        self.count = label("", "hint")
        rows.addWidget(self.count, 1)
        self.spinner = Spinner(size=18)
        self.spinner.hide()
        rows.addWidget(self.spinner)
        self.push_button = primary_button("Push to panel")
        self.push_button.clicked.connect(self.push)
        rows.addWidget(self.push_button)
        layout.addLayout(rows)
        self.result = Banner()
        layout.addWidget(self.result)
        self._edited()

    # -- source -----------------------------------------------------------------------

    def set_building(self, building: Any) -> None:
        self._building = building
        self.reload_devices()

    def reload_devices(self) -> None:
        keep = self.device.currentData()
        self.device.blockSignals(True)
        self.device.clear()
        devices = panel_devices(self._building.devices) if self._building is not None else []
        for device in devices:
            self.device.addItem(device_label(device), device.id)
        at = self.device.findData(keep) if keep else -1
        self.device.setCurrentIndex(max(at, 0) if devices else -1)
        self.device.blockSignals(False)
        self._device_changed()

    def select_device(self, device_id: str) -> bool:
        at = self.device.findData(device_id)
        if at >= 0:
            self.device.setCurrentIndex(at)
        return at >= 0

    # -- lines ------------------------------------------------------------------------

    def rows(self) -> list[tuple[str, str, str]]:
        def text(row: int, column: int) -> str:
            item = self.table.item(row, column)
            return item.text() if item is not None else ""
        return [(text(r, NAME), text(r, ROOM), text(r, NUMBER)) for r in range(self.table.rowCount())]

    def set_rows(self, rows: list[tuple[str, str, str]]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.blockSignals(False)
        self._edited()

    def import_residents(self) -> None:
        if self._building is None:
            return
        rooms = {room.id: room for room in self._building.rooms}
        rows = []
        for person in self._building.persons:
            flats = ", ".join(room_label(rooms.get(r), r) for r in person.room_ids)
            # A lobby panel is public: the number a visitor dials is the flat's call code,
            # never a resident's own phone.
            codes = [rooms[r].number for r in person.room_ids if r in rooms and rooms[r].number]
            rows.append((person.name or person.id, flats, codes[0] if codes else ""))
        self.set_rows(rows)
        self.result.show_message(f"{len(rows)} residents imported. Check the lines, then push "
                                 f"them to the panel.", "info")

    def add_line(self) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setCurrentCell(row, NAME)
        self.table.editItem(self.table.item(row, NAME) or self._blank(row, NAME))
        self._edited()

    def _blank(self, row: int, column: int) -> QTableWidgetItem:
        item = QTableWidgetItem("")
        self.table.setItem(row, column, item)
        return item

    def remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)
        self._edited()

    def _edited(self) -> None:
        filled = sum(1 for row in self.rows() if any(v.strip() for v in row))
        self.count.setText(f"{filled} lines" if filled != 1 else "1 line")
        self._update_buttons()

    def _device_changed(self) -> None:
        name = self.device.currentText().replace("  (offline)", "")
        self.push_button.setText(f"Push to {name}" if name else "Push to panel")
        self._update_buttons()

    def _update_buttons(self) -> None:
        ready = self._building is not None and not self.busy
        self.push_button.setEnabled(ready and self.device.currentIndex() >= 0)
        self.load_button.setEnabled(ready and self.device.currentIndex() >= 0)
        self.import_button.setEnabled(ready)

    def load_from_panel(self) -> None:
        if self.busy or self._building is None or self.device.currentIndex() < 0:
            return
        device_id = self.device.currentData()
        name = self.device.currentText().replace("  (offline)", "")
        self._set_busy(True)
        self.result.show_message(f"Reading the directory of {name}…", "info")
        self._tasks.spawn(self._run_load(device_id, name), name="load-contacts")

    async def _run_load(self, device_id: str, name: str) -> None:
        try:
            # Building has no reading of a directory of its own: its client's is the one call
            contacts = await self._building.client.contacts(device_id)
        except SiteKitError as exc:
            self.result.show_message(f"Could not read the directory of {name}: "
                                     f"{error_text(exc)}", "error")
            return
        finally:
            self._set_busy(False)
        self.set_rows([(c.name, c.room, c.number) for c in contacts])
        self.result.show_message(f"{name} lists {len(contacts)} contacts now." if contacts else
                                 f"{name} has an empty directory.", "info")

    # -- pushing ----------------------------------------------------------------------

    def push(self) -> None:
        if self.busy or self._building is None or self.device.currentIndex() < 0:
            return
        contacts, problem = contacts_problem(self.rows())
        if problem:
            self.result.show_message(problem, "error")
            return
        device_id = self.device.currentData()
        name = self.device.currentText().replace("  (offline)", "")
        self._set_busy(True)
        self.result.show_message(f"Pushing {len(contacts)} lines to {name}…", "info")
        self._tasks.spawn(self._run_push(device_id, name, contacts), name="push-contacts")

    async def _run_push(self, device_id: str, name: str, contacts: list[Contact]) -> None:
        try:
            await self._building.push_contacts(device_id, contacts)
        except SiteKitError as exc:
            self.result.show_message(f"{name} kept its old directory: {error_text(exc)}", "error")
            return
        finally:
            self._set_busy(False)
        self.result.show_message(f"{name} now lists these {len(contacts)} contacts.", "success")

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.spinner.setVisible(busy)
        self._update_buttons()
