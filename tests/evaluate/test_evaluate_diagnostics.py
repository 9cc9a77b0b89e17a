"""Design diagnostics: placebos and the design warning, the robustness value, sample flow, all-supported estimate.

The stage tests run the sample world as it is (the design holds: no warning, placebo around zero) and
its `dip` world, where teachers pick pupils on a dip in the start term that already shows before
support (the threat the headline cannot see: the warning must fire).
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest

from pipelines.config import Settings
from pipelines.evaluate.diagnostics import (
    Placebo,
    adjusted_estimate,
    benchmark_bounds,
    robustness_value,
    sensitivity,
    warning_reasons,
)
from pipelines.evaluate.estimate import SCHOOL_BOOTSTRAP, CellData, Interval
from pipelines.evaluate.stage import CELL_KEYS, run_evaluate
from pipelines.sample import simulate
from pipelines.sample.core import core_connection, simulation_frames

# A small dataset and what PySensemakr 0.0.8 says about it (computed once, pandas 2.1 / numpy 1.26):
#   fit = smf.ols("outcome ~ treated + b_subject + b_overall + C(stratum)", data=df).fit()
#   s = sensemakr.Sensemakr(model=fit, treatment="treated", benchmark_covariates=["b_overall"], kd=[1], ky=[1])
STRATUM = ["a"] * 20 + ["b"] * 20 + ["c"] * 20
B_SUBJECT = [
    5.0, 5.3, 4.73, 4.11, 4.55, 4.01, 5.06, 6.34, 4.51, 4.38, 5.49, 5.36, 5.11, 4.07, 4.97, 5.7, 3.66, 4.54, 3.1,
    3.71, 3.16, 4.76, 3.73, 5.27, 5.16, 4.81, 2.48, 4.46, 4.95, 5.11, 3.47, 4.52, 4.02, 4.19, 6.06, 4.19, 4.97,
    5.88, 4.42, 4.89, 5.11, 5.06, 3.77, 5.08, 6.36, 3.45, 5.86, 5.12, 4.36, 7.0, 5.76, 3.8, 5.07, 5.58, 4.81, 5.68,
    4.93, 5.67, 6.44, 4.32,
]  # fmt: skip
B_OVERALL = [
    5.62, 5.37, 5.44, 4.34, 4.93, 4.89, 6.07, 6.86, 4.46, 4.71, 6.13, 4.48, 5.28, 4.98, 6.24, 6.26, 4.63, 5.05, 4.4,
    5.77, 4.32, 5.2, 5.08, 5.56, 5.46, 4.74, 4.23, 4.96, 6.17, 5.95, 4.72, 5.66, 4.81, 5.73, 6.03, 5.45, 4.71, 6.15,
    4.2, 4.22, 5.37, 4.99, 4.98, 6.89, 5.68, 4.35, 6.05, 5.86, 5.07, 6.38, 6.3, 5.21, 4.91, 5.74, 5.43, 5.21, 5.62,
    5.32, 6.8, 5.28,
]  # fmt: skip
TREATED = [
    0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1,
    1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0,
]  # fmt: skip
OUTCOME = [
    5.92, 5.76, 5.12, 4.36, 6.21, 5.13, 6.24, 7.38, 6.49, 5.59, 6.44, 5.61, 5.04, 5.7, 6.63, 6.19, 5.02, 5.86, 4.84,
    5.69, 4.23, 7.53, 4.16, 6.92, 6.53, 6.91, 6.16, 6.75, 5.3, 5.4, 5.55, 5.0, 5.25, 6.3, 5.53, 4.36, 6.5, 7.31,
    5.62, 6.13, 4.99, 4.32, 5.12, 5.34, 5.21, 4.78, 6.28, 6.66, 4.35, 6.59, 5.55, 4.13, 6.17, 5.94, 6.3, 6.24, 7.26,
    4.88, 8.11, 5.1,
]  # fmt: skip
SENSEMAKR = {
    "estimate": 0.6181764944389323,
    "t_statistic": 2.9962981417123915,
    "dof": 54,
    "rv_q": 0.3330041899207138,
    "r2dz_x": 0.04354111788174331,
    "r2yz_dx": 0.03908065677229508,
    "adjusted_estimate": 0.5542292397704909,
}


def sensemakr_cell() -> CellData:
    n = len(OUTCOME)
    frame = pl.DataFrame(
        {
            "outcome": OUTCOME,
            "treated": [bool(t) for t in TREATED],
            "baseline_subject": B_SUBJECT,
            "baseline_overall": B_OVERALL,
            "weight": [1.0] * n,
            "stratum": STRATUM,
            "school_id": [f"S{i % 5}" for i in range(n)],
        }
    )
    return CellData.from_frame(frame)


def test_robustness_value_and_the_baseline_benchmark_match_pysensemakr():
    result = sensitivity(sensemakr_cell())

    assert result.robustness_value == pytest.approx(SENSEMAKR["rv_q"], rel=1e-9)
    assert result.benchmark_r2dz == pytest.approx(SENSEMAKR["r2dz_x"], rel=1e-9)
    assert result.benchmark_r2yz == pytest.approx(SENSEMAKR["r2yz_dx"], rel=1e-9)
    assert result.benchmark_adjusted == pytest.approx(SENSEMAKR["adjusted_estimate"], rel=1e-9)
    assert result.benchmark_explains_away is False
    assert robustness_value(SENSEMAKR["t_statistic"], SENSEMAKR["dof"]) == pytest.approx(SENSEMAKR["rv_q"])


def test_a_hidden_factor_strong_enough_explains_the_effect_away():
    assert robustness_value(0.0, 100) == 0.0
    # a benchmark covariate that predicts both treatment and outcome strongly
    r2dz, r2yz = benchmark_bounds(0.3, 0.5)
    assert adjusted_estimate(0.2, 0.05, 200, r2dz, r2yz) < 0


def placebo(effect: float, low: float, high: float) -> Placebo:
    return Placebo(effect, Interval(se=(high - low) / 4, ci_low=low, ci_high=high, method=SCHOOL_BOOTSTRAP), 100)


@pytest.mark.parametrize(
    ("effect", "placebo_a", "placebo_b", "expected"),
    [
        (0.6, placebo(0.05, -0.1, 0.2), placebo(-0.02, -0.2, 0.16), []),  # both around zero
        (0.2, placebo(-0.4, -0.7, -0.1), placebo(0.0, -0.1, 0.1), ["placebo_a"]),  # the dip: clear and large
        (0.6, placebo(0.03, 0.01, 0.05), placebo(0.0, -0.1, 0.1), []),  # significant but trivial (national scale)
        (0.04, placebo(0.03, 0.01, 0.05), placebo(0.0, -0.1, 0.1), ["placebo_a"]),  # ... unless the effect is as small
        (0.6, placebo(0.45, -0.2, 1.1), placebo(0.0, -0.1, 0.1), []),  # large but noise: a small cell
        (0.6, placebo(0.0, -0.1, 0.1), placebo(0.3, 0.1, 0.5), ["placebo_b"]),  # history differs (s−2)
    ],
)
def test_design_warning_needs_a_placebo_that_is_both_clear_and_material(effect, placebo_a, placebo_b, expected):
    assert warning_reasons(effect, {"placebo_a": placebo_a, "placebo_b": placebo_b}) == expected


def test_no_placebo_interval_means_no_warning():
    assert warning_reasons(0.5, {"placebo_a": Placebo(), "placebo_b": Placebo(-1.0, Interval(), 3)}) == []


# --- the stage on generated worlds ------------------------------------------------------------------------

REPLICATES = 20  # enough for a bootstrap SE at the headline; keeps each run to seconds


def headline(sim) -> dict:
    con = core_connection(simulation_frames(sim))
    base = Settings()
    run_evaluate(con, replace(base, evaluate=replace(base.evaluate, bootstrap_replicates=REPLICATES)))
    where = " and ".join(f"{k} = 'ALL'" for k in CELL_KEYS)
    row = con.sql(f"select * from marts.effectiveness_detail where {where}").pl().row(0, named=True)
    export_row = con.sql(f"select * from marts.effectiveness where {where}").pl().row(0, named=True)
    con.close()
    return row | {"export": export_row}


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_where_the_design_holds_the_placebo_is_around_zero_and_nothing_warns(seed):
    row = headline(simulate(schools=9, seed=seed, effect=0.6))

    assert row["placebo_ci_low"] <= 0 <= row["placebo_ci_high"]
    assert row["placebo_b_ci_low"] <= 0 <= row["placebo_b_ci_high"]
    assert row["design_warning"] is False and row["export"]["design_warning"] is False
    assert row["interval_method"] == row["placebo_interval_method"] == Settings().evaluate.interval_method
    # sample flow: each step a subset of the one before; the caliper drops some supported pupils
    assert row["n_episodes"] >= row["n_with_baseline"] >= row["n_supported_total"] >= row["n_pupils"]
    assert row["export"]["n_supported_total"] > row["n_pupils"]
    # the effect on all supported with baseline and outcome (no caliper) exists and is near the planted one
    # (within 0.1: its CR1 interval is the too-narrow kind, and at seed 13 it misses 0.6 by 0.006 since the
    # sample world's leaving changed in November 2026)
    assert row["ci_low_all_supported"] < row["effect_all_supported"] < row["ci_high_all_supported"]
    assert abs(row["effect_all_supported"] - 0.6) < 0.1
    assert 0 < row["robustness_value"] < 1


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12])
def test_pupils_picked_on_a_dip_before_support_raise_the_design_warning(seed):
    row = headline(simulate(schools=9, seed=seed, effect=0.6, world_name="dip"))

    assert row["ci_high"] < 0.6  # the headline is biased and its interval cannot tell
    assert row["placebo_ci_high"] < 0  # ... but the start-term marks before support already differ
    # the event study's gaps before support see the dip too (pretrend_*; docs/method.md)
    assert row["design_warning"] is True and row["design_warning_reason"].split(",")[0] == "placebo_a"
    assert row["bias_direction"] == "down"
    assert row["export"]["design_warning"] is True


def test_naive_change_covers_all_supported_with_baseline_and_outcome():
    from pipelines.evaluate.cells import estimate_groups
    from pipelines.evaluate.matching import match_within_strata

    rows = []
    for i in range(24):
        treated = i < 12
        rows.append(
            {
                "key": f"k{i}", "pupil_id": f"p{i}", "school_id": f"s{i % 3}", "stratum": "x", "treated": treated,
                "subject": "mathematics" if treated else None,
                # supported p0 has no comparable peer (baseline 1.0): out of the match, in the naive change
                "baseline_subject": 1.0 if i == 0 else 5.0 + (i % 4) * 0.1, "baseline_overall": 5.0,
                "outcome": 9.0 if i == 0 else 5.5 + 0.3 * treated,
            }
        )  # fmt: skip
    sample = pl.DataFrame(rows).with_columns((pl.col("outcome") - pl.col("baseline_subject")).alias("change"))
    pairs = match_within_strata(sample, caliper_sd=0.25, n_matches=1)
    cell = estimate_groups(sample, pairs, ["subject"], sets=[()], min_supported=5).row(0, named=True)

    supported = sample.filter("treated")
    assert cell["n_pupils"] == 11 and cell["n_supported_in_sample"] == 12
    assert cell["naive_change"] == pytest.approx(supported["change"].mean())


# --- placebo C (negative control) and the spill-over check, on small frames written here ---------------


def small_sample(
    seed: int, *, other_shift: float = 0.0, spill: float = 0.0, supporting: int = 4, school_shift: float = 0.0
) -> pl.DataFrame:
    """8 schools × 3 strata: schools 0–3 (`supporting`) support pupils in every stratum, the others none.
    Outcome = baseline + 0.5 (support) + noise, + `school_shift` in the schools that support no one;
    `other_subjects` (the same weeks in unsupported subjects) moves by `other_shift` for the supported (a
    pupil-level hidden factor); comparisons in the supported pupils' schools gain `spill` (spill-over)."""
    import numpy as np

    from pipelines.evaluate.diagnostics import own_school_expr

    rng = np.random.default_rng(seed)
    rows = []
    for school in range(8):
        for stratum in "xyz":
            for i in range(24):
                treated = school < supporting and i < 6
                base = rng.normal(6, 1)
                own = school < supporting
                rows.append(
                    {
                        "key": f"{school}-{stratum}-{i}", "pupil_id": f"p{school}-{stratum}-{i}",
                        "school_id": f"s{school}", "stratum": stratum, "treated": treated,
                        "subject": stratum if treated else None, "baseline_subject": base,
                        "baseline_overall": base + rng.normal(0, 0.3),
                        "outcome": base + 0.5 * treated + spill * (own and not treated)
                        + school_shift * (not own) + rng.normal(0, 0.5),
                        # a pupil without marks in an unsupported subject: null, drops out of placebo C
                        "other_subjects": None if i == 23 else base + other_shift * treated + rng.normal(0, 0.5),
                    }
                )  # fmt: skip
    return pl.DataFrame(rows).with_columns(
        own_school_expr(), (pl.col("outcome") - pl.col("baseline_subject")).alias("change")
    )


def small_cell(sample: pl.DataFrame) -> dict:
    from pipelines.evaluate.cells import estimate_groups
    from pipelines.evaluate.matching import match_within_strata

    pairs = match_within_strata(sample, caliper_sd=0.25, n_matches=2)
    return estimate_groups(sample, pairs, ["subject"], sets=[()], min_supported=10, diagnose=True).row(0, named=True)


@pytest.mark.parametrize("seed", [1, 2])
def test_placebo_c_warns_when_the_supported_also_moved_in_unsupported_subjects(seed):
    moved = small_cell(small_sample(seed, other_shift=0.4))
    assert moved["placebo_c_ci_low"] > 0 and "placebo_c" in moved["design_warning_reason"].split(",")
    # no direction from C alone: a hidden factor overstates, support spilling into other subjects does not
    assert moved["design_warning"] is True and moved["bias_direction"] is None
    # rows without marks in an unsupported subject drop out of this check only
    assert moved["placebo_c_n_rows"] < moved["n_treated_rows"] + moved["n_comparison_rows"]

    sound = small_cell(small_sample(seed))
    assert "placebo_c" not in (sound["design_warning_reason"] or "").split(",")
    assert sound["placebo_c_ci_low"] <= 0 <= sound["placebo_c_ci_high"]


def test_placebo_c_rides_on_the_replicates_like_the_other_placebos():
    from pipelines.evaluate.bootstrap import bootstrap_statistics

    sample = small_sample(3, other_shift=0.4).with_columns(pl.lit("ALL").alias("cell"))
    draws = bootstrap_statistics(
        sample, ["subject"], replicates=8, seed=1, caliper_sd=0.25, n_matches=2, min_supported=10,
        sets=[()], scheme="jackknife",
    )  # fmt: skip
    assert len(draws["placebo_c"][("ALL",)]) == len(draws["effect"][("ALL",)]) == 8
    assert draws["placebo_c"][("ALL",)].min() > 0.2


def spill_row(seed: int, spill: float, **world: float) -> dict:
    from pipelines.evaluate.bootstrap import jackknife_groups
    from pipelines.evaluate.diagnostics import all_supported_estimates, with_spillover_warning

    sample = small_sample(seed, spill=spill, **world)
    groups = jackknife_groups(sample["school_id"].unique().sort().to_list(), 40, 1)
    pool = all_supported_estimates(
        sample, ["subject"], [()], 10, left_out=groups, interval_method="school_jackknife"
    ).with_columns(
        pl.lit(0.5).alias("effect"), pl.lit(False).alias("design_warning"),
        pl.lit("").alias("design_warning_reason"), pl.lit(None, dtype=pl.String).alias("bias_direction"),
    )  # fmt: skip
    return with_spillover_warning(pool).row(0, named=True)


@pytest.mark.parametrize("seed", [1, 2])
def test_comparisons_in_the_supported_pupils_schools_that_also_gained_raise_the_warning(seed):
    spilled = spill_row(seed, spill=0.4)
    assert spilled["spillover_interval_method"] == "school_jackknife"
    assert spilled["spillover_ci_low"] > 0
    assert spilled["design_warning"] is True and spilled["design_warning_reason"] == "spillover"
    assert spilled["bias_direction"] == "down"  # the comparison group was lifted: the effect is understated

    sound = spill_row(seed, spill=0.0)
    assert sound["spillover_ci_low"] <= 0 <= sound["spillover_ci_high"]
    assert sound["design_warning"] is False
    # spill-over pulls the whole pool's estimate down; the companion with other-school comparisons
    # only does not move (the same draws without the spill-over)
    assert spilled["effect_all_supported"] < sound["effect_all_supported"] - 0.1
    assert spilled["effect_other_schools"] == pytest.approx(sound["effect_other_schools"])


def test_a_contrast_that_rests_on_one_school_gets_no_interval_and_no_warning():
    """Seven schools support, one does not, and that one grades lower: no spill-over, but the own-school
    contrast is that one school against the rest. Leaving it out leaves no contrast; a jackknife over the
    other replicates alone was near zero width and warned (the sound demo world: 23 of 193 cells)."""
    row = spill_row(1, spill=0.0, supporting=7, school_shift=-0.4)
    assert row["spillover_ci_low"] is None and row["design_warning"] is False
    # the same under a regression interval (no jackknife): one school on a side is no contrast at all
    from pipelines.evaluate.diagnostics import all_supported_estimates

    sample = small_sample(1, supporting=7, school_shift=-0.4)
    pool = all_supported_estimates(sample, ["subject"], [()], 10, interval_method="cluster_robust")
    assert pool.row(0, named=True)["spillover_ci_low"] is None


def test_no_spillover_contrast_where_every_school_supports_someone():
    from pipelines.evaluate.diagnostics import all_supported_estimates

    sample = small_sample(4).filter(pl.col("school_id") < "s4")  # only schools with supported pupils
    row = all_supported_estimates(sample, ["subject"], [()], 10).row(0, named=True)
    assert row["spillover_effect"] is None and row["spillover_interval_method"] == "none"


def test_spillover_leaves_an_unknown_direction_of_the_placebos_unknown():
    """Review: placebo B alone (or A and B disagreeing) leaves the direction unknown on purpose; the
    spill-over check filled it in."""
    from pipelines.evaluate.diagnostics import with_spillover_warning

    cells = pl.DataFrame(
        {"effect": [0.5, 0.5], "design_warning": [True, False], "design_warning_reason": ["placebo_b", ""],
         "bias_direction": [None, None], "spillover_effect": [0.4, 0.4], "spillover_ci_low": [0.3, 0.3],
         "spillover_ci_high": [0.5, 0.5]},
        schema_overrides={"bias_direction": pl.String},
    )  # fmt: skip
    out = with_spillover_warning(cells)
    assert out["design_warning_reason"].to_list() == ["placebo_b,spillover", "spillover"]
    assert out["bias_direction"].to_list() == [None, "down"]
