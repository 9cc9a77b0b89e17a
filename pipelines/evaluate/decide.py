"""Numbers a programme manager can decide with: the smallest effect a cell could detect, the probability
that support helped (and helped enough to matter), and partial pooling of small cells (docs/method.md,
"Lēmumiem / For decisions").

- MDES: (t(1−α/2, df) + t(power, df)) × SE, 80 % power, two-sided 5 % (Bloom 1995), with the cell's
  own SE and the degrees of freedom of its published interval.
- Probabilities: a sceptical normal prior N(0, prior_sd²) on the effect, updated with the estimate
  as a normal likelihood (normal–normal conjugate posterior) whose SE is widened to match the
  published t interval (normal_se).
- Partial pooling: within a family of cells (same project, same breakdown: municipality, subject,
  school year or their combinations), each cell's estimate is shrunk towards the project's total by
  normal–normal empirical Bayes, τ² by the method of moments around that total.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from scipy import optimize, stats

ALPHA = 0.05
POWER = 0.80
Z975 = float(stats.norm.ppf(0.975))
MAX_DOF = 1e6  # an interval no wider than the normal one: treat as normal
MIN_FAMILY = 2  # cells with an estimate needed to estimate a family's between-cell variance
DECISION_COLUMNS = ("mdes", "prob_positive", "prob_above_threshold", "effect_pooled", "ci_low_pooled", "ci_high_pooled")


def mdes(se: float, dof: float, *, alpha: float = ALPHA, power: float = POWER) -> float:
    """Minimum detectable effect: the true effect the cell's test would find with `power` (Bloom 1995)."""
    return (float(stats.t.ppf(1 - alpha / 2, dof)) + float(stats.t.ppf(power, dof))) * se


def interval_dof(effect: float, se: float, ci_low: float, ci_high: float) -> float:
    """Degrees of freedom of a published effect ± t(df) × se interval (G−1, Bell–McCaffrey …), read back
    from its width so that every interval method gives its own; infinite when it is as narrow as normal."""
    crit = (ci_high - ci_low) / (2 * se)
    if crit <= float(stats.t.ppf(0.975, MAX_DOF)):
        return math.inf
    if crit > float(stats.t.ppf(0.975, 0.2)):  # wider than any t we can invert: the smallest df
        return 0.2
    return float(optimize.brentq(lambda df: float(stats.t.ppf(0.975, df)) - crit, 0.2, MAX_DOF, xtol=1e-10))


def posterior(effect: float, se: float, prior_sd: float) -> tuple[float, float]:
    """Mean and SD of N(0, prior_sd²) updated with a normal likelihood N(effect, se²)."""
    precision = 1 / prior_sd**2 + 1 / se**2
    return effect / se**2 / precision, math.sqrt(1 / precision)


def prob_above(effect: float, se: float, prior_sd: float, threshold: float = 0.0) -> float:
    """P(true effect > threshold | estimate) under the sceptical prior."""
    mean, sd = posterior(effect, se, prior_sd)
    return float(stats.norm.sf(threshold, loc=mean, scale=sd))


def shrink(
    effects: np.ndarray, ses: np.ndarray, parent: float, parent_se: float | None
) -> tuple[np.ndarray, np.ndarray, float]:
    """Normal–normal empirical Bayes towards a known parent mean.

    τ² = max(0, mean((θ_i − μ)² − s_i²)) (method of moments around the parent total), B_i = s_i² / (s_i² + τ²),
    pooled θ_i = μ + (1 − B_i)(θ_i − μ), variance (1 − B_i) s_i² + B_i² s_μ² (Morris 1983's term for the
    parent's own uncertainty; τ²'s is left out, so the interval is a little narrow). Returns pooled
    estimates, their SEs and τ².
    """
    tau2 = max(0.0, float(np.mean((effects - parent) ** 2 - ses**2)))
    b = ses**2 / (ses**2 + tau2) if tau2 > 0 else np.ones_like(ses)
    pooled = parent + (1 - b) * (effects - parent)
    var = (1 - b) * ses**2 + b**2 * (parent_se or 0.0) ** 2
    return pooled, np.sqrt(var), tau2


def decision_columns(
    cells: pl.DataFrame, keys: tuple[str, ...], all_label: str, *, prior_sd: float, threshold: float
) -> pl.DataFrame:
    """The cells with mdes, prob_positive, prob_above_threshold and the pooled estimate and interval.

    Needs effect, se, ci_low, ci_high and the key columns (the first key is the project). Cells
    without an estimate and SE get nulls; the project totals (the primary results) are not pooled.
    """
    if cells.is_empty():
        return cells.with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in DECISION_COLUMNS)
    rows = cells.select(*keys, "effect", "se", "ci_low", "ci_high").to_dicts()
    out = {c: [None] * len(rows) for c in DECISION_COLUMNS}
    for i, row in enumerate(rows):
        effect, se, low, high = row["effect"], row["se"], row["ci_low"], row["ci_high"]
        if not usable(effect, se) or low is None or high is None:
            continue
        out["mdes"][i] = mdes(se, interval_dof(effect, se, low, high))
        wide = normal_se(low, high)  # a t with few df is wider than N(effect, se²): keep its width
        out["prob_positive"][i] = prob_above(effect, wide, prior_sd)
        out["prob_above_threshold"][i] = prob_above(effect, wide, prior_sd, threshold)
    project, rest = keys[0], keys[1:]
    totals = {row[project]: row for row in rows if all(row[k] == all_label for k in rest)}
    families: dict[tuple, list[int]] = {}
    for i, row in enumerate(rows):
        shape = tuple(row[k] != all_label for k in rest)
        if any(shape) and usable(row["effect"], row["se"]) and out["mdes"][i] is not None:
            families.setdefault((row[project], shape), []).append(i)
    for (code, _), members in families.items():
        parent = totals.get(code)
        if parent is None or parent["effect"] is None or len(members) < MIN_FAMILY:
            continue
        effects = np.array([rows[i]["effect"] for i in members], dtype=float)
        ses = np.array([normal_se(rows[i]["ci_low"], rows[i]["ci_high"]) for i in members], dtype=float)
        parent_se = (
            normal_se(parent["ci_low"], parent["ci_high"])
            if usable(parent["effect"], parent["se"]) and parent["ci_low"] is not None
            else None
        )
        pooled, pooled_se, _ = shrink(effects, ses, float(parent["effect"]), parent_se)
        for i, value, s in zip(members, pooled, pooled_se, strict=True):
            out["effect_pooled"][i] = float(value)
            out["ci_low_pooled"][i] = float(value - Z975 * s)
            out["ci_high_pooled"][i] = float(value + Z975 * s)
    return cells.with_columns(pl.Series(c, v, dtype=pl.Float64) for c, v in out.items())


def normal_se(ci_low: float, ci_high: float) -> float:
    """The SE a normal interval as wide as the published one would have: (high − low) / (2 × 1.96).

    The published interval is effect ± t(df) × SE; with 2–6 schools t(df) is 2.6–12.7, so treating the
    estimate as N(effect, SE²) would claim far more certainty than the interval does. Equals SE for
    large df."""
    return (ci_high - ci_low) / (2 * Z975)


def usable(effect: float | None, se: float | None) -> bool:
    return effect is not None and se is not None and math.isfinite(effect) and math.isfinite(se) and se > 0
