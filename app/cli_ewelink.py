"""`sitekit ewelink …`: the eWeLink commands, on the same services the GUI uses."""

from __future__ import annotations

import asyncio

from app.cli import print_json, read_secret
from app.cli_support import run_with_workspace
from app.core.errors import SiteKitError
from app.core.events import Event
from app.services.describe import event_summary, kind_label, state_summary, vendor_name
from app.services.workspace import Workspace


async def run(args) -> int:
    return await run_with_workspace(args, ACTIONS[args.action])




async def _login(ws: Workspace, args) -> int:
    demo = ws.profile.demo_credentials
    region = args.region or (demo[0] if demo else ws.settings.ewelink.region)
    account = args.account or (demo[1] if demo else ws.settings.ewelink.account)
    if not account:
        account = input("eWeLink email or phone (+country code): ").strip()
    if demo and account == demo[1] and not args.password_stdin:
        password = demo[2]  # a simulated site publishes its demo password
    else:
        password = read_secret(f"Password for {account}: ", args.password_stdin)
    tokens = await ws.ewelink.sign_in(region, account, password)
    if args.json:
        print_json({"signed_in": True, "account": tokens.account, "region": tokens.region,
                    "site": ws.profile.label})
    else:
        print(f"Signed in to eWeLink as {tokens.account} (region {tokens.region}, {ws.profile.label}).")
        print(ws.secrets.location)
    return 0


async def _configure(ws: Workspace, args) -> int:
    secret = read_secret("eWeLink app secret: ", args.appsecret_stdin)
    await asyncio.to_thread(ws.ewelink.configure, appid=args.appid, appsecret=secret or None,
                            region=args.region)
    print("Saved the eWeLink app ID in settings and the app secret in the secret store.")
    print(ws.secrets.location)
    return 0


async def _logout(ws: Workspace, args) -> int:
    await ws.sign_out()
    print(f"Signed out of eWeLink on {ws.profile.label}.")
    return 0


async def _devices(ws: Workspace, args) -> int:
    devices = await ws.inventory.refresh()
    if args.json:
        print_json([{"deviceid": d.deviceid, "name": d.name, "uiid": d.uiid, "kind": d.kind,
                     "online": d.online, "state": state_summary(d),
                     "channels": [{"outlet": c.outlet, "on": c.on} for c in d.channels],
                     "readings": d.readings} for d in devices])
        return 0
    rows = [("ID", "NAME", "KIND", "ONLINE", "STATE")]
    rows += [(d.deviceid, d.name, kind_label(d), "yes" if d.online else "no", state_summary(d))
             for d in devices]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
    return 0


async def _switch(ws: Workspace, args) -> int:
    await ws.inventory.refresh()
    device = ws.inventory.find(args.device)
    if args.via != "cloud":
        await ws.lan.start()
        # a LAN device announces itself within a moment; "auto" does not wait long for it
        await ws.lan.wait_for(device.deviceid, 5.0 if args.via == "lan" else 1.5)
    route = await ws.inventory.set_switch(device.deviceid, args.state == "on", args.outlet,
                                          via=args.via)
    where = f" outlet {args.outlet}" if args.outlet is not None else ""
    if args.json:
        print_json({"deviceid": device.deviceid, "name": device.name, "outlet": args.outlet,
                    "state": args.state, "via": route, "acknowledged": True})
    else:
        print(f"{device.name}{where}: {args.state} via the {route.upper() if route == 'lan' else route}"
              f" (acknowledged by the device)")
    return 0


async def _watch(ws: Workspace, args) -> int:
    await ws.inventory.refresh()
    done = asyncio.get_running_loop().create_future()
    seen = 0

    def show(event: Event) -> None:
        nonlocal seen
        if args.json:
            print_json(event.to_json())
        else:
            device = ws.inventory.get(event.device)
            stamp = event.time.astimezone().strftime("%H:%M:%S")
            who = device.name if device else (event.device or "-")
            print(f"{stamp}  {vendor_name(event.vendor):8}  {who:20}  "
                  f"{event_summary(event, device)}", flush=True)
        if event.device:
            seen += 1
        if args.count and seen >= args.count and not done.done():
            done.set_result(None)
        if event.kind == "connection" and event.payload.get("status") == "signed_out" and not done.done():
            done.set_exception(SiteKitError(str(event.payload.get("message") or "Signed out.")))

    ws.feed.subscribe(show)
    await ws.start_live()
    try:
        await asyncio.wait_for(done, timeout=args.seconds)
    except asyncio.TimeoutError:
        pass
    return 0


ACTIONS = {"login": _login, "configure": _configure, "logout": _logout,
           "devices": _devices, "switch": _switch, "watch": _watch}
