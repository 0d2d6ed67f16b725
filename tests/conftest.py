"""Shared test setup: an isolated SiteKit home and an in-memory keyring for every test."""

from __future__ import annotations

import os

import keyring
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Subprocesses (CLI tests) must not touch the real keyring either.
os.environ["PYTHON_KEYRING_BACKEND"] = "app.core.secrets.MemoryKeyring"

from app.core.secrets import MemoryKeyring  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SITEKIT_HOME", str(tmp_path / "sitekit-home"))
    keyring.set_keyring(MemoryKeyring())
    yield tmp_path / "sitekit-home"
