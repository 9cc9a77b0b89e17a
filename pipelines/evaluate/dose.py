"""Dose–response: the headline estimator within bands of support hours, by mode and by staff role.

The bands split supported pupil-subjects by their dose in the start semester; each band keeps its
own matched comparisons. These are descriptive contrasts, not causal dose effects: pupils who get
more hours may differ in ways the baseline does not capture.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pipelines.evaluate.cells import estimate_groups

DIMENSIONS = ("hours_band", "main_mode", "main_role")
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


def dose_response(
    sample: pl.DataFrame,
    pairs: pl.DataFrame,
    *,
    bands: Sequence[float],
    min_supported: int,
) -> pl.DataFrame:
    """One row per dimension × level: dimension, level, level_order and the Estimate fields.

    sample must carry `hours`, `main_mode`, `main_role` on treated rows (from the episodes).
    """
    labels = band_labels(bands)
    dosed = sample.with_columns(
        hours_band_expr(bands),
        pl.col("main_mode").fill_null(UNKNOWN),
        pl.col("main_role").fill_null(UNKNOWN),
    )
    parts = []
    for dimension in DIMENSIONS:
        cells = estimate_groups(dosed, pairs, [dimension], sets=[(dimension,)], min_supported=min_supported)
        if cells.is_empty():
            continue
        order = (
            pl.col(dimension).replace_strict(labels, list(range(len(labels))), default=len(labels))
            if dimension == "hours_band"
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
