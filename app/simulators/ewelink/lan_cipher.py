"""The simulated Sonoff's side of eWeLink LAN encryption: AES-128-CBC, key = MD5(devicekey).

This is deliberately written apart from the client's `app/vendors/ewelink/lan_crypto.py`:
the simulator is an independent implementation of the same rules (protocol notes, "LAN
mode"), so a test where the client talks to the simulator checks both against each other
and against `tests/vectors/lan-and-pkce.json`, not one module against itself.

Wire form: the IV and the ciphertext travel as base64 text; the plaintext is the params
JSON padded with PKCS#7.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK_BYTES = 16


class CipherError(ValueError):
    """The body could not be decrypted (bad base64, bad IV, bad padding: a wrong key)."""


def key_for(devicekey: str) -> bytes:
    return hashlib.md5(devicekey.encode("utf-8")).digest()


def encrypt(devicekey: str, plaintext: bytes | str, iv: bytes | None = None) -> tuple[str, str]:
    """(iv_b64, data_b64); a fresh random IV unless one is given (tests use fixed ones)."""
    if isinstance(plaintext, str):
        plaintext = plaintext.encode("utf-8")
    iv = os.urandom(BLOCK_BYTES) if iv is None else iv
    if len(iv) != BLOCK_BYTES:
        raise ValueError("the IV must be 16 bytes")
    padder = padding.PKCS7(BLOCK_BYTES * 8).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key_for(devicekey)), modes.CBC(iv)).encryptor()
    data = encryptor.update(padded) + encryptor.finalize()
    return base64.b64encode(iv).decode("ascii"), base64.b64encode(data).decode("ascii")


def decrypt(devicekey: str, iv_b64: str, data_b64: str) -> bytes:
    """The plaintext bytes; raises CipherError when it cannot be decrypted with this key."""
    try:
        iv = base64.b64decode(iv_b64, validate=True)
        data = base64.b64decode(data_b64, validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise CipherError("iv/data are not base64") from exc
    if len(iv) != BLOCK_BYTES:
        raise CipherError("the IV is not 16 bytes")
    if not data or len(data) % BLOCK_BYTES:
        raise CipherError("the ciphertext is not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key_for(devicekey)), modes.CBC(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(BLOCK_BYTES * 8).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError as exc:  # what a wrong key almost always looks like
        raise CipherError("bad padding: wrong device key?") from exc
