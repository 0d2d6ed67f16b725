"""What every vendor command group shares: a workspace for the command, errors as exit 1."""

from __future__ import annotations

import sys
from typing import Awaitable, Callable

from app.cli import print_json
from app.core.errors import SiteKitError, VendorError
from app.services.workspace import Workspace

Handler = Callable[[Workspace, object], Awaitable[int]]


async def run_with_workspace(args, handler: Handler) -> int:
    """Open the site the flags name, run one command on it, close it; errors exit 1."""
    as_json = getattr(args, "json", False)
    try:
        workspace = await Workspace.open(demo=args.demo, site_file=args.site)
    except SiteKitError as exc:
        return fail(exc, as_json)
    try:
        return await handler(workspace, args)
    except SiteKitError as exc:
        return fail(exc, as_json)
    finally:
        await workspace.close()


def fail(exc: SiteKitError, as_json: bool) -> int:
    if as_json:
        error = {"message": exc.message, "hint": exc.hint}
        if isinstance(exc, VendorError):
            error.update(vendor=exc.vendor, code=exc.code, vendor_message=exc.vendor_message)
        if getattr(exc, "step", None):
            error["step"] = exc.step  # where a pairing stopped
        print_json({"error": error})
    else:
        print(f"error: {exc.user_text()}", file=sys.stderr)
    return 1
