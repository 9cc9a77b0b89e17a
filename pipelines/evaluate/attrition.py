"""Outcomes missing not at random: do the supported have fewer recorded marks after support began?

The headline compares the marks that were recorded. If a supported pupil's failing marks go
unrecorded more often than a comparison's (retakes, an `nv` instead of a 2, a pupil kept out of
tests), the supported group's outcome looks better than it was, and nothing in the estimate or the
placebos can see it (the probe's world D6: a null programme reported as a certain success). Two
checks on the candidate rows (every pupil-subject with a baseline, before any outcome filter):

- outcome availability: the share with an outcome window (≥ min_outcome_grades 10-point marks),
  supported − comparison;
- the share of `nv` (no grade) among the window's recorded marks, supported − comparison.

Comparisons are those of the strata the cell's supported pupils are in, each stratum weighted by
its number of supported rows (so a cell's comparison share is standardised to its supported mix).
Both gaps get a 95 % interval from school replicates (the stage's jackknife groups, or its school
bootstrap draws), and warn like a placebo: the interval excludes zero and the gap is material
(docs/method.md, "Design diagnostics").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from pipelines.evaluate.bootstrap import jackknife_groups
from pipelines.evaluate.estimate import SCHOOL_BOOTSTRAP, SCHOOL_JACKKNIFE, interval_for
from pipelines.evaluate.outcomes import ROW_KEYS, cell_subject

# Material gaps (shares, 0–1). Measured (docs/method.md, "Design diagnostics"; benchmarks/COVERAGE.md):
# sound worlds at most 0.012 (availability) and 0.01 (nv) apart; the MNAR world D6 0.17 and 0.27.
MIN_OUTCOME_SHARE_GAP = 0.05
MIN_NV_SHARE_GAP = 0.05
# reason name -> (gap column) in design_warning_reason, and the direction in which the gap warns:
# fewer outcomes for the supported (a negative availability gap) or more nv (a positive nv gap).
REASONS = {"outcome_availability": "outcome_share_gap", "no_grade_share": "nv_share_gap"}
MINIMUM = {"outcome_share_gap": MIN_OUTCOME_SHARE_GAP, "nv_share_gap": MIN_NV_SHARE_GAP}

ATTRITION_SCHEMA: dict[str, pl.DataType] = {
    "outcome_share_supported": pl.Float64(),
    "outcome_share_comparison": pl.Float64(),
    "outcome_share_gap": pl.Float64(),
    "outcome_share_gap_ci_low": pl.Float64(),
    "outcome_share_gap_ci_high": pl.Float64(),
    "nv_share_supported": pl.Float64(),
    "nv_share_comparison": pl.Float64(),
    "nv_share_gap": pl.Float64(),
    "nv_share_gap_ci_low": pl.Float64(),
    "nv_share_gap_ci_high": pl.Float64(),
}
# per cell × school: supported rows, with an outcome, window marks, nv marks; the same for comparisons (weighted)
SUMS = ("t_rows", "t_outcome", "t_marks", "t_nv", "c_rows", "c_outcome", "c_marks", "c_nv")


def availability_rows(
    candidates: pl.DataFrame, outcomes: pl.DataFrame, episodes: pl.DataFrame, *, min_outcome_grades: int
) -> pl.DataFrame:
    """Every candidate row with: has_outcome (≥ min_outcome_grades marks in its window), its window's
    recorded marks (10-point + nv) and nv marks, and the supported row's project (cell keys)."""
    nv = pl.col("n_nv_outcome_marks") if "n_nv_outcome_marks" in outcomes.columns else pl.lit(0)
    window = outcomes.select(
        *ROW_KEYS,
        (pl.col("n_outcome_marks") >= min_outcome_grades).alias("has_outcome"),
        (pl.col("n_outcome_marks") + nv).alias("window_marks"),
        nv.alias("nv_marks"),
    ).cast({"semester": pl.Int32})
    return (
        candidates.select(*ROW_KEYS, "school_id", "municipality", "stratum", "treated")
        .join(window, on=list(ROW_KEYS), how="left")
        .join(episodes.select("pupil_id", "subject", "project_code"), on=["pupil_id", "subject"], how="left")
        .with_columns(
            pl.col("has_outcome").fill_null(False).cast(pl.Float64),
            pl.col("window_marks").fill_null(0).cast(pl.Float64),
            pl.col("nv_marks").fill_null(0).cast(pl.Float64),
            pl.when("treated").then(pl.col("project_code")).otherwise(None).alias("project_code"),
            cell_subject(),
        )
    )


def school_weights(schools: list[str], *, scheme: str, replicates: int, seed: int) -> np.ndarray:
    """Replicates × schools: how often each school enters each replicate, as bootstrap.replicas draws
    them (the jackknife: 0 for the left-out group; the bootstrap: the seeded draws with replacement)."""
    if replicates <= 0 or not schools:  # replicates switched off: no interval, hence no warning
        return np.zeros((0, len(schools)))
    if scheme == "jackknife":
        groups = jackknife_groups(schools, replicates, seed)
        index = {s: i for i, s in enumerate(schools)}
        out = np.ones((len(groups), len(schools)))
        for r, group in enumerate(groups):
            out[r, [index[s] for s in group]] = 0.0
        return out
    rng = np.random.default_rng(seed)
    draws = [
        np.bincount(rng.integers(0, len(schools), len(schools)), minlength=len(schools)) for _ in range(replicates)
    ]
    return np.array(draws, dtype=float).reshape(replicates, len(schools))


def gaps(sums: np.ndarray) -> tuple[float | None, float | None, float | None, float | None, float | None, float | None]:
    """(outcome share supported, comparison, gap, nv share supported, comparison, gap) from the SUMS totals."""
    t_rows, t_out, t_marks, t_nv, c_rows, c_out, c_marks, c_nv = sums

    def share(num: float, den: float) -> float | None:
        return float(num / den) if den > 0 else None

    a_t, a_c, n_t, n_c = share(t_out, t_rows), share(c_out, c_rows), share(t_nv, t_marks), share(c_nv, c_marks)
    a_gap = None if a_t is None or a_c is None else a_t - a_c
    n_gap = None if n_t is None or n_c is None else n_t - n_c
    return a_t, a_c, a_gap, n_t, n_c, n_gap


def attrition_checks(
    rows: pl.DataFrame,
    columns: Sequence[str],
    sets: Sequence[tuple[str, ...]],
    *,
    interval_method: str,
    replicates: int,
    seed: int,
) -> pl.DataFrame:
    """Per cell (`ALL` where totalled): both shares per group, their gaps and the gaps' 95 % intervals.

    The replicates are the stage's (the bootstrap's draws under school_bootstrap, else the jackknife's
    groups, also when the headline uses a regression interval: the gaps have no regression)."""
    from pipelines.evaluate.cells import ALL

    schema = {c: pl.String() for c in columns} | ATTRITION_SCHEMA
    if rows.is_empty() or not rows["treated"].any():
        return pl.DataFrame(schema=schema)
    scheme = "bootstrap" if interval_method == SCHOOL_BOOTSTRAP else "jackknife"
    method = SCHOOL_BOOTSTRAP if scheme == "bootstrap" else SCHOOL_JACKKNIFE
    schools = rows["school_id"].unique().sort().to_list()
    weights = school_weights(schools, scheme=scheme, replicates=replicates, seed=seed)
    n_replicates = weights.shape[0]
    index = pl.DataFrame({"school_id": schools, "_school": np.arange(len(schools))})
    treated = rows.filter("treated").join(index, on="school_id")
    comparison = (
        rows.filter(~pl.col("treated"))
        .join(index, on="school_id")
        .group_by("stratum", "_school")
        .agg(
            pl.len().cast(pl.Float64).alias("c_rows"),
            pl.col("has_outcome").sum().alias("c_outcome"),
            pl.col("window_marks").sum().alias("c_marks"),
            pl.col("nv_marks").sum().alias("c_nv"),
        )
        .with_columns(pl.col("c_rows").sum().over("stratum").alias("_stratum_rows"))
    )
    out = []
    for subset in sets:
        keys = list(subset)
        t_sums = treated.group_by(*keys, "_school").agg(
            pl.len().cast(pl.Float64).alias("t_rows"),
            pl.col("has_outcome").sum().alias("t_outcome"),
            pl.col("window_marks").sum().alias("t_marks"),
            pl.col("nv_marks").sum().alias("t_nv"),
        )
        # a stratum's comparisons count as many times as the cell has supported rows in it
        t_strata = treated.group_by(*keys, "stratum").agg(pl.len().cast(pl.Float64).alias("_n_supported"))
        c_sums = (
            t_strata.join(comparison, on="stratum")
            .with_columns((pl.col("_n_supported") / pl.col("_stratum_rows")).alias("_w"))
            .group_by(*keys, "_school")
            .agg((pl.col(c) * pl.col("_w")).sum() for c in ("c_rows", "c_outcome", "c_marks", "c_nv"))
        )
        per_school = t_sums.join(c_sums, on=[*keys, "_school"], how="full", coalesce=True).with_columns(
            pl.col(SUMS).fill_null(0.0)
        )
        parts = per_school.partition_by(keys, as_dict=True) if keys else {(): per_school}
        for values, part in parts.items():
            at = part["_school"].to_numpy()
            matrix = part.select(SUMS).to_numpy()
            point = gaps(matrix.sum(axis=0))
            draws = [gaps(w) for w in weights[:, at] @ matrix]
            label = dict(zip(keys, values, strict=True))
            row: dict[str, object] = {c: label.get(c, ALL) for c in columns}
            row |= dict(zip(ATTRITION_SCHEMA, [*point[:3], None, None, *point[3:], None, None], strict=True))
            n_clusters = len(at)
            for gap_at, name in ((2, "outcome_share_gap"), (5, "nv_share_gap")):
                if point[gap_at] is None:
                    continue
                values_r = np.array([d[gap_at] for d in draws if d[gap_at] is not None])
                if n_replicates == 0 or (scheme == "jackknife" and len(values_r) != n_replicates):
                    continue  # a replicate without the cell: as the headline, no jackknife interval
                interval = interval_for(point[gap_at], None, n_clusters, values_r, n_replicates, method=method)
                row[f"{name}_ci_low"], row[f"{name}_ci_high"] = interval.ci_low, interval.ci_high
            out.append(row)
    return pl.DataFrame(out, schema=schema) if out else pl.DataFrame(schema=schema)


def attrition_reasons(row: dict[str, object]) -> list[str]:
    """The checks that warn for one cell: the gap's interval excludes zero, it is material, and it
    points the way missing marks would flatter the supported (fewer outcomes, more nv)."""
    reasons = []
    for reason, gap in REASONS.items():
        value, low, high = row.get(gap), row.get(f"{gap}_ci_low"), row.get(f"{gap}_ci_high")
        if value is None or low is None or high is None:
            continue
        sign = -1.0 if gap == "outcome_share_gap" else 1.0
        if sign * value >= MINIMUM[gap] and (low > 0 or high < 0):
            reasons.append(reason)
    return reasons


def with_attrition(cells: pl.DataFrame, checks: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """The cells with the checks' columns, and their reasons appended to design_warning_reason (and
    design_warning set) where the cell has an estimate (diagnostics.diagnose_cell's columns)."""
    joined = cells.join(checks, on=list(columns), how="left", nulls_equal=True)
    reasons, warnings = [], []
    for row in joined.select("effect", "design_warning", "design_warning_reason", *ATTRITION_SCHEMA).iter_rows(
        named=True
    ):
        if row["effect"] is None:
            reasons.append(row["design_warning_reason"])
            warnings.append(row["design_warning"])
            continue
        parts = [p for p in (row["design_warning_reason"] or "").split(",") if p] + attrition_reasons(row)
        reasons.append(",".join(parts))
        warnings.append(bool(parts))
    return joined.with_columns(
        pl.Series("design_warning_reason", reasons, dtype=pl.String),
        pl.Series("design_warning", warnings, dtype=pl.Boolean),
    )
