"""`LiveChannel`: the machinery every vendor's live connection shares.

What is the same for every live channel: subscribers (`subscribe()` -> unsubscribe), a
status with a human message, each change emitted as a "connection" `Event`, `wait_online()`,
`last_error`, one background task (`start()`/`stop()`), and the reconnect loop: one
connection at a time, one credential renewal when the far end refuses us, sign-out on an
`AuthError`, backoff (reset once a connection stayed up `stable_after` seconds) otherwise.

What each vendor supplies: how to connect and serve one connection (`_connect_and_serve`,
returning the monotonic time it came up), how to renew credentials, how to sign out, what
"not running" means to `wait_online()`, and its own wording for messages and logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Callable

import aiohttp

from app.core.errors import AuthError, NetworkError, ProtocolError, SiteKitError
from app.core.events import Event

STATUSES = ("stopped", "connecting", "online", "reconnecting", "signed_out")


class SessionRefused(Exception):
    """The far end refused our credentials: renew them once, then sign out."""


def backoff_delay(schedule: tuple[float, ...], failures: int) -> float:
    """The wait before the next attempt after `failures` failed ones (the last step repeats)."""
    return schedule[min(failures, len(schedule) - 1)]


class LiveChannel:
    # -- set by each vendor ------------------------------------------------------------------
    event_vendor = ""  # Event.vendor of everything this channel emits
    task_name = ""  # name of the connection task
    log_prefix = ""  # "<Vendor> live", the start of our log lines
    connecting_message = "Connecting…"
    stopped_message = "Live connection stopped."
    # `{}` is the exception's class name
    network_failure = "The live connection failed ({})."
    unexpected_failure = "The live connection hit an unexpected problem ({})."
    _log = logging.getLogger(__name__)

    def __init__(self, *, backoff: tuple[float, ...], stable_after: float) -> None:
        self.backoff = tuple(backoff) or (0,)
        # A connection that stayed up this long resets the backoff to its first step.
        self.stable_after = stable_after

        self.status = "stopped"
        self.last_error: SiteKitError | None = None
        self.connections = 0  # for diagnostics

        self._subscribers: list[Callable[[Event], None]] = []
        self._task: asyncio.Task | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._changed = asyncio.Event()

    # -- public -------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    async def start(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self.last_error = None
        self._set_status("connecting", self.connecting_message)
        self._task = asyncio.create_task(self._run(), name=self.task_name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._close_socket()
        await self._stopped()
        # A signed-out channel stays "signed_out": that is what the user must act on.
        if self.status not in ("stopped", "signed_out"):
            self._set_status("stopped", self.stopped_message)

    async def wait_online(self, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.status != "online":
            error = self._not_running_error()
            if error is not None:
                raise error
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise self._online_timeout_error(timeout)
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    # -- vendor hooks ----------------------------------------------------------------------

    async def _connect_and_serve(self) -> float:
        """One connection's life. Returns when it closes (monotonic time it came up)."""
        raise NotImplementedError

    def _can_renew_credentials(self) -> bool:
        return True

    async def _renew_credentials(self) -> None:
        """Called once after `SessionRefused`; an `AuthError` signs out."""
        raise NotImplementedError

    def _sign_out(self, cause: AuthError | None) -> None:
        """Set `last_error` and status "signed_out"; the loop then ends."""
        raise NotImplementedError

    def _not_running_error(self) -> Exception | None:
        """What `wait_online()` raises while the channel is not online nor on its way."""
        return None

    def _online_timeout_error(self, timeout: float) -> Exception:
        return NetworkError(f"Could not connect within {timeout:g} s.")

    async def _connection_closed(self) -> None:
        """After each connection, whatever ended it."""
        await self._close_socket()

    async def _stopped(self) -> None:
        """In `stop()`, after the task ended and the socket closed."""

    async def _reconnect_at_once(self) -> bool:
        """True: the connection ended on purpose; reconnect without backoff (the failure
        count restarts). A sign-out here ends the loop."""
        return False

    # -- connection loop -------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        renewed = False  # one renewal per refusal streak, never more
        while True:
            up_since: float | None = None
            try:
                up_since = await self._connect_and_serve()
                renewed = False
            except SessionRefused:
                if renewed or not self._can_renew_credentials():
                    self._sign_out(None)
                    return
                renewed = True
                try:
                    await self._renew_credentials()
                except AuthError as exc:
                    self._sign_out(exc)
                    return
                except SiteKitError as exc:
                    # Could not even ask (network): that says nothing about the session,
                    # so the next refusal may try again.
                    renewed = False
                    self.last_error = exc
                else:
                    continue
            except AuthError as exc:
                # our session is gone
                self._sign_out(exc)
                return
            except SiteKitError as exc:
                self.last_error = exc
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                self.last_error = NetworkError(
                    self.network_failure.format(type(exc).__name__),
                    hint="Check the internet connection; SiteKit keeps retrying.")
            except Exception as exc:  # a bug of ours must not end live updates for good
                self._log.exception("%s: unexpected failure; reconnecting", self.log_prefix)
                self.last_error = ProtocolError(
                    self.unexpected_failure.format(type(exc).__name__),
                    hint="SiteKit keeps retrying.")
            finally:
                await self._connection_closed()

            if await self._reconnect_at_once():
                if self.status == "signed_out":
                    return
                failures = 0
                continue
            if up_since is not None and time.monotonic() - up_since >= self.stable_after:
                failures = 0
            delay = backoff_delay(self.backoff, failures)
            failures += 1
            reason = self.last_error.message if self.last_error else "connection closed"
            self._set_status("reconnecting",
                             f"Connection lost ({reason}); retrying in {delay:g} s.")
            await asyncio.sleep(delay)

    # -- status and events ------------------------------------------------------------------

    def _set_status(self, status: str, message: str, **extra: Any) -> None:
        self.status = status
        self._changed.set()
        self._emit(Event(self.event_vendor, "", "connection",
                         {"status": status, "message": message, **extra}))

    def _emit(self, event: Event) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # a subscriber's bug must not stop the live channel
                self._log.exception("%s: a subscriber failed on %s", self.log_prefix,
                                    event.kind)

    @staticmethod
    async def _receive_before(ws: aiohttp.ClientWebSocketResponse,
                              deadline: float) -> aiohttp.WSMessage:
        """The next frame, or TimeoutError once the loop's clock passes `deadline`
        (a handshake's whole exchange shares one time limit, not one per frame)."""
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise asyncio.TimeoutError()
        return await ws.receive(timeout=remaining)

    async def _close_socket(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None and not ws.closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2.0)
