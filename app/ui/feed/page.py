"""The Events screen: every live event, filterable, copyable, saveable as CSV."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView,
                               QLineEdit, QPushButton, QTreeView, QWidget)

from app.core.events import Event
from app.ui.feed.model import DEVICE, HEADERS, KIND, TIME, VENDOR, FeedModel, FeedRow
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
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)  # match any column
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

        toolbar = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: device, kind or text…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMinimumWidth(300)
        self.filter.textChanged.connect(self._filter_changed)
        toolbar.addWidget(self.filter)
        self.count = label("", "hint")
        toolbar.addWidget(self.count, 1)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the selected events (or all shown) as text")
        self.copy_button.clicked.connect(self.copy)
        self.save_button = QPushButton("Save as CSV…")
        self.save_button.clicked.connect(self.ask_save)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Clear this list (events stay in SiteKit's history)")
        self.clear_button.clicked.connect(self.model.clear)
        for button in (self.copy_button, self.save_button, self.clear_button):
            toolbar.addWidget(button)
        self.body.addLayout(toolbar)

        self.view = QTreeView()
        self.view.setModel(self.proxy)
        self.view.setRootIsDecorated(False)
        self.view.setUniformRowHeights(True)  # lets the view skip measuring every row
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAllColumnsShowFocus(True)
        header = self.view.header()
        header.setStretchLastSection(True)
        for column, width in ((TIME, 80), (VENDOR, 80), (DEVICE, 160), (KIND, 100)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
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

    def attach(self, ws: "Workspace", signals: "WorkspaceSignals") -> None:
        self.model.clear()
        self.model.set_resolver(ws.inventory.get)
        self.model.add_many(ws.feed.recent(500))
        signals.event.connect(self.add_event)

    def detach(self) -> None:
        self.model.set_resolver(lambda _id: None)

    def add_event(self, event: Event) -> None:
        self.model.add(event)

    # -- view behaviour ---------------------------------------------------------------

    def _filter_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self._update_count()

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
        dialog = QFileDialog(self, "Save events as CSV")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("CSV files (*.csv)")
        dialog.setDefaultSuffix("csv")
        dialog.selectFile("sitekit-events.csv")
        dialog.fileSelected.connect(lambda path: self.save_csv(Path(path)))
        self._dialog = dialog
        dialog.open()

    def save_csv(self, path: Path) -> int:
        rows = self.visible_rows()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["time", "vendor", "device", "device_id", "kind", "summary"])
        for row in rows:
            writer.writerow([row.time.astimezone().isoformat(timespec="seconds"), row.vendor,
                             row.device, row.deviceid, row.kind, row.summary])
        try:
            path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
        except OSError as exc:
            self.status.show_message(f"Could not save {path}: {exc.strerror or exc}.", "error")
            return 0
        self.status.show_message(f"Saved {len(rows)} events to {path}.", "info")
        return len(rows)
