"""The Events list's cells, painted plainly.

The stock delegate lays every cell's text out with QTextLayout under the style sheet's
`::item` rule: a repaint of the list (~25 rows of 5 cells) measured ~12 ms offscreen and
~20 ms in the feed flood, one repaint per batch, which was most of the loop's stall p99.
One elided line drawn with the view's font, its padding (the style sheet's 8 px), the
selection and the row's colour looks the same and paints in under half the time. The text
comes from the row itself (`row_of`), not through `index.data()`: each of those crossed from
Python into Qt and back into the model's Python, twice a cell.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from app.ui.feed.model import FeedRow, colour_of

PADDING = 8  # as `QTableView::item { padding: 0 8px; }` in app/ui/style.py
_ALIGN = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
_ELIDE = Qt.TextElideMode.ElideRight
_SELECTED = QStyle.StateFlag.State_Selected

RowOf = Callable[[QModelIndex | QPersistentModelIndex], "FeedRow | None"]


class FeedCellDelegate(QStyledItemDelegate):
    def __init__(self, parent: QWidget, row_of: RowOf) -> None:
        super().__init__(parent)
        self._row_of = row_of

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        row = self._row_of(index)
        if row is None:
            return
        column = index.column()
        text = row.cell(column)
        if not text:
            return
        selected = bool(option.state & _SELECTED)
        if selected:
            painter.fillRect(option.rect, option.palette.brush(QPalette.ColorRole.Highlight))
        colour = colour_of(row, column)
        if colour is None:
            colour = option.palette.color(QPalette.ColorRole.HighlightedText if selected
                                          else QPalette.ColorRole.Text)
        rect = option.rect.adjusted(PADDING, 0, -PADDING, 0)
        metrics = option.fontMetrics
        if metrics.horizontalAdvance(text) > rect.width():
            text = metrics.elidedText(text, _ELIDE, rect.width())
        painter.save()
        painter.setPen(colour)
        painter.setFont(option.font)
        painter.drawText(rect, _ALIGN, text)
        painter.restore()
