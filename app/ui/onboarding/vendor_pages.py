"""The wizard's "Connect NEXhome" and "Connect NXCloud" pages.

One page class for both: what the credentials are and where to find them, the fields, and
"Test and save", which tests the typed values first and saves only what worked (or, after a
failed test, what the user chose to "Save anyway", with the reason still in view). Testing
and saving are `app.services.connections`, the same code as the Settings cards. The page
renders `VendorConnectFlow` and runs its own tasks.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.core.errors import SiteKitError
from app.services import connections
from app.ui import style
from app.ui.messaging.flow import phone_note
from app.ui.onboarding.vendor_flow import (DONE, FAILED, NEXHOME, NXCLOUD, SAVING, SPECS,
                                           TESTING, VendorConnectFlow, VendorSpec)
from app.ui.tasks import Tasks
from app.ui.widgets import (Banner, Spinner, field_with_note, form_label, form_layout, label,
                            numbered_row, primary_button)

if TYPE_CHECKING:
    from app.services.workspace import Workspace

log = logging.getLogger(__name__)

SECRET_KEYS = {NEXHOME: connections.NEXHOME_APP_SECRET_KEY,
               NXCLOUD: connections.NXCLOUD_ACCESS_SECRET_KEY}


def saved_values(ws: "Workspace", vendor: str) -> dict[str, str]:
    """What Settings holds for the vendor: the page starts from it (secrets never shown)."""
    if vendor == NEXHOME:
        saved = ws.settings.nexhome
        return {"api": saved.api, "developer_id": saved.developer_id, "app_id": saved.app_id}
    saved = ws.settings.nxcloud
    phone = saved.business_phone
    return {"access_key": saved.access_key, "app_key": saved.app_key,
            "business_phone": f"+{phone}" if phone.isdigit() else phone}


class VendorConnectPage(QWidget):
    connected = Signal()  # Continue after a save, or on the demo site
    skipped = Signal()
    back_requested = Signal()

    def __init__(self, vendor: str, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec: VendorSpec = SPECS[vendor]
        self.vendor = vendor
        self.flow = VendorConnectFlow()
        self._tasks = tasks
        self._ws: "Workspace | None" = None
        self._attempt = 0  # a result for an older start (or site) must not land here

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        self.title = label(self.spec.title, "title")
        layout.addWidget(self.title)
        layout.addWidget(label(self.spec.intro, "subtitle", wrap=True))
        self.demo_note = Banner()
        layout.addWidget(self.demo_note)

        self.steps = QWidget()
        steps = QVBoxLayout(self.steps)
        steps.setContentsMargins(0, 2, 0, 2)
        steps.setSpacing(7)
        steps.addWidget(label("Where to find them", "section"))
        for number, text in enumerate(self.spec.steps, 1):
            steps.addLayout(numbered_row(number, text))
        layout.addWidget(self.steps)

        self.form = QWidget()
        form = form_layout()
        self.form.setLayout(form)
        form.setContentsMargins(0, 4, 0, 0)
        self.fields: dict[str, QLineEdit] = {}
        self.notes: dict[str, QLabel] = {}
        for spec in self.spec.fields:
            edit = QLineEdit()
            edit.setAccessibleName(f"{self.spec.name} {spec.label}")
            edit.setPlaceholderText(spec.placeholder or ("Optional" if spec.optional else ""))
            if spec.secret:
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.textEdited.connect(lambda text, name=spec.name: self._edited(name, text))
            edit.returnPressed.connect(self.test_and_save)
            self.fields[spec.name] = edit
            if spec.note:
                note = label(spec.note, "hint", wrap=True)
                self.notes[spec.name] = note
                form.addRow(form_label(spec.label), field_with_note(edit, note))
            else:
                form.addRow(form_label(spec.label), edit)
        layout.addWidget(self.form)

        self.result = Banner()  # the test's outcome, or why saving failed
        layout.addWidget(self.result)
        self.after_note = label(self.spec.after_note, "hint", wrap=True)
        layout.addWidget(self.after_note)

        layout.addSpacing(4)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        self.back_button = QPushButton("Back")
        self.back_button.clicked.connect(self.back_requested.emit)
        buttons.addWidget(self.back_button)
        self.skip_button = QPushButton("Not now")
        self.skip_button.setToolTip(f"Skip {self.spec.name} for now; Settings has the same "
                                    "fields later.")
        self.skip_button.clicked.connect(self.skipped.emit)
        buttons.addWidget(self.skip_button)
        buttons.addStretch(1)
        self.spinner = Spinner()
        buttons.addWidget(self.spinner)
        self.busy_label = label("", "hint")
        buttons.addWidget(self.busy_label)
        self.save_anyway_button = QPushButton("Save anyway")
        self.save_anyway_button.setToolTip("Save these values although the test failed (for "
                                           f"example when {self.spec.name} cannot be reached "
                                           "from here)")
        self.save_anyway_button.clicked.connect(self.save_anyway)
        buttons.addWidget(self.save_anyway_button)
        self.demo_test_button = QPushButton("Test the demo connection")
        self.demo_test_button.clicked.connect(self.test_and_save)
        buttons.addWidget(self.demo_test_button)
        self.test_button = primary_button("Test and save")
        self.test_button.setMinimumWidth(120)
        self.test_button.clicked.connect(self.test_and_save)
        buttons.addWidget(self.test_button)
        self.continue_button = primary_button("Continue")
        self.continue_button.setMinimumWidth(100)
        self.continue_button.clicked.connect(self.connected.emit)
        buttons.addWidget(self.continue_button)
        layout.addLayout(buttons)

        self.flow.on_change(self.render)
        self.render()

    # -- wiring -----------------------------------------------------------------------

    def start(self, ws: "Workspace", *, back: bool) -> None:
        self._ws = ws
        self._attempt += 1
        simulated = ws.profile.is_simulated and self._site_endpoints(ws) is not None
        values = {} if simulated else saved_values(ws, self.vendor)
        for name, edit in self.fields.items():
            edit.setText(values.get(name, ""))
        self.flow.start(simulated=simulated, back=back, values=values)
        self._phone_edited()
        if not simulated:
            self._tasks.spawn(self._load_secret_state(ws, self._attempt),
                              name=f"onboarding: {self.vendor} secret state")

    def stop(self) -> None:
        """Leaving the page: results still on their way are dropped."""
        self._attempt += 1

    def _site_endpoints(self, ws: "Workspace"):
        return ws.profile.nexhome if self.vendor == NEXHOME else ws.profile.nxcloud

    async def _load_secret_state(self, ws: "Workspace", attempt: int) -> None:
        stored = bool(await connections.stored_secret(ws, SECRET_KEYS[self.vendor]))
        if attempt == self._attempt:
            self.flow.set_secret_stored(stored)

    def _edited(self, name: str, text: str) -> None:
        self.flow.edit(name, text)
        if name == "business_phone":
            self._phone_edited()

    def _phone_edited(self) -> bool:
        """The business phone's note; True when it can be used (empty is fine)."""
        edit = self.fields.get("business_phone")
        if edit is None:
            return True
        typed = edit.text()
        note = phone_note(typed)
        error = bool(typed.strip()) and note.error
        text = (note.text if error else
                f"WhatsApp messages come from {note.text.removeprefix('Sends to ')}."
                if typed.strip() else self.spec.fields[-1].note)
        note_label = self.notes["business_phone"]
        note_label.setText(text)
        note_label.setProperty("role", "field-error" if error else "hint")
        style.polish(note_label)
        if bool(edit.property("invalid")) != error:
            edit.setProperty("invalid", error)
            style.polish(edit)
        return not error

    # -- actions ----------------------------------------------------------------------

    def _typed(self) -> dict[str, str]:
        return {name: edit.text().strip() for name, edit in self.fields.items()}

    def _problem(self, typed: dict[str, str]) -> str:
        need_secret = not self.flow.secret_stored
        if self.vendor == NEXHOME:
            return connections.check_nexhome_fields(typed["api"], typed["developer_id"],
                                                    typed["app_id"], typed["app_secret"],
                                                    need_secret=need_secret)
        problem = connections.check_nxcloud_fields(typed["access_key"], typed["app_key"],
                                                   typed["access_secret"],
                                                   need_secret=need_secret)
        if not problem and not self._phone_edited():
            problem = "Correct the business phone (or leave it empty)."
        return problem

    def test_and_save(self) -> None:
        ws = self._ws
        if ws is None or not self.flow.can_test:
            return
        typed = {} if self.flow.simulated else self._typed()
        if not self.flow.simulated:
            problem = self._problem(typed)
            if problem:
                self.result.show_message(problem, "warning")
                return
        if not self.flow.begin_test():
            return
        self._tasks.spawn(self._test_and_save(ws, typed, self._attempt),
                          name=f"onboarding: test {self.vendor}")

    def save_anyway(self) -> None:
        ws = self._ws
        if ws is None:
            return
        typed = self._typed()
        if self._problem(typed) or not self.flow.save_anyway():
            return
        self._tasks.spawn(self._save(ws, typed, self._attempt),
                          name=f"onboarding: save {self.vendor}")

    async def _test_and_save(self, ws: "Workspace", typed: dict[str, str], attempt: int) -> None:
        try:
            if self.flow.simulated:
                outcome = await (connections.test_saved_nexhome(ws) if self.vendor == NEXHOME
                                 else connections.test_saved_nxcloud(ws))
            else:
                outcome = await self._test_typed(ws, typed)
        except SiteKitError as exc:
            if attempt == self._attempt:
                self.flow.test_failed(exc.user_text())
            return
        except Exception as exc:  # a bug, but the page must not stay busy
            log.exception("testing the %s connection failed unexpectedly", self.spec.name)
            if attempt == self._attempt:
                self.flow.test_failed(f"The test failed unexpectedly ({type(exc).__name__}). "
                                      "The log has the details.")
            return
        if attempt != self._attempt:
            return
        self.flow.test_passed(outcome.summary, outcome.warning)
        if not self.flow.simulated:
            await self._save(ws, typed, attempt)

    async def _test_typed(self, ws: "Workspace", typed: dict[str, str]):
        secret_name = "app_secret" if self.vendor == NEXHOME else "access_secret"
        secret = typed[secret_name] or await connections.stored_secret(
            ws, SECRET_KEYS[self.vendor])
        if self.vendor == NEXHOME:
            return await connections.test_nexhome(ws.session, ws.clock, typed["api"],
                                                  typed["developer_id"], typed["app_id"], secret)
        phone = phone_note(typed["business_phone"]).digits or ""
        return await connections.test_nxcloud(ws.session, ws.clock, ws.settings.nxcloud.api,
                                              typed["access_key"], secret, typed["app_key"], phone)

    async def _save(self, ws: "Workspace", typed: dict[str, str], attempt: int) -> None:
        try:
            if self.vendor == NEXHOME:
                await connections.save_nexhome(ws, api=typed["api"],
                                               developer_id=typed["developer_id"],
                                               app_id=typed["app_id"],
                                               app_secret=typed["app_secret"] or None)
            else:
                await connections.save_nxcloud(
                    ws, access_key=typed["access_key"], app_key=typed["app_key"],
                    business_phone=phone_note(typed["business_phone"]).digits or "",
                    access_secret=typed["access_secret"] or None)
        except Exception as exc:  # noqa: BLE001 - keyring backends raise their own types
            log.warning("saving the %s credentials failed: %s", self.spec.name,
                        type(exc).__name__)
            text = exc.user_text() if isinstance(exc, SiteKitError) else type(exc).__name__
            if attempt == self._attempt:
                self.flow.save_error(f"Not saved: {text}")
            return
        if attempt != self._attempt:
            return
        for name, spec in zip(self.fields, self.spec.fields):
            if spec.secret:
                self.fields[name].clear()
        self.flow.secret_stored = self.flow.secret_stored or bool(
            typed.get("app_secret") or typed.get("access_secret"))
        self.flow.saved()

    # -- rendering --------------------------------------------------------------------

    def render(self) -> None:
        flow = self.flow
        name = self.spec.name
        simulated, done, busy = flow.simulated, flow.state == DONE, flow.busy

        site = self._ws.profile.label.lower() if self._ws is not None else "demo site"
        self.demo_note.show_message(self.spec.demo_note.format(site=site) if simulated else "",
                                    "info")
        self.steps.setVisible(not simulated and not done)
        self.form.setVisible(not simulated and not done)
        for edit in self.fields.values():
            edit.setEnabled(not busy)
        self._show_secret_placeholder()

        if busy:
            self.result.clear()
        elif done and flow.saved_untested:
            self.result.show_message(f"<b>Saved without a working test.</b> {flow.error} "
                                     "Settings has these values to correct later.", "warning")
        elif done:
            warning = f" {flow.warning}" if flow.warning else ""
            self.result.show_message(f"<b>Connected and saved.</b> {flow.summary}{warning}",
                                     "warning" if flow.warning else "success")
        elif flow.state == FAILED and flow.save_failed:
            self.result.show_message(flow.error, "error")
        elif flow.state == FAILED:
            self.result.show_message(f"<b>Not connected.</b> {flow.error}", "error")
        elif simulated and flow.demo_tested:
            warning = f" {flow.warning}" if flow.warning else ""
            self.result.show_message(f"<b>The demo connection works.</b> {flow.summary}{warning}",
                                     "success")
        else:
            self.result.clear()
        # the demo building has its subscription on; a real app may not
        self.after_note.setVisible(bool(self.spec.after_note) and done)
        self.title.setText(f"{name} is connected" if done and not flow.saved_untested
                           else self.spec.title)

        self.spinner.setVisible(busy)
        self.busy_label.setVisible(busy)
        self.busy_label.setText(f"Testing with {name}…" if flow.state == TESTING
                                else "Saving…" if flow.state == SAVING else "")
        self.back_button.setVisible(flow.can_go_back and not done)
        self.skip_button.setVisible(not done)
        for button in (self.back_button, self.skip_button):
            button.setEnabled(not busy)
        self.save_anyway_button.setVisible(flow.can_save_anyway)
        self.demo_test_button.setVisible(simulated)
        self.demo_test_button.setEnabled(flow.can_test)
        self.demo_test_button.setText("Test again" if flow.demo_tested or flow.state == FAILED
                                      else "Test the demo connection")
        self.test_button.setVisible(not simulated and not done)
        self.test_button.setEnabled(flow.can_test)
        self.test_button.setText("Test again and save" if flow.state == FAILED
                                 else "Test and save")
        self.continue_button.setVisible(simulated or done)
        self.continue_button.setEnabled(not busy)
        default = self.continue_button if (simulated or done) else self.test_button
        default.setDefault(True)

    def _show_secret_placeholder(self) -> None:
        from app.ui.settings.common import secret_place

        ws = self._ws
        place = secret_place(ws.secrets) if ws is not None else "the system keyring"
        for spec in self.spec.fields:
            if spec.secret:
                edit = self.fields[spec.name]
                edit.setPlaceholderText("•••••••• saved · leave empty to keep it"
                                        if self.flow.secret_stored else "")
                edit.setToolTip(f"Kept in {place}, never in the settings file.")


def connect_pages(tasks: Tasks) -> dict[str, VendorConnectPage]:
    return {vendor: VendorConnectPage(vendor, tasks) for vendor in (NEXHOME, NXCLOUD)}

