"""The elevator call form: a controller, from floor, to floor, Call, and the answer."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QSpinBox, QVBoxLayout, QWidget

from app.ui.widgets import Banner, form_label, form_layout, label, padded_card, primary_button
from app.vendors.nexhome.models import Device

# NEXhome numbers floors as the building does: basements below zero
LOWEST_FLOOR, HIGHEST_FLOOR = -9, 199


class ElevatorForm(QWidget):
    call_requested = Signal(str, int, int)  # device id, from floor, to floor

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.busy = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        frame, layout = padded_card((20, 16, 20, 18), 8)
        outer.addWidget(frame)
        layout.addWidget(label("Call a lift", "heading"))
        layout.addWidget(label("The lift comes to the first floor, then takes the passenger "
                               "to the second.", "hint", wrap=True))
        form = form_layout()
        self.controller = QComboBox()
        form.addRow(form_label("Controller"), self.controller)
        self.from_floor = self._floor_box(0)
        self.to_floor = self._floor_box(1)
        floors = QHBoxLayout()
        floors.setSpacing(8)
        floors.addWidget(self.from_floor)
        floors.addSpacing(6)
        floors.addWidget(label("To floor"))
        floors.addWidget(self.to_floor)
        floors.addStretch(1)
        from_label = form_label("From floor")
        # a spin box is shorter than a line edit: the form's usual inset would sit too low
        from_label.setContentsMargins(0, 3, 0, 0)
        form.addRow(from_label, floors)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.call_button = primary_button("Call lift")
        self.call_button.clicked.connect(self._call_clicked)
        buttons.addWidget(self.call_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.result = Banner()
        layout.addWidget(self.result)
        self.empty = label("", "hint", wrap=True)
        layout.addWidget(self.empty)
        self.from_floor.valueChanged.connect(lambda _: self._render())
        self.to_floor.valueChanged.connect(lambda _: self._render())
        self.set_controllers([])

    @staticmethod
    def _floor_box(value: int) -> QSpinBox:
        box = QSpinBox()
        box.setRange(LOWEST_FLOOR, HIGHEST_FLOOR)
        box.setValue(value)
        box.setMinimumWidth(70)
        return box

    def set_controllers(self, devices: list[Device]) -> None:
        current = self.controller.currentData()
        self.controller.clear()
        for device in devices:
            state = "" if device.online else " (offline)"
            self.controller.addItem(f"{device.display_name}{state}", device.id)
        index = self.controller.findData(current)
        if index >= 0:
            self.controller.setCurrentIndex(index)
        self.empty.setText("" if devices else "No elevator controller on this site.")
        self.empty.setVisible(not devices)
        self._render()

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self._render()

    def show_result(self, text: str, kind: str) -> None:
        self.result.show_message(text, kind)

    def _render(self) -> None:
        has = self.controller.count() > 0
        same = self.from_floor.value() == self.to_floor.value()
        self.call_button.setEnabled(has and not self.busy and not same)
        self.call_button.setText("Calling…" if self.busy else "Call lift")
        self.call_button.setToolTip("From and to are the same floor." if same else "")
        for widget in (self.controller, self.from_floor, self.to_floor):
            widget.setEnabled(has and not self.busy)

    def _call_clicked(self) -> None:
        device_id = self.controller.currentData()
        if device_id and not self.busy:
            self.call_requested.emit(device_id, self.from_floor.value(), self.to_floor.value())
