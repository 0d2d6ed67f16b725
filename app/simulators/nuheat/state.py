"""Identity state: registered clients, authorization codes, access and refresh grants."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

SUPPORTED_SCOPES = ("openid", "profile", "openapi", "offline_access")
ACCESS_TOKEN_SECONDS = 3600
REFRESH_TOKEN_SECONDS = 15 * 86400
CODE_SECONDS = 300


@dataclass
class SimClient:
    client_id: str
    secret: str | None  # None: a public client (PKCE required)
    redirect_uris: tuple[str, ...] = ()  # empty: any loopback redirect (RFC 8252 §7.3)
    allowed_scopes: tuple[str, ...] = SUPPORTED_SCOPES

    @property
    def public(self) -> bool:
        return self.secret is None


@dataclass
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    user_id: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float
    auth_time: int


@dataclass
class Grant:
    """What a token stands for: who, which client, which scopes, until when."""
    user_id: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float
    auth_time: int


@dataclass
class IdentityState:
    clients: dict[str, SimClient] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    access_tokens: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)

    @staticmethod
    def new_handle() -> str:
        return secrets.token_hex(32).upper()
