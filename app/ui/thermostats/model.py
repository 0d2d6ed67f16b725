"""The thermostat list as a Qt table model, in the user's °C/°F, kept current from
`thermostat_changed` notifications.

The wording of a thermostat's mode lives here too, so the list and the panel say the
same thing ("Schedule", "Hold until 14:30", "Permanent hold", "Manual").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont

from app.ui import style
from app.ui.devices.model import status_dot
from app.ui.table_model import FlatTableModel, Index
from app.vendors.nuheat.models import (OperatingMode, ScheduleMode, TemperatureScale,
                                       ThermostatModel, format_temperature)

NAME, HOME, TEMPERATURE, SET_POINT, MODE, HEATING, STATUS = range(7)
# "Floor", not "Temperature": it is the floor sensor's reading, and the short word leaves
# the Mode column room for "Permanent hold" in a narrow list
HEADERS = ("Name", "Home", "Floor", "Set point", "Mode", "Heating", "Status")
HEADER_TIPS = ("", "The Nuheat home (group) the thermostat belongs to",
               "The floor temperature now", "The temperature the thermostat heats to",
               "Follows the schedule, holds until a time, or holds until changed",
               "Whether the heating is on right now", "Connected to the Nuheat cloud")
SERIAL_ROLE = Qt.ItemDataRole.UserRole + 1

HEAT = "#ea580c"  # the heating colour: warm, and not the red of an error


def hold_until(thermostat: ThermostatModel) -> datetime | None:
    """The end of a Hold as an aware datetime (the API sends UTC ISO 8601), else None."""
    raw = thermostat.hold_set_point_date_time
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.now().astimezone().tzinfo)


def clock_text(moment: datetime, now: datetime | None = None, use12_hour: bool = False) -> str:
    """'14:30' today (laptop time), 'tomorrow 06:30', 'Tue 14:30'; '2:30 PM' on a 12-hour
    account (the Nuheat account's own setting)."""
    local = moment.astimezone()
    today = (now or datetime.now().astimezone()).astimezone().date()
    clock = f"{local:%I:%M %p}".lstrip("0") if use12_hour else f"{local:%H:%M}"
    if local.date() == today:
        return clock
    if local.date() == today + timedelta(days=1):
        return f"tomorrow {clock}"
    return f"{local:%a} {clock}"


def is_manual(thermostat: ThermostatModel) -> bool:
    return thermostat.operating_mode == OperatingMode.MANUAL


def mode_text(thermostat: ThermostatModel, now: datetime | None = None,
              use12_hour: bool = False) -> str:
    if is_manual(thermostat):
        return "Manual"
    mode = thermostat.schedule_mode
    if mode == ScheduleMode.HOLD:
        until = hold_until(thermostat)
        return f"Hold until {clock_text(until, now, use12_hour)}" if until else "Hold"
    if mode == ScheduleMode.PERMANENT_HOLD:
        return "Permanent hold"
    if mode == ScheduleMode.AUTO:
        return "Schedule"
    return "—" if mode is None else f"Mode {int(mode)}"


MODE_TIPS = {
    "Manual": "Manual on the thermostat: the schedule is off, only the set point counts.",
    "Schedule": "Follows the schedule.",
    "Permanent hold": "Holds the set point until someone changes it.",
}


def mode_tip(thermostat: ThermostatModel) -> str:
    text = mode_text(thermostat)
    if text.startswith("Hold"):
        return "Holds the set point, then returns to the schedule."
    return MODE_TIPS.get(text, "")


def status_text(thermostat: ThermostatModel) -> str:
    if thermostat.online:
        return "Online"
    return "Offline"


def error_text(thermostat: ThermostatModel) -> str:
    """What the thermostat itself reports as wrong ("Floor sensor open"), if anything."""
    error = thermostat.error
    if not error:
        return ""
    return str(error)


class ThermostatListModel(FlatTableModel):
    headers = HEADERS

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._source: Callable[[], list[ThermostatModel]] = lambda: []
        self._home: Callable[[str], str] = lambda serial: ""
        self._scale: Callable[[], TemperatureScale] = lambda: TemperatureScale.CELSIUS
        self._use12_hour: Callable[[], bool] = lambda: False
        self._rows: list[ThermostatModel] = []
        self._bold: QFont | None = None

    def set_source(self, thermostats: Callable[[], list[ThermostatModel]],
                   home_name: Callable[[str], str] | None = None,
                   scale: Callable[[], TemperatureScale] | None = None,
                   use12_hour: Callable[[], bool] | None = None) -> None:
        self._source = thermostats
        self._home = home_name or (lambda serial: "")
        self._scale = scale or (lambda: TemperatureScale.CELSIUS)
        self._use12_hour = use12_hour or (lambda: False)
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self._rows = list(self._source())
        self.endResetModel()

    def thermostat_changed(self, serial: str) -> None:
        """The service said one thermostat (or, with "", the whole list) changed.

        The service replaces a thermostat's model object when it re-reads it, so the row
        takes the new object from the source instead of repainting the old one.
        """
        row = self.row_of(serial) if serial else -1
        fresh = next((t for t in self._source() if t.serial_number == serial), None) if serial else None
        if row < 0 or fresh is None:
            self.reload()
            return
        self._rows[row] = fresh
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))

    # -- lookups ----------------------------------------------------------------------

    def row_of(self, serial: str) -> int:
        for row, thermostat in enumerate(self._rows):
            if thermostat.serial_number == serial:
                return row
        return -1

    def thermostat_at(self, row: int) -> ThermostatModel | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    @property
    def thermostats(self) -> list[ThermostatModel]:
        return list(self._rows)

    # -- QAbstractTableModel ----------------------------------------------------------

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(HEADER_TIPS)):
            return HEADER_TIPS[section] or None
        return super().headerData(section, orientation, role)

    def row_count(self) -> int:
        return len(self._rows)

    def _display(self, t: ThermostatModel, column: int) -> str:
        scale = self._scale()
        if column == NAME:
            return t.name or t.serial_number
        if column == HOME:
            return self._home(t.serial_number) or "—"
        if column == TEMPERATURE:
            # offline: the last reported value, in the row's grey (the panel says the same)
            return format_temperature(t.current_temperature, scale)
        if column == SET_POINT:
            return format_temperature(t.set_point_temp, scale)
        if column == MODE:
            return mode_text(t, use12_hour=self._use12_hour())
        if column == HEATING:
            if not t.online:
                return "Offline"  # so the Status column can go when the list is narrow
            return "Heating" if t.is_heating else "Idle"
        if column == STATUS:
            return status_text(t)
        return ""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        t = self.thermostat_at(index.row())
        if t is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(t, column)
        if role == Qt.ItemDataRole.DecorationRole:
            if column == STATUS:
                colour = style.MUTED if not t.online else (style.WARN if t.error else style.OK)
                return status_dot(colour)
            if column == HEATING:
                if not t.online:
                    return status_dot(style.MUTED)
                return status_dot(HEAT if t.is_heating else "#cbd5e1")
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if not t.online:
                return QColor(style.MUTED)
            if column == HEATING and t.is_heating:
                return QColor(HEAT)
            return None
        if role == Qt.ItemDataRole.FontRole and column == HEATING and t.online and t.is_heating:
            if self._bold is None:
                self._bold = QFont()
                self._bold.setWeight(QFont.Weight.DemiBold)
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"{t.name} — serial {t.serial_number}"]
            if self._home(t.serial_number):
                lines.append(f"Home: {self._home(t.serial_number)}")
            tip = mode_tip(t)
            if tip:
                lines.append(tip)
            if error_text(t):
                lines.append(f"Thermostat reports: {error_text(t)}")
            if not t.online:
                lines.append("Offline: not connected to the Nuheat cloud.")
            return "\n".join(lines)
        if role == SERIAL_ROLE:
            return t.serial_number
        return None
