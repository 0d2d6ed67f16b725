"""The Events screen: every live event, filterable by vendor, kind and text, pausable,
copyable, saveable as CSV or JSON, with older events loaded from history on demand."""

from __future__ import annotations

import inspect
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout,
                               QHeaderView, QLineEdit, QPushButton, QTableView, QWidget)

from app.core.events import Event
from app.ui.feed.delegate import FeedCellDelegate
from app.ui.feed.export import FORMATS, export_text, format_of
from app.ui.feed.filter import FeedFilter
from app.ui.feed.model import DEVICE, HEADERS, KIND, TIME, VENDOR, FeedModel, FeedRow
from app.ui.tasks import Tasks
from app.ui.widgets import Banner, Page, label

if TYPE_CHECKING:
    from app.services.workspace import Workspace
    from app.ui.bridge import WorkspaceSignals

log = logging.getLogger(__name__)


class EventsPage(Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Events", "Everything the devices and the cloud report, as it "
                                   "happens. Times are local.", parent)
        self.model = FeedModel(parent=self)
        self.proxy = FeedFilter(self)
        self.proxy.setSourceModel(self.model)
        self._tasks = Tasks()
        self._ws: "Workspace | None" = None

        toolbar = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Device name or text…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMinimumWidth(200)
        self.filter.textChanged.connect(self._filter_changed)
        toolbar.addWidget(self.filter, 1)
        self.vendor_filter = QComboBox()
        self.vendor_filter.setToolTip("Show one vendor's events")
        self.kind_filter = QComboBox()
        self.kind_filter.setToolTip("Show one kind of event")
        for combo, everything in ((self.vendor_filter, "All vendors"),
                                  (self.kind_filter, "All kinds")):
            combo.addItem(everything, "")
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.currentIndexChanged.connect(self._choice_changed)
            toolbar.addWidget(combo)
        self.model.names_seen.connect(self._refresh_choices)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Hold the list still; new events wait and none are lost")
        self.pause_button.toggled.connect(self.set_paused)
        # room for "Resume (9999 new)" from the start: the toolbar must not jump as it counts
        self.pause_button.setMinimumWidth(
            self.pause_button.fontMetrics().horizontalAdvance("Resume (9999 new)") + 28)
        self.model.pending_changed.connect(self._show_pending)
        self.older_button = QPushButton("Load older")
        self.older_button.setToolTip("Add earlier events from SiteKit's history above these")
        self.older_button.clicked.connect(self.load_older)
        self.older_button.setVisible(False)  # shown once a workspace offers history
        toolbar.addWidget(self.pause_button)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the selected events (or all shown) as text")
        self.copy_button.clicked.connect(self.copy)
        self.save_button = QPushButton("Save…")
        self.save_button.setToolTip("Save the events shown as CSV or JSON")
        self.save_button.clicked.connect(self.ask_save)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Clear this list (events stay in SiteKit's history)")
        self.clear_button.clicked.connect(self.model.clear)
        for button in (self.copy_button, self.save_button, self.clear_button):
            toolbar.addWidget(button)
        self.body.addLayout(toolbar)
        # a line of its own: in the toolbar the count and Load older made the page wider
        # than the window beside the navigation
        above_list = QHBoxLayout()
        self.count = label("", "hint")
        above_list.addWidget(self.count, 1)
        above_list.addWidget(self.older_button)
        self.body.addLayout(above_list)

        # A table, not a tree: a QTreeView lays out every row again on each insert or
        # removal (asking the model about each through Python), 17-33 ms per batch with a
        # full window in the flood bench; a table with fixed row heights only asks about the
        # rows on screen.
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setItemDelegate(FeedCellDelegate(self.view, self._row_shown))
        rows = self.view.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.view.fontMetrics().height() + 8)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setCornerButtonEnabled(False)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setStretchLastSection(True)
        # Fixed widths (measuring contents would lay out every row of a flood); sized from
        # the font so a larger or scaled font does not cut the times off. The sample texts
        # are the widest each column shows.
        metrics, padding = self.view.fontMetrics(), 28
        for column, sample in ((TIME, "88:88:88"), (VENDOR, "NEXhome"), (DEVICE, "M" * 12),
                               (KIND, "Connection")):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, metrics.horizontalAdvance(sample) + padding)
        self.body.addWidget(self.view, 1)
        self.status = Banner()
        self.body.addWidget(self.status)

        self._at_bottom = True
        self.proxy.rowsAboutToBeInserted.connect(self._remember_scroll)
        self.proxy.rowsInserted.connect(self._follow)
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset,
                       self.proxy.layoutChanged):
            signal.connect(self._update_count)
        self._dialog: QFileDialog | None = None
        self._update_count()

    # -- wiring -----------------------------------------------------------------------

    def _row_shown(self, index) -> FeedRow | None:
        number = self.proxy.mapToSource(index).row()
        return self.model.row_at(number) if 0 <= number < self.model.rowCount() else None

    def attach(self, ws: "Workspace", signals: "WorkspaceSignals") -> None:
        self._ws = ws
        self.model.clear()
        self._forget_choices()  # another site: its own vendors and kinds
        self.model.set_resolver(ws.inventory.get)
        self.model.add_many(ws.feed.recent(500))
        signals.events.connect(self.add_events)
        self.older_button.setVisible(_history_takes_before(ws))

    def detach(self) -> None:
        self._ws = None
        self.older_button.setVisible(False)
        self.model.set_resolver(lambda _id: None)

    def add_event(self, event: Event) -> None:
        self.model.add(event)

    def add_events(self, events: list[Event]) -> None:
        self.model.add(*events)

    # -- pause ------------------------------------------------------------------------

    def set_paused(self, paused: bool) -> None:
        if self.pause_button.isChecked() != paused:
            self.pause_button.setChecked(paused)  # comes back here through toggled
            return
        self.model.set_paused(paused)
        self._show_pending(self.model.pending if paused else 0)
        self._update_count()

    def _show_pending(self, pending: int) -> None:
        if not self.model.paused:
            self.pause_button.setText("Pause")
        elif pending:
            self.pause_button.setText(f"Resume ({pending} new)")
        else:
            self.pause_button.setText("Resume")

    # -- history ----------------------------------------------------------------------

    def load_older(self) -> None:
        if self._ws is not None:
            self.older_button.setEnabled(False)
            self._tasks.spawn(self._load_older(self._ws), name="feed-load-older")

    async def _load_older(self, ws: "Workspace") -> int:
        try:
            before = self.model.oldest_time
            room = self.model.capacity - self.model.rowCount()
            if room <= 0:
                self.status.show_message("The list is full; clear it to load older events.",
                                         "info")
                return 0
            try:
                events = await ws.feed.history(before=before, limit=min(room, 500))
            except Exception as exc:  # a broken store must not take the pane down
                log.exception("could not load older events")
                self.status.show_message(f"Could not load older events: {exc}", "error")
                return 0
            if ws is not self._ws:
                return 0
            top = self.proxy.mapToSource(self.view.indexAt(self.view.viewport().rect().topLeft()))
            added = self.model.prepend(events)
            if top.isValid() and added:
                # rows above push everything down; keep the same event at the top of the view
                anchor = self.proxy.mapFromSource(self.model.index(top.row() + added, 0))
                # the table updates its scroll range lazily: bring it up to date first, or the
                # scroll is clamped to the range it had before the rows came
                self.view.doItemsLayout()
                self.view.scrollTo(anchor, QAbstractItemView.ScrollHint.PositionAtTop)
            self.status.show_message(f"Loaded {added} older events." if added
                                     else "No older events.", "info")
            return added
        finally:
            self.older_button.setEnabled(True)

    # -- view behaviour ---------------------------------------------------------------

    def _filter_changed(self, text: str) -> None:
        self.proxy.set_text(text)
        self._update_count()

    def _choice_changed(self, *_args) -> None:
        self.proxy.set_vendor(self.vendor_filter.currentData() or "")
        self.proxy.set_kind(self.kind_filter.currentData() or "")
        self._update_count()

    def _forget_choices(self) -> None:
        self.model.vendors.clear()
        self.model.kinds.clear()
        for combo in (self.vendor_filter, self.kind_filter):
            combo.setCurrentIndex(0)
            while combo.count() > 1:
                combo.removeItem(combo.count() - 1)

    def _refresh_choices(self) -> None:
        for combo, names in ((self.vendor_filter, self.model.vendors),
                             (self.kind_filter, self.model.kinds)):
            have = {combo.itemData(i) for i in range(1, combo.count())}
            for name in sorted(names - have):
                # keep the list sorted without resetting the user's choice
                at = next((i for i in range(1, combo.count())
                           if combo.itemData(i).casefold() > name.casefold()), combo.count())
                combo.insertItem(at, name, name)

    def _remember_scroll(self, *_args) -> None:
        bar = self.view.verticalScrollBar()
        self._at_bottom = bar.value() >= bar.maximum() - 2

    def _follow(self, *_args) -> None:
        # only follow new events while the user is looking at the newest ones
        if self._at_bottom:
            self.view.scrollToBottom()

    def _update_count(self, *_args) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        if total == 0:
            self.count.setText("Waiting for events…")
        elif shown == total:
            self.count.setText(f"{total} events")
        else:
            self.count.setText(f"{shown} of {total} events")
        if self.model.paused:
            self.count.setText(self.count.text() + " · paused")

    # -- copy / save ------------------------------------------------------------------

    def visible_rows(self, selected_only: bool = False) -> list[FeedRow]:
        if selected_only:
            rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        else:
            rows = range(self.proxy.rowCount())
        return [self.model.row_at(self.proxy.mapToSource(self.proxy.index(r, 0)).row())
                for r in rows]

    def copy(self) -> str:
        rows = self.visible_rows(selected_only=True) or self.visible_rows()
        lines = ["\t".join(HEADERS)] + ["\t".join(row.cells()) for row in rows]
        text = "\n".join(lines)
        QGuiApplication.clipboard().setText(text)
        self.status.show_message(f"Copied {len(rows)} events.", "info")
        return text

    def ask_save(self) -> None:
        # open(), not exec(): a nested modal loop must never run inside a qasync task
        dialog = QFileDialog(self, "Save events")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(list(FORMATS.values()))
        dialog.setDefaultSuffix("csv")
        dialog.selectFile("sitekit-events.csv")
        dialog.filterSelected.connect(lambda chosen: self._suffix_for(dialog, chosen))
        dialog.fileSelected.connect(lambda path: self.save(Path(path)))
        self._dialog = dialog
        dialog.open()

    @staticmethod
    def _suffix_for(dialog: QFileDialog, name_filter: str) -> None:
        suffix = next((fmt for fmt, text in FORMATS.items() if text == name_filter), "csv")
        dialog.setDefaultSuffix(suffix)

    def save_csv(self, path: Path) -> int:
        return self.save(path, "csv")

    def save(self, path: Path, fmt: str | None = None) -> int:
        """Write the rows shown (filters applied) as CSV or JSON, chosen by the file's
        suffix unless `fmt` says; returns how many were written (0 on failure)."""
        rows = self.visible_rows()
        try:
            path.write_text(export_text(rows, fmt or format_of(path)), encoding="utf-8",
                            newline="")
        except OSError as exc:
            self.status.show_message(f"Could not save {path}: {exc.strerror or exc}.", "error")
            return 0
        self.status.show_message(f"Saved {len(rows)} events to {path}.", "info")
        return len(rows)


def _history_takes_before(ws: "Workspace") -> bool:
    """Whether this feed can page back (Feed.history(before=...)); older feeds cannot."""
    history = getattr(ws.feed, "history", None)
    try:
        return history is not None and "before" in inspect.signature(history).parameters
    except (TypeError, ValueError):
        return False
