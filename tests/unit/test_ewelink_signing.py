import pytest

from app.vendors.ewelink import signing

def _vectors():
    from tests.vectors import load
    return load("signatures.json")["ewelink"]


@pytest.mark.parametrize("vector", _vectors(), ids=lambda v: v["name"])
def test_every_ewelink_vector(vector):
    assert signing.authorization(vector["appSecret"], vector["message"]) == vector["authorization"]
    assert signing.verify(vector["appSecret"], vector["message"].encode(), vector["authorization"])


def test_verify_rejects_tampered_body_and_missing_header():
    secret = "OdPuCZ4PkPPi0rVKRVcGmll2NM6vVk0c"
    body = signing.body_bytes({"appid": "x", "nonce": "abcdefgh", "ts": 1, "version": 8})
    header = signing.authorization(secret, body)
    assert signing.verify(secret, body, header)
    assert not signing.verify(secret, body + b" ", header)
    assert not signing.verify(secret, body, None)
    assert not signing.verify(secret, body, "Bearer " + header[5:])


def test_body_is_compact_and_keeps_order():
    assert signing.body_bytes({"b": 1, "a": "é"}) == '{"b":1,"a":"é"}'.encode()


def test_get_message_sorted_and_joined():
    assert signing.query_message({"ts": 1558004249, "appid": "A", "nonce": "2323dfgh",
                                  "deviceid": "1000012345"}) == (
        "appid=A&deviceid=1000012345&nonce=2323dfgh&ts=1558004249")


def test_nonce_is_eight_alphanumerics():
    for _ in range(50):
        value = signing.nonce()
        assert signing.is_valid_nonce(value)
    assert not signing.is_valid_nonce("short")
    assert not signing.is_valid_nonce("abc-efgh")
    assert not signing.is_valid_nonce(12345678)
