"""Look for secrets in everything a run left on disk: logs, configs, SQLite databases (and
their WAL), zips (member by member), PNGs (their bytes, metadata included) and the texts the
tour saves beside each screenshot.

A secret counts as found in its raw form and URL-quoted. Short ones (PINs) must stand alone:
a 6-digit PIN inside a millisecond timestamp is not a leak.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

SHORT = 12  # secrets shorter than this must not touch letters or digits on either side
MIN_LENGTH = 4  # shorter values (an "on", a 2-digit PIN) cannot be told from data


@dataclass(frozen=True)
class Finding:
    where: str
    secret_hint: str  # never the secret itself: its first two characters and length

    def __str__(self) -> str:
        return f"{self.where}: a secret ({self.secret_hint}) is readable there"


def hint(secret: str) -> str:
    return f"{secret[:2]}… {len(secret)} chars"


def _patterns(secrets: set[str]) -> list[tuple[str, re.Pattern[bytes]]]:
    patterns = []
    for secret in sorted(s for s in secrets if len(s) >= MIN_LENGTH):
        forms = {secret, quote(secret, safe=""), json.dumps(secret)[1:-1]}
        alternatives = b"|".join(re.escape(form.encode("utf-8")) for form in forms)
        if len(secret) < SHORT:
            pattern = rb"(?<![0-9A-Za-z])(?:" + alternatives + rb")(?![0-9A-Za-z])"
        else:
            pattern = rb"(?:" + alternatives + rb")"
        patterns.append((secret, re.compile(pattern)))
    return patterns


def _scan_bytes(where: str, data: bytes, patterns, findings: list[Finding]) -> None:
    for secret, pattern in patterns:
        if pattern.search(data):
            findings.append(Finding(where, hint(secret)))


def _scan_zip(where: str, data: bytes, patterns, findings: list[Finding]) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.namelist():
            _scan_blob(f"{where}!{member}", archive.read(member), patterns, findings)


def _scan_blob(where: str, data: bytes, patterns, findings: list[Finding]) -> None:
    if data[:4] == b"PK\x03\x04":
        _scan_zip(where, data, patterns, findings)
    _scan_bytes(where, data, patterns, findings)


def scan(root: Path, secrets: set[str], *, skip: set[Path] = frozenset()) -> tuple[list[Finding], int]:
    """(findings, number of files read) for every file under root but `skip`."""
    patterns = _patterns(secrets)
    findings: list[Finding] = []
    files = 0
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path in skip:
            continue
        files += 1
        _scan_blob(str(path.relative_to(root)), path.read_bytes(), patterns, findings)
    return findings, files


# Field names that hold secrets in our secret store, the simulators' descriptions and the
# vendors' token replies. (eWeLink's `apikey` names the account; it is not a credential.)
SECRET_FIELDS = frozenset({
    "access_token", "refresh_token", "id_token", "at", "rt", "devicekey", "password",
    "appsecret", "client_secret", "access_secret", "app_secret", "secret", "token", "pin",
})


def secret_fields(value, *, names: frozenset[str] = SECRET_FIELDS) -> set[str]:
    """The strings under secret-named keys anywhere in a JSON value (JSON held in strings,
    as the secret store keeps it, included)."""
    found: set[str] = set()
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return secret_fields(json.loads(value), names=names)
        except ValueError:
            return found
    if isinstance(value, dict):
        for key, item in value.items():
            if key.lower() in names and isinstance(item, str) and len(item) >= MIN_LENGTH:
                found.add(item)
            else:
                found |= secret_fields(item, names=names)
    elif isinstance(value, list):
        for item in value:
            found |= secret_fields(item, names=names)
    return found
