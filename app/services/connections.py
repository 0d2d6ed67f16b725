"""Test and save the NEXhome and NXCloud credentials: shared by Settings and the wizard.

A test uses the values it is given (typed, saved or the demo site's), never the workspace's
client, so a typo is caught before it is saved. A save writes the ids to the settings file
and the secret to the secret store (off the loop: both block), then applies them to the
running workspace when it is the real site: the next call signs with what was just saved.
A simulated site keeps its own building / account; what is saved there is for the real clouds.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import aiohttp

from app.core.clock import ClockSkew
from app.core.errors import ConfigError
from app.services.site import (NEXHOME_APP_SECRET_KEY, NXCLOUD_ACCESS_SECRET_KEY, SiteProfile,
                               save_nexhome_account)

if TYPE_CHECKING:
    from app.services.workspace import Workspace

# A basic (format-only) check needs some number; without a business phone this one is used:
# Ofcom keeps the 07700 900xxx range for drama, so it can never reach anybody.
FALLBACK_CHECK_NUMBER = "+447700900000"


@dataclass(frozen=True)
class TestOutcome:
    """A test that reached the vendor with valid credentials.

    `warning`: the credentials work but something else needs a look (a business phone
    NXCloud calls invalid)."""

    summary: str
    warning: str = ""

    __test__ = False  # not a pytest class, despite the name


def check_nexhome_fields(api: str, developer_id: str, app_id: str, app_secret: str = "",
                         *, need_secret: bool = False) -> str:
    """What is missing or wrong in the NEXhome fields, "" when they can be used."""
    api = api.strip()
    missing = [name for name, value in (("the API address", api),
                                        ("the developer ID", developer_id.strip()),
                                        ("the app ID", app_id.strip()),
                                        ("the app secret", app_secret.strip() or not need_secret))
               if not value]
    if missing:
        return "Enter " + ", ".join(missing[:-1]) + (" and " if len(missing) > 1 else "") + \
            missing[-1] + "."
    if not api.startswith(("https://", "http://")):
        return "The API address starts with https://."
    return ""


def check_nxcloud_fields(access_key: str, app_key: str, access_secret: str = "",
                         *, need_secret: bool = False) -> str:
    """What is missing in the NXCloud fields, "" when they can be used."""
    missing = [name for name, value in (("the access key", access_key.strip()),
                                        ("the access secret",
                                         access_secret.strip() or not need_secret),
                                        ("the app key", app_key.strip()))
               if not value]
    if not missing:
        return ""
    return "Enter " + ", ".join(missing[:-1]) + (" and " if len(missing) > 1 else "") + \
        missing[-1] + "."


async def stored_secret(ws: "Workspace", key: str) -> str:
    """A secret from the store, read off the loop (a keyring may block on D-Bus)."""
    return await asyncio.to_thread(ws.secrets.get, key) or ""


async def test_nexhome(session: aiohttp.ClientSession, clock: ClockSkew, api: str,
                       developer_id: str, app_id: str, app_secret: str) -> TestOutcome:
    """Sign one request (the device list) with these values. Raises SiteKitError saying why
    not: a wrong secret is NEXhome's signature refusal, a wrong address a network error."""
    from app.vendors.nexhome.client import NexhomeClient

    problem = check_nexhome_fields(api, developer_id, app_id, app_secret, need_secret=True)
    if problem:
        raise ConfigError(problem)
    client = NexhomeClient(session, api=api.strip().rstrip("/"), developer_id=developer_id.strip(),
                           app_id=app_id.strip(), app_secret=app_secret.strip(), clock=clock)
    devices = await client.devices()
    online = sum(1 for device in devices if device.online)
    noun = "device" if len(devices) == 1 else "devices"
    return TestOutcome(f"This app sees {len(devices)} {noun} ({online} online).")


async def test_nxcloud(session: aiohttp.ClientSession, clock: ClockSkew, api: str,
                       access_key: str, access_secret: str, app_key: str,
                       business_phone: str = "", *, wait: float = 10.0) -> TestOutcome:
    """A basic (format-only) number check of the business phone with these keys: a check
    NXCloud accepts proves the keys and the signature. Raises SiteKitError saying why not."""
    from app.vendors.nxcloud.client import NumberCheckPending, NxcloudClient

    problem = check_nxcloud_fields(access_key, app_key, access_secret, need_secret=True)
    if problem:
        raise ConfigError(problem)
    client = NxcloudClient(session, api=api, access_key=access_key.strip(),
                           access_secret=access_secret.strip(), app_key=app_key.strip(),
                           business_phone=business_phone, clock=clock)
    phone = business_phone.strip() or FALLBACK_CHECK_NUMBER
    try:
        result = await client.check_number(phone, 1, wait=wait)
    except NumberCheckPending:
        return TestOutcome("NXCloud accepted a check of the business phone (its result is not "
                           "back yet).")
    if not business_phone.strip():
        return TestOutcome("NXCloud accepted a number check signed with them.")
    if result.verdict in ("valid", "format_ok"):
        return TestOutcome(f"Business phone check: {result.summary()}")
    return TestOutcome(result.summary(), warning="Check the business phone.")


async def test_saved_nexhome(ws: "Workspace") -> TestOutcome:
    """The connection this workspace uses: the demo site's building, or the saved one."""
    endpoints = ws.building.profile.nexhome
    if endpoints is None or not endpoints.configured:
        raise ConfigError("SiteKit has no NEXhome application for this site yet.")
    return await test_nexhome(ws.session, ws.clock, endpoints.api, endpoints.developer_id,
                              endpoints.app_id, endpoints.app_secret)


async def test_saved_nxcloud(ws: "Workspace") -> TestOutcome:
    """The account this workspace uses: the demo site's, or the saved one."""
    endpoints = ws.messaging.profile.nxcloud
    if endpoints is None or not endpoints.configured:
        raise ConfigError("Save the access key, access secret and app key first.")
    return await test_nxcloud(ws.session, ws.clock, endpoints.api, endpoints.access_key,
                              endpoints.access_secret, endpoints.app_key,
                              endpoints.business_phone)


async def save_nexhome(ws: "Workspace", *, api: str, developer_id: str, app_id: str,
                       app_secret: str | None) -> None:
    """Store the NEXhome app (`app_secret` None keeps the stored one) and, on the real
    site, make `ws.building` sign with it at once."""
    await asyncio.to_thread(save_nexhome_account, ws.settings, ws.secrets, api=api,
                            developer_id=developer_id, app_id=app_id, app_secret=app_secret)
    if ws.profile.key == "real":
        real = await asyncio.to_thread(SiteProfile.real, ws.settings, ws.secrets)
        ws.building.use_profile(replace(ws.building.profile, nexhome=real.nexhome))


async def save_nxcloud(ws: "Workspace", *, access_key: str, app_key: str,
                       business_phone: str | None = None,
                       access_secret: str | None = None) -> None:
    """Store the NXCloud account (`access_secret` None keeps the stored one);
    `ws.messaging` uses it at once on the real site."""
    await asyncio.to_thread(ws.messaging.configure, ws.settings, ws.secrets,
                            access_key=access_key, app_key=app_key,
                            business_phone=business_phone, access_secret=access_secret)


__all__ = ["FALLBACK_CHECK_NUMBER", "NEXHOME_APP_SECRET_KEY", "NXCLOUD_ACCESS_SECRET_KEY",
           "TestOutcome", "check_nexhome_fields", "check_nxcloud_fields", "save_nexhome",
           "save_nxcloud", "stored_secret", "test_nexhome", "test_nxcloud", "test_saved_nexhome",
           "test_saved_nxcloud"]

# pytest would take the test_* coroutines for tests wherever a test module imports them
for _function in (test_nexhome, test_nxcloud, test_saved_nexhome, test_saved_nxcloud):
    _function.__test__ = False  # type: ignore[attr-defined]
