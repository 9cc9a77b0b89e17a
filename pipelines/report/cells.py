"""The reports' own published cells, kept per run (`report_history/<run_id>/`), so next month's reports
can apply the month-to-month rule to tables the export does not publish.

Why: an evaluator keeps May's and June's reports and subtracts them. The export's month-to-month rule
(pipelines/disclosure_time.py) covers only the cells of its files; the plans by school, the
in-person/remote split and the sample flow's first steps exist only in the reports, so a school's plans
going 20 → 21 would show that one pupil got a plan there, and the remote pupils 22 → 23 with their hours
that pupil's remote hours.

The record is written like the export's kept files (a CSV per table and a `datapackage.json` naming each
primary key, read back by pipelines/changes.py `read_package`): every cell as the reports show it, a
withheld cell blank. It is written before the notebooks run and they start from its blanks, so every
report of the run withholds the same cells. It holds nothing the reports do not publish, but for the
figures a shown figure gives (a staying share's leavers) and the event study's step counts (its means
are shown: the count is what makes a mean a sum, and what the rule keys on).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class RecordTable:
    """One kept table: its file, primary key and the figures kept (blank where withheld)."""

    file: str
    keys: tuple[str, ...]
    columns: tuple[str, ...]


DECIMALS = 1  # the finest the reports show a figure that is not a count (hours: 0.1)


def cell_text(value: object) -> str:
    """A number as text, as precise as the reports show it: whole numbers without a decimal point,
    others rounded to DECIMALS (the record must hold nothing finer than what is published);
    blank when withheld or missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return ""
    number = round(float(value), DECIMALS)  # type: ignore[arg-type]
    return str(int(number)) if number.is_integer() else f"{number:.{DECIMALS}f}"


def key_values(frame: pd.DataFrame, keys: Sequence[str]) -> list[tuple[str, ...]]:
    """Each row's key as the record spells it."""
    return [tuple(str(v) for v in row) for row in frame[list(keys)].itertuples(index=False, name=None)]


def write_record(folder: Path, tables: Mapping[RecordTable, pd.DataFrame]) -> Path:
    """Write every table and the descriptor into `folder`, whole or not at all."""
    tmp = folder.parent / f".{folder.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    resources = []
    for table, frame in tables.items():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([*table.keys, *table.columns])
        for keys, values in zip(
            key_values(frame, table.keys), frame[list(table.columns)].itertuples(index=False, name=None), strict=True
        ):
            writer.writerow([*keys, *(cell_text(v) for v in values)])
        (tmp / table.file).write_text(buffer.getvalue(), encoding="utf-8")
        fields = [{"name": k, "type": "string"} for k in table.keys]
        fields += [{"name": c, "type": "number"} for c in table.columns]
        resources.append({"path": table.file, "schema": {"fields": fields, "primaryKey": list(table.keys)}})
    descriptor = {"name": "atbalsts-report-cells", "resources": resources}
    (tmp / "datapackage.json").write_text(json.dumps(descriptor, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder
