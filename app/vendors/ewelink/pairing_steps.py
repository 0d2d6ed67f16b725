"""A small step runner for flows a person watches: one row per step, each bounded in time.

Plain asyncio. Every step has a status (pending, running, done, failed, skipped, warning,
cancelled), a message, a timeout and a deadline on the event loop's clock (for
countdowns), and, when it fails, a hint naming the fix. A step may be retried where that
is safe (its own `attempts`), always inside its one deadline. Cancelling the task that
runs the flow marks the running step "cancelled" and lets the cancellation through.

The eWeLink pairing flow (pairing.py) is built on this; tests drive it with small fake
step functions.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from typing import Awaitable, Callable, Sequence

from app.core.errors import CommandTimeout, NetworkError, SiteKitError

log = logging.getLogger(__name__)

PENDING, RUNNING, DONE, FAILED, SKIPPED, WARNING, CANCELLED = (
    "pending", "running", "done", "failed", "skipped", "warning", "cancelled")
STEP_STATUSES = (PENDING, RUNNING, DONE, FAILED, SKIPPED, WARNING, CANCELLED)
# Overall flow status: idle, running, done, failed, cancelled.


@dataclass
class StepState:
    name: str
    title: str
    status: str = PENDING
    message: str = ""
    hint: str = ""
    timeout: float | None = None  # seconds the whole step may take
    deadline: float | None = None  # event-loop time (time.monotonic) when it runs out
    attempts: int = 0

    def seconds_left(self) -> float | None:
        """For a countdown: seconds until the deadline while the step runs, else None."""
        if self.status != RUNNING or self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())


@dataclass(frozen=True)
class Progress:
    """A snapshot handed to the progress callback (copies: safe to keep)."""
    status: str
    steps: tuple[StepState, ...]
    current: str | None

    def step(self, name: str) -> StepState:
        return next(s for s in self.steps if s.name == name)


@dataclass(frozen=True)
class StepOutcome:
    """What a step function returns (or just a message string, meaning done)."""
    status: str = DONE  # done | skipped | warning
    message: str = ""
    hint: str = ""


class StepFailure(SiteKitError):
    """A step failed: the message names the likely cause, the hint the fix.

    `retry=True`: worth another attempt (if the step allows more and time is left).
    """

    def __init__(self, message: str, *, hint: str = "", retry: bool = False) -> None:
        super().__init__(message, hint=hint)
        self.retry = retry


class FlowFailed(SiteKitError):
    """The flow stopped at `step`; message and hint are that step's."""

    def __init__(self, step: str, message: str, *, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.step = step


class StepRun:
    """Handed to a running step function: its state, and a way to tell the user things."""

    def __init__(self, runner: "StepRunner", state: StepState) -> None:
        self._runner = runner
        self.state = state
        self.cancel_note = ""  # shown instead of "Cancelled." if the flow is cancelled now

    @property
    def attempt(self) -> int:
        return self.state.attempts

    def seconds_left(self) -> float:
        if self.state.deadline is None:
            return float("inf")
        return max(0.0, self.state.deadline - asyncio.get_running_loop().time())

    def say(self, message: str) -> None:
        """Update the step's message (e.g. "waiting for the cloud, attempt 3")."""
        if message != self.state.message:
            self.state.message = message
            self._runner.emit()


StepFunction = Callable[[StepRun], Awaitable["StepOutcome | str | None"]]
TimeoutMessage = Callable[[BaseException | None], StepFailure]


@dataclass
class Step:
    name: str
    title: str
    run: StepFunction
    timeout: float
    attempts: int | None = 1  # None: as many as fit before the deadline
    retry_delay: float = 0.5
    optional: bool = False  # running out of time is a warning, not a failure
    on_timeout: TimeoutMessage | None = None  # the message when the deadline passes
    # Errors that mean "try again" (besides StepFailure(retry=True)).
    retry_on: tuple[type[BaseException], ...] = (NetworkError, CommandTimeout)


ProgressCallback = Callable[[Progress], None]


class StepRunner:
    """Runs steps in order; one instance per run."""

    def __init__(self, steps: Sequence[Step], on_progress: ProgressCallback | None = None) -> None:
        self.definitions = list(steps)
        self.states = [StepState(s.name, s.title, timeout=s.timeout) for s in self.definitions]
        self.status = "idle"
        self.current: str | None = None
        self.on_progress = on_progress

    def progress(self) -> Progress:
        return Progress(self.status, tuple(replace(s) for s in self.states), self.current)

    def emit(self) -> None:
        if self.on_progress is None:
            return
        try:
            self.on_progress(self.progress())
        except Exception:  # a broken display must not break the flow
            log.exception("progress callback failed")

    async def run(self) -> None:
        """Run every step; raises FlowFailed at the first failure, CancelledError if cancelled."""
        self.status = "running"
        self.emit()
        for step, state in zip(self.definitions, self.states):
            await self._run_step(step, state)
        self.current = None
        self.status = "done"
        self.emit()

    async def _run_step(self, step: Step, state: StepState) -> None:
        loop = asyncio.get_running_loop()
        self.current = step.name
        state.status = RUNNING
        state.message = state.hint = ""
        state.deadline = loop.time() + step.timeout
        self.emit()
        handle = StepRun(self, state)
        last_error: BaseException | None = None
        try:
            async with asyncio.timeout_at(state.deadline) as guard:
                while True:
                    state.attempts += 1
                    try:
                        outcome = await step.run(handle)
                        break
                    except StepFailure as exc:
                        if not exc.retry or _last_attempt(step, state):
                            raise
                        last_error = exc
                    except step.retry_on as exc:
                        if _last_attempt(step, state):
                            raise _as_failure(exc) from None
                        last_error = exc
                    except TimeoutError as exc:  # the step's own (e.g. one request), not ours
                        if _last_attempt(step, state):
                            raise StepFailure("No answer in time.") from exc
                        last_error = exc
                    of = f" of {step.attempts}" if step.attempts is not None else ""
                    handle.say(f"{_text(last_error)} Trying again (attempt "
                               f"{state.attempts + 1}{of}).")
                    await asyncio.sleep(step.retry_delay)
        except TimeoutError:
            if not guard.expired():
                raise
            failure = (step.on_timeout(last_error) if step.on_timeout else
                       StepFailure(f"{step.title}: no result within {step.timeout:g} s."))
            if step.optional:
                self._finish(state, StepOutcome(WARNING, failure.message, failure.hint))
                return
            self._fail(step, state, failure)
        except StepFailure as exc:
            self._fail(step, state, exc)
        except asyncio.CancelledError:
            state.status = CANCELLED
            state.message = handle.cancel_note or "Cancelled."
            self.status = "cancelled"
            self.emit()
            raise
        except SiteKitError as exc:
            self._fail(step, state, _as_failure(exc))
        except Exception as exc:
            log.exception("step %s crashed", step.name)
            self._fail(step, state, StepFailure(
                f"{step.title} stopped on an unexpected error ({type(exc).__name__}: {exc}).",
                hint="This is likely a SiteKit bug; send the log to support."))
        else:
            self._finish(state, outcome)

    def _finish(self, state: StepState, outcome: StepOutcome | str | None) -> None:
        if not isinstance(outcome, StepOutcome):
            outcome = StepOutcome(DONE, outcome or "")
        state.status = outcome.status
        state.message = outcome.message
        state.hint = outcome.hint
        self.emit()

    def _fail(self, step: Step, state: StepState, failure: StepFailure) -> None:
        state.status = FAILED
        state.message = failure.message
        state.hint = failure.hint
        self.status = "failed"
        self.emit()
        raise FlowFailed(step.name, failure.message, hint=failure.hint)


def _last_attempt(step: Step, state: StepState) -> bool:
    return step.attempts is not None and state.attempts >= step.attempts


def _as_failure(exc: BaseException) -> StepFailure:
    if isinstance(exc, StepFailure):
        return exc
    if isinstance(exc, SiteKitError):
        return StepFailure(exc.message, hint=exc.hint)
    return StepFailure(_text(exc))


def _text(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    if isinstance(exc, SiteKitError):
        return exc.message
    if isinstance(exc, TimeoutError):
        return "No answer in time."
    return str(exc) or type(exc).__name__
