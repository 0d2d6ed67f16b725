"""The main window's way to NEXhome and NXCloud: from first run, and from a screen that is
not set up yet, through the wizard's connect pages and back to the right screen."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.ui.main_window import DOORS, MESSAGES
from tests.gui.support import until


async def test_connect_nexhome_from_the_welcome_page_lands_on_the_doors(window, qtbot):
    window.show_onboarding()
    window.wizard.show_welcome()
    qtbot.mouseClick(window.wizard.welcome.nexhome_link, Qt.MouseButton.LeftButton)
    assert window.root.currentWidget() is window.wizard
    assert window.wizard.showing_vendor == "nexhome"
    page = window.wizard.vendor_pages["nexhome"]
    qtbot.mouseClick(page.demo_test_button, Qt.MouseButton.LeftButton)
    await until(lambda: page.continue_button.isVisible() and page.continue_button.isEnabled(),
                10, "the demo connection test")
    qtbot.mouseClick(page.continue_button, Qt.MouseButton.LeftButton)
    assert window.current_screen is window.doors
    assert window.nav.currentRow() == DOORS
    await until(lambda: window.doors.model.rowCount() >= 5, 15, "the doors")


async def test_skipping_nxcloud_on_first_run_returns_to_the_welcome_page(window, qtbot):
    window.show_onboarding()
    window.wizard.show_welcome()
    qtbot.mouseClick(window.wizard.welcome.nxcloud_link, Qt.MouseButton.LeftButton)
    assert window.wizard.showing_vendor == "nxcloud"
    qtbot.mouseClick(window.wizard.vendor_pages["nxcloud"].skip_button, Qt.MouseButton.LeftButton)
    assert window.root.currentWidget() is window.wizard
    assert window.wizard.showing_vendor == ""


async def test_a_screen_that_is_not_set_up_opens_its_connect_page(signed_in, qtbot):
    window = signed_in
    window.show_screen(MESSAGES)
    window.messages.settings_requested.emit()  # its "set up" button
    assert window.root.currentWidget() is window.wizard
    assert window.wizard.showing_vendor == "nxcloud"
    qtbot.mouseClick(window.wizard.vendor_pages["nxcloud"].skip_button, Qt.MouseButton.LeftButton)
    assert window.root.currentWidget() is window.shell  # back where the user was
