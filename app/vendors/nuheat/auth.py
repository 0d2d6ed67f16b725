"""Nuheat sign-in: OAuth2 authorization code + PKCE for a native app (RFC 8252, RFC 7636).

PKCE and random tokens come from Authlib (`create_s256_code_challenge`, `generate_token`),
a well-kept library, so no crypto is written by hand here.
"""

from __future__ import annotations

from dataclasses import dataclass

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

# RFC 7636 §4.1: 43-128 characters from the unreserved set; 64 gives 384 bits.
VERIFIER_LENGTH = 64


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str
    method: str = "S256"

    @classmethod
    def from_verifier(cls, verifier: str) -> Pkce:
        if not 43 <= len(verifier) <= 128:
            raise ValueError("a PKCE code verifier has 43 to 128 characters (RFC 7636 §4.1)")
        return cls(verifier, create_s256_code_challenge(verifier))

    @classmethod
    def generate(cls) -> Pkce:
        return cls.from_verifier(generate_token(VERIFIER_LENGTH))
