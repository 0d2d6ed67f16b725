"""Secrets (tokens, app secrets) go to the system keyring, never to settings or logs.

A headless Linux machine often has no keyring backend at all (keyring then picks its
`fail` backend). SiteKit then keeps secrets in a file only the user can read, and says
so: `SecretStore.location` is shown in Settings and printed by the CLI.

Tests install `MemoryKeyring` (also selectable with
`PYTHON_KEYRING_BACKEND=app.core.secrets.MemoryKeyring`), never the real keyring.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import fail

from app.core import paths

SERVICE = "sitekit"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that forgets everything when the process ends."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self._items[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None


class FileKeyring(keyring.backend.KeyringBackend):
    """Fallback when the machine has no keyring: a JSON file with mode 0600."""

    priority = 0.5  # type: ignore[assignment]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}

    def _write(self, items: dict[str, str]) -> None:
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(items, handle)
        os.replace(tmp, self.path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        items = self._read()
        items[f"{service}/{username}"] = password
        self._write(items)

    def delete_password(self, service: str, username: str) -> None:
        items = self._read()
        if items.pop(f"{service}/{username}", None) is None:
            raise keyring.errors.PasswordDeleteError(username)
        self._write(items)


def _has_real_backend(backend: keyring.backend.KeyringBackend) -> bool:
    if isinstance(backend, fail.Keyring):
        return False
    # keyring's chainer with nothing to chain is as good as no backend
    backends = getattr(backend, "backends", None)
    return backends is None or bool(backends)


class SecretStore:
    """Get, set and forget named secrets in one place, namespaced per site/account."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        backend = backend or keyring.get_keyring()
        if not _has_real_backend(backend):
            backend = FileKeyring(paths.fallback_secrets_file())
        self._backend = backend

    @property
    def is_fallback(self) -> bool:
        return isinstance(self._backend, FileKeyring)

    @property
    def is_ephemeral(self) -> bool:
        return isinstance(self._backend, MemoryKeyring)

    @property
    def location(self) -> str:
        """Where secrets are kept, in words a user understands."""
        if isinstance(self._backend, FileKeyring):
            return (f"No system keyring was found, so secrets are kept in "
                    f"{self._backend.path} (readable only by your user account).")
        if isinstance(self._backend, MemoryKeyring):
            return "Secrets are kept in memory only and are forgotten when SiteKit exits."
        name = getattr(self._backend, "name", type(self._backend).__name__)
        return f"Secrets are kept in the system keyring ({name})."

    def get(self, key: str) -> str | None:
        try:
            return self._backend.get_password(SERVICE, key)
        except keyring.errors.KeyringError:
            return None

    def set(self, key: str, value: str) -> None:
        self._backend.set_password(SERVICE, key, value)

    def delete(self, key: str) -> None:
        try:
            self._backend.delete_password(SERVICE, key)
        except keyring.errors.PasswordDeleteError:
            pass
