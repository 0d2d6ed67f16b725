"""Parts every Settings section is built from."""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.ui.widgets import label, primary_button, titled_card


def section(title: str, detail: str = "") -> tuple[QWidget, QVBoxLayout]:
    frame, layout = titled_card(title, margins=(20, 16, 20, 16), spacing=8)
    if detail:
        layout.addWidget(label(detail, "hint", wrap=True))
    return frame, layout


def save_row(layout: QVBoxLayout, save: Callable[[], None]) -> tuple[QLabel, QPushButton]:
    """A section's last row: what its last save said, and its Save button."""
    row = QHBoxLayout()
    status = label("", "hint", wrap=True)
    row.addWidget(status, 1)
    button = primary_button("Save")
    button.clicked.connect(save)
    row.addWidget(button)
    layout.addLayout(row)
    return status, button


class WriteOnlySecret:
    """A secret's field in a Settings card: it never shows the secret, only whether one is
    stored and where. The keyring may block (D-Bus), so the state is read off the loop; a
    read that started before a save must not undo what the save showed."""

    def __init__(self, field, key: str, *, empty_text: str = "Not set yet",
                 on_change: Callable[[bool], None] | None = None) -> None:
        from PySide6.QtWidgets import QLineEdit

        self.field = field
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.key = key
        self.empty_text = empty_text
        self.on_change = on_change
        self.stored = False
        self._secrets = None
        self._writes = 0

    def attach(self, secrets, tasks) -> None:
        """Show "unknown yet" at once, then what the store says."""
        self._secrets = secrets
        self.field.clear()
        self.set_stored(False)
        tasks.spawn(self._load(secrets), name=f"settings: {self.key} state")

    async def _load(self, secrets) -> None:
        import asyncio

        writes = self._writes
        stored = await asyncio.to_thread(lambda: bool(secrets.get(self.key)))
        if self._secrets is secrets and writes == self._writes:
            self.set_stored(stored)

    def writing(self) -> None:
        """A save is starting: a read already under way is out of date."""
        self._writes += 1

    def set_stored(self, stored: bool) -> None:
        self.stored = stored
        secrets = self._secrets
        place = secret_place(secrets) if secrets is not None else "the system keyring"
        self.field.setPlaceholderText(f"•••••••• stored in {place} · type a new one to replace it"
                                      if stored else self.empty_text)
        self.field.setToolTip(f"Stored in {place}, never in the settings file.")
        if self.on_change is not None:
            self.on_change(stored)


def secret_place(secrets) -> str:
    if secrets.is_fallback:
        return "SiteKit's secrets file"
    if secrets.is_ephemeral:
        return "memory (forgotten when SiteKit exits)"
    return "the system keyring"
