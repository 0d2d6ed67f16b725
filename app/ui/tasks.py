"""Running service coroutines from widgets without blocking the Qt loop.

qasync runs asyncio on the Qt loop, but a task nobody holds a reference to can be
garbage-collected mid-flight, and an exception in one vanishes unless someone looks.
`Tasks` keeps every task it started until it finishes and sends failures to
`sys.excepthook` (which `application.py` turns into a log line and a message box).

We do not use `qasync.asyncSlot`: in qasync 0.28 it refuses signals that carry no
arguments (`clicked()` of a `Slot()`), so widgets connect a lambda that calls `spawn`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Coroutine

if TYPE_CHECKING:
    import asyncio

# asyncio is imported where it is used: the main window (which owns a Tasks) is built
# and painted before asyncio is loaded, to keep start-up short.


class Tasks:
    def __init__(self) -> None:
        self._tasks: set["asyncio.Task"] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str | None = None) -> "asyncio.Task":
        import asyncio

        task = asyncio.ensure_future(coro)
        if name:
            task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: "asyncio.Task") -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            sys.excepthook(type(exc), exc, exc.__traceback__)

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def cancel_all(self) -> None:
        """Cancel what is still running (except the caller) and wait until it unwound."""
        import asyncio

        current = asyncio.current_task()
        tasks = [t for t in self._tasks if not t.done() and t is not current]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
