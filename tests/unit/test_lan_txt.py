"""mDNS TXT records of eWeLink devices: joining data1..N, flags, decrypting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.errors import ProtocolError
from app.vendors.ewelink.lan import LanAnnouncement, LanDevice, parse_txt
from app.vendors.ewelink.lan_crypto import encrypt

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "lan-and-pkce.json")
                     .read_text(encoding="utf-8"))
EXAMPLE = VECTORS["txt_record_example"]


def _as_bytes(properties: dict[str, str]) -> dict[bytes, bytes]:
    # zeroconf hands TXT properties over as bytes -> bytes
    return {k.encode(): v.encode() for k, v in properties.items()}


@pytest.mark.parametrize("convert", [dict, _as_bytes], ids=["str", "bytes"])
def test_the_vector_record_parses_and_decrypts(convert):
    announcement = parse_txt(convert(EXAMPLE["properties"]))
    assert announcement.deviceid == "1000abcdef"
    assert announcement.type == "plug"
    assert announcement.seq == 17
    assert announcement.encrypted is True
    assert announcement.iv == EXAMPLE["properties"]["iv"]
    assert announcement.data == "".join(EXAMPLE["properties"][f"data{i}"] for i in (1, 2, 3))
    assert announcement.params is None
    assert announcement.decrypt_params(EXAMPLE["devicekey"]) == json.loads(EXAMPLE["plaintext"])


def test_data_chunks_join_in_numeric_order_whatever_the_dict_order():
    props = dict(EXAMPLE["properties"])
    pieces = {k: props.pop(k) for k in ("data1", "data2", "data3")}
    shuffled = {"data3": pieces["data3"], **props, "data1": pieces["data1"], "data2": pieces["data2"]}
    assert parse_txt(shuffled).decrypt_params(EXAMPLE["devicekey"])["switch"] == "off"


def test_ten_or_more_chunks_sort_as_numbers():
    key = "k" * 32
    params = {"switches": [{"switch": "on", "outlet": i} for i in range(12)]}
    iv, data = encrypt(key, json.dumps(params))
    chunks = [data[i:i + 8] for i in range(0, len(data), 8)]
    assert len(chunks) >= 10
    props = {"id": "1000000001", "encrypt": "true", "iv": iv}
    props.update({f"data{i + 1}": c for i, c in enumerate(chunks)})
    assert parse_txt(props).decrypt_params(key) == params


def test_a_plain_diy_record_is_readable_without_a_key():
    props = {b"id": b"1000diy001", b"type": b"diy_plug", b"seq": b"3",
             b"data1": b'{"switch":"on","startup":"off",', b"data2": b'"pulse":"off"}'}
    announcement = parse_txt(props)
    assert announcement.encrypted is False and announcement.iv is None
    assert announcement.params == {"switch": "on", "startup": "off", "pulse": "off"}
    assert announcement.decrypt_params("") == announcement.params


def test_values_zeroconf_leaves_empty_are_tolerated():
    announcement = parse_txt({b"id": b"1000000002", b"seq": None, b"encrypt": b"true",
                              b"iv": b"AAAAAAAAAAAAAAAAAAAAAA==", b"type": None})
    assert announcement.seq is None and announcement.type == ""
    assert announcement.encrypted


def test_a_record_without_an_id_is_refused():
    with pytest.raises(ProtocolError):
        parse_txt({"type": "plug", "seq": "1"})


def test_a_wrong_key_says_so():
    announcement = parse_txt(EXAMPLE["properties"])
    with pytest.raises(ProtocolError) as info:
        announcement.decrypt_params("not-the-key")
    assert "device key" in info.value.message


def test_encrypted_without_iv_is_a_protocol_error():
    announcement = LanAnnouncement("1000000003", "plug", 1, True, None, "abcd")
    with pytest.raises(ProtocolError):
        announcement.decrypt_params("key")


def test_lan_device_url_brackets_ipv6():
    announcement = parse_txt(EXAMPLE["properties"])
    assert LanDevice("x", "192.168.1.20", 8081, announcement, 0).url == "http://192.168.1.20:8081"
    assert LanDevice("x", "fe80::1", 8081, announcement, 0).url == "http://[fe80::1]:8081"
