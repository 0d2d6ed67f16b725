"""Core pieces without a network: settings, secrets, clock skew, redaction, event store."""

import json
import os
import stat
from datetime import datetime, timezone

import keyring
from keyring.backends import fail

from app.core import paths
from app.core.clock import ClockSkew
from app.core.errors import VendorError
from app.core.events import Event
from app.core.logs import RedactingFilter, redact, redact_text
from app.core.secrets import FileKeyring, MemoryKeyring, SecretStore
from app.core.settings import Settings
from app.core.store import EventStore


def test_settings_round_trip_keeps_unknown_keys(isolated_home):
    path = paths.settings_file()
    path.write_text('future_key = "kept"\n[ewelink]\nregion = "us"\nappid = "A"\nnew = 1\n')
    settings = Settings.load()
    assert settings.ewelink.region == "us" and settings.ewelink.appid == "A"
    settings.ewelink.account = "me@example.com"
    settings.save()
    again = Settings.load()
    assert again.ewelink.account == "me@example.com"
    assert again.extra["future_key"] == "kept"


def test_settings_missing_file_gives_defaults(isolated_home):
    assert Settings.load().ewelink.region == "eu"


def test_secret_store_uses_given_backend():
    store = SecretStore(MemoryKeyring())
    store.set("k", "v")
    assert store.get("k") == "v"
    store.delete("k")
    store.delete("k")  # forgetting twice is fine
    assert store.get("k") is None
    assert "memory" in store.location


def test_secret_store_falls_back_to_private_file_without_keyring(isolated_home):
    store = SecretStore(fail.Keyring())
    assert store.is_fallback
    store.set("ewelink/appsecret", "s3cret")
    path = paths.fallback_secrets_file()
    assert str(path) in store.location
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert SecretStore(FileKeyring(path)).get("ewelink/appsecret") == "s3cret"


def test_tests_never_use_the_real_keyring():
    assert isinstance(keyring.get_keyring(), MemoryKeyring)


def test_clock_skew_from_date_header():
    clock = ClockSkew()
    local = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc).timestamp()
    clock.observe_date_header("Thu, 01 Jan 2026 13:00:00 GMT", local_time=local)
    assert clock.offset == 3600
    assert "behind" in clock.describe()
    clock.observe_date_header("Thu, 01 Jan 2026 12:00:01 GMT", local_time=local)
    assert clock.offset == 0  # one second is network noise
    clock.observe_date_header("garbage", local_time=local)
    assert clock.offset == 0


def test_redaction_masks_secrets_in_text_and_structures():
    text = ('POST {"password":"hunter22","email":"a@b.c","at":"abc123"} '
            'GET /x?rt=zzz&appid=ok Authorization: Bearer abcdef Sign QtKh6E/+=')
    out = redact_text(text)
    for secret in ("hunter22", "abc123", "zzz", "abcdef", "QtKh6E"):
        assert secret not in out
    assert "a@b.c" in out and "appid=ok" in out
    assert redact({"at": "x", "nested": [{"password": "p", "name": "n"}]}) == {
        "at": "***", "nested": [{"password": "***", "name": "n"}]}


def test_logging_filter_rewrites_records():
    import logging

    record = logging.LogRecord("t", logging.INFO, __file__, 1, "sent %s", ('{"rt":"secret"}',), None)
    RedactingFilter().filter(record)
    assert "secret" not in record.getMessage()


def test_vendor_error_keeps_code_and_message():
    err = VendorError("eWeLink", 401, "wrong password", message="Wrong email or password.",
                      hint="Check the account.")
    assert err.code == 401 and err.vendor_message == "wrong password"
    assert err.user_text() == "eWeLink error 401: Wrong email or password. Check the account."


async def test_event_store_round_trip(tmp_path):
    store = EventStore(tmp_path / "events.sqlite3")
    events = [Event("ewelink", f"dev{i}", "state", {"switch": "on", "i": i}) for i in range(5)]
    await store.add_many(events)
    back = await store.recent(3)
    assert [e.device for e in back] == ["dev2", "dev3", "dev4"]
    assert back[0].payload == {"switch": "on", "i": 2}
    assert back[0].time.tzinfo is not None
    assert [e.device for e in await store.recent(10, device="dev1")] == ["dev1"]
    await store.close()


def test_event_summary_is_one_line():
    event = Event("ewelink", "d", "state", {"switches": [{"switch": "on", "outlet": 0}]})
    assert "\n" not in event.summary()
    assert json.loads(json.dumps(event.to_json()))["kind"] == "state"
