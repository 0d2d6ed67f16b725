"""What the simulated eWeLink cloud remembers: accounts, devices, tokens, and the demo seed.

The seed is fixed (SEED below) so a demo looks the same every time; keys derived from it
(user apikeys, devicekeys, ids) are stable uuid5 values, so a client that cached them
across a simulator restart still finds its devices.

Token rules (guide, "Descriptions of at and rt"): `at` lives 30 days, `rt` 60 days; every
login issues a new pair and supersedes every earlier pair of the account, and a refresh
supersedes the pair it came from. A superseded token answers 401, an expired one 402.
Expiry is measured on the simulator clock, so a clock-offset fault ages tokens too.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from app.simulators.ewelink import devices as device_rules

DEMO_PASSWORD = "sitekit-demo"
ACCESS_TOKEN_SECONDS = 30 * 24 * 3600
REFRESH_TOKEN_SECONDS = 60 * 24 * 3600

# A fixed namespace: derived keys stay the same across runs of the simulator.
_NAMESPACE = uuid.UUID("5e1c0a7e-0000-4000-8000-00000000e4e1")


@dataclass(frozen=True)
class SeedDevice:
    deviceid: str
    name: str
    uiid: int
    online: bool = True
    params: Mapping[str, Any] = field(default_factory=dict)  # overrides of the uiid defaults


@dataclass(frozen=True)
class SeedAccount:
    region: str
    password: str
    email: str | None = None
    phone_number: str | None = None
    nickname: str = ""
    devices: tuple[SeedDevice, ...] = ()

    @property
    def login(self) -> str:
        """What a user types to sign in: the email, or the phone number."""
        return self.email or self.phone_number or ""


SEED: tuple[SeedAccount, ...] = (
    SeedAccount(
        region="eu", email="demo@sitekit.example", password=DEMO_PASSWORD, nickname="SiteKit demo",
        devices=(
            SeedDevice("1000aa0001", "Hall light", 1, params={"switch": "off"}),
            SeedDevice("1000aa0002", "Kitchen 2-gang", 2),
            SeedDevice("1000aa0003", "Stairs 3-gang", 3),
            SeedDevice("1000aa0004", "Plant room 4-gang", 4),
            SeedDevice("1000aa0005", "Heat pump plug", 32),
            SeedDevice("1000aa0006", "Loft sensor", 15),
            SeedDevice("1000aa0007", "Garage light", 1, online=False),
        )),
    SeedAccount(
        region="us", email="us@sitekit.example", password=DEMO_PASSWORD, nickname="SiteKit US",
        devices=(SeedDevice("1000bb0001", "Porch light", 1),)),
    SeedAccount(
        region="as", phone_number="+8613800000001", password=DEMO_PASSWORD, nickname="SiteKit Asia",
        devices=(SeedDevice("1000cc0001", "Shop sign", 1),)),
)


def _derived(kind: str, name: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{kind}:{name}")


def iso(ts: float) -> str:
    """The guide's timestamp style: 2019-10-15T07:22:11.700Z."""
    moment = datetime.fromtimestamp(ts, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Account:
    id: str  # the user `_id` (24 hex, like CoolKit's Mongo ids)
    region: str
    password: str
    email: str | None
    phone_number: str | None
    nickname: str
    apikey: str  # the user apikey (uuid)
    created_at: float

    @property
    def login(self) -> str:
        return self.email or self.phone_number or ""

    def password_matches(self, password: Any) -> bool:
        return isinstance(password, str) and hmac.compare_digest(
            password.encode("utf-8"), self.password.encode("utf-8"))

    def to_wire(self, appid: str) -> dict[str, Any]:
        """The `user` object of the login reply (guide, step 1)."""
        user: dict[str, Any] = {"_id": self.id}
        if self.email:
            user["email"] = self.email
        if self.phone_number:
            user["phoneNumber"] = self.phone_number
        user.update({
            "appId": appid, "lang": "en", "online": False, "nickname": self.nickname,
            "appInfos": [{"appVersion": "4.0.0", "os": "sitekit"}],
            "createdAt": iso(self.created_at), "apikey": self.apikey,
        })
        return user


@dataclass
class SimDevice:
    deviceid: str
    name: str
    uiid: int
    owner_id: str | None  # None: made and known to the cloud, not on any account yet
    owner_apikey: str | None
    devicekey: str
    online: bool
    params: dict[str, Any]
    created_at: float
    unresponsive: bool = False  # accepts nothing: commands end in 504 after device_timeout
    chipid: str = ""  # as the device reports it in AP mode; "" for seeded devices

    @property
    def kind(self) -> str:
        return device_rules.kind_of(self.uiid)

    def to_wire(self) -> dict[str, Any]:
        """One entry of `devicelist`, in the guide's shape (step 2)."""
        info = device_rules.catalogue(self.uiid)
        mac = ":".join(self.deviceid[i:i + 2] for i in range(0, 10, 2)) + ":e1"
        hex_id = _derived("device-id", self.deviceid).hex[:24]
        return {
            "_id": hex_id,
            "name": self.name,
            "type": "10",
            "deviceid": self.deviceid,
            "apikey": self.owner_apikey,
            "extra": {"_id": _derived("extra-id", self.deviceid).hex[:24], "extra": {
                "uiid": self.uiid, "model": info.model, "ui": info.ui,
                "description": info.product_model, "manufacturer": "SONOFF (simulated)",
                "mac": mac, "apmac": mac, "modelInfo": hex_id, "brandId": "5c4c1aee3a7d24c7100be054",
                "staMac": mac.upper(), "chipid": self.chipid or self.deviceid[-6:].upper(),
            }},
            "__v": 0,
            "onlineTime": iso(self.created_at),
            "ip": "127.0.0.1",
            "location": "",
            "settings": {"opsNotify": 0, "opsHistory": 1, "alarmNotify": 1, "wxAlarmNotify": 0,
                         "wxOpsNotify": 0, "wxDoorbellNotify": 0, "appDoorbellNotify": 1},
            "devGroups": [],
            "groups": [],
            "params": device_rules.copy_params(self.params),
            "online": self.online,
            "createdAt": iso(self.created_at),
            "group": "",
            "sharedTo": [],
            "devicekey": self.devicekey,
            "deviceUrl": "",
            "brandName": "SONOFF",
            "showBrand": True,
            "brandLogoUrl": "",
            "productModel": info.product_model,
            "devConfig": {},
            "uiid": self.uiid,
        }


@dataclass
class Token:
    value: str
    kind: str  # "at" | "rt"
    account_id: str
    expires_at: float
    superseded: bool = False


class TokenStore:
    """Access and refresh tokens; `check` says ok / unknown / superseded / expired."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._tokens: dict[str, Token] = {}

    def issue(self, account_id: str) -> tuple[str, str]:
        """A fresh at/rt pair; every earlier pair of the account stops working."""
        for token in self._tokens.values():
            if token.account_id == account_id:
                token.superseded = True
        now = self._now()
        at, rt = secrets.token_hex(20), secrets.token_hex(20)
        self._tokens[at] = Token(at, "at", account_id, now + ACCESS_TOKEN_SECONDS)
        self._tokens[rt] = Token(rt, "rt", account_id, now + REFRESH_TOKEN_SECONDS)
        return at, rt

    def check(self, value: Any, kind: str) -> tuple[str, str | None]:
        """(status, account_id): status is "ok", "unknown", "superseded" or "expired"."""
        token = self._tokens.get(value) if isinstance(value, str) else None
        if token is None or token.kind != kind:
            return "unknown", None
        if token.superseded:
            return "superseded", token.account_id
        if token.expires_at <= self._now():
            return "expired", token.account_id
        return "ok", token.account_id

    def expire(self, kind: str) -> None:
        """Every live token of this kind is now past its expiry."""
        past = self._now() - 1
        for token in self._tokens.values():
            if token.kind == kind and not token.superseded:
                token.expires_at = min(token.expires_at, past)


class CloudState:
    """Accounts and devices, shared by every region of one simulator."""

    def __init__(self, now: Callable[[], float]) -> None:
        self.now = now
        self.accounts: dict[str, Account] = {}
        self.devices: dict[str, SimDevice] = {}
        self.tokens = TokenStore(now)

    def add_account(self, seed: SeedAccount) -> Account:
        login = seed.login
        if not login:
            raise ValueError("an account needs an email or a phone number")
        if self.find_account(login) is not None:
            raise ValueError(f"account {login!r} already exists")
        created = self.now() - 90 * 24 * 3600
        account = Account(
            id=_derived("user-id", login).hex[:24], region=seed.region, password=seed.password,
            email=seed.email, phone_number=seed.phone_number, nickname=seed.nickname or login,
            apikey=str(_derived("user-apikey", login)), created_at=created)
        self.accounts[account.id] = account
        for spec in seed.devices:
            self.add_device(account, spec)
        return account

    def add_device(self, account: Account, spec: SeedDevice) -> SimDevice:
        if spec.deviceid in self.devices:
            raise ValueError(f"device {spec.deviceid} already exists")
        params = device_rules.default_params(spec.deviceid, spec.uiid)
        params.update(device_rules.copy_params(dict(spec.params)))
        device = SimDevice(
            deviceid=spec.deviceid, name=spec.name, uiid=spec.uiid, owner_id=account.id,
            owner_apikey=account.apikey, devicekey=str(_derived("devicekey", spec.deviceid)),
            online=spec.online, params=params, created_at=self.now() - 30 * 24 * 3600)
        self.devices[device.deviceid] = device
        return device

    def manufacture(self, deviceid: str, devicekey: str, chipid: str, uiid: int) -> SimDevice:
        """A device the cloud knows exists (it left the factory) but no account holds yet.

        Making the same device twice (same key) returns it; a different key is a mistake.
        """
        existing = self.devices.get(deviceid)
        if existing is not None:
            if existing.devicekey != devicekey or existing.uiid != uiid:
                raise ValueError(f"device {deviceid} already exists with another key or uiid")
            existing.chipid = existing.chipid or chipid
            return existing
        device = SimDevice(
            deviceid=deviceid, name="", uiid=uiid, owner_id=None, owner_apikey=None,
            devicekey=devicekey, online=False, params=device_rules.default_params(deviceid, uiid),
            created_at=self.now(), chipid=chipid)
        self.devices[deviceid] = device
        return device

    def claim(self, device: SimDevice, account: Account, name: str) -> None:
        """Put an unowned device on an account (the add-device call)."""
        if device.owner_id is not None:
            raise ValueError(f"device {device.deviceid} already belongs to an account")
        device.owner_id, device.owner_apikey, device.name = account.id, account.apikey, name
        device.created_at = self.now()

    def find_account(self, login: Any) -> Account | None:
        if not isinstance(login, str) or not login:
            return None
        wanted = login.strip().lower()
        for account in self.accounts.values():
            if (account.email or "").lower() == wanted or (account.phone_number or "") == login.strip():
                return account
        return None

    def devices_of(self, account_id: str) -> list[SimDevice]:
        return [d for d in self.devices.values() if d.owner_id == account_id]
