"""Small widgets every screen uses: labels with a role, cards, banners, a spinner, a toggle."""

from __future__ import annotations

# `Qt` (the enum namespace) is looked up inside functions, as QtCore.Qt: materialising it
# costs ~18 ms, and the main window paints its first frame with these widgets before
# anything needs an enum (see tests/bench).
from PySide6 import QtCore
from PySide6.QtCore import QRectF, QSize, QTimer
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (QAbstractButton, QFormLayout, QFrame, QHBoxLayout, QLabel,
                               QPushButton, QSizePolicy, QVBoxLayout, QWidget)

from app.ui import style


def label(text: str = "", role: str | None = None, *, wrap: bool = False,
          parent: QWidget | None = None) -> QLabel:
    widget = QLabel(text, parent)
    if role:
        widget.setProperty("role", role)
    if wrap:
        widget.setWordWrap(True)
    return widget


def form_layout() -> QFormLayout:
    form = QFormLayout()
    align = QtCore.Qt.AlignmentFlag
    form.setLabelAlignment(align.AlignRight | align.AlignTop)
    form.setHorizontalSpacing(12)
    form.setVerticalSpacing(10)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


def form_label(text: str) -> QLabel:
    widget = QLabel(text)
    # line up with the text inside the field next to it, not with the field's top border
    widget.setContentsMargins(0, 6, 0, 0)
    return widget


def card(parent: QWidget | None = None) -> QFrame:
    frame = QFrame(parent)
    frame.setProperty("card", True)
    return frame


def padded_card(margins: tuple[int, int, int, int], spacing: int | None = None,
                parent: QWidget | None = None) -> tuple[QFrame, QVBoxLayout]:
    """A card and the column inside it; `spacing` None keeps the style's default."""
    frame = card(parent)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(*margins)
    if spacing is not None:
        layout.setSpacing(spacing)
    return frame, layout


def titled_card(title: str, role: str = "heading", *,
                margins: tuple[int, int, int, int] = (22, 18, 22, 18),
                spacing: int = 10) -> tuple[QFrame, QVBoxLayout]:
    """A card whose column starts with `title` (a "heading", or a smaller "section")."""
    frame, layout = padded_card(margins, spacing)
    layout.addWidget(label(title, role))
    return frame, layout


def numbered_row(number: int, text: str) -> QHBoxLayout:
    """A step in a list of instructions: a round grey number, then the wrapped text."""
    row = QHBoxLayout()
    row.setSpacing(10)
    bullet = QLabel(str(number))
    bullet.setFixedSize(24, 24)
    bullet.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
    bullet.setStyleSheet("background: #eef2f7; color: #334155; border-radius: 12px; "
                         "font-weight: 600;")
    row.addWidget(bullet, 0, QtCore.Qt.AlignmentFlag.AlignTop)
    row.addWidget(label(text, wrap=True), 1)
    return row


def field_with_note(field: QWidget, note: QWidget) -> QWidget:
    """A form field with its note (an error, a rule, a counter) right under it."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(3)
    layout.addWidget(field)
    layout.addWidget(note)
    return box


def primary_button(text: str, parent: QWidget | None = None) -> QPushButton:
    button = QPushButton(text, parent)
    button.setProperty("primary", True)
    button.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
    return button


def link_button(text: str, parent: QWidget | None = None) -> QPushButton:
    button = QPushButton(text, parent)
    button.setProperty("link", True)
    button.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
    button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
    return button


class Banner(QFrame):
    """An inline message: error (red), warning (amber) or info (blue); hidden when empty."""

    ICONS = {"error": "⚠", "warning": "⚠", "info": "ℹ", "success": "✓"}
    COLOURS = {"error": style.ERROR, "warning": style.WARN, "info": style.ACCENT, "success": style.OK}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("banner", "info")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(10)
        self._icon = QLabel()
        self._icon.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
        self._text = QLabel()
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self._text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout.addWidget(self._icon)
        layout.addWidget(self._text, 1)
        self.hide()

    def text(self) -> str:
        return "" if self.isHidden() else self._text.text()

    def show_message(self, text: str, kind: str = "error") -> None:
        if not text:
            self.clear()
            return
        self.setProperty("banner", kind)
        self._icon.setText(self.ICONS.get(kind, ""))
        self._icon.setStyleSheet(f"color: {self.COLOURS.get(kind, style.TEXT)}; font-size: 15px;")
        self._text.setText(text)
        style.polish(self)
        self.show()

    def clear(self) -> None:
        self._text.setText("")
        self.hide()


class Spinner(QWidget):
    """A small busy indicator; animates only while visible."""

    def __init__(self, parent: QWidget | None = None, size: int = 18) -> None:
        super().__init__(parent)
        self._size = size
        self._angle = 0
        self._timer = QTimer(self)
        self._timer.setInterval(80)
        self._timer.timeout.connect(self._tick)
        self.setFixedSize(size, size)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        return QSize(self._size, self._size)

    def showEvent(self, event) -> None:  # noqa: N802
        self._timer.start()
        super().showEvent(event)

    def hideEvent(self, event) -> None:  # noqa: N802
        self._timer.stop()
        super().hideEvent(event)

    def _tick(self) -> None:
        self._angle = (self._angle + 30) % 360
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen_width = max(2.0, self._size / 8)
        rect = QRectF(pen_width, pen_width, self._size - 2 * pen_width, self._size - 2 * pen_width)
        painter.setPen(QPen(QColor(style.BORDER), pen_width))
        painter.drawEllipse(rect)
        pen = QPen(QColor(style.ACCENT), pen_width)
        pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawArc(rect, -self._angle * 16, 100 * 16)


class ToggleSwitch(QAbstractButton):
    """An on/off switch that does not flip itself when clicked.

    A device switch is only "on" once the device says so, so clicking asks for the other
    state (`clicked` fires; `isChecked()` is still the device's state) and whoever owns
    the switch sets `pending`, then the real state. While pending the knob sits half-way.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCheckable(True)
        self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._pending = False
        self._known = True

    def nextCheckState(self) -> None:  # noqa: N802 - the device decides, not the click
        pass

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(46, 26)

    def set_pending(self, pending: bool) -> None:
        self._pending = pending
        self.update()

    @property
    def pending(self) -> bool:
        return self._pending

    def set_state(self, on: bool | None) -> None:
        """The device's reported state; None = not reported yet."""
        self._known = on is not None
        self.setChecked(bool(on))
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(1, 1, self.width() - 2, self.height() - 2)
        radius = rect.height() / 2
        on = self.isChecked()
        if self._pending:
            track = QColor("#fbbf24")
        elif not self.isEnabled():
            track = QColor("#e2e8f0")
        elif on:
            track = QColor(style.OK)
        else:
            track = QColor("#cbd5e1")
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(track)
        painter.drawRoundedRect(rect, radius, radius)
        knob = rect.height() - 6
        left = rect.left() + 3
        right = rect.right() - 3 - knob
        if self._pending:
            x = (left + right) / 2
        else:
            x = right if on else left
        lit = self.isEnabled() or self._pending
        painter.setBrush(QColor("white") if lit else QColor("#f8fafc"))
        painter.drawEllipse(QRectF(x, rect.top() + 3, knob, knob))
        if not self._known and self.isEnabled() and not self._pending:
            painter.setPen(QPen(QColor(style.MUTED), 1.5))
            painter.drawText(rect, QtCore.Qt.AlignmentFlag.AlignCenter, "?")


class StatusDot(QWidget):
    """A coloured dot for online/offline or connection status."""

    def __init__(self, colour: str = style.MUTED, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colour = QColor(colour)
        self.setFixedSize(10, 10)

    def set_colour(self, colour: str) -> None:
        self._colour = QColor(colour)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(self._colour)
        painter.drawEllipse(QRectF(1, 1, 8, 8))


class Page(QWidget):
    """A screen in the main window: a title, a subtitle and a body."""

    def __init__(self, title: str, subtitle: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Content")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(28, 22, 28, 20)
        outer.setSpacing(14)
        header = QVBoxLayout()
        header.setSpacing(2)
        self.title_label = label(title, "title")
        header.addWidget(self.title_label)
        self.subtitle_label = label(subtitle, "subtitle", wrap=True)
        self.subtitle_label.setVisible(bool(subtitle))
        header.addWidget(self.subtitle_label)
        outer.addLayout(header)
        self.body = QVBoxLayout()
        self.body.setSpacing(12)
        outer.addLayout(self.body, 1)


def setup_list_table(table, model, *, fit: tuple[int, ...], stretch: int) -> None:
    """The read-only, one-row-selected list every screen shows (devices, thermostats):
    `fit` columns sized to their contents, `stretch` takes what is left."""
    from PySide6.QtWidgets import QAbstractItemView, QHeaderView

    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(34)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setDefaultAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter)
    for column in fit:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)


def column_dropping_table(drop_order: tuple[int, ...], *, sized: tuple[int, ...] | None = None,
                          stretch_minimum: int = 0):
    """A list that hides its least needed columns (in `drop_order`) rather than scroll
    sideways: a horizontal scroll bar would hide what the user scans the list for, and the
    panel beside each list names what a dropped column said.

    `sized`: the columns whose width counts (default: all); `stretch_minimum`: room kept for
    the stretching column."""
    from PySide6.QtWidgets import QTableView

    class ColumnDroppingTable(QTableView):
        DROP_ORDER = drop_order

        def resizeEvent(self, event) -> None:  # noqa: N802
            super().resizeEvent(event)
            self.fit_columns()

        def fit_columns(self) -> None:
            model = self.model()
            if model is None:
                return
            header = self.horizontalHeader()
            columns = sized if sized is not None else range(model.columnCount())
            # the style sheet's cell padding is not in the size hints: allow for it
            needs = {c: max(self.sizeHintForColumn(c), header.sectionSizeHint(c)) + 12
                     for c in columns}
            room = self.viewport().width() - stretch_minimum
            hidden: set[int] = set()
            for column in self.DROP_ORDER:
                if sum(w for c, w in needs.items() if c not in hidden) <= room:
                    break
                hidden.add(column)
            for column in self.DROP_ORDER:
                self.setColumnHidden(column, column in hidden)

    return ColumnDroppingTable
