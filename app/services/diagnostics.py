"""A diagnostics zip a technician can send to support: what ran, how it was set up, what happened.

Nothing secret may leave in it. Three layers, because any one can miss something:
structured data goes through `redact` (secret-named keys), every text through
`redact_text` (key=value, JSON, Authorization headers), and finally every secret this
SiteKit actually holds (keyring values, the site's app secrets and demo passwords) is
searched for verbatim and masked wherever it still appears.
"""

from __future__ import annotations

import asyncio
import json
import logging
import platform
import re
import sys
import zipfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from app import __version__
from app.core.logs import REDACTED, log_buffer, redact, redact_text
from app.services.site import (APPSECRET_KEY, NEXHOME_APP_SECRET_KEY, NUHEAT_CLIENT_SECRET_KEY,
                               NXCLOUD_ACCESS_SECRET_KEY)

log = logging.getLogger(__name__)

EVENT_LIMIT = 2000
LOG_LIMIT = 5000
# Settings hold no secrets by design; a key that merely looks like one is masked anyway.
_SECRET_LOOKING = re.compile(r"secret|password|passwd|token|credential|key$", re.IGNORECASE)
_KEYRING_KEYS = (APPSECRET_KEY, NUHEAT_CLIENT_SECRET_KEY, NEXHOME_APP_SECRET_KEY,
                 NXCLOUD_ACCESS_SECRET_KEY)
_MIN_SECRET_LENGTH = 4  # masking "1" or "" everywhere would wreck the report, not protect it


async def export_diagnostics(ws, path: Path | str) -> Path:
    """Write the diagnostics zip to `path` (".zip" added when missing) and return its path."""
    path = Path(path)
    if path.suffix.lower() != ".zip":
        path = path.with_name(path.name + ".zip")
    events = await _recent_events(ws)
    settings = ws.settings.to_dict()
    vendors = configured_vendors(ws)
    site = {"label": ws.profile.label, "simulated": ws.profile.is_simulated,
            "live_status": getattr(ws, "live_status", "")}
    lines = [line.text() for line in log_buffer().lines(limit=LOG_LIMIT)]
    await asyncio.to_thread(_write_zip, path, ws, settings, vendors, site, lines, events)
    log.info("diagnostics written to %s", path)
    return path


def configured_vendors(ws) -> dict[str, bool]:
    """Which vendors this site has what it needs to talk to: yes or no, never the values."""
    p = ws.profile
    return {"ewelink": bool(p.ewelink.appid and p.ewelink.appsecret),
            "nuheat": bool(p.nuheat and p.nuheat.client_id),
            "nexhome": bool(p.nexhome and p.nexhome.configured),
            "nxcloud": bool(p.nxcloud and p.nxcloud.configured)}


def versions() -> dict[str, str]:
    # Package metadata, not imports: importing PySide6 from the CLI would load Qt.
    return {"sitekit": __version__, "python": sys.version.split()[0],
            "pyside6": _package_version("PySide6"), "aiohttp": _package_version("aiohttp"),
            "os": platform.platform(), "machine": platform.machine()}


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


async def _recent_events(ws) -> list[dict[str, Any]]:
    try:
        events = await ws.feed.history(limit=EVENT_LIMIT)
    except Exception:  # a broken store must not stop the report that would explain it
        log.exception("diagnostics: stored events unavailable, using the in-memory ones")
        events = ws.feed.recent(EVENT_LIMIT)
    return [event.to_json() for event in events]


def _write_zip(path: Path, ws, settings: dict, vendors: dict, site: dict, lines: list[str],
               events: list[dict]) -> None:
    scrub = _Scrubber(_held_secrets(ws))
    site = dict(site, secrets_kept=ws.secrets.location)
    files = {
        "versions.json": _json(versions()),
        "site.json": _json(site),
        "vendors.json": _json(vendors),
        "settings.json": _json(_mask_secret_looking(settings)),
        "log.txt": "\n".join(redact_text(line) for line in lines) + "\n",
        "events.json": _json([dict(e, payload=redact(e.get("payload"))) for e in events]),
    }
    files["README.txt"] = (f"SiteKit diagnostics, {datetime.now(timezone.utc).isoformat()}\n"
                           f"Secrets are masked as {REDACTED}. Files: {', '.join(files)}.\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, scrub(redact_text(text)))
    partial.replace(path)  # never leave a half-written zip under the name the user chose


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def _mask_secret_looking(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: (REDACTED if _SECRET_LOOKING.search(str(k)) and v not in (None, "", {}, [])
                    and not isinstance(v, (dict, list)) else _mask_secret_looking(v))
                for k, v in redact(data).items()}
    if isinstance(data, list):
        return [_mask_secret_looking(v) for v in data]
    return data


def _held_secrets(ws) -> set[str]:
    """Every secret value this SiteKit holds. Blocking (keyring): call off the loop."""
    values: set[str] = set()
    for key in _KEYRING_KEYS:
        try:
            values.add(ws.secrets.get(key) or "")
        except Exception:
            pass
    p = ws.profile
    values.add(p.ewelink.appsecret)
    if p.demo_credentials:
        values.add(p.demo_credentials[2])
    if p.nuheat:
        values.update((p.nuheat.client_secret, p.nuheat.demo_password))
    if p.nexhome:
        values.add(p.nexhome.app_secret)
    if p.nxcloud:
        values.add(p.nxcloud.access_secret)
    return {v for v in values if v and len(v) >= _MIN_SECRET_LENGTH}


class _Scrubber:
    def __init__(self, secrets: set[str]) -> None:
        # Longest first, so a secret containing another is masked whole.
        # The JSON-escaped spelling too: a secret with a quote or backslash is written that way.
        spellings = secrets | {json.dumps(v, ensure_ascii=False)[1:-1] for v in secrets}
        ordered = sorted(spellings, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        return self._pattern.sub(REDACTED, text) if self._pattern else text
