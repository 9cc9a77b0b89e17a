"""Dose–response: the headline estimator within bands of support hours, by mode, by staff role and by
form of support (consultations only, or consultations and activities in the same semester).

The bands split supported pupil-subjects by their dose in the start semester; each band keeps its
own matched comparisons. These are descriptive contrasts, not causal dose effects: pupils who get
more hours may differ in ways the baseline does not capture.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pipelines.evaluate.cells import estimate_groups
from pipelines.evaluate.staying import semester_end_expr, semester_start_expr

DIMENSIONS = ("hours_band", "main_mode", "main_role")
SUPPORT_FORM = "support_form"
# levels of `support_form`, in level order; a pupil supported by activities alone has no subject
# episode with marks to match on, so there is no "activities only" level on the marks outcome
SUPPORT_FORMS = ("consultations_only", "consultations_and_activities")
UNKNOWN = "unknown"


def band_labels(bands: Sequence[float]) -> list[str]:
    """(0, 5, 10, 20) -> ['0-5', '5-10', '10-20', '20+'] (lower bound inclusive)."""
    edges = [float(b) for b in bands]
    fmt = [f"{b:g}" for b in edges]
    return [f"{fmt[i]}-{fmt[i + 1]}" for i in range(len(edges) - 1)] + [f"{fmt[-1]}+"]


def hours_band_expr(bands: Sequence[float], hours: str = "hours") -> pl.Expr:
    """The band label of an hour count; below the first bound counts as the first band."""
    labels = band_labels(bands)
    expr = pl.lit(labels[0])
    for bound, label in zip(bands[1:], labels[1:], strict=True):
        expr = pl.when(pl.col(hours) >= float(bound)).then(pl.lit(label)).otherwise(expr)
    return expr.alias("hours_band")


def with_support_form(sample: pl.DataFrame, activities: pl.DataFrame) -> pl.DataFrame:
    """`support_form` on each row: consultations_and_activities when the pupil is listed in an activity
    (core.activity_participants: pupil_id, date) dated in the row's start semester, else consultations_only.
    Only the supported rows' value is used (comparisons take their supported row's level)."""
    rows = sample.select("key", "pupil_id", "school_year", "semester").unique()
    listed = (
        rows.join(activities.select("pupil_id", pl.col("date").alias("activity_date")), on="pupil_id", how="inner")
        .filter(pl.col("activity_date").is_between(semester_start_expr(), semester_end_expr()))
        .select("key")
        .unique()
    )
    form = pl.when(pl.col("key").is_in(listed["key"].implode())).then(pl.lit(SUPPORT_FORMS[1]))
    return sample.with_columns(form.otherwise(pl.lit(SUPPORT_FORMS[0])).alias(SUPPORT_FORM))


def dose_response(
    sample: pl.DataFrame,
    pairs: pl.DataFrame,
    *,
    bands: Sequence[float],
    min_supported: int,
    activities: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per dimension × level: dimension, level, level_order and the Estimate fields.

    sample must carry `hours`, `main_mode`, `main_role` on treated rows (from the episodes).
    activities (pupil_id, date of each listed participation, core.activity_participants): adds the
    `support_form` dimension when any pupil is listed in an activity (without, it would only repeat
    the total).
    """
    labels = band_labels(bands)
    dosed = sample.with_columns(
        hours_band_expr(bands),
        pl.col("main_mode").fill_null(UNKNOWN),
        pl.col("main_role").fill_null(UNKNOWN),
    )
    dimensions = DIMENSIONS
    if activities is not None and not activities.is_empty():
        dosed, dimensions = with_support_form(dosed, activities), (*DIMENSIONS, SUPPORT_FORM)
    parts = []
    for dimension in dimensions:
        cells = estimate_groups(dosed, pairs, [dimension], sets=[(dimension,)], min_supported=min_supported)
        if cells.is_empty():
            continue
        order = (
            pl.col(dimension).replace_strict(labels, list(range(len(labels))), default=len(labels))
            if dimension == "hours_band"
            else pl.col(dimension).replace_strict(SUPPORT_FORMS, [0, 1], default=2)
            if dimension == SUPPORT_FORM
            else pl.lit(0)
        )
        parts.append(
            cells.with_columns(
                pl.lit(dimension).alias("dimension"),
                pl.col(dimension).alias("level"),
                order.cast(pl.Int32).alias("level_order"),
            ).drop(dimension)
        )
    if not parts:
        return pl.DataFrame()
    out = pl.concat(parts, how="diagonal_relaxed")
    return out.select("dimension", "level", "level_order", pl.exclude("dimension", "level", "level_order")).sort(
        "dimension", "level_order", "level"
    )
