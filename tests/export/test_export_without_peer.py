"""effectiveness.csv: `n_supported_total` − `n_pupils` counts the pupils left without a comparable peer
(usually those with the lowest marks). One or two of them are as identifiable as a count of one or two,
so the difference is protected like a small count: `n_supported_total` is withheld there, with
complementary cells, and an attacker solving the published totals cannot narrow it back."""

from __future__ import annotations

import numpy as np
import pandas as pd
from lp_attack import distinct_intervals
from test_export_subgroups import effectiveness

from pipelines.export.stage import EMPTY_SUBGROUPS, protect_effectiveness

K = 5
KEYS = ("project_code", "municipality", "subject", "school_year")


def by_municipality() -> pd.DataFrame:
    """One project in two municipalities; in m1 one of nine supported pupils had no comparable peer."""
    rows = {"m1": (8, 40, 9), "m2": (20, 60, 26), "ALL": (28, 100, 35)}
    parts = []
    for project in ("P1", "ALL"):
        frame = effectiveness({m: (n, c) for m, (n, c, _) in rows.items()})
        frame = frame.assign(project_code=project, municipality=list(rows))
        frame["n_supported_total"] = [float(t) for _, _, t in rows.values()]
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def test_one_pupil_without_a_comparable_peer_cannot_be_read_off() -> None:
    truth = by_municipality()
    out, _ = protect_effectiveness(truth, K, EMPTY_SUBGROUPS)
    out = out.set_index(list(KEYS)).sort_index()
    truth = truth.set_index(list(KEYS)).sort_index()
    # Subtraction within a row: no published row leaves 1..k-1 pupils without a peer.
    both = out["n_supported_total"].notna() & out["n_pupils"].notna()
    difference = (out["n_supported_total"] - out["n_pupils"])[both]
    assert not ((difference >= 1) & (difference <= K - 1)).any(), difference
    # Solving the totals: each withheld total lies between its largest cell and the sum of its cells,
    # and is at least the row's published n_pupils.
    intervals = distinct_intervals(out.reset_index(), KEYS, "n_supported_total", floor="n_pupils")
    checked = 0
    for key, (low, high) in intervals.items():
        true_total, pupils = truth.loc[key, "n_supported_total"], truth.loc[key, "n_pupils"]
        if not 1 <= true_total - pupils <= K - 1:
            continue
        checked += 1
        assert low <= true_total <= high
        assert np.floor(high + 1e-6) - np.ceil(low - 1e-6) >= 3, f"{key}: {true_total} known in [{low}, {high}]"
    assert checked == 2  # m1 of P1 and of ALL
