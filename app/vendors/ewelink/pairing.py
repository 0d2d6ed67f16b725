"""Pair a Sonoff in AP mode: hand it the site's Wi-Fi, put it on the account, see it online.

The steps (names fixed; the GUI shows one row each):
  find        where the device is: the URL given, or the default gateway on an ITEAD hotspot
  read        GET /device: deviceid, the device's own key, chipid
  check_wifi  SSID 1-32 UTF-8 bytes, password empty or 8-63 characters, 2.4 GHz reminder
  send_wifi   POST /ap {version 4, ssid, password, serverName, port}
  rejoin      the laptop back on the site network: done when the cloud answers again
  add         on the account (device list first; add only if absent: never a duplicate)
  wait_cloud  online in the cloud (device list polling, woken by sysmsg when wired)
  wait_lan    found on the LAN by mDNS (optional: a timeout here is a warning)

A lost answer to POST /ap (connection closed, cut off, unreadable, 5xx) is never followed
by another POST: the device may have taken the details. The run watches the hotspot with
GET /device instead: gone means taken (on to the cloud); still there after `confirm_send`
means most likely not, and the user is told to run pairing again.

Idempotent: the device applies the same Wi-Fi details again harmlessly, the account is
checked before adding, and what a run learned from the device is kept in a `PairingMemo`
(the service stores it), so running again after a drop finishes the job: when the device
took the details but the run stopped, the next run finds the hotspot gone, says so, and
carries on with the cloud.

Every HTTP exchange with the device is bounded by `PairingTimeouts.request`; every step by
its own timeout. Cancelling the task marks the running step "cancelled"; an exchange with
the device (POST /ap) or the cloud (add) that is under way is finished first (it is
bounded), so the memo always says what the device and the account really hold.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict, dataclass
from typing import Any, Awaitable, Callable, Protocol
from urllib.parse import urlsplit

import aiohttp

from app.core import network
from app.core.errors import (AuthError, NetworkError, ProtocolError, RateLimited, SiteKitError,
                             VendorError)
from app.core.http import ReplyTooLarge, read_text
from app.core.logs import redact_text
from app.vendors.ewelink.ap_device import (AP_PROTOCOL_VERSION, DEVICE_REPLY_LIMIT, HOTSPOT_HINT,
                                           WIFI_REMINDER, UnreadableReply, check_wifi,
                                           normalise_url, parse_ap_reply, parse_device_reply,
                                           parse_json)
from app.vendors.ewelink.models import Device
from app.vendors.ewelink.pairing_steps import (DONE, SKIPPED, WARNING, FlowFailed, Progress,
                                               ProgressCallback, Step, StepFailure, StepOutcome,
                                               StepRun, StepRunner, StepState)

log = logging.getLogger(__name__)

STEPS = ("find", "read", "check_wifi", "send_wifi", "rejoin", "add", "wait_cloud", "wait_lan")
STEP_TITLES = {
    "find": "Find the device",
    "read": "Read the device",
    "check_wifi": "Check the Wi-Fi details",
    "send_wifi": "Send the Wi-Fi details",
    "rejoin": "Back on the site network",
    "add": "Add to the account",
    "wait_cloud": "Online in the cloud",
    "wait_lan": "Found on the LAN",
}

# wait_cloud polls the device list after 0.5, 1 ... s, then every poll_interval: CoolKit
# asks for at least 500 ms between calls to one endpoint (v2 guide), and an online push
# (sysmsg), when the live channel runs, ends the wait sooner anyway.
FIRST_POLL_SECONDS = 0.5


# -- what a run needs and learns ------------------------------------------------------------

@dataclass(frozen=True)
class PairingPlan:
    device_url: str | None  # None: find it (default gateway on an ITEAD hotspot)
    ssid: str
    password: str
    name: str
    server_name: str  # the dispatch server the device registers with
    server_port: int

    def __repr__(self) -> str:  # the Wi-Fi password must not reach a log through a repr
        return (f"PairingPlan(device_url={self.device_url!r}, ssid={self.ssid!r}, "
                f"password=***, name={self.name!r}, server={self.server_name}:{self.server_port})")


@dataclass
class PairingMemo:
    """What an earlier run learned; a new run uses it to finish the job."""
    device_url: str
    deviceid: str
    devicekey: str
    chipid: str | None = None
    wifi_sent: bool = False  # the device took (or most likely took) the Wi-Fi details
    name: str = ""  # what it is to be called on the account

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | None) -> "PairingMemo | None":
        if not text:
            return None
        try:
            raw = json.loads(text)
            memo = cls(**raw)
        except (TypeError, ValueError, RecursionError):
            return None
        # Stored by an older or damaged write: a memo of the wrong shape is no memo.
        texts = (memo.device_url, memo.deviceid, memo.devicekey, memo.name)
        if not all(isinstance(t, str) for t in texts) or not memo.deviceid \
                or not isinstance(memo.wifi_sent, bool) \
                or not (memo.chipid is None or isinstance(memo.chipid, str)):
            return None
        return memo

    def __repr__(self) -> str:
        return (f"PairingMemo({self.deviceid!r} at {self.device_url!r}, "
                f"wifi_sent={self.wifi_sent})")


@dataclass(frozen=True)
class PairingResult:
    deviceid: str
    name: str
    online: bool
    lan_url: str | None


@dataclass
class PairingTimeouts:
    """Seconds. Real-world values by default; tests pass tiny ones."""
    request: float = 5.0  # one HTTP exchange with the device's hotspot web server
    find: float = 5.0
    read: float = 45.0  # the official app retries /device 5 times over 70 s
    check_wifi: float = 2.0
    send_wifi: float = 45.0
    rejoin: float = 180.0  # the user may have to pick the site Wi-Fi again by hand
    add: float = 30.0
    wait_cloud: float = 120.0  # reboot, join, register: 20-60 s on real devices
    wait_lan: float = 30.0
    retry_delay: float = 1.0
    poll_interval: float = 2.0  # device list polls while waiting for the cloud
    ap_probe_interval: float = 5.0  # is the hotspot back (= it could not join)?
    # After a lost answer to POST /ap: how long to watch whether the hotspot goes away (the
    # device took the details) before saying it most likely did not. Devices drop the
    # hotspot within a few seconds of accepting; probes are retry_delay apart.
    confirm_send: float = 10.0
    # A device that cannot join reopens its hotspot; the laptop is usually elsewhere by
    # then, so this probe only helps when it still reaches the hotspot address.


class PairingCloud(Protocol):
    """The account side (EwelinkClient satisfies it)."""

    async def devices(self) -> list[Device]: ...

    async def add_device(self, deviceid: str, devicekey: str, name: str,
                         chipid: str | None = None) -> Device: ...


LanLocator = Callable[[str, float], Awaitable[Any]]  # (deviceid, timeout) -> LanDevice | url
OnlineSubscribe = Callable[[Callable[[str], None]], Callable[[], None]]  # cb(deviceid online)
NetworkSnapshot = Callable[[], network.NetworkView]


class PairingFailed(FlowFailed):
    """Pairing stopped at `step`; the message names the cause, the hint the fix."""


# -- the flow ---------------------------------------------------------------------------------

class EwelinkPairing:
    """One pairing run (make a new one for the next run; pass the memo along)."""

    def __init__(self, plan: PairingPlan, *, session: aiohttp.ClientSession,
                 cloud: PairingCloud, timeouts: PairingTimeouts | None = None,
                 memo: PairingMemo | None = None,
                 on_memo: Callable[[PairingMemo | None], None] | None = None,
                 lan_locator: LanLocator | None = None,
                 online_events: OnlineSubscribe | None = None,
                 network_snapshot: NetworkSnapshot | None = None) -> None:
        self.plan = plan
        self.session = session
        self.cloud = cloud
        self.timeouts = timeouts or PairingTimeouts()
        self.memo = memo
        self._on_memo = on_memo
        self.lan_locator = lan_locator
        self.online_events = online_events
        self.network_snapshot = network_snapshot or network.snapshot
        # learned during the run
        self.url: str | None = None
        self.identity: dict[str, Any] = {}
        self.skip_send = False
        self.earlier: PairingMemo | None = None  # an unfinished earlier device, added too
        self._devices: list[Device] | None = None
        self.device: Device | None = None
        self.lan_url: str | None = None
        self.result: PairingResult | None = None
        self.runner = StepRunner(self._steps())

    # -- public -----------------------------------------------------------------------

    @property
    def steps(self) -> list[StepState]:
        return self.runner.states

    @property
    def status(self) -> str:
        return self.runner.status

    def progress(self) -> Progress:
        return self.runner.progress()

    async def run(self, on_progress: ProgressCallback | None = None) -> PairingResult:
        if self.runner.status != "idle":
            raise RuntimeError("a pairing run runs once; make a new EwelinkPairing")
        self.runner.on_progress = on_progress
        try:
            await self.runner.run()
        except FlowFailed as exc:
            raise PairingFailed(exc.step, exc.message, hint=exc.hint) from None
        assert self.device is not None
        self.result = PairingResult(self.device.deviceid, self.device.name, self.device.online,
                                    self.lan_url)
        return self.result

    # -- steps ------------------------------------------------------------------------

    def _steps(self) -> list[Step]:
        t = self.timeouts
        return [
            Step("find", STEP_TITLES["find"], self._find, t.find),
            Step("read", STEP_TITLES["read"], self._read, t.read, attempts=None,
                 retry_delay=t.retry_delay, on_timeout=self._device_silent),
            Step("check_wifi", STEP_TITLES["check_wifi"], self._check_wifi, t.check_wifi),
            Step("send_wifi", STEP_TITLES["send_wifi"], self._send_wifi, t.send_wifi,
                 attempts=None, retry_delay=t.retry_delay, on_timeout=self._send_timed_out),
            Step("rejoin", STEP_TITLES["rejoin"], self._rejoin, t.rejoin,
                 on_timeout=self._cloud_unreachable),
            Step("add", STEP_TITLES["add"], self._add, t.add, attempts=None,
                 retry_delay=t.retry_delay, on_timeout=self._add_timed_out),
            Step("wait_cloud", STEP_TITLES["wait_cloud"], self._wait_cloud, t.wait_cloud,
                 on_timeout=self._never_online),
            Step("wait_lan", STEP_TITLES["wait_lan"], self._wait_lan, t.wait_lan, optional=True,
                 on_timeout=self._not_on_lan),
        ]

    @property
    def _host(self) -> str:
        return urlsplit(self.url or "").hostname or (self.url or "the device")

    async def _find(self, run: StepRun) -> StepOutcome:
        if self.plan.device_url:
            self.url = normalise_url(self.plan.device_url)
            return StepOutcome(DONE, f"Using the device at {self.url}.")
        view = await asyncio.to_thread(self.network_snapshot)
        self.url, outcome = locate_device(view, self.memo)
        return outcome

    async def _read(self, run: StepRun) -> StepOutcome:
        memo = self.memo
        continuing = memo is not None and memo.wifi_sent and memo.device_url == self.url
        if continuing and run.attempt == 1:
            run.say(f"Checking whether device {memo.deviceid} is still in pairing mode…")
        try:
            identity = await self._get_identity()
        except StepFailure:
            if continuing:
                self._use_memo(memo)
                self.skip_send = True
                return StepOutcome(SKIPPED, f"Device {memo.deviceid} already took the Wi-Fi "
                                            f"details in the previous run; its hotspot is "
                                            f"gone, so pairing continues with the cloud.")
            raise
        self.identity = identity
        deviceid = identity["deviceid"]
        if memo is None or memo.deviceid != deviceid or memo.devicekey != identity["apikey"]:
            if memo is not None and memo.wifi_sent and memo.deviceid != deviceid:
                # Installers move straight on to the next device at the same 10.10.7.1: the
                # one an interrupted run left behind is on the Wi-Fi but not on the account.
                self.earlier = memo
            memo = PairingMemo(self.url or "", deviceid, identity["apikey"],
                               identity.get("chipid"), name=self.plan.name)
        else:
            # The same device is in pairing mode again (it could not join last time):
            # it needs the details again.
            memo.device_url = self.url or memo.device_url
            memo.wifi_sent = False
            memo.name = self.plan.name
        self._remember(memo)
        chip = f" (chip {identity['chipid']})" if identity.get("chipid") else ""
        return StepOutcome(DONE, f"Device {deviceid}{chip} is in pairing mode at {self._host}.")

    def _use_memo(self, memo: PairingMemo) -> None:
        self.identity = {"deviceid": memo.deviceid, "apikey": memo.devicekey,
                         "chipid": memo.chipid}

    async def _get_identity(self) -> dict[str, Any]:
        try:
            status, text = await self._device_request("GET", "/device")
        except _NoAnswer as exc:
            raise StepFailure(f"No answer from the device at {self._host} yet ({exc.reason}).",
                              hint=HOTSPOT_HINT, retry=True) from None
        except UnreadableReply as exc:
            # Cut off mid-reply: reading is safe to repeat. Too large: not a Sonoff at all.
            raise StepFailure(exc.message, hint=exc.hint if exc.too_large else HOTSPOT_HINT,
                              retry=not exc.too_large) from None
        return parse_device_reply(status, text, self._host)

    def _device_silent(self, last: BaseException | None) -> StepFailure:
        if isinstance(last, StepFailure) and not last.message.startswith("No answer"):
            # It answered, just never usably (5xx, cut-off replies): say that, not "silent".
            return StepFailure(f"{last.message} Still the same after {self.timeouts.read:g} s "
                               f"of trying.",
                               hint=last.hint or HOTSPOT_HINT)
        return StepFailure(f"The device did not answer at {self._host}: is the laptop still on "
                           f"the ITEAD hotspot?", hint=HOTSPOT_HINT)

    async def _check_wifi(self, run: StepRun) -> StepOutcome:
        if self.skip_send:
            return StepOutcome(SKIPPED, "The device already has the Wi-Fi details.")
        result = check_wifi(self.plan.ssid, self.plan.password)
        if result.errors:
            raise StepFailure(" ".join(result.errors),
                              hint="Correct the Wi-Fi details and try again. " + WIFI_REMINDER)
        if result.warnings:
            return StepOutcome(WARNING, " ".join(result.warnings), hint=WIFI_REMINDER)
        return StepOutcome(DONE, f"“{self.plan.ssid}” looks right. {WIFI_REMINDER}")

    async def _send_wifi(self, run: StepRun) -> StepOutcome:
        if self.skip_send:
            return StepOutcome(SKIPPED, "The device already took the Wi-Fi details in the "
                                        "previous run.")
        body = {"version": AP_PROTOCOL_VERSION, "ssid": self.plan.ssid,
                "password": self.plan.password, "serverName": self.plan.server_name,
                "port": int(self.plan.server_port)}
        run.cancel_note = "Cancelled while sending the Wi-Fi details."
        exchange = asyncio.ensure_future(self._post_ap(body))
        try:
            outcome = await asyncio.shield(exchange)
        except asyncio.CancelledError:
            # Finish the exchange (it is bounded) so the memo says what the device holds.
            if not exchange.done():
                await asyncio.wait({exchange})
            if not exchange.cancelled() and exchange.exception() is None:
                if isinstance(exchange.result(), _LostAnswer):
                    run.cancel_note = ("Cancelled after sending the Wi-Fi details; the device's "
                                       "answer was lost. Run pairing again: it checks whether "
                                       "the device took them before sending anything.")
                else:
                    run.cancel_note = ("Cancelled after the device took the Wi-Fi details: run "
                                       "pairing again to finish (it continues with the cloud).")
            raise
        if isinstance(outcome, _LostAnswer):
            return await self._confirm_sent(run, outcome.what)
        return outcome

    async def _post_ap(self, body: dict[str, Any]) -> "StepOutcome | _LostAnswer":
        """One POST /ap. Repeated (by the step) only when it cannot have reached the device."""
        try:
            status, text = await self._device_request(
                "POST", "/ap", data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                # As the official app sends it (guide, "Pairing devices"): a JSON body under
                # a form content type. Firmware parses the body as JSON either way.
                content_type="application/x-www-form-urlencoded")
        except _NoAnswer as exc:
            if exc.maybe_delivered:
                return self._lost(f"the connection broke before its answer ({exc.reason})")
            raise StepFailure(f"No answer from the device at {self._host} ({exc.reason}).",
                              hint=HOTSPOT_HINT, retry=True) from None
        except UnreadableReply as exc:
            return self._lost(f"its answer could not be read: {exc.message}")
        unknown = parse_ap_reply(status, text)
        if unknown is not None:
            return self._lost(unknown)
        self._wifi_sent()
        return StepOutcome(DONE, f"The device accepted the details for “{self.plan.ssid}” "
                                 f"and is leaving pairing mode.")

    def _lost(self, what: str) -> "_LostAnswer":
        # Until shown otherwise the device may hold the details: a run that stops now must
        # check before sending them again, never assume it did not get them.
        self._wifi_sent()
        return _LostAnswer(what)

    async def _confirm_sent(self, run: StepRun, what: str) -> StepOutcome:
        """The answer to POST /ap was lost: watch the hotspot (GET only), never post again.

        A device that took the details drops its hotspot within seconds; one still in
        pairing mode after `confirm_send` most likely never got them, and the user decides
        whether to send them again (a new run does, after checking).
        """
        loop = asyncio.get_running_loop()
        interval = max(0.01, self.timeouts.retry_delay)
        window = min(self.timeouts.confirm_send, max(0.0, run.seconds_left() - 2 * interval))
        deadline = loop.time() + window
        run.say(f"The device's answer to the Wi-Fi details was lost ({what}). SiteKit does not "
                f"send them again blindly: watching whether the device leaves pairing mode…")
        silent = 0
        while True:
            await asyncio.sleep(interval)
            try:
                status, text = await self._device_request("GET", "/device")
            except (_NoAnswer, UnreadableReply):
                silent += 1
                if silent >= 2:  # twice in a row: gone, not a glitch
                    return StepOutcome(
                        DONE, f"The device's answer was lost ({what}), but its hotspot went "
                              f"away right after: it most likely took the details. Checking "
                              f"with the cloud.")
                continue
            silent = 0
            reply = parse_json(text)
            if not isinstance(reply, dict) or reply.get("deviceid") != self.identity["deviceid"]:
                return StepOutcome(
                    DONE, f"The device's answer was lost ({what}), and it no longer answers "
                          f"at {self._host} as a device in pairing mode: it most likely took "
                          f"the details. Checking with the cloud.")
            if loop.time() >= deadline:
                break
        # The memo keeps "may have them": a device slower to leave pairing mode than this
        # window may still join, and the next run then continues with the cloud instead of
        # looking for a hotspot that is gone. If it is still in pairing mode, the next run
        # sees that and sends the details again.
        raise StepFailure(
            f"The device's answer to the Wi-Fi details was lost ({what}), and it is still in "
            f"pairing mode {window:g} s later: it most likely did not get them. SiteKit did not "
            f"send them again on its own.",
            hint="Run pairing again: if the device is still in pairing mode it gets the details "
                 "afresh (sending them twice does no harm); if it has left it by then, pairing "
                 "continues with the cloud. If this keeps happening, move the laptop closer to "
                 "the device.")

    def _wifi_sent(self) -> None:
        memo = self.memo
        if memo is not None:
            memo.wifi_sent = True
            self._remember(memo)

    def _send_timed_out(self, last: BaseException | None) -> StepFailure:
        if self.memo is not None and self.memo.wifi_sent:
            return StepFailure("The device never confirmed the Wi-Fi details, and SiteKit could "
                               "not tell whether it took them.",
                               hint="Run pairing again: it checks whether the device is still in "
                                    "pairing mode before sending anything, then continues.")
        return self._device_silent(last)

    async def _rejoin(self, run: StepRun) -> StepOutcome:
        first = True
        while True:
            try:
                self._devices = await self.cloud.devices()
            except AuthError as exc:
                raise self._signed_out(exc) from None
            except VendorError as exc:
                if not cloud_hiccup(exc):
                    raise
                run.say(f"The eWeLink cloud is busy ({exc.message}); asking again…")
                first = False
                await asyncio.sleep(self.timeouts.poll_interval)
                continue
            except (NetworkError, ProtocolError, asyncio.TimeoutError) as exc:
                # ProtocolError: a captive portal answering for the cloud counts as "not yet".
                run.say("Reconnect this laptop to the site's normal Wi-Fi (or any network with "
                        "internet); waiting for the eWeLink cloud…")
                log.info("pairing: cloud not reachable yet (%s)", type(exc).__name__)
                first = False
                await asyncio.sleep(self.timeouts.poll_interval)
                continue
            if first:
                return StepOutcome(DONE, "The eWeLink cloud answers: the laptop is back on a "
                                         "network with internet.")
            return StepOutcome(DONE, "The laptop is back online; the eWeLink cloud answers.")

    def _signed_out(self, exc: AuthError) -> StepFailure:
        """The session ended mid-run: sign in, then the next run finishes the job."""
        if self.memo is None or not self.memo.wifi_sent:
            return StepFailure(exc.message, hint=exc.hint)
        return StepFailure(exc.message, hint=f"{exc.hint} Then run pairing again: the device "
                                             f"already has the Wi-Fi details, so it continues "
                                             f"with the account.".strip())

    def _cloud_unreachable(self, last: BaseException | None) -> StepFailure:
        return StepFailure(
            f"The eWeLink cloud is still unreachable after {self.timeouts.rejoin:g} s.",
            hint="Reconnect the laptop to a network with internet (the device's hotspot is gone), "
                 "then run pairing again: it continues where it stopped.")

    async def _add(self, run: StepRun) -> StepOutcome:
        try:
            return await self._add_unless_there(run)
        except AuthError as exc:
            raise self._signed_out(exc) from None

    async def _add_unless_there(self, run: StepRun) -> StepOutcome:
        deviceid = self.identity["deviceid"]
        try:
            devices = self._devices if self._devices is not None else await self.cloud.devices()
        except VendorError as exc:
            if cloud_hiccup(exc):  # listing is a read: look again (the step is bounded)
                raise StepFailure(exc.message, hint=exc.hint, retry=True) from None
            raise
        self._devices = None  # a retry must look again
        existing = next((d for d in devices if d.deviceid == deviceid), None)
        if existing is not None:
            self.device = existing
            outcome = StepOutcome(DONE, f"Already on the account as “{existing.name}”.")
        else:
            run.cancel_note = "Cancelled while adding the device to the account."
            device = await self._add_once(run, deviceid, self.identity["apikey"], self.plan.name,
                                          self.identity.get("chipid"))
            self.device = device
            outcome = StepOutcome(DONE, f"Added to the account as “{device.name}”.")
        return await self._add_earlier(run, devices, outcome)

    async def _add_once(self, run: StepRun, deviceid: str, devicekey: str, name: str,
                        chipid: str | None) -> Device:
        exchange = asyncio.ensure_future(self.cloud.add_device(deviceid, devicekey, name, chipid))
        try:
            return await asyncio.shield(exchange)
        except asyncio.CancelledError:
            # Finish the call (bounded by the session timeout) so we know what happened.
            if not exchange.done():
                await asyncio.wait({exchange})
            if not exchange.cancelled() and exchange.exception() is None:
                run.cancel_note = ("Cancelled after the device was added to the account: run "
                                   "pairing again to finish.")
            raise
        except (NetworkError, AuthError):
            raise
        except VendorError as exc:
            # A busy cloud: the retry lists the devices first, so it never adds twice.
            raise StepFailure(exc.message, hint=exc.hint, retry=cloud_hiccup(exc)) from None

    async def _add_earlier(self, run: StepRun, devices: list[Device],
                           outcome: StepOutcome) -> StepOutcome:
        earlier, self.earlier = self.earlier, None
        if earlier is None or any(d.deviceid == earlier.deviceid for d in devices):
            return outcome
        label = earlier.name or self.plan.name
        try:
            await self._add_once(run, earlier.deviceid, earlier.devicekey, label, earlier.chipid)
        except (SiteKitError, StepFailure) as exc:
            return StepOutcome(WARNING, f"{outcome.message} Device {earlier.deviceid} from an "
                                        f"earlier, unfinished pairing could not be added: "
                                        f"{exc.message}",
                               hint="Pair that device again (hold its button for 5 seconds).")
        return StepOutcome(outcome.status, f"{outcome.message} Also added device "
                                           f"{earlier.deviceid} (“{label}”) from the earlier, "
                                           f"unfinished pairing.")

    def _add_timed_out(self, last: BaseException | None) -> StepFailure:
        detail = f" ({last.message})" if isinstance(last, SiteKitError) else ""
        return StepFailure(f"Could not add the device to the account in "
                           f"{self.timeouts.add:g} s{detail}.",
                           hint="Check the internet connection and run pairing again; it will "
                                "not add the device twice.")

    async def _wait_cloud(self, run: StepRun) -> StepOutcome:
        deviceid = self.identity["deviceid"]
        wake = asyncio.Event()
        unsubscribe = None
        if self.online_events is not None:
            unsubscribe = self.online_events(lambda d: wake.set() if d == deviceid else None)
        probe = asyncio.ensure_future(self._watch_hotspot()) if self.url else None
        woken: asyncio.Future | None = None
        polls = 0
        run.say(f"Waiting for the device to join “{self.plan.ssid}” and reach the cloud…")
        try:
            while True:
                if probe is not None and probe.done():
                    probe.result()  # raises the "back in pairing mode" failure
                try:
                    devices = await self.cloud.devices()
                except AuthError as exc:
                    raise self._signed_out(exc) from None
                except (NetworkError, ProtocolError, VendorError) as exc:
                    # The device has the Wi-Fi: a cloud hiccup is no reason to stop watching.
                    if isinstance(exc, VendorError) and not cloud_hiccup(exc):
                        raise
                    run.say(f"The cloud did not answer ({exc.message}); asking again…")
                    devices = []
                found = next((d for d in devices if d.deviceid == deviceid), None)
                if found is not None:
                    self.device = found
                    if found.online:
                        self._remember(None)  # the job is done: nothing left to continue
                        return StepOutcome(DONE, f"“{found.name}” is online in the eWeLink cloud.")
                # Until the next poll, a sysmsg (online) or the hotspot coming back. Polls
                # start quicker (a device often registers within seconds) and slow down.
                pause = min(self.timeouts.poll_interval, FIRST_POLL_SECONDS * 2 ** polls)
                polls += 1
                wake.clear()
                woken = asyncio.ensure_future(wake.wait())
                await asyncio.wait([woken] + ([probe] if probe is not None else []),
                                   timeout=pause, return_when=asyncio.FIRST_COMPLETED)
                woken.cancel()
        finally:
            if unsubscribe is not None:
                unsubscribe()
            for task in (woken, probe):
                if task is not None and not task.done():
                    task.cancel()

    async def _watch_hotspot(self) -> None:
        """Raise when the device's hotspot is back: it could not join the Wi-Fi."""
        deviceid = self.identity["deviceid"]
        while True:
            await asyncio.sleep(self.timeouts.ap_probe_interval)
            try:
                status, text = await self._device_request("GET", "/device")
            except (_NoAnswer, UnreadableReply):
                continue
            reply = parse_json(text)
            if isinstance(reply, dict) and reply.get("deviceid") == deviceid:
                if self.memo is not None:
                    self.memo.wifi_sent = False
                    self._remember(self.memo)
                raise StepFailure(
                    f"The device could not join “{self.plan.ssid}” and is back in pairing mode.",
                    hint="The Wi-Fi password is probably wrong, or the network is 5 GHz only "
                         "(Sonoff devices need 2.4 GHz). Check the details and pair again.")

    def _never_online(self, last: BaseException | None) -> StepFailure:
        on_account = self.device is not None
        return StepFailure(
            f"The device took the Wi-Fi details but has not come online in the eWeLink cloud "
            f"within {self.timeouts.wait_cloud:g} s"
            f"{' (it is on the account, offline)' if on_account else ''}.",
            hint=f"Most often the Wi-Fi password is wrong or “{self.plan.ssid}” is 5 GHz only; "
                 f"the device then reopens its ITEAD hotspot after a minute or two: pair it "
                 f"again with corrected details. If the details are right, check that the site "
                 f"network lets devices reach the internet.")

    async def _wait_lan(self, run: StepRun) -> StepOutcome:
        if self.lan_locator is None:
            return StepOutcome(SKIPPED, "LAN discovery is off.")
        deviceid = self.identity["deviceid"]
        run.say("Looking for the device on the LAN (mDNS)…")
        try:
            found = await self.lan_locator(deviceid, run.seconds_left())
        except NetworkError as exc:  # LanNotFound and friends: a warning, not a failure
            return StepOutcome(WARNING, exc.message, hint=exc.hint)
        except TimeoutError:
            found = None
        if found is None:
            missing = self._not_on_lan(None)
            return StepOutcome(WARNING, missing.message, hint=missing.hint)
        url = found if isinstance(found, str) else getattr(found, "url", None)
        self.lan_url = url
        return StepOutcome(DONE, f"Found on the LAN at {url}: LAN control works from here.")

    def _not_on_lan(self, last: BaseException | None) -> StepFailure:
        return StepFailure(
            f"Not found on the LAN (mDNS) within {self.timeouts.wait_lan:g} s.",
            hint="LAN control will not work from this laptop (mDNS does not cross VLANs, guest "
                 "Wi-Fi or VPNs); cloud control works.")

    # -- plumbing -----------------------------------------------------------------------

    def _remember(self, memo: PairingMemo | None) -> None:
        self.memo = memo
        if self._on_memo is not None:
            try:
                self._on_memo(memo)
            except Exception:
                log.exception("storing the pairing memo failed")

    async def _device_request(self, method: str, path: str, *, data: bytes | None = None,
                              content_type: str | None = None) -> tuple[int, str]:
        """One exchange with the hotspot web server; `_NoAnswer` when it did not answer."""
        limit = self.timeouts.request
        timeout = aiohttp.ClientTimeout(total=limit * 2, connect=limit, sock_read=limit)
        headers = {"Connection": "close"}  # its web server takes one connection at a time
        if content_type:
            headers["Content-Type"] = content_type
        try:
            async with self.session.request(method, (self.url or "") + path, data=data,
                                            headers=headers, timeout=timeout) as response:
                return response.status, await read_text(
                    response, limit=DEVICE_REPLY_LIMIT, what=f"The device at {self._host}")
        except ProtocolError as exc:  # from read_text: cut off, or far too large
            raise UnreadableReply(exc.message, hint=exc.hint,
                              too_large=isinstance(exc, ReplyTooLarge)) from None
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise _NoAnswer(_reason(exc), maybe_delivered=False) from None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            # Connected, then lost: the request may have reached the device.
            raise _NoAnswer(_reason(exc), maybe_delivered=True) from None


def locate_device(view: network.NetworkView,
                  memo: PairingMemo | None = None) -> tuple[str, StepOutcome]:
    """Where a device in AP mode is, judging by the laptop's network; StepFailure if nowhere."""
    if view.gateway_is_hotspot:
        return view.device_url() or "", StepOutcome(DONE, view.describe())
    if view.hotspot_addresses:
        url = view.device_url() or ""
        return url, StepOutcome(WARNING, f"{view.describe()} Trying {url}.",
                                hint="If the device does not answer, unplug the network cable or "
                                     "turn off the other adapter while pairing.")
    if memo is not None and memo.wifi_sent:
        # A previous run handed the details over; the hotspot is gone, as expected.
        return memo.device_url, StepOutcome(
            DONE, f"Not on a device hotspot; continuing the previous pairing of device "
                  f"{memo.deviceid}.")
    if view.gateway is None:
        raise StepFailure("This laptop is not connected to any network, so it cannot reach the "
                          "device's hotspot.",
                          hint="Join the Wi-Fi network named ITEAD-… (password 12345678) and "
                               "try again, or give the device's address.")
    raise StepFailure(f"{view.describe()} A device in pairing mode would be the gateway "
                      f"{network.HOTSPOT_GATEWAY}.",
                      hint="Join the Wi-Fi network named ITEAD-… the device opens in pairing "
                           "mode (password 12345678), or give the device's address.")


@dataclass(frozen=True)
class _LostAnswer:
    """POST /ap went out and no usable answer came back: the outcome is unknown."""
    what: str


def cloud_hiccup(exc: BaseException) -> bool:
    """A cloud error worth asking again about later (busy, rate limited, server error)."""
    if isinstance(exc, AuthError):
        return False
    if isinstance(exc, RateLimited):
        return True
    return isinstance(exc, VendorError) and exc.code in (500, 502, 503, 504)


class _NoAnswer(Exception):
    def __init__(self, reason: str, *, maybe_delivered: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.maybe_delivered = maybe_delivered


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return "no answer in time"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return redact_text(str(exc.os_error) or "connection refused")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the connection was closed"
    text = redact_text(str(exc)) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


__all__ = ["STEPS", "STEP_TITLES", "PairingPlan",
           "PairingMemo", "PairingResult", "PairingTimeouts", "PairingCloud", "PairingFailed",
           "EwelinkPairing", "Progress", "StepState", "locate_device"]
