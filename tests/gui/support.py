"""Waiting helpers for async GUI tests (no nested Qt event loops)."""

from __future__ import annotations

import asyncio
from typing import Callable


async def until(predicate: Callable[[], object], timeout: float = 5.0, what: str = "") -> None:
    """Let the loop run until `predicate()` is true; fail the test after `timeout` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what or predicate}")
        await asyncio.sleep(0.01)


def cell(model, row: int, column: int) -> str:
    return model.index(row, column).data()


def row_of(model, column: int, text: str) -> int:
    for row in range(model.rowCount()):
        if model.index(row, column).data() == text:
            return row
    raise AssertionError(f"no row with {text!r} in column {column}")
