"""The week timeline: one row per week-day group, events as markers you drag.

Everything is painted by one widget (hour ruler, rows, markers, the rule messages under a
row) so a drag repaints one surface and geometry is computed in one place. The timeline
runs from 00:00 to 03:00 the next night: a SLEEP before 03:00 belongs to the evening
before (schedule_rules.day_position), so it is drawn after RETURN, in a shaded
"after midnight" strip, rather than at the start of the day.

A drag calls ScheduleDraft.begin_drag / preview / commit_drag: the marker follows the
mouse in quarter-hour steps, violations update on each step, and the whole drag is one
undo step. Only a step that changed the clock repaints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (QColor, QFont, QFontMetrics, QKeyEvent, QMouseEvent, QPainter,
                           QPainterPath, QPaintEvent, QPen, QPixmap)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from app.services.schedule_editing import TIMELINE_MINUTES, DraftEvent, ScheduleDraft
from app.ui import style
from app.vendors.nuheat import schedule_rules as rules
from app.vendors.nuheat.models import TemperatureScale, format_temperature

LABEL_WIDTH = 92  # the row's days
RIGHT_PAD = 14
RULER_HEIGHT = 24
CLOCK_LANE = 15  # one line of clock labels above the track; two lanes when labels collide
TRACK_HEIGHT = 30
ROW_BOTTOM = 14
MESSAGE_GAP = 4
MARKER_RADIUS = 10
HIT_RADIUS = 13
MINUTES_PER_DAY = rules.MINUTES_PER_DAY
PLACEHOLDER_HEIGHT = 110

TYPE_LETTERS = {rules.WAKE: "W", rules.LEAVE: "L", rules.RETURN: "R", rules.SLEEP: "S"}
TYPE_COLOURS = {rules.WAKE: "#d97706", rules.LEAVE: "#64748b", rules.RETURN: "#0d9488",
                rules.SLEEP: "#4f46e5"}
# Segment fill by temperature: setback blue, comfort amber, warm orange.
TEMPERATURE_STOPS = ((1500, QColor("#b7d0f4")), (1900, QColor("#dfe9f6")),
                     (2050, QColor("#fde3c1")), (2500, QColor("#f7ad7c")))
NIGHT_SHADE = QColor(15, 23, 42, 28)
GRID_LINE = QColor(255, 255, 255, 120)
ERROR_FILL = QColor("#fee2e2")


def temperature_colour(centi: int) -> QColor:
    stops = TEMPERATURE_STOPS
    if centi <= stops[0][0]:
        return stops[0][1]
    for (t0, c0), (t1, c1) in zip(stops, stops[1:]):
        if centi <= t1:
            f = (centi - t0) / (t1 - t0)
            return QColor(round(c0.red() + (c1.red() - c0.red()) * f),
                          round(c0.green() + (c1.green() - c0.green()) * f),
                          round(c0.blue() + (c1.blue() - c0.blue()) * f))
    return stops[-1][1]


@dataclass
class _RowGeometry:
    top: int
    height: int
    track: QRectF
    messages: list[tuple[QRect, str]] = field(default_factory=list)
    lanes: list[int] = field(default_factory=list)  # clock label lane per event


class ScheduleTimeline(QWidget):
    """Signals: `selection_changed()`, `changed(bool)` (True once an edit is final, False
    for a drag step), `context_requested(row, global_pos)`."""

    selection_changed = Signal()
    changed = Signal(bool)
    context_requested = Signal(int, QPoint)
    content_height_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.draft: ScheduleDraft | None = None
        self.scale = TemperatureScale.CELSIUS
        self.read_only = False
        self.placeholder = ""
        self.selected: tuple[int, int] | None = None
        self._rows: list[_RowGeometry] = []
        self._grab_offset = 0.0
        self._pressed = False
        self._hover: tuple[int, int] | None = None
        self._row_cache: dict[int, tuple[tuple, QPixmap]] = {}
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(360)  # narrow panels still fit; arrows and the time list help there
        self.setAccessibleName("Weekly schedule timeline")
        self._font = QFont(self.font())
        self._small = QFont(self.font())
        self._small.setPointSizeF(max(7.5, self.font().pointSizeF() - 1.5))
        self._bold = QFont(self.font())
        self._bold.setBold(True)
        self._letter = QFont(self._small)
        self._letter.setBold(True)
        self._relayout()

    # ----- state -------------------------------------------------------------------------

    def set_draft(self, draft: ScheduleDraft | None, placeholder: str = "") -> None:
        self.draft = draft
        self.placeholder = placeholder
        self.selected = None
        self._row_cache.clear()
        self._pressed = False
        self._relayout()
        self.update()
        self.selection_changed.emit()

    def set_scale(self, scale: TemperatureScale) -> None:
        self.scale = TemperatureScale.parse(scale)
        self.update()

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        if read_only and self.draft is not None and self.draft.dragging:
            self.draft.cancel_drag()
            self._pressed = False
            self.refresh()
        self.unsetCursor()

    def select(self, selected: tuple[int, int] | None) -> None:
        if self.draft is None or selected is None or selected[0] >= len(self.draft.rows) \
                or selected[1] >= len(self.draft.rows[selected[0]].events):
            selected = None
        if selected != self.selected:
            self.selected = selected
            self.update()
            self.selection_changed.emit()

    def refresh(self) -> None:
        """The draft changed outside a drag (an edit, undo, redo): lay out and repaint."""
        if self.selected is not None:
            self.select(self.selected)  # drops a selection whose row went away
        self._relayout()
        self.update()

    # ----- geometry ----------------------------------------------------------------------

    @property
    def timeline_left(self) -> float:
        return float(LABEL_WIDTH)

    @property
    def timeline_width(self) -> float:
        return max(60.0, self.width() - LABEL_WIDTH - RIGHT_PAD)

    def x_for_position(self, minutes: float) -> float:
        return self.timeline_left + minutes / TIMELINE_MINUTES * self.timeline_width

    def position_for_x(self, x: float) -> float:
        return (x - self.timeline_left) / self.timeline_width * TIMELINE_MINUTES

    def marker_center(self, row: int, index: int) -> QPoint:
        """Where the event's marker is drawn (tests press the mouse here)."""
        return self._marker_point(row, index).toPoint()

    def row_messages(self, row: int) -> list[str]:
        return [text for _, text in self._rows[row].messages] if row < len(self._rows) else []

    def _marker_point(self, row: int, index: int) -> QPointF:
        event = self.draft.rows[row].events[index]  # type: ignore[union-attr]
        position = event.position
        track = self._rows[row].track
        return QPointF(self.x_for_position(position if position is not None else 0),
                       track.center().y())

    def _clock_lanes(self, events: tuple[DraftEvent, ...], metrics: QFontMetrics) -> list[int]:
        """Lane 0 just above the track, lane 1 above it when two clock labels would touch."""
        lanes = [0] * len(events)
        ends = [-1e9, -1e9]
        order = sorted(range(len(events)), key=lambda i: events[i].position or 0)
        for i in order:
            x = self.x_for_position(events[i].position or 0)
            half = metrics.horizontalAdvance(events[i].clock) / 2 + 3
            lane = 0 if x - half > ends[0] else (1 if x - half > ends[1] else 0)
            lanes[i] = lane
            ends[lane] = x + half
        return lanes

    def _relayout(self) -> None:
        self._rows = []
        top = RULER_HEIGHT
        draft = self.draft
        small = QFontMetrics(self._small)
        message_metrics = QFontMetrics(self._font)
        width = int(self.width() - LABEL_WIDTH - RIGHT_PAD)
        if draft is not None:
            for at, row in enumerate(draft.rows):
                lanes = self._clock_lanes(row.events, small)
                label_height = CLOCK_LANE * (2 if 1 in lanes else 1) + 4
                track = QRectF(self.timeline_left, top + label_height, self.timeline_width,
                               TRACK_HEIGHT)
                y = int(track.bottom()) + MESSAGE_GAP + 2
                messages = []
                for violation in draft.row_violations(at):
                    text = "⚠  " + violation.message
                    rect = message_metrics.boundingRect(
                        QRect(LABEL_WIDTH, y, max(60, width), 2000),
                        int(Qt.TextFlag.TextWordWrap), text)
                    messages.append((QRect(LABEL_WIDTH, y, max(60, width), rect.height()), text))
                    y += rect.height() + 2
                height = (y - top) + ROW_BOTTOM - (MESSAGE_GAP + 2 if not messages else 0)
                self._rows.append(_RowGeometry(top, height, track, messages, lanes))
                top += height
            general = draft.general_violations
            if general:
                top += 4
                for violation in general:
                    text = "⚠  " + violation.message
                    rect = message_metrics.boundingRect(QRect(0, top, max(60, self.width()), 2000),
                                                        int(Qt.TextFlag.TextWordWrap), text)
                    top += rect.height() + 2
        else:
            top = PLACEHOLDER_HEIGHT
        height = top + 6
        if height != self.minimumHeight():
            self.setMinimumHeight(height)
            self.updateGeometry()
            self.content_height_changed.emit(height)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(860, self.minimumHeight())

    def resizeEvent(self, event) -> None:  # noqa: N802
        self._relayout()
        super().resizeEvent(event)

    # ----- painting ----------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.draft is None:
            self._paint_placeholder(painter)
            return
        self._paint_ruler(painter)
        clip = event.rect()
        for at, geometry in enumerate(self._rows):
            if geometry.top > clip.bottom() or geometry.top + geometry.height < clip.top():
                continue
            painter.drawPixmap(0, geometry.top, self._row_pixmap(at, geometry))
        general = self.draft.general_violations
        if general:
            y = (self._rows[-1].top + self._rows[-1].height if self._rows else RULER_HEIGHT) + 4
            painter.setFont(self._font)
            painter.setPen(QColor(style.ERROR))
            for violation in general:
                text = "⚠  " + violation.message
                rect = painter.boundingRect(QRect(0, y, self.width(), 2000),
                                            int(Qt.TextFlag.TextWordWrap), text)
                painter.drawText(rect, int(Qt.TextFlag.TextWordWrap), text)
                y += rect.height() + 2

    def _row_pixmap(self, at: int, geometry: _RowGeometry) -> QPixmap:
        """The row drawn once and reused while nothing it shows changes: during a drag
        only the dragged row is drawn again, and only when its clock moved."""
        draft = self.draft
        assert draft is not None
        selected = self.selected[1] if self.selected and self.selected[0] == at else None
        key = (draft.rows[at], selected, tuple(draft.row_violations(at)), geometry.top,
               geometry.height, tuple(geometry.lanes), self.width(), self.scale,
               self.devicePixelRatioF())
        cached = self._row_cache.get(at)
        if cached is not None and cached[0] == key:
            return cached[1]
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(round(self.width() * ratio), round((geometry.height + 1) * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(0, -geometry.top)
        self._paint_row(painter, at, geometry)
        painter.end()
        self._row_cache[at] = (key, pixmap)
        return pixmap

    def _paint_ruler(self, painter: QPainter) -> None:
        left, width = self.timeline_left, self.timeline_width
        night = QRectF(self.x_for_position(MINUTES_PER_DAY), 0,
                       self.x_for_position(TIMELINE_MINUTES) - self.x_for_position(MINUTES_PER_DAY),
                       self.height())
        painter.fillRect(night, QColor("#f1f5f9"))
        painter.setFont(self._small)
        metrics = painter.fontMetrics()
        hour_width = width / (TIMELINE_MINUTES / 60)
        step = 2 if hour_width >= 30 else 3
        painter.setPen(QColor(style.MUTED))
        for hour in range(0, MINUTES_PER_DAY // 60, step):
            x = left + hour * hour_width
            text = f"{hour:02d}:00"
            half = metrics.horizontalAdvance(text) / 2
            painter.drawText(QRectF(x - half, 3, 2 * half, RULER_HEIGHT - 6),
                             int(Qt.AlignmentFlag.AlignCenter), text)
        # the strip after midnight, where a SLEEP before 03:00 sits
        caption = next((c for c in ("after midnight", "next day", "night") if
                        metrics.horizontalAdvance(c) + 4 <= night.width()), "")
        painter.drawText(QRectF(night.left(), 3, night.width(), RULER_HEIGHT - 6),
                         int(Qt.AlignmentFlag.AlignCenter), caption)

    def _paint_placeholder(self, painter: QPainter) -> None:
        rect = QRectF(4, 6, self.width() - 8, self.height() - 12)
        painter.setPen(QPen(QColor(style.BORDER), 1, Qt.PenStyle.DashLine))
        painter.setBrush(QColor("#fafbfc"))
        painter.drawRoundedRect(rect, 8, 8)
        painter.setPen(QColor(style.MUTED))
        painter.setFont(self._font)
        painter.drawText(rect.adjusted(16, 8, -16, -8),
                         int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                         self.placeholder)

    def _paint_row(self, painter: QPainter, at: int, geometry: _RowGeometry) -> None:
        draft = self.draft
        assert draft is not None
        row = draft.rows[at]
        track = geometry.track
        if at:
            painter.setPen(QPen(QColor("#e8ecf1"), 1))
            painter.drawLine(QPointF(0, geometry.top + 0.5), QPointF(self.width(), geometry.top + 0.5))

        # the days
        painter.setFont(self._bold)
        painter.setPen(QColor(style.TEXT))
        painter.drawText(QRectF(2, track.top(), LABEL_WIDTH - 10, TRACK_HEIGHT),
                         int(Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap), row.label)

        # temperature segments: each running event holds until the next one
        positions = [e.position for e in row.events]
        running = sorted((p, e.temperature) for p, e in zip(positions, row.events)
                         if e.active and p is not None)
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#eef2f6"))
        painter.drawRoundedRect(track, 6, 6)
        if running:
            outline = QPainterPath()
            outline.addRoundedRect(track, 6, 6)
            painter.setClipPath(outline)
            # before the first event of the day, the last one of the evening before holds
            bounds = [(0, running[-1][1])] + running + [(TIMELINE_MINUTES, None)]
            painter.setFont(self._small)
            metrics = painter.fontMetrics()
            for (start, temperature), (end, _) in zip(bounds, bounds[1:]):
                if end <= start or temperature is None:
                    continue
                x0, x1 = self.x_for_position(start), self.x_for_position(end)
                segment = QRectF(x0, track.top(), x1 - x0, track.height())
                painter.fillRect(segment, temperature_colour(temperature))
                text = format_temperature(temperature, self.scale)
                gap = self._widest_gap(positions, start, end)
                if gap is not None and metrics.horizontalAdvance(text) + 8 < gap[1] - gap[0]:
                    painter.setPen(QColor("#334155"))
                    painter.drawText(QRectF(gap[0], track.top(), gap[1] - gap[0], track.height()),
                                     int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()
        # hour grid over the colours, and the night strip shaded
        painter.setPen(QPen(GRID_LINE, 1))
        hour_width = self.timeline_width / (TIMELINE_MINUTES / 60)
        for hour in range(1, TIMELINE_MINUTES // 60):
            x = round(self.timeline_left + hour * hour_width) + 0.5
            painter.drawLine(QPointF(x, track.top() + 1), QPointF(x, track.bottom() - 1))
        night = QRectF(self.x_for_position(MINUTES_PER_DAY), track.top(),
                       track.right() - self.x_for_position(MINUTES_PER_DAY), track.height())
        painter.fillRect(night, NIGHT_SHADE)
        painter.setPen(QPen(QColor("#94a3b8"), 1, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(night.left(), track.top() - 2), QPointF(night.left(), track.bottom() + 2))

        # markers, the selected and dragged one last so it sits on top
        order = list(range(len(row.events)))
        if self.selected and self.selected[0] == at:
            order.remove(self.selected[1])
            order.append(self.selected[1])
        for index in order:
            self._paint_marker(painter, at, index, row.events[index], geometry)

        # what is wrong, in words, under the row
        if geometry.messages:
            painter.setFont(self._font)
            painter.setPen(QColor(style.ERROR))
            for rect, text in geometry.messages:
                painter.drawText(rect, int(Qt.TextFlag.TextWordWrap), text)

    def _widest_gap(self, positions: list[int | None], start: int,
                    end: int) -> tuple[float, float] | None:
        """The widest stretch of a segment not covered by a marker (switched-off events
        sit inside segments), for the temperature text."""
        edges = [self.x_for_position(start) + (MARKER_RADIUS + 2 if start > 0 else 4)]
        inner = sorted(self.x_for_position(p) for p in positions
                       if p is not None and start < p < end)
        points = []
        for x in inner:
            points += [x - MARKER_RADIUS - 2, x + MARKER_RADIUS + 2]
        last = self.x_for_position(end) - (MARKER_RADIUS + 2 if end < TIMELINE_MINUTES else 4)
        bounds = edges + points + [last]
        gaps = [(a, b) for a, b in zip(bounds[::2], bounds[1::2]) if b > a]
        return max(gaps, key=lambda g: g[1] - g[0]) if gaps else None

    def _paint_marker(self, painter: QPainter, at: int, index: int, event: DraftEvent,
                      geometry: _RowGeometry) -> None:
        if event.position is None:
            return
        draft = self.draft
        assert draft is not None
        centre = QPointF(self.x_for_position(event.position), geometry.track.center().y())
        flagged = draft.event_violations(at, index)
        primary = any(v.event == index for v in flagged)
        selected = self.selected == (at, index)
        colour = QColor(TYPE_COLOURS.get(event.schedule_type, style.MUTED))
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(37, 99, 235, 60))
            painter.drawEllipse(centre, MARKER_RADIUS + 5, MARKER_RADIUS + 5)
        if primary:
            pen, fill, letter = QPen(QColor(style.ERROR), 2), QColor(style.ERROR), QColor("white")
        elif flagged:
            pen, fill, letter = QPen(QColor(style.ERROR), 2), ERROR_FILL, QColor(style.ERROR)
        elif not event.active:
            pen = QPen(QColor("#94a3b8"), 1.5, Qt.PenStyle.DashLine)
            fill, letter = QColor("#f8fafc"), QColor("#94a3b8")
        else:
            pen, fill, letter = QPen(colour, 2), QColor("white"), colour
        if selected and not flagged:
            pen = QPen(QColor(style.ACCENT), 2.5)
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawEllipse(centre, MARKER_RADIUS, MARKER_RADIUS)
        painter.setFont(self._letter)
        painter.setPen(letter)
        box = QRectF(centre.x() - MARKER_RADIUS, centre.y() - MARKER_RADIUS,
                     2 * MARKER_RADIUS, 2 * MARKER_RADIUS)
        painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter),
                         TYPE_LETTERS.get(event.schedule_type, "?"))

        # the clock above the marker
        lane = geometry.lanes[index] if index < len(geometry.lanes) else 0
        painter.setFont(self._letter if selected else self._small)
        metrics = painter.fontMetrics()
        half = metrics.horizontalAdvance(event.clock) / 2 + 2
        bottom = geometry.track.top() - 2 - lane * CLOCK_LANE
        if flagged:
            painter.setPen(QColor(style.ERROR))
        elif selected:
            painter.setPen(QColor(style.ACCENT))
        elif not event.active:
            painter.setPen(QColor("#94a3b8"))
        else:
            painter.setPen(QColor("#334155"))
        painter.drawText(QRectF(centre.x() - half, bottom - CLOCK_LANE, 2 * half, CLOCK_LANE),
                         int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom),
                         event.clock)

    # ----- hit testing -------------------------------------------------------------------

    def event_at(self, point: QPointF) -> tuple[int, int] | None:
        """The marker under `point` (the nearest when markers overlap; the selected one wins
        a tie so a marker sitting on another can be dragged off it)."""
        if self.draft is None:
            return None
        best, best_distance = None, float(HIT_RADIUS)
        for at, geometry in enumerate(self._rows):
            if not geometry.top <= point.y() <= geometry.top + geometry.height:
                continue
            for index, event in enumerate(self.draft.rows[at].events):
                if event.position is None:
                    continue
                centre = QPointF(self.x_for_position(event.position), geometry.track.center().y())
                distance = ((centre.x() - point.x()) ** 2 + (centre.y() - point.y()) ** 2) ** 0.5
                if self.selected == (at, index):
                    distance -= 0.5
                if distance <= best_distance:
                    best, best_distance = (at, index), distance
        return best

    def row_at(self, y: float) -> int | None:
        for at, geometry in enumerate(self._rows):
            if geometry.top <= y < geometry.top + geometry.height:
                return at
        return None

    # ----- mouse and keys ------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self.draft is None:
            super().mousePressEvent(event)
            return
        point = event.position()
        hit = self.event_at(point)
        self.select(hit)
        if hit is None or self.read_only:
            return
        self._grab_offset = point.x() - self._marker_point(*hit).x()
        self._pressed = True
        self.draft.begin_drag(*hit)
        self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        draft = self.draft
        if draft is None:
            return
        point = event.position()
        if self._pressed and draft.dragging:
            if draft.preview(self.position_for_x(point.x() - self._grab_offset)):
                before = [len(g.messages) for g in self._rows], [g.lanes for g in self._rows]
                self._relayout()
                after = [len(g.messages) for g in self._rows], [g.lanes for g in self._rows]
                if before == after:
                    row = self._rows[draft.dragging[0]]
                    self.update(QRect(0, row.top, self.width(), row.height + 1))
                else:
                    self.update()
                self.changed.emit(False)
            return
        if self.read_only:
            return
        hover = self.event_at(point)
        if hover != self._hover:
            self._hover = hover
            if hover is None:
                self.unsetCursor()
            else:
                self.setCursor(Qt.CursorShape.OpenHandCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or not self._pressed:
            super().mouseReleaseEvent(event)
            return
        self._pressed = False
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        if self.draft is not None and self.draft.dragging:
            moved = self.draft.commit_drag()
            self.refresh()
            self.changed.emit(moved)

    def contextMenuEvent(self, event) -> None:  # noqa: N802
        row = self.row_at(event.pos().y())
        if row is not None and not self.read_only:
            self.context_requested.emit(row, event.globalPos())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """Esc cancels a drag; ← → move the selected event 15 min; Ctrl+← → pick the
        previous/next event of the row, ↑ ↓ the row above/below."""
        draft = self.draft
        key = event.key()
        if draft is None:
            super().keyPressEvent(event)
            return
        if draft.dragging:
            if key == Qt.Key.Key_Escape:
                self._pressed = False
                draft.cancel_drag()
                self.refresh()
                self.changed.emit(False)
            return
        arrows = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down)
        if key not in arrows or not draft.rows:
            super().keyPressEvent(event)
            return
        if self.selected is None:
            self.select((0, self._events_by_time(0)[0]) if draft.rows[0].events else None)
            return
        row, index = self.selected
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            target = row + (1 if key == Qt.Key.Key_Down else -1)
            if 0 <= target < len(draft.rows) and draft.rows[target].events:
                self.select((target, min(index, len(draft.rows[target].events) - 1)))
            return
        forward = key == Qt.Key.Key_Right
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            order = self._events_by_time(row)
            at = order.index(index) + (1 if forward else -1)
            if 0 <= at < len(order):
                self.select((row, order[at]))
            return
        position = draft.event(row, index).position
        if not self.read_only and position is not None:
            if draft.move_event(row, index, position + rules.GRID_MINUTES * (1 if forward else -1)):
                self.refresh()
                self.changed.emit(True)

    def _events_by_time(self, row: int) -> list[int]:
        events = self.draft.rows[row].events  # type: ignore[union-attr]
        return sorted(range(len(events)), key=lambda i: (events[i].position or 0, i))

    def event(self, event: QEvent) -> bool:  # noqa: A003 - Qt's name
        if event.type() == QEvent.Type.ToolTip and self.draft is not None:
            hit = self.event_at(QPointF(event.pos()))
            if hit is None:
                QToolTip.hideText()
                event.ignore()
                return True
            row, index = hit
            item = self.draft.event(row, index)
            state = "" if item.active else " (switched off)"
            text = (f"<b>{item.name}</b> {item.clock}{state} · "
                    f"{format_temperature(item.temperature, self.scale)}<br>"
                    f"{self.draft.rows[row].label}")
            for violation in self.draft.event_violations(row, index):
                text += f"<br><span style='color:{style.ERROR}'>{violation.message}</span>"
            QToolTip.showText(event.globalPos(), text, self)
            return True
        return super().event(event)
