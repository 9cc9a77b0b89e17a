"""The simulated world's clean frames as a warehouse with `core.*` tables, skipping ingest.

The evaluation's tests and the interval-coverage benchmark both need the truth without the
messy files in between; this is the one place that maps simulation frames to core tables.
"""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.warehouse import SCHEMAS

CORE_COLUMNS = {
    "schools": ["school_id", "school_name", "municipality"],
    "pupils": ["pupil_id", "school_id", "school_year", "grade_level", "gender", "left_on", "leaving_reason"],
    "plans": ["pupil_id", "school_id", "plan_start", "plan_end", "project_code"],
    "consultations": [
        "date", "school_year", "semester", "pupil_id", "school_id", "municipality", "staff_id", "staff_role",
        "subject", "minutes", "mode", "group_size", "project_code",
    ],
    "grades": [
        "date", "school_year", "semester", "pupil_id", "school_id", "municipality", "subject", "grade_kind",
        "grade_score", "grade_percent", "assessment_type",
    ],
}  # fmt: skip


def core_connection(frames: dict[str, pl.DataFrame]) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with core.* tables made from the given frames (no personal columns)."""
    con = duckdb.connect()
    for schema in SCHEMAS:
        con.execute(f"create schema if not exists {schema}")
    municipality = frames["schools"].select("school_id", "municipality")
    for name, columns in CORE_COLUMNS.items():
        frame = frames[name]
        if name in ("consultations", "grades") and "municipality" not in frame.columns:
            frame = frame.join(municipality, on="school_id", how="left")
        con.register("_f", frame.select(columns).to_arrow())
        con.execute(f"create table core.{name} as select * from _f")
        con.unregister("_f")
    return con


def simulation_frames(sim: object) -> dict[str, pl.DataFrame]:
    return {name: getattr(sim, name) for name in CORE_COLUMNS}
