"""Each interval method against an independent computation on a small fixed dataset."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import statsmodels.api as sm
from evaluate_fixtures import simulation_connection

from pipelines.config import INTERVAL_METHODS as config_methods
from pipelines.config import EvaluateSettings, Settings
from pipelines.evaluate.intervals import Fit, cr1_se, cr2, cr3, jackknife_se, wild_cluster_bootstrap
from pipelines.evaluate.stage import CELL_KEYS, INTERVAL_TEXT, run_evaluate
from pipelines.marts import INTERVAL_METHODS


def dataset(g: int = 6, per: int = 12, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """y = 0.5 t + 0.8 x + school shock + noise, unequal school sizes, heteroskedastic."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(per // 2, per * 2, g)
    cluster = np.repeat(np.arange(g), sizes)
    n = len(cluster)
    t = (rng.random(n) < 0.4).astype(float)
    x = rng.normal(size=n) + 0.3 * t
    y = 0.5 * t + 0.8 * x + rng.normal(0, 0.5, g)[cluster] + rng.normal(size=n) * (1 + t)
    z = np.column_stack([t, x, np.ones(n)])
    return y, z, cluster


def test_cr1_equals_statsmodels_cluster_se():
    y, z, cluster = dataset()
    fit = sm.OLS(y, z).fit(cov_type="cluster", cov_kwds={"groups": cluster, "use_correction": True})
    assert cr1_se(Fit.of(y, z, cluster)) == pytest.approx(fit.bse[0], rel=1e-10)


def test_cr2_with_one_row_per_cluster_is_hc2():
    """With singleton clusters CR2 reduces to HC2 (statsmodels), an independent implementation."""
    y, z, _ = dataset()
    se, dof = cr2(Fit.of(y, z, np.arange(len(y))))
    assert se == pytest.approx(sm.OLS(y, z).fit(cov_type="HC2").bse[0], rel=1e-8)
    assert 1 < dof < len(y)


def test_cr2_against_the_dense_textbook_formula_and_dof():
    y, z, cluster = dataset()
    fit = Fit.of(y, z, cluster)
    se, dof = cr2(fit)
    c = np.linalg.inv(z.T @ z)
    h = z @ c @ z.T
    meat, cols = 0.0, []
    for g in range(6):
        rows = np.flatnonzero(cluster == g)
        lam, p = np.linalg.eigh(np.eye(len(rows)) - h[np.ix_(rows, rows)])
        a = p @ np.diag(lam**-0.5) @ p.T
        meat += (c[0] @ z[rows].T @ a @ fit.resid[rows]) ** 2
        col = (np.eye(len(y)) - h)[:, rows] @ a @ z[rows] @ c[:, 0]
        cols.append(col)
    gmat = np.column_stack(cols)
    lam = np.linalg.eigvalsh(gmat.T @ gmat)
    assert se == pytest.approx(math.sqrt(meat), rel=1e-8)
    assert dof == pytest.approx(lam.sum() ** 2 / np.sum(lam**2), rel=1e-8)
    assert dof < 6  # fewer than the clusters: the point of the correction


def test_cr3_is_the_leave_one_school_out_refit():
    y, z, cluster = dataset()
    full = np.linalg.lstsq(z, y, rcond=None)[0][0]
    drops = [np.linalg.lstsq(z[cluster != g], y[cluster != g], rcond=None)[0][0] for g in range(6)]
    expected = math.sqrt(5 / 6 * np.sum((np.array(drops) - full) ** 2))
    assert cr3(Fit.of(y, z, cluster)) == pytest.approx(expected, rel=1e-8)


def test_jackknife_se_formula():
    draws = np.array([1.0, 2.0, 4.0])
    assert jackknife_se(draws) == pytest.approx(math.sqrt(2 / 3 * np.sum((draws - draws.mean()) ** 2)))


def brute_force_wcr_p(y: np.ndarray, z: np.ndarray, cluster: np.ndarray, theta0: float) -> float:
    """WCR p-value by refitting statsmodels on every one of the 2^G Rademacher sign vectors."""
    restricted = sm.OLS(y - theta0 * z[:, 0], z[:, 1:]).fit()
    fitted, resid = theta0 * z[:, 0] + restricted.fittedvalues, restricted.resid
    actual = sm.OLS(y, z).fit(cov_type="cluster", cov_kwds={"groups": cluster})
    t_obs = (actual.params[0] - theta0) / actual.bse[0]
    t_star = []
    for signs in itertools.product([-1.0, 1.0], repeat=int(cluster.max()) + 1):
        ystar = fitted + np.array(signs)[cluster] * resid
        b = sm.OLS(ystar, z).fit(cov_type="cluster", cov_kwds={"groups": cluster})
        t_star.append((b.params[0] - theta0) / b.bse[0])
    return float(np.mean(np.abs(t_star) >= abs(t_obs) - 1e-12))


def test_wild_cluster_bootstrap_matches_refitting_every_draw(monkeypatch):
    """With all 2^6 Rademacher draws the algebraic shortcut must give the brute-force p-value exactly."""
    import pipelines.evaluate.intervals as iv

    y, z, cluster = dataset()
    signs = np.array(list(itertools.product([-1.0, 1.0], repeat=6))).T  # 6 × 64

    class AllSigns:
        def choice(self, values, size):  # the enumeration instead of random draws
            return signs

    monkeypatch.setattr(iv.np.random, "default_rng", lambda seed: AllSigns())
    fit = Fit.of(y, z, cluster)
    result = wild_cluster_bootstrap(fit, draws=64, weights="rademacher")
    assert result.p_value == pytest.approx(brute_force_wcr_p(y, z, cluster, 0.0))
    # the interval is the set the test does not reject: its ends sit where p crosses 0.05
    assert result.ci_low < fit.effect < result.ci_high
    assert brute_force_wcr_p(y, z, cluster, result.ci_low - 1e-6) <= 0.05 + 1e-12
    assert brute_force_wcr_p(y, z, cluster, result.ci_high + 1e-6) <= 0.05 + 1e-12
    assert brute_force_wcr_p(y, z, cluster, result.ci_low + 1e-3) > 0.05


def test_wild_cluster_bootstrap_webb_is_seeded_and_wider_than_cr1():
    y, z, cluster = dataset()
    fit = Fit.of(y, z, cluster)
    a, b = wild_cluster_bootstrap(fit, seed=7), wild_cluster_bootstrap(fit, seed=7)
    assert a == b
    assert a.ci_high - a.ci_low > 2 * 1.96 * cr1_se(fit)


# --- the stage: evaluate.interval_method picks the method for the effect and its placebos ------------


@pytest.fixture(scope="module")
def small_world():
    con = simulation_connection(schools=4, seed=11, effect=0.6)
    yield con
    con.close()


@pytest.mark.parametrize("method", INTERVAL_METHODS)
def test_stage_publishes_the_chosen_method_for_effect_and_placebo(small_world, method):
    settings = Settings(evaluate=EvaluateSettings(bootstrap_replicates=10, interval_method=method))
    run_evaluate(small_world, settings)
    row = (
        small_world.sql(
            "select * from marts.effectiveness_detail where " + " and ".join(f"{k} = 'ALL'" for k in CELL_KEYS)
        )
        .pl()
        .row(0, named=True)
    )
    assert row["interval_method"] == method and row["placebo_interval_method"] == method
    assert row["ci_low"] < row["effect"] < row["ci_high"] and row["se"] > 0
    assert INTERVAL_TEXT[method].format(replicates=10) in row["design"]


def test_unknown_interval_method_is_refused_and_the_words_agree():
    assert config_methods == INTERVAL_METHODS
    with pytest.raises(ValueError, match="interval_method"):
        EvaluateSettings(interval_method="magic")


def test_wild_interval_without_a_bracket_is_unavailable_not_endless():
    """Two schools: the WCR test cannot reject anything within 50 SEs; the method gives way to CR1."""
    y, z, cluster = dataset(g=2, per=30)
    wild = wild_cluster_bootstrap(Fit.of(y, z, cluster))
    assert math.isnan(wild.ci_low) and math.isnan(wild.ci_high)


def test_jackknife_leaves_out_each_school_or_at_most_replicates_groups():
    from pipelines.evaluate.bootstrap import jackknife_groups

    schools = [f"S{i:02d}" for i in range(7)]
    assert jackknife_groups(schools, 40, seed=1) == [[s] for s in schools]
    many = [f"S{i:03d}" for i in range(95)]
    groups = jackknife_groups(many, 40, seed=1)
    assert len(groups) == 40 and sorted(s for g in groups for s in g) == many
    assert {len(g) for g in groups} == {2, 3} and groups == jackknife_groups(many, 40, seed=1)
