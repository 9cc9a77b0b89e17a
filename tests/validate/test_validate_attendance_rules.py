"""Attendance rules (issue 16): implausible days, overlapping summaries and impossible counts are
quarantined; doubtful dates and unknown reasons are flagged; a cumulative re-delivery is no overlap."""

from __future__ import annotations

from datetime import date

import pytest
from validate_fixtures import SCHOOL_A, register_files, stage

from pipelines.validate.stage import run_validate

LESSONS = "A/kavējumi.csv"
PERIODS = "A/kopsavilkums.csv"
PERIODS_AGAIN = "A/kopsavilkums_v2.csv"
ROSTER = "A/skolēni.csv"


def days(of_november: int) -> dict:
    """A lesson record's one-day period, in November 2024."""
    return {"period_start": date(2024, 11, of_november), "period_end": date(2024, 11, of_november)}


def period(start: date, end: date, unexcused: int, **more) -> dict:
    return {"shape": "periods", "period_start": start, "period_end": end, "reason": None, "reason_raw": None,
            "lessons_missed": unexcused, "excused": None, "unexcused": unexcused, "illness": None,
            "unknown_reason": None, **more}  # fmt: skip


@pytest.fixture(scope="module")
def outcome(tmp_path_factory, runner):
    from dataclasses import replace

    from validate_fixtures import REFERENCE_DATE

    from pipelines.config import Settings, ValidateSettings
    from pipelines.warehouse import connect, ensure_schema

    tmp = tmp_path_factory.mktemp("attendance")
    con = connect(tmp / "w.duckdb")
    ensure_schema(con)
    stage(con, "schools", "skolas.csv", [{"school_id": SCHOOL_A}])
    stage(con, "pupils", ROSTER, [{"pupil_id": "p2"}])
    day = days(6)
    stage(
        con,
        "attendance",
        LESSONS,
        [
            {},  # 2 passes
            {**day, "lessons_missed": 8, "unexcused": 8},  # 3 with line 4: 13 lessons on one day
            {**day, "lessons_missed": 5, "unexcused": 5, "reason_raw": "n"},  # 4
            days(9),  # 5 a Saturday
            {**days(7), "lessons_missed": 0, "unexcused": 0},  # 6 nothing missed
            {**days(8), "reason": "unknown", "reason_raw": "ārsts", "unexcused": 0, "unknown_reason": 2},  # 7
            {"period_start": date(2025, 4, 1), "period_end": date(2025, 4, 1)},  # 8 in the future
        ],
    )
    stage(
        con,
        "attendance",
        PERIODS,
        [
            period(date(2024, 9, 2), date(2024, 9, 30), 3),  # 2 overlaps line 3
            period(date(2024, 9, 15), date(2024, 10, 15), 4),  # 3
            period(date(2024, 10, 16), date(2024, 10, 31), 2, row_key="oct#1"),  # 4 re-delivered below
            period(date(2024, 12, 31), date(2024, 12, 1), 1),  # 5 ends before it starts
            period(date(2024, 8, 1), date(2024, 9, 1), 1),  # 6 two school years
            period(date(2024, 12, 1), date(2024, 12, 31), 500),  # 7 more than 22 weekdays × 10
            period(date(2025, 1, 1), date(2025, 1, 31), 30, lessons_held=20),  # 8 more than held
            period(date(2025, 2, 1), date(2025, 2, 28), 5, lessons_held=140),  # 9 passes
        ],
    )
    stage(con, "attendance", PERIODS_AGAIN, [period(date(2024, 10, 16), date(2024, 10, 31), 2, row_key="oct#1")])
    register_files(con)
    settings = replace(Settings(out_dir=tmp / "out"), validate=ValidateSettings(today=REFERENCE_DATE))
    run_validate(con, settings, "run-1", runner=runner)
    yield con
    con.close()


def found(con, file: str, line: int) -> tuple[set[str], set[str]]:
    q = con.execute(
        "select reason_code from quarantine.rows where stage = 'validate' and source_file = ? and source_line = ?",
        [file, line],
    ).fetchall()
    f = con.execute("select reason_code from validation.flags where source_file = ? and source_line = ?", [file, line])
    return {r[0] for r in q}, {r[0] for r in f.fetchall()}


@pytest.mark.parametrize(
    ("file", "line", "quarantined", "flagged"),
    [
        (LESSONS, 2, set(), set()),
        (LESSONS, 3, {"too_many_lessons_per_day"}, set()),
        (LESSONS, 4, {"too_many_lessons_per_day"}, set()),
        (LESSONS, 5, set(), {"absence_on_weekend"}),
        (LESSONS, 6, {"lessons_missed_not_positive"}, set()),
        (LESSONS, 7, set(), {"unknown_absence_reason"}),
        (LESSONS, 8, {"date_in_future"}, set()),
        (PERIODS, 2, {"periods_overlap"}, set()),
        (PERIODS, 3, {"periods_overlap"}, set()),
        (PERIODS, 4, set(), set()),
        (PERIODS_AGAIN, 2, set(), set()),
        (PERIODS, 5, {"period_end_before_start"}, set()),
        (PERIODS, 6, {"period_spans_school_years"}, set()),
        (PERIODS, 7, {"implausible_absences"}, set()),
        (PERIODS, 8, {"implausible_absences"}, set()),
        (PERIODS, 9, set(), set()),
    ],
)
def test_each_attendance_rule_fires_where_it_should(outcome, file, line, quarantined, flagged) -> None:
    assert found(outcome, file, line) == (quarantined, flagged)


def test_attendance_hits_name_the_shape_and_tell_the_school_the_limit(outcome) -> None:
    kind, message = outcome.execute(
        "select kind, message_en from quarantine.rows where reason_code = 'too_many_lessons_per_day' limit 1"
    ).fetchall()[0]
    assert kind == "attendance_lessons" and "more than 10" in message
    rows = outcome.execute("select rows_loaded, rows_quarantined from meta.files where file_path = ?", [PERIODS])
    assert rows.fetchall() == [(2, 6)]
