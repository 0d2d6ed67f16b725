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
