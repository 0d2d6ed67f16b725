"""The selected resident: flats, phone, the credentials NEXhome holds, Issue buttons and
the floors the lift takes them to.

The credentials list shows type, validity and id only: NEXhome returns a PIN's digits with
the record, and a list on a laptop screen is no place for them.
"""

from __future__ import annotations

from typing import Awaitable, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from app.core.errors import SiteKitError
from app.ui.residents import validity
from app.ui.residents.credential_dialog import KIND_NAMES, error_text
from app.ui.residents.lift_card import LiftCard
from app.ui.residents.validity import PIN, QRCODE
from app.ui.tasks import Tasks
from app.ui.widgets import Spinner, label, padded_card
from app.vendors.nexhome.models import Credential, Person

TYPE_NAMES = {**KIND_NAMES, "CARD": "Card", "FACE": "Face"}
MAX_LISTED = 8

LoadCredentials = Callable[[str], Awaitable[list[Credential]]]


def credential_line(credential: Credential) -> str:
    kind = TYPE_NAMES.get(credential.type, credential.type.title() or "Credential")
    rule = credential.rule
    if rule.effective or rule.expired:
        return (f"{kind} · {validity.moment_text(rule.effective)} → "
                f"{validity.moment_text(rule.expired)}")
    return f"{kind} · no end date"


class PersonPanel(QWidget):
    issue_requested = Signal(str, str)  # person id, "PIN" | "QRCODE"

    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._load: LoadCredentials | None = None
        self.person: Person | None = None
        self._generation = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)

        self.empty = label("Select a resident to see their flat, phone and credentials.",
                           "subtitle", wrap=True)
        layout.addWidget(self.empty)
        self.details, details = padded_card((18, 14, 18, 16), 8)
        self.name = label("", "heading")
        details.addWidget(self.name)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(6)
        self.rooms = label("")
        self.phone = label("")
        self.phone.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.person_id = label("", "hint")
        for row, (caption, value) in enumerate((("Flat", self.rooms), ("Phone", self.phone),
                                                 ("NEXhome ID", self.person_id))):
            grid.addWidget(label(caption, "hint"), row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, row, 1)
        grid.setColumnStretch(1, 1)
        details.addLayout(grid)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        self.pin_button = QPushButton("Issue PIN…")
        self.pin_button.setToolTip("A 6-digit code for the keypad")
        self.pin_button.clicked.connect(lambda: self._issue(PIN))
        self.qr_button = QPushButton("Issue QR code…")
        self.qr_button.setToolTip("A code shown to the door station's camera, e.g. for a visitor")
        self.qr_button.clicked.connect(lambda: self._issue(QRCODE))
        buttons.addWidget(self.pin_button)
        buttons.addWidget(self.qr_button)
        buttons.addStretch(1)
        details.addLayout(buttons)
        layout.addWidget(self.details)

        self.credentials_card, creds = padded_card((18, 14, 18, 16), 6)
        head = QHBoxLayout()
        head.addWidget(label("Credentials", "section"), 1)
        self.spinner = Spinner(size=16)
        self.spinner.hide()
        head.addWidget(self.spinner)
        creds.addLayout(head)
        self.credentials_text = label("", wrap=True)
        self.credentials_text.setTextFormat(Qt.TextFormat.PlainText)
        creds.addWidget(self.credentials_text)
        layout.addWidget(self.credentials_card)
        self.lift = LiftCard(tasks)
        layout.addWidget(self.lift)
        layout.addStretch(1)
        self.show_person(None)

    def set_loader(self, load: LoadCredentials | None) -> None:
        self._load = load

    def show_person(self, person: Person | None, rooms_text: str = "") -> None:
        self.person = person
        self._generation += 1
        self.empty.setVisible(person is None)
        self.details.setVisible(person is not None)
        self.credentials_card.setVisible(person is not None)
        self.lift.setVisible(person is not None)
        self.lift.show_person(person.id if person is not None else None)
        if person is None:
            return
        self.name.setText(person.name or person.id)
        self.rooms.setText(rooms_text or "—")
        self.phone.setText(person.phone or "No phone number stored")
        self.person_id.setText(person.id)
        self.reload_credentials()

    def reload_credentials(self) -> None:
        if self.person is None or self._load is None:
            self.credentials_text.setText("")
            return
        self._generation += 1
        self.spinner.show()
        self.credentials_text.setText("Asking NEXhome…")
        self._tasks.spawn(self._run_load(self._load, self.person.id, self._generation),
                          name="load-credentials")

    async def _run_load(self, load: LoadCredentials, person_id: str, generation: int) -> None:
        try:
            credentials = await load(person_id)
            text = self._credentials_text(credentials)
        except SiteKitError as exc:
            text = f"Could not read the credentials: {error_text(exc)}"
        if generation != self._generation:
            return  # another resident was selected meanwhile
        self.spinner.hide()
        self.credentials_text.setText(text)

    @staticmethod
    def _credentials_text(credentials: list[Credential]) -> str:
        if not credentials:
            return "None yet."
        lines = [credential_line(c) for c in credentials[-MAX_LISTED:]]
        more = len(credentials) - MAX_LISTED
        if more > 0:
            lines.insert(0, f"… and {more} older")
        return "\n".join(lines)

    def _issue(self, kind: str) -> None:
        if self.person is not None:
            self.issue_requested.emit(self.person.id, kind)

    def set_enabled(self, enabled: bool) -> None:
        self.pin_button.setEnabled(enabled)
        self.qr_button.setEnabled(enabled)
