"""One error family for every vendor.

A `SiteKitError` always carries a message a person on site can read and, where we
know it, what they should do next (`hint`). A `VendorError` additionally keeps the
vendor's own code and message untouched, so support threads and logs can quote them.
"""

from __future__ import annotations


class SiteKitError(Exception):
    """Base of every error SiteKit shows to a user."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def user_text(self) -> str:
        """The message plus the advice, as one paragraph for a dialog or the CLI."""
        return f"{self.message} {self.hint}".strip()

    def __str__(self) -> str:
        return self.user_text()


class VendorError(SiteKitError):
    """The vendor answered, and the answer was an error."""

    def __init__(
        self,
        vendor: str,
        code: int | str | None,
        vendor_message: str = "",
        *,
        message: str = "",
        hint: str = "",
    ) -> None:
        self.vendor = vendor
        self.code = code
        self.vendor_message = vendor_message
        readable = message or vendor_message or "the service reported an error"
        super().__init__(f"{vendor} error {code}: {readable}", hint=hint)


class AuthError(VendorError):
    """Credentials or tokens were refused; the user has to sign in (again)."""


class SessionTakenOver(AuthError):
    """Another sign-in to the same account ended our session (eWeLink allows one)."""


class RateLimited(VendorError):
    """The vendor asked us to slow down."""

    def __init__(self, vendor: str, code: int | str | None, vendor_message: str = "",
                 *, retry_after: float | None = None, message: str = "", hint: str = "") -> None:
        super().__init__(vendor, code, vendor_message, message=message, hint=hint)
        self.retry_after = retry_after


class DeviceOffline(VendorError):
    """A command went to a device the cloud knows is offline."""


class CommandTimeout(SiteKitError):
    """A command was sent but no answer arrived in time."""


class NetworkError(SiteKitError):
    """We could not reach a service at all (DNS, refused, TLS, timeout)."""


class ProtocolError(SiteKitError):
    """The service answered with something we cannot understand."""


class ConfigError(SiteKitError):
    """Something the user must set up first (app id, credentials, a site file)."""
