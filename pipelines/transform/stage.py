"""Transform: validated staging rows become the de-duplicated `core` tables.

The core tables are brought up to date in one transaction, so the result depends only on
what is in staging and quarantine now: re-running it, or running it after an interrupted
run, gives the same tables.

The small tables (schools, pupils, plans) are rebuilt whole. core.consultations and core.grades
(tens of millions of rows at national scale) are rebuilt only for the row_keys whose validated
staging rows may have changed since the last transform: keys of rows in files that changed
version or went away, and keys of rows whose quarantine by validation changed (see
sql/keys_to_rebuild.sql). Every other key has the same validated rows as before, so its row
(the earliest file/line) is the same. They are rebuilt whole when the SQL or the school →
municipality mapping changed, when there is no record of the last transform, or on request.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import duckdb

from pipelines.config import TransformSettings
from pipelines.warehouse import ensure_schema, load_sql, scalar, table_exists, transaction

log = logging.getLogger("atbalsts.transform")

SQL_DIR = Path(__file__).with_name("sql")
# Order matters: consultations and grades take the municipality from core.schools.
CORE_TABLES: tuple[str, ...] = (
    "schools",
    "pupils",
    "plans",
    "consultations",
    "grades",
    "activities",
    "activity_participants",  # after activities: it reads core.activities
    "financial_support",
    "costs",
)
# Built whole after the core tables, in this order (each reads the one before and core.pupils).
ATTENDANCE_TABLES: tuple[str, ...] = ("attendance", "attendance_monthly", "unexcused_semester")
# Rebuilt by key: their SQL reads sql/validated_rows.sql, which has a `{scope}` for the rows to read.
KEYED_TABLES: tuple[str, ...] = ("consultations", "grades")
# Small tables rebuilt whole from validated_rows.sql (each row_key once): table -> its staging table.
DEDUPLICATED_TABLES: dict[str, str] = {
    "activities": "activities",
    "activity_participants": "activities",
    "financial_support": "financial_support",
    "costs": "costs",
}
WHOLE = "true"
BY_KEY = "s.row_key in (select row_key from transform_keys)"
# core.marks_by_school (evaluate's baseline marks, counted) is kept with core.grades: rebuilt whole with
# it, else only for the pupil × subject × semester groups of the rebuilt keys.
MARK_GROUP_COLUMNS = ("pupil_id", "subject", "school_year", "semester")
# Columns stored without compression. core.grades' row_key is a random 66-character text, one per
# mark: DuckDB's dictionary/FSST compression shrinks it only from ~85 to ~44 bytes a key on disk and
# costs ~0.8 CPU µs a key, a quarter of a whole transform (BENCHMARKS.md, issue 18, "Transform").
UNCOMPRESSED: dict[str, tuple[str, ...]] = {"grades": ("row_key",)}
BY_GROUP = "exists (select 1 from transform_mark_groups k where {})".format(
    " and ".join(f"k.{c} is not distinct from g.{c}" for c in MARK_GROUP_COLUMNS)
)


def core_sql(table: str, scope: str = WHOLE) -> str:
    """The SELECT that builds core.<table>; for a keyed table, over the staging rows in `scope`."""
    text = load_sql(SQL_DIR, table)
    if table in DEDUPLICATED_TABLES:
        rows = load_sql(SQL_DIR, "validated_rows", table=DEDUPLICATED_TABLES[table], fragments={"scope": WHOLE})
        return load_sql(SQL_DIR, table, fragments={"validated_rows": rows})
    if table not in KEYED_TABLES:
        return text
    rows = load_sql(SQL_DIR, "validated_rows", table=table, fragments={"scope": scope})
    return load_sql(SQL_DIR, table, fragments={"validated_rows": rows})


def run_transform(
    con: duckdb.DuckDBPyConnection, settings: TransformSettings | None = None, *, incremental: bool = True
) -> dict[str, int | str]:
    """Bring every core table up to date; returns row counts per table, and either
    `rebuilt: "all"` or how many keys of the keyed tables were rebuilt (`rebuilt_keys`).

    `incremental=False` rebuilds everything (same tables, only slower)."""
    settings = settings or TransformSettings()
    ensure_schema(con)
    con.execute(load_sql(SQL_DIR, "state"))
    counts: dict[str, int | str] = {}
    try:
        with transaction(con):
            for table in CORE_TABLES:
                if table not in KEYED_TABLES:
                    create_table(con, table, core_sql(table))
            now = fingerprint(con)
            whole = (
                not incremental
                or not all(table_exists(con, "core", t) for t in KEYED_TABLES)
                or last_fingerprint(con) != now
            )
            con.execute(load_sql(SQL_DIR, "changes"))
            con.execute("create or replace temp table transform_mark_groups as " + mark_groups_schema())
            rebuilt = 0
            for table in KEYED_TABLES:
                if whole:
                    create_table(con, table, core_sql(table))
                else:
                    rebuilt += rebuild_keys(con, table)
            update_marks_by_school(con, whole=whole or not table_exists(con, "core", "marks_by_school"))
            save_state(con, now)
            for table in ATTENDANCE_TABLES:
                build_attendance(con, table, settings)
            for table in (*CORE_TABLES, *ATTENDANCE_TABLES):
                counts[table] = scalar(con, f"select count(*) from core.{table}")
            counts.update({"rebuilt": "all"} if whole else {"rebuilt_keys": rebuilt})
    finally:
        for temp in ("transform_files", "transform_changed_files", "transform_quarantine",
                     "transform_changed_lines", "transform_keys", "transform_mark_groups"):  # fmt: skip
            con.execute(f"drop table if exists {temp}")
    log.info("transform: %s", counts)
    return counts


def create_table(con: duckdb.DuckDBPyConnection, table: str, sql: str) -> None:
    """core.<table> replaced by the rows of `sql`, its UNCOMPRESSED columns stored as such (the
    column types are the query's, as `create table as` would make them)."""
    plain = UNCOMPRESSED.get(table, ())
    if not plain:
        con.execute(f"create or replace table core.{table} as {sql}")
        return
    columns = ", ".join(
        f'"{name}" {kind}' + (" using compression uncompressed" if name in plain else "")
        for name, kind, *_ in con.execute(f"describe {sql}").fetchall()
    )
    con.execute(f"create or replace table core.{table} ({columns})")
    con.execute(f"insert into core.{table} {sql}")


def build_attendance(con: duckdb.DuckDBPyConnection, table: str, settings: TransformSettings) -> None:
    """core.<table> rebuilt whole: attendance is a few rows per pupil and month, small at any scale."""
    sql = f"create or replace table core.{table} as {load_sql(SQL_DIR, table)}"
    parameters = {"threshold": settings.unexcused_semester_threshold} if "$threshold" in sql else None
    con.execute(sql, parameters)


def rebuild_keys(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Replace the rows of the keys that may have changed; returns how many keys that was."""
    con.execute(load_sql(SQL_DIR, "keys_to_rebuild", table=table))
    n_keys = scalar(con, "select count(*) from transform_keys")
    if n_keys:
        delete = f"delete from core.{table} where row_key in (select row_key from transform_keys)"
        if table == "grades":  # the old rows' groups, from the delete
            delete = load_sql(SQL_DIR, "deleted_mark_groups", fragments={"delete": delete})
        con.execute(delete)
        con.execute(f"insert into core.{table} {core_sql(table, BY_KEY)}")
        if table == "grades":  # and the new rows'
            con.execute(load_sql(SQL_DIR, "mark_groups"))
    return n_keys


def mark_groups_schema() -> str:
    """An empty transform_mark_groups (core.grades' types of the group columns)."""
    return (
        "select null::varchar as pupil_id, null::varchar as subject, null::varchar as school_year, "
        "null::integer as semester limit 0"
    )


def update_marks_by_school(con: duckdb.DuckDBPyConnection, *, whole: bool) -> None:
    """core.marks_by_school rebuilt whole, or recounted for the groups in transform_mark_groups:
    the same table either way (tests/transform: increment against rebuild)."""
    if whole:
        sql = load_sql(SQL_DIR, "marks_by_school", fragments={"scope": WHOLE})
        con.execute(f"create or replace table core.marks_by_school as {sql}")
        return
    if not scalar(con, "select count(*) from transform_mark_groups"):
        return
    match = " and ".join(f"k.{c} is not distinct from m.{c}" for c in MARK_GROUP_COLUMNS)
    con.execute(
        f"delete from core.marks_by_school m where exists (select 1 from transform_mark_groups k where {match})"
    )
    con.execute(
        f"insert into core.marks_by_school {load_sql(SQL_DIR, 'marks_by_school', fragments={'scope': BY_GROUP})}"
    )


def fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """What a keyed table's rows depend on besides their staging rows: the SQL and each
    school's municipality (core.schools, already rebuilt)."""
    mapping = con.execute(
        "select coalesce(string_agg(school_id || '=' || coalesce(municipality, ''), chr(31) order by school_id), '') "
        "from core.schools"
    ).fetchall()[0][0]
    sql_texts = [
        load_sql(SQL_DIR, name)
        for name in (
            *KEYED_TABLES,
            "validated_rows",
            "changes",
            "keys_to_rebuild",
            "marks_by_school",
            "mark_groups",
            "deleted_mark_groups",
        )
    ]
    text = chr(30).join([*sql_texts, mapping])
    return hashlib.sha256(text.encode()).hexdigest()


def last_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    rows = con.execute("select fingerprint from meta.transform_state").fetchall()
    return rows[0][0] if rows else None


def save_state(con: duckdb.DuckDBPyConnection, now: str) -> None:
    """Record what this transform read, for the next one to compare with."""
    con.execute("delete from meta.transform_files")
    con.execute("insert into meta.transform_files select * from transform_files")
    con.execute("delete from meta.transform_quarantine")
    con.execute("insert into meta.transform_quarantine select * from transform_quarantine")
    con.execute("delete from meta.transform_state")
    con.execute("insert into meta.transform_state values (?)", [now])
