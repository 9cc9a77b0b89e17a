"""Staying in school: the estimate recovers the leaving-hazard effect the sample world plants.

The world (docs/sample-data.md, "Leaving school") multiplies a supported pupil's leaving hazard by
(1 − staying_effect); each episode carries the implied rise in its pupil's probability of being enrolled
at the year's end (`true_staying_effect`). The truth for the estimate is its mean over the supported
pupils the staying comparison uses.
"""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.config import Settings
from pipelines.evaluate import load_analysis
from pipelines.evaluate.staying import first_support_dates, staying_estimates, staying_sample
from pipelines.sample import simulate
from pipelines.sample.core import simulation_frames

from .conftest import core_connection


def staying_total(staying_effect: float) -> tuple[dict, float]:
    """The ALL row of the staying estimate and the planted truth for its supported pupils."""
    sim = simulate(schools=9, seed=42, effect=0.6, staying_effect=staying_effect)
    con = core_connection(simulation_frames(sim))
    settings = Settings()
    inputs, episodes, candidates, _ = load_analysis(con, settings)
    cfg = settings.evaluate
    rows = staying_sample(candidates, inputs["pupils"], first_support_dates(inputs["consultations"]), episodes)
    estimates = staying_estimates(
        rows, caliper_sd=cfg.caliper_sd, n_matches=cfg.n_matches, min_supported=cfg.min_supported_for_estimate
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
        "Known bias towards zero (docs/method.md, 'Staying in school: validated?'). Measured at staying_effect=0.9: "
        "truth +4.6 p.p., estimate +0.7 p.p. (95 % CI -0.7 to +2.1); the matched comparison leaves at about half "
        "the rate the supported would without support. Parts measured: comparisons supported later in the year "
        "(+1.0 p.p. when dropped), the sample world piling a supported pupil's whole-semester hazard after the "
        "first consultation. Strict: a fix makes this pass and must then drop the mark."
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
