"""The bridge batches live events and device changes: fewer signals, nothing lost."""

from __future__ import annotations

from types import SimpleNamespace

from app.core.events import Event
from app.ui.bridge import WorkspaceSignals
from tests.gui.support import until


def _workspace():
    listeners: dict[str, object] = {}

    def subscribe(name):
        def add(callback):
            listeners[name] = callback
            return lambda: listeners.pop(name, None)
        return add

    ws = SimpleNamespace(
        inventory=SimpleNamespace(subscribe=subscribe("device")),
        feed=SimpleNamespace(subscribe=subscribe("event")),
        subscribe_status=subscribe("status"),
        thermostats=SimpleNamespace(subscribe=subscribe("thermostat"),
                                    subscribe_quota=subscribe("quota")))
    return ws, listeners


async def test_events_and_device_changes_arrive_in_batches_in_order(qtbot):
    ws, listeners = _workspace()
    signals = WorkspaceSignals(ws)
    batches: list[list[Event]] = []
    changes: list[frozenset[str]] = []
    signals.events.connect(batches.append)
    signals.devices_changed.connect(changes.append)
    published = [Event("ewelink", f"d{n % 3}", "state", {"n": n}) for n in range(1000)]
    for event in published:
        listeners["event"](event)
        listeners["device"](event.device)
    assert batches == [] and changes == []  # nothing per event
    await until(lambda: sum(len(b) for b in batches) == len(published), 5, "the batch")
    assert [e for batch in batches for e in batch] == published
    assert len(batches) < 10
    assert set().union(*changes) == {"d0", "d1", "d2"} and len(changes) < 10
    signals.disconnect_services()


def test_a_whole_new_list_and_a_disconnect_emit_at_once(qtbot):
    ws, listeners = _workspace()
    signals = WorkspaceSignals(ws)
    batches: list[list[Event]] = []
    changes: list[frozenset[str]] = []
    signals.events.connect(batches.append)
    signals.devices_changed.connect(changes.append)
    first = Event("ewelink", "d1", "state", {})
    listeners["event"](first)
    listeners["device"]("d1")
    listeners["device"]("")  # signed out: the screens must not wait for a timer
    assert changes == [frozenset({"d1", ""})] and batches == [[first]]
    last = Event("ewelink", "d2", "state", {})
    listeners["event"](last)
    signals.disconnect_services()  # the pages are still attached: nothing is lost
    assert batches == [[first], [last]]
    assert listeners == {}
