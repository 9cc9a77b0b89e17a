"""The school bootstrap: schools drawn twice enter as two schools, and every replicate re-runs the matching."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipelines.evaluate.bootstrap import bootstrap_statistics, resample_schools
from pipelines.evaluate.estimate import CellData, point_effect
from pipelines.evaluate.matching import match_within_strata, matched_rows


def sample(effect: float, seed: int = 0) -> pl.DataFrame:
    """Six schools, one stratum; 15 supported with low baselines, 45 possible comparisons per school."""
    rng = np.random.default_rng(seed)
    rows = []
    for school in range(6):
        for i in range(60):
            treated = i < 15
            base = rng.normal(4.5 if treated else 5.5, 1.0)
            outcome = 2.0 + 0.7 * base + effect * treated + rng.normal(0, 0.5)
            rows.append(
                {
                    "key": f"s{school}p{i}",
                    "pupil_id": f"s{school}p{i}",
                    "school_id": f"s{school}",
                    "stratum": "A",
                    "treated": treated,
                    "project_code": "P" if treated else None,
                    "baseline_subject": base,
                    "baseline_overall": base + rng.normal(0, 0.3),
                    "outcome": outcome,
                    "change": outcome - base,
                }
            )
    return pl.DataFrame(rows)


def test_a_school_drawn_twice_enters_as_two_distinct_schools():
    frame = sample(0.0)
    replica = resample_schools(frame, np.random.default_rng(1))

    drawn = replica["school_id"].str.split("#").list.first()
    assert replica.height == 6 * 60  # every school has 60 rows, six schools drawn
    assert replica["school_id"].n_unique() == 6 and replica["key"].n_unique() == replica.height
    assert drawn.n_unique() < 6  # with this seed some school is drawn twice
    assert frame["key"].n_unique() == 360 and "_copy" not in frame.columns  # input untouched


def test_bootstrap_draws_centre_on_the_effect_and_repeat_with_the_seed():
    frame = sample(0.6)
    kwargs = {"replicates": 30, "seed": 7, "caliper_sd": 0.25, "n_matches": 3, "min_supported": 10}
    draws = bootstrap_statistics(frame, ["project_code"], sets=[()], diagnostics=False, **kwargs)["effect"]
    again = bootstrap_statistics(frame, ["project_code"], sets=[()], diagnostics=False, **kwargs)["effect"]

    pairs = match_within_strata(frame, caliper_sd=0.25, n_matches=3)
    estimate = point_effect(CellData.from_frame(matched_rows(frame, pairs)))
    values = draws[("ALL",)]
    assert len(values) == 30
    assert estimate == pytest.approx(0.6, abs=0.2)
    assert np.mean(values) == pytest.approx(estimate, abs=0.05)
    assert 0.01 < np.std(values, ddof=1) < 0.15  # 90 supported, residual SD 0.5: SE about 0.06
    assert np.allclose(values, again[("ALL",)], rtol=0, atol=1e-12)  # only summation order may differ


def test_jackknife_replicas_keep_the_samples_codes_and_give_the_draws_of_codes_ranked_per_replica():
    frame = sample(0.6)
    kwargs = {"replicates": 40, "seed": 7, "caliper_sd": 0.25, "n_matches": 3, "min_supported": 10}
    seen = []
    draws = bootstrap_statistics(
        frame,
        ["project_code"],
        sets=[()],
        diagnostics=False,
        scheme="jackknife",
        riders=(lambda r, replica, pairs: seen.append(replica),),
        **kwargs,
    )["effect"][("ALL",)]

    # each replica keeps the whole sample's school codes (not ranked again): the left-out school's is a gap
    assert [sorted(set(r["_school_code"].to_list())) for r in seen] == [
        [c for c in range(6) if c != left_out] for left_out in range(6)
    ]
    expected = []
    for school in sorted(frame["school_id"].unique().to_list()):
        replica = frame.filter(pl.col("school_id") != school)
        pairs = match_within_strata(replica, caliper_sd=0.25, n_matches=3)
        expected.append(point_effect(CellData.from_frame(matched_rows(replica, pairs))))
    assert np.allclose(draws, expected, rtol=1e-12, atol=0)  # only summation order may differ
