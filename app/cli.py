"""The `sitekit` command.

    sitekit                    the GUI (offers the demo site when no account is set up)
    sitekit --demo …           any command against an in-process demo site
    sitekit --site FILE …      any command against the site `sitekit sim` described in FILE
    sitekit sim                run the demo site on loopback, print its endpoints as JSON
    sitekit tour --out DIR     render every screen with demo data to DIR/<screen>.png
    sitekit ewelink …          login | configure | logout | devices | switch | watch
    sitekit pair …             AP-pair a Sonoff (laptop on its ITEAD hotspot)
    sitekit lan …              discover | switch: devices on the local network
    sitekit nuheat …           login | configure | logout | thermostats | set | schedule get/put |
                               energy | watch
    sitekit nxcloud …          configure | check | sms | whatsapp: messages to residents
    sitekit nexhome …          configure | devices | doors | unlock | elevator | credentials issue |
                               contacts push | announce | events | audit: the building's doors
    sitekit diagnostics …      export --out FILE | log: a zip for support, the log (secrets masked)

Errors exit 1 with the vendor's code and a readable message (or a JSON error object
with --json); usage errors exit 2; Ctrl-C exits 130. Qt is imported only by the
commands that show or render screens, so the vendor commands start fast; asyncio only
by the commands that need it, because the GUI paints its first frame before any of it.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from app import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sitekit", description=(
        "Pair, test and tune eWeLink, NEXhome, NXCloud and Nuheat installations on site."))
    parser.add_argument("--version", action="version", version=f"sitekit {__version__}")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--demo", action="store_true",
                       help="use an in-process demo site instead of the real clouds")
    where.add_argument("--site", type=Path, metavar="FILE",
                       help="use the simulated site described in FILE (the line `sitekit sim` printed)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens (secrets masked)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    sim = commands.add_parser("sim", help="run the demo site on loopback until interrupted")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sim.add_argument("--port", type=int, default=0,
                     help="first port (default 0: any free ports)")

    tour = commands.add_parser("tour", help="save a PNG of every screen with demo data")
    tour.add_argument("--out", type=Path, required=True, metavar="DIR")
    tour.add_argument("--texts", action="store_true",
                      help="also save the text each screen shows, to DIR/<screen>.txt")

    ewelink = commands.add_parser("ewelink", help="eWeLink account and devices")
    actions = ewelink.add_subparsers(dest="action", metavar="ACTION", required=True)

    login = actions.add_parser("login", help="sign in (email or phone with country code)")
    login.add_argument("--region", choices=["cn", "as", "eu", "us"])
    login.add_argument("--account", help="email, or phone number with country code (+44…)")
    login.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input")
    login.add_argument("--json", action="store_true")

    configure = actions.add_parser("configure", help="set the APPID and secret CoolKit issued")
    configure.add_argument("--appid", required=True)
    configure.add_argument("--region", choices=["cn", "as", "eu", "us"])
    configure.add_argument("--appsecret-stdin", action="store_true",
                           help="read the app secret from standard input instead of a prompt")

    actions.add_parser("logout", help="forget this site's eWeLink tokens")

    devices = actions.add_parser("devices", help="list the account's devices")
    devices.add_argument("--json", action="store_true")

    switch = actions.add_parser("switch", help="switch a device (or one outlet) on or off")
    switch.add_argument("device", help="device id or name")
    switch.add_argument("state", choices=["on", "off"])
    switch.add_argument("--outlet", type=int, help="channel of a multi-gang switch (0 = first)")
    switch.add_argument("--via", choices=["auto", "lan", "cloud"], default="auto",
                        help="LAN when the device answers there, else cloud (default), or force one")
    switch.add_argument("--json", action="store_true")

    pair = commands.add_parser("pair", help="pair a Sonoff in AP mode (laptop on its ITEAD hotspot)")
    pair.add_argument("--ssid", required=True, help="the site's 2.4 GHz Wi-Fi network name")
    pair.add_argument("--password-stdin", action="store_true",
                      help="read the Wi-Fi password from standard input instead of a prompt")
    pair.add_argument("--device", metavar="URL",
                      help="the device's address (default: http://<default gateway>/)")
    pair.add_argument("--name", metavar="LABEL", help="name for the device on the account")
    pair.add_argument("--json", action="store_true")

    lan = commands.add_parser("lan", help="eWeLink devices on the local network")
    lan_actions = lan.add_subparsers(dest="action", metavar="ACTION", required=True)
    discover = lan_actions.add_parser("discover", help="list devices answering on the LAN (mDNS)")
    discover.add_argument("--seconds", type=float, default=3.0, help="how long to listen")
    discover.add_argument("--json", action="store_true")
    lan_switch = lan_actions.add_parser("switch", help="switch a device over the LAN only")
    lan_switch.add_argument("device", help="device id or name")
    lan_switch.add_argument("state", choices=["on", "off"])
    lan_switch.add_argument("--outlet", type=int, help="channel of a multi-gang switch (0 = first)")
    lan_switch.add_argument("--json", action="store_true")

    watch = actions.add_parser("watch", help="print live events until interrupted")
    watch.add_argument("--json", action="store_true", help="one JSON object per line")
    watch.add_argument("--count", type=int, help="stop after this many device events")
    watch.add_argument("--seconds", type=float, help="stop after this long")

    _add_nuheat(commands)
    _add_nxcloud(commands)
    _add_nexhome(commands)
    _add_diagnostics(commands)
    return parser


def _add_diagnostics(commands) -> None:
    diagnostics = commands.add_parser("diagnostics", help="a zip for support, and the log (secrets masked)")
    actions = diagnostics.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write versions, settings, log and events to a zip")
    export.add_argument("--out", type=Path, required=True, metavar="FILE", help="the zip to write")
    log = actions.add_parser("log", help="print this run's log")
    log.add_argument("--level", choices=("debug", "info", "warning", "error"), default="info",
                     help="the least severe level shown (default info)")


def _add_nxcloud(commands) -> None:
    nxcloud = commands.add_parser("nxcloud", help="NXCloud SMS and WhatsApp messages to residents")
    actions = nxcloud.add_subparsers(dest="action", metavar="ACTION", required=True)
    configure = actions.add_parser("configure", help="set the NXCloud account SiteKit sends with")
    configure.add_argument("--access-key", required=True)
    configure.add_argument("--app-key", required=True)
    configure.add_argument("--business-phone", help="the WhatsApp business number (country code first)")
    configure.add_argument("--access-secret-stdin", action="store_true",
                           help="read the access secret from standard input; it goes to the "
                                "keyring, never to the settings file")
    check = actions.add_parser("check", help="is this a number a message can reach?")
    check.add_argument("phone", metavar="PHONE", help="with the country code, e.g. +44 7700 900123")
    check.add_argument("--level", choices=("basic", "call", "hlr"), default="hlr",
                       help="basic: format only; call: a silent test call; hlr: ask the network "
                            "(default)")
    check.add_argument("--wait", type=float, default=30.0, metavar="SECONDS",
                       help="how long to wait for the result (default 30)")
    check.add_argument("--json", action="store_true")
    for name, what in (("sms", "send an SMS"), ("whatsapp", "send a WhatsApp text message")):
        send = actions.add_parser(name, help=what)
        send.add_argument("phone", metavar="PHONE", help="with the country code")
        send.add_argument("text", metavar="TEXT")
        if name == "sms":
            send.add_argument("--message-id", metavar="ID",
                              help="retry an SMS whose outcome was unknown under its message id "
                                   "(delivery reports then show one message)")
        send.add_argument("--json", action="store_true")


def _add_nexhome(commands) -> None:
    nexhome = commands.add_parser("nexhome", help="NEXhome doors, lifts, residents and access records")
    actions = nexhome.add_subparsers(dest="action", metavar="ACTION", required=True)
    configure = actions.add_parser("configure", help="set the NEXhome application SiteKit signs with")
    configure.add_argument("--api", required=True, metavar="URL")
    configure.add_argument("--developer-id", required=True, metavar="ID")
    configure.add_argument("--app-id", required=True, metavar="ID")
    configure.add_argument("--app-secret-stdin", action="store_true",
                           help="read the app secret from standard input; it goes to the "
                                "keyring, never to the settings file")
    devices = actions.add_parser("devices", help="list the devices the application sees")
    devices.add_argument("--json", action="store_true")
    doors = actions.add_parser("doors", help="list the doors the application may open")
    doors.add_argument("--json", action="store_true")
    unlock = actions.add_parser("unlock", help="open a door once (asks first unless --yes)")
    unlock.add_argument("door", metavar="DOOR", help="door id or name")
    unlock.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    unlock.add_argument("--request-id", metavar="ID",
                        help="repeat an earlier request whose answer was lost (NEXhome acts once)")
    unlock.add_argument("--json", action="store_true")
    elevator = actions.add_parser("elevator", help="call a lift from one floor to another")
    elevator.add_argument("device", metavar="DEVICE", help="elevator controller id or name")
    elevator.add_argument("--from", dest="from_floor", type=int, required=True, metavar="N")
    elevator.add_argument("--to", dest="to_floor", type=int, required=True, metavar="M")
    elevator.add_argument("--request-id", metavar="ID",
                          help="repeat an earlier request whose answer was lost (NEXhome acts once)")
    elevator.add_argument("--json", action="store_true")
    credentials = actions.add_parser("credentials", help="residents' PINs and QR codes")
    credential_actions = credentials.add_subparsers(dest="credential_action", metavar="ACTION",
                                                    required=True)
    issue = credential_actions.add_parser("issue", help="issue a new PIN or QR code (shown once)")
    issue.add_argument("person", metavar="PERSON", help="person id or name")
    kind = issue.add_mutually_exclusive_group(required=True)
    kind.add_argument("--pin", dest="kind", action="store_const", const="PIN",
                      help="a 6-digit PIN for the door keypads")
    kind.add_argument("--qr", dest="kind", action="store_const", const="QRCODE",
                      help="a QR code (a visitor's: it always has an end, default one day)")
    issue.add_argument("--valid-until", metavar="T",
                       help="an end: 2026-12-24T18:00 (local time) or a duration like 6h, 2d")
    issue.add_argument("--send", choices=("sms", "whatsapp"),
                       help="send it to the person's phone (or --phone)")
    issue.add_argument("--phone", help="send to this number instead (with the country code)")
    issue.add_argument("--json", action="store_true")
    contacts = actions.add_parser("contacts", help="a panel's directory")
    contact_actions = contacts.add_subparsers(dest="contacts_action", metavar="ACTION",
                                              required=True)
    push = contact_actions.add_parser("push", help="replace a panel's directory with a file's")
    push.add_argument("device", metavar="DEVICE", help="device id or name")
    push.add_argument("file", metavar="FILE",
                      help="CSV (name,room,number) or a JSON list of {name, room, number}; - = stdin")
    push.add_argument("--json", action="store_true")
    announce = actions.add_parser("announce", help="show a notice on panels")
    announce.add_argument("--devices", required=True, metavar="ID,ID",
                          help="comma-separated device ids or names")
    announce.add_argument("--title", required=True)
    announce.add_argument("--text", required=True)
    announce.add_argument("--valid-until", metavar="T",
                          help="an end: 2026-12-24T18:00 (local time) or a duration like 6h, 2d "
                               "(default: one day)")
    announce.add_argument("--json", action="store_true")
    events = actions.add_parser("events", help="access records and call logs")
    events.add_argument("--follow", action="store_true", help="keep printing until interrupted")
    events.add_argument("--for", dest="seconds", type=float, metavar="S",
                        help="print live records for S seconds")
    events.add_argument("--json", action="store_true", help="one JSON object per line")
    audit = actions.add_parser("audit", help="commands sent to the building: who, what, outcome")
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument("--json", action="store_true")
    lift = actions.add_parser("lift-floors", help="the floors the lift takes a person to")
    lift.add_argument("person", metavar="PERSON", help="person id or name")
    lift.add_argument("--set", metavar="FLOORS",
                      help='give exactly these floors, e.g. "-1,0,3" ("" takes lift access away)')
    lift.add_argument("--json", action="store_true")


def _add_nuheat(commands) -> None:
    nuheat = commands.add_parser("nuheat", help="Nuheat floor-heating thermostats")
    actions = nuheat.add_subparsers(dest="action", metavar="ACTION", required=True)
    login = actions.add_parser("login", help="sign in in the browser (the demo site signs in by itself)")
    login.add_argument("--json", action="store_true")
    configure = actions.add_parser("configure", help="set the client ID (and secret) Nuheat issued")
    configure.add_argument("--client-id", required=True, metavar="ID")
    configure.add_argument("--client-secret-stdin", action="store_true",
                           help="read the client secret from standard input (an empty line forgets it); "
                                "it goes to the keyring, never to the settings file")
    actions.add_parser("logout", help="revoke and forget this site's Nuheat sign-in")
    watch = actions.add_parser("watch", help="print live changes as they arrive (Ctrl+C stops)")
    watch.add_argument("--json", action="store_true", help="one JSON object per line")
    watch.add_argument("--for", dest="seconds", type=float, metavar="SECONDS", help="stop after this long")
    thermostats = actions.add_parser("thermostats", help="list the account's thermostats")
    thermostats.add_argument("--json", action="store_true")

    set_ = actions.add_parser("set", help="back to the schedule, or hold a set point")
    set_.add_argument("serial", metavar="SERIAL", help="serial number (or name)")
    set_.add_argument("--temp", type=float, help="set point in the account's scale (°C or °F)")
    mode = set_.add_mutually_exclusive_group(required=True)
    mode.add_argument("--auto", action="store_true", help="follow the schedule")
    mode.add_argument("--hold", metavar="UNTIL",
                      help="hold until HH:MM (local) or an ISO 8601 time, at most 23 h ahead")
    mode.add_argument("--permanent", action="store_true", help="hold until changed")
    set_.add_argument("--json", action="store_true")

    schedule = actions.add_parser("schedule", help="read or write a thermostat's week schedule")
    schedule_actions = schedule.add_subparsers(dest="schedule_action", metavar="ACTION", required=True)
    get = schedule_actions.add_parser("get", help="show the schedule (--json: the API's shape)")
    get.add_argument("serial", metavar="SERIAL")
    get.add_argument("--json", action="store_true")
    put = schedule_actions.add_parser("put", help="check FILE (JSON, as `get --json` prints) and save it")
    put.add_argument("serial", metavar="SERIAL")
    put.add_argument("file", metavar="FILE", type=Path)

    energy = actions.add_parser("energy", help="heating energy by hour, day or month")
    energy.add_argument("serial", metavar="SERIAL")
    period = energy.add_mutually_exclusive_group(required=True)
    period.add_argument("--day", type=_date, metavar="DATE", help="hour by hour for YYYY-MM-DD")
    period.add_argument("--week", type=_date, metavar="DATE", help="day by day for the week of YYYY-MM-DD")
    period.add_argument("--year", type=int, metavar="YEAR", help="month by month")
    energy.add_argument("--json", action="store_true")


def _date(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.verbose:
        from app.core.logs import setup_logging

        setup_logging()
    try:
        if args.command is None:
            return _gui(args)
        if args.command == "sim":
            import asyncio

            from app.simulators.site import run_sim

            asyncio.run(run_sim(args.host, args.port))
            return 0
        if args.command == "tour":
            return _tour(args.out, demo=args.site is None, site_file=args.site, texts=args.texts)
        if args.command == "ewelink":
            import asyncio

            from app.cli_ewelink import run

            return asyncio.run(run(args))
        if args.command == "nuheat":
            import asyncio

            from app.cli_nuheat import run

            return asyncio.run(run(args))
        if args.command == "nxcloud":
            import asyncio

            from app.cli_nxcloud import run

            return asyncio.run(run(args))
        if args.command == "diagnostics":
            import asyncio

            import logging

            from app.cli_diagnostics import run
            from app.core.logs import install_log_buffer

            install_log_buffer(logging.DEBUG if getattr(args, "level", None) == "debug"
                               else logging.INFO)
            return asyncio.run(run(args))
        if args.command == "nexhome":
            import asyncio

            from app.cli_nexhome import run

            return asyncio.run(run(args))
        if args.command in ("pair", "lan"):
            import asyncio

            from app.cli_pairing import run

            return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 130
    return 2


def _gui(args) -> int:
    from app.ui.application import has_display

    if not has_display():
        out = _screens_dir()
        which = "the demo site's" if args.site is None else f"the site's ({args.site.name})"
        print(f"No display found, so SiteKit is rendering {which} screens to {out} instead.",
              flush=True)
        return _tour(out, demo=args.site is None, site_file=args.site)
    from app.ui.application import run_gui

    return run_gui(demo=args.demo, site_file=args.site)


def _screens_dir() -> Path:
    from app.core import paths

    return paths.data_dir() / "screens"


def _tour(out: Path, *, demo: bool, site_file: Path | None, texts: bool = False) -> int:
    from app.ui.tour import TourError, run_tour

    try:
        saved = run_tour(out, demo=demo, site_file=site_file, texts=texts)
    except TourError as exc:
        print(f"error: {exc.user_text()}", file=sys.stderr)
        return 1
    for path in saved:
        print(path)
    print(f"Saved {len(saved)} screens to {out.resolve()}", file=sys.stderr)
    return 0


def read_secret(prompt: str, from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return getpass.getpass(prompt)


def print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False), flush=True)
