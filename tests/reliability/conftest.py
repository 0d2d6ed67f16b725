"""The fault matrix: SiteKit's services and CLI against simulators that misbehave on purpose.

One file per vendor, one test per fault row (`test_<vendor>_<fault>`); the simulators'
scripted HTTP faults are in `app/simulators/faults.py`, vendor-specific ones on each
simulator's `faults`. The suite ends with `test_secret_scan.py`, which looks for every
secret the run used in everything the run left behind under `reliability_home`.

Fixtures:
- the simulator fixtures of tests/integration (`ewelink_sim`, `nuheat_sim`, `http_session`,
  `clock`, `make_ewelink_client`), re-exported here;
- `secrets_used`: a session-wide set; add every password, token, key and PIN a test uses;
- `reliability_home`: a session-wide folder; write logs, settings, stores, exports and
  screenshots a test produces there (or point `SITEKIT_HOME` below it) so the scan reads them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import (  # noqa: F401  (fixtures, found by name)
    clock,
    ewelink_sim,
    http_session,
    make_ewelink_client,
    nuheat_sim,
    wait_until,
)

SCAN_MODULE = "test_secret_scan.py"


@pytest.fixture(scope="session")
def secrets_used() -> set[str]:
    return set()


@pytest.fixture(scope="session")
def reliability_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reliability-home")


@pytest.fixture
def run_home(reliability_home, request, monkeypatch) -> Path:
    """This test's SiteKit home, inside `reliability_home` so the final scan reads it."""
    home = reliability_home / request.node.name.replace("/", "_")[:80]
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("SITEKIT_HOME", str(home))
    return home


def pytest_collection_modifyitems(config, items):
    # The scan reads what the other rows left behind: it runs last whatever the order.
    scans = [item for item in items if item.path.name == SCAN_MODULE]
    others = [item for item in items if item.path.name != SCAN_MODULE]
    items[:] = others + scans
