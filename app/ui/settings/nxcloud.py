"""Settings → NXCloud: the access key, access secret, app key and WhatsApp business phone.

Like the other secrets, the access secret is write-only here: the field starts empty, says
whether one is stored and where, and a new value goes straight to the secret store (never
the settings file). "Test the keys" runs a quick format check of the business phone with the keys
the site uses: a check NXCloud accepts proves the keys and the signature are right.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

from app.core.errors import SiteKitError
from app.services.site import NXCLOUD_ACCESS_SECRET_KEY
from app.ui import style
from app.ui.messaging.flow import phone_note
from app.ui.settings.common import WriteOnlySecret, save_row, section
from app.ui.tasks import Tasks
from app.ui.widgets import Banner, Spinner, field_with_note, form_label, form_layout, label

if TYPE_CHECKING:
    from app.services.workspace import Workspace

log = logging.getLogger(__name__)

BUSINESS_PHONE_HINT = "The WhatsApp Business number NXCloud sends from; only WhatsApp needs it."


class NxcloudSettingsCard(QWidget):
    """One card; the Settings page forwards `configured` to the main window."""

    configured = Signal()  # keys saved: the Messages screen may now be usable

    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._ws: "Workspace | None" = None
        self.testing = False

        frame, layout = section(
            "NXCloud messages",
            "NXCloud sends residents their PINs and QR codes by SMS or WhatsApp and checks "
            "their numbers. The keys are in the NXCloud console under API settings.")
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)

        self.site_note = Banner()
        layout.addWidget(self.site_note)
        form = form_layout()
        self.access_key = QLineEdit()
        self.access_key.setPlaceholderText("Access key from the NXCloud console")
        self.access_key.setAccessibleName("NXCloud access key")
        form.addRow(form_label("Access key"), self.access_key)
        self.access_secret = QLineEdit()
        self.secret = WriteOnlySecret(self.access_secret, NXCLOUD_ACCESS_SECRET_KEY)
        self.access_secret.setAccessibleName("NXCloud access secret")
        form.addRow(form_label("Access secret"), self.access_secret)
        self.app_key = QLineEdit()
        self.app_key.setPlaceholderText("App key of the SMS / WhatsApp / number-check application")
        self.app_key.setAccessibleName("NXCloud app key")
        form.addRow(form_label("App key"), self.app_key)
        self.business_phone = QLineEdit()
        self.business_phone.setPlaceholderText("+44 7700 900001")
        self.business_phone.setAccessibleName("WhatsApp business phone")
        self.business_phone.textEdited.connect(lambda _: self._business_phone_edited())
        self.business_phone_note = label(BUSINESS_PHONE_HINT, "hint", wrap=True)
        form.addRow(form_label("WhatsApp business phone"),
                    field_with_note(self.business_phone, self.business_phone_note))
        layout.addLayout(form)
        self.keyring_note = Banner()  # only when secrets are not in a system keyring
        layout.addWidget(self.keyring_note)

        test_row = QHBoxLayout()
        test_row.setSpacing(8)
        self.test_button = QPushButton("Test the keys")
        self.test_button.setToolTip("Check the business phone's format through NXCloud with the "
                                    "keys this site uses (saved keys, not the fields above)")
        self.test_button.clicked.connect(self.test)
        test_row.addWidget(self.test_button)
        self.test_spinner = Spinner(size=16)
        self.test_spinner.hide()
        test_row.addWidget(self.test_spinner)
        self.test_result = label("", "hint", wrap=True)
        test_row.addWidget(self.test_result, 1)
        layout.addLayout(test_row)
        self.status, self.save_button = save_row(layout, self.save)

    # -- wiring -----------------------------------------------------------------------

    def attach(self, ws: "Workspace") -> None:
        self._ws = ws
        saved = ws.settings.nxcloud
        self.access_key.setText(saved.access_key)
        self.app_key.setText(saved.app_key)
        self.business_phone.setText(saved.business_phone)
        self._business_phone_edited()
        if ws.profile.key != "real" and ws.messaging.configured:
            self.site_note.show_message(
                f"You are on the {ws.profile.label.lower()}, which brings its own NXCloud "
                "account: “Test the keys” tests that one. What you save here is used for the "
                "real NXCloud.", "info")
        else:
            self.site_note.clear()
        if ws.secrets.is_fallback:
            self.keyring_note.show_message(ws.secrets.location, "warning")
        else:
            self.keyring_note.clear()
        self.status.setText("")
        self._show_test("")
        self.secret.attach(ws.secrets, self._tasks)

    def detach(self) -> None:
        self._ws = None
        self.testing = False

    def _business_phone_edited(self) -> bool:
        """Show what is wrong with the business phone; True when it can be saved."""
        typed = self.business_phone.text()
        note = phone_note(typed)
        if not typed.strip():
            text, error = BUSINESS_PHONE_HINT, False
        elif note.error:
            text, error = note.text, True
        else:
            text, error = f"WhatsApp messages come from {note.text.removeprefix('Sends to ')}", False
        self.business_phone_note.setText(text)
        self.business_phone_note.setProperty("role", "field-error" if error else "hint")
        style.polish(self.business_phone_note)
        if bool(self.business_phone.property("invalid")) != error:
            self.business_phone.setProperty("invalid", error)
            style.polish(self.business_phone)
        return not error

    # -- saving -----------------------------------------------------------------------

    def save(self) -> None:
        ws = self._ws
        if ws is None:
            return
        access_key = self.access_key.text().strip()
        app_key = self.app_key.text().strip()
        secret = self.access_secret.text().strip()
        if (secret or app_key) and not access_key:
            self.status.setText("Enter the access key that goes with these.")
            self.access_key.setFocus()
            return
        if access_key and not app_key:
            self.status.setText("Enter the app key too: every NXCloud call names the application.")
            self.app_key.setFocus()
            return
        if not self._business_phone_edited():
            self.status.setText("Correct the business phone first (or leave it empty).")
            self.business_phone.setFocus()
            return
        phone = phone_note(self.business_phone.text()).digits or ""
        self.save_button.setEnabled(False)
        self._tasks.spawn(self._save(ws, access_key, app_key, phone, secret or None),
                          name="settings: save nxcloud")

    async def _save(self, ws: "Workspace", access_key: str, app_key: str, phone: str,
                    secret: str | None) -> None:
        from app.services.connections import save_nxcloud

        self.secret.writing()
        try:
            await save_nxcloud(ws, access_key=access_key, app_key=app_key,
                               business_phone=phone, access_secret=secret)
        except (SiteKitError, OSError) as exc:
            text = exc.user_text() if isinstance(exc, SiteKitError) else str(exc)
            self.status.setText(f"Not saved: {text}")
            return
        except Exception as exc:  # keyring backends raise their own types
            log.exception("saving the NXCloud account failed")
            self.status.setText(f"Not saved: {type(exc).__name__}. The log has the details.")
            return
        finally:
            self.save_button.setEnabled(True)
        self.access_secret.clear()
        if secret:
            self.secret.set_stored(True)
        if self._ws is not ws:
            return
        if ws.profile.key != "real" and self.site_note.text():
            self.status.setText("Saved for the real NXCloud.")
        elif not ws.messaging.configured:
            self.status.setText("Saved. Messages need the access key, access secret and app key.")
        else:
            self.status.setText("Saved. Use Test to check the keys.")
        self.configured.emit()

    # -- testing ----------------------------------------------------------------------

    def test(self) -> None:
        ws = self._ws
        if ws is None or self.testing:
            return
        if not ws.messaging.configured:
            self._show_test("✖ Save the access key, access secret and app key first.", "error")
            return
        phone = ws.messaging.business_phone
        if not phone:
            self._show_test("✖ Save the WhatsApp business phone first: Test checks it.", "error")
            return
        self.testing = True
        self.test_button.setEnabled(False)
        self.test_spinner.show()
        self._show_test("Asking NXCloud…")
        self._tasks.spawn(self._test(ws, phone), name="settings: test nxcloud")

    async def _test(self, ws: "Workspace", phone: str) -> None:
        from app.services.connections import test_saved_nxcloud

        try:
            outcome = await test_saved_nxcloud(ws)
        except SiteKitError as exc:
            shown = (f"✖ {exc.user_text()}", "error")
        except Exception as exc:  # noqa: BLE001 - the card says so; the log has the rest
            log.exception("testing the NXCloud keys failed")
            shown = (f"✖ {type(exc).__name__}. The log has the details.", "error")
        else:
            shown = ((f"⚠ The keys work, but: {outcome.summary} {outcome.warning}", "warning")
                     if outcome.warning else (f"✔ The keys work. {outcome.summary}", "ok"))
        finally:
            self.testing = False
            self.test_button.setEnabled(True)
            self.test_spinner.hide()
        if self._ws is ws:
            self._show_test(*shown)

    def _show_test(self, text: str, kind: str = "") -> None:
        colours = {"ok": style.OK, "error": style.ERROR, "warning": style.WARN}
        self.test_result.setText(text)
        colour = colours.get(kind)
        self.test_result.setStyleSheet(f"color: {colour};" if colour else "")
