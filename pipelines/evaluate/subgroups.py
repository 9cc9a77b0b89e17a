"""Effects by subgroup of the supported pupils: gender, grade band and baseline tercile, with a test of
whether the subgroup effects differ (docs/method.md, "Subgroups").

A subgroup cell is a cut of the headline's matched sample: the supported rows of one level and the
comparisons matched to them (their summed matching weights), exactly as a project × subject cell is
(cells.cell_frames). Nothing is re-matched for a subgroup, so the levels of a subgroup partition the
project total's supported rows, and the counts nest in the totals `effectiveness.csv` publishes.
The interval is the headline's (`evaluate.interval_method`): the replicate draws come from the same
replicas (left-out schools or resampled schools, re-run matching) as the headline's, and one replicate
gives every level's effect at once, so their replicate covariance carries the correlation of levels
that share schools. The heterogeneity test is a Wald test of "all levels have the same effect" with
that covariance, referred to F(L − 1, G − 1) (G schools), as the t(G − 1) of the intervals.

Levels: gender `F`/`M` from the rosters (`unknown` when no roster row of the pupil gives one: its own
level, not in the test); grade band `4-6`/`7-9`/`10-12` (part of the matching stratum); baseline
tercile `1`/`2`/`3`: the third of its stratum (subject × semester × municipality × grade band) the row's
baseline subject mean falls in, among all the stratum's analysis rows, supported or not (1 = lowest).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from scipy import stats

from pipelines.evaluate.bootstrap import MODEL_COLUMNS, replicas
from pipelines.evaluate.cells import ALL, cell_arrays
from pipelines.evaluate.estimate import SCHOOL_JACKKNIFE, point_effect, with_codes
from pipelines.evaluate.matching import match_within_strata
from pipelines.marts import SUBGROUPS, UNKNOWN_GENDER

NOT_TESTED = (UNKNOWN_GENDER,)  # levels shown but left out of the heterogeneity test
LEVEL_ORDER = {"F": 0, "M": 1, UNKNOWN_GENDER: 2, "4-6": 0, "7-9": 1, "10-12": 2, "1": 0, "2": 1, "3": 2}

SUBGROUP_SCHEMA: dict[str, pl.DataType] = {
    "project_code": pl.String(),
    "subgroup": pl.String(),
    "level": pl.String(),
    "n_pupils": pl.Int64(),
    "n_comparison": pl.Int64(),
    "n_clusters": pl.Int64(),
    "effect": pl.Float64(),
    "se": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "p_value": pl.Float64(),
    "interval_method": pl.String(),
    "p_heterogeneity": pl.Float64(),
    "suppressed": pl.Boolean(),
    "note": pl.String(),
}


def pupil_gender(pupils: pl.DataFrame) -> pl.DataFrame:
    """One gender per pupil: from the latest school year's roster row that gives one (`unknown` if none)."""
    if "gender" not in pupils.columns:
        return pl.DataFrame(schema={"pupil_id": pl.String(), "gender": pl.String()})
    return (
        pupils.filter(pl.col("gender").is_in(["F", "M"]))
        .sort("pupil_id", "school_year", "gender")
        .group_by("pupil_id", maintain_order=True)
        .agg(pl.col("gender").last())
    )


def with_levels(sample: pl.DataFrame, pupils: pl.DataFrame) -> pl.DataFrame:
    """The analysis rows with a column per subgroup (gender, grade_band, baseline_tercile)."""
    n = pl.len().over("stratum")
    rank = pl.col("baseline_subject").rank("average").over("stratum")
    tercile = ((3 * rank / n).ceil().clip(1, 3)).cast(pl.Int64).cast(pl.String)
    return (
        sample.join(pupil_gender(pupils), on="pupil_id", how="left")
        .with_columns(pl.col("gender").fill_null(UNKNOWN_GENDER), tercile.alias("baseline_tercile"))
        .sort("key")
    )


def subgroup_sets(subgroup: str) -> list[tuple[str, ...]]:
    """Levels per project and across projects, and the project totals (the levels' margin)."""
    return [("project_code", subgroup), (subgroup,), ("project_code",), ()]


def replicate_effects(
    sample: pl.DataFrame,
    *,
    replicates: int,
    seed: int,
    caliper_sd: float,
    n_matches: int,
    min_supported: int,
    scheme: str,
) -> tuple[dict[tuple[str, str, str], np.ndarray], int]:
    """Each subgroup cell's effect in every replicate (NaN where it cannot be computed), aligned by
    replicate so that levels can be compared; the replicas are those of the headline (same seed and
    scheme), the matching re-run once per replicate for all subgroups. The evaluate stage gets the
    same draws from the headline's own replicate loop instead (SubgroupReplicates as its rider)."""
    columns = [c for c in (*MODEL_COLUMNS, "project_code", *SUBGROUPS) if c in sample.columns]
    sample = sample.select(*dict.fromkeys(columns))
    collect = SubgroupReplicates(replicates=replicates, min_supported=min_supported)
    for r, replica in enumerate(replicas(sample, scheme=scheme, replicates=replicates, seed=seed)):
        collect(r, replica, match_within_strata(replica, caliper_sd=caliper_sd, n_matches=n_matches))
    return collect.result()


class SubgroupReplicates:
    """replicate_effects' work on one replicate at a time: called with (replicate number, replica,
    its pairs), so it can ride on the headline's replicate loop (bootstrap.bootstrap_statistics'
    `riders`) and reuse that replicate's matching: same replicas, same pairs, same draws."""

    def __init__(self, *, replicates: int, min_supported: int) -> None:
        self.replicates = replicates
        self.min_supported = min_supported
        self.draws: dict[tuple[str, str, str], list[float]] = {}
        self.count = 0

    def __call__(self, r: int, replica: pl.DataFrame, pairs: pl.DataFrame) -> None:
        self.count = r + 1
        if pairs.is_empty():
            return
        replica = with_codes(replica)  # once for the three subgroups' cells
        for subgroup in SUBGROUPS:
            cells = cell_arrays(replica, pairs, ["project_code", subgroup], subgroup_sets(subgroup))
            for label, sizes, arrays, rows in cells:
                if sizes["n_supported_in_sample"] < self.min_supported:
                    continue
                if arrays.n_treated_pupils(rows) < self.min_supported:
                    continue
                effect = point_effect(arrays.cell(rows))
                if effect is not None:
                    key = (label["project_code"], subgroup, label[subgroup])
                    self.draws.setdefault(key, [math.nan] * self.replicates)[r] = effect

    def result(self) -> tuple[dict[tuple[str, str, str], np.ndarray], int]:
        return {key: np.array(values[: self.count]) for key, values in self.draws.items()}, self.count


def replicate_covariance(draws: np.ndarray, scheme: str) -> np.ndarray | None:
    """Covariance of the levels' estimates from replicates × levels draws (complete replicates only):
    the jackknife's (R−1)/R Σ (θ_r − θ̄)(θ_r − θ̄)' or the bootstrap's sample covariance."""
    complete = draws[np.all(np.isfinite(draws), axis=1)]
    r = len(complete)
    if r < 2:
        return None
    centred = complete - complete.mean(axis=0)
    if scheme == "jackknife":
        if r != len(draws):  # the jackknife needs every left-out school
            return None
        return (r - 1) / r * centred.T @ centred
    return centred.T @ centred / (r - 1)


def wald_equal(effects: np.ndarray, covariance: np.ndarray, dof: int) -> float | None:
    """p-value of H0: all effects equal; W = (Cθ)'(CVC')⁻¹(Cθ), C the differences from the first level,
    W/q referred to F(q, dof). None when the contrasts' covariance is singular or dof < q."""
    q = len(effects) - 1
    if q < 1 or dof < q:
        return None
    c = np.hstack([-np.ones((q, 1)), np.eye(q)])
    diff = c @ effects
    v = c @ covariance @ c.T
    if np.linalg.matrix_rank(v) < q or not np.all(np.isfinite(v)):
        return None
    w = float(diff @ np.linalg.solve(v, diff))
    return float(stats.f.sf(w / q, q, dof))


def subgroup_estimates(
    sample: pl.DataFrame,
    pairs: pl.DataFrame,
    pupils: pl.DataFrame,
    *,
    min_supported: int,
    interval_method: str,
    replicate_method: bool,
    replicates: int,
    seed: int,
    caliper_sd: float,
    n_matches: int,
    replicate_draws: tuple[dict[tuple[str, str, str], np.ndarray], int] | None = None,
) -> pl.DataFrame:
    """One row per project (and `ALL`) × subgroup × level (and `ALL`, the project total), with the
    effect, its interval and the subgroup's heterogeneity p-value (SUBGROUP_SCHEMA). replicate_draws:
    replicate_effects' result when already collected on the headline's replicates (SubgroupReplicates)."""
    from pipelines.evaluate.cells import estimate_groups

    if sample.is_empty() or pairs.is_empty():
        return pl.DataFrame(schema=SUBGROUP_SCHEMA)
    rows = with_levels(sample, pupils)
    scheme = "jackknife" if interval_method == SCHOOL_JACKKNIFE else "bootstrap"
    draws, count = (
        replicate_draws
        if replicate_method and replicate_draws is not None
        else replicate_effects(
            rows,
            replicates=replicates,
            seed=seed,
            caliper_sd=caliper_sd,
            n_matches=n_matches,
            min_supported=min_supported,
            scheme=scheme,
        )
        if replicate_method
        else ({}, 0)
    )
    parts = []
    for subgroup in SUBGROUPS:
        by_label = {
            (project, level): values[np.isfinite(values)]
            for (project, name, level), values in draws.items()
            if name == subgroup
        }
        cells = estimate_groups(
            rows,
            pairs,
            ["project_code", subgroup],
            sets=subgroup_sets(subgroup),
            min_supported=min_supported,
            boot_draws=by_label if replicate_method else None,
            boot_replicates=count,
            interval_method=interval_method,
        )
        if cells.is_empty():
            continue
        cells = cells.rename({subgroup: "level"}).with_columns(pl.lit(subgroup).alias("subgroup"))
        parts.append(with_heterogeneity(cells, draws, subgroup, scheme))
    if not parts:
        return pl.DataFrame(schema=SUBGROUP_SCHEMA)
    out = pl.concat([conform_subgroups(p) for p in parts])
    return order_subgroups(out)


def with_heterogeneity(
    cells: pl.DataFrame, draws: dict[tuple[str, str, str], np.ndarray], subgroup: str, scheme: str
) -> pl.DataFrame:
    """p_heterogeneity on every row of a project × subgroup: the Wald test over its estimated named levels."""
    p_values: dict[str, float | None] = {}
    for project in cells["project_code"].unique().to_list():
        levels = cells.filter(
            (pl.col("project_code") == project)
            & (pl.col("level") != ALL)
            & ~pl.col("level").is_in(list(NOT_TESTED))
            & pl.col("effect").is_not_null()
        ).sort(pl.col("level").replace_strict(LEVEL_ORDER, default=9, return_dtype=pl.Int64))
        total = cells.filter((pl.col("project_code") == project) & (pl.col("level") == ALL))
        names = levels["level"].to_list()
        matrix = [draws.get((project, subgroup, level)) for level in names]
        if len(names) < 2 or total.is_empty() or any(m is None for m in matrix):
            p_values[project] = None
            continue
        cov = replicate_covariance(np.column_stack(matrix), scheme)
        schools = int(total["n_clusters"][0])
        p_values[project] = (
            None if cov is None else wald_equal(levels["effect"].to_numpy().astype(float), cov, schools - 1)
        )
    return cells.with_columns(
        pl.col("project_code").replace_strict(p_values, default=None, return_dtype=pl.Float64).alias("p_heterogeneity")
    )


def conform_subgroups(frame: pl.DataFrame) -> pl.DataFrame:
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in SUBGROUP_SCHEMA.items() if c not in frame.columns]
    return frame.with_columns(missing).select(list(SUBGROUP_SCHEMA)).cast(SUBGROUP_SCHEMA)


def order_subgroups(frame: pl.DataFrame) -> pl.DataFrame:
    """Projects ascending (`ALL` last), subgroups in SUBGROUPS order, levels in their natural order, `ALL` last."""
    return frame.sort(
        pl.col("project_code") == ALL,
        "project_code",
        pl.col("subgroup").replace_strict({s: i for i, s in enumerate(SUBGROUPS)}, return_dtype=pl.Int64),
        pl.col("level") == ALL,
        pl.col("level").replace_strict(LEVEL_ORDER, default=9, return_dtype=pl.Int64),
        "level",
    )
