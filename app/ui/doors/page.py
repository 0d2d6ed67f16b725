"""The Doors screen: test every door and lift of a NEXhome intercom while commissioning it.

The doors of the site on the left (name, device, location, online, the last test), the
selected door on the right with a big Unlock (after a confirmation naming it), its answer at
once and its access record from the live feed within seconds; a lift call form under it;
the audit trail ("Recent commands") under the list.

Commands are never repeated by themselves: when NEXhome's answer is lost the screen asks,
and "Try again" sends the same REQUEST-ID so a door that did open does not open twice.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (QHBoxLayout, QPushButton, QScrollArea, QSplitter,
                               QStackedWidget, QTableView, QVBoxLayout, QWidget)

from app.core.errors import DeviceOffline, SiteKitError
from app.core.events import Event
from app.ui import style
from app.ui.devices.page import ListState
from app.ui.doors.dialogs import ConfirmUnlock, OutcomeUnknown, elevator_unknown, unlock_unknown
from app.ui.doors.elevator import ElevatorForm
from app.ui.doors.model import (DEVICE, DOOR_ID_ROLE, LAST, LOCATION, NAME, RESULT, STATUS,
                                TIME, WHAT, WHO, CommandListModel, DoorListModel)
from app.ui.doors.panel import DoorPanel
from app.ui.doors.wording import (ACCESS_KIND, DEVICE_KIND, EVENT_VENDOR, NOT_GRANTED,
                                  OFFLINE, ONLINE, OPENED, RECORD_WAIT_SECONDS, REFUSED,
                                  UNKNOWN, UNLOCKING, DoorRow, DoorTest, access_from_event,
                                  audit_line, door_rows, elevator_text, news_text,
                                  unlock_opened)
from app.ui.tasks import Tasks
from app.ui.widgets import (Banner, Page, StatusDot, column_dropping_table, label, padded_card,
                            primary_button, setup_list_table)
from app.vendors.nexhome.client import CommandOutcomeUnknown, PermissionDenied
from app.vendors.nexhome.models import ELEVATOR_CONTROLLER

if TYPE_CHECKING:
    from app.services.workspace import Workspace
    from app.ui.bridge import WorkspaceSignals

log = logging.getLogger(__name__)

AUDIT_LIMIT = 100
LIVE_TEXT = {"online": "Live", "connecting": "Connecting…", "reconnecting": "Reconnecting…",
             "stopped": "Not live", "signed_out": "Messages refused"}
NOT_CONFIGURED = ("SiteKit needs the NEXhome open-platform app of this site to test its doors: "
                  "the API address, developer ID, app ID and app secret. Enter them in "
                  "Settings → NEXhome; the Test button there says whether they work.")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _decision_exceptions() -> tuple[type[BaseException], ...]:
    """What an ambiguous failure raises: the service's CommandNeedsDecision (and the
    client's own exception, should it come through unwrapped)."""
    try:
        from app.services.building import CommandNeedsDecision
    except ImportError:  # pragma: no cover - the service is part of the same release
        return (CommandOutcomeUnknown,)
    return (CommandNeedsDecision, CommandOutcomeUnknown)


# NEXhome names the refused field (fieldPath); the form's own words point at it better
FORM_FIELDS = {"fromFloor": "From floor", "toFloor": "To floor", "deviceId": "Controller"}


def form_error(exc: SiteKitError) -> str:
    fields = [(FORM_FIELDS[path], message) for path, message, _code
              in getattr(exc, "field_errors", None) or [] if path in FORM_FIELDS]
    if not fields:
        return exc.user_text()
    return " ".join(f"{name}: {message.rstrip('.').lower()}." for name, message in fields)


# Drops Device, then Location, when too narrow: the panel beside the list (and each row's
# tooltip) names both, and the last test is what a technician looks for.
DoorTable = column_dropping_table((DEVICE, LOCATION), sized=(NAME, DEVICE, LOCATION, STATUS),
                                  stretch_minimum=170)


class DoorsPage(Page):
    settings_requested = Signal()

    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__("Doors", "Test the doors and lifts of the NEXhome intercom: unlock a "
                                  "door, see NEXhome's answer and the door's own access "
                                  "record, call a lift.", parent)
        self._tasks = tasks
        self._ws: "Workspace | None" = None
        self._signals: "WorkspaceSignals | None" = None
        self._connections: list = []
        self._unsubscribe: Callable[[], None] | None = None
        self._action: Callable[[], None] | None = None
        self._load_when_shown = False
        self._selected: str | None = None
        self._keep_selected: str | None = None
        self._audit_generation = 0
        self.loading = False
        self.loaded = False
        self.live_status = "stopped"
        self.tests: dict[str, DoorTest] = {}
        self.confirm_box: ConfirmUnlock | None = None
        self.unknown_box: OutcomeUnknown | None = None
        self._unknown_door: str | None = None
        self._status_override: dict[str, str] = {}  # door id → what NEXhome said since
        self._questions: list = []  # (make, retry, door id) waiting for the open question

        toolbar = QHBoxLayout()
        toolbar.setSpacing(10)
        self.live_dot = StatusDot()
        toolbar.addWidget(self.live_dot)
        self.live = label("", "hint")
        toolbar.addWidget(self.live)
        toolbar.addSpacing(6)
        self.count = label("", "hint")
        toolbar.addWidget(self.count, 1)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Read the devices and doors from NEXhome again")
        self.refresh_button.clicked.connect(self.refresh)
        toolbar.addWidget(self.refresh_button)
        self.body.addLayout(toolbar)

        self.refresh_banner = Banner()  # a failed refresh of a list already shown
        self.body.addWidget(self.refresh_banner)

        self.setup_state = self._build_setup_state()
        self.list_state = ListState()
        self.list_state.action.clicked.connect(lambda: self._action and self._action())
        self.content = self._build_content()
        self.stack = QStackedWidget()
        for widget in (self.setup_state, self.list_state, self.content):
            self.stack.addWidget(widget)
        self.body.addWidget(self.stack, 1)
        self._live_status("stopped")
        self.show_not_configured()

    # -- building ---------------------------------------------------------------------

    def _build_setup_state(self) -> QWidget:
        box = QWidget()
        outer = QVBoxLayout(box)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        frame, layout = padded_card((28, 24, 28, 24), 10)
        frame.setMaximumWidth(560)
        layout.addWidget(label("NEXhome is not set up for this site", "heading"))
        layout.addWidget(label(NOT_CONFIGURED, wrap=True))
        layout.addWidget(label("The demo site brings its own NEXhome building, if you want to "
                               "try the screen first.", "hint", wrap=True))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.settings_button = primary_button("Open Settings")
        self.settings_button.clicked.connect(self.settings_requested.emit)
        buttons.addWidget(self.settings_button)
        layout.addSpacing(4)
        layout.addLayout(buttons)
        row.addWidget(frame, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        return box

    def _build_content(self) -> QWidget:
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(12)
        self.model = DoorListModel(self)
        self.model.tests = self.tests
        self.table = DoorTable()
        setup_list_table(self.table, self.model, fit=(NAME, DEVICE, LOCATION, STATUS),
                         stretch=LAST)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setMinimumHeight(150)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())
        self.model.modelAboutToBeReset.connect(self._before_reset)
        self.model.modelReset.connect(self._after_reset)
        column.addWidget(self.table, 1)

        frame, layout = padded_card((16, 12, 16, 14), 8)
        header = QHBoxLayout()
        header.addWidget(label("Recent commands", "section"))
        header.addStretch(1)
        header.addWidget(label("Every unlock and lift call from SiteKit, kept on this laptop.",
                               "hint"))
        layout.addLayout(header)
        self.commands_model = CommandListModel(self)
        self.commands = QTableView()
        setup_list_table(self.commands, self.commands_model, fit=(TIME, WHO, WHAT),
                         stretch=RESULT)
        self.commands.verticalHeader().setDefaultSectionSize(28)
        self.commands.setSelectionMode(QTableView.SelectionMode.NoSelection)
        self.commands.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.commands.setMinimumHeight(110)
        layout.addWidget(self.commands, 1)
        self.commands_error = Banner()
        layout.addWidget(self.commands_error)
        self.commands_empty = label("No commands yet: unlock a door or call a lift.", "hint")
        self.commands_empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.commands_empty, 1)
        self.commands.hide()
        column.addWidget(frame, 1)

        right = QWidget()
        right.setObjectName("ScrollBody")
        side = QVBoxLayout(right)
        side.setContentsMargins(0, 0, 4, 0)
        side.setSpacing(12)
        self.panel = DoorPanel()
        self.panel.unlock_requested.connect(self.ask_unlock)
        side.addWidget(self.panel)
        self.elevator = ElevatorForm()
        self.elevator.call_requested.connect(self.call_elevator)
        side.addWidget(self.elevator)
        side.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(right)
        scroll.setMinimumWidth(340)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.setHandleWidth(14)
        splitter.addWidget(left)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([660, 370])  # scaled to the real width when first laid out
        self.splitter = splitter
        return splitter

    # -- wiring -----------------------------------------------------------------------

    def attach(self, ws: "Workspace", signals: "WorkspaceSignals") -> None:
        self._ws = ws
        self._signals = signals
        self.tests.clear()
        self.loaded = False
        self._connections = [signals.events.connect(self._events)]
        # no bridge signal for the building: the page listens itself and stops on detach
        self._unsubscribe = ws.building.subscribe(self._building_changed)
        self._live_status(getattr(ws.building, "live_status", "stopped"))
        self._load_when_shown = False
        if not ws.building.configured:
            self.show_not_configured()
            return
        self.show_loading()
        # nothing is asked of NEXhome until someone looks at the screen
        self._load_when_shown = True
        if self.isVisible():
            self._load_pending()

    def detach(self) -> None:
        signals, self._signals = self._signals, None
        if signals is not None:
            for connection in self._connections:
                signals.disconnect(connection)
        self._connections = []
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._ws = None
        self._load_when_shown = False
        self._questions.clear()
        for box in (self.confirm_box, self.unknown_box):
            if box is not None:
                box.done(0)
        self.confirm_box = self.unknown_box = None
        self.tests.clear()
        self._status_override.clear()
        self.loaded = False
        self.model.set_rows([])
        self.commands_model.set_lines([])
        self.elevator.set_controllers([])
        self.elevator.show_result("", "info")
        self.show_not_configured()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        ws = self._ws
        if ws is not None and not self.loaded and not self.loading:
            # the NEXhome settings may have been saved since the screen was last shown
            if ws.building.configured:
                self._load_when_shown = True
            else:
                self.show_not_configured()
        self._load_pending()

    def _load_pending(self) -> None:
        if self._load_when_shown and self._ws is not None:
            self._load_when_shown = False
            self.refresh()

    # -- loading ----------------------------------------------------------------------

    def refresh(self) -> None:
        ws = self._ws
        if ws is None or self.loading:
            return
        if not ws.building.configured:
            self.show_not_configured()
            return
        self._tasks.spawn(self.load(), name="doors")

    async def load(self) -> bool:
        """Read devices and doors; the screen says what happened. Returns whether it worked."""
        ws = self._ws
        if ws is None:
            return False
        self.loading = True
        first = not self.loaded
        if first:
            self.show_loading()
        else:
            self.refresh_button.setEnabled(False)
            self.refresh_button.setText("Refreshing…")
        try:
            await ws.building.refresh()
        except SiteKitError as exc:
            self._load_failed(first, exc.user_text())
            return False
        except Exception as exc:  # noqa: BLE001 - the screen says so; the log has the rest
            log.exception("loading the NEXhome doors failed unexpectedly")
            self._load_failed(first, f"Loading failed unexpectedly ({type(exc).__name__}). "
                                     "The log has the details.")
            return False
        finally:
            self.loading = False
            self.refresh_button.setEnabled(True)
            self.refresh_button.setText("Refresh")
        if self._ws is not ws:
            return False
        self.loaded = True
        self.refresh_banner.clear()
        self._status_override.clear()  # the fresh list says how every door is
        self.show_doors()
        self.reload_audit()
        if getattr(ws.building, "live_status", "stopped") == "stopped":
            # access records arrive through the message subscription
            self._tasks.spawn(ws.building.start_live(), name="nexhome live")
        return True

    def _load_failed(self, first: bool, message: str) -> None:
        if first or self.stack.currentWidget() is not self.content:
            self.show_failed(message)
        else:
            self.refresh_banner.show_message(f"Could not refresh the doors: {message} The list "
                                             f"shows what was last read.", "warning")

    def reload_audit(self) -> None:
        ws = self._ws
        if ws is None:
            return
        self._audit_generation += 1
        self._tasks.spawn(self._read_audit(ws, self._audit_generation), name="doors: audit")

    async def _read_audit(self, ws: "Workspace", generation: int) -> None:
        try:
            entries = await ws.building.audit(AUDIT_LIMIT)
        except Exception as exc:  # noqa: BLE001 - the list says so; the screen stays usable
            log.exception("reading the audit trail failed")
            if self._ws is ws and generation == self._audit_generation:
                self.commands_error.show_message(
                    f"Could not read the recent commands ({type(exc).__name__}).", "error")
            return
        if self._ws is not ws or generation != self._audit_generation:
            return
        self.commands_error.clear()
        # the trail comes oldest first; the newest command is the one being looked at
        self.commands_model.set_lines([audit_line(e) for e in reversed(entries)])
        has = bool(entries)
        self.commands.setVisible(has)
        self.commands_empty.setVisible(not has)

    # -- states -----------------------------------------------------------------------

    def _show(self, widget: QWidget) -> None:
        self.stack.setCurrentWidget(widget)
        has_list = widget is self.content
        if not has_list:
            self.refresh_banner.clear()
        for item in (self.refresh_button, self.count, self.live, self.live_dot):
            item.setVisible(has_list)

    def show_not_configured(self) -> None:
        self._show(self.setup_state)

    def show_loading(self) -> None:
        self._action = None
        self.list_state.set("Loading doors…", "Asking NEXhome for this site's devices and "
                                              "doors.", busy=True)
        self._show(self.list_state)

    def show_failed(self, message: str) -> None:
        self._action = self.refresh
        self.list_state.set("Could not load the doors", error=message, action="Try again")
        self._show(self.list_state)

    def show_doors(self) -> None:
        ws = self._ws
        if ws is None:
            return
        building = ws.building
        rows = [row if row.status == NOT_GRANTED or row.id not in self._status_override
                else dataclasses.replace(row, status=self._status_override[row.id])
                for row in door_rows(building.doors, building.devices, building.door_name)]
        for row in rows:
            self.tests.setdefault(row.id, DoorTest())
        self.model.set_rows(rows)
        self.table.fit_columns()
        self.elevator.set_controllers([d for d in building.devices
                                       if d.type == ELEVATOR_CONTROLLER])
        if not rows:
            self._action = self.refresh
            self.list_state.set("No doors on this site",
                                "NEXhome lists no door stations or access controllers with "
                                "doors for this app.", action="Refresh")
            self._show(self.list_state)
            return
        self._show(self.content)
        self._update_count()
        if self._selected is None or self.model.row_of(self._selected) < 0:
            self.select_door(rows[0].id)

    def _update_count(self) -> None:
        rows = self.model.rows
        counts = {status: sum(1 for r in rows if r.status == status)
                  for status in (ONLINE, OFFLINE, NOT_GRANTED)}
        parts = [f"{len(rows)} doors", f"{counts[ONLINE]} online",
                 f"{counts[OFFLINE]} offline" if counts[OFFLINE] else "",
                 f"{counts[NOT_GRANTED]} not granted" if counts[NOT_GRANTED] else ""]
        self.count.setText(" · ".join(p for p in parts if p))

    def _live_status(self, status: str, message: str = "") -> None:
        self.live_status = status
        text = LIVE_TEXT.get(status, status)
        self.live.setText(f"Access records: {text.lower()}" if status != "online"
                          else "Access records: live")
        self.live_dot.set_colour(style.STATUS_COLOURS.get(status, style.MUTED))
        self.live.setToolTip(message or "Door access records and call logs from NEXhome's "
                                        "message subscription.")
        self.panel.set_live(status == "online", text)

    # -- selection --------------------------------------------------------------------

    def select_door(self, door_id: str) -> bool:
        row = self.model.row_of(door_id)
        if row < 0:
            return False
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        return True

    def door(self, door_id: str) -> DoorRow | None:
        return self.model.door_at(self.model.row_of(door_id))

    def _selection_changed(self) -> None:
        index = self.table.selectionModel().currentIndex()
        door_id = index.data(DOOR_ID_ROLE) if index.isValid() else None
        self._selected = door_id
        self._show_selected()

    def _show_selected(self) -> None:
        door = self.door(self._selected) if self._selected else None
        self.panel.show_door(door, self.tests.get(door.id) if door else None)

    def _before_reset(self) -> None:
        self._keep_selected = self._selected

    def _after_reset(self) -> None:
        keep = self._keep_selected
        if keep and self.model.row_of(keep) >= 0:
            self.select_door(keep)
            self._show_selected()
        else:
            self._selected = None
            self.panel.show_door(None, None)

    def _door_test_changed(self, door_id: str) -> None:
        self.model.door_changed(door_id)
        if door_id == self._selected:
            self._show_selected()

    # -- service notifications --------------------------------------------------------

    def _building_changed(self, what: str) -> None:
        # a handful of doors: rebuilding the rows is simpler than working out which changed
        if what == "live":
            return  # the live status comes as a feed event
        if self._ws is not None and self.loaded and not self.loading:
            self.show_doors()

    def _events(self, events: "list[Event]") -> None:
        # a batch of every vendor's events: in a flood nearly all are another vendor's
        for event in events:
            if event.vendor == EVENT_VENDOR:
                self._event(event)

    def _event(self, event: Event) -> None:
        if event.vendor != EVENT_VENDOR or self._ws is None:
            return
        if event.kind == "connection":
            payload = event.payload or {}
            self._live_status(str(payload.get("status") or ""), str(payload.get("message") or ""))
            return
        if event.kind == DEVICE_KIND:
            self._device_reported(event)
            return
        if event.kind != ACCESS_KIND:
            return
        building = self._ws.building
        record = access_from_event(event, lambda pid: (p.name if (p := building.person(pid))
                                                       else ""))
        if record is None:
            return
        test = self.tests.setdefault(record.door_id, DoorTest())
        test.record = record
        ours = record.remote and test.sent_at is not None
        if ours:
            test.record_after_unlock = True
        self._door_test_changed(record.door_id)
        box = self.unknown_box
        if ours and box is not None and self._unknown_door == record.door_id:
            box.set_news(news_text(record))

    def _device_reported(self, event: Event) -> None:
        """A station went on- or offline (NEXhome's DEVICE_STATUS): its doors follow at
        once, without a refresh."""
        online = (event.payload or {}).get("online")
        if not event.device or online is None or not self.loaded:
            return
        changed = False
        for row in self.model.rows:
            if row.device_id == event.device and row.status != NOT_GRANTED:
                self._status_override[row.id] = ONLINE if online else OFFLINE
                changed = True
        if changed:
            self._rebuild_rows()

    # -- unlock -----------------------------------------------------------------------

    def ask_unlock(self, door_id: str) -> None:
        """The confirmation naming the door; Unlock runs only when it is answered yes."""
        door = self.door(door_id)
        if door is None or not door.can_unlock or self._ws is None or self.confirm_box:
            return
        box = ConfirmUnlock(door, self)

        def answered(_result: int) -> None:
            self.confirm_box = None
            box.deleteLater()
            if box.confirmed:
                self.unlock(door_id)

        box.finished.connect(answered)
        self.confirm_box = box
        box.open()

    def unlock(self, door_id: str, request_id: str | None = None) -> None:
        """Send the unlock (already confirmed); `request_id` repeats an earlier request."""
        ws = self._ws
        test = self.tests.setdefault(door_id, DoorTest())
        if ws is None or test.state == UNLOCKING:
            return
        test.state = UNLOCKING
        test.retried = request_id is not None
        if not test.retried or test.sent_at is None:
            # a retry of the same request opens the door at most once: a record that came
            # after the first try is the record of this one
            test.sent_at = _now()
            test.record_after_unlock = False
        self._door_test_changed(door_id)
        # the spinner gives way to a note if no record comes
        QTimer.singleShot(RECORD_WAIT_SECONDS * 1000 + 100, self,
                          lambda: self._door_test_changed(door_id) if self._ws is ws else None)
        self._tasks.spawn(self._unlock(ws, door_id, request_id), name=f"unlock {door_id}")

    async def _unlock(self, ws: "Workspace", door_id: str, request_id: str | None) -> None:
        test = self.tests.setdefault(door_id, DoorTest())
        try:
            result = await ws.building.unlock(door_id, request_id=request_id)
        except _decision_exceptions() as exc:
            if self._ws is not ws:
                return
            test.state, test.at = UNKNOWN, _now()
            test.request_id = getattr(exc, "request_id", "") or (request_id or "")
            self._door_test_changed(door_id)
            self._ask_after_unknown_unlock(door_id, test, getattr(exc, "cause", ""))
            return
        except PermissionDenied:
            # the reason under the button says what to do; the audit keeps NEXhome's words
            self._refused(ws, door_id, "NEXhome refused: this door is not granted to this "
                                       "app (403).", status=NOT_GRANTED)
            return
        except DeviceOffline:
            self._refused(ws, door_id, "NEXhome says the door's station is offline.",
                          status=OFFLINE)
            return
        except SiteKitError as exc:
            self._refused(ws, door_id, exc.user_text())
            return
        except Exception as exc:  # noqa: BLE001
            log.exception("unlocking door %s failed unexpectedly", door_id)
            self._refused(ws, door_id, f"unexpected {type(exc).__name__}; the log has the "
                                       f"details.")
            return
        finally:
            if self._ws is ws:
                self.reload_audit()
        if self._ws is not ws:
            return
        test.at = _now()
        test.request_id = ""
        if unlock_opened(result):
            test.state = OPENED
        else:
            test.state, test.message = REFUSED, f"NEXhome answered “{result.result.lower()}”."
        self._door_test_changed(door_id)

    def _refused(self, ws: "Workspace", door_id: str, message: str, status: str = "") -> None:
        if self._ws is not ws:
            return
        test = self.tests.setdefault(door_id, DoorTest())
        test.state, test.at, test.message, test.request_id = REFUSED, _now(), message, ""
        test.sent_at = None  # nothing opened: no record to wait for
        if status:
            # NEXhome knows better than the list read earlier: show the door as it is now
            self._status_override[door_id] = status
            self._rebuild_rows(door_id)
        self._door_test_changed(door_id)

    def _rebuild_rows(self, door_id: str = "") -> None:
        self.show_doors()
        if door_id:
            self.model.door_changed(door_id)

    def _ask_after_unknown_unlock(self, door_id: str, test: DoorTest, cause: str) -> None:
        def make() -> OutcomeUnknown | None:
            door = self.door(door_id)
            if door is None:
                return None
            box = unlock_unknown(door, test.request_id, cause, test.at or _now(), self)
            if test.record_after_unlock and test.record is not None:
                box.set_news(news_text(test.record))
            return box

        self._ask(make, lambda request_id: self.unlock(door_id, request_id=request_id), door_id)

    def _ask(self, make: Callable[[], OutcomeUnknown | None],
             retry: Callable[[str], None], door_id: str | None = None) -> None:
        """One "no answer" question at a time; another lost answer meanwhile waits its turn
        (two doors tested at once must not leave one of them without its question)."""
        if self.unknown_box is not None:
            self._questions.append((make, retry, door_id))
            return
        box = make()
        if box is None:
            self._next_question()
            return

        def answered(_result: int) -> None:
            self.unknown_box = None
            self._unknown_door = None
            box.deleteLater()
            if box.retry and self._ws is not None:
                retry(box.request_id)
            self._next_question()

        box.finished.connect(answered)
        self.unknown_box = box
        self._unknown_door = door_id
        box.open()

    def _next_question(self) -> None:
        if self._questions and self._ws is not None:
            self._ask(*self._questions.pop(0))

    # -- elevator ---------------------------------------------------------------------

    def call_elevator(self, device_id: str, from_floor: int, to_floor: int,
                      request_id: str | None = None) -> None:
        ws = self._ws
        if ws is None or self.elevator.busy:
            return
        self.elevator.set_busy(True)
        self.elevator.show_result("", "info")
        self._tasks.spawn(self._call(ws, device_id, from_floor, to_floor, request_id),
                          name=f"elevator {device_id}")

    async def _call(self, ws: "Workspace", device_id: str, from_floor: int, to_floor: int,
                    request_id: str | None) -> None:
        controller = ws.building.device_name(device_id) or device_id
        try:
            result = await ws.building.call_elevator(device_id, from_floor, to_floor,
                                                     request_id=request_id)
        except _decision_exceptions() as exc:
            if self._ws is ws:
                self.elevator.show_result("No answer from NEXhome: the lift may or may not "
                                          "have been called.", "warning")
                self._ask_after_unknown_call(controller, device_id, from_floor, to_floor,
                                             getattr(exc, "request_id", "") or request_id or "",
                                             getattr(exc, "cause", ""))
            return
        except SiteKitError as exc:
            if self._ws is ws:
                self.elevator.show_result(f"Not called. {form_error(exc)}", "error")
            return
        except Exception as exc:  # noqa: BLE001
            log.exception("calling the lift of %s failed unexpectedly", device_id)
            if self._ws is ws:
                self.elevator.show_result(f"Not called: unexpected {type(exc).__name__}; the "
                                          f"log has the details.", "error")
            return
        finally:
            if self._ws is ws:
                self.elevator.set_busy(False)
                self.reload_audit()
        if self._ws is ws:
            self.elevator.show_result(elevator_text(result, controller, _now()), "success")

    def _ask_after_unknown_call(self, controller: str, device_id: str, from_floor: int,
                                to_floor: int, request_id: str, cause: str) -> None:
        if not request_id:
            return
        at = _now()
        self._ask(lambda: elevator_unknown(controller, from_floor, to_floor, request_id, cause,
                                           at, self),
                  lambda same: self.call_elevator(device_id, from_floor, to_floor,
                                                  request_id=same))
