"""The Diagnostics screen: SiteKit's log (secrets masked) as it happens, and the zip for support.

Log records arrive on whatever thread logged them (workers under asyncio.to_thread log
too), so the listener only appends to a deque; a timer on the GUI thread shows them in
batches, which also keeps a burst of thousands of records from repainting per line.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLineEdit, QPlainTextEdit,
                               QPushButton, QWidget)

from app.core.logs import BUFFER_SIZE, LogLine, log_buffer
from app.services.diagnostics import export_diagnostics
from app.ui.tasks import Tasks
from app.ui.widgets import Banner, Page, label, primary_button

if TYPE_CHECKING:
    from app.services.workspace import Workspace
    from app.ui.bridge import WorkspaceSignals

log = logging.getLogger(__name__)

LEVELS = (("Debug and up", logging.DEBUG), ("Info and up", logging.INFO),
          ("Warnings and errors", logging.WARNING), ("Errors only", logging.ERROR))
FLUSH_MS = 250


class DiagnosticsPage(Page):
    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__("Diagnostics", "SiteKit's own log, with passwords, tokens and app "
                                        "secrets masked. Export diagnostics makes a zip to "
                                        "send to support.", parent)
        self._tasks = tasks
        self._ws: "Workspace | None" = None
        self._lines: deque[LogLine] = deque(maxlen=BUFFER_SIZE)
        self._incoming: deque[LogLine] = deque()  # filled on any thread, drained on this one
        self._unsubscribe: Callable[[], None] | None = None
        self._dialog: QFileDialog | None = None
        self.exporting = False

        toolbar = QHBoxLayout()
        self.level = QComboBox()
        for text, level in LEVELS:
            self.level.addItem(text, level)
        self.level.setCurrentIndex(1)
        self.level.setToolTip("The least severe records shown")
        self.level.currentIndexChanged.connect(self._refilter)
        toolbar.addWidget(self.level)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search the log…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(220)
        self.search.textChanged.connect(self._refilter)
        toolbar.addWidget(self.search)
        self.count = label("", "hint")
        toolbar.addWidget(self.count, 1)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the lines shown (or the selected text)")
        self.copy_button.clicked.connect(self.copy)
        self.save_button = QPushButton("Save…")
        self.save_button.setToolTip("Save the lines shown as a text file")
        self.save_button.clicked.connect(self.ask_save)
        self.export_button = primary_button("Export diagnostics…")
        self.export_button.setToolTip("A zip with versions, settings, which vendors are set up, "
                                      "the log and recent events; secrets masked")
        self.export_button.clicked.connect(self.ask_export)
        for button in (self.copy_button, self.save_button, self.export_button):
            toolbar.addWidget(button)
        self.body.addLayout(toolbar)

        self.view = QPlainTextEdit()
        self.view.setReadOnly(True)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.view.setMaximumBlockCount(BUFFER_SIZE)  # the pane stays bounded in a long session
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.view.setPlaceholderText("Nothing logged yet.")
        self.body.addWidget(self.view, 1)
        self.status = Banner()
        self.body.addWidget(self.status)

        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_MS)
        self._timer.timeout.connect(self.flush)
        self._update_count()

    # -- wiring -----------------------------------------------------------------------

    def attach(self, ws: "Workspace", signals: "WorkspaceSignals | None" = None) -> None:
        self._ws = ws
        self.export_button.setEnabled(True)
        if self._unsubscribe is None:
            buffer = log_buffer()
            self._unsubscribe = buffer.subscribe(self._incoming.append)
            self._lines.clear()
            self._incoming.clear()
            self._lines.extend(buffer.lines())
            self._refilter()
            self._timer.start()

    def detach(self) -> None:
        self._ws = None
        self.export_button.setEnabled(False)  # an export needs a site; the log stays
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._timer.stop()
        self.flush()

    # -- the log pane -----------------------------------------------------------------

    def flush(self) -> None:
        """Show the records that arrived since the last flush (the timer calls this)."""
        batch = []
        while self._incoming:
            batch.append(self._incoming.popleft())
        if not batch:
            return
        self._lines.extend(batch)
        shown = [line.text() for line in batch if self._matches(line)]
        if shown:
            self.view.appendPlainText("\n".join(shown))
        self._update_count()

    def shown_lines(self) -> list[str]:
        return [line.text() for line in self._lines if self._matches(line)]

    def _matches(self, line: LogLine) -> bool:
        if line.level < self.level.currentData():
            return False
        needle = self.search.text().strip().lower()
        return not needle or needle in line.text().lower()

    def _refilter(self) -> None:
        self.view.setPlainText("\n".join(self.shown_lines()))
        bar = self.view.verticalScrollBar()
        bar.setValue(bar.maximum())  # the newest lines are what people come here for
        self._update_count()

    def _update_count(self) -> None:
        shown = len(self.shown_lines())
        total = len(self._lines)
        noun = "line" if total == 1 else "lines"
        self.count.setText(f"{shown} of {total} {noun}" if shown != total else f"{total} {noun}")

    # -- copy / save --------------------------------------------------------------------

    def copy(self) -> str:
        text = self.view.textCursor().selectedText().replace("\u2029", "\n")
        if not text:
            text = "\n".join(self.shown_lines())
        QGuiApplication.clipboard().setText(text)
        self.status.show_message("Copied the log lines shown.", "info")
        return text

    def ask_save(self) -> None:
        # open(), not exec(): a nested modal loop must never run inside a qasync task
        dialog = QFileDialog(self, "Save log")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(["Text files (*.txt)", "All files (*)"])
        dialog.setDefaultSuffix("txt")
        dialog.selectFile("sitekit-log.txt")
        dialog.fileSelected.connect(lambda path: self._tasks.spawn(self.save(Path(path)),
                                                                   name="save log"))
        self._dialog = dialog
        dialog.open()

    async def save(self, path: Path) -> bool:
        lines = self.shown_lines()
        text = "\n".join(lines) + "\n"
        try:
            await asyncio.to_thread(path.write_text, text, encoding="utf-8")
        except OSError as exc:
            self.status.show_message(f"Could not save {path}: {exc.strerror or exc}.", "error")
            return False
        self.status.show_message(f"Saved {len(lines)} log lines to {path}.", "info")
        return True

    # -- export -------------------------------------------------------------------------

    def ask_export(self) -> None:
        dialog = QFileDialog(self, "Export diagnostics")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(["Zip files (*.zip)"])
        dialog.setDefaultSuffix("zip")
        dialog.selectFile("sitekit-diagnostics.zip")
        dialog.fileSelected.connect(lambda path: self._tasks.spawn(self.export(Path(path)),
                                                                   name="export diagnostics"))
        self._dialog = dialog
        dialog.open()

    async def export(self, path: Path) -> Path | None:
        ws = self._ws
        if ws is None or self.exporting:
            return None
        self.exporting = True
        self.export_button.setEnabled(False)
        self.status.show_message("Writing the diagnostics zip…", "info")
        try:
            written = await export_diagnostics(ws, path)
        except OSError as exc:
            self.status.show_message(f"Could not write {path}: {exc.strerror or exc}.", "error")
            return None
        finally:
            self.exporting = False
            self.export_button.setEnabled(self._ws is not None)
        if self._ws is ws:
            self.status.show_message(f"Diagnostics saved to {written}. Secrets are masked; "
                                     "send this file to support.", "success")
        return written
