"""mDNS advertising of a simulated Sonoff in LAN mode (`_ewelink._tcp.local.`).

Instance `eWeLink_<deviceid>._ewelink._tcp.local.`, port = the LAN control port, the
device's address, and the TXT record real devices publish (protocol notes, "LAN mode"):
txtvers "1", id, type, apivers "1", seq, encrypt "true", iv, and the base64 ciphertext
of the full params JSON split into 64-character pieces data1..dataN (a TXT string holds
at most 255 bytes, so real devices split it; readers join them in order).
Every change re-announces the record with the new seq.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from typing import Any, Sequence

from app.simulators.ewelink import devices as device_rules
from app.simulators.ewelink.lan_cipher import encrypt

log = logging.getLogger(__name__)

SERVICE_TYPE = "_ewelink._tcp.local."
DATA_CHUNK = 64
_TXT_TYPES = {"switch": "plug", "multi_switch": "strip", "power_plug": "enhanced_plug",
              "sensor": "th_plug"}


def instance_name(deviceid: str) -> str:
    return f"eWeLink_{deviceid}.{SERVICE_TYPE}"


def txt_type(uiid: int) -> str:
    return _TXT_TYPES.get(device_rules.kind_of(uiid), "plug")


def build_txt(*, deviceid: str, uiid: int, devicekey: str, seq: int, params: dict[str, Any],
              iv: bytes | None = None) -> dict[str, str]:
    """The TXT properties for this state (a fixed `iv` makes it repeatable in tests)."""
    plaintext = json.dumps(params, separators=(",", ":"))
    iv_b64, data = encrypt(devicekey, plaintext, iv)
    txt = {"txtvers": "1", "id": deviceid, "type": txt_type(uiid), "apivers": "1", "seq": str(seq),
           "encrypt": "true", "iv": iv_b64}
    for index in range(0, len(data), DATA_CHUNK):
        txt[f"data{index // DATA_CHUNK + 1}"] = data[index:index + DATA_CHUNK]
    return txt


class Advertiser:
    """One device's mDNS service; register once, `update` on every change, `close` at the end.

    Registration (probing takes most of a second) runs in the background so the device is
    usable at once; changes made meanwhile are announced right after it, newest only.
    """

    def __init__(self, *, deviceid: str, host: str, port: int,
                 interfaces: Sequence[str] | None = None) -> None:
        self.deviceid = deviceid
        self.host = host
        self.port = port
        self.interfaces = list(interfaces) if interfaces else None
        # the A record: an IPv4 address (a name is resolved once here)
        self._address = socket.inet_aton(socket.gethostbyname(host))
        self._aiozc = None
        self._info = None
        self._lock = asyncio.Lock()
        self._registered = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._latest: dict[str, str] | None = None

    def start(self, properties: dict[str, str]) -> None:
        self._task = asyncio.get_running_loop().create_task(self._register(properties))

    async def wait_registered(self, timeout: float) -> None:
        await asyncio.wait_for(self._registered.wait(), timeout)

    async def _register(self, properties: dict[str, str]) -> None:
        from zeroconf import InterfaceChoice, IPVersion
        from zeroconf.asyncio import AsyncZeroconf

        async with self._lock:
            interfaces = self.interfaces if self.interfaces else InterfaceChoice.All
            try:
                self._aiozc = AsyncZeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
                self._info = self._service_info(properties)
                # probing happens inside this await; the announcement goes out behind it
                await self._aiozc.async_register_service(self._info, allow_name_change=False)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # no usable interface, name taken: the device works without
                log.warning("mDNS: cannot advertise %s: %s", self.deviceid, exc)
                return
            self._registered.set()
            log.info("mDNS: advertising %s on port %d", self.deviceid, self.port)
            latest, self._latest = self._latest, None
            if latest is not None:  # changes made while probing
                await self._announce(latest)

    async def update(self, properties: dict[str, str]) -> None:
        """Announce the new record; before registration finished, it is announced right after."""
        if not self._registered.is_set():
            self._latest = properties
            return
        async with self._lock:
            await self._announce(properties)

    async def _announce(self, properties: dict[str, str]) -> None:
        if self._aiozc is None:
            return
        self._info = self._service_info(properties)
        # returns once the record is updated; the announcement itself goes out behind it
        await self._aiozc.async_update_service(self._info)

    def _service_info(self, properties: dict[str, str]):
        from zeroconf.asyncio import AsyncServiceInfo

        return AsyncServiceInfo(
            SERVICE_TYPE, instance_name(self.deviceid), port=self.port, properties=properties,
            addresses=[self._address], server=f"eWeLink_{self.deviceid}.local.")

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        async with self._lock:
            aiozc, self._aiozc = self._aiozc, None
            if aiozc is None:
                return
            try:
                if self._info is not None:
                    await asyncio.wait_for(aiozc.async_unregister_service(self._info), 2.0)
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - goodbye is best effort
                log.debug("mDNS: unregister of %s did not finish", self.deviceid)
            await aiozc.async_close()
