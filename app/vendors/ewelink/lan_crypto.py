"""eWeLink LAN mode encryption: AES-128-CBC with the device key.

What the devices do (AlexxIT/SonoffLAN `core/ewelink/local.py`, itead's DIY tool):
key = MD5(devicekey as UTF-8) (16 raw bytes), a random 16-byte IV, PKCS#7 padding,
base64 of the ciphertext. The plaintext is the params JSON. The same scheme protects the
`data1..N` of mDNS TXT records and the bodies of `/zeroconf/<command>` requests.

The AES itself comes from the `cryptography` package: a well-kept implementation, never
hand-written.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from app.core.errors import ProtocolError

BLOCK_BYTES = 16


class LanCryptoError(ProtocolError):
    """Ciphertext or IV that cannot be AES-128-CBC data at all (not: a wrong key)."""


def device_key(devicekey: str) -> bytes:
    """The AES key: MD5 of the device key's UTF-8 bytes."""
    # surrogatepass: a key that arrived with lone surrogates (JSON allows "\ud800") still
    # gives a key, which then fails to decrypt as a ProtocolError instead of crashing here.
    raw = devicekey.encode("utf-8", "surrogatepass")
    return hashlib.md5(raw).digest()  # noqa: S324 (the protocol's choice)


def encrypt(devicekey: str, plaintext: bytes | str, iv: bytes | None = None) -> tuple[str, str]:
    """(iv_b64, data_b64) for `plaintext`; a fresh random IV unless one is given."""
    if isinstance(plaintext, str):
        plaintext = plaintext.encode("utf-8")
    iv = os.urandom(BLOCK_BYTES) if iv is None else iv
    if len(iv) != BLOCK_BYTES:
        raise ValueError("the IV must be 16 bytes")
    padder = padding.PKCS7(BLOCK_BYTES * 8).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(device_key(devicekey)), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    return _b64(iv), _b64(ciphertext)


def decrypt(devicekey: str, iv_b64: str, data_b64: str) -> bytes:
    """The plaintext bytes, padding removed.

    Some firmware leaves stray `\\x02` bytes in front of the padding, and some pads
    sloppily: when the PKCS#7 padding is not exact we strip trailing control bytes
    instead of failing, because the caller's JSON parse tells a wrong key from a quirk.
    """
    iv = _unb64(iv_b64, "IV")
    ciphertext = _unb64(data_b64, "data")
    if len(iv) != BLOCK_BYTES:
        raise LanCryptoError(f"The device sent a {len(iv)}-byte IV; AES-CBC needs 16.",
                             hint="The device's firmware may use another LAN protocol.")
    if not ciphertext or len(ciphertext) % BLOCK_BYTES:
        raise LanCryptoError(
            f"The device sent {len(ciphertext)} bytes of encrypted data, which is not "
            f"whole AES blocks.",
            hint="Part of the data may be missing (an mDNS record cut short); try again.")
    decryptor = Cipher(algorithms.AES(device_key(devicekey)), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(BLOCK_BYTES * 8).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        plain = padded.rstrip(bytes(range(0, BLOCK_BYTES + 1)))
    return plain.rstrip(b"\x02")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str | bytes, what: str) -> bytes:
    if isinstance(text, str):
        text = text.strip().encode("ascii", "replace")
    # Some devices drop the trailing '=' padding: put it back before decoding.
    text = text + b"=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise LanCryptoError(f"The device's encrypted {what} is not valid base64.",
                             hint="The record may be damaged; try again.") from None
