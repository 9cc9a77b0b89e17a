"""Support episodes: one row per pupil × subject, starting at the first consultation in that subject.

Only the first episode per pupil × subject is evaluated: after it, every later mark in the subject
may carry its effect, so a later "new" episode has no clean baseline. Consultations without a
subject (psychologist, class teacher) are not subject episodes; they still count as support for
the staying-in-school comparison.
"""

from __future__ import annotations

import polars as pl

from pipelines.evaluate.outcomes import pupil_levels

EPISODE_KEYS = ("pupil_id", "subject")
UNKNOWN_PROJECT = "UNKNOWN"

EPISODE_SCHEMA: dict[str, pl.DataType] = {
    "pupil_id": pl.String(),
    "subject": pl.String(),
    "school_id": pl.String(),
    "municipality": pl.String(),
    "school_year": pl.String(),
    "semester": pl.Int32(),
    "start_date": pl.Date(),
    "grade_level": pl.Int32(),
    "course_year": pl.Int32(),
    "project_code": pl.String(),
    "has_plan": pl.Boolean(),
    "n_consultations": pl.Int64(),
    "hours": pl.Float64(),
    "share_remote": pl.Float64(),
    "main_mode": pl.String(),
    "main_role": pl.String(),
    "staff_roles": pl.String(),
    "share_group": pl.Float64(),
    "n_consultations_total": pl.Int64(),
    "hours_total": pl.Float64(),
    "last_date": pl.Date(),
}


def build_episodes(consultations: pl.DataFrame, plans: pl.DataFrame, pupils: pl.DataFrame) -> pl.DataFrame:
    """Episodes with their dosage in the start semester (the semester whose marks are the outcome).

    consultations: date, school_year, semester, pupil_id, school_id, municipality, staff_role, subject,
    minutes, mode, group_size, project_code. plans: pupil_id, plan_start, plan_end, project_code.
    pupils: pupil_id, school_year, grade_level.
    """
    subject_rows = consultations.filter(pl.col("subject").is_not_null() & pl.col("date").is_not_null())
    if subject_rows.is_empty():
        return pl.DataFrame(schema=EPISODE_SCHEMA)
    keys = list(EPISODE_KEYS)
    first = (
        subject_rows.sort([*keys, "date", "school_id"])
        .group_by(keys, maintain_order=True)
        .agg(
            pl.col("school_id").first(),
            pl.col("municipality").first(),
            pl.col("school_year").first(),
            pl.col("semester").first().cast(pl.Int32),
            pl.col("date").first().alias("start_date"),
        )
    )
    start_semester = subject_rows.join(
        first.select(*keys, "school_year", "semester"), on=[*keys, "school_year", "semester"]
    )
    return (
        first.join(dosage(start_semester), on=keys, how="left")
        .join(totals(subject_rows), on=keys, how="left")
        .join(plan_project(first, plans), on=keys, how="left")
        .join(pupil_levels(pupils), on=["pupil_id", "school_year"], how="left")
        .with_columns(
            pl.coalesce("project_code", "plan_project_code", pl.lit(UNKNOWN_PROJECT)).alias("project_code"),
            pl.col("has_plan").fill_null(False),
        )
        .select(list(EPISODE_SCHEMA))
        .cast(EPISODE_SCHEMA)
        .sort(keys)
    )


def dosage(rows: pl.DataFrame) -> pl.DataFrame:
    """Dose in the start semester: sessions, hours, share remote (of sessions with a known mode), roles."""
    keys = list(EPISODE_KEYS)
    role_minutes = (
        rows.filter(pl.col("staff_role").is_not_null())
        .group_by([*keys, "staff_role"])
        .agg(pl.col("minutes").sum().alias("role_minutes"))
        .sort([*keys, "role_minutes", "staff_role"], descending=[False, False, True, False])
        .group_by(keys, maintain_order=True)
        .agg(
            pl.col("staff_role").first().alias("main_role"),
            pl.col("staff_role").sort().str.join(",").alias("staff_roles"),
        )
    )
    remote = pl.col("mode") == "remote"
    per_episode = rows.group_by(keys).agg(
        pl.len().cast(pl.Int64).alias("n_consultations"),
        (pl.col("minutes").sum() / 60).alias("hours"),
        (remote.filter(pl.col("mode").is_not_null()).cast(pl.Float64).mean()).alias("share_remote"),
        ((pl.col("group_size").fill_null(1) > 1).cast(pl.Float64).mean()).alias("share_group"),
        pl.col("project_code").drop_nulls().mode().sort().first().alias("project_code"),
    )
    main_mode = (
        pl.when(pl.col("share_remote").is_null())
        .then(None)
        .when(pl.col("share_remote") >= 0.5)
        .then(pl.lit("remote"))
        .otherwise(pl.lit("in_person"))
    )
    return per_episode.with_columns(main_mode.alias("main_mode")).join(role_minutes, on=keys, how="left")


def totals(rows: pl.DataFrame) -> pl.DataFrame:
    """Dose over the whole episode, all semesters (for description; the estimate uses the start semester)."""
    return rows.group_by(list(EPISODE_KEYS)).agg(
        pl.len().cast(pl.Int64).alias("n_consultations_total"),
        (pl.col("minutes").sum() / 60).alias("hours_total"),
        pl.col("date").max().alias("last_date"),
    )


def plan_project(first: pl.DataFrame, plans: pl.DataFrame) -> pl.DataFrame:
    """The plan open on the start date gives the project when consultations do not name one."""
    keys = list(EPISODE_KEYS)
    covering = (
        first.select(*keys, "start_date")
        .join(plans.select("pupil_id", "plan_start", "plan_end", "project_code"), on="pupil_id")
        .filter(
            (pl.col("plan_start") <= pl.col("start_date"))
            & (pl.col("plan_end").is_null() | (pl.col("plan_end") >= pl.col("start_date")))
        )
        .sort([*keys, "plan_start"], descending=[False, False, True])
        .group_by(keys, maintain_order=True)
        .agg(pl.col("project_code").drop_nulls().first().alias("plan_project_code"))
    )
    return covering.with_columns(pl.lit(True).alias("has_plan"))
