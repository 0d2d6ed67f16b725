"""How every simulator listens: an aiohttp app on a host and port (0: any free port).

The access log is off everywhere: simulated requests carry keys, tokens and residents'
numbers, and a log line is no place for them.
"""

from __future__ import annotations

from aiohttp import web

# A simulator asked to listen on every interface still names a loopback address in the
# URLs it hands out: that is where a client on this machine reaches it.
WILDCARD_HOSTS = ("", "0.0.0.0", "::")


def url_host(host: str) -> str:
    """The host part of a URL for what the simulator was asked to listen on."""
    host = "127.0.0.1" if host in WILDCARD_HOSTS else host
    return f"[{host}]" if ":" in host else host


async def listen(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start `app`; the runner (clean it up to stop) and the port it is bound to."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
