"""`sitekit --demo nexhome …`, run as users and scripts run it."""

from __future__ import annotations

import json
from argparse import Namespace

from app.cli_nexhome import _undecided, parse_contacts, parse_until
from app.core.events import utcnow
from app.services.building import CommandNeedsDecision
from tests.integration.test_cli import sitekit


def nexhome(*args, input=None):
    return sitekit("--demo", "nexhome", *args, input=input)


def test_devices_and_doors_json():
    devices = nexhome("devices", "--json")
    assert devices.returncode == 0, devices.stderr
    by_id = {d["id"]: d for d in json.loads(devices.stdout)}
    assert by_id["EC-1"]["type"] == "ELEVATOR_CONTROLLER" and by_id["DS-3"]["online"] is False
    doors = nexhome("doors", "--json")
    assert doors.returncode == 0, doors.stderr
    by_id = {d["id"]: d for d in json.loads(doors.stdout)}
    assert by_id["1001"]["name"] == "Main entrance"
    assert by_id["1001"]["device_name"] == "Main entrance station"
    assert by_id["1003"]["online"] is False
    assert "1005" not in by_id  # not granted to the app


def test_unlock_with_yes_by_name_and_it_is_audited():
    result = nexhome("unlock", "main entrance", "--yes", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["door"] == "1001" and answer["opened"] is True
    audit = nexhome("audit", "--json")
    assert audit.returncode == 0, audit.stderr
    entries = json.loads(audit.stdout)
    [entry] = [e for e in entries if e["request_id"] == answer["request_id"]]
    assert (entry["action"], entry["target"], entry["outcome"]) == ("unlock", "1001", "ok")
    assert entry["actor"]


def test_unlock_without_yes_and_without_a_terminal_refuses():
    result = nexhome("unlock", "1001", input="y\n")
    assert result.returncode == 2
    assert "--yes" in result.stderr and "Main entrance" in result.stderr
    offline = nexhome("unlock", "Back door", "--yes")
    assert offline.returncode == 1 and "offline" in offline.stderr.lower()
    unknown = nexhome("unlock", "Front gate", "--yes")
    assert unknown.returncode == 1 and "No door 'Front gate'" in unknown.stderr


def test_elevator_call():
    result = nexhome("elevator", "Lift A controller", "--from", "0", "--to", "7", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert (answer["device"], answer["from"], answer["to"]) == ("EC-1", 0, 7)
    same = nexhome("elevator", "EC-1", "--from", "2", "--to", "2")
    assert same.returncode == 1 and "same floor" in same.stderr


def test_credentials_issue_pin_and_send_by_sms():
    result = nexhome("credentials", "issue", "P0001", "--pin", "--send", "sms", "--json")
    assert result.returncode == 0, result.stderr
    issued = json.loads(result.stdout)
    assert issued["type"] == "PIN" and len(issued["content"]) == 6
    assert issued["sent_to"].startswith("+") and "•" in issued["sent_to"]
    assert issued["send_error"] is None
    text = nexhome("credentials", "issue", "P0002", "--qr", "--valid-until", "6h")
    assert text.returncode == 0, text.stderr
    assert "QR code for" in text.stdout and "shown this once" in text.stderr


def test_a_credential_issued_but_not_sent_exits_3_and_says_so():
    result = nexhome("credentials", "issue", "P0003", "--pin", "--send", "sms",
                     "--phone", "+44 7700 900000")
    assert result.returncode == 3
    assert "issued but NOT sent" in result.stderr and "PIN for" in result.stdout


def test_announce_and_contacts_push(tmp_path):
    result = nexhome("announce", "--devices", "DS-1,Garage station", "--title", "Lift works",
                     "--text", "Lift A is off on Monday.", "--valid-until", "2d", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["devices"] == ["DS-1", "DS-2"] and answer["valid_until"]
    past = nexhome("announce", "--devices", "DS-1", "--title", "T", "--text", "x",
                   "--valid-until", "2020-01-01T00:00")
    assert past.returncode == 1 and "in the past" in past.stderr
    contacts = tmp_path / "directory.csv"
    contacts.write_text("name,room,number\nAnna de Vries,101,+31612000001\nConcierge,,100\n")
    pushed = nexhome("contacts", "push", "Main entrance station", str(contacts), "--json")
    assert pushed.returncode == 0, pushed.stderr
    assert json.loads(pushed.stdout) == {"device": "DS-1", "contacts": 2}


def test_events_for_a_few_seconds():
    result = nexhome("events", "--for", "3", "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert any(e["kind"] == "connection" and e["payload"]["status"] == "online" for e in lines)


def test_unknown_outcome_prints_the_exact_retry(capsys):
    exc = CommandNeedsDecision("unlock", "1001", "Main entrance", "abc123", "connection reset")
    args = Namespace(demo=False, site=None, json=False)
    assert _undecided(exc, args, "nexhome unlock 1001") == 3
    err = capsys.readouterr().err
    assert "may or may not have been carried out" in err
    assert "sitekit nexhome unlock 1001 --request-id abc123 --yes" in err


def test_parsing_helpers():
    assert abs((parse_until("2d") - utcnow()).total_seconds() - 2 * 86400) < 5
    assert parse_until("2026-12-24T18:00").tzinfo is not None
    assert [c.number for c in parse_contacts('[{"name": "A", "number": "1"}]')] == ["1"]
    assert [(c.name, c.room) for c in parse_contacts("Bob,12,200\n")] == [("Bob", "12")]


def test_unlock_on_a_terminal_asks_first():
    import os
    import pty
    import subprocess
    import sys

    def ask(answer: str) -> tuple[int, str]:
        master, slave = pty.openpty()
        try:
            os.write(master, answer.encode())
            result = subprocess.run([sys.executable, "-m", "app", "--demo", "nexhome", "unlock",
                                     "Garage gate"], stdin=slave, capture_output=True,
                                    text=True, timeout=60)
        finally:
            os.close(slave)
            os.close(master)
        return result.returncode, result.stdout

    code, out = ask("n\n")
    assert code == 1 and "Unlock Garage gate? [y/N]" in out and "Not unlocked." in out
    code, out = ask("y\n")
    assert code == 0 and "Garage gate: opened" in out


def test_lift_floors_set_and_refused():
    given = nexhome("lift-floors", "P0001", "--set", "3,0,-1", "--json")
    assert given.returncode == 0, given.stderr
    assert json.loads(given.stdout) == {"person": "P0001", "person_name": "Bram Bos",
                                        "floors": [-1, 0, 3]}
    refused = nexhome("lift-floors", "P0001", "--set", "0, 3rd")
    assert refused.returncode == 1 and "'3rd' is not a floor number" in refused.stderr
    ambiguous = nexhome("lift-floors", "Bram Bos")
    assert ambiguous.returncode == 1 and "Use the id" in ambiguous.stderr
