"""What changed since the previous run: the published files compared cell by cell.

Each run's exports are kept under `history/<run_id>/`; `exports/changes.csv` lists every cell
that differs from the previous run's files (file, key, column, old, new), and rows that appear
or disappear (column `*`). Rows are matched on each file's primary key from its `datapackage.json`
(docs/data-dictionary.md), so a reordered file shows no change.

Disclosure: both sides are cells of files that were published, read back as written, so a
withheld cell stays empty here, and no difference is written. That alone would not be safe: a
reader can subtract old from new (12 → 13 pupils and their EUR give one pupil's payment). The
export stage and the reports prevent it (pipelines/disclosure_time.py): a pupil count that moved by 1..k-1 since
it was last published is withheld. Text values keep the CSV-safe form the exports gave them
(pipelines/csv_text.py).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.csv_text import safe_text_columns
from pipelines.errors import UserError

CHANGES_NAME = "changes.csv"
COLUMNS = ("file", "key", "column", "old", "new")
WHOLE_ROW = "*"  # the `column` of a row that was added (old `absent`) or removed (new `absent`)
ABSENT, PRESENT = "absent", "present"
NUMERIC = {"integer", "number"}


# The section of docs/data-dictionary.md about changes.csv (export/tables.py renders the page).
DOC_SECTION: tuple[str, ...] = (
    f"## `{CHANGES_NAME}` — Izmaiņas kopš iepriekšējās palaišanas / Changes since the previous run",
    "",
    "- LV: katra publicētā šūna, kas atšķiras no iepriekšējās palaišanas failiem (tie glabājas "
    "`history/<run_id>/`); rindas salīdzina pēc faila primārās atslēgas (`datapackage.json`). "
    f"Jauna rinda: `column` = `{WHOLE_ROW}`, `old` = `{ABSENT}`, `new` = `{PRESENT}`; izņemta — otrādi. "
    "`old` un `new` ir publicētās vērtības, kā tās rakstītas: aizklāta šūna paliek tukša. "
    "Lasītājs tās var atņemt, tāpēc eksports aizklāj katru skolēnu skaitu, kas kopš pēdējās publicēšanas "
    "mainījies par 1..k-1 (sadaļa par atklāšanas kontroli). "
    "Tas pats jebkurām divām palaišanām: `atbalsts diff RUN_A RUN_B`.",
    "- EN: every published cell that differs from the previous run's files (kept in `history/<run_id>/`); "
    "rows are matched on each file's primary key (`datapackage.json`). A new row: `column` = "
    f"`{WHOLE_ROW}`, `old` = `{ABSENT}`, `new` = `{PRESENT}`; a removed row the other way round. `old` and "
    "`new` are the published values as written: a withheld cell stays empty, and no difference is computed. "
    "A reader can still subtract them, so the export withholds any pupil count that moved by 1..k-1 since "
    "it was last published (section on disclosure control). "
    "The same for any two runs: `atbalsts diff RUN_A RUN_B`. The first run has no rows.",
    "",
    "| kolonna / column | tips / type | latviski | in English |",
    "|---|---|---|---|",
    "| `file` | string | Publicētais fails | The published file |",
    "| `key` | string | Rindas atslēga, `kolonna=vērtība; …` | The row's key, `column=value; …` |",
    f"| `column` | string | Mainītā kolonna (`{WHOLE_ROW}`: visa rinda) | "
    f"The column that changed (`{WHOLE_ROW}`: the row) |",
    "| `old` | string | Vērtība iepriekšējā palaišanā | The value in the previous run |",
    "| `new` | string | Vērtība šajā palaišanā | The value in this run |",
    "",
)


@dataclass(frozen=True)
class Change:
    file: str
    key: str
    column: str
    old: str
    new: str


@dataclass
class ChangeSummary:
    """The short account for run_summary.json, the index report and `atbalsts diff`."""

    previous_run: str | None
    run: str | None
    cells_changed: int = 0
    rows_added: int = 0
    rows_removed: int = 0
    files_compared: int = 0
    largest: dict[str, str] | None = None  # the numeric cell that moved most: file, key, column, old, new
    files_not_compared: list[str] = field(default_factory=list)  # in one run only, or without a primary key

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "text_lv": self.sentence("lv"), "text_en": self.sentence("en")}

    def sentence(self, lang: str = "en") -> str:
        if self.previous_run is None:
            return (
                "Nav iepriekšējas palaišanas, ar ko salīdzināt." if lang == "lv" else "No earlier run to compare with."
            )
        if lang == "lv":
            text = (
                f"Kopš {self.previous_run}: {self.cells_changed} šūnas mainītas, {self.rows_added} jaunas rindas, "
                f"{self.rows_removed} izņemtas"
            )
            big = "; lielākā izmaiņa: "
        else:
            text = (
                f"Since {self.previous_run}: {self.cells_changed} cells changed, {self.rows_added} new rows, "
                f"{self.rows_removed} removed"
            )
            big = "; largest change: "
        if self.largest:
            c = self.largest
            text += f"{big}{c['file']} {c['column']} ({c['key']}) {c['old'] or '∅'} → {c['new'] or '∅'}"
        return text + "."


# --- reading published files ------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    keys: tuple[str, ...]
    types: dict[str, str]  # column -> Table Schema type
    rows: dict[str, dict[str, str]]  # key text -> cells as written


def read_package(folder: Path) -> dict[str, Published]:
    """Every CSV resource of `folder/datapackage.json` that has a primary key, read as text."""
    descriptor = folder / "datapackage.json"
    if not descriptor.exists():
        return {}
    package = json.loads(descriptor.read_text(encoding="utf-8"))
    tables: dict[str, Published] = {}
    for resource in package.get("resources", []):
        path, schema = resource.get("path"), resource.get("schema", {})
        keys = tuple(schema.get("primaryKey") or ())
        if not isinstance(path, str) or not keys or not (folder / path).exists():
            continue
        types = {f["name"]: f.get("type", "string") for f in schema.get("fields", [])}
        with (folder / path).open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = {key_text(keys, row): row for row in reader}
        tables[path] = Published(keys, types, rows)
    return tables


def key_text(keys: Iterable[str], row: dict[str, str]) -> str:
    """`project_code=PUMPURS; municipality=ALL; …`: readable, and one text per row of a file."""
    return "; ".join(f"{k}={row.get(k) or ''}" for k in keys)


# --- comparing ------------------------------------------------------------------------------------


def compare(old_dir: Path, new_dir: Path) -> tuple[list[Change], ChangeSummary]:
    """Every published cell of `new_dir` that differs from `old_dir`, and the summary."""
    old, new = read_package(old_dir), read_package(new_dir)
    summary = ChangeSummary(previous_run=old_dir.name, run=new_dir.name)
    summary.files_not_compared = sorted(set(old) ^ set(new))
    changes: list[Change] = []
    largest: tuple[float, Change] | None = None
    for path in sorted(set(old) & set(new)):
        before, after = old[path], new[path]
        if before.keys != after.keys:
            summary.files_not_compared.append(path)
            continue
        summary.files_compared += 1
        columns = [c for c in after.types if c not in after.keys]
        for key in sorted(set(before.rows) | set(after.rows)):
            if key not in before.rows:
                changes.append(Change(path, key, WHOLE_ROW, ABSENT, PRESENT))
                summary.rows_added += 1
                continue
            if key not in after.rows:
                changes.append(Change(path, key, WHOLE_ROW, PRESENT, ABSENT))
                summary.rows_removed += 1
                continue
            for column in columns:
                was, now = before.rows[key].get(column, ""), after.rows[key].get(column, "")
                if was == now:
                    continue
                change = Change(path, key, column, was, now)
                changes.append(change)
                summary.cells_changed += 1
                size = numeric_distance(was, now) if after.types.get(column) in NUMERIC else None
                if size is not None and (largest is None or size > largest[0]):
                    largest = (size, change)
    if largest is not None:
        summary.largest = asdict(largest[1])
    return changes, summary


def numeric_distance(old: str, new: str) -> float | None:
    """How far a published number moved; None when either side is withheld or not a number."""
    try:
        a, b = float(old), float(new)
    except ValueError:
        return None
    return abs(b - a) if math.isfinite(a) and math.isfinite(b) else None


def changes_csv(changes: list[Change], text_columns: dict[str, set[str]] | None = None) -> bytes:
    """The file: every text cell (file, key, and old/new of text columns) made spreadsheet-safe;
    a published number stays a number (`-0.30`, never `'-0.30`)."""
    text_columns = text_columns or {}
    rows = [
        (c.file, c.key, c.column, c.old, c.new, c.column == WHOLE_ROW or c.column in text_columns.get(c.file, set()))
        for c in changes
    ]
    frame = pl.DataFrame(rows, schema={**dict.fromkeys(COLUMNS, pl.String), "is_text": pl.Boolean}, orient="row")
    safe = safe_text_columns(frame, ["file", "key", "column", "old", "new"])
    frame = safe.with_columns(
        [pl.when(pl.col("is_text")).then(safe[c]).otherwise(frame[c]).alias(c) for c in ("old", "new")]
    ).drop("is_text")
    buffer = io.BytesIO()
    frame.write_csv(buffer, line_terminator="\n")
    return buffer.getvalue()


def text_columns_of(folder: Path) -> dict[str, set[str]]:
    return {path: {c for c, t in p.types.items() if t not in NUMERIC} for path, p in read_package(folder).items()}


# --- the run's record ------------------------------------------------------------------------------


def kept_runs(history_dir: Path, run_id: str) -> list[Path]:
    """The kept runs up to and including `run_id`, oldest first (run ids sort by time)."""
    if not history_dir.is_dir():
        return []
    return sorted(p for p in history_dir.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name <= run_id)


def earlier_runs(history_dir: Path, run_id: str) -> list[Path]:
    """The kept runs before `run_id`, oldest first."""
    return [p for p in kept_runs(history_dir, run_id) if p.name < run_id]


def previous_run(history_dir: Path, run_id: str) -> Path | None:
    """The latest kept run before `run_id`."""
    earlier = earlier_runs(history_dir, run_id)
    return earlier[-1] if earlier else None


def keep(exports_dir: Path, history_dir: Path, run_id: str) -> Path:
    """Copy this run's exports (not changes.csv) to `history/<run_id>/`, whole or not at all."""
    target = history_dir / run_id
    tmp = history_dir / f".{run_id}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for path in sorted(exports_dir.iterdir()):
        if path.is_file() and path.name != CHANGES_NAME and not path.name.startswith("."):
            shutil.copy2(path, tmp / path.name)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def record_exports(exports_dir: Path, history_dir: Path, run_id: str) -> ChangeSummary:
    """Keep this run's exports and write `exports/changes.csv` against the previous run's."""
    previous = previous_run(history_dir, run_id)
    current = keep(exports_dir, history_dir, run_id)
    if previous is None:
        changes, summary = [], ChangeSummary(previous_run=None, run=run_id)
    else:
        changes, summary = compare(previous, current)
    data = changes_csv(changes, text_columns_of(current))
    tmp = exports_dir / f".{CHANGES_NAME}.{os.getpid()}.tmp"
    tmp.write_bytes(data)
    tmp.replace(exports_dir / CHANGES_NAME)
    return summary


def latest_kept(history_dir: Path, run_id: str) -> Path | None:
    """The exports of `run_id` as kept, or (a report run on its own) the latest kept run before it."""
    kept = kept_runs(history_dir, run_id)
    return kept[-1] if kept else None


def latest_changes(history_dir: Path, run_id: str) -> tuple[list[Change], ChangeSummary] | None:
    """What changed in the exports of `run_id` since the kept run before it, for the index report; when
    `run_id` kept no exports (a report run on its own), the latest kept run up to it. None: none kept."""
    kept = kept_runs(history_dir, run_id)
    if not kept:
        return None
    if len(kept) == 1:
        return [], ChangeSummary(previous_run=None, run=kept[-1].name)
    return compare(kept[-2], kept[-1])


def by_file(changes: list[Change]) -> dict[str, tuple[int, int, int]]:
    """Per published file: cells changed, rows added, rows removed."""
    out: dict[str, list[int]] = {}
    for c in changes:
        counts = out.setdefault(c.file, [0, 0, 0])
        if c.column != WHOLE_ROW:
            counts[0] += 1
        elif c.new == ABSENT:
            counts[2] += 1
        else:
            counts[1] += 1
    return {name: (a, b, r) for name, (a, b, r) in sorted(out.items())}


def diff_runs(history_dir: Path, run_a: str, run_b: str) -> tuple[list[Change], ChangeSummary]:
    """`atbalsts diff A B`: the same comparison for any two kept runs."""
    for run in (run_a, run_b):
        if not (history_dir / run).is_dir():
            kept = sorted(p.name for p in history_dir.iterdir() if p.is_dir()) if history_dir.is_dir() else []
            raise UserError(
                f"Palaišana {run} nav saglabāta mapē {history_dir}. / Run {run} is not kept in {history_dir}. "
                f"({', '.join(kept[-5:]) or '—'})"
            )
    return compare(history_dir / run_a, history_dir / run_b)
