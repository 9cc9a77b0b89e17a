"""Stage stamps: small deterministic files that let DVC see what a stage changed.

Every stage writes into the one warehouse, which DVC cannot track per stage. So each stage
writes `stages/<stage>.json` with the row count and an order-independent checksum of the
tables it owns. Same content → same stamp → DVC skips the stages downstream.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from pipelines.stages import BY_NAME, STAGES

# The tables each stage owns, from the registry (pipelines/stages.py); `schema.*` is found at run time.
STAGE_TABLES: dict[str, tuple[str, ...]] = {
    stage.name: tuple(t for t in stage.owns if not t.endswith(".*")) for stage in STAGES if stage.owns
}
# Columns that record when or by which run something happened: not content.
VOLATILE_COLUMNS = frozenset({"ingested_at", "run_id", "status", "file_size", "file_mtime_ns"})


def existing_tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    rows = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema = ? order by table_name",
        [schema],
    ).fetchall()
    return [r[0] for r in rows]


def table_checksum(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, int | str]:
    """Row count and an order-independent content checksum (sum of row hashes)."""
    schema, name = table.split(".")
    columns = [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [schema, name],
        ).fetchall()
        if r[0] not in VOLATILE_COLUMNS
    ]
    if not columns:
        return {"rows": 0, "checksum": "0"}
    cols = ", ".join(f'"{c}"' for c in columns)
    rows, checksum = con.execute(
        f"select count(*), coalesce(sum(hash(struct_pack({cols})))::hugeint, 0) from {table}"
    ).fetchall()[0]
    return {"rows": int(rows), "checksum": str(checksum)}


def stage_tables(con: duckdb.DuckDBPyConnection, stage: str) -> tuple[str, ...]:
    tables: list[str] = []
    for table in BY_NAME[stage].owns if stage in BY_NAME else ():
        schema, name = table.split(".")
        tables += existing_tables(con, schema) if name == "*" else [table]
    return tuple(tables)


def write_stamp(con: duckdb.DuckDBPyConnection, stamps_dir: Path, stage: str) -> Path | None:
    tables = stage_tables(con, stage)
    if not tables:
        return None
    content = {t: table_checksum(con, t) for t in tables}
    stamps_dir.mkdir(parents=True, exist_ok=True)
    path = stamps_dir / f"{stage}.json"
    text = json.dumps(content, indent=2, sort_keys=True) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return path
