"""Design diagnostics: can this cell's comparison be trusted, and how much would it take to overturn it?

The headline estimate is right when, given the previous semester's marks, supported and comparison
pupils would have had the same marks without support. Nothing in the estimate itself can tell when
that fails (e.g. teachers pick pupils on a dip that already shows in the weeks before support). So:

- Placebo A: the same estimator with the start term's marks dated *before* the window start as the
  outcome (supported: before the first consultation; comparisons: before their stratum's window
  start). Support cannot have caused a difference there.
- Placebo B: the change from semester s−2 to s−1 (where the pupil has s−2 marks), on the same matched
  rows. Matched on s−1, the groups should not differ in where they came from.
- Placebo C (a negative-control outcome): on the same matched rows and weights, the pupil's mean mark in
  the same weeks (from the same window start) in the subjects where the pupil has no support episode.
  Support in one subject should not move those; a pupil-level hidden factor (motivation, a family
  change) or a school-wide shift would. Rows without such marks drop out of this check only.
- Spill-over (assumption 3): among all comparisons in the cell's strata (the whole pool, weight 1),
  those whose school has supported pupils in the same stratum (`own_school`) against the others, given
  the baselines and strata (school jackknife, no re-matching needed). If support reaches the supported
  pupils' classmates, the own-school comparisons gain too, and the headline is understated. With it,
  the share of the matched comparisons' weight from such schools.
- design_warning: a placebo (or the spill-over contrast) that is clearly non-zero and large enough to
  matter (`warning_reasons`).
- Robustness value (Cinelli & Hazlett 2020) of the treatment coefficient, with the pupil's overall
  baseline mean as the benchmark for a hidden factor.
- The effect on all supported pupils with a baseline and an outcome (no caliper, no matching): a
  sensitivity estimate beside the headline, which covers only supported pupils with comparable peers.
- The sample flow per cell, and the semester-aligned event study (s−2 … s+1) with 95 % bands.

Placebos and event-study gaps get their intervals from the same inference as the headline
(estimate.interval_for with the school-bootstrap draws of bootstrap.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from pipelines.evaluate.estimate import (
    CODE_COLUMNS,
    NO_INTERVAL,
    SCHOOL_BOOTSTRAP,
    CellArrays,
    CellData,
    Estimate,
    Interval,
    ancova,
    column_values,
    demean_within,
    interval_for,
    point_effect,
    with_codes,
)

# Placebo name -> the sample column used as its outcome.
PLACEBOS: dict[str, str] = {"placebo_a": "pre_window", "placebo_b": "pre_change", "placebo_c": "other_subjects"}
# The spill-over contrast's flag (1.0: the row's school has supported pupils in its stratum; stage.analysis_rows).
OWN_SCHOOL = "own_school"
SPILLOVER = "spillover"
# The semester-aligned event study: (step, label, sample column). s−1 is what the matching used.
EVENT_STEPS: tuple[tuple[int, str, str], ...] = (
    (-3, "s-2", "prior_subject"),
    (-2, "s-1", "baseline_subject"),
    (-1, "s_before", "pre_window"),
    (0, "s_after", "outcome"),
    (1, "s+1", "next_subject"),
)
MATCHED_STEP = "s-1"
DIAGNOSTIC_COLUMNS = ("pre_window", "pre_change", "prior_subject", "next_subject", "other_subjects", OWN_SCHOOL)
# The design warning (docs/method.md, "Design diagnostics"): a placebo warns when its 95 % interval
# excludes zero AND it is material: at least MIN_PLACEBO grade points (a smaller pre-difference is no
# practical threat, however precisely a national sample measures it) or at least half the effect.
# A large but insignificant placebo alone does not warn: in small cells noise alone exceeds half the
# effect often (measured: tests/evaluate/test_evaluate_diagnostics.py and docs/method.md).
MIN_PLACEBO = 0.05
HALF_EFFECT = 0.5
# Benchmark for the sensitivity sentence: a hidden factor as strong as this covariate (kd = ky = 1).
BENCHMARK = "baseline_overall"


# --- placebos --------------------------------------------------------------------------------------------


def placebo_data(data: CellData, values: np.ndarray, min_supported: int) -> CellData | None:
    """The cell's rows that have the placebo outcome, with it as the outcome; None when fewer than
    min_supported supported rows (pupil-subjects) or no comparison have it."""
    rows = np.flatnonzero(np.isfinite(values))
    treated = data.treated[rows]
    if treated.sum() < min_supported or treated.all():
        return None
    return replace(data, outcome=values).subset(rows)


STATISTIC_COLUMNS = tuple(dict.fromkeys([*PLACEBOS.values(), *(column for _, _, column in EVENT_STEPS)]))


def own_school_expr() -> pl.Expr:
    """1.0 where the row's school has supported pupils in the row's stratum (its classmates in the
    subject and grade band could be reached by their support), else 0.0."""
    return pl.col("treated").any().over("stratum", "school_id").cast(pl.Float64).alias(OWN_SCHOOL)


def spillover_data(data: CellData, own: np.ndarray, min_supported: int) -> CellData | None:
    """The cell's comparison rows with `own` in the treatment's place, so the headline's ANCOVA gives
    the own-school contrast (outcome ~ own + baselines + stratum effects, the matching weights); None
    unless at least min_supported rows of each kind share strata (only there is it identified)."""
    rows = np.flatnonzero(~data.treated & np.isfinite(own))
    flag = own[rows] > 0
    strata = data.stratum[rows]
    mixed = np.isin(strata, np.intersect1d(strata[flag], strata[~flag]))
    if (mixed & flag).sum() < min_supported or (mixed & ~flag).sum() < min_supported:
        return None
    schools = data.school[rows]
    if min(len(np.unique(schools[mixed & flag])), len(np.unique(schools[mixed & ~flag]))) < 2:
        return None  # one school on a side: its own level, not spill-over, and no interval can tell them apart
    return replace(data, treated=~data.treated & (np.nan_to_num(own) > 0)).subset(rows)


def own_school_share(data: CellData, own: np.ndarray) -> float | None:
    """The share of the comparisons' matching weight from schools with supported pupils in the stratum."""
    comparison = ~data.treated & np.isfinite(own)
    total = data.weight[comparison].sum()
    return None if total <= 0 else float(data.weight[comparison & (own > 0)].sum() / total)


def replicate_statistics(
    values: Mapping[str, np.ndarray], data: CellData, min_supported: int
) -> dict[str, float | None]:
    """What one bootstrap replicate records besides the effect: both placebos and the event-study gaps.
    values: the cell's STATISTIC_COLUMNS as column_values gives them (NaN for missing)."""
    out: dict[str, float | None] = {}
    for name, column in PLACEBOS.items():
        sub = placebo_data(data, values[column], min_supported)
        out[name] = None if sub is None else point_effect(sub)
    for _, label, column in EVENT_STEPS:
        out[f"gap_{label}"] = weighted_gap(values[column], data.treated, data.weight)
    return out


@dataclass(frozen=True)
class Placebo:
    effect: float | None = None
    interval: Interval = field(default_factory=Interval)
    n_rows: int = 0


def placebo_estimate(
    frame: pl.DataFrame,
    data: CellData,
    column: str,
    *,
    min_supported: int,
    draws: np.ndarray | None,
    replicates: int,
    interval_method: str = SCHOOL_BOOTSTRAP,
) -> Placebo:
    """The ANCOVA on the placebo outcome, with the headline's kind of interval."""
    sub = placebo_data(data, column_values(frame, [column])[column], min_supported)
    if sub is None:
        return Placebo()
    effect, cr1_se, n_clusters = ancova(sub)
    interval = interval_for(effect, cr1_se, n_clusters, draws, replicates, method=interval_method, data=sub)
    return Placebo(effect, interval, len(sub.outcome))


def warning_reasons(effect: float | None, placebos: Mapping[str, Placebo]) -> list[str]:
    """Which placebos raise the design warning (empty: no warning). A placebo warns when its 95 %
    interval excludes zero and it is material: at least MIN_PLACEBO grade points, or at least half
    the effect (which matters when the effect itself is small). Docs: docs/method.md."""
    reasons = []
    for name, placebo in placebos.items():
        p, iv = placebo.effect, placebo.interval
        if p is None or iv.ci_low is None or iv.ci_high is None:
            continue
        material = abs(p) >= MIN_PLACEBO or (effect is not None and abs(p) >= HALF_EFFECT * abs(effect))
        if (iv.ci_low > 0 or iv.ci_high < 0) and material:
            reasons.append(name)
    return reasons


def bias_direction(placebos: Mapping[str, Placebo], reasons: Sequence[str]) -> str | None:
    """From placebo A only: 'down' when the supported were already behind in the start term before
    support (the effect is then probably understated, if that gap persisted), 'up' when ahead.
    None (unknown) when A did not warn, or when B warns with the opposite sign: a fall into s−1 (B < 0)
    may be passing (marks rebound anyway: overstated) or continuing (understated), so B alone cannot
    tell the direction (docs/method.md, "Design diagnostics")."""
    a = placebos.get("placebo_a")
    if "placebo_a" not in reasons or a is None or a.effect is None:
        return None
    b = placebos.get("placebo_b")
    if "placebo_b" in reasons and b is not None and b.effect is not None and (b.effect < 0) != (a.effect < 0):
        return None
    return "down" if a.effect < 0 else "up"


DIAGNOSIS_SCHEMA: dict[str, pl.DataType] = {
    "placebo_effect": pl.Float64(),
    "placebo_se": pl.Float64(),
    "placebo_ci_low": pl.Float64(),
    "placebo_ci_high": pl.Float64(),
    "placebo_interval_method": pl.String(),
    "placebo_n_rows": pl.Int64(),
    "placebo_b_effect": pl.Float64(),
    "placebo_b_se": pl.Float64(),
    "placebo_b_ci_low": pl.Float64(),
    "placebo_b_ci_high": pl.Float64(),
    "placebo_b_n_rows": pl.Int64(),
    "design_warning": pl.Boolean(),
    "design_warning_reason": pl.String(),
    "bias_direction": pl.String(),
    "robustness_value": pl.Float64(),
    "benchmark_r2dz": pl.Float64(),
    "benchmark_r2yz": pl.Float64(),
    "benchmark_adjusted_effect": pl.Float64(),
    "benchmark_explains_away": pl.Boolean(),
    # placebo C (negative control: the same weeks' marks in the pupil's unsupported subjects)
    "placebo_c_effect": pl.Float64(),
    "placebo_c_se": pl.Float64(),
    "placebo_c_ci_low": pl.Float64(),
    "placebo_c_ci_high": pl.Float64(),
    "placebo_c_n_rows": pl.Int64(),
    # the share of the matched comparisons' weight from schools with supported pupils in the stratum
    "own_school_weight_share": pl.Float64(),
}


def diagnose_cell(
    frame: pl.DataFrame,
    est: Estimate,
    *,
    min_supported: int,
    draws: Mapping[str, np.ndarray] | None,
    replicates: int,
    interval_method: str = SCHOOL_BOOTSTRAP,
) -> dict[str, object]:
    """The design diagnostics of one estimated cell (all null for a cell without an estimate)."""
    out: dict[str, object] = dict.fromkeys(DIAGNOSIS_SCHEMA)
    if est.suppressed or est.effect is None:
        return out
    data = CellData.from_frame(frame)
    placebos = {
        name: placebo_estimate(
            frame,
            data,
            column,
            min_supported=min_supported,
            draws=None if draws is None else draws.get(name, np.empty(0)),
            replicates=replicates,
            interval_method=interval_method,
        )
        for name, column in PLACEBOS.items()
    }
    reasons = warning_reasons(est.effect, placebos) + pretrend_reasons(frame, data, draws, replicates, interval_method)
    a, b, c = placebos["placebo_a"], placebos["placebo_b"], placebos["placebo_c"]
    sens = sensitivity(data)
    return out | {
        "placebo_effect": a.effect,
        "placebo_se": a.interval.se,
        "placebo_ci_low": a.interval.ci_low,
        "placebo_ci_high": a.interval.ci_high,
        "placebo_interval_method": a.interval.method,
        "placebo_n_rows": a.n_rows,
        "placebo_b_effect": b.effect,
        "placebo_b_se": b.interval.se,
        "placebo_b_ci_low": b.interval.ci_low,
        "placebo_b_ci_high": b.interval.ci_high,
        "placebo_b_n_rows": b.n_rows,
        "design_warning": bool(reasons),
        "design_warning_reason": ",".join(reasons),
        "bias_direction": bias_direction(placebos, reasons),
        "robustness_value": sens.robustness_value,
        "benchmark_r2dz": sens.benchmark_r2dz,
        "benchmark_r2yz": sens.benchmark_r2yz,
        "benchmark_adjusted_effect": sens.benchmark_adjusted,
        "benchmark_explains_away": sens.benchmark_explains_away,
        "placebo_c_effect": c.effect,
        "placebo_c_se": c.interval.se,
        "placebo_c_ci_low": c.interval.ci_low,
        "placebo_c_ci_high": c.interval.ci_high,
        "placebo_c_n_rows": c.n_rows,
        "own_school_weight_share": own_school_share(data, column_values(frame, [OWN_SCHOOL])[OWN_SCHOOL]),
    }


# --- sensitivity to a hidden factor (Cinelli & Hazlett 2020) ----------------------------------------------


def partial_r2(t_value: float, dof: float) -> float:
    """Partial R² of a regressor from its t-statistic and the residual degrees of freedom."""
    return t_value**2 / (t_value**2 + dof)


def robustness_value(t_value: float, dof: float, q: float = 1.0) -> float:
    """RV_q: the partial R² a hidden factor needs with both treatment and outcome to move the estimate
    by q × 100 % (q = 1: to zero). Cinelli & Hazlett (2020), eq. 18: ½(√(f⁴ + 4f²) − f²), f = q|t|/√dof."""
    f = q * abs(t_value) / math.sqrt(dof)
    return 0.5 * (math.sqrt(f**4 + 4 * f**2) - f**2)


def benchmark_bounds(r2dxj_x: float, r2yxj_dx: float, kd: float = 1.0, ky: float = 1.0) -> tuple[float, float]:
    """(R²_{D~Z|X}, R²_{Y~Z|D,X}) of a hidden factor Z kd / ky times as strong as covariate X_j
    (Cinelli & Hazlett 2020, sec. 6.1; sensemakr's ovb_partial_r2_bound)."""
    r2dz_x = kd * r2dxj_x / (1 - r2dxj_x)
    if r2dz_x >= 1:
        return 1.0, 1.0
    r2zxj_xd = kd * r2dxj_x**2 / ((1 - kd * r2dxj_x) * (1 - r2dxj_x))
    if r2zxj_xd >= 1:
        return r2dz_x, 1.0
    r2yz_dx = ((math.sqrt(ky) + math.sqrt(r2zxj_xd)) / math.sqrt(1 - r2zxj_xd)) ** 2 * (r2yxj_dx / (1 - r2yxj_dx))
    return r2dz_x, min(r2yz_dx, 1.0)


def adjusted_estimate(estimate: float, se: float, dof: float, r2dz_x: float, r2yz_dx: float) -> float:
    """The estimate after removing the largest bias such a hidden factor could cause (towards zero)."""
    if r2dz_x >= 1:
        return 0.0
    bias = se * math.sqrt(dof) * math.sqrt(r2yz_dx * r2dz_x / (1 - r2dz_x))
    return math.copysign(1.0, estimate) * (abs(estimate) - bias)


@dataclass(frozen=True)
class Sensitivity:
    robustness_value: float | None = None
    benchmark_r2dz: float | None = None
    benchmark_r2yz: float | None = None
    benchmark_adjusted: float | None = None
    benchmark_explains_away: bool | None = None


def classical_fit(y: np.ndarray, x: np.ndarray, w: np.ndarray, absorbed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Weighted least squares with classical (homoskedastic) SEs; dof net of `absorbed` fixed effects.

    Cinelli & Hazlett's formulas are identities of the classical OLS t-statistics, so these, not the
    clustered ones, enter the robustness value (as in sensemakr).
    """
    sw = np.sqrt(w)
    xw, yw = x * sw[:, None], y * sw
    coef, *_ = np.linalg.lstsq(xw, yw, rcond=None)
    dof = len(y) - x.shape[1] - absorbed
    sigma2 = float(np.sum((yw - xw @ coef) ** 2)) / dof
    se = np.sqrt(np.diag(np.linalg.pinv(xw.T @ xw)) * sigma2)
    return coef, se, float(dof)


def sensitivity(data: CellData) -> Sensitivity:
    """Robustness value of the treatment coefficient and the baseline_overall benchmark (kd = ky = 1).

    The model is the headline's: outcome ~ treated + baseline_subject + baseline_overall + stratum
    effects, weighted; the treatment model regresses treated on the covariates and stratum effects.
    """
    y, x = data.design()
    n_strata = len(np.unique(data.stratum))
    if len(y) - 3 - n_strata < 2 or data.treated.all() or not data.treated.any():
        return Sensitivity()
    coef, se, dof = classical_fit(y, x, data.weight, n_strata)
    if not np.all(np.isfinite(se)) or se[0] <= 0:
        return Sensitivity()
    t_effect = coef[0] / se[0]
    rv = robustness_value(t_effect, dof)
    # benchmark: baseline_overall (column 2 of x; column 1 in the treatment model)
    d = demean_within(data.treated.astype(float), data.weight, data.stratum)
    dcoef, dse, ddof = classical_fit(d, x[:, 1:], data.weight, n_strata)
    if not (np.all(np.isfinite(dse)) and dse[1] > 0 and se[2] > 0):
        return Sensitivity(robustness_value=float(rv))
    r2dxj = partial_r2(dcoef[1] / dse[1], ddof)
    r2yxj = partial_r2(coef[2] / se[2], dof)
    r2dz, r2yz = benchmark_bounds(r2dxj, r2yxj)
    adjusted = adjusted_estimate(float(coef[0]), float(se[0]), dof, r2dz, r2yz)
    explains = adjusted <= 0 if coef[0] > 0 else adjusted >= 0
    return Sensitivity(float(rv), float(r2dz), float(r2yz), float(adjusted), bool(explains))


# --- the whole pool: every supported pupil with baseline and outcome, no caliper -------------------------


def pool_frames(
    sample: pl.DataFrame, columns: Sequence[str], sets: Sequence[tuple[str, ...]]
) -> Iterator[tuple[tuple[str | None, ...], tuple[str, ...], CellArrays, np.ndarray]]:
    """Per cell: all its supported rows and every comparison in the strata they are in (weight 1), as
    the rows of its set's CellArrays (the cells in order of first appearance)."""
    sample = with_codes(sample)
    treated = sample.filter(pl.col("treated"))
    comparison = sample.filter(~pl.col("treated")).drop([c for c in columns if c in sample.columns])
    for subset in sets:
        keys = list(subset)
        strata = treated.select(*keys, "stratum").unique()
        comp = comparison.join(strata, on="stratum")
        frame = pl.concat([treated.select(comp.columns), comp], how="vertical_relaxed").with_columns(
            pl.lit(1.0).alias("weight")
        )
        arrays = CellArrays.from_frame(frame, keys, [OWN_SCHOOL] if OWN_SCHOOL in frame.columns else ())
        for values, rows in arrays.rows.items():
            yield values, subset, arrays, rows


SPILLOVER_SCHEMA: dict[str, pl.DataType] = {
    "spillover_effect": pl.Float64(),
    "spillover_se": pl.Float64(),
    "spillover_ci_low": pl.Float64(),
    "spillover_ci_high": pl.Float64(),
    "spillover_interval_method": pl.String(),
    "spillover_n_rows": pl.Int64(),
    # the companion: the whole pool's ANCOVA with comparisons from other schools only (CR1, t(G−1))
    "effect_other_schools": pl.Float64(),
    "ci_low_other_schools": pl.Float64(),
    "ci_high_other_schools": pl.Float64(),
}


def other_schools_effect(arrays: CellArrays, rows: np.ndarray, min_supported: int) -> dict[str, float | None]:
    """all_supported_effect with only the comparisons whose school supports nobody in their stratum:
    what the effect would be if spill-over reached the own-school comparisons (a sensitivity row)."""
    empty = {"effect_other_schools": None, "ci_low_other_schools": None, "ci_high_other_schools": None}
    own = arrays.values.get(OWN_SCHOOL)
    if own is None:
        return empty
    keep = rows[arrays.treated[rows] | (own[rows] == 0)]
    treated = arrays.treated[keep]
    if arrays.n_treated_pupils(keep) < min_supported or (~treated).sum() < min_supported:
        return empty
    effect, cr1_se, n_clusters = ancova(arrays.cell(keep))
    interval = interval_for(effect, cr1_se, n_clusters, None, 0)
    return {
        "effect_other_schools": effect,
        "ci_low_other_schools": interval.ci_low,
        "ci_high_other_schools": interval.ci_high,
    }


def spillover_contrast(
    arrays: CellArrays,
    rows: np.ndarray,
    min_supported: int,
    left_out: Sequence[np.ndarray] | None = None,
    interval_method: str = SCHOOL_BOOTSTRAP,
) -> dict[str, float | int | str | None]:
    """The own-school contrast on a cell's whole pool (pool_frames; spillover_data), with a school
    jackknife when `left_out` gives each replicate's school codes: the pool is not matched, so a
    replicate is a refit without those schools (a CR1 interval with t(G−1) otherwise)."""
    own = arrays.values.get(OWN_SCHOOL, np.full(len(arrays.outcome), np.nan))[rows]
    sub = spillover_data(arrays.cell(rows), own, min_supported)
    if sub is None:
        return {"spillover_interval_method": NO_INTERVAL}
    effect, cr1_se, n_clusters = ancova(sub)
    draws = None
    if left_out is not None:
        schools = arrays.school[rows]
        kept = [np.flatnonzero(~np.isin(schools, codes)) for codes in left_out]
        fits = [spillover_data(arrays.cell(rows[k]), own[k], min_supported) for k in kept]
        if any(f is None for f in fits):
            # Leaving some school out leaves no contrast: the contrast rests on that school, and a jackknife
            # over the other replicates alone would be far too narrow (on the sound demo world it put 23 of
            # 193 cells at "spill-over", e.g. −0.41 [−0.42, −0.39]). No interval, so no warning, as the
            # attrition checks do for a replicate without the cell.
            return {
                "spillover_effect": effect,
                "spillover_interval_method": NO_INTERVAL,
                "spillover_n_rows": len(sub.outcome),
            }
        draws = np.array([point_effect(f) for f in fits])
    interval = interval_for(effect, cr1_se, n_clusters, draws, len(left_out or ()), method=interval_method)
    return {
        "spillover_effect": effect,
        "spillover_se": interval.se,
        "spillover_ci_low": interval.ci_low,
        "spillover_ci_high": interval.ci_high,
        "spillover_interval_method": interval.method if interval.ci_low is not None else NO_INTERVAL,
        "spillover_n_rows": len(sub.outcome),
    }


def with_spillover_warning(cells: pl.DataFrame) -> pl.DataFrame:
    """Add the spill-over contrast to the design warning with the placebos' rule (warning_reasons):
    own-school comparisons that gained point to an understated effect ('down'), that lost to 'up'."""
    s, low, high, effect = (
        pl.col(c).cast(pl.Float64) for c in ("spillover_effect", "spillover_ci_low", "spillover_ci_high", "effect")
    )
    material = (s.abs() >= MIN_PLACEBO) | (s.abs() >= HALF_EFFECT * effect.abs())
    warns = ((low > 0) | (high < 0)) & material & effect.is_not_null()
    warns = warns.fill_null(False)
    cells = cells.with_columns(
        pl.col("design_warning").cast(pl.Boolean),
        pl.col("design_warning_reason").cast(pl.String),
        pl.col("bias_direction").cast(pl.String),
    )
    reason = pl.col("design_warning_reason").fill_null("")
    return cells.with_columns(
        pl.when(warns).then(True).otherwise(pl.col("design_warning")).alias("design_warning"),
        pl.when(warns)
        .then(pl.when(reason == "").then(pl.lit(SPILLOVER)).otherwise(reason + "," + SPILLOVER))
        .otherwise(pl.col("design_warning_reason"))
        .alias("design_warning_reason"),
        # a direction only where nothing else warned: an unknown direction the placebos left on purpose
        # (placebo B alone, or A and B disagreeing) stays unknown
        pl.when(warns & (reason == ""))
        .then(pl.when(s > 0).then(pl.lit("down")).otherwise(pl.lit("up")))
        .otherwise(pl.col("bias_direction"))
        .alias("bias_direction"),
    )


def all_supported_effect(
    arrays: CellArrays, rows: np.ndarray, min_supported: int
) -> dict[str, float | int | str | None]:
    """The ANCOVA on the whole pool (a cell's rows of pool_frames' frame); CR1 interval with t(G−1)
    (without matching the regression's SE is close to right: SD/SE ≈ 1.06 in the coverage study)."""
    treated = arrays.treated[rows]
    empty = {"effect_all_supported": None, "ci_low_all_supported": None, "ci_high_all_supported": None}
    if arrays.n_treated_pupils(rows) < min_supported or treated.all():
        return {**empty, "interval_method_all_supported": NO_INTERVAL}
    effect, cr1_se, n_clusters = ancova(arrays.cell(rows))
    interval = interval_for(effect, cr1_se, n_clusters, None, 0)
    return {
        "effect_all_supported": effect,
        "ci_low_all_supported": interval.ci_low,
        "ci_high_all_supported": interval.ci_high,
        "interval_method_all_supported": interval.method if interval.ci_low is not None else NO_INTERVAL,
        "n_comparison_pool": len(np.unique(arrays.pupil[rows][~treated])),
    }


def all_supported_estimates(
    sample: pl.DataFrame,
    columns: Sequence[str],
    sets: Sequence[tuple[str, ...]],
    min_supported: int,
    *,
    left_out: Sequence[Sequence[str]] | None = None,
    interval_method: str = SCHOOL_BOOTSTRAP,
) -> pl.DataFrame:
    """One row per cell label (`ALL` where totalled) with the no-caliper effect and its interval, and
    the spill-over contrast on the same pool (spillover_contrast; `left_out`: the school ids each
    jackknife replicate leaves out, bootstrap.jackknife_groups)."""
    from pipelines.evaluate.cells import ALL

    codes = None
    if left_out is not None:
        coded = with_codes(sample).select("school_id", CODE_COLUMNS["school_id"]).unique()
        lookup = dict(coded.iter_rows())
        codes = [np.array([lookup[s] for s in group if s in lookup], dtype=np.int64) for group in left_out]
    rows = []
    for values, subset, arrays, cell in pool_frames(sample, columns, sets):
        label = dict(zip(subset, values, strict=True))
        rows.append(
            {c: label.get(c, ALL) for c in columns}
            | all_supported_effect(arrays, cell, min_supported)
            | spillover_contrast(arrays, cell, min_supported, codes, interval_method)
            | other_schools_effect(arrays, cell, min_supported)
        )
    schema = {c: pl.String() for c in columns} | {
        "effect_all_supported": pl.Float64(),
        "ci_low_all_supported": pl.Float64(),
        "ci_high_all_supported": pl.Float64(),
        "interval_method_all_supported": pl.String(),
        "n_comparison_pool": pl.Int64(),
        **SPILLOVER_SCHEMA,
    }
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame(rows, schema=schema)


# --- sample flow -----------------------------------------------------------------------------------------


def sample_flow(
    episodes: pl.DataFrame,
    candidates: pl.DataFrame,
    sample: pl.DataFrame,
    pairs: pl.DataFrame,
    columns: Sequence[str],
    sets: Sequence[tuple[str, ...]],
) -> pl.DataFrame:
    """Distinct supported pupils per cell at each step: episode → baseline → outcome → matched.

    A pupil-subject keeps one set of cell keys throughout (the municipality of its marks where it has
    a baseline row, else of its first consultation), so every step is a subset of the one before.
    """
    from pipelines.evaluate.cells import ALL
    from pipelines.evaluate.outcomes import cell_subject

    base = candidates.filter(pl.col("treated")).select(
        "pupil_id", "subject", pl.col("municipality").alias("_muni"), pl.lit(True).alias("has_baseline")
    )
    outcome = sample.filter(pl.col("treated")).select("pupil_id", "subject", "key", pl.lit(True).alias("has_outcome"))
    matched = pairs.select(pl.col("treated_key").unique().alias("key"), pl.lit(True).alias("matched"))
    units = (
        episodes.select("pupil_id", "subject", "project_code", "municipality", "school_year")
        .join(base, on=["pupil_id", "subject"], how="left")
        .join(outcome, on=["pupil_id", "subject"], how="left")
        .join(matched, on="key", how="left")
        .with_columns(
            pl.coalesce("_muni", "municipality").alias("municipality"),
            cell_subject(),  # as the cells: a subject no dictionary knows counts under `other`
            *(pl.col(c).fill_null(False) for c in ("has_baseline", "has_outcome", "matched")),
        )
    )
    counts = [
        pl.col("pupil_id").n_unique().alias("n_episodes"),
        pl.col("pupil_id").filter("has_baseline").n_unique().alias("n_with_baseline"),
        pl.col("pupil_id").filter("has_outcome").n_unique().alias("n_with_outcome"),
        pl.col("pupil_id").filter("matched").n_unique().alias("n_matched"),
    ]
    parts = []
    for subset in sets:
        keys = list(subset)
        grouped = units.group_by(keys).agg(counts) if keys else units.select(counts)
        totalled = grouped.with_columns(pl.lit(ALL).alias(c) for c in columns if c not in keys)
        parts.append(totalled.select(*columns, *(c for c in grouped.columns if c not in keys)))
    return pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame()


# --- semester-aligned event study ------------------------------------------------------------------------


def weighted_gap(values: np.ndarray, treated: np.ndarray, weight: np.ndarray) -> float | None:
    """Mean of the supported − weighted mean of the comparisons, over rows that have the value."""
    ok = np.isfinite(values)
    t, c = ok & treated, ok & ~treated
    if not t.any() or not c.any() or weight[c].sum() <= 0:
        return None
    return float(values[t].mean() - np.average(values[c], weights=weight[c]))


def event_study(
    frame: pl.DataFrame,
    draws: Mapping[str, np.ndarray] | None,
    replicates: int,
    interval_method: str = SCHOOL_BOOTSTRAP,
) -> pl.DataFrame:
    """One row per step (s−2 … s+1) of the matched headline sample: both groups' means, the gap and
    its 95 % interval (school bootstrap draws of the gap when given, else none: a CR1 band would be
    the too-narrow kind the headline avoids)."""
    data = CellData.from_frame(frame) if frame.height else None
    rows = []
    columns = column_values(frame, STATISTIC_COLUMNS)
    for step, label, column in EVENT_STEPS:
        values = columns[column]
        ok = np.isfinite(values)
        row: dict[str, object] = {"step": step, "period": label, "matched_on": label == MATCHED_STEP}
        if data is None or not ok.any():
            rows.append(row)
            continue
        t, c = ok & data.treated, ok & ~data.treated
        row["n_supported"] = int(t.sum())
        row["n_comparison"] = int(c.sum())
        row["mean_supported"] = float(values[t].mean()) if t.any() else None
        row["mean_comparison"] = float(np.average(values[c], weights=data.weight[c])) if c.any() else None
        gap = weighted_gap(values, data.treated, data.weight)
        row["difference"] = gap
        schools = len(np.unique(data.school[ok]))
        gap_draws = None if draws is None else draws.get(f"gap_{label}")
        if gap is not None and gap_draws is not None:
            interval = interval_for(gap, None, schools, gap_draws, replicates, method=interval_method)
            row |= {"ci_low": interval.ci_low, "ci_high": interval.ci_high, "interval_method": interval.method}
        rows.append(row)
    return pl.DataFrame(rows, schema=EVENT_SCHEMA)


# The pre-period steps of the event study that raise the design warning (docs/method.md): support cannot
# have caused a gap there, and s−2 sees a trend that began before the matched semester (probe D1).
PRETREND_STEPS = ("s-2", "s_before")


def pretrend_reasons(
    frame: pl.DataFrame,
    data: CellData,
    draws: Mapping[str, np.ndarray] | None,
    replicates: int,
    interval_method: str = SCHOOL_BOOTSTRAP,
) -> list[str]:
    """`pretrend_<step>` for each PRETREND_STEPS gap whose interval (the event study's: replicate draws
    only) excludes zero and that is at least MIN_PLACEBO points."""
    if draws is None:
        return []
    columns = {label: column for _, label, column in EVENT_STEPS}
    values = column_values(frame, [columns[label] for label in PRETREND_STEPS])
    reasons = []
    for label in PRETREND_STEPS:
        column = values[columns[label]]
        gap = weighted_gap(column, data.treated, data.weight)
        gap_draws = draws.get(f"gap_{label}")
        if gap is None or gap_draws is None or abs(gap) < MIN_PLACEBO:
            continue
        schools = len(np.unique(data.school[np.isfinite(column)]))
        interval = interval_for(gap, None, schools, gap_draws, replicates, method=interval_method)
        if (
            interval.ci_low is not None
            and interval.ci_high is not None
            and (interval.ci_low > 0 or interval.ci_high < 0)
        ):
            reasons.append(f"pretrend_{label}")
    return reasons


EVENT_SCHEMA: dict[str, pl.DataType] = {
    "step": pl.Int32(),
    "period": pl.String(),
    "matched_on": pl.Boolean(),
    "n_supported": pl.Int64(),
    "n_comparison": pl.Int64(),
    "mean_supported": pl.Float64(),
    "mean_comparison": pl.Float64(),
    "difference": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "interval_method": pl.String(),
}
