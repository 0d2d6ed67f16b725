from datetime import datetime, timezone

from app.vendors.nexhome import endpoints
from app.vendors.nexhome.models import (AccessRecord, CallLog, Credential, Device, Message, Page,
                                        to_ms)


def test_device_parses_tolerantly():
    d = Device.from_api({"id": 12, "sn": "NX1", "name": "Main entrance", "type": "door_station",
                         "online": "true", "location": {"building": 1, "floor": 0},
                         "accessIds": [3, None, "4"], "features": ["face"]})
    assert (d.id, d.type, d.online, d.access_ids) == ("12", "DOOR_STATION", True, ("3", "4"))
    assert d.location.text() == "building 1, floor 0"
    assert d.supports_face and d.type_name == "door station"
    odd = Device.from_api({"id": "x", "location": "nowhere", "accessIds": "3", "online": None})
    assert odd.location.text() == "" and odd.access_ids == () and not odd.online
    assert Device.from_api(None).id == ""


def test_credential_rule_and_secret_not_in_repr():
    c = Credential.from_api({"id": 1, "personId": 2, "type": "qrcode", "content": "SECRET",
                             "rule": {"effectiveTime": 0, "expiredTime": "1700000000000",
                                      "encryptedQrcode": True}})
    assert c.type == "QRCODE" and c.rule.encrypted_qrcode is True
    assert c.rule.expired == datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    assert "SECRET" not in repr(c)


def test_messages_and_records():
    m = Message.from_api({"messageId": "m1", "topic": "ACCESS_RECORD", "time": 1700000000000,
                          "payload": {"accessId": 5, "result": "granted", "credentialType": "pin"}})
    assert isinstance(m.record, AccessRecord) and m.record.granted
    call = Message.from_api({"messageId": "m2", "topic": "call_log",
                             "payload": {"durationSeconds": "12", "answered": 1}}).record
    assert isinstance(call, CallLog) and call.duration_seconds == 12 and call.answered
    assert Message.from_api({"topic": "DEVICE_STATUS"}).record is None


def test_page_and_ms():
    assert Page.from_api({"total": "120", "elements": None}).total == 120
    assert Page.from_api({"elements": [1]}).total is None
    assert to_ms(datetime(1970, 1, 1, 0, 0, 1)) == 1000


def test_endpoint_ids_cannot_change_the_signed_path():
    import pytest
    with pytest.raises(ValueError):
        endpoints.access("1/../../x")
    assert endpoints.unlock("7").command and not endpoints.devices(1).command
    assert endpoints.issue_credential("p", "QRCODE", "x", effective_ms=1, expired_ms=2,
                                      encrypted_qrcode=False).body == {
        "type": "QRCODE", "content": "x",
        "rule": {"effectiveTime": 1, "expiredTime": 2, "encryptedQrcode": False}}
