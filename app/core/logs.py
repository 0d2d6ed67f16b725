"""Logging that never writes secrets.

Every record passes through `RedactingFilter`, which masks values of keys that hold
secrets (password, at, rt, tokens, app secret, Authorization headers) wherever they
appear in the formatted message. `install_log_buffer` keeps the last records in memory,
redacted, for the Diagnostics page and `export_diagnostics`.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

SECRET_KEYS = ("password", "at", "rt", "access_token", "refresh_token", "token",
               "appsecret", "app_secret", "secret", "apikey", "devicekey", "authorization")

_KEY_PATTERN = "|".join(sorted(SECRET_KEYS, key=len, reverse=True))
# "key": "value" (JSON), key=value (query strings), and Authorization: Sign/Bearer xxx
_JSON = re.compile(r'("(?:%s)"\s*:\s*)"[^"]*"' % _KEY_PATTERN, re.IGNORECASE)
_QUERY = re.compile(r"\b((?:%s)=)[^&\s\"']+" % _KEY_PATTERN, re.IGNORECASE)
_AUTH = re.compile(r"\b(Sign|Bearer)\s+[A-Za-z0-9+/=._\-]+")

REDACTED = "***"


def redact_text(text: str) -> str:
    text = _JSON.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
    text = _QUERY.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return _AUTH.sub(lambda m: f"{m.group(1)} {REDACTED}", text)


def redact(data):
    """A copy of a JSON-like structure with secret values masked (for reports, logs)."""
    if isinstance(data, dict):
        return {k: (REDACTED if k.lower() in SECRET_KEYS and v not in (None, "")
                    else redact(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [redact(v) for v in data]
    return data


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def setup_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler, log_buffer()]
    root.setLevel(level)


# -- the in-memory log the Diagnostics page and the diagnostics export read --------------

BUFFER_SIZE = 5000


@dataclass(frozen=True)
class LogLine:
    """One log record as kept in memory: already formatted and redacted."""

    time: datetime
    level: int
    level_name: str
    logger: str
    message: str  # redacted; includes the traceback when there was one

    def text(self) -> str:
        stamp = self.time.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        return f"{stamp} {self.level_name:<7} {self.logger}: {self.message}"


LogListener = Callable[[LogLine], None]


class RingBufferHandler(logging.Handler):
    """Keeps the last `capacity` records, redacted, and tells subscribers about each new one.

    Records arrive from any thread (workers under asyncio.to_thread log too), so listeners
    are called on the logging thread: a GUI listener must hand the line to its own thread.
    """

    def __init__(self, capacity: int = BUFFER_SIZE) -> None:
        super().__init__(logging.NOTSET)
        self._lines: deque[LogLine] = deque(maxlen=capacity)
        self._listeners: list[LogListener] = []
        self.addFilter(RedactingFilter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + logging.Formatter().formatException(record.exc_info)
            if record.stack_info:
                message += "\n" + record.stack_info
            # Redact the whole text again: a traceback or a pre-formatted argument can
            # carry what the filter's message-only pass did not see.
            line = LogLine(datetime.fromtimestamp(record.created, timezone.utc), record.levelno,
                           record.levelname, record.name, redact_text(message))
        except Exception:  # logging must never raise into the caller
            self.handleError(record)
            return
        with self.lock:
            self._lines.append(line)
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(line)
            except Exception:  # a broken listener must not break logging for everyone
                pass

    def lines(self, *, min_level: int = logging.NOTSET, limit: int | None = None) -> list[LogLine]:
        """The kept lines at or above `min_level`, oldest first (the newest `limit`)."""
        with self.lock:
            kept = [line for line in self._lines if line.level >= min_level]
        return kept[-limit:] if limit else kept

    def subscribe(self, listener: LogListener) -> Callable[[], None]:
        with self.lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self.lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)
        return unsubscribe

    def clear(self) -> None:
        with self.lock:
            self._lines.clear()


_buffer: RingBufferHandler | None = None


def log_buffer() -> RingBufferHandler:
    """The process's in-memory log (created on first use; see `install_log_buffer`)."""
    global _buffer
    if _buffer is None:
        _buffer = RingBufferHandler()
    return _buffer


def install_log_buffer(level: int = logging.INFO) -> RingBufferHandler:
    """Attach the in-memory log to the root logger (idempotent) and let `level` records reach it.

    When nothing else handles the root logger yet, warnings keep going to stderr as
    they did through logging's last-resort handler, which stops once any handler exists.
    """
    buffer = log_buffer()
    root = logging.getLogger()
    if buffer not in root.handlers:
        if not root.handlers:
            stderr = logging.StreamHandler()
            stderr.setLevel(logging.WARNING)
            stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            stderr.addFilter(RedactingFilter())
            root.addHandler(stderr)
        root.addHandler(buffer)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    return buffer
