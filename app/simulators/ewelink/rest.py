"""The REST half of the simulated cloud: login, refresh, device list, dispatch.

Replies are HTTP 200 with CoolKit v1's `{"error": <code>, "msg": "..."}` shape.
Order of checks (the guide does not fix one; this is the order a server that first looks
up the app needs): missing common parameter (400) -> unknown appid (406) -> signature
(406, login and refresh only) -> nonce / version (400) -> timestamp window (406) ->
endpoint-specific checks -> token (401 unknown or superseded, 402 expired).
Login looks the account up across all regions first: an account held by another region
answers 301 with that region before the password is checked (that server cannot check
it), an account held nowhere answers 404.

Pairing (device-sim): `POST /dispatch/device` is the device side (no auth, the device
asks where its websocket is, before `register`); `POST /api/user/device/add` puts a
device the cloud knows (seeded, or a simulated Sonoff made with `manufacture`) on the
signed-in account: wrong device key 406, unknown device 404, another account's 403,
already this account's answers ok again with the same device (no duplicate), and a
`chipid` that is given must match the one the device reports in AP mode (406).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, Mapping

from aiohttp import web

from app.simulators.ewelink import devices as device_rules
from app.vendors.ewelink import signing

if TYPE_CHECKING:
    from app.simulators.ewelink.cloud import EwelinkCloudSim

log = logging.getLogger(__name__)

COMMON_PARAMS = ("appid", "nonce", "ts", "version")
TS_WINDOW_SECONDS = 600


def error(code: int, msg: str | None = None, **extra: Any) -> web.Response:
    body: dict[str, Any] = {"error": code}
    if msg is not None:
        body["msg"] = msg
    body.update(extra)
    return web.json_response(body)


def _as_int(value: Any) -> int | None:
    """A number from a JSON body or a query string ("8", 8, 8.0); None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


class RestApi:
    """The REST endpoints of one region."""

    def __init__(self, cloud: EwelinkCloudSim, region: str) -> None:
        self.cloud = cloud
        self.region = region

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/api/user/login", self.login)
        app.router.add_get("/api/user/refresh", self.refresh)
        app.router.add_get("/api/user/device", self.device_list)
        app.router.add_post("/dispatch/app", self.dispatch)
        app.router.add_post("/dispatch/device", self.dispatch_device)
        app.router.add_post("/api/user/device/add", self.device_add)

    # ----- shared checks ------------------------------------------------------------------

    def _check_present(self, params: Mapping[str, Any], names=COMMON_PARAMS) -> web.Response | None:
        for name in names:
            if params.get(name) in (None, ""):
                return error(400, f"missing parameter: {name}")
        if params["appid"] != self.cloud.appid:
            return error(406, "appid is unauthorized")
        return None

    def _check_values(self, params: Mapping[str, Any]) -> web.Response | None:
        if not signing.is_valid_nonce(params["nonce"]):
            return error(400, "nonce must be 8 alphanumeric characters")
        if _as_int(params["version"]) != signing.API_VERSION:
            return error(400, f"version must be {signing.API_VERSION}")
        ts = _as_int(params["ts"])
        if ts is None:
            return error(400, "ts must be whole seconds since the epoch")
        if abs(ts - self.cloud.now()) > TS_WINDOW_SECONDS:
            return error(406, "timestamp out of range")
        return None

    def _check_bearer(self, request: web.Request) -> tuple[web.Response | None, str | None, str | None]:
        """(error reply, account id, at)."""
        header = request.headers.get("Authorization", "")
        at = header[7:].strip() if header.startswith("Bearer ") else None
        status, account_id = self.cloud.state.tokens.check(at, "at")
        if status == "expired":
            return error(402, "token expired"), None, None
        if status != "ok":
            return error(401, "token invalid"), None, None
        return None, account_id, at

    @staticmethod
    async def _json_body(request: web.Request) -> tuple[bytes, dict[str, Any] | None]:
        raw = await request.read()
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return raw, None
        return raw, body if isinstance(body, dict) else None

    # ----- endpoints ----------------------------------------------------------------------

    async def _common_body(self, request: web.Request) -> tuple[web.Response | None, dict[str, Any]]:
        """A Bearer call's JSON body with the common parameters present and valid."""
        _, body = await self._json_body(request)
        if body is None:
            return error(400, "body must be a JSON object"), {}
        return self._check_present(body) or self._check_values(body), body

    async def login(self, request: web.Request) -> web.Response:
        raw, body = await self._json_body(request)
        if body is None:
            return error(400, "body must be a JSON object")
        failure = self._check_present(body)
        if failure:
            return failure
        if not signing.verify(self.cloud.appsecret, raw, request.headers.get("Authorization")):
            return error(406, "sign verification failed")
        failure = self._check_values(body)
        if failure:
            return failure
        login = body.get("phoneNumber") or body.get("email")
        if not login:
            return error(400, "missing parameter: email")
        if body.get("password") in (None, ""):
            return error(400, "missing parameter: password")
        account = self.cloud.state.find_account(login)
        if account is None:
            log.info("login at %s: no such account", self.region)
            return error(404, "user does not exist")
        if account.region != self.region:
            log.info("login at %s: account lives in %s (301)", self.region, account.region)
            return error(301, region=account.region)
        if not account.password_matches(body.get("password")):
            log.info("login at %s: wrong password", self.region)
            return error(401, "wrong account or password")
        at, rt = self.cloud.state.tokens.issue(account.id)
        self.cloud.close_superseded_sockets(account.id, keep_at=at)
        log.info("login at %s: ok, earlier sessions of the account superseded", self.region)
        return web.json_response({"error": 0, "at": at, "rt": rt,
                                  "user": account.to_wire(self.cloud.appid), "region": account.region})

    async def refresh(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        failure = self._check_present(params)
        if failure:
            return failure
        message = signing.query_message(params)
        if not signing.verify(self.cloud.appsecret, message, request.headers.get("Authorization")):
            return error(406, "sign verification failed")
        failure = self._check_values(params)
        if failure:
            return failure
        if params.get("grantType") in (None, ""):
            return error(400, "missing parameter: grantType")
        if params["grantType"] != "refresh":
            return error(400, "grantType must be refresh")
        if params.get("rt") in (None, ""):
            return error(400, "missing parameter: rt")
        status, account_id = self.cloud.state.tokens.check(params["rt"], "rt")
        if status == "expired":
            return error(402, "refresh token expired")
        if status != "ok" or account_id is None:
            return error(401, "token invalid")
        at, rt = self.cloud.state.tokens.issue(account_id)
        log.info("refresh at %s: ok", self.region)
        return web.json_response({"error": 0, "at": at, "rt": rt})

    async def device_list(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        failure = self._check_present(params) or self._check_values(params)
        if failure:
            return failure
        failure, account_id, _ = self._check_bearer(request)
        if failure:
            return failure
        devices = [d.to_wire() for d in self.cloud.state.devices_of(account_id)]
        return web.json_response({"error": 0, "devicelist": devices})

    async def dispatch(self, request: web.Request) -> web.Response:
        failure, body = await self._common_body(request)
        if failure:
            return failure
        if body.get("accept") != "ws":
            return error(400, "accept must be ws")
        failure, _, _ = self._check_bearer(request)
        if failure:
            return failure
        return self._dispatch_reply(request)

    def _dispatch_reply(self, request: web.Request) -> web.Response:
        """Where to open the websocket: this region's port, by the host the caller used."""
        host = self.cloud.public_host(request)
        return web.json_response({"error": 0, "reason": "ok", "IP": host,
                                  "port": self.cloud.ws_port(self.region), "domain": host})

    async def dispatch_device(self, request: web.Request) -> web.Response:
        """Where a device opens its websocket (the device asks right after joining Wi-Fi)."""
        _, body = await self._json_body(request)
        if body is None:
            return error(400, "body must be a JSON object")
        if not isinstance(body.get("deviceid"), str) or not body["deviceid"]:
            return error(400, "missing parameter: deviceid")
        log.info("device dispatch at %s", self.region)
        return self._dispatch_reply(request)

    async def device_add(self, request: web.Request) -> web.Response:
        failure, body = await self._common_body(request)
        if failure:
            return failure
        failure, account_id, _ = self._check_bearer(request)
        if failure:
            return failure
        for name in ("deviceid", "apikey"):
            if not isinstance(body.get(name), str) or not body[name]:
                return error(400, f"missing parameter: {name}")
        name = body.get("name")
        if name is not None and not isinstance(name, str):
            return error(400, "name must be a string")
        chipid = body.get("chipid")
        if chipid not in (None, "") and not isinstance(chipid, str):
            return error(400, "chipid must be a string")
        device = self.cloud.state.devices.get(body["deviceid"])
        if device is None:
            return error(404, "device not found")
        if body["apikey"] != device.devicekey:
            return error(406, "device key mismatch")
        if chipid and device.chipid and chipid != device.chipid:
            return error(406, "chipid mismatch")
        account = self.cloud.state.accounts[account_id]
        if device.owner_id is not None and device.owner_id != account.id:
            log.info("device add at %s: the device belongs to another account", self.region)
            return error(403, "device belongs to another account")
        if device.owner_id is None:
            label = (name or "").strip() or f"{device_rules.catalogue(device.uiid).product_model} {device.deviceid}"
            await self.cloud.add_to_account(account, device, label)
            log.info("device add at %s: added", self.region)
        return web.json_response({"error": 0, "device": device.to_wire()})
