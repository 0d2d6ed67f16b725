"""A schedule being edited: rows of week-day groups, undo/redo, and the rule check live.

The editor shows one row per week-day group (the days sharing a `weekDayGroupNumber`, in
week order) and an edit to a row applies to every day in it, which is what the API's
group rule ("different event sets never share a group") asks for anyway. Copying a day
to other days moves those days into the source day's row; "edit separately" gives a day
a row of its own.

State is immutable (tuples of frozen dataclasses), so undo is a stack of earlier states
and "unchanged" is a comparison with the state loaded or last saved.

Rules are never re-implemented here: `schedule_rules.check_schedule` decides, and this
module only maps each violation to a row and event and words it for that row ("Mon–Fri"
rather than "Monday"), once per row instead of once per day. During a drag only the
dragged row can change, so `preview` re-checks that row alone with `check_day`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable

from app.vendors.nuheat import schedule_rules as rules
from app.vendors.nuheat.models import (
    ScheduleDayEventModel, ScheduleDayModel, ScheduleModel, ScheduleType)

SHORT_DAY_NAMES = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}
# Codes about a pair of events; the rule module flags the later one, the editor shows both.
PAIR_CODES = frozenset({rules.EVENTS_TOO_CLOSE, rules.EVENTS_OUT_OF_ORDER, rules.SLEEP_TOO_LATE})
# A SLEEP is placed from 03:00 to 02:45 the next night; everything else within the day.
SLEEP_FIRST_POSITION = rules.SLEEP_AFTER_MIDNIGHT_LIMIT
TIMELINE_MINUTES = rules.MINUTES_PER_DAY + rules.SLEEP_AFTER_MIDNIGHT_LIMIT


@dataclass(frozen=True, slots=True)
class DraftEvent:
    """One event as the API has it (the attribute names schedule_rules reads)."""

    clock: str
    schedule_type: int
    active: bool
    temperature: int

    @property
    def minutes(self) -> int | None:
        return rules.parse_clock(self.clock)

    @property
    def position(self) -> int | None:
        """Minutes from the day's midnight on the timeline (a SLEEP at 00:30 sits at 24:30)."""
        minutes = self.minutes
        return None if minutes is None else rules.day_position(self.schedule_type, minutes)

    @property
    def name(self) -> str:
        return rules.event_name(self.schedule_type)


@dataclass(frozen=True, slots=True)
class DraftRow:
    group: int
    weekdays: tuple[int, ...]
    events: tuple[DraftEvent, ...]

    @property
    def label(self) -> str:
        return days_label(self.weekdays)

    def day(self, weekday: int | None = None) -> ScheduleDayModel:
        """A day of this row in the shape schedule_rules reads (events shared, not copied)."""
        return ScheduleDayModel(self.weekdays[0] if weekday is None else weekday, self.group,
                                list(self.events))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class RowViolation:
    """A broken rule placed in the editor: `row` None is about the whole schedule,
    `event` None about the whole row; `partner` is the other event of a pair rule."""

    code: str
    message: str
    row: int | None
    event: int | None = None
    partner: int | None = None


def days_label(weekdays: Iterable[int]) -> str:
    """'Every day', 'Monday', 'Mon–Fri', 'Sat, Sun' or 'Mon, Wed, Fri'."""
    days = sorted(weekdays)
    if len(days) == 7:
        return "Every day"
    if len(days) == 1:
        return rules.weekday_name(days[0])
    short = [SHORT_DAY_NAMES.get(d, str(d)) for d in days]
    contiguous = days == list(range(days[0], days[0] + len(days)))
    if contiguous and len(days) >= 3:
        return f"{short[0]}–{short[-1]}"
    return ", ".join(short)


def clock_for_position(schedule_type: int, position: float) -> str:
    """The snapped clock for an event dropped at `position` minutes on the timeline.

    Every event snaps to the quarter hour inside its day (00:00-23:45); a SLEEP moves
    between 03:00 and 02:45 the night after, since before 03:00 it belongs to that night.
    """
    if schedule_type == rules.SLEEP:
        snapped = rules.snap_clock(position - SLEEP_FIRST_POSITION) + SLEEP_FIRST_POSITION
    else:
        snapped = rules.snap_clock(position)
    return rules.format_clock(snapped)


def _event_from_model(event: Any) -> DraftEvent:
    kind = event.schedule_type
    return DraftEvent(str(event.clock), int(kind) if isinstance(kind, int) else -1,
                      event.active, event.temperature)


def _event_to_model(event: DraftEvent) -> ScheduleDayEventModel:
    kind = event.schedule_type
    if kind in rules.EVENT_NAMES:
        kind = ScheduleType(kind)
    return ScheduleDayEventModel(event.clock, kind, event.active, event.temperature)


def rows_from_model(schedule: ScheduleModel) -> tuple[DraftRow, ...]:
    """Rows by week-day group in week order. Days of one group that differ (the API
    refuses that, so only a hand-made schedule) get rows of their own rather than
    losing events."""
    rows: list[DraftRow] = []
    next_group = max((d.week_day_group_number for d in schedule.days), default=0) + 1
    by_group: dict[int, int] = {}
    for day in sorted(schedule.days, key=lambda d: d.week_day):
        events = tuple(_event_from_model(e) for e in day.events)
        at = by_group.get(day.week_day_group_number)
        if at is not None and rows[at].events == events:
            rows[at] = replace(rows[at], weekdays=rows[at].weekdays + (day.week_day,))
            continue
        group = day.week_day_group_number
        if at is not None:
            group, next_group = next_group, next_group + 1
        else:
            by_group[group] = len(rows)
        rows.append(DraftRow(group, (day.week_day,), events))
    return tuple(rows)


def _message_for_row(violation: rules.RuleViolation, row: DraftRow) -> str:
    """The rule's message, naming the row ('Mon–Fri ...') instead of its first day."""
    name = rules.weekday_name(violation.weekday)
    if len(row.weekdays) > 1 and violation.message.startswith(name):
        return row.label + violation.message[len(name):]
    return violation.message


def _partner(events: tuple[DraftEvent, ...], index: int, code: str) -> int | None:
    """The other event of a pair rule: the one that, alone with the flagged event, still
    breaks the same rule (asked of schedule_rules, not worked out here)."""
    flagged = events[index]
    # the nearest earlier type first: that is the event the rule compared with
    for other_index, other in sorted(enumerate(events), key=lambda p: -p[1].schedule_type):
        if other_index == index:
            continue
        pair = ScheduleDayModel(1, 1, [other, flagged])  # type: ignore[list-item]
        if any(v.code == code and v.event_index == 1 for v in rules.check_day(pair)):
            return other_index
    return None


class ScheduleDraft:
    """The schedule being edited. Rows and events are addressed by position
    (`row`, `index`); an event keeps its index while it is moved."""

    def __init__(self, schedule: ScheduleModel) -> None:
        self.serial_number = schedule.serial_number
        self._rows = rows_from_model(schedule)
        self._baseline = self._rows
        self._undo: list[tuple[DraftRow, ...]] = []
        self._redo: list[tuple[DraftRow, ...]] = []
        self._drag: tuple[int, int, tuple[DraftRow, ...]] | None = None  # row, index, before
        self._violations: tuple[RowViolation, ...] = ()
        self._check_all()

    # ----- reading -----------------------------------------------------------------------

    @property
    def rows(self) -> tuple[DraftRow, ...]:
        return self._rows

    def event(self, row: int, index: int) -> DraftEvent:
        return self._rows[row].events[index]

    def row_of_weekday(self, weekday: int) -> int:
        for at, row in enumerate(self._rows):
            if weekday in row.weekdays:
                return at
        raise KeyError(weekday)

    @property
    def violations(self) -> tuple[RowViolation, ...]:
        return self._violations

    def row_violations(self, row: int) -> list[RowViolation]:
        return [v for v in self._violations if v.row == row]

    def event_violations(self, row: int, index: int) -> list[RowViolation]:
        return [v for v in self._violations if v.row == row and index in (v.event, v.partner)]

    @property
    def general_violations(self) -> list[RowViolation]:
        return [v for v in self._violations if v.row is None]

    @property
    def valid(self) -> bool:
        return not self._violations

    @property
    def dirty(self) -> bool:
        return self._rows != self._baseline

    @property
    def can_undo(self) -> bool:
        return bool(self._undo) and self._drag is None

    @property
    def can_redo(self) -> bool:
        return bool(self._redo) and self._drag is None

    @property
    def dragging(self) -> tuple[int, int] | None:
        return None if self._drag is None else self._drag[:2]

    def to_model(self) -> ScheduleModel:
        days = [ScheduleDayModel(weekday, row.group, [_event_to_model(e) for e in row.events])
                for row in self._rows for weekday in row.weekdays]
        days.sort(key=lambda d: d.week_day)
        return ScheduleModel(self.serial_number, days)

    # ----- edits (each one undo step) ------------------------------------------------------

    def move_event(self, row: int, index: int, position: float) -> bool:
        """Move an event to `position` minutes on the timeline, snapped to the quarter hour."""
        event = self.event(row, index)
        return self._apply(self._with_event(row, index, clock=clock_for_position(
            event.schedule_type, position)))

    def set_clock(self, row: int, index: int, clock: str) -> bool:
        return self._apply(self._with_event(row, index, clock=clock))

    def set_temperature(self, row: int, index: int, centi: int) -> bool:
        return self._apply(self._with_event(row, index, temperature=int(centi)))

    def set_active(self, row: int, index: int, active: bool) -> bool:
        return self._apply(self._with_event(row, index, active=bool(active)))

    def copy_day(self, weekday: int, to_weekdays: Iterable[int]) -> bool:
        """Give `to_weekdays` the events of `weekday`: they join its row (its group)."""
        source_at = self.row_of_weekday(weekday)
        targets = {d for d in to_weekdays if d not in self._rows[source_at].weekdays}
        if not targets:
            return False
        rows: list[DraftRow | None] = []
        for at, row in enumerate(self._rows):
            if at == source_at:
                rows.append(replace(row, weekdays=tuple(sorted(row.weekdays + tuple(targets)))))
            else:
                kept = tuple(d for d in row.weekdays if d not in targets)
                rows.append(replace(row, weekdays=kept) if kept else None)
        return self._apply(self._ordered(r for r in rows if r is not None))

    def separate_day(self, weekday: int) -> bool:
        """Give `weekday` a row (a week-day group) of its own, with the same events for now."""
        at = self.row_of_weekday(weekday)
        row = self._rows[at]
        if len(row.weekdays) == 1:
            return False
        group = max(r.group for r in self._rows) + 1
        rows = list(self._rows)
        rows[at] = replace(row, weekdays=tuple(d for d in row.weekdays if d != weekday))
        rows.append(DraftRow(group, (weekday,), row.events))
        return self._apply(self._ordered(rows))

    def revert(self) -> bool:
        """Back to the schedule as loaded or last saved (undoable)."""
        return self._apply(self._baseline)

    def undo(self) -> bool:
        if not self.can_undo:
            return False
        self._redo.append(self._rows)
        self._rows = self._undo.pop()
        self._check_all()
        return True

    def redo(self) -> bool:
        if not self.can_redo:
            return False
        self._undo.append(self._rows)
        self._rows = self._redo.pop()
        self._check_all()
        return True

    def mark_saved(self) -> None:
        """What is shown now is what the thermostat has: nothing left unsaved."""
        self._baseline = self._rows

    # ----- a drag: many previews, one undo step -----------------------------------------------

    def begin_drag(self, row: int, index: int) -> None:
        self.event(row, index)  # IndexError for a wrong address, before any state changes
        if self._drag is not None:
            self.cancel_drag()
        self._drag = (row, index, self._rows)

    def preview(self, position: float) -> bool:
        """Show the dragged event at `position` (snapped); True when its clock changed.
        Only the dragged row is checked again."""
        if self._drag is None:
            raise RuntimeError("preview() without begin_drag()")
        row, index, _ = self._drag
        event = self.event(row, index)
        clock = clock_for_position(event.schedule_type, position)
        if clock == event.clock:
            return False
        self._rows = self._with_event(row, index, clock=clock)
        self._check_row(row)
        return True

    def commit_drag(self) -> bool:
        """End the drag; one undo step when the event moved."""
        if self._drag is None:
            return False
        _, _, before = self._drag
        self._drag = None
        if self._rows == before:
            return False
        self._undo.append(before)
        self._redo.clear()
        self._check_all()
        return True

    def cancel_drag(self) -> None:
        if self._drag is None:
            return
        self._rows = self._drag[2]
        self._drag = None
        self._check_all()

    # ----- internals ---------------------------------------------------------------------------

    def _with_event(self, row: int, index: int, **changes: Any) -> tuple[DraftRow, ...]:
        target = self._rows[row]
        events = list(target.events)
        events[index] = replace(events[index], **changes)
        rows = list(self._rows)
        rows[row] = replace(target, events=tuple(events))
        return tuple(rows)

    @staticmethod
    def _ordered(rows: Iterable[DraftRow]) -> tuple[DraftRow, ...]:
        return tuple(sorted(rows, key=lambda r: r.weekdays[0]))

    def _apply(self, rows: tuple[DraftRow, ...]) -> bool:
        if self._drag is not None:
            self.commit_drag()
        if rows == self._rows:
            return False
        self._undo.append(self._rows)
        self._redo.clear()
        self._rows = rows
        self._check_all()
        return True

    def _place(self, found: Iterable[rules.RuleViolation]) -> list[RowViolation]:
        """Rule violations -> one per row and event (the days of a row are alike)."""
        placed: list[RowViolation] = []
        seen: set[tuple] = set()
        for violation in found:
            at = None
            if violation.weekday is not None:
                try:
                    at = self.row_of_weekday(violation.weekday)
                except KeyError:
                    at = None
            if at is None:
                placed.append(RowViolation(violation.code, violation.message, None))
                continue
            row = self._rows[at]
            key = (at, violation.code, violation.event_index)
            if key in seen:
                continue
            seen.add(key)
            partner = None
            if violation.code in PAIR_CODES and violation.event_index is not None:
                partner = _partner(row.events, violation.event_index, violation.code)
            placed.append(RowViolation(violation.code, _message_for_row(violation, row), at,
                                       violation.event_index, partner))
        return placed

    def _check_all(self) -> None:
        self._violations = tuple(self._place(rules.check_schedule(self._rules_view())))

    def _check_row(self, row: int) -> None:
        kept = [v for v in self._violations if v.row != row]
        fresh = self._place(rules.check_day(self._rows[row].day()))
        self._violations = tuple(sorted(kept + fresh, key=lambda v: (
            -1 if v.row is None else v.row)))

    def _rules_view(self) -> ScheduleModel:
        """The schedule as schedule_rules reads it, without copying events."""
        return ScheduleModel(self.serial_number, sorted(
            (row.day(weekday) for row in self._rows for weekday in row.weekdays),
            key=lambda d: d.week_day))
