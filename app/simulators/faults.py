"""Scripted HTTP faults any simulator can serve on demand: "the next N requests to /v2/x
answer 429", "drop the connection after acting", "send half the body", "send 8 MB".

Tests (and `sitekit sim`) script them on a simulator's `faults.script`; one aiohttp
middleware, installed by every simulator app, serves them. Vendor-specific faults (a revoked
token, a second login, a websocket drop) stay in each simulator; this covers what a real
network and a real overloaded service do to any HTTP call.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from aiohttp import web

from app.core.http import MAX_REPLY_BYTES

KINDS = ("status", "drop", "drop_after", "truncate", "malformed", "oversize", "delay")
_CHUNK = 256 * 1024


@dataclass
class HttpFault:
    kind: str
    status: int = 503
    retry_after: float | None = None  # header on "status" replies
    path: str = ""  # prefix of request.path; "" = any
    method: str = ""  # "" = any
    times: int = 1  # matching requests it applies to
    seconds: float = 0.0  # for "delay"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(KINDS)}")

    def matches(self, request: web.Request) -> bool:
        return (self.times > 0 and request.path.startswith(self.path)
                and (not self.method or request.method == self.method.upper()))


@dataclass
class FaultScript:
    faults: list[HttpFault] = field(default_factory=list)
    applied: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, method, path)
    requests: int = 0

    def add(self, fault: HttpFault) -> HttpFault:
        self.faults.append(fault)
        return fault

    def storm(self, times: int, *, status: int = 429, retry_after: float | None = 1.0,
              path: str = "", method: str = "") -> HttpFault:
        return self.add(HttpFault("status", status=status, retry_after=retry_after, path=path,
                                  method=method, times=times))

    def clear(self) -> None:
        self.faults.clear()

    def take(self, request: web.Request) -> HttpFault | None:
        """The first scripted fault for this request, counted as used."""
        self.requests += 1
        for fault in self.faults:
            if fault.matches(request):
                fault.times -= 1
                self.applied.append((fault.kind, request.method, request.path))
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def served(self, kind: str) -> int:
        return sum(1 for applied in self.applied if applied[0] == kind)


ErrorBody = Callable[[int], web.StreamResponse]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _plain_error(status: int) -> web.StreamResponse:
    return web.Response(status=status, text=f"Simulated failure ({status})")


def _close(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.close()


async def _truncated(request: web.Request) -> web.StreamResponse:
    body = b'{"error": 0, "data": {"padding": "' + b"x" * 4096 + b'"}}'
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[: len(body) // 2])
    _close(request)
    return response


async def _oversized(request: web.Request) -> web.StreamResponse:
    # Chunked, no Content-Length: the client has to count for itself.
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    await response.prepare(request)
    chunk = b" " * _CHUNK
    try:
        for _ in range(MAX_REPLY_BYTES // _CHUNK + 8):
            await response.write(chunk)
    except (ConnectionError, RuntimeError):
        return response  # the client stopped reading, as it should
    await response.write_eof()
    return response


def fault_middleware(script: FaultScript, error_body: ErrorBody | None = None):
    """aiohttp middleware serving `script`'s faults; `error_body(status)` gives the vendor's
    own error shape for "status" faults."""
    make_error = error_body or _plain_error

    @web.middleware
    async def serve_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
        fault = script.take(request)
        if fault is None:
            return await handler(request)
        if fault.kind == "status":
            response = make_error(fault.status)
            if fault.retry_after is not None:
                response.headers["Retry-After"] = f"{fault.retry_after:g}"
            return response
        if fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
            return await handler(request)
        if fault.kind == "drop":
            _close(request)
            return web.Response(status=500)  # never reaches the closed socket
        if fault.kind == "drop_after":
            response = await handler(request)
            _close(request)
            return response
        if fault.kind == "truncate":
            return await _truncated(request)
        if fault.kind == "malformed":
            return web.Response(status=200, text="{not json", content_type="application/json")
        return await _oversized(request)

    return serve_faults
