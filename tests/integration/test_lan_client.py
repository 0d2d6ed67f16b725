"""LAN control against the simulated Sonoff's LAN server on loopback (encrypted bodies).

The device is paired by hand (POST /ap) and waits online; then LanClient talks to its
`/zeroconf/<command>` server. A few device misbehaviours the simulator does not have
(resetting a connection, never answering) come from tiny raw TCP servers here.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time

import aiohttp
import pytest

from app.core.errors import CommandTimeout, NetworkError, VendorError
from app.simulators.ewelink.sonoff import DeviceDelays, SimulatedSonoff, SiteWifi
from app.vendors.ewelink.lan import MIN_REQUEST_INTERVAL, LanClient

WIFI = SiteWifi("Site-Net", "correct-horse")
KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
async def online_device(ewelink_sim, session):
    made: list[SimulatedSonoff] = []

    async def make(deviceid="1000ff0001", uiid=1) -> SimulatedSonoff:
        device = SimulatedSonoff(ewelink_sim, deviceid=deviceid, devicekey=KEY, chipid="C1",
                                 uiid=uiid, site_wifi=WIFI, delays=DeviceDelays(), mdns=False)
        made.append(device)
        await device.start(ap_port=0)
        body = {"version": 4, "ssid": WIFI.ssid, "password": WIFI.password,
                "serverName": "127.0.0.1", "port": ewelink_sim.ws_port("eu")}
        async with session.post(device.ap_url + "/ap", data=json.dumps(body)) as resp:
            assert (await resp.json(content_type=None)) == {"error": 0}
        await device.wait_mode("online", 3)
        return device

    yield make
    await asyncio.gather(*(d.stop() for d in made))


def lan(session, device, **kwargs) -> LanClient:
    options = dict(deviceid=device.deviceid, devicekey=KEY, base_url=device.lan_url)
    options.update(kwargs)
    return LanClient(session, **options)


async def test_switch_and_info_on_a_single_channel_device(online_device, session):
    device = await online_device()
    client = lan(session, device)
    assert (await client.switch(True)) == {"switch": "on"}
    assert device.params["switch"] == "on"
    info = await client.info()
    assert info["switch"] == "on" and info == device.params
    await client.switch(False)
    assert device.params["switch"] == "off"
    assert device.seq == 3  # 1 at boot, +1 per change


async def test_outlets_and_all_channels_of_a_multi_channel_device(online_device, session):
    device = await online_device("1000ff0002", uiid=2)
    client = lan(session, device)

    def states():
        return {s["outlet"]: s["switch"] for s in device.params["switches"]}

    await client.switch(True, outlet=1)
    assert states()[1] == "on" and states()[0] == "off"
    await client.switch(True, channels=2)
    assert (states()[0], states()[1]) == ("on", "on")
    await client.switch(False, channels=[0])
    assert (states()[0], states()[1]) == ("off", "on")
    reply = await client.send("switches", {"switches": [{"switch": "off", "outlet": 1}]})
    assert reply["error"] == 0 and reply["seq"] == device.seq


async def test_a_wrong_device_key_is_a_401_with_a_readable_message(online_device, session):
    device = await online_device()
    with pytest.raises(VendorError) as info:
        await lan(session, device, devicekey="not-the-key").switch(True)
    assert info.value.vendor == "eWeLink LAN" and info.value.code == 401
    assert "the device expects encrypted requests: is the device key right?" in info.value.message
    assert device.params["switch"] == "off"


async def test_a_plain_request_is_refused_with_401(online_device, session):
    device = await online_device()
    # What a DIY-mode client would send: no encryption.
    body = {"sequence": "1", "deviceid": device.deviceid, "data": {"switch": "on"}}
    async with session.post(device.lan_url + "/zeroconf/switch", json=body) as resp:
        assert (await resp.json())["error"] == 401


async def test_a_wrong_deviceid_is_a_404(online_device, session):
    device = await online_device()
    with pytest.raises(VendorError) as info:
        await lan(session, device, deviceid="1000ff9999").info()
    assert info.value.code == 404
    assert "is not 1000ff9999 (wrong deviceid)" in info.value.message
    assert "discover" in info.value.hint


async def test_invalid_params_are_a_422(online_device, session):
    device = await online_device("1000ff0003", uiid=2)
    client = lan(session, device)
    with pytest.raises(VendorError) as info:
        await client.switch(True, outlet=7)
    assert info.value.code == 422 and "invalid params" in info.value.message
    with pytest.raises(VendorError) as info:
        await client.send("switch", {"switch": "maybe"})
    assert info.value.code == 422


async def test_requests_to_one_device_are_200_ms_apart(online_device, session):
    device = await online_device()
    one, other = lan(session, device), lan(session, device)  # two clients, same device
    start = time.monotonic()
    await asyncio.gather(one.switch(True), other.switch(False), one.info(), other.info())
    elapsed = time.monotonic() - start
    assert elapsed >= 3 * MIN_REQUEST_INTERVAL - 0.01
    assert elapsed < 3 * MIN_REQUEST_INTERVAL + 0.5
    assert device.seq == 3  # both switches landed, one at a time


async def test_different_devices_are_not_held_back_by_each_other(online_device, session):
    first = await online_device("1000ff0004")
    second = await online_device("1000ff0005")
    start = time.monotonic()
    await asyncio.gather(lan(session, first).switch(True), lan(session, second).switch(True))
    assert time.monotonic() - start < MIN_REQUEST_INTERVAL


# -- misbehaving devices ---------------------------------------------------------------------

class RawDevice:
    """A raw TCP 'device': resets the first `resets` connections, or never answers."""

    def __init__(self, *, resets: int = 0, silent: bool = False) -> None:
        self.resets = resets
        self.silent = silent
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length")), 0)
        body = await reader.readexactly(length)
        self.requests.append(head + body)
        if self.silent:
            await self._stopping.wait()
            writer.transport.abort()
            return
        if self.resets:
            self.resets -= 1
            sock = writer.get_extra_info("socket")
            # RST instead of FIN: what the device's one-connection server does
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            writer.transport.abort()
            return
        reply = b'{"seq":1,"sequence":"1","error":0}'
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                     b"Content-Length: " + str(len(reply)).encode() + b"\r\n\r\n" + reply)
        await writer.drain()
        writer.close()

    async def stop(self) -> None:
        self._stopping.set()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def test_a_reset_connection_is_retried_once(session):
    raw = RawDevice(resets=1)
    url = await raw.start()
    try:
        client = LanClient(session, "1000ff0006", KEY, url, timeout=1)
        start = time.monotonic()
        assert await client.switch(True) == {"switch": "on"}
        assert time.monotonic() - start >= MIN_REQUEST_INTERVAL - 0.01  # spaced retry
        assert len(raw.requests) == 2
        assert b"connection: close" in raw.requests[0].lower()
        body = json.loads(raw.requests[1].split(b"\r\n\r\n", 1)[1])
        assert body["encrypt"] is True and body["selfApikey"] == "123" and body["iv"]
        assert body["deviceid"] == "1000ff0006" and body["sequence"].isdigit()
    finally:
        await raw.stop()


async def test_two_resets_in_a_row_give_up(session):
    raw = RawDevice(resets=2)
    url = await raw.start()
    try:
        with pytest.raises(NetworkError) as info:
            await LanClient(session, "1000ff0007", KEY, url, timeout=1).switch(True)
        assert "Could not reach device 1000ff0007 on the LAN" in info.value.message
        assert "8081" in info.value.hint
        assert len(raw.requests) == 2
    finally:
        await raw.stop()


async def test_a_silent_device_times_out(session):
    raw = RawDevice(silent=True)
    url = await raw.start()
    try:
        start = time.monotonic()
        with pytest.raises(CommandTimeout) as info:
            await LanClient(session, "1000ff0008", KEY, url, timeout=0.3).info()
        assert time.monotonic() - start < 1.0
        assert "did not answer on the LAN" in info.value.message
    finally:
        await raw.stop()


async def test_nobody_listening_is_a_network_error_without_retry(session):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    start = time.monotonic()
    with pytest.raises(NetworkError):
        await LanClient(session, "1000ff0009", KEY, url, timeout=1).switch(False)
    assert time.monotonic() - start < MIN_REQUEST_INTERVAL  # refused is not a reset
