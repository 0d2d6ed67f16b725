import pytest

from app.vendors.nexhome import signing


def _vectors():
    from tests.vectors import load
    return load("signatures.json")["nexhome"]


def _args(v):
    return (v["method"], v["uri"], v["developerId"], v["appId"], v["appSecret"], v["requestId"],
            v["timestamp"])


@pytest.mark.parametrize("vector", _vectors(), ids=lambda v: v["name"])
def test_every_nexhome_vector(vector):
    assert signing.string_to_sign(*_args(vector)) == vector["string_to_sign"]
    assert signing.sign(*_args(vector)) == vector["signature"]
    assert signing.verify(vector["signature"], *_args(vector))


@pytest.mark.parametrize("vector", _vectors(), ids=lambda v: v["name"])
def test_values_are_signed_as_given_not_padded(vector):
    # The guide's Java sample has "appId " with a space; the published signature is without.
    args = list(_args(vector))
    args[3] = args[3] + " "
    assert signing.sign(*args) != vector["signature"]


def test_method_is_uppercased_and_lowercase_signature_refused():
    v = _vectors()[0]
    args = list(_args(v))
    args[0] = "get"
    assert signing.sign(*args) == v["signature"]
    assert not signing.verify(v["signature"].lower(), *_args(v))
    assert not signing.verify(None, *_args(v))


def test_request_id_is_32_hex_and_unique():
    ids = {signing.new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 32 and signing.is_valid_request_id(i) for i in ids)
    assert not signing.is_valid_request_id("x" * 33)
    assert not signing.is_valid_request_id("")
    assert not signing.is_valid_request_id("has space")


def test_timestamp_is_milliseconds():
    assert signing.timestamp_ms(1727843531.0) == "1727843531000"
    assert signing.timestamp_ms(1727843531.4567) == "1727843531456"


def test_headers_carry_every_common_header():
    h = signing.headers("POST", "/api/v1/cits/access/7/unlock", developer_id="d", app_id="a",
                        app_secret="s", request_id="r" * 32, timestamp="1")
    assert set(h) == {"Accept", "Content-Type", "DEVELOPER-ID", "APP-ID", "REQUEST-ID",
                      "TIMESTAMP", "SIGNATURE"}
    assert h["SIGNATURE"] == signing.sign("POST", "/api/v1/cits/access/7/unlock", "d", "a", "s",
                                          "r" * 32, "1")
