"""A Sonoff in AP (pairing) mode: the Wi-Fi details it accepts and what its little web server
sends back, read defensively (it may be anything: a router's admin page, a captive portal,
firmware of another vendor). `pairing.py` runs the steps with these.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from app.core.errors import ProtocolError
from app.vendors.ewelink.pairing_steps import StepFailure

# What firmware of the time expects in POST /ap (robertklep/name.klep.sonoff, SonOTA).
AP_PROTOCOL_VERSION = 4
HOTSPOT_HINT = ("The hotspot is called ITEAD-<device id> (password 12345678). If the device's "
                "LED no longer blinks quickly, hold its button for about 5 seconds to enter "
                "pairing mode again.")
WIFI_REMINDER = "The network must be 2.4 GHz: Sonoff devices cannot join 5 GHz networks."
# A hotspot's replies are about 100 bytes; anything far bigger is not a Sonoff's web server
# (a captive portal, a router's admin page) and must not be buffered whole.
DEVICE_REPLY_LIMIT = 64 * 1024
SSID_MAX_BYTES = 32
PASSWORD_MIN, PASSWORD_MAX = 8, 63
# "Home-5G", "Office_5GHz", "net 5 GHz", "Wifi5G" (but not "Route25G" or "5Guest").
_FIVE_GHZ = re.compile(r"(?i)(?:^|[^0-9])5\s*g(?:hz)?(?:$|[^a-z0-9])")


# -- Wi-Fi details ----------------------------------------------------------------------------

@dataclass(frozen=True)
class WifiCheck:
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def check_wifi(ssid: str, password: str) -> WifiCheck:
    """What a device will refuse (errors) or probably fail with (warnings)."""
    errors: list[str] = []
    warnings: list[str] = []
    size = len(ssid.encode("utf-8"))
    if not ssid:
        errors.append("Enter the Wi-Fi network name (SSID).")
    elif size > SSID_MAX_BYTES:
        extra = (" (letters with accents, other scripts and emoji take 2 to 4 bytes each)"
                 if size != len(ssid) else "")
        errors.append(f"The Wi-Fi name is {size} bytes long{extra}; devices accept at most "
                      f"{SSID_MAX_BYTES} bytes.")
    if password and not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        errors.append(f"The Wi-Fi password has {len(password)} characters; it must be "
                      f"{PASSWORD_MIN} to {PASSWORD_MAX} characters, or empty for an open "
                      f"network.")
    if ssid and _FIVE_GHZ.search(ssid):
        warnings.append(f"“{ssid}” looks like a 5 GHz network. Sonoff devices only join "
                        f"2.4 GHz networks: use the router's 2.4 GHz name.")
    if ssid and ssid != ssid.strip():
        warnings.append("The Wi-Fi name starts or ends with a space; check that it really does.")
    if not password:
        warnings.append("No password: that is only right for an open network.")
    elif not password.isascii():
        warnings.append("The password has characters outside plain ASCII; some older Sonoff "
                        "firmware cannot use them.")
    return WifiCheck(tuple(errors), tuple(warnings))



class UnreadableReply(ProtocolError):
    """The device answered, but the reply was cut off or far too large."""

    def __init__(self, message: str, *, hint: str = "", too_large: bool = False) -> None:
        super().__init__(message, hint=hint)
        self.too_large = too_large



def parse_device_reply(status: int, text: str, host: str) -> dict[str, Any]:
    """`GET /device`'s reply -> {deviceid, apikey (the device's own key), chipid}.

    Raises StepFailure (a SiteKitError) naming what is wrong; `retry` set where asking again
    may help (the device's web server failing, HTTP 5xx).
    """
    if status >= 500 or status == 429:
        # Busy or failing, not "something else": asking again is safe (a read).
        raise StepFailure(f"The device at {host} answered that it is busy or failing "
                          f"(HTTP {status}).", hint=HOTSPOT_HINT, retry=True)
    reply = parse_json(text)
    if not isinstance(reply, dict):
        raise StepFailure(f"Something answered at {host} (HTTP {status}), but it is not "
                          f"a Sonoff in pairing mode.",
                          hint="Is the laptop on the device's ITEAD-… hotspot? A home router "
                               "also answers at its gateway address.")
    if "deviceid" not in reply and isinstance(reply.get("data"), str):
        raise StepFailure(
            f"The device at {host} sends its details encrypted (vendor-only "
            f"firmware), so SiteKit cannot pair it.",
            hint="Pair this model with the eWeLink app; it then shows up in SiteKit's "
                 "device list like any other.")
    deviceid, devicekey = reply.get("deviceid"), reply.get("apikey")
    if not _plain_id(deviceid, 64) or not _plain_id(devicekey, 128):
        raise StepFailure(f"The device at {host} did not say its device id and key.",
                          hint="It may run firmware SiteKit does not know; pair it with "
                               "the eWeLink app.")
    chipid = reply.get("chipid")
    chipid = str(chipid) if isinstance(chipid, (str, int)) and not isinstance(chipid, bool) \
        and chipid != "" else None
    return {"deviceid": deviceid, "apikey": devicekey,
            "chipid": chipid if chipid is None or _plain_id(chipid, 64) else None}



def parse_ap_reply(status: int, text: str) -> str | None:
    """`POST /ap`'s reply: None when the device accepted the details, else what makes the
    outcome unknown (a server error, an unreadable reply). A refusal raises StepFailure."""
    reply = parse_json(text)
    code = reply.get("error") if isinstance(reply, dict) else None
    if code == 0 and not isinstance(code, bool) and status == 200:
        return None
    if not isinstance(reply, dict) or status >= 500:
        # A server error or an unreadable answer says nothing about whether the firmware
        # applied the details before failing.
        return f"it answered HTTP {status}{'' if isinstance(reply, dict) else ' with no readable reply'}"
    reason = reply.get("reason") or reply.get("msg") or ""
    reason = (reason if isinstance(reason, str) else json.dumps(reason))[:200]
    shown = reason or f"error {str(code)[:40]}"
    raise StepFailure(f"The device refused the Wi-Fi details: {shown}.",
                      hint=_refusal_hint(reason))


def _plain_id(value: Any, longest: int) -> bool:
    """A short printable ASCII token: what device ids, keys and chip ids are."""
    return (isinstance(value, str) and 0 < len(value) <= longest and value.isascii()
            and value.isprintable() and value.strip() == value)



def normalise_url(url: str) -> str:
    """'10.10.7.1' -> 'http://10.10.7.1'; trailing slashes and paths dropped."""
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    if not parts.hostname:
        raise StepFailure(f"“{url}” is not a device address.",
                          hint="Give it like 10.10.7.1 or http://10.10.7.1.")
    return f"{parts.scheme}://{parts.netloc}"


def parse_json(text: str) -> Any:
    """JSON, or None for anything that is not (a device's reply may be anything)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested thousands deep
        return None



def _refusal_hint(reason: str) -> str:
    lowered = reason.lower()
    if "ssid" in lowered:
        return (f"Wi-Fi names must be 1 to {SSID_MAX_BYTES} bytes (UTF-8). Correct the name and "
                f"pair again.")
    if "password" in lowered:
        return (f"Wi-Fi passwords must be {PASSWORD_MIN} to {PASSWORD_MAX} characters, or empty "
                f"for an open network. Correct it and pair again.")
    if "port" in lowered or "server" in lowered:
        return "SiteKit sent a bad cloud address: this is likely a bug; send the log to support."
    return "Check the Wi-Fi name and password and pair again."
