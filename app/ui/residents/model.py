"""The persons list as a Qt table model, filtered by a search text and a room.

The Building service pages through NEXhome and caches the persons; this model only
filters that list in memory (a few hundred residents filter in well under a millisecond,
so every keystroke filters again without a delay).
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt

from app.ui.table_model import FlatTableModel, Index
from app.vendors.nexhome.models import Person, Room

NAME, ROOMS, PHONE = range(3)
HEADERS = ("Name", "Flat", "Phone")
PERSON_ID_ROLE = Qt.ItemDataRole.UserRole + 1


def room_label(room: Room | None, room_id: str = "") -> str:
    if room is None:
        return room_id
    return room.name or (f"Flat {room.number}" if room.number else room.id)


class PersonListModel(FlatTableModel):
    headers = HEADERS

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._persons_source: Callable[[], list[Person]] = lambda: []
        self._rooms_source: Callable[[], list[Room]] = lambda: []
        self._all: list[Person] = []
        self._rooms: dict[str, Room] = {}
        self._haystacks: dict[str, str] = {}
        self._shown: list[Person] = []
        self._search = ""
        self._room_id = ""

    # -- source and filter ------------------------------------------------------------

    def set_source(self, persons: Callable[[], list[Person]],
                   rooms: Callable[[], list[Room]]) -> None:
        self._persons_source, self._rooms_source = persons, rooms
        self.reload()

    def reload(self) -> None:
        self._all = list(self._persons_source())
        self._rooms = {room.id: room for room in self._rooms_source()}
        self._haystacks = {p.id: " ".join((p.name, p.phone, p.id, self.rooms_text(p))).lower()
                           for p in self._all}
        self._apply()

    def set_filter(self, search: str, room_id: str = "") -> None:
        self._search, self._room_id = search.strip().lower(), room_id
        self._apply()

    def _apply(self) -> None:
        words = self._search.split()
        self.beginResetModel()
        self._shown = [p for p in self._all
                       if (not self._room_id or self._room_id in p.room_ids)
                       and all(word in self._haystacks[p.id] for word in words)]
        self.endResetModel()

    # -- lookups ----------------------------------------------------------------------

    @property
    def total(self) -> int:
        return len(self._all)

    def rooms(self) -> list[Room]:
        return sorted(self._rooms.values(), key=lambda r: (_number_key(r.number), r.name))

    def room(self, room_id: str) -> Room | None:
        return self._rooms.get(room_id)

    def rooms_text(self, person: Person) -> str:
        return ", ".join(room_label(self._rooms.get(r), r) for r in person.room_ids)

    def row_of(self, person_id: str) -> int:
        for row, person in enumerate(self._shown):
            if person.id == person_id:
                return row
        return -1

    def person_at(self, row: int) -> Person | None:
        return self._shown[row] if 0 <= row < len(self._shown) else None

    # -- QAbstractTableModel ----------------------------------------------------------

    def row_count(self) -> int:
        return len(self._shown)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        person = self.person_at(index.row()) if index.isValid() else None
        if person is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == NAME:
                return person.name or person.id
            if column == ROOMS:
                return self.rooms_text(person) or "—"
            if column == PHONE:
                return person.phone or "—"
        elif role == PERSON_ID_ROLE:
            return person.id
        return None


def _number_key(number: str) -> tuple[int, str]:
    return (int(number), "") if number.isdigit() else (1 << 30, number)
