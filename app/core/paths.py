"""Where SiteKit keeps its files.

`SITEKIT_HOME` puts everything under one folder (tests and training labs use it);
otherwise the platform's user config and data folders are used.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "sitekit"


def _home_override() -> Path | None:
    value = os.environ.get("SITEKIT_HOME")
    return Path(value) if value else None


def config_dir() -> Path:
    home = _home_override()
    path = home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    home = _home_override()
    path = home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def settings_file() -> Path:
    return config_dir() / "settings.toml"


def events_db() -> Path:
    return data_dir() / "events.sqlite3"


def fallback_secrets_file() -> Path:
    return data_dir() / "secrets.json"
