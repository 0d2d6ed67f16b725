"""The selected door: what and where it is, a big Unlock, the answer and its access record."""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget

from app.ui import style
from app.ui.doors.model import STATUS_COLOURS
from app.ui.doors.wording import (OPENED, RECORD_WAIT_SECONDS, REFUSED, STATUS_TEXT, UNKNOWN,
                                  UNLOCKING, DoorRow, DoorTest)
from app.ui.widgets import Banner, Spinner, StatusDot, label, padded_card, primary_button

UNLOCK_STYLE = "QPushButton { font-size: 15px; padding: 10px 18px; }"
RESULT_KINDS = {OPENED: "success", REFUSED: "error", UNKNOWN: "warning"}


class DoorPanel(QWidget):
    unlock_requested = Signal(str)  # door id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.door: DoorRow | None = None
        self.test: DoorTest | None = None
        self.live_ok = True
        self.live_text = ""
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        frame, layout = padded_card((20, 16, 20, 18), 8)
        outer.addWidget(frame)

        self.empty = label("Select a door to test it.", "hint")
        layout.addWidget(self.empty)

        self.details = QWidget()
        column = QVBoxLayout(self.details)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(8)
        title_row = QHBoxLayout()
        title_row.setSpacing(8)
        self.name = label("", "heading")
        title_row.addWidget(self.name, 1)
        self.status_dot = StatusDot()
        title_row.addWidget(self.status_dot)
        self.status = label("", "hint")
        title_row.addWidget(self.status)
        column.addLayout(title_row)
        self.where = label("", wrap=True)
        column.addWidget(self.where)
        self.device = label("", "hint", wrap=True)
        column.addWidget(self.device)
        column.addSpacing(4)

        self.unlock_button = primary_button("Unlock")
        self.unlock_button.setStyleSheet(UNLOCK_STYLE)
        self.unlock_button.setMinimumHeight(44)
        self.unlock_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.unlock_button.clicked.connect(self._unlock_clicked)
        column.addWidget(self.unlock_button)
        self.reason = Banner()
        column.addWidget(self.reason)
        self.result = Banner()
        column.addWidget(self.result)

        record_row = QHBoxLayout()
        record_row.setSpacing(8)
        self.record_spinner = Spinner(size=16)
        self.record_spinner.hide()
        record_row.addWidget(self.record_spinner, 0, Qt.AlignmentFlag.AlignTop)
        self.record_icon = label("")
        self.record_icon.hide()
        record_row.addWidget(self.record_icon, 0, Qt.AlignmentFlag.AlignTop)
        self.record = label("", wrap=True)
        record_row.addWidget(self.record, 1)
        column.addLayout(record_row)
        layout.addWidget(self.details)
        self.show_door(None, None)

    def show_door(self, door: DoorRow | None, test: DoorTest | None) -> None:
        self.door = door
        self.test = test
        self.render()

    def set_live(self, ok: bool, text: str) -> None:
        """Whether access records can arrive (the NEXhome message subscription is online)."""
        self.live_ok = ok
        self.live_text = text
        self.render()

    def render(self) -> None:
        door, test = self.door, self.test
        self.empty.setVisible(door is None)
        self.details.setVisible(door is not None)
        if door is None:
            return
        self.name.setText(door.name)
        self.status.setText(STATUS_TEXT.get(door.status, door.status))
        self.status_dot.set_colour(STATUS_COLOURS.get(door.status, style.MUTED))
        self.where.setText(door.location)
        self.where.setVisible(bool(door.location))
        self.device.setText(f"On {door.device_name} · door id {door.id}")
        busy = test is not None and test.state == UNLOCKING
        self.unlock_button.setEnabled(door.can_unlock and not busy)
        self.unlock_button.setText("Unlocking…" if busy else f"Unlock {door.name}")
        self.reason.show_message(door.reason, "warning")
        state = test.state if test is not None else ""
        self.result.show_message(test.result_text() if test is not None and state != UNLOCKING
                                 else "", RESULT_KINDS.get(state, "info"))
        self._render_record(door, test)

    def _render_record(self, door: DoorRow, test: DoorTest | None) -> None:
        record = test.record if test is not None else None
        waiting = test is not None and test.waiting_for_record
        overdue = test is not None and test.record_overdue(datetime.now(timezone.utc))
        self.record_spinner.setVisible(waiting and self.live_ok and not overdue)
        self.record_icon.setVisible(record is not None and not waiting)
        if waiting and overdue:
            self.record.setText(f"No access record {RECORD_WAIT_SECONDS} s after the unlock. "
                                f"If the door opened, its record may come late; if it did not, "
                                f"check the lock and the station on site.")
            self.record.setProperty("role", "hint")
        elif waiting and not self.live_ok:
            self.record.setText(f"Access records arrive while NEXhome messages are live "
                                f"({self.live_text or 'not live'}).")
            self.record.setProperty("role", "hint")
        elif waiting:
            self.record.setText("Waiting for the door's access record…")
            self.record.setProperty("role", "hint")
        elif record is not None:
            self.record.setText(record.text())
            self.record.setProperty("role", None)
            self.record_icon.setText("✓" if record.granted else "✗")
            self.record_icon.setStyleSheet(
                f"color: {style.OK if record.granted else style.ERROR}; font-weight: 600;")
        elif door.can_unlock:
            self.record.setText("Its access record appears here within seconds of an unlock.")
            self.record.setProperty("role", "hint")
        else:
            self.record.setText("")
        self.record.setVisible(bool(self.record.text()))
        style.polish(self.record)

    def _unlock_clicked(self) -> None:
        if self.door is not None and self.door.can_unlock:
            self.unlock_requested.emit(self.door.id)
