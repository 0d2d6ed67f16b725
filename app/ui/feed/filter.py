"""Which feed rows are shown: vendor and kind chosen from lists, plus free text.

The checks read the structured `FeedRow` fields, not the display cells, so "Online" in a
summary never matches the kind filter, and the device id matches text as well as the name.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel

from app.ui.feed.model import FeedModel, FeedRow


class FeedFilter(QSortFilterProxyModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._vendor = ""
        self._kind = ""
        self._text = ""

    def set_vendor(self, vendor: str) -> None:
        """A vendor's display name (as in FeedRow.vendor); "" for all."""
        self.beginFilterChange()  # Qt 6.10+: replaces the deprecated invalidateRowsFilter
        self._vendor = vendor
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_kind(self, kind: str) -> None:
        self.beginFilterChange()  # Qt 6.10+: replaces the deprecated invalidateRowsFilter
        self._kind = kind
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_text(self, text: str) -> None:
        self.beginFilterChange()  # Qt 6.10+: replaces the deprecated invalidateRowsFilter
        self._text = text.strip().casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def accepts(self, row: FeedRow) -> bool:
        if self._vendor and row.vendor != self._vendor:
            return False
        if self._kind and row.kind != self._kind:
            return False
        if self._text:
            haystack = (row.device, row.deviceid, row.kind, row.vendor, row.summary,
                        row.local_time)
            return any(self._text in field.casefold() for field in haystack)
        return True

    def filterAcceptsRow(self, source_row: int,
                         source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if not (self._vendor or self._kind or self._text):
            return True  # asked for every row of a flood: nothing to check
        model = self.sourceModel()
        if not isinstance(model, FeedModel) or source_row >= model.rowCount():
            return True
        return self.accepts(model.row_at(source_row))
