"""`sitekit diagnostics …`: the zip to send to support, and the log with secrets masked.

The command opens the site like any other, so the zip says how this site is set up and
what happened while opening it; the log is this run's (SiteKit keeps logs in memory only).
"""

from __future__ import annotations

import logging

from app.cli_support import run_with_workspace
from app.core.logs import log_buffer
from app.services.diagnostics import export_diagnostics
from app.services.workspace import Workspace

async def run(args) -> int:
    return await run_with_workspace(args, ACTIONS[args.action])


async def _export(ws: Workspace, args) -> int:
    path = await export_diagnostics(ws, args.out)
    print(f"Diagnostics written to {path} (secrets masked).")
    return 0


async def _log(ws: Workspace, args) -> int:
    level = getattr(logging, args.level.upper())
    for line in log_buffer().lines(min_level=level):
        print(line.text())
    return 0


ACTIONS = {"export": _export, "log": _log}
