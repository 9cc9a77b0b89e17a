"""Pairs cluster bootstrap over schools that re-runs the matching: the interval for matched estimates.

Why: the weighted regression's cluster-robust SE treats the matched comparison group as fixed. It
is not: which comparisons are chosen, and how often each is reused, depends on the sample. In the
coverage study (benchmarks/COVERAGE.md) that left the estimates ~1.2–1.3× more variable than the
reported SE, and 95% intervals covered ~88%. Resampling whole schools and repeating the matching
and the estimate in each replicate puts that variance back, and keeps every dependence inside a
school (a pupil's several subjects and semesters, shared teachers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import polars as pl

from pipelines.evaluate.cells import cell_arrays
from pipelines.evaluate.diagnostics import DIAGNOSTIC_COLUMNS, STATISTIC_COLUMNS, replicate_statistics
from pipelines.evaluate.estimate import point_effect, with_codes
from pipelines.evaluate.matching import match_within_strata

REPLICA_COLUMNS = ("key", "pupil_id", "school_id")
# What matching, the cell cut and the point estimate read: a replicate copies only these.
MODEL_COLUMNS = (
    "key",
    "pupil_id",
    "school_id",
    "stratum",
    "treated",
    "baseline_subject",
    "baseline_overall",
    "outcome",
)
# Called with (replicate number, replica with its codes, its pairs) by bootstrap_statistics: another
# estimate on the same replicas (subgroups.SubgroupReplicates) reuses that replicate's matching.
Rider = Callable[[int, pl.DataFrame, pl.DataFrame], None]


def resample_schools(sample: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Draw as many schools as there are, with replacement; a school drawn twice enters as two schools.

    Keys, pupils and schools get a copy suffix so the copies match and cluster as separate units.
    """
    schools = sample["school_id"].unique().sort()
    picked = schools.gather(rng.integers(0, len(schools), len(schools)))
    draws = pl.DataFrame({"school_id": picked, "_copy": np.arange(len(schools))})
    return sample.join(draws, on="school_id").with_columns(
        pl.concat_str([pl.col(c), pl.col("_copy").cast(pl.String)], separator="#").alias(c) for c in REPLICA_COLUMNS
    )


def bootstrap_statistics(
    sample: pl.DataFrame,
    columns: Sequence[str],
    *,
    replicates: int,
    seed: int,
    caliper_sd: float,
    n_matches: int,
    min_supported: int,
    sets: list[tuple[str, ...]] | None = None,
    diagnostics: bool = True,
    scheme: str = "bootstrap",
    carry: Sequence[str] = (),
    riders: Sequence[Rider] = (),
) -> dict[str, dict[tuple[str, ...], np.ndarray]]:
    """Per statistic ("effect", and with `diagnostics` both placebos and the event-study gaps, see
    diagnostics.replicate_statistics): each cell's value in every replicate where it can be computed.

    The placebos ride on the same resampled schools and the same re-run matching as the effect, so
    their intervals come from the same inference as the headline. scheme "jackknife": one replicate
    per school, that school left out (`replicates` is then ignored; see replicate_count).
    `riders` are called with every replicate (its number, the replica with `carry` columns and the
    integer codes, and its pairs, also when empty): at national scale a replicate's matching and
    codes cost ~1.6 CPU s, paid once for the headline and the subgroups instead of twice.
    """
    columns = list(columns)
    extra = [c for c in DIAGNOSTIC_COLUMNS if diagnostics and c in sample.columns]
    sample = sample.select(*dict.fromkeys([*MODEL_COLUMNS, *extra, *columns, *carry]))
    if scheme == "jackknife":
        # a replica keeps the whole sample's codes: with gaps where schools are left out, but in the
        # same order, and CellArrays only compares codes (np.unique), so its arrays are the same as
        # with codes ranked per replica, which cost ~0.5 CPU s a replicate at national scale
        sample = with_codes(sample)
    draws: dict[str, dict[tuple[str, ...], list[float]]] = {"effect": {}}
    for r, replica in enumerate(replicas(sample, scheme=scheme, replicates=replicates, seed=seed)):
        pairs = match_within_strata(replica, caliper_sd=caliper_sd, n_matches=n_matches)
        replica = with_codes(replica)  # the same codes cell_arrays would rank, once for every rider
        for ride in riders:
            ride(r, replica, pairs)
        if pairs.is_empty():
            continue
        statistics = STATISTIC_COLUMNS if diagnostics else ()
        for label, sizes, arrays, rows in cell_arrays(replica, pairs, columns, sets, statistics):
            if sizes["n_supported_in_sample"] < min_supported:  # cheap first cut before counting matched ones
                continue
            if arrays.n_treated_pupils(rows) < min_supported:
                continue
            data = arrays.cell(rows)
            effect = point_effect(data)
            if effect is None:
                continue
            key = tuple(label[c] for c in columns)
            values = {"effect": effect}
            if diagnostics:
                cell_values = {c: v[rows] for c, v in arrays.values.items()}
                values |= replicate_statistics(cell_values, data, min_supported)
            for name, value in values.items():
                if value is not None:
                    draws.setdefault(name, {}).setdefault(key, []).append(value)
    return {name: {label: np.array(v) for label, v in by_label.items()} for name, by_label in draws.items()}


def replicas(sample: pl.DataFrame, *, scheme: str, replicates: int, seed: int) -> Iterator[pl.DataFrame]:
    """The resampled analysis rows: `replicates` school-bootstrap draws, or the jackknife's.

    Jackknife: each school left out once; with more schools than `replicates`, the schools are dealt
    (seeded shuffle, round robin) into `replicates` groups and each group is left out once (the
    delete-a-group jackknife, Kott 2001), so a national run costs no more re-matches than the bootstrap.
    """
    if scheme == "jackknife":
        for group in jackknife_groups(sample["school_id"].unique().sort().to_list(), replicates, seed):
            yield sample.filter(~pl.col("school_id").is_in(group))
        return
    rng = np.random.default_rng(seed)
    for _ in range(replicates):
        yield resample_schools(sample, rng)


def jackknife_groups(schools: list[str], replicates: int, seed: int) -> list[list[str]]:
    """One school per group when there are at most `replicates` schools, else `replicates` groups."""
    if len(schools) <= replicates:
        return [[school] for school in schools]
    order = np.random.default_rng(seed).permutation(len(schools))
    return [[schools[i] for i in order[j::replicates]] for j in range(replicates)]


def replicate_count(sample: pl.DataFrame, *, scheme: str, replicates: int) -> int:
    """How many replicates `replicas` yields: for the jackknife min(schools, replicates), else `replicates`."""
    return min(sample["school_id"].n_unique(), replicates) if scheme == "jackknife" else replicates
