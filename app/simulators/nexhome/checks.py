"""Body checks of the simulated API: each problem as a guide-style detail with `fieldPath`."""

from __future__ import annotations

import re
from typing import Any

from app.vendors.nexhome import endpoints

COMMONS = "com.nexhome.apis.iotdomain.v1.commons"
MAX_TEXT = 255
PIN = re.compile(r"^\d{4,8}$")
CARD = re.compile(r"^[0-9A-Fa-f]{6,20}$")


def detail(field_path: str, error_code: str, message: str) -> dict:
    return {"domain": COMMONS, "errorCode": error_code, "message": message,
            "fieldPath": field_path}


def required(field_path: str) -> dict:
    return detail(field_path, "REQUIRED", "Required field not filled")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(body: dict, key: str, path: str, problems: list, *, limit: int = MAX_TEXT) -> None:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(required(path))
    elif len(value) > limit:
        problems.append(detail(path, "TOO_LONG", f"Must be at most {limit} characters"))


def window(body: dict, prefix: str, problems: list, *, required_both: bool) -> None:
    effective, expired = body.get("effectiveTime"), body.get("expiredTime")
    for key, value in (("effectiveTime", effective), ("expiredTime", expired)):
        if value is None:
            if required_both:
                problems.append(required(prefix + key))
        elif not _is_int(value) or value < 0:
            problems.append(detail(prefix + key, "INVALID", "Must be a time in milliseconds"))
    if _is_int(effective) and _is_int(expired) and expired <= effective:
        problems.append(detail(prefix + "expiredTime", "INVALID",
                               "Must be later than effectiveTime"))


def paging(query: Any) -> tuple[int, int, list]:
    problems: list = []
    page = size = 0
    for key, default in (("page", endpoints.FIRST_PAGE), ("size", endpoints.PAGE_SIZE)):
        raw = query.get(key)
        try:
            value = int(raw) if raw is not None else default
        except ValueError:
            problems.append(detail(key, "INVALID", "Must be a whole number"))
            continue
        if key == "page":
            page = value
            if value < endpoints.FIRST_PAGE:
                problems.append(detail(key, "OUT_OF_RANGE",
                                       f"Must be at least {endpoints.FIRST_PAGE}"))
        else:
            size = value
            if not 1 <= value <= endpoints.PAGE_SIZE:
                problems.append(detail(key, "OUT_OF_RANGE",
                                       f"Must be between 1 and {endpoints.PAGE_SIZE}"))
    return page, size, problems


def person(body: Any, rooms: dict) -> list:
    if not isinstance(body, dict):
        return [detail("", "INVALID", "Body must be a JSON object")]
    problems: list = []
    _text(body, "name", "name", problems, limit=64)
    room_ids = body.get("roomIds", [])
    if not isinstance(room_ids, list):
        problems.append(detail("roomIds", "INVALID", "Must be a list"))
    else:
        for i, room in enumerate(room_ids):
            if room not in rooms:
                problems.append(detail(f"roomIds[{i}]", "NOT_FOUND", "No such room"))
    return problems


def credential(body: Any, devices: dict) -> list:
    if not isinstance(body, dict):
        return [detail("", "INVALID", "Body must be a JSON object")]
    problems: list = []
    kind = body.get("type")
    if kind is None:
        problems.append(required("type"))
    elif kind not in endpoints.CREDENTIAL_TYPES:
        problems.append(detail("type", "INVALID",
                               "Must be one of " + ", ".join(endpoints.CREDENTIAL_TYPES)))
    content = body.get("content")
    if not isinstance(content, str) or not content:
        problems.append(required("content"))
    elif kind == "PIN" and not PIN.match(content):
        problems.append(detail("content", "INVALID", "A PIN is 4 to 8 digits"))
    elif kind == "CARD" and not CARD.match(content):
        problems.append(detail("content", "INVALID", "A card number is 6 to 20 hex digits"))
    rule = body.get("rule")
    if rule is not None and not isinstance(rule, dict):
        problems.append(detail("rule", "INVALID", "Must be an object"))
        rule = None
    if kind == "QRCODE" and rule is None:
        problems.append(required("rule.effectiveTime"))
        problems.append(required("rule.expiredTime"))
    elif rule is not None:
        window(rule, "rule.", problems, required_both=kind == "QRCODE")
        encrypted = rule.get("encryptedQrcode")
        if encrypted is not None and not isinstance(encrypted, bool):
            problems.append(detail("rule.encryptedQrcode", "INVALID", "Must be true or false"))
    device_ids = body.get("deviceIds")
    if kind == "FACE":
        if not isinstance(device_ids, list) or not device_ids:
            problems.append(required("deviceIds"))
        else:
            for i, device_id in enumerate(device_ids):
                device = devices.get(device_id)
                if device is None:
                    problems.append(detail(f"deviceIds[{i}]", "NOT_FOUND", "No such device"))
                elif "FACE" not in device.features:
                    problems.append(detail(f"deviceIds[{i}]", "UNSUPPORTED",
                                           "Device does not support face recognition"))
    return problems


def contacts(body: Any) -> list:
    if not isinstance(body, list):
        return [detail("", "INVALID", "Body must be a JSON list of contacts")]
    problems: list = []
    for i, entry in enumerate(body):
        if not isinstance(entry, dict):
            problems.append(detail(f"[{i}]", "INVALID", "Must be an object"))
            continue
        _text(entry, "name", f"[{i}].name", problems, limit=64)
        number = entry.get("number")
        if not isinstance(number, str) or not number.strip():
            problems.append(required(f"[{i}].number"))
    return problems


def announcement(body: Any, devices: dict) -> list:
    if not isinstance(body, dict):
        return [detail("", "INVALID", "Body must be a JSON object")]
    problems: list = []
    _text(body, "title", "title", problems, limit=64)
    _text(body, "content", "content", problems, limit=1000)
    device_ids = body.get("deviceIds")
    if not isinstance(device_ids, list) or not device_ids:
        problems.append(required("deviceIds"))
    else:
        for i, device_id in enumerate(device_ids):
            if device_id not in devices:
                problems.append(detail(f"deviceIds[{i}]", "NOT_FOUND", "No such device"))
    window(body, "", problems, required_both=True)
    return problems


def floors(body: Any, allowed: tuple[int, ...]) -> list:
    if not isinstance(body, dict):
        return [detail("", "INVALID", "Body must be a JSON object")]
    value = body.get("floors")
    if not isinstance(value, list):
        return [required("floors")]
    return [detail(f"floors[{i}]", "OUT_OF_RANGE", "No such floor")
            for i, floor in enumerate(value) if not _is_int(floor) or floor not in allowed]


def elevator_call(body: Any, allowed: tuple[int, ...]) -> list:
    if not isinstance(body, dict):
        return [detail("", "INVALID", "Body must be a JSON object")]
    problems: list = []
    for key in ("fromFloor", "toFloor"):
        value = body.get(key)
        if value is None:
            problems.append(required(key))
        elif not _is_int(value) or value not in allowed:
            problems.append(detail(key, "OUT_OF_RANGE", "No such floor"))
    if not problems and body["fromFloor"] == body["toFloor"]:
        problems.append(detail("toFloor", "INVALID", "Must differ from fromFloor"))
    return problems
