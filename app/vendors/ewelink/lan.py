"""eWeLink LAN mode: find devices with mDNS, read their TXT records, switch them directly.

Facts (AlexxIT/SonoffLAN `core/ewelink/local.py`, itead's DIY tool, SiteKit protocol notes):
- mDNS service `_ewelink._tcp.local.`, instance `eWeLink_<deviceid>`; TXT keys txtvers, id,
  type, apivers, seq, encrypt, iv and the params split over data1..dataN (joined in order).
- Control: `POST http://<ip>:<port>/zeroconf/<command>` (port 8081 from the SRV record),
  body {sequence, deviceid, selfApikey, encrypt, iv, data}; the data is the params JSON,
  AES-128-CBC with MD5(devicekey) (lan_crypto.py).
- The device's web server handles one request at a time and resets concurrent
  connections, so: `Connection: close`, one request at a time per device with at least
  200 ms between them, and one retry when the connection is reset (RST: refused unread).
- A command whose answer is lost (the connection closed without a reply, a timeout, a
  server error or an unreadable reply) is never sent again on its own: the device may have
  acted. `LanOutcomeUnknown` says so and how to check. `info` (a read) is asked once more.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import aiohttp

from app.core.errors import (CommandTimeout, NetworkError, ProtocolError, SiteKitError,
                             VendorError)
from app.core.http import ReplyTooLarge, read_text
from app.core.logs import redact_text
from app.vendors.ewelink.lan_crypto import decrypt, encrypt

log = logging.getLogger(__name__)

VENDOR = "eWeLink LAN"
SERVICE_TYPE = "_ewelink._tcp.local."
DEFAULT_PORT = 8081
# The devices' own web server cannot take requests closer together than this.
MIN_REQUEST_INTERVAL = 0.2
REQUEST_TIMEOUT = 5.0
# How long to wait for a device's SRV/TXT/A answers once its name was seen.
RESOLVE_TIMEOUT_MS = 3000
# The DIY API wants some value here; encrypted requests ignore it.
SELF_APIKEY = "123"
# A device's replies are well under 2 KB (`info` carries every param); far more is not a
# Sonoff's web server and must not be buffered whole.
LAN_REPLY_LIMIT = 64 * 1024
# Commands that only read: safe to ask again when the answer is lost.
READ_COMMANDS = frozenset({"info"})


# -- TXT records ------------------------------------------------------------------------------

@dataclass(frozen=True)
class LanAnnouncement:
    """What a device says about itself in its mDNS TXT record."""

    deviceid: str
    type: str
    seq: int | None
    encrypted: bool
    iv: str | None
    data: str  # data1..dataN joined in order (base64 ciphertext, or plain JSON for DIY)
    params: dict[str, Any] | None = None  # already readable (unencrypted DIY devices)
    txt: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def decrypt_params(self, devicekey: str) -> dict[str, Any]:
        """The device's params; needs its devicekey unless the record is plain."""
        if not self.encrypted:
            return dict(self.params or {})
        if not self.iv:
            raise ProtocolError(f"Device {self.deviceid} announces encrypted data but no IV.",
                                hint="Its firmware may speak another LAN protocol.")
        return decrypt_json(devicekey, self.iv, self.data, what=f"device {self.deviceid}'s "
                                                                 f"mDNS record")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def parse_txt(properties: Mapping[bytes | str, bytes | str | None]) -> LanAnnouncement:
    """A TXT record (zeroconf's `properties`) -> `LanAnnouncement`.

    Raises ProtocolError when the record does not name a device.
    """
    if not isinstance(properties, Mapping):
        raise ProtocolError("An eWeLink mDNS record has no readable TXT data.",
                            hint="It is not a Sonoff in LAN mode, or its firmware is unusual.")
    txt = {_text(key): _text(value) for key, value in properties.items()}
    deviceid = txt.get("id", "").strip()
    if not deviceid:
        raise ProtocolError("An eWeLink mDNS record names no device id.",
                            hint="It is not a Sonoff in LAN mode, or its firmware is unusual.")
    chunks = sorted(((_small_number(key[4:]), value) for key, value in txt.items()
                     if key.startswith("data") and _small_number(key[4:]) is not None),
                    key=lambda kv: kv[0])
    data = "".join(value for _, value in chunks)
    iv = txt.get("iv") or None
    flag = txt.get("encrypt", "").strip().lower()
    encrypted = flag in ("true", "1", "yes") or (flag == "" and iv is not None)
    params = None
    if not encrypted and data:
        try:
            loaded = json.loads(data)
        except ValueError:
            loaded = None
        params = loaded if isinstance(loaded, dict) else None
    seq = _small_number(txt.get("seq", "").strip())
    return LanAnnouncement(deviceid=deviceid, type=txt.get("type", ""), seq=seq,
                           encrypted=encrypted, iv=iv, data=data, params=params, txt=txt)


def _small_number(text: str) -> int | None:
    """A TXT number ("3", "data12"): ASCII digits only (str.isdigit also takes "²" and "١",
    which int() refuses or reads differently), and short: no 4,000-digit int() to parse."""
    if not text or len(text) > 18 or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def decrypt_json(devicekey: str, iv: str, data: str, *, what: str) -> dict[str, Any]:
    """Decrypt a params payload; ProtocolError (never another exception) when it is not one."""
    if not all(isinstance(v, str) for v in (devicekey, iv, data)):
        raise ProtocolError(f"Could not decrypt {what}: the encrypted fields are not text.",
                            hint="The device's firmware may use another LAN protocol.")
    try:
        plain = decrypt(devicekey, iv, data)
    except UnicodeEncodeError:  # a key that is not UTF-8 text (lone surrogates)
        raise ProtocolError(f"Could not decrypt {what}: the device key is not valid text.",
                            hint="Refresh the device list to get the current device key.") from None
    try:
        value = json.loads(plain.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise ProtocolError(f"Could not decrypt {what}: is the device key right?",
                            hint="The device key comes from the eWeLink device list; refresh "
                                 "it (a device reset to factory settings gets a new one).")
    return value


# -- discovery --------------------------------------------------------------------------------

@dataclass
class LanDevice:
    deviceid: str
    host: str
    port: int
    announcement: LanAnnouncement
    last_seen: float  # time.time()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


class LanNotFound(NetworkError):
    """A device did not show up on the LAN (mDNS) in time."""


DeviceListener = Callable[[LanDevice], None]


class LanDiscovery:
    """Browse `_ewelink._tcp.local.` and keep what each device announces.

    `interfaces`: zeroconf's InterfaceChoice or a list of IP addresses to use (None = all).
    Start and stop it from a coroutine, so zeroconf runs on the running loop.
    """

    def __init__(self, *, interfaces=None) -> None:
        self.interfaces = interfaces
        self.devices: dict[str, LanDevice] = {}
        self._listeners: list[DeviceListener] = []
        self._waiters: dict[str, list[asyncio.Future]] = {}
        self._tasks: set[asyncio.Task] = set()
        self._aiozc = None
        self._browser = None

    @property
    def running(self) -> bool:
        return self._aiozc is not None

    async def start(self) -> None:
        if self._aiozc is not None:
            return
        from zeroconf import InterfaceChoice
        from zeroconf.asyncio import AsyncServiceBrowser, AsyncZeroconf

        interfaces = InterfaceChoice.All if self.interfaces is None else self.interfaces
        self._aiozc = AsyncZeroconf(interfaces=interfaces)
        self._browser = AsyncServiceBrowser(self._aiozc.zeroconf, [SERVICE_TYPE],
                                            handlers=[self._on_change])

    async def stop(self) -> None:
        browser, self._browser = self._browser, None
        aiozc, self._aiozc = self._aiozc, None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if browser is not None:
            await browser.async_cancel()
        if aiozc is not None:
            await aiozc.async_close()
        for waiters in self._waiters.values():
            for future in waiters:
                if not future.done():
                    future.cancel()
        self._waiters.clear()

    async def __aenter__(self) -> LanDiscovery:
        await self.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    def subscribe(self, callback: DeviceListener) -> Callable[[], None]:
        """`callback(LanDevice)` on every new or changed announcement; returns unsubscribe."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    async def wait_for(self, deviceid: str, timeout: float) -> LanDevice:
        if deviceid in self.devices:
            return self.devices[deviceid]
        future = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(deviceid, []).append(future)
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise LanNotFound(
                f"Device {deviceid} was not found on the LAN (mDNS) within {timeout:g} s.",
                hint="The laptop and the device must be on the same network: mDNS does not "
                     "cross VLANs, guest Wi-Fi or VPNs. Cloud control still works.") from None
        finally:
            waiters = self._waiters.get(deviceid, [])
            if future in waiters:
                waiters.remove(future)

    # zeroconf calls handlers with keyword arguments, on the loop's thread.
    def _on_change(self, *, zeroconf, service_type: str, name: str, state_change) -> None:
        from zeroconf import ServiceStateChange

        if state_change is ServiceStateChange.Removed:
            gone = [d for d, dev in self.devices.items()
                    if name.startswith(f"eWeLink_{d}.") or name.startswith(f"{d}.")]
            for deviceid in gone:
                self.devices.pop(deviceid, None)
            return
        task = asyncio.ensure_future(self._resolve(zeroconf, service_type, name))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resolve(self, zc, service_type: str, name: str) -> None:
        from zeroconf.asyncio import AsyncServiceInfo

        info = AsyncServiceInfo(service_type, name)
        try:
            if not await info.async_request(zc, RESOLVE_TIMEOUT_MS):
                log.info("LAN discovery: %s did not answer its details", name)
                return
        except Exception:  # a broken record must not stop discovery
            log.exception("LAN discovery: resolving %s failed", name)
            return
        try:
            announcement = parse_txt(info.properties or {})
        except ProtocolError as exc:
            log.info("LAN discovery: ignoring %s: %s", name, exc.message)
            return
        addresses = info.parsed_addresses()
        if not addresses:
            return
        # Prefer IPv4: the devices' web server listens there.
        host = next((a for a in addresses if ":" not in a), addresses[0])
        device = LanDevice(announcement.deviceid, host, info.port or DEFAULT_PORT,
                           announcement, time.time())
        self.devices[device.deviceid] = device
        for future in self._waiters.pop(device.deviceid, []):
            if not future.done():
                future.set_result(device)
        for callback in list(self._listeners):
            try:
                callback(device)
            except Exception:
                log.exception("LAN discovery listener failed")


# -- control ----------------------------------------------------------------------------------

class _Pacer:
    """One request at a time to a device, at least MIN_REQUEST_INTERVAL apart."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.last = 0.0  # loop time the last request finished


# Per event loop (asyncio locks belong to one loop), per device.
_pacers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Pacer]]" = (
    weakref.WeakKeyDictionary())


def _pacer(deviceid: str) -> _Pacer:
    loop = asyncio.get_running_loop()
    return _pacers.setdefault(loop, {}).setdefault(deviceid, _Pacer())


_RESET_ERRORS = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)


class LanClient:
    """Talk to one device over the LAN."""

    def __init__(self, session: aiohttp.ClientSession, deviceid: str, devicekey: str,
                 base_url: str, *, timeout: float = REQUEST_TIMEOUT,
                 min_interval: float = MIN_REQUEST_INTERVAL) -> None:
        self.session = session
        self.deviceid = deviceid
        self._devicekey = devicekey
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.min_interval = min_interval

    def __repr__(self) -> str:
        return f"LanClient({self.deviceid!r}, {self.base_url!r})"

    async def switch(self, on: bool, outlet: int | None = None,
                     channels: int | Iterable[int] | None = None) -> dict[str, Any]:
        """Switch a single-channel device, one outlet, or all `channels` of a multi-channel one.

        `channels`: a count (outlets 0..n-1) or the outlet numbers. Returns the params the
        device reported back, or the params sent when it reported nothing.
        """
        state = "on" if on else "off"
        if outlet is None and channels is None:
            command, params = "switch", {"switch": state}
        else:
            if outlet is not None:
                outlets = [outlet]
            elif isinstance(channels, int):
                outlets = list(range(channels))
            else:
                outlets = list(channels or ())
            command = "switches"
            params = {"switches": [{"switch": state, "outlet": o} for o in outlets]}
        reply = await self.send(command, params)
        return reply.get("params") or params

    async def info(self) -> dict[str, Any]:
        """Every param the device has (switch states, signal strength, firmware...)."""
        reply = await self.send("info", {})
        params = reply.get("params")
        if not isinstance(params, dict):
            raise ProtocolError(f"Device {self.deviceid} answered `info` without its state.",
                                hint="Its firmware may not support LAN info; use the cloud.")
        return params

    async def send(self, command: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """POST /zeroconf/<command>; the reply, with `params` decrypted when it carried state.

        Sent again only when it cannot have been acted on (the device reset the connection
        unread), or when it only reads (`info`). Otherwise a lost answer raises
        `LanOutcomeUnknown`: the device may have switched.
        """
        pacer = _pacer(self.deviceid)
        reads = command in READ_COMMANDS
        async with pacer.lock:
            loop = asyncio.get_running_loop()
            try:
                for attempt in (1, 2):
                    wait = pacer.last + self.min_interval - loop.time()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    try:
                        return await self._post(command, params)
                    except aiohttp.ClientConnectorError as exc:
                        raise self._network_error(exc) from None  # refused: never reached it
                    except aiohttp.ServerDisconnectedError as exc:
                        # Closed without an answer, after the request went out.
                        if not reads:
                            raise self._lost(command, "the connection closed before its "
                                                      "answer") from exc
                        if attempt == 2:
                            raise self._network_error(exc) from None
                    except aiohttp.ClientOSError as exc:
                        # The device resets connections it cannot take, unread: once more
                        # is safe.
                        if attempt == 2:
                            raise self._network_error(exc) from None
                    except aiohttp.ClientError as exc:
                        # Connected and sent, then an answer that is not HTTP (a bad status
                        # line, broken headers): the device may have acted.
                        if not reads:
                            raise self._lost(command, "what came back was not HTTP") from exc
                        if attempt == 2:
                            raise ProtocolError(
                                f"Something answered {command} at {self.base_url}, but not "
                                f"in HTTP: it is not device {self.deviceid}'s LAN server.",
                                hint="Another program may be listening at that address; "
                                     "discover devices on the LAN again.") from None
                    except _Retryable as exc:
                        if attempt == 2 or not reads:
                            raise exc.error from None
                    finally:
                        pacer.last = loop.time()
                    log.info("LAN %s: %s to %s failed; asking once more", self.deviceid,
                             command, self.base_url)
            except (aiohttp.ClientError, OSError) as exc:
                raise self._network_error(exc) from None
        raise AssertionError("unreachable")

    def _lost(self, command: str, what: str) -> "LanOutcomeUnknown":
        return LanOutcomeUnknown(
            f"Device {self.deviceid}'s answer to {command} was lost on the LAN ({what}): it "
            f"may or may not have acted. SiteKit did not send it again.",
            hint="Check the device's state (the device list shows its own report; `sitekit lan "
                 "discover` reads its current record), then send the command again if needed.")

    async def _post(self, command: str, params: Mapping[str, Any]) -> dict[str, Any]:
        iv, data = encrypt(self._devicekey, json.dumps(dict(params), separators=(",", ":")))
        body = {"sequence": str(int(time.time() * 1000)), "deviceid": self.deviceid,
                "selfApikey": SELF_APIKEY, "encrypt": True, "iv": iv, "data": data}
        url = f"{self.base_url}/zeroconf/{command}"
        reads = command in READ_COMMANDS
        try:
            async with self.session.post(
                    url, data=json.dumps(body).encode("utf-8"),
                    headers={"Content-Type": "application/json", "Connection": "close"},
                    # A connect timeout of its own (shorter than the total) tells "never
                    # reached it" (safe to report as unreachable) from "no answer after
                    # sending" (the outcome is unknown).
                    timeout=aiohttp.ClientTimeout(total=self.timeout,
                                                  sock_connect=self.timeout / 2)) as response:
                status = response.status
                text = await read_text(response, limit=LAN_REPLY_LIMIT,
                                       what=f"Device {self.deviceid}")
        except aiohttp.ConnectionTimeoutError as exc:
            raise self._network_error(exc) from None
        except asyncio.TimeoutError:
            if not reads:
                raise self._lost(command, f"no answer within {self.timeout:g} s") from None
            raise CommandTimeout(
                f"Device {self.deviceid} did not answer on the LAN at {self.base_url} within "
                f"{self.timeout:g} s.",
                hint="It may be busy or its address changed; discover devices again, or use "
                     "the cloud.") from None
        except ReplyTooLarge as exc:
            raise ProtocolError(f"{exc.message} That is not a Sonoff's answer to {command}"
                                f"{'' if reads else ': whether it acted is unknown'}.",
                                hint=f"Another program may be listening at {self.base_url}; "
                                     f"discover devices on the LAN again.") from None
        except ProtocolError as exc:  # cut off mid-reply
            if reads:
                raise _Retryable(exc) from None
            raise ProtocolError(f"{exc.message} Whether device {self.deviceid} acted on "
                                f"{command} is unknown; SiteKit did not send it again.",
                                hint="Check the device's state, then send the command again "
                                     "if needed.") from None
        if status >= 500:
            error = lan_error(status, "", self.deviceid, self.base_url, server=True,
                              command=None if reads else command)
            raise _Retryable(error) if reads else error
        return parse_lan_reply(status, text, self._devicekey, deviceid=self.deviceid,
                               base_url=self.base_url, command=command)

    def _network_error(self, exc: BaseException) -> NetworkError:
        reason = redact_text(str(exc)) or type(exc).__name__
        return NetworkError(
            f"Could not reach device {self.deviceid} on the LAN at {self.base_url} ({reason}).",
            hint="Is the laptop on the same network as the device (not a guest network or "
                 "VPN)? LAN control needs TCP port 8081 open to it.")


class LanOutcomeUnknown(CommandTimeout):
    """A LAN command went out and its answer was lost: the device may have acted.

    Not a NetworkError on purpose: callers that fall back to the cloud on a NetworkError
    must not send the command a second time.
    """


class _Retryable(Exception):
    """A failed read worth asking once more; `error` is what to raise if not."""

    def __init__(self, error: SiteKitError) -> None:
        super().__init__(error.message)
        self.error = error


def parse_lan_reply(status: int, text: str, devicekey: str, *, deviceid: str, base_url: str,
                    command: str) -> dict[str, Any]:
    """A `/zeroconf/<command>` reply -> the reply dict, with `params` when it carried state.

    Raises a SiteKitError (VendorError for the device's error codes, ProtocolError for what
    is not a Sonoff's reply), never another exception.
    """
    try:
        reply = json.loads(text)
    except (ValueError, RecursionError):
        reply = None
    if not isinstance(reply, dict):
        if status != 200:
            raise lan_error(status, "", deviceid, base_url)
        unknown = "" if command in READ_COMMANDS else " Whether it acted is unknown."
        raise ProtocolError(f"Device {deviceid} answered /zeroconf/{command} with "
                            f"something that is not JSON.{unknown}",
                            hint="Another program may be listening at that address; discover "
                                 "devices on the LAN again.")
    code = reply.get("error", 0 if status == 200 else status)
    if isinstance(code, bool) or not isinstance(code, int):
        text_code = str(code).strip() if isinstance(code, (str, float)) else ""
        code = int(text_code) if (text_code.lstrip("-").isascii() and
                                  text_code.lstrip("-").isdigit() and len(text_code) < 10) \
            else status
    if code != 0:
        reason = reply.get("reason") or reply.get("msg") or ""
        raise lan_error(code, reason if isinstance(reason, str) else str(reason)[:200],
                        deviceid, base_url)
    if status != 200:
        raise lan_error(status, "", deviceid, base_url)
    result = dict(reply)
    if not isinstance(result.get("params", {}), dict):
        del result["params"]  # callers take `params` as the device's state: a dict or absent
    state = reply.get("data")
    iv = reply.get("iv")
    if iv and isinstance(iv, str) and isinstance(state, str) and state:
        result["params"] = decrypt_json(devicekey, iv, state,
                                        what=f"device {deviceid}'s reply")
    elif isinstance(state, dict):  # DIY devices answer in plain JSON
        result["params"] = state
    elif isinstance(state, str) and state.startswith("{"):
        try:
            plain = json.loads(state)
        except (ValueError, RecursionError):
            plain = None
        if isinstance(plain, dict):
            result["params"] = plain
    result.pop("data", None)
    result.pop("iv", None)
    return result


def lan_error(code: int, vendor_message: str, deviceid: str, base_url: str, *,
              server: bool = False, command: str | None = None) -> VendorError:
    """An error the device's LAN server reported -> a readable VendorError.

    `server`: an HTTP 5xx (its web server failed); `command` set when that was a command,
    whose outcome is then unknown (never repeated on our own).
    """
    if server:
        unknown = (f" Whether it acted on {command} is unknown; SiteKit did not send it again."
                   if command else "")
        return VendorError(VENDOR, code, vendor_message,
                           message=f"Device {deviceid}'s web server failed (HTTP {code}).{unknown}",
                           hint="Check the device's state, then try again in a moment; if it "
                                "keeps failing, power-cycle the device or use the cloud.")
    if code == 400:
        return VendorError(VENDOR, 400, vendor_message,
                           message=f"Device {deviceid} could not read the request (bad JSON).",
                           hint="This is likely a SiteKit bug; send the log to support.")
    if code == 401:
        return VendorError(VENDOR, 401, vendor_message,
                           message="the device expects encrypted requests: is the device key "
                                   "right?",
                           hint="Refresh the device list to get the current device key (it "
                                "changes when a device is reset).")
    if code == 404:
        return VendorError(VENDOR, 404, vendor_message,
                           message=f"The device at {base_url} is not {deviceid} (wrong "
                                   f"deviceid).",
                           hint="Addresses change when the router hands them out again; "
                                "discover devices on the LAN again.")
    if code == 422:
        return VendorError(VENDOR, 422, vendor_message,
                           message=f"Device {deviceid} refused the parameters (invalid params).",
                           hint="Check the outlet number: the device may have fewer channels.")
    return VendorError(VENDOR, code, vendor_message,
                       message=f"Device {deviceid} reported an error on the LAN.",
                       hint="Try again, or use the cloud.")

