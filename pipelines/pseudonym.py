"""Keyed pseudonyms: personal codes and staff names never enter the warehouse.

HMAC-SHA256 with a secret key gives the same pupil the same pseudonym in every school and
month, yet nobody without the key can test a guessed personal code against the warehouse.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

KEY_ENV = "ATBALSTS_PSEUDONYM_KEY"
# Documented, public, and therefore only for the generated sample data (`--demo-key`).
DEMO_KEY = "atbalsts-demo-key-NOT-SECRET-sample-data-only"
PSEUDONYM_HEX_DIGITS = 16


class MissingKeyError(RuntimeError):
    """No pseudonym key configured: real data must not be processed without one."""


def load_key(key_file: str | Path | None, *, demo: bool = False) -> bytes:
    """The key from the environment, else the key file, else the demo key if asked for."""
    if demo:
        return DEMO_KEY.encode()
    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        return env.encode()
    if key_file:
        path = Path(key_file).expanduser()
        if path.is_file():
            text = path.read_text(encoding="utf-8").strip()
            if text:
                return text.encode()
    raise MissingKeyError(
        f"Nav pseidonimizācijas atslēgas: iestatiet {KEY_ENV} vai ierakstiet atslēgu failā "
        f"{key_file}. Parauga datiem izmantojiet --demo-key. / No pseudonym key: set {KEY_ENV} "
        f"or put a key in {key_file}; for the sample data use --demo-key."
    )


def pseudonym(key: bytes, value: str, namespace: str = "pupil") -> str:
    digest = hmac.new(key, f"{namespace}:{value}".encode(), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_HEX_DIGITS]
