"""Estimates by cell: every combination of the key columns, plus totals marked `ALL`.

A cell holds the supported pupil-subjects whose keys match and the comparisons matched to them
(with the summed matching weights of those supported rows only), so each cell is a complete
matched comparison of its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import combinations

import numpy as np
import polars as pl

from pipelines.evaluate.diagnostics import diagnose_cell
from pipelines.evaluate.estimate import SCHOOL_BOOTSTRAP, CellArrays, estimate_cell, with_codes

ALL = "ALL"


def grouping_sets(columns: Sequence[str]) -> list[tuple[str, ...]]:
    """All subsets of the key columns, from the full breakdown down to the grand total."""
    return [subset for size in range(len(columns), -1, -1) for subset in combinations(columns, size)]


def set_frames(
    sample: pl.DataFrame,
    pairs: pl.DataFrame,
    columns: Sequence[str],
    sets: list[tuple[str, ...]] | None = None,
) -> Iterator[tuple[list[str], pl.DataFrame, pl.DataFrame]]:
    """Per grouping set: its keys, the supported counts per cell, and the matched rows of every cell
    of the set in one frame (supported rows weight 1, comparisons with the weights of that cell's
    supported rows): cut by the keys, these are the cells' matched frames."""
    columns = list(columns)
    sets = grouping_sets(columns) if sets is None else sets
    treated = sample.filter(pl.col("treated"))
    matched_keys = pairs.select(pl.col("treated_key").unique())
    matched_t = treated.join(matched_keys, left_on="key", right_on="treated_key").with_columns(
        pl.lit(1.0).alias("weight")
    )
    pair_cells = pairs.join(treated.select("key", *columns), left_on="treated_key", right_on="key")
    comparison = sample.filter(~pl.col("treated")).drop([c for c in columns if c in sample.columns])
    counts = [
        pl.col("pupil_id").n_unique().alias("n_supported_in_sample"),
        pl.len().alias("n_supported_rows_in_sample"),
    ]
    if "change" in sample.columns:  # the naive change is over all supported with baseline and outcome
        counts.append(pl.col("change").mean().alias("naive_change_all"))
    for subset in sets:
        keys = list(subset)
        cells = treated.group_by(keys).agg(counts) if keys else treated.select(counts)
        weights = pair_cells.group_by([*keys, "comparison_key"]).agg(pl.col("weight").sum())
        comp = comparison.join(weights, left_on="key", right_on="comparison_key")
        yield keys, cells, pl.concat([matched_t.select(comp.columns), comp], how="vertical_relaxed")


def cell_labels(
    cells: pl.DataFrame, keys: list[str], columns: list[str]
) -> Iterator[tuple[tuple, dict[str, str], dict[str, int]]]:
    """Each cell's key values, its label (`ALL` where totalled) and its counts of supported in the sample."""
    for cell in cells.iter_rows(named=True):
        values = tuple(cell[k] for k in keys)
        label = {c: (cell[c] if c in keys else ALL) for c in columns}
        sizes = {k: cell.get(k) for k in ("n_supported_in_sample", "n_supported_rows_in_sample")}
        sizes["naive_change_all"] = cell.get("naive_change_all")
        yield values, label, sizes


def cell_frames(
    sample: pl.DataFrame,
    pairs: pl.DataFrame,
    columns: Sequence[str],
    sets: list[tuple[str, ...]] | None = None,
) -> Iterator[tuple[dict[str, str], dict[str, int], pl.DataFrame]]:
    """Each cell's label (`ALL` where totalled), its counts of supported in the sample, and its matched frame.

    Shared by the estimates and the bootstrap, so both cut the matched sample the same way.
    """
    columns = list(columns)
    for keys, cells, frame in set_frames(sample, pairs, columns, sets):
        parts = (
            {tuple(): frame}
            if not keys
            else {tuple(k): part for k, part in frame.partition_by(keys, as_dict=True, maintain_order=True).items()}
        )
        for values, label, sizes in cell_labels(cells, keys, columns):
            yield label, sizes, parts.get(values, frame.clear())


def cell_arrays(
    sample: pl.DataFrame,
    pairs: pl.DataFrame,
    columns: Sequence[str],
    sets: list[tuple[str, ...]] | None = None,
    value_columns: Sequence[str] = (),
) -> Iterator[tuple[dict[str, str], dict[str, int], CellArrays, np.ndarray]]:
    """cell_frames for replicate loops: each cell's label, counts, its set's CellArrays (estimate.py) and
    its rows there."""
    columns = list(columns)
    for keys, cells, frame in set_frames(with_codes(sample), pairs, columns, sets):
        arrays = CellArrays.from_frame(frame, keys, value_columns)
        for values, label, sizes in cell_labels(cells, keys, columns):
            yield label, sizes, arrays, arrays.cell_rows(values)


def estimate_groups(
    sample: pl.DataFrame,
    pairs: pl.DataFrame,
    columns: Sequence[str],
    *,
    sets: list[tuple[str, ...]] | None = None,
    min_supported: int,
    boot_draws: Mapping[tuple[str, ...], np.ndarray] | None = None,
    boot_replicates: int = 0,
    diagnose: bool = False,
    diagnostic_draws: Mapping[str, Mapping[tuple[str, ...], np.ndarray]] | None = None,
    interval_method: str = SCHOOL_BOOTSTRAP,
) -> pl.DataFrame:
    """One row per cell with the key columns (`ALL` where totalled) and the Estimate fields.

    sample: analysis rows (key, treated, outcome, baselines, change, stratum, school_id, pupil_id)
    where treated rows carry the key columns. pairs: from match_within_strata. boot_draws: the
    cell's effect in each replicate (bootstrap.bootstrap_statistics(...)["effect"]), keyed by label values.
    diagnose: add the design diagnostics (diagnostics.diagnose_cell), with their bootstrap draws per
    statistic in `diagnostic_draws` (bootstrap.bootstrap_statistics). interval_method: the interval
    for the effect and the placebos (estimate.interval_for); boot_replicates is then the number of
    replicates the draws came from (the schools, for the jackknife).
    """
    columns = list(columns)
    rows: list[dict] = []
    for label, sizes, part in cell_frames(sample, pairs, columns, sets):
        values = tuple(label[c] for c in columns)
        draws = None if boot_draws is None else boot_draws.get(values, np.empty(0))
        est = estimate_cell(
            part,
            min_supported=min_supported,
            boot_draws=draws,
            boot_replicates=boot_replicates,
            naive_change=sizes.get("naive_change_all"),
            interval_method=interval_method,
        )
        row = {**label, **est.as_dict(), **{k: v for k, v in sizes.items() if k != "naive_change_all"}}
        if diagnose:
            by_stat = (
                None
                if diagnostic_draws is None
                else {name: d.get(values, np.empty(0)) for name, d in diagnostic_draws.items()}
            )
            row |= diagnose_cell(
                part,
                est,
                min_supported=min_supported,
                draws=by_stat,
                replicates=boot_replicates,
                interval_method=interval_method,
            )
        rows.append(row)
    return pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
