"""Keyed pseudonyms: personal codes and staff names never enter the warehouse.

HMAC-SHA256 with a secret key gives the same pupil the same pseudonym in every school and
month, yet nobody without the key can test a guessed personal code against the warehouse.
That only holds for a key that cannot be guessed itself: the personal-code space is small, so
with a 1-character key every code of a birth month can be tried in under a second. Keys
shorter than MIN_KEY_LENGTH are refused.

A warehouse remembers which key built it (key_fingerprint, in meta.pseudonym_key): the same
pupil under another key gets another pseudonym, so mixing keys would silently count pupils twice.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import duckdb

KEY_ENV = "ATBALSTS_PSEUDONYM_KEY"
# Documented, public, and therefore only for the generated sample data (`--demo-key`).
DEMO_KEY = "atbalsts-demo-key-NOT-SECRET-sample-data-only"
PSEUDONYM_HEX_DIGITS = 16
MIN_KEY_LENGTH = 32  # characters; secrets.token_urlsafe(32) gives 43
MAKE_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
# The fingerprint is the HMAC of this fixed label: it identifies the key without revealing it.
FINGERPRINT_LABEL = b"atbalsts pseudonym key fingerprint v1"


class KeyProblem(RuntimeError):
    """The pseudonym key cannot be used; the message says why and what to do, in one line."""


class MissingKeyError(KeyProblem):
    """No pseudonym key configured: real data must not be processed without one."""


def _configured_key(key_file: str | Path | None) -> tuple[str, str] | None:
    """(key, where it came from) of a real key, from the environment or else the key file."""
    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        return env, f"{KEY_ENV}"
    if key_file:
        path = Path(key_file).expanduser()
        if path.is_file():
            text = path.read_text(encoding="utf-8").strip()
            if text:
                return text, str(path)
    return None


def load_key(key_file: str | Path | None, *, demo: bool = False) -> bytes:
    """The key from the environment, else the key file, else the demo key if asked for.

    Asking for the demo key while a real key is configured is refused: the public demo key on
    real data would make every pseudonym reversible by anyone who reads the README."""
    configured = _configured_key(key_file)
    if demo:
        if configured is not None:
            raise KeyProblem(
                f"--demo-key atteikts: ir iestatīta īstā pseidonimizācijas atslēga ({configured[1]}); publiskā demo "
                f"atslēga ir tikai parauga datiem. / --demo-key refused: a real pseudonym key is configured "
                f"({configured[1]}); the public demo key is for the sample data only."
            )
        return DEMO_KEY.encode()
    if configured is None:
        raise MissingKeyError(
            f"Nav pseidonimizācijas atslēgas: iestatiet {KEY_ENV} vai ierakstiet atslēgu failā "
            f"{key_file}. Parauga datiem izmantojiet --demo-key. / No pseudonym key: set {KEY_ENV} "
            f"or put a key in {key_file}; for the sample data use --demo-key."
        )
    text, source = configured
    if text == DEMO_KEY:  # printed in the code and docs: on real data every pseudonym would be reversible
        raise KeyProblem(
            f"Pseidonimizācijas atslēga ({source}) ir publiskā demo atslēga: īstiem datiem izveidojiet savu ar "
            f"{MAKE_KEY} / The pseudonym key ({source}) is the public demo key: for real data make your own with "
            f"{MAKE_KEY}"
        )
    check_key_strength(text.encode(), source)
    return text.encode()


def check_key_strength(key: bytes, source: str = "") -> None:
    """Refuse a key that is short enough to be guessed (see the module docstring)."""
    length = len(key.decode("utf-8", errors="replace"))
    if length >= MIN_KEY_LENGTH:
        return
    where = f" ({source})" if source else ""
    raise KeyProblem(
        f"Pseidonimizācijas atslēga{where} ir par īsu: {length} zīmes, vajag vismaz {MIN_KEY_LENGTH}; izveidojiet "
        f"jaunu ar {MAKE_KEY} / The pseudonym key{where} is too short: {length} characters, at least "
        f"{MIN_KEY_LENGTH} needed; make one with {MAKE_KEY}"
    )


def pseudonym(key: bytes, value: str, namespace: str = "pupil") -> str:
    digest = hmac.new(key, f"{namespace}:{value}".encode(), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_HEX_DIGITS]


def key_fingerprint(key: bytes) -> str:
    """Identifies the key (same key, same fingerprint) without revealing it: HMAC of a fixed label."""
    return hmac.new(key, FINGERPRINT_LABEL, hashlib.sha256).hexdigest()


DEMO_FINGERPRINT = key_fingerprint(DEMO_KEY.encode())


def check_warehouse_key(con: duckdb.DuckDBPyConnection, key: bytes, run_id: str) -> None:
    """The key must be the one the warehouse was built with; the first use records it.

    Why: another key gives every pupil another pseudonym, so the same pupils would be loaded a
    second time under new ids and every count would double, without any error."""
    check_key_strength(key)
    fingerprint = key_fingerprint(key)
    stored = [row[0] for row in con.execute("select fingerprint from meta.pseudonym_key").fetchall()]
    if not stored:
        con.execute(
            "insert into meta.pseudonym_key (fingerprint, demo, first_run_id, recorded_at) values (?, ?, ?, now())",
            [fingerprint, fingerprint == DEMO_FINGERPRINT, run_id],
        )
        return
    if fingerprint in stored:
        return
    if DEMO_FINGERPRINT in stored:
        raise KeyProblem(
            "Šī noliktava ir veidota ar publisko demo atslēgu (--demo-key): īstos datus tajā neielādējiet, izmantojiet "
            "citu --out mapi. / This warehouse was built with the public demo key (--demo-key): do not load real data "
            "into it; use another --out folder."
        )
    if fingerprint == DEMO_FINGERPRINT:
        raise KeyProblem(
            "Šī noliktava ir veidota ar īsto pseidonimizācijas atslēgu: --demo-key ar to nedrīkst lietot; parauga "
            "datiem izmantojiet citu --out mapi. / This warehouse was built with a real pseudonym key: --demo-key "
            "cannot be used with it; put the sample data in another --out folder."
        )
    raise KeyProblem(
        "Šī noliktava ir veidota ar citu pseidonimizācijas atslēgu: ar šo atslēgu tie paši skolēni tiktu skaitīti "
        "divreiz. Lietojiet to pašu atslēgu vai citu --out mapi. / This warehouse was built with a different "
        "pseudonym key: with this one the same pupils would be counted twice. Use the key it was built with, or "
        "another --out folder."
    )
