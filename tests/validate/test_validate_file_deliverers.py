"""Who delivered a file (validate/sql/file_deliverers.sql), on the tables it reads, written in the test.
Probe5 N2: a school id only in a file's name, over rows that all name another school, is not that school's
delivery (a Balvu file `parcelti_uz_<Madonas id>.csv` put Balvu's pupils on Madonas' early-warning list); a
school's own folder still is, whatever its rows name (a typo, another school's pupil in its plan)."""

from __future__ import annotations

import duckdb

from pipelines.validate.stage import SQL_DIR
from pipelines.warehouse import load_sql

A, B, M = "2713931876", "2713995039", "7013971576"


def deliverers(rows: list[tuple[str, str]]) -> dict[str, tuple[str | None, str | None]]:
    con = duckdb.connect()
    for schema in ("meta", "quarantine", "validation", "staging"):
        con.execute(f"create schema {schema}")
    con.execute("create table meta.files (file_path varchar, status varchar, school_id varchar)")
    con.execute("create table quarantine.rows (source_file varchar)")
    con.execute("create table validation.flags (source_file varchar)")
    con.execute("create table staging.schools (school_id varchar)")
    con.execute(f"insert into staging.schools values ('{A}'), ('{B}'), ('{M}')")
    con.execute("create temp table validate_file_school_rows (source_file varchar, school_id varchar)")
    con.executemany("insert into validate_file_school_rows values (?, ?)", rows)
    out = con.execute(load_sql(SQL_DIR, "file_deliverers")).fetchall()
    return {file: (school, how) for file, school, how in out}


def test_a_path_naming_another_school_than_all_the_rows_is_not_the_deliverer() -> None:
    file = f"balvu-novads/parcelti_uz_{M}_2025-2026.csv"
    assert deliverers([(file, A)])[file] == (A, "rows")


def test_a_path_school_the_rows_also_name_still_wins_over_a_typo() -> None:
    file = f"balvu-novads/{A}/skoleni.csv"  # one row names B by mistake
    assert deliverers([(file, A), (file, B)])[file] == (A, "path")


def test_a_school_folder_stays_the_deliverer_whatever_its_rows_name() -> None:
    file = f"balvu-novads/{B}/plani.csv"  # B's plan naming A's pupil: B delivered it
    assert deliverers([(file, A)])[file] == (B, "path")
