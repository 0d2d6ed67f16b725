"""The simulated message subscription: one queue per app, pull consumers, commits,
redelivery of what was delivered but not committed after `redelivery_seconds`.

Consumers are handles on the app's queue (like a consumer group): a consumer that is lost
(`drop_consumers()`) loses nothing, its replacement gets every message not yet committed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

MAX_MESSAGES = 10_000  # per app; the oldest are dropped first (a demo site runs for hours)


@dataclass
class QueuedMessage:
    id: str
    topic: str
    time_ms: int
    payload: dict
    delivered_at: float | None = None  # monotonic
    deliveries: int = 0

    def to_api(self) -> dict:
        return {"messageId": self.id, "topic": self.topic, "time": self.time_ms,
                "payload": self.payload}


class AppQueue:
    def __init__(self, redelivery_seconds: Callable[[], float]) -> None:
        self._redelivery = redelivery_seconds
        self.messages: OrderedDict[str, QueuedMessage] = OrderedDict()
        self.consumers: set[str] = set()
        # Committed messages leave the queue; their ids stay a while so a commit sent twice
        # (its first answer lost) is not refused.
        self.committed_ids: OrderedDict[str, None] = OrderedDict()
        self.committed = 0
        self._arrived = asyncio.Event()

    def publish(self, topic: str, payload: dict, time_ms: int) -> QueuedMessage:
        message = QueuedMessage(uuid.uuid4().hex, topic, time_ms, payload)
        self.messages[message.id] = message
        while len(self.messages) > MAX_MESSAGES:
            self.messages.popitem(last=False)
        self._arrived.set()
        return message

    def create_consumer(self) -> str:
        consumer = "C" + uuid.uuid4().hex[:16]
        self.consumers.add(consumer)
        return consumer

    def drop_consumers(self) -> None:
        self.consumers.clear()
        self._arrived.set()  # wake waiting pulls so they answer 404

    def _ready(self, limit: int) -> list[QueuedMessage]:
        now = time.monotonic()
        ready = []
        for message in self.messages.values():
            if message.delivered_at is None or now - message.delivered_at >= self._redelivery():
                ready.append(message)
                if len(ready) >= limit:
                    break
        return ready

    def _next_redelivery_in(self) -> float | None:
        pending = [m.delivered_at for m in self.messages.values() if m.delivered_at is not None]
        if not pending:
            return None
        return max(0.0, min(pending) + self._redelivery() - time.monotonic())

    async def pull(self, consumer: str, limit: int, wait_seconds: float) -> list[QueuedMessage] | None:
        """Messages to deliver (possibly none after the wait); None: the consumer is gone."""
        deadline = time.monotonic() + wait_seconds
        while True:
            if consumer not in self.consumers:
                return None
            ready = self._ready(limit)
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0:
                now = time.monotonic()
                for message in ready:
                    message.delivered_at = now
                    message.deliveries += 1
                return ready
            self._arrived.clear()
            wake = remaining
            redelivery = self._next_redelivery_in()
            if redelivery is not None:
                wake = min(wake, redelivery + 0.01)
            try:
                await asyncio.wait_for(self._arrived.wait(), wake)
            except asyncio.TimeoutError:
                pass

    def commit(self, message_ids: list[str]) -> list[int]:
        """Commits (committing twice is harmless); returns the indexes of ids that were never
        delivered, and then commits nothing."""
        unknown = [i for i, mid in enumerate(message_ids)
                   if mid not in self.committed_ids
                   and (mid not in self.messages or self.messages[mid].deliveries == 0)]
        if unknown:
            return unknown
        for mid in message_ids:
            message = self.messages.pop(mid, None)
            if message is not None:
                self.committed_ids[mid] = None
                self.committed += 1
        while len(self.committed_ids) > MAX_MESSAGES:
            self.committed_ids.popitem(last=False)
        return []

    def uncommitted(self) -> list[QueuedMessage]:
        return list(self.messages.values())
