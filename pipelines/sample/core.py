"""The simulated world's clean frames as a warehouse with `core.*` tables, skipping ingest.

The evaluation's tests and the interval-coverage benchmark both need the truth without the
messy files in between; this is the one place that maps simulation frames to core tables.
"""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.contract import install_sql_macros
from pipelines.warehouse import SCHEMAS

CORE_COLUMNS = {
    "schools": ["school_id", "school_name", "municipality"],
    "pupils": [
        "source_file", "source_line", "pupil_id", "school_id", "school_year", "class_raw", "grade_level", "gender",
        "left_on", "leaving_reason", "course_year",
    ],
    "plans": [
        "source_file", "source_line", "pupil_id", "school_id", "plan_start", "plan_end", "project_code", "risk_factors",
    ],
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
    install_sql_macros(con)  # as warehouse.connect: core SQL (attendance_monthly) uses the school-year rule
    for schema in SCHEMAS:
        con.execute(f"create schema if not exists {schema}")
    municipality = frames["schools"].select("school_id", "municipality")
    for name, columns in CORE_COLUMNS.items():
        frame = frames[name]
        if name == "pupils" and "course_year" not in frame.columns:  # the sample's schools teach grades
            frame = frame.with_columns(pl.lit(None, dtype=pl.Int32).alias("course_year"))
        if name == "plans" and "source_file" not in frame.columns:  # no lineage: each plan counts for its school
            frame = frame.with_columns(
                pl.lit(None, dtype=pl.String).alias("source_file"), pl.lit(None, dtype=pl.Int32).alias("source_line")
            )
        if name in ("consultations", "grades") and "municipality" not in frame.columns:
            frame = frame.join(municipality, on="school_id", how="left")
        con.register("_f", frame.select(columns).to_arrow())
        con.execute(f"create table core.{name} as select * from _f")
        con.unregister("_f")
    return con


def simulation_frames(sim: object) -> dict[str, pl.DataFrame]:
    """The frames as core tables hold them: a roster line per pupil (`<school>/roster_<year>.csv`, line 2
    on, as if each school sent one roster a year), a plans line per plan (`<school>/plans.csv`) and the
    plans' risk factors as codes."""
    from pipelines.ingest.values import risk_factor_codes

    frames = {name: getattr(sim, name) for name in CORE_COLUMNS}
    frames["pupils"] = frames["pupils"].with_columns(
        pl.format("{}/roster_{}.csv", "school_id", pl.col("school_year").str.replace("/", "-")).alias("source_file"),
        (pl.int_range(pl.len()).over("school_id", "school_year") + 2).cast(pl.Int32).alias("source_line"),
    )
    frames["plans"] = frames["plans"].with_columns(
        pl.col("risk_factors").map_elements(risk_factor_codes, return_dtype=pl.String),
        pl.format("{}/plans.csv", "school_id").alias("source_file"),
        (pl.int_range(pl.len()).over("school_id") + 2).cast(pl.Int32).alias("source_line"),
    )
    return frames
