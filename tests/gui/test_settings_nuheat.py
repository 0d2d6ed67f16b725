"""Settings → Nuheat: client ID to the settings file, client secret to the keyring only."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt

from app.core import paths
from app.core.settings import Settings
from app.services.site import NUHEAT_CLIENT_SECRET_KEY
from tests.gui.support import until

SECRET = "Nuheat-Client-Secret-42"


@pytest.fixture
async def settings_page(qtbot):
    from app.ui.settings.page import SettingsPage
    from app.ui.tasks import Tasks

    tasks = Tasks()
    page = SettingsPage(tasks)
    page.resize(1000, 1200)
    page.show()
    page.emitted = []
    for name in ("nuheat_sign_in_requested", "nuheat_sign_out_requested", "nuheat_configured"):
        getattr(page, name).connect(lambda name=name: page.emitted.append(name))
    page.temperature_unit_changed.connect(lambda unit: page.emitted.append(f"unit {unit}"))
    try:
        yield page
    finally:
        await tasks.cancel_all()
        page.detach()
        page.hide()
        page.deleteLater()


@pytest.fixture
async def real_ws():
    from app.services.workspace import Workspace

    ws = await Workspace.open(store_events=False)  # the real clouds, nothing configured
    try:
        yield ws
    finally:
        await ws.close()


def _click(qtbot, button) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


async def test_client_id_goes_to_settings_and_secret_to_the_keyring(settings_page, real_ws, qtbot):
    page, section = settings_page, settings_page.nuheat
    page.attach(real_ws)
    await until(lambda: section.client_secret.placeholderText().startswith("None"), 5, "state")
    assert section.client_secret.echoMode() == section.client_secret.EchoMode.Password
    assert not section.forget_secret_link.isVisible()
    assert section.account_text.text() == "Not signed in to Nuheat · Vendor clouds"
    assert section.sign_in_button.isVisible() and not section.sign_out_button.isVisible()
    assert section.site_note.text() == "" and section.keyring_note.text() == ""

    # a secret without its client ID is refused before anything is written
    qtbot.keyClicks(section.client_secret, SECRET)
    _click(qtbot, section.save_button)
    assert section.status.text() == "Enter the client ID that goes with this secret."

    qtbot.keyClicks(section.client_id, "sitekit-installer")
    section.unit.setCurrentIndex(section.unit.findData("F"))
    _click(qtbot, section.save_button)
    await until(lambda: section.status.text() == "Saved.", 5, "saving")

    settings_file = paths.settings_file().read_text(encoding="utf-8")
    assert SECRET not in settings_file
    saved = Settings.load()
    assert saved.nuheat.client_id == "sitekit-installer" and saved.temperature_unit == "F"
    assert keyring.get_keyring().get_password("sitekit", NUHEAT_CLIENT_SECRET_KEY) == SECRET
    # the next sign-in on this site uses them without a restart
    assert real_ws.nuheat.endpoints.client_id == "sitekit-installer"
    assert real_ws.nuheat.endpoints.client_secret == SECRET
    assert page.emitted == ["nuheat_configured", "unit F"]

    # the secret never comes back into the field, only the fact that one is stored
    assert section.client_secret.text() == ""
    assert "stored in memory" in section.client_secret.placeholderText()
    page.attach(real_ws)
    await until(lambda: "stored" in section.client_secret.placeholderText(), 5, "state")
    assert section.client_secret.text() == "" and section.client_id.text() == "sitekit-installer"
    assert section.unit.currentData() == "F"

    # a public client has no secret: Remove forgets it
    _click(qtbot, section.forget_secret_link)
    await until(lambda: section.status.text() == "Client secret removed.", 5, "removing")
    assert keyring.get_keyring().get_password("sitekit", NUHEAT_CLIENT_SECRET_KEY) is None
    assert real_ws.nuheat.endpoints.client_secret == ""
    assert not section.forget_secret_link.isVisible()
    assert Settings.load().nuheat.client_id == "sitekit-installer"


async def test_without_a_system_keyring_the_file_fallback_is_named(settings_page, qtbot):
    from app.services.workspace import Workspace

    keyring.set_keyring(fail.Keyring())  # a headless machine (the test home is isolated)
    ws = await Workspace.open(store_events=False)
    try:
        section = settings_page.nuheat
        settings_page.attach(ws)
        assert ws.secrets.is_fallback
        assert "No system keyring was found" in section.keyring_note.text()
        assert section.keyring_note.property("banner") == "warning"
        qtbot.keyClicks(section.client_id, "sitekit-installer")
        qtbot.keyClicks(section.client_secret, SECRET)
        _click(qtbot, section.save_button)
        await until(lambda: section.status.text() == "Saved.", 5, "saving")
        assert "stored in SiteKit's secrets file" in section.client_secret.placeholderText()
        assert SECRET in paths.fallback_secrets_file().read_text(encoding="utf-8")
        assert SECRET not in paths.settings_file().read_text(encoding="utf-8")
    finally:
        await ws.close()


async def test_account_email_and_sign_out_on_the_demo_site(settings_page, demo_ws, qtbot):
    page, section = settings_page, settings_page.nuheat
    await demo_ws.nuheat.sign_in()
    page.attach(demo_ws)
    assert "brings its own Nuheat client" in section.site_note.text()
    await until(lambda: "demo@sitekit.example" in section.account_text.text(), 10, "the email")
    assert section.account_text.text().endswith("· Demo site")
    assert section.sign_out_button.isVisible() and not section.sign_in_button.isVisible()

    _click(qtbot, section.sign_out_button)
    assert page.emitted == ["nuheat_sign_out_requested"]
    assert not section.sign_out_button.isEnabled()  # until the main window has signed out
    await demo_ws.nuheat.sign_out()  # what the main window does with the signal
    page.refresh_nuheat()
    assert section.account_text.text() == "Not signed in to Nuheat · Demo site"
    _click(qtbot, section.sign_in_button)
    assert page.emitted[-1] == "nuheat_sign_in_requested"


async def test_saving_on_the_demo_site_is_for_the_real_cloud(settings_page, demo_ws, qtbot):
    section = settings_page.nuheat
    settings_page.attach(demo_ws)
    demo_client = demo_ws.nuheat.endpoints
    qtbot.keyClicks(section.client_id, "sitekit-installer")
    _click(qtbot, section.save_button)
    await until(lambda: section.status.text() == "Saved for the real Nuheat cloud.", 5, "saving")
    assert Settings.load().nuheat.client_id == "sitekit-installer"
    assert demo_ws.nuheat.endpoints == demo_client  # the demo site keeps its own client
