"""Logging that never writes secrets.

Every record passes through `RedactingFilter`, which masks values of keys that hold
secrets (password, at, rt, tokens, app secret, Authorization headers) wherever they
appear in the formatted message.
"""

from __future__ import annotations

import logging
import re

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
    root.handlers[:] = [handler]
    root.setLevel(level)
