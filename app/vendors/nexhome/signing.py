"""NEXhome request signing (access guide, 3.3 "Signature Algorithm").

    method={METHOD}&uri={URI}&developerId=…&appId=…&appSecret=…&requestId=…&time={TIMESTAMP}

MD5 of that string as uppercase hex. The URI is the request path only: the guide says
"request URI (Path)" and its example signs `/api/v1/cits/devices`; a query string (paging)
is not signed. The guide's Java sample shows `"appId "` and `"appSecret "` with a trailing
space, but its published signature is for the values without it (tests/vectors), so values
are signed exactly as given and the client never pads them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid

# The guide: "REQUEST-ID … up to 32 characters". We send uuid4 hex (exactly 32).
MAX_REQUEST_ID = 32
# A timestamp older than this is refused by the server ("expires after 5 minutes").
MAX_AGE_SECONDS = 5 * 60
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def string_to_sign(method: str, uri: str, developer_id: str, app_id: str, app_secret: str,
                   request_id: str, timestamp: str | int) -> str:
    return (f"method={method.upper()}&uri={uri}&developerId={developer_id}&appId={app_id}"
            f"&appSecret={app_secret}&requestId={request_id}&time={timestamp}")


def sign(method: str, uri: str, developer_id: str, app_id: str, app_secret: str,
         request_id: str, timestamp: str | int) -> str:
    text = string_to_sign(method, uri, developer_id, app_id, app_secret, request_id, timestamp)
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def verify(signature: str | None, method: str, uri: str, developer_id: str, app_id: str,
           app_secret: str, request_id: str, timestamp: str | int) -> bool:
    """Constant-time check (the simulator's side). Case matters: the guide says uppercase."""
    if not signature:
        return False
    expected = sign(method, uri, developer_id, app_id, app_secret, request_id, timestamp)
    return hmac.compare_digest(signature.encode(), expected.encode())


def new_request_id() -> str:
    """Unique per request; a command keeps its id across an explicit retry."""
    return uuid.uuid4().hex


def is_valid_request_id(value: str | None) -> bool:
    return bool(value) and _REQUEST_ID.match(value) is not None  # type: ignore[arg-type]


def timestamp_ms(server_now_seconds: float) -> str:
    """TIMESTAMP header: milliseconds, from the skew-corrected clock (`ClockSkew.now()`)."""
    return str(int(server_now_seconds * 1000))


def headers(method: str, uri: str, *, developer_id: str, app_id: str, app_secret: str,
            request_id: str, timestamp: str) -> dict[str, str]:
    """Every common header of the guide's table 3.2, signature included."""
    return {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "DEVELOPER-ID": developer_id,
        "APP-ID": app_id,
        "REQUEST-ID": request_id,
        "TIMESTAMP": timestamp,
        "SIGNATURE": sign(method, uri, developer_id, app_id, app_secret, request_id, timestamp),
    }
