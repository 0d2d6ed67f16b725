"""Testing and saving NEXhome / NXCloud credentials (app/services/connections.py), against
the demo site's simulators; saving on the real site applies to the running workspace."""

from __future__ import annotations

import keyring
import pytest

from app.core import paths
from app.core.errors import ConfigError, SiteKitError
from app.services import connections
from app.services.site import NEXHOME_APP_SECRET_KEY, NXCLOUD_ACCESS_SECRET_KEY
from app.services.workspace import Workspace

SECRET = "Typed-Secret-123"


@pytest.fixture
async def demo():
    ws = await Workspace.open(demo=True, store_events=False,
                              demo_site_options={"live_drift_seconds": None})
    ws.demo_site.nxcloud.result_delay_seconds = 0.1
    try:
        yield ws
    finally:
        await ws.close()


@pytest.fixture
async def real():
    ws = await Workspace.open(store_events=False)  # the real clouds, nothing configured
    try:
        yield ws
    finally:
        await ws.close()


def test_field_checks_name_what_is_missing():
    assert connections.check_nexhome_fields("", "dev", "", "") == \
        "Enter the API address and the app ID."
    assert connections.check_nexhome_fields("open.nexhome.example", "d", "a") == \
        "The API address starts with https://."
    assert connections.check_nexhome_fields("https://x", "d", "a", "", need_secret=True) == \
        "Enter the app secret."
    assert connections.check_nxcloud_fields("", "", "", need_secret=True) == \
        "Enter the access key, the access secret and the app key."
    assert connections.check_nxcloud_fields("ak", "app") == ""


async def test_nexhome_with_the_demo_values_and_with_a_wrong_secret(demo):
    site = demo.profile.nexhome
    outcome = await connections.test_nexhome(demo.session, demo.clock, site.api,
                                             site.developer_id, site.app_id, site.app_secret)
    assert outcome.summary.startswith("This app sees 65 devices") and not outcome.warning
    with pytest.raises(SiteKitError) as caught:
        await connections.test_nexhome(demo.session, demo.clock, site.api, site.developer_id,
                                       site.app_id, "not-the-secret")
    assert "signature" in caught.value.user_text().lower()
    with pytest.raises(ConfigError):
        await connections.test_nexhome(demo.session, demo.clock, site.api, "", site.app_id, "x")
    assert (await connections.test_saved_nexhome(demo)).summary == outcome.summary


async def test_nxcloud_with_the_demo_keys_and_with_a_wrong_secret(demo):
    site = demo.profile.nxcloud
    outcome = await connections.test_nxcloud(demo.session, demo.clock, site.api, site.access_key,
                                             site.access_secret, site.app_key,
                                             site.business_phone)
    assert "7700900001" in outcome.summary and not outcome.warning
    without_phone = await connections.test_nxcloud(demo.session, demo.clock, site.api,
                                                   site.access_key, site.access_secret,
                                                   site.app_key)
    assert "accepted" in without_phone.summary
    with pytest.raises(SiteKitError) as caught:
        await connections.test_nxcloud(demo.session, demo.clock, site.api, site.access_key,
                                       "someone-else", site.app_key, site.business_phone)
    assert "signature" in caught.value.user_text().lower()
    assert (await connections.test_saved_nxcloud(demo)).summary == outcome.summary


async def test_saving_on_the_real_site_applies_at_once_and_keeps_secrets_out_of_the_file(real):
    assert not real.building.configured and not real.messaging.configured
    await connections.save_nexhome(real, api="https://open.nexhome.example/", developer_id="dev",
                                   app_id="app", app_secret=SECRET)
    assert real.building.configured
    assert real.building.profile.nexhome.api == "https://open.nexhome.example"
    await connections.save_nxcloud(real, access_key="ak", app_key="app",
                                   business_phone="447700900001", access_secret=SECRET + "x")
    assert real.messaging.configured and real.messaging.business_phone == "447700900001"
    text = paths.settings_file().read_text(encoding="utf-8")
    assert SECRET not in text and "open.nexhome.example" in text
    assert keyring.get_password("sitekit", NEXHOME_APP_SECRET_KEY) == SECRET
    assert keyring.get_password("sitekit", NXCLOUD_ACCESS_SECRET_KEY) == SECRET + "x"
    # None keeps the stored secret
    await connections.save_nexhome(real, api="https://open.nexhome.example", developer_id="dev2",
                                   app_id="app", app_secret=None)
    assert real.building.profile.nexhome.app_secret == SECRET
    assert await connections.stored_secret(real, NEXHOME_APP_SECRET_KEY) == SECRET


async def test_saving_on_the_demo_site_leaves_its_own_building(demo):
    before = demo.building.profile.nexhome
    await connections.save_nexhome(demo, api="https://open.nexhome.example", developer_id="dev",
                                   app_id="app", app_secret=SECRET)
    assert demo.building.profile.nexhome == before
