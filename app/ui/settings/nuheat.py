"""Settings → Nuheat: the account, the client ID and secret, °C or °F.

Like the eWeLink app secret, the client secret is write-only here: the field starts
empty, says whether one is stored and where, and a new value goes straight to the secret
store (never the settings file).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLineEdit, QPushButton, QWidget

from app.core.errors import SiteKitError
from app.services.site import NUHEAT_CLIENT_SECRET_KEY
from app.ui.settings.common import WriteOnlySecret, save_row, section
from app.ui.tasks import Tasks
from app.ui.widgets import Banner, form_label, form_layout, label, link_button, primary_button

if TYPE_CHECKING:
    from app.services.workspace import Workspace

log = logging.getLogger(__name__)

UNITS = {"C": "°C (Celsius)", "F": "°F (Fahrenheit)"}


class NuheatSection(QWidget):
    """One card; the Settings page forwards its signals to the main window."""

    sign_in_requested = Signal()
    sign_out_requested = Signal()
    configured = Signal()  # the client ID or secret changed: a waiting sign-in may go on
    temperature_unit_changed = Signal(str)  # "C" or "F"

    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._ws: "Workspace | None" = None
        self._email = ""

        frame, layout = section(
            "Nuheat thermostats",
            "Nuheat issues a client ID to each integrator (and, for a confidential client, a "
            "client secret). SiteKit signs in to Nuheat in the browser with them.")
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)

        layout.addSpacing(2)
        row = QHBoxLayout()
        self.account_text = label("", wrap=True)
        self.account_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.account_text, 1)
        self.sign_out_button = QPushButton("Sign out of Nuheat")
        self.sign_out_button.clicked.connect(self._sign_out)
        self.sign_in_button = primary_button("Sign in to Nuheat…")
        self.sign_in_button.clicked.connect(self.sign_in_requested.emit)
        row.addWidget(self.sign_out_button)
        row.addWidget(self.sign_in_button)
        layout.addLayout(row)
        rule = QFrame()
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setStyleSheet("color: #e2e8f0;")
        layout.addWidget(rule)

        self.site_note = Banner()
        layout.addWidget(self.site_note)
        form = form_layout()
        self.client_id = QLineEdit()
        self.client_id.setPlaceholderText("Client ID from Nuheat")
        self.client_id.setAccessibleName("Nuheat client ID")
        form.addRow(form_label("Client ID"), self.client_id)
        self.client_secret = QLineEdit()
        self.client_secret.setAccessibleName("Nuheat client secret")
        secret_box = QWidget()
        secret_layout = QHBoxLayout(secret_box)
        secret_layout.setContentsMargins(0, 0, 0, 0)
        secret_layout.addWidget(self.client_secret, 1)
        self.forget_secret_link = link_button("Remove")
        self.forget_secret_link.setToolTip("Forget the stored secret (a public client signs in "
                                           "with PKCE only)")
        self.forget_secret_link.clicked.connect(self.forget_secret)
        secret_layout.addWidget(self.forget_secret_link)
        form.addRow(form_label("Client secret"), secret_box)
        self.secret = WriteOnlySecret(self.client_secret, NUHEAT_CLIENT_SECRET_KEY,
                                      empty_text="None · only for a confidential client",
                                      on_change=self.forget_secret_link.setVisible)
        self.unit = QComboBox()
        for code, text in UNITS.items():
            self.unit.addItem(text, code)
        self.unit.setAccessibleName("Temperature unit")
        self.unit.setFixedWidth(170)
        form.addRow(form_label("Temperatures in"), self.unit)
        layout.addLayout(form)
        self.unit_hint = label("When signed in, SiteKit follows the Nuheat account's own °C/°F "
                               "choice; this one is used otherwise.", "hint", wrap=True)
        layout.addWidget(self.unit_hint)
        self.keyring_note = Banner()  # only when secrets are not in a system keyring
        layout.addWidget(self.keyring_note)
        self.status, self.save_button = save_row(layout, self.save)

    # -- wiring -----------------------------------------------------------------------

    def attach(self, ws: "Workspace") -> None:
        self._ws = ws
        settings = ws.settings
        self.client_id.setText(settings.nuheat.client_id)
        index = self.unit.findData(settings.temperature_unit.upper())
        self.unit.setCurrentIndex(max(index, 0))
        if ws.profile.nuheat is not None and ws.profile.nuheat.demo_credentials is not None:
            self.site_note.show_message(
                f"You are on the {ws.profile.label.lower()}, which brings its own Nuheat client. "
                "What you save here is used for the real Nuheat cloud.", "info")
        else:
            self.site_note.clear()
        if ws.secrets.is_fallback:
            self.keyring_note.show_message(ws.secrets.location, "warning")
        else:
            self.keyring_note.clear()
        self.status.setText("")
        self.secret.attach(ws.secrets, self._tasks)
        self.refresh()

    def detach(self) -> None:
        self._ws = None
        self._email = ""

    def refresh(self) -> None:
        """Show who is signed in; call after a Nuheat sign-in or sign-out."""
        ws = self._ws
        if ws is None:
            return
        signed_in = ws.nuheat.signed_in
        if signed_in:
            who = f"<b>{self._email}</b>" if self._email else "your Nuheat account"
            self.account_text.setText(f"Signed in as {who} · {ws.profile.label}")
            if not self._email:
                self._tasks.spawn(self._load_email(ws), name="settings: nuheat account")
        else:
            self._email = ""
            self.account_text.setText(f"Not signed in to Nuheat · {ws.profile.label}")
        self.sign_out_button.setVisible(signed_in)
        self.sign_out_button.setEnabled(True)
        self.sign_in_button.setVisible(not signed_in)

    async def _load_email(self, ws: "Workspace") -> None:
        client = ws.nuheat.client
        if client is None:
            return
        try:
            account = await client.account()
        except SiteKitError as exc:
            log.info("Nuheat account details not read: %s", exc)
            return
        if self._ws is ws and ws.nuheat.signed_in and account.email:
            self._email = account.email
            self.refresh()

    # -- actions ----------------------------------------------------------------------

    def _sign_out(self) -> None:
        self.sign_out_button.setEnabled(False)  # until refresh() shows the result
        self.sign_out_requested.emit()

    def save(self) -> None:
        ws = self._ws
        if ws is None:
            return
        client_id = self.client_id.text().strip()
        secret = self.client_secret.text().strip()
        if secret and not client_id:
            self.status.setText("Enter the client ID that goes with this secret.")
            return
        unit = self.unit.currentData()
        self.save_button.setEnabled(False)
        self._tasks.spawn(self._save(ws, client_id, secret or None, unit),
                          name="settings: save nuheat")

    def forget_secret(self) -> None:
        ws = self._ws
        if ws is not None:
            self._tasks.spawn(self._save(ws, ws.settings.nuheat.client_id, "",
                                         ws.settings.temperature_unit),
                              name="settings: forget nuheat secret")

    async def _save(self, ws: "Workspace", client_id: str, secret: str | None, unit: str) -> None:
        changed_client = (client_id != ws.settings.nuheat.client_id) or secret is not None
        changed_unit = unit != ws.settings.temperature_unit
        ws.settings.temperature_unit = unit  # written with the client below: one file write
        self.secret.writing()
        try:
            # settings file + keyring: blocking, so off the loop
            await asyncio.to_thread(ws.nuheat.configure, client_id=client_id,
                                    client_secret=secret)
        except (SiteKitError, OSError) as exc:
            text = exc.user_text() if isinstance(exc, SiteKitError) else str(exc)
            self.status.setText(f"Not saved: {text}")
            return
        except Exception as exc:  # keyring backends raise their own types
            log.exception("saving the Nuheat client failed")
            self.status.setText(f"Not saved: {type(exc).__name__}. The log has the details.")
            return
        finally:
            self.save_button.setEnabled(True)
        self.client_secret.clear()
        if secret is not None:
            self.secret.set_stored(bool(secret))
        simulated = ws.profile.nuheat is not None and ws.profile.nuheat.demo_credentials is not None
        if secret == "":
            self.status.setText("Client secret removed.")
        elif changed_client and simulated:
            self.status.setText("Saved for the real Nuheat cloud.")
        elif changed_client and ws.nuheat.signed_in:
            self.status.setText("Saved. The new client is used the next time you sign in.")
        else:
            self.status.setText("Saved.")
        if changed_client:
            self.configured.emit()
        if changed_unit:
            self.temperature_unit_changed.emit(unit)
