"""The month-to-month rule, shared by the export and the reports: a pupil count that moved by 1..k-1
since it was last published is withheld.

Why: each run's published figures are kept (the export's files in `history/<run_id>/`, the reports'
cells in `report_history/<run_id>/`), and a reader who keeps May's and June's files or reports can
subtract them. A cell whose pupil count went 12 → 13 publishes what one pupil added (a plan at a school,
their remote hours, their payment) although each run on its own passes the k threshold and the LP audit.
So before the per-run protection, every count whose true value differs by 1..k-1 from the value last
*published* for the same file, key and column is a primary suppression; complementary suppression, the
LP audit (pipelines/disclosure_audit.py, which protects such rows as rows of 1..k-1 pupils) and the
derived figures follow as for any small count.

Compared against: for each cell, the most recent earlier kept run in which it was published (not blank),
so a cell withheld last month is still compared with the month before. Known limit: only kept runs count,
and only the cell's own last published value: a difference between two older runs, or between an old
value and a margin published now, is not checked; nor is a figure (hours, EUR) that moves while its count
does not (one payment corrected).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.changes import key_text, read_package


@dataclass
class LastPublished:
    """The last published value of every cell of earlier runs, and how many cells this run withholds for it."""

    k: int
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)  # file -> key -> column -> text
    runs: int = 0
    withheld: dict[str, int] = field(default_factory=dict)  # file -> cells withheld because of a small change

    @classmethod
    def read_runs(cls, folders: Iterable[Path], k: int) -> LastPublished:
        """The kept packages (folders with a `datapackage.json`), oldest first, so later published
        values overwrite earlier ones."""
        last = cls(k)
        for run in folders:
            last.runs += 1
            for path, published in read_package(run).items():
                cells = last.values.setdefault(path, {})
                for key, row in published.rows.items():
                    kept = cells.setdefault(key, {})
                    kept.update({c: v for c, v in row.items() if v not in ("", None)})
        return last

    def moved(
        self,
        file: str,
        keys: Sequence[str],
        key_values: Sequence[Sequence[str]],
        frame: pd.DataFrame,
        counts: Sequence[str],
        rows: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """Per count column of `frame`: rows whose true count is 1..k-1 away from the last published one.

        `key_values`: each row's key as the file spells it (one text per key column), in row order;
        `rows` limits the rows published under these keys."""
        out = {c: np.zeros(len(frame), dtype=bool) for c in counts}
        cells = self.values.get(file)
        if not cells or not len(frame):
            return out
        for i, values in enumerate(key_values):
            if rows is not None and not rows[i]:
                continue
            old = cells.get(key_text(keys, dict(zip(keys, values, strict=True))))
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
            self.withheld[file] = self.withheld.get(file, 0) + n
        return out
