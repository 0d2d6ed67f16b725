"""The Diagnostics screen: the live log (masked, filtered, copied, saved) and the export.
Set SITEKIT_SHOTS=dir to keep PNGs."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import zipfile
from pathlib import Path

import pytest

from app.core.logs import install_log_buffer
from tests.gui.support import until

log = logging.getLogger("app.test.diagnostics_page")


async def shot(widget, name: str) -> None:
    folder = os.environ.get("SITEKIT_SHOTS")
    if folder:
        await asyncio.sleep(0.05)  # let the layouts settle
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"diagnostics-{name}.png"))


def dispose(widget) -> None:
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent

    widget.hide()
    widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


@pytest.fixture
def buffer():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    installed = install_log_buffer()
    installed.clear()
    yield installed
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
async def page(qtbot, demo_ws, buffer):
    from app.ui.diagnostics.page import DiagnosticsPage
    from app.ui.tasks import Tasks

    log.info("before the page opened")
    tasks = Tasks()
    widget = DiagnosticsPage(tasks)
    widget.resize(1090, 620)
    widget.show()
    widget.attach(demo_ws)
    try:
        yield widget
    finally:
        for _ in range(300):
            if not tasks.running:
                break
            await asyncio.sleep(0.01)
        await tasks.cancel_all()
        widget.detach()
        dispose(widget)


async def test_live_lines_arrive_masked_and_filter(page):
    assert "before the page opened" in page.view.toPlainText()
    log.info("GET /v2/device?token=s3cr3t-token&id=1")
    log.warning("the websocket closed")
    # from a worker thread too, as code under asyncio.to_thread logs
    worker = threading.Thread(target=lambda: log.error("from a worker password=hunter2"))
    worker.start()
    worker.join()
    await until(lambda: "from a worker" in page.view.toPlainText(), 3, "the batched lines")
    text = page.view.toPlainText()
    assert "token=***" in text and "s3cr3t" not in text and "hunter2" not in text
    await shot(page, "log")

    page.level.setCurrentIndex(2)  # warnings and errors
    assert "GET /v2/device" not in page.view.toPlainText()
    assert "the websocket closed" in page.view.toPlainText()
    page.search.setText("WORKER")
    assert page.view.toPlainText().strip().endswith("from a worker password=***")
    assert page.count.text().startswith("1 of ")
    log.error("a new error not matching the search")
    await asyncio.sleep(0.4)
    assert "not matching" not in page.view.toPlainText()
    assert page.copy() == page.shown_lines()[0]


async def test_save_writes_the_lines_shown(page, tmp_path):
    log.warning("worth keeping")
    await until(lambda: "worth keeping" in page.view.toPlainText(), 3)
    page.search.setText("worth")
    assert await page.save(tmp_path / "log.txt")
    assert (tmp_path / "log.txt").read_text(encoding="utf-8").strip().endswith("worth keeping")
    assert "Saved 1 log lines" in page.status.text()


async def test_export_writes_the_zip_and_shows_where(page, tmp_path):
    log.info("Authorization: Bearer abc.def.ghi")
    written = await page.export(tmp_path / "support")
    assert written == tmp_path / "support.zip"
    assert str(written) in page.status.text()
    with zipfile.ZipFile(written) as archive:
        text = archive.read("log.txt").decode()
    assert "Bearer ***" in text and "abc.def.ghi" not in text
    await shot(page, "exported")


async def test_the_pane_stays_bounded(page, monkeypatch):
    import app.ui.diagnostics.page as module

    for n in range(200):
        log.info("flood %d", n)
    await until(lambda: "flood 199" in page.view.toPlainText(), 3)
    assert page.view.maximumBlockCount() == module.BUFFER_SIZE
    page.detach()
    log.info("after detach")
    await asyncio.sleep(0.3)
    assert "after detach" not in page.view.toPlainText()
    assert not page.export_button.isEnabled()
