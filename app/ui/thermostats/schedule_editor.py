"""The schedule editor: a week timeline to drag events on, the selected event's details,
undo/redo, copy a day, and Save only when the schedule is changed and valid.

The editor never talks to the API: Save emits `save_requested(ScheduleModel)` and whoever
owns the editor (the thermostat page) saves it and answers with `saved()` or
`show_save_error(text)`. The rules are ScheduleDraft's (that is, schedule_rules'); this
widget only shows what they say: red markers and a sentence under the offending row.

A thermostat moved to Nuheat's API v2 has no schedule through v1 (the endpoints answer
405); the editor then shows the reason in a banner and nothing to edit, not an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QMenu,
                               QPushButton, QScrollArea, QVBoxLayout, QWidget)

from app.services.schedule_editing import TIMELINE_MINUTES, ScheduleDraft, clock_for_position
from app.ui import style
from app.ui.thermostats.schedule_copy import CopyDayDialog
from app.ui.thermostats.schedule_timeline import TYPE_COLOURS, ScheduleTimeline
from app.ui.widgets import Banner, Spinner, label, padded_card, primary_button
from app.vendors.nuheat import schedule_rules as rules
from app.vendors.nuheat.models import (SET_POINT_MAX, SET_POINT_MIN, ScheduleModel,
                                       TemperatureScale, from_centi, to_centi)

if TYPE_CHECKING:
    from app.services.thermostats import ScheduleState

HINT = ("Drag an event along its row to change its time (15-minute steps), or select it "
        "and press ← →. Changes to a row apply to every day in it.")
LEGEND = "W wake · L leave · R return · S sleep · dashed: switched off"


class ScheduleEditor(QWidget):
    """Save emits `save_requested(ScheduleModel)` and enters the saving state itself
    (controls off, "Saving…"); the owner ends it with `saved()` or `show_save_error(text)`.
    `set_schedule` replaces the draft and its undo history: check `dirty` first when a
    re-read could throw away the user's unsaved edits."""

    save_requested = Signal(object)  # ScheduleModel

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.draft: ScheduleDraft | None = None
        self.scale = TemperatureScale.CELSIUS
        self.name = ""
        self.read_only_reason = ""
        self.saving = False
        self._just_saved = False
        self._state_shown: tuple[str, str] | None = None
        self.copy_dialog: CopyDayDialog | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)

        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(1)
        self.title = label("Weekly schedule", "heading")
        titles.addWidget(self.title)
        self.legend = label(LEGEND, "hint")
        titles.addWidget(self.legend)
        header.addLayout(titles, 1)
        self.state_label = label("")
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        header.addWidget(self.state_label, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(header)

        self.banner = Banner()
        layout.addWidget(self.banner)

        self.timeline_card, card_layout = padded_card((12, 8, 12, 8))
        self.timeline = ScheduleTimeline()
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setWidget(self.timeline)
        self.scroll.viewport().setStyleSheet("background: white;")
        card_layout.addWidget(self.scroll)
        layout.addWidget(self.timeline_card, 1)
        # the card is as tall as its rows (scrolling only when the space runs out)
        self.timeline.content_height_changed.connect(self._fit_card)
        self._fit_card(self.timeline.minimumHeight())

        self.summary = label(HINT, "hint", wrap=True)
        layout.addWidget(self.summary)

        self.details, details_layout = padded_card((14, 10, 14, 10), 6)
        self.details_hint = label("Select an event to change its time, temperature or "
                                  "whether it runs.", "hint", wrap=True)
        details_layout.addWidget(self.details_hint)
        # the event's name on a line of its own, so the controls fit a narrow panel
        self.event_name = label("")
        details_layout.addWidget(self.event_name)
        self.event_row = QWidget()
        row = QHBoxLayout(self.event_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        row.addWidget(label("Time"))
        self.time = QComboBox()
        self.time.setAccessibleName("Event time")
        self.time.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        row.addWidget(self.time)
        row.addSpacing(6)
        row.addWidget(label("Temperature"))
        self.temperature = QDoubleSpinBox()
        self.temperature.setAccessibleName("Event temperature")
        self.temperature.setKeyboardTracking(False)  # one edit per value, not per keystroke
        self.temperature.setMinimumWidth(92)
        row.addWidget(self.temperature)
        row.addSpacing(6)
        self.active = QCheckBox("Active")
        self.active.setToolTip("A switched-off event keeps its time but does not change "
                               "the temperature")
        row.addWidget(self.active)
        row.addStretch(1)
        details_layout.addWidget(self.event_row)
        layout.addWidget(self.details)

        actions = QHBoxLayout()
        actions.setSpacing(8)
        self.undo_button = QPushButton("↶ Undo")
        self.undo_button.setToolTip("Undo (Ctrl+Z)")
        self.redo_button = QPushButton("↷ Redo")
        self.redo_button.setToolTip("Redo (Ctrl+Shift+Z or Ctrl+Y)")
        self.copy_button = QPushButton("Copy day to…")
        self.copy_button.setToolTip("Give other days the events of one day")
        for button in (self.undo_button, self.redo_button, self.copy_button):
            actions.addWidget(button)
        actions.addStretch(1)
        self.spinner = Spinner()
        self.spinner.hide()
        actions.addWidget(self.spinner)
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Back to the schedule the thermostat has")
        self.save_button = primary_button("Save")
        actions.addWidget(self.revert_button)
        actions.addWidget(self.save_button)
        self.actions = QWidget()
        self.actions.setLayout(actions)
        actions.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.actions)
        layout.addStretch(0)

        self.timeline.changed.connect(self._timeline_changed)
        self.timeline.selection_changed.connect(self._show_selection)
        self.timeline.context_requested.connect(self._row_menu)
        self.undo_button.clicked.connect(self.undo)
        self.redo_button.clicked.connect(self.redo)
        self.copy_button.clicked.connect(self.open_copy_dialog)
        self.revert_button.clicked.connect(self.revert)
        self.save_button.clicked.connect(self.save)
        self.time.activated.connect(self._time_chosen)
        self.temperature.valueChanged.connect(self._temperature_changed)
        self.active.toggled.connect(self._active_toggled)
        for keys, slot in (("Ctrl+Z", self.undo), ("Ctrl+Shift+Z", self.redo), ("Ctrl+Y", self.redo)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

        self.show_loading()

    # ----- what the owner calls ---------------------------------------------------------

    def show_loading(self, text: str = "Loading the schedule…") -> None:
        self.draft = None
        self.read_only_reason = ""
        self.banner.clear()
        self.timeline.set_draft(None, text)
        self._refresh()

    def set_schedule(self, state: "ScheduleState", scale: TemperatureScale | str, name: str) -> None:
        """Show `state` (replacing any draft and its undo history)."""
        keep = self.timeline.selected if (
            self.draft is not None and state.schedule is not None
            and state.schedule.serial_number == self.draft.serial_number) else None
        self.scale = TemperatureScale.parse(scale)
        self.name = name
        self.read_only_reason = state.read_only_reason or ""
        self.saving = False
        self._just_saved = False
        self.title.setText(f"Weekly schedule · {name}" if name else "Weekly schedule")
        self.timeline.set_scale(self.scale)
        self._configure_temperature()
        if self.read_only_reason:
            self.banner.show_message(
                f"<b>This schedule is read-only.</b> {self.read_only_reason}", "warning")
        else:
            self.banner.clear()
        self.draft = ScheduleDraft(state.schedule) if state.schedule is not None else None
        placeholder = ("Nothing to show: this thermostat's schedule cannot be read here."
                       if self.read_only_reason else "No schedule loaded.")
        self.timeline.set_draft(self.draft, placeholder)
        self.timeline.set_read_only(bool(self.read_only_reason))
        if keep is not None:
            self.timeline.select(keep)
        self._refresh()

    def set_saving(self, saving: bool) -> None:
        self.saving = saving
        if saving:
            self.banner.clear()
        self.timeline.set_read_only(saving or bool(self.read_only_reason))
        self._refresh()

    def show_save_error(self, text: str) -> None:
        self.set_saving(False)
        self.banner.show_message(text or "The schedule could not be saved.", "error")

    def saved(self) -> None:
        """The thermostat has what is shown: nothing unsaved any more."""
        if self.draft is not None:
            self.draft.mark_saved()
        self._just_saved = True
        self.set_saving(False)

    @property
    def dirty(self) -> bool:
        return self.draft is not None and self.draft.dirty

    # ----- editing -------------------------------------------------------------------------

    @property
    def editable(self) -> bool:
        return self.draft is not None and not self.read_only_reason and not self.saving

    def undo(self) -> None:
        if self.editable and self.draft.undo():  # type: ignore[union-attr]
            self._edited()

    def redo(self) -> None:
        if self.editable and self.draft.redo():  # type: ignore[union-attr]
            self._edited()

    def revert(self) -> None:
        if self.editable and self.draft.revert():  # type: ignore[union-attr]
            self._edited()

    def copy_day(self, weekday: int, to_weekdays: list[int]) -> None:
        if self.editable and self.draft.copy_day(weekday, to_weekdays):  # type: ignore[union-attr]
            self._edited()

    def separate_day(self, weekday: int) -> None:
        if self.editable and self.draft.separate_day(weekday):  # type: ignore[union-attr]
            self._edited()

    def save(self) -> None:
        if not self.editable or not self.draft.dirty or not self.draft.valid:  # type: ignore[union-attr]
            return
        model: ScheduleModel = self.draft.to_model()  # type: ignore[union-attr]
        self.set_saving(True)
        self.save_requested.emit(model)

    def open_copy_dialog(self) -> None:
        if not self.editable:
            return
        selected = self.timeline.selected
        row = selected[0] if selected else 0
        source = self.draft.rows[row].weekdays[0]  # type: ignore[union-attr]
        dialog = CopyDayDialog(self.draft, source, self)  # type: ignore[arg-type]
        dialog.accepted.connect(lambda: self.copy_day(dialog.source_day, dialog.chosen))
        dialog.finished.connect(dialog.deleteLater)
        self.copy_dialog = dialog
        dialog.open()

    def _row_menu(self, row: int, where: QPoint) -> None:
        if not self.editable:
            return
        days = self.draft.rows[row]  # type: ignore[union-attr]
        menu = QMenu(self)
        copy = menu.addAction(f"Copy {days.label} to other days…")
        copy.triggered.connect(lambda: (self.timeline.select((row, 0)), self.open_copy_dialog()))
        if len(days.weekdays) > 1:
            menu.addSeparator()
            for weekday in days.weekdays:
                action = menu.addAction(f"Edit {rules.weekday_name(weekday)} on its own")
                action.triggered.connect(lambda _=False, d=weekday: self.separate_day(d))
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(where)

    def _fit_card(self, height: int) -> None:
        margins = self.timeline_card.contentsMargins()
        inner = self.timeline_card.layout().contentsMargins()
        self.timeline_card.setMaximumHeight(height + inner.top() + inner.bottom()
                                            + margins.top() + margins.bottom() + 2)

    # ----- reacting ------------------------------------------------------------------------

    def _edited(self) -> None:
        self._just_saved = False
        if not self.read_only_reason:
            self.banner.clear()  # an old save error no longer describes what is shown
        self.timeline.refresh()
        self._refresh()

    def _timeline_changed(self, final: bool) -> None:
        if final:
            self._just_saved = False
        self._refresh()

    def _selected_event(self):
        selected = self.timeline.selected
        if self.draft is None or selected is None:
            return None
        return self.draft.event(*selected)

    def _time_chosen(self, at: int) -> None:
        selected = self.timeline.selected
        if self.editable and selected is not None:
            if self.draft.set_clock(*selected, self.time.itemData(at)):  # type: ignore[union-attr]
                self._edited()

    def _temperature_changed(self, value: float) -> None:
        selected = self.timeline.selected
        event = self._selected_event()
        if not self.editable or event is None:
            return
        centi = to_centi(value, self.scale)
        if abs(from_centi(event.temperature, self.scale) - value) < 1e-6:
            return  # the shown value itself, not an edit
        if self.draft.set_temperature(*selected, centi):  # type: ignore[union-attr, misc]
            self._edited()

    def _active_toggled(self, on: bool) -> None:
        selected = self.timeline.selected
        if self.editable and selected is not None:
            if self.draft.set_active(*selected, on):  # type: ignore[union-attr]
                self._edited()

    def _configure_temperature(self) -> None:
        spin = self.temperature
        spin.blockSignals(True)
        if self.scale is TemperatureScale.FAHRENHEIT:
            spin.setDecimals(0)
            spin.setSingleStep(1)
            spin.setSuffix(" °F")
        else:
            spin.setDecimals(1)
            spin.setSingleStep(0.5)
            spin.setSuffix(" °C")
        spin.setRange(from_centi(SET_POINT_MIN, self.scale), from_centi(SET_POINT_MAX, self.scale))
        spin.blockSignals(False)

    def _show_selection(self) -> None:
        event = self._selected_event()
        editable = self.editable
        self.details_hint.setVisible(event is None)
        self.event_name.setVisible(event is not None)
        self.event_row.setVisible(event is not None)
        if event is None:
            return
        row = self.draft.rows[self.timeline.selected[0]]  # type: ignore[union-attr, index]
        colour = TYPE_COLOURS.get(event.schedule_type, style.MUTED)
        self.event_name.setText(f"<span style='color:{colour}; font-weight:600'>{event.name}</span>"
                                f"<span style='color:{style.MUTED}'> · {row.label}</span>")
        self._fill_times(event.schedule_type, event.clock)
        for widget in (self.time, self.temperature, self.active):
            widget.blockSignals(True)
            widget.setEnabled(editable)
        self.temperature.setValue(from_centi(event.temperature, self.scale))
        self.active.setChecked(event.active)
        for widget in (self.time, self.temperature, self.active):
            widget.blockSignals(False)

    def _fill_times(self, schedule_type: int, clock: str) -> None:
        kind = schedule_type if schedule_type == rules.SLEEP else -1
        if self.time.property("kind") != kind:
            self.time.clear()
            start = rules.SLEEP_AFTER_MIDNIGHT_LIMIT if kind == rules.SLEEP else 0
            for position in range(start, start + rules.MINUTES_PER_DAY, rules.GRID_MINUTES):
                text = clock_for_position(schedule_type, min(position, TIMELINE_MINUTES))
                self.time.addItem(text + (" (night)" if position >= rules.MINUTES_PER_DAY else ""),
                                  text)
            self.time.setProperty("kind", kind)
        at = self.time.findData(clock)
        if at < 0:  # an off-grid time from a hand-made schedule: show it as it is
            self.time.addItem(clock, clock)
            at = self.time.count() - 1
        self.time.setCurrentIndex(at)

    def _refresh(self) -> None:
        draft = self.draft
        has = draft is not None
        editing_view = has and not self.read_only_reason
        editable = self.editable
        for widget in (self.details, self.actions, self.summary, self.legend):
            widget.setVisible(editing_view)
        dragging = has and draft.dragging is not None  # type: ignore[union-attr]
        self.undo_button.setEnabled(editable and draft.can_undo)  # type: ignore[union-attr]
        self.redo_button.setEnabled(editable and draft.can_redo)  # type: ignore[union-attr]
        self.copy_button.setEnabled(editable and not dragging)
        dirty = has and draft.dirty  # type: ignore[union-attr]
        valid = has and draft.valid  # type: ignore[union-attr]
        self.revert_button.setEnabled(editable and dirty and not dragging)
        self.save_button.setEnabled(editable and dirty and valid and not dragging)
        self.save_button.setText("Saving…" if self.saving else "Save")
        self.spinner.setVisible(self.saving)
        self.save_button.setToolTip("" if valid or not has else "Fix the events marked in red first")
        self._show_state(has, dirty, valid)
        if has:
            self._show_selection()

    def _show_state(self, has: bool, dirty: bool, valid: bool) -> None:
        if not has:
            text, colour = "", style.MUTED
        elif self.read_only_reason:
            text, colour = "Read-only", style.WARN
        elif self.saving:
            text, colour = "Saving…", style.MUTED
        elif not valid:
            count = len(self.draft.violations)  # type: ignore[union-attr]
            text = f"⚠ {count} problem{'s' if count != 1 else ''} to fix"
            colour = style.ERROR
        elif dirty:
            text, colour = "● Unsaved changes", style.WARN
        elif self._just_saved:
            text, colour = "✓ Saved", style.OK
        else:
            text, colour = "", style.MUTED
        # restyling is what costs during a drag: only when the words or colour change
        if (text, colour) != self._state_shown:
            self._state_shown = (text, colour)
            self.state_label.setText(text)
            self.state_label.setStyleSheet(f"color: {colour}; font-weight: 600;")
        invalid = has and not valid
        summary = ("Save is off until the events marked in red follow the thermostat's rules "
                   "(see the message under the row)." if invalid else HINT)
        if self.summary.text() != summary:
            self.summary.setText(summary)
            self.summary.setProperty("role", "field-error" if invalid else "hint")
            style.polish(self.summary)
