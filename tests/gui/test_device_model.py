"""The device list model on its own: Qt's model rules and the wording of each column."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.ui.devices.model import DEVICE_ID_ROLE, KIND, NAME, STATE, STATUS, DeviceListModel
from app.vendors.ewelink.models import parse_device


def _devices():
    return [
        parse_device({"deviceid": "a1", "name": "Hall light", "uiid": 1, "online": True,
                      "params": {"switch": "on"}}),
        parse_device({"deviceid": "a4", "name": "Plant room", "uiid": 4, "online": True,
                      "params": {"switches": [{"switch": "on", "outlet": o % 2 and 1 or 0}
                                              for o in range(4)]}}),
        parse_device({"deviceid": "a5", "name": "Heat pump", "uiid": 32, "online": True,
                      "params": {"switch": "on", "power": "1234", "voltage": "230",
                                 "current": "5.4"}}),
        parse_device({"deviceid": "a6", "name": "Loft", "uiid": 15, "online": False,
                      "params": {"switch": "off", "currentTemperature": "21.5",
                                 "currentHumidity": "48"}}),
    ]


def test_model_passes_the_model_tester(qapp, qtmodeltester):
    devices = _devices()
    model = DeviceListModel(lambda: devices)
    model.reload()
    qtmodeltester.check(model)


def test_columns(qapp):
    devices = _devices()
    devices[1].params["switches"] = [{"switch": s, "outlet": o}
                                     for o, s in enumerate(["on", "off", "on", "off"])]
    model = DeviceListModel(lambda: devices)
    model.reload()
    rows = [[model.index(r, c).data() for c in (NAME, KIND, STATUS, STATE)] for r in range(4)]
    assert rows == [
        ["Hall light", "Switch", "Online", "On"],
        ["Plant room", "Multi-gang switch", "Online", "2 of 4 on"],
        ["Heat pump", "Power-metering plug", "Online", "On · 1,234 W"],
        ["Loft", "Temperature/humidity sensor", "Offline", "Off · 21.5 °C  48 %"],
    ]
    assert model.index(1, NAME).data(DEVICE_ID_ROLE) == "a4"
    assert model.index(3, NAME).data(Qt.ItemDataRole.ForegroundRole) is not None  # greyed
    assert "5.40 A" in model.index(2, NAME).data(Qt.ItemDataRole.ToolTipRole)


def test_one_device_changing_updates_one_row(qapp):
    devices = _devices()
    model = DeviceListModel(lambda: devices)
    model.reload()
    changed, resets = [], []
    model.dataChanged.connect(lambda tl, br: changed.append((tl.row(), br.row(), br.column())))
    model.modelReset.connect(lambda: resets.append(True))
    devices[0].apply({"switch": "off"})
    model.device_changed("a1")
    assert changed == [(0, 0, STATE)] and not resets
    assert model.index(0, STATE).data() == "Off"
    model.device_changed("")  # the whole list
    model.device_changed("new-id")  # a device the model has not seen
    assert len(resets) == 2


def test_a_batch_of_changes_is_one_update_over_the_rows_it_spans(qapp):
    # each dataChanged makes content-sized columns ask every cell again: one per batch
    devices = _devices()
    model = DeviceListModel(lambda: devices)
    model.reload()
    changed, resets = [], []
    model.dataChanged.connect(lambda tl, br: changed.append((tl.row(), br.row())))
    model.modelReset.connect(lambda: resets.append(True))
    model.devices_changed({"a4", "a6"})  # rows 1 and 3
    assert changed == [(1, 3)] and not resets
    model.devices_changed({"a1", "new-id"})  # one it has not seen: the whole list again
    assert resets == [True]
