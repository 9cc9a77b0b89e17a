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
so a cell withheld last month is still compared with the month before.

Released again: a count withheld in the previous kept run is published now only if its true value moved by
at least k since that run; otherwise it is withheld again: the complementary suppression and the LP
audit start with it withheld (as the cell it hid is), without a protection interval of its own
(`Forced.held`). Why: in the previous run it hid another withheld cell; released unchanged, it turns that
run's published margins into an equation with one unknown (probe: a risk band of 4 pupils = 32 − 17 − 11; a
2-pupil subject's consultations = margin − the subject released next month). The previous run's true
values are kept privately in the warehouse (`meta.withheld_cells`, written by the export and by the
report stage for the cells they withheld, never in a published folder). A warehouse without them (the
first run after the upgrade, or a run whose record is missing) cannot tell how far a cell moved, so every
count withheld in the previous run stays withheld for one run; the run then records its own.
The 1..k-1 rule keys on the pupil counts only, but every audited figure of a row (records, hours, EUR) is
kept withheld as the previous run withheld it while it moved by less than k in its own unit: in the support
files (consultations, hours), support_summary.csv's activity hours and financial support EUR,
esf_indicators.csv's support hours, costs.csv's amounts and the reports' support tables (records, hours).
Why: a figure withheld alone last run hid another cell; released unchanged, last run's margins give that
cell (started from only the pupil cells, the support files' greedy complements also ended elsewhere on an
unchanged re-run). Cost: complementary cells stay withheld while their counts stay within k of the month
they were withheld; an unchanged re-run withholds exactly the same cells.

Known to a reader (the mirror case): a cell whose true value is what an earlier kept run last published
for it (to the published decimals) is known to whoever kept that run's file, withheld or not. So the
complementary suppression and the LP audit count it as published (`Forced.known`): it is not a withheld
member of its equations, never chosen as a complement, and a constant in the audit; the cells it would
have hidden get complements that moved (usually their margins, which moved with them). Why equal and not
"within k": this module's reader knows the last published values exactly, not whether or how far a cell
moved since. A withheld cell that did not move is known to them exactly (their guess "unchanged" is
right, and nothing tells them otherwise); one that moved by 1..k-1 is already withheld as a small change
with a protection interval of its own, and even a reader who assumed every withheld cell moved by less
than k would know such a complement, and so the cell it hides, only to within 2(k-1) (8 at k = 5), at
least the audit's protection of a small count (3); one that moved by k or more is as unknown as any.
Treating "within k" as known would model a reader who knows which cells moved little (what the rule
withholds) and leave most cells of a monthly re-run unusable as complements. An unchanged re-run marks the
same withheld cells known (their last published value and true value are the same as in the run before),
so it ends where that run ended.

Known limits: only kept runs count; a difference between two older runs, or between an old value and a
margin published now, is not checked beyond the previous run's withheld cells; nor is a figure (hours,
EUR) that moves while its count does not (one payment corrected). A cell counts as known only from its own
file, key and column (the export reads history/, the reports report_history/), and only for the figures
the rule reads (counts, and the hours and EUR listed above): the reports' pupil flows (no LP audit) do not
use it. Where every cell left to choose is known, the LP audit stops with an error rather than publish.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.changes import key_text, read_package
from pipelines.warehouse import ensure_schema, table_exists

SCOPES = ("export", "report")  # meta.withheld_cells.scope: history/ or report_history/


def same_as_published(value: float, text: str) -> bool:
    """Whether `value` would be published as `text` again: equal once rounded to the text's decimals."""
    try:
        shown = float(text)
    except ValueError:
        return False
    decimals = len(text.split(".", 1)[1]) if "." in text else 0
    return abs(round(float(value), decimals) - shown) < 0.5 * 10.0**-decimals * 1e-6


class Forced(dict[str, np.ndarray]):
    """Per count column, the cells the rule withholds; `held`: those withheld only because the previous
    run withheld them (unchanged within k). The complementary suppression and LP audit start with them
    withheld but do not require them a protection interval of their own (pipelines/disclosure_audit.py
    linked_system): they are not small counts, and making them sensitive would add complements every
    month even to an unchanged re-run.

    `known`: per count column, the cells whose true value is what an earlier kept run last published
    for them (to its decimals): a reader of that run knows them, so the complementary suppression and
    the LP audit count them as published even where withheld (module docstring, "Mirror case")."""

    def __init__(
        self,
        masks: dict[str, np.ndarray],
        held: dict[str, np.ndarray],
        known: dict[str, np.ndarray] | None = None,
    ) -> None:
        super().__init__(masks)
        self.held = held
        self.known = known if known is not None else {c: np.zeros(len(m), dtype=bool) for c, m in masks.items()}

    def add(self, column: str, mask: np.ndarray) -> None:
        """Withhold `mask` too, for a reason of its own (it then needs the protection interval)."""
        self[column] = self[column] | mask
        self.held[column] = self.held[column] & ~mask


@dataclass
class LastPublished:
    """The last published value of every cell of earlier runs, and how many cells this run withholds for it."""

    k: int
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)  # file -> key -> column -> text
    runs: int = 0
    withheld: dict[str, int] = field(default_factory=dict)  # file -> cells withheld because of a small change
    previous_run: str | None = None  # the newest kept run: its blank counts are released only after a move ≥ k
    previous_blank: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # file -> key -> blank columns
    truth: dict[tuple[str, str, str], float] = field(default_factory=dict)  # previous run's withheld true values
    seen: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # this run's true counts

    @classmethod
    def read_runs(cls, folders: Iterable[Path], k: int) -> LastPublished:
        """The kept packages (folders with a `datapackage.json`), oldest first, so later published
        values overwrite earlier ones."""
        last = cls(k)
        for run in folders:
            last.runs += 1
            last.previous_run, last.previous_blank = run.name, {}
            for path, published in read_package(run).items():
                cells = last.values.setdefault(path, {})
                blank = last.previous_blank.setdefault(path, {})
                for key, row in published.rows.items():
                    kept = cells.setdefault(key, {})
                    kept.update({c: v for c, v in row.items() if v not in ("", None)})
                    blank[key] = {c for c, v in row.items() if v in ("", None)}
        return last

    def load_withheld(self, con: duckdb.DuckDBPyConnection, scope: str) -> None:
        """The previous run's true values of the cells it withheld (`meta.withheld_cells`). None kept
        (no such table, or no rows for that run): every count it withheld stays withheld now."""
        self.truth.clear()
        if self.previous_run is None or not table_exists(con, "meta", "withheld_cells"):
            return
        rows = con.execute(
            "select file, row_key, column_name, value from meta.withheld_cells where scope = ? and run_id = ?",
            [scope, self.previous_run],
        ).fetchall()
        self.truth.update({(f, k, c): float(v) for f, k, c, v in rows})

    def save_withheld(self, con: duckdb.DuckDBPyConnection, scope: str, run_id: str, folder: Path) -> int:
        """Keep the true value of every count this run saw and `folder` (this run's published package)
        leaves blank, for next run's rule. Returns how many."""
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
        published = read_package(folder) if folder.is_dir() else {}
        rows = [
            (scope, file, key, column, value, run_id)
            for file, cells in self.seen.items()
            if file in published
            for key, values in cells.items()
            if (row := published[file].rows.get(key)) is not None
            for column, value in values.items()
            if row.get(column) in ("", None)
        ]
        ensure_schema(con)  # a warehouse from before meta.withheld_cells
        con.execute("delete from meta.withheld_cells where scope = ? and run_id = ?", [scope, run_id])
        if rows:
            con.executemany("insert into meta.withheld_cells values (?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    def _forced(
        self, file: str, key: str, column: str, new: float, old: dict[str, str] | None, moving: bool = True
    ) -> int:
        """1: moved by 1..k-1 since last published (only where `moving`); 2: withheld in the previous run
        and moved by less than k since; 0: neither."""
        if moving and old and column in old and 1 <= abs(new - float(old[column])) <= self.k - 1:
            return 1
        if column not in self.previous_blank.get(file, {}).get(key, ()):
            return 0
        before = self.truth.get((file, key, column))
        return 2 if before is None or abs(new - before) < self.k else 0

    def moved(
        self,
        file: str,
        keys: Sequence[str],
        key_values: Sequence[Sequence[str]],
        frame: pd.DataFrame,
        counts: Sequence[str],
        rows: np.ndarray | None = None,
        moving: Sequence[str] | None = None,
    ) -> Forced:
        """Per count column of `frame`: rows whose true count is 1..k-1 away from the last published one,
        or was withheld in the previous run and moved by less than k since (module docstring).

        `key_values`: each row's key as the file spells it (one text per key column), in row order;
        `rows` limits the rows published under these keys; `moving`: the counts the 1..k-1 rule keys on
        (default all): the others are only kept withheld as the previous run withheld them, so that an
        unchanged re-run starts from that run's whole pattern and ends where it ended."""
        out = Forced(
            {c: np.zeros(len(frame), dtype=bool) for c in counts},
            {c: np.zeros(len(frame), dtype=bool) for c in counts},
            {c: np.zeros(len(frame), dtype=bool) for c in counts},
        )
        if not len(frame):
            return out
        cells = self.values.get(file, {})
        seen = self.seen.setdefault(file, {})
        for i, values in enumerate(key_values):
            if rows is not None and not rows[i]:
                continue
            key = key_text(keys, dict(zip(keys, values, strict=True)))
            old = cells.get(key)
            for column in counts:
                new = frame[column].iloc[i]
                if new is None or pd.isna(new):
                    continue
                seen.setdefault(key, {})[column] = float(new)
                reason = self._forced(file, key, column, float(new), old, moving is None or column in moving)
                out[column][i] = reason > 0
                out.held[column][i] = reason == 2
                out.known[column][i] = old is not None and column in old and same_as_published(new, old[column])
        n = int(sum(mask.sum() for mask in out.values()))
        if n:
            self.withheld[file] = self.withheld.get(file, 0) + n
        return out
