"""Screens whose features come in a later release, saying plainly what they will do.

They are real pages in the navigation (so the layout does not shift when they land) and
tell the installer what to use meanwhile.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QWidget

from app.ui.widgets import Page, label, numbered_row, padded_card


class ComingSoonPage(Page):
    def __init__(self, title: str, subtitle: str, headline: str, steps: list[str],
                 meanwhile: str, *, badge: str = "NEXT RELEASE",
                 parent: QWidget | None = None) -> None:
        super().__init__(title, subtitle, parent)
        frame, layout = padded_card((28, 24, 28, 24), 10)
        frame.setMaximumWidth(680)
        badge = label(badge)
        badge.setStyleSheet("background: #dbeafe; color: #1d4ed8; font-size: 11px; "
                            "font-weight: 700; padding: 3px 8px; border-radius: 4px;")
        badge_row = QHBoxLayout()
        badge_row.addWidget(badge)
        badge_row.addStretch(1)
        layout.addLayout(badge_row)
        layout.addWidget(label(headline, "heading", wrap=True))
        for number, step in enumerate(steps, 1):
            layout.addLayout(numbered_row(number, step))
        layout.addSpacing(6)
        layout.addWidget(label("Until then", "section"))
        layout.addWidget(label(meanwhile, "hint", wrap=True))
        self.body.addWidget(frame)
        self.body.addStretch(1)


def schedules_page() -> ComingSoonPage:
    return ComingSoonPage(
        "Schedules",
        "Timers stored on the devices.",
        "Device schedules arrive in a later release",
        ["See every on/off timer stored on each device, in local time.",
         "Edit a schedule and copy it to several devices at once.",
         "Check what will switch tonight before you leave the site."],
        "Set timers in the eWeLink app. SiteKit shows the resulting switching in Events.",
        badge="PLANNED")
