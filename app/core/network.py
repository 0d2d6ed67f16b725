"""Which network is this laptop on? Default gateway and interface addresses.

Pairing needs two answers: "where is the device?" (on a Sonoff hotspot, the default
gateway, 10.10.7.1) and "which adapter holds the 10.10.7.x address?" (laptops with a
cable and Wi-Fi route traffic the wrong way, and the user must be told which).

`netifaces` is archived; `netifaces-plus` is the maintained fork with the same
`import netifaces` API. Both sit behind `NetworkBackend`, with a Linux fallback that
reads /proc/net/route and asks the kernel for addresses itself, so a missing or broken
wheel never stops pairing with an address the user types.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import platform
import shutil
import socket
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger(__name__)

# A Sonoff in AP mode hands out 10.10.7.x and is itself 10.10.7.1 (ITEAD-<deviceid>).
HOTSPOT_NETWORK = ipaddress.ip_network("10.10.7.0/24")
HOTSPOT_GATEWAY = "10.10.7.1"
HOTSPOT_SSID_PREFIX = "ITEAD-"

PROC_ROUTE = "/proc/net/route"
_RTF_UP = 0x1
_RTF_GATEWAY = 0x2


@dataclass(frozen=True)
class Gateway:
    address: str
    interface: str


@dataclass(frozen=True)
class InterfaceAddress:
    interface: str
    address: str
    netmask: str | None = None

    @property
    def network(self) -> ipaddress.IPv4Network | None:
        try:
            return ipaddress.ip_network(f"{self.address}/{self.netmask or 32}", strict=False)
        except ValueError:
            return None

    def on_hotspot(self) -> bool:
        return in_hotspot(self.address)


def in_hotspot(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address) in HOTSPOT_NETWORK
    except ValueError:
        return False


class NetworkBackend(Protocol):
    name: str

    def default_gateway(self) -> Gateway | None: ...

    def addresses(self) -> list[InterfaceAddress]: ...


# -- backends -----------------------------------------------------------------------------

class NetifacesBackend:
    name = "netifaces"

    def __init__(self) -> None:
        import netifaces  # netifaces-plus provides this module

        self._ni = netifaces

    def default_gateway(self) -> Gateway | None:
        default = self._ni.gateways().get("default") or {}
        entry = default.get(self._ni.AF_INET)
        if not entry:
            return None
        return Gateway(address=str(entry[0]), interface=str(entry[1]))

    def addresses(self) -> list[InterfaceAddress]:
        found = []
        for name in self._ni.interfaces():
            for item in self._ni.ifaddresses(name).get(self._ni.AF_INET, []):
                if item.get("addr"):
                    found.append(InterfaceAddress(name, item["addr"], item.get("netmask")))
        return found


class LinuxProcBackend:
    """No netifaces: /proc/net/route for the gateway, ioctls for the addresses."""

    name = "/proc/net/route"

    def __init__(self, route_path: str = PROC_ROUTE) -> None:
        self.route_path = route_path

    def default_gateway(self) -> Gateway | None:
        try:
            with open(self.route_path, encoding="ascii") as handle:
                return parse_proc_route(handle.read())
        except OSError:
            return None

    def addresses(self) -> list[InterfaceAddress]:
        import fcntl

        found = []
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for _, name in socket.if_nameindex():
                request = struct.pack("256s", name.encode()[:15])
                try:
                    addr = socket.inet_ntoa(fcntl.ioctl(sock.fileno(), 0x8915, request)[20:24])
                except OSError:  # SIOCGIFADDR: no IPv4 address on this interface
                    continue
                try:
                    mask = socket.inet_ntoa(fcntl.ioctl(sock.fileno(), 0x891B, request)[20:24])
                except OSError:  # SIOCGIFNETMASK
                    mask = None
                found.append(InterfaceAddress(name, addr, mask))
        return found


class NullBackend:
    name = "none"

    def default_gateway(self) -> Gateway | None:
        return None

    def addresses(self) -> list[InterfaceAddress]:
        return []


def parse_proc_route(text: str) -> Gateway | None:
    """The IPv4 default route with the lowest metric from /proc/net/route's text."""
    best: tuple[int, Gateway] | None = None
    for line in text.splitlines()[1:]:
        cols = line.split()
        if len(cols) < 8:
            continue
        iface, dest, gateway, flags, metric, mask = cols[0], cols[1], cols[2], cols[3], cols[6], cols[7]
        try:
            if int(dest, 16) != 0 or int(mask, 16) != 0:
                continue
            flag_bits = int(flags, 16)
            if not flag_bits & _RTF_UP or not flag_bits & _RTF_GATEWAY:
                continue
            # The kernel prints the address as a host-order (little-endian) hex word.
            address = socket.inet_ntoa(struct.pack("<I", int(gateway, 16)))
            rank = int(metric)
        except ValueError:
            continue
        if best is None or rank < best[0]:
            best = (rank, Gateway(address, iface))
    return best[1] if best else None


def default_backend() -> NetworkBackend:
    try:
        backend: NetworkBackend = NetifacesBackend()
        backend.default_gateway()  # a broken build fails here, not in the middle of pairing
        return backend
    except Exception as exc:  # ImportError, or a wheel that does not work on this system
        log.info("netifaces unavailable (%s); using the OS fallback", exc)
    if sys.platform.startswith("linux") and os.path.exists(PROC_ROUTE):
        return LinuxProcBackend()
    return NullBackend()


# -- the view pairing uses ------------------------------------------------------------------

@dataclass(frozen=True)
class NetworkView:
    gateway: Gateway | None
    addresses: tuple[InterfaceAddress, ...] = field(default_factory=tuple)
    source: str = "none"

    @property
    def hotspot_addresses(self) -> list[InterfaceAddress]:
        """Addresses in the Sonoff hotspot's 10.10.7.0/24, whichever adapter holds them."""
        return [a for a in self.addresses if a.on_hotspot()]

    @property
    def on_hotspot(self) -> bool:
        return bool(self.hotspot_addresses) or (self.gateway is not None
                                                and in_hotspot(self.gateway.address))

    @property
    def gateway_is_hotspot(self) -> bool:
        return self.gateway is not None and in_hotspot(self.gateway.address)

    def device_url(self) -> str | None:
        """Where a device in AP mode should be: the default gateway, or 10.10.7.1 when an
        adapter holds a hotspot address but the default route goes elsewhere."""
        if self.gateway_is_hotspot:
            return f"http://{self.gateway.address}"
        if self.hotspot_addresses:
            return f"http://{HOTSPOT_GATEWAY}"
        if self.gateway is not None:
            return f"http://{self.gateway.address}"
        return None

    def describe(self) -> str:
        """One or two sentences for the pairing screen and the CLI."""
        hotspot = self.hotspot_addresses
        if self.gateway is None and not hotspot:
            return "This laptop has no default gateway: it is not connected to any network."
        if self.gateway_is_hotspot:
            return (f"Connected to a device hotspot: {self.gateway.interface} has the default "
                    f"gateway {self.gateway.address}.")
        if hotspot:
            where = ", ".join(f"{a.interface} ({a.address})" for a in hotspot)
            route = (f"{self.gateway.interface} (gateway {self.gateway.address})"
                     if self.gateway else "nowhere")
            return (f"A hotspot address is on {where}, but the default route goes through "
                    f"{route}: traffic may take the wrong adapter.")
        return (f"Not on a device hotspot: the default gateway is {self.gateway.address} on "
                f"{self.gateway.interface}.")


def snapshot(backend: NetworkBackend | None = None) -> NetworkView:
    """The gateway and addresses right now (cheap; call it again to refresh)."""
    backend = backend or default_backend()
    try:
        gateway = backend.default_gateway()
    except Exception:
        log.exception("reading the default gateway failed")
        gateway = None
    try:
        addresses = tuple(backend.addresses())
    except Exception:
        log.exception("reading interface addresses failed")
        addresses = ()
    return NetworkView(gateway=gateway, addresses=addresses, source=backend.name)


def current_ssid(timeout: float = 2.0) -> str | None:
    """The Wi-Fi network name, best effort (None when unknown); blocking, call in a thread.

    Used only to tell the user "you are on ITEAD-…" — pairing never depends on it.
    """
    system = platform.system()
    try:
        if system == "Linux":
            if shutil.which("iwgetid"):
                out = _run(["iwgetid", "-r"], timeout)
                if out:
                    return out
            if shutil.which("nmcli"):
                for line in _run(["nmcli", "-t", "-f", "active,ssid", "dev", "wifi"],
                                 timeout).splitlines():
                    if line.startswith("yes:"):
                        return line[4:] or None
        elif system == "Windows":
            for line in _run(["netsh", "wlan", "show", "interfaces"], timeout).splitlines():
                key, _, value = line.partition(":")
                if key.strip() == "SSID":
                    return value.strip() or None
        elif system == "Darwin":
            for line in _run(["networksetup", "-getairportnetwork", "en0"], timeout).splitlines():
                if ":" in line:
                    return line.split(":", 1)[1].strip() or None
    except (OSError, subprocess.SubprocessError):
        return None
    return None


def _run(argv: list[str], timeout: float) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""
