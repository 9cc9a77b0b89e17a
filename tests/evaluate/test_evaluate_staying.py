"""Staying in school: the estimate recovers the leaving-hazard effect the sample world plants.

The world (docs/sample-data.md, "Leaving school") multiplies a supported pupil's leaving hazard by
(1 − staying_effect) from the first consultation on; each episode carries the implied rise in its
pupil's probability of being enrolled at the year's end (`true_staying_effect`). The truth for the
estimate is its mean over the supported pupils the estimate describes: those that found a matched
comparison (`n_pupils`; docs/method.md, "Staying in school: validated?").
"""

from __future__ import annotations

from datetime import date
from functools import cache

import numpy as np
import polars as pl
import pytest

from pipelines.config import Settings
from pipelines.evaluate.matching import match_within_strata, matched_rows
from pipelines.evaluate.stage import load_analysis
from pipelines.evaluate.staying import (
    balanced,
    calibrated_weights,
    first_support_dates,
    follow_up,
    kaplan_meier_at,
    semester_end_expr,
    staying_estimates,
    staying_sample,
)
from pipelines.sample import simulate
from pipelines.sample.core import core_connection, simulation_frames
from pipelines.sample.simulate import NEVER, Simulation, day_number, draw_leaving
from pipelines.sample.world import semester_calendar


@cache
def staying_world(staying_effect: float, seed: int = 42) -> tuple[Simulation, pl.DataFrame]:
    """The sample world and its staying sample (built once per effect and seed in this module)."""
    sim = simulate(schools=9, seed=seed, effect=0.6, staying_effect=staying_effect)
    con = core_connection(simulation_frames(sim))
    inputs, episodes, candidates, _ = load_analysis(con, Settings())
    con.close()
    rows = staying_sample(candidates, inputs["pupils"], first_support_dates(inputs["consultations"]), episodes)
    return sim, rows


def estimate(rows: pl.DataFrame, **overrides: object) -> pl.DataFrame:
    cfg = Settings().evaluate
    options: dict = {
        "caliper_sd": cfg.caliper_sd,
        "n_matches": cfg.n_matches,
        "min_supported": cfg.min_supported_for_estimate,
        "replicates": cfg.bootstrap_replicates,
        "seed": cfg.seed,
        "interval_method": cfg.interval_method,
    }
    return staying_estimates(rows, **(options | overrides))


def staying_total(staying_effect: float, seed: int = 42) -> tuple[dict, float]:
    """The ALL row of the staying estimate and the planted truth for the supported pupils it describes."""
    sim, rows = staying_world(staying_effect, seed)
    cfg = Settings().evaluate
    total = estimate(rows).filter(pl.col("school_year") == "ALL").row(0, named=True)
    pairs = match_within_strata(rows, caliper_sd=cfg.caliper_sd, n_matches=cfg.n_matches)
    described = matched_rows(rows, pairs).filter(pl.col("treated")).select("pupil_id", "subject")
    assert described["pupil_id"].n_unique() == total["n_pupils"]
    truth = described.join(sim.episodes, on=["pupil_id", "subject"], how="left")["true_staying_effect"]
    assert truth.null_count() == 0
    return total, float(truth.mean())


def test_no_staying_effect_planted_gives_an_interval_covering_zero() -> None:
    total, truth = staying_total(0.0)
    assert truth == 0.0
    assert total["ci_low"] <= 0.0 <= total["ci_high"]
    # the sample world's comparisons balance in every start period × grade band
    assert total["n_balance_cells"] > 0
    assert total["n_unbalanced_cells"] == 0 and total["n_unbalanced_pupils"] == 0


def test_staying_estimate_recovers_a_planted_effect_within_its_interval() -> None:
    """Seed 42 only; across seeds the interval covers the truth in 7 of 8 (benchmarks/staying_coverage.py)."""
    total, truth = staying_total(0.9)
    assert truth > 0.02  # large enough that recovering it means something
    assert total["ci_low"] <= truth <= total["ci_high"]
    assert total["difference"] > 0


def test_a_cell_whose_comparisons_cannot_be_balanced_is_counted() -> None:
    """Supported pupils of one start period × grade band whose mean overall baseline lies above every
    comparison's there (matching's caliper is on the subject mean only, so they still match): no
    calibration exists, the comparisons keep their matching weights, and the estimate says so."""
    _, rows = staying_world(0.0)
    first = rows.filter(pl.col("treated")).select("period", "grade_band").sort("period", "grade_band").row(0)
    cell = (pl.col("period") == first[0]) & (pl.col("grade_band") == first[1])
    top = rows.filter(cell & ~pl.col("treated"))["baseline_overall"].max()
    above = pl.when(cell & pl.col("treated")).then(top + 0.5).otherwise(pl.col("baseline_overall"))
    moved = rows.with_columns(above.alias("baseline_overall"))
    estimates = estimate(moved, replicates=0)
    total = estimates.filter(pl.col("school_year") == "ALL").row(0, named=True)
    assert total["n_unbalanced_cells"] == 1
    assert total["n_balance_cells"] > 1
    supported = moved.filter(cell & pl.col("treated"))["pupil_id"].n_unique()
    assert 0 < total["n_unbalanced_pupils"] <= supported  # those of them that found a comparison
    year = estimates.filter(pl.col("school_year") != "ALL")
    assert year["n_unbalanced_cells"].sum() == 1  # the cell's own school year, no other


def test_calibrated_weights_balance_the_means_and_keep_the_total() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal([5.0, 6.0], [1.0, 0.8], size=(200, 2))
    weight = rng.uniform(0.2, 1.0, 200)
    target = np.array([4.7, 5.8])
    calibrated = calibrated_weights(x, weight, target)
    assert calibrated is not None
    assert calibrated.sum() == pytest.approx(weight.sum())
    assert (calibrated * x.T).sum(axis=1) / calibrated.sum() == pytest.approx(target, abs=1e-6)
    # a target no weighting of these rows can reach: none, and the caller keeps the matching weights
    assert calibrated_weights(x, weight, np.array([x[:, 0].max() + 1.0, 6.0])) is None


def test_comparison_weights_are_balanced_within_period_and_grade_band() -> None:
    """Calibration moves weight inside a start period × grade band only, so each band keeps the comparison
    total the matching gave it; there, the comparisons' mean baselines equal the supported pupils'."""
    rng = np.random.default_rng(5)
    n = 60
    comparison = pl.DataFrame(
        {
            "period": [1] * n,
            "grade_band": ["7-9"] * (n // 2) + ["10-12"] * (n // 2),
            "baseline_subject": rng.normal(5.0, 1.0, n),
            "baseline_overall": rng.normal(6.0, 1.0, n),
            "weight": np.full(n, 0.5),
        }
    )
    treated = pl.DataFrame(
        {
            "period": [1] * 4,
            "grade_band": ["7-9", "7-9", "10-12", "10-12"],
            "baseline_subject": [4.6, 4.8, 5.0, 5.2],
            "baseline_overall": [5.6, 5.8, 6.0, 6.2],
        }
    )
    out = balanced(treated, comparison)
    assert out["calibrated"].all()  # both cells balanced: nothing for the report to say
    totals = dict(out.group_by("grade_band").agg(pl.col("weight").sum()).iter_rows())
    assert totals == pytest.approx({"7-9": 15.0, "10-12": 15.0})
    band = out.filter(pl.col("grade_band") == "7-9")
    mean = (band["baseline_overall"] * band["weight"]).sum() / band["weight"].sum()
    assert mean == pytest.approx(5.7, abs=1e-6)


def test_an_activity_counts_as_first_support_for_the_staying_comparison():
    """A pupil listed in an activity before any consultation is supported from that day (issue 17),
    so the staying comparison never takes them as unsupported after it."""
    from datetime import date as day

    consultations = pl.DataFrame({"pupil_id": ["a", "b"], "date": [day(2025, 3, 1), day(2025, 3, 1)]})
    activities = pl.DataFrame({"pupil_id": ["a", "c"], "date": [day(2025, 1, 10), day(2025, 2, 1)]})
    found = dict(first_support_dates(consultations, activities).sort("pupil_id").iter_rows())
    assert found == {"a": day(2025, 1, 10), "b": day(2025, 3, 1), "c": day(2025, 2, 1)}
    assert dict(first_support_dates(consultations).iter_rows()) == {"a": day(2025, 3, 1), "b": day(2025, 3, 1)}


def test_kaplan_meier_counts_a_censored_comparison_only_while_it_is_followed() -> None:
    # events on days 10 and 30, one row censored on day 20, one followed to day 40: S(50) = 3/4 · 1/2
    exit_ = np.array([10.0, 20.0, 30.0, 40.0])
    event = np.array([True, False, True, False])
    survival = kaplan_meier_at(exit_, event, np.ones(4), np.array([5.0, 10.0, 11.0, 50.0]))
    assert survival == pytest.approx([1.0, 1.0, 0.75, 0.375])
    # weights count as that many rows
    weighted = kaplan_meier_at(exit_[:3], event[:3], np.array([1.0, 1.0, 2.0]), np.array([50.0]))
    assert weighted == pytest.approx([0.75 * 0.0])


def test_comparisons_supported_later_are_censored_or_left_out() -> None:
    """A comparison that starts support in its own start semester is no comparison; one that starts in a
    later semester of the year counts as unsupported only until then (it used to count as staying)."""
    rows = pl.DataFrame(
        {
            "pupil_id": ["c1", "c2", "c3"],
            "school_year": ["2025/2026"] * 3,
            "semester": [1, 1, 1],
            "treated": [False] * 3,
            "window_start": [date(2025, 10, 1)] * 3,
            "first_support_date": [date(2025, 11, 1), date(2026, 2, 1), None],
            "left_on": [None, date(2026, 3, 1), None],
            "stayed": [True, False, True],
        }
    )
    kept = rows.filter(pl.col("first_support_date").is_null() | (pl.col("first_support_date") > semester_end_expr()))
    assert kept["pupil_id"].to_list() == ["c2", "c3"]
    followed = follow_up(kept).select("pupil_id", "event", "exit", "horizon").rows()
    # c2 left after its support began: censored on that day, not an event; c3 followed to 1 June
    assert followed == [("c2", False, 123, 243), ("c3", False, 243, 243)]


def test_a_pupil_whose_support_starts_this_semester_leaves_before_it_or_at_the_cut_rate() -> None:
    """With staying_effect = 1 a pupil supported from this semester can only leave on or before the day of
    the first consultation, at the full hazard over those days (the old world moved all of it after)."""
    cal = semester_calendar()[1]
    days = day_number(cal["school_days"])
    n = 4000
    consult = np.full((n, 2), NEVER, dtype=np.int64)
    consult[:, 0] = days[len(days) // 4]
    p = {"ability": np.full(n, -5.0), "left_day": np.full(n, NEVER), "leaving_reason": np.full(n, None, dtype=object)}
    draw_leaving(p, np.ones(n, bool), np.zeros(n, bool), consult, cal, np.random.default_rng(1), 1.0)
    left = p["left_day"] < NEVER
    share_before = (np.searchsorted(days, days[len(days) // 4], side="right")) / len(days)
    assert (p["left_day"][left] <= days[len(days) // 4]).all()
    assert left.mean() == pytest.approx(0.03 * np.exp(3.5) * share_before, abs=0.03)


def test_a_pupil_supported_by_activities_alone_is_a_supported_unit_from_the_first_activity() -> None:
    """Issue 17: a pupil whose first support is an activity is a supported unit for staying, time zero the
    first activity; one listed after their first consultation keeps the consultation episode as unit."""
    math, latvian = "Matemātika", "Latviešu valoda"
    pupils_ = ["a", "a", "b", "b", "c", "c", "d", "e", "e", "f"]
    subjects = [math, latvian, math, latvian, math, latvian, math, math, latvian, math]
    treated = [p in ("a", "d") and s == math for p, s in zip(pupils_, subjects, strict=True)]
    candidates = pl.DataFrame(
        {
            "pupil_id": pupils_,
            "subject": subjects,
            "school_year": ["2025/2026"] * 10,
            "semester": [1] * 10,
            "period": [3] * 10,
            "treated": treated,
            "start_date": [date(2025, 10, 6) if t else None for t in treated],
            "window_start": [date(2025, 10, 6)] * 10,
        }
    )
    pupils = pl.DataFrame(
        {"pupil_id": list("abcdef"), "school_year": ["2025/2026"] * 6, "left_on": [None] * 6},
        schema={"pupil_id": pl.String, "school_year": pl.String, "left_on": pl.Date},
    )
    episodes = pl.DataFrame(
        {
            "pupil_id": ["a", "d"],
            "subject": [math] * 2,
            "start_date": [date(2025, 10, 6)] * 2,
            "project_code": ["P"] * 2,
        }
    )
    consultations = pl.DataFrame({"pupil_id": ["a", "d"], "date": [date(2025, 10, 6)] * 2})
    activities = pl.DataFrame(
        {
            "pupil_id": ["b", "c", "d", "f"],
            "date": [date(2025, 10, 1), date(2025, 9, 20), date(2025, 11, 1), date(2026, 2, 2)],
            "subject": [None, math, None, None],
        }
    )
    first = first_support_dates(consultations, activities)
    rows = staying_sample(candidates, pupils, first, episodes, activities)
    treated = rows.filter(pl.col("treated")).select("pupil_id", "subject", "window_start").sort("pupil_id").rows()
    assert treated == [
        ("a", math, date(2025, 10, 6)),
        ("b", latvian, date(2025, 10, 1)),  # no subject given: the first subject in alphabetical order
        ("c", math, date(2025, 9, 20)),  # the activity's subject
        ("d", math, date(2025, 10, 6)),  # consultation first: the activity after it changes nothing
    ]
    # f's first activity is next semester: a comparison now (censored then); b and c never comparisons
    assert sorted(rows.filter(~pl.col("treated"))["pupil_id"].unique()) == ["e", "f"]
    # before: activity participants were only kept out of the comparisons
    before = staying_sample(candidates, pupils, first, episodes)
    assert sorted(before.filter(pl.col("treated"))["pupil_id"]) == ["a", "d"]
