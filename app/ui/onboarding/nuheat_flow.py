"""The Nuheat sign-in page's rules, Qt-free like `flow.py`.

Nuheat signs in through the browser (OAuth2 + PKCE), so the page has no fields: it
explains, waits while the user is in the browser, and says why when it did not work.

    ready  --begin()----->  waiting  --succeeded()-->  done
      ^                        |
      +-- failed(text) --------+   (the reason stays shown; the button says "Try again")
      +-- cancelled() ---------+
"""

from __future__ import annotations

from dataclasses import dataclass

from app.ui.observable import Observable

READY = "ready"
WAITING = "waiting"
DONE = "done"

NO_CLIENT_ID = ("This computer has no Nuheat client ID yet. Nuheat issues one to each "
                "integrator; enter it in Settings, then come back here.")


def format_elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass
class NuheatSignInFlow(Observable):
    state: str = READY
    simulated: bool = False
    needs_client_id: bool = False
    error: str = ""
    # a stored sign-in stopped working (refresh token expired or revoked): "sign in again"
    again: bool = False
    can_go_back: bool = False  # opened from the welcome page
    cancelled_note: bool = False
    config_error: bool = False  # the last failure is fixed in Settings (client ID or secret)
    started_at: float | None = None  # loop time when the current attempt began
    attempts: int = 0

    # -- derived ----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.state == WAITING

    @property
    def can_begin(self) -> bool:
        # Not blocked by a missing client ID: the user may have just entered it in
        # Settings, and if not, the attempt says so again.
        return self.state == READY

    @property
    def offers_settings(self) -> bool:
        return self.state == READY and (self.needs_client_id or self.config_error)

    @property
    def title(self) -> str:
        return "Sign in to Nuheat again" if self.again else "Sign in to Nuheat"

    @property
    def action_text(self) -> str:
        if self.attempts and self.state == READY:
            return "Try again"
        return "Sign in (simulated)" if self.simulated else "Sign in with Nuheat"

    def elapsed(self, now: float) -> float:
        return 0.0 if self.started_at is None else now - self.started_at

    # -- transitions ------------------------------------------------------------------

    def start(self, *, simulated: bool = False, needs_client_id: bool = False,
              error: str = "", back: bool = False) -> None:
        self.state = READY
        self.simulated = simulated
        self.needs_client_id = needs_client_id and not simulated
        self.error = error
        self.again = bool(error)
        self.can_go_back = back
        self.cancelled_note = False
        self.config_error = False
        self.started_at = None
        self.attempts = 0
        self._changed()

    def begin(self, now: float) -> bool:
        """The user asked to sign in; False (nothing to do) unless the page can."""
        if not self.can_begin:
            return False
        self.state = WAITING
        self.error = ""
        self.cancelled_note = False
        self.config_error = False
        self.started_at = now
        self.attempts += 1
        self._changed()
        return True

    def failed(self, message: str, *, config_error: bool = False) -> None:
        self.state = READY
        self.error = message
        self.config_error = config_error
        self.started_at = None
        self._changed()

    def cancelled(self) -> None:
        if self.state != WAITING:
            return
        self.state = READY
        self.started_at = None
        self.cancelled_note = True
        self._changed()

    def succeeded(self) -> None:
        self.state = DONE
        self.error = ""
        self.started_at = None
        self._changed()
