"""The live Events pane: batching model, filter, copy/CSV, and live events from the site."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QGuiApplication

from app.core.events import Event
from app.ui.feed.model import DEVICE, KIND, SUMMARY, FeedModel
from app.ui.feed.page import EventsPage
from app.vendors.ewelink.models import parse_device
from tests.gui.support import cell, until
from app.ui.main_window import EVENTS

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def _event(n: int, device: str = "1000aa0001", kind: str = "state", **payload) -> Event:
    return Event("ewelink", device, kind, payload or {"switch": "on"}, T0 + timedelta(seconds=n))


def test_feed_model_batches_inserts_and_trims_the_front(qapp, qtmodeltester):
    model = FeedModel(capacity=5)
    inserts = []
    removals = []
    model.rowsInserted.connect(lambda _p, first, last: inserts.append((first, last)))
    model.rowsRemoved.connect(lambda _p, first, last: removals.append((first, last)))
    for n in range(3):
        model.add(_event(n))
    assert model.rowCount() == 0  # nothing until the timer flushes
    model.flush()
    assert model.rowCount() == 3 and inserts == [(0, 2)]  # one insert for the burst
    for n in range(3, 8):
        model.add(_event(n))
    model.flush()
    assert model.rowCount() == 5
    assert removals == [(0, 2)] and inserts[-1] == (0, 4)  # 3 oldest out, 5 new in
    assert [row.time for row in model.rows] == [T0 + timedelta(seconds=n) for n in range(3, 8)]
    model.flush()  # nothing queued: no change, and the timer stops
    assert len(inserts) == 2 and not model._timer.isActive()
    qtmodeltester.check(model)


def test_feed_model_words_events(qapp):
    hall = parse_device({"deviceid": "1000aa0001", "name": "Hall light", "uiid": 1,
                         "online": True, "params": {"switch": "off"}})
    kitchen = parse_device({"deviceid": "1000aa0002", "name": "Kitchen 2-gang", "uiid": 2,
                            "online": True, "params": {}})
    devices = {d.deviceid: d for d in (hall, kitchen)}
    model = FeedModel(devices.get)
    model.add_many([
        _event(0),
        _event(1, "1000aa0002", switches=[{"switch": "on", "outlet": 1}]),
        _event(2, "1000aa0005", power="1234.5", voltage="231"),
        _event(3, "1000aa0001", "offline", online=False),
        _event(4, "", "connection", status="online", message="Connected to eWeLink."),
        _event(5, "1000aa0001", "command", params={"switch": "on"}, result="ok"),
    ])
    rows = [(cell(model, r, DEVICE), cell(model, r, KIND), cell(model, r, SUMMARY))
            for r in range(model.rowCount())]
    assert rows == [
        ("Hall light", "Report", "Switched on"),
        ("Kitchen 2-gang", "Report", "Channel 2 on"),
        ("1000aa0005", "Report", "Power 1,234 W · Voltage 231 V"),
        ("Hall light", "Offline", "Went offline"),
        ("—", "Connection", "Connected to eWeLink."),
        ("Hall light", "Command", "Sent: Switched on → confirmed"),
    ]
    local = T0.astimezone()
    assert cell(model, 0, 0) == f"{local:%H:%M:%S}"


def test_filter_copy_and_csv(qtbot, tmp_path):
    page = EventsPage()
    qtbot.addWidget(page)
    page.model.add_many([_event(0), _event(1, "1000aa0009", "offline"), _event(2)])
    assert page.count.text() == "3 events"
    qtbot.keyClicks(page.filter, "offline")
    assert page.proxy.rowCount() == 1
    assert page.count.text() == "1 of 3 events"
    text = page.copy()
    assert QGuiApplication.clipboard().text() == text
    assert text.splitlines()[0] == "Time\tVendor\tDevice\tKind\tSummary"
    assert len(text.splitlines()) == 2 and "Went offline" in text

    page.filter.clear()
    path = tmp_path / "events.csv"
    assert page.save_csv(path) == 3
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["time", "vendor", "device", "device_id", "kind", "summary"]
    assert rows[2][3:] == ["1000aa0009", "Offline", "Went offline"]
    assert datetime.fromisoformat(rows[1][0]) == T0
    assert "Saved 3 events" in page.status.text()


def test_filtered_feed_passes_the_model_tester(qapp, qtmodeltester):
    model = FeedModel()
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setFilterKeyColumn(-1)
    model.add_many([_event(0), _event(1, "1000aa0009", "offline"), _event(2)])
    proxy.setFilterFixedString("offline")
    qtmodeltester.check(proxy)


def test_save_as_uses_a_non_modal_dialog(qtbot, tmp_path):
    page = EventsPage()
    qtbot.addWidget(page)
    page.model.add_many([_event(0)])
    page.ask_save()
    dialog = page._dialog
    assert dialog.isVisible() and dialog.windowModality() != Qt.WindowModality.ApplicationModal
    dialog.fileSelected.emit(str(tmp_path / "x.csv"))
    dialog.reject()
    assert (tmp_path / "x.csv").read_text(encoding="utf-8").count("\n") == 2


async def test_events_pane_receives_live_events(signed_in, sim):
    window = signed_in
    window.show_screen(EVENTS)
    assert window.current_screen is window.events
    model = window.events.model
    await until(lambda: model.rowCount() >= 2, 5, "the connection events")
    assert any(row.summary == "Connected to eWeLink." for row in model.rows)
    before = model.rowCount()
    await sim.press_button("1000aa0001", {"switch": "on"})
    await until(lambda: model.rowCount() > before, 5, "the device's report")
    last = model.rows[-1]
    assert (last.device, last.kind, last.summary) == ("Hall light", "Report", "Switched on")
    bar = window.events.view.verticalScrollBar()
    assert bar.value() == bar.maximum()  # following the newest while at the bottom
