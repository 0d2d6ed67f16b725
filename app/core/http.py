"""The one place aiohttp sessions are made: timeouts, CA bundle, User-Agent, clock skew."""

from __future__ import annotations

import ssl
from types import SimpleNamespace

import aiohttp

from app import __version__
from app.core.clock import ClockSkew
from app.core.settings import HttpSettings

USER_AGENT = f"SiteKit/{__version__} (+installer tool)"


def make_session(settings: HttpSettings | None = None,
                 clock: ClockSkew | None = None) -> aiohttp.ClientSession:
    """A ClientSession every vendor client shares.

    Every request gets a total timeout (a request without one can hang the app's exit),
    TLS verification against the configured CA bundle if any, and our User-Agent. When a
    `ClockSkew` is given, every response's `Date` header feeds it.
    """
    settings = settings or HttpSettings()
    ssl_context: ssl.SSLContext | bool = True
    if settings.ca_bundle:
        ssl_context = ssl.create_default_context(cafile=settings.ca_bundle)
    trace_configs = []
    if clock is not None:
        trace = aiohttp.TraceConfig()

        async def on_request_end(session, ctx: SimpleNamespace, params) -> None:
            clock.observe_date_header(params.response.headers.get("Date"))

        trace.on_request_end.append(on_request_end)
        trace_configs.append(trace)
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=settings.timeout_seconds,
                                      sock_connect=min(10.0, settings.timeout_seconds)),
        connector=aiohttp.TCPConnector(ssl=ssl_context),
        headers={"User-Agent": USER_AGENT},
        trace_configs=trace_configs,
    )
