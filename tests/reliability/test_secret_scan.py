"""After the fault matrix: no secret the run used is readable in anything it left behind.

Two runs of our own, then the whole matrix:
- the CLI against `sitekit sim` (sign-ins, a switch, a pairing with the site Wi-Fi password,
  a door, a resident's PIN, an SMS, a diagnostics zip), every command verbose, its log kept;
- the GUI tour on the demo site, every screen saved with the text it shows;
- everything under `reliability_home` and every test's own SiteKit home, for every secret
  any row registered.

The secret store's own fallback file is where secrets belong when the machine has no
keyring: it is left out of the scan, and must be readable by the user alone.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.scan import scan, secret_fields

SECRET_STORE_NAME = "secrets.json"  # app.core.paths.fallback_secrets_file()


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["SITEKIT_HOME"] = str(home)
    # no keyring: secrets go to the fallback file, which the scan then has to tell apart
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def _secret_stores(root: Path) -> set[Path]:
    stores = set(root.rglob(SECRET_STORE_NAME))
    for store in stores:
        assert stat.S_IMODE(store.stat().st_mode) == 0o600, f"{store} is readable by others"
    return stores


def _stored_secrets(root: Path) -> set[str]:
    found: set[str] = set()
    for store in root.rglob(SECRET_STORE_NAME):
        found |= secret_fields(json.loads(store.read_text()))
    return found


def _inputs(root: Path) -> set[Path]:
    # Site files are what a test hands SiteKit (`--site FILE`, the demo secrets in them):
    # input, not something SiteKit wrote.
    return {path for path in root.rglob("*.json")
            if path.name == "site.json" or path.name.endswith("-site.json")}


def _assert_clean(root: Path, secrets: set[str], *, at_least_files: int) -> None:
    assert secrets, "the run used no secret: the scan would prove nothing"
    stores = _secret_stores(root)
    if stores:  # the scan finds what is there: the tokens the run stored are in the store
        in_stores, _ = scan(root, secrets, skip=set(root.rglob("*")) - stores)
        assert in_stores, "the secret store holds none of the run's secrets"
    findings, files = scan(root, secrets, skip=stores | _inputs(root))
    assert files >= at_least_files, f"only {files} files to scan under {root}"
    assert not findings, "\n".join(str(f) for f in findings)


@pytest.fixture
def sim_site(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "app", "sim", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=_env(tmp_path / "sim-home"))
    try:
        line = proc.stdout.readline()
        site = tmp_path / "site.json"  # holds the demo secrets: outside the scanned folder
        site.write_text(line)
        yield site, json.loads(line)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_run_leaves_no_secret(sim_site, reliability_home, secrets_used):
    site, description = sim_site
    run = reliability_home / "cli-run"
    logs = run / "logs"
    logs.mkdir(parents=True)
    env = _env(run / "home")

    def sitekit(name: str, *args: str, stdin: str | None = None, site_mode: bool = True) -> str:
        where = ["--site", str(site)] if site_mode else []
        result = subprocess.run([sys.executable, "-m", "app", "-v", *where, *args],
                                capture_output=True, text=True, input=stdin, timeout=120, env=env)
        (logs / f"{name}.log").write_text(result.stderr)  # what a support case gets
        assert result.returncode == 0, f"{name}: {result.stdout[-1000:]} {result.stderr[-2000:]}"
        return result.stdout

    sitekit("ewelink-login", "ewelink", "login")
    sitekit("ewelink-devices", "ewelink", "devices")
    sitekit("ewelink-switch", "ewelink", "switch", "Hall light", "on")
    sitekit("ewelink-watch", "ewelink", "watch", "--seconds", "2")
    device_url = description["ewelink_ap_devices"][0]["url"]
    wifi = description["site_wifi"]
    sitekit("pair", "pair", "--ssid", wifi["ssid"], "--password-stdin", "--device", device_url,
            stdin=wifi["password"] + "\n")
    sitekit("nuheat-login", "nuheat", "login")
    sitekit("nuheat-thermostats", "nuheat", "thermostats")
    nexhome = description["nexhome"]
    sitekit("nexhome-configure", "nexhome", "configure", "--api", nexhome["api"],
            "--developer-id", nexhome["developer_id"], "--app-id", nexhome["app_id"],
            "--app-secret-stdin", stdin=nexhome["app_secret"] + "\n", site_mode=False)
    sitekit("nexhome-doors", "nexhome", "doors", site_mode=False)
    sitekit("nexhome-unlock", "nexhome", "unlock", "Main entrance", "--yes", site_mode=False)
    issued = json.loads(sitekit("nexhome-pin", "nexhome", "credentials", "issue", "P0001",
                                "--pin", "--json", site_mode=False))
    sitekit("nxcloud-sms", "nxcloud", "sms", "+44 7700 900123", "SiteKit test message")
    sitekit("diagnostics-export", "diagnostics", "export", "--out", str(run / "diagnostics.zip"))
    sitekit("diagnostics-log", "diagnostics", "log", "--level", "debug")

    pin = issued["content"]
    assert issued["type"] == "PIN" and len(pin) >= 4
    secrets = secret_fields(description) | _stored_secrets(run) | {pin}
    secrets_used.update(secrets)
    assert (run / "home" / "config" / "settings.toml").is_file()
    _assert_clean(run, secrets, at_least_files=15)


def test_gui_run_leaves_no_secret(reliability_home, secrets_used, tmp_path):
    run = reliability_home / "gui-run"
    noted = tmp_path / "gui-secrets.json"
    result = subprocess.run([sys.executable, "-m", "tests.reliability.gui_run",
                             str(run / "screens"), str(noted)],
                            capture_output=True, text=True, timeout=300, env=_env(run / "home"))
    (run / "gui.log").write_text(result.stderr)
    assert result.returncode == 0, result.stderr[-3000:]
    secrets = set(json.loads(noted.read_text())) | _stored_secrets(run)
    secrets_used.update(secrets)
    screens = sorted((run / "screens").glob("*.png"))
    assert len(screens) >= 30 and len(list((run / "screens").glob("*.txt"))) == len(screens)
    _assert_clean(run, secrets, at_least_files=60)


def test_the_whole_matrix_leaves_no_secret(reliability_home, secrets_used, tmp_path_factory):
    # Last in this module, and the module last in the session (conftest): every row has run.
    # Besides reliability_home, every test's own SiteKit home (conftest's isolated_home).
    secrets = set(secrets_used)
    _assert_clean(reliability_home, secrets, at_least_files=60)
    homes = sorted(tmp_path_factory.getbasetemp().glob("*/sitekit-home"))
    findings = []
    for home in homes:
        found, _ = scan(home, secrets, skip=_secret_stores(home) | _inputs(home))
        findings += [f"{home.parent.name}/{finding}" for finding in found]
    assert not findings, "\n".join(findings)
