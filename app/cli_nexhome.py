"""`sitekit nexhome …`: the building's doors, lifts, residents and access records.

The same `Building` service the GUI's door and resident screens use, so a command from the
terminal is audited like a click. Exit codes: 0 done, 1 refused or failed, 2 usage (and an
unlock without --yes where nobody can be asked), 3 needs attention: a command whose answer
was lost (the retry command is printed) or a credential issued but not sent.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import shlex
import sys
from datetime import datetime, timedelta
from pathlib import Path

from app.cli import print_json, read_secret
from app.cli_support import run_with_workspace
from app.core.errors import ConfigError
from app.core.events import Event, utcnow
from app.services.building import Building, CommandNeedsDecision
from app.services.site import save_nexhome_account
from app.services.workspace import Workspace
from app.vendors.nexhome.models import Contact, Device, Door, Person

NEEDS_ATTENTION = 3
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$", re.IGNORECASE)
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


async def run(args) -> int:
    action = args.action
    if action == "credentials":
        action = f"credentials {args.credential_action}"
    elif action == "contacts":
        action = f"contacts {args.contacts_action}"
    return await run_with_workspace(args, ACTIONS[action])


async def _configure(ws: Workspace, args) -> int:
    secret = read_secret("NEXhome app secret: ", args.app_secret_stdin)
    await asyncio.to_thread(save_nexhome_account, ws.settings, ws.secrets, api=args.api,
                            developer_id=args.developer_id, app_id=args.app_id,
                            app_secret=secret)
    print("Saved the NEXhome API address and ids in settings and the app secret in the "
          "secret store.")
    print(ws.secrets.location)
    return 0


async def _devices(ws: Workspace, args) -> int:
    await ws.building.refresh()
    devices = ws.building.devices
    if args.json:
        print_json([{"id": d.id, "sn": d.sn, "name": d.name, "type": d.type,
                     "type_name": d.type_name, "online": d.online,
                     "location": d.location.text(), "access_ids": list(d.access_ids),
                     "features": list(d.features)} for d in devices])
        return 0
    for d in devices:
        state = "online" if d.online else "OFFLINE"
        where = f"  ({d.location.text()})" if d.location.text() else ""
        print(f"{d.id:<10} {d.display_name:<28} {d.type_name:<20} {state}{where}")
    print(f"{len(devices)} devices", file=sys.stderr)
    return 0


async def _doors(ws: Workspace, args) -> int:
    await ws.building.refresh()
    b = ws.building
    if args.json:
        print_json([{"id": d.id, "name": d.name, "device_id": d.device_id,
                     "device_name": b.device_name(d.device_id), "online": d.online}
                    for d in b.doors])
        return 0
    for d in b.doors:
        state = "online" if d.online else "OFFLINE (cannot be opened now)"
        print(f"{d.id:<8} {d.name:<20} {b.device_name(d.device_id):<28} {state}")
    return 0


async def _unlock(ws: Workspace, args) -> int:
    await ws.building.refresh()
    door = find_door(ws.building, args.door)
    name = door.name or door.id
    if not args.yes:
        if not sys.stdin.isatty():
            print(f"error: not unlocking {name} without a confirmation, and there is no "
                  "terminal to ask on. Add --yes to unlock without asking.", file=sys.stderr)
            return 2
        answer = await asyncio.to_thread(input, f"Unlock {name}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Not unlocked.")
            return 1
    try:
        result = await ws.building.unlock(door.id, request_id=args.request_id)
    except CommandNeedsDecision as exc:
        return _undecided(exc, args, f"nexhome unlock {shlex.quote(door.id)}")
    outcome = "opened" if result.opened else (result.result.lower() or "answered")
    if args.json:
        print_json({"door": door.id, "name": name, "result": result.result,
                    "opened": result.opened, "request_id": result.request_id,
                    "repeat": args.request_id is not None})
    else:
        print(f"{name}: {outcome} (request {result.request_id}).")
    return 0


async def _elevator(ws: Workspace, args) -> int:
    await ws.building.refresh()
    device = find_device(ws.building, args.device)
    try:
        result = await ws.building.call_elevator(device.id, args.from_floor, args.to_floor,
                                                 request_id=args.request_id)
    except CommandNeedsDecision as exc:
        return _undecided(exc, args, f"nexhome elevator {shlex.quote(device.id)} "
                                     f"--from {args.from_floor} --to {args.to_floor}")
    if args.json:
        print_json({"device": device.id, "name": device.display_name,
                    "from": result.from_floor, "to": result.to_floor, "result": result.result,
                    "request_id": result.request_id})
    else:
        print(f"{device.display_name}: floor {result.from_floor} → {result.to_floor}: "
              f"{result.result.lower() or 'answered'} (request {result.request_id}).")
    return 0


def _undecided(exc: CommandNeedsDecision, args, command: str) -> int:
    retry = f"{_sitekit_prefix(args)} {command} --request-id {exc.request_id}"
    if command.startswith("nexhome unlock"):
        retry += " --yes"
    if args.json:
        print_json({"outcome": "unknown", "message": exc.message, "hint": exc.hint,
                    "request_id": exc.request_id, "retry": retry})
    else:
        print(exc.message, file=sys.stderr)
        print(exc.hint, file=sys.stderr)
        print("To try again without risking a second action, run:", file=sys.stderr)
        print(f"  {retry}", file=sys.stderr)
    return NEEDS_ATTENTION


def _sitekit_prefix(args) -> str:
    if args.demo:
        return "sitekit --demo"
    if args.site is not None:
        return f"sitekit --site {shlex.quote(str(args.site))}"
    return "sitekit"


async def _credentials_issue(ws: Workspace, args) -> int:
    await ws.building.refresh()
    person = find_person(ws.building, args.person)
    until = parse_until(args.valid_until) if args.valid_until else None
    issued = await ws.building.issue_credential(person.id, args.kind, valid_until=until,
                                                send=args.send, phone=args.phone)
    what = "PIN" if args.kind == "PIN" else "QR code"
    if args.json:
        print_json({"credential": issued.credential.id, "person": person.id,
                    "person_name": issued.person_name, "type": args.kind,
                    "content": issued.content,
                    "valid_from": _iso(issued.valid_from), "valid_until": _iso(issued.valid_until),
                    "sent_to": issued.sent_to or None, "send_error": issued.send_error or None})
    else:
        until_text = (f", valid until {issued.valid_until.astimezone():%d %b %Y %H:%M}"
                      if issued.valid_until else "")
        print(f"{what} for {issued.person_name}{until_text}: {issued.content}")
        print("It is shown this once; SiteKit does not keep it.", file=sys.stderr)
        if issued.sent_to:
            print(f"Sent by {args.send} to {issued.sent_to}.", file=sys.stderr)
    if issued.send_error:
        if not args.json:
            print(f"warning: the {what} was issued but NOT sent: {issued.send_error} "
                  "Give it to the resident another way; issuing again makes a second one.",
                  file=sys.stderr)
        return NEEDS_ATTENTION
    return 0


async def _contacts_push(ws: Workspace, args) -> int:
    await ws.building.refresh()
    device = find_device(ws.building, args.device)
    if args.file == "-":
        text = await asyncio.to_thread(sys.stdin.read)
    else:
        path = Path(args.file)
        try:
            text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
        except OSError as exc:
            raise ConfigError(f"Could not read {path} ({exc.strerror or exc}).") from None
    contacts = parse_contacts(text)
    await ws.building.push_contacts(device.id, contacts)
    if args.json:
        print_json({"device": device.id, "contacts": len(contacts)})
    else:
        print(f"{device.display_name}: directory replaced with {len(contacts)} contacts.")
    return 0


async def _announce(ws: Workspace, args) -> int:
    await ws.building.refresh()
    devices = [find_device(ws.building, part) for part in args.devices.split(",") if part.strip()]
    until = parse_until(args.valid_until) if args.valid_until else None
    announcement = await ws.building.announce(args.title, args.text, [d.id for d in devices],
                                              valid_until=until)
    if args.json:
        print_json({"id": announcement.id, "title": announcement.title,
                    "devices": list(announcement.device_ids),
                    "valid_from": _iso(announcement.effective),
                    "valid_until": _iso(announcement.expired)})
    else:
        names = ", ".join(d.display_name for d in devices)
        end = (f" until {announcement.expired.astimezone():%d %b %Y %H:%M}"
               if announcement.expired else "")
        print(f"Announcement \"{announcement.title}\" on {names}{end} (id {announcement.id}).")
    return 0


async def _events(ws: Workspace, args) -> int:
    live = args.follow or args.seconds is not None
    if not live:
        history = [e for e in await ws.feed.history(500) if e.vendor == "nexhome"]
        for event in history[-50:]:
            _print_event(event, args.json)
        return 0
    ws.building.client  # noqa: B018 - not configured: say so before subscribing
    try:
        await ws.building.refresh()
    except Exception:  # noqa: BLE001 - names are a nicety; records still show with ids
        pass
    done = asyncio.Event()

    def show(event: Event) -> None:
        if event.vendor != "nexhome" or event.kind == "command":
            return
        if event.kind == "connection":
            if args.json:
                _print_event(event, True)
            else:
                print(f"[{event.payload.get('status')}] {event.payload.get('message', '')}",
                      file=sys.stderr, flush=True)
            if event.payload.get("status") == "signed_out":
                done.set()
            return
        _print_event(event, args.json)

    unsubscribe = ws.feed.subscribe(show)
    try:
        await ws.building.start_live()
        timeout = None if args.follow and args.seconds is None else args.seconds
        try:
            await asyncio.wait_for(done.wait(), timeout)
        except asyncio.TimeoutError:
            pass
    finally:
        unsubscribe()
        await ws.building.stop_live()
    return 1 if ws.building.live_status == "signed_out" else 0


def _print_event(event: Event, as_json: bool) -> None:
    if as_json:
        print(json.dumps(event.to_json(), ensure_ascii=False), flush=True)
    else:
        text = event.payload.get("text") or event.summary()
        print(f"{event.time.astimezone():%H:%M:%S}  {event.kind:<8} {text}", flush=True)


async def _audit(ws: Workspace, args) -> int:
    entries = await ws.building.audit(args.limit)
    if args.json:
        print_json([{"id": e.id, "time": e.time.isoformat(), "actor": e.actor,
                     "action": e.action, "target": e.target, "target_name": e.target_name,
                     "request_id": e.request_id, "outcome": e.outcome, "detail": e.detail}
                    for e in entries])
        return 0
    for e in entries:
        print(f"{e.time.astimezone():%Y-%m-%d %H:%M:%S}  {e.actor:<12} {e.action:<14} "
              f"{e.target_name or e.target:<20} {e.outcome:<9} {e.detail}")
    if not entries:
        print("No commands sent to NEXhome yet.", file=sys.stderr)
    return 0


# -- finding things by id or name -----------------------------------------------------------

def find_door(building: Building, text: str) -> Door:
    return _find(text, building.doors, "door", lambda d: (d.id,), lambda d: (d.name,),
                 "sitekit nexhome doors")


def find_device(building: Building, text: str) -> Device:
    return _find(text, building.devices, "device", lambda d: (d.id, d.sn), lambda d: (d.name,),
                 "sitekit nexhome devices")


def find_person(building: Building, text: str) -> Person:
    return _find(text, building.persons, "person", lambda p: (p.id,), lambda p: (p.name,),
                 "the Residents screen")


def _find(text: str, items, what: str, ids, names, where: str):
    wanted = text.strip()
    for item in items:
        if wanted in ids(item):
            return item
    folded = wanted.casefold()
    matches = [i for i in items if any(n and n.casefold() == folded for n in names(i))]
    if not matches:
        matches = [i for i in items if any(n and n.casefold().startswith(folded)
                                           for n in names(i))] if folded else []
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ConfigError(f"No {what} {text!r}.", hint=f"Use an id or a name from {where}.")
    listed = ", ".join(f"{ids(i)[0]} ({names(i)[0]})" for i in matches[:5])
    raise ConfigError(f"{len(matches)} {what}s match {text!r}: {listed}.",
                      hint="Use the id.")


# -- parsing ------------------------------------------------------------------------------------

def parse_until(text: str) -> datetime:
    """`6h`, `2d`, `30m`, `1w` from now, or an ISO date/time (local when no offset)."""
    match = DURATION.match(text)
    if match:
        return utcnow() + timedelta(**{UNITS[match.group(2).lower()]: float(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"Not a time: {text!r}.",
                          hint="Use 2026-12-24T18:00 (local time) or a duration like 6h or 2d.") from None
    return moment if moment.tzinfo is not None else moment.astimezone()


def parse_contacts(text: str) -> list[Contact]:
    """A JSON list of {name, room, number}, or CSV with a header line naming those columns
    (or, without a header, the columns in that order)."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            raw = json.loads(stripped)
        except ValueError as exc:
            raise ConfigError(f"The contacts file is not valid JSON ({exc}).") from None
        if not all(isinstance(r, dict) for r in raw):
            raise ConfigError("The contacts JSON must be a list of {name, room, number}.")
        return [Contact(str(r.get("name") or ""), str(r.get("room") or ""),
                        str(r.get("number") or "")) for r in raw]
    rows = [r for r in csv.reader(io.StringIO(stripped)) if any(c.strip() for c in r)]
    if rows and {c.strip().lower() for c in rows[0]} >= {"name", "number"}:
        header = [c.strip().lower() for c in rows[0]]
        rows = [dict(zip(header, r)) for r in rows[1:]]
        return [Contact(r.get("name", "").strip(), (r.get("room") or "").strip(),
                        (r.get("number") or "").strip()) for r in rows]
    contacts = []
    for r in rows:
        r = [c.strip() for c in r] + ["", "", ""]
        contacts.append(Contact(r[0], r[1], r[2]))
    return contacts


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


async def _lift_floors(ws: Workspace, args) -> int:
    from app.services.building import floors_text

    await ws.building.refresh()
    person = find_person(ws.building, args.person)
    if args.set is None:
        floors = await ws.building.lift_floors(person.id)
    else:
        floors = await ws.building.set_lift_floors(person.id, args.set)
    if args.json:
        print_json({"person": person.id, "person_name": person.name, "floors": list(floors)})
    else:
        said = "now reaches" if args.set is not None else "reaches"
        print(f"{person.name or person.id} {said} {floors_text(floors)} by lift.")
    return 0


ACTIONS = {"configure": _configure, "devices": _devices, "doors": _doors, "unlock": _unlock,
           "elevator": _elevator, "credentials issue": _credentials_issue,
           "contacts push": _contacts_push, "announce": _announce, "events": _events,
           "audit": _audit, "lift-floors": _lift_floors}
