"""core.attendance_monthly equals hand sums on a tiny fixture (both shapes, a re-delivery, a summary
spanning two months, a pupil with no absences); core.unexcused_semester applies the threshold."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.config import TransformSettings
from pipelines.transform.stage import run_transform
from pipelines.warehouse import connect, ensure_schema

SCHOOL = "2712900001"
YEAR = "2024/2025"
COLUMNS = (
    "source_file, source_line, row_key, shape, pupil_id, school_id, period_start, period_end, school_year, semester, "
    "reason, lessons_missed, excused, unexcused, illness, unknown_reason, lessons_held"
)


def lesson(file: str, line: int, key: str, pupil: str, day: date, reason: str, n: int) -> tuple:
    counts = [n if reason == r else 0 for r in ("excused", "unexcused", "illness", "unknown")]
    return (file, line, key, "lessons", pupil, SCHOOL, day, day, YEAR, 1, reason, n, *counts, None)


def summary(line: int, key: str, pupil: str, start: date, end: date, unexcused: int, held: int | None) -> tuple:
    return ("sum.csv", line, key, "periods", pupil, SCHOOL, start, end, YEAR, 1, None, unexcused, 0, unexcused, 0,
            None, held)  # fmt: skip


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("attendance") / "w.duckdb")
    ensure_schema(con)
    con.execute(
        "insert into staging.schools "
        "(source_file, source_line, row_key, school_id, school_name, municipality, school_type) "
        f"values ('reg.csv', 2, 'k', '{SCHOOL}', 'Skola', 'Novads', 'general')"
    )
    for line, pupil, left in ((2, "p1", None), (3, "p2", None), (4, "p3", date(2024, 10, 15))):
        con.execute(
            "insert into staging.pupils values ('sk.csv', ?, ?, ?, ?, ?, '7.a', 7, 'a', 'F', ?, null, null)",
            [line, f"r{line}", pupil, SCHOOL, YEAR, left],
        )
    rows = [
        lesson("dec.csv", 2, "a#1", "p1", date(2024, 9, 10), "unexcused", 2),
        lesson("dec.csv", 3, "b#1", "p1", date(2024, 9, 11), "illness", 6),
        lesson("dec.csv", 4, "c#1", "p1", date(2024, 10, 1), "excused", 3),
        lesson("jun.csv", 4, "c#1", "p1", date(2024, 10, 1), "excused", 3),  # the June file repeats it
        lesson("dec.csv", 5, "d#1", "p1", date(2024, 10, 2), "unknown", 1),
        # September 2024 has 21 weekdays and October 23: 44 lessons and 264 held split 21:23
        summary(2, "e#1", "p3", date(2024, 9, 1), date(2024, 10, 31), 44, 264),
        # p1 has lesson records in September: the lesson records win over this summary
        summary(3, "f#1", "p1", date(2024, 9, 1), date(2024, 9, 30), 5, None),
    ]
    con.executemany(f"insert into staging.attendance ({COLUMNS}) values ({', '.join('?' * 17)})", rows)
    run_transform(con, TransformSettings(unexcused_semester_threshold=20))
    yield con
    con.close()


def test_monthly_table_equals_hand_sums(con) -> None:
    got = con.execute(
        """select pupil_id, month, school_year, semester, excused, unexcused, illness, unknown_reason,
                  total_missed, lessons_held
           from core.attendance_monthly order by pupil_id, month"""
    ).fetchall()
    sep, oct_ = date(2024, 9, 1), date(2024, 10, 1)
    assert got == [
        ("p1", sep, YEAR, 1, 0.0, 2.0, 6.0, 0.0, 8.0, None),
        ("p1", oct_, YEAR, 1, 3.0, 0.0, 0.0, 1.0, 4.0, None),
        ("p2", sep, YEAR, 1, 0.0, 0.0, 0.0, 0.0, 0.0, None),  # on the roll, nothing missed
        ("p2", oct_, YEAR, 1, 0.0, 0.0, 0.0, 0.0, 0.0, None),
        ("p3", sep, YEAR, 1, 0.0, 21.0, 0.0, 0.0, 21.0, 126.0),
        ("p3", oct_, YEAR, 1, 0.0, 23.0, 0.0, 0.0, 23.0, 138.0),
    ]
    columns = [r[0] for r in con.execute("describe core.attendance_monthly").fetchall()]
    assert columns == [
        "pupil_id", "school_id", "month", "school_year", "semester", "excused", "unexcused", "illness",
        "unknown_reason", "total_missed", "lessons_held",
    ]  # fmt: skip


def test_a_redelivered_absence_is_kept_once_with_its_first_lineage(con) -> None:
    assert con.execute("select source_file from core.attendance where row_key = 'c#1'").fetchall() == [("dec.csv",)]


def test_unexcused_semester_flags_more_than_the_threshold(con) -> None:
    got = con.execute(
        "select pupil_id, unexcused, threshold, above_threshold from core.unexcused_semester order by pupil_id"
    ).fetchall()
    assert got == [("p1", 2.0, 20, False), ("p2", 0.0, 20, False), ("p3", 44.0, 20, True)]
    run_transform(con, TransformSettings(unexcused_semester_threshold=50))
    assert con.execute("select count(*) from core.unexcused_semester where above_threshold").fetchall() == [(0,)]
