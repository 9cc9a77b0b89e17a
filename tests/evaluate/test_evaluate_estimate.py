"""WWC statistics against hand-computed numbers; the ANCOVA recovers a known effect; small cells withheld."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipelines.evaluate.estimate import (
    bootstrap_interval,
    estimate_cell,
    hedges_g,
    improvement_index,
    weighted_mean_var,
    wwc_equivalence,
)


def test_hedges_g_matches_the_wwc_formula_by_hand():
    # pooled SD = sqrt((9·4 + 19·1) / 28) = 1.40153; ω = 1 − 3/111 = 0.972973; g = ω · 1 / 1.40153
    assert hedges_g(1.0, 4.0, 10, 1.0, 20) == pytest.approx(0.6942221, abs=1e-6)
    assert hedges_g(1.0, 0.0, 1, 0.0, 1) is None


def test_improvement_index_and_equivalence_labels():
    assert improvement_index(0.5) == pytest.approx(19.146246, abs=1e-5)
    assert improvement_index(0.0) == 0.0
    assert improvement_index(None) is None
    assert [wwc_equivalence(d) for d in (0.05, -0.04, 0.06, -0.25, 0.26, None)] == [
        "satisfied",
        "satisfied",
        "adjustment_required",
        "adjustment_required",
        "not_satisfied",
        None,
    ]


def test_weighted_variance_reduces_to_the_sample_variance_with_equal_weights():
    x = np.array([1.0, 2.0, 4.0])
    assert weighted_mean_var(x, np.ones(3)) == pytest.approx((7 / 3, np.var(x, ddof=1)))
    mean, _ = weighted_mean_var(x, np.array([1.0, 1.0, 2.0]))
    assert mean == pytest.approx(11 / 4)


def cell(n_treated: int, effect: float, seed: int = 0) -> pl.DataFrame:
    """Two strata, six schools; outcome = 1 + 0.8·baseline + stratum shift + effect·treated + noise."""
    rng = np.random.default_rng(seed)
    n = n_treated * 3
    treated = np.arange(n) < n_treated
    stratum = np.where(np.arange(n) % 2 == 0, "A", "B")
    base = rng.normal(5, 1, n) - 0.5 * treated
    overall = base + rng.normal(0, 0.5, n)
    outcome = 1 + 0.8 * base + np.where(stratum == "A", 0.0, 1.0) + effect * treated + rng.normal(0, 0.3, n)
    return pl.DataFrame(
        {
            "pupil_id": [f"p{i}" for i in range(n)],
            "school_id": [f"s{i % 6}" for i in range(n)],
            "stratum": stratum,
            "treated": treated,
            "weight": np.where(treated, 1.0, 0.5),
            "outcome": outcome,
            "baseline_subject": base,
            "baseline_overall": overall,
            "change": outcome - base,
        }
    )


def test_ancova_recovers_the_effect_adjusting_for_baseline_and_strata():
    est = estimate_cell(cell(60, 0.6), min_supported=10)

    assert not est.suppressed
    assert est.effect == pytest.approx(0.6, abs=0.12)
    assert est.ci_low < 0.6 < est.ci_high
    assert est.n_clusters == 6
    # the raw difference is biased by the lower baseline of the supported (−0.5 · 0.8 = −0.4)
    assert est.mean_treated - est.mean_comparison < est.effect - 0.2
    assert est.baseline_std_diff < -0.25 and est.wwc_equivalence == "not_satisfied"
    assert est.improvement_index == pytest.approx(improvement_index(est.hedges_g))


def test_bootstrap_interval_is_the_t_interval_on_the_sd_of_the_draws():
    # SD of 1..5 = sqrt(2.5) = 1.581139; t(5) 97.5% = 2.570582; half-width 4.064447
    se, low, high, p_value, p_low, p_high = bootstrap_interval(0.5, np.arange(1.0, 6.0), n_clusters=6)

    assert se == pytest.approx(1.581139, abs=1e-6)
    assert (low, high) == pytest.approx((0.5 - 4.064447, 0.5 + 4.064447), abs=1e-6)
    assert p_value == pytest.approx(0.764605, abs=1e-5)  # t = 0.316228 on 5 df
    assert (p_low, p_high) == pytest.approx((1.1, 4.9))


def test_enough_bootstrap_draws_give_the_interval_and_too_few_fall_back_to_cr1():
    frame = cell(60, 0.6)
    plain = estimate_cell(frame, min_supported=10)
    draws = np.random.default_rng(3).normal(0.6, 0.2, 40)
    boot = estimate_cell(frame, min_supported=10, boot_draws=draws, boot_replicates=40)
    few = estimate_cell(frame, min_supported=10, boot_draws=draws[:15], boot_replicates=40)

    assert boot.effect == plain.effect  # the point estimate never comes from the bootstrap
    assert boot.se == pytest.approx(np.std(draws, ddof=1))
    assert boot.ci_high - boot.ci_low == pytest.approx(2 * 2.570582 * boot.se, rel=1e-6)
    assert boot.boot_ci_low == pytest.approx(np.percentile(draws, 2.5)) and boot.note == ""
    assert few.se == plain.se and few.ci_low == plain.ci_low
    assert few.note == "too_few_bootstrap_draws_cr1_interval" and few.boot_ci_low is None


def test_fewer_supported_than_the_minimum_gives_counts_but_no_estimate():
    est = estimate_cell(cell(9, 0.6), min_supported=10)

    assert est.suppressed
    assert (est.n_pupils, est.n_comparison) == (9, 18)
    assert est.effect is None and est.naive_change is None and est.ci_low is None and est.hedges_g is None
