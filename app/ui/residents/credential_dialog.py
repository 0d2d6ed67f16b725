"""Issue a PIN or a QR code for one resident, show it once, and send it by SMS or WhatsApp.

The code itself is a secret: SiteKit keeps it only in this dialog while it is open (never
in the feed, a log line or settings), so the dialog says it will not be shown again. A
send that fails leaves the issued code on screen: it is valid at the door already, and
issuing another would leave two working codes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Awaitable, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QDialog, QHBoxLayout, QPushButton, QSizePolicy, QStackedWidget,
                               QVBoxLayout, QWidget)

from app.core.errors import SiteKitError
from app.services.messaging import masked_phone
from app.ui import style
from app.ui.residents import validity
from app.ui.residents.qr import qr_image
from app.ui.residents.validity import PIN, QRCODE
from app.ui.residents.window_fields import WindowFields
from app.ui.tasks import Tasks
from app.ui.widgets import Banner, Spinner, form_layout, label, primary_button
from app.vendors.nexhome.models import Person

SMS, WHATSAPP = "sms", "whatsapp"
CHANNEL_NAMES = {SMS: "SMS", WHATSAPP: "WhatsApp"}
KIND_NAMES = {PIN: "PIN", QRCODE: "QR code"}
KIND_HINTS = {
    PIN: "A 6-digit code the resident types on the door station's keypad.",
    QRCODE: "A code a visitor shows to the door station's camera on their phone. "
            "A week is a sensible default for a visitor or a contractor.",
}
SHOWN_ONCE = ("Shown only now: SiteKit does not keep the code, so it cannot be shown again. "
              "Send it to the resident or note it down before you close this window.")
QR_SIZE = 232
PIN_STYLE = (f"font-size: 44px; font-weight: 600; letter-spacing: 10px; color: {style.TEXT}; "
             f"background: {style.SURFACE}; border: 1px solid {style.BORDER}; border-radius: 8px; "
             f"padding: 14px 24px;")

Issue = Callable[[str, datetime, datetime], Awaitable[Any]]  # kind, from, until -> IssuedCredential
Send = Callable[[str, Any], Awaitable[str]]  # channel, issued -> where it went (masked)


def error_text(exc: BaseException) -> str:
    if isinstance(exc, SiteKitError):
        return exc.user_text()
    return str(exc) or type(exc).__name__


class CredentialDialog(QDialog):
    """`issued` fires once the credential exists (whatever happens to the sending)."""

    issued = Signal(object)

    def __init__(self, tasks: Tasks, person: Person, kind: str, issue: Issue, send: Send,
                 rooms_text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self.person = person
        self.kind = kind
        self._issue = issue
        self._send = send
        self.result: Any = None  # the IssuedCredential once issued
        self.sent_by: list[str] = []
        self.busy = False
        self.setWindowTitle(f"Issue a {KIND_NAMES[kind]}")
        self.setModal(True)
        self.setMinimumWidth(540)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 16)
        layout.setSpacing(12)
        who = person.name or person.id
        self.heading = label(f"{KIND_NAMES[kind]} for {who}", "heading")
        layout.addWidget(self.heading)
        if rooms_text:
            layout.addWidget(label(rooms_text, "subtitle"))
        self.pages = QStackedWidget()
        self.form_page = self._build_form(kind)
        self.result_page = self._build_result()
        self.pages.addWidget(self.form_page)
        self.pages.addWidget(self.result_page)
        layout.addWidget(self.pages, 1)
        self.window_fields.set_window(*validity.default_window(kind))

    # -- building ---------------------------------------------------------------------

    def _build_form(self, kind: str) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(label(KIND_HINTS[kind], "hint", wrap=True))
        self.window_fields = WindowFields(self)
        form = form_layout()
        self.window_fields.add_to(form)
        layout.addLayout(form)
        self.issue_error = Banner()
        layout.addWidget(self.issue_error)
        layout.addStretch(1)
        buttons = QHBoxLayout()
        self.issue_spinner = Spinner(size=18)
        self.issue_spinner.hide()
        buttons.addWidget(self.issue_spinner)
        self.issue_status = label("", "hint")
        buttons.addWidget(self.issue_status, 1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.issue_button = primary_button(f"Issue {KIND_NAMES[kind]}")
        self.issue_button.setDefault(True)
        self.issue_button.clicked.connect(self.issue)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.issue_button)
        layout.addLayout(buttons)
        return page

    def _build_result(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        self.code_label = label("")
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code_label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout.addWidget(self.code_label, 0, Qt.AlignmentFlag.AlignHCenter)
        self.qr_text = label("", "hint")
        self.qr_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.qr_text)
        self.valid_text = label("", wrap=True)
        self.valid_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.valid_text)
        self.once_note = Banner()
        layout.addWidget(self.once_note)

        send_row = QHBoxLayout()
        send_row.setSpacing(8)
        self.send_to = label("")
        send_row.addWidget(self.send_to, 1)
        self.send_buttons: dict[str, QPushButton] = {}
        for channel in (SMS, WHATSAPP):
            button = QPushButton(f"Send by {CHANNEL_NAMES[channel]}")
            button.clicked.connect(lambda _=False, c=channel: self.send(c))
            self.send_buttons[channel] = button
            send_row.addWidget(button)
        layout.addLayout(send_row)
        self.send_status = Banner()
        layout.addWidget(self.send_status)
        buttons = QHBoxLayout()
        self.send_spinner = Spinner(size=18)
        self.send_spinner.hide()
        buttons.addWidget(self.send_spinner)
        buttons.addStretch(1)
        self.close_button = primary_button("Done")
        self.close_button.clicked.connect(self.accept)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        return page

    # -- issuing ----------------------------------------------------------------------

    def issue(self) -> None:
        if self.busy or self.result is not None:
            return
        if not self.window_fields.show_problem():
            return
        self.issue_error.clear()
        self._set_issuing(True)
        self._tasks.spawn(self._run_issue(self.window_fields.valid_from,
                                          self.window_fields.valid_until), name="issue-credential")

    async def _run_issue(self, valid_from: datetime, valid_until: datetime) -> None:
        try:
            issued = await self._issue(self.kind, valid_from, valid_until)
        except SiteKitError as exc:
            self._set_issuing(False)
            self.issue_error.show_message(f"Not issued: {error_text(exc)}", "error")
            return
        except BaseException:
            self._set_issuing(False)
            raise
        self._set_issuing(False)
        self.result = issued
        self.show_issued(issued, valid_from, valid_until)
        self.issued.emit(issued)

    def _set_issuing(self, busy: bool) -> None:
        self.busy = busy
        self.issue_spinner.setVisible(busy)
        self.issue_status.setText("Issuing…" if busy else "")
        self.issue_button.setEnabled(not busy)
        self.window_fields.set_enabled(not busy)

    def show_issued(self, issued: Any, valid_from: datetime, valid_until: datetime) -> None:
        rule = getattr(getattr(issued, "credential", None), "rule", None)
        valid_from = getattr(rule, "effective", None) or valid_from
        valid_until = getattr(rule, "expired", None) or valid_until
        content = issued.content
        if self.kind == QRCODE:
            self.qr_image = qr_image(content, QR_SIZE)
            self.code_label.setPixmap(QPixmap.fromImage(self.qr_image))
            self.code_label.setStyleSheet("background: white;")
            self.qr_text.setText(f"Code text: {content}")
            self.code_label.setAccessibleName("QR code")
        else:
            self.qr_image = None
            self.code_label.setText(content)
            self.code_label.setStyleSheet(PIN_STYLE)
            self.code_label.setAccessibleName("PIN")
            self.qr_text.hide()
        self.valid_text.setText(f"Valid {validity.moment_text(valid_from)} → "
                                f"{validity.moment_text(valid_until)}")
        self.once_note.show_message(SHOWN_ONCE, "warning")
        phone = self.person.phone
        if phone:
            self.send_to.setText(f"Send to {masked_phone(phone)}")
        else:
            self.send_to.setText("No phone number is stored for this resident: note the code "
                                 "down and give it to them.")
            self.send_to.setWordWrap(True)
            for button in self.send_buttons.values():
                button.hide()
        sent_to = getattr(issued, "sent_to", None)
        send_error = getattr(issued, "send_error", None)
        if sent_to:
            self.send_status.show_message(f"Sent to {sent_to}.", "success")
        elif send_error:
            self.send_status.show_message(f"Issued, but not sent: {send_error}", "error")
        self.pages.setCurrentWidget(self.result_page)
        self.cancel_button.setEnabled(False)
        self.issue_button.setDefault(False)
        self.close_button.setDefault(True)
        self.adjustSize()

    # -- sending ----------------------------------------------------------------------

    def send(self, channel: str) -> None:
        if self.busy or self.result is None or not self.person.phone:
            return
        self._set_sending(True)
        self.send_status.show_message(f"Sending by {CHANNEL_NAMES[channel]}…", "info")
        self._tasks.spawn(self._run_send(channel), name="send-credential")

    async def _run_send(self, channel: str) -> None:
        try:
            sent_to = await self._send(channel, self.result)
        except SiteKitError as exc:
            self._set_sending(False)
            self.send_status.show_message(
                f"Not sent by {CHANNEL_NAMES[channel]}: {error_text(exc)} The code is still "
                f"valid; try the other channel or note it down.", "error")
            return
        except BaseException:
            self._set_sending(False)
            raise
        self._set_sending(False)
        self.sent_by.append(channel)
        self.send_status.show_message(f"Sent by {CHANNEL_NAMES[channel]} to {sent_to}.",
                                      "success")

    def _set_sending(self, busy: bool) -> None:
        self.busy = busy
        self.send_spinner.setVisible(busy)
        for button in self.send_buttons.values():
            button.setEnabled(not busy and bool(self.person.phone))
        self.close_button.setEnabled(not busy)

    def reject(self) -> None:
        if self.busy:
            return  # closing mid-call would hide whether it worked
        super().reject()

    def done(self, result: int) -> None:
        # the code leaves the screen with the dialog: drop it from memory too
        super().done(result)
        if self.result is not None:
            self.code_label.clear()
