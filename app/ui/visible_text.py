"""The text a screen shows: what a screenshot of it would let someone read.

Password fields give what they display (bullets), not what they hold; item views give the
rows in view. The tour saves it beside each PNG (`--texts`), so the secret scan and
reviewers can read screens without OCR.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QWidget,
)

MAX_ROWS = 200  # an item view shows far fewer; enough for any screenshot


def visible_texts(root: QWidget) -> list[str]:
    texts: list[str] = []
    widgets = [root, *root.findChildren(QWidget)]
    for widget in widgets:
        if widget is not root and not widget.isVisibleTo(root):
            continue
        texts.extend(_texts_of(widget))
    return [text for text in texts if text]


def _texts_of(widget: QWidget) -> list[str]:
    if isinstance(widget, QLineEdit):
        return [widget.displayText(), widget.placeholderText()]
    if isinstance(widget, QLabel):
        return [widget.text()]
    if isinstance(widget, QAbstractButton):
        return [widget.text()]
    if isinstance(widget, (QPlainTextEdit, QTextEdit)):
        return [widget.toPlainText()]
    if isinstance(widget, QComboBox):
        return [widget.currentText()]
    if isinstance(widget, QGroupBox):
        return [widget.title()]
    if isinstance(widget, QTabBar):
        return [widget.tabText(index) for index in range(widget.count())]
    if isinstance(widget, QAbstractItemView) and widget.model() is not None:
        return _view_texts(widget)
    return [widget.windowTitle()] if widget.isWindow() else []


def _columns(model, root) -> int:
    # a list model's columnCount is private in Qt (always one column)
    return 1 if isinstance(model, QAbstractListModel) else model.columnCount(root)


def _view_texts(view: QAbstractItemView) -> list[str]:
    model = view.model()
    root = view.rootIndex()
    texts = []
    for row in range(min(model.rowCount(root), MAX_ROWS)):
        for column in range(_columns(model, root)):
            value = model.data(model.index(row, column, root), Qt.ItemDataRole.DisplayRole)
            if value is not None:
                texts.append(str(value))
    return texts
