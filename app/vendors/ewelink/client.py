"""eWeLink (CoolKit v1, "version 8") REST client: sign in, keep tokens fresh, list devices.

Every reply is HTTP 200 with `error` in the JSON body (0 = ok); the codes mean different
things per call (401 at login is a wrong password, on a Bearer call it is a session that
someone else's sign-in ended), so errors are mapped here, per call, into the SiteKit error
family with the vendor's code and message kept.

Secrets (password, app secret, at, rt) never reach a log line or an error message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

import aiohttp

from app.core.clock import ClockSkew, date_header_time
from app.core.http import SEND_ONCE, describe_failure, read_text
from app.core.errors import (AuthError, NetworkError, ProtocolError, RateLimited,
                             SessionTakenOver, SiteKitError, VendorError)
from app.core.ratelimit import retry_after_seconds
from app.vendors.ewelink import signing
from app.vendors.ewelink.models import Device, parse_device

log = logging.getLogger(__name__)

VENDOR = "eWeLink"
REGIONS = ("cn", "as", "eu", "us")
# A Date header more than this far from the `ts` we sent explains a 406 by itself.
CLOCK_RETRY_SECONDS = 60
# Calls that are safe to repeat (reads, and writes the cloud makes idempotent) are tried
# again after these waits when the service or the path to it fails (5xx, connection cut);
# anything else fails at once with a clear error.
RETRY_WAITS = (0.5, 1.0)
# 429: the request was refused, not acted on, so any call may wait and try again; but a
# user is waiting, so only short waits, and only so many.
MAX_RATE_LIMIT_WAITS = 4
MAX_RETRY_AFTER = 10.0  # a longer Retry-After is reported instead of waited out
DEFAULT_RETRY_AFTER = 2.0  # a 429 without Retry-After
TRANSIENT_HTTP = (500, 502, 503, 504)
TRANSIENT_CODES = (500, 503, 504)  # the same, said in the v1 body's `error`

SESSION_ENDED = ("Your eWeLink session ended: someone signed in to this account elsewhere "
                 "(eWeLink allows one session per account), or it expired. Sign in again.")
SESSION_HINT = ("SiteKit does not sign in again by itself, because that would end the other "
                "session in turn.")
SIGN_IN_AGAIN = "Sign in to eWeLink again."


def default_base_url(region: str) -> str:
    if region == "cn":
        return "https://cn-api.coolkit.cn:8080"
    return f"https://{region}-api.coolkit.cc:8080"


@dataclass
class Tokens:
    at: str
    rt: str
    user_apikey: str
    region: str
    account: str

    def __repr__(self) -> str:  # tokens must not end up in logs through a repr
        return f"Tokens(region={self.region!r}, account={self.account!r}, at=***, rt=***)"


class EwelinkClient:
    def __init__(self, session: aiohttp.ClientSession, *, appid: str, appsecret: str,
                 region: str = "eu", regions: dict[str, str] | None = None,
                 clock: ClockSkew | None = None, tokens: Tokens | None = None,
                 on_tokens: Callable[[Tokens | None], None] | None = None) -> None:
        self.session = session
        self.appid = appid
        self._appsecret = appsecret
        self.regions = dict(regions or {})
        self.clock = clock or ClockSkew()
        self._tokens = tokens
        self.region = tokens.region if tokens else region
        self._on_tokens = on_tokens
        self._refresh_lock = asyncio.Lock()
        # deviceid -> the apikey the device list gave (the owner's; differs for shared devices)
        self.device_apikeys: dict[str, str] = {}
        # Why the cloud ended our session (a sign-in elsewhere, an expired refresh token),
        # so later calls repeat that instead of a vague "not signed in".
        self.ended: AuthError | None = None
        self._refresh_interrupted = False  # a refresh whose answer never arrived

    # -- state ------------------------------------------------------------------------

    @property
    def tokens(self) -> Tokens | None:
        return self._tokens

    def base_url(self, region: str | None = None) -> str:
        region = region or self.region
        return (self.regions.get(region) or default_base_url(region)).rstrip("/")

    def forget_tokens(self) -> None:
        """Drop the session (sign out locally); `on_tokens(None)` tells whoever stores them."""
        self._set_tokens(None)

    def _set_tokens(self, tokens: Tokens | None) -> None:
        changed = tokens != self._tokens
        self._tokens = tokens
        if tokens is not None:
            self.region = tokens.region
        if changed and self._on_tokens is not None:
            try:
                self._on_tokens(tokens)
            except Exception:  # a failing store must not break the sign-in itself
                log.exception("eWeLink: storing tokens failed")

    def _end_session(self, error: AuthError) -> None:
        self.ended = error
        self._set_tokens(None)

    def _require_tokens(self) -> Tokens:
        if self._tokens is None:
            if self.ended is not None:
                raise self.ended
            raise AuthError(VENDOR, None, message="Not signed in to eWeLink.",
                            hint="Sign in with the account used in the eWeLink app.")
        return self._tokens

    # -- calls ------------------------------------------------------------------------

    async def login(self, account: str, password: str) -> Tokens:
        """Sign in; '@' means an email address, anything else a phone number.

        An account that lives in another region answers 301 with that region: we move
        there and sign in once more, never more (a second 301 is reported, not followed).
        """
        account = account.strip()
        field, value = _account_field(account)
        start_region = self.region
        reply = await self._login_once(field, value, password)
        if reply.get("error") == 301:
            target = reply.get("region")
            if target not in REGIONS or target == self.region:
                raise VendorError(VENDOR, 301, _vendor_msg(reply),
                                  message=f"eWeLink sent the sign-in to an unknown region "
                                          f"({target!r}).",
                                  hint="Pick the account's region by hand and sign in again.")
            log.info("eWeLink: account lives in region %s, not %s; signing in there",
                     target, self.region)
            self.region = target
            reply = await self._login_once(field, value, password)
            if reply.get("error") == 301:
                self.region = start_region
                raise VendorError(
                    VENDOR, 301, _vendor_msg(reply),
                    message=f"eWeLink keeps moving the sign-in between regions "
                            f"({start_region} → {target} → {reply.get('region')}).",
                    hint="Pick the account's region by hand; if it persists, report it.")
        if reply.get("error") != 0:
            raise self._error(reply, call="login", account_field=field)
        try:
            user = reply.get("user") or {}
            tokens = Tokens(at=str(reply["at"]), rt=str(reply["rt"]),
                            user_apikey=str(user.get("apikey") or ""),
                            region=self.region, account=account)
        except (KeyError, AttributeError, TypeError):
            raise ProtocolError("eWeLink accepted the sign-in but sent no tokens.",
                                hint="The service may have changed; try again later.") from None
        self.ended = None
        self._refresh_interrupted = False
        self._set_tokens(tokens)
        log.info("eWeLink: signed in (region %s)", self.region)
        return tokens

    async def _login_once(self, field: str, value: str, password: str) -> dict[str, Any]:
        # Repeating a sign-in only supersedes a session we never received.
        return _object(await self._call("POST", "/api/user/login", auth="sign",
                                        body={field: value, "password": password}, safe=True),
                       "sign-in")

    async def refresh(self) -> Tokens:
        """Swap the refresh token for a new at/rt pair (both old ones stop working)."""
        async with self._refresh_lock:
            return await self._refresh_locked()

    async def _refresh_locked(self) -> Tokens:
        tokens = self._require_tokens()
        # Not safe to repeat: a refresh the cloud performed but whose reply was lost has
        # already retired this rt, and sending it again would look like a takeover.
        try:
            reply = _object(await self._call("GET", "/api/user/refresh", auth="sign",
                                             query={"grantType": "refresh", "rt": tokens.rt},
                                             safe=False), "token refresh")
        except (NetworkError, ProtocolError):
            # The cloud may have swapped the tokens without us hearing the answer; if so,
            # the next call meets 401, and that message should say why.
            self._refresh_interrupted = True
            raise
        if reply.get("error") != 0:
            error = self._error(reply, call="refresh")
            if isinstance(error, AuthError):
                self._end_session(error)
            raise error
        if not reply.get("at") or not reply.get("rt"):
            raise ProtocolError("eWeLink answered the token refresh without tokens.",
                                hint="Sign in again; if it persists, report it.")
        fresh = Tokens(at=str(reply["at"]), rt=str(reply["rt"]),
                       user_apikey=tokens.user_apikey, region=tokens.region,
                       account=tokens.account)
        self._refresh_interrupted = False
        self._set_tokens(fresh)
        log.info("eWeLink: access token refreshed")
        return fresh

    async def _refresh_if_still(self, used_at: str) -> None:
        """Refresh unless another task already did since `used_at` was sent."""
        async with self._refresh_lock:
            if self._tokens is not None and self._tokens.at != used_at:
                return
            await self._refresh_locked()

    async def devices(self) -> list[Device]:
        reply = await self._bearer("GET", "/api/user/device", query={"lang": "en"}, safe=True)
        devices = parse_device_list(reply)
        self.device_apikeys = {d.deviceid: d.apikey for d in devices if d.apikey}
        return devices

    async def add_device(self, deviceid: str, devicekey: str, name: str,
                         chipid: str | None = None) -> Device:
        """Put a freshly paired device on the account (`POST /api/user/device/add`).

        `devicekey` is the device's own key, the `apikey` its `GET /device` answered.
        Adding a device that is already on this account is harmless (the cloud answers with
        the existing entry); callers that must never duplicate check the list first.
        """
        body: dict[str, Any] = {"deviceid": deviceid, "apikey": devicekey, "name": name,
                                "isSub": 0}
        if chipid:
            body["chipid"] = chipid
        try:
            # The cloud answers a repeated add with the same entry: safe to repeat.
            reply = await self._bearer("POST", "/api/user/device/add", body=body, safe=True)
        except AuthError:
            raise
        except VendorError as exc:
            raise _add_device_error(exc, deviceid) from None
        raw = reply.get("device") if isinstance(reply, Mapping) else None
        if not isinstance(raw, Mapping) or not raw.get("deviceid"):
            raise ProtocolError("eWeLink accepted the device but did not send it back.",
                                hint="Refresh the device list to see it.")
        device = parse_device(raw)
        if device.apikey:
            self.device_apikeys[device.deviceid] = device.apikey
        log.info("eWeLink: device %s added to the account", device.deviceid)
        return device

    async def dispatch(self) -> str:
        """Ask which server holds our websocket; returns its ws:// or wss:// URL."""
        reply = _object(await self._bearer("POST", "/dispatch/app", body={"accept": "ws"},
                                           safe=True), "websocket dispatch")
        host = reply.get("domain") or reply.get("IP")
        port = reply.get("port")
        if not host or not isinstance(port, (int, str)) or not str(port).isdigit():
            raise ProtocolError("eWeLink's dispatch reply names no websocket server.",
                                hint="Try again in a minute.")
        scheme = "ws" if self.base_url().startswith("http://") else "wss"
        return f"{scheme}://{host}:{int(port)}/api/ws"

    # -- plumbing ---------------------------------------------------------------------

    async def _bearer(self, method: str, path: str, *, query: dict | None = None,
                      body: dict | None = None, safe: bool) -> Any:
        """A call with `Authorization: Bearer at`; 402 refreshes and retries once."""
        tokens = self._require_tokens()
        reply = await self._call(method, path, auth="bearer", query=query, body=body, safe=safe)
        if _code(reply) == 402:
            log.info("eWeLink: access token expired; refreshing")
            await self._refresh_if_still(tokens.at)
            reply = await self._call(method, path, auth="bearer", query=query, body=body,
                                     safe=safe)
        code = _code(reply)
        if code not in (0, None):
            error = self._error(reply, call="bearer")
            if code == 401 and self._refresh_interrupted:
                error = SessionTakenOver(
                    VENDOR, 401, _vendor_msg(reply),
                    message="Your eWeLink session ended: a token refresh was cut off before "
                            "its answer arrived, and eWeLink had already replaced the tokens "
                            "SiteKit holds.",
                    hint="Sign in again (nobody else signed in; the connection dropped at "
                         "the wrong moment).")
            if code == 401 and isinstance(error, AuthError):
                self._end_session(error)
            raise error
        return reply

    async def _call(self, method: str, path: str, *, auth: str, safe: bool,
                    query: dict | None = None, body: dict | None = None) -> Any:
        """One REST call with the common params: 429 waited out (bounded), 5xx and cut
        connections retried only when `safe`, one retry when our clock is off."""
        reply, sent_ts, server_ts, local_ts = await self._send_with_retries(
            method, path, auth=auth, query=query, body=body, safe=safe)
        if (_code(reply) == 406 and server_ts is not None
                and abs(server_ts - sent_ts) > CLOCK_RETRY_SECONDS):
            log.warning("eWeLink refused the request and its clock differs from the time we "
                        "sent by %.0f s; retrying once with the server's time",
                        server_ts - sent_ts)
            self.clock.observe(server_ts - local_ts)
            reply, *_ = await self._send_with_retries(method, path, auth=auth, query=query,
                                                      body=body, safe=safe)
            if _code(reply) == 406:
                offset = self.clock.offset
                raise VendorError(
                    VENDOR, 406, _vendor_msg(reply),
                    message=f"eWeLink refused the request: the laptop clock is wrong by "
                            f"{abs(offset):.0f} seconds "
                            f"({'behind' if offset > 0 else 'ahead of'} the server).",
                    hint="Set the system clock (turn on automatic time) and try again; "
                         "also check the app ID and app secret in Settings.")
        return reply

    async def _send_with_retries(self, method: str, path: str, *, auth: str,
                                 query: dict | None, body: dict | None, safe: bool):
        failures = 0
        waits = 0
        while True:
            try:
                return await self._send(method, path, auth=auth, query=query, body=body,
                                        safe=safe)
            except RateLimited as exc:
                wait = exc.retry_after if exc.retry_after is not None else DEFAULT_RETRY_AFTER
                if waits >= MAX_RATE_LIMIT_WAITS or wait > MAX_RETRY_AFTER:
                    raise _rate_limited(exc, waits) from None
                waits += 1
                log.info("eWeLink %s %s: rate limited; waiting %.1f s as asked (%d/%d)",
                         method, path, wait, waits, MAX_RATE_LIMIT_WAITS)
                await asyncio.sleep(wait)
            except _Transient as exc:
                if not safe or failures >= len(RETRY_WAITS):
                    error = exc.error
                    if safe:
                        error.hint = (f"SiteKit tried {failures + 1} times. " + error.hint).strip()
                    raise error from None
                wait = RETRY_WAITS[failures]
                if exc.retry_after is not None and 0 <= exc.retry_after <= MAX_RETRY_AFTER:
                    wait = max(wait, exc.retry_after)
                failures += 1
                log.info("eWeLink %s %s failed (%s); trying again in %.1f s", method, path,
                         exc.error.message, wait)
                await asyncio.sleep(wait)

    async def _send(self, method: str, path: str, *, auth: str, query: dict | None,
                    body: dict | None, safe: bool = True) -> tuple[Any, int, float | None, float]:
        """Send once. Returns the decoded reply, the `ts` we sent, the server's time from
        its Date header (None without one) and our local time when the reply came."""
        ts = int(self.clock.now())
        common = signing.common_params(self.appid, ts)
        headers = {"Content-Type": "application/json"}
        url = self.base_url() + path
        data: bytes | None = None
        params: dict[str, Any] | None = None
        if method == "GET":
            params = {**(query or {}), **common}
            if auth == "sign":
                headers["Authorization"] = signing.authorization(
                    self._appsecret, signing.query_message(params))
            params = {k: str(v) for k, v in params.items()}
        else:
            # Serialised once: the signature covers exactly these bytes.
            data = signing.body_bytes({**(body or {}), **common})
            if auth == "sign":
                headers["Authorization"] = signing.authorization(self._appsecret, data)
        if auth == "bearer":
            headers["Authorization"] = "Bearer " + self._require_tokens().at
        host = urlsplit(url).netloc
        try:
            # aiohttp repeats a GET by itself when the connection drops; a call that is
            # not safe to repeat (the refresh is a GET that retires its rt) goes out once.
            extra = {} if safe else SEND_ONCE
            async with self.session.request(method, url, params=params, data=data,
                                            headers=headers, **extra) as response:
                local_ts = time.time()
                server_ts = date_header_time(response.headers.get("Date"))
                status = response.status
                retry_after = retry_after_seconds(response.headers.get("Retry-After"), server_ts)
                text = await read_text(response, what="eWeLink")
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            error = NetworkError(
                f"Could not reach eWeLink at {host} ({describe_failure(exc)}).",
                hint="Check the internet connection, any proxy or firewall (eWeLink uses "
                     "port 8080), and that the region is right.")
            # A connection cut mid-call is worth another try; no connection at all, or no
            # answer within the whole timeout, is not (the caller decides when to ask again).
            if (isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError))
                    and not isinstance(exc, aiohttp.ClientConnectorError)):
                raise _Transient(error) from None
            raise error from None
        reply = _decode(text)
        code = _code(reply) if isinstance(reply, dict) else None
        if status == 429 or code == 429:
            raise RateLimited(VENDOR, 429, _vendor_msg(reply) if isinstance(reply, dict)
                              else f"HTTP {status}", retry_after=retry_after,
                              message="eWeLink is limiting how often we call it.",
                              hint="Wait a few minutes before trying again.")
        if status in TRANSIENT_HTTP or code in TRANSIENT_CODES:
            if isinstance(reply, dict) and code in TRANSIENT_CODES:
                error = vendor_error(reply, call="bearer", region=self.region)
            else:
                error = _http_error(status, host)
            raise _Transient(error, retry_after)
        if status >= 400 and not (isinstance(reply, dict) and "error" in reply):
            raise _http_error(status, host)
        if reply is None:
            raise ProtocolError(f"eWeLink at {host} answered {path} with something that is "
                                f"not JSON (HTTP {status}).",
                                hint="A proxy or captive portal may be in the way; open a web "
                                     "page in a browser to check.")
        log.debug("eWeLink %s %s -> error %s", method, path, _code(reply))
        return reply, ts, server_ts, local_ts

    def _error(self, reply: Mapping[str, Any], *, call: str,
               account_field: str = "email") -> SiteKitError:
        return vendor_error(reply, call=call, region=self.region, account_field=account_field)


# -- error mapping --------------------------------------------------------------------------

def vendor_error(reply: Mapping[str, Any], *, call: str, region: str = "",
                 account_field: str = "email") -> SiteKitError:
    """A v1 error reply -> the SiteKit error to raise. `call`: login | refresh | bearer."""
    code = _code(reply)
    msg = _vendor_msg(reply)
    who = "email address" if account_field == "email" else "phone number"
    if code == 400:
        return VendorError(VENDOR, 400, msg,
                           message="eWeLink says a request parameter is missing or wrong.",
                           hint="This is likely a SiteKit bug or an API change; send the "
                                "log to support.")
    if code == 401:
        if call == "login":
            return AuthError(VENDOR, 401, msg, message="Wrong email/phone or password.",
                             hint="Use the account and password that work in the eWeLink app.")
        # Bearer call or refresh: our token was superseded (another sign-in) or is unknown.
        return SessionTakenOver(VENDOR, 401, msg, message=SESSION_ENDED, hint=SESSION_HINT)
    if code == 402:
        if call == "login":
            return AuthError(VENDOR, 402, msg,
                             message="This eWeLink account has not been activated yet.",
                             hint="Open the activation mail from eWeLink, or finish sign-up "
                                  "in the eWeLink app, then try again.")
        return AuthError(VENDOR, 402, msg, message="Your eWeLink sign-in has expired.",
                         hint=SIGN_IN_AGAIN)
    if code == 403:
        return VendorError(VENDOR, 403, msg, message="eWeLink refused access (no permission).",
                           hint="The app ID may not be allowed to do this, or the device is "
                                "not shared with this account.")
    if code == 404:
        if call == "login":
            return AuthError(VENDOR, 404, msg,
                             message=f"No eWeLink account with that {who} in region "
                                     f"{region or '?'}.",
                             hint="Check the spelling and the region; the region is where "
                                  "the account was created.")
        return VendorError(VENDOR, 404, msg, message="eWeLink could not find what was asked for.",
                           hint="Refresh the device list and try again.")
    if code == 406:
        lowered = msg.lower()
        if "timestamp" in lowered:
            text = "eWeLink refused the request because the laptop clock is wrong."
            hint = "Set the system clock (turn on automatic time) and try again."
        elif "appid" in lowered:
            text = "eWeLink does not accept this app ID."
            hint = ("Check the app ID in Settings; CoolKit revokes app IDs and limits which "
                    "brands they see.")
        elif "sign" in lowered:
            text = "eWeLink rejected the request signature."
            hint = "Check that the app secret in Settings belongs to the app ID."
        else:
            text = "eWeLink refused the app credentials or the request time."
            hint = "Check the app ID and app secret in Settings and that the laptop clock is right."
        return VendorError(VENDOR, 406, msg, message=text, hint=hint)
    if code == 429:
        return RateLimited(VENDOR, 429, msg, message="eWeLink is limiting how often we call it.",
                           hint="Wait a few minutes before trying again; repeated sign-ins can "
                                "get this network blocked for a while.")
    if code == 500:
        return VendorError(VENDOR, 500, msg, message="eWeLink had an internal error.",
                           hint="Try again in a minute.")
    if code == 503:
        return VendorError(VENDOR, 503, msg, message="The eWeLink service is unavailable.",
                           hint="Try again in a few minutes.")
    if code == 504:
        return VendorError(VENDOR, 504, msg, message="eWeLink timed out answering.",
                           hint="Try again in a minute.")
    if code == 301:
        return VendorError(VENDOR, 301, msg,
                           message="eWeLink says the account lives in another region.",
                           hint="Pick the account's region and sign in again.")
    return VendorError(VENDOR, code, msg, message="eWeLink reported an unexpected error.",
                       hint="Try again; if it persists, send the log to support.")


def _add_device_error(exc: VendorError, deviceid: str) -> VendorError:
    """The add-device call's codes mean device things, not app-credential things."""
    text = exc.vendor_message.lower()
    if exc.code == 406 and "chip" in text:
        return VendorError(VENDOR, 406, exc.vendor_message,
                           message=f"eWeLink says the chip id of device {deviceid} does not match.",
                           hint="Read the device again in pairing mode and start over.")
    if exc.code == 406 and "key" in text:
        return VendorError(VENDOR, 406, exc.vendor_message,
                           message=f"eWeLink says the key of device {deviceid} does not match.",
                           hint="Put the device into pairing mode again and start over; the "
                                "key it announced may belong to an earlier pairing.")
    if exc.code == 403:
        return VendorError(VENDOR, 403, exc.vendor_message,
                           message=f"Device {deviceid} belongs to another eWeLink account.",
                           hint="Remove it from that account in the eWeLink app (device "
                                "settings → Delete), then pair it again.")
    if exc.code == 404:
        return VendorError(VENDOR, 404, exc.vendor_message,
                           message=f"eWeLink does not know device {deviceid} yet.",
                           hint="Wait until the device has joined the Wi-Fi and try again.")
    return exc


def parse_device_list(reply: Any) -> list[Device]:
    """The device list reply -> devices; a clear ProtocolError for any other shape."""
    # v1 wraps the list in `devicelist`; some deployments answer a bare array.
    raw_list = reply if isinstance(reply, list) else None
    if isinstance(reply, Mapping):
        raw_list = reply.get("devicelist")
        if raw_list is None and isinstance(reply.get("data"), Mapping):
            raw_list = reply["data"].get("devicelist")
        if not isinstance(raw_list, list) and isinstance(reply.get("data"), str):
            raise ProtocolError(
                "eWeLink sent the device list encrypted, which SiteKit cannot read.",
                hint="This app ID gets vendor-only replies; use an app ID for open access.")
    if not isinstance(raw_list, list):
        raise ProtocolError("eWeLink's device list reply has no list of devices.",
                            hint="The service may have changed; try again later.")
    return [parse_device(item) for item in raw_list if isinstance(item, Mapping)]


def _object(reply: Any, what: str) -> dict[str, Any]:
    if not isinstance(reply, dict):
        raise ProtocolError(f"eWeLink answered the {what} with a list, not the object it sends.",
                            hint="The service may have changed, or a proxy is in the way; try "
                                 "again later.")
    return reply


class _Transient(Exception):
    """A failure worth one more try for a call that is safe to repeat."""

    def __init__(self, error: SiteKitError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


def _rate_limited(exc: RateLimited, waits: int) -> RateLimited:
    wait = exc.retry_after
    if waits:
        message = (f"eWeLink is still limiting how often we call it after SiteKit waited "
                   f"{waits} times.")
    elif wait is not None:
        message = f"eWeLink asks SiteKit to wait {wait:g} s before calling again."
    else:
        message = "eWeLink is limiting how often we call it."
    hint = (f"Try again in {wait:g} s." if wait is not None else
            "Wait a few minutes before trying again.")
    return RateLimited(VENDOR, exc.code, exc.vendor_message, retry_after=wait,
                       message=message, hint=hint + " Repeated sign-ins can get this network "
                                                    "blocked for a while.")


# -- small helpers ----------------------------------------------------------------------------

def _account_field(account: str) -> tuple[str, str]:
    if "@" in account:
        return "email", account
    # A phone number with its country code; people type spaces and dashes, and often
    # leave out the '+'.
    digits = "".join(c for c in account if c.isdigit() or c == "+")
    if digits and not digits.startswith("+"):
        digits = "+" + digits
    return "phoneNumber", digits


def _code(reply: Any) -> int | None:
    if isinstance(reply, Mapping):
        value = reply.get("error")
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, float) and not value.is_integer():
            return None  # also NaN and infinities, which int() refuses with OverflowError
        if isinstance(value, str) and len(value) > 12:
            return None  # int() of a huge digit string is slow and never a code
        try:
            return int(value)
        except (TypeError, ValueError, OverflowError):
            return None
    return 0 if isinstance(reply, list) else None


def _vendor_msg(reply: Mapping[str, Any]) -> str:
    for key in ("msg", "reason", "message"):
        value = reply.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _decode(text: str) -> Any:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return None
    return value if isinstance(value, (dict, list)) else None


def _http_error(status: int, host: str) -> SiteKitError:
    if status in TRANSIENT_HTTP:
        return NetworkError(f"eWeLink at {host} is not reachable right now (HTTP {status}).",
                            hint="The service or a proxy in between is down; try again later.")
    return ProtocolError(f"eWeLink at {host} answered HTTP {status}.",
                         hint="A proxy may be in the way, or the region URL is wrong.")

