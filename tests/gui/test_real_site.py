"""The real-cloud site when nothing is set up yet: first-run page, missing app ID, Settings."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from tests.gui.support import until
from app.ui.main_window import SETTINGS


@pytest.fixture
async def real_window(qtbot):
    from app.services.workspace import Workspace
    from app.ui.application import open_workspace
    from app.ui.main_window import MainWindow

    ws = await Workspace.open(store_events=False)  # the real clouds, nothing configured
    win = MainWindow(open_workspace)
    win.resize(1280, 760)
    win.show()
    win.attach(ws)
    try:
        yield win
    finally:
        win.hide()
        win.detach()
        await win.tasks.cancel_all()
        await ws.close()
        win.deleteLater()


async def test_first_run_offers_sign_in_or_the_demo_site(real_window, qtbot):
    window = real_window
    wizard = window.wizard
    assert window.root.currentWidget() is wizard
    assert wizard.welcome.isVisible() and not wizard.sign_in_page.isVisible()
    assert wizard.welcome.demo_button.title.text() == "Explore the demo site"
    assert window.site_label.text() == "Vendor clouds"

    qtbot.mouseClick(wizard.welcome.sign_in_button, Qt.MouseButton.LeftButton)
    page = wizard.sign_in_page
    assert page.isVisible() and page.back_button.isVisible()
    assert page.demo_note.text() == ""  # nothing prefilled on a real site
    qtbot.keyClicks(page.account, "installer@example.com")
    qtbot.keyClicks(page.password, "secret-password")
    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    await until(lambda: page.error.text(), 5, "the error")
    # no app ID yet: the wizard says where to enter it, and the link goes there
    assert "no eWeLink app ID and app secret yet" in page.error.text()
    assert "Settings" in page.error.text()
    qtbot.mouseClick(page.settings_link, Qt.MouseButton.LeftButton)
    assert window.current_screen is window.settings

    window.show_onboarding()
    qtbot.mouseClick(page.back_button, Qt.MouseButton.LeftButton)
    assert wizard.welcome.isVisible()


async def test_app_secret_is_saved_but_never_shown_back(real_window, qtbot):
    from app.services.site import APPSECRET_KEY

    window = real_window
    window.show_screen(SETTINGS)
    settings = window.settings
    assert settings.appsecret.echoMode() == QLineEdit.EchoMode.Password
    await until(lambda: settings.appsecret.placeholderText() == "Not set yet", 5, "secret state")
    qtbot.keyClicks(settings.appid, "MyAppId123")
    qtbot.keyClicks(settings.appsecret, "TopSecretValue")
    settings.region.setCurrentIndex(settings.region.findData("us"))
    qtbot.mouseClick(settings.save_app_button, Qt.MouseButton.LeftButton)
    await until(lambda: settings.app_status.text() == "Saved.", 5, "saving")
    ws = window.ws
    assert ws.secrets.get(APPSECRET_KEY) == "TopSecretValue"
    assert ws.settings.ewelink.appid == "MyAppId123" and ws.settings.ewelink.region == "us"
    assert settings.appsecret.text() == ""
    assert settings.appsecret.placeholderText().startswith("Saved")
    assert all("TopSecretValue" not in edit.text() for edit in window.findChildren(QLineEdit))

    # opening Settings again (a new site, a restart) never fills the secret back in
    settings.attach(ws)
    await until(lambda: settings.appsecret.placeholderText().startswith("Saved"), 5, "state")
    assert settings.appsecret.text() == "" and settings.appid.text() == "MyAppId123"


async def test_network_settings_are_checked_and_saved(real_window, qtbot, tmp_path):
    from app.core.settings import Settings

    window = real_window
    settings = window.settings
    settings.timeout.setValue(40)
    qtbot.keyClicks(settings.ca_bundle, str(tmp_path / "missing.pem"))
    qtbot.mouseClick(settings.save_network_button, Qt.MouseButton.LeftButton)
    assert settings.network_status.text().startswith("No file at")
    bundle = tmp_path / "proxy-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    settings.ca_bundle.setText(str(bundle))
    qtbot.mouseClick(settings.save_network_button, Qt.MouseButton.LeftButton)
    await until(lambda: settings.network_status.text().startswith("Saved"), 5, "saving")
    saved = Settings.load()
    assert saved.http.timeout_seconds == 40 and saved.http.ca_bundle == str(bundle)
