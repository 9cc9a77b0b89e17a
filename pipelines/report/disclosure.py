"""Disclosure control for report tables and charts, using the export stage's rules.

Reports follow exactly the rules of the published CSVs (`pipelines.export.disclosure.suppress`:
primary suppression of 1..k-1 pupils, every figure computed from those pupils withheld with
them, complementary suppression against the 'ALL' margins). This module only adapts the result
for display: withheld cells become NaN floats, which tables print as "<k" and charts leave out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipelines.export.disclosure import suppress


def protect(
    frame: pd.DataFrame,
    keys: Sequence[str],
    count_cols: Sequence[str],
    k: int,
    derived: Sequence[str] = (),
) -> pd.DataFrame:
    """A copy with withheld counts and figures as NaN; the first count column counts pupils."""
    if frame.empty:
        out = frame.copy()
        out["suppressed"] = pd.Series(dtype=bool)
        return out
    out = suppress(frame, list(keys), list(count_cols), list(derived), k=k)
    for col in (*count_cols, *derived):
        out[col] = out[col].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    return out


def small_mask(counts: pd.Series, k: int) -> pd.Series:
    """True where a count is between 1 and k-1."""
    values = pd.to_numeric(counts, errors="coerce")
    return (values >= 1) & (values < k)


def suppress_small(frame: pd.DataFrame, count_col: str, k: int, measures: Sequence[str] = ()) -> pd.DataFrame:
    """Primary suppression only, for marts that come without margins: a row with 1..k-1 pupils
    loses that count and `measures` (NaN)."""
    out = frame.copy()
    if out.empty:
        return out
    mask = small_mask(out[count_col], k).fillna(False).to_numpy(dtype=bool)
    for col in (count_col, *measures):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
        out.loc[mask, col] = np.nan
    return out


def assert_no_small(frame: pd.DataFrame, count_cols: Sequence[str], k: int) -> None:
    """Guard before showing a frame: fails loudly rather than publishing a small count."""
    for col in count_cols:
        if col in frame and small_mask(frame[col], k).any():
            raise AssertionError(f"Pārskatā ir skaits mazāks par {k} / a count below {k} in column {col!r}")
