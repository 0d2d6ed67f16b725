"""SignalR JSON hub protocol pieces of the Nuheat live client: framing, Notify shapes,
timestamps, and the debouncer that drops repeated and stale notifications."""

from __future__ import annotations

import json

import pytest

from app.core.errors import ProtocolError
from app.vendors.nuheat.live import (RS, Debouncer, FrameReader, Notification, encode, parse_notify,
                                     parse_timestamp)


def test_encode_is_compact_json_ended_by_the_record_separator():
    frame = encode({"protocol": "json", "version": 1})
    assert frame == '{"protocol":"json","version":1}\x1e'
    assert RS == "\x1e" and frame.count(RS) == 1


def test_reader_splits_several_messages_in_one_frame_and_one_message_over_frames():
    reader = FrameReader()
    assert reader.feed("{}" + RS + '{"type":6}' + RS) == [{}, {"type": 6}]
    assert reader.feed('{"type":1,"target":"No') == []
    assert reader.feed('tify","arguments":[[]]}' + RS + '{"ty') == [
        {"type": 1, "target": "Notify", "arguments": [[]]}]
    assert reader.feed('pe":7}' + RS) == [{"type": 7}]


def test_reader_skips_empty_records_and_rejects_garbage():
    reader = FrameReader()
    assert reader.feed(RS + RS + '{"type":6}' + RS) == [{"type": 6}]
    with pytest.raises(ProtocolError):
        reader.feed("not json" + RS)


def test_notify_arguments_as_a_list_or_a_single_object():
    as_list = {"type": 1, "target": "Notify", "arguments": [[
        {"type": 2, "id": "1234", "timeStamp": "2026-11-23T10:00:00Z"},
        {"type": 4, "id": "g1", "timeStamp": "2026-11-23T10:00:01Z"}]]}
    assert parse_notify(as_list) == [Notification(2, "1234", "2026-11-23T10:00:00Z"),
                                     Notification(4, "g1", "2026-11-23T10:00:01Z")]
    single = {"type": 1, "target": "Notify", "arguments": [{"type": "3", "id": 1234, "timeStamp": None}]}
    assert parse_notify(single) == [Notification(3, "1234", None)]
    assert parse_notify({"type": 1, "target": "Notify", "arguments": []}) == []
    odd = {"type": 1, "target": "Notify", "arguments": [[{"type": "x", "id": "1"}, {"type": 2}, "junk"]]}
    assert parse_notify(odd) == []


def test_notify_round_trips_through_the_wire_form():
    wire = encode({"type": 1, "target": "Notify",
                   "arguments": [[{"type": 2, "id": "A1", "timeStamp": "2026-11-23T10:00:00.123Z"}]]})
    (message,) = FrameReader().feed(wire)
    assert parse_notify(message) == [Notification(2, "A1", "2026-11-23T10:00:00.123Z")]
    assert json.loads(wire[:-1])["arguments"][0][0]["type"] == 2


def test_timestamps_with_and_without_zone():
    assert parse_timestamp("2026-11-23T10:00:00Z") == parse_timestamp("2026-11-23T10:00:00+00:00")
    assert parse_timestamp("2026-11-23T10:00:00") == parse_timestamp("2026-11-23T10:00:00Z")
    assert parse_timestamp("2026-11-23T10:00:00.5Z") - parse_timestamp("2026-11-23T10:00:00Z") == 0.5
    assert parse_timestamp(None) is None and parse_timestamp("yesterday") is None


def test_debouncer_drops_repeats_and_older_notifications():
    now = [0.0]
    debouncer = Debouncer(duplicate_window=30.0, clock=lambda: now[0])
    first = Notification(2, "A1", "2026-11-23T10:00:05Z")
    assert debouncer.accept(first)
    assert not debouncer.accept(first)  # sent twice
    assert not debouncer.accept(Notification(2, "A1", "2026-11-23T10:00:01Z"))  # out of order
    assert debouncer.accept(Notification(3, "A1", "2026-11-23T10:00:01Z"))  # another type: its own key
    assert debouncer.accept(Notification(2, "A1", "2026-11-23T10:00:06Z"))  # newer
    now[0] = 31.0
    # same second, much later: a new change the hub stamped with a coarse clock
    assert debouncer.accept(Notification(2, "A1", "2026-11-23T10:00:06Z"))
    # without a timestamp we cannot tell: re-read rather than miss a change
    assert debouncer.accept(Notification(2, "A1", None))
    assert debouncer.accept(Notification(2, "A1", None))
