"""The one live feed: every source publishes `Event`s here; screens and the CLI subscribe.

Events are kept in a bounded in-memory window for screens and written to SQLite in
batches, so a burst of device reports costs one transaction, not one per event.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from datetime import datetime
from typing import Callable

from app.core.events import Event
from app.core.store import EventStore, as_utc, payload_text

log = logging.getLogger(__name__)

Subscriber = Callable[[Event], None]


class Feed:
    def __init__(self, store: EventStore | None, *, window: int = 2000,
                 flush_delay: float = 0.25, batch_size: int = 20_000,
                 max_pending: int = 200_000) -> None:
        self._store = store
        self._recent: deque[Event] = deque(maxlen=window)
        self._subscribers: list[Subscriber] = []
        # Not yet stored, as store rows (a fifth of an Event's memory; the flood bench
        # measured 300 -> 170 MB at 100,000 stored). One write is in flight at a time; a
        # flood beyond what SQLite takes is bounded by `max_pending`: the oldest unsaved
        # rows are dropped (they were shown) and counted in `dropped`, so memory stays flat.
        self._pending: deque[tuple] = deque(maxlen=max_pending)
        # Up to 20,000 rows per transaction in a flood: the device index takes inserts at
        # every device's end, so a commit rewrites a page per device whatever the batch;
        # bigger batches share those pages (measured: 5,000 -> 20,000 rows per commit
        # doubled the rows/s SQLite takes, 75k -> 150k). A trickle is still one short
        # transaction after `flush_delay`.
        self._batch_size = batch_size
        self._flush_delay = flush_delay
        self._flush_task: asyncio.Task | None = None
        self._writing = False
        self._appended = 0  # rows ever queued: the newest pending row is number _appended
        self._batches_started = self._batches_done = 0
        self.stored = 0
        self.dropped = 0

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def publish(self, event: Event) -> None:
        self._show(event)
        store = self._store
        if store is not None:
            pending = self._pending
            if len(pending) == pending.maxlen:
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 100_000 == 0:
                    log.warning("the store is behind: %d unsaved events dropped", self.dropped)
            pending.append(store.row(event))
            self._appended += 1
            task = self._flush_task
            if task is None or task.done():
                self._flush_task = asyncio.get_running_loop().create_task(self._flush_soon())

    def publish_stored(self, event: Event) -> None:
        """An event its source already wrote to the store (a vendor message stored once by
        its id): shown like any other, not saved a second time."""
        self._show(event)

    def _show(self, event: Event) -> None:
        self._recent.append(event)
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # one broken screen must not silence the feed for others
                log.exception("feed subscriber failed")

    def recent(self, limit: int = 500) -> list[Event]:
        return list(self._recent)[-limit:]

    async def history(self, limit: int = 500, *, before: datetime | None = None,
                      vendor: str | None = None, device: str | None = None,
                      kind: str | None = None, text: str | None = None) -> list[Event]:
        """The newest `limit` events older than `before` matching every filter given, oldest
        first: persisted ones (earlier runs too) when there is a store, else the window.
        `text` matches vendor, device, kind or payload, ignoring case."""
        if self._store is not None:
            await self.flush()
            return await self._store.history(before=before, limit=limit, vendor=vendor,
                                             device=device, kind=kind, text=text)
        before = as_utc(before) if before is not None else None
        needle = text.casefold() if text else ""
        found: list[Event] = []
        for event in reversed(self._recent):
            if len(found) >= limit:
                break
            if ((before is None or as_utc(event.time) < before)
                    and (not vendor or event.vendor == vendor)
                    and (not device or event.device == device)
                    and (not kind or event.kind == kind)
                    and (not needle or _mentions(event, needle))):
                found.append(event)
        found.reverse()
        return found

    async def _flush_soon(self) -> None:
        # wait a little so a trickle becomes one transaction, but not when a full batch is
        # already waiting: a flood is written back to back. Until nothing is pending: what
        # came while a batch was written is this task's too (publish starts no second one).
        while self._pending and self._store is not None:
            if len(self._pending) < self._batch_size:
                await asyncio.sleep(self._flush_delay)
            await self.flush()

    async def flush(self) -> None:
        """Write what is pending now, one bounded executemany per batch. Not what arrives
        meanwhile: in a flood that would never end, and Load older (history) waits here."""
        goal = self._appended
        while self._store is not None and self._appended - len(self._pending) < goal:
            if self._writing:  # another flush is writing; wait for it to drain the queue
                await asyncio.sleep(0.01)
                continue
            pending = self._pending
            if len(pending) <= self._batch_size:
                batch = list(pending)
                pending.clear()
            else:
                popleft = pending.popleft
                batch = [popleft() for _ in range(self._batch_size)]
            self._writing = True
            self._batches_started += 1
            try:
                self.stored += await self._store.add_rows(batch)
            except Exception:
                log.exception("could not persist %d events", len(batch))
            finally:
                self._writing = False
                self._batches_done += 1
        # nothing up to `goal` waits any more, but the last of it may be in the batch
        # another flush is writing: done when that batch is (one batch, bounded)
        started = self._batches_started
        while self._batches_done < started:
            await asyncio.sleep(0.005)

    async def close(self) -> None:
        if self._flush_task and not self._flush_task.done():
            self._flush_task.cancel()
        await self.flush()


def _mentions(event: Event, needle: str) -> bool:
    # the payload as the store keeps it, so both answer a text search alike
    fields = (event.vendor, event.device, event.kind, payload_text(event.payload))
    return any(needle in field.casefold() for field in fields)
