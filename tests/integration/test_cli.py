"""The `sitekit` command, run as users and scripts run it."""

import json
import os
import subprocess
import sys


from app import __version__


def sitekit(*args, input=None, timeout=60):
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                          input=input, timeout=timeout, env=env)


def test_version():
    result = sitekit("--version")
    assert result.returncode == 0 and __version__ in result.stdout


def test_demo_devices_json():
    result = sitekit("--demo", "ewelink", "devices", "--json")
    assert result.returncode == 0, result.stderr
    devices = json.loads(result.stdout)
    by_id = {d["deviceid"]: d for d in devices}
    assert by_id["1000aa0004"]["kind"] == "multi_switch"
    assert len(by_id["1000aa0004"]["channels"]) == 4
    assert by_id["1000aa0007"]["online"] is False


def test_demo_switch_and_offline_error():
    ok = sitekit("--demo", "ewelink", "switch", "Hall light", "on")
    assert ok.returncode == 0, ok.stderr
    assert "acknowledged" in ok.stdout
    offline = sitekit("--demo", "ewelink", "switch", "1000aa0007", "on", "--json")
    assert offline.returncode == 1
    error = json.loads(offline.stdout)["error"]
    assert error["code"] == 503 and "offline" in error["message"]
    text = sitekit("--demo", "ewelink", "switch", "Garage light", "on")
    assert text.returncode == 1 and "503" in text.stderr and "offline" in text.stderr


def test_unknown_device_is_named():
    result = sitekit("--demo", "ewelink", "switch", "Nope", "on")
    assert result.returncode == 1 and "No device 'Nope'" in result.stderr


def test_sim_line_drives_site_commands(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "app", "sim", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        description = json.loads(line)
        assert description["ewelink"]["api"].startswith("http://127.0.0.1:")
        for key in ("region", "appid", "appsecret", "email", "password"):
            assert description["ewelink"][key]
        for key in ("issuer", "api", "client_id", "client_secret", "username", "password"):
            assert description["nuheat"][key]
        assert set(description["nxcloud"]) == {"api", "access_key", "access_secret", "app_key",
                                               "business_phone"}
        assert description["nxcloud"]["api"].startswith("http://127.0.0.1:")
        assert set(description["nexhome"]) == {"api", "developer_id", "app_id", "app_secret"}
        site = tmp_path / "site.json"
        site.write_text(line)
        login = sitekit("--site", str(site), "ewelink", "login", "--json")
        assert login.returncode == 0, login.stderr
        assert json.loads(login.stdout)["account"] == description["ewelink"]["email"]
        switch = sitekit("--site", str(site), "ewelink", "switch", "Stairs 3-gang", "on",
                         "--outlet", "1")
        assert switch.returncode == 0, switch.stderr
        devices = json.loads(sitekit("--site", str(site), "ewelink", "devices", "--json").stdout)
        stairs = next(d for d in devices if d["name"] == "Stairs 3-gang")
        assert [c["on"] for c in stairs["channels"]] == [False, True, False]
        wrong = sitekit("--site", str(site), "ewelink", "login", "--account",
                        description["ewelink"]["email"], "--password-stdin", "--json",
                        input="not-the-password\n")
        assert wrong.returncode == 1
        assert json.loads(wrong.stdout)["error"]["code"] == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_watch_prints_events_then_stops():
    result = sitekit("--demo", "ewelink", "watch", "--json", "--seconds", "2")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert any(e["kind"] == "connection" for e in events)


def test_without_a_display_the_app_renders_screens_instead(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["SITEKIT_HOME"] = str(tmp_path / "home")
    result = subprocess.run([sys.executable, "-m", "app", "--demo"], capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("No display found") and "screens" in first
    screens = tmp_path / "home" / "data" / "screens"
    assert (screens / "devices.png").stat().st_size > 10_000
    assert "qt.qpa.plugin" not in result.stderr and "Traceback" not in result.stderr
