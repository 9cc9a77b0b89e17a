"""Cells: every key combination plus ALL totals; small cells keep their counts but lose the estimate."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipelines.evaluate.cells import ALL, estimate_groups, grouping_sets


def test_grouping_sets_run_from_full_breakdown_to_grand_total():
    sets = grouping_sets(["a", "b"])
    assert sets == [("a", "b"), ("a",), ("b",), ()]
    assert len(grouping_sets(["a", "b", "c", "d"])) == 16


def sample_and_pairs() -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(3)
    rows, pairs = [], []
    for subject, n in (("mathematics", 12), ("latvian", 5)):
        for i in range(n):
            base = float(rng.normal(5, 1))
            for treated in (True, False):
                key = f"{subject}-{i}-{'t' if treated else 'c'}"
                rows.append(
                    {
                        "key": key,
                        "pupil_id": key,
                        "school_id": f"s{i % 3}",
                        "stratum": subject,
                        "subject": subject,
                        "treated": treated,
                        "outcome": base + (0.5 if treated else 0.0) + float(rng.normal(0, 0.2)),
                        "baseline_subject": base,
                        "baseline_overall": base + float(rng.normal(0, 0.5)),
                        "change": 0.7,
                    }
                )
            pairs.append({"treated_key": f"{subject}-{i}-t", "comparison_key": f"{subject}-{i}-c", "weight": 1.0})
    return pl.DataFrame(rows), pl.DataFrame(pairs)


def test_small_cells_report_counts_only_and_the_total_is_labelled_all():
    sample, pairs = sample_and_pairs()
    cells = estimate_groups(sample, pairs, ["subject"], min_supported=10).sort("subject")

    assert cells["subject"].to_list() == [ALL, "latvian", "mathematics"]
    assert cells["n_pupils"].to_list() == [17, 5, 12]
    assert cells["n_comparison"].to_list() == [17, 5, 12]
    assert cells["suppressed"].to_list() == [False, True, False]
    latvian = cells.row(1, named=True)
    assert latvian["effect"] is None and latvian["naive_change"] is None
    maths = cells.row(2, named=True)
    assert abs(maths["effect"] - 0.5) < 0.2
    assert maths["naive_change"] == pytest.approx(0.7)


def mixed_sample() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two keys (one with a null value), several strata per cell, school ids whose text order is not
    their number order, comparisons reused by several supported rows, pupils with two rows, and
    placebo columns with gaps: everything the row cutting of cell_arrays must get right."""
    rng = np.random.default_rng(11)
    rows, pairs = [], []
    for s, stratum in enumerate(("b|S1", "a|S1", "a|S2")):
        comparisons = [f"{stratum}-c{j}" for j in range(6)]
        for j, key in enumerate(comparisons):
            rows.append({"key": key, "pupil_id": f"p{j}", "school_id": f"s{(j * 7) % 12}", "stratum": stratum,
                         "treated": False, "project_code": None, "subject": None})  # fmt: skip
        for i in range(9):
            key = f"{stratum}-t{i}"
            project, subject = (None, "P1", "P2")[i % 3], ("maths", "art")[i % 2]
            rows.append({"key": key, "pupil_id": f"p{i % 5}", "school_id": f"s{(i + s) % 12}", "stratum": stratum,
                         "treated": True, "project_code": project, "subject": subject})  # fmt: skip
            for j in rng.choice(6, size=1 + i % 3, replace=False):
                pairs.append({"treated_key": key, "comparison_key": comparisons[j], "weight": 1 / (1 + i % 3)})
    sample = pl.DataFrame(rows).with_columns(
        outcome=pl.Series(rng.normal(5, 1, len(rows))),
        baseline_subject=pl.Series(rng.normal(5, 1, len(rows))),
        baseline_overall=pl.Series(rng.normal(5, 1, len(rows))),
        change=pl.Series(rng.normal(0, 1, len(rows))),
        pre_window=pl.Series([None if k % 4 == 0 else float(k) for k in range(len(rows))], dtype=pl.Float64),
    )
    return sample, pl.DataFrame(pairs)


def test_cell_arrays_cut_the_same_cells_as_cell_frames():
    """The replicate loops read cells through CellArrays (one numpy conversion per grouping set):
    each cell must be exactly cell_frames' partition of the same set frame as CellData, row for row
    (the set frame's own row order varies between calls: a polars join), with the same counts."""
    from pipelines.evaluate.cells import cell_arrays, set_frames
    from pipelines.evaluate.estimate import CellArrays, CellData, column_values, with_codes

    sample, pairs = mixed_sample()
    columns, extra = ["project_code", "subject"], ["pre_window", "missing_column"]
    n_cells = 0
    # codes ranked per set frame, or once for the whole sample (as cell_arrays does)
    frames = [*set_frames(sample, pairs, columns), *set_frames(with_codes(sample), pairs, columns)]
    for keys, cells, frame in frames:
        parts = frame.partition_by(keys, as_dict=True, maintain_order=True) if keys else {(): frame}
        arrays = CellArrays.from_frame(frame, keys, extra)
        assert list(arrays.rows) == list(parts)  # the cells in order of first appearance
        for values in cells.select(keys).iter_rows() if keys else [()]:
            part, rows = parts.get(values, frame.clear()), arrays.cell_rows(values)
            expected, got = CellData.from_frame(part), arrays.cell(rows)
            for name in ("outcome", "treated", "covariates", "weight", "stratum", "school"):
                assert np.array_equal(getattr(expected, name), getattr(got, name)), name
                assert getattr(expected, name).dtype == getattr(got, name).dtype, name
            assert arrays.n_treated_pupils(rows) == part.filter(pl.col("treated"))["pupil_id"].n_unique()
            part_values = column_values(part, extra)
            for name in extra:
                assert np.array_equal(part_values[name], arrays.values[name][rows], equal_nan=True)
            n_cells += 1
    assert n_cells == 24
    labels = {tuple(label.values()): sizes for label, sizes, _, _ in cell_arrays(sample, pairs, columns)}
    assert len(labels) == 12 and (None, "maths") in labels


def test_all_supported_estimates_equal_the_estimate_on_each_pool_frame():
    """The no-caliper estimate per cell (cut by row index) equals the ANCOVA on that cell's own pool frame."""
    from pipelines.evaluate.diagnostics import all_supported_estimates
    from pipelines.evaluate.estimate import CellData, ancova

    sample, _ = mixed_sample()
    columns = ["project_code", "subject"]
    sets = grouping_sets(columns)
    got = all_supported_estimates(sample, columns, sets, min_supported=3)
    treated = sample.filter(pl.col("treated"))
    expected = {}
    for subset in sets:
        keys = list(subset)
        strata = treated.select(*keys, "stratum").unique()
        comp = sample.filter(~pl.col("treated")).drop(columns).join(strata, on="stratum")
        frame = pl.concat([treated.select(comp.columns), comp]).with_columns(pl.lit(1.0).alias("weight"))
        parts = frame.partition_by(keys, as_dict=True, maintain_order=True) if keys else {(): frame}
        for values, part in parts.items():
            label = tuple(dict(zip(keys, values, strict=True)).get(c, ALL) for c in columns)
            n_treated = part.filter(pl.col("treated"))["pupil_id"].n_unique()
            effect = ancova(CellData.from_frame(part))[0] if n_treated >= 3 else None
            expected[label] = (effect, part.filter(~pl.col("treated"))["pupil_id"].n_unique() if effect else None)
    assert got.height == len(expected)
    for row in got.iter_rows(named=True):
        effect, n_pool = expected[tuple(row[c] for c in columns)]
        assert row["effect_all_supported"] == effect
        assert row["n_comparison_pool"] == n_pool
