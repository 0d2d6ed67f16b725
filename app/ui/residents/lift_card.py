"""The floors the lift takes the selected resident to (NEXhome's elevator configuration).

Typed as a list ("-1, 0, 3"): the demo building's lift controller does not say which floors
it serves, so a list of check boxes would have to guess. The service checks the numbers
and, where the controller says, the range; its message is shown under the field.
"""

from __future__ import annotations

from typing import Awaitable, Callable

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

from app.core.errors import SiteKitError
from app.ui.residents.credential_dialog import error_text
from app.ui.tasks import Tasks
from app.ui.widgets import Spinner, label, padded_card

LoadFloors = Callable[[str], Awaitable[tuple[int, ...]]]
SaveFloors = Callable[[str, str], Awaitable[tuple[int, ...]]]


def floors_sentence(floors: tuple[int, ...]) -> str:
    if not floors:
        return "No lift access."
    return ("Reaches floor " if len(floors) == 1 else "Reaches floors ") + ", ".join(map(str, floors))


class LiftCard(QWidget):
    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._load: LoadFloors | None = None
        self._save: SaveFloors | None = None
        self.person_id: str | None = None
        self._generation = 0
        self.busy = False
        frame, layout = padded_card((18, 14, 18, 16), 6)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)
        head = QHBoxLayout()
        head.addWidget(label("Lift", "section"), 1)
        self.spinner = Spinner(size=16)
        self.spinner.hide()
        head.addWidget(self.spinner)
        layout.addLayout(head)
        self.current = label("", wrap=True)
        layout.addWidget(self.current)
        row = QHBoxLayout()
        self.floors = QLineEdit()
        self.floors.setPlaceholderText("Floors, e.g. -1, 0, 3")
        self.floors.setAccessibleName("Lift floors")
        self.floors.returnPressed.connect(self.save)
        row.addWidget(self.floors, 1)
        self.save_button = QPushButton("Save floors")
        self.save_button.clicked.connect(self.save)
        row.addWidget(self.save_button)
        layout.addLayout(row)
        self.result = label("", "hint", wrap=True)
        layout.addWidget(self.result)

    def set_access(self, load: LoadFloors | None, save: SaveFloors | None) -> None:
        self._load, self._save = load, save

    def show_person(self, person_id: str | None) -> None:
        self.person_id = person_id
        self._generation += 1
        self.result.setText("")
        self.result.setStyleSheet("")
        self.floors.clear()
        if person_id is None or self._load is None:
            self.current.setText("")
            return
        self._set_busy(True)
        self.current.setText("Asking NEXhome…")
        self._tasks.spawn(self._run_load(self._load, person_id, self._generation), name="lift floors")

    async def _run_load(self, load: LoadFloors, person_id: str, generation: int) -> None:
        try:
            floors = await load(person_id)
            text = floors_sentence(floors)
        except SiteKitError as exc:
            floors, text = None, f"Could not read the lift floors: {error_text(exc)}"
        if generation != self._generation:
            return
        self._set_busy(False)
        self.current.setText(text)
        if floors is not None:
            self.floors.setText(", ".join(map(str, floors)))

    def save(self) -> None:
        if self.person_id is None or self._save is None or self.busy:
            return
        self._set_busy(True)
        self.result.setText("Saving…")
        self.result.setStyleSheet("")
        self._tasks.spawn(self._run_save(self._save, self.person_id, self.floors.text(),
                                         self._generation), name="save lift floors")

    async def _run_save(self, save: SaveFloors, person_id: str, text: str, generation: int) -> None:
        try:
            floors = await save(person_id, text)
        except SiteKitError as exc:
            if generation == self._generation:
                self._set_busy(False)
                self.result.setText(f"Not saved: {error_text(exc)}")
                self.result.setStyleSheet("color: #dc2626;")
            return
        if generation != self._generation:
            return
        self._set_busy(False)
        self.current.setText(floors_sentence(floors))
        self.floors.setText(", ".join(map(str, floors)))
        self.result.setText("Saved in NEXhome.")

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.spinner.setVisible(busy)
        self.save_button.setEnabled(not busy)
        self.floors.setEnabled(not busy)
