"""The SQLite store's audit trail and once-only vendor messages (a real file each time)."""

from __future__ import annotations

import asyncio
import json

from app.core.audit import AuditEntry
from app.core.events import Event
from app.core.store import EventStore


def _access_event(door: str) -> Event:
    return Event("nexhome", door, "access", {"text": f"{door}: granted", "result": "GRANTED"})


async def test_a_redelivered_message_is_stored_once(tmp_path):
    store = EventStore(tmp_path / "events.sqlite3")
    try:
        assert await store.add_message_once("nexhome", "m-1", _access_event("door-1"))
        assert not await store.add_message_once("nexhome", "m-1", _access_event("door-1"))
        assert await store.add_message_once("nexhome", "m-2", _access_event("door-2"))
        # the same id from another vendor is another message
        assert await store.add_message_once("nxcloud", "m-1", Event("nxcloud", "+4479", "delivery"))
        events = await store.recent(vendor="nexhome")
        assert [e.device for e in events] == ["door-1", "door-2"]
    finally:
        await store.close()


async def test_consumed_messages_survive_a_restart(tmp_path):
    path = tmp_path / "events.sqlite3"
    first = EventStore(path)
    await first.add_message_once("nexhome", "m-9", _access_event("door-9"))
    await first.close()
    second = EventStore(path)
    try:
        assert not await second.add_message_once("nexhome", "m-9", _access_event("door-9"))
        assert len(await second.recent()) == 1
    finally:
        await second.close()


async def test_concurrent_redeliveries_store_one_event(tmp_path):
    store = EventStore(tmp_path / "events.sqlite3")
    try:
        results = await asyncio.gather(*(store.add_message_once("nexhome", "m-5", _access_event("d"))
                                         for _ in range(10)))
        assert results.count(True) == 1
        assert len(await store.recent()) == 1
    finally:
        await store.close()


async def test_audit_entry_is_written_before_the_outcome_and_updated_after(tmp_path):
    store = EventStore(tmp_path / "events.sqlite3")
    try:
        entry = await store.add_audit(AuditEntry(actor="tech", vendor="nexhome", action="unlock",
                                                 target="door-1", target_name="Main entrance",
                                                 request_id="a" * 32))
        assert entry.id is not None
        [sent] = await store.audit_entries()
        assert sent.outcome == "sent" and sent.target_name == "Main entrance"
        await store.set_audit_outcome(entry, "unknown", "the reply was lost")
        retry = await store.add_audit(AuditEntry(actor="tech", vendor="nexhome", action="unlock",
                                                 target="door-1", request_id="a" * 32))
        await store.set_audit_outcome(retry, "repeated", "the door had opened on the first request")
        same_request = await store.audit_entries(request_id="a" * 32)
        assert [(e.outcome, e.detail) for e in same_request] == [
            ("unknown", "the reply was lost"), ("repeated", "the door had opened on the first request")]
        assert same_request[0].time.tzinfo is not None
    finally:
        await store.close()


async def test_an_in_memory_store_keeps_nothing_on_disk(tmp_path):
    store = EventStore(":memory:")
    try:
        assert await store.add_message_once("nexhome", "m-1", _access_event("door-1"))
        assert not await store.add_message_once("nexhome", "m-1", _access_event("door-1"))
    finally:
        await store.close()
    assert not any(tmp_path.iterdir())


async def test_a_payload_utf8_cannot_hold_is_stored_escaped_and_costs_no_batch(tmp_path):
    # JSON allows "\ud800" (a lone surrogate): a vendor frame may carry one, and json.loads
    # makes it a str that UTF-8, so SQLite, cannot take
    from app.services.feed import Feed

    store = EventStore(tmp_path / "events.sqlite3")
    feed = Feed(store)
    try:
        odd = json.loads('{"name": "bad \\ud800 name", "power": "1.5"}')
        feed.publish(Event("ewelink", "1000aa0001", "state", {"switch": "on"}))
        feed.publish(Event("ewelink", "1000aa0002", "state", odd))
        feed.publish(Event("ewelink", "1000aa0003", "state", {"note": "Küche °C"}))
        await feed.flush()
        assert feed.stored == 3
        events = await store.recent(10)
        assert [e.device for e in events] == ["1000aa0001", "1000aa0002", "1000aa0003"]
        assert events[1].payload == odd  # read back the same
        assert (await store.history(text="küche"))[0].device == "1000aa0003"  # kept as text
    finally:
        await feed.close()
        await store.close()


async def test_a_row_sqlite_refuses_is_left_out_the_rest_of_the_batch_stored(tmp_path):
    store = EventStore(tmp_path / "events.sqlite3")
    try:
        good = EventStore.row(Event("ewelink", "1000aa0001", "state", {"switch": "on"}))
        bad = (good[0], "ewelink", "bad \ud800 id", "state", "{}")  # a device id, not payload
        assert await store.add_rows([good, bad, good]) == 2
        assert [e.device for e in await store.recent(10)] == ["1000aa0001", "1000aa0001"]
    finally:
        await store.close()


async def test_a_payload_value_json_cannot_hold_is_stored_as_text(tmp_path):
    from datetime import datetime, timezone

    store = EventStore(tmp_path / "events.sqlite3")
    try:
        moment = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
        await store.add(Event("sitekit", "", "note", {"at": moment, "raw": b"\x01"}))
        (event,) = await store.recent(1)
        assert event.payload == {"at": str(moment), "raw": str(b"\x01")}
    finally:
        await store.close()
