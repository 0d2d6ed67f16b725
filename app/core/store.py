"""Events persisted in SQLite in the user data folder.

SQLite calls block, so they run on one worker thread of their own; the asyncio (Qt)
loop only awaits them. One thread keeps the connection single-threaded, as sqlite3
wants.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Iterable

from app.core.events import Event

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    vendor TEXT NOT NULL,
    device TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_time ON events(time);
CREATE INDEX IF NOT EXISTS events_device ON events(vendor, device, time);
"""


class EventStore:
    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sitekit-sqlite")
        self._conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = sqlite3.connect(self.path)
            self._conn.executescript(SCHEMA)
        return self._conn

    async def _run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def add_many(self, events: Iterable[Event]) -> None:
        rows = [(e.time.isoformat(), e.vendor, e.device, e.kind,
                 json.dumps(e.payload, separators=(",", ":"))) for e in events]
        if rows:
            await self._run(self._insert, rows)

    async def add(self, event: Event) -> None:
        await self.add_many([event])

    def _insert(self, rows) -> None:
        conn = self._connect()
        with conn:
            conn.executemany(
                "INSERT INTO events(time, vendor, device, kind, payload) VALUES (?,?,?,?,?)", rows)

    async def recent(self, limit: int = 500, vendor: str | None = None,
                     device: str | None = None) -> list[Event]:
        """The newest `limit` events, oldest first."""
        return await self._run(self._select, limit, vendor, device)

    def _select(self, limit: int, vendor: str | None, device: str | None) -> list[Event]:
        where, args = [], []
        if vendor:
            where.append("vendor = ?")
            args.append(vendor)
        if device:
            where.append("device = ?")
            args.append(device)
        sql = "SELECT time, vendor, device, kind, payload FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        rows = self._connect().execute(sql, (*args, limit)).fetchall()
        return [Event(vendor=v, device=d, kind=k, payload=json.loads(p),
                      time=datetime.fromisoformat(t)) for t, v, d, k, p in reversed(rows)]

    async def close(self) -> None:
        if self._conn is not None:
            await self._run(self._conn.close)
            self._conn = None
        self._executor.shutdown(wait=False)
