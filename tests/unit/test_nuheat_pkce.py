"""PKCE S256 against RFC 7636 Appendix B, and fresh verifiers."""

import json
import re
from pathlib import Path

import pytest

from app.vendors.nuheat.auth import Pkce

VECTOR = json.loads((Path(__file__).parents[1] / "vectors" / "lan-and-pkce.json").read_text())[
    "pkce_rfc7636_appendix_b"]


def test_rfc7636_appendix_b():
    pkce = Pkce.from_verifier(VECTOR["code_verifier"])
    assert pkce.challenge == VECTOR["code_challenge_S256"]
    assert pkce.method == "S256"


def test_generated_verifiers_are_valid_and_fresh():
    first, second = Pkce.generate(), Pkce.generate()
    assert first.verifier != second.verifier
    for pkce in (first, second):
        assert re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", pkce.verifier)
        assert Pkce.from_verifier(pkce.verifier).challenge == pkce.challenge
        assert "=" not in pkce.challenge


@pytest.mark.parametrize("length", [42, 129])
def test_verifier_length_is_checked(length):
    with pytest.raises(ValueError):
        Pkce.from_verifier("a" * length)
