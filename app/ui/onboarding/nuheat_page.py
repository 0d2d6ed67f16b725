"""The Nuheat sign-in page: what will happen, waiting for the browser, why it failed.

It renders `NuheatSignInFlow`; the wizard runs the sign-in and owns the task.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from app.ui.onboarding.nuheat_flow import (DONE, NO_CLIENT_ID, WAITING, NuheatSignInFlow,
                                           format_elapsed)
from app.ui.widgets import (Banner, Spinner, label, link_button, numbered_row, padded_card,
                            primary_button)

STEPS = (
    "Your browser opens Nuheat's sign-in page.",
    "Sign in there with the Nuheat account that owns the thermostats, and allow SiteKit "
    "access.",
    "Come back here: SiteKit finishes by itself.",
)
PRIVACY = ("SiteKit never sees your Nuheat password. Nuheat gives SiteKit a sign-in of its own, "
           "which you can revoke from your Nuheat account at any time.")
SIMULATED = ("This is the demo site: SiteKit fills in the simulated Nuheat sign-in page "
             "with the demo account, so no browser opens. With a real Nuheat account your "
             "browser opens Nuheat's page instead.")


class NuheatSignInPage(QWidget):
    def __init__(self, flow: NuheatSignInFlow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.flow = flow
        self.url = ""  # the sign-in page the browser was sent to, for "open it again"
        self.browser_failed = False
        self.clock = time.monotonic

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        self.title = label("Sign in to Nuheat", "title")
        layout.addWidget(self.title)
        layout.addWidget(label("Connect the Nuheat account that owns this site's floor-heating "
                               "thermostats.", "subtitle", wrap=True))

        self.simulated_note = Banner()
        layout.addWidget(self.simulated_note)
        self.reason = Banner()  # why the last attempt (or the stored sign-in) failed
        layout.addWidget(self.reason)
        self.client_note = Banner()
        layout.addWidget(self.client_note)

        self.steps = QWidget()
        steps = QVBoxLayout(self.steps)
        steps.setContentsMargins(0, 4, 0, 0)
        steps.setSpacing(8)
        for number, text in enumerate(STEPS, 1):
            steps.addLayout(numbered_row(number, text))
        self.privacy = label(PRIVACY, "hint", wrap=True)
        steps.addSpacing(2)
        steps.addWidget(self.privacy)
        layout.addWidget(self.steps)

        self.waiting, waiting = padded_card((14, 12, 14, 12), spacing=6)
        top = QHBoxLayout()
        top.setSpacing(10)
        self.spinner = Spinner()
        top.addWidget(self.spinner)
        self.waiting_text = label("", wrap=True)
        self.waiting_text.setStyleSheet("font-weight: 600;")
        top.addWidget(self.waiting_text, 1)
        self.elapsed = label("0:00", "hint")
        top.addWidget(self.elapsed)
        waiting.addLayout(top)
        self.waiting_hint = label("", "hint", wrap=True)
        waiting.addWidget(self.waiting_hint)
        again = QHBoxLayout()
        again.setSpacing(14)
        self.open_again_link = link_button("Open the sign-in page again")
        self.open_again_link.clicked.connect(self.open_again)
        again.addWidget(self.open_again_link)
        self.copy_link = link_button("Copy the link")
        self.copy_link.clicked.connect(self.copy_url)
        again.addWidget(self.copy_link)
        again.addStretch(1)
        waiting.addLayout(again)
        layout.addWidget(self.waiting)

        self.cancelled_note = label("Sign-in cancelled. Nothing was changed.", "hint")
        layout.addWidget(self.cancelled_note)
        self.done_note = Banner()
        layout.addWidget(self.done_note)

        layout.addSpacing(4)
        buttons = QHBoxLayout()
        self.back_button = QPushButton("Back")
        buttons.addWidget(self.back_button)
        self.skip_button = QPushButton("Not now")
        self.skip_button.setToolTip("Skip Nuheat for now; Settings and the Thermostats screen "
                                    "offer the sign-in later.")
        buttons.addWidget(self.skip_button)
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        buttons.addWidget(self.cancel_button)
        self.settings_button = QPushButton("Open Settings")
        buttons.addWidget(self.settings_button)
        self.sign_in_button = primary_button("Sign in with Nuheat")
        self.sign_in_button.setMinimumWidth(150)
        buttons.addWidget(self.sign_in_button)
        layout.addLayout(buttons)

        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        flow.on_change(self.render)
        self.render()

    # -- the browser ------------------------------------------------------------------

    def launch_browser(self, url: str) -> bool:
        """Open `url` in the system browser (tests put the simulator's form filler here)."""
        return QDesktopServices.openUrl(QUrl(url))

    def open_browser(self, url: str) -> None:
        """Given to the sign-in as its `open_browser`: remember the page, then open it."""
        self.url = url
        self.browser_failed = not self.launch_browser(url)
        self.render()

    def open_again(self) -> None:
        if self.url:
            self.browser_failed = not self.launch_browser(self.url)
            self.render()

    def copy_url(self) -> None:
        if self.url:
            QGuiApplication.clipboard().setText(self.url)
            self.copy_link.setText("Link copied")

    # -- rendering --------------------------------------------------------------------

    def _tick(self) -> None:
        self.elapsed.setText(format_elapsed(self.flow.elapsed(self.clock())))

    def render(self) -> None:
        flow = self.flow
        waiting = flow.state == WAITING
        done = flow.state == DONE
        if not waiting:
            self.url, self.browser_failed = "", False
            self.copy_link.setText("Copy the link")
        self.title.setText(flow.title)

        if flow.simulated and not done:
            self.simulated_note.show_message(SIMULATED, "info")
        else:
            self.simulated_note.clear()
        if flow.error and not waiting:
            # a sign-in that stopped working is a warning; a failed attempt an error
            kind = "warning" if flow.again and not flow.attempts else "error"
            self.reason.show_message(flow.error, kind)
        else:
            self.reason.clear()
        show_client = flow.needs_client_id and not flow.error and not waiting and not done
        self.client_note.show_message(NO_CLIENT_ID if show_client else "", "warning")

        self.steps.setVisible(not waiting and not done and not flow.simulated)
        self.waiting.setVisible(waiting)
        self.cancelled_note.setVisible(flow.cancelled_note and not waiting and not done)
        self.done_note.show_message("Signed in to Nuheat." if done else "", "info")

        if waiting:
            if flow.simulated:
                self.waiting_text.setText("Signing in to the simulated Nuheat…")
                self.waiting_hint.setText("The demo account is being filled in; this takes a "
                                          "moment.")
            else:
                self.waiting_text.setText("Waiting for you to sign in in the browser…")
                hint = ("Finish on Nuheat's page, then come back here. If that page says the "
                        "client is unknown, the client ID in Settings is wrong.")
                if self.browser_failed:
                    hint = ("SiteKit could not open a browser. Copy the link into one and sign "
                            "in there; SiteKit keeps waiting.")
                self.waiting_hint.setText(hint)
            self._tick()
            if not self._ticker.isActive():
                self._ticker.start()
        else:
            self._ticker.stop()
        has_url = waiting and bool(self.url)
        self.open_again_link.setVisible(has_url)
        self.copy_link.setVisible(has_url)

        self.back_button.setVisible(flow.can_go_back and not done)
        self.back_button.setEnabled(not waiting)
        self.skip_button.setVisible(not flow.can_go_back and not done)
        self.skip_button.setEnabled(not waiting)
        self.cancel_button.setVisible(waiting)
        offers_settings = flow.offers_settings
        self.settings_button.setVisible(offers_settings)
        self.sign_in_button.setVisible(not waiting and not done)
        self.sign_in_button.setText(flow.action_text)
        self.sign_in_button.setEnabled(flow.can_begin)
        # with the client ID missing, Settings is the way forward: make it the primary
        self._set_primary(self.settings_button, offers_settings)
        self._set_primary(self.sign_in_button, not offers_settings)
        self.sign_in_button.setDefault(not offers_settings)

    @staticmethod
    def _set_primary(button: QPushButton, primary: bool) -> None:
        if bool(button.property("primary")) != primary:
            from app.ui import style

            button.setProperty("primary", primary)
            style.polish(button)
