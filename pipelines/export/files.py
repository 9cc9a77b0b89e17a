"""Turning protected tables into file contents (bytes) and writing them atomically.

Contents are built in memory first so that the manifest can hash exactly what is written, and
each file is written to a temporary name and renamed: a killed run never leaves half a CSV.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import xlsxwriter

from pipelines.csv_text import safe_text_columns

from .tables import TableSpec

# Fixed so the workbook is byte-identical from run to run (xlsxwriter already fixes zip timestamps).
WORKBOOK_PROPERTIES = {
    "title": "Skolu atbalsta programmas / School-support programmes",
    "author": "atbalsts",
    "company": "",
    "created": datetime(2024, 1, 1),
}


def format_value(value: Any, type_: str, decimals: int | None) -> str:
    """One CSV cell: dot decimals with fixed places, `true`/`false`, empty for missing."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if type_ == "integer":
        return str(int(value))
    if type_ == "number":
        text = f"{float(value):.{decimals}f}" if decimals is not None else repr(float(value))
        return text.lstrip("-") if float(text) == 0 else text  # no "-0.00"
    if type_ == "boolean":
        return "true" if bool(value) else "false"
    return str(value)


def formatted_rows(frame: pd.DataFrame, spec: TableSpec) -> list[list[str]]:
    """All rows as strings in the spec's column order (rounding happens here, once)."""
    columns = [frame[c.name].tolist() for c in spec.columns]
    return [
        [format_value(v, c.type, c.decimals) for v, c in zip(row, spec.columns, strict=True)]
        for row in zip(*columns, strict=True)
    ]


def csv_bytes(rows: list[list[str]], spec: TableSpec) -> bytes:
    """The CSV file. Text cells that a spreadsheet would run as a formula get a leading `'`; a cell
    with a comma, quote or line break (a lone carriage return too) is quoted."""
    cells = [[v or None for v in row] for row in rows]  # an empty cell is written as nothing, not ""
    frame = pl.DataFrame(cells, schema=dict.fromkeys(spec.column_names, pl.String), orient="row")
    text = [c.name for c in spec.columns if c.type == "string"]
    return safe_text_columns(frame, text).write_csv(line_terminator="\n").encode("utf-8")


def xlsx_bytes(tables: Mapping[str, tuple[TableSpec, list[list[str]]]]) -> bytes:
    """The same tables as one workbook, one sheet per table, numbers as numbers.

    Text goes in with `write_string`, a text cell that Excel never evaluates, so it needs no `'`."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    workbook.set_properties(WORKBOOK_PROPERTIES)
    bold = workbook.add_format({"bold": True})
    for name, (spec, rows) in tables.items():
        sheet = workbook.add_worksheet(name[:31])
        sheet.write_row(0, 0, spec.column_names, bold)
        sheet.freeze_panes(1, 0)
        for r, row in enumerate(rows, start=1):
            for c, (text, column) in enumerate(zip(row, spec.columns, strict=True)):
                if text == "":
                    continue
                if column.type in ("integer", "number"):
                    sheet.write_number(r, c, float(text))
                elif column.type == "boolean":
                    sheet.write_boolean(r, c, text == "true")
                else:
                    sheet.write_string(r, c, text)
    workbook.close()
    return buffer.getvalue()


def json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def manifest(contents: Mapping[str, bytes], rows: Mapping[str, int], run_id: str, k: int) -> dict[str, Any]:
    """Row counts and SHA-256 of each file, and the run they came from; nothing else varies."""
    return {
        "run_id": run_id,
        "k": k,
        "files": [
            {
                "path": name,
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                **({"rows": rows[name]} if name in rows else {}),
            }
            for name, data in sorted(contents.items())
        ],
    }


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, flush to disk, then rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
