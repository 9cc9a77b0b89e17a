"""Absences as a second outcome: unexcused lessons per month in the outcome window, supported pupils
against matched comparisons (issue 16, item 6).

The unit and comparison are those of the staying comparison (staying.py): a supported pupil's first
subject episode against pupil-subjects of the same stratum with no consultation or listed activity
in the start semester at all (nor before it), matched on the baseline mark with the same caliper and ANCOVA. The outcome
is the mean of core.attendance_monthly's `unexcused` over the months of the start semester that
begin after the window start (the month support began is left out: part of it lies before support),
for the months the pupil's school sent attendance. Rows without such a month are left out.
`change` is the outcome minus the pupil's unexcused lessons per month in the semester before.
"""

from __future__ import annotations

import polars as pl

from pipelines.evaluate.cells import estimate_groups
from pipelines.evaluate.matching import match_within_strata
from pipelines.evaluate.staying import enrolment, semester_end_expr

ABSENCE_KEYS = ("school_year",)
MONTHLY_COLUMNS = ("pupil_id", "month", "school_year", "semester", "unexcused")


def previous_semester(school_year: pl.Expr, semester: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The semester before (`2024/2025` 2 -> `2024/2025` 1; `2025/2026` 1 -> `2024/2025` 2)."""
    start = school_year.str.slice(0, 4).cast(pl.Int32)
    year = pl.when(semester == 2).then(school_year).otherwise(pl.format("{}/{}", start - 1, start))
    return year, pl.when(semester == 2).then(1).otherwise(2)


def absence_sample(
    candidates: pl.DataFrame,
    monthly: pl.DataFrame,
    pupils: pl.DataFrame,
    first_support: pl.DataFrame,
    episodes: pl.DataFrame,
) -> pl.DataFrame:
    """Analysis rows with outcome = unexcused lessons per month in the window (see the module doc)."""
    if candidates.is_empty() or monthly.is_empty():
        return pl.DataFrame()
    first_episode = (
        episodes.sort("pupil_id", "start_date", "subject")
        .group_by("pupil_id", maintain_order=True)
        .agg(pl.col("subject").first().alias("first_subject"))
    )
    rows = (
        candidates.join(enrolment(pupils), on=["pupil_id", "school_year"], how="inner")
        .filter(pl.col("left_on").is_null() | (pl.col("left_on") >= pl.col("window_start")))
        .join(first_support, on="pupil_id", how="left")
        .join(first_episode, on="pupil_id", how="left")
    )
    treated = rows.filter(pl.col("treated") & (pl.col("subject") == pl.col("first_subject")))
    # Not supported in the start semester at all (as in staying.py): the outcome months lie in that
    # semester, and a comparison supported later in it would carry its own support into them.
    comparison = rows.filter(
        ~pl.col("treated")
        & (pl.col("first_support_date").is_null() | (pl.col("first_support_date") > semester_end_expr()))
    )
    months = monthly.select(MONTHLY_COLUMNS).cast({"semester": pl.Int32})
    window = (
        pl.concat([treated, comparison])
        .select("pupil_id", "school_year", "semester", "window_start")
        .unique()
        .join(months, on=["pupil_id", "school_year", "semester"], how="inner")
        .filter(pl.col("month") > pl.col("window_start").dt.truncate("1mo"))
        .group_by("pupil_id", "school_year", "semester", "window_start")
        .agg(pl.col("unexcused").mean().alias("outcome"), pl.len().alias("n_outcome_months"))
    )
    before_year, before_semester = previous_semester(pl.col("school_year"), pl.col("semester"))
    before = months.group_by(
        "pupil_id", before_year.alias("_year"), before_semester.cast(pl.Int32).alias("_semester")
    ).agg(pl.col("unexcused").mean().alias("baseline_unexcused"))
    before = before.rename({"_year": "school_year", "_semester": "semester"})
    return (
        pl.concat([treated, comparison])
        .join(window, on=["pupil_id", "school_year", "semester", "window_start"], how="inner")
        .join(before, on=["pupil_id", "school_year", "semester"], how="left")
        .with_columns(
            pl.concat_str(["pupil_id", "subject", "period"], separator="|").alias("key"),
            (pl.col("outcome") - pl.col("baseline_unexcused")).alias("change"),
        )
        .sort("key")
    )


def absence_estimates(sample: pl.DataFrame, *, caliper_sd: float, n_matches: int, min_supported: int) -> pl.DataFrame:
    """Unexcused lessons per month (supported, weighted comparison) and the adjusted difference, by school
    year + ALL. Intervals: school-clustered CR1 (too narrow with few schools, docs/method.md)."""
    if sample.is_empty():
        return pl.DataFrame()
    pairs = match_within_strata(sample, caliper_sd=caliper_sd, n_matches=n_matches)
    cells = estimate_groups(sample, pairs, ABSENCE_KEYS, min_supported=min_supported)
    if cells.is_empty():
        return cells
    return cells.select(
        *ABSENCE_KEYS,
        "n_pupils",
        "n_comparison",
        pl.col("mean_treated").alias("unexcused_per_month_supported"),
        pl.col("mean_comparison").alias("unexcused_per_month_comparison"),
        pl.col("effect").alias("difference"),
        "naive_change",
        "se",
        "ci_low",
        "ci_high",
        "p_value",
        "n_clusters",
        "baseline_std_diff",
        "suppressed",
        "note",
    ).sort(pl.col("school_year") == "ALL", "school_year")
