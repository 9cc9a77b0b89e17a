"""Matching stays inside exact strata, respects the caliper and weights matches 1/k."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipelines.evaluate.matching import match_within_strata, matched_rows, pooled_sd


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


def brute_force_pairs(sample: pl.DataFrame, *, caliper_sd: float, n_matches: int) -> list[tuple]:
    """The definition, written plainly: every treated row against every comparison of its stratum,
    all distances sorted (ties to the key that sorts first), the first k inside the caliper."""
    treated = sample["treated"].to_numpy()
    sd_s = pooled_sd(sample["baseline_subject"].to_numpy(), treated)
    sd_o = pooled_sd(sample["baseline_overall"].to_numpy(), treated)
    pairs = []
    for t in sample.filter(pl.col("treated")).sort("stratum", "key").iter_rows(named=True):
        pool = sample.filter(~pl.col("treated") & (pl.col("stratum") == t["stratum"])).sort("key")
        scored = []
        for c in pool.iter_rows(named=True):
            d_s, d_o = t["baseline_subject"] - c["baseline_subject"], t["baseline_overall"] - c["baseline_overall"]
            if abs(d_s) <= caliper_sd * sd_s + 1e-12:
                scored.append((float(np.sqrt((d_s / sd_s) ** 2 + (d_o / sd_o) ** 2)), c["key"]))
        chosen = sorted(scored, key=lambda x: x[0])[:n_matches]  # stable: key order among ties
        pairs += [(t["key"], key, 1 / len(chosen), dist) for dist, key in chosen]
    return pairs


@pytest.mark.parametrize("seed", range(6))
def test_windowed_matching_equals_the_brute_force_definition_with_many_ties(seed):
    rng = np.random.default_rng(seed)
    n = 400
    frame = pl.DataFrame(
        {
            "key": [f"k{i:04d}" for i in rng.permutation(n)],
            "stratum": rng.choice(["A", "B", "C"], n).tolist(),
            "treated": (rng.random(n) < 0.15).tolist(),
            # means of a few integer marks: coarse values, so equal distances are common
            "baseline_subject": (rng.integers(8, 41, n) / 4).tolist(),
            "baseline_overall": (rng.integers(16, 41, n) / 4).tolist(),
        }
    )
    caliper, k = [(0.25, 3), (0.05, 3), (2.0, 5), (0.25, 1), (0.1, 8), (10.0, 2)][seed]
    pairs = match_within_strata(frame, caliper_sd=caliper, n_matches=k)

    expected = brute_force_pairs(frame, caliper_sd=caliper, n_matches=k)
    got = list(pairs.iter_rows())
    assert [row[:2] for row in got] == [row[:2] for row in expected]  # same pairs, same order
    assert np.allclose([row[2:] for row in got], [row[2:] for row in expected])
    assert len(got) > 20
