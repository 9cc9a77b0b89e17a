"""The figures for decisions: MDES, probabilities under the sceptical prior, partial pooling."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats

from pipelines.evaluate.decide import decision_columns, interval_dof, mdes, posterior, prob_above, shrink
from pipelines.evaluate.intervals import t_interval


def test_mdes_matches_a_hand_calculation() -> None:
    # df = 9, from a printed t table: t(0.975) = 2.262, t(0.80) = 0.883; SE 0.2 -> (2.262 + 0.883) × 0.2 = 0.629
    assert mdes(0.2, 9) == pytest.approx(0.629, abs=2e-4)
    # large df: the familiar 2.80 × SE (1.959964 + 0.841621)
    assert mdes(0.1, math.inf) == pytest.approx(0.2801585, abs=1e-6)


@pytest.mark.parametrize("dof", [1.0, 3.0, 5.0, 11.0, 4.37, 250.0])
def test_degrees_of_freedom_are_read_back_from_the_interval(dof: float) -> None:
    low, high, _ = t_interval(0.3, 0.15, dof)
    assert interval_dof(0.3, 0.15, low, high) == pytest.approx(dof, rel=1e-6)


def test_probabilities_match_the_normal_normal_closed_form() -> None:
    # prior N(0, 0.3²), estimate 0.4 with SE 0.2: posterior precision 1/0.09 + 1/0.04 = 36.111…,
    # mean 0.4/0.04 / 36.111 = 0.276923, SD 1/√36.111 = 0.166410
    mean, sd = posterior(0.4, 0.2, 0.3)
    assert (mean, sd) == pytest.approx((0.276923, 0.166410), abs=1e-6)
    assert prob_above(0.4, 0.2, 0.3) == pytest.approx(stats.norm.cdf(0.276923 / 0.166410), abs=1e-6)
    assert prob_above(0.4, 0.2, 0.3) == pytest.approx(0.95197, abs=1e-4)
    assert prob_above(0.4, 0.2, 0.3, 0.2) == pytest.approx(stats.norm.cdf((0.276923 - 0.2) / 0.166410), abs=1e-6)
    # the sceptical prior pulls towards zero: less sure than the flat-prior reading Φ(0.4/0.2)
    assert prob_above(0.4, 0.2, 0.3) < stats.norm.cdf(2.0)


def test_shrinkage_moves_imprecise_cells_more_than_precise_ones() -> None:
    effects = np.array([0.9, 0.9, -0.3, 0.5, 0.1])
    ses = np.array([0.6, 0.1, 0.5, 0.1, 0.2])
    pooled, pooled_se, tau2 = shrink(effects, ses, parent=0.3, parent_se=0.05)
    assert tau2 > 0
    moved = np.abs(pooled - effects) / np.abs(effects - 0.3)  # share of the way to the parent
    assert moved[0] > moved[1] > 0  # same estimate, SE 0.6 moves more than SE 0.1
    assert moved[2] > moved[3]
    assert np.all(np.sign(pooled - 0.3) == np.sign(effects - 0.3))  # never past the parent
    assert np.all(pooled_se < ses)


def test_no_spread_beyond_noise_pools_every_cell_to_the_parent() -> None:
    pooled, _, tau2 = shrink(np.array([0.25, 0.35]), np.array([0.4, 0.4]), parent=0.3, parent_se=0.05)
    assert tau2 == 0 and pooled == pytest.approx([0.3, 0.3])


def cell(project: str, muni: str, effect: float | None, se: float | None, dof: float = 9) -> dict:
    low, high, _ = t_interval(effect, se, dof) if effect is not None else (None, None, None)
    return {"project_code": project, "municipality": muni, "subject": "ALL", "school_year": "ALL",
            "effect": effect, "se": se, "ci_low": low, "ci_high": high}  # fmt: skip


def test_decision_columns_pool_each_family_towards_its_project_total() -> None:
    cells = pl.DataFrame(
        [
            cell("P1", "ALL", 0.3, 0.05),
            cell("P1", "A", 1.2, 0.5),
            cell("P1", "B", 1.2, 0.1),
            cell("P1", "C", -0.4, 0.3),
            cell("P1", "D", None, None),  # withheld: no figures
            cell("P2", "ALL", -0.1, 0.1),
            cell("P2", "A", 0.5, 0.2),  # alone in its family: not pooled
        ]
    )
    out = decision_columns(cells, ("project_code", "municipality", "subject", "school_year"), "ALL",
                           prior_sd=0.3, threshold=0.2).to_dicts()  # fmt: skip
    total, a, b, c, d, _p2_total, p2a = out
    assert total["effect_pooled"] is None and total["mdes"] == pytest.approx(mdes(0.05, 9))
    assert abs(a["effect_pooled"] - 0.3) < abs(b["effect_pooled"] - 0.3)  # the imprecise one pulled harder
    assert a["ci_low_pooled"] < a["effect_pooled"] < a["ci_high_pooled"]
    assert all(d[c] is None for c in ("mdes", "prob_positive", "effect_pooled"))
    assert p2a["effect_pooled"] is None and p2a["prob_positive"] is not None
    assert c["prob_above_threshold"] < c["prob_positive"] < 0.5
    assert c["mdes"] == pytest.approx(mdes(0.3, 9))


def test_few_schools_do_not_make_the_probability_overconfident() -> None:
    # 2 schools: the interval is effect ± 12.7 × SE. The probability must reflect that width, not the SE.
    two_schools, many_schools = cell("P", "ALL", 0.55, 0.1, dof=1), cell("P", "ALL", 0.55, 0.1, dof=1e6)
    out = decision_columns(pl.DataFrame([two_schools]), ("project_code", "municipality", "subject", "school_year"),
                           "ALL", prior_sd=0.3, threshold=0.2).row(0, named=True)  # fmt: skip
    wide_se = (two_schools["ci_high"] - two_schools["ci_low"]) / (2 * stats.norm.ppf(0.975))
    assert out["prob_positive"] == pytest.approx(prob_above(0.55, wide_se, 0.3))
    assert out["prob_positive"] < 0.9 < prob_above(0.55, 0.1, 0.3)
    assert interval_dof(0.55, 0.1, many_schools["ci_low"], many_schools["ci_high"]) > 1e4
