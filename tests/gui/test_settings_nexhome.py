"""Settings → NEXhome: ids to the settings file, the app secret to the keyring only, and a
Test that signs a request with what is typed (against the demo site's NEXhome simulator)."""

from __future__ import annotations

import keyring
import pytest
from PySide6.QtCore import Qt

from app.core import paths
from app.services.site import NEXHOME_APP_SECRET_KEY
from tests.gui.support import until

SECRET = "NEXhome-App-Secret-7"


@pytest.fixture
async def card(qtbot):
    from app.ui.settings.nexhome import NexhomeSection
    from app.ui.tasks import Tasks

    tasks = Tasks()
    section = NexhomeSection(tasks)
    section.resize(900, 520)
    section.show()
    section.configured_count = 0
    section.configured.connect(lambda: setattr(section, "configured_count", section.configured_count + 1))
    try:
        yield section
    finally:
        await tasks.cancel_all()
        section.detach()
        section.hide()
        section.deleteLater()


def _click(qtbot, button) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _fill(card, api, developer_id, app_id, secret) -> None:
    card.api.setText(api)
    card.developer_id.setText(developer_id)
    card.app_id.setText(app_id)
    card.app_secret.setText(secret)


async def test_test_connects_with_the_typed_values_and_explains_a_wrong_secret(card, demo_ws, qtbot):
    site = demo_ws.profile.nexhome
    card.attach(demo_ws)
    _fill(card, site.api, site.developer_id, site.app_id, site.app_secret)
    _click(qtbot, card.test_button)
    await until(lambda: "Connected" in card.result._text.text(), 10, "the test result")
    assert "65 devices" in card.result._text.text()
    _fill(card, site.api, site.developer_id, site.app_id, "not-the-secret")
    _click(qtbot, card.test_button)
    await until(lambda: "Not connected" in card.result._text.text(), 10, "the refusal")
    assert "401" in card.result._text.text() or "signature" in card.result._text.text().lower()


async def test_ids_go_to_settings_and_the_secret_to_the_keyring(card, demo_ws, qtbot):
    card.attach(demo_ws)
    assert "demo site" in card.site_note._text.text()
    _fill(card, "", "dev", "app", SECRET)
    _click(qtbot, card.save_button)
    assert "Enter the API address" in card.status.text()
    _fill(card, "https://open.nexhome.example/", "dev", "app", SECRET)
    _click(qtbot, card.save_button)
    await until(lambda: card.status.text().startswith("Saved"), 5, "the save")
    assert card.configured_count == 1 and card.app_secret.text() == ""
    assert "stored in" in card.app_secret.placeholderText()
    text = paths.settings_file().read_text()
    assert "open.nexhome.example" in text and "dev" in text and SECRET not in text
    assert keyring.get_password("sitekit", NEXHOME_APP_SECRET_KEY) == SECRET \
        or demo_ws.secrets.get(NEXHOME_APP_SECRET_KEY) == SECRET


async def test_on_the_real_site_saved_credentials_apply_at_once(card, qtbot):
    from app.services.workspace import Workspace

    ws = await Workspace.open(store_events=False)  # the real clouds, nothing configured
    try:
        card.attach(ws)
        assert not ws.building.configured
        _fill(card, "https://open.nexhome.example", "dev", "app", SECRET)
        _click(qtbot, card.save_button)
        await until(lambda: card.status.text().startswith("Saved"), 5, "the save")
        await until(lambda: ws.building.configured, 5, "the building to use the new credentials")
        assert ws.building.profile.nexhome.app_secret == SECRET
    finally:
        card.detach()
        await ws.close()
