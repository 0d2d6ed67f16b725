import hashlib
import json

import pytest

from app.vendors.nxcloud import signing


def _vectors():
    from tests.vectors import load
    return load("signatures.json")["nxcloud"]


@pytest.mark.parametrize("vector", _vectors(), ids=lambda v: v["name"])
def test_every_nxcloud_vector(vector):
    body = vector["body"].encode("utf-8")
    assert signing.string_to_sign(vector["headers"], body, vector["accessSecret"]) == (
        vector["string_to_sign"].encode("utf-8"))
    assert signing.sign(vector["headers"], body, vector["accessSecret"]) == vector["sign"]
    assert signing.verify({**vector["headers"], "sign": vector["sign"]}, body, vector["accessSecret"])


@pytest.mark.parametrize("vector", _vectors(), ids=lambda v: v["name"])
def test_verifier_takes_lowercase_header_names(vector):
    lowered = {k.lower(): v for k, v in vector["headers"].items()}
    lowered["sign"] = vector["sign"]
    assert signing.verify(lowered, vector["body"].encode(), vector["accessSecret"])


def test_same_object_different_bytes_different_signatures():
    # Three vectors carry the same JSON object; each signature holds only for its own bytes.
    vectors = [v for v in _vectors() if v["body"]]
    assert len({json.dumps(json.loads(v["body"]), sort_keys=True) for v in vectors}) == 1
    for vector in vectors:
        for other in vectors:
            headers = {**vector["headers"], "sign": vector["sign"]}
            ok = signing.verify(headers, other["body"].encode(), vector["accessSecret"])
            assert ok == (other is vector)


def test_verify_rejects_wrong_secret_tampered_ts_and_missing_sign():
    headers = {"accessKey": "k", "ts": "1", "bizType": "3", "action": "mtsend"}
    body = b'{"a":1}'
    headers["sign"] = signing.sign(headers, body, "secret")
    assert signing.verify(headers, body, "secret")
    assert not signing.verify(headers, body, "other")
    assert not signing.verify({**headers, "ts": "2"}, body, "secret")
    assert not signing.verify({k: v for k, v in headers.items() if k != "sign"}, body, "secret")


def test_body_bytes_keep_order_compact_and_unescaped():
    assert signing.body_bytes({"name": "牛小信", "id": 10001}) == '{"name":"牛小信","id":10001}'.encode()


def test_signed_headers_sign_the_bytes_given():
    body = signing.body_bytes({"phone": "447700900123", "appKey": "x"})
    headers = signing.signed_headers(access_key="k", access_secret="s", biz_type=3, action="mtsend",
                                     ts="1700000000000", body=body)
    expected = hashlib.md5(b"accessKey=k&action=mtsend&bizType=3&ts=1700000000000&body=" + body
                           + b"&accessSecret=s").hexdigest()
    assert headers["sign"] == expected
    assert headers["Content-Type"] == "application/json"


def test_timestamp_is_milliseconds():
    assert signing.timestamp_ms(1655710885.431) == "1655710885431"
