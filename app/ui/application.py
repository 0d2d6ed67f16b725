"""Start and stop the GUI: QApplication, the qasync loop, the workspace, clean shutdown.

Order matters:
1. the window is shown first and painted before anything slow happens (importing the
   HTTP stack, opening the site), so SiteKit appears at once;
2. closing the window does not end the loop (`setQuitOnLastWindowClosed(False)`, see
   qasync #39): the main coroutine closes the workspace (websocket, HTTP session,
   demo site servers, event store) and only then returns, which ends the loop.

This module imports Qt only inside functions: the CLI imports it to call
`has_display()` before deciding whether to start Qt at all.
"""

from __future__ import annotations

# Only what has_display() needs at import time: the CLI imports this module before it
# knows whether to start Qt, and everything before the first paint is start-up time.
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from app.services.workspace import Workspace
    from app.ui.main_window import MainWindow

BENCH_ENV = "SITEKIT_BENCH_FIRST_PAINT"


def _log():
    import logging

    return logging.getLogger(__name__)


def has_display() -> bool:
    """Whether Qt can open a window here (else it aborts with a platform-plugin error)."""
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY",
                                                     "QT_QPA_PLATFORM"))
    return True  # macOS and Windows always have a window system


def qt_app() -> "QApplication":
    """The one QApplication, styled; created on first use."""
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from app.ui.style import style_sheet

    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    if not app.property("sitekit_styled"):
        app.setApplicationName("SiteKit")
        app.setOrganizationName("SiteKit")
        app.setStyle("Fusion")  # the same look on every OS and offscreen
        font = QFont(app.font())
        if font.pointSizeF() < 10:
            font.setPointSizeF(10)
        app.setFont(font)
        app.setStyleSheet(style_sheet())
        app.setProperty("sitekit_styled", True)
        from app.ui import main_thread_gc

        main_thread_gc.install(app)  # Qt objects must never be freed on a worker thread
    # The main coroutine decides when to stop, after cleanup (qasync #39).
    app.setQuitOnLastWindowClosed(False)
    return app


async def open_workspace(**kwargs: Any) -> "Workspace":
    from app.services.workspace import Workspace

    return await Workspace.open(**kwargs)


class ErrorReporter:
    """sys.excepthook for the GUI: log the error (secrets masked) and show it, never modal."""

    def __init__(self, window: "MainWindow | None" = None) -> None:
        self.window = window
        self._box = None
        self._previous = sys.excepthook
        self.count = 0

    def install(self) -> None:
        sys.excepthook = self

    def uninstall(self) -> None:
        if sys.excepthook is self:
            sys.excepthook = self._previous

    def __call__(self, etype, value, tb) -> None:
        if issubclass(etype, KeyboardInterrupt):
            self._previous(etype, value, tb)
            return
        import traceback

        from app.core.errors import SiteKitError
        from app.core.logs import redact_text

        self.count += 1
        details = redact_text("".join(traceback.format_exception(etype, value, tb)))
        _log().error("Unhandled error:\n%s", details)
        if isinstance(value, SiteKitError):
            summary = value.user_text()
        else:
            summary = redact_text(f"{etype.__name__}: {value}")
        self._show(summary, details)

    def _show(self, summary: str, details: str) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication, QMessageBox

        if QApplication.instance() is None:
            return
        if self._box is not None and self._box.isVisible():
            return  # one box at a time; the rest is in the log
        box = QMessageBox(QMessageBox.Icon.Warning, "SiteKit",
                          "Something went wrong. SiteKit keeps running.", parent=self.window)
        box.setInformativeText(summary)
        box.setDetailedText(details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r: setattr(self, "_box", None))
        self._box = box
        box.open()  # never exec(): a nested loop inside a qasync task breaks it


def run_gui(demo: bool = False, site_file: Path | None = None) -> int:
    app = qt_app()
    from app.ui.main_window import MainWindow

    window = MainWindow(open_workspace)
    window.show_opening("Opening the demo site…" if demo else "Opening the site…")
    window.show()
    # Paint before asyncio, qasync and the services are even imported: the window is
    # there at once, and "Opening the site…" covers the rest of the start-up.
    _paint_now(window)
    if os.environ.get(BENCH_ENV):
        window.close()
        return 0
    from app.core.logs import install_log_buffer

    install_log_buffer()  # the Diagnostics screen's log (masked), from here on

    import asyncio
    import signal

    import qasync  # after PySide6, so qasync picks PySide6

    from PySide6.QtCore import QTimer

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    reporter = ErrorReporter(window)
    reporter.install()
    # Ctrl-C in the terminal closes the window like the close button does. Python only
    # runs signal handlers when it gets control, so a timer wakes it now and then.
    signal.signal(signal.SIGINT, lambda *_: window.close())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(250)
    try:
        return loop.run_until_complete(_main(window, demo=demo, site_file=site_file))
    finally:
        wake.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        reporter.uninstall()
        loop.close()
        asyncio.set_event_loop(None)


def _paint_now(window: "MainWindow", timeout_ms: int = 1000) -> None:
    """Run Qt alone until the window painted once (or timeout_ms passed)."""
    if window.painted:
        return
    from PySide6.QtCore import QEventLoop, QTimer

    wait = QEventLoop()
    window.first_painted.connect(wait.quit)
    QTimer.singleShot(timeout_ms, wait.quit)  # e.g. a minimised window never paints
    wait.exec()


async def _main(window: "MainWindow", *, demo: bool, site_file: Path | None) -> int:
    import asyncio

    from app.core.errors import SiteKitError

    closed = asyncio.get_running_loop().create_future()
    window.close_requested.connect(lambda: closed.done() or closed.set_result(None))
    if not window.isVisible():
        window.show_opening("Opening the demo site…" if demo else "Opening the site…")
        window.show()
    try:
        ws = await open_workspace(demo=demo, site_file=site_file)
    except Exception as exc:  # the window stays up to say why, until the user closes it
        reason = (exc.user_text() if isinstance(exc, SiteKitError)
                  else f"{type(exc).__name__}: {exc}")
        window.show_opening(f"Could not open the site. {reason}")
        sys.excepthook(type(exc), exc, exc.__traceback__)
        await closed
        return 1
    window.attach(ws)
    await closed
    window.hide()
    ws = window.detach()
    await window.tasks.cancel_all()
    if ws is not None:
        await ws.close()
    return 0
