"""The first-run and sign-in screens; they render `OnboardingFlow` and forward clicks.

The Nuheat sign-in (`nuheat_page.py`) shares the card: the welcome page links to it, and
the main window opens it with `start_nuheat` (after an eWeLink sign-in, from Settings or
the Thermostats screen, or when a stored Nuheat sign-in stopped working).
So do "Connect NEXhome" and "Connect NXCloud" (`vendor_pages.py`): the welcome page's
"Also on this site" row asks for them (`vendor_requested`), the main window answers with
`start_vendor(vendor, ws)`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QSizePolicy, QVBoxLayout, QWidget)

from app.core.errors import ConfigError, SiteKitError
from app.ui import style
from app.ui.onboarding.flow import REGIONS, SIGN_IN, WELCOME, OnboardingFlow, region_label
from app.ui.onboarding.nuheat_flow import NuheatSignInFlow
from app.ui.onboarding.nuheat_page import NuheatSignInPage
from app.ui.onboarding.vendor_pages import VendorConnectPage, connect_pages
from app.ui.tasks import Tasks
from app.ui.widgets import (Banner, Spinner, field_with_note, form_label, form_layout, label,
                            link_button, padded_card, primary_button)

if TYPE_CHECKING:
    from app.services.workspace import Workspace

log = logging.getLogger(__name__)

SignIn = Callable[[str, str, str], Awaitable[object]]
# `NuheatAccount.sign_in` itself fits: called with the page's `open_browser` on a real
# site (so the page can open the sign-in page again), with nothing on a simulated one.
NuheatSignIn = Callable[..., Awaitable[Any]]


def _takes_browser(sign_in: NuheatSignIn) -> bool:
    try:
        parameters = inspect.signature(sign_in).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
               for p in parameters)


def _titled_column(page: QWidget, title: str, subtitle: str) -> QVBoxLayout:
    """A page's column inside the card (which has the margins): title, then subtitle."""
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(10)
    layout.addWidget(label(title, "title"))
    layout.addWidget(label(subtitle, "subtitle", wrap=True))
    return layout


class WelcomePage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = _titled_column(
            self, "Welcome to SiteKit",
            "Pair, test and tune the smart devices on an installation. Start with an eWeLink "
            "account, or look around first.")
        layout.addSpacing(8)
        self.sign_in_button = self._choice(
            "Sign in to eWeLink",
            "Use the installer or customer account that owns the site's devices.")
        self.sign_in_button.set_primary(True)
        layout.addWidget(self.sign_in_button)
        self.demo_button = self._choice(
            "Explore the demo site",
            "A simulated site with switches, a power plug and a sensor. "
            "No account or network needed.")
        self.demo_button.set_primary(False)
        layout.addWidget(self.demo_button)
        layout.addSpacing(4)
        # the other vendors on one quiet row: the two big choices stay the way in
        others = QHBoxLayout()
        others.setSpacing(6)
        others.addWidget(label("Also on this site:", "hint"))
        self.nuheat_link = self._vendor_link(others, "Nuheat", "Sign in to Nuheat",
                                             "Nuheat floor-heating thermostats")
        self.nexhome_link = self._vendor_link(others, "NEXhome", "Connect NEXhome",
                                              "NEXhome door stations, monitors and lifts")
        self.nxcloud_link = self._vendor_link(others, "NXCloud", "Connect NXCloud",
                                              "NXCloud SMS and WhatsApp messages to residents")
        others.addStretch(1)
        layout.addLayout(others)

    @staticmethod
    def _vendor_link(row: QHBoxLayout, text: str, accessible: str, tip: str) -> QPushButton:
        if row.count() > 1:
            row.addWidget(label("·", "hint"))
        link = link_button(text)
        link.setAccessibleName(accessible)
        link.setToolTip(f"{accessible}: {tip}")
        row.addWidget(link)
        return link

    @staticmethod
    def _choice(title: str, detail: str) -> QPushButton:
        return ChoiceButton(title, detail)


class ChoiceButton(QPushButton):
    """A big button with a bold title and a wrapped explanation under it."""

    def __init__(self, title: str, detail: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("choice", True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName(title)
        self.setToolTip(detail)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(2)
        self.title = label(title)
        self.detail = label(detail, wrap=True)
        for part in (self.title, self.detail):
            part.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            part.setStyleSheet("background: transparent; color: inherit;")
            layout.addWidget(part)
        self.title.setStyleSheet("background: transparent; font-size: 15px; font-weight: 600;")
        self.detail.setStyleSheet("background: transparent; font-size: 12px;")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802 - the labels decide the height
        hint = self.layout().sizeHint()
        return QSize(max(hint.width(), 200), hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self.sizeHint()

    def set_primary(self, primary: bool) -> None:
        self.setProperty("primary", primary)
        colour = "white" if primary else style.TEXT
        detail = "#dbeafe" if primary else style.MUTED
        self.title.setStyleSheet(f"background: transparent; font-size: 15px; font-weight: 600; "
                                 f"color: {colour};")
        self.detail.setStyleSheet(f"background: transparent; font-size: 12px; color: {detail};")
        style.polish(self)


class SignInPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = _titled_column(self, "Sign in to eWeLink",
                                "Use the eWeLink account that owns the devices on this site.")
        self.demo_note = Banner()
        layout.addWidget(self.demo_note)

        form = form_layout()
        self.region = QComboBox()
        for code in REGIONS:
            self.region.addItem(region_label(code), code)
        self.region.setAccessibleName("Region")
        self.region.setToolTip("The region the account was created in. SiteKit follows the "
                               "cloud if the account lives in another one.")
        self.region_error = label("", "field-error", wrap=True)
        form.addRow(form_label("Region"), self._field(self.region, self.region_error))

        self.account = QLineEdit()
        self.account.setPlaceholderText("name@example.com or +44 7700 900123")
        self.account.setAccessibleName("Email or phone")
        self.account_error = label("", "field-error", wrap=True)
        form.addRow(form_label("Email or phone"),
                    self._field(self.account, self.account_error))

        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("eWeLink password")
        self.password.setAccessibleName("Password")
        self.password_error = label("", "field-error", wrap=True)
        form.addRow(form_label("Password"),
                    self._field(self.password, self.password_error))
        layout.addLayout(form)

        self.error = Banner()
        layout.addWidget(self.error)

        buttons = QHBoxLayout()
        self.back_button = QPushButton("Back")
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        self.spinner = Spinner()
        self.spinner.hide()
        buttons.addWidget(self.spinner)
        self.busy_label = label("Signing in…", "hint")
        self.busy_label.hide()
        buttons.addWidget(self.busy_label)
        self.sign_in_button = primary_button("Sign in")
        self.sign_in_button.setDefault(True)
        self.sign_in_button.setMinimumWidth(110)
        buttons.addWidget(self.sign_in_button)
        layout.addLayout(buttons)

        layout.addSpacing(6)
        footer = QHBoxLayout()
        footer.setSpacing(4)
        footer.addWidget(label("The eWeLink app ID and app secret are set in", "hint"))
        self.settings_link = link_button("Settings")
        footer.addWidget(self.settings_link)
        footer.addStretch(1)
        layout.addLayout(footer)

    @staticmethod
    def _field(field: QWidget, error: QLabel) -> QWidget:
        error.hide()  # until the flow has something to say
        return field_with_note(field, error)


class OnboardingWizard(QWidget):
    """Welcome page and sign-in page in a centred card."""

    signed_in = Signal()
    demo_requested = Signal()
    settings_requested = Signal()
    nuheat_requested = Signal()  # the welcome page's Nuheat link: answer with start_nuheat
    nuheat_signed_in = Signal()
    nuheat_skipped = Signal()
    # "nexhome" | "nxcloud": the welcome page's link (answer with start_vendor), then
    # Continue on the page (saved, or the demo site's own) or "Not now"
    vendor_requested = Signal(str)
    vendor_connected = Signal(str)
    vendor_skipped = Signal(str)

    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Content")
        self.flow = OnboardingFlow()
        self._tasks = tasks
        self._sign_in: SignIn | None = None
        self._site_label = ""
        self.nuheat_flow = NuheatSignInFlow()
        self._nuheat_sign_in: NuheatSignIn | None = None
        self._nuheat_task: asyncio.Task | None = None
        self._showing_nuheat = False
        self._showing_vendor = ""  # "nexhome" | "nxcloud" while its page is shown

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.card, card_layout = padded_card((32, 28, 32, 26))
        self.card.setFixedWidth(500)
        # Both pages in one column, only the current one shown: unlike a stacked widget
        # the card then fits the current page (wrapped text included) exactly.
        self.welcome = WelcomePage()
        self.sign_in_page = SignInPage()
        self.nuheat_page = NuheatSignInPage(self.nuheat_flow)
        card_layout.addWidget(self.welcome)
        card_layout.addWidget(self.sign_in_page)
        card_layout.addWidget(self.nuheat_page)
        self.vendor_pages: dict[str, VendorConnectPage] = connect_pages(tasks)
        for vendor, vendor_page in self.vendor_pages.items():
            card_layout.addWidget(vendor_page)
            vendor_page.connected.connect(lambda v=vendor: self._vendor_done(v, connected=True))
            vendor_page.skipped.connect(lambda v=vendor: self._vendor_done(v, connected=False))
            vendor_page.back_requested.connect(self._vendor_back)
        row.addWidget(self.card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

        page = self.sign_in_page
        self.welcome.sign_in_button.clicked.connect(lambda: self.flow.go("sign_in"))
        self.welcome.demo_button.clicked.connect(self.demo_requested.emit)
        page.back_button.clicked.connect(lambda: self.flow.go("back"))
        page.region.currentIndexChanged.connect(
            lambda _i: self.flow.set_field("region", page.region.currentData() or ""))
        page.account.textChanged.connect(lambda text: self.flow.set_field("account", text))
        page.password.textChanged.connect(lambda text: self.flow.set_field("password", text))
        page.account.editingFinished.connect(lambda: self.flow.touch("account"))
        page.password.editingFinished.connect(lambda: self.flow.touch("password"))
        page.password.returnPressed.connect(self.submit)
        page.account.returnPressed.connect(self.submit)
        page.sign_in_button.clicked.connect(self.submit)
        page.settings_link.clicked.connect(self.settings_requested.emit)
        self.welcome.nuheat_link.clicked.connect(self.nuheat_requested.emit)
        self.welcome.nexhome_link.clicked.connect(lambda: self.vendor_requested.emit("nexhome"))
        self.welcome.nxcloud_link.clicked.connect(lambda: self.vendor_requested.emit("nxcloud"))
        nuheat = self.nuheat_page
        nuheat.sign_in_button.clicked.connect(self.submit_nuheat)
        nuheat.cancel_button.clicked.connect(self.cancel_nuheat)
        nuheat.back_button.clicked.connect(self._nuheat_back)
        nuheat.skip_button.clicked.connect(self.nuheat_skipped.emit)
        nuheat.settings_button.clicked.connect(self.settings_requested.emit)
        self.flow.on_change(self._render)
        self._render()

    # -- wiring -----------------------------------------------------------------------

    def start(self, sign_in: SignIn, *, welcome: bool, site_label: str = "",
              region: str = "eu", account: str = "",
              credentials: tuple[str, str, str] | None = None, error: str = "") -> None:
        """Show the flow from its beginning for one workspace."""
        self.cancel_nuheat()
        self._showing_nuheat = False
        self._leave_vendor()
        self._sign_in = sign_in
        self._site_label = site_label
        self.flow.start(welcome=welcome, region=region, account=account, credentials=credentials)
        if error:
            self.flow.failed(error)

    def start_nuheat(self, sign_in: NuheatSignIn, *, error: str = "", simulated: bool = False,
                     needs_client_id: bool = False) -> None:
        """Show the Nuheat sign-in page.

        `error`: why a stored sign-in stopped working (the page then says "sign in again").
        `needs_client_id`: the real site has no client ID yet; the page sends the user to
        Settings first. Opened from the welcome page, "Back" returns there.
        """
        back = self._at_welcome()
        self._leave_vendor()
        if self._nuheat_task is not None and not self._nuheat_task.done():
            self._nuheat_task.cancel()  # a new start supersedes a sign-in still waiting
        self._nuheat_sign_in = sign_in
        self._showing_nuheat = True
        self.nuheat_flow.start(simulated=simulated, needs_client_id=needs_client_id,
                               error=error, back=back)
        self._render()

    def start_vendor(self, vendor: str, ws: "Workspace") -> None:
        """Show "Connect NEXhome" (`vendor` "nexhome") or "Connect NXCloud" ("nxcloud") for
        `ws`. Opened from the welcome page, "Back" returns there; elsewhere "Not now" emits
        `vendor_skipped`. Continue emits `vendor_connected`."""
        page = self.vendor_pages[vendor]  # KeyError for an unknown vendor: a wiring bug
        back = self._at_welcome() or (self._showing_vendor != "" and
                                       self.vendor_pages[self._showing_vendor].flow.can_go_back)
        self.cancel_nuheat()
        self._showing_nuheat = False
        self._leave_vendor()
        self._showing_vendor = vendor
        page.start(ws, back=back)
        self._render()

    @property
    def showing_vendor(self) -> str:
        return self._showing_vendor

    def _at_welcome(self) -> bool:
        return (not self._showing_nuheat and not self._showing_vendor
                and self.flow.step == WELCOME and self.flow.has_welcome)

    def _leave_vendor(self) -> None:
        if self._showing_vendor:
            self.vendor_pages[self._showing_vendor].stop()
            self._showing_vendor = ""

    def _vendor_back(self) -> None:
        self._leave_vendor()
        self._render()

    def _vendor_done(self, vendor: str, *, connected: bool) -> None:
        self._leave_vendor()
        self._render()
        (self.vendor_connected if connected else self.vendor_skipped).emit(vendor)

    def show_welcome(self) -> None:
        """Used by the tour to render the first-run page on any site."""
        self._showing_nuheat = False
        self._leave_vendor()
        self.flow.has_welcome = True
        self.flow.step = WELCOME
        self._render()

    def show_sign_in(self) -> None:
        self._showing_nuheat = False
        self._leave_vendor()
        self.flow.step = SIGN_IN
        self._render()

    @property
    def showing_nuheat(self) -> bool:
        return self._showing_nuheat

    # -- actions ----------------------------------------------------------------------

    def submit(self) -> None:
        request = self.flow.submit()
        if request is None or self._sign_in is None:
            if self._sign_in is None:
                self.flow.failed("SiteKit is still opening the site; try again in a moment.")
            return
        self._tasks.spawn(self._run_sign_in(*request), name="sign-in")

    async def _run_sign_in(self, region: str, account: str, password: str) -> None:
        try:
            await self._sign_in(region, account, password)
        except SiteKitError as exc:
            self.flow.failed(exc.user_text())
            return
        except Exception as exc:  # a bug, but the wizard must not stay busy forever
            log.exception("sign-in failed unexpectedly")
            self.flow.failed(f"Signing in failed unexpectedly ({type(exc).__name__}). "
                             "The log has the details.")
            return
        self.flow.succeeded()
        self.sign_in_page.password.clear()
        self.signed_in.emit()

    # -- Nuheat -----------------------------------------------------------------------

    def submit_nuheat(self) -> None:
        sign_in = self._nuheat_sign_in
        if sign_in is None or not self.nuheat_flow.begin(self.nuheat_page.clock()):
            return
        self._nuheat_task = self._tasks.spawn(self._run_nuheat(sign_in), name="nuheat sign-in")

    def cancel_nuheat(self) -> None:
        """Stop waiting; cancelling the sign-in task also closes its loopback receiver."""
        task = self._nuheat_task
        if task is not None and not task.done():
            task.cancel()

    async def _run_nuheat(self, sign_in: NuheatSignIn) -> None:
        flow = self.nuheat_flow
        me = asyncio.current_task()

        def current() -> bool:
            # an attempt superseded by a new start_nuheat must not touch the new one's page
            return self._nuheat_task is me

        try:
            if not flow.simulated and _takes_browser(sign_in):
                await sign_in(self.nuheat_page.open_browser)
            else:
                await sign_in()
        except asyncio.CancelledError:
            if current():
                flow.cancelled()
            raise
        except ConfigError as exc:
            if current():
                flow.failed(exc.user_text(), config_error=True)
            return
        except SiteKitError as exc:
            # invalid_client: Nuheat refused the client ID or secret from Settings
            if current():
                flow.failed(exc.user_text(),
                            config_error=getattr(exc, "code", None) == "invalid_client")
            return
        except Exception as exc:  # a bug, but the page must not wait forever
            log.exception("Nuheat sign-in failed unexpectedly")
            if current():
                flow.failed(f"Signing in to Nuheat failed unexpectedly ({type(exc).__name__}). "
                            "The log has the details.")
            return
        if current():
            flow.succeeded()
            self.nuheat_signed_in.emit()

    def _nuheat_back(self) -> None:
        self._showing_nuheat = False
        self._render()

    # -- rendering --------------------------------------------------------------------

    def _render(self) -> None:
        flow = self.flow
        page = self.sign_in_page
        elsewhere = self._showing_nuheat or bool(self._showing_vendor)
        self.nuheat_page.setVisible(self._showing_nuheat)
        for vendor, vendor_page in self.vendor_pages.items():
            vendor_page.setVisible(vendor == self._showing_vendor)
        # the vendor forms have long labels and a row of buttons: a wider card
        self.card.setFixedWidth(560 if self._showing_vendor else 500)
        self.welcome.setVisible(flow.step == WELCOME and not elsewhere)
        self.sign_in_page.setVisible(flow.step != WELCOME and not elsewhere)

        index = page.region.findData(flow.region)
        if index >= 0 and index != page.region.currentIndex():
            page.region.blockSignals(True)
            page.region.setCurrentIndex(index)
            page.region.blockSignals(False)
        if page.account.text() != flow.account:
            page.account.setText(flow.account)
        if page.password.text() != flow.password:
            page.password.setText(flow.password)

        errors = flow.visible_field_errors
        for name, widget, error_label in (("region", page.region, page.region_error),
                                          ("account", page.account, page.account_error),
                                          ("password", page.password, page.password_error)):
            text = errors.get(name, "")
            error_label.setText(text)
            error_label.setVisible(bool(text))
            if widget.property("invalid") != bool(text):
                widget.setProperty("invalid", bool(text))
                style.polish(widget)

        if flow.prefilled:
            site = self._site_label or "demo site"
            page.demo_note.show_message(
                f"This is the {site}: its demo account is filled in. Press Sign in.", "info")
        else:
            page.demo_note.clear()
        page.error.show_message(flow.error, "error")

        for widget in (page.region, page.account, page.password):
            widget.setEnabled(not flow.busy)
        page.sign_in_button.setEnabled(flow.can_submit)
        page.back_button.setVisible(flow.has_welcome)
        page.back_button.setEnabled(flow.can_go_back)
        page.spinner.setVisible(flow.busy)
        page.busy_label.setVisible(flow.busy)
