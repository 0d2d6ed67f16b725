"""The pairing wizard as plain Python: pages, the device choice, the Wi-Fi form, the run.

Qt-free on purpose, like onboarding/flow.py: `wizard.py` renders this state and forwards
input, so the rules (what Enter does, which errors show, what "Pair another" keeps) can
be tested without a screen. The pairing itself is `PairingService` (app/services).

Pages:
    start --next--> wifi --pair--> progress --done--> result --pair another--> start
            <--back--       failed/cancelled: retry (same details), edit the Wi-Fi, start over

Installers pair twenty devices in a row, so "Pair another" keeps the Wi-Fi details,
suggests the next name ("Light 3" after "Light 2") and returns to a start page that is
already watching for the next hotspot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.core.network import HOTSPOT_GATEWAY, HOTSPOT_SSID_PREFIX, NetworkView
from app.ui.observable import Observable
from app.vendors.ewelink.ap_device import PASSWORD_MAX, PASSWORD_MIN, SSID_MAX_BYTES, check_wifi
from app.vendors.ewelink.pairing import PairingResult
from app.vendors.ewelink.pairing_steps import Progress

START, WIFI, PROGRESS, RESULT = "start", "wifi", "progress", "result"
PAGES = (START, WIFI, PROGRESS, RESULT)
PAGE_TITLES = {START: "Device", WIFI: "Wi-Fi", PROGRESS: "Pairing", RESULT: "Done"}

# where the device is: the hotspot's gateway, a simulated demo device, an address typed in
HOTSPOT, DEMO, ADDRESS = "hotspot", "demo", "address"

# how the live hotspot check reads
CONNECTED, WRONG_ROUTE, WAITING, CHECKING = "connected", "wrong_route", "waiting", "checking"

# Stand-ins that pass check_wifi, to check one field on its own.
_GOOD_SSID, _GOOD_PASSWORD = "SiteWifi", "12345678"


@dataclass(frozen=True)
class HotspotStatus:
    state: str  # connected | wrong_route | waiting | checking
    headline: str
    detail: str = ""
    adapter: str | None = None  # the interface holding the 10.10.7.x address


def hotspot_status(view: NetworkView | None, wifi_name: str | None = None) -> HotspotStatus:
    """What the start page says about this laptop's network, from one snapshot."""
    if view is None:
        return HotspotStatus(CHECKING, "Checking this laptop's network…")
    named = wifi_name if wifi_name and wifi_name.startswith(HOTSPOT_SSID_PREFIX) else None
    hotspot = view.hotspot_addresses
    if view.gateway_is_hotspot:
        gateway = view.gateway
        held = next((a for a in hotspot if a.interface == gateway.interface), None)
        address = f" has {held.address}" if held else " is on the hotspot"
        return HotspotStatus(
            CONNECTED, f"Connected to {named or 'a device hotspot'}",
            f"Adapter {gateway.interface}{address}; the device answers at {gateway.address}.",
            adapter=gateway.interface)
    if hotspot:
        where = ", ".join(f"{a.interface} ({a.address})" for a in hotspot)
        route = (f"{view.gateway.interface} (gateway {view.gateway.address})"
                 if view.gateway else "nowhere")
        return HotspotStatus(
            WRONG_ROUTE, f"On {named or 'a device hotspot'}, but traffic may take another adapter",
            f"The hotspot address is on {where}, while the default route goes through {route}. "
            f"SiteKit will try {HOTSPOT_GATEWAY}; if the device does not answer, unplug the "
            f"network cable or turn off the other adapter while pairing.",
            adapter=hotspot[0].interface)
    if view.gateway is None:
        detail = "This laptop is not connected to any network right now."
    else:
        on = f" (Wi-Fi “{wifi_name}”)" if wifi_name else ""
        detail = (f"Now on {view.gateway.interface}{on}, gateway {view.gateway.address}. "
                  f"This updates by itself once the laptop joins the hotspot.")
    return HotspotStatus(WAITING, "Waiting for the ITEAD-… hotspot", detail)


def next_name(name: str) -> str:
    """The name to suggest for the next device: "Light 3" after "Light 2", else empty."""
    match = re.match(r"^(.*?)(\d+)$", name.strip())
    if not match:
        return ""
    prefix, number = match.groups()
    return f"{prefix}{int(number) + 1:0{len(number)}d}"


def ssid_bytes(ssid: str) -> int:
    return len(ssid.encode("utf-8"))


@dataclass
class StepFailureInfo:
    step: str | None  # None: the run did not get to a step (not signed in, a bug)
    message: str
    hint: str = ""


@dataclass
class PairingFlow(Observable):
    page: str = START
    demo: bool = False  # the in-process demo site: its devices wait on loopback
    network: NetworkView | None = None
    wifi_name: str | None = None  # the laptop's current Wi-Fi, best effort
    demo_devices: list[tuple[str, str]] = field(default_factory=list)  # (deviceid, AP URL)
    source: str = HOTSPOT
    demo_device: str | None = None  # the deviceid picked
    demo_url: str | None = None
    address: str = ""
    ssid: str = ""
    password: str = ""
    name: str = ""
    show_password: bool = False
    wifi_origin: str = ""  # "" | "remembered" | "demo": where the prefilled details came from
    touched: set[str] = field(default_factory=set)
    # the run
    running: bool = False
    cancelling: bool = False
    progress: Progress | None = None
    outcome: str | None = None  # None while running | done | failed | cancelled
    failure: StepFailureInfo | None = None
    identity: dict[str, str] = field(default_factory=dict)  # deviceid, chipid once read
    result: PairingResult | None = None
    device_model: str = ""  # from the account's device list after pairing
    paired: list[PairingResult] = field(default_factory=list)  # this session, in order
    _planned_url: str | None = None

    # -- the start page ---------------------------------------------------------------

    @property
    def hotspot(self) -> HotspotStatus:
        return hotspot_status(self.network, self.wifi_name)

    def set_network(self, view: NetworkView | None, wifi_name: str | None = None) -> None:
        if view == self.network and wifi_name == self.wifi_name:
            return
        was_connected = self.hotspot.state in (CONNECTED, WRONG_ROUTE)
        self.network, self.wifi_name = view, wifi_name
        if not was_connected and self.hotspot.state in (CONNECTED, WRONG_ROUTE) \
                and self.source == DEMO and not self.running:
            self.source = HOTSPOT  # a real hotspot appeared: that is the device now
        self._changed()

    def set_demo_devices(self, devices: list[tuple[str, str]]) -> None:
        """The demo site's devices now in pairing mode; keeps the pick while it waits."""
        devices = list(devices)
        if devices == self.demo_devices:
            return
        self.demo_devices = devices
        if self.demo and not self.running and self.page == START:
            ids = [d for d, _ in devices]
            if self.demo_device not in ids:
                self.demo_device = ids[0] if ids else None
            if self.source == HOTSPOT and self.demo_device and self.hotspot.state not in (
                    CONNECTED, WRONG_ROUTE):
                self.source = DEMO
            if self.source == DEMO and not self.demo_device:
                self.source = HOTSPOT
        self.demo_url = dict(devices).get(self.demo_device or "", self.demo_url)
        self._changed()

    def choose(self, source: str, deviceid: str | None = None) -> None:
        if source not in (HOTSPOT, DEMO, ADDRESS):
            raise ValueError(source)
        if source == self.source and (source != DEMO or deviceid in (None, self.demo_device)):
            return
        self.source = source
        if source == DEMO:
            self.demo_device = deviceid or self.demo_device
            self.demo_url = dict(self.demo_devices).get(self.demo_device or "")
        self._changed()

    @property
    def device_url(self) -> str | None:
        """What the service's plan gets: None = find the device at the hotspot's gateway."""
        if self.source == DEMO:
            return self.demo_url
        if self.source == ADDRESS:
            return self.address.strip() or None
        return None

    @property
    def start_problem(self) -> str:
        """Why Next is not possible yet ("" when it is)."""
        if self.source == HOTSPOT and self.hotspot.state not in (CONNECTED, WRONG_ROUTE):
            return "Join the device's ITEAD-… hotspot first, or give the device's address."
        if self.source == DEMO and not self.demo_url:
            return "Pick one of the simulated devices."
        if self.source == ADDRESS and not _looks_like_address(self.address):
            return "Enter the device's address, like 10.10.7.1."
        return ""

    @property
    def device_label(self) -> str:
        """The device in words, for the pages after the start page."""
        if self.identity.get("deviceid"):
            return f"Device {self.identity['deviceid']}"
        if self.source == DEMO and self.demo_device:
            return f"Simulated Sonoff {self.demo_device}"
        if self.source == ADDRESS:
            return f"The device at {self.address.strip()}"
        adapter = self.hotspot.adapter
        return f"The device on the hotspot ({HOTSPOT_GATEWAY}" + (
            f", via {adapter})" if adapter else ")")

    def next(self) -> bool:
        """Start page -> Wi-Fi page; False (nothing changes) when a device is missing."""
        if self.page != START or self.start_problem:
            return False
        self.page = WIFI
        self.identity = {}
        self._changed()
        return True

    def back(self) -> None:
        if self.page == WIFI:
            self.page = START
            self._changed()

    # -- the Wi-Fi page ---------------------------------------------------------------

    def prefill_wifi(self, ssid: str, password: str, origin: str) -> None:
        """Details from the secret store (or the demo site), unless the user typed already."""
        if self.ssid or self.password:
            return
        self.ssid, self.password, self.wifi_origin = ssid, password, origin
        self._changed()

    def set_field(self, name: str, value) -> None:
        if name not in ("ssid", "password", "name", "address", "show_password"):
            raise KeyError(name)
        if getattr(self, name) == value:
            return
        setattr(self, name, value)
        if name in ("ssid", "password"):
            self.wifi_origin = ""
        self._changed()

    def touch(self, name: str) -> None:
        if name not in self.touched:
            self.touched.add(name)
            self._changed()

    @property
    def field_errors(self) -> dict[str, list[str]]:
        """ssid/password -> what the device would refuse (the service's own check)."""
        return {"ssid": list(check_wifi(self.ssid, _GOOD_PASSWORD).errors),
                "password": list(check_wifi(_GOOD_SSID, self.password).errors)}

    @property
    def visible_errors(self) -> dict[str, list[str]]:
        """Errors shown now: a field the user left or tried to send, or a value already
        too long (typing more cannot fix that)."""
        errors = self.field_errors
        shown = {}
        for name, problems in errors.items():
            too_long = (ssid_bytes(self.ssid) > SSID_MAX_BYTES if name == "ssid"
                        else len(self.password) > PASSWORD_MAX)
            shown[name] = problems if (name in self.touched or too_long) else []
        return shown

    @property
    def field_warnings(self) -> dict[str, list[str]]:
        ssid = list(check_wifi(self.ssid, _GOOD_PASSWORD).warnings) if self.ssid else []
        password = list(check_wifi(_GOOD_SSID, self.password).warnings) \
            if ("password" in self.touched or self.ssid) else []
        return {"ssid": ssid, "password": password}

    @property
    def ssid_counter(self) -> str:
        return f"{ssid_bytes(self.ssid)} of {SSID_MAX_BYTES} bytes"

    @property
    def password_rule(self) -> str:
        return f"{PASSWORD_MIN} to {PASSWORD_MAX} characters, or empty for an open network"

    @property
    def can_pair(self) -> bool:
        return self.page == WIFI and not self.running and check_wifi(self.ssid,
                                                                     self.password).ok

    # -- the run ----------------------------------------------------------------------

    def begin(self) -> tuple[str | None, str, str, str] | None:
        """Pair: (device_url, ssid, password, name) for the service, or None if the form
        is not ready (its errors are then shown)."""
        if self.page == WIFI:
            self.touched |= {"ssid", "password"}
            if not self.can_pair:
                self._changed()
                return None
            self._planned_url = self.device_url
        elif not (self.page == PROGRESS and self.outcome in ("failed", "cancelled")):
            return None
        self.page = PROGRESS
        self.running, self.cancelling = True, False
        self.outcome, self.failure, self.progress, self.result = None, None, None, None
        self._changed()
        return self._planned_url, self.ssid, self.password, self.name.strip()

    def retry(self) -> tuple[str | None, str, str, str] | None:
        """Run again with the same details (the flow is idempotent)."""
        return self.begin() if self.page == PROGRESS else None

    def update(self, progress: Progress) -> None:
        self.progress = progress
        self._changed()

    def set_identity(self, deviceid: str, chipid: str | None) -> None:
        identity = {"deviceid": deviceid, "chipid": chipid or ""}
        if identity != self.identity:
            self.identity = identity
            self._changed()

    def cancel(self) -> bool:
        """The user pressed Cancel: True if there is a run to cancel."""
        if not self.running or self.cancelling:
            return False
        self.cancelling = True
        self._changed()
        return True

    def succeeded(self, result: PairingResult, model: str = "") -> None:
        self.running = self.cancelling = False
        self.outcome = "done"
        self.result = result
        self.device_model = model
        self.paired.append(result)
        self.page = RESULT
        self._changed()

    def failed(self, step: str | None, message: str, hint: str = "") -> None:
        self.running = self.cancelling = False
        self.outcome = "failed"
        self.failure = StepFailureInfo(step, message, hint)
        self._changed()

    def cancelled(self) -> None:
        self.running = self.cancelling = False
        self.outcome = "cancelled"
        self._changed()

    @property
    def failed_step_title(self) -> str:
        if self.failure is None or self.failure.step is None or self.progress is None:
            return ""
        try:
            return self.progress.step(self.failure.step).title
        except StopIteration:
            return self.failure.step

    # -- after a run ------------------------------------------------------------------

    def edit_wifi(self) -> None:
        if self.page == PROGRESS and not self.running:
            self.page = WIFI
            self._changed()

    def start_over(self) -> None:
        if self.running:
            return
        self._reset_run()
        self.page = START
        self._changed()

    def pair_another(self) -> None:
        """Back to the start with the Wi-Fi kept and the next name suggested."""
        if self.running:
            return
        self.name = next_name(self.name)
        self._reset_run()
        self.page = START
        self.touched = set()
        if self.source == DEMO:  # the one just paired has left pairing mode
            waiting = [d for d, _ in self.demo_devices
                       if not any(p.deviceid == d for p in self.paired)]
            self.demo_device = waiting[0] if waiting else None
            self.demo_url = dict(self.demo_devices).get(self.demo_device or "")
        self._changed()

    def _reset_run(self) -> None:
        self.outcome, self.failure, self.progress, self.result = None, None, None, None
        self.identity = {}
        self.device_model = ""


def _looks_like_address(text: str) -> bool:
    text = text.strip()
    if not text or " " in text:
        return False
    host = text.split("://", 1)[-1].split("/", 1)[0]
    return bool(host) and not host.startswith(":")
