"""Brute-force disclosure checks shared by the export tests, written independently of the module."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import pandas as pd

ALL = "ALL"


def equations(frame: pd.DataFrame, keys: Sequence[str]) -> list[tuple[int, list[int]]]:
    """Every (margin row, cell rows) pair along one dimension, the other keys fixed."""
    rows = [tuple(str(v) for v in r) for r in frame[list(keys)].itertuples(index=False)]
    out = []
    for d in range(len(keys)):
        margins: dict[tuple, int] = {}
        cells: dict[tuple, list[int]] = defaultdict(list)
        for i, key in enumerate(rows):
            rest = key[:d] + key[d + 1 :]
            if key[d] == ALL:
                margins[rest] = i
            else:
                cells[rest].append(i)
        out += [(m, cells.get(rest, [])) for rest, m in margins.items()]
    return out


def assert_protected(frame: pd.DataFrame, keys: Sequence[str], column: str, k: int) -> None:
    """Nothing in 1..k−1 is published, and no withheld cell is recoverable from one equation.

    With a published margin, the withheld cells of its group number 0 or at least 2 (one alone
    would be margin − the rest). With a withheld margin, at least one cell is withheld too
    (otherwise the margin is the sum of published cells and could then expose others).
    Together: no equation (margin + its cells) has exactly one withheld member.
    """
    values = pd.to_numeric(frame[column], errors="coerce")
    withheld = values.isna().tolist()
    published = values.dropna()
    assert not ((published >= 1) & (published <= k - 1)).any(), f"{column}: small count published"
    for margin, cells in equations(frame, keys):
        n_cells = sum(withheld[i] for i in cells)
        if withheld[margin]:
            assert n_cells >= 1, f"{column}: withheld margin row {margin} equals the sum of published cells"
        else:
            assert n_cells != 1, f"{column}: lone withheld cell under published margin row {margin}"


def assert_additive(original: pd.DataFrame, published: pd.DataFrame, keys: Sequence[str], column: str) -> None:
    """Each margin is the sum of its cells' true values (published + withheld), and every published
    value is the true one."""
    truth = pd.to_numeric(original[column]).tolist()
    shown = pd.to_numeric(published[column], errors="coerce").tolist()
    for margin, cells in equations(original, keys):
        if cells:
            assert truth[margin] == sum(truth[i] for i in cells)
            withheld = sum(truth[i] for i in cells if pd.isna(shown[i]))
            visible = sum(shown[i] for i in cells if not pd.isna(shown[i]))
            assert truth[margin] == visible + withheld
    for t, s in zip(truth, shown, strict=True):
        assert pd.isna(s) or s == t


def build_support_cube(con) -> None:
    """marts.support_cube as the evaluate stage builds it from core.consultations (export reads it)."""
    from pipelines.evaluate.stage import SQL_DIR
    from pipelines.warehouse import load_sql

    con.execute(f"create or replace table marts.support_cube as {load_sql(SQL_DIR, 'support_cube')}")
