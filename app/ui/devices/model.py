"""The device list as a Qt table model, kept current from inventory notifications."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPixmap

from app.services.describe import READING_FORMATS, kind_label, readings_text, switch_text
from app.ui import style
from app.ui.table_model import FlatTableModel, Index
from app.vendors.ewelink.models import Device

NAME, KIND, STATUS, STATE = range(4)
HEADERS = ("Name", "Type", "Status", "State")
DEVICE_ID_ROLE = Qt.ItemDataRole.UserRole + 1


_DOTS: dict[str, QPixmap] = {}


def status_dot(colour: str) -> QPixmap:
    """A small filled circle for the Status column (a plain colour would be a square)."""
    if colour not in _DOTS:
        pixmap = QPixmap(10, 10)
        pixmap.fill(QColor(0, 0, 0, 0))
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor(0, 0, 0, 0))
        painter.setBrush(QColor(colour))
        painter.drawEllipse(1, 1, 8, 8)
        painter.end()
        _DOTS[colour] = pixmap
    return _DOTS[colour]


# The list shows the headline reading; the panel (and the tooltip) show them all.
HEADLINE_READINGS = ("power_w", "temperature_c", "humidity_pct")


def state_text(device: Device) -> str:
    """What the device is doing, without the online flag (the Status column has that)."""
    readings = device.readings
    headline = "  ".join(READING_FORMATS[key].format(readings[key]) for key in HEADLINE_READINGS
                         if readings.get(key) is not None)
    parts = (switch_text(device), headline or readings_text(device))
    return " · ".join(p for p in parts if p) or "—"


class DeviceListModel(FlatTableModel):
    headers = HEADERS

    def __init__(self, devices: Callable[[], list[Device]] | None = None, parent=None) -> None:
        super().__init__(parent)
        self._source = devices or (lambda: [])
        self._devices: list[Device] = []
        self._lan_address: Callable[[str], str | None] = lambda deviceid: None

    # -- updates from the inventory ---------------------------------------------------

    def set_source(self, devices: Callable[[], list[Device]],
                   lan_address: Callable[[str], str | None] | None = None) -> None:
        self._source = devices
        if lan_address is not None:
            self._lan_address = lan_address
        self.reload()

    def _reachable(self, device: Device) -> bool:
        # offline in the cloud but answering on the LAN is still a device you can test
        return device.online or self._lan_address(device.deviceid) is not None

    def _status(self, device: Device) -> str:
        on_lan = self._lan_address(device.deviceid) is not None
        if device.online:
            return "Online · LAN" if on_lan else "Online"
        return "LAN only" if on_lan else "Offline"

    def reload(self) -> None:
        self.beginResetModel()
        self._devices = list(self._source())
        self.endResetModel()

    def device_changed(self, deviceid: str) -> None:
        """Inventory said one device (or, with "", the whole list) changed."""
        self.devices_changed((deviceid,))

    def devices_changed(self, deviceids: Iterable[str]) -> None:
        """A batch of changes ("" = the whole list): one dataChanged over the rows they span.
        Each dataChanged makes the header size its content-sized columns again, asking every
        cell: one per device in a flood of reports cost ~18 ms per batch."""
        rows = []
        for deviceid in deviceids:
            row = self.row_of(deviceid) if deviceid else -1
            if row < 0:
                self.reload()
                return
            rows.append(row)
        if rows:
            self.dataChanged.emit(self.index(min(rows), 0),
                                  self.index(max(rows), len(HEADERS) - 1))

    # -- lookups ----------------------------------------------------------------------

    def row_of(self, deviceid: str) -> int:
        for row, device in enumerate(self._devices):
            if device.deviceid == deviceid:
                return row
        return -1

    def device_at(self, row: int) -> Device | None:
        return self._devices[row] if 0 <= row < len(self._devices) else None

    # -- QAbstractTableModel ----------------------------------------------------------

    def row_count(self) -> int:
        return len(self._devices)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        device = self.device_at(index.row())
        if device is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == NAME:
                return device.name
            if column == KIND:
                return kind_label(device)
            if column == STATUS:
                return self._status(device)
            if column == STATE:
                return state_text(device)
        elif role == Qt.ItemDataRole.DecorationRole and column == STATUS:
            return status_dot(style.OK if self._reachable(device) else style.MUTED)
        elif role == Qt.ItemDataRole.ForegroundRole and not self._reachable(device):
            return QColor(style.MUTED)
        elif role == Qt.ItemDataRole.ToolTipRole:
            model = " ".join(p for p in (device.brand, device.model) if p)
            lines = [f"{device.name} — {kind_label(device)}" + (f" ({model})" if model else ""),
                     f"Device ID {device.deviceid}"]
            if readings_text(device):
                lines.append(readings_text(device))
            return "\n".join(lines)
        elif role == DEVICE_ID_ROLE:
            return device.deviceid
        return None
