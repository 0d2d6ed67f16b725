"""eWeLink v1 request signing (the guide's "Signature Rule").

Requests made before login carry `Authorization: Sign <base64 HMAC-SHA256>` keyed with
the app secret. POST signs the body bytes exactly as sent (so the body is serialised
once, here, and those bytes are posted); GET signs its parameters sorted by name and
joined with `&`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import string
from typing import Any, Mapping

API_VERSION = 8
NONCE_ALPHABET = string.ascii_letters + string.digits


def sign(app_secret: str, message: bytes | str) -> str:
    """Base64 of HMAC-SHA256(app_secret, message)."""
    if isinstance(message, str):
        message = message.encode("utf-8")
    digest = hmac.new(app_secret.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def authorization(app_secret: str, message: bytes | str) -> str:
    return "Sign " + sign(app_secret, message)


def verify(app_secret: str, message: bytes | str, header: str | None) -> bool:
    """Constant-time check of an `Authorization: Sign …` header (used by the simulator)."""
    if not header or not header.startswith("Sign "):
        return False
    return hmac.compare_digest(header[5:].strip(), sign(app_secret, message))


def body_bytes(body: Mapping[str, Any]) -> bytes:
    """Serialise a POST body once; these exact bytes are signed and sent."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def query_message(params: Mapping[str, Any]) -> str:
    """The GET string to sign: parameters sorted by name, `k=v` joined with `&`."""
    return "&".join(f"{key}={params[key]}" for key in sorted(params))


def nonce() -> str:
    """8 random alphanumerics, as the guide requires."""
    return "".join(secrets.choice(NONCE_ALPHABET) for _ in range(8))


def is_valid_nonce(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 8 and all(c in NONCE_ALPHABET for c in value)


def common_params(appid: str, ts: float) -> dict[str, Any]:
    """The parameters every v1 REST call carries."""
    return {"appid": appid, "nonce": nonce(), "ts": int(ts), "version": API_VERSION}
