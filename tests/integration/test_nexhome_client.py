"""NexhomeClient against the simulated NEXhome cloud on loopback."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from app.core.errors import AuthError, DeviceOffline, NetworkError
from app.simulators.nexhome import (BACK_DOOR, ELEVATOR, MAIN_ENTRANCE, MAIN_STATION, NexhomeSim,
                                    PLANT_ROOM)
from app.vendors.nexhome import endpoints
from app.vendors.nexhome.client import (CommandOutcomeUnknown, InvalidRequest, NexhomeClient,
                                        NotFound, PermissionDenied)
from app.vendors.nexhome.models import Contact


@pytest.fixture
async def nexhome_sim():
    sim = NexhomeSim()
    await sim.start("127.0.0.1", 0)
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
def make_client(nexhome_sim, http_session, clock):
    def make(**overrides):
        options = dict(api=nexhome_sim.api, developer_id=nexhome_sim.developer_id,
                       app_id=nexhome_sim.app_id, app_secret=nexhome_sim.app_secret, clock=clock,
                       command_timeout=2.0)
        options.update(overrides)
        return NexhomeClient(http_session, **options)
    return make


@pytest.fixture
def client(make_client):
    return make_client()


async def test_devices_and_persons_paged_beyond_50(client, nexhome_sim):
    devices = await client.devices()
    assert len(devices) == len(nexhome_sim.building.devices) > 50
    assert len({d.id for d in devices}) == len(devices)
    assert {d.type for d in devices} == set(endpoints.DEVICE_TYPES)
    persons = await client.persons()
    assert len(persons) == 120 and len({p.id for p in persons}) == 120
    pages = [r for r in nexhome_sim.requests if r.path.endswith("/persons")]
    assert len(pages) == 3  # 50 + 50 + 20
    back = next(d for d in devices if d.access_ids == (BACK_DOOR,))
    assert not back.online
    assert next(d for d in devices if d.id == MAIN_STATION).supports_face


async def test_async_iteration_fetches_pages_lazily(client, nexhome_sim):
    seen = []
    async for person in client.iter_persons():
        seen.append(person)
        if len(seen) == 3:
            break
    assert len([r for r in nexhome_sim.requests if r.path.endswith("/persons")]) == 1


async def test_doors_with_online_state(client):
    doors = {d.id: d for d in await client.doors()}
    assert doors[MAIN_ENTRANCE].online and not doors[BACK_DOOR].online
    assert PLANT_ROOM not in doors  # the device names it, but it is not granted to the app
    with pytest.raises(PermissionDenied):
        await client.door(PLANT_ROOM)


async def test_unlock_opens_once(client, nexhome_sim):
    result = await client.unlock(MAIN_ENTRANCE)
    assert result.opened and len(result.request_id) == 32
    assert nexhome_sim.door(MAIN_ENTRANCE).openings == 1


async def test_unlock_offline_door_is_a_definite_error(client, nexhome_sim):
    with pytest.raises(DeviceOffline) as info:
        await client.unlock(BACK_DOOR)
    assert "offline" in info.value.message.lower()
    assert nexhome_sim.door(BACK_DOOR).openings == 0


async def test_lost_unlock_reply_is_not_retried_and_explicit_retry_opens_once(client, nexhome_sim):
    nexhome_sim.faults.drop_after_acting = True
    with pytest.raises(CommandOutcomeUnknown) as info:
        await client.unlock(MAIN_ENTRANCE)
    unlocks = [r for r in nexhome_sim.requests if r.path.endswith("/unlock")]
    assert len(unlocks) == 1  # no automatic retry
    assert nexhome_sim.door(MAIN_ENTRANCE).openings == 1  # it did act
    request_id = info.value.request_id
    assert request_id in info.value.hint

    nexhome_sim.faults.drop_after_acting = False
    result = await client.unlock(MAIN_ENTRANCE, request_id=request_id)
    assert result.opened and result.request_id == request_id
    assert nexhome_sim.door(MAIN_ENTRANCE).openings == 1  # recognised as the repeat
    assert nexhome_sim.repeats == 1


async def test_command_timeout_is_outcome_unknown_and_retry_is_recognised(make_client, nexhome_sim):
    client = make_client(command_timeout=0.3)
    nexhome_sim.faults.delay_seconds = 0.6  # acts at once, answers late
    with pytest.raises(CommandOutcomeUnknown) as info:
        await client.call_elevator(ELEVATOR, 0, 7)
    assert nexhome_sim.elevator_calls == [(ELEVATOR, 0, 7)]
    nexhome_sim.faults.delay_seconds = 0
    result = await client.call_elevator(ELEVATOR, 0, 7, request_id=info.value.request_id)
    assert result.result == "CALLED" and len(nexhome_sim.elevator_calls) == 1


async def test_concurrent_repeat_of_a_command_acts_once(make_client, nexhome_sim):
    client = make_client()
    nexhome_sim.faults.delay_seconds = 0.2
    request_id = "a" * 32
    results = await asyncio.gather(client.unlock(MAIN_ENTRANCE, request_id=request_id),
                                   client.unlock(MAIN_ENTRANCE, request_id=request_id))
    assert all(r.opened for r in results)
    assert nexhome_sim.door(MAIN_ENTRANCE).openings == 1 and nexhome_sim.repeats == 1


async def test_elevator_call_and_field_errors(client, nexhome_sim):
    result = await client.call_elevator(ELEVATOR, 0, 7)
    assert result.result == "CALLED" and nexhome_sim.elevator_calls == [(ELEVATOR, 0, 7)]
    with pytest.raises(InvalidRequest) as info:
        await client.call_elevator(ELEVATOR, 0, 99)
    assert "toFloor: No such floor" in info.value.message
    assert info.value.field_errors[0][0] == "toFloor"


async def test_bad_body_names_the_field(client):
    with pytest.raises(InvalidRequest) as info:
        await client.create_person("")
    assert "name: Required field not filled" in info.value.message
    assert info.value.code == 400


async def test_wrong_secret_is_auth_error_without_retry(make_client, nexhome_sim):
    client = make_client(app_secret="wrong")
    with pytest.raises(AuthError) as info:
        await client.device(MAIN_STATION)
    assert info.value.code == 401 and "Signature" in info.value.vendor_message
    assert [r.refused for r in nexhome_sim.requests] == [401]


async def test_clock_skew_is_measured_and_retried_once(client, nexhome_sim, clock):
    nexhome_sim.faults.clock_offset = 600  # the laptop is 10 minutes behind
    device = await client.device(MAIN_STATION)
    assert device.id == MAIN_STATION
    assert [r.refused for r in nexhome_sim.requests] == [401, None]
    assert 595 < clock.offset < 605


async def test_clock_skew_retry_applies_to_commands_too(client, nexhome_sim):
    # A refused request did nothing, so resending it is safe even for an unlock.
    nexhome_sim.faults.clock_offset = -900
    assert (await client.unlock(MAIN_ENTRANCE)).opened
    assert nexhome_sim.door(MAIN_ENTRANCE).openings == 1


async def test_not_found_and_network_error(client, make_client):
    with pytest.raises(NotFound):
        await client.door("9999")
    dead = make_client(api="http://127.0.0.1:9")
    with pytest.raises(NetworkError):
        await dead.unlock(MAIN_ENTRANCE)  # never connected: a normal error, not "unknown"


async def test_credentials_pin_qr_face(client, nexhome_sim):
    person = (await client.persons())[0]
    now = datetime.now(timezone.utc)
    pin = await client.issue_credential(person.id, "PIN", "482913")
    qr = await client.issue_credential(person.id, "QRCODE", "nx:qr:abc", effective=now,
                                       expired=now + timedelta(hours=2), encrypted_qrcode=True)
    assert qr.rule.encrypted_qrcode and qr.rule.expired > qr.rule.effective
    with pytest.raises(InvalidRequest) as info:
        await client.issue_credential(person.id, "QRCODE", "nx:qr:abc")
    assert "rule.expiredTime" in info.value.message
    with pytest.raises(InvalidRequest) as info:
        await client.issue_credential(person.id, "FACE", "aGVsbG8=", device_ids=["DS-2"])
    assert "deviceIds[0]: Device does not support face recognition" in info.value.message
    face = await client.issue_credential(person.id, "FACE", "aGVsbG8=", device_ids=[MAIN_STATION])
    assert {c.id for c in await client.credentials(person.id)} == {pin.id, qr.id, face.id}
    await client.revoke_credential(pin.id)
    assert len(await client.credentials(person.id)) == 2


async def test_contacts_announcements_elevator_config(client, nexhome_sim):
    await client.push_contacts(MAIN_STATION, [Contact("Anna de Vries", "101", "101"),
                                              Contact("Concierge", "", "0")])
    assert [c.name for c in await client.contacts(MAIN_STATION)] == ["Anna de Vries", "Concierge"]
    with pytest.raises(InvalidRequest) as info:
        await client.push_contacts(MAIN_STATION, [Contact("", "1", "1")])
    assert "[0].name" in info.value.message
    now = datetime.now(timezone.utc)
    note = await client.announce("Water off", "Tuesday 9-12", [MAIN_STATION, "IM-101"],
                                 effective=now, expired=now + timedelta(days=2))
    assert note.device_ids == (MAIN_STATION, "IM-101")
    with pytest.raises(InvalidRequest) as info:
        await client.announce("x", "y", [MAIN_STATION], effective=now, expired=now)
    assert "expiredTime: Must be later than effectiveTime" in info.value.message
    assert [a.id for a in await client.announcements()] == [note.id]
    person = (await client.persons())[5]
    config = await client.set_elevator_config(person.id, [0, 3, 3, -1])
    assert config.floors == (-1, 0, 3)
    assert (await client.elevator_config(person.id)).floors == (-1, 0, 3)


async def test_message_subscription_needs_permission(make_client, nexhome_sim):
    restricted = nexhome_sim.restricted_app
    client = make_client(app_id=restricted.app_id, app_secret=restricted.app_secret)
    with pytest.raises(PermissionDenied) as info:
        await client.create_consumer()
    assert "Message Subscription" in info.value.hint


async def test_secret_not_in_repr(client, nexhome_sim):
    assert nexhome_sim.app_secret not in repr(client)


async def test_server_error_with_nexhome_body_is_definite(client, nexhome_sim):
    from app.core.errors import VendorError
    nexhome_sim.faults.http_status = 503
    with pytest.raises(VendorError) as info:
        await client.unlock(MAIN_ENTRANCE)
    assert not isinstance(info.value, CommandOutcomeUnknown) and info.value.code == 503
    assert nexhome_sim.door(MAIN_ENTRANCE).openings == 0
