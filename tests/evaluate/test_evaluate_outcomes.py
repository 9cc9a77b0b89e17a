"""Baselines, outcome windows and the comparison pool."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl
import pytest
from evaluate_fixtures import GRADES_DDL

from pipelines.evaluate.outcomes import attach_outcomes, baseline_panel, build_candidates, grade_band_expr
from pipelines.evaluate.stage import SQL_DIR, load_outcomes, marks_by_school
from pipelines.warehouse import load_sql


def sql(name: str) -> str:
    return load_sql(SQL_DIR, name)


def mark(day: date, score: int | None, kind: str = "score", assessment: str | None = "formative", pupil="a"):
    semester = 1 if day.month >= 9 else 2
    start = day.year if day.month >= 9 else day.year - 1
    return (day, f"{start}/{start + 1}", semester, pupil, "s1", "M", "mathematics", kind, score, assessment)


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create schema core")
    con.execute(GRADES_DDL)
    rows = [
        mark(date(2024, 10, 1), 4),
        mark(date(2024, 10, 2), 6, assessment="summative"),
        mark(date(2024, 10, 3), 6, assessment=None),  # type not stated: kept
        mark(date(2024, 12, 20), 9, assessment="term"),  # summary: excluded
        mark(date(2025, 5, 30), 9, assessment="year"),  # summary: excluded
        mark(date(2024, 10, 4), None, kind="no_grade"),  # nv
        mark(date(2024, 10, 5), None, kind="level"),  # S/T/A/P
        mark(date(2024, 10, 6), None, kind="pass_fail"),
        mark(date(2024, 10, 7), None, kind="percent"),
        mark(date(2025, 2, 3), 3),  # before the window
        mark(date(2025, 2, 10), 7),  # on the window start: counts
        mark(date(2025, 3, 1), 8),
    ]
    con.executemany("insert into core.grades values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute(f"create temp view scored_marks as {sql('scored_marks')}")
    return con


def test_baseline_uses_only_ten_point_formative_summative_and_untyped_marks(con):
    query = load_sql(SQL_DIR, "marks_by_semester", fragments={"by_school": marks_by_school(con)})
    panel = con.sql(query).pl().sort("semester")

    first = panel.row(0, named=True)
    assert (first["n_marks"], first["sum_marks"]) == (3, 16.0)  # 4 + 6 + 6; no nv/level/i/%/term
    assert panel.filter(pl.col("semester") == 2)["n_marks"].to_list() == [3]  # the year mark is not counted


def test_outcome_window_counts_marks_on_and_after_its_start(con):
    windows = pl.DataFrame(
        {
            "pupil_id": ["a"],
            "subject": ["mathematics"],
            "school_year": ["2024/2025"],
            "semester": [2],
            "window_start": [date(2025, 2, 10)],
        }
    )
    out = load_outcomes(con, windows)

    assert out.select("n_outcome_marks", "outcome").row(0) == (2, 7.5)
    # placebo A: the same term's mark before the window start, which support cannot have changed
    assert out.select("n_pre_window_marks", "pre_window").row(0) == (1, 3.0)


def panel_row(pupil: str, year: str, semester: int, n: int, mean: float, subject: str = "mathematics") -> dict:
    return {
        "pupil_id": pupil,
        "subject": subject,
        "school_year": year,
        "semester": semester,
        "school_id": "s1" if pupil < "c" else "s2",
        "municipality": "M",
        "n_marks": n,
        "sum_marks": n * mean,
    }


EPISODES = pl.DataFrame(
    {
        "pupil_id": ["a", "b", "c"],
        "subject": ["mathematics"] * 3,
        "school_year": ["2024/2025", "2025/2026", "2024/2025"],
        "semester": [2, 1, 2],
        "start_date": [date(2025, 2, 10), date(2025, 9, 15), date(2025, 3, 20)],
    }
)


def candidates() -> pl.DataFrame:
    rows = []
    for pupil, base in (("a", 4.0), ("b", 5.0), ("c", 4.5), ("d", 5.0), ("e", 5.0), ("f", 6.0)):
        rows.append(panel_row(pupil, "2024/2025", 1, 1 if pupil == "d" else 3, base))
        rows.append(panel_row(pupil, "2024/2025", 2, 4, base + 1))
    pupils = pl.DataFrame(
        {
            "pupil_id": ["a", "b", "c", "d", "e", "f"],
            "school_year": ["2024/2025"] * 6,
            "grade_level": [7, 8, 9, 7, 2, 9],
        }
    )
    return build_candidates(EPISODES, baseline_panel(pl.DataFrame(rows)), pupils, min_baseline_grades=2)


def test_later_starters_are_comparisons_before_they_start_and_same_semester_starters_are_not():
    cand = candidates().sort("pupil_id")

    # a and c start in 2024/25 S2 (treated); b starts next year, so it is a comparison now;
    # d has one baseline mark (< 2) and e is in grade 2 (no 10-point scale): both left out.
    assert cand["pupil_id"].to_list() == ["a", "b", "c", "f"]
    assert cand["treated"].to_list() == [True, False, True, False]
    assert cand["baseline_subject"].to_list() == [4.0, 5.0, 4.5, 6.0]
    assert cand["baseline_overall"].to_list() == [4.0, 5.0, 4.5, 6.0]
    assert cand["grade_band"].to_list() == ["7-9"] * 4


def test_comparison_window_starts_at_the_strata_median_start_of_the_supported():
    cand = candidates().sort("pupil_id")

    # median of 10 Feb and 20 Mar 2025 = 1 Mar 2025; the supported keep their own start.
    assert cand["window_start"].to_list() == [date(2025, 2, 10), date(2025, 3, 1), date(2025, 3, 20), date(2025, 3, 1)]


def test_outcomes_below_the_minimum_number_of_marks_drop_the_row():
    cand = candidates()
    outcomes = cand.select(
        "pupil_id", "subject", "school_year", "semester",
        pl.Series("n_outcome_marks", [2, 1, 3, 2]), pl.Series("outcome", [6.0, 7.0, 5.0, 6.5]),
        pl.Series("n_pre_window_marks", [1, 0, 0, 2]), pl.Series("pre_window", [5.0, None, None, 6.0]),
    )  # fmt: skip
    out = attach_outcomes(cand, outcomes, min_outcome_grades=2)

    assert out.height == 3
    assert out.filter(pl.col("pupil_id") == "a")["change"].to_list() == [2.0]


def test_vocational_course_years_have_bands_of_their_own_never_shared_with_grades():
    levels = pl.DataFrame(
        {
            "grade_level": [4, 9, 10, 12, None, None, None, None, None, 2],
            "course_year": [None, None, None, None, 1, 2, 3, 4, 5, None],
        },
        schema={"grade_level": pl.Int32, "course_year": pl.Int32},
    )
    bands = levels.select(grade_band_expr())["grade_band"].to_list()
    assert bands == ["4-6", "7-9", "10-12", "10-12", "K1-2", "K1-2", "K3-4", "K3-4", None, None]


def test_a_vocational_pupil_is_a_candidate_in_a_course_stratum_apart_from_grade_10():
    # the same subject, semester, municipality and baseline: only grade 10 vs course 1 differ
    rows = []
    for pupil in ("a", "b", "g", "h"):
        rows.append(panel_row(pupil, "2024/2025", 1, 3, 4.0))
        rows.append(panel_row(pupil, "2024/2025", 2, 4, 5.0))
    episodes = pl.DataFrame(
        {
            "pupil_id": ["a", "g"],
            "subject": ["mathematics"] * 2,
            "school_year": ["2024/2025"] * 2,
            "semester": [2, 2],
            "start_date": [date(2025, 2, 10), date(2025, 2, 12)],
        }
    )
    pupils = pl.DataFrame(
        {
            "pupil_id": ["a", "b", "g", "h"],
            "school_year": ["2024/2025"] * 4,
            "grade_level": [10, 10, None, None],
            "course_year": [None, None, 1, 1],
        },
        schema={"pupil_id": pl.String, "school_year": pl.String, "grade_level": pl.Int32, "course_year": pl.Int32},
    )
    cand = build_candidates(episodes, baseline_panel(pl.DataFrame(rows)), pupils, min_baseline_grades=2)
    by_pupil = {r["pupil_id"]: r for r in cand.iter_rows(named=True)}

    assert set(by_pupil) == {"a", "b", "g", "h"}  # course years are not dropped for want of a grade
    assert [by_pupil[p]["grade_band"] for p in "abgh"] == ["10-12", "10-12", "K1-2", "K1-2"]
    assert by_pupil["a"]["stratum"] == by_pupil["b"]["stratum"] != by_pupil["g"]["stratum"] == by_pupil["h"]["stratum"]
    assert (by_pupil["g"]["course_year"], by_pupil["g"]["grade_level"]) == (1, None)


def test_placebo_c_outcome_is_the_windows_mean_in_the_pupils_unsupported_subjects(con):
    """Negative control (placebo C): the same weeks' marks in the subjects where the pupil has no support
    episode at all; never the row's own subject, never a subject supported at any time, never before
    the window start. A pupil without such marks gets null (drops out of that check only)."""

    def other(day: date, score: int, subject: str, pupil: str = "a") -> tuple:
        return (*mark(day, score, pupil=pupil)[:6], subject, "score", score, "formative")

    con.executemany(
        "insert into core.grades values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            other(date(2025, 2, 9), 1, "english"),  # before the window start: not counted
            other(date(2025, 2, 12), 6, "english"),
            other(date(2025, 3, 2), 8, "biology"),
            other(date(2025, 3, 3), 2, "physics"),  # physics has a support episode (later): never counted
            other(date(2025, 3, 4), 5, "english", pupil="b"),  # another pupil
        ],
    )
    windows = pl.DataFrame(
        {
            "pupil_id": ["a", "b"],
            "subject": ["mathematics", "english"],
            "school_year": ["2024/2025"] * 2,
            "semester": [2, 2],
            "window_start": [date(2025, 2, 10)] * 2,
        }
    )
    supported = pl.DataFrame({"pupil_id": ["a", "a"], "subject": ["mathematics", "physics"]})
    out = load_outcomes(con, windows, supported=supported).sort("pupil_id")

    a = out.row(0, named=True)
    assert (a["n_other_subject_marks"], a["other_subjects"]) == (2, 7.0)  # english 6 and biology 8
    assert (a["n_outcome_marks"], a["outcome"]) == (2, 7.5)  # the outcome itself is unchanged
    b = out.row(1, named=True)  # b's only marks in the window are in its own subject
    assert b["other_subjects"] is None
