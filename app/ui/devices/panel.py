"""The selected device: one toggle per channel, its readings, and what went wrong.

A toggle never pretends: clicking it marks the channel "pending…" until the service's
`set_switch` returns (the device acknowledged), then the toggle shows the state the
device reported. A failure is shown in words on the panel and the toggle falls back
to the device's real state.

The panel also says where the device answers ("On the LAN at 127.0.0.1:54321" or
"Cloud only") and lets the installer pick the route for commands: Auto (the LAN when the
device answers there, else the cloud), LAN or Cloud, remembered per device while
SiteKit runs. A device offline in the cloud but answering on the LAN can be switched.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Awaitable, Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QButtonGroup, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QSizePolicy, QVBoxLayout, QWidget)

from app.core.errors import SiteKitError
from app.core.events import Event
from app.services.describe import READING_FORMATS, event_summary, kind_label, kind_name
from app.ui import style
from app.ui.tasks import Tasks
from app.ui.widgets import Banner, StatusDot, ToggleSwitch, label, padded_card
from app.services.describe import READING_LABELS, offline_reason
from app.vendors.ewelink.models import Channel, Device

log = logging.getLogger(__name__)

# (deviceid, on, outlet or None for every channel, via) -> returns once the device acked
SetSwitch = Callable[[str, bool, "int | None", str], Awaitable[object]]
Route = Callable[[str, str], str]  # (deviceid, via) -> "lan" | "cloud"
LanAddress = Callable[[str], "str | None"]  # deviceid -> "host:port" on the LAN, or None
RecentEvents = Callable[[int], "list[Event]"]  # Feed.recent: the newest n, oldest first
RECENT_EVENTS = 8
RECENT_SCAN = 2000  # the feed's whole in-memory window: a quiet device's last events too
RECENT_REFRESH_MS = 250

ROUTES = (("auto", "Auto"), ("lan", "LAN"), ("cloud", "Cloud"))
ROUTE_TIPS = {
    "auto": "Over the LAN when the device answers there, otherwise through the cloud",
    "lan": "Always over the local network (works without internet)",
    "cloud": "Always through the eWeLink cloud",
}

def _segment_style(index: int, count: int) -> str:
    """Three buttons drawn as one segmented control."""
    left = "6px" if index == 0 else "0"
    right = "6px" if index == count - 1 else "0"
    return (f"QPushButton {{ padding: 3px 12px; border-radius: 0; "
            f"border-top-left-radius: {left}; border-bottom-left-radius: {left}; "
            f"border-top-right-radius: {right}; border-bottom-right-radius: {right}; "
            f"{'border-left: none; ' if index else ''}}}"
            f"QPushButton:checked {{ background: {style.ACCENT}; color: white; "
            f"border-color: {style.ACCENT}; }}")


class ChannelRow(QWidget):
    def __init__(self, outlet: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.outlet = outlet
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        self.name = label("")
        self.name.setStyleSheet("font-size: 14px;")
        self.state = label("", "hint")
        self.state.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.state.setMinimumWidth(80)
        self.toggle = ToggleSwitch()
        layout.addWidget(self.name, 1)
        layout.addWidget(self.state)
        layout.addSpacing(8)
        layout.addWidget(self.toggle)

    def render(self, channel: Channel, *, online: bool, pending: bool | None,
               unreachable: str = "The device is offline.") -> None:
        self.name.setText(channel.name)
        self.toggle.set_state(channel.on)
        self.toggle.set_pending(pending is not None)
        self.toggle.setEnabled(online and pending is None)
        if pending is not None:
            text = "pending…"
            tip = f"Switching {'on' if pending else 'off'}; waiting for the device to confirm."
        elif channel.on is None:
            text, tip = "unknown", "The device has not reported this channel yet."
        else:
            text, tip = ("On" if channel.on else "Off"), ""
        if not online:
            tip = unreachable
        self.state.setText(text)
        colour = style.WARN if pending is not None else (style.OK if channel.on and online
                                                         else style.MUTED)
        self.state.setStyleSheet(f"color: {colour}; font-size: 13px; font-weight: 600;")
        self.toggle.setToolTip(tip)
        self.toggle.setAccessibleName(f"{channel.name}: {text}")


class DevicePanel(QWidget):
    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._set_switch: SetSwitch | None = None
        self._route: Route | None = None
        self._lan_address: LanAddress | None = None
        self._via: dict[str, str] = {}  # deviceid -> the route chosen ("auto" unless changed)
        self.device: Device | None = None
        # (deviceid, outlet) -> the state asked for, while the command is in flight
        self._pending: dict[tuple[str, int], bool] = {}
        self._errors: dict[str, str] = {}  # deviceid -> the last command's failure
        self._last_report: dict[str, datetime] = {}
        self._rows: list[ChannelRow] = []
        self._row_device: str | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)

        self.empty = label("Select a device to switch it and see its readings.", "subtitle",
                           wrap=True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.empty, 1)

        self.header, header_layout = padded_card((18, 14, 18, 14), 4)
        top = QHBoxLayout()
        self.title = label("", "title")
        self.title.setWordWrap(True)
        top.addWidget(self.title, 1)
        self.online_dot = StatusDot()
        top.addWidget(self.online_dot)
        self.online_text = label("")
        self.online_text.setStyleSheet("font-weight: 600;")
        top.addWidget(self.online_text)
        header_layout.addLayout(top)
        self.details = label("", "hint", wrap=True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        header_layout.addWidget(self.details)
        header_layout.addSpacing(6)
        where = QHBoxLayout()
        where.setSpacing(6)
        self.lan_dot = StatusDot()
        where.addWidget(self.lan_dot)
        self.where = label("")
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where.addWidget(self.where, 1)
        header_layout.addLayout(where)
        route_row = QHBoxLayout()
        route_row.setSpacing(0)
        route_row.addWidget(label("Commands via", "hint"))
        route_row.addSpacing(8)
        self.route_group = QButtonGroup(self)
        self.route_buttons: dict[str, QPushButton] = {}
        for index, (via, text) in enumerate(ROUTES):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setToolTip(ROUTE_TIPS[via])
            button.setStyleSheet(_segment_style(index, len(ROUTES)))
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            self.route_group.addButton(button)
            self.route_buttons[via] = button
            route_row.addWidget(button)
            button.clicked.connect(lambda _=False, v=via: self.set_route(v))
        route_row.addStretch(1)
        header_layout.addLayout(route_row)
        self.route_note = label("", "hint", wrap=True)
        header_layout.addWidget(self.route_note)
        layout.addWidget(self.header)

        self.banner = Banner()
        layout.addWidget(self.banner)

        self.switches, switches_layout = padded_card((18, 12, 18, 12), 2)
        switches_top = QHBoxLayout()
        switches_top.setSpacing(6)
        switches_top.addWidget(label("Switches", "section"), 1)
        self.all_on = QPushButton("All on")
        self.all_off = QPushButton("All off")
        for button in (self.all_on, self.all_off):
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            switches_top.addWidget(button)
        switches_layout.addLayout(switches_top)
        self.rows_layout = QVBoxLayout()
        self.rows_layout.setSpacing(0)
        switches_layout.addLayout(self.rows_layout)
        layout.addWidget(self.switches)
        self.all_on.clicked.connect(lambda: self._switch_all(True))
        self.all_off.clicked.connect(lambda: self._switch_all(False))

        self.readings, readings_layout = padded_card((18, 12, 18, 14))
        readings_layout.addWidget(label("Readings", "section"))
        self.readings_grid = QGridLayout()
        self.readings_grid.setHorizontalSpacing(24)
        self.readings_grid.setVerticalSpacing(2)
        readings_layout.addLayout(self.readings_grid)
        layout.addWidget(self.readings)

        self.recent, recent_layout = padded_card((18, 12, 18, 14), 4)
        recent_layout.addWidget(label("Recent events", "section"))
        self.recent_empty = label("No events from this device since SiteKit opened.", "hint")
        recent_layout.addWidget(self.recent_empty)
        self.recent_grid = QGridLayout()
        self.recent_grid.setHorizontalSpacing(12)
        self.recent_grid.setVerticalSpacing(2)
        self.recent_grid.setColumnStretch(2, 1)
        # fixed label slots, filled in place: a live refresh never rebuilds widgets
        self.recent_rows: list[tuple[QLabel, QLabel, QLabel]] = []
        for slot in range(RECENT_EVENTS):
            cells = (label("", "hint"), label(""), label(""))
            cells[2].setWordWrap(True)
            for column, cell in enumerate(cells):
                self.recent_grid.addWidget(cell, slot, column)
            self.recent_rows.append(cells)
        recent_layout.addLayout(self.recent_grid)
        layout.addWidget(self.recent)
        self._recent_source: RecentEvents | None = None
        # one refresh per burst: events for the shown device only schedule it
        self._recent_timer = QTimer(self)
        self._recent_timer.setSingleShot(True)
        self._recent_timer.setInterval(RECENT_REFRESH_MS)
        self._recent_timer.timeout.connect(self._render_recent)

        self.last_report = label("", "hint")
        layout.addWidget(self.last_report)
        self.stretch = QWidget()
        self.stretch.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        layout.addWidget(self.stretch)
        self.render()

    # -- inputs -----------------------------------------------------------------------

    def set_switcher(self, set_switch: SetSwitch | None) -> None:
        self._set_switch = set_switch

    def set_routing(self, route: Route | None, lan_address: LanAddress | None) -> None:
        """Where commands go and where the device answers on the LAN (the inventory's
        `route` and the LAN presence's `address`); None: cloud only, no selector."""
        self._route = route
        self._lan_address = lan_address
        self.render()

    def set_route(self, via: str) -> None:
        """The route for the selected device's commands: auto, lan or cloud."""
        if self.device is None:
            return
        self._via[self.device.deviceid] = via
        self._errors.pop(self.device.deviceid, None)
        self.render()

    def route_of(self, deviceid: str) -> str:
        return self._via.get(deviceid, "auto")

    def set_event_source(self, recent: "RecentEvents | None") -> None:
        """The feed's in-memory window (`ws.feed.recent`), read for "Recent events"."""
        self._recent_source = recent
        self._render_recent()

    def event_arrived(self, event: Event) -> None:
        """Any live event; cheap for events of other devices (they are the flood)."""
        if self.device is not None and event.device == self.device.deviceid:
            if not self._recent_timer.isActive():
                self._recent_timer.start()

    def show_device(self, device: Device | None) -> None:
        self.device = device
        self.render()

    def device_reported(self, deviceid: str, when: datetime) -> None:
        self._last_report[deviceid] = when
        if self.device is not None and self.device.deviceid == deviceid:
            self._render_last_report()

    def clear_state(self) -> None:
        self._via.clear()
        self._pending.clear()
        self._errors.clear()
        self._last_report.clear()
        self.show_device(None)

    # -- queries (tests and the tour use them) ----------------------------------------

    def row(self, outlet: int) -> ChannelRow:
        for row in self._rows:
            if row.outlet == outlet:
                return row
        raise KeyError(outlet)

    @property
    def rows(self) -> list[ChannelRow]:
        return list(self._rows)

    def is_pending(self, deviceid: str | None = None) -> bool:
        deviceid = deviceid or (self.device.deviceid if self.device else "")
        return any(key[0] == deviceid for key in self._pending)

    def error_text(self) -> str:
        return self.banner.text()

    # -- commands ---------------------------------------------------------------------

    def _clicked(self, outlet: int) -> None:
        device = self.device
        if device is None or (device.deviceid, outlet) in self._pending:
            return
        channel = next((c for c in device.channels if c.outlet == outlet), None)
        if channel is None:
            return
        target = not channel.on
        only = None if len(device.channels) == 1 else outlet
        self._command(device, target, only, [outlet])

    def _switch_all(self, on: bool) -> None:
        device = self.device
        if device is None:
            return
        outlets = [c.outlet for c in device.channels]
        if any((device.deviceid, o) in self._pending for o in outlets):
            return
        self._command(device, on, None, outlets)

    def _command(self, device: Device, on: bool, outlet: int | None, outlets: list[int]) -> None:
        if self._set_switch is None:
            return
        for o in outlets:
            self._pending[(device.deviceid, o)] = on
        self._errors.pop(device.deviceid, None)
        self.render()
        self._tasks.spawn(self._run_command(device, on, outlet, outlets,
                                            self.route_of(device.deviceid)),
                          name=f"switch {device.deviceid}")

    async def _run_command(self, device: Device, on: bool, outlet: int | None,
                           outlets: list[int], via: str) -> None:
        try:
            await self._set_switch(device.deviceid, on, outlet, via)
        except SiteKitError as exc:
            self._errors[device.deviceid] = exc.user_text()
        except Exception as exc:
            log.exception("switching %s failed unexpectedly", device.deviceid)
            self._errors[device.deviceid] = (
                f"Switching {device.name} failed unexpectedly ({type(exc).__name__}). "
                "The log has the details.")
        finally:
            for o in outlets:
                self._pending.pop((device.deviceid, o), None)
            if self.device is not None and self.device.deviceid == device.deviceid:
                self.render()

    # -- rendering --------------------------------------------------------------------

    def render(self) -> None:
        device = self.device
        has_device = device is not None
        self.empty.setVisible(not has_device)
        for widget in (self.header, self.last_report, self.stretch, self.recent):
            widget.setVisible(has_device)
        if device is None:
            self.banner.clear()
            self.switches.hide()
            self.readings.hide()
            return

        self.title.setText(device.name)
        self.online_dot.set_colour(style.OK if device.online else style.MUTED)
        self.online_text.setText("Online" if device.online else "Offline")
        self.online_text.setStyleSheet(
            f"font-weight: 600; color: {style.OK if device.online else style.MUTED};")
        product = " ".join(p for p in (device.brand, device.model) if p)
        self.details.setText("  ·  ".join(p for p in (kind_label(device), product,
                                                      f"ID {device.deviceid}") if p))

        reachable, unreachable, tip = self._render_route(device)
        error = self._errors.get(device.deviceid, "")
        if error:
            self.banner.show_message(error, "error")
        elif not reachable:
            self.banner.show_message(unreachable, "warning")
        elif not device.online:
            self.banner.show_message(
                f"{device.name} is offline in the cloud but answers on this network: "
                f"switching goes over the LAN.", "info")
        else:
            self.banner.clear()

        self._render_channels(device, reachable, tip)
        self._render_readings(device)
        self._render_last_report()
        self._render_recent()

    def _render_route(self, device: Device) -> tuple[bool, str, str]:
        """The where/route lines; returns (can it be switched now, why not, in short)."""
        deviceid = device.deviceid
        address = self._lan_address(deviceid) if self._lan_address else None
        via = self.route_of(deviceid)
        route = self._route(deviceid, via) if self._route else "cloud"
        if address:
            self.where.setText(f"On the LAN at {address}")
            self.lan_dot.set_colour(style.OK)
        else:
            self.where.setText("Cloud only: not answering on this network (LAN)")
            self.lan_dot.set_colour(style.MUTED)
        for key, button in self.route_buttons.items():
            button.setChecked(key == via)
            button.setVisible(self._route is not None)
        notes = {"auto": f"Auto: over the {'LAN' if route == 'lan' else 'cloud'} now.",
                 "lan": "Always over the LAN (works without internet).",
                 "cloud": "Always through the eWeLink cloud."}
        self.route_note.setText(notes[via] if self._route is not None else "")
        if route == "lan":
            if address:
                return True, "", ""
            return False, (f"{device.name} is not answering on this network (LAN), so "
                           f"commands over the LAN cannot reach it. Choose Auto or Cloud, "
                           f"or put this laptop on the device's network."), \
                "Not answering on this network (LAN)."
        if not device.online:
            return False, offline_reason(device), "The device is offline."
        return True, "", ""

    def _render_channels(self, device: Device, reachable: bool, tip: str) -> None:
        channels = device.channels
        outlets = [c.outlet for c in channels]
        if self._row_device != device.deviceid or [r.outlet for r in self._rows] != outlets:
            for row in self._rows:
                self.rows_layout.removeWidget(row)
                row.hide()
                row.deleteLater()
            self._rows = []
            for channel in channels:
                row = ChannelRow(channel.outlet)
                row.toggle.clicked.connect(lambda _=False, o=channel.outlet: self._clicked(o))
                self.rows_layout.addWidget(row)
                self._rows.append(row)
            self._row_device = device.deviceid
        for row, channel in zip(self._rows, channels):
            row.render(channel, online=reachable,
                       pending=self._pending.get((device.deviceid, channel.outlet)),
                       unreachable=tip)
        self.switches.setVisible(bool(channels))
        multi = len(channels) > 1
        busy = any((device.deviceid, o) in self._pending for o in outlets)
        for button in (self.all_on, self.all_off):
            button.setVisible(multi)
            button.setEnabled(reachable and not busy)

    def _render_readings(self, device: Device) -> None:
        while self.readings_grid.count():
            item = self.readings_grid.takeAt(0)
            if item.widget():
                item.widget().hide()  # removed from the layout it would linger until deleted
                item.widget().deleteLater()
        readings = [(key, value) for key, value in device.readings.items()
                    if key in READING_FORMATS and value is not None]
        for column, (key, value) in enumerate(readings):
            self.readings_grid.addWidget(label(READING_LABELS.get(key, key), "hint"), 0, column)
            value_label = label(READING_FORMATS[key].format(value), "value")
            value_label.setObjectName(f"reading-{key}")
            self.readings_grid.addWidget(value_label, 1, column)
        if readings:
            self.readings_grid.setColumnStretch(len(readings), 1)
        self.readings.setVisible(bool(readings))

    def _render_last_report(self) -> None:
        device = self.device
        when = self._last_report.get(device.deviceid) if device else None
        if when is None:
            self.last_report.setText("No report from this device since SiteKit opened.")
        else:
            self.last_report.setText(f"Last report {when.astimezone():%H:%M:%S}")

    def _render_recent(self) -> None:
        device = self.device
        events: list[Event] = []
        if device is not None and self._recent_source is not None:
            events = [e for e in self._recent_source(RECENT_SCAN)
                      if e.device == device.deviceid][-RECENT_EVENTS:]
        events.reverse()  # newest first: the one that just happened is on top
        self.recent_empty.setVisible(not events)
        for slot, (when, kind, summary) in enumerate(self.recent_rows):
            event = events[slot] if slot < len(events) else None
            for cell in (when, kind, summary):
                cell.setVisible(event is not None)
            if event is None:
                continue
            when.setText(f"{event.time.astimezone():%H:%M:%S}")
            when.setToolTip(f"{event.time.astimezone():%Y-%m-%d %H:%M:%S %Z}")
            kind.setText(kind_name(event.kind))
            colour = {"offline": style.ERROR, "error": style.ERROR, "online": style.OK}.get(
                event.kind)  # the same colours as the Events pane
            kind.setStyleSheet(f"color: {colour};" if colour else "")
            summary.setText(event_summary(event, device))

    @property
    def recent_texts(self) -> list[str]:
        """The rows of "Recent events" as shown, newest first (for tests and copy)."""
        return [" ".join(c.text() for c in cells) for cells in self.recent_rows
                if not cells[0].isHidden()]
