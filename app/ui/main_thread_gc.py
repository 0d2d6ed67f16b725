"""Python's cyclic garbage collector, run on the GUI thread only.

The collector runs in whichever thread happens to allocate when a threshold is crossed.
SiteKit has worker threads (SQLite, the keyring, `asyncio.to_thread`); when a reference
cycle that holds Qt objects (a widget and a lambda connected to it, a page and its task)
is collected there, Qt destroys those objects off the GUI thread: "Timers cannot be
stopped from another thread", and sometimes a crash. So automatic collection is turned
off and the same threshold rule is applied by a timer on the GUI thread.

A pass is a stall of the loop as long as the objects it walks. In a feed flood every
event leaves a few objects behind (the feed's window, the Events pane's rows), so:
- the young generation is checked every INTERVAL_MS (50): at 250 ms a young pass in the
  flood bench walked a quarter second of survivors, 15-40 ms each, several a second;
- while the young generation keeps filling (BUSY_TICKS ticks in a row), the older ones
  wait, up to MAX_DEFER_S from the start of the busy spell: an old pass walks everything
  that survived since its last one (a full one, the whole heap: 60-190 ms measured).
  Deferring frees nothing later than reference counting does; only cyclic garbage waits,
  and at most MAX_DEFER_S. (Counted from the last old pass instead, a flood that began
  more than MAX_DEFER_S after it was not deferred at all: 76-122 ms passes mid-flood.)
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 50
BUSY_TICKS = 3
MAX_DEFER_S = 30.0


class MainThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self._busy = 0  # ticks in a row that found the young generation past its threshold
        self._busy_since = 0.0  # when the young generation started filling every tick
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.collect_due)
        self.timer.start()

    def collect_due(self) -> int:
        """Collect the oldest generation whose count passed its threshold; -1 when none did.
        While the young generation is busy, only the young one, until MAX_DEFER_S."""
        counts = gc.get_count()
        generation = -1
        for level in range(3):
            if counts[level] > self.thresholds[level]:
                generation = level
        if generation < 0:
            self._busy = 0
            return -1
        now = time.monotonic()
        if counts[0] > self.thresholds[0]:
            if self._busy == 0:
                self._busy_since = now
            self._busy += 1
        else:
            self._busy = 0
        if (generation > 0 and self._busy >= BUSY_TICKS
                and now - self._busy_since < MAX_DEFER_S):
            generation = 0
        gc.collect(generation)
        if generation > 0:
            self._busy_since = now  # a long flood: the next old pass waits MAX_DEFER_S again
        return generation


def install(app: QObject) -> MainThreadGarbageCollector:
    """Once per application (idempotent): the collector lives as long as `app`."""
    existing = app.findChild(MainThreadGarbageCollector)
    return existing if existing is not None else MainThreadGarbageCollector(app)
