"""The diagnostics zip: everything support needs, and not one of the secrets SiteKit holds."""

from __future__ import annotations

import json
import logging
import zipfile

import pytest

from app.core.events import Event
from app.core.logs import RingBufferHandler, install_log_buffer, log_buffer
from app.services.diagnostics import export_diagnostics
from app.services.site import APPSECRET_KEY

PLANTED_APP_SECRET = "planted-keyring-app-secret-7f3a"
PLANTED_TOKEN = "planted-token-in-a-log-line-91c2"
PLANTED_PASSWORD = "planted-password-in-an-event-5d8e"


@pytest.fixture
async def demo_ws():
    from app.services.workspace import Workspace

    ws = await Workspace.open(demo=True, store_events=False,
                              demo_site_options={"live_drift_seconds": None})
    try:
        yield ws
    finally:
        await ws.close()


@pytest.fixture
def buffer():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    installed = install_log_buffer()
    installed.clear()
    yield installed
    root.handlers[:] = handlers
    root.setLevel(level)


def _zip_texts(path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


async def test_no_secret_leaves_in_the_zip(demo_ws, buffer, tmp_path):
    demo_ws.secrets.set(APPSECRET_KEY, PLANTED_APP_SECRET)
    log = logging.getLogger("app.test.diagnostics")
    log.info("GET /v2/device?token=%s&id=1", PLANTED_TOKEN)
    log.info('reply {"access_token": "%s"}', PLANTED_TOKEN)
    log.info("Authorization: Bearer %s", PLANTED_TOKEN)
    # a secret logged with no key around it: only the held-secrets pass can catch it
    log.warning("signing with %s", PLANTED_APP_SECRET)
    demo_ws.feed.publish(Event("sitekit", "", "login", {"account": "x", "password": PLANTED_PASSWORD}))

    path = await export_diagnostics(demo_ws, tmp_path / "out" / "diag")

    assert path.name == "diag.zip" and path.exists()
    texts = _zip_texts(path)
    assert {"versions.json", "settings.json", "vendors.json", "log.txt", "events.json",
            "site.json", "README.txt"} <= set(texts)
    held = [PLANTED_APP_SECRET, PLANTED_TOKEN, PLANTED_PASSWORD,
            demo_ws.profile.ewelink.appsecret, demo_ws.profile.demo_credentials[2]]
    for name, text in texts.items():
        for secret in held:
            assert secret not in text, f"{secret!r} leaked into {name}"
    # the report still says what happened
    assert "GET /v2/device?token=***&id=1" in texts["log.txt"]
    assert "signing with ***" in texts["log.txt"]
    events = json.loads(texts["events.json"])
    assert any(e["kind"] == "login" and e["payload"]["password"] == "***" for e in events)
    assert json.loads(texts["vendors.json"]) == {"ewelink": True, "nuheat": True,
                                                  "nexhome": True, "nxcloud": True}
    versions = json.loads(texts["versions.json"])
    assert versions["sitekit"] and versions["python"] and versions["aiohttp"] != "not installed"


async def test_settings_keys_that_look_secret_are_masked(demo_ws, buffer, tmp_path):
    demo_ws.settings.extra["api_token"] = "value-that-looks-secret"
    demo_ws.settings.nxcloud.access_key = "nxcloud-access-key-id"
    texts = _zip_texts(await export_diagnostics(demo_ws, tmp_path / "d.zip"))
    settings = json.loads(texts["settings.json"])
    assert settings["api_token"] == "***"
    assert settings["nxcloud"]["access_key"] == "***"
    assert settings["temperature_unit"] == "C"


def test_ring_buffer_is_bounded_redacted_and_tells_subscribers():
    handler = RingBufferHandler(capacity=3)
    logger = logging.getLogger("app.test.ring")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    seen = []
    unsubscribe = handler.subscribe(seen.append)
    try:
        for n in range(5):
            logger.info("line %d password=hunter%d", n, n)
        unsubscribe()
        logger.error("after unsubscribe")
    finally:
        logger.removeHandler(handler)
    lines = handler.lines()
    assert [line.message for line in lines] == ["line 3 password=***", "line 4 password=***",
                                                "after unsubscribe"]
    assert len(seen) == 5 and all("hunter" not in line.text() for line in seen)
    assert [line.message for line in handler.lines(min_level=logging.ERROR)] == ["after unsubscribe"]
    assert log_buffer() is log_buffer()


def test_cli_export_and_log(buffer, tmp_path, capsys):
    from app.cli import main

    assert main(["--demo", "diagnostics", "export", "--out", str(tmp_path / "support.zip")]) == 0
    assert "support.zip" in capsys.readouterr().out
    texts = _zip_texts(tmp_path / "support.zip")
    assert "sitekit-demo" not in "".join(texts.values())  # the demo account's password

    logging.getLogger("app.test.cli").warning("a warning with token=abc123")
    assert main(["--demo", "diagnostics", "log", "--level", "warning"]) == 0
    out = capsys.readouterr().out
    assert "a warning with token=***" in out and "abc123" not in out
    assert " INFO " not in out
