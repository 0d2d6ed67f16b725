"""Site profiles: which endpoints and credentials each vendor part of a site brings."""

from __future__ import annotations

from app.core.secrets import MemoryKeyring, SecretStore
from app.core.settings import Settings
from app.services.site import (NEXHOME_APP_SECRET_KEY, NXCLOUD_ACCESS_SECRET_KEY, SiteProfile,
                               save_nexhome_account, save_nxcloud_account)

EWELINK = {"api": "http://127.0.0.1:1", "region": "eu", "appid": "a", "appsecret": "s"}


def test_a_simulated_site_names_every_vendor_part():
    profile = SiteProfile.from_description({
        "ewelink": EWELINK,
        "nexhome": {"api": "http://127.0.0.1:2", "developer_id": "dev", "app_id": "app",
                    "app_secret": "secret"},
        "nxcloud": {"api": "http://127.0.0.1:3", "access_key": "ak", "access_secret": "as",
                    "app_key": "k", "business_phone": "+4420"},
    }, key="demo", label="Demo")
    assert profile.nexhome is not None and profile.nexhome.configured
    assert profile.nexhome.developer_id == "dev" and profile.nexhome.app_secret == "secret"
    assert profile.nxcloud is not None and profile.nxcloud.configured
    assert profile.nxcloud.business_phone == "+4420"


def test_a_site_without_those_parts_has_none():
    profile = SiteProfile.from_description({"ewelink": EWELINK}, key="demo", label="Demo")
    assert profile.nexhome is None and profile.nxcloud is None


def test_the_real_site_reads_secrets_from_the_secret_store_not_the_settings(tmp_path):
    settings = Settings.from_dict({"nexhome": {"api": "https://nexhome.example", "developer_id": "d",
                                               "app_id": "a", "app_secret": "never read from here"},
                                   "nxcloud": {"access_key": "ak", "app_key": "k"}})
    secrets = SecretStore(MemoryKeyring())
    profile = SiteProfile.real(settings, secrets)
    assert profile.nexhome.app_secret == "" and not profile.nexhome.configured
    assert profile.nxcloud.api == "https://api2.nxcloud.com" and not profile.nxcloud.configured
    secrets.set(NEXHOME_APP_SECRET_KEY, "app-secret")
    secrets.set(NXCLOUD_ACCESS_SECRET_KEY, "access-secret")
    profile = SiteProfile.real(settings, secrets)
    assert profile.nexhome.configured and profile.nexhome.app_secret == "app-secret"
    assert profile.nxcloud.configured and profile.nxcloud.access_secret == "access-secret"
    # what is saved back never carries a secret
    assert "app_secret" not in str(settings.to_dict()) and "access-secret" not in str(settings.to_dict())


def test_saving_accounts_puts_ids_in_settings_and_secrets_in_the_secret_store(isolated_home):
    settings = Settings()
    secrets = SecretStore(MemoryKeyring())
    save_nexhome_account(settings, secrets, api="https://nexhome.example/ ", developer_id=" d ",
                         app_id="a", app_secret="s3cret")
    save_nxcloud_account(settings, secrets, access_key="ak", app_key="k",
                         business_phone="+44 7700 900001", access_secret="acc3ss")
    saved = Settings.load()
    assert saved.nexhome.api == "https://nexhome.example" and saved.nexhome.developer_id == "d"
    assert saved.nxcloud.business_phone == "+44 7700 900001"
    text = next(isolated_home.rglob("settings.toml")).read_text()
    assert "s3cret" not in text and "acc3ss" not in text
    profile = SiteProfile.real(saved, secrets)
    assert profile.nexhome.configured and profile.nxcloud.configured
    # None keeps the stored secret
    save_nexhome_account(settings, secrets, api="https://nexhome.example", developer_id="d", app_id="a2")
    assert SiteProfile.real(Settings.load(), secrets).nexhome.app_secret == "s3cret"
