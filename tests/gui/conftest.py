"""GUI tests: real widgets, offscreen, with asyncio running on the Qt loop (qasync).

How the loop works here (the hard part; pytest-qt has no qasync support, pytest-qt #448):
pytest-asyncio (>= 1.4) asks the `pytest_asyncio_loop_factories` hook for the loop of
every async test in this folder, and we answer with a `qasync.QEventLoop` on the one
QApplication. Each async test then runs inside `QApplication.exec()`: service coroutines,
aiohttp sockets, the simulator and Qt timers/paint all share one loop, exactly as in
the app. Async tests wait with `await until(...)` (polling with asyncio.sleep), never with
`qtbot.waitSignal`/`waitUntil`, which would nest a second event loop inside a task.
Plain (sync) tests are still fine for widgets and models that need no I/O.

One more seam: pytest-qt calls `QApplication.processEvents()` between the phases of a
test (after setup, after the call, around teardown). Between an async test's end and its
fixtures' teardown the qasync loop is open but not running, and a plain processEvents
would run asyncio callbacks (a websocket reply arriving just then, a task's next step)
with no running loop: aiohttp then fails with "no running event loop". So while a qasync
loop is open we let pytest-qt's event processing happen inside that loop instead.
"""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest
import pytestqt.plugin

DEMO_ACCOUNT = "demo@sitekit.example"
DEMO_PASSWORD = "sitekit-demo"


# in creation order: between phases the newest open loop is the current test's
_loops: "list[weakref.ref[asyncio.AbstractEventLoop]]" = []


def _qasync_loop():
    import qasync

    from app.ui.application import qt_app

    # qt_app() also turns off quit-on-last-window-closed, so closing a test window can
    # never stop the loop under a running test.
    loop = qasync.QEventLoop(qt_app())
    _loops[:] = [ref for ref in _loops if ref() is not None and not ref().is_closed()]
    _loops.append(weakref.ref(loop))
    return loop


_plain_process_events = pytestqt.plugin._process_events


def _process_events_in_loop() -> None:
    open_loops = [loop for loop in (ref() for ref in _loops)
                  if loop is not None and not loop.is_closed() and not loop.is_running()]
    if open_loops:
        open_loops[-1].run_until_complete(asyncio.sleep(0))  # processes Qt events too
    else:
        _plain_process_events()


pytestqt.plugin._process_events = _process_events_in_loop


def pytest_asyncio_loop_factories(config, item):
    # Only items under tests/gui see this conftest's hook, so other async tests keep
    # their ordinary asyncio loop.
    return {"qasync": _qasync_loop}


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_gui_thread():
    """The app collects cycles on a GUI-thread timer (app/ui/main_thread_gc.py); between
    tests no loop runs it, so collect here: what one test left is freed on this thread."""
    yield
    gc.collect()


@pytest.fixture
async def demo_ws():
    """The in-process demo site, without its random drift (tests push changes themselves)."""
    from app.services.workspace import Workspace

    ws = await Workspace.open(demo=True, store_events=False,
                              demo_site_options={"live_drift_seconds": None})
    try:
        yield ws
    finally:
        await ws.close()


@pytest.fixture
def sim(demo_ws):
    return demo_ws.demo_site.ewelink


@pytest.fixture
async def window(qtbot, demo_ws):
    """The main window on the demo site, shown offscreen, not signed in yet."""
    from app.ui.application import open_workspace
    from app.ui.main_window import MainWindow

    win = MainWindow(open_workspace)
    win.resize(1280, 760)
    win.show()
    win.attach(demo_ws)
    try:
        yield win
    finally:
        # let what the test started (a sign-in, a command) finish: cancelling aiohttp
        # mid-request only makes noise; cancel what is still running after that
        for _ in range(300):
            if not win.tasks.running:
                break
            await asyncio.sleep(0.01)
        win.hide()
        win.detach()
        await win.tasks.cancel_all()
        win.deleteLater()


@pytest.fixture
async def signed_in(window):
    """The window after signing in with the demo account, devices listed, live online."""
    from tests.gui.support import until

    window.wizard.submit()  # the demo credentials are filled in
    await until(lambda: window.devices.model.rowCount() == 7, 15, "the device list")
    await until(lambda: window.live_state == "online", 15, "the live connection")
    return window
