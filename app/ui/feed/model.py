"""The live events as a Qt model, built for bursts (the Picard log view pattern).

Events arrive one callback at a time, possibly hundreds a second. Inserting each one
would make the view relayout hundreds of times; instead they queue in `_incoming` and a
100 ms timer moves them into the model with one `beginInsertRows`. The model holds at
most `capacity` rows: the oldest are removed from the front with one `beginRemoveRows`.
A row is made from its event the first time it is asked for (painted, filtered, copied):
in a flood most events pass through the window unseen, and making every row in the batch
was ~3.5 µs an event on the loop (~9 ms per 100 ms batch in the flood bench).
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from typing import Any, Callable

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor

from app.core.events import Event
from app.ui import style
from app.ui.table_model import FlatTableModel, Index
from app.services.describe import event_summary, kind_name, vendor_name
from app.vendors.ewelink.models import Device

TIME, VENDOR, DEVICE, KIND, SUMMARY = range(5)
HEADERS = ("Time", "Vendor", "Device", "Kind", "Summary")
FLUSH_INTERVAL_MS = 100  # fast enough to feel live, slow enough to batch a burst
# One batch per FLUSH_INTERVAL_MS even in a flood, not smaller ones more often: each batch
# repaints the list (~7 ms offscreen, ~25 rows of 5 cells), and batches of 1,000 rows on
# every turn of the loop measured a third fewer events/s and a worse stall p99.

_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole


class FeedRow:
    """One line of the list. The summary is worded on first use (shown, filtered by text,
    copied): in a flood most rows scroll out of the window unseen, and wording a device
    report costs more than everything else a row needs (most of the pane's time in the
    flood bench's profile before this)."""

    __slots__ = ("time", "vendor", "device", "deviceid", "kind", "_summary", "_source",
                 "_local_time")

    def __init__(self, time: datetime, vendor: str, device: str, deviceid: str, kind: str,
                 summary: str | None = None, *,
                 source: tuple[Event, Device | None] | None = None) -> None:
        self.time = time  # aware, UTC
        self.vendor = vendor
        self.device = device  # a name when we know the device, else its id, else ""
        self.deviceid = deviceid
        self.kind = kind
        self._summary = summary
        self._source = source  # what the summary is worded from, until it is
        self._local_time: str | None = None

    @property
    def summary(self) -> str:
        if self._summary is None:
            event, device = self._source or (None, None)
            self._summary = event_summary(event, device) if event is not None else ""
            self._source = None
        return self._summary

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FeedRow):
            return NotImplemented
        return self.cells() == other.cells() and self.deviceid == other.deviceid

    __hash__ = None  # type: ignore[assignment]  # rows are compared, never keys

    def __repr__(self) -> str:
        return f"FeedRow({self.time.isoformat()}, {self.vendor!r}, {self.device!r}, {self.kind!r})"

    @property
    def local_time(self) -> str:
        if self._local_time is None:  # painted again on every scroll: worded once
            self._local_time = f"{self.time.astimezone():%H:%M:%S}"
        return self._local_time

    def cells(self) -> tuple[str, str, str, str, str]:
        return (self.local_time, self.vendor, self.device or "—", self.kind, self.summary)

    def cell(self, column: int) -> str:
        if column == TIME:
            return self.local_time
        if column == SUMMARY:
            return self.summary
        return (self.vendor if column == VENDOR else self.device or "—" if column == DEVICE
                else self.kind)


_ERROR_COLOUR, _OK_COLOUR = QColor(style.ERROR), QColor(style.OK)


def colour_of(row: FeedRow, column: int) -> QColor | None:
    """The cell's own text colour, None for the view's: a kind that is a state is coloured
    (and also said in words: never colour alone)."""
    if column == KIND:
        if row.kind in ("Offline", "Error"):
            return _ERROR_COLOUR
        if row.kind == "Online":
            return _OK_COLOUR
    return None


class FeedModel(FlatTableModel):
    headers = HEADERS
    # events waiting while paused (0 when resumed): the page shows "12 new"
    pending_changed = Signal(int)
    # a vendor or kind name not seen before: the page adds it to its filter choices
    names_seen = Signal()

    def __init__(self, resolve_device: Callable[[str], Device | None] | None = None, *,
                 capacity: int = 5000, parent=None) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self._resolve = resolve_device or (lambda _id: None)
        # an Event until the row is first asked for: in a flood most scroll out unseen
        self._rows: deque[FeedRow | Event] = deque()
        self._incoming: list[Event] = []
        self._paused = False
        self._dropped = 0  # queued while paused beyond capacity: counted, not kept
        self.vendors: set[str] = set()
        self.kinds: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self.flush)

    def set_resolver(self, resolve_device: Callable[[str], Device | None]) -> None:
        for number in range(len(self._rows)):  # rows already here keep the names they had
            self.row_at(number)
        self._resolve = resolve_device

    # -- input ------------------------------------------------------------------------

    def add(self, *events: Event) -> None:
        """Queue events; they appear with the next flush (at most 100 ms later)."""
        self._incoming.extend(events)
        if not self._timer.isActive():
            self._timer.start()

    def add_many(self, events: list[Event]) -> None:
        self._incoming.extend(events)
        self.flush()

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def pending(self) -> int:
        """Events that arrived while paused, including any beyond one window."""
        return len(self._incoming) + self._dropped

    def set_paused(self, paused: bool) -> None:
        """While paused, events keep queueing (nothing is lost) but rows stay put, so a
        user can read a burst; resuming inserts everything queued in one batch."""
        self._paused = paused
        if not paused:
            self._dropped = 0
            self.flush()
            self.pending_changed.emit(0)

    def flush(self) -> None:
        if not self._incoming:
            self._timer.stop()  # idle until the next event: no wake-ups for nothing
            return
        if self._paused:
            self._timer.stop()  # the next add() starts it again
            # a long pause in a flood must not grow memory without end: beyond one window
            # the oldest queued could never be shown on resume anyway (they stay in the
            # store, reachable with Load older), so drop them here but keep counting them
            extra = len(self._incoming) - self.capacity
            if extra > 0:
                del self._incoming[:extra]
                self._dropped += extra
            self.pending_changed.emit(self.pending)
            return
        new, self._incoming = self._incoming[-self.capacity:], []
        self._note_names(new)
        overflow = len(self._rows) + len(new) - self.capacity
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            for _ in range(overflow):
                self._rows.popleft()
            self.endRemoveRows()
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._rows.extend(new)
        self.endInsertRows()

    def prepend(self, events: list[Event]) -> int:
        """Older events (oldest first) above the oldest shown, as far as capacity allows;
        returns how many rows were added."""
        room = self.capacity - len(self._rows)
        if room <= 0 or not events:
            return 0
        new = events[-room:]
        self._note_names(new)
        self.beginInsertRows(QModelIndex(), 0, len(new) - 1)
        self._rows.extendleft(reversed(new))
        self.endInsertRows()
        return len(new)

    def _note_names(self, events: list[Event]) -> None:
        vendors = {vendor_name(v) for v in {e.vendor for e in events}} - self.vendors
        kinds = {kind_name(k) for k in {e.kind for e in events}} - self.kinds
        if vendors or kinds:
            self.vendors |= vendors
            self.kinds |= kinds
            self.names_seen.emit()

    def clear(self) -> None:
        self._incoming.clear()
        self._dropped = 0
        if self._paused:
            self.pending_changed.emit(0)
        self.beginResetModel()
        self._rows.clear()
        self.endResetModel()

    def _row(self, event: Event) -> FeedRow:
        device = self._resolve(event.device) if event.device else None
        # vendors without an inventory entry (Nuheat) name the thing in the payload
        named = (event.payload or {}).get("name")
        name = device.name if device is not None else (named if isinstance(named, str) and named
                                                       else event.device)
        return FeedRow(event.time, vendor_name(event.vendor), name, event.device,
                       kind_name(event.kind), source=(event, device))

    # -- output -----------------------------------------------------------------------

    @property
    def oldest_time(self) -> datetime | None:
        return self._rows[0].time if self._rows else None

    def row_at(self, row: int) -> FeedRow:
        item = self._rows[row]
        if type(item) is not FeedRow:
            item = self._rows[row] = self._row(item)
        return item

    @property
    def rows(self) -> list[FeedRow]:
        return [self.row_at(number) for number in range(len(self._rows))]

    # -- QAbstractTableModel ----------------------------------------------------------

    def row_count(self) -> int:
        return len(self._rows)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        # asked for every role of every cell on screen at each repaint: the roles this
        # model never answers leave first
        if role != _DISPLAY and role != _FOREGROUND and role != _TOOLTIP:
            return None
        number = index.row()
        if not index.isValid() or number >= len(self._rows):
            return None
        row, column = self.row_at(number), index.column()
        if role == _DISPLAY:
            return row.cell(column)
        if role == _TOOLTIP:
            if column == TIME:
                return f"{row.time.astimezone():%Y-%m-%d %H:%M:%S %Z}"
            return row.cell(column)
        return colour_of(row, column)
