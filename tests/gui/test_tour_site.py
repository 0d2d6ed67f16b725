"""`sitekit --site FILE tour` on the JSON `sitekit sim` printed: the tour sees only what the
app sees there (no simulator objects), signed in or not, and saves the screens it can reach."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from app.ui.tour import SCREENS, WINDOW_SIZE

# pairing, an unlock, a lost unlock answer and an SMS would act on the site for real
SKIPPED_ON_A_SITE = {"pair-wifi", "pair-progress", "pair-done", "devices-lan", "pair-failed",
                     "doors-opened", "doors-unknown", "messages-sent"}


def _sitekit(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def _check_tour(result: subprocess.CompletedProcess, out: Path) -> None:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    expected = [name for name in SCREENS if name not in SKIPPED_ON_A_SITE]
    assert [Path(line).stem for line in result.stdout.splitlines()] == expected
    assert sorted(p.stem for p in out.glob("*.png")) == sorted(expected)
    for name in expected:
        image = QImage(str(out / f"{name}.png"))
        assert not image.isNull(), name
        if name not in ("doors-confirm", "residents-issue-qr"):  # dialogs: their own size
            assert (image.width(), image.height()) == WINDOW_SIZE, name


def test_tour_on_a_sim_site_signed_out_then_signed_in(qapp, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    # tokens must outlive each process: the 0600 file, not the tests' in-memory keyring
    env.update(SITEKIT_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen",
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    sim_env = dict(env, SITEKIT_HOME=str(tmp_path / "sim-home"))
    sim = subprocess.Popen([sys.executable, "-m", "app", "sim", "--port", "0"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=sim_env)
    try:
        line = sim.stdout.readline()
        json.loads(line)
        site = tmp_path / "site.json"
        site.write_text(line)

        # a fresh home: the tour signs in with the site's demo account
        first = tmp_path / "first"
        _check_tour(_sitekit(env, "--site", str(site), "tour", "--out", str(first)), first)

        # already signed in (the first run's tokens, and `sitekit ewelink login` again): the
        # tour must not wait for a sign-in page that never comes
        login = _sitekit(env, "--site", str(site), "ewelink", "login")
        assert login.returncode == 0, login.stderr
        second = tmp_path / "second"
        _check_tour(_sitekit(env, "--site", str(site), "tour", "--out", str(second)), second)
    finally:
        sim.terminate()
        sim.wait(timeout=10)


def test_a_tour_that_cannot_go_on_names_the_screen(qapp, tmp_path):
    """Nothing listens on the site's eWeLink port: a clear error, exit 1, no traceback."""
    env = dict(os.environ, SITEKIT_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen",
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    site = tmp_path / "site.json"
    site.write_text(json.dumps({"ewelink": {
        "api": "http://127.0.0.1:9", "region": "eu", "regions": {"eu": "http://127.0.0.1:9"},
        "appid": "a" * 32, "appsecret": "b" * 32, "email": "demo@sitekit.example",
        "password": "sitekit-demo", "dispatch": {"serverName": "127.0.0.1", "port": 9}}}))
    result = _sitekit(env, "--site", str(site), "tour", "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "The tour stopped at the “devices” screen" in result.stderr
    assert "eWeLink sign-in failed" in result.stderr
