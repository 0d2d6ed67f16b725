"""Python's cyclic garbage collector, run on the GUI thread only.

The collector runs in whichever thread happens to allocate when a threshold is crossed.
SiteKit has worker threads (SQLite, the keyring, `asyncio.to_thread`); when a reference
cycle that holds Qt objects (a widget and a lambda connected to it, a page and its task)
is collected there, Qt destroys those objects off the GUI thread: "Timers cannot be
stopped from another thread", and sometimes a crash. So automatic collection is turned
off and the same threshold rule is applied by a timer on the GUI thread. A young-generation
pass takes well under a millisecond; a full pass happens as rarely as the interpreter's own
thresholds would make it.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 250


class MainThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.collect_due)
        self.timer.start()

    def collect_due(self) -> int:
        """Collect the oldest generation whose count passed its threshold; -1 when none did."""
        counts = gc.get_count()
        generation = -1
        for level in range(3):
            if counts[level] > self.thresholds[level]:
                generation = level
        if generation >= 0:
            gc.collect(generation)
        return generation


def install(app: QObject) -> MainThreadGarbageCollector:
    """Once per application (idempotent): the collector lives as long as `app`."""
    existing = app.findChild(MainThreadGarbageCollector)
    return existing if existing is not None else MainThreadGarbageCollector(app)
