"""The one place aiohttp sessions are made (timeouts, CA bundle, User-Agent, clock skew) and
replies are read (size limits)."""

from __future__ import annotations

import asyncio
import ssl
from types import SimpleNamespace
from typing import Any

import aiohttp

from app import __version__
from app.core.clock import ClockSkew
from app.core.errors import ProtocolError
from app.core.logs import redact_text
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


# Everything read from the network has a ceiling: a broken or hostile server (or a captive
# portal answering for it) must not make SiteKit buffer without bound.
MAX_REPLY_BYTES = 4 * 1024 * 1024
MAX_WS_MESSAGE_BYTES = 1 * 1024 * 1024
_CHUNK = 64 * 1024


class ReplyTooLarge(ProtocolError):
    """A reply bigger than SiteKit accepts from that server."""


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} bytes"


async def read_body(response: aiohttp.ClientResponse, *, limit: int = MAX_REPLY_BYTES,
                    what: str = "The server") -> bytes:
    """The body, at most `limit` bytes; a clear error when it is larger or cut off."""
    declared = response.content_length
    if declared is not None and declared > limit:
        response.close()
        raise ReplyTooLarge(f"{what} sent a reply of {_size(declared)}; SiteKit reads at most "
                            f"{_size(limit)}.",
                            hint="This is not what the service sends; check the address and any "
                                 "proxy or captive portal on this network.")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > limit:
                response.close()
                raise ReplyTooLarge(f"{what} sent more than {_size(limit)}; SiteKit stopped "
                                    "reading.",
                                    hint="This is not what the service sends; check the address "
                                         "and any proxy or captive portal on this network.")
            chunks.append(chunk)
    except aiohttp.ClientPayloadError as error:
        raise ProtocolError(f"{what}'s reply was cut off after {size} bytes.",
                            hint="The connection dropped mid-reply; try again.") from error
    return b"".join(chunks)


async def read_text(response: aiohttp.ClientResponse, *, limit: int = MAX_REPLY_BYTES,
                    what: str = "The server") -> str:
    """`response.text()` with a size limit (see read_body); undecodable bytes replaced."""
    body = await read_body(response, limit=limit, what=what)
    try:
        return body.decode(response.charset or "utf-8", errors="replace")
    except LookupError:  # a charset name Python does not know
        return body.decode("utf-8", errors="replace")


class AnswerLost(aiohttp.ClientError):
    """The connection dropped after the request went out: the server may have carried it out.
    `__cause__` is aiohttp's own error."""


async def _no_silent_resend(request: aiohttp.ClientRequest, handler) -> aiohttp.ClientResponse:
    # aiohttp sends an "idempotent" request (GET, PUT, DELETE) once more, by itself, when a
    # kept-alive connection drops before the answer. A command, a single-use token refresh or
    # a revoke must not go twice behind the user's back: make the drop an error aiohttp does
    # not retry, and let the caller say the outcome is unknown.
    try:
        return await handler(request)
    except aiohttp.ClientConnectorError:
        raise  # never connected: nothing was sent (and aiohttp does not retry these)
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as error:
        raise AnswerLost(str(error) or type(error).__name__) from error


# `session.request(..., **SEND_ONCE)` for a request that must not be repeated by aiohttp.
SEND_ONCE: dict[str, Any] = {"middlewares": (_no_silent_resend,)}


def describe_failure(exc: BaseException, limit: int = 160) -> str:
    """Why a request got no answer, short and with secrets masked, for an error message."""
    if isinstance(exc, asyncio.TimeoutError):
        return "no answer in time"
    text = redact_text(str(exc)) or type(exc).__name__
    return text if len(text) <= limit else text[:limit - 3] + "..."
