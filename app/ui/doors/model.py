"""The door list and the recent-commands list as Qt table models."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from app.ui import style
from app.ui.devices.model import status_dot
from app.ui.doors.wording import (NOT_GRANTED, ONLINE, OPENED, REFUSED, STATUS_TEXT, UNKNOWN,
                                  AuditLine, DoorRow, DoorTest)
from app.ui.table_model import FlatTableModel, Index

NAME, DEVICE, LOCATION, STATUS, LAST = range(5)
DOOR_ID_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_COLOURS = {ONLINE: style.OK, NOT_GRANTED: style.WARN}
TEST_COLOURS = {OPENED: style.OK, REFUSED: style.ERROR, UNKNOWN: style.WARN}


class DoorListModel(FlatTableModel):
    headers = ("Door", "Device", "Location", "Status", "Last test")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[DoorRow] = []
        self.tests: dict[str, DoorTest] = {}  # shared with the page, by door id

    def set_rows(self, rows: list[DoorRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_of(self, door_id: str) -> int:
        for row, door in enumerate(self.rows):
            if door.id == door_id:
                return row
        return -1

    def door_at(self, row: int) -> DoorRow | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def door_changed(self, door_id: str) -> None:
        row = self.row_of(door_id)
        if row >= 0:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.headers) - 1))

    def row_count(self) -> int:
        return len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        door = self.door_at(index.row()) if index.isValid() else None
        if door is None:
            return None
        column = index.column()
        test = self.tests.get(door.id)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == NAME:
                return door.name
            if column == DEVICE:
                return door.device_name
            if column == LOCATION:
                return door.location or "—"
            if column == STATUS:
                return STATUS_TEXT.get(door.status, door.status)
            if column == LAST:
                return test.short_text() if test is not None else ""
        elif role == Qt.ItemDataRole.DecorationRole and column == STATUS:
            return status_dot(STATUS_COLOURS.get(door.status, style.MUTED))
        elif role == Qt.ItemDataRole.ForegroundRole:
            if column == LAST and test is not None:
                return QColor(TEST_COLOURS.get(test.state, style.MUTED))
            if door.status != ONLINE and column in (NAME, STATUS):
                return QColor(style.MUTED)
        elif role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"{door.name} — door {door.id} on {door.device_name}"]
            if door.reason:
                lines.append(door.reason)
            if test is not None and test.result_text():
                lines.append(test.result_text())
            if test is not None and test.record is not None:
                lines.append(test.record.text())
            return "\n".join(lines)
        elif role == DOOR_ID_ROLE:
            return door.id
        return None


TIME, WHO, WHAT, RESULT = range(4)
OUTCOME_COLOURS = {"ok": style.OK, "repeated": style.OK, "unknown": style.WARN,
                   "failed": style.ERROR, "sent": style.MUTED}


class CommandListModel(FlatTableModel):
    """The audit trail, newest first, as `Building.audit()` returns it."""

    headers = ("Time", "Who", "What", "Result")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.lines: list[AuditLine] = []

    def set_lines(self, lines: list[AuditLine]) -> None:
        self.beginResetModel()
        self.lines = list(lines)
        self.endResetModel()

    def row_count(self) -> int:
        return len(self.lines)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.lines):
            return None
        line = self.lines[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (line.time, line.who, line.what, line.result)[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == RESULT:
            return QColor(OUTCOME_COLOURS.get(line.outcome, style.TEXT))
        if role == Qt.ItemDataRole.ToolTipRole and column in (WHAT, RESULT):
            return "\n".join(p for p in (line.what, line.result, line.detail) if p)
        return None
