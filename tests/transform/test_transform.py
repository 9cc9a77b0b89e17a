"""Transform: core tables keep each row once, drop quarantined rows, and never depend on load order."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.transform.stage import core_sql, run_transform
from pipelines.warehouse import connect, ensure_schema


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    ensure_schema(con)
    con.execute(
        "insert into staging.schools "
        "(source_file, source_line, row_key, school_id, school_name, municipality, school_type) values "
        "('reg.csv', 2, 'k1', '2712900001', 'Balvu pamatskola', 'Balvu novads', null),"
        "('reg_copy.csv', 2, 'k1', '2712900001', 'Balvu pamatskola', 'Balvu novads', null)"
    )
    return con


def _grade(file: str, line: int, key: str, score: int) -> tuple:
    return (
        file,
        line,
        key,
        date(2024, 10, 1),
        "2024/2025",
        1,
        "p1",
        "2712900001",
        "mathematics",
        "Matemātika",
        str(score),
        "score",
        score,
        None,
        None,
        None,
        "summative",
        "s",
    )


def insert_grades(con, rows: list[tuple]) -> None:
    con.executemany("insert into staging.grades values (" + ",".join(["?"] * 18) + ")", rows)


def test_cumulative_redelivery_counts_each_mark_once_and_identical_marks_stay_two(con):
    october = [_grade("okt.csv", 2, "a#1", 7), _grade("okt.csv", 3, "a#2", 7)]  # two equal marks, same day
    june = [_grade("jun.csv", 2, "a#1", 7), _grade("jun.csv", 3, "a#2", 7), _grade("jun.csv", 4, "b#1", 4)]
    insert_grades(con, october + june)

    counts = run_transform(con)

    assert counts["grades"] == 3
    lineage = con.execute("select row_key, source_file, municipality from core.grades order by row_key").fetchall()
    # the earliest file in path order keeps the lineage, whatever order files were loaded in
    assert lineage == [
        ("a#1", "jun.csv", "Balvu novads"),
        ("a#2", "jun.csv", "Balvu novads"),
        ("b#1", "jun.csv", "Balvu novads"),
    ]
    assert counts["schools"] == 1


def test_rows_quarantined_by_validation_do_not_reach_core(con):
    insert_grades(con, [_grade("g.csv", 2, "a#1", 7), _grade("g.csv", 3, "b#1", 11)])
    con.execute(
        "insert into quarantine.rows (source_file, source_line, kind, school_id, stage, reason_code, "
        "message_lv, message_en) values ('g.csv', 3, 'grades', '2712900001', 'validate', "
        "'grade_not_allowed_for_level', 'x', 'x')"
    )
    run_transform(con)
    assert con.execute("select grade_score from core.grades").fetchall() == [(7,)]


def test_roster_row_that_records_leaving_wins_over_earlier_export(con):
    base = ("p1", "2712900001", "2024/2025", "9.a", 9, "a", "F")
    con.execute("insert into staging.pupils values ('okt.csv', 2, 'r1', ?, ?, ?, ?, ?, ?, ?, null, null, null)", base)
    con.execute(
        "insert into staging.pupils values ('aaa.csv', 5, 'r2', ?, ?, ?, ?, ?, ?, ?, '2025-03-01', 'pārtrauca', null)",
        base,
    )
    run_transform(con)
    assert con.execute("select left_on, source_file from core.pupils").fetchall() == [(date(2025, 3, 1), "aaa.csv")]


def test_rerun_gives_identical_tables(con):
    insert_grades(con, [_grade("g.csv", 2, "a#1", 7)])
    run_transform(con)
    first = con.execute("select * from core.grades").fetchall()
    run_transform(con)
    assert con.execute("select * from core.grades").fetchall() == first


# --- incremental: core.grades and core.consultations are rebuilt only for keys that may have changed ---------


def register(con, path: str, version: str) -> None:
    """meta.files as ingest leaves it: the file's version is its sha256 and ingested_at."""
    con.execute(
        "insert or replace into meta.files (file_path, sha256, kind, status, ingested_at) "
        "values (?, ?, 'grades', 'loaded', timestamp '2025-01-01')",
        [path, version],
    )


def deliver(con, path: str, version: str, rows: list[tuple]) -> None:
    """A new version of a file replaces its staging rows, as ingest does."""
    con.execute("delete from staging.grades where source_file = ?", [path])
    insert_grades(con, rows)
    register(con, path, version)


def core_rows(con) -> dict[str, list[tuple]]:
    return {
        table: con.execute(f"select * from core.{table} order by all").fetchall()
        for table in ("schools", "pupils", "plans", "consultations", "grades", "marks_by_school")
    }


def incremental_equals_whole(con) -> dict:
    """Transform incrementally, then check a whole rebuild gives exactly the same tables."""
    counts = run_transform(con)
    incremental = core_rows(con)
    assert run_transform(con, incremental=False)["rebuilt"] == "all"
    assert core_rows(con) == incremental
    return counts


def lineage(con) -> dict[str, str]:
    return dict(con.execute("select row_key, source_file from core.grades").fetchall())


def quarantine(con, path: str, line: int) -> None:
    con.execute(
        "insert into quarantine.rows (source_file, source_line, kind, school_id, stage, reason_code, "
        "message_lv, message_en) values (?, ?, 'grades', '2712900001', 'validate', 'x', 'x', 'x')",
        [path, line],
    )


def test_incremental_transform_rebuilds_only_changed_keys_and_equals_a_whole_rebuild(con):
    october = [_grade("2024-10.csv", 2, "a#1", 7), _grade("2024-10.csv", 3, "a#2", 7)]
    november = [_grade("2024-11.csv", 2, "b#1", 5)]
    june = [_grade("2025-06.csv", n, k, 6) for n, k in [(2, "a#1"), (3, "a#2"), (4, "b#1"), (5, "c#1")]]
    deliver(con, "2024-10.csv", "v1", october)
    deliver(con, "2024-11.csv", "v1", november)
    deliver(con, "2025-06.csv", "v1", june)
    assert run_transform(con)["rebuilt"] == "all"  # no record of an earlier transform
    assert lineage(con) == {"a#1": "2024-10.csv", "a#2": "2024-10.csv", "b#1": "2024-11.csv", "c#1": "2025-06.csv"}

    assert incremental_equals_whole(con)["rebuilt_keys"] == 0  # nothing changed

    # October is corrected: its marks get new keys, so a#1 and a#2 now come from June
    deliver(con, "2024-10.csv", "v2", [_grade("2024-10.csv", 2, "d#1", 9)])
    assert incremental_equals_whole(con)["rebuilt_keys"] == 3  # d#1 new; a#1, a#2 from the old version
    assert lineage(con) == {"a#1": "2025-06.csv", "a#2": "2025-06.csv", "b#1": "2024-11.csv",
                            "c#1": "2025-06.csv", "d#1": "2024-10.csv"}  # fmt: skip

    # validation quarantines one row, then (after the school fixed the roster) releases it
    quarantine(con, "2025-06.csv", 5)
    assert incremental_equals_whole(con)["rebuilt_keys"] == 1
    assert "c#1" not in lineage(con)
    con.execute("delete from quarantine.rows")
    assert incremental_equals_whole(con)["rebuilt_keys"] == 1
    assert lineage(con)["c#1"] == "2025-06.csv"

    # a file disappears: its mark survives from the cumulative June file
    con.execute("delete from staging.grades where source_file = '2024-11.csv'")
    con.execute("delete from meta.files where file_path = '2024-11.csv'")
    assert incremental_equals_whole(con)["rebuilt_keys"] == 1
    assert lineage(con)["b#1"] == "2025-06.csv"

    # rows from a file ingest has no record of are always read again
    insert_grades(con, [_grade("extra.csv", 2, "e#1", 3)])
    assert incremental_equals_whole(con)["rebuilt_keys"] == 1
    assert incremental_equals_whole(con)["rebuilt_keys"] == 1
    assert lineage(con)["e#1"] == "extra.csv"


def test_a_school_moving_municipality_rebuilds_the_keyed_tables_whole(con):
    deliver(con, "2024-10.csv", "v1", [_grade("2024-10.csv", 2, "a#1", 7)])
    run_transform(con)
    con.execute("update staging.schools set municipality = 'Rēzeknes novads'")
    counts = run_transform(con)
    assert counts["rebuilt"] == "all"
    assert con.execute("select municipality from core.grades").fetchall() == [("Rēzeknes novads",)]
    assert run_transform(con)["rebuilt_keys"] == 0


def _mark(file: str, line: int, key: str, pupil: str, subject: str, semester: int, score: int, kind: str = "score"):
    row = list(_grade(file, line, key, score))
    row[3] = date(2024, 10, 1) if semester == 1 else date(2025, 3, 1)
    row[5], row[6], row[8], row[11] = semester, pupil, subject, kind
    return tuple(row)


def test_marks_by_school_recounts_the_rebuilt_groups_and_equals_a_whole_rebuild(con):
    """core.marks_by_school (evaluate's baseline marks, counted) after each increment equals its
    rebuild: a group gains a mark, one loses its only mark and goes, term marks and nv never count."""
    autumn = [_mark("2024-10.csv", n, f"a#{n}", p, s, 1, 4 + n) for n, (p, s) in
              enumerate([("p1", "mathematics"), ("p1", "physics"), ("p2", "mathematics")], start=2)]  # fmt: skip
    deliver(con, "2024-10.csv", "v1", autumn)
    deliver(con, "2025-03.csv", "v1", [_mark("2025-03.csv", 2, "b#2", "p1", "mathematics", 2, 8)])
    run_transform(con)
    counts = "select pupil_id, subject, semester, n_marks, sum_marks from core.marks_by_school order by all"
    assert con.execute(counts).fetchall() == [
        ("p1", "mathematics", 1, 1, 6), ("p1", "mathematics", 2, 1, 8), ("p1", "physics", 1, 1, 7),
        ("p2", "mathematics", 1, 1, 8),
    ]  # fmt: skip
    # October corrected: p1's physics mark goes, p2 gets a second mark and an nv
    fixed = [autumn[0], autumn[2], _mark("2024-10.csv", 9, "a#9", "p2", "mathematics", 1, 10),
             _mark("2024-10.csv", 10, "a#10", "p2", "mathematics", 1, 0, kind="no_grade")]  # fmt: skip
    deliver(con, "2024-10.csv", "v2", fixed)
    assert incremental_equals_whole(con)["rebuilt_keys"] == 5  # every key of the old and new version
    assert con.execute(counts).fetchall() == [
        ("p1", "mathematics", 1, 1, 6), ("p1", "mathematics", 2, 1, 8), ("p2", "mathematics", 1, 2, 18),
    ]  # fmt: skip
    # a new month: only its group is recounted, the same as a rebuild
    deliver(con, "2025-04.csv", "v1", [_mark("2025-04.csv", 2, "c#2", "p1", "mathematics", 2, 3)])
    assert incremental_equals_whole(con)["rebuilt_keys"] == 1
    assert con.execute(counts).fetchall()[1] == ("p1", "mathematics", 2, 2, 11)
    # a warehouse from before the table: the next transform counts it whole
    con.execute("drop table core.marks_by_school")
    assert run_transform(con)["rebuilt_keys"] == 0
    assert con.execute(counts).fetchall()[1] == ("p1", "mathematics", 2, 2, 11)


def test_grades_row_keys_are_stored_uncompressed_and_the_rows_are_those_of_a_plain_select(con):
    """core.grades.row_key is written without compression (random keys: DICT_FSST cost a quarter of a
    whole transform for little space); the table is the same as `create table as` of its SELECT."""
    insert_grades(con, [_grade("g.csv", 2, "a#1", 7)])
    con.execute(  # 3,000 more marks, each with its own random key
        "insert into staging.grades select 'g' || (i // 1000) || '.csv', i + 3, sha256(i::varchar) || '#1', "
        "g.* exclude (source_file, source_line, row_key) from staging.grades g, range(3000) t(i)"
    )
    run_transform(con)
    con.execute("checkpoint")
    storage = "select distinct compression from pragma_storage_info('core.grades') where column_name = 'row_key'"
    assert {c for (c,) in con.execute(storage).fetchall()} <= {"Uncompressed", "Constant"}
    types = "select column_name, data_type from duckdb_columns() where table_name = 'grades' order by column_index"
    con.execute(f"create table main.plain as {core_sql('grades')}")
    plain = con.execute(types.replace("table_name = 'grades'", "table_name = 'plain'")).fetchall()
    assert con.execute(types.replace("where", "where schema_name = 'core' and")).fetchall() == plain
    diff = "select count(*) from (select * from core.grades except all select * from main.plain)"
    assert con.execute(diff).fetchall() == [(0,)]
