"""Valid from / Valid until fields with the length of the window and what is wrong with it."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDateTimeEdit, QFormLayout, QHBoxLayout, QWidget

from app.ui.residents import validity
from app.ui.widgets import form_label, label

DISPLAY_FORMAT = "ddd dd MMM yyyy  HH:mm"


def _edit(name: str) -> QDateTimeEdit:
    edit = QDateTimeEdit()
    edit.setAccessibleName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(DISPLAY_FORMAT)
    edit.setMinimumWidth(190)
    return edit


def to_edit_value(moment: datetime) -> datetime:
    # QDateTimeEdit works in naive local time
    return moment.astimezone().replace(tzinfo=None)


def _row(*widgets: QWidget) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(10)
    for widget in widgets:
        layout.addWidget(widget)
    layout.addStretch(1)
    return row


class WindowFields(QObject):
    """The rows "Valid from", "Valid until" (and a problem line) of a form that `add_to`
    puts them in, so they line up with the form's other fields; `problem()` says what
    stops a send."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.from_edit = _edit("Valid from")
        self.until_edit = _edit("Valid until")
        self.length = label("", "hint")
        self.problem_label = label("", "field-error", wrap=True)
        self.problem_label.hide()
        self.from_edit.dateTimeChanged.connect(lambda _: self._edited())
        self.until_edit.dateTimeChanged.connect(lambda _: self._edited())

    def add_to(self, form: QFormLayout) -> None:
        form.addRow(form_label("Valid from"), _row(self.from_edit))
        form.addRow(form_label("Valid until"), _row(self.until_edit, self.length))
        form.addRow("", self.problem_label)

    def set_window(self, valid_from: datetime, valid_until: datetime) -> None:
        self.from_edit.setDateTime(to_edit_value(valid_from))
        self.until_edit.setDateTime(to_edit_value(valid_until))
        self._edited()

    def set_enabled(self, enabled: bool) -> None:
        self.from_edit.setEnabled(enabled)
        self.until_edit.setEnabled(enabled)

    @property
    def valid_from(self) -> datetime:
        return self.from_edit.dateTime().toPython().astimezone()

    @property
    def valid_until(self) -> datetime:
        return self.until_edit.dateTime().toPython().astimezone()

    def problem(self) -> str:
        return validity.window_problem(self.valid_from, self.valid_until)

    def show_problem(self) -> bool:
        """Show what is wrong (if anything) under the fields; True when it is fine."""
        problem = self.problem()
        self.problem_label.setText(problem)
        self.problem_label.setVisible(bool(problem))
        return not problem

    def _edited(self) -> None:
        self.length.setText(validity.duration_text(self.valid_from, self.valid_until))
        if not self.problem_label.isHidden():
            self.show_problem()  # the error goes away as soon as it is fixed
        self.changed.emit()
