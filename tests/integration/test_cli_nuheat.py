"""`sitekit nuheat …` run as users and scripts run it, against the demo site and a site file."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.integration.test_cli import sitekit

MASTER_BATH = "1270337"  # the demo account's first thermostat
CABIN_BATH = "1270372"  # moved to API v2: schedule read-only


def nuheat(*args, site=None):
    where = ("--site", str(site)) if site else ("--demo",)
    return sitekit(*where, "nuheat", *args)


def test_login_and_thermostats():
    login = nuheat("login", "--json")
    assert login.returncode == 0, login.stderr
    assert json.loads(login.stdout)["account"] == "demo@sitekit.example"
    listed = nuheat("thermostats", "--json")
    assert listed.returncode == 0, listed.stderr
    by_serial = {t["serial_number"]: t for t in json.loads(listed.stdout)}
    assert len(by_serial) == 12
    assert by_serial[MASTER_BATH]["temperature_scale"] == "Celsius"
    assert by_serial["1270358"]["mode"] == "Permanent hold"
    text = nuheat("thermostats")
    assert text.returncode == 0 and "Master Bath" in text.stdout and "°C" in text.stdout


def test_set_modes():
    held = nuheat("set", MASTER_BATH, "--temp", "21.5", "--permanent", "--json")
    assert held.returncode == 0, held.stderr
    assert json.loads(held.stdout) == {"serial_number": MASTER_BATH, "name": "Master Bath",
                                      "mode": "Permanent hold", "set_point": 21.5,
                                      "temperature_scale": "Celsius"}
    hold = nuheat("set", "Master Bath", "--temp", "19", "--hold", "2099-01-01T00:00:00Z")
    assert hold.returncode == 1 and "23 hours" in hold.stderr  # the server's own rule, shown clearly
    auto = nuheat("set", MASTER_BATH, "--auto")
    assert auto.returncode == 0 and "Auto" in auto.stdout
    missing = nuheat("set", MASTER_BATH, "--permanent", "--json")
    assert missing.returncode == 1 and "--temp" in json.loads(missing.stdout)["error"]["message"]
    unknown = nuheat("set", "nope", "--auto")
    assert unknown.returncode == 1 and "No thermostat 'nope'" in unknown.stderr


def test_schedule_put_lists_every_violation_before_sending(tmp_path):
    got = nuheat("schedule", "get", MASTER_BATH, "--json")
    assert got.returncode == 0, got.stderr
    schedule = json.loads(got.stdout)
    schedule["days"][0]["events"][0]["clock"] = "06:07"
    schedule["days"][0]["events"][0]["active"] = False
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(schedule))
    result = nuheat("schedule", "put", MASTER_BATH, str(bad))
    assert result.returncode == 1
    assert "nothing was sent" in result.stderr
    assert "[minutes_off_grid]" in result.stderr and "[wake_deactivated]" in result.stderr
    assert "06:07" in result.stderr


def test_schedule_of_a_v2_thermostat_is_read_only(tmp_path):
    schedule = json.loads(nuheat("schedule", "get", MASTER_BATH, "--json").stdout)
    path = tmp_path / "week.json"
    path.write_text(json.dumps(schedule))
    result = nuheat("schedule", "put", CABIN_BATH, str(path))
    assert result.returncode == 1 and "405" in result.stderr and "read-only" in result.stderr
    as_json = nuheat("schedule", "get", CABIN_BATH, "--json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["error"]["code"] == 405


def test_energy_views():
    day = nuheat("energy", MASTER_BATH, "--day", "2026-11-20", "--json")
    assert day.returncode == 0, day.stderr
    usage = json.loads(day.stdout)
    assert usage["type"] == "Day" and len(usage["entries"]) == 24
    assert [e["entry"] for e in usage["entries"]] == [str(h) for h in range(24)]
    year = nuheat("energy", MASTER_BATH, "--year", "2025")
    assert year.returncode == 0 and "total" in year.stdout and "kWh" in year.stdout
    bad_date = nuheat("energy", MASTER_BATH, "--week", "20-11-2026")
    assert bad_date.returncode == 2


def test_site_file_schedule_round_trip(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "app", "sim", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        site = tmp_path / "site.json"
        site.write_text(proc.stdout.readline())
        schedule = json.loads(nuheat("schedule", "get", MASTER_BATH, "--json", site=site).stdout)
        for day in schedule["days"]:
            for event in day["events"]:
                if event["scheduleType"] == 0:  # WAKE
                    event["temperature"] = 2250
        path = tmp_path / "week.json"
        path.write_text(json.dumps(schedule))
        put = nuheat("schedule", "put", MASTER_BATH, str(path), site=site)
        assert put.returncode == 0, put.stderr
        back = json.loads(nuheat("schedule", "get", MASTER_BATH, "--json", site=site).stdout)
        assert all(e["temperature"] == 2250 for d in back["days"] for e in d["events"]
                   if e["scheduleType"] == 0)
        shown = nuheat("schedule", "get", MASTER_BATH, site=site)
        assert "WAKE 06:30 22.5 °C" in shown.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_set_point_out_of_range_is_refused_in_the_users_unit():
    result = nuheat("set", MASTER_BATH, "--temp", "80", "--permanent")
    assert result.returncode == 1
    assert "80.0 °C is outside" in result.stderr and "5.0 °C" in result.stderr


def test_thermostats_are_listed_by_home():
    listed = json.loads(nuheat("thermostats", "--json").stdout)
    homes = [t["home"] for t in listed]
    assert homes == sorted(homes, key=str.casefold) and "Lakeside Cabin" in homes


def test_watch_prints_changes_until_the_time_is_up():
    # The demo site's thermostats drift every 5 s, each change notified over SignalR.
    result = nuheat("watch", "--json", "--for", "9")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert any(e["kind"] == "connection" and e["payload"]["status"] == "online" for e in events)
    changes = [e for e in events if e["kind"] == "thermostat"]
    assert changes and all(e["vendor"] == "nuheat" and e["payload"]["text"] for e in changes)
    text = nuheat("watch", "--for", "6")
    assert text.returncode == 0, text.stderr
    assert "Receiving Nuheat live changes" in text.stdout and "thermostat" in text.stdout
    assert "Ctrl+C stops" in text.stderr


def test_logout_on_a_site_that_never_signed_in():
    result = nuheat("logout")
    assert result.returncode == 0 and "nothing to forget" in result.stdout


def test_configure_keeps_the_secret_out_of_the_settings_file(isolated_home, monkeypatch, capsys):
    """In-process: the test keyring lives in this process's memory."""
    import io

    import keyring

    from app.cli import main
    from app.core.paths import settings_file
    from app.services.site import NUHEAT_CLIENT_SECRET_KEY

    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-value\n"))
    assert main(["nuheat", "configure", "--client-id", "issued-id", "--client-secret-stdin"]) == 0
    assert "secret store" in capsys.readouterr().out
    text = settings_file().read_text(encoding="utf-8")
    assert "issued-id" in text and "s3cret-value" not in text
    assert keyring.get_password("sitekit", NUHEAT_CLIENT_SECRET_KEY) == "s3cret-value"

    # Without the flag the stored secret stays; an empty line forgets it (a public client).
    assert main(["nuheat", "configure", "--client-id", "other-id"]) == 0
    assert keyring.get_password("sitekit", NUHEAT_CLIENT_SECRET_KEY) == "s3cret-value"
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["nuheat", "configure", "--client-id", "other-id", "--client-secret-stdin"]) == 0
    assert keyring.get_password("sitekit", NUHEAT_CLIENT_SECRET_KEY) is None


async def test_logout_revokes_and_forgets(nuheat_sim, isolated_home, capsys):
    """A site file whose tokens are remembered: logout revokes at the identity server."""
    import argparse

    from app.cli_nuheat import run
    from app.services.workspace import Workspace

    description = {"ewelink": {"region": "eu", "api": "http://127.0.0.1:9", "appid": "a", "appsecret": "s"},
                   "nuheat": {"issuer": nuheat_sim.issuer, "api": nuheat_sim.api,
                              "client_id": nuheat_sim.client_id, "client_secret": nuheat_sim.client_secret,
                              "username": nuheat_sim.username, "password": nuheat_sim.password}}
    site = isolated_home.parent / "site.json"
    site.write_text(json.dumps(description))
    ws = await Workspace.open(site_file=site, store_events=False)
    await ws.nuheat.sign_in()
    await ws.close()
    args = argparse.Namespace(demo=False, site=site, action="logout", json=False)
    assert await run(args) == 0
    assert "revoked and forgotten" in capsys.readouterr().out
    assert nuheat_sim.revocations == 1
    ws = await Workspace.open(site_file=site, store_events=False)
    try:
        assert not ws.nuheat.signed_in
    finally:
        await ws.close()
