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
