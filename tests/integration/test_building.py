"""The Building service against the demo site's NEXhome and NXCloud simulators."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.core.errors import ConfigError, DeviceOffline
from app.core.events import utcnow
from app.core.store import EventStore
from app.services.building import Building, CommandNeedsDecision, check_window, new_pin
from app.services.feed import Feed
from app.services.workspace import Workspace
from app.simulators.nexhome import BACK_DOOR, ELEVATOR, GARAGE, MAIN_ENTRANCE
from app.vendors.nexhome.models import Contact
from tests.integration.conftest import wait_until

RESIDENT = "+44 7700 900123"  # a number the NXCloud simulator delivers to


@pytest.fixture
async def ws():
    workspace = await Workspace.open(demo=True, store_events=False,
                                     demo_site_options={"live_drift_seconds": None})
    sim = workspace.demo_site.nexhome
    sim.redelivery_seconds = 0.3
    sim.max_pull_wait = 0.3
    try:
        yield workspace
    finally:
        await workspace.close()


def record(ws):
    events = []
    ws.feed.subscribe(lambda e: events.append(e) if e.vendor in ("nexhome", "nxcloud") else None)
    return events


async def test_refresh_fills_the_caches_and_names(ws):
    changes = []
    ws.building.subscribe(changes.append)
    await ws.building.refresh()
    b = ws.building
    assert {d.id for d in b.doors} >= {MAIN_ENTRANCE, GARAGE, BACK_DOOR}
    assert len(b.persons) == 120 and len(b.rooms) == 60
    assert b.door_name(MAIN_ENTRANCE) == "Main entrance"
    assert b.device_name(ELEVATOR) == "Lift A controller"
    assert b.person_name(b.persons[0].id) == b.persons[0].name
    assert b.door_name("nope") == "Door nope"
    assert not next(d for d in b.doors if d.id == BACK_DOOR).online
    assert changes == [""]
    b.clear()
    assert b.doors == [] and changes == ["", ""]


async def test_unlock_is_audited_before_and_after_and_fed(ws):
    await ws.building.refresh()
    events = record(ws)
    result = await ws.building.unlock(MAIN_ENTRANCE)
    assert result.opened and ws.demo_site.nexhome.door(MAIN_ENTRANCE).openings == 1
    [entry] = await ws.building.audit()
    assert (entry.action, entry.target, entry.target_name, entry.outcome) == (
        "unlock", MAIN_ENTRANCE, "Main entrance", "ok")
    assert entry.request_id == result.request_id and entry.actor
    [command] = [e for e in events if e.kind == "command"]
    assert command.payload["text"] == "Main entrance: unlock → opened"
    assert command.payload["accessId"] == MAIN_ENTRANCE


async def test_a_refused_unlock_is_audited_as_failed(ws):
    await ws.building.refresh()
    with pytest.raises(DeviceOffline):
        await ws.building.unlock(BACK_DOOR)
    [entry] = await ws.building.audit()
    assert entry.outcome == "failed" and entry.detail


async def test_lost_answer_asks_and_a_retry_with_the_same_id_does_not_open_twice(ws):
    await ws.building.refresh()
    sim = ws.demo_site.nexhome
    sim.faults.drop_after_acting = True
    events = record(ws)
    with pytest.raises(CommandNeedsDecision) as caught:
        await ws.building.unlock(MAIN_ENTRANCE)
    decision = caught.value
    assert decision.target == MAIN_ENTRANCE and decision.target_name == "Main entrance"
    assert decision.action == "unlock"
    [unknown] = await ws.building.audit()
    assert unknown.outcome == "unknown" and unknown.request_id == decision.request_id
    assert sim.door(MAIN_ENTRANCE).openings == 1

    sim.faults.drop_after_acting = False
    result = await ws.building.unlock(MAIN_ENTRANCE, request_id=decision.request_id)
    assert result.opened and result.request_id == decision.request_id
    assert sim.door(MAIN_ENTRANCE).openings == 1 and sim.repeats == 1
    first, retry = await ws.building.audit()
    assert (first.outcome, retry.outcome) == ("unknown", "repeated")
    assert retry.request_id == first.request_id and retry.id != first.id
    texts = [e.payload["text"] for e in events if e.kind == "command"]
    assert texts[0].startswith("Main entrance: unlock → unknown")
    assert texts[1] == "Main entrance: unlock → opened (repeat)"


async def test_elevator_call_is_checked_audited_and_fed(ws):
    await ws.building.refresh()
    events = record(ws)
    result = await ws.building.call_elevator(ELEVATOR, 0, 7)
    assert ws.demo_site.nexhome.elevator_calls == [(ELEVATOR, 0, 7)]
    assert (result.from_floor, result.to_floor) == (0, 7)
    [entry] = await ws.building.audit()
    assert (entry.action, entry.outcome) == ("elevator_call", "ok")
    [command] = [e for e in events if e.kind == "command"]
    assert command.payload["text"] == "Lift A controller: call elevator → floor 0 → 7: called"
    with pytest.raises(ConfigError, match="same floor"):
        await ws.building.call_elevator(ELEVATOR, 3, 3)
    with pytest.raises(ConfigError, match="not an elevator"):
        await ws.building.call_elevator("DS-1", 0, 3)
    assert len(await ws.building.audit()) == 1  # refused before anything was sent


async def test_door_unlocked_its_access_record_arrives_once_despite_redelivery(ws):
    await ws.building.refresh()
    sim = ws.demo_site.nexhome
    sim.faults.commit_status = 500  # commits lost: NEXhome delivers everything again
    events = record(ws)
    await ws.building.start_live()
    await wait_until(lambda: ws.building.live_status == "online", 5)
    await ws.building.unlock(GARAGE)
    await wait_until(lambda: any(e.kind == "access" for e in events), 5)
    # several redelivery rounds later, still one
    await wait_until(lambda: ws.building._live.redeliveries >= 1, 5)
    access = [e for e in events if e.kind == "access"]
    assert len(access) == 1
    assert access[0].payload["text"] == "Garage gate: opened remotely"
    assert access[0].payload["accessId"] == GARAGE
    await ws.building.stop_live()
    assert ws.building.live_status == "stopped"


async def test_live_records_survive_a_restart_without_duplicates(ws, tmp_path):
    """A new Building on the same SQLite file does not show again what the first stored."""
    sim = ws.demo_site.nexhome
    sim.faults.commit_status = 500
    path = tmp_path / "events.sqlite3"

    async def run(expect_new: int):
        store = EventStore(path)
        feed = Feed(None)
        seen = []
        feed.subscribe(lambda e: seen.append(e) if e.kind == "access" else None)
        building = Building(ws.profile, ws.session, ws.clock, feed, store, ws.messaging,
                            actor="test")
        await building.start_live()
        try:
            await wait_until(lambda: len(seen) >= expect_new, 5)
            await wait_until(lambda: building._live.redeliveries >= 1, 5)
        finally:
            await building.stop_live()
        rows = [e for e in await store.recent(100, vendor="nexhome") if e.kind == "access"]
        await store.close()
        return seen, rows

    sim.resident_at_door(MAIN_ENTRANCE)
    seen, rows = await run(1)
    assert len(seen) == 1 and len(rows) == 1
    seen, rows = await run(0)  # "restart": the same message comes again
    assert seen == [] and len(rows) == 1


async def test_a_live_record_is_one_row_when_the_feed_saves_to_the_same_store(ws, tmp_path):
    store = EventStore(tmp_path / "events.sqlite3")
    feed = Feed(store, flush_delay=0.01)
    seen = []
    feed.subscribe(lambda e: seen.append(e) if e.kind == "access" else None)
    building = Building(ws.profile, ws.session, ws.clock, feed, store, ws.messaging, actor="test")
    await building.start_live()
    try:
        ws.demo_site.nexhome.resident_at_door(MAIN_ENTRANCE)
        await wait_until(lambda: len(seen) == 1, 5)
    finally:
        await building.stop_live()
    await feed.flush()
    rows = [e for e in await store.recent(100, vendor="nexhome") if e.kind == "access"]
    await feed.close()
    await store.close()
    assert len(rows) == 1


async def test_pin_issued_and_sent_by_sms_never_reaches_the_feed(ws, caplog):
    caplog.set_level("DEBUG")
    await ws.building.refresh()
    person = ws.building.persons[0]
    events = record(ws)
    issued = await ws.building.issue_credential(person.id, "PIN", send="sms", phone=RESIDENT)
    assert len(issued.content) == 6 and issued.content.isdigit()
    assert issued.sent_to == "+44 ••••••0123" and not issued.send_error
    assert issued.content not in repr(issued)
    [sms] = [m for m in ws.demo_site.nxcloud.sent if m.channel == "sms"]
    assert sms.to == "447700900123"
    assert f"Your entry PIN for Demo site is {issued.content}" in sms.text
    stored = ws.demo_site.nexhome.credentials[issued.credential.id]
    assert stored["content"] == issued.content
    feed_text = json.dumps([e.payload for e in events]) + "".join(e.device for e in events)
    assert issued.content not in feed_text and "900123" not in feed_text
    assert any(e.kind == "credential" and "PIN issued for" in e.payload["text"] for e in events)
    assert (await ws.building.audit()) == []  # the audit trail is for commands only
    assert issued.content not in caplog.text and "credential" in caplog.text


async def test_qr_code_has_a_window_and_goes_by_whatsapp(ws):
    await ws.building.refresh()
    person = ws.building.persons[1]
    until = utcnow() + timedelta(hours=6)
    issued = await ws.building.issue_credential(person.id, "QRCODE", valid_until=until,
                                                send="whatsapp", phone=RESIDENT)
    assert len(issued.content) >= 20 and not issued.send_error
    rule = issued.credential.rule
    assert rule.expired is not None and abs((rule.expired - until).total_seconds()) < 1
    sent = [m for m in ws.demo_site.nxcloud.sent if m.channel == "whatsapp"]
    assert sent[0].template == "visitor_qr" and person.name in sent[0].text
    assert issued.content in sent[1].text


async def test_a_send_failure_keeps_the_issued_credential(ws):
    await ws.building.refresh()
    person = ws.building.persons[2]
    issued = await ws.building.issue_credential(person.id, "PIN", send="sms",
                                                phone="+44 7700 900000")  # invalid number
    assert issued.credential.id in ws.demo_site.nexhome.credentials
    assert issued.send_error and not issued.sent_to


async def test_credential_rules_are_checked_before_issuing(ws):
    await ws.building.refresh()
    person = ws.building.persons[0]
    now = utcnow()
    with pytest.raises(ConfigError, match="before it starts"):
        await ws.building.issue_credential(person.id, "QRCODE",
                                           valid_from=now + timedelta(hours=2),
                                           valid_until=now + timedelta(hours=1))
    with pytest.raises(ConfigError, match="more than a year"):
        await ws.building.issue_credential(person.id, "PIN",
                                           valid_until=now + timedelta(days=400))
    assert ws.demo_site.nexhome.credentials == {}
    assert len({new_pin() for _ in range(50)}) > 40
    start, end = check_window(None, None, "credential", now=now)
    assert start == now and end - start == timedelta(days=1)


async def test_contacts_push_and_announcements(ws):
    await ws.building.refresh()
    contacts = [Contact("Anna de Vries", "101", "+31612000001"), Contact("Concierge", "", "100")]
    await ws.building.push_contacts("DS-1", contacts)
    assert ws.demo_site.nexhome.building.devices["DS-1"].contacts == [c.to_api() for c in contacts]
    with pytest.raises(ConfigError, match="no number"):
        await ws.building.push_contacts("DS-1", [Contact("Nobody")])

    until = utcnow() + timedelta(days=2)
    announcement = await ws.building.announce("Lift maintenance", "Lift A is off on Monday.",
                                              ["DS-1", "DS-2"], valid_until=until)
    assert announcement.id in ws.demo_site.nexhome.announcements
    with pytest.raises(ConfigError, match="in the past"):
        await ws.building.announce("Late", "Too late", ["DS-1"],
                                   valid_from=utcnow() - timedelta(days=2),
                                   valid_until=utcnow() - timedelta(days=1))
    with pytest.raises(ConfigError, match="at least one device"):
        await ws.building.announce("T", "text", [])


async def test_an_issued_credential_can_be_sent_afterwards(ws):
    await ws.building.refresh()
    person = ws.building.persons[3]
    issued = await ws.building.issue_credential(person.id, "PIN")
    assert not issued.sent_to and not ws.demo_site.nxcloud.sent
    sent = await ws.building.send_credential(issued, "whatsapp", RESIDENT)
    assert sent.sent_to == "+44 ••••••0123" and sent.content == issued.content
    [message] = ws.demo_site.nxcloud.sent
    assert message.template == "resident_pin" and issued.content in message.text


def test_elevator_floors_are_checked_when_the_controller_names_them():
    from app.services.building import check_floors
    from app.vendors.nexhome.models import Device

    lift = Device.from_api({"id": "EC-9", "name": "Lift B", "type": "ELEVATOR_CONTROLLER",
                            "minFloor": -1, "maxFloor": 8})
    check_floors(lift, -1, 8)
    with pytest.raises(ConfigError, match="serves floors -1 to 8, not 12"):
        check_floors(lift, 0, 12)
    check_floors(Device.from_api({"id": "EC-1", "type": "ELEVATOR_CONTROLLER"}), 0, 40)


def test_the_operator_setting_round_trips():
    from app.core.settings import Settings

    settings = Settings.from_dict({"operator": "Sam (installer)"})
    assert settings.operator == "Sam (installer)"
    assert Settings.from_dict(settings.to_dict()).operator == "Sam (installer)"
    assert Settings().operator == ""


async def test_the_audit_names_the_operator_from_settings(isolated_home):
    from app.core import paths
    from app.core.settings import Settings

    paths.settings_file().parent.mkdir(parents=True, exist_ok=True)
    Settings(operator="Sam (installer)").save()
    workspace = await Workspace.open(demo=True, store_events=False,
                                     demo_site_options={"live_drift_seconds": None})
    try:
        await workspace.building.refresh()
        await workspace.building.unlock(MAIN_ENTRANCE)
        [entry] = await workspace.building.audit()
        assert entry.actor == "Sam (installer)"
    finally:
        await workspace.close()


async def test_new_credentials_restart_the_live_channel(ws):
    from dataclasses import replace

    await ws.building.start_live()
    await wait_until(lambda: ws.building.live_status == "online", 5)
    first = ws.building._live
    ws.building.use_profile(replace(ws.building.profile))
    await wait_until(lambda: ws.building._live is not None and ws.building._live is not first
                     and ws.building.live_status == "online", 5)
    assert ws.building._live.client is ws.building.client


async def test_lift_floors_are_set_audited_and_read_back(ws):
    await ws.building.refresh()
    person = ws.building.persons[0]
    assert await ws.building.lift_floors(person.id) == ()
    floors = await ws.building.set_lift_floors(person.id, "3, 0, -1, 3")
    assert floors == (-1, 0, 3)
    assert ws.demo_site.nexhome.elevator_configs[person.id] == [-1, 0, 3]
    assert await ws.building.lift_floors(person.id) == (-1, 0, 3)
    [entry] = [e for e in await ws.building.audit() if e.action == "lift_floors"]
    assert (entry.outcome, entry.detail, entry.target_name) == ("ok", "floors -1, 0, 3", person.name)


async def test_lift_floors_that_are_not_numbers_are_refused_before_sending(ws):
    from app.core.errors import ConfigError

    await ws.building.refresh()
    person = ws.building.persons[0]
    with pytest.raises(ConfigError, match="'3rd' is not a floor number"):
        await ws.building.set_lift_floors(person.id, "0, 3rd")
    assert person.id not in ws.demo_site.nexhome.elevator_configs
