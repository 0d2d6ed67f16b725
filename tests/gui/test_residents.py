"""Residents screen: persons, PIN / QR credentials sent by SMS and WhatsApp, a panel's
directory and announcements, against the demo site's NEXhome and NXCloud simulators."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from app.services.messaging import masked_phone
from app.ui.residents import validity
from app.ui.residents.contacts import contacts_problem, panel_devices
from app.ui.residents.page import ResidentsPage
from app.ui.residents.qr import image_matrix, qr_code, qr_image, qr_matrix
from app.ui.tasks import Tasks
from app.vendors.nexhome.models import Device
from tests.gui.support import until

PERSON = "P0003"


async def open_page(qtbot, ws) -> ResidentsPage:
    ws.demo_site.nxcloud.result_delay_seconds = 0.2
    page = ResidentsPage(Tasks())
    qtbot.addWidget(page)
    page.resize(1090, 700)
    page.show()
    page.attach(ws)
    await until(lambda: page.stack.currentWidget() is page.tabs, what="the residents list")
    return page


async def issue(page: ResidentsPage, kind: str):
    assert page.select_person(PERSON)
    (page.panel.qr_button if kind == "QRCODE" else page.panel.pin_button).click()
    dialog = page.credential_dialog
    assert dialog is not None and dialog.kind == kind
    dialog.issue_button.click()
    await until(lambda: dialog.result is not None, what="the issued credential")
    return dialog


def feed_texts(ws) -> list[str]:
    return [str(event.payload) + " " + event.device for event in ws.feed.recent()]


async def test_list_search_and_flat_filter(qtbot, demo_ws):
    page = await open_page(qtbot, demo_ws)
    assert page.model.rowCount() == 120  # three pages of 50 from NEXhome
    assert page.count.text() == "120 residents"
    page.search.setText("anna vries")  # every word, in any field
    assert {page.model.person_at(r).name for r in range(page.model.rowCount())} == {"Anna de Vries"}
    page.search.setText("flat 506")
    assert page.model.rowCount() == 2
    assert page.count.text() == "2 of 120 residents"
    page.search.setText("")
    page.room.setCurrentIndex(page.room.findData("R1006"))
    names = {page.model.person_at(r).id for r in range(page.model.rowCount())}
    assert names == {p.id for p in demo_ws.building.persons if "R1006" in p.room_ids}
    page.room.setCurrentIndex(0)
    assert page.select_person(PERSON)
    assert page.panel.name.text() == demo_ws.building.person(PERSON).name
    assert page.panel.rooms.text() == "Flat 102"
    page.detach()


async def test_issue_qr_and_send_by_sms(qtbot, demo_ws):
    page = await open_page(qtbot, demo_ws)
    dialog = await issue(page, "QRCODE")
    content = dialog.result.content
    # the code on screen is segno's encoding of exactly the issued content
    modules = len(qr_matrix(content))
    assert image_matrix(dialog.qr_image, modules) == qr_matrix(content)
    assert dialog.code_label.pixmap().toImage().size() == dialog.qr_image.size()
    sim_credential = next(c for c in demo_ws.demo_site.nexhome.credentials.values()
                          if c["personId"] == PERSON and c["type"] == "QRCODE")
    assert sim_credential["content"] == content
    # a week for a visitor by default
    rule = dialog.result.credential.rule
    assert rule.expired - rule.effective == timedelta(days=7)

    phone = demo_ws.building.person(PERSON).phone
    dialog.send_buttons["sms"].click()
    await until(lambda: dialog.sent_by == ["sms"], what="the SMS")
    sent = [m for m in demo_ws.demo_site.nxcloud.sent if m.channel == "sms"]
    assert len(sent) == 1 and content in sent[0].text and sent[0].to == phone.lstrip("+")
    assert masked_phone(phone) in dialog.send_status.text()
    texts = feed_texts(demo_ws)
    assert any(masked_phone(phone) in t and "SMS" in t for t in texts)
    assert not any(content in t or phone in t or phone.lstrip("+") in t for t in texts)
    # the credentials list names it without its content
    await until(lambda: "QR code" in page.panel.credentials_text.text(), what="the list")
    assert content not in page.panel.credentials_text.text()
    dialog.close_button.click()
    page.detach()


async def test_issue_qr_and_send_by_whatsapp(qtbot, demo_ws):
    page = await open_page(qtbot, demo_ws)
    dialog = await issue(page, "QRCODE")
    content = dialog.result.content
    dialog.send_buttons["whatsapp"].click()
    await until(lambda: dialog.sent_by == ["whatsapp"], what="the WhatsApp message")
    sent = [m for m in demo_ws.demo_site.nxcloud.sent if m.channel == "whatsapp"]
    assert any(content in m.text for m in sent)
    assert not any(content in t for t in feed_texts(demo_ws))
    page.detach()


async def test_send_error_keeps_the_issued_code(qtbot, demo_ws):
    page = await open_page(qtbot, demo_ws)
    dialog = await issue(page, "PIN")
    demo_ws.demo_site.nxcloud.faults.insufficient_balance = True
    dialog.send_buttons["sms"].click()
    await until(lambda: not dialog.busy and "Not sent" in dialog.send_status.text(),
                what="the refusal")
    assert dialog.code_label.text() == dialog.result.content  # still on screen
    assert dialog.pages.currentWidget() is dialog.result_page
    assert dialog.send_buttons["whatsapp"].isEnabled()
    page.detach()


async def test_issue_pin(qtbot, demo_ws):
    page = await open_page(qtbot, demo_ws)
    dialog = await issue(page, "PIN")
    pin = dialog.result.content
    assert len(pin) == 6 and pin.isdigit()
    assert dialog.code_label.text() == pin
    assert "not keep the code" in dialog.once_note.text()
    sim = demo_ws.demo_site.nexhome
    assert any(c["content"] == pin and c["type"] == "PIN" for c in sim.credentials.values())
    assert not any(pin in t for t in feed_texts(demo_ws))
    page.detach()


async def test_window_is_checked_before_issuing(qtbot, demo_ws):
    page = await open_page(qtbot, demo_ws)
    page.select_person(PERSON)
    dialog = page.open_issue_dialog(PERSON, "QRCODE")
    fields = dialog.window_fields
    fields.until_edit.setDateTime(fields.from_edit.dateTime().addSecs(-3600))
    dialog.issue_button.click()
    assert "later than" in fields.problem_label.text()
    assert not dialog.busy and dialog.result is None
    assert not demo_ws.demo_site.nexhome.credentials
    fields.until_edit.setDateTime(fields.from_edit.dateTime().addDays(2))
    assert fields.problem_label.isHidden()  # gone as soon as it is fixed
    dialog.reject()
    page.detach()


async def test_push_contacts_to_a_door_station(qtbot, demo_ws):
    page = await open_page(qtbot, demo_ws)
    page.tabs.setCurrentWidget(page.tabs.widget(1))
    editor = page.contacts
    assert editor.device.currentData() == "DS-2"  # online door stations first, by name
    assert editor.select_device("DS-1")
    editor.import_residents()
    assert editor.table.rowCount() == 120
    editor.push_button.click()
    station = demo_ws.demo_site.nexhome.building.devices["DS-1"]
    await until(lambda: len(station.contacts) == 120, what="the directory on the station")
    await until(lambda: not editor.busy)
    assert "120 contacts" in editor.result.text()
    first = demo_ws.building.persons[0]
    # the number a visitor dials is the flat's call code, not the resident's phone
    assert station.contacts[0] == {"name": first.name, "room": "Flat 101", "number": "101"}
    # what the station has now reads back into the table
    editor.set_rows([])
    editor.load_button.click()
    await until(lambda: editor.table.rowCount() == 120 and not editor.busy, what="read back")
    assert editor.rows()[0] == (first.name, "Flat 101", "101")
    # a line without a number is refused here, and the station keeps what it had
    editor.set_rows([("Caretaker", "", "")])
    editor.push_button.click()
    assert "no number" in editor.result.text()
    assert len(station.contacts) == 120
    page.detach()


async def test_send_an_announcement(qtbot, demo_ws):
    page = await open_page(qtbot, demo_ws)
    editor = page.announcements
    editor.send_button.click()
    assert "title" in editor.result.text()
    editor.title.setText("Water off on Thursday")
    editor.text.setPlainText("The water will be off on Thursday from 9:00 to 12:00.")
    editor.tick_type("DOOR_STATION")
    editor.send_button.click()
    await until(lambda: editor.sent, what="the announcement")
    sim = demo_ws.demo_site.nexhome
    [sent] = sim.announcements.values()
    assert sent["title"] == "Water off on Thursday"
    assert sorted(sent["deviceIds"]) == ["DS-1", "DS-2", "DS-3"]
    assert sent["expiredTime"] - sent["effectiveTime"] == 3 * 24 * 3600 * 1000
    assert "3 panels" in editor.result.text()
    page.detach()


async def test_not_configured_asks_for_settings(qtbot, demo_ws):
    building = demo_ws.building
    building.use_profile(dataclasses.replace(building.profile, nexhome=None))
    page = ResidentsPage(Tasks())
    qtbot.addWidget(page)
    page.attach(demo_ws)
    assert page.stack.currentWidget() is page.list_state
    assert "not set up" in page.list_state.text.text()
    asked = []
    page.settings_requested.connect(lambda: asked.append(True))
    page.list_state.action.click()
    assert asked
    page.detach()


# -- no Qt loop needed --------------------------------------------------------------------

def test_qr_image_is_crisp_with_a_quiet_zone(qtbot):
    content = "SK-visitor-7f3a9c2e1b"
    matrix = qr_matrix(content)
    assert len(matrix) == qr_code(content).symbol_size(border=4)[0]
    assert not any(matrix[0]) and not any(row[0] for row in matrix)  # quiet zone
    image = qr_image(content, 240)
    assert image.width() % len(matrix) == 0  # whole pixels per module
    assert image_matrix(image, len(matrix)) == matrix


def test_window_rules():
    now = validity.now()
    assert validity.window_problem(now, now + timedelta(days=7), now) == ""
    assert "later than" in validity.window_problem(now, now, now)
    assert "past" in validity.window_problem(now - timedelta(days=3), now - timedelta(days=1), now)
    assert "a year" in validity.window_problem(now, now + timedelta(days=400), now)
    assert validity.duration_text(now, now + timedelta(days=7)) == "7 days"
    assert validity.duration_text(now, now + timedelta(hours=3, minutes=30)) == "3 h 30 min"


def test_contacts_rules():
    contacts, problem = contacts_problem([("Anna", "Flat 101", "+31612000001"), ("", "", "")])
    assert problem == "" and len(contacts) == 1
    assert "no number" in contacts_problem([("Anna", "", " ")])[1]
    assert "no name" in contacts_problem([("", "Flat 1", "123")])[1]
    assert "empty" in contacts_problem([])[1]


def test_panels_listed_door_stations_first_in_number_order():
    devices = [Device("IM-1001", name="Monitor flat 1001", type="INDOOR_MONITOR", online=True),
               Device("IM-101", name="Monitor flat 101", type="INDOOR_MONITOR", online=True),
               Device("DS-3", name="Back door station", type="DOOR_STATION", online=False),
               Device("DS-1", name="Main entrance station", type="DOOR_STATION", online=True),
               Device("EC-1", name="Lift", type="ELEVATOR_CONTROLLER", online=True)]
    assert [d.id for d in panel_devices(devices)] == ["DS-1", "DS-3", "IM-101", "IM-1001"]


async def test_failed_load_offers_try_again(qtbot, demo_ws):
    sim = demo_ws.demo_site.nexhome
    sim.faults.http_status = 503
    page = ResidentsPage(Tasks())
    qtbot.addWidget(page)
    page.show()
    page.attach(demo_ws)
    await until(lambda: page.list_state.action.text() == "Try again", timeout=15,
                what="the failed state")
    assert page.list_state.banner.text()
    sim.faults.http_status = None
    page.list_state.action.click()
    await until(lambda: page.stack.currentWidget() is page.tabs, what="the list after retry")
    assert page.model.rowCount() == 120
    page.detach()


async def test_resident_without_phone_cannot_be_sent_to(qtbot, demo_ws):
    person = demo_ws.demo_site.nexhome.add_person("Caretaker", "", ["R101"])
    page = await open_page(qtbot, demo_ws)
    assert page.select_person(person.id)
    page.panel.pin_button.click()
    dialog = page.credential_dialog
    dialog.issue_button.click()
    await until(lambda: dialog.result is not None, what="the PIN")
    assert not any(b.isVisible() for b in dialog.send_buttons.values())
    assert "No phone number" in dialog.send_to.text()
    page.detach()


async def test_nexhome_is_read_when_the_screen_is_opened(qtbot, demo_ws):
    page = ResidentsPage(Tasks())
    qtbot.addWidget(page)
    page.attach(demo_ws)  # at start-up, the screen not shown
    await asyncio.sleep(0.2)
    assert demo_ws.building.persons == [] and "Loading" in page.list_state.text.text()
    page.show()
    await until(lambda: page.stack.currentWidget() is page.tabs, what="the list once shown")
    assert page.model.rowCount() == 120
    page.detach()


async def test_a_refresh_elsewhere_fills_the_list(qtbot, demo_ws):
    page = ResidentsPage(Tasks())
    qtbot.addWidget(page)
    page.attach(demo_ws)
    await demo_ws.building.refresh()  # e.g. the Doors screen
    assert page.stack.currentWidget() is page.tabs
    assert page.model.rowCount() == 120
    page.detach()


async def test_lift_floors_are_read_edited_and_saved(qtbot, demo_ws):
    page = await open_page(qtbot, demo_ws)
    assert page.select_person(PERSON)
    lift = page.panel.lift
    await until(lambda: not lift.busy, what="the lift floors")
    assert lift.current.text() == "No lift access."
    lift.floors.setText("0, 3rd")
    lift.save_button.click()
    await until(lambda: not lift.busy, what="the refusal")
    assert "'3rd' is not a floor number" in lift.result.text()
    assert PERSON not in demo_ws.demo_site.nexhome.elevator_configs  # nothing sent
    lift.floors.setText("3, 0, -1")
    lift.save_button.click()
    await until(lambda: lift.result.text() == "Saved in NEXhome.", what="the save")
    assert demo_ws.demo_site.nexhome.elevator_configs[PERSON] == [-1, 0, 3]
    assert lift.current.text() == "Reaches floors -1, 0, 3"
    assert any("lift to floors -1, 0, 3" in text for text in feed_texts(demo_ws))
