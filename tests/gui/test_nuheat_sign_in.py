"""The wizard's Nuheat page against the demo site's Nuheat simulator (no mocked HTTP).

Where a real user would sit at the browser, the tests put the simulator's login form
filler (or a "Cancel" click on that form) behind the page's `launch_browser`.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from PySide6.QtCore import Qt

from app.simulators.nuheat.login_form import LoginForm, login_form_filler
from app.ui.onboarding.nuheat_flow import DONE, READY, WAITING
from tests.gui.support import until


@pytest.fixture
async def wizard(qtbot):
    from app.ui.onboarding.wizard import OnboardingWizard
    from app.ui.tasks import Tasks

    tasks = Tasks()
    widget = OnboardingWizard(tasks)
    widget.resize(900, 700)
    widget.show()
    widget.emitted = []  # (signal name) in order
    for name in ("nuheat_signed_in", "nuheat_skipped", "nuheat_requested", "settings_requested"):
        getattr(widget, name).connect(lambda name=name: widget.emitted.append(name))
    try:
        yield widget
    finally:
        await tasks.cancel_all()
        widget.hide()
        widget.deleteLater()


def _click(qtbot, button) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _redirect_port(url: str) -> int:
    redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
    return urlsplit(redirect).port


async def _listening(port: int) -> bool:
    try:
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def _deny_in_browser(url: str) -> None:
    """The user presses Cancel on Nuheat's sign-in page instead of signing in."""
    async with aiohttp.ClientSession() as browser:
        async with browser.get(url) as page:
            form = LoginForm()
            form.feed(await page.text())
        target = urlsplit(url)._replace(path=form.action, query="").geturl()
        async with browser.post(target, data={**form.fields, "button": "cancel"},
                                allow_redirects=False) as answer:
            location = answer.headers["Location"]
        async with browser.get(location) as done:  # back to SiteKit's loopback receiver
            await done.read()


class Browser:
    """Stands in for the system browser: records pages, runs what the user does there."""

    def __init__(self, act=None) -> None:
        self.urls: list[str] = []
        self.act = act
        self.tasks: list[asyncio.Task] = []

    def __call__(self, url: str) -> bool:
        self.urls.append(url)
        if self.act is not None:
            self.tasks.append(asyncio.ensure_future(self.act(url)))
        return True


async def test_demo_site_sign_in_fills_the_simulated_form(wizard, demo_ws, qtbot):
    page = wizard.nuheat_page
    wizard.start_nuheat(demo_ws.nuheat.sign_in, simulated=True)
    assert page.isVisible() and not wizard.welcome.isVisible()
    assert not wizard.sign_in_page.isVisible()
    assert "demo site" in page.simulated_note.text() and "no browser opens" in page.simulated_note.text()
    assert page.sign_in_button.text() == "Sign in (simulated)"
    assert not page.steps.isVisible()  # no browser steps to explain on the demo site
    assert not demo_ws.nuheat.signed_in

    _click(qtbot, page.sign_in_button)
    assert wizard.nuheat_flow.state == WAITING
    assert page.waiting.isVisible() and page.cancel_button.isVisible()
    assert page.waiting_text.text() == "Signing in to the simulated Nuheat…"
    assert not page.sign_in_button.isVisible() and not page.skip_button.isEnabled()

    await until(lambda: "nuheat_signed_in" in wizard.emitted, 15, "nuheat_signed_in")
    assert demo_ws.nuheat.signed_in
    assert wizard.nuheat_flow.state == DONE
    assert not page.waiting.isVisible() and page.reason.text() == ""


async def test_real_browser_path_can_open_the_page_again(wizard, demo_ws, qtbot):
    """The page hands its own `open_browser` to the sign-in and offers the link again."""
    page = wizard.nuheat_page
    browser = Browser()
    page.launch_browser = browser
    wizard.start_nuheat(demo_ws.nuheat.sign_in, simulated=False)
    assert page.steps.isVisible() and page.sign_in_button.text() == "Sign in with Nuheat"
    assert "never sees your Nuheat password" in page.privacy.text()
    _click(qtbot, page.sign_in_button)
    await until(lambda: browser.urls, 10, "the browser to be opened")
    assert page.waiting_text.text() == "Waiting for you to sign in in the browser…"
    assert page.open_again_link.isVisible() and page.copy_link.isVisible()
    assert page.elapsed.text() == "0:00"

    # the user closed that tab; "open it again", and this time signs in there
    browser.act = login_form_filler(*demo_ws.nuheat.endpoints.demo_credentials)
    _click(qtbot, page.open_again_link)
    assert browser.urls[1] == browser.urls[0]
    await until(lambda: "nuheat_signed_in" in wizard.emitted, 15, "nuheat_signed_in")
    assert demo_ws.nuheat.signed_in


async def test_denied_in_the_browser_shows_the_reason_then_retry_works(wizard, demo_ws, qtbot):
    page = wizard.nuheat_page
    browser = Browser(_deny_in_browser)
    page.launch_browser = browser
    wizard.start_nuheat(demo_ws.nuheat.sign_in)
    _click(qtbot, page.sign_in_button)
    await until(lambda: page.reason.text(), 15, "the reason")
    assert "access_denied" in page.reason.text() and "cancelled" in page.reason.text()
    assert wizard.nuheat_flow.state == READY and not page.waiting.isVisible()
    assert page.sign_in_button.text() == "Try again"
    assert not page.settings_button.isVisible()  # nothing to fix in Settings
    assert not demo_ws.nuheat.signed_in and "nuheat_signed_in" not in wizard.emitted

    browser.act = login_form_filler(*demo_ws.nuheat.endpoints.demo_credentials)
    _click(qtbot, page.sign_in_button)
    assert page.reason.text() == ""  # a new attempt clears the old reason
    await until(lambda: "nuheat_signed_in" in wizard.emitted, 15, "nuheat_signed_in")


async def test_wrong_client_secret_sends_the_user_to_settings(wizard, demo_ws, qtbot):
    from app.services.nuheat import NuheatAccount

    endpoints = replace(demo_ws.nuheat.endpoints, client_secret="not-the-secret")
    account = NuheatAccount(replace(demo_ws.profile, nuheat=endpoints), demo_ws.settings,
                            demo_ws.secrets, demo_ws.session)
    page = wizard.nuheat_page
    try:
        wizard.start_nuheat(account.sign_in, simulated=True)
        _click(qtbot, page.sign_in_button)
        await until(lambda: page.reason.text(), 15, "the reason")
    finally:
        await account.close()
    assert "invalid_client" in page.reason.text()
    assert "client id or secret" in page.reason.text()
    assert page.settings_button.isVisible() and page.settings_button.property("primary")
    _click(qtbot, page.settings_button)
    assert wizard.emitted[-1] == "settings_requested"


async def test_sign_in_not_finished_in_time(wizard, demo_ws, qtbot):
    page = wizard.nuheat_page
    wizard.start_nuheat(lambda: demo_ws.nuheat.sign_in(lambda url: None, timeout=0.3))
    _click(qtbot, page.sign_in_button)
    await until(lambda: page.reason.text(), 10, "the reason")
    assert "not completed in time" in page.reason.text()
    assert page.sign_in_button.text() == "Try again"


async def test_cancel_stops_waiting_and_closes_the_loopback_receiver(wizard, demo_ws, qtbot):
    page = wizard.nuheat_page
    browser = Browser()  # the user never signs in
    page.launch_browser = browser
    wizard.start_nuheat(demo_ws.nuheat.sign_in)
    _click(qtbot, page.sign_in_button)
    await until(lambda: browser.urls, 10, "the browser to be opened")
    port = _redirect_port(browser.urls[0])
    assert await _listening(port)

    wizard.activateWindow()
    qtbot.keyClick(page.sign_in_button.window(), Qt.Key.Key_Escape)  # = Cancel
    await until(lambda: wizard.nuheat_flow.state == READY, 5, "the page to stop waiting")
    await until(lambda: wizard._nuheat_task.done(), 5, "the task")
    assert not await _listening(port)
    assert page.cancelled_note.isVisible() and page.reason.text() == ""
    assert page.sign_in_button.text() == "Try again" and page.skip_button.isEnabled()
    assert not demo_ws.nuheat.signed_in

    # again, cancelled with the button this time; a fresh receiver, closed as well
    _click(qtbot, page.sign_in_button)
    await until(lambda: len(browser.urls) == 2, 10, "the browser to be opened again")
    second = _redirect_port(browser.urls[1])
    assert await _listening(second)
    _click(qtbot, page.cancel_button)
    await until(lambda: wizard._nuheat_task.done(), 5, "the task")
    assert wizard.nuheat_flow.state == READY and not await _listening(second)
    _click(qtbot, page.skip_button)
    assert wizard.emitted[-1] == "nuheat_skipped"


async def test_a_new_start_supersedes_a_waiting_sign_in(wizard, demo_ws, qtbot):
    page = wizard.nuheat_page
    browser = Browser()
    page.launch_browser = browser
    wizard.start_nuheat(demo_ws.nuheat.sign_in)
    _click(qtbot, page.sign_in_button)
    await until(lambda: browser.urls, 10, "the browser to be opened")
    old = wizard._nuheat_task
    wizard.start_nuheat(demo_ws.nuheat.sign_in, simulated=True)  # e.g. the site changed
    _click(qtbot, page.sign_in_button)
    await until(lambda: old.done(), 5, "the old attempt to end")
    assert not await _listening(_redirect_port(browser.urls[0]))
    assert wizard.nuheat_flow.state in (WAITING, DONE)  # the old attempt did not reset it
    await until(lambda: "nuheat_signed_in" in wizard.emitted, 15, "nuheat_signed_in")


async def test_expired_sign_in_asks_to_sign_in_again_with_the_reason(wizard, demo_ws, qtbot):
    from app.core.errors import AuthError

    await demo_ws.nuheat.sign_in()
    sim = demo_ws.demo_site.nuheat
    sim.expire_refresh_tokens()
    sim.expire_access_tokens()
    demo_ws.nuheat.auth.tokens.expires_at = 0  # as an hour later: the client must renew
    with pytest.raises(AuthError) as caught:
        await demo_ws.nuheat.client.account()

    page = wizard.nuheat_page
    wizard.start_nuheat(demo_ws.nuheat.sign_in, simulated=True, error=caught.value.user_text())
    assert page.title.text() == "Sign in to Nuheat again"
    assert "expired" in page.reason.text() and page.reason.property("banner") == "warning"
    _click(qtbot, page.sign_in_button)
    await until(lambda: "nuheat_signed_in" in wizard.emitted, 15, "nuheat_signed_in")
    assert (await demo_ws.nuheat.client.account()).email


async def test_welcome_page_offers_nuheat_and_back_returns(wizard, demo_ws, qtbot):
    wizard.start(lambda *a: None, welcome=True)
    link = wizard.welcome.nuheat_link
    _click(qtbot, link)
    assert wizard.emitted == ["nuheat_requested"]
    wizard.start_nuheat(demo_ws.nuheat.sign_in, simulated=True)  # what the main window does
    page = wizard.nuheat_page
    assert page.isVisible() and page.back_button.isVisible() and not page.skip_button.isVisible()
    _click(qtbot, page.back_button)
    assert wizard.welcome.isVisible() and not page.isVisible()


async def test_missing_client_id_on_the_real_site(wizard, qtbot):
    from app.services.workspace import Workspace

    ws = await Workspace.open(store_events=False)  # the real clouds, nothing configured
    try:
        page = wizard.nuheat_page
        wizard.start_nuheat(ws.nuheat.sign_in, needs_client_id=not ws.nuheat.endpoints.client_id)
        assert "no Nuheat client ID" in page.client_note.text()
        assert page.settings_button.isVisible() and page.settings_button.property("primary")
        assert not page.sign_in_button.property("primary")
        _click(qtbot, page.sign_in_button)  # anyway: the service says what is missing
        await until(lambda: page.reason.text(), 5, "the reason")
        assert "no Nuheat client ID yet" in page.reason.text()
        assert page.client_note.text() == ""  # said once, by the reason
        _click(qtbot, page.settings_button)
        assert wizard.emitted[-1] == "settings_requested"
    finally:
        await ws.close()


# -- the page's rules, without Qt ------------------------------------------------------

def test_flow_rules():
    from app.ui.onboarding.nuheat_flow import NuheatSignInFlow, format_elapsed

    flow = NuheatSignInFlow()
    flow.start(simulated=True, needs_client_id=True)
    assert not flow.needs_client_id  # a simulated site brings its own client
    flow.start(needs_client_id=True)
    assert flow.offers_settings and flow.can_begin
    assert flow.action_text == "Sign in with Nuheat"
    assert flow.begin(100.0) and not flow.begin(101.0)  # one attempt at a time
    assert flow.busy and not flow.offers_settings and flow.elapsed(175.0) == 75.0
    assert format_elapsed(flow.elapsed(175.0)) == "1:15"
    flow.failed("Nuheat refused SiteKit's client id or secret.", config_error=True)
    assert flow.offers_settings and flow.action_text == "Try again" and flow.started_at is None
    flow.cancelled()  # not waiting: nothing to cancel
    assert not flow.cancelled_note and flow.error
    flow.begin(200.0)
    assert flow.error == "" and not flow.config_error
    flow.cancelled()
    assert flow.cancelled_note and flow.state == READY
    flow.begin(300.0)
    flow.succeeded()
    assert flow.state == DONE and not flow.busy
