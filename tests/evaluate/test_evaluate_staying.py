"""Staying in school: the estimate recovers the leaving-hazard effect the sample world plants.

The world (docs/sample-data.md, "Leaving school") multiplies a supported pupil's leaving hazard by
(1 − staying_effect) from the first consultation on; each episode carries the implied rise in its
pupil's probability of being enrolled at the year's end (`true_staying_effect`). The truth for the
estimate is its mean over the supported pupils the staying comparison uses.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from pipelines.config import Settings
from pipelines.evaluate.stage import load_analysis
from pipelines.evaluate.staying import (
    first_support_dates,
    follow_up,
    kaplan_meier_at,
    semester_end_expr,
    staying_estimates,
    staying_sample,
)
from pipelines.sample import simulate
from pipelines.sample.core import core_connection, simulation_frames
from pipelines.sample.simulate import NEVER, day_number, draw_leaving
from pipelines.sample.world import semester_calendar


def staying_total(staying_effect: float) -> tuple[dict, float]:
    """The ALL row of the staying estimate and the planted truth for its supported pupils."""
    sim = simulate(schools=9, seed=42, effect=0.6, staying_effect=staying_effect)
    con = core_connection(simulation_frames(sim))
    settings = Settings()
    inputs, episodes, candidates, _ = load_analysis(con, settings)
    cfg = settings.evaluate
    rows = staying_sample(candidates, inputs["pupils"], first_support_dates(inputs["consultations"]), episodes)
    estimates = staying_estimates(
        rows,
        caliper_sd=cfg.caliper_sd,
        n_matches=cfg.n_matches,
        min_supported=cfg.min_supported_for_estimate,
        replicates=cfg.bootstrap_replicates,
        seed=cfg.seed,
        interval_method=cfg.interval_method,
    )
    total = estimates.filter(pl.col("school_year") == "ALL").row(0, named=True)
    supported = rows.filter(pl.col("treated")).select("pupil_id", "subject")
    truth = supported.join(sim.episodes, on=["pupil_id", "subject"], how="left")["true_staying_effect"]
    assert truth.null_count() == 0
    con.close()
    return total, float(truth.mean())


def test_no_staying_effect_planted_gives_an_interval_covering_zero() -> None:
    total, truth = staying_total(0.0)
    assert truth == 0.0
    assert total["ci_low"] <= 0.0 <= total["ci_high"]


@pytest.mark.xfail(
    strict=True,
    reason=(
        "Still biased towards zero at seed 42 (docs/method.md, 'Staying in school: validated?'): at staying_effect=0.9 "
        "truth +3.6 p.p., estimate +1.4 (95 % CI -0.3 to +3.0). Fixed: comparisons supported later in the year "
        "(left out / censored) and the world's start-semester hazard. Seeds 1, 2, 7 cover the truth, 3 and 42 do "
        "not (five-seed mean +2.1 vs +3.8). Strict: a fix makes this pass and must then drop the mark."
    ),
)
def test_staying_estimate_recovers_a_planted_effect_within_its_interval() -> None:
    total, truth = staying_total(0.9)
    assert truth > 0.03  # large enough that recovering it means something
    assert total["ci_low"] <= truth <= total["ci_high"]


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
