"""marts.support_cube (sql/support_cube.sql) written out as its 32 grouping sets gives exactly what
DuckDB's GROUP BY CUBE gave (the query it replaced for speed, kept here as the reference)."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import polars as pl

from pipelines.evaluate.stage import SQL_DIR
from pipelines.warehouse import load_sql

# The cube as it was: grouping() flags mark the margins; the rest of support_cube.sql is unchanged.
REFERENCE_CUBE = """
cube as (
    select
        breakdown, project_code, municipality, school_year, semester, level,
        grouping(project_code) as all_project,
        grouping(municipality) as all_municipality,
        grouping(school_year) as all_school_year,
        grouping(semester) as all_semester,
        grouping(level) as all_level,
        count(distinct pupil_id) as n_pupils_supported,
        count(*) as n_consultations,
        coalesce(sum(minutes), 0) / 60.0 as consultation_hours,
        coalesce(sum(minutes) filter (where mode = 'remote'), 0) / 60.0 as hours_remote,
        count(distinct staff_id) as n_staff,
        count(distinct school_id) as n_schools,
        count(*) filter (where mode = 'remote') / nullif(count(mode), 0) as share_remote
    from by_breakdown
    group by breakdown, cube (project_code, municipality, school_year, semester, level)
),

final as (
    select
        breakdown,
        case when all_project = 1 then 'ALL' else project_code end as project_code,
        case when all_municipality = 1 then 'ALL' else municipality end as municipality,
        case when all_school_year = 1 then 'ALL' else school_year end as school_year,
        case when all_semester = 1 then 'ALL' else semester end as semester,
        case when all_level = 1 then 'ALL' else level end as level,
        n_pupils_supported, n_consultations, consultation_hours, hours_remote, n_staff, n_schools, share_remote
    from cube
)

select * from final
"""


def reference_sql() -> str:
    text = load_sql(SQL_DIR, "support_cube")
    return text[: text.index("margins as (")] + REFERENCE_CUBE


def consultations(con: duckdb.DuckDBPyConnection, n: int = 600, seed: int = 3) -> None:
    """Keys with nulls, a project literally called 'ALL', unknown subjects, missing staff and mode;
    minutes in half-minutes so every sum is exact whatever order it is added in."""
    rng = np.random.default_rng(seed)

    def pick(values: list, size: int = n) -> list:
        return [values[i] for i in rng.integers(0, len(values), size)]

    con.execute("create schema core")
    frame = pl.DataFrame(
        {
            "date": [date(2025, 1, 10)] * n,
            "school_year": pick(["2024/2025", "2025/2026", None]),
            "semester": pick([1, 2, None]),
            "pupil_id": pick([f"p{i}" for i in range(40)]),
            "school_id": pick(["s1", "s2", "s3"]),
            "municipality": pick(["Rīga", "Cēsis", None]),
            "staff_id": pick(["t1", "t2", "t3", "t4", None]),
            "staff_role": pick(["teacher", "psychologist", None]),
            "subject": pick(["math", "latvian", "~Šahs", None]),
            "minutes": (rng.integers(0, 180, n) / 2).tolist(),
            "mode": pick(["in_person", "remote", None]),
            "project_code": pick(["8.3.4.0/16/I/001", "ALL", None]),
        },
        schema_overrides={"semester": pl.Int32},
    )
    con.register("consultation_rows", frame.to_arrow())
    con.execute("create table core.consultations as select * from consultation_rows")


def test_support_cube_equals_group_by_cube() -> None:
    con = duckdb.connect(config={"threads": 1})  # the reference cube's ~130 aggregates start faster on one
    consultations(con)
    con.execute(f"create table new as {load_sql(SQL_DIR, 'support_cube')}")
    con.execute(f"create table old as {reference_sql()}")
    assert con.execute("select count(*) from old").fetchone()[0] > 1000
    n_old = con.execute("select count(*) from old").fetchone()[0]
    assert con.execute("select count(*) from new").fetchone()[0] == n_old
    for a, b in (("old", "new"), ("new", "old")):  # exact: the doubles too
        assert con.execute(f"select count(*) from (from {a} except all from {b})").fetchone()[0] == 0
    assert con.execute("describe new").fetchall() == con.execute("describe old").fetchall()
