"""The "Sent this session" list: every send the panel tried, newest first, number masked."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from app.ui import style
from app.ui.messaging.flow import ACCEPTED, CHANNEL_NAMES, UNKNOWN, SentRecord
from app.ui.table_model import FlatTableModel, Index

TIME, CHANNEL, TO, STATUS = range(4)
OUTCOME_COLOURS = {ACCEPTED: style.OK, UNKNOWN: style.WARN}


class SentListModel(FlatTableModel):
    headers = ("Time", "Channel", "To", "Status")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.records: list[SentRecord] = []  # newest first

    def row_count(self) -> int:
        return len(self.records)

    def add(self, record: SentRecord) -> None:
        self.beginInsertRows(QModelIndex(), 0, 0)
        self.records.insert(0, record)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.records.clear()
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.records):
            return None
        record = self.records[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == TIME:
                return record.at.strftime("%H:%M:%S")
            if column == CHANNEL:
                return CHANNEL_NAMES.get(record.channel, record.channel)
            if column == TO:
                return record.masked_phone
            if column == STATUS:
                return record.status
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS:
            return QColor(OUTCOME_COLOURS.get(record.outcome, style.ERROR))
        if role == Qt.ItemDataRole.ToolTipRole and column == STATUS:
            return record.status
        return None
