"""Subgroup effects: levels cut from the headline's matched sample, their replicate intervals, and a Wald
test of equal effects that honours the correlation of levels sharing schools."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats

from pipelines.evaluate import bootstrap
from pipelines.evaluate.matching import match_within_strata
from pipelines.evaluate.subgroups import (
    SubgroupReplicates,
    replicate_covariance,
    replicate_effects,
    wald_equal,
    with_levels,
)
from pipelines.marts import SUBGROUPS


def test_wald_test_of_two_levels_is_the_two_sided_t_test_of_their_difference() -> None:
    effects = np.array([0.2, 0.7])
    cov = np.array([[0.04, 0.0], [0.0, 0.05]])
    t = 0.5 / np.sqrt(0.09)
    assert wald_equal(effects, cov, 8) == pytest.approx(2 * stats.t.sf(t, 8))
    # levels that share schools move together: Var(θ2 − θ1) = v1 + v2 − 2c is smaller, the test sharper
    correlated = np.array([[0.04, 0.03], [0.03, 0.05]])
    assert wald_equal(effects, correlated, 8) == pytest.approx(2 * stats.t.sf(0.5 / np.sqrt(0.03), 8))
    assert wald_equal(effects, cov, 0) is None  # no degrees of freedom left


def test_jackknife_covariance_of_the_levels() -> None:
    draws = np.array([[1.0, 2.0], [2.0, 2.0], [3.0, 5.0]])
    centred = draws - draws.mean(axis=0)
    assert replicate_covariance(draws, "jackknife") == pytest.approx(2 / 3 * centred.T @ centred)
    assert replicate_covariance(np.vstack([draws, [np.nan, 1.0]]), "jackknife") is None  # a school short
    assert replicate_covariance(draws, "bootstrap") == pytest.approx(np.cov(draws.T))


def test_terciles_are_within_the_stratum_and_missing_gender_is_its_own_level() -> None:
    sample = pl.DataFrame(
        {
            "key": [f"k{i}" for i in range(6)],
            "pupil_id": ["a", "b", "c", "d", "e", "f"],
            "stratum": ["s1"] * 3 + ["s2"] * 3,
            "baseline_subject": [3.0, 5.0, 4.0, 8.0, 9.0, 7.0],  # s2 is higher throughout
        }
    )
    pupils = pl.DataFrame(
        {
            "pupil_id": ["a", "a", "b", "c"],
            "school_year": ["2024/2025", "2025/2026", "2025/2026", "2025/2026"],
            "gender": ["M", "F", None, "F"],
        }
    )
    out = with_levels(sample, pupils).sort("key")
    assert out["baseline_tercile"].to_list() == ["1", "3", "2", "2", "3", "1"]
    assert out["gender"].to_list() == ["F", "unknown", "F", "unknown", "unknown", "unknown"]  # latest roster


def replicate_sample() -> pl.DataFrame:
    """Eight schools, two strata (grade bands), two projects; genders alternate, baselines vary."""
    rng = np.random.default_rng(3)
    rows = []
    for school in range(8):
        for i in range(40):
            treated, band = i < 12, "4-6" if i % 2 else "7-9"
            base = rng.normal(4.8 if treated else 5.4, 1.0)
            rows.append(
                {
                    "key": f"s{school}p{i:02d}",
                    "pupil_id": f"s{school}p{i:02d}",
                    "school_id": f"s{school}",
                    "stratum": band,
                    "grade_band": band,
                    "treated": treated,
                    "project_code": ("P1" if school % 2 else "P2") if treated else None,
                    "baseline_subject": base,
                    "baseline_overall": base + rng.normal(0, 0.3),
                    "outcome": 2.0 + 0.7 * base + 0.4 * treated + rng.normal(0, 0.5),
                }
            )
    pupils = pl.DataFrame({"pupil_id": [r["pupil_id"] for r in rows], "school_year": "2025/2026"}).with_columns(
        pl.when(pl.int_range(pl.len()) % 3 == 0).then(pl.lit("F")).otherwise(pl.lit("M")).alias("gender")
    )
    return with_levels(pl.DataFrame(rows), pupils)


@pytest.mark.parametrize("scheme", ["jackknife", "bootstrap"])
def test_subgroup_draws_riding_on_the_headline_loop_are_their_own_loops_with_one_matching_per_replicate(
    scheme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = replicate_sample()
    kwargs = {"replicates": 6, "seed": 5, "caliper_sd": 0.25, "n_matches": 3, "min_supported": 5, "scheme": scheme}
    own, own_count = replicate_effects(rows, **kwargs)

    calls = []
    monkeypatch.setattr(
        bootstrap, "match_within_strata", lambda *a, **k: calls.append(1) or match_within_strata(*a, **k)
    )
    rider = SubgroupReplicates(replicates=6, min_supported=5)
    bootstrap.bootstrap_statistics(
        rows, ["project_code"], diagnostics=False, carry=SUBGROUPS, riders=(rider,), **kwargs
    )
    shared, count = rider.result()

    assert len(calls) == 6  # one matching per replicate for the headline and the subgroups together
    assert count == own_count == 6
    assert shared.keys() == own.keys() and len(own) >= 6  # levels of every subgroup, both projects
    for key, values in own.items():
        assert np.array_equal(np.isnan(values), np.isnan(shared[key]))
        assert np.allclose(values, shared[key], rtol=1e-12, atol=0, equal_nan=True)  # summation order only
