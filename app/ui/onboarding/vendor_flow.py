"""The "Connect NEXhome" / "Connect NXCloud" pages' rules, Qt-free like `flow.py`.

A connection is tested with the typed values before anything is saved:

    ready --test()--> testing --passed--> saving --saved--> done
                         |                   '--save_failed--> failed (reason; Save anyway)
                         '--failed(reason)--> failed --save_anyway()--> saving
    failed/ready --edit--> ready       (a new value needs a new test)

A simulated site brings its own building / account, so its page has no fields: it offers
"Test the demo connection" and Continue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.ui.observable import Observable

READY = "ready"
TESTING = "testing"
SAVING = "saving"
FAILED = "failed"
DONE = "done"

NEXHOME = "nexhome"
NXCLOUD = "nxcloud"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    placeholder: str = ""
    secret: bool = False  # write-only: shown as stored / not set, typed only to replace it
    optional: bool = False
    note: str = ""


@dataclass(frozen=True)
class VendorSpec:
    key: str
    name: str
    title: str
    intro: str
    steps: tuple[str, ...]
    fields: tuple[Field, ...]
    demo_note: str  # "{site}": the simulated site's name ("demo site", "site lab.json")
    after_note: str = ""  # something worth knowing once connected


SPECS: dict[str, VendorSpec] = {
    NEXHOME: VendorSpec(
        key=NEXHOME, name="NEXhome", title="Connect NEXhome",
        intro="NEXhome runs the site's door stations, indoor monitors and lifts. SiteKit signs "
              "every request with the credentials NEXhome issues to your app.",
        steps=("Sign in to the NEXhome open platform and open Application Management.",
               "Open your app's Details: copy the developer ID, the app ID and the app secret.",
               "The API address is the one NEXhome sent with those credentials."),
        fields=(Field("api", "API address", "https://… (sent with the credentials)"),
                Field("developer_id", "Developer ID"),
                Field("app_id", "App ID"),
                Field("app_secret", "App secret", secret=True)),
        demo_note="This is the {site}: it brings its own simulated NEXhome building "
                  "(door stations, monitors and a lift), so there is nothing to enter. Real "
                  "credentials go in Settings.",
        after_note="Door records and call logs also need Message Subscription switched on "
                   "(Application Management → Details → Message Subscription)."),
    NXCLOUD: VendorSpec(
        key=NXCLOUD, name="NXCloud", title="Connect NXCloud",
        intro="NXCloud sends residents their PINs and QR codes by SMS or WhatsApp and checks "
              "their phone numbers.",
        steps=("Sign in to the NXCloud console and open API settings: copy the access key "
               "and the access secret.",
               "Copy the app key of the application that sends the messages.",
               "Only WhatsApp needs the business phone; SMS works without it."),
        fields=(Field("access_key", "Access key"),
                Field("access_secret", "Access secret", secret=True),
                Field("app_key", "App key"),
                Field("business_phone", "WhatsApp business phone", "+44 7700 900001",
                      optional=True, note="The number WhatsApp messages come from.")),
        demo_note="This is the {site}: it brings its own simulated NXCloud account, so "
                  "there is nothing to enter. Real keys go in Settings."),
}


@dataclass
class VendorConnectFlow(Observable):
    state: str = READY
    simulated: bool = False
    can_go_back: bool = False  # opened from the welcome page
    secret_stored: bool = False  # the secret field may stay empty: the stored one is used
    error: str = ""  # why the last test (or save) failed
    save_failed: bool = False  # the error is the save's, not the test's
    summary: str = ""  # what the last passed test said
    warning: str = ""
    saved_untested: bool = False  # "Save anyway" was used
    demo_tested: bool = False
    values: dict[str, str] = field(default_factory=dict)

    # -- derived ----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.state in (TESTING, SAVING)

    @property
    def can_test(self) -> bool:
        return self.state in (READY, FAILED)

    @property
    def can_save_anyway(self) -> bool:
        return self.state == FAILED and not self.simulated and not self.save_failed

    # -- transitions ------------------------------------------------------------------

    def start(self, *, simulated: bool, back: bool, values: dict[str, str] | None = None,
              secret_stored: bool = False) -> None:
        self.state = READY
        self.simulated = simulated
        self.can_go_back = back
        self.secret_stored = secret_stored
        self.error = self.summary = self.warning = ""
        self.save_failed = self.saved_untested = self.demo_tested = False
        self.values = dict(values or {})
        self._changed()

    def set_secret_stored(self, stored: bool) -> None:
        if stored != self.secret_stored:
            self.secret_stored = stored
            self._changed()

    def edit(self, name: str, value: str) -> None:
        """A field changed: what was tested no longer holds."""
        if self.values.get(name, "") == value:
            return
        self.values[name] = value
        if self.state in (FAILED, DONE) or self.summary:
            self.state = READY
            self.error = self.summary = self.warning = ""
            self.save_failed = False
        self._changed()

    def begin_test(self) -> bool:
        if not self.can_test:
            return False
        self.state = TESTING
        self.error = self.summary = self.warning = ""
        self.save_failed = False
        self._changed()
        return True

    def test_passed(self, summary: str, warning: str = "") -> None:
        """The test worked: a real site saves next; the demo site is done."""
        self.summary, self.warning = summary, warning
        if self.simulated:
            self.state = READY
            self.demo_tested = True
        else:
            self.state = SAVING
            self.saved_untested = False
        self._changed()

    def test_failed(self, reason: str) -> None:
        self.state = FAILED
        self.error = reason
        self.save_failed = False
        self._changed()

    def save_anyway(self) -> bool:
        if not self.can_save_anyway:
            return False
        self.state = SAVING
        self.saved_untested = True
        self._changed()
        return True

    def saved(self) -> None:
        self.state = DONE
        if not self.saved_untested:  # after "Save anyway" the test's reason stays in view
            self.error = ""
        self._changed()

    def save_error(self, reason: str) -> None:
        self.state = FAILED
        self.error = reason
        self.save_failed = True
        self._changed()
