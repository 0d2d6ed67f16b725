"""Settings → NEXhome: the developer and app credentials of the intercom cloud.

NEXhome issues a developer ID, an app ID and an app secret per integrating app; the API
address comes with them. The secret is write-only here, like the other vendors' secrets:
the field says whether one is stored and where, and a new value goes straight to the
secret store. "Test" signs one request with what is in the fields (saved or not), so a
typo shows up before anyone stands at a door.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

from app.core.errors import SiteKitError
from app.services.site import NEXHOME_APP_SECRET_KEY
from app.ui.settings.common import WriteOnlySecret, save_row, section
from app.ui.tasks import Tasks
from app.ui.widgets import Banner, form_label, form_layout

if TYPE_CHECKING:
    from app.services.workspace import Workspace

log = logging.getLogger(__name__)


class NexhomeSection(QWidget):
    configured = Signal()  # credentials saved: screens using NEXhome may load again

    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._ws: "Workspace | None" = None

        frame, layout = section(
            "NEXhome intercoms and access control",
            "NEXhome issues a developer ID, an app ID and an app secret to each integrating "
            "app (NEXhome open platform → Application Management). SiteKit signs every "
            "request with them.")
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)

        self.site_note = Banner()
        layout.addWidget(self.site_note)
        form = form_layout()
        self.api = QLineEdit()
        self.api.setPlaceholderText("https://… (the API address NEXhome gave with the credentials)")
        self.api.setAccessibleName("NEXhome API address")
        form.addRow(form_label("API address"), self.api)
        self.developer_id = QLineEdit()
        self.developer_id.setAccessibleName("NEXhome developer ID")
        form.addRow(form_label("Developer ID"), self.developer_id)
        self.app_id = QLineEdit()
        self.app_id.setAccessibleName("NEXhome app ID")
        form.addRow(form_label("App ID"), self.app_id)
        self.app_secret = QLineEdit()
        self.app_secret.setAccessibleName("NEXhome app secret")
        form.addRow(form_label("App secret"), self.app_secret)
        self.secret = WriteOnlySecret(self.app_secret, NEXHOME_APP_SECRET_KEY)
        layout.addLayout(form)
        self.result = Banner()
        layout.addWidget(self.result)
        self.keyring_note = Banner()
        layout.addWidget(self.keyring_note)
        self.status, self.save_button = save_row(layout, self.save)
        self.test_button = QPushButton("Test")
        self.test_button.setToolTip("Sign one request with these values and list the devices")
        self.test_button.clicked.connect(self.test)
        row = layout.itemAt(layout.count() - 1).layout()  # the save row: Test sits left of Save
        row.insertWidget(row.count() - 1, self.test_button)

    # -- wiring -----------------------------------------------------------------------

    def attach(self, ws: "Workspace") -> None:
        self._ws = ws
        nexhome = ws.settings.nexhome
        self.api.setText(nexhome.api)
        self.developer_id.setText(nexhome.developer_id)
        self.app_id.setText(nexhome.app_id)
        self.result.clear()
        self.status.setText("")
        if ws.profile.is_simulated and ws.profile.nexhome is not None:
            self.site_note.show_message(
                f"You are on the {ws.profile.label.lower()}, which brings its own NEXhome "
                "building. What you save here is used for the real NEXhome cloud.", "info")
        else:
            self.site_note.clear()
        if ws.secrets.is_fallback:
            self.keyring_note.show_message(ws.secrets.location, "warning")
        else:
            self.keyring_note.clear()
        self.secret.attach(ws.secrets, self._tasks)

    def detach(self) -> None:
        self._ws = None

    # -- the fields -------------------------------------------------------------------

    def _fields(self) -> tuple[str, str, str] | None:
        from app.services.connections import check_nexhome_fields

        api = self.api.text().strip().rstrip("/")
        developer_id, app_id = self.developer_id.text().strip(), self.app_id.text().strip()
        problem = check_nexhome_fields(api, developer_id, app_id)
        if problem:
            self.status.setText(problem)
            return None
        return api, developer_id, app_id

    # -- actions ----------------------------------------------------------------------

    def save(self) -> None:
        ws = self._ws
        fields = self._fields()
        if ws is None or fields is None:
            return
        self.save_button.setEnabled(False)
        self._tasks.spawn(self._save(ws, *fields, self.app_secret.text().strip() or None),
                          name="settings: save nexhome")

    async def _save(self, ws: "Workspace", api: str, developer_id: str, app_id: str,
                    secret: str | None) -> None:
        from app.services.connections import save_nexhome

        self.secret.writing()
        try:
            await save_nexhome(ws, api=api, developer_id=developer_id, app_id=app_id,
                               app_secret=secret)
        except Exception as exc:  # noqa: BLE001 - keyring backends raise their own types
            log.warning("saving the NEXhome credentials failed: %s", type(exc).__name__)
            text = exc.user_text() if isinstance(exc, SiteKitError) else type(exc).__name__
            self.status.setText(f"Not saved: {text}")
            return
        finally:
            self.save_button.setEnabled(True)
        self.app_secret.clear()
        if secret:
            self.secret.set_stored(True)
        self.status.setText("Saved for the real NEXhome cloud." if ws.profile.is_simulated
                            else "Saved.")
        self.configured.emit()

    def test(self) -> None:
        ws = self._ws
        fields = self._fields()
        if ws is None or fields is None:
            return
        self.test_button.setEnabled(False)
        self.result.show_message("Testing…", "info")
        self._tasks.spawn(self._test(ws, *fields, self.app_secret.text().strip()),
                          name="settings: test nexhome")

    async def _test(self, ws: "Workspace", api: str, developer_id: str, app_id: str,
                    typed_secret: str) -> None:
        from app.services.connections import (NEXHOME_APP_SECRET_KEY, stored_secret,
                                              test_nexhome)

        try:
            secret = typed_secret or await stored_secret(ws, NEXHOME_APP_SECRET_KEY)
            if not secret:
                self.result.show_message("Enter the app secret to test (it is not stored yet).",
                                         "warning")
                return
            outcome = await test_nexhome(ws.session, ws.clock, api, developer_id, app_id, secret)
        except SiteKitError as exc:
            self.result.show_message(f"<b>Not connected.</b> {exc.user_text()}", "error")
        except Exception as exc:  # noqa: BLE001 - the card says so; the log has the rest
            log.exception("testing the NEXhome credentials failed")
            self.result.show_message(f"<b>Not connected.</b> {type(exc).__name__}.", "error")
        else:
            self.result.show_message(f"<b>Connected.</b> {outcome.summary}", "success")
        finally:
            self.test_button.setEnabled(True)
