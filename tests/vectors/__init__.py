"""Test vectors, copied from the project's shared/vectors so a clean clone has them."""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load(name: str) -> dict:
    return json.loads((HERE / name).read_text(encoding="utf-8"))
