"""The four pages of the pairing wizard, and the pieces they share.

Each page only renders `PairingFlow` (flow.py) and exposes its widgets; wizard.py wires
input to the flow and runs the service.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QButtonGroup, QFrame, QGridLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QRadioButton, QSizePolicy, QVBoxLayout,
                               QWidget)

from app.core.network import HOTSPOT_GATEWAY
from app.ui import style
from app.ui.pairing.flow import (ADDRESS, CONNECTED, DEMO, HOTSPOT, PAGE_TITLES, PAGES,
                                 WRONG_ROUTE, PairingFlow)
from app.ui.widgets import (Banner, Spinner, field_with_note, form_label, form_layout, label,
                            numbered_row, padded_card, primary_button, titled_card)
from app.vendors.ewelink.ap_device import WIFI_REMINDER
from app.vendors.ewelink.pairing import STEPS, STEP_TITLES
from app.vendors.ewelink.pairing_steps import StepState

# status -> (glyph, colour, word); "running" shows a spinner instead of a glyph
STATUS_LOOK = {
    "pending": ("", "#cbd5e1", "Waiting"),
    "running": ("", style.ACCENT, "Running"),
    "done": ("✓", style.OK, "Done"),
    "warning": ("!", style.WARN, "Warning"),
    "failed": ("✕", style.ERROR, "Failed"),
    "skipped": ("–", "#94a3b8", "Skipped"),
    "cancelled": ("■", "#94a3b8", "Cancelled"),
}

PAIRING_MODE_STEPS = (
    "Hold the device's button for about 5 seconds, until its LED flashes two short, one "
    "long. Release, then hold it again for 5 seconds until the LED flashes quickly: the "
    "device is now in pairing (AP) mode.",
    "On this laptop, join the Wi-Fi network named ITEAD-… that the device opens (password "
    "12345678). SiteKit notices by itself.",
)


def countdown(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds + 0.999)  # 0.2 s left still reads "1 s"
    if seconds >= 60:
        return f"{seconds // 60}:{seconds % 60:02d} left"
    return f"{seconds} s left"


def _badge(text: str, size: int = 22) -> QLabel:
    badge = QLabel(text)
    badge.setFixedSize(size, size)
    badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return badge


def _paint_badge(badge: QLabel, glyph: str, colour: str, *, hollow: bool = False) -> None:
    radius = badge.width() // 2
    badge.setText(glyph)
    if hollow:
        badge.setStyleSheet(f"background: white; border: 2px solid {colour}; "
                            f"border-radius: {radius}px;")
    else:
        badge.setStyleSheet(f"background: {colour}; color: white; border-radius: {radius}px; "
                            f"font-weight: 700; font-size: 12px;")


class Stepper(QWidget):
    """Device › Wi-Fi › Pairing › Done, the current page highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self._parts: dict[str, tuple[QLabel, QLabel]] = {}
        for index, page in enumerate(PAGES):
            if index:
                line = QFrame()
                line.setFixedSize(28, 2)
                line.setStyleSheet(f"background: {style.BORDER};")
                layout.addWidget(line)
            number = _badge(str(index + 1))
            title = label(PAGE_TITLES[page])
            layout.addWidget(number)
            layout.addWidget(title)
            self._parts[page] = (number, title)
        layout.addStretch(1)

    def set_page(self, current: str) -> None:
        reached = True
        for page in PAGES:
            number, title = self._parts[page]
            if page == current:
                _paint_badge(number, number.text(), style.ACCENT)
                title.setStyleSheet(f"font-weight: 600; color: {style.TEXT};")
                reached = False
            elif reached:
                _paint_badge(number, number.text(), style.OK)
                title.setStyleSheet(f"color: {style.TEXT};")
            else:
                number.setStyleSheet("background: #e2e8f0; color: #64748b; "
                                     "border-radius: 11px; font-weight: 600;")
                title.setStyleSheet(f"color: {style.MUTED};")


class ButtonRow(QHBoxLayout):
    def __init__(self) -> None:
        super().__init__()
        self.setSpacing(8)


# -- start ---------------------------------------------------------------------------------

class StartPage(QWidget):
    """Pairing-mode instructions, the live hotspot check, and which device to pair."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)

        steps, steps_layout = titled_card("Put the device in pairing mode")
        for number, text in enumerate(PAIRING_MODE_STEPS, 1):
            steps_layout.addLayout(numbered_row(number, text))

        # the live check: what this laptop is connected to, refreshed every second
        self.hotspot_box = QFrame()
        self.hotspot_box.setObjectName("HotspotBox")
        box = QHBoxLayout(self.hotspot_box)
        box.setContentsMargins(12, 10, 12, 10)
        box.setSpacing(10)
        self.hotspot_icon = _badge("")
        self.hotspot_spinner = Spinner(size=20)
        box.addWidget(self.hotspot_icon, 0, Qt.AlignmentFlag.AlignTop)
        box.addWidget(self.hotspot_spinner, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.setSpacing(2)
        self.hotspot_headline = label("")
        self.hotspot_headline.setStyleSheet("font-weight: 600; background: transparent;")
        self.hotspot_detail = label("", "hint", wrap=True)
        self.hotspot_detail.setStyleSheet("background: transparent;")
        text.addWidget(self.hotspot_headline)
        text.addWidget(self.hotspot_detail)
        box.addLayout(text, 1)
        steps_layout.addWidget(self.hotspot_box)
        layout.addWidget(steps)

        self.demo_note = Banner()
        layout.addWidget(self.demo_note)

        choice, choice_layout = titled_card("Device to pair", "section",
                                            margins=(22, 16, 22, 16), spacing=6)
        self.group = QButtonGroup(self)
        self.hotspot_choice = QRadioButton(f"The device on the hotspot ({HOTSPOT_GATEWAY})")
        self.group.addButton(self.hotspot_choice)
        choice_layout.addWidget(self.hotspot_choice)
        self.demo_layout = QVBoxLayout()
        self.demo_layout.setSpacing(6)
        choice_layout.addLayout(self.demo_layout)
        self.demo_choices: dict[str, QRadioButton] = {}
        address_row = QHBoxLayout()
        address_row.setSpacing(8)
        self.address_choice = QRadioButton("Another address:")
        self.group.addButton(self.address_choice)
        address_row.addWidget(self.address_choice)
        self.address = QLineEdit()
        self.address.setPlaceholderText("10.10.7.1")
        self.address.setAccessibleName("Device address")
        self.address.setMaximumWidth(260)
        address_row.addWidget(self.address)
        address_row.addStretch(1)
        choice_layout.addLayout(address_row)
        layout.addWidget(choice)

        buttons = ButtonRow()
        self.problem = label("", "hint", wrap=True)
        buttons.addWidget(self.problem, 1)
        self.next_button = primary_button("Next: Wi-Fi details")
        self.next_button.setMinimumWidth(170)
        buttons.addWidget(self.next_button)
        layout.addLayout(buttons)

    def demo_choice(self, deviceid: str) -> QRadioButton:
        return self.demo_choices[deviceid]

    def render(self, flow: PairingFlow) -> None:
        status = flow.hotspot
        found = status.state in (CONNECTED, WRONG_ROUTE)
        colour = {CONNECTED: style.OK, WRONG_ROUTE: style.WARN}.get(status.state, style.ACCENT)
        background = {CONNECTED: "#f0fdf4", WRONG_ROUTE: "#fffbeb"}.get(status.state, "#f8fafc")
        border = {CONNECTED: "#bbf7d0", WRONG_ROUTE: "#fde68a"}.get(status.state, style.BORDER)
        self.hotspot_box.setStyleSheet(f"QFrame#HotspotBox {{ background: {background}; "
                                       f"border: 1px solid {border}; border-radius: 6px; }}")
        self.hotspot_icon.setVisible(found)
        self.hotspot_spinner.setVisible(not found)
        if found:
            _paint_badge(self.hotspot_icon, "✓" if status.state == CONNECTED else "!", colour)
        self.hotspot_headline.setText(status.headline)
        self.hotspot_detail.setText(status.detail)
        self.hotspot_detail.setVisible(bool(status.detail))

        adapter = f", via {status.adapter}" if status.adapter else ""
        self.hotspot_choice.setText(
            f"The device on the hotspot ({HOTSPOT_GATEWAY}{adapter})" if found else
            f"The device on the hotspot ({HOTSPOT_GATEWAY}) — waiting for the hotspot")

        if flow.demo:
            count = len(flow.demo_devices)
            waiting = (f"{count} simulated Sonoff{'s are' if count != 1 else ' is'} waiting "
                       f"in pairing mode on this laptop" if count else
                       "No simulated device is waiting in pairing mode any more (restart the "
                       "demo site for fresh ones)")
            self.demo_note.show_message(
                f"Demo site: {waiting}. They are not behind a hotspot, so there is nothing to "
                f"join: pick one below. They join the demo site's Wi-Fi network, which the "
                f"next page fills in.", "info")
        else:
            self.demo_note.clear()
        self._render_demo_choices(flow)

        # set the radios without echoing their toggles back into the flow
        radios = [self.hotspot_choice, self.address_choice, *self.demo_choices.values()]
        for radio in radios:
            radio.blockSignals(True)
        self.hotspot_choice.setChecked(flow.source == HOTSPOT)
        self.address_choice.setChecked(flow.source == ADDRESS)
        if flow.source == DEMO and flow.demo_device in self.demo_choices:
            self.demo_choices[flow.demo_device].setChecked(True)
        for radio in radios:
            radio.blockSignals(False)
        if self.address.text() != flow.address:
            self.address.setText(flow.address)
        problem = flow.start_problem
        self.problem.setText(problem)
        self.next_button.setEnabled(not problem)

    def _render_demo_choices(self, flow: PairingFlow) -> None:
        wanted = [deviceid for deviceid, _ in flow.demo_devices]
        if list(self.demo_choices) != wanted:
            for button in self.demo_choices.values():
                self.group.removeButton(button)
                self.demo_layout.removeWidget(button)
                button.hide()
                button.deleteLater()
            self.demo_choices = {}
            for deviceid, url in flow.demo_devices:
                where = url.split("://", 1)[-1]
                button = QRadioButton(f"Simulated Sonoff {deviceid}  (waiting at {where})")
                button.setProperty("deviceid", deviceid)
                self.group.addButton(button)
                self.demo_layout.addWidget(button)
                self.demo_choices[deviceid] = button


# -- Wi-Fi ---------------------------------------------------------------------------------

class WifiPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        frame, inner = titled_card("The site's Wi-Fi network")
        self.device = label("", "subtitle", wrap=True)
        inner.addWidget(self.device)
        self.origin = Banner()
        inner.addWidget(self.origin)

        form = form_layout()
        self.ssid = QLineEdit()
        self.ssid.setAccessibleName("Wi-Fi network name")
        self.ssid.setPlaceholderText("The 2.4 GHz network's name")
        self.ssid_notes = _Notes()
        form.addRow(form_label("Network name (SSID)"),
                    field_with_note(self.ssid, self.ssid_notes))

        password_row = QHBoxLayout()
        password_row.setSpacing(6)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Wi-Fi password")
        self.password.setPlaceholderText("Wi-Fi password")
        self.show_password = QPushButton("Show")
        self.show_password.setCheckable(True)
        self.show_password.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.show_password.setToolTip("Show or hide the Wi-Fi password")
        password_row.addWidget(self.password, 1)
        password_row.addWidget(self.show_password)
        password_box = QWidget()
        password_box.setLayout(password_row)
        password_row.setContentsMargins(0, 0, 0, 0)
        self.password_notes = _Notes()
        form.addRow(form_label("Password"), field_with_note(password_box, self.password_notes))

        self.name = QLineEdit()
        self.name.setAccessibleName("Name for the device")
        self.name.setPlaceholderText("e.g. Kitchen light (optional)")
        self.name_notes = _Notes()
        self.name_notes.set([], [], "How it appears on the account and in Devices.")
        form.addRow(form_label("Name for the device"),
                    field_with_note(self.name, self.name_notes))
        inner.addLayout(form)

        reminder = QHBoxLayout()
        reminder.setSpacing(8)
        reminder_icon = label("ℹ")
        reminder_icon.setStyleSheet(f"color: {style.ACCENT}; font-size: 14px;")
        reminder.addWidget(reminder_icon, 0, Qt.AlignmentFlag.AlignTop)
        reminder.addWidget(label(WIFI_REMINDER + " The details are kept (in the keyring) for "
                                 "the next device on this site.", "hint", wrap=True), 1)
        inner.addLayout(reminder)
        layout.addWidget(frame)

        buttons = ButtonRow()
        self.back_button = QPushButton("Back")
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        self.pair_button = primary_button("Pair device")
        self.pair_button.setMinimumWidth(150)
        buttons.addWidget(self.pair_button)
        layout.addLayout(buttons)

    def render(self, flow: PairingFlow) -> None:
        self.device.setText(f"{flow.device_label} will join this network and reach the "
                            f"eWeLink cloud through it.")
        origin = {"remembered": "Filled in from the last device paired on this site.",
                  "demo": "Demo site: its simulated Wi-Fi network is filled in. Press "
                          "Pair device."}.get(flow.wifi_origin, "")
        self.origin.show_message(origin, "info")
        for widget, value in ((self.ssid, flow.ssid), (self.password, flow.password),
                              (self.name, flow.name)):
            if widget.text() != value:
                widget.setText(value)
        self.password.setEchoMode(QLineEdit.EchoMode.Normal if flow.show_password
                                  else QLineEdit.EchoMode.Password)
        self.show_password.setChecked(flow.show_password)
        self.show_password.setText("Hide" if flow.show_password else "Show")

        errors, warnings = flow.visible_errors, flow.field_warnings
        self.ssid_notes.set(errors["ssid"], warnings["ssid"], flow.ssid_counter)
        self.password_notes.set(errors["password"], warnings["password"], flow.password_rule)
        for widget, name in ((self.ssid, "ssid"), (self.password, "password")):
            invalid = bool(errors[name])
            if widget.property("invalid") != invalid:
                widget.setProperty("invalid", invalid)
                style.polish(widget)
        self.pair_button.setEnabled(flow.can_pair)

    def focus_first_needed(self, flow: PairingFlow) -> None:
        """The field the installer has to type in: the name once the Wi-Fi is known."""
        if not flow.ssid or flow.field_errors["ssid"]:
            target = self.ssid
        elif flow.field_errors["password"] or not flow.password:
            target = self.password
        else:
            target = self.name
        target.setFocus(Qt.FocusReason.OtherFocusReason)
        target.selectAll()


class _Notes(QWidget):
    """Under a field: errors (red), warnings (amber), else a quiet rule or counter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.text = label("", wrap=True)
        layout.addWidget(self.text)

    def set(self, errors: list[str], warnings: list[str], quiet: str) -> None:
        if errors:
            colour, text = style.ERROR, " ".join(errors)
        elif warnings:
            colour, text = style.WARN, " ".join(warnings)
        else:
            colour, text = style.MUTED, quiet
        self.text.setText(text)
        self.text.setStyleSheet(f"color: {colour}; font-size: 12px;")
        self.kind = "error" if errors else "warning" if warnings else "quiet"


# -- progress ------------------------------------------------------------------------------

class StepRow(QWidget):
    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.status = "pending"
        self._deadline_state: StepState | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 5, 0, 5)
        layout.setSpacing(12)
        icon_box = QWidget()
        icon_box.setFixedSize(22, 22)
        self.icon = _badge("", 22)
        self.icon.setParent(icon_box)
        self.spinner = Spinner(icon_box, size=20)
        self.spinner.move(1, 1)
        layout.addWidget(icon_box, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.setSpacing(2)
        top = QHBoxLayout()
        self.title = label(STEP_TITLES[name])
        self.title.setStyleSheet("font-size: 14px;")
        top.addWidget(self.title, 1)
        self.state = label("", "hint")
        self.state.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.state)
        text.addLayout(top)
        self.message = label("", "hint", wrap=True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text.addWidget(self.message)
        self.hint = label("", wrap=True)
        self.hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text.addWidget(self.hint)
        layout.addLayout(text, 1)
        self.render(None)

    def render(self, state: StepState | None, *, not_run: bool = False) -> None:
        """`not_run`: the run stopped, so a pending step will not run this time."""
        status = state.status if state is not None else "pending"
        self.status = status
        glyph, colour, word = STATUS_LOOK.get(status, STATUS_LOOK["pending"])
        if status == "pending" and not_run:
            word = "Not run"
        running = status == "running"
        self.spinner.setVisible(running)
        self.icon.setVisible(not running)
        _paint_badge(self.icon, glyph, colour, hollow=status == "pending")
        self._deadline_state = state if running else None
        self.state.setStyleSheet(f"color: {colour if status != 'pending' else style.MUTED}; "
                                 f"font-size: 12px; font-weight: 600;")
        quiet = status in ("pending", "skipped")
        bold = " font-weight: 600;" if status in ("running", "failed") else ""
        self.title.setStyleSheet(f"font-size: 14px; color: {style.MUTED if quiet else style.TEXT};"
                                 f"{bold}")
        message = state.message if state is not None else ""
        self.message.setText(message)
        # what went wrong reads as text, not as a side note
        self.message.setProperty("role", None if status == "failed" else "hint")
        self.message.setStyleSheet("font-size: 12px;" if status == "failed" else "")
        self.message.setVisible(bool(message))
        hint = state.hint if state is not None and status in ("failed", "warning") else ""
        self.hint.setText(f"What to do: {hint}" if status == "failed" and hint else hint)
        hint_colour = style.ERROR if status == "failed" else "#92400e"
        self.hint.setStyleSheet(f"color: {hint_colour}; font-size: 12px;")
        self.hint.setVisible(bool(hint))
        self._word = word
        self.tick()

    def tick(self) -> None:
        """Refresh the countdown of a running step."""
        state = self._deadline_state
        if state is None:
            self.state.setText(self._word)
            return
        self.state.setText(f"{self._word} · {countdown(state.seconds_left())}")

    @property
    def countdown_text(self) -> str:
        return self.state.text()


class ProgressPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        frame, inner = padded_card((22, 16, 22, 12), 2)
        top = QHBoxLayout()
        self.heading = label("", "heading")
        top.addWidget(self.heading, 1)
        self.overall = label("")
        top.addWidget(self.overall)
        inner.addLayout(top)
        self.device = label("", "hint", wrap=True)
        self.device.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        inner.addWidget(self.device)
        inner.addSpacing(6)
        self.rows: dict[str, StepRow] = {}
        for index, name in enumerate(STEPS):
            if index:
                rule = QFrame()
                rule.setFixedHeight(1)
                rule.setStyleSheet("background: #eef1f5;")
                inner.addWidget(rule)
            row = StepRow(name)
            self.rows[name] = row
            inner.addWidget(row)
        layout.addWidget(frame)

        self.banner = Banner()
        layout.addWidget(self.banner)

        buttons = ButtonRow()
        self.start_over_button = QPushButton("Start over")
        self.edit_button = QPushButton("Change Wi-Fi details")
        buttons.addWidget(self.start_over_button)
        buttons.addWidget(self.edit_button)
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setMinimumWidth(110)
        buttons.addWidget(self.cancel_button)
        self.retry_button = primary_button("Retry")
        self.retry_button.setMinimumWidth(110)
        buttons.addWidget(self.retry_button)
        layout.addLayout(buttons)

    def render(self, flow: PairingFlow) -> None:
        name = flow.name.strip() or "Sonoff"
        self.heading.setText(f"Pairing “{name}”")
        parts = [flow.device_label]
        if flow.identity.get("chipid"):
            parts.append(f"chip {flow.identity['chipid']}")
        parts.append(f"joining Wi-Fi “{flow.ssid}”")
        self.device.setText("  ·  ".join(parts))
        steps = {s.name: s for s in flow.progress.steps} if flow.progress else {}
        stopped = not flow.running and flow.outcome in ("failed", "cancelled")
        for step_name, row in self.rows.items():
            row.render(steps.get(step_name), not_run=stopped)

        running = flow.running
        outcome = flow.outcome
        if running:
            text, colour = ("Cancelling…", style.WARN) if flow.cancelling else ("Working…",
                                                                                style.ACCENT)
        else:
            text, colour = {"failed": ("Stopped", style.ERROR),
                            "cancelled": ("Cancelled", style.MUTED),
                            "done": ("Done", style.OK)}.get(outcome or "", ("", style.MUTED))
        self.overall.setText(text)
        self.overall.setStyleSheet(f"color: {colour}; font-weight: 600;")

        failure = flow.failure if outcome == "failed" else None
        if failure is not None and not flow.failed_step_title:
            # it stopped before any step (not signed in, a bug): no row says why
            hint = f"\nWhat to do: {failure.hint}" if failure.hint else ""
            self.banner.show_message(f"Pairing stopped: {failure.message}{hint}", "error")
        elif outcome == "cancelled":
            self.banner.show_message("Cancelled. Retry continues with the same details; the "
                                     "device is never added to the account twice.", "info")
        else:
            self.banner.clear()  # a failed step says what happened and what to do in its row

        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(not flow.cancelling)
        self.cancel_button.setText("Cancelling…" if flow.cancelling else "Cancel")
        for button in (self.retry_button, self.edit_button, self.start_over_button):
            button.setVisible(stopped)

    def tick(self) -> None:
        for row in self.rows.values():
            if row.status == "running":
                row.tick()


# -- result --------------------------------------------------------------------------------

class ResultPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        frame, inner = padded_card((22, 20, 22, 20), 12)
        top = QHBoxLayout()
        top.setSpacing(14)
        self.icon = _badge("✓", 40)
        self.icon.setStyleSheet(f"background: {style.OK}; color: white; border-radius: 20px; "
                                f"font-weight: 700; font-size: 22px;")
        top.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        titles = QVBoxLayout()
        titles.setSpacing(2)
        self.heading = label("", "title")
        self.heading.setWordWrap(True)
        titles.addWidget(self.heading)
        self.summary = label("", "subtitle", wrap=True)
        titles.addWidget(self.summary)
        top.addLayout(titles, 1)
        inner.addLayout(top)

        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(6)
        self.values: dict[str, QLabel] = {}
        for row, (key, title) in enumerate((("deviceid", "Device ID"), ("chipid", "Chip ID"),
                                            ("model", "Model"), ("cloud", "Cloud"),
                                            ("lan", "LAN"))):
            grid.addWidget(label(title, "hint"), row, 0, Qt.AlignmentFlag.AlignTop)
            value = label("", wrap=True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            grid.addWidget(value, row, 1)
            self.values[key] = value
        grid.setColumnStretch(1, 1)
        inner.addLayout(grid)
        self.warnings = Banner()
        inner.addWidget(self.warnings)
        layout.addWidget(frame)

        self.session = label("", "hint", wrap=True)
        layout.addWidget(self.session)
        buttons = ButtonRow()
        self.show_button = QPushButton("Show in Devices")
        buttons.addWidget(self.show_button)
        buttons.addStretch(1)
        self.another_button = primary_button("Pair another device")
        self.another_button.setMinimumWidth(180)
        buttons.addWidget(self.another_button)
        layout.addLayout(buttons)

    def render(self, flow: PairingFlow) -> None:
        result = flow.result
        if result is None:
            return
        self.heading.setText(f"“{result.name}” is paired")
        self.summary.setText(
            "It is on the account and in the device list. The Wi-Fi details are kept: "
            "press Enter to pair the next device.")
        self.values["deviceid"].setText(result.deviceid)
        self.values["chipid"].setText(flow.identity.get("chipid") or "—")
        self.values["model"].setText(flow.device_model or "—")
        online = result.online
        self.values["cloud"].setText("● Online in the eWeLink cloud" if online
                                     else "Not online yet: it may need another minute")
        self.values["cloud"].setStyleSheet(f"color: {style.OK if online else style.WARN}; "
                                           f"font-weight: 600;")
        if result.lan_url:
            lan = f"● Found on the LAN at {result.lan_url.split('://', 1)[-1]}: LAN control works"
            self.values["lan"].setStyleSheet(f"color: {style.OK}; font-weight: 600;")
        else:
            lan = "Not found on the LAN from this laptop: it is switched through the cloud"
            self.values["lan"].setStyleSheet(f"color: {style.MUTED};")
        self.values["lan"].setText(lan)
        warned = [s for s in (flow.progress.steps if flow.progress else ())
                  if s.status == "warning"]
        self.warnings.show_message("\n".join(f"{s.title}: {s.message} {s.hint}".strip()
                                             for s in warned), "warning")
        count = len(flow.paired)
        names = ", ".join(p.name for p in flow.paired[-6:])
        more = "…, " if count > 6 else ""
        self.session.setText(f"Paired this session: {count} ({more}{names})" if count > 1 else "")
        self.session.setVisible(count > 1)
