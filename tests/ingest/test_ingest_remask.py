"""Kept text stored before a name was known is masked again, in every table and in the file's bytes.

A January file's cells name a pupil who is on no roster until March; or a name's declined form was
not yet a form ingest masked (paths.NAME_FORMS_VERSION). When the name (form) is learned, the cells
stored before are masked in place (paths.PathScrubber.remask_stored) and the runner copies the
warehouse to a fresh file (warehouse.compact): DuckDB leaves the old text in free blocks."""

from __future__ import annotations

import secrets
from pathlib import Path

import duckdb

from pipelines.config import Settings
from pipelines.ingest.paths import CODE_SHAPE_VERSION, MASK, NAME_FORMS_VERSION, PathScrubber
from pipelines.ingest.stage import run_ingest
from pipelines.personal_code import make_old_code
from pipelines.runner import run_stages
from pipelines.warehouse import compact, compaction_requested, connect

KEY = b"test-key-for-remasking-0123456789abcdef"
SCHOOL = "2712900123"
ANNA = make_old_code(15, 3, 2012, 123)
JANIS = make_old_code(2, 11, 2011, 456)
ROSTER = "Personas kods;Vārds;Uzvārds;Iestādes kods;Klase;Mācību gads\n"
LESSONS = "Datums;Personas kods;Iestādes kods;Kavētās stundas;Iemesls;Mācību priekšmets\n"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def cells_holding(con: duckdb.DuckDBPyConnection, needle: str) -> list[str]:
    """`schema.table.column` of every text cell in the warehouse that contains `needle`."""
    columns = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns c "
        "join information_schema.tables t using (table_catalog, table_schema, table_name) "
        "where t.table_type = 'BASE TABLE' and c.data_type = 'VARCHAR' and c.table_catalog = current_database()"
    ).fetchall()
    return [
        f"{s}.{t}.{c}"
        for s, t, c in columns
        if con.execute(f'select count(*) from "{s}"."{t}" where "{c}" ilike ?', [f"%{needle}%"]).fetchall()[0][0]
    ]


def test_a_name_first_known_in_a_later_run_leaves_no_cell_and_no_byte_of_earlier_rows(tmp_path) -> None:
    """January's absence register of Jānis names his classmate Anna Bērziņa in a reason, a subject
    and a number cell (quarantined); she is on no roster until March. After March's run (ingest,
    validate, transform), no cell of any table (staging, core, quarantine values, validation flags)
    holds her name, January's rows are still there, masked, and no byte of the warehouse file holds it."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    settings = Settings(raw_dir=raw, out_dir=out)
    write(raw / "skolas.csv", f"Iestādes kods;Nosaukums;Pašvaldība\n{SCHOOL};Rīgas 1. vidusskola;Rīga\n")
    write(raw / "2025-01/skoleni.csv", ROSTER + f"{JANIS};Jānis;Kalns;{SCHOOL};7.b;2024/2025\n")
    write(
        raw / "2025-01/kavejumi.csv",
        LESSONS
        + f"15.01.2025;{JANIS};{SCHOOL};2;Anna Bērziņa slimība;Matemātika Anna Bērziņa\n"
        + f"16.01.2025;{JANIS};{SCHOOL};Anna Bērziņa;slimība;Fizika\n",
    )
    stages = ("ingest", "validate", "transform")
    assert run_stages(settings, stages, command="run", demo_key=True) == 0
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        before = cells_holding(con, "Bērziņa") + cells_holding(con, "berzina")
        assert {"staging.attendance.reason_raw", "core.attendance.subject_raw", "quarantine.rows.value"} <= set(before)
        assert {"core.attendance.subject", "validation.flags.value"} <= set(before)  # `~matematika anna berzina`
    data = settings.warehouse.read_bytes()
    assert "Anna Bērziņa".encode() in data and b"anna berzina" in data  # the scan below can see the text

    write(raw / "2025-03/skoleni.csv", ROSTER + f"{ANNA};Anna;Bērziņa;{SCHOOL};7.b;2024/2025\n")
    assert run_stages(settings, stages, command="run", demo_key=True) == 0
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert cells_holding(con, "Bērziņa") + cells_holding(con, "berzina") == []
        assert con.execute("select reason_raw, subject_raw, subject from core.attendance order by all").fetchall() == [
            (f"{MASK} {MASK} slimība", f"Matemātika {MASK} {MASK}", f"~matematika {MASK} {MASK}")
        ]
        assert con.execute("select value from quarantine.rows").fetchall() == [(f"{MASK} {MASK}",)]
        assert not compaction_requested(con)
    data = settings.warehouse.read_bytes()
    assert "Bērziņa".encode() not in data and b"berzina" not in data


def test_cells_stored_under_older_name_forms_are_masked_in_the_new_forms(tmp_path, monkeypatch) -> None:
    """A warehouse learned before declined names were a form (NAME_FORMS_VERSION 1) kept `Annas
    Bērziņas slimība` as written, though the roster named her. When the forms grow, the cell is
    masked in place, and once the file is copied afresh (as the runner does) no byte holds it."""
    raw, path = tmp_path / "raw", tmp_path / "w.duckdb"
    write(raw / "skoleni.csv", ROSTER + f"{ANNA};Anna;Bērziņa;{SCHOOL};7.b;2024/2025\n")
    write(raw / "kavejumi.csv", LESSONS + f"15.01.2025;{ANNA};{SCHOOL};2;Annas Bērziņas slimība;Fizika\n")
    con = connect(path)
    monkeypatch.setattr(PathScrubber, "stem_hash", lambda self, first, last: secrets.token_hex(8))  # no stems
    run_ingest(con, raw, KEY, "r1")
    monkeypatch.undo()
    con.execute("update meta.name_forms set version = 1")  # as a warehouse from before the stems
    assert con.execute("select reason_raw from staging.attendance").fetchall() == [("Annas Bērziņas slimība",)]

    result = run_ingest(con, raw, KEY, "r2")  # nothing changed on disk: only the forms did
    assert {f.status for f in result.files} == {"unchanged"}
    assert con.execute("select version from meta.name_forms").fetchall() == [(NAME_FORMS_VERSION,)]
    assert con.execute("select reason_raw from staging.attendance").fetchall() == [(f"{MASK} {MASK} slimība",)]
    assert result.remasked_stored == 1
    assert compaction_requested(con)
    assert run_ingest(con, raw, KEY, "r3").remasked_stored == 0  # each pair is applied to stored text once
    con.close()
    assert "Bērziņas".encode() in path.read_bytes()  # DuckDB's free blocks: why the file is copied
    compact(path)
    assert "Bērziņas".encode() not in path.read_bytes()
    con = connect(path)
    assert not compaction_requested(con)
    assert {f.status for f in run_ingest(con, raw, KEY, "r4").files} == {"unchanged"}  # a working warehouse
    con.close()


def test_codes_kept_under_a_narrower_code_shape_are_masked_once_the_shape_grows(tmp_path) -> None:
    """Review of probe P3: a warehouse from before the broader code shape kept `2812 1728 554` (a code in
    4-4-3 groups) as written in a reason cell, and unchanged files are never read again. When the shape's
    version grows, the stored cell is masked in place (paths.remask_codes_stored) and the file is asked
    to be copied afresh; a ten-digit school id in a kept cell stays."""
    raw, path = tmp_path / "raw", tmp_path / "w.duckdb"
    write(raw / "skoleni.csv", ROSTER + f"{ANNA};Anna;Bērziņa;{SCHOOL};7.b;2024/2025\n")
    write(raw / "kavejumi.csv", LESSONS + f"15.01.2025;{ANNA};{SCHOOL};2;slimība;Fizika\n")
    con = connect(path)
    run_ingest(con, raw, KEY, "r1")
    # as a warehouse from before: the cell as the narrower shape let it through, and the old version
    con.execute("update staging.attendance set reason_raw = 'slimība, tel. 2812 1728 554'")
    con.execute("update meta.code_shape set version = 1")

    result = run_ingest(con, raw, KEY, "r2")  # nothing changed on disk: only the shape did
    assert {f.status for f in result.files} == {"unchanged"}
    assert con.execute("select reason_raw from staging.attendance").fetchall() == [(f"slimība, tel. {MASK}",)]
    assert con.execute("select distinct school_id from staging.attendance").fetchall() == [(SCHOOL,)]
    assert con.execute("select version from meta.code_shape").fetchall() == [(CODE_SHAPE_VERSION,)]
    assert result.remasked_stored == 1 and compaction_requested(con)
    assert run_ingest(con, raw, KEY, "r3").remasked_stored == 0  # once per version
    con.close()
