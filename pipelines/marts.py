"""The marts' contract: the words and levels evaluate writes into `marts.*` and export and report read.

A later stage must not import the stage that builds its inputs (stages meet through the warehouse),
yet export publishes these words as column values and documents them in the data dictionary, so
they are written down here, once, and evaluate builds its marts from the same names.
"""

from __future__ import annotations

from collections.abc import Sequence

# The words `interval_method` publishes (docs/data-dictionary.md); every interval is named here only.
SCHOOL_BOOTSTRAP = "school_bootstrap"  # SE = SD of the school bootstrap that re-runs the matching, t(G−1)
CLUSTER_ROBUST = "cluster_robust"  # the regression's school-clustered CR1 SE, t(G−1): too narrow after matching
NO_INTERVAL = "none"  # one school, or no estimate
SCHOOL_JACKKNIFE = "school_jackknife"  # leave each school out, re-match, re-estimate; jackknife SE, t(G−1)
CR2 = "cr2"  # CR2 sandwich on the matched sample, Bell–McCaffrey degrees of freedom
CR3 = "cr3"  # CR3 (leave-one-school-out) sandwich on the matched sample, t(G−1)
WILD_CLUSTER_BOOTSTRAP = "wild_cluster_bootstrap"  # WCR bootstrap-t, Webb weights, interval by test inversion
# The methods `evaluate.interval_method` may name (evaluate/intervals.py; chosen on benchmarks/COVERAGE.md).
INTERVAL_METHODS = (SCHOOL_BOOTSTRAP, SCHOOL_JACKKNIFE, CLUSTER_ROBUST, CR2, CR3, WILD_CLUSTER_BOOTSTRAP)

# marts.effectiveness_subgroups: the subgroups and their levels (evaluate/subgroups.py).
SUBGROUPS = ("gender", "grade_band", "baseline_tercile")
UNKNOWN_GENDER = "unknown"
_LEVELS = {
    "gender": ("F", "M", UNKNOWN_GENDER),
    "grade_band": ("4-6", "7-9", "10-12"),
    "baseline_tercile": ("1", "2", "3"),
}


def subgroup_levels(subgroup: str) -> Sequence[str]:
    """The levels a subgroup can take (for the data dictionary)."""
    return _LEVELS[subgroup]
