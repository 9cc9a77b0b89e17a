"""Transform: validated staging rows become the de-duplicated `core` tables.

Each core table is rebuilt from staging in one transaction, so the result depends only on
what is in staging and quarantine now: re-running it, or running it after an interrupted
run, gives the same tables.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.warehouse import ensure_schema

SQL_DIR = Path(__file__).with_name("sql")
# Order matters: consultations and grades take the municipality from core.schools.
CORE_TABLES: tuple[str, ...] = ("schools", "pupils", "plans", "consultations", "grades")


def core_sql(table: str) -> str:
    return (SQL_DIR / f"{table}.sql").read_text(encoding="utf-8")


def run_transform(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rebuild every core table; returns row counts per table."""
    ensure_schema(con)
    counts: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        for table in CORE_TABLES:
            con.execute(f"create or replace table core.{table} as {core_sql(table)}")
            counts[table] = con.execute(f"select count(*) from core.{table}").fetchall()[0][0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return counts
