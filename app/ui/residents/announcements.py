"""An announcement on the building's panels: title, text, which panels, from when to when.

Everything typed stays after a refusal or a send, so a second announcement (or a
corrected one) starts from the first.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QHBoxLayout, QLineEdit, QListWidget, QListWidgetItem,
                               QPlainTextEdit, QPushButton, QVBoxLayout, QWidget)

from app.core.errors import SiteKitError
from app.ui import style
from app.ui.residents import validity
from app.ui.residents.contacts import PANEL_TYPES, device_label, panel_devices
from app.ui.residents.credential_dialog import error_text
from app.ui.residents.window_fields import WindowFields
from app.ui.tasks import Tasks
from app.ui.widgets import Banner, Spinner, field_with_note, form_label, form_layout, label, primary_button
from app.vendors.nexhome.models import DOOR_STATION, INDOOR_MONITOR

MAX_TITLE, MAX_TEXT = 64, 1000
TEXT_EDIT_STYLE = (f"QPlainTextEdit {{ border: 1px solid {style.BORDER}; border-radius: 6px; "
                   f"background: white; padding: 4px; }}"
                   f"QPlainTextEdit:focus {{ border-color: {style.ACCENT}; }}")
LIST_STYLE = (f"QListWidget {{ border: 1px solid {style.BORDER}; border-radius: 6px; "
              f"background: white; outline: 0; }} QListWidget::item {{ padding: 3px 6px; }}")
DEVICE_ID_ROLE = Qt.ItemDataRole.UserRole + 1


def announcement_problem(title: str, text: str, device_ids: list[str]) -> str:
    if not title.strip():
        return "Give the announcement a title."
    if len(title.strip()) > MAX_TITLE:
        return f"The title is {len(title.strip())} characters; panels show at most {MAX_TITLE}."
    if not text.strip():
        return "Type the announcement's text."
    if len(text.strip()) > MAX_TEXT:
        return f"The text is {len(text.strip())} characters; NEXhome takes at most {MAX_TEXT}."
    if not device_ids:
        return "Tick at least one panel to show it on."
    return ""


class AnnouncementEditor(QWidget):
    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._building: Any = None
        self.busy = False
        self.sent: list[Any] = []  # the Announcements sent from here
        columns = QHBoxLayout(self)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.setSpacing(16)

        left = QVBoxLayout()
        left.setSpacing(10)
        form = form_layout()
        self.title = QLineEdit()
        self.title.setAccessibleName("Title")
        self.title.setPlaceholderText("Water off on Thursday")
        self.title.setMaxLength(MAX_TITLE * 2)  # over-long titles are refused with a reason
        self.title.textChanged.connect(lambda _: self._counts())
        self.title_note = label("", "hint")
        form.addRow(form_label("Title"), field_with_note(self.title, self.title_note))
        self.text = QPlainTextEdit()
        self.text.setAccessibleName("Text")
        self.text.setPlaceholderText("The water will be off on Thursday from 9:00 to 12:00 "
                                     "for maintenance of the pumps.")
        self.text.setStyleSheet(TEXT_EDIT_STYLE)
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(90)
        self.text.setMaximumHeight(150)
        self.text.textChanged.connect(self._counts)
        self.text_note = label("", "hint")
        form.addRow(form_label("Text"), field_with_note(self.text, self.text_note))
        self.window_fields = WindowFields(self)
        self.window_fields.add_to(form)
        left.addLayout(form)
        left.addStretch(1)
        actions = QHBoxLayout()
        self.spinner = Spinner(size=18)
        self.spinner.hide()
        actions.addWidget(self.spinner)
        actions.addStretch(1)
        self.send_button = primary_button("Send announcement")
        self.send_button.clicked.connect(self.send)
        actions.addWidget(self.send_button)
        left.addLayout(actions)
        self.result = Banner()
        left.addWidget(self.result)
        columns.addLayout(left, 3)

        right = QVBoxLayout()
        right.setSpacing(6)
        right.addWidget(label("Show on", "section"))
        quick = QHBoxLayout()
        quick.setSpacing(6)
        self.quick_buttons = []
        for text, kind in (("Door stations", DOOR_STATION), ("All flats", INDOOR_MONITOR),
                           ("None", "")):
            button = QPushButton(text)
            button.setToolTip("Tick every door station" if kind == DOOR_STATION else
                              "Tick every flat's indoor monitor" if kind else "Untick all")
            button.clicked.connect(lambda _=False, k=kind: self.tick_type(k))
            quick.addWidget(button)
            self.quick_buttons.append(button)
        quick.addStretch(1)
        right.addLayout(quick)
        self.devices = QListWidget()
        self.devices.setStyleSheet(LIST_STYLE)
        self.devices.setAccessibleName("Panels")
        self.devices.itemChanged.connect(lambda _: self._ticked())
        right.addWidget(self.devices, 1)
        self.ticked_note = label("", "hint")
        right.addWidget(self.ticked_note)
        columns.addLayout(right, 2)
        self.window_fields.set_window(*validity.announcement_window())
        self._counts()
        self._ticked()

    # -- source -----------------------------------------------------------------------

    def set_building(self, building: Any) -> None:
        self._building = building
        self.reload_devices()

    def reload_devices(self) -> None:
        keep = set(self.device_ids())
        self.devices.blockSignals(True)
        self.devices.clear()
        for device in panel_devices(self._building.devices if self._building else []):
            item = QListWidgetItem(device_label(device))
            item.setData(DEVICE_ID_ROLE, device.id)
            item.setData(Qt.ItemDataRole.ToolTipRole, f"{device.type_name} · {device.id}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if device.id in keep
                               else Qt.CheckState.Unchecked)
            self.devices.addItem(item)
        self.devices.blockSignals(False)
        self._ticked()

    def device_ids(self) -> list[str]:
        return [self.devices.item(i).data(DEVICE_ID_ROLE) for i in range(self.devices.count())
                if self.devices.item(i).checkState() == Qt.CheckState.Checked]

    def tick(self, device_ids: list[str]) -> None:
        wanted = set(device_ids)
        self.devices.blockSignals(True)
        for i in range(self.devices.count()):
            item = self.devices.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(DEVICE_ID_ROLE) in wanted
                               else Qt.CheckState.Unchecked)
        self.devices.blockSignals(False)
        self._ticked()

    def tick_type(self, kind: str) -> None:
        """Add every panel of one type to the ticked ones ("" unticks all)."""
        if not kind:
            self.tick([])
            return
        of_kind = {d.id for d in (self._building.devices if self._building else [])
                   if d.type == kind and d.type in PANEL_TYPES}
        self.tick(sorted(set(self.device_ids()) | of_kind))

    # -- feedback while typing --------------------------------------------------------

    def _counts(self) -> None:
        title, text = len(self.title.text().strip()), len(self.text.toPlainText().strip())
        self.title_note.setText(f"{title} / {MAX_TITLE}")
        self.title_note.setProperty("role", "field-error" if title > MAX_TITLE else "hint")
        style.polish(self.title_note)
        self.text_note.setText(f"{text} / {MAX_TEXT}")
        self.text_note.setProperty("role", "field-error" if text > MAX_TEXT else "hint")
        style.polish(self.text_note)

    def _ticked(self) -> None:
        count = len(self.device_ids())
        total = self.devices.count()
        self.ticked_note.setText(f"{count} of {total} panels ticked")
        self.send_button.setEnabled(not self.busy and self._building is not None)

    # -- sending ----------------------------------------------------------------------

    def send(self) -> None:
        if self.busy or self._building is None:
            return
        title, text, device_ids = self.title.text(), self.text.toPlainText(), self.device_ids()
        problem = announcement_problem(title, text, device_ids)
        window_ok = self.window_fields.show_problem()
        if problem or not window_ok:
            self.result.show_message(problem or self.window_fields.problem(), "error")
            return
        self._set_busy(True)
        self.result.show_message(f"Sending to {len(device_ids)} panels…", "info")
        self._tasks.spawn(self._run_send(title.strip(), text.strip(), device_ids,
                                         self.window_fields.valid_from,
                                         self.window_fields.valid_until), name="announce")

    async def _run_send(self, title, text, device_ids, valid_from, valid_until) -> None:
        try:
            announcement = await self._building.announce(title, text, device_ids,
                                                         valid_from=valid_from,
                                                         valid_until=valid_until)
        except SiteKitError as exc:
            self.result.show_message(f"Not sent: {error_text(exc)}", "error")
            return
        finally:
            self._set_busy(False)
        self.sent.append(announcement)
        until = validity.moment_text(announcement.expired or valid_until)
        panels = "1 panel" if len(device_ids) == 1 else f"{len(device_ids)} panels"
        self.result.show_message(f"“{title}” is on {panels} until {until}.", "success")

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.spinner.setVisible(busy)
        self._ticked()
