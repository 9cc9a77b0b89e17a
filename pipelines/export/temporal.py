"""Differencing across runs: a pupil count that moved by 1..k-1 since it was last published is withheld.

Why: each run's exports are kept (`history/<run_id>/`) and changes.csv lists what moved. A cell whose
pupil count went 12 → 13 while its EUR went 2027.17 → 2804.94 publishes one pupil's payment (777.77)
as the difference of two published rows, although each run on its own passes the k threshold and the
LP audit. So before the per-run protection, every count whose true value differs by 1..k-1 from the
value last *published* for the same file, key and column is a primary suppression; complementary
suppression, the LP audit and the derived columns (hours, EUR, shares) follow as for any small count.

Compared against: for each cell, the most recent earlier kept run in which it was published (not
blank), so a cell withheld last month is still compared with the month before. Known limit: only
runs kept in `history/` count, and only the cell's own last published value: a difference between
two older runs, or between an old value and a margin published now, is not checked; nor is a figure
(hours, EUR) that moves while its count does not (one payment corrected).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.changes import earlier_runs, key_text, read_package

from .files import format_value
from .tables import TableSpec


@dataclass
class LastPublished:
    """The last published value of every cell of earlier runs, and how many cells this run withholds for it."""

    k: int
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)  # file -> key -> column -> text
    runs: int = 0
    withheld: dict[str, int] = field(default_factory=dict)  # file -> cells withheld because of a small change

    @classmethod
    def read(cls, history_dir: Path, run_id: str, k: int) -> LastPublished:
        """Every kept run before `run_id`, oldest first, so later published values overwrite earlier ones."""
        last = cls(k)
        for run in earlier_runs(history_dir, run_id):
            last.runs += 1
            for path, published in read_package(run).items():
                cells = last.values.setdefault(path, {})
                for key, row in published.rows.items():
                    kept = cells.setdefault(key, {})
                    kept.update({c: v for c, v in row.items() if v not in ("", None)})
        return last

    def forced(
        self,
        spec: TableSpec,
        frame: pd.DataFrame,
        counts: tuple[str, ...] | list[str],
        *,
        fixed: dict[str, str] | None = None,
        key_from: dict[str, str] | None = None,
        rows: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """Per count column of `frame`: rows whose true count is 1..k-1 away from the last published one.

        `frame` carries `spec`'s key columns (or `fixed` gives their text, `key_from` the frame's name
        for them); `rows` limits the rows published under these keys (e.g. the `ALL` municipality)."""
        out = {c: np.zeros(len(frame), dtype=bool) for c in counts}
        cells = self.values.get(spec.file)
        if not cells or not len(frame):
            return out
        fixed, key_from = fixed or {}, key_from or {}
        types = {c.name: c for c in spec.columns}
        keys = [
            [fixed[key]] * len(frame)
            if key in fixed
            else [format_value(v, types[key].type, types[key].decimals) for v in frame[key_from.get(key, key)].tolist()]
            for key in spec.keys
        ]
        for i, values in enumerate(zip(*keys, strict=True)):
            if rows is not None and not rows[i]:
                continue
            old = cells.get(key_text(spec.keys, dict(zip(spec.keys, values, strict=True))))
            if not old:
                continue
            for column in counts:
                new = frame[column].iloc[i]
                if column not in old or new is None or pd.isna(new):
                    continue
                if 1 <= abs(float(new) - float(old[column])) <= self.k - 1:
                    out[column][i] = True
        n = int(sum(mask.sum() for mask in out.values()))
        if n:
            self.withheld[spec.file] = self.withheld.get(spec.file, 0) + n
        return out


def none(k: int) -> LastPublished:
    """No earlier run: nothing is forced."""
    return LastPublished(k)
