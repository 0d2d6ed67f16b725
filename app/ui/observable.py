"""What the screen flows share: the screens subscribe, the flow tells them when it changed.

No Qt here, like the flows themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Observable:
    _listeners: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def on_change(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def _changed(self) -> None:
        for callback in list(self._listeners):
            callback()
