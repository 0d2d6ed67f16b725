"""The selected thermostat: what it reads now, and the control to change its mode.

The form (mode, set point, hold-until) belongs to the user while they edit it: a live
update of the same thermostat refreshes the readings above but never overwrites what
they are typing, and a failed Apply keeps every value, with the reason in words.
Temperatures are edited in the user's scale and sent as hundredths of °C.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (QButtonGroup, QDateTimeEdit, QDoubleSpinBox, QGridLayout,
                               QHBoxLayout, QPushButton, QSizePolicy, QVBoxLayout, QWidget)

from app.core.errors import SiteKitError
from app.ui import style
from app.ui.tasks import Tasks
from app.ui.thermostats.model import HEAT, clock_text, error_text, hold_until, is_manual, mode_text
from app.ui.widgets import Banner, Spinner, StatusDot, label, padded_card, primary_button
from app.vendors.nuheat.models import (SET_POINT_MAX, SET_POINT_MIN, ScheduleMode,
                                       TemperatureScale, ThermostatModel, format_temperature,
                                       from_centi, to_centi)

log = logging.getLogger(__name__)

# (serial, mode, set point in centi-°C or None, until or None) -> the thermostat re-read
SetMode = Callable[[str, ScheduleMode, "int | None", "datetime | None"], Awaitable[ThermostatModel]]
NextChange = Callable[[str, datetime], "datetime | None"]

MAX_HOLD = timedelta(hours=23)
MODES = ((ScheduleMode.AUTO, "Schedule"), (ScheduleMode.HOLD, "Hold until"),
         (ScheduleMode.PERMANENT_HOLD, "Permanent hold"))
MODE_HINTS = {
    ScheduleMode.AUTO: "The schedule sets the temperature.",
    ScheduleMode.HOLD: "Hold a temperature for a while, then return to the schedule.",
    ScheduleMode.PERMANENT_HOLD: "Hold a temperature until someone changes it.",
}


def _segment_style(index: int, count: int) -> str:
    left = "6px" if index == 0 else "0"
    right = "6px" if index == count - 1 else "0"
    return (f"QPushButton {{ padding: 5px 12px; border-radius: 0; "
            f"border-top-left-radius: {left}; border-bottom-left-radius: {left}; "
            f"border-top-right-radius: {right}; border-bottom-right-radius: {right}; "
            f"{'border-left: none; ' if index else ''}}}"
            f"QPushButton:checked {{ background: {style.ACCENT}; color: white; "
            f"border-color: {style.ACCENT}; }}"
            f"QPushButton:checked:disabled {{ background: #93b4f5; border-color: #93b4f5; }}")


def round_up(moment: datetime, minutes: int = 15) -> datetime:
    moment = moment.replace(second=0, microsecond=0)
    extra = (-moment.minute) % minutes
    return moment + timedelta(minutes=extra or 0)


def scale_of(scale: TemperatureScale | str) -> TemperatureScale:
    return TemperatureScale.parse(scale)


class ThermostatPanel(QWidget):
    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._set_mode: SetMode | None = None
        self._next_change: NextChange | None = None
        self.scale = TemperatureScale.CELSIUS
        self.use12_hour = False  # the Nuheat account's clock setting
        self.thermostat: ThermostatModel | None = None
        self.home = ""
        self._form_serial: str | None = None
        self._form_dirty = False
        self._filling = False
        self.pending = False
        self._errors: dict[str, str] = {}  # serial -> the last Apply's failure
        self._done: dict[str, str] = {}  # serial -> what the last Apply did

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)

        self.empty = label("Select a thermostat to see it and change its temperature.",
                           "subtitle", wrap=True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.empty, 1)

        # -- what it reads now --------------------------------------------------------
        self.header, header_layout = padded_card((18, 14, 18, 16), 4)
        top = QHBoxLayout()
        self.title = label("", "title")
        self.title.setWordWrap(True)
        top.addWidget(self.title, 1)
        self.online_dot = StatusDot()
        top.addWidget(self.online_dot)
        self.online_text = label("")
        top.addWidget(self.online_text)
        header_layout.addLayout(top)
        self.details = label("", "hint", wrap=True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        header_layout.addWidget(self.details)
        header_layout.addSpacing(8)

        readings = QGridLayout()
        readings.setHorizontalSpacing(28)
        readings.setVerticalSpacing(0)
        readings.addWidget(label("Floor now", "hint"), 0, 0)
        readings.addWidget(label("Set point", "hint"), 0, 1)
        readings.addWidget(label("Mode", "hint"), 0, 2)
        self.current = label("")
        self.current.setObjectName("current-temperature")
        self.current.setStyleSheet("font-size: 34px; font-weight: 600;")
        readings.addWidget(self.current, 1, 0, Qt.AlignmentFlag.AlignBottom)
        self.set_point = label("", "value")
        readings.addWidget(self.set_point, 1, 1, Qt.AlignmentFlag.AlignBottom)
        self.mode = label("")
        self.mode.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.mode.setWordWrap(True)
        readings.addWidget(self.mode, 1, 2, Qt.AlignmentFlag.AlignBottom)
        readings.setColumnStretch(2, 1)
        header_layout.addLayout(readings)
        heating_row = QHBoxLayout()
        heating_row.setSpacing(6)
        self.heating_dot = StatusDot()
        heating_row.addWidget(self.heating_dot)
        self.heating = label("")
        heating_row.addWidget(self.heating, 1)
        header_layout.addSpacing(4)
        header_layout.addLayout(heating_row)
        layout.addWidget(self.header)

        self.banner = Banner()
        layout.addWidget(self.banner)

        # -- the control --------------------------------------------------------------
        self.control, control_layout = padded_card((18, 14, 18, 16), 10)
        control_layout.addWidget(label("Change", "section"))
        modes_row = QHBoxLayout()
        modes_row.setSpacing(0)
        self.mode_group = QButtonGroup(self)
        self.mode_buttons: dict[ScheduleMode, QPushButton] = {}
        for index, (mode, text) in enumerate(MODES):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setStyleSheet(_segment_style(index, len(MODES)))
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _=False, m=mode: self.choose_mode(m))
            self.mode_group.addButton(button)
            self.mode_buttons[mode] = button
            modes_row.addWidget(button)
        modes_row.addStretch(1)
        self.modes_box = QWidget()
        self.modes_box.setLayout(modes_row)
        modes_row.setContentsMargins(0, 0, 0, 0)
        control_layout.addWidget(self.modes_box)
        self.mode_hint = label("", "hint", wrap=True)
        control_layout.addWidget(self.mode_hint)

        form = QGridLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        self.set_point_label = label("Temperature")
        form.addWidget(self.set_point_label, 0, 0)
        self.set_point_edit = QDoubleSpinBox()
        self.set_point_edit.setObjectName("set-point")
        self.set_point_edit.setKeyboardTracking(False)
        self.set_point_edit.setMinimumWidth(110)
        self.set_point_edit.valueChanged.connect(self._edited)
        # Enter in a field applies, as in any form
        self.set_point_edit.lineEdit().returnPressed.connect(self.apply)
        form.addWidget(self.set_point_edit, 0, 1)
        self.set_point_range = label("", "hint")
        form.addWidget(self.set_point_range, 0, 2)
        self.until_label = label("Until")
        form.addWidget(self.until_label, 1, 0)
        self.until_edit = QDateTimeEdit()
        self.until_edit.setObjectName("hold-until")
        self.until_edit.setDisplayFormat("ddd HH:mm")
        self.until_edit.setMinimumWidth(110)
        self.until_edit.dateTimeChanged.connect(self._edited)
        self.until_edit.lineEdit().returnPressed.connect(self.apply)
        form.addWidget(self.until_edit, 1, 1)
        self.until_hint = label("", "hint", wrap=True)
        form.addWidget(self.until_hint, 2, 1, 1, 2)
        form.setColumnStretch(2, 1)
        control_layout.addLayout(form)

        actions = QHBoxLayout()
        actions.setSpacing(8)
        self.apply_button = primary_button("Apply")
        self.apply_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.apply_button.clicked.connect(self.apply)
        actions.addWidget(self.apply_button)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Forget the changes above and show the thermostat's settings")
        self.reset_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.reset_button.clicked.connect(self.reset_form)
        actions.addWidget(self.reset_button)
        self.spinner = Spinner(size=16)
        self.spinner.hide()
        actions.addSpacing(4)
        actions.addWidget(self.spinner)
        self.status = label("", "hint", wrap=True)
        actions.addWidget(self.status, 1)
        control_layout.addLayout(actions)
        layout.addWidget(self.control)

        self.stretch = QWidget()
        self.stretch.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        layout.addWidget(self.stretch)
        self.chosen_mode = ScheduleMode.AUTO
        self.render()

    # -- inputs -----------------------------------------------------------------------

    def set_controller(self, set_mode: SetMode | None, next_change: NextChange | None) -> None:
        self._set_mode = set_mode
        self._next_change = next_change

    def set_scale(self, scale: TemperatureScale | str) -> None:
        scale = scale_of(scale)
        if scale is not self.scale:
            self.scale = scale
            self._form_serial = None  # refill the spin box in the new unit
            self.render()

    def set_use12_hour(self, use12_hour: bool) -> None:
        if use12_hour != self.use12_hour:
            self.use12_hour = use12_hour
            self.until_edit.setDisplayFormat("ddd h:mm AP" if use12_hour else "ddd HH:mm")
            self.render()

    def show_thermostat(self, thermostat: ThermostatModel | None, home: str = "") -> None:
        """A thermostat to show, or the same one again after it changed."""
        self.thermostat = thermostat
        self.home = home
        self.render()

    def clear_state(self) -> None:
        self._errors.clear()
        self._done.clear()
        self._form_serial = None
        self.show_thermostat(None)

    def schedule_known(self) -> None:
        """The schedule arrived: an untouched hold-until can now default to its next change."""
        if self.thermostat is not None and not self._form_dirty and not self.pending:
            self._fill_until()

    # -- the form ---------------------------------------------------------------------

    def _edited(self, *_args) -> None:
        if not self._filling:
            self._form_dirty = True
            self._render_actions()

    def choose_mode(self, mode: ScheduleMode) -> None:
        self.chosen_mode = mode
        if not self._filling:
            self._form_dirty = True
        self._render_form()

    def reset_form(self) -> None:
        self._form_serial = None
        if self.thermostat is not None:
            self._errors.pop(self.thermostat.serial_number, None)
        self.render()

    def _fill_form(self, t: ThermostatModel) -> None:
        """The form shows the thermostat's own settings (on selection, or after Reset)."""
        self._filling = True
        try:
            mode = t.schedule_mode if isinstance(t.schedule_mode, ScheduleMode) else ScheduleMode.AUTO
            self.chosen_mode = mode
            spin = self.set_point_edit
            if self.scale is TemperatureScale.FAHRENHEIT:
                spin.setDecimals(0)
                spin.setSingleStep(1)
                spin.setSuffix(" °F")
            else:
                spin.setDecimals(1)
                spin.setSingleStep(0.5)
                spin.setSuffix(" °C")
            low, high = (from_centi(SET_POINT_MIN, self.scale), from_centi(SET_POINT_MAX, self.scale))
            spin.setRange(low, high)
            self.set_point_range.setText(f"{low:g}–{high:g} {self.unit}")
            spin.setValue(from_centi(t.set_point_temp, self.scale) if t.set_point_temp else
                          from_centi(2100, self.scale))
            self._fill_until()
            self._form_serial = t.serial_number
            self._form_dirty = False
        finally:
            self._filling = False

    def _fill_until(self) -> None:
        t = self.thermostat
        if t is None:
            return
        now = datetime.now().astimezone()
        latest = now + MAX_HOLD
        current = hold_until(t) if t.schedule_mode == ScheduleMode.HOLD else None
        following = self._next_change(t.serial_number, now) if self._next_change else None
        default = current or following
        if default is None or not now < default <= latest:
            default = min(round_up(now + timedelta(hours=2)), latest)
        was = self._filling
        self._filling = True
        try:
            self.until_edit.setDateTimeRange(QDateTime(now.replace(tzinfo=None)),
                                             QDateTime(latest.replace(tzinfo=None)))
            self.until_edit.setDateTime(QDateTime(default.astimezone().replace(tzinfo=None)))
        finally:
            self._filling = was
        if following is not None and now < following <= latest:
            self.until_hint.setText(f"Next schedule change: "
                                    f"{clock_text(following, use12_hour=self.use12_hour)}. "
                                    f"At most 23 hours ahead.")
        else:
            self.until_hint.setText("At most 23 hours ahead.")

    @property
    def unit(self) -> str:
        return "°F" if self.scale is TemperatureScale.FAHRENHEIT else "°C"

    def form_set_point(self) -> int:
        return to_centi(self.set_point_edit.value(), self.scale)

    def form_until(self) -> datetime:
        return self.until_edit.dateTime().toPython().astimezone()

    # -- applying ---------------------------------------------------------------------

    def apply(self) -> None:
        # Enter arrives before the spin boxes have taken the typed text as their value
        self.set_point_edit.interpretText()
        self.until_edit.interpretText()
        t = self.thermostat
        if t is None or self._set_mode is None or self.pending or not t.online \
                or not self._form_dirty:
            return
        manual = is_manual(t)
        mode = ScheduleMode.PERMANENT_HOLD if manual else self.chosen_mode
        set_point = None if mode == ScheduleMode.AUTO else self.form_set_point()
        until = self.form_until() if mode == ScheduleMode.HOLD and not manual else None
        if until is not None:
            now = datetime.now().astimezone()
            if until <= now:
                self._fail(t.serial_number, "The hold must end in the future: choose a later time.")
                return
            if until - now > MAX_HOLD:
                self._fail(t.serial_number, "A hold can last at most 23 hours: choose an earlier "
                                            "time, or use Permanent hold.")
                return
        self.pending = True
        self._errors.pop(t.serial_number, None)
        self._done.pop(t.serial_number, None)
        self.render()
        self._tasks.spawn(self._run(t, mode, set_point, until, manual),
                          name=f"thermostat {t.serial_number}")

    def _fail(self, serial: str, message: str) -> None:
        self._errors[serial] = message
        self.render()

    async def _run(self, t: ThermostatModel, mode: ScheduleMode, set_point: int | None,
                   until: datetime | None, manual: bool) -> None:
        serial = t.serial_number
        try:
            fresh = await self._set_mode(serial, mode, set_point, until)
        except SiteKitError as exc:
            self._errors[serial] = exc.user_text()
            fresh = None
        except Exception as exc:  # noqa: BLE001 - said on the panel, the form kept
            log.exception("changing thermostat %s failed unexpectedly", serial)
            self._errors[serial] = (f"Changing {t.name} failed unexpectedly "
                                    f"({type(exc).__name__}). The log has the details.")
            fresh = None
        finally:
            self.pending = False
        if fresh is not None:
            self._done[serial] = self._done_text(fresh, manual)
            if self.thermostat is not None and self.thermostat.serial_number == serial:
                self.thermostat = fresh
                self._form_serial = None  # show what the thermostat now does
        self.render()

    def _done_text(self, t: ThermostatModel, manual: bool) -> str:
        now = datetime.now().astimezone()
        stamp = f"{now:%H:%M}"
        if manual or t.schedule_mode != ScheduleMode.AUTO:
            what = mode_text(t, use12_hour=self.use12_hour).lower() if not manual else "set point"
            return f"Done at {stamp}: {what} " \
                   f"{format_temperature(t.set_point_temp, self.scale)}."
        return f"Done at {stamp}: following the schedule."

    # -- queries (tests and the tour use them) ----------------------------------------

    def error_text(self) -> str:
        return self.banner.text() if self._errors.get(self._serial, "") else ""

    @property
    def _serial(self) -> str:
        return self.thermostat.serial_number if self.thermostat else ""

    # -- rendering --------------------------------------------------------------------

    def render(self) -> None:
        t = self.thermostat
        has = t is not None
        self.empty.setVisible(not has)
        for widget in (self.header, self.stretch):
            widget.setVisible(has)
        # an offline thermostat cannot take a change: the banner says so, no dead controls
        self.control.setVisible(has and t.online)
        if t is None:
            self.banner.clear()
            return
        if self._form_serial != t.serial_number or (not self._form_dirty and not self.pending):
            self._fill_form(t)
        self._render_readings(t)
        self._render_banner(t)
        self._render_form()

    def _render_readings(self, t: ThermostatModel) -> None:
        self.title.setText(t.name or t.serial_number)
        colour = style.OK if t.online else style.MUTED
        self.online_dot.set_colour(colour)
        self.online_text.setText("Online" if t.online else "Offline")
        self.online_text.setStyleSheet(f"font-weight: 600; color: {colour};")
        parts = [self.home, f"Serial {t.serial_number}",
                 f"firmware {t.sw_version}" if t.sw_version else ""]
        self.details.setText("  ·  ".join(p for p in parts if p))
        muted = "" if t.online else f" color: {style.MUTED};"
        self.current.setText(format_temperature(t.current_temperature, self.scale))
        self.current.setStyleSheet(f"font-size: 34px; font-weight: 600;{muted}")
        self.set_point.setText(format_temperature(t.set_point_temp, self.scale))
        self.mode.setText(mode_text(t, use12_hour=self.use12_hour))
        if not t.online:
            self.heating_dot.set_colour(style.MUTED)
            self.heating.setText("Last reported values; the thermostat is offline.")
            self.heating.setStyleSheet(f"color: {style.MUTED};")
        elif t.is_heating:
            self.heating_dot.set_colour(HEAT)
            self.heating.setText("Heating the floor")
            self.heating.setStyleSheet(f"color: {HEAT}; font-weight: 600;")
        else:
            self.heating_dot.set_colour("#cbd5e1")
            self.heating.setText("Not heating: the floor is at or above the set point")
            self.heating.setStyleSheet(f"color: {style.MUTED};")

    def _render_banner(self, t: ThermostatModel) -> None:
        error = self._errors.get(t.serial_number, "")
        reported = error_text(t)
        if error:
            self.banner.show_message(error, "error")
        elif not t.online:
            text = (f"{t.name} is offline: it is not connected to the Nuheat cloud, so changes "
                    f"cannot reach it. Check its power and Wi-Fi.")
            if reported:
                text += f" The thermostat last reported: {reported}."
            self.banner.show_message(text, "warning")
        elif reported:
            self.banner.show_message(f"The thermostat reports: {reported}.", "warning")
        elif is_manual(t):
            self.banner.show_message(
                f"{t.name} is in Manual mode (set on the thermostat): its schedule is off and "
                f"only the set point counts.", "info")
        else:
            self.banner.clear()

    def _render_form(self) -> None:
        t = self.thermostat
        if t is None:
            return
        manual = is_manual(t)
        mode = ScheduleMode.PERMANENT_HOLD if manual else self.chosen_mode
        for key, button in self.mode_buttons.items():
            button.setChecked(key == self.chosen_mode)
        self.modes_box.setVisible(not manual)
        self.mode_hint.setText("Set the temperature the floor is kept at." if manual
                               else MODE_HINTS[mode])
        holds = mode != ScheduleMode.AUTO
        for widget in (self.set_point_label, self.set_point_edit, self.set_point_range):
            widget.setVisible(holds)
        timed = mode == ScheduleMode.HOLD and not manual
        for widget in (self.until_label, self.until_edit, self.until_hint):
            widget.setVisible(timed)
        self._render_actions()

    def _render_actions(self) -> None:
        t = self.thermostat
        if t is None:
            return
        editable = t.online and not self.pending and self._set_mode is not None
        for widget in (self.modes_box, self.set_point_edit, self.until_edit):
            widget.setEnabled(editable)
        # nothing changed in the form: nothing to send
        self.apply_button.setEnabled(editable and self._form_dirty)
        self.apply_button.setText("Applying…" if self.pending else "Apply")
        self.reset_button.setVisible(self._form_dirty and not self.pending)
        self.spinner.setVisible(self.pending)
        if self.pending:
            self.status.setText(f"Sending to {t.name}…")
        elif not t.online:
            self.status.setText("Offline: changes cannot be sent now.")
        elif self._form_dirty:
            self.status.setText("Not applied yet.")
        else:
            self.status.setText(self._done.get(t.serial_number, ""))
