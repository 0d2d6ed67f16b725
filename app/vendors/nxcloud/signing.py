"""NXCloud request signing (the "API Interface Invocation Convention").

    sign = md5_hex("accessKey=…&action=…&bizType=…&ts=…" + "&body=" + body + "&accessSecret=…")

The body part is the JSON string exactly as it travels: the convention's own samples sign
`{"name":…,"id":…}` (Java), `{"id":…,"name":…}` (PHP, Go) and `{"id": 10001, …}` (Python)
and all three are right, because each signs the bytes it sends. So the client serialises a
body once (`body_bytes`), signs those bytes and posts the same bytes; the server side
(our simulator) verifies over the bytes it received, never a re-serialisation. An empty
body adds no `&body=` part.

Everything here works on bytes so a body is never decoded and re-encoded on the way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Mapping

# The four common header parameters, in the ascending ASCII order the string uses.
SIGNED_HEADERS = ("accessKey", "action", "bizType", "ts")
SIGN_HEADER = "sign"
# The server accepts a `ts` this far (milliseconds) from its own clock, either way.
TS_WINDOW_MS = 60_000


def header_value(headers: Mapping[str, Any], name: str) -> str | None:
    """A header by name, case-insensitively: the docs' own curl sends `accesskey`, `biztype`."""
    if name in headers:
        value = headers[name]
        return None if value is None else str(value)
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return None if value is None else str(value)
    return None


def string_to_sign(headers: Mapping[str, Any], body: bytes | str, access_secret: str) -> bytes:
    """The exact bytes that are hashed; a missing header counts as empty (the server
    refuses those before it gets here)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    parts = "&".join(f"{name}={header_value(headers, name) or ''}" for name in SIGNED_HEADERS)
    raw = parts.encode("utf-8")
    if body:
        raw += b"&body=" + body
    return raw + b"&accessSecret=" + access_secret.encode("utf-8")


def sign(headers: Mapping[str, Any], body: bytes | str, access_secret: str) -> str:
    """Lowercase hex MD5 of `string_to_sign`."""
    return hashlib.md5(string_to_sign(headers, body, access_secret)).hexdigest()


def verify(headers: Mapping[str, Any], body: bytes, access_secret: str) -> bool:
    """Does the request's `sign` header match its headers and the body bytes as received?"""
    given = header_value(headers, SIGN_HEADER)
    if not given:
        return False
    expected = sign(headers, body, access_secret)
    return hmac.compare_digest(given.strip().encode("ascii", "replace"), expected.encode("ascii"))


def body_bytes(body: Mapping[str, Any]) -> bytes:
    """Serialise a body once, keys in the order given; these exact bytes are signed and sent."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def timestamp_ms(now_seconds: float) -> str:
    """`ts`: milliseconds since the epoch, as the string the header carries."""
    return str(int(now_seconds * 1000))


def signed_headers(*, access_key: str, access_secret: str, biz_type: int | str, action: str,
                   ts: str, body: bytes) -> dict[str, str]:
    """Every header an application/json call needs, `sign` computed over `body` as given."""
    headers = {"accessKey": access_key, "ts": ts, "bizType": str(biz_type), "action": action}
    headers[SIGN_HEADER] = sign(headers, body, access_secret)
    headers["Content-Type"] = "application/json"
    return headers
