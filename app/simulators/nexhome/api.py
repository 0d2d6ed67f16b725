"""The simulated NEXhome REST API on the routes of `app.vendors.nexhome.endpoints`.

Every call passes the guard first: the common headers (missing or malformed → 400 naming
the header), a known app (401), TIMESTAMP within five minutes either way of the sim clock
(401), the SIGNATURE over method, path and headers (401). Every refusal is the guide's
error body `{code, message, status, domain, details[{domain, errorCode, message,
fieldPath}]}`. Commands (unlock, elevator call) remember their answer by (app, REQUEST-ID):
a repeat gets the original answer and does not act again.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from aiohttp import web

from app.simulators.nexhome import checks
from app.simulators.nexhome.checks import detail
from app.vendors.nexhome import endpoints, signing

if TYPE_CHECKING:
    from app.simulators.nexhome.sim import NexhomeSim, SimApp

AUTHORITY = "com.nexhome.apis.iotdomain.v1.authority"
DEVICE_DOMAIN = "com.nexhome.apis.iotdomain.v1.device"
MESSAGE_DOMAIN = "com.nexhome.apis.iotdomain.v1.message"
STATUS_TEXT = {400: "INVALID_ARGUMENT", 401: "UNAUTHORIZED", 403: "PERMISSION_DENIED",
               404: "NOT_FOUND", 409: "ALREADY_EXISTS", 429: "RESOURCE_EXHAUSTED",
               500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
REQUIRED_HEADERS = ("DEVELOPER-ID", "APP-ID", "REQUEST-ID", "TIMESTAMP", "SIGNATURE")
Handler = Callable[[web.Request, "SimApp", Any], Awaitable[web.Response]]


def error(status: int, message: str, *, domain: str = checks.COMMONS, details: list | None = None,
          status_text: str | None = None) -> web.Response:
    return web.json_response({"code": status, "message": message,
                              "status": status_text or STATUS_TEXT.get(status, "UNKNOWN"),
                              "domain": domain, "details": details or []}, status=status)


def invalid(details: list) -> web.Response:
    return error(400, "Request parameters are invalid", details=details)


def not_found(what: str) -> web.Response:
    return error(404, f"{what} not found", domain=DEVICE_DOMAIN)


def offline(device_id: str) -> web.Response:
    return error(400, "Device is offline", domain=DEVICE_DOMAIN, status_text="FAILED_PRECONDITION",
                 details=[{"domain": DEVICE_DOMAIN, "errorCode": "DEVICE_OFFLINE",
                           "message": f"Device {device_id} is offline", "fieldPath": "deviceId"}])


def page(items: list, query: Any) -> web.Response:
    number, size, problems = checks.paging(query)
    if problems:
        return invalid(problems)
    start = (number - endpoints.FIRST_PAGE) * size
    return web.json_response({"total": len(items), "page": number, "size": size,
                              "elements": items[start:start + size]})


class RestApi:
    def __init__(self, sim: NexhomeSim) -> None:
        self.sim = sim

    def add_routes(self, app: web.Application) -> None:
        app.on_response_prepare.append(self._date_header)
        handlers: dict[str, Handler] = {
            "devices": self.devices, "device": self.device, "access": self.access,
            "unlock": self.unlock, "elevator_call": self.elevator_call,
            "persons": self.persons, "person": self.person, "create_person": self.create_person,
            "rooms": self.rooms, "credentials": self.credentials,
            "issue_credential": self.issue_credential,
            "revoke_credential": self.revoke_credential, "contacts": self.contacts,
            "push_contacts": self.push_contacts, "announcements": self.announcements,
            "announce": self.announce, "withdraw_announcement": self.withdraw_announcement,
            "elevator_config": self.elevator_config,
            "set_elevator_config": self.set_elevator_config,
            "create_consumer": self.create_consumer, "pull": self.pull, "commit": self.commit,
            "delete_consumer": self.delete_consumer,
        }
        commands = {"unlock", "elevator_call"}
        for name, (method, template) in endpoints.ROUTES.items():
            app.router.add_route(method, template,
                                 self._guard(handlers[name], command=name in commands))

    async def _date_header(self, request: web.Request, response: web.StreamResponse) -> None:
        # From the sim clock, so a skewed server (faults.clock_offset) shows in Date.
        from email.utils import formatdate
        response.headers["Date"] = formatdate(self.sim.now(), usegmt=True)

    # -- guard -------------------------------------------------------------------------------

    def _guard(self, handler: Handler, *, command: bool):
        async def guarded(request: web.Request) -> web.StreamResponse:
            sim = self.sim
            if not command:
                await sim.apply_delay()
            raw = await request.read()
            app, refusal = self._authenticate(request)
            sim.record(request, app, refusal)
            if refusal is not None:
                return refusal
            assert app is not None
            if sim.faults.http_status:
                return error(sim.faults.http_status, "Simulated failure", domain=AUTHORITY)
            body: Any = None
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    return invalid([detail("", "INVALID", "Body is not valid JSON")])
            if not command:
                return await handler(request, app, body)
            return await self._command(request, app, body, handler)

        return guarded

    async def _command(self, request: web.Request, app: SimApp, body: Any,
                       handler: Handler) -> web.StreamResponse:
        """Carry a command out once per (app, REQUEST-ID); a repeat gets the first answer."""
        sim = self.sim
        request_id = request.headers["REQUEST-ID"]
        key = (app.app_id, request_id)
        first = sim.commands_in_flight.get(key)
        if first is not None:
            # The same command is still being carried out: answer as it will.
            await first.wait()
        remembered = sim.commands.get(key)
        if remembered is not None:
            path, status, answer = remembered
            if path != request.path:
                return error(409, "REQUEST-ID already used for another request",
                             details=[detail("REQUEST-ID", "DUPLICATE",
                                             "Already used for another request")])
            sim.repeats += 1
            return web.json_response(answer, status=status)
        done = sim.commands_in_flight[key] = asyncio.Event()
        try:
            response = await handler(request, app, body)
            sim.remember_command(app.app_id, request_id, request.path, response)
        finally:
            del sim.commands_in_flight[key]
            done.set()
        # A slow answer to a command comes after acting (the door is already open).
        await sim.apply_delay()
        if sim.faults.drop_after_acting and request.transport is not None:
            # Acted, then the answer is lost on the way back.
            request.transport.close()
        return response

    def _authenticate(self, request: web.Request) -> tuple[SimApp | None, web.Response | None]:
        headers = request.headers
        missing = [checks.required(name) for name in REQUIRED_HEADERS if not headers.get(name)]
        if missing:
            return None, invalid(missing)
        if request.can_read_body and "application/json" not in headers.get("Content-Type", ""):
            return None, invalid([detail("Content-Type", "INVALID",
                                         "Content-Type must be application/json")])
        request_id = headers["REQUEST-ID"]
        if not signing.is_valid_request_id(request_id):
            return None, invalid([detail("REQUEST-ID", "INVALID",
                                         "At most 32 letters, digits, '-' or '_'")])
        timestamp = headers["TIMESTAMP"]
        if not timestamp.isdigit():
            return None, invalid([detail("TIMESTAMP", "INVALID", "Milliseconds since 1970")])
        app = self.sim.apps.get(headers["APP-ID"])
        if app is None or app.developer_id != headers["DEVELOPER-ID"]:
            return None, error(401, "Unknown developer or application", domain=AUTHORITY,
                               details=[detail("APP-ID", "UNKNOWN_APP",
                                               "No such application for this developer")])
        age = self.sim.now() - int(timestamp) / 1000
        if abs(age) > signing.MAX_AGE_SECONDS:
            return None, error(401, "Request timestamp expired", domain=AUTHORITY,
                               details=[detail("TIMESTAMP", "TIMESTAMP_EXPIRED",
                                               "More than 5 minutes from the server time")])
        if not signing.verify(headers["SIGNATURE"], request.method, request.path,
                              app.developer_id, app.app_id, app.app_secret, request_id,
                              timestamp):
            return None, error(401, "Signature verification failed", domain=AUTHORITY,
                               details=[detail("SIGNATURE", "SIGNATURE_MISMATCH",
                                               "Signature does not match the request")])
        return app, None

    # -- devices and doors ---------------------------------------------------------------------

    async def devices(self, request, app, body):
        return page([d.to_api() for d in self.sim.building.devices.values()], request.query)

    async def device(self, request, app, body):
        device = self.sim.building.devices.get(request.match_info["deviceId"])
        return web.json_response(device.to_api()) if device else not_found("Device")

    def _door(self, request, app):
        door = self.sim.building.doors.get(request.match_info["accessId"])
        if door is None:
            return None, not_found("Access point")
        if not app.all_doors and not door.granted:
            return None, error(403, "Application has no permission for this access point",
                               domain=AUTHORITY,
                               details=[detail("accessId", "NO_PERMISSION",
                                               "Access point not granted to the application")])
        return door, None

    async def access(self, request, app, body):
        door, refusal = self._door(request, app)
        if refusal:
            return refusal
        device = self.sim.building.devices[door.device_id]
        return web.json_response(door.to_api(device.online))

    async def unlock(self, request, app, body):
        door, refusal = self._door(request, app)
        if refusal:
            return refusal
        device = self.sim.building.devices[door.device_id]
        if not device.online:
            return offline(device.id)
        self.sim.open_door(door, credential="REMOTE", person_id="",
                           reason=f"Remote unlock by application {app.app_id}")
        return web.json_response({"id": door.id, "result": endpoints.UNLOCK_OPENED})

    async def elevator_call(self, request, app, body):
        device = self.sim.building.devices.get(request.match_info["deviceId"])
        if device is None:
            return not_found("Device")
        if device.type != "ELEVATOR_CONTROLLER":
            return invalid([detail("deviceId", "INVALID", "Not an elevator controller")])
        problems = checks.elevator_call(body, self.sim.elevator_floors)
        if problems:
            return invalid(problems)
        if not device.online:
            return offline(device.id)
        self.sim.elevator_calls.append((device.id, body["fromFloor"], body["toFloor"]))
        return web.json_response({"deviceId": device.id, "fromFloor": body["fromFloor"],
                                  "toFloor": body["toFloor"], "result": endpoints.ELEVATOR_CALLED})

    # -- persons, rooms, credentials -------------------------------------------------------------

    async def persons(self, request, app, body):
        room = request.query.get("roomId")
        items = [p.to_api() for p in self.sim.building.persons.values()
                 if room is None or room in p.room_ids]
        return page(items, request.query)

    async def person(self, request, app, body):
        person = self.sim.building.persons.get(request.match_info["personId"])
        return web.json_response(person.to_api()) if person else not_found("Person")

    async def create_person(self, request, app, body):
        problems = checks.person(body, self.sim.building.rooms)
        if problems:
            return invalid(problems)
        person = self.sim.add_person(body["name"].strip(), str(body.get("phone") or ""),
                                     list(body.get("roomIds") or []))
        return web.json_response(person.to_api())

    async def rooms(self, request, app, body):
        return page([r.to_api() for r in self.sim.building.rooms.values()], request.query)

    async def credentials(self, request, app, body):
        person_id = request.match_info["personId"]
        if person_id not in self.sim.building.persons:
            return not_found("Person")
        items = [c for c in self.sim.credentials.values() if c["personId"] == person_id]
        return page(items, request.query)

    async def issue_credential(self, request, app, body):
        person_id = request.match_info["personId"]
        if person_id not in self.sim.building.persons:
            return not_found("Person")
        problems = checks.credential(body, self.sim.building.devices)
        if problems:
            return invalid(problems)
        return web.json_response(self.sim.add_credential(person_id, body))

    async def revoke_credential(self, request, app, body):
        if self.sim.credentials.pop(request.match_info["credentialId"], None) is None:
            return not_found("Credential")
        return web.json_response({})

    # -- directory, announcements, elevator configuration ----------------------------------------

    def _panel(self, request):
        device = self.sim.building.devices.get(request.match_info["deviceId"])
        if device is None:
            return None, not_found("Device")
        if device.type not in ("DOOR_STATION", "INDOOR_MONITOR"):
            return None, invalid([detail("deviceId", "UNSUPPORTED",
                                         "Device has no contact directory")])
        return device, None

    async def contacts(self, request, app, body):
        device, refusal = self._panel(request)
        return refusal or web.json_response(device.contacts)

    async def push_contacts(self, request, app, body):
        device, refusal = self._panel(request)
        if refusal:
            return refusal
        problems = checks.contacts(body)
        if problems:
            return invalid(problems)
        device.contacts = [{"name": e["name"], "room": str(e.get("room") or ""),
                            "number": e["number"]} for e in body]
        return web.json_response(device.contacts)

    async def announcements(self, request, app, body):
        return page(list(self.sim.announcements.values()), request.query)

    async def announce(self, request, app, body):
        problems = checks.announcement(body, self.sim.building.devices)
        if problems:
            return invalid(problems)
        return web.json_response(self.sim.add_announcement(body))

    async def withdraw_announcement(self, request, app, body):
        if self.sim.announcements.pop(request.match_info["announcementId"], None) is None:
            return not_found("Announcement")
        return web.json_response({})

    async def elevator_config(self, request, app, body):
        person_id = request.match_info["personId"]
        if person_id not in self.sim.building.persons:
            return not_found("Person")
        return web.json_response({"personId": person_id,
                                  "floors": self.sim.elevator_configs.get(person_id, [])})

    async def set_elevator_config(self, request, app, body):
        person_id = request.match_info["personId"]
        if person_id not in self.sim.building.persons:
            return not_found("Person")
        problems = checks.floors(body, self.sim.elevator_floors)
        if problems:
            return invalid(problems)
        self.sim.elevator_configs[person_id] = sorted(set(body["floors"]))
        return web.json_response({"personId": person_id,
                                  "floors": self.sim.elevator_configs[person_id]})

    # -- message subscription ---------------------------------------------------------------------

    def _subscribed(self, app):
        if not app.can_subscribe:
            return error(403, "Message subscription is not enabled for this application",
                         domain=MESSAGE_DOMAIN,
                         details=[detail("APP-ID", "NO_PERMISSION",
                                         "Enable Message Subscription in Application Management")])
        return None

    async def create_consumer(self, request, app, body):
        refusal = self._subscribed(app)
        if refusal:
            return refusal
        return web.json_response({"consumerId": self.sim.queue(app.app_id).create_consumer()})

    async def pull(self, request, app, body):
        refusal = self._subscribed(app)
        if refusal:
            return refusal
        queue = self.sim.queue(app.app_id)
        consumer = request.match_info["consumerId"]
        if consumer not in queue.consumers:
            return error(404, "Consumer not found", domain=MESSAGE_DOMAIN)
        body = body if isinstance(body, dict) else {}
        limit, wait = body.get("max", endpoints.MAX_PULL), body.get("waitSeconds", 0)
        problems = []
        if not isinstance(limit, int) or not 1 <= limit <= endpoints.MAX_PULL:
            problems.append(detail("max", "OUT_OF_RANGE",
                                   f"Must be between 1 and {endpoints.MAX_PULL}"))
        if not isinstance(wait, (int, float)) or not 0 <= wait <= endpoints.MAX_WAIT_SECONDS:
            problems.append(detail("waitSeconds", "OUT_OF_RANGE",
                                   f"Must be between 0 and {endpoints.MAX_WAIT_SECONDS}"))
        if problems:
            return invalid(problems)
        wait = min(float(wait), self.sim.max_pull_wait)
        messages = await queue.pull(consumer, limit, wait)
        if messages is None:
            return error(404, "Consumer not found", domain=MESSAGE_DOMAIN)
        return web.json_response([m.to_api() for m in messages])

    async def commit(self, request, app, body):
        refusal = self._subscribed(app)
        if refusal:
            return refusal
        queue = self.sim.queue(app.app_id)
        if request.match_info["consumerId"] not in queue.consumers:
            return error(404, "Consumer not found", domain=MESSAGE_DOMAIN)
        if self.sim.faults.commit_status:
            return error(self.sim.faults.commit_status, "Simulated commit failure",
                         domain=MESSAGE_DOMAIN)
        ids = body.get("messageIds") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return invalid([checks.required("messageIds")])
        unknown = queue.commit(ids)
        if unknown:
            return invalid([detail(f"messageIds[{i}]", "NOT_FOUND", "No such delivered message")
                            for i in unknown])
        return web.json_response({"committed": len(ids)})

    async def delete_consumer(self, request, app, body):
        queue = self.sim.queue(app.app_id)
        consumer = request.match_info["consumerId"]
        if consumer not in queue.consumers:
            return error(404, "Consumer not found", domain=MESSAGE_DOMAIN)
        queue.consumers.discard(consumer)
        return web.json_response({})
