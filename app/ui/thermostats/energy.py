"""Energy charts for one thermostat: a day by hour, a week by day, a year by month.

Bars are kWh. The cost is a line on its own axis, and only when the account has rates
(the API then fills `chargeKWattHour`, in cents). An account without rates gets kWh of 0
and only heating minutes: the bars then show heating time, which is all there is.

Loading runs as a task; a newer request wins over an older one still in flight (clicking
"previous" three times quickly shows the third period, never a late first one).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Awaitable, Callable, Literal

from PySide6.QtCharts import (QBarCategoryAxis, QBarSeries, QBarSet, QCategoryAxis, QChart,
                              QChartView, QLineSeries, QValueAxis)
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QCursor, QFont, QPainter, QPen
from PySide6.QtWidgets import (QButtonGroup, QHBoxLayout, QPushButton, QSizePolicy,
                               QStackedWidget, QToolTip, QVBoxLayout, QWidget)

from app.core.errors import SiteKitError
from app.ui import style
from app.ui.tasks import Tasks
from app.ui.widgets import Banner, Spinner, label
from app.vendors.nuheat.models import EnergyUsageEntry, EnergyUsageModel

log = logging.getLogger(__name__)

View = Literal["day", "week", "month"]
EnergyLoader = Callable[[str, View, date], Awaitable[EnergyUsageModel]]

VIEWS: tuple[tuple[View, str], ...] = (("day", "Day"), ("week", "Week"), ("month", "Year"))
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
COST_COLOUR = "#d97706"
GRID_COLOUR = "#e8edf3"
AXIS_TEXT = "#475569"


# -- periods (no Qt) ----------------------------------------------------------------------

def period_start(view: View, when: date) -> date:
    if view == "week":
        return when - timedelta(days=when.weekday())
    if view == "month":
        return date(when.year, 1, 1)
    return when


def step(view: View, when: date, direction: int) -> date:
    """The same view one period earlier (-1) or later (+1)."""
    if view == "day":
        return when + timedelta(days=direction)
    if view == "week":
        return period_start(view, when) + timedelta(days=7 * direction)
    return date(when.year + direction, 1, 1)


def period_label(view: View, when: date, today: date | None = None) -> str:
    today = today or date.today()
    if view == "day":
        if when == today:
            return f"Today, {when.day} {when:%b %Y}"
        if when == today - timedelta(days=1):
            return f"Yesterday, {when.day} {when:%b %Y}"
        return f"{when:%a} {when.day} {when:%b %Y}"
    if view == "week":
        start = period_start(view, when)
        end = start + timedelta(days=6)
        head = f"{start.day} {start:%b} – " if start.month != end.month else f"{start.day} – "
        if start.year != end.year:
            head = f"{start.day} {start:%b %Y} – "
        return f"{head}{end.day} {end:%b %Y}"
    return str(when.year)


def has_next(view: View, when: date, today: date | None = None) -> bool:
    return step(view, when, 1) <= (today or date.today())


# -- figures (no Qt) ----------------------------------------------------------------------

def duration_text(minutes: int) -> str:
    hours, rest = divmod(int(minutes), 60)
    if hours >= 100:  # a year's worth: the minutes are noise
        return f"{round(minutes / 60):,} h"
    if hours and rest:
        return f"{hours} h {rest} min"
    if hours:
        return f"{hours} h"
    return f"{rest} min"


def money(cents: float) -> str:
    """The API's charge is in cents; shown in currency units (the API names no currency)."""
    return f"{cents / 100:,.2f}"


@dataclass
class Figures:
    """What one energy log shows: one bar per entry, in order, and the totals."""

    view: View
    categories: list[str]
    entries: list[EnergyUsageEntry]
    kwh: float
    cents: float
    minutes: int

    @property
    def has_rates(self) -> bool:
        return self.cents > 0 or self.kwh > 0

    @property
    def empty(self) -> bool:
        return not self.entries or (self.minutes == 0 and self.kwh == 0)

    @property
    def totals(self) -> str:
        parts = []
        if self.kwh > 0:
            parts.append(f"{self.kwh:,.1f} kWh")
        if self.cents > 0:
            parts.append(f"cost {money(self.cents)}")
        parts.append(f"{duration_text(self.minutes)} heating")
        return " · ".join(parts)


def category_name(view: View, entry: str) -> str:
    try:
        number = int(entry)
    except ValueError:
        return entry
    if view == "week" and 1 <= number <= 7:
        return WEEKDAYS[number - 1]
    if view == "month" and 1 <= number <= 12:
        return MONTHS[number - 1]
    return str(number)


def figures(view: View, usage: EnergyUsageModel) -> Figures:
    entries = usage.in_order()
    return Figures(view, [category_name(view, e.entry) for e in entries], entries,
                   usage.total_kwh, usage.total_charge, usage.total_minutes)


def entry_title(view: View, entry: EnergyUsageEntry, when: date) -> str:
    """The tooltip's heading for one bar: '14:00–15:00', 'Tue 17 Nov', 'March 2026'."""
    try:
        number = int(entry.entry)
    except ValueError:
        return entry.entry
    if view == "day":
        return f"{number:02d}:00–{(number + 1) % 24:02d}:00"
    if view == "week":
        day = period_start(view, when) + timedelta(days=number - 1)
        return f"{day:%a} {day.day} {day:%b}"
    return f"{date(when.year, number, 1):%B %Y}" if 1 <= number <= 12 else entry.entry


# -- widgets ------------------------------------------------------------------------------

def _segment_style(index: int, count: int) -> str:
    left = "6px" if index == 0 else "0"
    right = "6px" if index == count - 1 else "0"
    return (f"QPushButton {{ padding: 4px 14px; border-radius: 0; "
            f"border-top-left-radius: {left}; border-bottom-left-radius: {left}; "
            f"border-top-right-radius: {right}; border-bottom-right-radius: {right}; "
            f"{'border-left: none; ' if index else ''}}}"
            f"QPushButton:checked {{ background: {style.ACCENT}; color: white; "
            f"border-color: {style.ACCENT}; }}")


def _axis_font(size: int = 9) -> QFont:
    font = QFont()
    font.setPointSize(size)
    return font


# a round top (factor × 10ⁿ) and how many ticks split it into round steps
_NICE = ((1, 6), (2, 5), (2.5, 6), (5, 6), (10, 6))


def nice_scale(value: float) -> tuple[float, int, int]:
    """(top, tick count, decimals) for an axis from 0 to just above `value`."""
    exponent = math.floor(math.log10(value)) if value > 0 else 0
    top, ticks = 1.0, 6
    for factor, ticks in _NICE:
        top = factor * 10.0 ** exponent
        if top >= value * 1.0001:
            break
    tick = top / (ticks - 1)
    decimals = next((d for d in range(4) if abs(round(tick * 10 ** d) - tick * 10 ** d) < 1e-6), 3)
    return top, ticks, decimals


def elapsed_entries(view: View, when: date, count: int, now: datetime | None = None) -> int:
    """How many of a period's entries have begun (a cost line stops there, not at 0)."""
    now = now or datetime.now()
    today = now.date()
    if step(view, when, 0) > today:
        return 0
    if view == "day":
        return min(count, now.hour + 1) if when == today else count
    if view == "week":
        start = period_start(view, when)
        return min(count, (today - start).days + 1) if start + timedelta(days=6) >= today else count
    return min(count, today.month) if when.year == today.year else count


class EnergyView(QWidget):
    """View buttons, period navigation, the chart and a totals line."""

    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._loader: EnergyLoader | None = None
        self.serial: str | None = None
        self.view: View = "day"
        self.when: date = date.today()
        self.figures: Figures | None = None
        self._generation = 0
        self.loading = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)

        bar = QHBoxLayout()
        bar.setSpacing(0)
        self.view_group = QButtonGroup(self)
        self.view_buttons: dict[str, QPushButton] = {}
        for index, (view, text) in enumerate(VIEWS):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setStyleSheet(_segment_style(index, len(VIEWS)))
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _=False, v=view: self.set_view(v))
            self.view_group.addButton(button)
            self.view_buttons[view] = button
            bar.addWidget(button)
        bar.addSpacing(16)
        self.previous_button = QPushButton("‹")
        self.next_button = QPushButton("›")
        for button, tip in ((self.previous_button, "Previous period"),
                            (self.next_button, "Next period")):
            button.setToolTip(tip)
            button.setFixedWidth(34)
            button.setStyleSheet("QPushButton { padding: 3px 0; font-size: 16px; }")
        self.previous_button.clicked.connect(lambda: self.go(-1))
        self.next_button.clicked.connect(lambda: self.go(1))
        bar.addWidget(self.previous_button)
        bar.addSpacing(4)
        bar.addWidget(self.next_button)
        bar.addSpacing(10)
        self.period = label("", "heading")
        bar.addWidget(self.period, 1)
        self.spinner = Spinner(size=16)
        self.spinner.hide()
        bar.addWidget(self.spinner)
        self.today_button = QPushButton("Today")
        self.today_button.setToolTip("Back to the period that contains today")
        self.today_button.clicked.connect(self.go_today)
        bar.addSpacing(8)
        bar.addWidget(self.today_button)
        layout.addLayout(bar)

        self.banner = Banner()
        layout.addWidget(self.banner)

        self.chart = QChart()
        self.chart.setBackgroundVisible(False)
        self.chart.setPlotAreaBackgroundVisible(False)
        self.chart.setDropShadowEnabled(False)
        self.chart.setMargins(QMargins(4, 4, 4, 4))
        self.chart.layout().setContentsMargins(0, 0, 0, 0)
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        legend = self.chart.legend()
        legend.setAlignment(Qt.AlignmentFlag.AlignTop)
        legend.setFont(_axis_font(9))
        legend.setLabelColor(QColor(AXIS_TEXT))
        legend.setMarkerShape(legend.MarkerShape.MarkerShapeRectangle)
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(260)
        self.chart_view.setStyleSheet("background: transparent;")

        self.empty = QWidget()
        empty_layout = QVBoxLayout(self.empty)
        empty_layout.addStretch(1)
        self.empty_title = label("", "heading")
        self.empty_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_layout.addWidget(self.empty_title)
        self.empty_detail = label("", "subtitle", wrap=True)
        self.empty_detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_layout.addWidget(self.empty_detail)
        empty_layout.addStretch(2)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.chart_view)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)

        self.totals = label("", "value")
        self.totals.setStyleSheet("font-size: 15px;")
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.totals_note = label("", "hint", wrap=True)
        layout.addWidget(self.totals)
        layout.addWidget(self.totals_note)
        self._render_header()
        self._show_empty("Select a thermostat", "Its energy use appears here.")

    # -- inputs -----------------------------------------------------------------------

    def set_loader(self, loader: EnergyLoader | None) -> None:
        self._loader = loader

    def show_thermostat(self, serial: str | None) -> None:
        """Show `serial`'s energy in the current view, for the period containing today."""
        if serial == self.serial and self.figures is not None:
            return
        self.serial = serial
        self.when = date.today()
        self.reload()

    def set_view(self, view: View) -> None:
        self.view = view
        if step(view, self.when, 0) > date.today():
            self.when = date.today()
        self.reload()

    def go(self, direction: int) -> None:
        if direction > 0 and not has_next(self.view, self.when):
            return
        self.when = step(self.view, self.when, direction)
        self.reload()

    def go_today(self) -> None:
        self.when = date.today()
        self.reload()

    def reload(self) -> None:
        self._generation += 1
        self._render_header()
        self.banner.clear()
        if self.serial is None or self._loader is None:
            self.figures = None
            self.loading = False
            self.spinner.hide()
            self._show_empty("Select a thermostat", "Its energy use appears here.")
            return
        self.loading = True
        self.spinner.show()
        self._tasks.spawn(self._load(self._generation, self.serial, self.view, self.when),
                          name=f"energy {self.serial}")

    # -- loading ----------------------------------------------------------------------

    async def _load(self, generation: int, serial: str, view: View, when: date) -> None:
        try:
            usage = await self._loader(serial, view, when)
        except SiteKitError as exc:
            if generation == self._generation:
                self._failed(exc.user_text())
            return
        except Exception as exc:  # noqa: BLE001 - the chart says so instead of a dialog
            log.exception("loading energy for %s failed unexpectedly", serial)
            if generation == self._generation:
                self._failed(f"Loading the energy log failed unexpectedly ({type(exc).__name__}). "
                             "The log has the details.")
            return
        if generation != self._generation:
            return  # the user has moved on to another period or thermostat
        self.loading = False
        self.spinner.hide()
        self.show_usage(usage)

    def _failed(self, message: str) -> None:
        self.loading = False
        self.spinner.hide()
        self.figures = None
        self.banner.show_message(message, "error")
        self._show_empty("Energy log not available", "Try again with ‹ › or another view.")

    # -- rendering --------------------------------------------------------------------

    def _render_header(self) -> None:
        for view, button in self.view_buttons.items():
            button.setChecked(view == self.view)
        self.period.setText(period_label(self.view, self.when))
        self.next_button.setEnabled(has_next(self.view, self.when))
        # at the current period the button has nothing to do: hidden, it leaves the period
        # label room
        self.today_button.setVisible(step(self.view, self.when, 0)
                                     != period_start(self.view, date.today()))

    def _show_empty(self, title: str, detail: str) -> None:
        self.empty_title.setText(title)
        self.empty_detail.setText(detail)
        self.empty_detail.setVisible(bool(detail))
        self.stack.setCurrentWidget(self.empty)
        self.totals.setText("")
        self.totals.hide()
        self.totals_note.hide()

    def show_usage(self, usage: EnergyUsageModel) -> None:
        figs = figures(self.view, usage)
        self.figures = figs
        if figs.empty:
            what = {"day": "this day", "week": "this week", "month": "this year"}[self.view]
            future = step(self.view, self.when, 0) > date.today()
            self._show_empty(f"No heating recorded {what}",
                             "This period has not started yet." if future else
                             "The floor did not need heating, or the thermostat was offline.")
            return
        self._draw(figs)
        self.stack.setCurrentWidget(self.chart_view)
        self.totals.setText(figs.totals)
        self.totals.show()
        if not figs.has_rates:
            self.totals_note.setText("This account has no electricity rate in Nuheat, so the "
                                     "log has heating time only (no kWh or cost).")
            self.totals_note.show()
        else:
            self.totals_note.hide()

    def _clear_chart(self) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
            axis.deleteLater()

    def _draw(self, figs: Figures) -> None:
        self._clear_chart()
        use_kwh = figs.kwh > 0
        if use_kwh:
            values = [e.energy_k_watt_hour for e in figs.entries]
            name, unit = "Energy (kWh)", "kWh"
        elif figs.view == "day":
            values = [float(e.minutes) for e in figs.entries]
            name, unit = "Heating (min)", "minutes"
        else:
            values = [e.minutes / 60 for e in figs.entries]
            name, unit = "Heating (h)", "hours"

        bars = QBarSet(name)
        bars.setColor(QColor(style.ACCENT))
        bars.setBorderColor(QColor(style.ACCENT))
        bars.append(values)
        series = QBarSeries()
        series.setBarWidth(0.7)
        series.append(bars)
        bars.hovered.connect(lambda state, index: self._hovered(state, index))
        self.chart.addSeries(series)

        x_axis = self._category_axis(figs)
        self.chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(x_axis)

        amounts = self._value_axis(max(values, default=0), unit)
        self.chart.addAxis(amounts, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(amounts)

        self.cost_series: QLineSeries | None = None
        if figs.cents > 0:
            cost = QLineSeries()
            cost.setName("Cost")
            pen = QPen(QColor(COST_COLOUR), 2.2)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            cost.setPen(pen)
            cost.setPointsVisible(True)
            cost.setMarkerSize(6)
            for index, entry in enumerate(figs.entries[:self._cost_points(figs)]):
                cost.append(QPointF(index, entry.charge_k_watt_hour / 100))
            self.chart.addSeries(cost)
            cost.attachAxis(x_axis)
            money_axis = self._value_axis(max((e.charge_k_watt_hour / 100 for e in figs.entries),
                                              default=0), "cost")
            money_axis.setLabelsColor(QColor(COST_COLOUR))
            self.chart.addAxis(money_axis, Qt.AlignmentFlag.AlignRight)
            cost.attachAxis(money_axis)
            self.cost_series = cost
        self.chart.legend().setVisible(figs.cents > 0)

    def _cost_points(self, figs: Figures) -> int:
        """How many entries the cost line joins: it stops where the period's future starts,
        unless the log already has figures there (then a stop would look like missing data)."""
        count = len(figs.entries)
        elapsed = elapsed_entries(figs.view, self.when, count)
        while count > elapsed and not (figs.entries[count - 1].charge_k_watt_hour
                                       or figs.entries[count - 1].minutes):
            count -= 1
        return count

    def _category_axis(self, figs: Figures) -> QValueAxis:
        if figs.view == "day" and len(figs.entries) == 24:
            # 24 hour labels do not fit under the bars: label every third hour, on the hour
            axis = QCategoryAxis()
            axis.setRange(-0.5, 23.5)
            axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
            for hour in range(0, 24, 3):
                axis.append(f"{hour:02d}:00", hour - 0.5)
            axis.setStartValue(-0.5)
        else:
            axis = QBarCategoryAxis()
            axis.append(figs.categories)
        axis.setLabelsFont(_axis_font(9))
        axis.setLabelsColor(QColor(AXIS_TEXT))
        axis.setGridLineVisible(False)
        axis.setLinePen(QPen(QColor(style.BORDER)))
        return axis

    def _value_axis(self, highest: float, title: str) -> QValueAxis:
        top, ticks, decimals = nice_scale(highest)
        axis = QValueAxis()
        axis.setRange(0, top)
        axis.setTickCount(ticks)
        axis.setLabelFormat(f"%.{decimals}f")
        axis.setLabelsFont(_axis_font(9))
        axis.setLabelsColor(QColor(AXIS_TEXT))
        axis.setGridLineColor(QColor(GRID_COLOUR))
        axis.setLineVisible(False)
        axis.setTitleText(title)
        axis.setTitleFont(_axis_font(8))
        axis.setTitleBrush(QColor(style.MUTED))
        return axis

    def _hovered(self, state: bool, index: int) -> None:
        tip = self.bar_tip(index) if state else ""
        if tip:
            QToolTip.showText(QCursor.pos(), tip, self.chart_view)
        else:
            QToolTip.hideText()

    def bar_tip(self, index: int) -> str:
        """What hovering bar `index` says: its period and every figure the log has."""
        figs = self.figures
        if figs is None or not 0 <= index < len(figs.entries):
            return ""
        entry = figs.entries[index]
        lines = [entry_title(self.view, entry, self.when)]
        if entry.energy_k_watt_hour > 0:
            lines.append(f"{entry.energy_k_watt_hour:,.2f} kWh")
        if entry.charge_k_watt_hour > 0:
            lines.append(f"cost {money(entry.charge_k_watt_hour)}")
        lines.append(f"{duration_text(entry.minutes)} heating")
        return "\n".join(lines)

    # -- queries (tests and the tour use them) ----------------------------------------

    @property
    def bar_values(self) -> list[float]:
        for series in self.chart.series():
            if isinstance(series, QBarSeries):
                bar_set = series.barSets()[0]
                return [bar_set.at(i) for i in range(bar_set.count())]
        return []

    @property
    def has_cost_series(self) -> bool:
        return any(isinstance(s, QLineSeries) for s in self.chart.series())

    def totals_text(self) -> str:
        return self.totals.text() if not self.totals.isHidden() else ""
