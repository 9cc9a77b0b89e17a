"""Opening the DuckDB warehouse the same way everywhere."""

from __future__ import annotations

from pathlib import Path

import duckdb

SCHEMAS = ("meta", "staging", "quarantine", "validation", "core", "marts")


def connect(path: Path, *, read_only: bool = False, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with the progress bar off (it would garble the analyst's console)."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET enable_progress_bar = false")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    if not read_only:
        for schema in SCHEMAS:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    return con


SCHEMA_SQL = Path(__file__).with_name("schema.sql")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the shared tables (idempotent)."""
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
