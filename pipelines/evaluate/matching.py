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
    ordered = sample.sort("stratum", "key")
    keys = ordered["key"].to_numpy()
    is_treated = ordered["treated"].to_numpy().astype(bool)
    subject = ordered["baseline_subject"].to_numpy().astype(float)
    overall = ordered["baseline_overall"].to_numpy().astype(float)
    codes = ordered["stratum"].to_numpy()
    bounds = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1], True])
    out_t, out_c, out_w, out_d = [], [], [], []
    for lo, hi in pairwise(bounds.tolist()):
        is_t = is_treated[lo:hi]
        if not is_t.any() or is_t.all():
            continue
        t_idx, c_idx = lo + np.flatnonzero(is_t), lo + np.flatnonzero(~is_t)
        ds = subject[t_idx][:, None] - subject[c_idx][None, :]
        do = overall[t_idx][:, None] - overall[c_idx][None, :]
        dist = np.sqrt((ds / sd_subject) ** 2 + (do / sd_overall) ** 2)
        dist = np.where(np.abs(ds) <= caliper + 1e-12, dist, np.inf)
        k = min(n_matches, dist.shape[1])
        nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]
        chosen = np.take_along_axis(dist, nearest, axis=1)
        ok = np.isfinite(chosen)
        found = ok.sum(axis=1)
        rows_t, cols = np.nonzero(ok)
        out_t.append(keys[t_idx][rows_t])
        out_c.append(keys[c_idx][nearest[rows_t, cols]])
        out_w.append(1.0 / found[rows_t])
        out_d.append(chosen[rows_t, cols])
    if not out_t or not sum(len(x) for x in out_t):
        return pl.DataFrame(schema=PAIR_SCHEMA)
    columns = [np.concatenate(x) for x in (out_t, out_c, out_w, out_d)]
    return pl.DataFrame(dict(zip(PAIR_SCHEMA, columns, strict=True)), schema=PAIR_SCHEMA)


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
