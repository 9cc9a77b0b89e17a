"""Pseudonym key hygiene, through the command the analyst runs: weak keys, a key that is not the
warehouse's, and the public demo key mixed with a real one are refused with one line."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.personal_code import make_old_code
from pipelines.pseudonym import DEMO_KEY, KEY_ENV

runner = CliRunner()
KEY_A = "k" * 31 + "A"  # 32 characters: the shortest accepted
KEY_B = "another-real-key-with-enough-characters"
PUPILS = [make_old_code(15, 3, 2012, n) for n in (101, 102, 103)]

TOO_SHORT = (
    "Kļūda / error: Pseidonimizācijas atslēga (ATBALSTS_PSEUDONYM_KEY) ir par īsu: 16 zīmes, vajag vismaz 32; "
    'izveidojiet jaunu ar python -c "import secrets; print(secrets.token_urlsafe(32))" / The pseudonym key '
    "(ATBALSTS_PSEUDONYM_KEY) is too short: 16 characters, at least 32 needed; make one with "
    'python -c "import secrets; print(secrets.token_urlsafe(32))"'
)
OTHER_KEY = (
    "Kļūda / error: Šī noliktava ir veidota ar citu pseidonimizācijas atslēgu: ar šo atslēgu tie paši skolēni tiktu "
    "skaitīti divreiz. Lietojiet to pašu atslēgu vai citu --out mapi. / This warehouse was built with a different "
    "pseudonym key: with this one the same pupils would be counted twice. Use the key it was built with, or another "
    "--out folder."
)
DEMO_WAREHOUSE = (
    "Kļūda / error: Šī noliktava ir veidota ar publisko demo atslēgu (--demo-key): īstos datus tajā neielādējiet, "
    "izmantojiet citu --out mapi. / This warehouse was built with the public demo key (--demo-key): do not load real "
    "data into it; use another --out folder."
)
REAL_WAREHOUSE = (
    "Kļūda / error: Šī noliktava ir veidota ar īsto pseidonimizācijas atslēgu: --demo-key ar to nedrīkst lietot; "
    "parauga datiem izmantojiet citu --out mapi. / This warehouse was built with a real pseudonym key: --demo-key "
    "cannot be used with it; put the sample data in another --out folder."
)


@pytest.fixture
def project(tmp_path) -> Path:
    """A raw folder with one small grades file, and params pointing at a key file that does not exist yet."""
    raw = tmp_path / "raw"
    raw.mkdir()
    lines = ["date,personal_code,school_id,subject,grade,assessment_type"]
    lines += [f"2024-10-0{i + 1},{code},2712900123,matemātika,{5 + i},summative" for i, code in enumerate(PUPILS)]
    (raw / "grades.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "params.yaml").write_text(f"ingest:\n  pseudonym_key_file: {tmp_path / 'pseudonym.key'}\n")
    return tmp_path


def ingest(project: Path, *extra: str, key: str | None = None):
    args = ["ingest", "--raw", str(project / "raw"), "--out", str(project / "out"), "--params"]
    return runner.invoke(app, [*args, str(project / "params.yaml"), *extra], env={KEY_ENV: key})


def pupils_in_staging(project: Path) -> int:
    con = duckdb.connect(str(project / "out" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("select count(distinct pupil_id) from staging.grades").fetchall()[0][0]
    finally:
        con.close()


def test_a_short_key_is_refused_with_how_to_make_one(project):
    result = ingest(project, key="sixteen-char-key")
    assert result.exit_code == 2
    assert result.output.strip() == TOO_SHORT
    assert not (project / "out" / "warehouse.duckdb").exists() or pupils_in_staging(project) == 0


def test_a_short_key_in_the_key_file_names_the_file(project):
    (project / "pseudonym.key").write_text("short\n", encoding="utf-8")
    result = ingest(project)
    assert result.exit_code == 2
    assert f"The pseudonym key ({project / 'pseudonym.key'}) is too short: 5 characters" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_second_key_on_the_same_warehouse_is_refused_and_nothing_doubles(project):
    assert ingest(project, key=KEY_A).exit_code == 0
    assert pupils_in_staging(project) == 3
    (project / "raw" / "grades.csv").write_text(  # a new delivery, so the file is read again
        (project / "raw" / "grades.csv").read_text(encoding="utf-8") + f"2024-10-09,{PUPILS[0]},2712900123,fizika,7,\n",
        encoding="utf-8",
    )
    result = ingest(project, key=KEY_B)
    assert result.exit_code == 2
    assert result.output.strip() == OTHER_KEY
    assert pupils_in_staging(project) == 3  # not 6: the pupils are not loaded again under new pseudonyms
    assert ingest(project, key=KEY_A).exit_code == 0  # the warehouse's own key still works


def test_the_warehouse_stores_a_fingerprint_never_the_key(project):
    from pipelines.pseudonym import key_fingerprint

    assert ingest(project, key=KEY_A).exit_code == 0
    con = duckdb.connect(str(project / "out" / "warehouse.duckdb"), read_only=True)
    stored = con.execute("select fingerprint, demo from meta.pseudonym_key").fetchall()
    con.close()
    assert stored == [(key_fingerprint(KEY_A.encode()), False)]
    assert KEY_A not in stored[0][0] and KEY_A.encode() not in (project / "out" / "warehouse.duckdb").read_bytes()
    assert key_fingerprint(KEY_A.encode()) != key_fingerprint(KEY_B.encode())


def test_a_demo_warehouse_refuses_a_real_key(project):
    assert ingest(project, "--demo-key").exit_code == 0
    result = ingest(project, key=KEY_A)
    assert result.exit_code == 2
    assert result.output.strip() == DEMO_WAREHOUSE


def test_a_real_warehouse_refuses_the_demo_key(project):
    assert ingest(project, key=KEY_A).exit_code == 0
    result = ingest(project, "--demo-key")  # no real key configured now: only the warehouse objects
    assert result.exit_code == 2
    assert result.output.strip() == REAL_WAREHOUSE


@pytest.mark.parametrize("where", ["env", "file"])
def test_demo_key_is_refused_while_a_real_key_is_configured(project, where):
    key_file = project / "pseudonym.key"
    if where == "file":
        key_file.write_text(KEY_A + "\n", encoding="utf-8")
    source = KEY_ENV if where == "env" else str(key_file)
    result = ingest(project, "--demo-key", key=KEY_A if where == "env" else None)
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Kļūda / error: --demo-key atteikts: ir iestatīta īstā pseidonimizācijas atslēga ({source}); publiskā demo "
        f"atslēga ir tikai parauga datiem. / --demo-key refused: a real pseudonym key is configured ({source}); the "
        f"public demo key is for the sample data only."
    )
    assert not (project / "out" / "warehouse.duckdb").exists() or pupils_in_staging(project) == 0


def test_the_demo_key_itself_is_long_enough():
    assert len(DEMO_KEY) >= 32


def test_the_public_demo_key_configured_as_the_real_key_is_refused(project):
    """The demo key is printed in the code and docs: pasted into the environment or the key file it
    would pseudonymise real data reversibly, so it is refused as a real key (only --demo-key uses it)."""
    result = ingest(project, key=DEMO_KEY)
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Kļūda / error: Pseidonimizācijas atslēga ({KEY_ENV}) ir publiskā demo atslēga: īstiem datiem izveidojiet "
        'savu ar python -c "import secrets; print(secrets.token_urlsafe(32))" / The pseudonym key '
        f"({KEY_ENV}) is the public demo key: for real data make your own with "
        'python -c "import secrets; print(secrets.token_urlsafe(32))"'
    )
    assert not (project / "out" / "warehouse.duckdb").exists() or pupils_in_staging(project) == 0
