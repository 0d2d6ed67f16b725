"""Settings: the eWeLink app credentials, the account, where secrets live, Nuheat, NEXhome,
NXCloud, the network.

The app secret is write-only here: the field starts empty whatever is stored, says
whether one is saved, and a new value goes straight to the secret store. The Nuheat,
NEXhome and NXCloud cards are their own modules (`nuheat.py`, `nexhome.py`, `nxcloud.py`);
their signals are forwarded here.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLineEdit, QPushButton,
                               QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from app.core.errors import SiteKitError
from app.ui.onboarding.flow import REGIONS, region_label
from app.ui.settings.common import save_row as _save_row
from app.ui.settings.common import section as _section
from app.ui.settings.nuheat import NuheatSection
from app.ui.settings.nexhome import NexhomeSection
from app.ui.settings.nxcloud import NxcloudSettingsCard
from app.ui.tasks import Tasks
from app.ui.widgets import Banner, Page, form_label, form_layout, label, primary_button

if TYPE_CHECKING:
    from app.services.workspace import Workspace

log = logging.getLogger(__name__)


class SettingsPage(Page):
    sign_out_requested = Signal()
    sign_in_requested = Signal()
    nuheat_sign_in_requested = Signal()
    nuheat_sign_out_requested = Signal()
    nuheat_configured = Signal()  # client ID or secret saved
    temperature_unit_changed = Signal(str)  # "C" or "F"
    nxcloud_configured = Signal()  # NXCloud keys saved
    nexhome_configured = Signal()  # NEXhome credentials saved

    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__("Settings", parent=parent)
        self._tasks = tasks
        self._ws: "Workspace | None" = None
        self._secret_writes = 0

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        body.setObjectName("ScrollBody")
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 8, 0)
        column.setSpacing(14)
        scroll.setWidget(body)
        self.body.addWidget(scroll, 1)

        # account
        account, layout = _section("eWeLink account")
        row = QHBoxLayout()
        self.account_text = label("", wrap=True)
        row.addWidget(self.account_text, 1)
        self.sign_out_button = QPushButton("Sign out")
        self.sign_out_button.clicked.connect(self.sign_out_requested.emit)
        self.sign_in_button = primary_button("Sign in…")
        self.sign_in_button.clicked.connect(self.sign_in_requested.emit)
        row.addWidget(self.sign_out_button)
        row.addWidget(self.sign_in_button)
        layout.addLayout(row)
        column.addWidget(account)

        # app credentials
        app, layout = _section(
            "eWeLink app ID and secret",
            "CoolKit issues these to each integrator (dev.ewelink.cc). SiteKit signs every "
            "request with them. They are needed for the real eWeLink cloud only.")
        self.site_note = Banner()
        layout.addWidget(self.site_note)
        form = form_layout()
        self.appid = QLineEdit()
        self.appid.setPlaceholderText("APPID from the eWeLink developer console")
        form.addRow(form_label("App ID"), self.appid)
        self.appsecret = QLineEdit()
        self.appsecret.setEchoMode(QLineEdit.EchoMode.Password)
        self.appsecret.setAccessibleName("App secret")
        form.addRow(form_label("App secret"), self.appsecret)
        self.region = QComboBox()
        for code in REGIONS:
            self.region.addItem(region_label(code), code)
        form.addRow(form_label("Default region"), self.region)
        layout.addLayout(form)
        self.secrets_location = label("", "hint", wrap=True)
        self.secrets_location.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.secrets_location)
        self.app_status, self.save_app_button = _save_row(layout, self.save_app)
        column.addWidget(app)

        self.nuheat = NuheatSection(tasks)
        self.nuheat.sign_in_requested.connect(self.nuheat_sign_in_requested.emit)
        self.nuheat.sign_out_requested.connect(self.nuheat_sign_out_requested.emit)
        self.nuheat.configured.connect(self.nuheat_configured.emit)
        self.nuheat.temperature_unit_changed.connect(self.temperature_unit_changed.emit)
        column.addWidget(self.nuheat)

        self.nexhome = NexhomeSection(tasks)
        self.nexhome.configured.connect(self.nexhome_configured.emit)
        column.addWidget(self.nexhome)

        self.nxcloud = NxcloudSettingsCard(tasks)
        self.nxcloud.configured.connect(self.nxcloud_configured.emit)
        column.addWidget(self.nxcloud)

        # network
        network, layout = _section(
            "Network",
            "For sites behind a slow link or a TLS-inspecting proxy. Changes apply the next "
            "time SiteKit starts.")
        form = form_layout()
        self.timeout = QSpinBox()
        self.timeout.setRange(2, 120)
        self.timeout.setSuffix(" s")
        self.timeout.setFixedWidth(100)
        form.addRow(form_label("HTTP timeout"), self.timeout)
        ca_row = QHBoxLayout()
        self.ca_bundle = QLineEdit()
        self.ca_bundle.setPlaceholderText("System certificates (default)")
        ca_row.addWidget(self.ca_bundle, 1)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse_ca)
        ca_row.addWidget(self.browse_button)
        form.addRow(form_label("CA bundle (PEM)"), ca_row)
        layout.addLayout(form)
        self.network_status, self.save_network_button = _save_row(layout, self.save_network)
        column.addWidget(network)
        column.addStretch(1)
        self._dialog: QFileDialog | None = None

    # -- wiring -----------------------------------------------------------------------

    def attach(self, ws: "Workspace") -> None:
        self._ws = ws
        settings = ws.settings
        self.appid.setText(settings.ewelink.appid)
        self.appsecret.clear()
        index = self.region.findData(settings.ewelink.region)
        self.region.setCurrentIndex(max(index, 0))
        self.timeout.setValue(round(settings.http.timeout_seconds))
        self.ca_bundle.setText(settings.http.ca_bundle)
        self.secrets_location.setText(ws.secrets.location)
        if ws.profile.is_simulated:
            self.site_note.show_message(
                f"You are on the {ws.profile.label.lower()}, which brings its own app ID. "
                "What you save here is used for the real eWeLink cloud.", "info")
        else:
            self.site_note.clear()
        self.app_status.setText("")
        self.network_status.setText("")
        self.refresh_account()
        self.nuheat.attach(ws)
        self.nexhome.attach(ws)
        self.nxcloud.attach(ws)
        self._tasks.spawn(self._load_secret_state(), name="settings: secret state")

    def detach(self) -> None:
        self._ws = None
        self.nuheat.detach()
        self.nexhome.detach()
        self.nxcloud.detach()

    def refresh_nuheat(self) -> None:
        """After a Nuheat sign-in or sign-out."""
        self.nuheat.refresh()

    def refresh_account(self) -> None:
        ws = self._ws
        if ws is None:
            return
        account = ws.ewelink
        if account.signed_in:
            region = account.region
            self.account_text.setText(
                f"Signed in as <b>{account.account}</b> · {region_label(region)} · "
                f"{ws.profile.label}")
        else:
            self.account_text.setText(f"Not signed in · {ws.profile.label}")
        self.sign_out_button.setVisible(account.signed_in)
        self.sign_in_button.setVisible(not account.signed_in)

    async def _load_secret_state(self) -> None:
        ws = self._ws
        if ws is None:
            return
        from app.services.site import APPSECRET_KEY

        # the keyring may block (D-Bus): ask off the loop; only whether one exists
        writes = self._secret_writes
        saved = await asyncio.to_thread(lambda: bool(ws.secrets.get(APPSECRET_KEY)))
        if self._ws is ws and writes == self._secret_writes:  # not older than a save
            self._show_secret_saved(saved)

    def _show_secret_saved(self, saved: bool) -> None:
        self.appsecret.setPlaceholderText(
            "Saved · type a new secret to replace it" if saved else "Not set yet")

    # -- actions ----------------------------------------------------------------------

    def save_app(self) -> None:
        ws = self._ws
        appid = self.appid.text().strip()
        if ws is None:
            return
        if not appid:
            self.app_status.setText("Enter the app ID.")
            return
        secret = self.appsecret.text()
        region = self.region.currentData()
        self.save_app_button.setEnabled(False)
        self._tasks.spawn(self._save_app(ws, appid, secret, region), name="settings: save app")

    async def _save_app(self, ws: "Workspace", appid: str, secret: str, region: str) -> None:
        self._secret_writes += 1
        try:
            # settings file + keyring: blocking, so off the loop
            await asyncio.to_thread(ws.ewelink.configure, appid=appid,
                                    appsecret=secret or None, region=region)
        except (SiteKitError, OSError) as exc:
            text = exc.user_text() if isinstance(exc, SiteKitError) else str(exc)
            self.app_status.setText(f"Not saved: {text}")
            return
        except Exception as exc:  # keyring backends raise their own types
            log.exception("saving the eWeLink app credentials failed")
            self.app_status.setText(f"Not saved: {type(exc).__name__}. The log has the details.")
            return
        finally:
            self.save_app_button.setEnabled(True)
        self.appsecret.clear()
        if secret:
            self._show_secret_saved(True)
        self.app_status.setText("Saved.")

    def save_network(self) -> None:
        ws = self._ws
        if ws is None:
            return
        ca = self.ca_bundle.text().strip()
        if ca and not Path(ca).is_file():
            self.network_status.setText(f"No file at {ca}.")
            return
        ws.settings.http.timeout_seconds = float(self.timeout.value())
        ws.settings.http.ca_bundle = ca
        self._tasks.spawn(self._save_network(ws), name="settings: save network")

    async def _save_network(self, ws: "Workspace") -> None:
        try:
            await asyncio.to_thread(ws.settings.save)
        except OSError as exc:
            self.network_status.setText(f"Not saved: {exc.strerror or exc}.")
            return
        self.network_status.setText("Saved. Restart SiteKit to use the new network settings.")

    def _browse_ca(self) -> None:
        dialog = QFileDialog(self, "Choose a CA bundle")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter("Certificates (*.pem *.crt *.cer);;All files (*)")
        dialog.fileSelected.connect(self.ca_bundle.setText)
        self._dialog = dialog
        dialog.open()
