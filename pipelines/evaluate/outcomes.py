"""Baseline and outcome windows, and who may serve as a comparison.

Period = school year × semester, numbered so that the previous semester is `period - 1`.
Baseline (semester s−1): the pupil's mean 10-point mark in the subject, and the pupil's overall mean
across subjects. Outcome (semester s): the mean of the subject's marks dated on/after the window
start — the first consultation for a supported pupil; the median first consultation of the
supported pupils in the same stratum for a comparison, so both windows cover the same weeks.
For the design diagnostics (diagnostics.py) each row also carries what support cannot have changed:
the start term's marks dated before the window start (placebo A) and the subject mean of semester
s−2 (placebo B), plus the next semester's mean for the semester-aligned event study.
"""

from __future__ import annotations

import polars as pl

from pipelines.contract import COURSE_YEARS, FIRST_SCORED_GRADE, OTHER_SUBJECT, UNKNOWN_SUBJECT_PREFIX

ROW_KEYS = ("pupil_id", "subject", "school_year", "semester")
STRATUM_COLUMNS = ("subject", "school_year", "semester", "municipality", "grade_band")


def period_expr(school_year: str = "school_year", semester: str = "semester") -> pl.Expr:
    """'2024/2025' S1 -> 4049, S2 -> 4050, '2025/2026' S1 -> 4051: consecutive semesters differ by one."""
    return (pl.col(school_year).str.slice(0, 4).cast(pl.Int32) * 2 + pl.col(semester).cast(pl.Int32) - 1).alias(
        "period"
    )


def grade_band_expr(level: str = "grade_level", course: str = "course_year") -> pl.Expr:
    """Grades 4–6, 7–9, 10–12; vocational course years 1–2 and 3–4 as bands of their own (`K1-2`,
    `K3-4`), so courses never share a stratum with grades; null below grade 4 (no 10-point marks),
    when unknown, or for a course outside COURSE_YEARS. A pupil with a grade on some roster that
    year is banded by the grade."""
    col, year = pl.col(level), pl.col(course)
    return (
        pl.when(col.is_between(FIRST_SCORED_GRADE, 6))
        .then(pl.lit("4-6"))
        .when(col.is_between(7, 9))
        .then(pl.lit("7-9"))
        .when(col.is_between(10, 12))
        .then(pl.lit("10-12"))
        .when(col.is_null() & year.is_between(COURSE_YEARS[0], 2))
        .then(pl.lit("K1-2"))
        .when(col.is_null() & year.is_between(3, COURSE_YEARS[1]))
        .then(pl.lit("K3-4"))
        .otherwise(None)
        .alias("grade_band")
    )


def pupil_levels(pupils: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    """Grade level and course year per pupil × school year (the highest, should a pupil be on two
    rosters); course_year null when the roster frame has none (rosters of general schools only)."""
    if "course_year" not in pupils.collect_schema().names():
        pupils = pupils.with_columns(pl.lit(None, dtype=pl.Int32).alias("course_year"))
    return pupils.group_by("pupil_id", "school_year").agg(
        pl.col("grade_level").max().cast(pl.Int32), pl.col("course_year").max().cast(pl.Int32)
    )


def cell_subject(column: str = "subject") -> pl.Expr:
    """The subject a cell is labelled with: a subject no dictionary knows (`~text`) is `other`, so
    its support is estimated and published without the school's text (contract.published_subject)."""
    col = pl.col(column)
    return pl.when(col.str.starts_with(UNKNOWN_SUBJECT_PREFIX)).then(pl.lit(OTHER_SUBJECT)).otherwise(col).alias(column)


def baseline_panel(marks: pl.DataFrame) -> pl.DataFrame:
    """Per pupil × subject × semester: subject mean, and the pupil's overall mean that semester.

    marks: pupil_id, subject, school_year, semester, school_id, municipality, n_marks, sum_marks
    (from sql/marks_by_semester.sql).
    """
    overall = marks.group_by("pupil_id", "school_year", "semester").agg(
        (pl.col("sum_marks").sum() / pl.col("n_marks").sum()).alias("overall_mean"),
        pl.col("n_marks").sum().alias("overall_n"),
    )
    return marks.with_columns(
        (pl.col("sum_marks") / pl.col("n_marks")).alias("subject_mean"),
        period_expr(),
        pl.col("semester").cast(pl.Int32),
    ).join(overall, on=["pupil_id", "school_year", "semester"], how="left")


def build_candidates(
    episodes: pl.DataFrame,
    panel: pl.DataFrame,
    pupils: pl.DataFrame,
    *,
    min_baseline_grades: int,
) -> pl.DataFrame:
    """Treated and potential comparison pupil-subjects for each semester in which support started.

    A pupil-subject is a potential comparison in semester s when it has marks in s and its own
    support in that subject (if any) starts after s: later starters are comparisons before they
    start, and who starts later is known only from data up to s plus their own start date.
    Both need ≥ min_baseline_grades marks in the subject in s−1 and a known grade level 4–12 or
    vocational course year 1–4.
    Returns one row per pupil-subject-semester with `treated`, baselines, stratum and window_start.
    """
    if episodes.is_empty() or panel.is_empty():
        return empty_candidates()
    # Lazy, so polars plans the joins together: at national scale the eager intermediates of the
    # 4 M-row panel added ~2 GB to evaluate's peak memory.
    lazy_panel = panel.lazy()
    levels = pupil_levels(pupils.lazy())
    eps = episodes.lazy().with_columns(period_expr().alias("start_period"), pl.col("semester").cast(pl.Int32))
    start_periods = eps.select(pl.col("start_period").unique().alias("period"))

    current = lazy_panel.join(start_periods, on="period").select(
        *ROW_KEYS, "period", "school_id", "municipality", pl.col("n_marks").alias("n_marks_in_semester")
    )
    previous = lazy_panel.select(
        "pupil_id",
        "subject",
        (pl.col("period") + 1).alias("period"),
        pl.col("subject_mean").alias("baseline_subject"),
        pl.col("n_marks").alias("n_baseline_marks"),
        pl.col("overall_mean").alias("baseline_overall"),
    )
    # semester s−2 needs as many marks as a baseline to count; s+1 is description only
    prior = lazy_panel.filter(pl.col("n_marks") >= min_baseline_grades).select(
        "pupil_id", "subject", (pl.col("period") + 2).alias("period"), pl.col("subject_mean").alias("prior_subject")
    )
    following = lazy_panel.select(
        "pupil_id", "subject", (pl.col("period") - 1).alias("period"), pl.col("subject_mean").alias("next_subject")
    )
    rows = (
        current.join(
            eps.select("pupil_id", "subject", "start_period", "start_date"), on=["pupil_id", "subject"], how="left"
        )
        .with_columns((pl.col("start_period") == pl.col("period")).fill_null(False).alias("treated"))
        .filter(pl.col("treated") | pl.col("start_period").is_null() | (pl.col("start_period") > pl.col("period")))
        .join(previous, on=["pupil_id", "subject", "period"], how="inner")
        .filter(pl.col("n_baseline_marks") >= min_baseline_grades)
        .join(levels, on=["pupil_id", "school_year"], how="left")
        .join(prior, on=["pupil_id", "subject", "period"], how="left")
        .join(following, on=["pupil_id", "subject", "period"], how="left")
        .with_columns(grade_band_expr())
        .filter(pl.col("grade_band").is_not_null() & pl.col("municipality").is_not_null())
        .collect()
    )
    # The stratum's window start for comparisons: median first consultation of its supported pupils.
    medians = (
        rows.filter("treated")
        .group_by(list(STRATUM_COLUMNS))
        .agg(pl.col("start_date").cast(pl.Int32).median().round(0).cast(pl.Int32).cast(pl.Date).alias("median_start"))
    )
    return (
        rows.join(medians, on=list(STRATUM_COLUMNS), how="inner")
        .with_columns(
            pl.when("treated").then(pl.col("start_date")).otherwise(pl.col("median_start")).alias("window_start"),
            stratum_expr(),
        )
        .select(list(CANDIDATE_SCHEMA))
        .cast(CANDIDATE_SCHEMA)
        .sort(["stratum", "treated", "pupil_id"], descending=[False, True, False])
    )


CANDIDATE_SCHEMA: dict[str, pl.DataType] = {
    "pupil_id": pl.String(),
    "subject": pl.String(),
    "school_year": pl.String(),
    "semester": pl.Int32(),
    "period": pl.Int32(),
    "school_id": pl.String(),
    "municipality": pl.String(),
    "grade_level": pl.Int32(),
    "course_year": pl.Int32(),
    "grade_band": pl.String(),
    "stratum": pl.String(),
    "treated": pl.Boolean(),
    "start_date": pl.Date(),
    "window_start": pl.Date(),
    "baseline_subject": pl.Float64(),
    "n_baseline_marks": pl.Int64(),
    "baseline_overall": pl.Float64(),
    "prior_subject": pl.Float64(),
    "next_subject": pl.Float64(),
}


def empty_candidates() -> pl.DataFrame:
    return pl.DataFrame(schema=CANDIDATE_SCHEMA)


def stratum_expr() -> pl.Expr:
    return pl.concat_str([pl.col(c).cast(pl.String) for c in STRATUM_COLUMNS], separator="|").alias("stratum")


def attach_outcomes(candidates: pl.DataFrame, outcomes: pl.DataFrame, *, min_outcome_grades: int) -> pl.DataFrame:
    """Keep candidates with ≥ min_outcome_grades marks in their outcome window; adds outcome, key, change,
    and the two placebo outcomes: `pre_window` (start-term mean before the window, null without a mark
    there) and `pre_change` (s−1 mean − s−2 mean, null without s−2 history); `other_subjects` (placebo C)
    when the outcomes carry it."""
    columns = (*ROW_KEYS, "n_outcome_marks", "outcome", "n_pre_window_marks", "pre_window")
    # placebo C's negative-control outcome, when load_outcomes was given the supported subjects
    columns += tuple(c for c in ("n_other_subject_marks", "other_subjects") if c in outcomes.columns)
    return (
        candidates.join(
            outcomes.select(columns).cast({"semester": pl.Int32}),
            on=list(ROW_KEYS),
            how="inner",
        )
        .filter(pl.col("n_outcome_marks") >= min_outcome_grades)
        .with_columns(
            pl.concat_str(["pupil_id", "subject", "period"], separator="|").alias("key"),
            (pl.col("outcome") - pl.col("baseline_subject")).alias("change"),
            (pl.col("baseline_subject") - pl.col("prior_subject")).alias("pre_change"),
        )
    )
