"""User settings: a TOML file in the user config folder. Never holds secrets.

Settings are a small typed tree; unknown keys in the file are kept as they are so an
older SiteKit does not erase what a newer one wrote.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli_w

from app.core import paths


@dataclass
class EwelinkSettings:
    region: str = "eu"
    appid: str = ""
    # email or phone number (with country code) last used to sign in
    account: str = ""
    # Base URL per region, when not the vendor's own ("{region}-api.coolkit.cc:8080").
    api_overrides: dict[str, str] = field(default_factory=dict)
    # Where a newly paired device registers. The v1 guide says {region}-disp.coolkit.cc,
    # CoolKit's v2 guide {region}-dispd.coolkit.cc: a setting, not a constant.
    dispatch_server: str = "{region}-disp.coolkit.cc"
    dispatch_port: int = 443


@dataclass
class NuheatSettings:
    # The client secret (a confidential client) lives in the secret store, not here.
    issuer: str = "https://identity.nam.mynuheat.com"
    api: str = "https://api.nam.mynuheat.com"
    client_id: str = ""
    redirect_port: int = 0  # 0: any free loopback port; set one if the client registration needs it


@dataclass
class NexhomeSettings:
    # The app secret lives in the secret store, not here.
    api: str = ""  # the NEXhome open platform's base URL, as NEXhome gives it with the credentials
    developer_id: str = ""
    app_id: str = ""


@dataclass
class NxcloudSettings:
    # The access secret lives in the secret store, not here.
    api: str = "https://api2.nxcloud.com"
    access_key: str = ""
    app_key: str = ""
    business_phone: str = ""  # the WhatsApp Business number messages are sent from


@dataclass
class HttpSettings:
    timeout_seconds: float = 15.0
    ca_bundle: str = ""  # a PEM file for sites behind a TLS-inspecting proxy


@dataclass
class Settings:
    ewelink: EwelinkSettings = field(default_factory=EwelinkSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    nuheat: NuheatSettings = field(default_factory=NuheatSettings)
    nexhome: NexhomeSettings = field(default_factory=NexhomeSettings)
    nxcloud: NxcloudSettings = field(default_factory=NxcloudSettings)
    temperature_unit: str = "C"
    operator: str = ""  # who signs the audit trail; "" = the OS user name
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> "Settings":
        path = path or paths.settings_file()
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "Settings":
        raw = dict(raw)
        ewelink = _build(EwelinkSettings, raw.pop("ewelink", {}))
        http = _build(HttpSettings, raw.pop("http", {}))
        nuheat = _build(NuheatSettings, raw.pop("nuheat", {}))
        nexhome = _build(NexhomeSettings, raw.pop("nexhome", {}))
        nxcloud = _build(NxcloudSettings, raw.pop("nxcloud", {}))
        unit = str(raw.pop("temperature_unit", "C"))
        operator = str(raw.pop("operator", "") or "")
        return cls(ewelink=ewelink, http=http, nuheat=nuheat, nexhome=nexhome, nxcloud=nxcloud,
                   temperature_unit=unit, operator=operator, extra=raw)

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.extra)
        data["ewelink"] = asdict(self.ewelink)
        data["http"] = asdict(self.http)
        data["nuheat"] = asdict(self.nuheat)
        data["nexhome"] = asdict(self.nexhome)
        data["nxcloud"] = asdict(self.nxcloud)
        data["temperature_unit"] = self.temperature_unit
        data["operator"] = self.operator
        return data

    def save(self, path: Path | None = None) -> None:
        path = path or paths.settings_file()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(tomli_w.dumps(self.to_dict()), encoding="utf-8")
        os.replace(tmp, path)  # never leave a half-written settings file


def _build(kind: type, raw: Any) -> Any:
    if not isinstance(raw, dict):
        return kind()
    known = {f.name for f in fields(kind)}
    return kind(**{k: v for k, v in raw.items() if k in known})
