"""The estimators: weighted ANCOVA on the matched sample, its intervals, plus WWC statistics.

Model (per cell): outcome ~ treated + baseline_subject + baseline_overall + stratum fixed effects,
weighted by the matching weights. Stratum effects are absorbed by weighted demeaning within strata
(Frisch–Waugh–Lovell), which gives the same coefficient as explicit dummies without building a
dummy matrix as wide as the number of strata. Interval: effect ± t(G−1) × SE, G = schools in the
cell; the SE is the SD of a school bootstrap that re-runs the matching (bootstrap.py) when given,
else the school-clustered CR1 SE, which ignores the matching's own variance (docs/method.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import polars as pl
import statsmodels.api as sm
from scipy import stats

import pipelines.evaluate.intervals as intervals
from pipelines.marts import (  # the words `interval_method` publishes: the marts' contract
    CLUSTER_ROBUST,
    CR2,
    CR3,
    NO_INTERVAL,
    SCHOOL_BOOTSTRAP,
    SCHOOL_JACKKNIFE,
    WILD_CLUSTER_BOOTSTRAP,
)

EQUIVALENCE_OK = 0.05
EQUIVALENCE_MAX = 0.25
COVARIATES = ("baseline_subject", "baseline_overall")
REPLICATE_METHODS = (SCHOOL_BOOTSTRAP, SCHOOL_JACKKNIFE)  # need re-matched replicate draws (bootstrap.py)


@dataclass(frozen=True)
class Estimate:
    """One estimate with everything reported next to it; None where it could not be computed."""

    n_pupils: int
    n_comparison: int
    n_treated_rows: int
    n_comparison_rows: int
    n_clusters: int
    suppressed: bool
    naive_change: float | None = None
    effect: float | None = None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    hedges_g: float | None = None
    baseline_std_diff: float | None = None
    overall_baseline_std_diff: float | None = None
    improvement_index: float | None = None
    wwc_equivalence: str | None = None
    mean_treated: float | None = None
    mean_comparison: float | None = None
    boot_ci_low: float | None = None
    boot_ci_high: float | None = None
    interval_method: str = NO_INTERVAL
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Interval:
    """A 95 % interval for one coefficient and the method that made it (`method`, one of the words above)."""

    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    method: str = NO_INTERVAL
    boot_ci_low: float | None = None
    boot_ci_high: float | None = None
    note: str = ""


def interval_for(
    effect: float,
    cr1_se: float | None,
    n_clusters: int,
    draws: np.ndarray | None,
    replicates: int,
    *,
    method: str = SCHOOL_BOOTSTRAP,
    data: CellData | None = None,
) -> Interval:
    """The interval the stage publishes for a coefficient, by `method` (INTERVAL_METHODS).

    Replicate methods use `draws` (the coefficient in each re-matched replicate) when there are
    enough; regression methods use `data` (the cell's design). Otherwise CR1 with t(G−1) (noted
    when another method was asked for), and no interval with one school.
    """
    if n_clusters >= 2:
        if method == SCHOOL_BOOTSTRAP and enough_draws(draws, replicates):
            se, low, high, p_value, boot_low, boot_high = bootstrap_interval(effect, draws, n_clusters)
            return Interval(se, low, high, p_value, SCHOOL_BOOTSTRAP, boot_low, boot_high)
        if method == SCHOOL_JACKKNIFE and draws is not None and replicates >= 2 and len(draws) == replicates:
            se = intervals.jackknife_se(draws)
            if se > 0:
                return Interval(se, *intervals.t_interval(effect, se, n_clusters - 1), SCHOOL_JACKKNIFE)
        if method in (CR2, CR3, WILD_CLUSTER_BOOTSTRAP) and data is not None:
            regression = regression_interval(effect, data, method)
            if regression is not None:
                return regression
    if cr1_se is not None and cr1_se > 0 and n_clusters >= 2:
        low, high, p_value = intervals.t_interval(effect, cr1_se, n_clusters - 1)
        return Interval(cr1_se, low, high, p_value, CLUSTER_ROBUST, note=fallback_note(method, draws))
    return Interval(cr1_se, note="one_school_no_interval")


def fallback_note(method: str, draws: np.ndarray | None) -> str:
    """Why a cell got CR1 instead of the method asked for ("" when CR1 was asked, or no replicates were run)."""
    if method == CLUSTER_ROBUST or (method in REPLICATE_METHODS and draws is None):
        return ""
    if method == SCHOOL_BOOTSTRAP:
        return "too_few_bootstrap_draws_cr1_interval"
    if method == SCHOOL_JACKKNIFE:
        return "too_few_jackknife_draws_cr1_interval"
    return f"{method}_unavailable_cr1_interval"


def regression_interval(effect: float, data: CellData, method: str) -> Interval | None:
    """CR2, CR3 or the wild cluster bootstrap on the cell's weighted, stratum-demeaned design."""
    y, x = data.design()
    sw = np.sqrt(data.weight)
    fit = intervals.Fit.of(y * sw, x * sw[:, None], data.school)
    if fit.n_clusters < 2:
        return None
    if method == CR2:
        se, dof = intervals.cr2(fit)
    elif method == CR3:
        se, dof = intervals.cr3(fit), float(fit.n_clusters - 1)
    else:
        wild = intervals.wild_cluster_bootstrap(fit)
        if not (math.isfinite(wild.ci_low) and math.isfinite(wild.ci_high)):
            return None
        return Interval(wild.se, wild.ci_low, wild.ci_high, wild.p_value, WILD_CLUSTER_BOOTSTRAP)
    if not se > 0:
        return None
    return Interval(se, *intervals.t_interval(effect, se, dof), method)


def small_sample_correction(n_total: int) -> float:
    """Hedges' ω = 1 − 3 / (4N − 9) (WWC Procedures Handbook v5.0, E.1)."""
    return 1.0 - 3.0 / (4.0 * n_total - 9.0)


def weighted_mean_var(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted mean and unbiased (reliability-weight) variance; equal weights give the usual sample variance."""
    v1 = float(w.sum())
    mean = float(np.sum(w * x) / v1)
    denom = v1 - float(np.sum(w**2)) / v1
    var = float(np.sum(w * (x - mean) ** 2) / denom) if denom > 0 else 0.0
    return mean, var


def pooled_sd(var_t: float, n_t: int, var_c: float, n_c: int) -> float:
    """WWC pooled within-group SD: sqrt(((n_t−1)s_t² + (n_c−1)s_c²) / (n_t + n_c − 2))."""
    return math.sqrt(((n_t - 1) * var_t + (n_c - 1) * var_c) / (n_t + n_c - 2))


def hedges_g(difference: float, var_t: float, n_t: int, var_c: float, n_c: int) -> float | None:
    """Difference in pooled-SD units with the small-sample correction; None when undefined."""
    if n_t + n_c < 3:
        return None
    sd = pooled_sd(var_t, n_t, var_c, n_c)
    if sd <= 0:
        return None
    return small_sample_correction(n_t + n_c) * difference / sd


def improvement_index(g: float | None) -> float | None:
    """WWC improvement index: the percentile gain of the average comparison pupil, 100 × (Φ(g) − 0.5)."""
    return None if g is None else float(100.0 * (stats.norm.cdf(g) - 0.5))


def wwc_equivalence(std_diff: float | None) -> str | None:
    """WWC baseline equivalence: ≤ 0.05 satisfied; 0.05–0.25 satisfied only with statistical adjustment
    (which the ANCOVA makes); > 0.25 not satisfied."""
    if std_diff is None or not math.isfinite(std_diff):
        return None
    size = abs(std_diff)
    if size <= EQUIVALENCE_OK:
        return "satisfied"
    if size <= EQUIVALENCE_MAX:
        return "adjustment_required"
    return "not_satisfied"


def demean_within(x: np.ndarray, weights: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Subtract each group's weighted mean from every column of x (absorbs stratum fixed effects)."""
    x2 = x.reshape(len(x), -1)
    sw = np.bincount(groups, weights=weights)
    means = np.column_stack([np.bincount(groups, weights=weights * x2[:, j]) for j in range(x2.shape[1])]) / sw[:, None]
    return (x2 - means[groups]).reshape(x.shape)


@dataclass(frozen=True)
class CellData:
    """The arrays the model needs, taken once from a cell's frame."""

    outcome: np.ndarray
    treated: np.ndarray  # bool
    covariates: np.ndarray  # n × 2: baseline_subject, baseline_overall
    weight: np.ndarray
    stratum: np.ndarray  # integer codes
    school: np.ndarray  # integer codes

    @classmethod
    def from_frame(cls, frame: pl.DataFrame) -> CellData:
        codes = frame.select(
            pl.col("stratum").rank("dense").cast(pl.Int64) - 1, pl.col("school_id").rank("dense").cast(pl.Int64) - 1
        )
        return cls(
            outcome=frame["outcome"].to_numpy().astype(float),
            treated=frame["treated"].to_numpy().astype(bool),
            covariates=frame.select(COVARIATES).to_numpy().astype(float),
            weight=frame["weight"].to_numpy().astype(float),
            stratum=codes["stratum"].to_numpy(),
            school=codes["school_id"].to_numpy(),
        )

    def subset(self, rows: np.ndarray) -> CellData:
        _, stratum = np.unique(self.stratum[rows], return_inverse=True)
        _, school = np.unique(self.school[rows], return_inverse=True)
        return CellData(
            self.outcome[rows], self.treated[rows], self.covariates[rows], self.weight[rows], stratum, school
        )

    def design(self) -> tuple[np.ndarray, np.ndarray]:
        """Demeaned outcome and regressors [treated, baseline_subject, baseline_overall]."""
        x = np.column_stack([self.treated.astype(float), self.covariates])
        return demean_within(self.outcome, self.weight, self.stratum), demean_within(x, self.weight, self.stratum)


# Integer codes CellArrays reads (dense ranks: order-preserving, so any subset's own dense ranks follow).
CODE_COLUMNS = {"stratum": "_stratum_code", "school_id": "_school_code", "pupil_id": "_pupil_code"}


def with_codes(frame: pl.DataFrame) -> pl.DataFrame:
    """The CODE_COLUMNS added, ranked once for a whole sample rather than once per grouping set
    (ranking the text columns was most of a set's conversion); a frame that has them is returned as is."""
    if set(CODE_COLUMNS.values()) <= set(frame.columns):
        return frame
    return frame.with_columns(
        (pl.col(column).rank("dense").cast(pl.Int64) - 1).fill_null(-1).alias(code)
        for column, code in CODE_COLUMNS.items()
    )


@dataclass(frozen=True)
class CellArrays:
    """One grouping set's matched rows (cells.set_frames) as numpy, converted once, with each cell's row
    positions. Why: a replicate loop cuts hundreds of cells per replicate, and a polars frame per
    cell (partition, dense ranks, to_numpy) cost more than the model fitted on it. A cell's arrays
    are those of cells.cell_frames' frame for it, in the same row order, with the same codes."""

    outcome: np.ndarray
    treated: np.ndarray
    covariates: np.ndarray
    weight: np.ndarray
    stratum: np.ndarray  # dense rank over the whole frame: order-preserving, so a cell's own dense
    school: np.ndarray  # rank (CellData.from_frame) is np.unique(..., return_inverse=True) of its rows
    pupil: np.ndarray
    values: dict[str, np.ndarray]  # the extra float columns (column_values: NaN for null)
    rows: dict[tuple, np.ndarray]

    @classmethod
    def from_frame(cls, frame: pl.DataFrame, keys: Sequence[str], value_columns: Sequence[str] = ()) -> CellArrays:
        codes = with_codes(frame).select(CODE_COLUMNS.values()).to_numpy()
        if keys and frame.height:
            groups = frame.with_row_index("_row").group_by(list(keys), maintain_order=True).agg(pl.col("_row"))
            flat = groups["_row"].explode().to_numpy().astype(np.int64)
            bounds = np.cumsum(groups["_row"].list.len().to_numpy())
            rows = {  # each cell's rows in frame order, as partition_by(maintain_order=True) keeps them
                values: np.sort(part)
                for values, part in zip(groups.select(keys).iter_rows(), np.split(flat, bounds[:-1]), strict=True)
            }
        else:
            rows = {} if keys else {tuple(): np.arange(frame.height, dtype=np.int64)}
        return cls(
            outcome=frame["outcome"].to_numpy().astype(float),
            treated=frame["treated"].to_numpy().astype(bool),
            covariates=frame.select(COVARIATES).to_numpy().astype(float),
            weight=frame["weight"].to_numpy().astype(float),
            stratum=codes[:, 0],
            school=codes[:, 1],
            pupil=codes[:, 2],
            values=column_values(frame, value_columns),
            rows=rows,
        )

    def cell_rows(self, values: tuple) -> np.ndarray:
        return self.rows.get(values, np.empty(0, dtype=np.int64))

    def n_treated_pupils(self, rows: np.ndarray) -> int:
        return len(np.unique(self.pupil[rows][self.treated[rows]]))

    def cell(self, rows: np.ndarray) -> CellData:
        return CellData(
            self.outcome[rows],
            self.treated[rows],
            self.covariates[rows],
            self.weight[rows],
            np.unique(self.stratum[rows], return_inverse=True)[1].astype(np.int64),
            np.unique(self.school[rows], return_inverse=True)[1].astype(np.int64),
        )


def column_values(frame: pl.DataFrame, columns: Sequence[str]) -> dict[str, np.ndarray]:
    """Float columns as numpy with NaN for missing, in one conversion (a column the frame lacks: all NaN)."""
    present = [c for c in columns if c in frame.columns]
    matrix = (
        frame.select(pl.col(c).cast(pl.Float64) for c in present).to_numpy() if present else np.empty((frame.height, 0))
    )
    out = {c: matrix[:, i] for i, c in enumerate(present)}
    return {c: out.get(c, np.full(frame.height, np.nan)) for c in columns}


def ancova(data: CellData) -> tuple[float, float | None, int]:
    """Treatment coefficient, its school-clustered SE (None with < 2 schools), and the number of schools."""
    y, x = data.design()
    n_clusters = len(np.unique(data.school))
    model = sm.WLS(y, x, weights=data.weight)
    if n_clusters < 2:
        return float(model.fit().params[0]), None, n_clusters
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": data.school, "use_correction": True})
    return float(fit.params[0]), float(fit.bse[0]), n_clusters


def point_effect(data: CellData) -> float | None:
    """The ANCOVA treatment coefficient alone (numpy least squares), for bootstrap replicates."""
    if data.treated.all() or not data.treated.any():
        return None
    y, x = data.design()
    sw = np.sqrt(data.weight)
    coef, _, rank, _ = np.linalg.lstsq(x * sw[:, None], y * sw, rcond=None)
    return float(coef[0]) if rank == x.shape[1] else None


def bootstrap_interval(
    effect: float, draws: np.ndarray, n_clusters: int
) -> tuple[float, float, float, float, float, float]:
    """SE = SD of the school-bootstrap draws; CI and p from t(G−1); plus the percentile interval.

    The draws re-run the matching on resampled schools, so the SE includes the variance the
    matching adds, which the regression's sandwich (weights held fixed) leaves out.
    """
    se = float(np.std(draws, ddof=1))
    crit = float(stats.t.ppf(0.975, n_clusters - 1))
    p_value = float(2 * stats.t.sf(abs(effect / se), n_clusters - 1)) if se > 0 else float(effect == 0)
    low, high = np.percentile(draws, [2.5, 97.5])
    return se, effect - crit * se, effect + crit * se, p_value, float(low), float(high)


def enough_draws(draws: np.ndarray | None, replicates: int) -> bool:
    """A bootstrap SE needs the cell in at least half of the replicates (and 10 of them)."""
    return draws is not None and len(draws) >= max(10, replicates / 2)


def estimate_cell(
    frame: pl.DataFrame,
    *,
    min_supported: int,
    boot_draws: np.ndarray | None = None,
    boot_replicates: int = 0,
    naive_change: float | None = None,
    interval_method: str = SCHOOL_BOOTSTRAP,
) -> Estimate:
    """All statistics for one cell of the matched sample (treated rows and their weighted matches).

    frame: pupil_id, school_id, stratum, treated (bool), weight, outcome, baseline_subject,
    baseline_overall, change. Fewer than min_supported distinct supported pupils: counts only.
    boot_draws: the cell's effect in each re-matched replicate (None: none asked), for the replicate
    interval methods. interval_method: see interval_for; CR1 with t(G−1) when the method cannot be
    applied, which is too narrow with few schools (docs/method.md, "Intervals").
    naive_change: the naive change of ALL supported rows of the cell with a baseline and an outcome
    (matched or not, as docs/method.md defines it); without it, the frame's supported rows.
    """
    t, c = frame.filter(pl.col("treated")), frame.filter(~pl.col("treated"))
    counts = {
        "n_pupils": t["pupil_id"].n_unique(),
        "n_comparison": c["pupil_id"].n_unique(),
        "n_treated_rows": t.height,
        "n_comparison_rows": c.height,
        "n_clusters": frame["school_id"].n_unique(),
    }
    if counts["n_pupils"] < min_supported:
        return Estimate(**counts, suppressed=True, note="fewer_supported_than_minimum")
    naive = naive_change if naive_change is not None else mean_or_none(t["change"])
    if c.is_empty():
        return Estimate(**counts, suppressed=False, naive_change=naive, note="no_comparison_matched")
    y_t, y_c, w_c = t["outcome"].to_numpy(), c["outcome"].to_numpy(), c["weight"].to_numpy()
    mean_t, var_t = float(y_t.mean()), float(np.var(y_t, ddof=1)) if len(y_t) > 1 else 0.0
    mean_c, var_c = weighted_mean_var(y_c, w_c)
    data = CellData.from_frame(frame)
    effect, cr1_se, n_clusters = ancova(data)
    interval = interval_for(effect, cr1_se, n_clusters, boot_draws, boot_replicates, method=interval_method, data=data)
    g = hedges_g(effect, var_t, t.height, var_c, c.height)
    base_d = baseline_difference(t, c, "baseline_subject")
    return Estimate(
        **counts,
        suppressed=False,
        naive_change=naive,
        effect=effect,
        se=interval.se,
        ci_low=interval.ci_low,
        ci_high=interval.ci_high,
        p_value=interval.p_value,
        hedges_g=g,
        baseline_std_diff=base_d,
        overall_baseline_std_diff=baseline_difference(t, c, "baseline_overall"),
        improvement_index=improvement_index(g),
        wwc_equivalence=wwc_equivalence(base_d),
        mean_treated=mean_t,
        mean_comparison=mean_c,
        boot_ci_low=interval.boot_ci_low,
        boot_ci_high=interval.boot_ci_high,
        interval_method=interval.method,
        note=interval.note,
    )


def mean_or_none(values: pl.Series) -> float | None:
    return float(values.mean()) if values.null_count() < len(values) else None


def baseline_difference(t: pl.DataFrame, c: pl.DataFrame, column: str) -> float | None:
    """WWC standardised baseline difference on the matched (weighted) sample, Hedges' g form."""
    x_t = t[column].to_numpy()
    var_t = float(np.var(x_t, ddof=1)) if len(x_t) > 1 else 0.0
    mean_c, var_c = weighted_mean_var(c[column].to_numpy(), c["weight"].to_numpy())
    return hedges_g(float(x_t.mean()) - mean_c, var_t, len(x_t), var_c, c.height)
