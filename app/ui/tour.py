"""`sitekit tour`: drive the real window through every screen and save each as a PNG.

It signs in to the demo site with its demo credentials, waits for the devices and some
live events, switches a channel (caught while "pending…"), provokes the offline-device
error, and grabs each screen with `widget.grab()`. Without a display Qt renders
offscreen; with one the window is still never put on screen (WA_DontShowOnScreen).

On a site (`sitekit --site FILE tour`, e.g. the JSON `sitekit sim` printed) the tour has no
simulator objects, only what the app itself sees, so some screens are adapted and some are
skipped (logged, and no PNG written; a skipped screen is not a failure):
- sign-in: a site already signed in (an earlier run, `sitekit ewelink login`) is not signed
  in again, which would take its live session over; its sign-in page is still saved;
- devices: no button is pressed on a device first; the "pending" toggle is switched back
  afterwards; devices-error only if a device is offline already (else skipped);
- events: whatever the site reported within 10 s (no demo drift to wait for);
- pairing: only pair-start; the wizard's later pages and devices-lan pair a device for real,
  so they are skipped;
- thermostats: which one moved to API v2 is learnt as the app learns it, by reading each
  schedule (a 405 makes it read-only); the read-only screen is skipped when none has moved,
  the schedule screens when none is readable; events-nuheat shows the Nuheat events the site
  sent by itself (no change at the wall is simulated);
- doors: the confirmation is cancelled; doors-opened and doors-unknown (a real unlock, and a
  reply dropped by the simulator) are skipped; residents: the first door station's directory;
- messages: the number check only; messages-sent (a real SMS) is skipped.
A site without NEXhome/NXCloud/Nuheat gets those screens as they are (not set up).

A screen that cannot be reached stops the tour with a `TourError` naming the screen and
what it waited for (the screens before it are saved).

Nothing secret can appear: the password field is masked and the app secret is never
filled back into Settings.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from app.core.errors import SiteKitError
from app.ui.application import has_display, open_workspace, qt_app

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

SCREENS = ("welcome", "onboarding", "devices", "devices-pending", "devices-error", "events",
           "settings", "pair-start", "pair-wifi", "pair-progress", "pair-done", "devices-lan",
           "pair-failed", "thermostats", "thermostat-schedule", "thermostat-schedule-violation",
           "thermostat-schedule-read-only", "thermostat-energy-day", "thermostat-energy-week",
           "thermostat-energy-year", "events-nuheat", "nuheat-sign-in", "doors",
           "doors-confirm", "doors-opened", "doors-unknown", "residents",
           "residents-issue-qr", "residents-directory", "residents-announcement", "messages",
           "messages-sent", "connect-nexhome", "diagnostics")
# screens that are dialogs, saved at their own size rather than the window's
DIALOGS = frozenset({"residents-issue-qr", "doors-confirm", "doors-unknown"})
WINDOW_SIZE = (1280, 760)  # fits a 1366x768 laptop screen, the common worst case
SITE_EVENTS_WAIT = 10.0  # a site has no demo drift: the Events screen shows what came by then

log = logging.getLogger(__name__)


class TourError(SiteKitError):
    """The tour could not reach a screen: which one, and what it waited for."""

    def __init__(self, message: str, *, hint: str = "", screen: str = "") -> None:
        super().__init__(message, hint=hint)
        self.screen = screen


def run_tour(out_dir: Path, demo: bool = True, site_file: Path | None = None,
             texts: bool = False) -> list[Path]:
    """Render every screen to out_dir/<screen>.png (and with `texts`, the text it shows to
    <screen>.txt); returns the PNGs written."""
    if not has_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = qt_app()
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(tour(Path(out_dir), demo=demo, site_file=site_file,
                                            texts=texts))
    finally:
        loop.close()
        asyncio.set_event_loop(None)  # as asyncio.run leaves it


async def until(predicate: Callable[[], object], timeout: float, what: str,
                failed: Callable[[], str] | None = None) -> None:
    """Wait for predicate; TimeoutError names what was awaited. `failed()` is what the screen
    says when the wait is already lost (e.g. the sign-in page's error): no point waiting on."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        said = failed() if failed is not None else ""
        if said:
            raise SiteKitError(f"{what} failed; the screen says: {said}")
        if loop.time() > deadline:
            raise TimeoutError(f"it waited {timeout:g} s for {what}")
        await asyncio.sleep(0.02)


async def wait_for(predicate: Callable[[], object], timeout: float) -> bool:
    """Whether predicate came true within timeout (polled: Qt and the services run meanwhile)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


class _Camera:
    """`await shot(name[, widget])` saves a screen; `shot.skip(name, why)` notes one left out.
    Both mark progress, so a failure can name the screen the tour was working towards."""

    def __init__(self, save) -> None:
        self._save = save
        self.done: list[str] = []
        self.skipped: list[tuple[str, str]] = []

    async def __call__(self, name: str, widget=None, *, settle: float = 0.05) -> None:
        await self._save(name, widget, settle)
        self.done.append(name)

    def skip(self, name: str, why: str) -> None:
        log.info("tour: %s skipped: %s", name, why)
        self.done.append(name)
        self.skipped.append((name, why))

    def next_screen(self) -> str:
        reached = max((SCREENS.index(n) for n in self.done if n in SCREENS), default=-1)
        return SCREENS[reached + 1] if reached + 1 < len(SCREENS) else SCREENS[-1]


async def tour(out_dir: Path, *, demo: bool = True, site_file: Path | None = None,
               texts: bool = False) -> list[Path]:
    from PySide6.QtCore import Qt

    from app.ui.main_window import MainWindow
    from app.ui.visible_text import visible_texts

    out_dir.mkdir(parents=True, exist_ok=True)
    from app.core.logs import install_log_buffer

    install_log_buffer()  # the Diagnostics screen shows what this run logged
    options = {}
    if demo:
        # sensors and plugs report every second, so the Events screen has something to show
        options = {"demo_site_options": {"live_drift_seconds": 1.0}}
    # store_events=False: demo events do not belong in the user's event history
    try:
        ws = await open_workspace(demo=demo, site_file=site_file if not demo else None,
                                  store_events=False, **options)
    except SiteKitError as exc:
        raise TourError(f"The tour could not open the site: {exc.message}", hint=exc.hint) from exc
    window = MainWindow(open_workspace)
    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    window.resize(*WINDOW_SIZE)
    window.show()
    saved: list[Path] = []

    async def save(name: str, widget=None, settle: float = 0.05) -> None:
        await asyncio.sleep(settle)  # let Qt lay out and paint what just changed
        path = out_dir / f"{name}.png"
        if not (widget or window).grab().save(str(path)):
            raise OSError(f"could not write {path}")
        saved.append(path)
        if texts:
            shown = "\n".join(visible_texts(widget or window))
            await asyncio.to_thread(path.with_suffix(".txt").write_text, shown + "\n",
                                    encoding="utf-8")

    shot = _Camera(save)
    try:
        window.attach(ws)
        await _visit_screens(window, ws, shot)
    except (TimeoutError, SiteKitError, OSError) as exc:
        screen = shot.next_screen()
        why = exc.user_text() if isinstance(exc, SiteKitError) else str(exc)
        raise TourError(f"The tour stopped at the “{screen}” screen: {why.rstrip('.')}.",
                        hint=f"The {len(saved)} screens before it are in {out_dir}.",
                        screen=screen) from exc
    except Exception as exc:  # a bug: keep its traceback, and say where it happened
        exc.add_note(f"(sitekit tour, on the way to the “{shot.next_screen()}” screen)")
        raise
    finally:
        window.hide()
        window.detach()
        await window.tasks.cancel_all()
        await ws.close()
        window.deleteLater()
    return saved


async def _visit_screens(window: "MainWindow", ws, shot) -> None:
    from app.ui.main_window import DEVICES, DIAGNOSTICS, DOORS, EVENTS, PAIR, SETTINGS

    sim = ws.demo_site.ewelink if ws.demo_site is not None else None
    signed_in = ws.ewelink.signed_in  # a site may keep its tokens from an earlier run

    # first run, then the sign-in page (demo credentials filled in, password masked)
    window.show_onboarding()
    window.wizard.show_welcome()
    await shot("welcome")
    window.show_onboarding()
    window.wizard.show_sign_in()
    await shot("onboarding")

    if signed_in:
        # signing in again would take the session over from the live channel attach() started
        window.show_screen(DEVICES)
    elif ws.profile.demo_credentials is None:
        raise TourError("The tour stopped at the “devices” screen: this site has no demo "
                        "account to sign in with.",
                        hint="Sign in first (`sitekit --site FILE ewelink login`), then run the "
                             "tour again.", screen="devices")
    else:
        window.wizard.submit()
    flow = window.wizard.flow
    await until(lambda: window.root.currentWidget() is window.shell, 20, "the eWeLink sign-in",
                failed=lambda: "" if flow.busy else flow.error)
    await until(lambda: window.devices.model.rowCount() > 0, 20, "the device list")
    await until(lambda: window.live_state == "online", 20, "the live connection")

    devices = ws.inventory.devices
    multi = max((d for d in devices if d.online), key=lambda d: len(d.channels), default=None)
    if sim is not None and multi is not None and len(multi.channels) > 2:
        # a site in use: some channels on, as an installer would find it
        outlets = [c.outlet for c in multi.channels]
        await sim.press_button(multi.deviceid, {"switches": [
            {"switch": "on", "outlet": outlets[0]}, {"switch": "on", "outlet": outlets[2]}]})
        await until(lambda: sum(1 for c in multi.channels if c.on) >= 2, 10,
                    "the pushed switch report")
    if multi is not None:
        window.devices.select_device(multi.deviceid)
    await shot("devices")

    # a toggle caught while the device has not confirmed yet
    panel = window.devices.panel
    if multi is not None and panel.rows:
        if sim is not None:
            sim.faults.device_reply_delay = 1.0
        row = panel.rows[1] if len(panel.rows) > 1 else panel.rows[0]
        row.toggle.click()
        # a site's device answers at once (no simulated delay): grabbed before the loop runs
        # the command, and the panel has already painted "pending…" on the click
        await shot("devices-pending", settle=0.05 if sim is not None else 0)
        await until(lambda: not panel.is_pending(), 15, "the switch to finish")
        if sim is not None:
            sim.faults.device_reply_delay = 0.0
        else:  # a site: leave the channel as the tour found it
            row.toggle.click()
            await until(lambda: not panel.is_pending(), 15, "the switch back to finish")
    else:
        shot.skip("devices-pending", "no online device to switch")

    # the offline-device error: the cloud says offline before SiteKit heard about it
    switch = next((d for d in ws.inventory.devices if d.online and d.kind == "switch"), None)
    if sim is not None and switch is not None:
        sim.device(switch.deviceid).online = False  # silently: no sysmsg is pushed
        window.devices.select_device(switch.deviceid)
        await asyncio.sleep(0.05)
        panel.rows[0].toggle.click()
        await until(lambda: panel.error_text(), 15, "the offline error")
        await shot("devices-error")
        sim.device(switch.deviceid).online = True
    else:
        offline = next((d for d in ws.inventory.devices if not d.online), None)
        if offline is not None:
            window.devices.select_device(offline.deviceid)
            await shot("devices-error")
        else:
            shot.skip("devices-error", "no device is offline, and only the demo site's "
                      "simulator can take one offline")

    window.show_screen(EVENTS)
    if sim is not None:
        await until(lambda: window.events.model.rowCount() >= 8, 20, "live events")
    else:
        await wait_for(lambda: window.events.model.rowCount() >= 8, SITE_EVENTS_WAIT)
    await shot("events")
    window.show_screen(SETTINGS)
    await shot("settings")
    window.show_screen(PAIR)
    await _pair_screens(window, ws, shot)
    await _thermostat_screens(window, ws, shot)
    await _doors_screens(window, ws, shot)
    await _residents_screens(window, ws, shot)
    await _messages_screens(window, ws, shot)
    window.show_vendor_connect("nexhome")
    await shot("connect-nexhome")
    window.show_screen(DIAGNOSTICS)
    await asyncio.sleep(0.3)  # the pane takes new log lines in batches
    await shot("diagnostics")
    window.show_screen(DOORS)


async def _thermostat_screens(window: "MainWindow", ws, shot) -> None:
    """Nuheat: the list with one thermostat holding, its schedule (fine, then with a rule
    broken by a drag), a thermostat on API v2, the energy views, and the sign-in page."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    from app.ui.main_window import EVENTS, THERMOSTATS
    from app.ui.thermostats.page import CONTROL, ENERGY, SCHEDULE
    from app.vendors.nuheat import schedule_rules
    from app.vendors.nuheat.models import ScheduleMode

    page = window.thermostats
    window.show_screen(THERMOSTATS)
    if ws.demo_site is None and ws.profile.nuheat is None:
        for name in SCREENS[SCREENS.index("thermostats"):SCREENS.index("events-nuheat")]:
            shot.skip(name, "this site has no Nuheat account")
    else:
        await until(lambda: page.model.rowCount() > 0, 30, "the thermostat list")
    thermostats = ws.thermostats.items
    if not thermostats:
        editable = moved = None
    elif ws.demo_site is not None:
        editable = next((t for t in thermostats if t.online and t.schedule_mode == ScheduleMode.AUTO
                         and not _moved_to_v2(ws, t.serial_number)), thermostats[0])
        moved = next((t for t in thermostats if _moved_to_v2(ws, t.serial_number)), None)
    else:
        editable, moved = await _probe_schedules(ws, thermostats)
    if editable is not None:
        page.select_thermostat(editable.serial_number)
        page.tabs.setCurrentIndex(CONTROL)
        await shot("thermostats")

        page.tabs.setCurrentIndex(SCHEDULE)
    editor = page.editor
    if editable is not None and (ws.demo_site is not None or not _read_only(ws, editable)):
        await until(lambda: editor.draft is not None, 15, "the schedule")
        await shot("thermostat-schedule")

        # LEAVE (the second event) dragged onto RETURN's time: flagged, Save off
        timeline = editor.timeline
        events = editor.draft.rows[0].events
        if len(events) > 2:
            start = timeline.marker_center(0, 1)
            end = QPoint(round(timeline.x_for_position(schedule_rules.parse_clock(events[2].clock))),
                         start.y())
            QTest.mousePress(timeline, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
            for step in range(1, 13):
                QTest.mouseMove(timeline, start + (end - start) * step / 12)
            QTest.mouseRelease(timeline, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
            await shot("thermostat-schedule-violation")
            editor.undo()
        else:
            shot.skip("thermostat-schedule-violation",
                      "the schedule has too few events a day for a drag to break a rule")
    elif editable is not None:
        for name in ("thermostat-schedule", "thermostat-schedule-violation"):
            shot.skip(name, "no thermostat on this site lets SiteKit read its schedule")

    if moved is not None:
        page.select_thermostat(moved.serial_number)
        await until(lambda: editor.read_only_reason, 15, "the read-only schedule")
        await shot("thermostat-schedule-read-only")
    elif ws.demo_site is None and editable is not None:
        shot.skip("thermostat-schedule-read-only",
                  "no thermostat on this site was moved to Nuheat's API v2")

    if editable is not None:
        page.select_thermostat(editable.serial_number)
        page.tabs.setCurrentIndex(ENERGY)
        energy = page.energy
        for view, name in (("day", "thermostat-energy-day"), ("week", "thermostat-energy-week"),
                           ("month", "thermostat-energy-year")):
            energy.set_view(view)
            await until(lambda: not energy.loading, 15, f"the {view} energy log")
            await shot(name)

    # someone turns a thermostat up at the wall: the notification reaches the feed
    sim = getattr(ws.demo_site, "nuheat", None) if ws.demo_site is not None else None
    if sim is not None:
        seen = len(ws.feed.recent())
        sim.change_on_thermostat(editable.serial_number, scheduleMode=3, setPointTemp=2350)
        await until(lambda: any(e.vendor == "nuheat" and e.device == editable.serial_number
                                for e in ws.feed.recent()[seen:]), 15, "the Nuheat notification")
    window.show_screen(EVENTS)
    window.events.filter.setText("nuheat")
    window.events.model.flush()
    await shot("events-nuheat")
    window.events.filter.clear()

    window.show_nuheat_sign_in()
    await shot("nuheat-sign-in")
    window.show_screen(THERMOSTATS)


def _read_only(ws, thermostat) -> bool:
    state = ws.thermostats.cached_schedule(thermostat.serial_number)
    return state is None or state.schedule is None


async def _probe_schedules(ws, thermostats):
    """On a site only the app's own reads tell which thermostat moved to API v2 (its schedule
    read answers 405, which the service turns into a read-only state): read schedules, at most
    a dozen, until one editable (online, following its schedule) and one read-only are found.
    The editor then shows them from the service's cache. Returns (editable, moved); with no
    readable schedule, editable is the first thermostat and _read_only says so."""
    from app.vendors.nuheat.models import ScheduleMode

    def preference(t) -> int:  # an online thermostat following its schedule shows it best
        return 0 if t.online and t.schedule_mode == ScheduleMode.AUTO else 1 if t.online else 2

    editable = moved = None
    for thermostat in sorted(thermostats, key=preference)[:12]:
        if editable is not None and moved is not None:
            break
        try:
            state = await asyncio.wait_for(ws.thermostats.schedule(thermostat.serial_number), 20)
        except (SiteKitError, TimeoutError) as exc:
            log.info("tour: the schedule of %s could not be read: %s", thermostat.serial_number, exc)
            continue
        if state.read_only_reason:
            moved = moved or thermostat
        elif state.schedule is not None:
            editable = editable or thermostat
    return editable or thermostats[0], moved


async def _doors_screens(window: "MainWindow", ws, shot) -> None:
    """NEXhome door test: the doors, the confirmation, a door opened with its access record,
    and the question after a lost answer (the simulator acts, then drops the reply)."""
    from app.ui.main_window import DOORS

    page = window.doors
    window.show_screen(DOORS)
    site = ws.demo_site
    nexhome = site.nexhome if site is not None else None
    if nexhome is None and ws.building.configured:
        await _site_doors_screens(window, ws, shot)
        return
    if nexhome is None or not ws.building.configured:
        for name in ("doors", "doors-confirm", "doors-opened", "doors-unknown"):
            await shot(name)
        return
    from app.simulators.nexhome import GARAGE, MAIN_ENTRANCE

    await until(lambda: page.model.rowCount() > 0, 30, "the doors")
    await until(lambda: ws.building.live_status == "online", 15, "the access records")
    page.select_door(MAIN_ENTRANCE)
    await shot("doors")
    page.panel.unlock_button.click()
    await until(lambda: page.confirm_box is not None, 5, "the confirmation")
    await shot("doors-confirm", page.confirm_box)
    page.confirm_box.unlock_button.click()
    await until(lambda: page.tests[MAIN_ENTRANCE].record_after_unlock, 20, "the access record")
    await shot("doors-opened")

    nexhome.faults.drop_after_acting = True
    page.select_door(GARAGE)
    page.panel.unlock_button.click()
    await until(lambda: page.confirm_box is not None, 5, "the confirmation")
    page.confirm_box.unlock_button.click()
    await until(lambda: page.unknown_box is not None, 30, "the outcome question")
    await asyncio.sleep(0.3)
    await shot("doors-unknown", page.unknown_box)
    nexhome.faults.drop_after_acting = False
    page.unknown_box.leave_button.click()


async def _site_doors_screens(window: "MainWindow", ws, shot) -> None:
    """On a site: the doors and the confirmation, cancelled. An unlock would open a door of
    the building for real, and the lost answer needs the simulator to drop it."""
    page = window.doors
    await until(lambda: page.model.rowCount() > 0, 30, "the doors")
    await wait_for(lambda: ws.building.live_status == "online", 15)
    door = next((d for d in ws.building.doors if d.online), None)
    if door is None and ws.building.doors:
        door = ws.building.doors[0]
    if door is not None:
        page.select_door(door.id)
    await shot("doors")
    if door is not None and page.panel.unlock_button.isEnabled():
        page.panel.unlock_button.click()
        await until(lambda: page.confirm_box is not None, 5, "the confirmation")
        await shot("doors-confirm", page.confirm_box)
        page.confirm_box.reject()  # Cancel: nothing is sent
        await until(lambda: page.confirm_box is None, 5, "the confirmation to close")
    else:
        shot.skip("doors-confirm", "no door on this site can be unlocked from SiteKit")
    shot.skip("doors-opened", "the tour does not unlock a site's doors")
    shot.skip("doors-unknown", "a lost unlock answer needs the demo site's simulator")


async def _residents_screens(window: "MainWindow", ws, shot) -> None:
    """NEXhome residents: the list, the issue dialog (before issuing: a real code never
    goes into a screenshot), a panel's directory and an announcement."""
    from app.ui.main_window import RESIDENTS

    page = window.residents
    window.show_screen(RESIDENTS)
    if not ws.building.configured:
        await shot("residents")
        for name in ("residents-issue-qr", "residents-directory", "residents-announcement"):
            await shot(name)
        return
    await until(lambda: page.model.rowCount() > 0, 30, "the residents")
    person = next((p for p in ws.building.persons if p.phone), ws.building.persons[0])
    page.select_person(person.id)
    await shot("residents")

    dialog = page.open_issue_dialog(person.id, "QRCODE")
    if dialog is not None:
        await asyncio.sleep(0.05)
        await _shot_widget(dialog, shot, "residents-issue-qr")
        dialog.reject()
    else:
        await shot("residents-issue-qr")

    page.tabs.setCurrentIndex(1)
    await asyncio.sleep(0.1)
    if ws.demo_site is not None:
        from app.simulators.nexhome import MAIN_STATION as station
    else:  # a site: its first door station, as the building lists it
        station = next((d.id for d in ws.building.devices if d.type == "DOOR_STATION"), "")

    page.contacts.select_device(station)
    page.contacts.import_residents()  # the directory an installer loads onto a new panel
    await shot("residents-directory")
    page.tabs.setCurrentIndex(2)
    editor = page.announcements
    editor.title.setText("Water off on Thursday")
    editor.text.setPlainText("The water will be off on Thursday from 9:00 to 12:00 while the "
                             "pumps are serviced. Sorry for the trouble.")
    editor.tick_type("DOOR_STATION")
    await shot("residents-announcement")
    page.tabs.setCurrentIndex(0)


async def _messages_screens(window: "MainWindow", ws, shot) -> None:
    """NXCloud: a number checked, then a test SMS sent."""
    from app.ui.main_window import MESSAGES

    page = window.messages
    window.show_screen(MESSAGES)
    site = ws.demo_site
    if site is None and ws.messaging.configured:
        # a site: the number check, but no SMS (it would really be sent, and paid for)
        page.phone.setText("+44 7700 900123")
        page._phone_edited()
        page.check_number()
        await until(lambda: not page.checking, 30, "the number check")
        await shot("messages")
        shot.skip("messages-sent", "the tour does not send an SMS from a site")
        return
    if site is None or site.nxcloud is None or not ws.messaging.configured:
        await shot("messages")
        await shot("messages-sent")
        return
    site.nxcloud.result_delay_seconds = 0.3
    page.phone.setText("+44 7700 900123")
    page._phone_edited()
    page.check_number()
    await until(lambda: not page.checking, 20, "the number check")
    await shot("messages")
    page.text.setPlainText("SiteKit test message from the plant room: the intercom is set up.")
    page.send()
    await until(lambda: not page.sending, 20, "the test SMS")
    await shot("messages-sent")


async def _shot_widget(widget, shot, name: str) -> None:
    """A dialog is its own window: grab it on its own, the same size the user sees."""
    await asyncio.sleep(0.05)
    await shot(name, widget)


def _moved_to_v2(ws, serial: str) -> bool:
    site = ws.demo_site
    sim = getattr(site, "nuheat", None) if site is not None else None
    if sim is None:
        return False
    thermostat = sim.thermostat(serial) if hasattr(sim, "thermostat") else None
    return bool(getattr(thermostat, "migrated_to_v2", False))


async def _pair_screens(window: "MainWindow", ws, shot) -> None:
    """The pairing wizard on the demo site: one device paired, then one with a wrong password."""
    from dataclasses import replace

    from app.ui.main_window import PAIR
    from app.ui.pairing.flow import PROGRESS, RESULT, START, WIFI

    page = window.pair
    flow = page.flow
    site = ws.demo_site
    if site is None or not site.ap_devices:
        await shot("pair-start")
        if site is None:
            for name in ("pair-wifi", "pair-progress", "pair-done", "devices-lan", "pair-failed"):
                shot.skip(name, "pairing on a site would pair a device for real")
        return
    # quicker than the demo's default device delays, still slow enough to catch a step running
    site.device_delays.reboot, site.device_delays.join = 0.8, 0.5
    await until(lambda: flow.demo_devices and flow.network is not None, 10, "the device list")
    await shot("pair-start")

    page.press_enter()
    await until(lambda: flow.page == WIFI and flow.ssid, 10, "the Wi-Fi page")
    page.wifi_page.name.setText("Landing light 1")
    flow.set_field("name", "Landing light 1")
    await shot("pair-wifi")

    page.press_enter()
    # caught while the device reboots onto the site Wi-Fi (the demo's delays are ~2 s)
    await until(lambda: flow.progress is not None
                and flow.progress.step("wait_cloud").status == "running", 20, "the cloud wait")
    await asyncio.sleep(0.3)
    await shot("pair-progress")
    await until(lambda: flow.page == RESULT, 60, "the pairing result")
    await shot("pair-done")

    paired = flow.result.deviceid
    window.show_device(paired)
    await until(lambda: ws.lan.address(paired) is not None, 10, "the device on the LAN")
    panel = window.devices.panel
    panel.set_route("lan")  # switched over the LAN: no cloud involved
    panel.rows[0].toggle.click()
    await until(lambda: not panel.is_pending() and panel.rows[0].toggle.isChecked(), 10,
                "the LAN switch")
    await shot("devices-lan")

    # the next device with a mistyped password: it cannot join and reopens its hotspot
    window.show_screen(PAIR)
    page.press_enter()
    await until(lambda: flow.page == START and flow.demo_url, 10, "the next device")
    page.press_enter()
    await until(lambda: flow.page == WIFI, 10, "the Wi-Fi page")
    page.wifi_page.password.setText("sitekit-demo-wlan")
    flow.set_field("password", "sitekit-demo-wlan")
    page.wifi_page.name.setText("Landing light 2")
    flow.set_field("name", "Landing light 2")
    site.device_delays.ap_return = 0.3
    page.service.timeouts = replace(page.service.timeouts, ap_probe_interval=0.3)
    page.press_enter()
    await until(lambda: flow.page == PROGRESS and flow.outcome == "failed", 30, "the failure")
    await shot("pair-failed")
