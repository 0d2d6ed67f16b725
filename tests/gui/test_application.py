"""Start-up and shutdown pieces of the GUI: display detection, error reporting, lifecycle."""

from __future__ import annotations

import asyncio
import sys

from PySide6.QtWidgets import QMessageBox

from app.core.errors import DeviceOffline
from app.ui import application
from tests.gui.support import until


def test_has_display(monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert not application.has_display()
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert application.has_display()
    monkeypatch.delenv("WAYLAND_DISPLAY")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert application.has_display()
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.delenv("QT_QPA_PLATFORM")
    assert application.has_display()


def test_error_reporter_logs_masked_and_shows_a_non_modal_box(qapp, caplog):
    reporter = application.ErrorReporter()
    try:
        raise RuntimeError('failed with {"password": "hunter2"}')
    except RuntimeError as exc:
        reporter(type(exc), exc, exc.__traceback__)
    assert "hunter2" not in caplog.text and "RuntimeError" in caplog.text
    box = reporter._box
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "hunter2" not in box.informativeText() and "hunter2" not in box.detailedText()
    # a second error while the box is up is logged, not stacked
    error = DeviceOffline("eWeLink", 503, "offline", message="Hall light is offline.")
    reporter(type(error), error, None)
    assert reporter._box is box and reporter.count == 2
    box.close()


async def test_main_opens_the_site_and_closes_it_when_the_window_closes(monkeypatch):
    from app.ui.main_window import MainWindow

    opened = []
    open_workspace = application.open_workspace

    async def open_demo(**kwargs):
        kwargs["demo_site_options"] = {"live_drift_seconds": None}
        kwargs["store_events"] = False
        ws = await open_workspace(**kwargs)
        opened.append(ws)
        return ws

    monkeypatch.setattr(application, "open_workspace", open_demo)
    window = MainWindow(open_demo)
    main = asyncio.ensure_future(application._main(window, demo=True, site_file=None))
    try:
        await until(lambda: opened and window.ws is opened[0], 10, "the demo site")
        assert window.isVisible() and window.painted
        window.wizard.submit()
        await until(lambda: window.live_state == "online", 10, "the live connection")
        window.close()
        assert await asyncio.wait_for(main, 10) == 0
    finally:
        if not main.done():
            main.cancel()
            for ws in opened:
                await ws.close()
    ws = opened[0]
    assert ws.session.closed and ws.demo_site.ewelink is None  # everything shut down
    assert not window.isVisible() and window.ws is None
    window.deleteLater()


async def test_explore_the_demo_site_from_the_welcome_page(monkeypatch, window):
    # the welcome page is what a real, signed-out site shows; on it, "Explore the demo
    # site" closes the current site and opens a fresh demo site in its place
    old = window.ws
    opened = []

    async def open_demo(**kwargs):
        ws = await application.open_workspace(demo=kwargs["demo"], store_events=False,
                                              demo_site_options={"live_drift_seconds": None})
        opened.append(ws)
        return ws

    window._open_workspace = open_demo
    window.wizard.show_welcome()
    window.wizard.welcome.demo_button.click()
    await until(lambda: opened and window.ws is opened[0], 10, "the new demo site")
    assert old.session.closed
    assert window.root.currentWidget() is window.wizard
    assert window.wizard.sign_in_page.account.text() == "demo@sitekit.example"
    window.detach()
    await opened[0].close()


async def test_a_site_that_cannot_open_is_explained_and_exits_1(monkeypatch, tmp_path):
    from app.ui.main_window import MainWindow

    reported = []
    monkeypatch.setattr(sys, "excepthook", lambda *info: reported.append(info[1]))
    window = MainWindow(application.open_workspace)
    main = asyncio.ensure_future(
        application._main(window, demo=False, site_file=tmp_path / "missing-site.json"))
    try:
        await until(lambda: reported, 10, "the error")
        assert "Could not open the site. Cannot read the site file" in window.loading.text.text()
        window.close()
        assert await asyncio.wait_for(main, 5) == 1
    finally:
        if not main.done():
            main.cancel()
        window.deleteLater()
