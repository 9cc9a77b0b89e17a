"""Transform: core tables keep each row once, drop quarantined rows, and never depend on load order."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.transform import run_transform
from pipelines.warehouse import connect, ensure_schema


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    ensure_schema(con)
    con.execute(
        "insert into staging.schools values "
        "('reg.csv', 2, 'k1', '2712900001', 'Balvu pamatskola', 'Balvu novads'),"
        "('reg_copy.csv', 2, 'k1', '2712900001', 'Balvu pamatskola', 'Balvu novads')"
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
    con.execute("insert into staging.pupils values ('okt.csv', 2, 'r1', ?, ?, ?, ?, ?, ?, ?, null, null)", base)
    con.execute(
        "insert into staging.pupils values ('aaa.csv', 5, 'r2', ?, ?, ?, ?, ?, ?, ?, '2025-03-01', 'pārtrauca')",
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
