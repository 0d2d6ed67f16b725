"""NEXhome REST client: signed calls, readable errors, transparent paging, safe commands.

    client = NexhomeClient(session, api=..., developer_id=..., app_id=..., app_secret=...,
                           clock=clock)
    await client.devices()                       # every page, 50 at a time
    async for person in client.iter_persons(): ...
    try:
        await client.unlock(door_id)
    except CommandOutcomeUnknown as exc:         # sent; whether the door opened is unknown
        ... ask the user ..., then: await client.unlock(door_id, request_id=exc.request_id)

Every request carries the guide's common headers, signed over the path (signing.py). A 401
whose `Date` shows our clock is off by more than CLOCK_RETRY_SECONDS updates the ClockSkew
and is sent once more (a refused request did nothing, so this is safe even for commands);
any other 401 is a credentials problem. Error bodies `{code, message, status, domain,
details[{domain, errorCode, message, fieldPath}]}` become VendorError subclasses whose
message names the field ("name: Required field not filled").

Bounded resilience: a 429 is waited out per its Retry-After (at most MAX_RATE_WAITS times
and MAX_RATE_WAIT s in all per call; NEXhome refused before acting, so this holds for
commands too, which keep their REQUEST-ID); a read (GET) is sent again after a 5xx or a
dropped connection (READ_RETRY_DELAYS). Every reply is read through `read_text` (size
limit, cut-off reply → ProtocolError).

Commands (unlock, elevator call) are never retried here. When the request may have reached
the server but no answer came back (timeout, connection dropped), `CommandOutcomeUnknown`
carries the REQUEST-ID; the caller asks the user and, to try again, passes that id back so
the server recognises the repeat instead of opening the door a second time. A cut-off,
oversized or non-JSON reply to a command is treated the same way: something answered, so
the door may have opened.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, AsyncIterator, Callable, Iterable, Mapping, Sequence, TypeVar
from urllib.parse import urlsplit

import aiohttp

from app.core.clock import ClockSkew, date_header_time
from app.core.errors import (AuthError, CommandTimeout, DeviceOffline, NetworkError,
                             ProtocolError, RateLimited, SiteKitError, VendorError)
from app.core.http import SEND_ONCE, AnswerLost, describe_failure, read_text
from app.core.ratelimit import retry_after_seconds
from app.vendors.nexhome import endpoints, signing
from app.vendors.nexhome.endpoints import Call
from app.vendors.nexhome.models import (Announcement, Contact, Credential, Device, Door,
                                        ElevatorCallResult, ElevatorConfig, Message, Page, Person,
                                        Room, UnlockResult, to_ms)

log = logging.getLogger(__name__)

VENDOR = "NEXhome"
# A Date header this far from the TIMESTAMP we sent explains a 401 by itself (the server
# allows 5 minutes; a Date has one-second resolution plus the network delay).
CLOCK_RETRY_SECONDS = 60
# Commands answer quickly or not at all; a long wait only delays asking the user.
COMMAND_TIMEOUT = 15.0
REQUEST_TIMEOUT = 30.0
# A read (GET) that meets a 5xx or a dropped connection is sent again after these waits;
# then the error stands. Commands are never repeated this way.
READ_RETRY_DELAYS = (0.5, 1.5)
# A 429 is waited out (Retry-After, or DEFAULT_RATE_WAIT without one) at most MAX_RATE_WAITS
# times and MAX_RATE_WAIT seconds in all per call; beyond that a clear error instead of a
# screen that seems frozen.
MAX_RATE_WAITS = 5
MAX_RATE_WAIT = 30.0
DEFAULT_RATE_WAIT = 2.0
# Paging stops after this many pages whatever `total` says (a server that never ends).
MAX_PAGES = 2000
T = TypeVar("T")


class InvalidRequest(VendorError):
    """400: the body was refused. Like every error from `error_from_reply`, it carries
    `field_errors` [(fieldPath, message, errorCode)], `status_text` and `domain`."""


class PermissionDenied(VendorError):
    """403: the app may not do this (message subscription not enabled, door not granted)."""


class NotFound(VendorError):
    """404: no such device, door, person, credential or consumer for this app."""


class CommandOutcomeUnknown(CommandTimeout):
    """The command may have been carried out: the request went out, no answer came back.

    Not retried by SiteKit. To try again, pass `request_id` back to the same method: the
    server recognises the repeat and does not act twice."""

    def __init__(self, action: str, target: str, request_id: str, cause: str) -> None:
        self.action = action
        self.target = target
        self.request_id = request_id
        self.cause = cause
        what = f"{action} {target}".strip()
        super().__init__(
            f"No answer from NEXhome to {what} ({cause}); it may or may not have "
            f"been carried out.",
            hint="Check on site before trying again. Trying again reuses the same request "
                 f"id ({request_id}), so NEXhome will not act twice.")


class NexhomeClient:
    def __init__(self, session: aiohttp.ClientSession, *, api: str, developer_id: str,
                 app_id: str, app_secret: str, clock: ClockSkew | None = None,
                 request_timeout: float = REQUEST_TIMEOUT,
                 command_timeout: float = COMMAND_TIMEOUT) -> None:
        self.session = session
        self.api = api.rstrip("/")
        self.developer_id = developer_id
        self.app_id = app_id
        self._app_secret = app_secret
        self.clock = clock or ClockSkew()
        self.request_timeout = request_timeout
        self.command_timeout = command_timeout

    def __repr__(self) -> str:  # the secret must not reach a log line through a repr
        return f"NexhomeClient(api={self.api!r}, app_id={self.app_id!r})"

    # -- devices and doors -------------------------------------------------------------------

    def iter_devices(self) -> AsyncIterator[Device]:
        return self.iter_pages(endpoints.devices, Device.from_api)

    async def devices(self) -> list[Device]:
        return await _collect(self.iter_devices())

    async def device(self, device_id: str) -> Device:
        return Device.from_api(await self._object(endpoints.device(device_id)))

    async def door(self, access_id: str) -> Door:
        return Door.from_api(await self._object(endpoints.access(access_id)))

    async def doors(self, devices: Iterable[Device] | None = None) -> list[Door]:
        """Every access point the devices name that this app may use (read concurrently, in
        device order). Doors not granted to the app (403) or gone (404) are left out."""
        devices = list(devices) if devices is not None else await self.devices()
        ids = list(dict.fromkeys(a for d in devices for a in d.access_ids))
        answers = await asyncio.gather(*(self.door(a) for a in ids), return_exceptions=True)
        doors = []
        for access_id, answer in zip(ids, answers):
            if isinstance(answer, (PermissionDenied, NotFound)):
                log.info("NEXhome: door %s left out (%s)", access_id, answer.code)
            elif isinstance(answer, BaseException):
                raise answer
            else:
                doors.append(answer)
        return doors

    async def unlock(self, access_id: str, *, request_id: str | None = None) -> UnlockResult:
        """Open a door once. Raises CommandOutcomeUnknown when the answer was lost, or
        DeviceOffline / PermissionDenied / NotFound when NEXhome refused."""
        request_id = request_id or signing.new_request_id()
        answer = await self._command(endpoints.unlock(access_id), request_id,
                                     action="unlock door", target=access_id)
        answer = answer if isinstance(answer, Mapping) else {}
        return UnlockResult(str(answer.get("id") or access_id), str(answer.get("result") or ""),
                            request_id)

    async def call_elevator(self, device_id: str, from_floor: int, to_floor: int, *,
                            request_id: str | None = None) -> ElevatorCallResult:
        request_id = request_id or signing.new_request_id()
        answer = await self._command(endpoints.elevator_call(device_id, from_floor, to_floor),
                                     request_id, action="call the elevator of",
                                     target=device_id)
        answer = answer if isinstance(answer, Mapping) else {}
        return ElevatorCallResult(str(answer.get("deviceId") or device_id),
                                  _opt_int(answer.get("fromFloor"), from_floor),
                                  _opt_int(answer.get("toFloor"), to_floor),
                                  str(answer.get("result") or ""), request_id)

    # -- persons, rooms, credentials -----------------------------------------------------------

    def iter_persons(self, *, room_id: str | None = None) -> AsyncIterator[Person]:
        return self.iter_pages(lambda page, size: endpoints.persons(page, size, room_id=room_id),
                               Person.from_api)

    async def persons(self, *, room_id: str | None = None) -> list[Person]:
        return await _collect(self.iter_persons(room_id=room_id))

    async def person(self, person_id: str) -> Person:
        return Person.from_api(await self._object(endpoints.person(person_id)))

    async def create_person(self, name: str, *, phone: str = "",
                            room_ids: Sequence[str] = ()) -> Person:
        return Person.from_api(await self._object(
            endpoints.create_person(name, phone=phone, room_ids=room_ids)))

    def iter_rooms(self) -> AsyncIterator[Room]:
        return self.iter_pages(endpoints.rooms, Room.from_api)

    async def rooms(self) -> list[Room]:
        return await _collect(self.iter_rooms())

    async def credentials(self, person_id: str) -> list[Credential]:
        return await _collect(self.iter_pages(
            lambda page, size: endpoints.credentials(person_id, page, size), Credential.from_api))

    async def issue_credential(self, person_id: str, credential_type: str, content: str, *,
                               effective=None, expired=None, encrypted_qrcode: bool | None = None,
                               device_ids: Sequence[str] = ()) -> Credential:
        """PIN, CARD, QRCODE or FACE (FACE: `device_ids` of face-capable devices).
        `effective`/`expired` are aware datetimes (or None)."""
        credential_type = credential_type.upper()
        if credential_type not in endpoints.CREDENTIAL_TYPES:
            raise ValueError(f"unknown credential type {credential_type!r}")
        call = endpoints.issue_credential(
            person_id, credential_type, content,
            effective_ms=to_ms(effective) if effective is not None else None,
            expired_ms=to_ms(expired) if expired is not None else None,
            encrypted_qrcode=encrypted_qrcode, device_ids=device_ids)
        return Credential.from_api(await self._object(call))

    async def revoke_credential(self, credential_id: str) -> None:
        await self.request(endpoints.revoke_credential(credential_id))

    # -- directory, announcements, elevator configuration ---------------------------------------

    async def contacts(self, device_id: str) -> list[Contact]:
        answer = await self.request(endpoints.contacts(device_id))
        return [Contact.from_api(c) for c in _as_list(answer, "contacts")]

    async def push_contacts(self, device_id: str, contacts: Iterable[Contact]) -> None:
        await self.request(endpoints.push_contacts(device_id, [c.to_api() for c in contacts]))

    async def announcements(self) -> list[Announcement]:
        return await _collect(self.iter_pages(endpoints.announcements, Announcement.from_api))

    async def announce(self, title: str, content: str, device_ids: Sequence[str], *,
                       effective, expired) -> Announcement:
        call = endpoints.announce(title, content, device_ids, effective_ms=to_ms(effective),
                                  expired_ms=to_ms(expired))
        return Announcement.from_api(await self._object(call))

    async def withdraw_announcement(self, announcement_id: str) -> None:
        await self.request(endpoints.withdraw_announcement(announcement_id))

    async def elevator_config(self, person_id: str) -> ElevatorConfig:
        return ElevatorConfig.from_api(await self._object(endpoints.elevator_config(person_id)),
                                       person_id)

    async def set_elevator_config(self, person_id: str, floors: Iterable[int]) -> ElevatorConfig:
        answer = await self.request(endpoints.set_elevator_config(person_id, floors))
        return ElevatorConfig.from_api(answer if isinstance(answer, Mapping) else
                                       {"floors": list(floors)}, person_id)

    # -- message subscription (used by live.py) --------------------------------------------------

    async def create_consumer(self) -> str:
        answer = await self._object(endpoints.create_consumer())
        consumer = answer.get("consumerId")
        if not consumer:
            raise ProtocolError("NEXhome created a message consumer but sent no id.",
                                hint="Try again; if it persists, report it.")
        return str(consumer)

    async def pull(self, consumer_id: str, *, max_messages: int = endpoints.MAX_PULL,
                   wait_seconds: float = 20) -> list[Message]:
        call = endpoints.pull(consumer_id, max_messages=max_messages, wait_seconds=wait_seconds)
        # The long poll holds the request open: allow for it on top of the normal timeout.
        wait = call.body["waitSeconds"]
        answer = await self.request(call, timeout=self.request_timeout + wait)
        return [Message.from_api(m) for m in _as_list(answer, "messages")]

    async def commit(self, consumer_id: str, message_ids: Sequence[str]) -> None:
        if message_ids:
            await self.request(endpoints.commit(consumer_id, message_ids))

    async def delete_consumer(self, consumer_id: str) -> None:
        await self.request(endpoints.delete_consumer(consumer_id))

    # -- paging ----------------------------------------------------------------------------------

    async def iter_pages(self, make_call: Callable[[int, int], Call],
                         parse: Callable[[Any], T]) -> AsyncIterator[T]:
        """Every element of a paged list, fetched 50 at a time as the caller iterates."""
        seen = 0
        page_number = endpoints.FIRST_PAGE
        for _ in range(MAX_PAGES):
            page = Page.from_api(await self._object(make_call(page_number, endpoints.PAGE_SIZE)))
            for raw in page.elements:
                yield parse(raw)
            seen += len(page.elements)
            if not page.elements:
                return
            # `total` decides; without it, a short page is the last one.
            if page.total is not None and seen >= page.total:
                return
            if page.total is None and len(page.elements) < endpoints.PAGE_SIZE:
                return
            page_number += 1
        raise ProtocolError(f"NEXhome kept sending pages ({MAX_PAGES} of them).",
                            hint="The list may be changing while SiteKit reads it; try again.")

    # -- transport -------------------------------------------------------------------------------

    async def request(self, call: Call, *, request_id: str | None = None,
                      timeout: float | None = None) -> Any:
        """One call. A command (`call.command`) is never retried and fails with
        CommandOutcomeUnknown when its answer is lost; anything else with NetworkError."""
        request_id = request_id or signing.new_request_id()
        if call.command:
            return await self._command(call, request_id, action=f"{call.method} {call.path}",
                                       target="")
        try:
            return await self._exchange(call, request_id, timeout or self.request_timeout)
        except _Unanswered as exc:
            if call.method == "GET":
                raise NetworkError(f"No answer from NEXhome at {self._host()} ({exc.cause}).",
                                   hint="Check the internet connection and try again.") from None
            # A change (a credential issued, a person added) may have been made: a blind
            # "try again" would make it twice.
            raise NetworkError(f"No answer from NEXhome at {self._host()} to {call.method} "
                               f"{call.path} ({exc.cause}); it may or may not have been done.",
                               hint="Refresh and look before trying again, so it is not done "
                                    "twice.") from None

    async def _command(self, call: Call, request_id: str, *, action: str, target: str) -> Any:
        if not signing.is_valid_request_id(request_id):
            raise ValueError("a REQUEST-ID is 1-32 letters, digits, '-' or '_'")
        try:
            return await self._exchange(call, request_id, self.command_timeout)
        except _Unanswered as exc:
            log.warning("NEXhome: %s %s sent as %s, outcome unknown (%s); not retrying",
                        action, target, request_id, exc.cause)
            raise CommandOutcomeUnknown(action, target, request_id, exc.cause) from None

    async def _exchange(self, call: Call, request_id: str, timeout: float) -> Any:
        """Send until NEXhome gives a real answer, within bounds: a 429 waits its Retry-After
        (any call: the request was refused before anything happened, and a command keeps
        its REQUEST-ID), a clock refusal is corrected once, and a read (GET, safe to repeat)
        survives a short burst of 5xx or dropped connections."""
        rate_waits = failures = 0
        rate_waited = 0.0
        clock_fixed = False
        while True:
            try:
                status, answer, sent_ts, server_ts, local_ts, retry_after = await self._send(
                    call, request_id, timeout)
            except _Unanswered as exc:
                if not self._may_repeat(call, failures):
                    raise
                log.info("NEXhome %s %s: %s; reading again", call.method, call.path, exc.cause)
                await asyncio.sleep(READ_RETRY_DELAYS[failures])
                failures += 1
                continue
            if status == 429:
                wait = DEFAULT_RATE_WAIT if retry_after is None else max(0.0, retry_after)
                if rate_waits >= MAX_RATE_WAITS or rate_waited + wait > MAX_RATE_WAIT:
                    raise _rate_limited(answer, retry_after, rate_waits)
                rate_waits += 1
                rate_waited += wait
                log.info("NEXhome asked SiteKit to wait %.1f s (429 on %s %s)", wait,
                         call.method, call.path)
                await asyncio.sleep(wait)
                continue
            if status >= 500 and self._may_repeat(call, failures):
                log.info("NEXhome %s %s answered %s; reading again", call.method, call.path,
                         status)
                await asyncio.sleep(READ_RETRY_DELAYS[failures])
                failures += 1
                continue
            if (status == 401 and not clock_fixed and server_ts is not None
                    and abs(server_ts - sent_ts) > CLOCK_RETRY_SECONDS):
                log.warning("NEXhome refused the request and its clock differs from our "
                            "TIMESTAMP by %.0f s; retrying once with the server's time",
                            server_ts - sent_ts)
                self.clock.observe(server_ts - local_ts)
                clock_fixed = True
                continue
            if status == 401 and clock_fixed:
                raise _clock_error(answer, self.clock.offset)
            if 200 <= status < 300:
                return answer
            raise error_from_reply(status, answer, call)

    @staticmethod
    def _may_repeat(call: Call, failures: int) -> bool:
        return call.method == "GET" and not call.command and failures < len(READ_RETRY_DELAYS)

    async def _send(self, call: Call, request_id: str, timeout: float
                    ) -> tuple[int, Any, float, float | None, float, float | None]:
        """Send once: (status, decoded body, the TIMESTAMP we sent in seconds, the server's
        Date or None, our time when the answer came, Retry-After or None). Raises _Unanswered
        when the request may have gone out without a readable answer (for a command: the
        outcome is unknown), NetworkError when it surely did not, ProtocolError when a read
        got an unreadable, cut-off or oversized reply."""
        now = self.clock.now()
        timestamp = signing.timestamp_ms(now)
        headers = signing.headers(call.method, call.path, developer_id=self.developer_id,
                                  app_id=self.app_id, app_secret=self._app_secret,
                                  request_id=request_id, timestamp=timestamp)
        data = None
        if call.body is not None:
            data = json.dumps(call.body, separators=(",", ":"), ensure_ascii=False).encode()
        params = {k: str(v) for k, v in call.query.items()} or None
        try:
            async with self.session.request(
                    call.method, self.api + call.path, params=params, data=data, headers=headers,
                    timeout=aiohttp.ClientTimeout(total=timeout,
                                                  sock_connect=min(10.0, timeout)),
                    **({} if call.method == "GET" else SEND_ONCE)) as response:
                local_ts = time.time()
                status = response.status
                server_ts = date_header_time(response.headers.get("Date"))
                retry_after = retry_after_seconds(response.headers.get("Retry-After"), server_ts)
                text = await read_text(response, what="NEXhome")
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            # Never connected: nothing reached the server.
            raise NetworkError(f"Could not reach NEXhome at {self._host()} ({_describe(exc)}).",
                               hint="Check the internet connection, proxy or firewall.") from None
        except ProtocolError as exc:
            # Cut off or too large: NEXhome did answer, so a command may well have acted.
            if call.command:
                raise _Unanswered(exc.message.rstrip(".")) from None
            raise
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise _Unanswered(_describe(exc)) from None
        if server_ts is not None:
            # Follow NEXhome's own clock on every answer: with a clock of its own (the
            # Building gives one), nothing else moves it.
            self.clock.observe(server_ts - local_ts)
        answer = _decode(text)
        if answer is None and text.strip() and 200 <= status < 300:
            if call.command:
                raise _Unanswered(f"HTTP {status} with an answer that is not JSON")
            raise ProtocolError(f"NEXhome answered {call.path} with something that is not JSON.",
                                hint="A proxy or captive portal may be in the way.")
        if call.command and status >= 500 and not _is_error_body(answer):
            # Not NEXhome's answer but a gateway's or a crash's: the command may have run.
            raise _Unanswered(f"HTTP {status} without NEXhome's answer")
        if call.command and status >= 500 and status != 503:
            # NEXhome's own 500/502/504 may come after the door was told to open; only 503
            # (unavailable) says it was not taken on. Unknown: a retry reuses the REQUEST-ID.
            raise _Unanswered(f"NEXhome answered HTTP {status}"
                              + (f": {_vendor_message(answer)}" if _vendor_message(answer)
                                 else ""))
        log.debug("NEXhome %s %s -> %s", call.method, call.path, status)
        return status, answer, now, server_ts, local_ts, retry_after

    async def _object(self, call: Call) -> Mapping[str, Any]:
        answer = await self.request(call)
        if not isinstance(answer, Mapping):
            raise ProtocolError(f"NEXhome's {call.path} did not answer an object.",
                                hint="The API may have changed; report it.")
        return answer

    def _host(self) -> str:
        return urlsplit(self.api).netloc or self.api


class _Unanswered(Exception):
    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


# -- error mapping ----------------------------------------------------------------------------

def field_errors(answer: Any) -> list[tuple[str, str, str]]:
    """(fieldPath, message, errorCode) of every entry of the body's `details`."""
    details = answer.get("details") if isinstance(answer, Mapping) else None
    out = []
    for item in details if isinstance(details, list) else []:
        if isinstance(item, Mapping):
            out.append((str(item.get("fieldPath") or ""), str(item.get("message") or ""),
                        str(item.get("errorCode") or "")))
    return out


def _details_text(errors: list[tuple[str, str, str]]) -> str:
    parts = [f"{path}: {message}" if path else message for path, message, _ in errors if message or path]
    return "; ".join(parts)


def error_from_reply(status: int, answer: Any, call: Call | None = None) -> SiteKitError:
    """The guide's error body (or whatever came) → the SiteKit error to raise."""
    vendor_msg = _vendor_message(answer)
    errors = field_errors(answer)
    details = _details_text(errors)
    code = answer.get("code", status) if isinstance(answer, Mapping) else status
    status_text = str(answer.get("status") or "") if isinstance(answer, Mapping) else ""
    what = f"{call.method} {call.path}" if call else "the request"
    codes = {c.upper() for _, _, c in errors}
    if "DEVICE_OFFLINE" in codes or "offline" in vendor_msg.lower():
        error: SiteKitError = DeviceOffline(
            VENDOR, code, vendor_msg, message=f"The device is offline: {details or vendor_msg}",
            hint="Check the device's power and network on site, then try again.")
    elif status == 400:
        error = InvalidRequest(VENDOR, code, vendor_msg,
                               message=f"NEXhome refused the request: {details or vendor_msg or status_text}",
                               hint="Correct the named field and try again.")
    elif status == 401:
        error = AuthError(VENDOR, code, vendor_msg,
                          message="NEXhome refused the request signature or app credentials.",
                          hint="Check the developer ID, app ID and app secret in Settings.")
    elif status == 403:
        error = PermissionDenied(VENDOR, code, vendor_msg,
                                 message=f"NEXhome does not allow this app to do that "
                                         f"({vendor_msg or status_text or 'no permission'}).",
                                 hint=_permission_hint(call))
    elif status == 404 and not _is_error_body(answer):
        # Not NEXhome's "not found" but the web server's: the address is not NEXhome's API.
        error = NotFound(VENDOR, code, vendor_msg,
                         message=f"Nothing at this address answers {what} the way NEXhome "
                                 f"does (HTTP 404).",
                         hint="Check the NEXhome API address in Settings.")
    elif status == 404:
        error = NotFound(VENDOR, code, vendor_msg,
                         message=f"NEXhome could not find it ({vendor_msg or what}).",
                         hint="Refresh the list; it may have been removed.")
    elif status >= 500:
        error = VendorError(VENDOR, code, vendor_msg, message="NEXhome had a problem on its side.",
                            hint="Try again in a minute.")
    else:
        error = VendorError(VENDOR, code, vendor_msg or f"HTTP {status}",
                            message=f"NEXhome answered HTTP {status} to {what}.",
                            hint="Try again; if it persists, send the log to support.")
    error.status = status  # type: ignore[attr-defined]
    error.status_text = status_text  # type: ignore[attr-defined]
    error.domain = str(answer.get("domain") or "") if isinstance(answer, Mapping) else ""  # type: ignore[attr-defined]
    error.field_errors = errors  # type: ignore[attr-defined]
    return error


def _permission_hint(call: Call | None) -> str:
    if call is not None and "/mq/" in call.path:
        return ("Enable the message subscription for this application on the NEXhome open "
                "platform (Application Management → Details → Message Subscription).")
    return "Ask the NEXhome administrator to grant this application access."


def _rate_limited(answer: Any, retry_after: float | None, waits: int) -> RateLimited:
    if retry_after is not None and retry_after > MAX_RATE_WAIT:
        message = (f"NEXhome is limiting how often SiteKit calls it and asked for a "
                   f"{retry_after:.0f} s pause.")
    else:
        message = (f"NEXhome is still limiting how often SiteKit calls it after {waits} "
                   f"waits.")
    return RateLimited(VENDOR, 429, _vendor_message(answer), retry_after=retry_after,
                       message=message, hint="Wait a minute and try again.")


def _clock_error(answer: Any, offset: float) -> VendorError:
    direction = "behind" if offset > 0 else "ahead of"
    return AuthError(VENDOR, 401, _vendor_message(answer),
                     message=f"NEXhome refused the request: the laptop clock is "
                             f"{abs(offset):.0f} s {direction} the server's, or the app "
                             f"credentials are wrong.",
                     hint="Set the system clock (automatic time), then check the developer ID, "
                          "app ID and app secret in Settings.")


# -- helpers ------------------------------------------------------------------------------------

async def _collect(iterator: AsyncIterator[T]) -> list[T]:
    return [item async for item in iterator]


def _as_list(answer: Any, key: str) -> list[Any]:
    if isinstance(answer, list):
        return answer
    if isinstance(answer, Mapping) and isinstance(answer.get(key), list):
        return answer[key]
    if answer is None:
        return []
    raise ProtocolError("NEXhome did not answer a list.", hint="The API may have changed; report it.")


def _is_error_body(answer: Any) -> bool:
    return isinstance(answer, Mapping) and "code" in answer and "message" in answer


def _vendor_message(answer: Any) -> str:
    if isinstance(answer, Mapping) and isinstance(answer.get("message"), str):
        return answer["message"]
    return ""


def _decode(text: str) -> Any:
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _opt_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # JSON Infinity is a float
        return default


def _describe(exc: BaseException) -> str:
    if isinstance(exc, AnswerLost) and exc.__cause__ is not None:
        exc = exc.__cause__
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the connection was dropped"
    return describe_failure(exc)
