"""Staying in school: supported pupils against matched comparisons, share still enrolled at year end.

Unit: a pupil's first subject episode (one per pupil). Comparisons: pupil-subjects in the same
stratum with no consultation of any kind on or before the window start. Both must be on a roster
of that school year and not have left before the window start.
"Still enrolled at the end of the school year" = on a roster of that school year with no leaving
date, or a leaving date on/after 1 June (lessons have ended; a June–August date is a completion or
a move between years, not leaving school). A pupil who moved school and appears on the new
school's roster without a leaving date counts as enrolled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import optimize

from pipelines.evaluate.bootstrap import replicas, replicate_count
from pipelines.evaluate.cells import cell_frames
from pipelines.evaluate.estimate import (
    CLUSTER_ROBUST,
    REPLICATE_METHODS,
    SCHOOL_JACKKNIFE,
    CellData,
    ancova,
    baseline_difference,
    interval_for,
    wwc_equivalence,
)
from pipelines.evaluate.matching import match_within_strata

STAYING_KEYS = ("school_year",)
# What the comparison weights are calibrated on (calibrated_weights): the matching's own distance
# variables, whose means nearest-neighbour matching leaves apart (the caliper is on the subject mean only).
BALANCE_COLUMNS = ("baseline_subject", "baseline_overall")
# Where they are calibrated: per start period × grade band (balanced).
BALANCE_CELL = ("period", "grade_band")


def year_end_cutoff_expr(school_year: str = "school_year") -> pl.Expr:
    """1 June of the school year's second calendar year: '2024/2025' -> 2025-06-01."""
    return pl.date(pl.col(school_year).str.slice(5, 4).cast(pl.Int32), 6, 1)


def semester_start_expr() -> pl.Expr:
    """First day of the row's semester: 1 September for semester 1, 1 January for semester 2."""
    first, second = (pl.col("school_year").str.slice(i, 4).cast(pl.Int32) for i in (0, 5))
    return pl.when(pl.col("semester") == 1).then(pl.date(first, 9, 1)).otherwise(pl.date(second, 1, 1))


def semester_end_expr() -> pl.Expr:
    """Last day of the row's semester: 31 December for semester 1, 31 August for semester 2."""
    first, second = (pl.col("school_year").str.slice(i, 4).cast(pl.Int32) for i in (0, 5))
    return pl.when(pl.col("semester") == 1).then(pl.date(first, 12, 31)).otherwise(pl.date(second, 8, 31))


def enrolment(pupils: pl.DataFrame) -> pl.DataFrame:
    """Per pupil × school year: the last leaving date (null if on some roster without one), stayed flag."""
    cutoff = year_end_cutoff_expr()
    return (
        pupils.with_columns(
            (pl.col("left_on").is_null() | (pl.col("left_on") >= cutoff)).alias("stayed_row"),
        )
        .group_by("pupil_id", "school_year")
        .agg(
            pl.col("stayed_row").any().alias("stayed"),
            pl.when(pl.col("left_on").is_null().any()).then(None).otherwise(pl.col("left_on").max()).alias("left_on"),
        )
    )


def staying_sample(
    candidates: pl.DataFrame,
    pupils: pl.DataFrame,
    first_support: pl.DataFrame,
    episodes: pl.DataFrame,
    activities: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Rows for the staying comparison, with outcome = 1.0 if still enrolled at the year's end.

    first_support: pupil_id, first_support_date (any consultation, with or without a subject, or a
    listed activity). activities: pupil_id, date and optionally subject of each listed activity
    participation (core.activity_participants): a pupil whose first support is an activity is a
    supported unit from that day (activity_units).
    """
    first_episode = (
        episodes.sort("pupil_id", "start_date", "subject")
        .group_by("pupil_id", maintain_order=True)
        .agg(
            pl.col("subject").first().alias("first_subject"),
            pl.col("project_code").first(),
            pl.col("start_date").first().alias("first_episode_date"),
        )
    )
    rows = (
        candidates.join(enrolment(pupils), on=["pupil_id", "school_year"], how="inner")
        .join(first_support, on="pupil_id", how="left")
        .join(first_episode, on="pupil_id", how="left")
    )
    by_activity = activity_units(rows, activities)
    enrolled_after_start = pl.col("left_on").is_null() | (pl.col("left_on") > pl.col("window_start"))
    rows = rows.filter(enrolled_after_start)
    treated = rows.filter(
        pl.col("treated")
        & (pl.col("subject") == pl.col("first_subject"))
        & ~pl.col("pupil_id").is_in(by_activity["pupil_id"].implode())
    )
    treated = pl.concat([treated, by_activity.filter(enrolled_after_start)], how="diagonal_relaxed")
    # Not supported in the start semester at all: a pupil whose support starts later in the same
    # semester was chosen on the same marks, and is not an unsupported pupil for the weeks that count.
    comparison = rows.filter(
        ~pl.col("treated")
        & (pl.col("first_support_date").is_null() | (pl.col("first_support_date") > semester_end_expr()))
    )
    return (
        pl.concat([treated, comparison])
        .with_columns(
            pl.concat_str(["pupil_id", "subject", "period"], separator="|").alias("key"),
            pl.col("stayed").cast(pl.Float64).alias("outcome"),
            pl.lit(None, dtype=pl.Float64).alias("change"),
        )
        .sort("key")
    )


def activity_units(rows: pl.DataFrame, activities: pl.DataFrame | None) -> pl.DataFrame:
    """Supported rows of the pupils whose first support is an activity they are listed in (issue 17:
    an activity participant counts as supported for staying), with that day as time zero.

    Before any consultation episode (an activity after the first consultation changes nothing: the
    pupil's unit stays the first consultation episode). One row per pupil, in the semester of the first
    activity: the row of the activity's subject when the pupil has one in that semester, else the
    pupil's first subject there in alphabetical order; it takes its stratum's comparisons, matched the
    same way. Pupils with no candidate row in that semester (no baseline marks, or no consultation
    started in their strata, so no comparison window) are left out.
    """
    if activities is None or activities.is_empty():
        return rows.clear()
    subject = activities["subject"] if "subject" in activities.columns else pl.lit(None, dtype=pl.String)
    first = (
        activities.with_columns(subject.cast(pl.String).alias("activity_subject"))
        .sort("pupil_id", "date", "activity_subject", nulls_last=True)
        .group_by("pupil_id", maintain_order=True)
        .agg(pl.col("date").first().alias("first_activity_date"), pl.col("activity_subject").first())
        .with_columns(pl.col("first_activity_date").cast(rows.schema["window_start"]))
    )
    return (
        rows.join(first, on="pupil_id", how="inner")
        .filter(
            (pl.col("first_activity_date") <= pl.col("first_support_date"))
            & (pl.col("first_episode_date").is_null() | (pl.col("first_activity_date") < pl.col("first_episode_date")))
            & pl.col("first_activity_date").is_between(semester_start_expr(), semester_end_expr())
        )
        .sort("pupil_id", pl.col("subject") != pl.col("activity_subject").fill_null(""), "subject")
        .unique("pupil_id", keep="first", maintain_order=True)
        .with_columns(
            pl.lit(True).alias("treated"),
            pl.col("first_activity_date").alias("start_date"),
            pl.col("first_activity_date").alias("window_start"),
        )
        .drop("first_activity_date", "activity_subject")
    )


def follow_up(sample: pl.DataFrame) -> pl.DataFrame:
    """Each row's follow-up in days from its window start: `horizon` (to 1 June), `exit` and `event`.

    Supported rows are followed to the year's end (leaving = event). A comparison supported later (any
    consultation) before the year's end is censored on that day unless it left first (`event` false,
    `exit` = the day support began): from then on it is no longer an unsupported pupil.
    """
    cutoff = year_end_cutoff_expr()
    left = pl.when(~pl.col("stayed")).then(pl.col("left_on")).otherwise(None)
    censor = pl.when(~pl.col("treated") & (pl.col("first_support_date") < cutoff)).then(pl.col("first_support_date"))
    days = lambda expr: (expr - pl.col("window_start")).dt.total_days()  # noqa: E731
    event = left.is_not_null() & (censor.is_null() | (left <= censor))
    return sample.with_columns(
        days(cutoff).alias("horizon"),
        event.alias("event"),
        pl.when(event)
        .then(days(left))
        .when(censor.is_not_null())
        .then(days(censor))
        .otherwise(days(cutoff))
        .alias("exit"),
    )


def kaplan_meier_at(exit: np.ndarray, event: np.ndarray, weight: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Weighted Kaplan–Meier survival S(t) = Π_{τ<t} (1 − d_τ / n_τ) at each time in `at`.

    d_τ: weight of events on day τ; n_τ: weight still followed on day τ (exit ≥ τ).
    """
    times = np.unique(exit[event])
    if not len(times):
        return np.ones(len(at))
    order = np.argsort(exit, kind="stable")
    sorted_exit, sorted_weight = exit[order], weight[order]
    total = sorted_weight.sum()
    before = np.concatenate([[0.0], np.cumsum(sorted_weight)])[np.searchsorted(sorted_exit, times, side="left")]
    at_risk = total - before
    deaths = np.bincount(np.searchsorted(times, exit[event]), weights=weight[event], minlength=len(times))
    factors = np.where(at_risk > 0, 1 - deaths / np.where(at_risk > 0, at_risk, 1), 1.0)
    survival = np.concatenate([[1.0], np.cumprod(factors)])
    return survival[np.searchsorted(times, at, side="left")]


@dataclass(frozen=True)
class StayingShares:
    """The two shares of a matched frame, and how far the comparison weights could be balanced.

    A balance cell is a start period × grade band with supported and comparison rows; in an unbalanced
    one (calibrated_weights found none: usually the supported pupils' mean baseline lies outside the
    comparisons' range) the comparisons keep their matching weights, so the comparison there rests on
    matching alone. `unbalanced_pupils`: the supported pupils in those cells.
    """

    supported: float
    comparison: float
    balance_cells: int
    unbalanced_cells: int
    unbalanced_pupils: int

    @property
    def difference(self) -> float:
        return self.supported - self.comparison


def staying_shares(frame: pl.DataFrame) -> StayingShares | None:
    """The share of supported still enrolled and the comparison survival to the same horizons, of a
    matched frame.

    The comparison figure is a weighted Kaplan–Meier survival per start period (school year × semester,
    part of every stratum), read at each comparison's own horizon and averaged with the matching
    weights, so that comparisons censored when they start support count only while unsupported. The
    matching weights are first calibrated so that the comparisons' mean baselines equal the supported
    pupils' of the period and grade band (balanced).
    """
    t = frame.filter(pl.col("treated"))
    c = frame.filter(~pl.col("treated"))
    if t.is_empty() or c.is_empty():
        return None
    weighted = balanced(t, c)
    share_c, total_w = 0.0, 0.0
    for part in weighted.partition_by("period"):
        exit_, event = part["exit"].to_numpy().astype(float), part["event"].to_numpy().astype(bool)
        weight, horizon = part["weight"].to_numpy().astype(float), part["horizon"].to_numpy().astype(float)
        survival = kaplan_meier_at(exit_, event, weight, horizon)
        share_c += float(np.sum(weight * survival))
        total_w += float(weight.sum())
    cells = weighted.group_by(BALANCE_CELL).agg(pl.col("calibrated").first()).drop_nulls("calibrated")
    unbalanced = cells.filter(~pl.col("calibrated")).select(BALANCE_CELL)
    return StayingShares(
        supported=float(t["outcome"].mean()),
        comparison=share_c / total_w,
        balance_cells=cells.height,
        unbalanced_cells=unbalanced.height,
        unbalanced_pupils=t.join(unbalanced, on=list(BALANCE_CELL))["pupil_id"].n_unique(),
    )


def balanced(treated: pl.DataFrame, comparison: pl.DataFrame) -> pl.DataFrame:
    """The comparison rows with their matching weights calibrated, per start period × grade band, to the
    supported rows' mean baselines there (calibrated_weights; unchanged where no calibration exists).
    `calibrated`: true where they were, false where they could not be (the matching weights kept),
    null in a cell without supported rows (nothing to balance to).

    Per grade band because the band sets the base risk of leaving (only older pupils leave): the
    calibration moves weight within a band, never between bands, so each band's comparisons keep the
    total the matching gave them."""
    parts = []
    for part in comparison.partition_by(*BALANCE_CELL, maintain_order=True):
        supported = treated.filter(
            (pl.col("period") == part["period"][0]) & (pl.col("grade_band") == part["grade_band"][0])
        )
        if supported.is_empty():
            parts.append(part.with_columns(pl.lit(None, dtype=pl.Boolean).alias("calibrated")))
            continue
        weight = part["weight"].to_numpy().astype(float)
        calibrated = calibrated_weights(
            part.select(BALANCE_COLUMNS).to_numpy(), weight, supported.select(BALANCE_COLUMNS).mean().to_numpy()[0]
        )
        parts.append(
            part.with_columns(pl.lit(False).alias("calibrated"))
            if calibrated is None
            else part.with_columns(pl.Series("weight", calibrated), pl.lit(True).alias("calibrated"))
        )
    return pl.concat(parts)


def calibrated_weights(x: np.ndarray, weight: np.ndarray, target: np.ndarray) -> np.ndarray | None:
    """Weights closest to `weight` (in relative entropy) whose weighted means of the columns of `x` equal
    `target`, with the same total (entropy balancing, Hainmueller 2012); None if none exist (the target
    outside the comparisons' range) or the solver fails.

    Why: nearest-neighbour matching with a caliper on the subject mean alone left the comparisons'
    overall mean about 0.13 points above the supported pupils' on the sample world (seed 42), and with
    it their latent risk of leaving lower: the staying difference was pulled towards zero by about
    0.3 p.p. (docs/method.md, "Staying in school: validated?"). Marks are no outcome here, so balancing
    their means exactly costs nothing the marks estimate relies on.
    """
    if len(weight) < 2 or weight.sum() <= 0 or np.any(target < x.min(axis=0)) or np.any(target > x.max(axis=0)):
        return None
    scale = x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    z = (x - target) / scale
    base = weight / weight.sum()

    def dual(lam: np.ndarray) -> tuple[float, np.ndarray]:
        tilt = z @ lam
        shift = tilt.max()
        w = base * np.exp(tilt - shift)
        total = w.sum()
        return float(np.log(total) + shift), (w[:, None] * z).sum(axis=0) / total

    with np.errstate(over="ignore", invalid="ignore"):  # a target at the edge of the range diverges: None below
        fit = optimize.minimize(dual, np.zeros(z.shape[1]), jac=True, method="BFGS", options={"gtol": 1e-10})
        tilt = z @ fit.x
        w = base * np.exp(tilt - tilt.max())
    w = w / w.sum()
    if not np.all(np.isfinite(w)) or np.max(np.abs(w @ z)) > 1e-5:
        return None
    return w * weight.sum()


def staying_estimates(
    sample: pl.DataFrame,
    *,
    caliper_sd: float,
    n_matches: int,
    min_supported: int,
    replicates: int = 0,
    seed: int = 0,
    interval_method: str = SCHOOL_JACKKNIFE,
) -> pl.DataFrame:
    """Share still enrolled at the year's end (supported; comparison by Kaplan–Meier), their difference
    and its interval, by school year + ALL. Interval: the headline's replicate method (the matching re-run
    on school replicas, `replicates` > 0), else CR1 of the difference on the matched rows."""
    if sample.is_empty():
        return pl.DataFrame()
    sample = follow_up(sample)
    pairs = match_within_strata(sample, caliper_sd=caliper_sd, n_matches=n_matches)
    replicate = interval_method in REPLICATE_METHODS and replicates > 0
    scheme = "jackknife" if interval_method == SCHOOL_JACKKNIFE else "bootstrap"
    draws = staying_draws(sample, caliper_sd, n_matches, min_supported, replicates, seed, scheme) if replicate else {}
    count = replicate_count(sample, scheme=scheme, replicates=replicates) if replicate else 0
    rows = []
    for label, sizes, frame in cell_frames(sample, pairs, STAYING_KEYS):
        row: dict = {**label, **cell_counts(frame)}
        row["n_pupils_in_sample"] = sizes["n_supported_in_sample"]
        shares = staying_shares(frame) if row["n_pupils"] >= min_supported else None
        if row["n_pupils"] < min_supported:
            row |= {"suppressed": True, "note": "fewer_supported_than_minimum"}
        elif shares is None:
            row |= {"suppressed": False, "note": "no_comparison_matched"}
        else:
            difference = shares.difference
            _, cr1, n_clusters = ancova(CellData.from_frame(frame))
            key = tuple(label[k] for k in STAYING_KEYS)
            interval = interval_for(
                difference,
                cr1,
                n_clusters,
                draws.get(key) if replicate else None,
                count,
                method=interval_method if replicate else CLUSTER_ROBUST,
            )
            t, c = frame.filter(pl.col("treated")), frame.filter(~pl.col("treated"))
            base_d = baseline_difference(t, c, "baseline_subject")
            row |= {
                "share_stayed_supported": shares.supported,
                "share_stayed_comparison": shares.comparison,
                "difference": difference,
                "se": interval.se,
                "ci_low": interval.ci_low,
                "ci_high": interval.ci_high,
                "p_value": interval.p_value,
                "interval_method": interval.method,
                "baseline_std_diff": base_d,
                "wwc_equivalence": wwc_equivalence(base_d),
                "n_balance_cells": shares.balance_cells,
                "n_unbalanced_cells": shares.unbalanced_cells,
                "n_unbalanced_pupils": shares.unbalanced_pupils,
                "suppressed": False,
                "note": interval.note,
            }
        rows.append(row)
    if not rows:
        return pl.DataFrame()
    return pl.DataFrame(rows, infer_schema_length=None).sort(pl.col("school_year") == "ALL", "school_year")


def cell_counts(frame: pl.DataFrame) -> dict[str, int]:
    t = frame.filter(pl.col("treated"))
    return {
        "n_pupils": t["pupil_id"].n_unique(),
        "n_comparison": frame.filter(~pl.col("treated"))["pupil_id"].n_unique(),
        "n_clusters": frame["school_id"].n_unique(),
    }


def staying_draws(
    sample: pl.DataFrame,
    caliper_sd: float,
    n_matches: int,
    min_supported: int,
    replicates: int,
    seed: int,
    scheme: str,
) -> dict[tuple[str, ...], np.ndarray]:
    """The difference per cell in each school replica (left-out schools or resampled ones), re-matched."""
    draws: dict[tuple[str, ...], list[float]] = {}
    for replica in replicas(sample, scheme=scheme, replicates=replicates, seed=seed):
        pairs = match_within_strata(replica, caliper_sd=caliper_sd, n_matches=n_matches)
        for label, _, frame in cell_frames(replica, pairs, STAYING_KEYS):
            if frame.filter(pl.col("treated"))["pupil_id"].n_unique() < min_supported:
                continue
            shares = staying_shares(frame)
            if shares is not None:
                draws.setdefault(tuple(label[k] for k in STAYING_KEYS), []).append(shares.difference)
    return {key: np.array(values) for key, values in draws.items()}


def first_support_dates(consultations: pl.DataFrame, activities: pl.DataFrame | None = None) -> pl.DataFrame:
    """The first support of any kind per pupil: a consultation, or an activity the pupil is listed in
    (issue 17: an activity participant is supported, so never a comparison after it)."""
    dates = consultations.select("pupil_id", "date")
    if activities is not None:
        dates = pl.concat([dates, activities.select("pupil_id", pl.col("date").cast(dates.schema["date"]))])
    return dates.group_by("pupil_id").agg(pl.col("date").min().alias("first_support_date"))
