"""The Messages screen: check a resident's number and send a test SMS or WhatsApp message.

What the technician typed is theirs: a refusal shows the reason next to the field it is
about and keeps every value. A send whose outcome is unknown (the connection broke after
the request left) is never repeated by SiteKit: the screen says so, and sending to that
number again takes a deliberate click on "Send again anyway" (an SMS retry reuses the
first attempt's message id, so NXCloud's reports show both attempts as one message).
"""

from __future__ import annotations

import html
import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QButtonGroup, QComboBox, QHBoxLayout, QHeaderView, QLineEdit,
                               QPlainTextEdit, QPushButton, QScrollArea, QSizePolicy,
                               QStackedWidget, QTableView, QVBoxLayout, QWidget)

from app.core.errors import SiteKitError
from app.services.messaging import masked_phone
from app.ui import style
from app.ui.messaging.flow import (ACCEPTED, CHANNELS, CHECK_LEVELS, CHECK_WAIT, REFUSED, SMS,
                                   TEMPLATE, TEMPLATES, UNKNOWN, VERDICTS, WHATSAPP, SendGuard,
                                   SentRecord, count_text, format_elapsed, phone_note)
from app.ui.messaging.sent_list import CHANNEL as CHANNEL_COLUMN
from app.ui.messaging.sent_list import STATUS, TIME, TO, SentListModel
from app.ui.tasks import Tasks
from app.ui.widgets import (Banner, Page, Spinner, field_with_note, form_label, form_layout, label,
                            padded_card, primary_button, setup_list_table)
from app.vendors.nxcloud.client import NumberCheckPending, SendOutcomeUnknown
from app.vendors.nxcloud.models import InvalidInput, NumberCheckResult, display_phone

if TYPE_CHECKING:
    from app.services.workspace import Workspace
    from app.ui.bridge import WorkspaceSignals

log = logging.getLogger(__name__)

NOT_CONFIGURED = ("To check numbers and send SMS or WhatsApp messages, SiteKit needs this "
                  "site's NXCloud access key, access secret and app key (and the WhatsApp "
                  "business phone for WhatsApp). Enter them in Settings → NXCloud.")
UNKNOWN_HEADLINE = "NXCloud may or may not have sent it — check before sending again."
VERDICT_COLOURS = {"ok": style.OK, "info": style.ACCENT, "error": style.ERROR,
                   "warning": style.WARN, "muted": style.MUTED}
TEXT_EDIT_STYLE = (f"QPlainTextEdit {{ border: 1px solid {style.BORDER}; border-radius: 6px; "
                   f"background: white; padding: 4px; }}"
                   f"QPlainTextEdit:focus {{ border-color: {style.ACCENT}; }}"
                   f"QPlainTextEdit[invalid=\"true\"] {{ border-color: {style.ERROR}; }}")
RESEND_STYLE = (f"QPushButton {{ background: #fffbeb; color: #92400e; border-color: {style.WARN}; "
                f"font-weight: 600; }} QPushButton:hover {{ background: #fef3c7; }}")


def segment_style(index: int, count: int) -> str:
    left = "6px" if index == 0 else "0"
    right = "6px" if index == count - 1 else "0"
    return (f"QPushButton {{ padding: 5px 12px; border-radius: 0; "
            f"border-top-left-radius: {left}; border-bottom-left-radius: {left}; "
            f"border-top-right-radius: {right}; border-bottom-right-radius: {right}; "
            f"{'border-left: none; ' if index else ''}}}"
            f"QPushButton:checked {{ background: {style.ACCENT}; color: white; "
            f"border-color: {style.ACCENT}; }}")


class ResultBanner(Banner):
    """A Banner that can also say "done" in green."""

    ICONS = {**Banner.ICONS, "ok": "✔"}
    COLOURS = {**Banner.COLOURS, "ok": style.OK}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet('QFrame[banner="ok"] { background: #f0fdf4; border: 1px solid #bbf7d0; '
                           'border-radius: 6px; }')


def unknown_outcome_text(exc: SendOutcomeUnknown, channel: str) -> str:
    again = ("“Send again anyway” with the same text reuses the same message id, so NXCloud's "
             "reports show both attempts as one message." if channel == SMS and exc.sys_message_id else
             "Sending again may deliver it twice.")
    return (f"<b>{html.escape(UNKNOWN_HEADLINE)}</b><br>{html.escape(exc.message)} Ask the "
            f"resident, or look in the NXCloud console. SiteKit did not send it again; "
            f"{html.escape(again)}")


def _set_invalid(widget: QWidget, invalid: bool) -> None:
    if bool(widget.property("invalid")) != invalid:
        widget.setProperty("invalid", invalid)
        style.polish(widget)


class MessagingPage(Page):
    settings_requested = Signal()

    # a click on "Send again anyway" this soon after the warning is the tail of a
    # double-click, not a decision
    RESEND_ARM_SECONDS = 1.0

    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__("Messages", "Check a resident's phone number and send a test SMS or "
                                     "WhatsApp message through NXCloud.", parent)
        self._tasks = tasks
        self._ws: "Workspace | None" = None
        self.guard = SendGuard()
        self.checking = False
        self.sending = False
        self._check_started = 0.0
        self._checked: NumberCheckResult | None = None
        self._armed_at = 0.0
        self._template_values: dict[str, list[str]] = {t.name: [""] * len(t.fields) for t in TEMPLATES}
        self.channel = SMS

        self.setup_state = self._build_setup_state()

        content = QWidget()
        content.setObjectName("ScrollBody")
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 6, 0)
        column.setSpacing(12)
        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(self._build_recipient(), 4, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self._build_message(), 5, Qt.AlignmentFlag.AlignTop)
        column.addLayout(top)
        self._column = column
        self._sent_card = self._build_sent_list()
        column.addWidget(self._sent_card, 1)
        column.addStretch(0)  # takes the room while the list is empty
        self._sent_changed()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.setup_state)
        self.stack.addWidget(scroll)
        self.body.addWidget(self.stack, 1)

        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        self._phone_edited()
        self._level_changed()
        self.choose_channel(SMS)
        self.refresh()

    # -- building ---------------------------------------------------------------------

    def _build_setup_state(self) -> QWidget:
        """What the screen says when the site has no NXCloud account."""
        box = QWidget()
        outer = QVBoxLayout(box)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        frame, layout = padded_card((28, 24, 28, 24), 10)
        frame.setMaximumWidth(560)
        self.setup_title = label("NXCloud is not set up for this site", "heading")
        layout.addWidget(self.setup_title)
        layout.addWidget(label(NOT_CONFIGURED, wrap=True))
        layout.addWidget(label("The demo site brings its own NXCloud account, if you want to try "
                               "the screen first.", "hint", wrap=True))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.settings_button = primary_button("Open Settings")
        self.settings_button.clicked.connect(self.settings_requested.emit)
        buttons.addWidget(self.settings_button)
        layout.addSpacing(4)
        layout.addLayout(buttons)
        row.addWidget(frame, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        return box

    def _build_recipient(self) -> QWidget:
        frame, layout = padded_card((18, 14, 18, 16), 8)
        layout.addWidget(label("Recipient", "section"))
        form = form_layout()
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("+44 7700 900123")
        self.phone.setAccessibleName("Phone number")
        self.phone.textEdited.connect(lambda _: self._phone_edited())
        self.phone.returnPressed.connect(self.check_number)
        self.phone_note = label("", "hint", wrap=True)
        form.addRow(form_label("Phone number"), field_with_note(self.phone, self.phone_note))

        self.level = QComboBox()
        self.level.setAccessibleName("Number check")
        for level, text, _ in CHECK_LEVELS:
            self.level.addItem(text, level)
        self.level.setCurrentIndex(1)  # HLR: what "is this number real?" needs
        # the check's name may be cut in a narrow window; the list shows it whole
        self.level.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.level.setMinimumContentsLength(16)
        self.level.currentIndexChanged.connect(lambda _: self._level_changed())
        self.level_hint = label("", "hint", wrap=True)
        form.addRow(form_label("Check"), field_with_note(self.level, self.level_hint))
        layout.addLayout(form)
        row = QHBoxLayout()
        row.addStretch(1)
        self.check_button = QPushButton("Check number")
        self.check_button.clicked.connect(self.check_number)
        row.addWidget(self.check_button)
        layout.addLayout(row)

        # the result: a large icon, a headline and NXCloud's summary
        self.check_box, box = padded_card((12, 10, 12, 10), 2)
        self.check_box.setStyleSheet(f"QFrame[card=\"true\"] {{ background: {style.SURFACE}; }}")
        top = QHBoxLayout()
        top.setSpacing(10)
        self.check_spinner = Spinner(size=18)
        top.addWidget(self.check_spinner, 0, Qt.AlignmentFlag.AlignTop)
        self.verdict_icon = label("")
        self.verdict_icon.setFixedWidth(24)
        self.verdict_icon.setAlignment(Qt.AlignmentFlag.AlignCenter | Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.verdict_icon, 0, Qt.AlignmentFlag.AlignTop)
        words = QVBoxLayout()
        words.setSpacing(2)
        self.verdict = label("", wrap=True)
        self.verdict.setStyleSheet("font-weight: 600; background: transparent;")
        words.addWidget(self.verdict)
        self.check_summary = label("", "hint", wrap=True)
        self.check_summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        words.addWidget(self.check_summary)
        top.addLayout(words, 1)
        self.check_elapsed = label("", "hint")
        top.addWidget(self.check_elapsed, 0, Qt.AlignmentFlag.AlignTop)
        box.addLayout(top)
        self.check_box.hide()
        layout.addWidget(self.check_box)
        return frame

    def _build_message(self) -> QWidget:
        frame, layout = padded_card((18, 14, 18, 16), 8)
        layout.addWidget(label("Message", "section"))
        channels = QHBoxLayout()
        channels.setSpacing(0)
        self.channel_group = QButtonGroup(self)
        self.channel_buttons: dict[str, QPushButton] = {}
        for index, (channel, text) in enumerate(CHANNELS):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setStyleSheet(segment_style(index, len(CHANNELS)))
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _=False, c=channel: self.choose_channel(c))
            self.channel_group.addButton(button)
            self.channel_buttons[channel] = button
            channels.addWidget(button)
        channels.addStretch(1)
        layout.addLayout(channels)
        self.sender_note = label("", "hint", wrap=True)
        layout.addWidget(self.sender_note)

        self.message_stack = QStackedWidget()
        text_box = QWidget()
        text_layout = QVBoxLayout(text_box)
        text_layout.setContentsMargins(0, 0, 0, 0)
        text_layout.setSpacing(3)
        self.text = QPlainTextEdit()
        self.text.setAccessibleName("Message text")
        self.text.setPlaceholderText("Type the message, e.g. \"SiteKit test message: the intercom "
                                     "at Flat 12 is being set up.\"")
        self.text.setStyleSheet(TEXT_EDIT_STYLE)
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(80)
        self.text.setMaximumHeight(120)
        self.text.textChanged.connect(self._text_changed)
        text_layout.addWidget(self.text)
        counter_row = QHBoxLayout()
        self.text_error = label("", "field-error", wrap=True)
        counter_row.addWidget(self.text_error, 1)
        self.counter = label("", "hint")
        counter_row.addWidget(self.counter, 0, Qt.AlignmentFlag.AlignTop)
        text_layout.addLayout(counter_row)
        self.message_stack.addWidget(text_box)

        template_box = QWidget()
        template_layout = QVBoxLayout(template_box)
        template_layout.setContentsMargins(0, 0, 0, 0)
        template_layout.setSpacing(6)
        self.template_form = form_layout()
        self.template = QComboBox()
        self.template.setAccessibleName("Template")
        for form in TEMPLATES:
            self.template.addItem(f"{form.title} ({form.name})", form.name)
        self.template.currentIndexChanged.connect(lambda _: self._template_changed())
        self.template_form.addRow(form_label("Template"), self.template)
        self.param_edits: list[QLineEdit] = []
        self.param_labels: list = []
        for number in range(max(len(t.fields) for t in TEMPLATES)):
            edit = QLineEdit()
            edit.textEdited.connect(lambda text, n=number: self._param_edited(n, text))
            caption = form_label("")
            self.template_form.addRow(caption, edit)
            self.param_edits.append(edit)
            self.param_labels.append(caption)
        template_layout.addLayout(self.template_form)
        self.preview = label("", "hint", wrap=True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        template_layout.addWidget(self.preview)
        self.template_error = label("", "field-error", wrap=True)
        template_layout.addWidget(self.template_error)
        self.message_stack.addWidget(template_box)
        layout.addWidget(self.message_stack)

        self.result = ResultBanner()
        layout.addWidget(self.result)
        actions = QHBoxLayout()
        actions.setSpacing(8)
        self.send_spinner = Spinner(size=16)
        self.send_spinner.hide()
        actions.addWidget(self.send_spinner)
        self.send_status = label("", "hint", wrap=True)
        actions.addWidget(self.send_status, 1)
        self.send_button = primary_button("Send")
        self.send_button.setMinimumWidth(110)
        self.send_button.clicked.connect(self.send)
        actions.addWidget(self.send_button)
        layout.addLayout(actions)
        self._template_changed()
        return frame

    def _build_sent_list(self) -> QWidget:
        frame, layout = padded_card((18, 14, 18, 14), 8)
        header = QHBoxLayout()
        header.addWidget(label("Sent this session", "section"))
        header.addStretch(1)
        header.addWidget(label("Numbers are masked; message texts are not kept.", "hint"))
        layout.addLayout(header)
        self.sent_model = SentListModel(self)
        self.sent_table = QTableView()
        setup_list_table(self.sent_table, self.sent_model, fit=(TIME, CHANNEL_COLUMN, TO),
                         stretch=STATUS)
        self.sent_table.setMinimumHeight(120)
        # the style sheet's cell padding is not in Qt's size hints: size the short columns
        # from their longest possible text instead
        metrics = self.sent_table.fontMetrics()
        header = self.sent_table.horizontalHeader()
        for column, longest in ((TIME, "00:00:00"), (CHANNEL_COLUMN, "WhatsApp template"),
                                (TO, "+444 ••••••••0000")):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, metrics.horizontalAdvance(longest) + 32)
        self.sent_empty = label("Nothing sent yet in this session.", "hint")
        self.sent_empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.sent_table, 1)
        layout.addWidget(self.sent_empty, 1)
        self.sent_model.rowsInserted.connect(lambda *_: self._sent_changed())
        self.sent_model.modelReset.connect(self._sent_changed)
        return frame

    # -- wiring -----------------------------------------------------------------------

    def attach(self, ws: "Workspace", signals: "WorkspaceSignals | None" = None) -> None:
        self._ws = ws
        self.guard = SendGuard()
        self.sent_model.clear()
        self.result.clear()
        self._show_check(None)
        self.refresh()

    def detach(self) -> None:
        self._ws = None
        # what is still running for the old site finishes unseen (it checks `_ws`)
        self.checking = self.sending = False
        self._ticker.stop()
        self.send_spinner.hide()
        self.send_status.setText("")
        self._show_check(None)
        self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.refresh()  # keys may have been saved in Settings since

    def refresh(self) -> None:
        """Show the panel, or what is missing; call after the NXCloud settings changed."""
        ws = self._ws
        configured = ws is not None and ws.messaging.configured
        self.stack.setCurrentIndex(1 if configured else 0)
        self._render_sender()
        self._render_buttons()

    # -- the number -------------------------------------------------------------------

    def _phone_edited(self) -> None:
        note = phone_note(self.phone.text())
        self.phone_note.setText(note.text)
        self.phone_note.setProperty("role", "field-error" if note.error else "hint")
        style.polish(self.phone_note)
        _set_invalid(self.phone, note.error)
        # a verdict is about the number it checked, not the one typed now
        if self._checked is not None and note.digits != self._checked.phone and not self.checking:
            self._show_check(None)
        self._render_buttons()

    def _level_changed(self) -> None:
        level = self.level.currentData()
        self.level_hint.setText(next(hint for key, _, hint in CHECK_LEVELS if key == level))

    def _phone_digits(self) -> str | None:
        """The number, or None after saying under the field what is wrong with it."""
        note = phone_note(self.phone.text())
        if note.digits is None:
            text = note.text if note.error else "Type the resident's number first, with the country code."
            self._phone_error(text)
            return None
        return note.digits

    def _phone_error(self, text: str) -> None:
        self.phone_note.setText(text)
        self.phone_note.setProperty("role", "field-error")
        style.polish(self.phone_note)
        _set_invalid(self.phone, True)
        self.phone.setFocus()

    def check_number(self) -> None:
        ws = self._ws
        if ws is None or self.checking:
            return
        digits = self._phone_digits()
        if digits is None:
            return
        level = self.level.currentData()
        self.checking = True
        self._check_started = time.monotonic()
        self._checked = None
        self._show_pending(level)
        self._tasks.spawn(self._check(ws, digits, level), name="messages: number check")

    async def _check(self, ws: "Workspace", digits: str, level: str) -> None:
        try:
            result = await ws.messaging.check_number(digits, level, wait=CHECK_WAIT[level])
        except NumberCheckPending as exc:
            if self._ws is ws:
                self._show_check(("⏳", "warning", "Still checking — try again in a minute",
                                  exc.user_text()))
            return
        except InvalidInput as exc:
            if self._ws is ws:
                self._show_check(None)
                if exc.field == "phone":
                    self._phone_error(exc.user_text())
                else:
                    self._show_check(("✖", "error", "Not checked", exc.user_text()))
            return
        except SiteKitError as exc:
            if self._ws is ws:
                self._show_check(("✖", "error", "The check failed", exc.user_text()))
            return
        finally:
            if self._ws is ws:
                self.checking = False
                self._ticker.stop()
                self._render_buttons()
        if self._ws is ws:
            self._checked = result
            icon, colour, headline = VERDICTS.get(result.verdict, VERDICTS["unknown"])
            self._show_check((icon, colour, headline, result.summary()))

    def _show_pending(self, level: str) -> None:
        self._show_check(None)
        self.check_box.show()
        self.check_spinner.show()
        self.verdict_icon.hide()
        asking = {"basic": "Checking the format…", "hlr": "Asking the mobile network…",
                  "call": "Calling the number briefly…"}[level]
        self.verdict.setText(asking)
        self.verdict.setStyleSheet("font-weight: 600; background: transparent;")
        self.check_summary.setText("NXCloud answers in a few seconds; SiteKit waits for up to "
                                   f"{CHECK_WAIT[level]:.0f} s.")
        self._tick()
        self._ticker.start()
        self._render_buttons()

    def _tick(self) -> None:
        if self.checking:
            self.check_elapsed.setText(format_elapsed(time.monotonic() - self._check_started))

    def _show_check(self, shown: tuple[str, str, str, str] | None) -> None:
        """(icon, colour role, headline, detail), or None to hide the result."""
        self.check_spinner.hide()
        self.check_elapsed.setText("")
        if shown is None:
            self._checked = None
            self.check_box.hide()
            return
        icon, colour, headline, detail = shown
        colour = VERDICT_COLOURS.get(colour, style.MUTED)
        self.verdict_icon.setText(icon)
        self.verdict_icon.setStyleSheet(f"color: {colour}; font-size: 18px; font-weight: 700; "
                                        "background: transparent;")
        self.verdict_icon.show()
        self.verdict.setText(headline)
        self.verdict.setStyleSheet(f"color: {colour}; font-weight: 600; background: transparent;")
        self.check_summary.setText(detail)
        self.check_box.show()

    # -- the message ------------------------------------------------------------------

    def choose_channel(self, channel: str) -> None:
        self.channel = channel
        self.channel_buttons[channel].setChecked(True)
        self.message_stack.setCurrentIndex(1 if channel == TEMPLATE else 0)
        self._text_changed()
        self._render_sender()

    def _render_sender(self) -> None:
        ws = self._ws
        if self.channel == SMS:
            self.sender_note.setText("Sent as an SMS from NXCloud's sender for this account.")
            self.sender_note.setProperty("role", "hint")
        elif ws is not None and ws.messaging.business_phone:
            try:
                shown = display_phone(phone_note(ws.messaging.business_phone).digits or "")
            except Exception:  # noqa: BLE001 - the client says what is wrong when sending
                shown = ws.messaging.business_phone
            self.sender_note.setText(f"From the WhatsApp business phone {shown}. The resident "
                                     "must use WhatsApp on this number.")
            self.sender_note.setProperty("role", "hint")
        else:
            self.sender_note.setText("No WhatsApp business phone is set up: enter it in "
                                     "Settings → NXCloud to send WhatsApp messages.")
            self.sender_note.setProperty("role", "field-error")
        style.polish(self.sender_note)

    def _text_changed(self) -> None:
        text, over = count_text(self.channel, self.text.toPlainText())
        self.counter.setText(text)
        self.counter.setProperty("role", "field-error" if over else "hint")
        style.polish(self.counter)
        _set_invalid(self.text, over)
        if not over:
            self.text_error.setText("")

    def _template_changed(self) -> None:
        form = self._current_template()
        values = self._template_values[form.name]
        for number, (edit, caption) in enumerate(zip(self.param_edits, self.param_labels)):
            used = number < len(form.fields)
            edit.setVisible(used)
            caption.setVisible(used)
            if used:
                caption.setText(form.fields[number])
                edit.setAccessibleName(form.fields[number])
                edit.setPlaceholderText({"PIN": "e.g. 4821", "Valid until": "e.g. 24 Nov 18:00",
                                         "Visitor's name": "e.g. Sam"}.get(form.fields[number], ""))
                edit.setText(values[number])
                _set_invalid(edit, False)
        self.template_error.setText("")
        self._render_preview()

    def _param_edited(self, number: int, text: str) -> None:
        values = self._template_values[self._current_template().name]
        if number < len(values):
            values[number] = text
        _set_invalid(self.param_edits[number], False)
        self.template_error.setText("")
        self._render_preview()

    def _render_preview(self) -> None:
        form = self._current_template()
        self.preview.setText(f"The resident reads: “{form.preview(self._template_values[form.name])}”")

    def _current_template(self):
        name = self.template.currentData()
        return next((t for t in TEMPLATES if t.name == name), TEMPLATES[0])

    # -- sending ----------------------------------------------------------------------

    def send(self) -> None:
        ws = self._ws
        if ws is None or self.sending:
            return
        digits = self._phone_digits()
        if digits is None:
            return
        if self.guard.pending_for(digits) is not None and time.monotonic() < self._armed_at:
            return
        channel = self.channel
        if channel == TEMPLATE:
            form = self._current_template()
            values = list(self._template_values[form.name])
            missing = form.missing(values)
            if missing is not None:
                index = form.fields.index(missing)
                _set_invalid(self.param_edits[index], True)
                self.template_error.setText(f"Fill in the {missing} first.")
                self.param_edits[index].setFocus()
                return
            payload: object = form.build(values)
        else:
            text = self.text.toPlainText()
            problem = self._text_problem(channel, text)
            if problem:
                self.text_error.setText(problem)
                _set_invalid(self.text, True)
                self.text.setFocus()
                return
            payload = text
        self.sending = True
        self.result.clear()
        self.send_status.setText(f"Sending to {display_phone(digits)}…")
        self.send_spinner.show()
        self._render_buttons()
        self._tasks.spawn(self._send(ws, digits, channel, payload), name="messages: send")

    @staticmethod
    def _text_problem(channel: str, text: str) -> str:
        if not text.strip():
            return "Type the message first."
        label_text, over = count_text(channel, text)
        if over:
            return f"Too long for {dict(CHANNELS)[channel]}: {label_text}. Shorten it."
        return ""

    async def _send(self, ws: "Workspace", digits: str, channel: str, payload) -> None:
        messaging = ws.messaging
        record_to = masked_phone(digits)
        try:
            if channel == SMS:
                receipt = await messaging.send_sms(
                    digits, payload, sys_message_id=self.guard.retry_id(digits, SMS, payload))
            elif channel == WHATSAPP:
                receipt = await messaging.send_whatsapp(digits, payload)
            else:
                receipt = await messaging.send_whatsapp_template(digits, payload)
        except SendOutcomeUnknown as exc:
            if self._ws is ws:
                self.guard.record_unknown(digits, channel, exc.sys_message_id,
                                          payload if isinstance(payload, str) else "")
                self._armed_at = time.monotonic() + self.RESEND_ARM_SECONDS
                self.sent_model.add(SentRecord(datetime.now(), channel, record_to, UNKNOWN))
                self.result.show_message(unknown_outcome_text(exc, channel), "warning")
            return
        except InvalidInput as exc:  # refused before anything was sent
            if self._ws is ws:
                self._show_input_error(exc)
            return
        except SiteKitError as exc:
            if self._ws is ws:
                self.guard.settled(digits)
                self.sent_model.add(SentRecord(datetime.now(), channel, record_to, REFUSED, exc.message))
                self.result.show_message(exc.user_text(), "error")
            return
        finally:
            if self._ws is ws:
                self.sending = False
                self.send_spinner.hide()
                self.send_status.setText("")
                self._render_buttons()
        if self._ws is ws:
            self.guard.settled(digits)
            self.sent_model.add(SentRecord(datetime.now(), channel, record_to, ACCEPTED,
                                           receipt.message_id))
            how = {SMS: "an SMS", WHATSAPP: "a WhatsApp message",
                   TEMPLATE: "a WhatsApp template message"}[channel]
            self.result.show_message(f"NXCloud accepted {how} to {display_phone(digits)} · "
                                     f"message id {receipt.message_id}", "ok")
            self._render_buttons()

    def _show_input_error(self, exc: InvalidInput) -> None:
        if exc.field == "phone":
            self._phone_error(exc.user_text())
        elif exc.field in ("content", "body") and self.channel != TEMPLATE:
            self.text_error.setText(exc.user_text())
            _set_invalid(self.text, True)
        else:
            self.result.show_message(exc.user_text(), "error")

    # -- state ------------------------------------------------------------------------

    def _render_buttons(self) -> None:
        attached = self._ws is not None
        self.check_button.setEnabled(attached and not self.checking)
        self.check_button.setText("Checking…" if self.checking else "Check number")
        digits = phone_note(self.phone.text()).digits
        unknown = self.guard.pending_for(digits) is not None
        self.send_button.setEnabled(attached and not self.sending)
        if unknown:
            self.send_button.setText("Send again anyway")
            self.send_button.setProperty("primary", False)
            self.send_button.setStyleSheet(RESEND_STYLE)
            self.send_button.setToolTip("The last message to this number may already have "
                                        "arrived: check with the resident or the NXCloud "
                                        "console first.")
        else:
            self.send_button.setText("Sending…" if self.sending else "Send")
            self.send_button.setProperty("primary", True)
            self.send_button.setStyleSheet("")
            self.send_button.setToolTip("")
        style.polish(self.send_button)

    def _sent_changed(self) -> None:
        empty = self.sent_model.rowCount() == 0
        self.sent_table.setVisible(not empty)
        self.sent_empty.setVisible(empty)
        self._column.setStretchFactor(self._sent_card, 0 if empty else 1)
