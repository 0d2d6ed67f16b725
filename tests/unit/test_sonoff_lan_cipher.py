"""The simulated Sonoff's LAN encryption and mDNS TXT record against the shared known values."""

import base64
import json
from pathlib import Path

import pytest

from app.simulators.ewelink.advertiser import build_txt, instance_name, txt_type
from app.simulators.ewelink.lan_cipher import CipherError, decrypt, encrypt, key_for

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "lan-and-pkce.json").read_text())


@pytest.mark.parametrize("case", VECTORS["aes"], ids=lambda c: c["plaintext"][:20])
def test_aes_vectors(case):
    assert key_for(case["devicekey"]).hex() == case["key_md5_hex"]
    iv = base64.b64decode(case["iv_base64"])
    assert encrypt(case["devicekey"], case["plaintext"], iv) == (case["iv_base64"], case["ciphertext_base64"])
    assert decrypt(case["devicekey"], case["iv_base64"], case["ciphertext_base64"]) == case["plaintext"].encode()


def test_random_iv_round_trip():
    iv1, data1 = encrypt("key", b'{"switch":"on"}')
    iv2, data2 = encrypt("key", b'{"switch":"on"}')
    assert iv1 != iv2 and data1 != data2
    assert decrypt("key", iv1, data1) == decrypt("key", iv2, data2) == b'{"switch":"on"}'


def test_undecryptable_bodies_raise_cipher_error():
    case = VECTORS["aes"][0]
    with pytest.raises(CipherError):
        decrypt("another key", case["iv_base64"], case["ciphertext_base64"])
    with pytest.raises(CipherError):
        decrypt(case["devicekey"], "not base64!", case["ciphertext_base64"])
    with pytest.raises(CipherError):
        decrypt(case["devicekey"], base64.b64encode(b"short").decode(), case["ciphertext_base64"])
    with pytest.raises(CipherError):
        decrypt(case["devicekey"], case["iv_base64"], base64.b64encode(b"not blocks").decode())


def test_txt_record_matches_the_vector():
    example = VECTORS["txt_record_example"]
    params = json.loads(example["plaintext"])
    props = example["properties"]
    txt = build_txt(deviceid=props["id"], uiid=1, devicekey=example["devicekey"], seq=int(props["seq"]),
                    params=params, iv=base64.b64decode(props["iv"]))
    assert txt == props
    joined = "".join(txt[f"data{i}"] for i in range(1, 4))
    assert json.loads(decrypt(example["devicekey"], txt["iv"], joined)) == params


def test_txt_types_and_instance_name():
    assert [txt_type(u) for u in (1, 2, 4, 32, 15, 9999)] == [
        "plug", "strip", "strip", "enhanced_plug", "th_plug", "plug"]
    assert instance_name("1000abcdef") == "eWeLink_1000abcdef._ewelink._tcp.local."
    txt = build_txt(deviceid="1000abcdef", uiid=2, devicekey="k", seq=3,
                    params={"switches": [{"switch": "on", "outlet": i} for i in range(4)]})
    chunks = [k for k in txt if k.startswith("data")]
    assert len(chunks) >= 2 and all(len(txt[k]) <= 64 for k in chunks)
