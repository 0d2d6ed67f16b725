"""Service callbacks -> Qt signals.

Services notify through plain callbacks (they know nothing of Qt). Widgets want
signals: they connect and disconnect freely and Qt drops connections of deleted
objects. One `WorkspaceSignals` per open workspace subscribes once and re-emits.
Everything runs on the one thread of the Qt/asyncio loop, so emits are direct calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from app.services.workspace import Workspace


class WorkspaceSignals(QObject):
    device_changed = Signal(str)  # deviceid; "" = the whole list changed
    event = Signal(object)  # app.core.events.Event
    live_status = Signal(str, str)  # status, message
    thermostat_changed = Signal(str)  # Nuheat serial number; "" = the whole list changed
    quota_changed = Signal(object)  # app.core.ratelimit.ServerQuota

    def __init__(self, ws: "Workspace", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self._unsubscribe: list[Callable[[], None]] = [
            ws.inventory.subscribe(self.device_changed.emit),
            ws.feed.subscribe(self.event.emit),
            ws.subscribe_status(self.live_status.emit),
            ws.thermostats.subscribe(self.thermostat_changed.emit),
            ws.thermostats.subscribe_quota(self.quota_changed.emit),
        ]

    def disconnect_services(self) -> None:
        """Stop listening; call before the workspace closes."""
        while self._unsubscribe:
            self._unsubscribe.pop()()
