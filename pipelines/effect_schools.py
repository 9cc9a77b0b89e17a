"""Whose supported pupils make up each cell of the effect estimates: one lookup for export and report.

`effectiveness.csv` (export) and the reports' sample flow (report) publish counts per project ×
municipality × subject × school year. Where one school's supported pupils alone make up a cell, that school
knows the cell, so the respondent rule (pipelines/disclosure.py `protect_column(owner=)`) must treat it as a
reader who does. Both stages ask the same question of the same marts, so the SQL (effect_schools.sql) and the
matching of its rows onto a table's keys live here once.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.disclosure_audit import SOLE_SCHOOL
from pipelines.warehouse import load_sql, table_or_empty

EFFECT_KEYS = ("project_code", "municipality", "subject", "school_year")
_SOURCES = {"episodes": "episodes", "sample": "evaluation_sample"}
_COLUMNS = "project_code varchar, municipality varchar, school_year varchar, subject varchar, school_id varchar"
_EMPTY_COLUMNS = {"episodes": _COLUMNS, "sample": f"{_COLUMNS}, treated boolean"}  # what the SQL reads
_NULL = "\x00null"  # a key value no real key takes, so a null key matches a null key and nothing else


def _key_tuples(frame: pd.DataFrame, keys: list[str]) -> list[tuple[str, ...]]:
    text = frame[keys].astype(object).where(frame[keys].notna(), _NULL).astype(str)
    return list(text.itertuples(index=False, name=None))


def effect_schools(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, fixed: dict[str, str] | None = None
) -> np.ndarray:
    """Per row of `frame` (keys: EFFECT_KEYS, or some of them with the others `fixed`, e.g. the flow's
    project and subject 'ALL'): the one school whose supported pupils make up the cell, None where several
    do, or where no pupil row is kept (a mart a warehouse lacks counts as empty). Keys are matched as
    stored, nulls included (a null municipality matches the null margin row, never a named one)."""
    sources = {name: table_or_empty(con, "marts", table, _EMPTY_COLUMNS[name]) for name, table in _SOURCES.items()}
    sole = con.execute(load_sql(Path(__file__).parent, "effect_schools", fragments=sources)).df()
    for key, value in (fixed or {}).items():
        sole = sole[sole[key] == value]
    keys = [c for c in EFFECT_KEYS if c in frame.columns]
    by_key = dict(zip(_key_tuples(sole, keys), sole[SOLE_SCHOOL], strict=True))
    owners = (by_key.get(row) for row in _key_tuples(frame, keys))
    return np.array([None if owner is None or pd.isna(owner) else owner for owner in owners], dtype=object)
