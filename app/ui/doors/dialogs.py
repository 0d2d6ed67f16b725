"""The two questions the door screen asks: "really open it?" and "no answer: try again?".

Both are window-modal QMessageBoxes opened with `open()` (never `exec()`, which would run a
nested event loop under the asyncio tasks); the page keeps a reference and acts in
`finished`. The buttons are attributes so tests can press them.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from app.ui.doors.wording import DoorRow, clock


class ConfirmUnlock(QMessageBox):
    def __init__(self, door: DoorRow, parent: QWidget | None = None) -> None:
        super().__init__(QMessageBox.Icon.Question, f"Unlock {door.name}?",
                         f"Unlock {door.name}?", parent=parent)
        where = " · ".join(p for p in (door.device_name, door.location) if p)
        self.setInformativeText(
            f"The lock of {door.name} ({where}) will really open for a few seconds. Make "
            f"sure that is safe: someone is at the door, or nobody can slip in.")
        self.door_id = door.id
        self.unlock_button = self.addButton(f"Unlock {door.name}",
                                            QMessageBox.ButtonRole.AcceptRole)
        self.cancel_button = self.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        # Enter must not open a door by accident: the default is the harmless answer
        self.setDefaultButton(self.cancel_button)
        self.setEscapeButton(self.cancel_button)

    @property
    def confirmed(self) -> bool:
        return self.clickedButton() is self.unlock_button


class OutcomeUnknown(QMessageBox):
    """A command went out and no answer came back: it may or may not have happened."""

    def __init__(self, title: str, text: str, what_to_check: str, request_id: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(QMessageBox.Icon.Warning, title, text, parent=parent)
        self.request_id = request_id
        self._check = what_to_check
        self.retry_button = self.addButton("Try again (same request)",
                                           QMessageBox.ButtonRole.AcceptRole)
        self.leave_button = self.addButton("Leave it", QMessageBox.ButtonRole.RejectRole)
        self.setDefaultButton(self.leave_button)
        self.setEscapeButton(self.leave_button)
        self.set_news("")

    def set_news(self, news: str) -> None:
        """What became known while the question is open (an access record arrived)."""
        parts = [self._check, news,
                 "Trying again sends the same request: NEXhome recognises it and does not act "
                 "a second time if the first one got through."]
        self.setInformativeText("\n\n".join(p for p in parts if p))

    @property
    def retry(self) -> bool:
        return self.clickedButton() is self.retry_button


def unlock_unknown(door: DoorRow, request_id: str, cause: str, at, parent=None) -> OutcomeUnknown:
    return OutcomeUnknown(
        "No answer from NEXhome",
        f"{door.name} may or may not have opened.",
        f"SiteKit sent the unlock at {clock(at)}, but no answer came back"
        f"{f' ({cause})' if cause else ''}. Look at the door, or wait a few seconds for "
        f"its access record, before deciding.",
        request_id, parent)


def elevator_unknown(controller: str, from_floor: int, to_floor: int, request_id: str,
                     cause: str, at, parent=None) -> OutcomeUnknown:
    return OutcomeUnknown(
        "No answer from NEXhome",
        f"The lift may or may not have been called (floor {from_floor} to {to_floor}).",
        f"SiteKit sent the call to {controller} at {clock(at)}, but no answer came back"
        f"{f' ({cause})' if cause else ''}. Look at the lift before deciding.",
        request_id, parent)
