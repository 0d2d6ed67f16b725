"""eWeLink LAN AES-128-CBC against the known values in tests/vectors/lan-and-pkce.json."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from app.vendors.ewelink.lan_crypto import LanCryptoError, decrypt, device_key, encrypt

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "lan-and-pkce.json")
                     .read_text(encoding="utf-8"))
AES_CASES = VECTORS["aes"]


@pytest.mark.parametrize("case", AES_CASES, ids=lambda c: c["plaintext"][:20])
def test_key_is_md5_of_the_devicekey(case):
    assert device_key(case["devicekey"]).hex() == case["key_md5_hex"]


@pytest.mark.parametrize("case", AES_CASES, ids=lambda c: c["plaintext"][:20])
def test_encrypt_with_a_given_iv_matches_the_vector(case):
    iv = base64.b64decode(case["iv_base64"])
    assert encrypt(case["devicekey"], case["plaintext"], iv) == (
        case["iv_base64"], case["ciphertext_base64"])
    # bytes in, same out
    assert encrypt(case["devicekey"], case["plaintext"].encode(), iv)[1] == case["ciphertext_base64"]


@pytest.mark.parametrize("case", AES_CASES, ids=lambda c: c["plaintext"][:20])
def test_decrypt_matches_the_vector(case):
    plain = decrypt(case["devicekey"], case["iv_base64"], case["ciphertext_base64"])
    assert plain == case["plaintext"].encode()


def test_encrypt_picks_a_fresh_iv_and_round_trips():
    key = AES_CASES[0]["devicekey"]
    iv1, data1 = encrypt(key, '{"switch":"on"}')
    iv2, data2 = encrypt(key, '{"switch":"on"}')
    assert iv1 != iv2 and data1 != data2
    assert len(base64.b64decode(iv1)) == 16
    assert decrypt(key, iv2, data2) == b'{"switch":"on"}'


def test_stray_0x02_bytes_before_the_padding_are_stripped():
    key = AES_CASES[0]["devicekey"]
    iv = bytes(16)
    _, data = encrypt(key, b'{"switch":"on"}\x02\x02', iv)
    assert decrypt(key, base64.b64encode(iv).decode(), data) == b'{"switch":"on"}'


def test_sloppy_padding_is_tolerated():
    # Some firmware pads with zeros instead of PKCS#7: strict unpadding fails, we strip.
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = AES_CASES[0]["devicekey"]
    iv = bytes(range(16))
    plain = b'{"switch":"off"}' + bytes(16)  # 16 + 16 zero bytes
    enc = Cipher(algorithms.AES(device_key(key)), modes.CBC(iv)).encryptor()
    data = base64.b64encode(enc.update(plain) + enc.finalize()).decode()
    assert decrypt(key, base64.b64encode(iv).decode(), data) == b'{"switch":"off"}'


def test_missing_base64_padding_is_put_back():
    case = AES_CASES[1]
    assert decrypt(case["devicekey"], case["iv_base64"].rstrip("="),
                   case["ciphertext_base64"].rstrip("=")) == case["plaintext"].encode()


@pytest.mark.parametrize("iv, data, words", [
    ("AAECAwQFBgcICQoLDA0ODw==", "not base64!!", "base64"),
    ("AAECAw==", "N9EVlvT3ry8l1e9Up4CXnQ==", "IV"),
    ("AAECAwQFBgcICQoLDA0ODw==", "N9EVlvT3ry8l1e9Up4CX", "whole AES blocks"),
    ("AAECAwQFBgcICQoLDA0ODw==", "", "whole AES blocks"),
])
def test_damaged_input_raises_a_readable_error(iv, data, words):
    with pytest.raises(LanCryptoError) as info:
        decrypt("key", iv, data)
    assert words in info.value.message


def test_a_wrong_key_gives_garbage_not_the_plaintext():
    case = AES_CASES[0]
    assert decrypt("wrong-key", case["iv_base64"], case["ciphertext_base64"]) != (
        case["plaintext"].encode())
