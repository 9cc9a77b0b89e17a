"""Subgroup effects: levels cut from the headline's matched sample, their replicate intervals, and a Wald
test of equal effects that honours the correlation of levels sharing schools."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats

from pipelines.evaluate.subgroups import replicate_covariance, wald_equal, with_levels


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
