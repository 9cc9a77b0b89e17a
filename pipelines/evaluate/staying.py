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

import polars as pl

from pipelines.evaluate.cells import estimate_groups
from pipelines.evaluate.matching import match_within_strata

STAYING_KEYS = ("school_year",)


def year_end_cutoff_expr(school_year: str = "school_year") -> pl.Expr:
    """1 June of the school year's second calendar year: '2024/2025' -> 2025-06-01."""
    return pl.date(pl.col(school_year).str.slice(5, 4).cast(pl.Int32), 6, 1)


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
    candidates: pl.DataFrame, pupils: pl.DataFrame, first_support: pl.DataFrame, episodes: pl.DataFrame
) -> pl.DataFrame:
    """Rows for the staying comparison, with outcome = 1.0 if still enrolled at the year's end.

    first_support: pupil_id, first_support_date (any consultation, with or without a subject).
    """
    first_episode = (
        episodes.sort("pupil_id", "start_date", "subject")
        .group_by("pupil_id", maintain_order=True)
        .agg(pl.col("subject").first().alias("first_subject"), pl.col("project_code").first())
    )
    rows = (
        candidates.join(enrolment(pupils), on=["pupil_id", "school_year"], how="inner")
        .filter(pl.col("left_on").is_null() | (pl.col("left_on") >= pl.col("window_start")))
        .join(first_support, on="pupil_id", how="left")
        .join(first_episode, on="pupil_id", how="left")
    )
    treated = rows.filter(pl.col("treated") & (pl.col("subject") == pl.col("first_subject")))
    comparison = rows.filter(
        ~pl.col("treated")
        & (pl.col("first_support_date").is_null() | (pl.col("first_support_date") > pl.col("window_start")))
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


def staying_estimates(sample: pl.DataFrame, *, caliper_sd: float, n_matches: int, min_supported: int) -> pl.DataFrame:
    """Shares still enrolled (supported, weighted comparison) and the adjusted difference, by school year + ALL."""
    if sample.is_empty():
        return pl.DataFrame()
    pairs = match_within_strata(sample, caliper_sd=caliper_sd, n_matches=n_matches)
    cells = estimate_groups(sample, pairs, STAYING_KEYS, min_supported=min_supported)
    if cells.is_empty():
        return cells
    return cells.select(
        *STAYING_KEYS,
        "n_pupils",
        "n_comparison",
        pl.col("mean_treated").alias("share_stayed_supported"),
        pl.col("mean_comparison").alias("share_stayed_comparison"),
        pl.col("effect").alias("difference"),
        "se",
        "ci_low",
        "ci_high",
        "p_value",
        "n_clusters",
        "baseline_std_diff",
        "wwc_equivalence",
        "suppressed",
        "note",
    ).sort(pl.col("school_year") == "ALL", "school_year")


def first_support_dates(consultations: pl.DataFrame, activities: pl.DataFrame | None = None) -> pl.DataFrame:
    """The first support of any kind per pupil: a consultation, or an activity the pupil is listed in
    (issue 17: an activity participant is supported, so never a comparison after it)."""
    dates = consultations.select("pupil_id", "date")
    if activities is not None:
        dates = pl.concat([dates, activities.select("pupil_id", pl.col("date").cast(dates.schema["date"]))])
    return dates.group_by("pupil_id").agg(pl.col("date").min().alias("first_support_date"))
