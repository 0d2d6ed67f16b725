"""Settings → NXCloud: keys to the settings file, the access secret to the keyring only; the
saved keys apply to the real site at once; Test proves them against the demo account."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import keyring
import pytest
from PySide6.QtCore import Qt

from app.core import paths
from app.core.settings import Settings
from app.services.site import NXCLOUD_ACCESS_SECRET_KEY
from tests.gui.support import until

SECRET = "Nxcloud-Access-Secret-42"


async def shot(widget, name: str) -> None:
    folder = os.environ.get("SITEKIT_SHOTS")
    if folder:
        await asyncio.sleep(0.05)  # let the layouts settle
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"settings-nxcloud-{name}.png"))


def dispose(widget) -> None:
    """Delete a widget now, on this thread: a wrapper collected later by a worker thread's
    garbage collection would destroy its view timers from that thread."""
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent

    widget.hide()
    widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


@pytest.fixture
async def card(qtbot):
    from app.ui.settings.nxcloud import NxcloudSettingsCard
    from app.ui.tasks import Tasks

    tasks = Tasks()
    widget = NxcloudSettingsCard(tasks)
    widget.resize(860, 520)
    widget.show()
    widget.emitted = []
    widget.configured.connect(lambda: widget.emitted.append("configured"))
    try:
        yield widget
    finally:
        await tasks.cancel_all()
        widget.detach()
        dispose(widget)


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


async def test_keys_to_settings_and_secret_to_the_keyring(card, real_ws, qtbot):
    card.attach(real_ws)
    await until(lambda: card.access_secret.placeholderText() == "Not set yet", 5, "state")
    assert card.access_secret.echoMode() == card.access_secret.EchoMode.Password
    assert card.site_note.text() == ""
    assert not real_ws.messaging.configured

    # a secret without its access key is refused before anything is written
    qtbot.keyClicks(card.access_secret, SECRET)
    _click(qtbot, card.save_button)
    assert card.status.text() == "Enter the access key that goes with these."

    qtbot.keyClicks(card.access_key, "ak-installer")
    qtbot.keyClicks(card.app_key, "app-01")
    qtbot.keyClicks(card.business_phone, "07700 900001")
    assert card.business_phone_note.property("role") == "field-error"
    assert card.business_phone_note.text().startswith("Starts with 0")
    _click(qtbot, card.save_button)
    assert card.status.text() == "Correct the business phone first (or leave it empty)."
    await shot(card, "invalid-phone")

    card.business_phone.clear()
    qtbot.keyClicks(card.business_phone, "+44 7700 900001")
    assert card.business_phone_note.text() == "WhatsApp messages come from +44 7700900001"
    _click(qtbot, card.save_button)
    await until(lambda: card.status.text().startswith("Saved."), 5, "saving")
    assert card.emitted == ["configured"]
    assert card.access_secret.text() == ""
    assert card.access_secret.placeholderText().startswith("•••••••• stored in")

    settings_file = paths.settings_file().read_text(encoding="utf-8")
    assert SECRET not in settings_file
    saved = Settings.load()
    assert (saved.nxcloud.access_key, saved.nxcloud.app_key, saved.nxcloud.business_phone) == (
        "ak-installer", "app-01", "447700900001")
    assert keyring.get_keyring().get_password("sitekit", NXCLOUD_ACCESS_SECRET_KEY) == SECRET
    # the workspace's messaging uses the new keys without a restart
    assert real_ws.messaging.configured
    assert real_ws.messaging.client.access_key == "ak-installer"
    assert real_ws.messaging.business_phone == "447700900001"
    await shot(card, "saved")


async def test_a_new_card_shows_the_stored_secret_without_revealing_it(card, real_ws, qtbot):
    await asyncio.to_thread(real_ws.messaging.configure, real_ws.settings, real_ws.secrets,
                            access_key="ak", app_key="app", access_secret=SECRET)
    card.attach(real_ws)
    await until(lambda: card.access_secret.placeholderText().startswith("••••"), 5, "state")
    assert card.access_secret.text() == ""
    assert card.access_key.text() == "ak"

    # saving without typing the secret again keeps it
    _click(qtbot, card.save_button)
    await until(lambda: card.status.text().startswith("Saved"), 5, "saving")
    assert keyring.get_keyring().get_password("sitekit", NXCLOUD_ACCESS_SECRET_KEY) == SECRET
    assert card.status.text() == "Saved. Use Test to check the keys."

    # Test without a business phone says what is missing
    _click(qtbot, card.test_button)
    assert card.test_result.text() == "✖ Save the WhatsApp business phone first: Test checks it."


async def test_demo_site_note_and_test_proves_the_keys(card, demo_ws, qtbot):
    demo_ws.demo_site.nxcloud.result_delay_seconds = 0.2
    card.attach(demo_ws)
    assert "brings its own NXCloud account" in card.site_note.text()
    _click(qtbot, card.test_button)
    assert card.testing
    await until(lambda: not card.testing, 10, "the test")
    assert card.test_result.text().startswith("✔ The keys work.")
    assert "+44 7700900001" in card.test_result.text()
    await shot(card, "demo-tested")

    # wrong keys: the simulator refuses the signature and the card says so
    demo_ws.demo_site.nxcloud.account.access_secret = "someone-else"
    _click(qtbot, card.test_button)
    await until(lambda: not card.testing, 10, "the test")
    assert card.test_result.text().startswith("✖ ")
    assert "signature" in card.test_result.text()
    await shot(card, "demo-test-failed")


async def test_settings_page_holds_the_card(qtbot, demo_ws):
    from app.ui.settings.page import SettingsPage
    from app.ui.tasks import Tasks

    tasks = Tasks()
    page = SettingsPage(tasks)
    page.resize(1000, 1400)
    page.show()
    emitted = []
    page.nxcloud_configured.connect(lambda: emitted.append(True))
    try:
        page.attach(demo_ws)
        await shot(page.nxcloud, "in-page")
        assert "brings its own NXCloud account" in page.nxcloud.site_note.text()
        page.nxcloud.configured.emit()
        assert emitted == [True]
    finally:
        await tasks.cancel_all()
        page.detach()
        dispose(page)
