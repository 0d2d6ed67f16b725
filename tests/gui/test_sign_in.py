"""Signing in through the real wizard widgets against the in-process demo site."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.gui.conftest import DEMO_ACCOUNT, DEMO_PASSWORD
from tests.gui.support import until
from app.ui.main_window import DEVICES, SETTINGS


def _type_credentials(qtbot, page, account: str, password: str) -> None:
    page.account.clear()
    page.password.clear()
    qtbot.keyClicks(page.account, account)
    qtbot.keyClicks(page.password, password)


async def test_demo_site_opens_on_prefilled_sign_in(window):
    page = window.wizard.sign_in_page
    assert window.root.currentWidget() is window.wizard
    assert page.isVisible() and not window.wizard.welcome.isVisible()
    assert page.account.text() == DEMO_ACCOUNT
    assert page.region.currentData() == "eu"
    assert page.password.echoMode() == page.password.EchoMode.Password
    assert "demo account is filled in" in page.demo_note.text()
    assert window.site_label.text() == "Demo site"
    assert window.account_label.text() == "Not signed in"


async def test_sign_in_by_typing_reaches_the_device_list(window, qtbot):
    page = window.wizard.sign_in_page
    _type_credentials(qtbot, page, DEMO_ACCOUNT, DEMO_PASSWORD)
    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    # busy at once, before the cloud answered
    assert page.busy_label.isVisible() and page.busy_label.text() == "Signing in…"
    assert page.spinner.isVisible()
    assert not page.sign_in_button.isEnabled() and not page.password.isEnabled()

    await until(lambda: window.root.currentWidget() is window.shell, 10, "the main screens")
    assert window.current_screen is window.devices
    await until(lambda: window.devices.model.rowCount() == 7, 10, "seven devices")
    names = {window.devices.model.index(r, 0).data() for r in range(7)}
    assert {"Hall light", "Plant room 4-gang", "Garage light"} <= names
    assert window.account_label.text() == f"{DEMO_ACCOUNT} · Europe (eu)"
    await until(lambda: window.live_label.text() == "Live updates on", 10, "live status")
    assert page.password.text() == ""  # not kept in the widget after signing in


async def test_wrong_password_is_explained_in_the_wizard(window, qtbot):
    page = window.wizard.sign_in_page
    _type_credentials(qtbot, page, DEMO_ACCOUNT, "not-the-password")
    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    await until(lambda: page.error.text(), 10, "the error message")
    assert "Wrong email/phone or password" in page.error.text()
    assert "401" in page.error.text()  # the vendor's code stays visible for support
    assert window.root.currentWidget() is window.wizard
    assert not page.busy_label.isVisible()
    assert page.sign_in_button.isEnabled() and page.password.isEnabled()
    assert not window.devices.model.rowCount()

    # fixing the password and trying again works, and clears the message
    page.password.clear()
    qtbot.keyClicks(page.password, DEMO_PASSWORD)
    qtbot.keyClick(page.password, Qt.Key.Key_Return)
    assert page.error.text() == ""
    await until(lambda: window.root.currentWidget() is window.shell, 10, "the main screens")
    await until(lambda: window.live_state == "online", 10, "the live connection")


async def test_unknown_account_in_another_region(window, qtbot):
    page = window.wizard.sign_in_page
    _type_credentials(qtbot, page, "nobody@sitekit.example", DEMO_PASSWORD)
    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    await until(lambda: page.error.text(), 10, "the error message")
    assert "404" in page.error.text()


async def test_field_problems_show_when_leaving_the_field(window, qtbot):
    page = window.wizard.sign_in_page
    page.account.clear()
    page.password.clear()
    window.wizard.flow.set_field("account", "")
    window.wizard.flow.set_field("password", "")
    qtbot.keyClicks(page.account, "bob")
    assert not page.account_error.isVisible()  # not while typing
    page.account.editingFinished.emit()  # what leaving the field does
    assert page.account_error.isVisible()
    assert "country code" in page.account_error.text()
    assert not page.sign_in_button.isEnabled()


async def test_settings_link_and_back_to_sign_in(window, qtbot):
    page = window.wizard.sign_in_page
    qtbot.mouseClick(page.settings_link, Qt.MouseButton.LeftButton)
    assert window.current_screen is window.settings
    # the devices screen, not signed in yet, offers the way back
    window.show_screen(DEVICES)
    state = window.devices.list_state
    assert state.text.text() == "Not signed in"
    qtbot.mouseClick(state.action, Qt.MouseButton.LeftButton)
    assert window.root.currentWidget() is window.wizard


async def test_sign_out_from_settings_returns_to_sign_in(signed_in, qtbot):
    window = signed_in
    window.show_screen(SETTINGS)
    assert window.settings.sign_out_button.isVisible()
    qtbot.mouseClick(window.settings.sign_out_button, Qt.MouseButton.LeftButton)
    await until(lambda: window.root.currentWidget() is window.wizard, 10, "the sign-in page")
    assert window.account_label.text() == "Not signed in"
    assert window.devices.model.rowCount() == 0
    assert window.wizard.sign_in_page.account.text() == DEMO_ACCOUNT


async def test_signed_in_elsewhere_sends_the_user_back_to_sign_in(signed_in, demo_ws):
    """eWeLink allows one session per account: another login ends ours, and we say so."""
    from app.core.http import make_session
    from app.vendors.ewelink.client import EwelinkClient

    window = signed_in
    endpoints = demo_ws.profile.ewelink
    async with make_session() as session:
        other = EwelinkClient(session, appid=endpoints.appid, appsecret=endpoints.appsecret,
                              region="eu", regions=endpoints.regions)
        await other.login(DEMO_ACCOUNT, DEMO_PASSWORD)  # e.g. the customer's phone app
    await until(lambda: window.root.currentWidget() is window.wizard, 15, "the sign-in page")
    page = window.wizard.sign_in_page
    assert "session ended" in page.error.text()
    assert window.live_label.text() == "Signed out"
    assert window.devices.list_state.text.text() == "Not signed in"
    # signing in again (which ends the other session in turn) brings everything back
    page.sign_in_button.click()
    await until(lambda: window.live_state == "online", 15, "the live connection again")
    assert window.devices.model.rowCount() == 7
