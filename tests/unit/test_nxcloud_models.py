import pytest

from app.vendors.nxcloud import models
from app.vendors.nxcloud.models import InvalidMessage, InvalidPhoneNumber, WhatsAppTemplate


@pytest.mark.parametrize("typed", ["+44 7700 900123", "0044 7700 900123", "(44) 7700-900123", "447700900123",
                                   " +44.7700.900.123 "])
def test_phone_forms_people_type_normalise(typed):
    assert models.normalize_phone(typed) == "447700900123"


@pytest.mark.parametrize("typed, words", [
    ("", "No phone number"),
    ("call me", "letters"),
    ("07700 900123", "national number"),
    ("+44 770", "too short"),
    ("+44 7700 900123 4567 89", "at most 15"),
    ("44#7700", "not a phone number"),
    ("44+7700900123", "not a phone number"),
])
def test_wrong_phone_numbers_say_why(typed, words):
    with pytest.raises(InvalidPhoneNumber) as caught:
        models.normalize_phone(typed)
    assert words in caught.value.message and caught.value.hint


def test_calling_codes_split_by_length():
    assert models.calling_code("447700900123") == "44"
    assert models.calling_code("12025550123") == "1"
    assert models.calling_code("8613800000001") == "86"
    assert models.calling_code("35312345678") == "353"
    assert models.display_phone("447700900123") == "+44 7700900123"


def test_sms_content_limits():
    assert models.check_sms_content("x" * 1000)
    with pytest.raises(InvalidMessage, match="1001 characters"):
        models.check_sms_content("x" * 1001)
    with pytest.raises(InvalidMessage, match="empty"):
        models.check_sms_content("   ")


def test_sys_message_ids():
    for _ in range(20):
        assert models.check_sys_message_id(models.new_sys_message_id())
    with pytest.raises(InvalidMessage):
        models.check_sys_message_id("short")


def test_template_json_has_the_documented_shape():
    assert WhatsAppTemplate("resident_pin", body_params=["4821"]).as_json() == {
        "name": "resident_pin", "language": {"code": "en_US", "policy": "deterministic"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "4821"}]}]}
    assert "components" not in WhatsAppTemplate("visitor_qr").as_json()


def test_reply_codes_string_or_integer():
    assert models.reply_code({"code": "0"}) == 0
    assert models.reply_code({"code": 9005}) == 9005
    assert models.reply_code({"code": True}) is None
    assert models.reply_code({}) is None
    assert models.reply_text({"result": "Request succeeded"}) == "Request succeeded"
    assert models.reply_text({"msg": "success"}) == "success"


def test_check_result_flat_query_shape_and_nested_callback_shape_read_alike():
    flat = {"messageId": "m", "phone": "447700900999", "checkLevel": 5, "preCheck": "YES", "countryCode": "44",
            "numberType": 2, "carrier": "Demo", "validity": "YES", "reachable": "NO", "roaming": "UNKNOWN",
            "price": 0.006, "currency": "USD"}
    nested = {"messageId": "m", "phone": "447700900999", "code": 0, "data": {
        "basic": {"preCheck": "YES", "countryCode": "44", "numberType": 2, "carrier": "Demo"},
        "live": {"validity": "YES", "reachable": "NO", "roaming": "UNKNOWN"}},
        "cost": {"price": 0.006, "currency": "USD"}}
    a, b = models.parse_check_result(flat), models.parse_check_result(nested)
    assert (a.valid, a.reachable, a.roaming, a.carrier, a.price) == (True, False, None, "Demo", 0.006)
    assert (b.valid, b.reachable, b.carrier, b.price) == (True, False, "Demo", 0.006)
    assert a.verdict == b.verdict == "unreachable"
    assert "cannot be reached" in a.summary()


@pytest.mark.parametrize("fields, verdict", [
    ({"preCheck": "NO"}, "invalid"),
    ({"preCheck": "YES", "validity": "NO"}, "invalid"),
    ({"preCheck": "YES", "response": "invalid_number"}, "invalid"),
    ({"preCheck": "YES", "response": "power_off"}, "unreachable"),
    ({"preCheck": "YES", "validity": "YES", "reachable": "YES"}, "valid"),
    ({"preCheck": "YES", "early": "YES", "response": "bell"}, "valid"),
    ({"preCheck": "YES"}, "format_ok"),
    ({}, "unknown"),
])
def test_verdicts(fields, verdict):
    assert models.parse_check_result({"phone": "447700900123", **fields}).verdict == verdict
