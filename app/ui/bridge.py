"""Service callbacks -> Qt signals.

Services notify through plain callbacks (they know nothing of Qt). Widgets want
signals: they connect and disconnect freely and Qt drops connections of deleted
objects. One `WorkspaceSignals` per open workspace subscribes once and re-emits.
Everything runs on the one thread of the Qt/asyncio loop, so emits are direct calls.

Live events and device changes come in floods (a site's websocket can deliver tens of
thousands of reports a second), so they are not re-emitted one by one: they are collected
and emitted together at most every BATCH_MS, a delay nobody can see. One signal per event
fanned out to three pages cost ~5 µs an event, and a device change refreshed the Devices
page's list state per report (~60 µs); per batch both are noise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.events import Event

if TYPE_CHECKING:
    from app.services.workspace import Workspace

BATCH_MS = 30


class WorkspaceSignals(QObject):
    # deviceids that changed since the last batch; "" among them = the whole list changed
    devices_changed = Signal(object)  # frozenset[str]
    events = Signal(object)  # list[app.core.events.Event], in the order published
    live_status = Signal(str, str)  # status, message
    thermostat_changed = Signal(str)  # Nuheat serial number; "" = the whole list changed
    quota_changed = Signal(object)  # app.core.ratelimit.ServerQuota

    def __init__(self, ws: "Workspace", parent: QObject | None = None,
                 batch_ms: int = BATCH_MS) -> None:
        super().__init__(parent)
        self.ws = ws
        self._changed: set[str] = set()
        self._events: list[Event] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(batch_ms)
        self._timer.timeout.connect(self.flush)
        self._due = False  # the timer is running (a Python flag: asking Qt per event costs)
        self._unsubscribe: list[Callable[[], None]] = [
            ws.inventory.subscribe(self._device_changed),
            ws.feed.subscribe(self._event),
            ws.subscribe_status(self.live_status.emit),
            ws.thermostats.subscribe(self.thermostat_changed.emit),
            ws.thermostats.subscribe_quota(self.quota_changed.emit),
        ]

    def _device_changed(self, deviceid: str) -> None:
        self._changed.add(deviceid)
        if not deviceid:
            # a whole new list (signed in or out, a refresh) is rare and the screens'
            # next step depends on it: at once
            self.flush()
        elif not self._due:
            self._due = True
            self._timer.start()

    def _event(self, event: Event) -> None:
        self._events.append(event)
        if not self._due:
            self._due = True
            self._timer.start()

    def flush(self) -> None:
        """Emit what was collected now (the timer does this BATCH_MS after the first)."""
        self._timer.stop()
        self._due = False
        changed, self._changed = self._changed, set()
        events, self._events = self._events, []
        # devices first: a page showing an event may word it from the device's new state
        if changed:
            self.devices_changed.emit(frozenset(changed))
        if events:
            self.events.emit(events)

    def disconnect_services(self) -> None:
        """Stop listening; call before the workspace closes. What was collected is
        emitted first: the pages are still attached and nothing is lost."""
        while self._unsubscribe:
            self._unsubscribe.pop()()
        self.flush()
