"""The wizard's "Connect NEXhome" / "Connect NXCloud" pages against the demo site's
simulators (no mocked HTTP): the demo connection test, a refused secret that saves nothing,
and a save on the real site that the running workspace uses at once.

SITEKIT_SHOTS=folder renders every state to PNG (the wizard at 1280x760)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import keyring
import pytest
from PySide6.QtCore import Qt

from app.core import paths
from app.core.settings import Settings
from app.services.site import NEXHOME_APP_SECRET_KEY, NXCLOUD_ACCESS_SECRET_KEY
from app.ui.onboarding.vendor_flow import DONE, FAILED
from tests.gui.support import until


async def shot(widget, name: str) -> None:
    folder = os.environ.get("SITEKIT_SHOTS")
    if folder:
        await asyncio.sleep(0.05)  # let the layouts settle
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"onboarding-{name}.png"))


@pytest.fixture
async def wizard(qtbot):
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent

    from app.ui.onboarding.wizard import OnboardingWizard
    from app.ui.tasks import Tasks

    tasks = Tasks()
    widget = OnboardingWizard(tasks)
    widget.resize(1280, 760)
    widget.show()
    widget.emitted = []
    for name in ("vendor_requested", "vendor_connected", "vendor_skipped"):
        getattr(widget, name).connect(lambda vendor, name=name: widget.emitted.append((name, vendor)))
    widget.nuheat_requested.connect(lambda: widget.emitted.append(("nuheat_requested", "")))
    try:
        yield widget
    finally:
        await tasks.cancel_all()
        widget.hide()
        widget.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()


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


def _fill(page, **values) -> None:
    for name, value in values.items():
        edit = page.fields[name]
        edit.clear()
        edit.setText(value)
        edit.textEdited.emit(value)  # as typing does


async def test_welcome_row_asks_for_each_vendor_and_back_returns(wizard, demo_ws, qtbot):
    wizard.start(lambda *a: None, welcome=True)
    await shot(wizard, "welcome")
    _click(qtbot, wizard.welcome.nuheat_link)
    _click(qtbot, wizard.welcome.nexhome_link)
    _click(qtbot, wizard.welcome.nxcloud_link)
    assert wizard.emitted == [("nuheat_requested", ""), ("vendor_requested", "nexhome"),
                              ("vendor_requested", "nxcloud")]
    wizard.start_vendor("nxcloud", demo_ws)  # what the main window does
    page = wizard.vendor_pages["nxcloud"]
    assert page.isVisible() and not wizard.welcome.isVisible()
    assert wizard.showing_vendor == "nxcloud"
    assert page.back_button.isVisible() and page.skip_button.isVisible()
    _click(qtbot, page.back_button)
    assert wizard.welcome.isVisible() and not page.isVisible() and wizard.showing_vendor == ""


async def test_demo_nexhome_connection_test_names_the_devices(wizard, demo_ws, qtbot):
    wizard.start_vendor("nexhome", demo_ws)
    page = wizard.vendor_pages["nexhome"]
    assert "brings its own simulated NEXhome building" in page.demo_note.text()
    assert not page.form.isVisible() and not page.test_button.isVisible()
    assert not page.back_button.isVisible()  # not opened from the welcome page
    await shot(wizard, "nexhome-demo")
    _click(qtbot, page.demo_test_button)
    await until(lambda: "demo connection works" in page.result.text(), 10, "the demo test")
    assert "65 devices" in page.result.text()
    assert page.result.property("banner") == "success"
    assert page.demo_test_button.text() == "Test again"
    await shot(wizard, "nexhome-demo-tested")
    _click(qtbot, page.continue_button)
    assert wizard.emitted == [("vendor_connected", "nexhome")]
    assert wizard.showing_vendor == "" and not page.isVisible()


async def test_demo_connection_refused_says_why_and_saves_nothing(wizard, demo_ws, qtbot):
    site = demo_ws.profile.nexhome
    demo_ws.demo_site.nexhome.add_app(site.app_id, "someone-else")  # the secret changed
    before = paths.settings_file().read_text() if paths.settings_file().exists() else ""
    wizard.start_vendor("nexhome", demo_ws)
    page = wizard.vendor_pages["nexhome"]
    _click(qtbot, page.demo_test_button)
    await until(lambda: page.flow.state == FAILED, 10, "the refusal")
    assert "Not connected" in page.result.text() and "signature" in page.result.text().lower()
    assert not page.save_anyway_button.isVisible()  # nothing to save on the demo site
    await shot(wizard, "nexhome-demo-refused")
    after = paths.settings_file().read_text() if paths.settings_file().exists() else ""
    assert after == before
    _click(qtbot, page.skip_button)
    assert wizard.emitted == [("vendor_skipped", "nexhome")]


async def test_demo_nxcloud_connection(wizard, demo_ws, qtbot):
    demo_ws.demo_site.nxcloud.result_delay_seconds = 0.1
    wizard.start_vendor("nxcloud", demo_ws)
    page = wizard.vendor_pages["nxcloud"]
    assert "simulated NXCloud account" in page.demo_note.text()
    _click(qtbot, page.demo_test_button)
    await until(lambda: "demo connection works" in page.result.text(), 10, "the demo test")
    assert "7700900001" in page.result.text()
    await shot(wizard, "nxcloud-demo-tested")


async def test_real_site_wrong_secret_saves_nothing_then_the_right_one_applies_at_once(
        wizard, demo_ws, real_ws, qtbot):
    site = demo_ws.profile.nexhome  # the demo site's simulator stands in for NEXhome
    wizard.start_vendor("nexhome", real_ws)
    page = wizard.vendor_pages["nexhome"]
    assert page.form.isVisible() and page.steps.isVisible() and page.demo_note.text() == ""
    assert any("Application Management" in part.text()
               for part in page.steps.findChildren(type(page.title)))
    await shot(wizard, "nexhome-empty")

    _click(qtbot, page.test_button)  # empty: says what is missing, tests nothing
    assert "Enter the API address" in page.result.text() and page.flow.state == "ready"

    _fill(page, api=site.api, developer_id=site.developer_id, app_id=site.app_id,
          app_secret="not-the-secret")
    _click(qtbot, page.test_button)
    await until(lambda: page.flow.state == FAILED, 10, "the refusal")
    assert "signature" in page.result.text().lower()
    assert page.save_anyway_button.isVisible()
    assert page.test_button.text() == "Test again and save"
    await shot(wizard, "nexhome-refused")
    assert not real_ws.building.configured
    assert not paths.settings_file().exists() or site.api not in paths.settings_file().read_text()
    assert keyring.get_password("sitekit", NEXHOME_APP_SECRET_KEY) is None

    _fill(page, app_secret=site.app_secret)  # an edit: the old verdict no longer holds
    assert page.result.text() == "" and not page.save_anyway_button.isVisible()
    _click(qtbot, page.test_button)
    await until(lambda: page.flow.state == DONE, 10, "test and save")
    assert "Connected and saved" in page.result.text() and "65 devices" in page.result.text()
    assert real_ws.building.configured  # at once, no restart
    assert (await real_ws.building.client.devices())  # and it signs with the saved values
    text = paths.settings_file().read_text()
    assert site.api in text and site.app_secret not in text
    assert keyring.get_password("sitekit", NEXHOME_APP_SECRET_KEY) == site.app_secret
    assert page.fields["app_secret"].text() == ""
    assert page.continue_button.isVisible() and not page.test_button.isVisible()
    await shot(wizard, "nexhome-saved")
    _click(qtbot, page.continue_button)
    assert wizard.emitted == [("vendor_connected", "nexhome")]


async def test_real_site_nxcloud_test_and_save(wizard, demo_ws, real_ws, qtbot):
    site = demo_ws.profile.nxcloud
    demo_ws.demo_site.nxcloud.result_delay_seconds = 0.1
    real_ws.settings.nxcloud.api = site.api  # the simulator stands in for NXCloud
    wizard.start_vendor("nxcloud", real_ws)
    page = wizard.vendor_pages["nxcloud"]
    await shot(wizard, "nxcloud-empty")
    _fill(page, access_key=site.access_key, access_secret=site.access_secret,
          app_key=site.app_key, business_phone="07700 900001")
    assert page.notes["business_phone"].property("role") == "field-error"
    _click(qtbot, page.test_button)
    assert "business phone" in page.result.text() and page.flow.state == "ready"
    await shot(wizard, "nxcloud-bad-phone")
    _fill(page, business_phone="+44 7700 900001")
    _click(qtbot, page.test_button)
    await until(lambda: page.flow.state == DONE, 10, "test and save")
    assert "Connected and saved" in page.result.text()
    assert real_ws.messaging.configured and real_ws.messaging.business_phone == "447700900001"
    assert site.access_secret not in paths.settings_file().read_text()
    assert Settings.load().nxcloud.access_key == site.access_key
    assert keyring.get_password("sitekit", NXCLOUD_ACCESS_SECRET_KEY) == site.access_secret
    await shot(wizard, "nxcloud-saved")


async def test_save_anyway_after_a_failed_test_keeps_the_reason(wizard, demo_ws, real_ws, qtbot):
    site = demo_ws.profile.nxcloud
    real_ws.settings.nxcloud.api = site.api
    wizard.start_vendor("nxcloud", real_ws)
    page = wizard.vendor_pages["nxcloud"]
    _fill(page, access_key=site.access_key, access_secret="typo", app_key=site.app_key)
    _click(qtbot, page.test_button)
    await until(lambda: page.flow.state == FAILED, 10, "the refusal")
    assert not real_ws.messaging.configured
    await shot(wizard, "nxcloud-refused")
    _click(qtbot, page.save_anyway_button)
    await until(lambda: page.flow.state == DONE, 10, "the save")
    assert "Saved without a working test" in page.result.text()
    assert "signature" in page.result.text().lower()
    assert real_ws.messaging.configured
    assert keyring.get_password("sitekit", NXCLOUD_ACCESS_SECRET_KEY) == "typo"
    await shot(wizard, "nxcloud-saved-anyway")


async def test_a_stored_secret_may_stay_empty(wizard, demo_ws, real_ws, qtbot):
    from app.services import connections

    site = demo_ws.profile.nexhome
    await connections.save_nexhome(real_ws, api=site.api, developer_id=site.developer_id,
                                   app_id=site.app_id, app_secret=site.app_secret)
    wizard.start_vendor("nexhome", real_ws)
    page = wizard.vendor_pages["nexhome"]
    await until(lambda: page.flow.secret_stored, 5, "the secret state")
    assert page.fields["api"].text() == site.api and page.fields["app_secret"].text() == ""
    assert "leave empty to keep it" in page.fields["app_secret"].placeholderText()
    await shot(wizard, "nexhome-stored")
    _click(qtbot, page.test_button)
    await until(lambda: page.flow.state == DONE, 10, "test and save")
    assert keyring.get_password("sitekit", NEXHOME_APP_SECRET_KEY) == site.app_secret


def test_flow_saves_only_after_a_test_or_a_deliberate_save_anyway():
    from app.ui.onboarding.vendor_flow import (READY, SAVING, TESTING, VendorConnectFlow)

    flow = VendorConnectFlow()
    flow.start(simulated=False, back=False, values={"app_id": "a"})
    assert not flow.can_save_anyway and not flow.save_anyway()
    assert flow.begin_test() and flow.state == TESTING and not flow.begin_test()
    flow.test_failed("refused")
    assert flow.state == FAILED and flow.can_save_anyway
    flow.edit("app_id", "a")  # unchanged: the verdict stands
    assert flow.state == FAILED
    flow.edit("app_id", "b")  # changed: test again first
    assert flow.state == READY and flow.error == "" and not flow.can_save_anyway
    flow.begin_test()
    flow.test_passed("65 devices")
    assert flow.state == SAVING and not flow.saved_untested
    flow.save_error("Not saved: keyring locked")
    assert flow.state == FAILED and not flow.can_save_anyway  # retry the whole thing
    demo = VendorConnectFlow()
    demo.start(simulated=True, back=True)
    demo.begin_test()
    demo.test_passed("65 devices")
    assert demo.state == READY and demo.demo_tested  # the demo site saves nothing
