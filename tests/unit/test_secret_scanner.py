"""The secret scanner of the fault matrix finds a secret wherever a careless change could
put it: a log line, a URL, SQLite pages, a zip member, PNG metadata — and does not cry wolf
over a PIN's digits inside a longer number."""

import sqlite3
import zipfile

from tests.reliability.scan import scan, secret_fields

TOKEN = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0/+=="
PIN = "220150"


def _found(tmp_path, secrets=frozenset({TOKEN, PIN})):
    findings, files = scan(tmp_path, set(secrets))
    return sorted(f.where for f in findings), files


def test_clean_files_have_no_findings(tmp_path):
    (tmp_path / "app.log").write_text("signed in; token ****; at 17954447704220150123\n")
    assert _found(tmp_path) == ([], 1)


def test_raw_and_url_quoted_secrets_are_found(tmp_path):
    (tmp_path / "a.log").write_text(f"Authorization: Bearer {TOKEN}\n")
    (tmp_path / "b.log").write_text("GET /x?token=eyJhbGciOiJSUzI1NiJ9.c2VjcmV0%2F%2B%3D%3D\n")
    (tmp_path / "c.txt").write_text(f"Your PIN is {PIN}.\n")
    assert _found(tmp_path)[0] == ["a.log", "b.log", "c.txt"]


def test_sqlite_zip_members_and_png_metadata_are_read(tmp_path):
    with sqlite3.connect(tmp_path / "events.sqlite3") as db:
        db.execute("create table e (body text)")
        db.execute("insert into e values (?)", (f"pin {PIN} used",))
    with zipfile.ZipFile(tmp_path / "report.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("log.txt", f"token={TOKEN}")
    (tmp_path / "shot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"tEXtComment\x00" + TOKEN.encode())
    where, files = _found(tmp_path)
    assert where == ["events.sqlite3", "report.zip!log.txt", "shot.png"] and files == 3


def test_the_finding_never_repeats_the_secret(tmp_path):
    (tmp_path / "a.log").write_text(TOKEN)
    findings, _ = scan(tmp_path, {TOKEN})
    assert TOKEN not in str(findings[0]) and "33 chars" in str(findings[0])


def test_secret_fields_reads_json_held_in_strings():
    stored = {"site/nuheat/tokens": '{"access_token": "AT-123456", "scope": "openid"}',
              "devices": [{"name": "Hall light", "devicekey": "dk-abcdef"}],
              "password": "pw-secret", "email": "demo@example.com"}
    assert secret_fields(stored) == {"AT-123456", "dk-abcdef", "pw-secret"}
