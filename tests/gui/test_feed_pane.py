"""The Events pane's tools: vendor/kind filters, Pause, JSON export, Load older."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from PySide6.QtCore import QObject, Signal

from app.core.events import Event
from app.services.feed import Feed
from app.ui.feed.export import format_of, rows_to_csv, rows_to_json
from app.ui.feed.page import EventsPage
from tests.gui.support import until

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def _event(n: int, vendor: str = "ewelink", device: str = "1000aa0001", kind: str = "state",
           **payload) -> Event:
    return Event(vendor, device, kind, payload or {"switch": "on"}, T0 + timedelta(seconds=n))


def _mixed() -> list[Event]:
    return [
        _event(0),
        _event(1, kind="offline", online=False),
        _event(2, "nuheat", "TS001", "state", name="Bathroom floor", temperature=21.5),
        # "online" in the payload text must not count as the Online kind
        _event(3, "sitekit", "", "connection", status="online", message="Connected."),
        _event(4, "ewelink", "1000aa0002", "online", online=True),
    ]


def _page(qtbot) -> EventsPage:
    page = EventsPage()
    qtbot.addWidget(page)
    page.resize(1000, 500)
    return page


def _shown(page: EventsPage) -> list[tuple[str, str, str]]:
    return [(row.vendor, row.deviceid, row.kind) for row in page.visible_rows()]


def test_vendor_and_kind_choices_fill_from_events_and_filter_fields(qtbot):
    page = _page(qtbot)
    page.model.add_many(_mixed())
    vendors = [page.vendor_filter.itemText(i) for i in range(page.vendor_filter.count())]
    kinds = [page.kind_filter.itemText(i) for i in range(page.kind_filter.count())]
    assert vendors[0] == "All vendors" and len(vendors) == 4 and vendors[1:] == sorted(
        vendors[1:], key=str.casefold)
    assert kinds[0] == "All kinds" and "Online" in kinds and "Offline" in kinds

    page.kind_filter.setCurrentIndex(kinds.index("Online"))
    assert _shown(page) == [("eWeLink", "1000aa0002", "Online")]  # not the connection line
    assert page.count.text() == "1 of 5 events"

    page.kind_filter.setCurrentIndex(0)
    page.vendor_filter.setCurrentIndex(vendors.index("Nuheat"))
    assert _shown(page) == [("Nuheat", "TS001", "Report")]

    # the text filter narrows the vendor's rows further; the device name or id both match
    page.vendor_filter.setCurrentIndex(0)
    page.filter.setText("bathroom")
    assert [r[1] for r in _shown(page)] == ["TS001"]
    page.filter.setText("1000AA0002")
    assert [r[1] for r in _shown(page)] == ["1000aa0002"]
    page.filter.setText("")
    assert len(_shown(page)) == 5

    # a vendor first seen later joins the list without changing the current choice
    page.vendor_filter.setCurrentIndex(vendors.index("Nuheat"))
    page.model.add_many([_event(9, "nexhome", "door-1", "state", name="Front door")])
    assert page.vendor_filter.count() == 5 and page.vendor_filter.currentText() == "Nuheat"


def test_pause_queues_events_counts_them_and_resume_inserts_all(qtbot):
    page = _page(qtbot)
    page.model.add_many([_event(0)])
    page.pause_button.click()
    assert page.model.paused and page.pause_button.text() == "Resume"
    assert page.count.text() == "1 events · paused"
    for n in range(1, 13):
        page.add_event(_event(n))
    page.model.flush()  # the timer tick
    assert page.model.rowCount() == 1
    assert page.pause_button.text() == "Resume (12 new)"
    page.add_event(_event(13))
    page.model.flush()
    assert page.pause_button.text() == "Resume (13 new)"

    page.pause_button.click()
    assert not page.model.paused and page.pause_button.text() == "Pause"
    assert [row.time for row in page.model.rows] == [T0 + timedelta(seconds=n)
                                                     for n in range(14)]  # none lost
    page.add_event(_event(14))
    page.model.flush()
    assert page.model.rowCount() == 15  # live again


def test_export_helpers_and_save_pick_the_format_from_the_name(qtbot, tmp_path):
    page = _page(qtbot)
    page.model.add_many(_mixed())
    rows = page.model.rows
    parsed = json.loads(rows_to_json(rows))
    assert [item["device_id"] for item in parsed] == [r.deviceid for r in rows]
    assert set(parsed[0]) == {"time", "vendor", "device", "device_id", "kind", "summary"}
    assert datetime.fromisoformat(parsed[0]["time"]) == T0
    assert rows_to_csv(rows).splitlines()[0] == "time,vendor,device,device_id,kind,summary"
    assert format_of(tmp_path / "a.JSON") == "json" and format_of(tmp_path / "a.txt") == "csv"

    page.vendor_filter.setCurrentIndex(page.vendor_filter.findText("Nuheat"))
    assert page.save(tmp_path / "shown.json") == 1  # the filtered rows only
    saved = json.loads((tmp_path / "shown.json").read_text(encoding="utf-8"))
    assert [(s["vendor"], s["device"]) for s in saved] == [("Nuheat", "Bathroom floor")]
    assert page.save(tmp_path / "shown.csv") == 1
    assert len((tmp_path / "shown.csv").read_text(encoding="utf-8").splitlines()) == 2
    assert page.save(tmp_path / "missing-dir" / "x.json") == 0
    assert "Could not save" in page.status.text()


def test_save_dialog_offers_csv_and_json(qtbot):
    page = _page(qtbot)
    page.ask_save()
    dialog = page._dialog
    assert dialog is not None
    assert dialog.nameFilters() == ["CSV files (*.csv)", "JSON files (*.json)"]
    dialog.filterSelected.emit("JSON files (*.json)")
    assert dialog.defaultSuffix() == "json"
    dialog.reject()


class _Signals(QObject):
    events = Signal(object)  # list[Event], as WorkspaceSignals


class _PagingFeed(Feed):
    """A feed whose history pages back, as the contract's Feed.history(before=...)."""

    def __init__(self, stored: list[Event]) -> None:
        super().__init__(None)
        self.stored = stored
        self.calls: list[tuple[datetime | None, int]] = []

    async def history(self, *, before=None, limit=500, vendor=None, device=None, kind=None,
                      text=None) -> list[Event]:
        self.calls.append((before, limit))
        older = [e for e in self.stored if before is None or e.time < before]
        return older[-limit:]


async def test_load_older_adds_history_above_without_moving_the_view(qtbot):
    feed = _PagingFeed([_event(n) for n in range(-300, 0)])
    for n in range(200):
        feed.publish(_event(n))
    ws = SimpleNamespace(feed=feed, inventory=SimpleNamespace(get=lambda _id: None))
    page = _page(qtbot)
    page.model.capacity = 500
    page.show()
    page.attach(ws, _Signals())
    assert page.older_button.isVisible()
    await until(lambda: page.model.rowCount() == 200)
    # the user scrolled to the event at second 100
    page.view.scrollTo(page.proxy.index(100, 0), page.view.ScrollHint.PositionAtTop)
    top = page.view.indexAt(page.view.viewport().rect().topLeft()).row()
    assert top > 0
    first_time = page.model.row_at(top).time

    page.older_button.click()
    await until(lambda: page.model.rowCount() == 500, what="older rows")
    assert feed.calls == [(T0, 300)]  # room left in the window, before the oldest shown
    assert page.model.row_at(0).time == T0 - timedelta(seconds=300)
    await until(lambda: page.older_button.isEnabled())
    new_top = page.view.indexAt(page.view.viewport().rect().topLeft()).row()
    assert page.model.row_at(new_top).time == first_time  # same event still on top
    assert "Loaded 300 older events" in page.status.text()


def test_load_older_is_hidden_when_history_cannot_page_back(qtbot):
    class OldFeed(Feed):
        async def history(self, limit: int = 500) -> list[Event]:
            return []

    page = _page(qtbot)
    page.show()
    page.model.add_many(_mixed())
    page.vendor_filter.setCurrentIndex(page.vendor_filter.findText("Nuheat"))
    page.attach(SimpleNamespace(feed=OldFeed(None), inventory=SimpleNamespace(get=lambda _: None)),
                _Signals())
    assert not page.older_button.isVisible()
    # another workspace: the last site's vendors are no longer offered nor applied
    assert page.vendor_filter.count() == 1 and page.vendor_filter.currentText() == "All vendors"


def test_device_panel_lists_the_selected_devices_recent_events_live(qtbot):
    from app.ui.devices.panel import DevicePanel
    from app.ui.tasks import Tasks
    from app.vendors.ewelink.models import parse_device

    hall = parse_device({"deviceid": "1000aa0001", "name": "Hall light", "uiid": 1,
                         "online": True, "params": {"switch": "off"}})
    feed = Feed(None)
    for n in range(12):
        feed.publish(_event(n, power=str(100 + n)))
        feed.publish(_event(n, device="1000aa0009", power="1"))  # another device's flood
    panel = DevicePanel(Tasks())
    qtbot.addWidget(panel)
    panel.set_event_source(feed.recent)
    assert panel.recent.isHidden()  # nothing selected
    panel.show_device(hall)
    texts = panel.recent_texts
    assert len(texts) == 8
    assert texts[0].startswith(f"{(T0 + timedelta(seconds=11)).astimezone():%H:%M:%S}")
    assert "Power 111 W" in texts[0] and "Power 104 W" in texts[-1]  # newest first

    other = _event(20, device="1000aa0009", kind="offline", online=False)
    feed.publish(other)
    panel.event_arrived(other)
    assert not panel._recent_timer.isActive()  # other devices cost nothing
    mine = _event(21, kind="offline", online=False)
    feed.publish(mine)
    panel.event_arrived(mine)
    qtbot.waitUntil(lambda: "Offline" in panel.recent_texts[0], timeout=2000)
    assert len(panel.recent_texts) == 8

    panel.show_device(parse_device({"deviceid": "1000aa0003", "name": "Porch", "uiid": 1,
                                    "online": True, "params": {}}))
    assert panel.recent_texts == [] and not panel.recent_empty.isHidden()


async def test_load_older_reads_the_real_store_beyond_the_window(qtbot, tmp_path):
    from app.core.store import EventStore

    store = EventStore(tmp_path / "events.sqlite3")
    feed = Feed(store, window=50, flush_delay=60)
    try:
        for n in range(120):  # the feed's window keeps only the last 50
            feed.publish(_event(n, power=str(n)))
        await feed.flush()
        page = _page(qtbot)
        page.show()
        page.attach(SimpleNamespace(feed=feed, inventory=SimpleNamespace(get=lambda _: None)),
                    _Signals())
        assert page.older_button.isVisible() and page.model.rowCount() == 50
        page.older_button.click()
        await until(lambda: page.model.rowCount() == 120, what="stored events above")
        assert [r.time for r in page.model.rows] == [T0 + timedelta(seconds=n)
                                                     for n in range(120)]
        await until(lambda: page.older_button.isEnabled())
        page.older_button.click()
        await until(lambda: "No older events" in page.status.text())
        assert page.model.rowCount() == 120
    finally:
        await feed.close()
        await store.close()


def test_a_long_pause_keeps_one_window_queued_and_counts_the_rest(qtbot):
    page = _page(qtbot)
    page.model.capacity = 10
    page.set_paused(True)
    assert page.pause_button.isChecked()
    for n in range(25):
        page.add_event(_event(n))
    page.model.flush()
    assert len(page.model._incoming) == 10  # memory stays bounded by the window
    assert page.pause_button.text() == "Resume (25 new)"
    page.set_paused(False)
    assert [row.time for row in page.model.rows] == [T0 + timedelta(seconds=n)
                                                     for n in range(15, 25)]
    assert page.model.pending == 0 and page.pause_button.text() == "Pause"


def test_a_flood_words_only_the_rows_on_screen_and_follows_the_newest(qtbot):
    """Wording a report is most of a row's cost: in a flood most rows scroll away unseen,
    so only the rows painted (or filtered, copied) are worded; the list stays one window
    long and keeps following the newest while the user is at the bottom."""
    from PySide6.QtWidgets import QApplication

    page = _page(qtbot)
    page.show()
    qtbot.waitExposed(page)
    for n in range(20_000):
        page.add_event(_event(n, device=f"1000aa{n % 500:04x}", switch="on", note=f"n{n}"))
    page.model.flush()
    QApplication.processEvents()  # the repaint
    model = page.model
    assert model.rowCount() == model.capacity
    assert model.row_at(model.rowCount() - 1).time == T0 + timedelta(seconds=19_999)
    bar = page.view.verticalScrollBar()
    assert bar.value() == bar.maximum()
    worded = sum(1 for row in model.rows if row._summary is not None)
    assert 0 < worded <= 200, worded  # the screenful, not 5,000
    # a text filter needs the words: every row is worded then, and the filter works
    page.filter.setText("n19999")
    assert [row.summary for row in page.visible_rows()] == ["Switched on · note n19999"]
