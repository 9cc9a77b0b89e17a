"""Differencing across runs for the ministry files: the month-to-month rule of pipelines/disclosure_time.py
(a pupil count that moved by 1..k-1 since it was last published is withheld), keyed as the export spells
each file's primary key. The reports apply the same rule to their own tables (pipelines/report/queries.py).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.changes import earlier_runs
from pipelines.disclosure_time import Forced
from pipelines.disclosure_time import LastPublished as _LastPublished

from .files import format_value
from .tables import TableSpec


class LastPublished(_LastPublished):
    """The last published value of every exported cell of earlier runs (`history/<run_id>/`)."""

    @classmethod
    def read(
        cls, history_dir: Path, run_id: str, k: int, con: duckdb.DuckDBPyConnection | None = None
    ) -> LastPublished:
        """Every kept run before `run_id`, oldest first, so later published values overwrite earlier ones;
        with `con`, the true values of the cells the previous run withheld (`meta.withheld_cells`)."""
        last = cls.read_runs(earlier_runs(history_dir, run_id), k)
        if con is not None:
            last.load_withheld(con, "export")
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
        moving: tuple[str, ...] | None = None,
    ) -> Forced:
        """Per count column of `frame`: rows whose true count is 1..k-1 away from the last published one.

        `frame` carries `spec`'s key columns (or `fixed` gives their text, `key_from` the frame's name
        for them); `rows` limits the rows published under these keys (e.g. the `ALL` municipality)."""
        if not len(frame):
            return Forced({c: np.zeros(0, dtype=bool) for c in counts}, {c: np.zeros(0, dtype=bool) for c in counts})
        fixed, key_from = fixed or {}, key_from or {}
        types = {c.name: c for c in spec.columns}
        keys = [
            [fixed[key]] * len(frame)
            if key in fixed
            else [format_value(v, types[key].type, types[key].decimals) for v in frame[key_from.get(key, key)].tolist()]
            for key in spec.keys
        ]
        return self.moved(spec.file, spec.keys, list(zip(*keys, strict=True)), frame, counts, rows, moving)


def none(k: int) -> LastPublished:
    """No earlier run: nothing is forced."""
    return LastPublished(k)
