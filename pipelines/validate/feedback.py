"""Per-school feedback CSVs: what each school should fix in its next export.

Format chosen for Latvian Excel: UTF-8 with a BOM (so Excel reads ā, č, ņ correctly) and `;` as
separator (Latvian Windows uses `,` as the decimal mark, so Excel expects `;` between fields).
A text cell that Excel would run as a formula (a value or file name starting with `=`, `+`, `-`,
`@`, a tab or a carriage return) is written with a leading `'` (pipelines/csv_text.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import polars as pl

from pipelines.csv_text import safe_text_columns
from pipelines.personal_code import code_shape, looks_like_code
from pipelines.validate.suites import MASKED_COLUMNS
from pipelines.warehouse import load_sql

SQL_DIR = Path(__file__).with_name("sql")
FEEDBACK_COLUMNS = ("file", "line", "column", "value", "severity", "reason_code", "message_lv", "message_en")
UNKNOWN_SCHOOL_FILE = "_unknown_school"
SAFE_NAME = re.compile(r"[0-9A-Za-z_-]{1,64}")


def write_feedback(con: duckdb.DuckDBPyConnection, feedback_dir: Path) -> list[Path]:
    """One CSV per registry school (header only when there is nothing to fix, so a school can tell
    "no problems" from "no feedback"), one per other school a problem goes to, and one for rows
    of no known school. A problem goes to the school that delivered its file (feedback.sql), so no
    school sees another school's rows. CSVs left from earlier runs for schools no longer present
    are removed."""
    params = {"masked_columns": sorted(MASKED_COLUMNS), "code_shape": code_shape("re2")}
    issues = con.sql(load_sql(SQL_DIR, "feedback"), params=params).pl()
    registry = [r[0] for r in con.execute("select distinct school_id from staging.schools").fetchall()]
    files = feedback_by_file(issues, registry)

    feedback_dir = Path(feedback_dir)
    feedback_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in sorted(files.items()):
        path = feedback_dir / f"{name}.csv"
        safe_text_columns(frame).write_csv(path, separator=";", include_bom=True)
        written.append(path)
    for stale in feedback_dir.glob("*.csv"):
        if stale not in written:
            stale.unlink()
    return written


def feedback_by_file(issues: pl.DataFrame, registry: list[str | None]) -> dict[str, pl.DataFrame]:
    """File stem -> that school's rows, in FEEDBACK_COLUMNS order and the order the SQL sorted."""
    keyed = issues.with_columns(
        pl.col("school_id").map_elements(file_stem, return_dtype=pl.String).fill_null(UNKNOWN_SCHOOL_FILE).alias("stem")
    )
    out = {file_stem(s): keyed.clear().select(FEEDBACK_COLUMNS) for s in registry if s is not None}
    for (stem,), frame in keyed.group_by("stem", maintain_order=True):
        out[str(stem)] = frame.select(FEEDBACK_COLUMNS)
    return out


def file_stem(school_id: str | None) -> str:
    """A school id as a file name; anything that is not a plain code (or looks like a personal
    code: ingest stores such an id as `***`, this is a second guard) goes to the no-school file."""
    if school_id is None or not SAFE_NAME.fullmatch(school_id) or looks_like_code(school_id):
        return UNKNOWN_SCHOOL_FILE
    return school_id
