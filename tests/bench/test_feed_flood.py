"""Feed flood benchmark: eWeLink state reports into a real SQLite file, with the GUI running.

`make bench` runs this with `pytest -s`. Two runs, same frames:

- `test_feed_flood_gui` (the issue's figure): the real MainWindow, offscreen, on the demo
  workspace, signed in to the demo account (live websocket online, devices listed), the
  Events pane visible, asyncio on the Qt loop (qasync) as in the app. A producer hands raw
  websocket update frames to the live client's own frame handling (`_json` then
  `EwelinkLive._dispatch_message`, what its reader does with each TEXT frame), so every
  event takes the app's whole path: the workspace, `Feed.publish`, the inventory, the Qt
  bridge, the Events pane's model and the Devices page. One frame in 50 is about a demo
  device, so its row and panel change too; a second run has every frame about one (a real
  site's flood). Frames go in chunks of CHUNK with a yield
  between chunks (a websocket reader yields once per read), as fast as it can, until
  EVENTS are published or SECONDS have passed.
- `test_feed_flood_loop`: the same through `Feed.publish` on a plain asyncio loop, no Qt:
  what the service alone costs.

A 5 ms timer on the same loop measures its own lateness: the stall a screen would feel.
Reported: events/s ingested (published) and stored (on disk when the last flush ends),
stall p50/p99, RSS (VmRSS) when the feed has stored 100,000 (the goal's figure; after the
run and the peak are printed too: events waiting for a lagging store count there), CPU
seconds of the process (a figure other load on the machine moves less than wall time),
and the floor: the same frames parsed with json.loads and inserted by a bare sqlite3
executemany loop into the same schema, pragmas and batch size, no feed, no loop. Goals
(issue 6): >= 50,000 events/s, stall p99 < 20 ms, RSS < 300 MB, ingest >= 0.5 x floor.
Asserted: nothing lost (every event published is stored, none dropped, the pane's window
full) and RSS; the rate, stall and floor-ratio goals are printed, with NOT MET when a run
misses one: on this shared 2-core machine they move with whatever else runs (the same
build measured 25k-51k ev/s ingest on the plain loop within minutes). The GUI run misses
the rate and stall goals; measured on this machine (2 cores, shared), several runs each:
- before the bridge batched (one Qt signal per event; the Devices page's list state and the
  account label refreshed per report, ~60 µs): 16-21k ev/s with 1 frame in 50 from a demo
  device, 8-12k ev/s with every frame from one; ingest/floor 0.14-0.23; stall p99 44-62 ms.
- now (app/ui/bridge.py emits lists of events and sets of changed devices every 30 ms;
  the Events pane makes a row only when it is shown; its own cell painter; the collector
  checks the young generation every 50 ms and defers older passes during a flood):
  34-53k ev/s with 1 frame in 50, 34-49k with every frame (runs interleaved with the
  build before, same minutes); ingest/floor 0.42-0.74; stall p50 1.4-2.4 ms (was 7-10),
  p99 37-57 ms. RSS at 100,000 stored 240-265 MB (was ~200): faster ingest leaves more
  events waiting for the store (stored 38-44k ev/s in those runs).
Where the loop's CPU goes per event now: parsing, the Event and the window ~9 µs; the store
row (time text, payload JSON) ~5 µs, plus SQLite on the store's thread; the inventory's
report (Device.apply, whose isinstance against a typing alias is ~2 µs of it) ~5-9 µs; the
GUI's share ~2 µs. The stall p99 is now the Events pane's repaint, one per 100 ms batch:
~5 ms offscreen on a quiet machine, 16-24 ms in the flood: a repaint calls into Python
hundreds of times (the cell painter, the model's rowCount/columnCount) and each call waits
for the GIL the store's thread holds between SQLite steps (a stand-alone repaint next to a
thread inserting into SQLite: 5 -> 15-20 ms; with sys.setswitchinterval(0.001), 7.5 ms,
and this bench's p99 37 ms instead of 42-46). On top of it the batch's insert (~5 ms of
Qt's own row bookkeeping). With ~65 ticks a second, p99 is set by ten repaints a second. Collector passes are no longer in it (young
passes <= ~10 ms; older ones wait for the flood's end, a full one 60-190 ms).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.events import Event, utcnow
from app.core.store import INSERT_EVENT, EventStore, open_connection
from app.services.feed import Feed

EVENTS = 200_000
SECONDS = 10.0
CHUNK = 100
TICK = 0.005
POOL = 5000
GOAL_RATE, GOAL_STALL_P99_MS, GOAL_RSS_MB, GOAL_FLOOR_RATIO = 50_000, 20.0, 300, 0.5


def _frames(count: int, known: list[str] = (), every: int = 50) -> list[str]:
    """Raw eWeLink websocket update frames for 500 devices: a pool of POOL distinct frames
    repeated (shared strings), so the bench's own input does not inflate the RSS figure.
    With `known` device ids, one frame in `every` is about one of them."""
    def deviceid(n: int) -> str:
        if known and n % every == 0:
            return known[n // every % len(known)]
        return f"1000{n % 500:06x}"

    pool = [json.dumps({"action": "update", "deviceid": deviceid(n), "apikey": "k",
                        "userAgent": "device", "sequence": str(n),
                        "params": {"switch": "on" if n % 2 else "off", "power": f"{n % 3000}.5",
                                   "voltage": "230.1", "current": "0.42", "rssi": -50 - n % 30}})
            for n in range(POOL)]
    return [pool[n % POOL] for n in range(count)]


def _rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _floor_rate(frames: list[str], path) -> float:
    """json.loads + a bare executemany: the store's own connection settings (schema,
    indexes, WAL, pragmas) and the feed's batch size, so the ratio compares like with like."""
    batch = Feed(None)._batch_size
    conn: sqlite3.Connection = open_connection(path)
    encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    started = time.perf_counter()
    for i in range(0, len(frames), batch):
        rows = []
        for frame in frames[i:i + batch]:
            data = json.loads(frame)
            rows.append((utcnow().isoformat(), "ewelink", data["deviceid"], "state",
                         encode(data["params"])))
        with conn:
            conn.executemany(INSERT_EVENT, rows)
    elapsed = time.perf_counter() - started
    conn.close()
    return len(frames) / elapsed


class _Probe:
    """The flood's clock: a 5 ms ticker measuring its own lateness, and RSS once the feed
    has stored 100,000."""

    def __init__(self, feed: Feed) -> None:
        self.feed = feed
        self.stalls: list[float] = []
        self.rss_at: dict[int, float] = {}
        self._running = True
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while self._running:
            due = loop.time() + TICK
            await asyncio.sleep(TICK)
            self.stalls.append(max(0.0, loop.time() - due))
            if self.feed.stored >= 100_000 and not self.rss_at:
                self.rss_at[self.feed.stored] = _rss_mb()

    async def stop(self) -> None:
        self._running = False
        await self._task


async def _pump(frames: list[str], feed: Feed, handle) -> dict:
    """Hand `frames` to `handle` as fast as it takes them (chunks of CHUNK, a yield between),
    then wait for the store; the rates and the stall figures."""
    probe = _Probe(feed)
    await asyncio.sleep(0.02)
    cpu = time.process_time()
    started = time.perf_counter()
    deadline = started + SECONDS
    published = 0
    while published < len(frames) and time.perf_counter() < deadline:
        for frame in frames[published:published + CHUNK]:
            handle(frame)
        published = min(len(frames), published + CHUNK)
        await asyncio.sleep(0)
    ingested_at = time.perf_counter() - started
    await feed.flush()
    stored_at = time.perf_counter() - started
    cpu = time.process_time() - cpu
    await probe.stop()
    return {"published": published, "ingest_rate": published / ingested_at,
            "stored_at": stored_at, "cpu": cpu, "stalls": probe.stalls, "rss_at": probe.rss_at}


async def _count_rows(store: EventStore) -> int:
    # counted, not loaded: RSS is measured after
    return await store._run(lambda: store._connect().execute(
        "SELECT count(*) FROM events").fetchone()[0])


async def _loop_flood(frames: list[str], path) -> dict:
    store = EventStore(path)
    feed = Feed(store)
    shown = 0

    def screen(_event: Event) -> None:  # a subscriber as cheap as the feed page's enqueue
        nonlocal shown
        shown += 1

    feed.subscribe(screen)

    def handle(frame: str) -> None:
        data = json.loads(frame)
        feed.publish(Event("ewelink", str(data["deviceid"]), "state", dict(data["params"])))

    result = await _pump(frames, feed, handle)
    stored = await _count_rows(store)
    await feed.close()
    await store.close()
    return {**result, "stored": stored, "store_rate": stored / result["stored_at"],
            "dropped": feed.dropped, "shown": shown}


async def _gui_flood(make_frames) -> dict:
    from app.services.workspace import Workspace
    from app.ui.application import open_workspace
    from app.ui.main_window import EVENTS, MainWindow
    from app.vendors.ewelink.live import _json
    from tests.gui.support import until

    # the store in SITEKIT_HOME (tests/conftest.py points it at a temp dir), as the app has it
    ws = await Workspace.open(demo=True, demo_site_options={"live_drift_seconds": None})
    win = MainWindow(open_workspace)
    try:
        win.resize(1280, 760)
        win.show()
        win.attach(ws)
        win.wizard.submit()  # the demo account's credentials are filled in
        await until(lambda: win.devices.model.rowCount() >= 1, 30, "the device list")
        await until(lambda: win.live_state == "online", 30, "the live connection")
        live = ws._live
        assert live is not None
        known = [device.deviceid for device in ws.inventory.devices]
        frames = make_frames(known)
        win.show_screen(EVENTS)
        await asyncio.sleep(0.2)  # the pane painted, the sign-in's own events shown
        model = win.events.model
        before = await _count_rows(ws._store) if ws._store is not None else 0

        def handle(frame: str) -> None:  # what EwelinkLive._read does with a TEXT frame
            data = _json(frame)
            if data is not None:
                live._dispatch_message(data)

        assert ws.feed._store is not None, "the workspace keeps no events on disk"
        result = await _pump(frames, ws.feed, handle)
        await until(lambda: not model._incoming, 10, "the Events pane to catch up")
        stored = await _count_rows(ws.feed._store) - before
        return {**result, "stored": stored, "store_rate": stored / result["stored_at"],
                "dropped": ws.feed.dropped, "rows": model.rowCount(),
                "capacity": model.capacity, "known": len(known),
                "pane_visible": win.events.isVisible()}
    finally:
        for _ in range(300):
            if not win.tasks.running:
                break
            await asyncio.sleep(0.01)
        win.hide()
        win.detach()
        await win.tasks.cancel_all()
        await ws.close()
        win.deleteLater()


def _report(title: str, result: dict, floor: float) -> tuple[float, float, float]:
    # the RSS goal is at 100,000 stored; a run that stored fewer reports it at the end
    (at, rss), = result["rss_at"].items() or {result["stored"]: _rss_mb()}.items()
    after, peak = result.get("after", _rss_mb()), result.get("peak", _rss_mb("VmHWM"))
    stalls_ms = [s * 1000 for s in result["stalls"]]
    p50, p99 = statistics.median(stalls_ms), _percentile(stalls_ms, 0.99)
    ratio = result["ingest_rate"] / floor
    print(f"\n{title}: {result['published']:,} eWeLink state frames in ≤ {SECONDS:g} s; "
          f"ingest {result['ingest_rate']:,.0f} ev/s (goal ≥ {GOAL_RATE:,}), "
          f"stored {result['stored']:,} at {result['store_rate']:,.0f} ev/s "
          f"(dropped {result['dropped']}); {result['cpu']:.1f} CPU s "
          f"({result['published'] / result['cpu']:,.0f} ev per CPU s); floor (json.loads + "
          f"bare executemany) {floor:,.0f} ev/s, ingest/floor {ratio:.2f} "
          f"(goal ≥ {GOAL_FLOOR_RATIO}); loop stall p50 {p50:.2f} ms, p99 {p99:.2f} ms over "
          f"{len(stalls_ms)} ticks (goal p99 < {GOAL_STALL_P99_MS:g} ms); RSS {rss:.0f} MB at "
          f"{at:,} stored (goal < {GOAL_RSS_MB}), {after:.0f} MB after, peak {peak:.0f} MB")
    for name, value, goal in (("ingest", result["ingest_rate"], GOAL_RATE),
                              ("stored", result["store_rate"], GOAL_RATE)):
        if value < goal:
            print(f"NOT MET: {name} {value:,.0f} ev/s < {goal:,} (floor {floor:,.0f} ev/s)")
    if ratio < GOAL_FLOOR_RATIO:
        print(f"NOT MET: ingest/floor {ratio:.2f} < {GOAL_FLOOR_RATIO}")
    if p99 >= GOAL_STALL_P99_MS:
        print(f"NOT MET: stall p99 {p99:.1f} ms")
    if peak >= GOAL_RSS_MB:
        print(f"NOTE: peak RSS {peak:.0f} MB during the flood: events waiting for the store")
    return p99, rss, ratio


@pytest.mark.parametrize("every", [50, 1], ids=["1-in-50-from-demo-devices",
                                                "all-from-demo-devices"])
def test_feed_flood_gui(tmp_path, every):
    """`every` 1: each frame is a report from a device in the inventory, as on a real site
    (the inventory applies every report; the Devices page refreshes once per bridge
    batch); this second run's RSS includes what the first left in the process."""
    from app.ui.application import qt_app

    import qasync  # after PySide6 (qt_app imports it), so qasync picks PySide6

    floor = _floor_rate(_frames(EVENTS), tmp_path / "floor.sqlite3")
    app = qt_app()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        result = loop.run_until_complete(
            _gui_flood(lambda known: _frames(EVENTS, known, every)))
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    p99, rss, ratio = _report(f"Feed flood, GUI offscreen on qasync, 1 frame in {every} from "
                              "a demo device", result, floor)
    print(f"Events pane: visible {result['pane_visible']}, {result['rows']:,} rows "
          f"(its window: {result['capacity']:,}); {result['known']} demo devices in the frames")
    assert result["pane_visible"]
    # >=: the demo site's own events (a status change, a reply) may land during the flood
    assert result["dropped"] == 0 and result["stored"] >= result["published"]
    assert result["rows"] == result["capacity"]
    assert rss < GOAL_RSS_MB


def _loop_flood_in_a_fresh_process(path) -> dict:
    """`_loop_flood` in a Python of its own: RSS is the service's alone, not the GUI run's
    leftovers (Qt, the demo site) nor what this process's allocator kept from it."""
    code = ("import asyncio, json, sys; from tests.bench import test_feed_flood as b; "
            "r = asyncio.run(b._loop_flood(b._frames(b.EVENTS), sys.argv[1])); "
            "r['after'], r['peak'] = b._rss_mb(), b._rss_mb('VmHWM'); "
            "r['rss_at'] = list(r['rss_at'].items()); print(json.dumps(r))")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    result["rss_at"] = dict(result["rss_at"])
    return result


def test_feed_flood_loop(tmp_path):
    floor = _floor_rate(_frames(EVENTS), tmp_path / "floor.sqlite3")
    result = _loop_flood_in_a_fresh_process(tmp_path / "events.sqlite3")
    p99, rss, ratio = _report("Feed flood, Feed alone on a plain asyncio loop (own process)",
                              result, floor)
    assert result["stored"] >= 100_000 and result["dropped"] == 0
    assert result["shown"] == result["published"]
    assert rss < GOAL_RSS_MB
