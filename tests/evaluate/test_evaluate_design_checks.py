"""The design checks added after the probe of the design (docs/method.md, "Design diagnostics"):
outcomes missing not at random (attrition.py), a pre-period gap of the event study, and the bias
direction taken from placebo A only."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
from evaluate_fixtures import GRADES_DDL

from pipelines.config import Settings
from pipelines.evaluate.attrition import attrition_checks, attrition_reasons, availability_rows, with_attrition
from pipelines.evaluate.diagnostics import Placebo, bias_direction, pretrend_reasons
from pipelines.evaluate.estimate import SCHOOL_BOOTSTRAP, SCHOOL_JACKKNIFE, CellData, Interval
from pipelines.evaluate.stage import CELL_KEYS, load_analysis
from pipelines.sample import simulate
from pipelines.sample.core import core_connection, simulation_frames

TOTAL = [()]  # the grand total only


# --- outcomes missing not at random --------------------------------------------------------------------


def unrecorded_failing_marks(frames: dict[str, pl.DataFrame], sim, share: float = 0.7) -> dict[str, pl.DataFrame]:
    """The probe's world D6 on the sample's frames: a supported pupil's 10-point mark of 4 or less dated
    from the first consultation is recorded as `nv` with probability `share` (a retake that replaced it)."""
    starts = sim.episodes.select("pupil_id", "subject", "school_year", "semester", "first_consultation")
    grades = frames["grades"].join(starts, on=["pupil_id", "subject", "school_year", "semester"], how="left")
    draw = np.random.default_rng(7).random(grades.height) < share
    hidden = (
        (pl.col("date") >= pl.col("first_consultation")).fill_null(False)
        & (pl.col("grade_kind") == "score")
        & (pl.col("grade_score") <= 4)
        & pl.Series(draw)
    )
    grades = grades.with_columns(
        pl.when(hidden).then(pl.lit("no_grade")).otherwise(pl.col("grade_kind")).alias("grade_kind"),
        pl.when(hidden).then(None).otherwise(pl.col("grade_score")).alias("grade_score"),
    ).drop("first_consultation")
    return frames | {"grades": grades}


def total_checks(frames: dict[str, pl.DataFrame], method: str = SCHOOL_JACKKNIFE) -> dict[str, object]:
    con = core_connection(frames)
    settings = Settings()
    _, episodes, candidates, outcomes = load_analysis(con, settings)
    con.close()
    rows = availability_rows(candidates, outcomes, episodes, min_outcome_grades=settings.evaluate.min_outcome_grades)
    checks = attrition_checks(
        rows, list(CELL_KEYS), TOTAL, interval_method=method, replicates=40, seed=settings.evaluate.seed
    )
    return checks.row(0, named=True)


@pytest.fixture(scope="module")
def null_world():
    sim = simulate(schools=6, seed=3, effect=0.0)
    return sim, simulation_frames(sim)


def test_unrecorded_failing_marks_of_the_supported_raise_both_checks(null_world):
    sim, frames = null_world
    row = total_checks(unrecorded_failing_marks(frames, sim))

    assert row["outcome_share_supported"] < row["outcome_share_comparison"] - 0.05
    assert row["outcome_share_gap_ci_high"] < 0
    assert row["nv_share_supported"] > row["nv_share_comparison"] + 0.05
    assert row["nv_share_gap_ci_low"] > 0
    assert attrition_reasons(row) == ["outcome_availability", "no_grade_share"]


@pytest.mark.parametrize("method", [SCHOOL_JACKKNIFE, SCHOOL_BOOTSTRAP])
def test_where_marks_are_recorded_alike_neither_check_warns(null_world, method):
    _, frames = null_world
    row = total_checks(frames, method)

    assert abs(row["outcome_share_gap"]) < 0.03 and abs(row["nv_share_gap"]) < 0.03
    assert row["outcome_share_gap_ci_low"] < row["outcome_share_gap"] < row["outcome_share_gap_ci_high"]
    assert attrition_reasons(row) == []


def small_rows(supported_outcomes: list[bool], comparison_outcomes: list[bool]) -> pl.DataFrame:
    """Candidate rows over four schools (supported and comparisons alternating across them), one stratum."""
    n_t, n_c = len(supported_outcomes), len(comparison_outcomes)
    return pl.DataFrame(
        {
            "school_id": [f"s{i % 4}" for i in range(n_t + n_c)],
            "stratum": ["m"] * (n_t + n_c),
            "treated": [True] * n_t + [False] * n_c,
            "project_code": ["P"] * n_t + [None] * n_c,
            "municipality": ["M"] * (n_t + n_c),
            "subject": ["mathematics"] * (n_t + n_c),
            "school_year": ["2025/2026"] * (n_t + n_c),
            "has_outcome": [float(v) for v in supported_outcomes + comparison_outcomes],
            "window_marks": [4.0] * (n_t + n_c),
            "nv_marks": [0.0] * (n_t + n_c),
        }
    )


def test_the_checks_join_the_design_warning_of_cells_with_an_estimate():
    rows = small_rows(([True] * 4 + [False] * 4) * 5, [True] * 19 + [False] + [True] * 20)
    checks = attrition_checks(rows, list(CELL_KEYS), TOTAL, interval_method=SCHOOL_JACKKNIFE, replicates=40, seed=1)
    cells = pl.DataFrame(
        {
            **{k: ["ALL"] for k in CELL_KEYS},
            "effect": [0.4],
            "design_warning": [False],
            "design_warning_reason": [""],
        }
    )
    out = with_attrition(cells, checks, CELL_KEYS).row(0, named=True)

    assert out["outcome_share_supported"] == pytest.approx(0.5)
    assert out["outcome_share_comparison"] == pytest.approx(39 / 40)
    assert out["design_warning"] is True and out["design_warning_reason"] == "outcome_availability"
    # a cell without an estimate keeps its (null) warning
    empty = with_attrition(cells.with_columns(pl.lit(None, dtype=pl.Float64).alias("effect"),
                                              pl.lit(None, dtype=pl.Boolean).alias("design_warning"),
                                              pl.lit(None, dtype=pl.String).alias("design_warning_reason")),
                           checks, CELL_KEYS).row(0, named=True)  # fmt: skip
    assert empty["design_warning"] is None


def test_more_outcomes_for_the_supported_never_warn():
    """Missing marks flatter the supported only when theirs are the missing ones."""
    rows = small_rows([True] * 40, [True, False] * 20)
    checks = attrition_checks(rows, list(CELL_KEYS), TOTAL, interval_method=SCHOOL_JACKKNIFE, replicates=40, seed=1)
    assert checks.row(0, named=True)["outcome_share_gap"] == pytest.approx(0.5)
    assert attrition_reasons(checks.row(0, named=True)) == []


# --- a pre-period gap of the event study -----------------------------------------------------------------


def pretrend_cell(prior_gap: float) -> tuple[pl.DataFrame, CellData]:
    n = 40
    treated = [i % 2 == 0 for i in range(n)]
    frame = pl.DataFrame(
        {
            "outcome": [5.0] * n,
            "treated": treated,
            "baseline_subject": [5.0] * n,
            "baseline_overall": [5.0] * n,
            "weight": [1.0] * n,
            "stratum": ["a"] * n,
            "school_id": [f"S{i % 5}" for i in range(n)],
            "prior_subject": [5.0 + (prior_gap if t else 0.0) + 0.01 * (i % 3) for i, t in enumerate(treated)],
            "pre_window": [5.0] * n,
        }
    )
    return frame, CellData.from_frame(frame)


def test_a_clear_gap_two_semesters_before_support_raises_the_warning():
    frame, data = pretrend_cell(0.3)
    tight = {"gap_s-2": np.array([0.28, 0.31, 0.3, 0.29, 0.32]), "gap_s_before": np.zeros(5)}
    wide = {"gap_s-2": np.array([-0.5, 0.9, 0.3, -0.2, 0.8]), "gap_s_before": np.zeros(5)}

    assert pretrend_reasons(frame, data, tight, 5, SCHOOL_JACKKNIFE) == ["pretrend_s-2"]
    assert pretrend_reasons(frame, data, wide, 5, SCHOOL_JACKKNIFE) == []  # noise: the band covers 0
    assert pretrend_reasons(frame, data, None, 5, SCHOOL_JACKKNIFE) == []  # no replicates, no band


def test_a_trivial_pre_period_gap_does_not_warn_however_precise():
    frame, data = pretrend_cell(0.02)
    draws = {"gap_s-2": np.array([0.02, 0.021, 0.019, 0.02, 0.022]), "gap_s_before": np.zeros(5)}
    assert pretrend_reasons(frame, data, draws, 5, SCHOOL_JACKKNIFE) == []


# --- the direction of the bias ----------------------------------------------------------------------------


def placebo(effect: float) -> Placebo:
    return Placebo(effect, Interval(se=0.05, ci_low=effect - 0.1, ci_high=effect + 0.1, method=SCHOOL_BOOTSTRAP), 100)


@pytest.mark.parametrize(
    ("a", "b", "reasons", "expected"),
    [
        (-0.4, 0.0, ["placebo_a"], "down"),  # the dip world: behind before support
        (0.4, 0.0, ["placebo_a"], "up"),
        (0.0, -0.3, ["placebo_b"], None),  # a fall into s−1: passing (overstated) or continuing (understated)
        (0.0, 0.3, ["placebo_b"], None),
        (0.32, -0.31, ["placebo_a", "placebo_b"], None),  # the probe's D3: A and B disagree
        (0.3, 0.2, ["placebo_a", "placebo_b"], "up"),  # they agree
        (0.3, -0.2, ["placebo_a"], "up"),  # B's sign alone, without its warning, does not count
        (0.0, 0.0, ["pretrend_s-2"], None),
    ],
)
def test_the_bias_direction_comes_from_placebo_a_only(a, b, reasons, expected):
    assert bias_direction({"placebo_a": placebo(a), "placebo_b": placebo(b)}, reasons) == expected


def test_the_outcome_window_counts_its_nv_marks_apart_from_the_scores():
    import duckdb

    from pipelines.evaluate.stage import SQL_DIR, load_outcomes
    from pipelines.warehouse import load_sql

    con = duckdb.connect()
    con.execute("create schema core")
    con.execute(GRADES_DDL)
    marks = [
        ("2025-02-03", "score", 3, "formative"),  # before the window
        ("2025-02-04", "no_grade", None, "formative"),  # before the window: not an outcome nv
        ("2025-02-10", "score", 7, "formative"),
        ("2025-02-11", "no_grade", None, None),
        ("2025-03-01", "no_grade", None, "summative"),
        ("2025-05-30", "no_grade", None, "term"),  # a summary mark: never counted
        ("2025-03-02", "level", None, "formative"),  # not a 10-point mark, not nv
    ]
    con.executemany("insert into core.grades values (?, '2024/2025', 2, 'a', 's1', 'M', 'mathematics', ?, ?, ?)", marks)
    con.execute(f"create temp view scored_marks as {load_sql(SQL_DIR, 'scored_marks')}")
    windows = pl.DataFrame(
        {"pupil_id": ["a"], "subject": ["mathematics"], "school_year": ["2024/2025"], "semester": [2],
         "window_start": [date(2025, 2, 10)]}
    )  # fmt: skip
    out = load_outcomes(con, windows).row(0, named=True)

    assert (out["n_outcome_marks"], out["outcome"], out["n_nv_outcome_marks"]) == (1, 7.0, 2)
    assert (out["n_pre_window_marks"], out["pre_window"]) == (1, 3.0)


def test_the_pre_period_gap_raises_the_cells_design_warning():
    from pipelines.evaluate.diagnostics import diagnose_cell
    from pipelines.evaluate.estimate import estimate_cell

    frame, _ = pretrend_cell(0.3)
    frame = frame.with_columns(
        (pl.col("outcome") + pl.int_range(pl.len()) % 7 * 0.1).alias("outcome"),
        pl.format("p{}", pl.int_range(pl.len())).alias("pupil_id"),
        pl.format("k{}", pl.int_range(pl.len())).alias("key"),
    ).with_columns((pl.col("outcome") - pl.col("baseline_subject")).alias("change"))
    est = estimate_cell(frame, min_supported=5)
    draws = {"gap_s-2": np.array([0.28, 0.31, 0.3, 0.29, 0.32]), "gap_s_before": np.zeros(5)}
    out = diagnose_cell(frame, est, min_supported=5, draws=draws, replicates=5, interval_method=SCHOOL_JACKKNIFE)

    assert out["design_warning"] is True and out["design_warning_reason"] == "pretrend_s-2"
    assert out["bias_direction"] is None


def test_without_replicates_the_checks_have_no_interval_and_never_warn():
    rows = small_rows(([True] * 4 + [False] * 4) * 5, [True] * 40)
    for method in (SCHOOL_JACKKNIFE, SCHOOL_BOOTSTRAP):
        row = attrition_checks(rows, list(CELL_KEYS), TOTAL, interval_method=method, replicates=0, seed=1).row(
            0, named=True
        )
        assert row["outcome_share_gap"] == pytest.approx(-0.5) and row["outcome_share_gap_ci_low"] is None
        assert attrition_reasons(row) == []
