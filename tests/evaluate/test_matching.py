"""Matching stays inside exact strata, respects the caliper and weights matches 1/k."""

from __future__ import annotations

import polars as pl

from pipelines.evaluate.matching import match_within_strata, matched_rows


def sample() -> pl.DataFrame:
    rows = [
        # key, stratum, treated, baseline_subject, baseline_overall
        ("t1", "A", True, 4.0, 5.0),
        ("c1", "A", False, 4.1, 5.0),
        ("c2", "A", False, 4.0, 5.5),
        ("c3", "A", False, 4.05, 5.0),
        ("c4", "A", False, 7.0, 5.0),  # outside the caliper
        ("t2", "B", True, 6.0, 6.0),
        ("c5", "B", False, 6.0, 6.0),
        ("c6", "A", False, 6.0, 6.0),  # same value as t2 but another stratum
        ("t3", "C", True, 5.0, 5.0),  # nobody to match in C
    ]
    return pl.DataFrame(
        rows, schema=["key", "stratum", "treated", "baseline_subject", "baseline_overall"], orient="row"
    )


def test_nearest_within_stratum_and_caliper_with_one_over_k_weights():
    pairs = match_within_strata(sample(), caliper_sd=0.25, n_matches=3).sort("treated_key", "distance")

    t1 = pairs.filter(pl.col("treated_key") == "t1")
    assert t1["comparison_key"].to_list() == ["c3", "c1", "c2"]  # nearest first; c4 beyond the caliper
    assert t1["weight"].to_list() == [1 / 3] * 3
    t2 = pairs.filter(pl.col("treated_key") == "t2")
    assert t2["comparison_key"].to_list() == ["c5"]  # c6 is an exact twin but in stratum A
    assert t2["weight"].to_list() == [1.0]
    assert "t3" not in pairs["treated_key"].to_list()


def test_a_narrow_caliper_drops_distant_matches():
    pairs = match_within_strata(sample(), caliper_sd=0.01, n_matches=3)

    # pooled SD of the subject baseline is ~1.2, so the caliper is ~0.012: only exact ties remain.
    assert sorted(pairs["comparison_key"].to_list()) == ["c2", "c5"]


def test_matched_rows_sum_weights_of_a_comparison_used_twice():
    base = pl.DataFrame(
        {
            "key": ["t1", "t2", "c1", "c2"],
            "stratum": ["A"] * 4,
            "treated": [True, True, False, False],
            "baseline_subject": [4.0, 4.0, 4.0, 4.1],
            "baseline_overall": [5.0, 5.0, 5.0, 5.0],
        }
    )
    pairs = match_within_strata(base, caliper_sd=10.0, n_matches=2)
    rows = matched_rows(base, pairs)

    assert dict(zip(rows["key"], rows["weight"], strict=True)) == {"c1": 1.0, "c2": 1.0, "t1": 1.0, "t2": 1.0}
    only_t1 = matched_rows(base, pairs, pl.Series(["t1"]))
    assert dict(zip(only_t1["key"], only_t1["weight"], strict=True)) == {"c1": 0.5, "c2": 0.5, "t1": 1.0}
