"""Cyclic garbage is collected on the GUI thread, never on a worker thread."""

from __future__ import annotations

import gc
import threading

from app.ui.application import qt_app
from app.ui.main_thread_gc import MainThreadGarbageCollector


def test_the_application_turns_automatic_collection_off_and_collects_on_its_timer():
    app = qt_app()
    collector = app.findChild(MainThreadGarbageCollector)
    assert collector is not None and collector.timer.isActive()
    assert not gc.isenabled()


def test_a_cycle_made_on_a_worker_thread_is_freed_by_the_gui_thread():
    qt_app()
    freed_on: list[str] = []

    class Node:
        def __del__(self):
            freed_on.append(threading.current_thread().name)

    def make_garbage():
        for _ in range(3000):  # far past the young generation's threshold
            a, b = Node(), Node()
            a.other, b.other = b, a

    worker = threading.Thread(target=make_garbage, name="worker")
    worker.start()
    worker.join()
    assert freed_on == []  # nothing collected where it was made
    collector = qt_app().findChild(MainThreadGarbageCollector)
    while collector.collect_due() >= 0:
        pass
    gc.collect()
    assert freed_on and set(freed_on) == {threading.main_thread().name}


def test_older_generations_wait_while_the_young_one_keeps_filling():
    import time

    from app.ui import main_thread_gc

    collector = qt_app().findChild(MainThreadGarbageCollector)
    gc.collect()

    def fill_young() -> list:
        return [[n] for n in range(collector.thresholds[0] + 100)]  # tracked containers

    for _ in range(collector.thresholds[1] + 1):  # the middle generation is due too
        gc.collect(0)
    kept = fill_young()
    # A flood that starts long after the last old pass (an app open for hours) is deferred
    # too: the wait counts from the start of the busy spell.
    collector._busy = main_thread_gc.BUSY_TICKS  # a flood: the young one was due each tick
    collector._busy_since = time.monotonic()
    assert collector.collect_due() == 0  # only the young generation
    kept += fill_young()
    collector._busy_since = time.monotonic() - main_thread_gc.MAX_DEFER_S - 1
    assert collector.collect_due() >= 1  # deferred long enough: the older ones too
    assert kept
