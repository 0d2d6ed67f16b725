"""The first-run / sign-in flow as plain Python: steps, fields, validation, busy, error.

Qt-free on purpose (the Electrum wizard pattern): the widgets in `wizard.py` only render
this state and forward clicks, so the rules can be unit-tested without a screen.

Steps:
    welcome  --"sign_in"-->  sign_in            (real cloud, nobody signed in yet)
    welcome  --"demo"----->  (the window switches to the demo site, then sign_in)
    sign_in  --"back"----->  welcome            (only when the flow started at welcome)
    sign_in  --success---->  done
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.ui.observable import Observable
from app.vendors.ewelink.regions import REGION_NAMES

WELCOME = "welcome"
SIGN_IN = "sign_in"
DONE = "done"

NAVIGATION: dict[str, dict[str, str]] = {
    WELCOME: {"sign_in": SIGN_IN},
    SIGN_IN: {"back": WELCOME},
}

REGIONS = REGION_NAMES  # code -> name, in the order the region box lists them

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# eWeLink wants phone numbers with their country code: +44 7700 900123, +8613800000001
_PHONE = re.compile(r"^\+\d[\d\s\-]{5,18}\d$")


def region_label(code: str) -> str:
    return f"{REGIONS.get(code, code)} ({code})"


def validate(region: str, account: str, password: str) -> dict[str, str]:
    """Field -> message for what is wrong; empty when the form can be sent."""
    errors: dict[str, str] = {}
    if region not in REGIONS:
        errors["region"] = "Choose the region the account was created in."
    account = account.strip()
    if not account:
        errors["account"] = "Enter the account's email address or phone number."
    elif "@" in account:
        if not _EMAIL.match(account):
            errors["account"] = "That does not look like an email address."
    elif not _PHONE.match(account):
        errors["account"] = ("Use an email address, or a phone number with its country code "
                             "(for example +44 7700 900123).")
    if not password:
        errors["password"] = "Enter the password."
    return errors


@dataclass
class OnboardingFlow(Observable):
    step: str = SIGN_IN
    region: str = "eu"
    account: str = ""
    password: str = ""
    busy: bool = False
    error: str = ""  # from the last sign-in attempt (SiteKitError.user_text())
    prefilled: bool = False  # demo credentials were filled in
    has_welcome: bool = False
    # fields the user has touched; untouched empty fields are not shouted at yet
    touched: set[str] = field(default_factory=set)

    # -- derived state ----------------------------------------------------------------

    @property
    def field_errors(self) -> dict[str, str]:
        return validate(self.region, self.account, self.password)

    @property
    def visible_field_errors(self) -> dict[str, str]:
        return {k: v for k, v in self.field_errors.items() if k in self.touched}

    @property
    def valid(self) -> bool:
        return not self.field_errors

    @property
    def can_submit(self) -> bool:
        return self.step == SIGN_IN and self.valid and not self.busy

    @property
    def can_go_back(self) -> bool:
        return self.step == SIGN_IN and self.has_welcome and not self.busy

    # -- transitions ------------------------------------------------------------------

    def start(self, *, welcome: bool, region: str = "eu", account: str = "",
              credentials: tuple[str, str, str] | None = None) -> None:
        """Begin again: at the welcome page (no account yet) or straight at sign-in."""
        self.has_welcome = welcome
        self.step = WELCOME if welcome else SIGN_IN
        self.busy = False
        self.error = ""
        self.touched = set()
        if credentials is not None:
            self.region, self.account, self.password = credentials
            self.prefilled = True
        else:
            self.region = region if region in REGIONS else "eu"
            self.account = account
            self.password = ""
            self.prefilled = False
        self._changed()

    def go(self, action: str) -> None:
        target = NAVIGATION.get(self.step, {}).get(action)
        if target is None or self.busy:
            raise ValueError(f"no {action!r} from step {self.step!r}")
        if target == WELCOME and not self.has_welcome:
            raise ValueError("this flow has no welcome page")
        self.step = target
        self.error = ""
        self._changed()

    def set_field(self, name: str, value: str) -> None:
        if name not in ("region", "account", "password"):
            raise KeyError(name)
        if getattr(self, name) == value:
            return
        setattr(self, name, value)
        self._changed()

    def touch(self, name: str) -> None:
        """The user left a field: from now on its problems are shown."""
        if name not in self.touched:
            self.touched.add(name)
            self._changed()

    def submit(self) -> tuple[str, str, str] | None:
        """Start signing in: the (region, account, password) to use, or None if invalid."""
        self.touched |= {"region", "account", "password"}
        if not self.can_submit:
            self._changed()
            return None
        self.busy = True
        self.error = ""
        self._changed()
        return self.region, self.account.strip(), self.password

    def succeeded(self) -> None:
        self.busy = False
        self.error = ""
        self.password = ""  # do not keep it around longer than needed
        self.step = DONE
        self._changed()

    def failed(self, message: str) -> None:
        self.busy = False
        self.error = message
        self._changed()
