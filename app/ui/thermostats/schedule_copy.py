""""Copy day to…": pick a day, tick the days that should get its events."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QGridLayout, QHBoxLayout,
                               QPushButton, QVBoxLayout, QWidget)

from app.services.schedule_editing import ScheduleDraft
from app.ui import style
from app.ui.widgets import label, primary_button
from app.vendors.nuheat import schedule_rules as rules


class CopyDayDialog(QDialog):
    def __init__(self, draft: ScheduleDraft, source: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.draft = draft
        self.setWindowTitle("Copy a day")
        self.setModal(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(label("Copy a day's events to other days", "heading"))
        top = QHBoxLayout()
        top.addWidget(label("Copy"))
        self.source = QComboBox()
        for weekday, name in rules.WEEKDAY_NAMES.items():
            self.source.addItem(name, weekday)
        self.source.setCurrentIndex(source - 1)
        top.addWidget(self.source)
        top.addWidget(label("to:"))
        top.addStretch(1)
        layout.addLayout(top)
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        self.targets: dict[int, QCheckBox] = {}
        for at, (weekday, name) in enumerate(rules.WEEKDAY_NAMES.items()):
            box = QCheckBox(name)
            box.setStyleSheet(f"QCheckBox:disabled {{ color: {style.MUTED}; }}")
            box.toggled.connect(self._update)
            self.targets[weekday] = box
            grid.addWidget(box, at % 4, at // 4)
        layout.addLayout(grid)
        self.note = label("The days you tick get exactly these events, and are edited "
                          "together with it from then on.", "hint", wrap=True)
        layout.addWidget(self.note)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.copy = primary_button("Copy")
        self.copy.clicked.connect(self.accept)
        self.copy.setDefault(True)
        buttons.addWidget(cancel)
        buttons.addWidget(self.copy)
        layout.addLayout(buttons)
        self.source.currentIndexChanged.connect(self._source_changed)
        self._source_changed()

    @property
    def source_day(self) -> int:
        return int(self.source.currentData())

    @property
    def chosen(self) -> list[int]:
        return [d for d, box in self.targets.items() if box.isChecked() and box.isEnabled()]

    def _source_changed(self) -> None:
        alike = self.draft.rows[self.draft.row_of_weekday(self.source_day)].weekdays
        source = self.source_day
        for weekday, box in self.targets.items():
            same = weekday in alike
            name = rules.WEEKDAY_NAMES[weekday]
            box.blockSignals(True)
            box.setText(name if not same else
                        f"{name} (copied from)" if weekday == source else f"{name} (already the same)")
            box.setChecked(same)
            box.setEnabled(not same)
            box.blockSignals(False)
        self.note.setText(f"The days you tick get exactly {rules.WEEKDAY_NAMES[source]}'s events "
                          "and are edited together with it from then on.")
        self._update()

    def _update(self) -> None:
        chosen = self.chosen
        self.copy.setEnabled(bool(chosen))
        self.copy.setText(f"Copy to {len(chosen)} day{'s' if len(chosen) != 1 else ''}"
                          if chosen else "Copy")
        self.copy.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
