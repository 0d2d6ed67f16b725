"""Which vendor clouds SiteKit talks to: eWeLink, Nuheat, NEXhome and NXCloud.

Three kinds of site:
- the real vendor clouds, with the app id/secret the user set up in Settings;
- the in-process demo site (`--demo`), started on loopback for this process only;
- a site file (`--site FILE`): the JSON line `sitekit sim` printed, so a training lab can
  point every laptop at one simulated site and scripts can drive a running simulator.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.errors import ConfigError
from app.core.secrets import SecretStore
from app.core.settings import Settings

APPSECRET_KEY = "ewelink/appsecret"
NUHEAT_CLIENT_SECRET_KEY = "nuheat/client_secret"
NEXHOME_APP_SECRET_KEY = "nexhome/app_secret"
NXCLOUD_ACCESS_SECRET_KEY = "nxcloud/access_secret"


def save_nuheat_client(settings: Settings, secrets: SecretStore, client_id: str,
                       client_secret: str | None = None) -> None:
    """Store the real Nuheat client: its id in the settings file, its secret in the secret store.

    `client_secret` None keeps the stored one; "" forgets it (a public client: PKCE only).
    Blocking (file write, keyring): call it off the loop.
    """
    settings.nuheat.client_id = client_id.strip()
    settings.save()
    if client_secret is None:
        return
    if client_secret.strip():
        secrets.set(NUHEAT_CLIENT_SECRET_KEY, client_secret.strip())
    else:
        secrets.delete(NUHEAT_CLIENT_SECRET_KEY)


def save_nexhome_account(settings: Settings, secrets: SecretStore, *, api: str, developer_id: str,
                         app_id: str, app_secret: str | None = None) -> None:
    """Store the real NEXhome app: ids in the settings file, the app secret in the secret
    store (None keeps the stored one). Blocking: call it off the loop."""
    settings.nexhome.api = api.strip().rstrip("/")
    settings.nexhome.developer_id = developer_id.strip()
    settings.nexhome.app_id = app_id.strip()
    settings.save()
    if app_secret is not None and app_secret.strip():
        secrets.set(NEXHOME_APP_SECRET_KEY, app_secret.strip())


def save_nxcloud_account(settings: Settings, secrets: SecretStore, *, access_key: str, app_key: str,
                         business_phone: str | None = None, access_secret: str | None = None) -> None:
    """Store the real NXCloud account: keys in the settings file, the access secret in the
    secret store (None keeps the stored one). Blocking: call it off the loop."""
    settings.nxcloud.access_key = access_key.strip()
    settings.nxcloud.app_key = app_key.strip()
    if business_phone is not None:
        settings.nxcloud.business_phone = business_phone.strip()
    settings.save()
    if access_secret is not None and access_secret.strip():
        secrets.set(NXCLOUD_ACCESS_SECRET_KEY, access_secret.strip())


@dataclass(frozen=True)
class EwelinkEndpoints:
    region: str
    appid: str
    appsecret: str
    # base URL per region when not the vendor's own hosts
    regions: dict[str, str] = field(default_factory=dict)
    # {"serverName", "port"} a paired device registers with, on a simulated site
    dispatch: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NuheatEndpoints:
    issuer: str
    api: str
    client_id: str
    client_secret: str = ""
    redirect_port: int = 0
    # a simulated site publishes its demo account: signing in fills its login form
    demo_username: str = ""
    demo_password: str = ""

    @property
    def demo_credentials(self) -> tuple[str, str] | None:
        if self.demo_username and self.demo_password:
            return self.demo_username, self.demo_password
        return None

    @classmethod
    def from_description(cls, raw: Any) -> "NuheatEndpoints | None":
        if not isinstance(raw, dict) or not raw.get("issuer") or not raw.get("api"):
            return None
        return cls(issuer=str(raw["issuer"]), api=str(raw["api"]), client_id=str(raw.get("client_id") or ""),
                   client_secret=str(raw.get("client_secret") or ""),
                   demo_username=str(raw.get("username") or ""), demo_password=str(raw.get("password") or ""))


@dataclass(frozen=True)
class NexhomeEndpoints:
    api: str
    developer_id: str
    app_id: str
    app_secret: str

    @property
    def configured(self) -> bool:
        return bool(self.api and self.developer_id and self.app_id and self.app_secret)

    @classmethod
    def from_description(cls, raw: Any) -> "NexhomeEndpoints | None":
        if not isinstance(raw, dict) or not raw.get("api"):
            return None
        return cls(api=str(raw["api"]), developer_id=str(raw.get("developer_id") or ""),
                   app_id=str(raw.get("app_id") or ""), app_secret=str(raw.get("app_secret") or ""))


@dataclass(frozen=True)
class NxcloudEndpoints:
    api: str
    access_key: str
    access_secret: str
    app_key: str
    business_phone: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.api and self.access_key and self.access_secret and self.app_key)

    @classmethod
    def from_description(cls, raw: Any) -> "NxcloudEndpoints | None":
        if not isinstance(raw, dict) or not raw.get("api"):
            return None
        return cls(api=str(raw["api"]), access_key=str(raw.get("access_key") or ""),
                   access_secret=str(raw.get("access_secret") or ""),
                   app_key=str(raw.get("app_key") or ""),
                   business_phone=str(raw.get("business_phone") or ""))


@dataclass(frozen=True)
class SiteProfile:
    key: str  # namespaces stored tokens: "real", "demo", "site-<hash>"
    label: str  # shown in the status bar and the CLI
    ewelink: EwelinkEndpoints
    demo_credentials: tuple[str, str, str] | None = None  # (region, account, password)
    remember_tokens: bool = True  # the demo site forgets everything when it stops
    nuheat: NuheatEndpoints | None = None
    nexhome: NexhomeEndpoints | None = None
    nxcloud: NxcloudEndpoints | None = None

    @property
    def is_simulated(self) -> bool:
        return self.demo_credentials is not None

    @classmethod
    def from_description(cls, description: dict[str, Any], *, key: str, label: str,
                         remember_tokens: bool = True) -> "SiteProfile":
        """A profile from the JSON `sitekit sim` prints (and `DemoSite.describe()`)."""
        try:
            ew = description["ewelink"]
            region = str(ew.get("region", "eu"))
            regions = dict(ew.get("regions") or {region: ew["api"]})
            endpoints = EwelinkEndpoints(region=region, appid=str(ew["appid"]),
                                         appsecret=str(ew["appsecret"]), regions=regions,
                                         dispatch=dict(ew.get("dispatch") or {}))
            creds = None
            account = ew.get("email") or ew.get("phone")
            if account and ew.get("password"):
                creds = (region, str(account), str(ew["password"]))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"The site description has no usable eWeLink part ({exc}).",
                              hint="Use the JSON line that `sitekit sim` printed.") from None
        return cls(key=key, label=label, ewelink=endpoints, demo_credentials=creds,
                   remember_tokens=remember_tokens,
                   nuheat=NuheatEndpoints.from_description(description.get("nuheat")),
                   nexhome=NexhomeEndpoints.from_description(description.get("nexhome")),
                   nxcloud=NxcloudEndpoints.from_description(description.get("nxcloud")))

    @classmethod
    def from_file(cls, path: Path) -> "SiteProfile":
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"Cannot read the site file {path}: {exc.strerror or exc}.",
                              hint="Check the path; it should hold the line `sitekit sim` printed.") from None
        line = next((ln for ln in text.splitlines() if ln.strip().startswith("{")), "")
        try:
            description = json.loads(line)
        except ValueError:
            raise ConfigError(f"The site file {path} does not hold a JSON site description.",
                              hint="Save the one JSON line `sitekit sim` prints into it.") from None
        digest = hashlib.sha256(json.dumps(description.get("ewelink", {}), sort_keys=True)
                                .encode()).hexdigest()[:12]
        return cls.from_description(description, key=f"site-{digest}", label=f"Site {path.name}")

    @classmethod
    def real(cls, settings: Settings, secrets: SecretStore) -> "SiteProfile":
        ew = settings.ewelink
        endpoints = EwelinkEndpoints(region=ew.region, appid=ew.appid,
                                     appsecret=secrets.get(APPSECRET_KEY) or "",
                                     regions=dict(ew.api_overrides))
        nh = settings.nuheat
        nuheat = NuheatEndpoints(issuer=nh.issuer, api=nh.api, client_id=nh.client_id,
                                 client_secret=secrets.get(NUHEAT_CLIENT_SECRET_KEY) or "",
                                 redirect_port=nh.redirect_port)
        nx = settings.nexhome
        nexhome = NexhomeEndpoints(api=nx.api, developer_id=nx.developer_id, app_id=nx.app_id,
                                   app_secret=secrets.get(NEXHOME_APP_SECRET_KEY) or "")
        nc = settings.nxcloud
        nxcloud = NxcloudEndpoints(api=nc.api, access_key=nc.access_key,
                                   access_secret=secrets.get(NXCLOUD_ACCESS_SECRET_KEY) or "",
                                   app_key=nc.app_key, business_phone=nc.business_phone)
        return cls(key="real", label="Vendor clouds", ewelink=endpoints, nuheat=nuheat,
                   nexhome=nexhome, nxcloud=nxcloud)
