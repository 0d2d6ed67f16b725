"""The Messages screen against the demo site's simulated NXCloud: checks, sends, refusals,
an unknown outcome that is never resent by itself. Set SITEKIT_SHOTS=dir to keep PNGs."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.ui.messaging.flow import TEMPLATE, WHATSAPP
from tests.gui.support import cell, until

ALICE = "+44 7700 900123"
INVALID = "+44 7700 900000"
NOT_ON_WHATSAPP = "+44 7700 900777"


async def shot(widget, name: str) -> None:
    folder = os.environ.get("SITEKIT_SHOTS")
    if folder:
        await asyncio.sleep(0.05)  # let the layouts settle
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"messaging-{name}.png"))


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
async def page(qtbot, demo_ws):
    from app.ui.messaging.page import MessagingPage
    from app.ui.tasks import Tasks

    demo_ws.demo_site.nxcloud.result_delay_seconds = 0.2
    tasks = Tasks()
    widget = MessagingPage(tasks)
    widget.resize(1090, 700)
    widget.show()
    widget.attach(demo_ws)
    try:
        yield widget
    finally:
        for _ in range(300):
            if not tasks.running:
                break
            await asyncio.sleep(0.01)
        await tasks.cancel_all()
        widget.detach()
        dispose(widget)


def _type_phone(qtbot, page, text: str) -> None:
    page.phone.clear()
    qtbot.keyClicks(page.phone, text)


def _click(qtbot, button) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


async def test_checks_a_valid_and_an_invalid_number(page, qtbot):
    assert page.stack.currentIndex() == 1  # the demo site brings its account
    await shot(page, "empty")
    _type_phone(qtbot, page, ALICE)
    assert page.phone_note.text() == "Sends to +44 7700900123"
    assert page.level.currentData() == "hlr"
    _click(qtbot, page.check_button)
    assert page.checking and page.check_spinner.isVisible()
    assert page.verdict.text() == "Asking the mobile network…"
    await shot(page, "checking")
    await until(lambda: not page.checking, 10, "the check")
    assert page.verdict_icon.text() == "✔"
    assert page.verdict.text() == "Valid"
    assert "is valid and reachable" in page.check_summary.text()
    await shot(page, "check-valid")

    _type_phone(qtbot, page, INVALID)
    assert not page.check_box.isVisible()  # the verdict was about the other number
    _click(qtbot, page.check_button)
    await until(lambda: not page.checking, 10, "the check")
    assert page.verdict_icon.text() == "✖"
    assert page.verdict.text() == "Not a valid number"
    assert "is not a valid number" in page.check_summary.text()
    await shot(page, "check-invalid")


async def test_an_unreachable_number_is_a_warning(page, qtbot):
    page.level.setCurrentIndex(page.level.findData("call"))
    assert page.level_hint.text().startswith("Rings the number briefly")
    _type_phone(qtbot, page, "+44 7700 900999")
    _click(qtbot, page.check_button)
    assert page.verdict.text() == "Calling the number briefly…"
    await until(lambda: not page.checking, 10, "the check")
    assert (page.verdict_icon.text(), page.verdict.text()) == ("⚠", "Cannot be reached now")
    assert "cannot be reached right now" in page.check_summary.text()


async def test_check_still_pending_says_try_again(page, qtbot, demo_ws, monkeypatch):
    from app.ui.messaging import page as page_module

    demo_ws.demo_site.nxcloud.result_delay_seconds = 30
    monkeypatch.setitem(page_module.CHECK_WAIT, "basic", 0.3)
    page.level.setCurrentIndex(page.level.findData("basic"))
    _type_phone(qtbot, page, ALICE)
    _click(qtbot, page.check_button)
    await until(lambda: not page.checking, 10, "the check")
    assert page.verdict.text().startswith("Still checking")
    assert "Check again in a minute" in page.check_summary.text()


async def test_sends_an_sms_and_lists_it(page, qtbot, demo_ws):
    sim = demo_ws.demo_site.nxcloud
    _type_phone(qtbot, page, ALICE)
    qtbot.keyClicks(page.text, "SiteKit test: intercom at Flat 12")
    assert page.counter.text() == "33 / 1000 characters"
    _click(qtbot, page.send_button)
    await until(lambda: not page.sending, 10, "the send")
    assert [(m.channel, m.to, m.text) for m in sim.sent] == [
        ("sms", "447700900123", "SiteKit test: intercom at Flat 12")]
    assert page.result.text().startswith("NXCloud accepted an SMS to +44 7700900123")
    assert sim.sent[0].message_id in page.result.text()
    model = page.sent_model
    assert model.rowCount() == 1
    assert cell(model, 0, 1) == "SMS"
    assert cell(model, 0, 2) == "+44 ••••••0123"
    assert cell(model, 0, 3) == f"Accepted · id {sim.sent[0].message_id}"
    assert page.sent_table.isVisible()
    await shot(page, "sms-sent")


async def test_whatsapp_refusal_keeps_the_text(page, qtbot, demo_ws):
    _type_phone(qtbot, page, NOT_ON_WHATSAPP)
    _click(qtbot, page.channel_buttons[WHATSAPP])
    assert page.counter.text() == "0 / 4096 characters"
    assert "business phone +44 7700900001" in page.sender_note.text()
    qtbot.keyClicks(page.text, "Hello from SiteKit")
    _click(qtbot, page.send_button)
    await until(lambda: not page.sending, 10, "the send")
    text = page.result.text()
    assert "may not use WhatsApp" in text
    assert "send the credential by SMS instead" in text  # the hint
    assert page.text.toPlainText() == "Hello from SiteKit"
    assert page.phone.text() == NOT_ON_WHATSAPP
    assert demo_ws.demo_site.nxcloud.sent == type(demo_ws.demo_site.nxcloud.sent)()
    assert page.sent_model.records[0].status.startswith("Not sent")
    await shot(page, "whatsapp-refused")


async def test_whatsapp_template_with_its_values(page, qtbot, demo_ws):
    _type_phone(qtbot, page, ALICE)
    _click(qtbot, page.channel_buttons[TEMPLATE])
    page.template.setCurrentIndex(page.template.findData("visitor_qr"))
    assert [e.isVisible() for e in page.param_edits] == [True, True]
    _click(qtbot, page.send_button)
    assert page.template_error.text() == "Fill in the Visitor's name first."
    qtbot.keyClicks(page.param_edits[0], "Sam")
    qtbot.keyClicks(page.param_edits[1], "24 Nov 18:00")
    assert "Hello Sam, your visitor QR code is valid until 24 Nov 18:00." in page.preview.text()
    await shot(page, "template")
    _click(qtbot, page.send_button)
    await until(lambda: not page.sending, 10, "the send")
    sent = list(demo_ws.demo_site.nxcloud.sent)
    assert [(m.template, m.text) for m in sent] == [
        ("visitor_qr", "Hello Sam, your visitor QR code is valid until 24 Nov 18:00.")]
    assert page.result.text().startswith("NXCloud accepted a WhatsApp template message")


async def test_unknown_outcome_warns_and_never_resends(page, qtbot, demo_ws):
    sim = demo_ws.demo_site.nxcloud
    sim.faults.drop_after_acting = True
    _type_phone(qtbot, page, ALICE)
    qtbot.keyClicks(page.text, "Your PIN is 4821")
    _click(qtbot, page.send_button)
    await until(lambda: not page.sending, 15, "the send")
    assert page.result.text().startswith("<b>NXCloud may or may not have sent it — check before "
                                         "sending again.</b>")
    assert page.send_button.text() == "Send again anyway"
    assert page.sent_model.records[0].status == "Unknown: may or may not have gone"
    assert page.text.toPlainText() == "Your PIN is 4821"
    await shot(page, "unknown-outcome")
    await asyncio.sleep(0.5)
    assert len(sim.sent) == 1  # nothing sent again by itself
    first_id = sim.sent[0].sys_message_id

    # the tail of a double-click right after the warning does not send
    page.RESEND_ARM_SECONDS = 0
    page._armed_at = float("inf")
    _click(qtbot, page.send_button)
    await asyncio.sleep(0.2)
    assert len(sim.sent) == 1 and not page.sending

    # a deliberate click does, with the same SMS id
    page._armed_at = 0
    sim.faults.drop_after_acting = False
    _click(qtbot, page.send_button)
    await until(lambda: not page.sending, 15, "the second send")
    assert len(sim.sent) == 2 and sim.sent[1].sys_message_id == first_id
    assert page.send_button.text() == "Send"
    assert page.result.text().startswith("NXCloud accepted an SMS")


async def test_a_national_number_is_refused_before_sending(page, qtbot, demo_ws):
    sim = demo_ws.demo_site.nxcloud
    _type_phone(qtbot, page, "07700 900123")
    assert page.phone_note.text() == ("Starts with 0: add the country code and drop the 0 "
                                      "(in the UK that is +44 7700 900123).")
    assert page.phone_note.property("role") == "field-error"
    qtbot.keyClicks(page.text, "Hello")
    await shot(page, "national-number")
    _click(qtbot, page.send_button)
    _click(qtbot, page.check_button)
    await asyncio.sleep(0.2)
    assert not page.sending and not page.checking
    assert len(sim.sent) == 0 and len(sim.requests) == 0
    assert page.text.toPlainText() == "Hello"


async def test_text_over_the_limit_is_not_sent(page, qtbot, demo_ws):
    _type_phone(qtbot, page, ALICE)
    page.text.setPlainText("x" * 1001)
    assert page.counter.text() == "1001 / 1000 characters · 1 too many"
    _click(qtbot, page.send_button)
    assert page.text_error.text().startswith("Too long for SMS")
    _click(qtbot, page.channel_buttons[WHATSAPP])
    assert page.counter.text() == "1001 / 4096 characters"
    await asyncio.sleep(0.1)
    assert len(demo_ws.demo_site.nxcloud.requests) == 0


async def test_not_configured_points_to_settings(qtbot):
    from app.services.workspace import Workspace
    from app.ui.messaging.page import MessagingPage
    from app.ui.tasks import Tasks

    ws = await Workspace.open(store_events=False)  # the real clouds, nothing configured
    page = MessagingPage(Tasks())
    page.resize(1090, 700)
    page.show()
    try:
        page.attach(ws)
        assert page.stack.currentIndex() == 0
        assert page.setup_title.text() == "NXCloud is not set up for this site"
        asked = []
        page.settings_requested.connect(lambda: asked.append(True))
        await shot(page, "not-configured")
        _click(qtbot, page.settings_button)
        assert asked == [True]
    finally:
        page.detach()
        dispose(page)
        await ws.close()


async def test_sending_shows_progress_and_blocks_a_second_send(page, qtbot, demo_ws):
    sim = demo_ws.demo_site.nxcloud
    sim.faults.delay_seconds = 0.5
    _type_phone(qtbot, page, ALICE)
    qtbot.keyClicks(page.text, "Test")
    _click(qtbot, page.send_button)
    assert page.sending and not page.send_button.isEnabled()
    assert page.send_status.text() == "Sending to +44 7700900123…"
    await shot(page, "sending")
    page.send()  # Enter, a shortcut: ignored while one is on its way
    await until(lambda: not page.sending, 10, "the send")
    assert len(sim.sent) == 1


# -- the Qt-free rules --------------------------------------------------------------------

def test_phone_notes():
    from app.ui.messaging.flow import EMPTY_PHONE_HINT, PhoneNote, phone_note

    assert phone_note("") == PhoneNote(None, EMPTY_PHONE_HINT, False)
    assert phone_note("0044 7700 900123").digits == "447700900123"
    assert phone_note("abc").text.startswith("It is not a phone number")
    assert phone_note("+44 12345678901234").error


def test_counts_and_templates():
    from app.ui.messaging.flow import SMS, TEMPLATES, count_text

    assert count_text(SMS, "x" * 1000) == ("1000 / 1000 characters", False)
    assert count_text(WHATSAPP, "x" * 4097) == ("4097 / 4096 characters · 1 too many", True)
    pin = TEMPLATES[0]
    assert pin.missing([""]) == "PIN" and pin.missing(["4821"]) is None
    assert pin.preview([""]) == "Your SiteKit door PIN is [PIN]. Keep it private."
    assert pin.build([" 4821 "]).as_json()["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "4821"}]}]


def test_guard_reuses_only_an_sms_id():
    from app.ui.messaging.flow import SMS, SendGuard

    guard = SendGuard()
    guard.record_unknown("447700900123", SMS, "sk-0123456789", "PIN 4821")
    assert guard.retry_id("447700900123", SMS, "PIN 4821") == "sk-0123456789"
    assert guard.retry_id("447700900123", SMS, "PIN 4822") is None  # another message
    assert guard.retry_id("447700900123", WHATSAPP, "PIN 4821") is None
    assert guard.pending_for("447700900456") is None
    guard.settled("447700900123")
    assert guard.pending_for("447700900123") is None
