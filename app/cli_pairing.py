"""`sitekit pair` and `sitekit lan …`: AP pairing and LAN control from the command line."""

from __future__ import annotations

import asyncio
import sys

from app.cli import print_json, read_secret
from app.cli_support import run_with_workspace
from app.core.errors import SiteKitError
from app.services.describe import state_summary
from app.services.lan import discover_once
from app.services.pairing import PairingService
from app.services.workspace import Workspace
from app.vendors.ewelink.pairing_steps import Progress

STATUS_MARKS = {"running": "…", "done": "✓", "skipped": "–", "warning": "!", "failed": "✗",
                "cancelled": "✗"}
# How long a CLI command waits for a device to show up on the LAN before giving up on it.
LAN_WAIT_SECONDS = 5.0


async def run(args) -> int:
    handler = _pair if args.command == "pair" else LAN_ACTIONS[args.action]
    return await run_with_workspace(args, handler)


async def _pair(ws: Workspace, args) -> int:
    service = PairingService(ws)
    password = read_secret(f"Password for Wi-Fi {args.ssid!r}: ", args.password_stdin)
    check = service.check_wifi(args.ssid, password)
    for warning in check.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not check.ok:
        raise SiteKitError(" ".join(check.errors), hint="Nothing was sent to the device.")
    device_url = args.device
    if device_url is None and ws.demo_site is not None:
        # the demo site's devices wait on loopback, not behind a hotspot gateway
        waiting = service.waiting_demo_devices()
        if not waiting:
            raise SiteKitError("No demo device is waiting in pairing mode any more.",
                               hint="Restart the demo site to get fresh ones.")
        device_url = waiting[0][1]
    service.plan(device_url, args.ssid, password, args.name or "")
    shown: dict[str, str] = {}

    def progress(snapshot: Progress) -> None:
        # One line per step as it changes: readable in a terminal and in a CI log.
        for step in snapshot.steps:
            line = f"{STATUS_MARKS.get(step.status, ' ')} {step.title}"
            if step.message:
                line += f": {step.message}"
            if step.status != "pending" and shown.get(step.name) != line:
                shown[step.name] = line
                print(line, file=sys.stderr, flush=True)

    try:
        result = await service.run(progress)
    finally:
        await service.close()
    if args.json:
        print_json({"deviceid": result.deviceid, "name": result.name, "online": result.online,
                    "lan_url": result.lan_url})
    else:
        where = f", on the LAN at {result.lan_url}" if result.lan_url else ""
        state = "online" if result.online else "not online yet"
        print(f"Paired {result.name} ({result.deviceid}): {state}{where}.")
    return 0


async def _account_devices(ws: Workspace) -> None:
    """Names and LAN keys for what answers on the LAN; optional when offline or signed out."""
    try:
        await ws.inventory.refresh()
    except SiteKitError as exc:
        print(f"note: showing LAN devices without account details ({exc.message})",
              file=sys.stderr)


async def _discover(ws: Workspace, args) -> int:
    await _account_devices(ws)
    if ws.lan.source.startswith("mDNS"):
        found = {d: dev.url for d, dev in (await discover_once(args.seconds)).items()}
    else:
        await ws.lan.start()
        await asyncio.sleep(min(args.seconds, 1.0))
        found = ws.lan.devices()
    rows = []
    for deviceid, url in sorted(found.items()):
        device = ws.inventory.get(deviceid)
        rows.append({"deviceid": deviceid, "url": url, "on_account": device is not None,
                     "name": device.name if device else "",
                     "state": state_summary(device) if device else ""})
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print(f"No eWeLink devices answered on the LAN within {args.seconds:g} s "
              f"({ws.lan.source}).")
        return 0
    for row in rows:
        label = row["name"] or "(not on this account)"
        print(f"{row['deviceid']}  {row['url']:28}  {label}  {row['state']}".rstrip())
    return 0


async def _lan_switch(ws: Workspace, args) -> int:
    await _account_devices(ws)
    device = ws.inventory.find(args.device)
    await ws.lan.start()
    await ws.lan.wait_for(device.deviceid, LAN_WAIT_SECONDS)
    await ws.inventory.set_switch(device.deviceid, args.state == "on", args.outlet, via="lan")
    if args.json:
        print_json({"deviceid": device.deviceid, "name": device.name, "outlet": args.outlet,
                    "state": args.state, "via": "lan", "acknowledged": True})
    else:
        where = f" outlet {args.outlet}" if args.outlet is not None else ""
        print(f"{device.name}{where}: {args.state} over the LAN "
              f"({ws.lan.address(device.deviceid)}), acknowledged by the device")
    return 0


LAN_ACTIONS = {"discover": _discover, "switch": _lan_switch}
