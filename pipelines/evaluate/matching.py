"""Nearest-neighbour matching with replacement, inside exact strata, with a caliper.

Exact strata (subject × semester × municipality × grade band) make supported and comparison
pupils face the same subject, term, local schools and age. Within a stratum each supported
pupil-subject takes up to k comparisons nearest on the standardised baseline subject mean and
overall mean, among those whose baseline subject mean is within caliper × pooled SD.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import polars as pl

PAIR_SCHEMA: dict[str, pl.DataType] = {
    "treated_key": pl.String(),
    "comparison_key": pl.String(),
    "weight": pl.Float64(),
    "distance": pl.Float64(),
}


def pooled_sd(values: np.ndarray, treated: np.ndarray) -> float:
    """sqrt((var_treated + var_comparison) / 2): the usual caliper unit (Rosenbaum & Rubin 1985)."""
    t, c = values[treated], values[~treated]
    var_t = float(np.var(t, ddof=1)) if len(t) > 1 else 0.0
    var_c = float(np.var(c, ddof=1)) if len(c) > 1 else 0.0
    sd = float(np.sqrt((var_t + var_c) / 2))
    return sd if sd > 0 else 1.0


def match_within_strata(sample: pl.DataFrame, *, caliper_sd: float, n_matches: int) -> pl.DataFrame:
    """Pairs (treated_key, comparison_key, weight = 1 / matches found for that treated row).

    sample: key, stratum, treated, baseline_subject, baseline_overall. Deterministic: ties go to
    the comparison whose key sorts first.
    """
    if sample.is_empty() or not sample["treated"].any():
        return pl.DataFrame(schema=PAIR_SCHEMA)
    treated_all = sample["treated"].to_numpy()
    sd_subject = pooled_sd(sample["baseline_subject"].to_numpy(), treated_all)
    sd_overall = pooled_sd(sample["baseline_overall"].to_numpy(), treated_all)
    caliper = caliper_sd * sd_subject
    ordered = sample.select("key", "stratum", "treated", "baseline_subject", "baseline_overall").sort("stratum", "key")
    is_treated = ordered["treated"].to_numpy().astype(bool)
    subject = ordered["baseline_subject"].to_numpy().astype(float)
    overall = ordered["baseline_overall"].to_numpy().astype(float)
    # strata as row ranges; keys stay in polars and are gathered once at the end (string
    # columns to numpy cost more than the matching itself in the bootstrap)
    new_stratum = ordered.select(pl.col("stratum").ne_missing(pl.col("stratum").shift(1)).fill_null(True))
    bounds = np.flatnonzero(np.r_[new_stratum.to_series().to_numpy(), True])
    found_pairs = []
    for lo, hi in pairwise(bounds.tolist()):
        is_t = is_treated[lo:hi]
        if not is_t.any() or is_t.all():
            continue
        t_idx, c_idx = lo + np.flatnonzero(is_t), lo + np.flatnonzero(~is_t)
        rows_t, c_pos, dist = nearest_within_caliper(
            subject[t_idx], overall[t_idx], subject[c_idx], overall[c_idx],
            scale=(sd_subject, sd_overall), caliper=caliper, k=n_matches,
        )  # fmt: skip
        found = np.bincount(rows_t, minlength=len(t_idx))
        found_pairs.append((t_idx[rows_t], c_idx[c_pos], 1.0 / found[rows_t], dist))
    if not sum(len(p[0]) for p in found_pairs):
        return pl.DataFrame(schema=PAIR_SCHEMA)
    t_rows, c_rows, weight, distance = (np.concatenate(x) for x in zip(*found_pairs, strict=True))
    keys = ordered["key"]
    return pl.DataFrame(
        {
            "treated_key": keys.gather(t_rows),
            "comparison_key": keys.gather(c_rows),
            "weight": weight,
            "distance": distance,
        },
        schema=PAIR_SCHEMA,
    )


def nearest_within_caliper(
    t_subject: np.ndarray,
    t_overall: np.ndarray,
    c_subject: np.ndarray,
    c_overall: np.ndarray,
    *,
    scale: tuple[float, float],
    caliper: float,
    k: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each treated row, up to k comparisons with |subject difference| <= caliper, nearest on
    the scaled distance, ties to the lower comparison position. Returns (treated row, comparison
    position, distance) ordered by treated row, then distance, then position.

    Why not the whole treated × comparison matrix: at national scale a stratum has thousands of
    comparisons and the bootstrap re-matches 40 times. Sorted by subject mean, each treated row's
    caliper is one contiguous window, usually a small part of the comparisons; only that window
    is compared.
    """
    tol = caliper + 1e-12
    by_subject = np.argsort(c_subject, kind="stable")
    sorted_subject = c_subject[by_subject]
    # a slightly wider window than the caliper; the exact caliper test is applied inside it
    start = np.searchsorted(sorted_subject, t_subject - tol - 1e-9, side="left")
    stop = np.searchsorted(sorted_subject, t_subject + tol + 1e-9, side="right")
    width = int(np.max(stop - start, initial=0))
    if width == 0:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=float)
    slots = start[:, None] + np.arange(width)[None, :]
    inside = slots < stop[:, None]
    position = by_subject[np.minimum(slots, len(c_subject) - 1)]  # comparison position (key order)
    d_subject = t_subject[:, None] - c_subject[position]
    d_overall = t_overall[:, None] - c_overall[position]
    dist = np.sqrt((d_subject / scale[0]) ** 2 + (d_overall / scale[1]) ** 2)
    dist = np.where(inside & (np.abs(d_subject) <= tol), dist, np.inf)
    # the k-th smallest distance per row bounds the candidates; ties are settled by position below
    kth = np.partition(dist, min(k, width) - 1, axis=1)[:, min(k, width) - 1 : min(k, width)]
    rows, cols = np.nonzero((dist <= kth) & np.isfinite(dist))
    cand_position, cand_dist = position[rows, cols], dist[rows, cols]
    order = np.lexsort((cand_position, cand_dist, rows))
    rows, cand_position, cand_dist = rows[order], cand_position[order], cand_dist[order]
    first = np.r_[0, np.flatnonzero(rows[1:] != rows[:-1]) + 1]
    rank = np.arange(len(rows)) - np.repeat(first, np.diff(np.r_[first, len(rows)]))
    keep = rank < k
    return rows[keep], cand_position[keep], cand_dist[keep]


def matched_rows(sample: pl.DataFrame, pairs: pl.DataFrame, treated_keys: pl.Series | None = None) -> pl.DataFrame:
    """The analysis rows for a set of treated rows: those treated (weight 1) and their matches.

    A comparison used by several treated rows appears once with the sum of their weights, so the
    comparison group stands for the treated rows in proportion (ATT weights).
    """
    if treated_keys is not None:
        pairs = pairs.filter(pl.col("treated_key").is_in(treated_keys.implode()))
    matched_t = pairs.select(pl.col("treated_key").unique().alias("key"))
    weights_c = pairs.group_by("comparison_key").agg(pl.col("weight").sum()).rename({"comparison_key": "key"})
    treated = sample.join(matched_t, on="key").with_columns(pl.lit(1.0).alias("weight"))
    comparison = sample.filter(~pl.col("treated")).join(weights_c, on="key")
    return pl.concat([treated, comparison]).sort("key")
