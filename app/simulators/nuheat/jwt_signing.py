"""The identity server's signing key: an RS256 key pair, JWS compact signing and its JWKS.

The simulator only ever signs (clients verify with a real JOSE library), so signing is
the standard RSASSA-PKCS1-v1_5 with SHA-256 from `cryptography`, and the JWKS is the
public key's modulus and exponent, base64url without padding (RFC 7518 §6.3.1).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class SigningKey:
    def __init__(self, key_size: int = 2048) -> None:
        self._private = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        numbers = self._private.public_key().public_numbers()
        self._n, self._e = _uint_b64(numbers.n), _uint_b64(numbers.e)
        # kid: the RFC 7638 thumbprint, so it is stable for the key and unique enough
        canonical = json.dumps({"e": self._e, "kty": "RSA", "n": self._n}, separators=(",", ":"))
        self.kid = b64url(hashlib.sha256(canonical.encode()).digest())

    def public_key(self):
        return self._private.public_key()

    def jwk(self) -> dict[str, Any]:
        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "e": self._e, "n": self._n}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk()]}

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str:
        header = {"alg": "RS256", "kid": self.kid, "typ": typ}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "."
                         + b64url(json.dumps(claims, separators=(",", ":")).encode()))
        signature = self._private.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature)


def s256_challenge(verifier: str) -> str:
    """PKCE S256 (RFC 7636 §4.2): BASE64URL(SHA256(ASCII(code_verifier)))."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())
