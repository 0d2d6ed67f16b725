"""Events, the audit trail and consumed vendor messages, persisted in SQLite.

SQLite calls block, so they run on one worker thread of their own; the asyncio (Qt)
loop only awaits them. One thread keeps the connection single-threaded, as sqlite3
wants.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from app.core.audit import AuditEntry
from app.core.events import Event, utcnow

log = logging.getLogger(__name__)

INSERT_EVENT = "INSERT INTO events(time, vendor, device, kind, payload) VALUES (?,?,?,?,?)"

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
-- Feed.history pages back by time: a device's events by (vendor, device, time); any other
-- filter (vendor, kind, text) walks events_time newest first and stops at its limit.
-- (vendor, time) and (kind, time) indexes were measured to cut the insert rate by 40 %.
CREATE INDEX IF NOT EXISTS events_device ON events(vendor, device, time);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    actor TEXT NOT NULL,
    vendor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    target_name TEXT NOT NULL,
    request_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_time ON audit(time);
CREATE INDEX IF NOT EXISTS audit_request ON audit(vendor, request_id);
-- ids of vendor messages already stored: an at-least-once stream redelivers them
CREATE TABLE IF NOT EXISTS consumed_messages (
    vendor TEXT NOT NULL,
    message_id TEXT NOT NULL,
    time TEXT NOT NULL,
    PRIMARY KEY (vendor, message_id)
);
"""


def open_connection(path: Path | str) -> sqlite3.Connection:
    """A connection to the store's file, set up for the feed's writes, schema created."""
    conn = sqlite3.connect(str(path))
    # WAL + synchronous=NORMAL: the feed makes many small batched writes from this one
    # thread; in WAL a commit is an append (no fsync per commit, only at checkpoints,
    # still crash-safe, at worst the last commits lost on power loss) and readers
    # (the CLI, a second window) never block the writer nor it them.
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    # the device index takes inserts all over it in a flood: keep its pages cached
    conn.execute("PRAGMA cache_size=-16384")
    # Checkpoint every 32 MB of WAL instead of 4 MB: each checkpoint fsyncs, and in a
    # flood one batch alone dirties ~1,000 pages of the device index (measured with
    # 5,000-row batches: ~100k -> ~145k rows/s). The file is cut back to 64 MB after.
    conn.execute("PRAGMA wal_autocheckpoint=8192")
    conn.execute("PRAGMA journal_size_limit=67108864")
    conn.executescript(SCHEMA)
    return conn


class EventStore:
    """One SQLite file (or ":memory:" for a session that keeps nothing) on its own thread."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sitekit-sqlite")
        self._conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = open_connection(self.path)
        return self._conn

    async def _run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def add_many(self, events: Iterable[Event]) -> None:
        events = list(events)
        if events:
            await self._run(self._insert, events)

    async def add(self, event: Event) -> None:
        await self.add_many([event])

    async def add_rows(self, rows: list[tuple]) -> int:
        """Rows made by `row()`: the feed keeps those while they wait, a fifth of an Event's
        memory. Returns how many were stored."""
        return await self._run(self._insert_rows, rows) if rows else 0

    @staticmethod
    def row(e: Event) -> tuple:
        return (_stored_time(e.time), e.vendor, e.device, e.kind, payload_text(e.payload))

    def _insert(self, events: list[Event]) -> None:
        # rows are built here, on the store's thread: serialising a big batch on the loop
        # would stall it
        self._insert_rows([self.row(e) for e in events])

    def _insert_rows(self, rows: list[tuple]) -> int:
        """Insert the rows in one transaction; returns how many were stored. A row SQLite
        cannot take (text it cannot encode) must not cost the whole batch: then the batch
        is written again row by row and only the bad rows are left out (and logged)."""
        conn = self._connect()
        try:
            with conn:
                conn.executemany(INSERT_EVENT, rows)
            return len(rows)
        except (sqlite3.InterfaceError, sqlite3.DataError, sqlite3.ProgrammingError,
                ValueError):  # UnicodeEncodeError is a ValueError
            pass
        stored = 0
        with conn:
            for row in rows:
                try:
                    conn.execute(INSERT_EVENT, row)
                    stored += 1
                except (sqlite3.InterfaceError, sqlite3.DataError, sqlite3.ProgrammingError,
                        ValueError) as exc:
                    log.warning("an event could not be stored (%s: %s)", type(exc).__name__,
                                exc)
        return stored

    async def history(self, *, before: datetime | None = None, limit: int = 500,
                      vendor: str | None = None, device: str | None = None,
                      kind: str | None = None, text: str | None = None) -> list[Event]:
        """The newest `limit` events older than `before` that match every filter given,
        oldest first. `text` matches vendor, device, kind or payload, ignoring ASCII case."""
        return await self._run(self._select_history, before, limit, vendor, device, kind, text)

    def _select_history(self, before, limit, vendor, device, kind, text) -> list[Event]:
        where, args = [], []
        for column, value in (("vendor", vendor), ("device", device), ("kind", kind)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if before is not None:
            where.append("time < ?")
            args.append(_stored_time(before))
        if text:
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'"
                                           for c in ("device", "kind", "vendor", "payload")) + ")")
            args.extend([pattern] * 4)
        sql = "SELECT time, vendor, device, kind, payload FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY time DESC, id DESC LIMIT ?"
        rows = self._connect().execute(sql, (*args, limit)).fetchall()
        return [Event(vendor=v, device=d, kind=k, payload=json.loads(p),
                      time=datetime.fromisoformat(t)) for t, v, d, k, p in reversed(rows)]

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

    # -- vendor messages, exactly once ----------------------------------------------------

    async def add_message_once(self, vendor: str, message_id: str, event: Event) -> bool:
        """Store `event` for the vendor message `message_id` unless that message was stored
        before (a redelivery). True when it is new. Both rows go in one transaction, so a
        crash between them cannot make a message look consumed without its event."""
        return await self._run(self._insert_message_once, vendor, message_id, self.row(event))

    def _insert_message_once(self, vendor: str, message_id: str, row) -> bool:
        conn = self._connect()
        with conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO consumed_messages(vendor, message_id, time) VALUES (?,?,?)",
                (vendor, message_id, utcnow().isoformat()))
            if cursor.rowcount == 0:
                return False
            conn.execute(INSERT_EVENT, row)
        return True

    # -- the audit trail ------------------------------------------------------------------

    async def add_audit(self, entry: AuditEntry) -> AuditEntry:
        """Write `entry` (before the command is sent); sets and returns its id."""
        entry.id = await self._run(self._insert_audit, entry)
        return entry

    def _insert_audit(self, e: AuditEntry) -> int:
        conn = self._connect()
        with conn:
            cursor = conn.execute(
                "INSERT INTO audit(time, actor, vendor, action, target, target_name, request_id, "
                "outcome, detail) VALUES (?,?,?,?,?,?,?,?,?)",
                (e.time.isoformat(), e.actor, e.vendor, e.action, e.target, e.target_name,
                 e.request_id, e.outcome, e.detail))
        return int(cursor.lastrowid)

    async def set_audit_outcome(self, entry: AuditEntry, outcome: str, detail: str = "") -> None:
        entry.outcome, entry.detail = outcome, detail
        if entry.id is None:
            raise ValueError("the audit entry was never stored")
        await self._run(self._update_audit, entry.id, outcome, detail)

    def _update_audit(self, row_id: int, outcome: str, detail: str) -> None:
        conn = self._connect()
        with conn:
            conn.execute("UPDATE audit SET outcome = ?, detail = ? WHERE id = ?",
                         (outcome, detail, row_id))

    async def audit_entries(self, limit: int = 500, *, vendor: str | None = None,
                            request_id: str | None = None) -> list[AuditEntry]:
        """The newest `limit` entries, oldest first."""
        return await self._run(self._select_audit, limit, vendor, request_id)

    def _select_audit(self, limit: int, vendor: str | None, request_id: str | None) -> list[AuditEntry]:
        where, args = [], []
        if vendor:
            where.append("vendor = ?")
            args.append(vendor)
        if request_id:
            where.append("request_id = ?")
            args.append(request_id)
        sql = ("SELECT id, time, actor, vendor, action, target, target_name, request_id, outcome, "
               "detail FROM audit")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        rows = self._connect().execute(sql, (*args, limit)).fetchall()
        return [AuditEntry(id=i, time=datetime.fromisoformat(t), actor=a, vendor=v, action=ac,
                           target=tg, target_name=tn, request_id=r, outcome=o, detail=d)
                for i, t, a, v, ac, tg, tn, r, o, d in reversed(rows)]

    async def close(self) -> None:
        if self._conn is not None:
            await self._run(self._conn.close)
            self._conn = None
        self._executor.shutdown(wait=False)


# One encoder made once: json.dumps with options builds a new JSONEncoder per call, a third
# of the cost of encoding a small payload. Non-ASCII kept as is, so a text search finds
# it; a value JSON cannot hold (bytes, a datetime) is stored as its text, not a crash in
# whoever published it.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str).encode
_encode_ascii = json.JSONEncoder(separators=(",", ":"), default=str).encode


def payload_text(payload) -> str:
    """The payload as stored: compact JSON. A string from a vendor may hold a lone
    surrogate (JSON allows "\\ud800"), which UTF-8, and so SQLite, cannot take: such a
    payload is stored with escapes instead, which reads back the same."""
    text = _encode(payload)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return _encode_ascii(payload)
    return text


def _stored_time(moment: datetime) -> str:
    """Times are stored as UTC ISO text, so text order is time order (naive means UTC)."""
    return as_utc(moment).isoformat()


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is timezone.utc:  # nearly every event: skip the conversion
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
