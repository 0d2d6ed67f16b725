"""`sitekit nxcloud …`: check a resident's number, send a test SMS or WhatsApp message.

The same `Messaging` service the GUI's messaging panel uses. Numbers are printed masked
only in the feed; here the technician typed the number, so it is shown as NXCloud saw it.
"""

from __future__ import annotations

import asyncio

from app.cli import print_json, read_secret
from app.cli_support import run_with_workspace
from app.services.site import save_nxcloud_account
from app.services.workspace import Workspace
from app.vendors.nxcloud.client import NumberCheckPending
from app.vendors.nxcloud.models import display_phone


async def run(args) -> int:
    return await run_with_workspace(args, ACTIONS[args.action])


async def _configure(ws: Workspace, args) -> int:
    secret = read_secret("NXCloud access secret: ", args.access_secret_stdin)
    await asyncio.to_thread(save_nxcloud_account, ws.settings, ws.secrets, access_key=args.access_key,
                            app_key=args.app_key, business_phone=args.business_phone,
                            access_secret=secret)
    print("Saved the NXCloud keys in settings and the access secret in the secret store.")
    print(ws.secrets.location)
    return 0


async def _check(ws: Workspace, args) -> int:
    try:
        result = await ws.messaging.check_number(args.phone, args.level, wait=args.wait)
    except NumberCheckPending as pending:
        if args.json:
            print_json({"pending": True, "message_id": pending.ticket.message_id})
        else:
            print(pending.user_text())
        return 3
    if args.json:
        print_json({"phone": result.phone, "verdict": result.verdict, "valid": result.valid,
                    "reachable": result.reachable, "carrier": result.carrier,
                    "country_code": result.country_code, "summary": result.summary()})
    else:
        print(result.summary())
    return 0 if result.verdict in ("valid", "format_ok") else 1


async def _sms(ws: Workspace, args) -> int:
    receipt = await ws.messaging.send_sms(args.phone, args.text, sys_message_id=args.message_id)
    if args.json:
        print_json({"sent": True, "phone": receipt.phone, "message_id": receipt.message_id,
                    "sys_message_id": receipt.sys_message_id})
    else:
        print(f"SMS accepted for {display_phone(receipt.phone)} (message id {receipt.message_id}).")
    return 0


async def _whatsapp(ws: Workspace, args) -> int:
    receipt = await ws.messaging.send_whatsapp(args.phone, args.text)
    if args.json:
        print_json({"sent": True, "to": receipt.to, "message_id": receipt.message_id})
    else:
        print(f"WhatsApp message accepted for {display_phone(receipt.to)} "
              f"(message id {receipt.message_id}).")
    return 0


ACTIONS = {"configure": _configure, "check": _check, "sms": _sms, "whatsapp": _whatsapp}
