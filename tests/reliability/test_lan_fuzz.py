"""Fuzz the eWeLink pairing and LAN parsers: whatever a device, a network or a hostile host
sends, SiteKit returns a model or raises a SiteKitError, never another exception, never hangs.

Parsers: mDNS TXT records (`parse_txt` and `decrypt_params`), LAN decryption
(`decrypt_json`), `GET /device` (`parse_device_reply`), `POST /ap` (`parse_ap_reply`) and
`/zeroconf/*` replies (`parse_lan_reply`). Two rows go through real sockets on loopback: a
raw TCP "device" answers the hotspot requests and a LAN command with arbitrary bytes (HTTP
framing included), so aiohttp's own parsing errors are covered too.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import SiteKitError
from app.vendors.ewelink.lan import (LanAnnouncement, LanClient, decrypt_json, parse_lan_reply,
                                     parse_txt)
from app.vendors.ewelink.lan_crypto import encrypt
from app.vendors.ewelink.ap_device import parse_ap_reply, parse_device_reply
from app.vendors.ewelink.pairing import (EwelinkPairing, PairingMemo, PairingPlan,
                                         PairingTimeouts, _LostAnswer)
from app.vendors.ewelink.pairing_steps import StepOutcome

KEY = "3f9a1c2e-8b7d-4e6f-a5c4-1d2e3f4a5b6c"
FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SOCKET_FUZZ = settings(max_examples=40, deadline=None,
                       suppress_health_check=[HealthCheck.too_slow,
                                              HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10),
                                                                       children, max_size=5),
    max_leaves=25)
texts = st.text(max_size=200)
# Lone surrogates included: JSON may carry "\ud800", and it reaches str.encode().
any_texts = st.text(alphabet=st.characters(blacklist_categories=()), max_size=60)
raw = st.binary(max_size=300)
statuses = st.sampled_from([200, 200, 200, 201, 204, 301, 400, 401, 404, 422, 429, 500, 503])


def json_text(value) -> str:
    return json.dumps(value, allow_nan=True)


# -- TXT records ----------------------------------------------------------------------------

txt_keys = st.sampled_from(["id", "type", "seq", "encrypt", "iv", "data1", "data2", "data3",
                            "data4", "data10", "data²", "data١", "txtvers", "apivers"]) | texts
txt_scalars = st.none() | texts | raw
records = st.dictionaries(txt_keys | st.binary(max_size=12), txt_scalars, max_size=12)


def check_announcement(properties) -> None:
    try:
        announcement = parse_txt(properties)
    except SiteKitError:
        return
    assert isinstance(announcement, LanAnnouncement) and announcement.deviceid
    assert announcement.seq is None or isinstance(announcement.seq, int)
    try:
        params = announcement.decrypt_params(KEY)
    except SiteKitError:
        return
    assert isinstance(params, dict)


@FUZZ
@given(records)
def test_ewelink_fuzz_parse_txt_arbitrary(properties):
    check_announcement(properties)


@FUZZ
@given(st.dictionaries(txt_keys, texts, max_size=8), json_values,
       st.integers(min_value=1, max_value=5), st.booleans())
def test_ewelink_fuzz_parse_txt_encrypted_payloads(extra, value, chunks, right_key):
    """Well-formed records around arbitrary plaintexts, split over data1..N."""
    iv, data = encrypt(KEY if right_key else "another-key", json_text(value))
    size = max(1, -(-len(data) // chunks))
    record = {**extra, "id": "1000fa0001", "encrypt": "true", "iv": iv}
    record.update({f"data{i + 1}": data[i * size:(i + 1) * size] for i in range(chunks)})
    check_announcement(record)
    check_announcement({k.encode(): v.encode() for k, v in record.items()})


def test_ewelink_fuzz_parse_txt_odd_numbers():
    """Found by the fuzz: "seq" / "dataN" written with non-ASCII digits crashed int()."""
    for seq in ("²", "--5", "١٢", "9" * 5000, " 7 "):
        announcement = parse_txt({"id": "1000fa0001", "seq": seq, "data²": "x", "data1": "{}"})
        assert announcement.seq in (None, 7)
        assert announcement.data == "{}"


# -- LAN decryption -------------------------------------------------------------------------

@FUZZ
@given(any_texts, texts | any_texts, texts | any_texts)
def test_ewelink_fuzz_decrypt_json_arbitrary_text(devicekey, iv, data):
    try:
        value = decrypt_json(devicekey, iv, data, what="a fuzzed payload")
    except SiteKitError:
        return
    assert isinstance(value, dict)


@FUZZ
@given(st.one_of(json_values.map(json_text), texts, raw), st.booleans(), st.booleans(),
       st.binary(min_size=16, max_size=16))
def test_ewelink_fuzz_decrypt_json_ciphertexts(plaintext, right_key, damage, iv_bytes):
    """Real AES ciphertexts of arbitrary plaintexts (JSON values, text, bytes, wrong key,
    a damaged tail): a dict exactly when the plaintext is a JSON object under the right key."""
    iv, data = encrypt(KEY, plaintext, iv=iv_bytes)
    if damage:
        data = data[:-5] + ("A" if data[-5] != "A" else "B") + data[-4:]
    try:
        value = decrypt_json(KEY if right_key else "wrong", iv, data, what="a fuzzed payload")
    except SiteKitError:
        return
    assert isinstance(value, dict)
    if right_key and not damage:
        assert value == json.loads(plaintext)


@FUZZ
@given(any_texts, json_values.map(json_text))
def test_ewelink_fuzz_encrypt_with_any_device_key(devicekey, plaintext):
    """The key comes from the cloud's JSON: whatever it is, a round trip works."""
    iv, data = encrypt(devicekey, plaintext)
    try:
        value = decrypt_json(devicekey, iv, data, what="a fuzzed payload")
    except SiteKitError:
        assert not plaintext.startswith("{")
        return
    assert value == json.loads(plaintext)


@FUZZ
@given(st.one_of(st.none(), texts, json_values.map(json_text),
                 st.fixed_dictionaries({}, optional={
                     "device_url": json_values, "deviceid": json_values,
                     "devicekey": json_values, "chipid": json_values, "wifi_sent": json_values,
                     "name": json_values}).map(json_text)))
def test_ewelink_fuzz_pairing_memo(stored):
    """The memo an earlier run left in the secret store: a memo, or none, never a crash."""
    memo = PairingMemo.from_json(stored)
    if memo is not None:
        assert isinstance(memo.deviceid, str) and isinstance(memo.wifi_sent, bool)
        assert PairingMemo.from_json(memo.to_json()) == memo


# -- the hotspot's replies ------------------------------------------------------------------

@FUZZ
@given(statuses, st.one_of(json_values.map(json_text), texts,
                           st.fixed_dictionaries({}, optional={
                               "deviceid": json_values, "apikey": json_values,
                               "chipid": json_values, "data": json_values,
                               "accept": json_values}).map(json_text)))
def test_ewelink_fuzz_get_device_reply(status, text):
    try:
        identity = parse_device_reply(status, text, "10.10.7.1")
    except SiteKitError as exc:
        assert exc.message
        return
    assert isinstance(identity["deviceid"], str) and identity["deviceid"].isprintable()
    assert isinstance(identity["apikey"], str) and identity["apikey"]
    assert identity["chipid"] is None or isinstance(identity["chipid"], str)


@FUZZ
@given(statuses, st.one_of(json_values.map(json_text), texts,
                           st.fixed_dictionaries({}, optional={
                               "error": json_values, "reason": json_values,
                               "msg": json_values}).map(json_text)))
def test_ewelink_fuzz_post_ap_reply(status, text):
    try:
        unknown = parse_ap_reply(status, text)
    except SiteKitError as exc:
        assert exc.message.startswith("The device refused")
        return
    assert unknown is None or (isinstance(unknown, str) and unknown)


# -- LAN replies ----------------------------------------------------------------------------

@FUZZ
@given(statuses, st.sampled_from(["switch", "switches", "info"]),
       st.one_of(json_values.map(json_text), texts,
                 st.fixed_dictionaries({}, optional={
                     "seq": json_values, "sequence": json_values, "error": json_values,
                     "reason": json_values, "iv": json_values | st.just("AAAAAAAAAAAAAAAAAAAAAA=="),
                     "data": json_values, "params": json_values}).map(json_text)))
def test_ewelink_fuzz_lan_reply(status, command, text):
    try:
        reply = parse_lan_reply(status, text, KEY, deviceid="1000fa0001",
                                base_url="http://192.0.2.1:8081", command=command)
    except SiteKitError as exc:
        assert exc.message
        return
    assert isinstance(reply, dict)
    assert "params" not in reply or isinstance(reply["params"], dict)


# -- through real sockets -------------------------------------------------------------------

async def _serve_bytes(answer: bytes):
    """A raw TCP 'device' that reads one request, writes `answer` and closes."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            writer.write(answer)
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError,
                asyncio.TimeoutError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


def http_answers():
    head = st.sampled_from([b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 503 Busy\r\n", b"HTTP/1.0 200\r\n",
                            b"HTTP/1.1 999 ?\r\n", b"", b"junk\r\n"])
    length = st.one_of(st.none(), st.integers(min_value=0, max_value=10_000))
    return st.tuples(head, length, st.one_of(json_values.map(lambda v: json_text(v).encode()),
                                             raw))


def build(answer) -> bytes:
    head, length, body = answer
    headers = b"Content-Type: application/json\r\nConnection: close\r\n"
    if length is not None:
        headers += b"Content-Length: " + str(length).encode() + b"\r\n"
    return head + headers + b"\r\n" + body


@SOCKET_FUZZ
@given(http_answers())
def test_ewelink_fuzz_hotspot_over_a_socket(answer):
    """GET /device and POST /ap against a 'device' that answers anything."""

    async def scenario() -> None:
        server, url = await _serve_bytes(build(answer))
        try:
            async with aiohttp.ClientSession() as session:
                plan = PairingPlan(device_url=url, ssid="Fuzz-Net", password="fuzz-wifi-pw",
                                   name="Fuzz", server_name="127.0.0.1", server_port=1)
                pairing = EwelinkPairing(plan, session=session, cloud=None,
                                         timeouts=PairingTimeouts(request=2.0))
                pairing.url = url
                pairing.identity = {"deviceid": "1000fa0001", "apikey": KEY}
                try:
                    identity = await pairing._get_identity()
                    assert isinstance(identity, dict)
                except SiteKitError:
                    pass
                try:
                    outcome = await pairing._post_ap({"version": 4, "ssid": "Fuzz-Net"})
                    assert isinstance(outcome, (StepOutcome, _LostAnswer))
                except SiteKitError:
                    pass
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(asyncio.wait_for(scenario(), 30))


@SOCKET_FUZZ
@given(http_answers(), st.sampled_from(["switch", "info"]))
def test_ewelink_fuzz_lan_over_a_socket(answer, command):
    async def scenario() -> None:
        server, url = await _serve_bytes(build(answer))
        try:
            async with aiohttp.ClientSession() as session:
                client = LanClient(session, "1000fa0001", KEY, url, timeout=2.0, min_interval=0)
                try:
                    reply = await client.send(command, {"switch": "on"} if command == "switch"
                                              else {})
                    assert isinstance(reply, dict)
                except SiteKitError:
                    pass
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(asyncio.wait_for(scenario(), 30))
