"""Stage `validate`: judge every staging row against the suites in `expectations/`.

Per-row facts (roster membership, plan coverage, days after the reference date, ...) are
derived in DuckDB SQL (`sql/frame_*.sql`) into one temporary frame per input kind; GX then
judges those frames in pandas chunks. Errors go to `quarantine.rows` (stage `validate`),
warnings to `validation.flags`; the school that delivered each file to `validation.file_deliverers`
(sql/file_deliverers.sql), which routes the feedback files here and the early-warning lists in evaluate.

Incremental by default, with the same outcome as a full re-validation: cross-table rules (roster
membership, plan coverage, same-day repeats, monthly volume: see suites.CROSS_TABLE_COLUMNS) are
judged on every row every run, except on grades (KEPT_CROSS_FRAME, nearly every row): its hits are
kept in validation.cross_hits and only the rows whose file, registry entry, roster entry, unknown
subject standing or side of a moved reference date changed are judged again (sql/cross_rows.sql,
against the inputs kept in validation.cross_*); row-local rules only on the rows of files not judged before in
their current version with the same rules and parameters. Their hits are kept, before any
error/warning suppression, in validation.local_hits, and validation.judged_files records which
file versions they cover. Row counts are kept the same way: per file × school × month in
validation.file_months (validation.quality and meta.files counts are sums of them) and per school ×
kind × month in validation.month_counts (the monthly volume rule), recounted only for the files
and school-months a new, changed or removed file touches. The outcome therefore depends only on
the data and the settings.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipelines.config import Settings, ValidateSettings
from pipelines.validate.feedback import write_feedback
from pipelines.validate.suites import (
    CROSS_TABLE_COLUMNS,
    HIT_COLUMNS,
    SUITES_DIR,
    SuiteRunner,
    columns_read,
    empty_hits,
    load_suites,
    sql_literal,
)
from pipelines.warehouse import ensure_schema, load_sql, scalar, transaction

SQL_DIR = Path(__file__).with_name("sql")
# Order matters only for reading; each frame is independent of the others.
FRAMES = (
    "schools",
    "pupils",
    "plans",
    "consultations",
    "grades",
    "activities",
    "financial_support",
    "costs",
    "attendance",
    "monthly_volume",
)
CHUNK_ROWS = 200_000
# The grades frame (tens of millions of rows) is a view, not a temp table: materialised, the national
# one outgrew the 4 GB memory limit. Each later use re-reads staging.grades through the view (a
# handful of scans); GX's chunks come from a temp table of only the rows to judge.
VIEW_FRAMES = frozenset({"grades"})
# Frames of counts over many files, built after the frames of staging rows (count_rows)
AGGREGATE_FRAMES = frozenset({"monthly_volume"})
# SQL whose results are kept (validation.file_months, month_counts, cross_hits): part of the fingerprint
KEPT_COUNTS_SQL = ("file_months", "month_counts", "cross_rows")
# The frame whose cross-table hits are kept between runs (it holds nearly every row) and the cross-table
# facts cross_rows.sql tracks for it: registry, roster, unknown subjects, reference date. Were a rule to
# read another cross-table fact, CROSS_TABLE_COLUMNS would differ from this and every row is judged.
KEPT_CROSS_FRAME = "grades"
KEPT_CROSS_FACTS = frozenset(
    {
        "school_known",
        "on_roster",
        "grade_level",
        "days_after_reference",
        "first_unknown_subject",
        "unknown_subject_note",
    }
)
# Bump when the code that turns a GX result into a hit changes: stored row-local hits are then stale.
HITS_VERSION = "1"
STATE_SQL = """
alter table validation.flags add column if not exists row_count bigint default 1;
create table if not exists validation.judged_files (
    file_path varchar primary key, sha256 varchar, ingested_at timestamp, fingerprint varchar not null
);
create table if not exists validation.file_months (
    source_file varchar not null, frame varchar not null, kind varchar, school_id varchar, month varchar,
    school_year varchar, row_count bigint not null
);
create table if not exists validation.month_counts (
    kind varchar not null, school_id varchar not null, month_start timestamp not null, row_count bigint not null,
    source_file varchar not null
);
create table if not exists validation.cross_hits (
    source_file varchar not null, source_line integer not null, kind varchar, school_id varchar, row_key varchar,
    month varchar, severity varchar not null, reason_code varchar not null, column_name varchar, value varchar,
    message_lv varchar not null, message_en varchar not null
);
create table if not exists validation.cross_registry (school_id varchar);
create table if not exists validation.cross_rosters (
    pupil_id varchar, school_id varchar, school_year varchar, grade_level integer
);
create table if not exists validation.cross_unknown_subjects (
    source_file varchar, source_line integer, row_count bigint
);
create table if not exists validation.cross_state (fingerprint varchar not null, reference_date date not null);
create table if not exists validation.local_hits (
    source_file varchar not null, source_line integer not null, kind varchar, school_id varchar, row_key varchar,
    month varchar, severity varchar not null, reason_code varchar not null, column_name varchar, value varchar,
    message_lv varchar not null, message_en varchar not null
);
"""


@dataclass(frozen=True)
class ValidateResult:
    """What the CLI prints and what `--strict` decides on."""

    counts: list[dict[str, Any]]  # school_id, stage, severity, reason_code, row_count
    n_checked: int  # staging rows judged
    n_quarantined: int  # data rows quarantined by validation (each row once)
    n_warnings: int  # flags written
    has_errors: bool  # any row quarantined, at ingest or validation
    feedback_files: tuple[Path, ...]


def run_validate(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: str,
    *,
    runner: SuiteRunner | None = None,
    suites_dir: Path = SUITES_DIR,
    chunk_rows: int = CHUNK_ROWS,
    incremental: bool = True,
) -> ValidateResult:
    """Validate the staging rows, replace this stage's quarantine rows, flags and quality
    summary, refresh meta.files counts and write feedback CSVs (the runner then rewrites
    run_summary.json from meta.files).

    `runner` lets tests share one GX context; normally the suites are read from `suites_dir`.
    `incremental=False` judges every rule on every row (the result is the same, only slower).
    """
    ensure_schema(con)
    con.execute(STATE_SQL)
    parameters = suite_parameters(settings.validate)
    runner = runner or SuiteRunner(load_suites(suites_dir))

    try:
        # Load: derive the frames the suites judge and which files' row-local rules to judge
        n_checked = build_frames(con, parameters, settings.validate.project_periods)
        select_files(con, fingerprint(runner, parameters), incremental)
        count_rows(con, parameters)
        kept = select_cross_rows(con, runner, parameters, fingerprint(runner, parameters), incremental)
        # Process: GX judges them chunk by chunk
        only = {(KEPT_CROSS_FRAME, "cross"): "rid in (select rid from validate_cross_rows)"} if kept else {}
        hits = judge_frames(con, runner, parameters, chunk_rows, narrow=incremental, only=only)
        # Save
        save_results(con, hits, run_id, parameters, kept_cross=kept)
        feedback_files = write_feedback(con, settings.feedback_dir)
    finally:
        drop_frames(con)
    counts = summary_counts(con)
    return ValidateResult(
        counts=counts,
        n_checked=n_checked,
        n_quarantined=scalar(
            con,
            "select count(distinct (source_file, source_line)) from quarantine.rows where stage = 'validate'",
        ),
        n_warnings=sum(c["row_count"] for c in counts if c["severity"] == "warning"),
        has_errors=any(c["severity"] == "error" for c in counts),
        feedback_files=tuple(feedback_files),
    )


def suite_parameters(settings: ValidateSettings) -> dict[str, Any]:
    """Values the suites and frame SQL refer to as `$PARAMETER` / `$name` / `{name}` in messages."""
    return {
        "reference_date": settings.reference_date(),
        "max_consultation_minutes": settings.max_consultation_minutes,
        "max_lessons_per_day": settings.max_lessons_per_day,
        "min_volume_ratio": 1 - settings.volume_drop_share,
        "volume_drop_percent": round(100 * settings.volume_drop_share),
        "max_activity_minutes": settings.max_activity_minutes,
        "max_financial_support_eur": settings.max_financial_support_eur,
        "max_cost_eur": settings.max_cost_eur,
    }


def sql_parameters(sql: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Only the `$name` parameters a statement uses (DuckDB rejects unused ones)."""
    return {k: parameters[k] for k in sorted(set(re.findall(r"\$(\w+)", sql)))}


def build_frames(
    con: duckdb.DuckDBPyConnection,
    parameters: dict[str, Any],
    project_periods: tuple[tuple[str, date, date], ...],
) -> int:
    """One temporary table (a view for VIEW_FRAMES) per frame of staging rows; returns how many rows
    they hold. The frames of aggregates (AGGREGATE_FRAMES) follow in count_rows, once the files to
    judge are known. `project_periods`: ValidateSettings.project_periods (a project not listed is not judged)."""
    # read by the frames of every kind with a project
    con.execute(f"create or replace temp table validate_unknown_projects as {load_sql(SQL_DIR, 'unknown_projects')}")
    con.execute(f"create or replace temp table validate_unknown_subjects as {load_sql(SQL_DIR, 'unknown_subjects')}")
    con.execute(
        "create or replace temp table validate_project_periods "
        "(project_code varchar, period_start date, period_end date)"
    )
    if project_periods:
        con.executemany("insert into validate_project_periods values (?, ?, ?)", [list(p) for p in project_periods])
    for frame in FRAMES:
        if frame not in AGGREGATE_FRAMES:
            build_frame(con, frame, parameters)
    staged = " union all ".join(f"select count(*) from validate_frame_{f}" for f in FRAMES if f not in AGGREGATE_FRAMES)
    return scalar(con, f"select sum(n) from ({staged}) t(n)")


def build_frame(con: duckdb.DuckDBPyConnection, frame: str, parameters: dict[str, Any]) -> None:
    sql = load_sql(SQL_DIR, f"frame_{frame}")
    if frame in VIEW_FRAMES:  # a view takes no $parameters: they are spliced in as literals
        sql = re.sub(r"\$(\w+)", lambda m: parameter_literal(parameters[m.group(1)]), sql)
        con.execute(f"create or replace temp view validate_frame_{frame} as {sql}")
    else:
        sql = f"create or replace temp table validate_frame_{frame} as {sql}"
        con.execute(sql, sql_parameters(sql, parameters))


def month_span(con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    """First and last day of the months in validate_count_months (an empty span when there are none)."""
    first, last = con.execute(
        """select cast(min(month_start) as date), cast(max(month_start) + interval 1 month - interval 1 day as date)
           from validate_count_months"""
    ).fetchall()[0]
    return (first, last) if first is not None else (date.max, date.min)


def select_cross_rows(
    con: duckdb.DuckDBPyConnection,
    runner: SuiteRunner,
    parameters: dict[str, Any],
    fingerprint: str,
    incremental: bool,
) -> bool:
    """Whether KEPT_CROSS_FRAME's earlier cross-table hits can be kept; if so, temp table
    validate_cross_rows holds the rows to judge again (cross_rows.sql). Not when judging everything,
    on the first run, after a change of rules, parameters or frame SQL, or when the reference date
    moved and some rule reads it otherwise than "not after the reference date"."""
    state = con.execute("select fingerprint, reference_date from validation.cross_state").fetchall()
    if not incremental or len(state) != 1 or state[0][0] != fingerprint:
        return False
    if CROSS_TABLE_COLUMNS.get(KEPT_CROSS_FRAME) != KEPT_CROSS_FACTS:
        return False
    before, now = state[0][1], parameters["reference_date"]
    if before != now and not judged_by_day_alone(runner.expectations(KEPT_CROSS_FRAME, "cross")):
        return False
    sql = load_sql(SQL_DIR, "cross_rows")
    con.execute(
        f"create or replace temp table validate_cross_rows as {sql}",
        {"window_start": min(before, now), "window_end": max(before, now)},
    )
    return True


def judged_by_day_alone(expectations: list[dict[str, Any]]) -> bool:
    """True when every rule reading days_after_reference fails exactly the rows dated after the
    reference date (`between`, max_value 0, nothing else) and no message names the reference date:
    then a moved reference date changes the outcome only of rows dated between the two dates."""
    for expectation in expectations:
        meta = expectation["meta"]
        if "reference_date" in meta["message_lv"] + meta["message_en"]:
            return False
        if "days_after_reference" not in columns_read(expectation):
            continue
        kwargs = expectation["kwargs"]
        exact = {"column": "days_after_reference", "max_value": 0}
        if (
            expectation["type"] != "expect_column_values_to_be_between"
            or {k: v for k, v in kwargs.items() if v is not None and v is not False} != exact
        ):
            return False
        if meta["value_column"] == "days_after_reference":
            return False
    return True


def count_rows(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> None:
    """The row counts of this run, recounting only what new, changed or removed files touch.

    validate_file_months: rows per file × frame × school × month (validation.file_months kept for
    the files not judged again, file_months.sql for the others). validate_month_counts: whole-month
    row counts per school × kind (validation.month_counts kept, except the school-months some judged
    or vanished file has rows in, which month_counts.sql recounts from staging). Then the frame of
    monthly volumes, over those counts up to the reference date."""
    fresh = load_sql(SQL_DIR, "file_months")
    con.execute(f"create or replace temp table validate_fresh_file_months as {fresh}")
    con.execute(
        """create or replace temp table validate_file_months as
           select * from validation.file_months
           where source_file in (select source_file from validate_files where not to_judge)
           union all
           select * from validate_fresh_file_months"""
    )
    # school-months of the files judged now (their rows today) or judged before and changed or gone since
    con.execute(
        """create or replace temp table validate_count_months as
           select distinct kind, school_id, cast(strptime(month, '%Y-%m') as timestamp) as month_start
           from (
               select kind, school_id, month from validate_fresh_file_months
               union all
               select kind, school_id, month from validation.file_months
               where source_file not in (select source_file from validate_files where not to_judge)
           )
           where kind in ('consultations', 'grades') and school_id is not null and month is not null"""
    )
    recount = load_sql(SQL_DIR, "month_counts")
    first, last = month_span(con)
    con.execute(
        f"""create or replace temp table validate_month_counts as
            select * from validation.month_counts
            anti join validate_count_months c using (kind, school_id, month_start)
            union all
            ({recount})""",
        {"first_day": first, "last_day": last},
    )
    # the reference date's month, counted up to that day
    reference = parameters["reference_date"]
    con.execute(
        """create or replace temp table validate_count_months as
           select distinct kind, school_id, month_start from validate_month_counts
           where month_start = date_trunc('month', $reference_date::date)""",
        {"reference_date": reference},
    )
    con.execute(
        f"create or replace temp table validate_reference_month as {recount}",
        {"first_day": reference.replace(day=1), "last_day": reference},
    )
    counts_sql = f"create or replace temp table validate_monthly_counts as {load_sql(SQL_DIR, 'monthly_counts')}"
    con.execute(counts_sql, sql_parameters(counts_sql, parameters))
    for frame in AGGREGATE_FRAMES:
        build_frame(con, frame, parameters)


def parameter_literal(value: Any) -> str:
    """A parameter as SQL text, for the frames that are views."""
    literal = sql_literal(value)
    if literal is None:
        raise TypeError(f"No SQL literal for a parameter of type {type(value).__name__}")
    return literal


def drop_frames(con: duckdb.DuckDBPyConnection) -> None:
    for frame in FRAMES:
        con.execute(f"drop {'view' if frame in VIEW_FRAMES else 'table'} if exists validate_frame_{frame}")
    for table in (
        "validate_files",
        "validate_fingerprint",
        "validate_fresh_file_months",
        "validate_file_months",
        "validate_count_months",
        "validate_month_counts",
        "validate_reference_month",
        "validate_cross_rows",
        "validate_todo",
        "validate_hit_rows",
        "validate_new_hits",
        "validate_monthly_counts",
        "validate_unknown_projects",
        "validate_unknown_subjects",
        "validate_project_periods",
        "validate_file_school_rows",
    ):
        con.execute(f"drop table if exists {table}")


def fingerprint(runner: SuiteRunner, parameters: dict[str, Any]) -> str:
    """What a row-local outcome depends on besides the row: rules, parameters, frame SQL, hit code.
    Not the reference date: the rules reading it are cross-table (suites.CROSS_TABLE_COLUMNS), so
    a monthly run on another day still keeps the row-local outcomes of unchanged files."""
    frames = [load_sql(SQL_DIR, name) for name in (*(f"frame_{frame}" for frame in FRAMES), *KEPT_COUNTS_SQL)]
    fixed = {k: v for k, v in parameters.items() if k != "reference_date"}
    text = json.dumps([HITS_VERSION, runner.fingerprint, fixed, frames], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def select_files(con: duckdb.DuckDBPyConnection, fingerprint: str, incremental: bool) -> int:
    """Temp table validate_files: each file with rows, its version, and whether to judge its
    row-local rules this run. Returns how many files are to be judged."""
    sql = load_sql(SQL_DIR, "files_to_judge")
    con.execute(
        f"create or replace temp table validate_files as {sql}",
        {"fingerprint": fingerprint, "incremental": incremental},
    )
    con.execute("create or replace temp table validate_fingerprint as select ? as fingerprint", [fingerprint])
    return scalar(con, "select count(*) from validate_files where to_judge")


def chunk_query(
    con: duckdb.DuckDBPyConnection, frame: str, part: str, columns: str, candidates: str | None
) -> tuple[int, int, str]:
    """(first bound, last bound, chunk query taking two bounds) for one part of a frame.

    A staging frame's rid is its staging row's rowid (unique, not dense: no sort of the whole
    table to number it), so a part judged on every row steps through rid values. Otherwise the
    rows to judge (row-local rules: rows of files to judge; any part: rows some rule could fail,
    `candidates`) are numbered densely in a temp table so their chunks stay full."""
    if part == "cross" and candidates is None and frame not in VIEW_FRAMES:
        low, high = con.execute(
            f"select coalesce(min(rid) - 1, 0), coalesce(max(rid), 0) from validate_frame_{frame}"
        ).fetchall()[0]
        return int(low), int(high), f"select rid, {columns} from validate_frame_{frame} where rid > ? and rid <= ?"
    files = (
        "semi join (select source_file from validate_files where to_judge) j using (source_file)"
        if part == "local"
        else ""
    )
    con.execute(
        f"""create or replace temp table validate_todo as
            select row_number() over (order by f.rid) as n, f.rid, {", ".join(f"f.{c}" for c in columns.split(", "))}
            from validate_frame_{frame} f
            {files}
            where {candidates or "true"}"""
    )
    chunk = f"select rid, {columns} from validate_todo where n > ? and n <= ?"
    return 0, scalar(con, "select count(*) from validate_todo"), chunk


def judge_frames(
    con: duckdb.DuckDBPyConnection,
    runner: SuiteRunner,
    parameters: dict[str, Any],
    chunk_rows: int,
    *,
    narrow: bool = True,
    only: dict[tuple[str, str], str] | None = None,
) -> pd.DataFrame:
    """Run every suite on its frame in chunks of `chunk_rows` (bounded memory at any scale).

    `narrow`: GX sees only the rows SQL finds some rule could fail (SuiteRunner.candidates_sql);
    at national scale that spares pandas tens of millions of rows that pass every rule. `only`: for a
    (frame, part), an SQL condition on the frame's rows outside which its hits are kept from before."""
    unknown = set(runner.frames) - set(FRAMES)
    if unknown:
        raise ValueError(f"Suites name frames that no SQL builds: {sorted(unknown)}")
    parts = []
    for frame in FRAMES:
        if frame not in runner.frames:
            continue
        available = con.table(f"validate_frame_{frame}").columns
        for part in runner.parts(frame):
            columns = ", ".join(f'"{c}"' for c in runner.columns_for(frame, available, part))
            candidates = runner.candidates_sql(frame, part, parameters) if narrow else None
            if (frame, part) in (only or {}):
                candidates = " and ".join(f"({c})" for c in (candidates, (only or {})[frame, part]) if c)
            low, high, chunk_sql = chunk_query(con, frame, part, columns, candidates)
            for start in range(low, high, chunk_rows):
                chunk = con.execute(chunk_sql, [start, start + chunk_rows]).df()
                if chunk.empty:
                    continue
                chunk.index = chunk.pop("rid").to_numpy()
                hits = runner.run(frame, chunk, parameters, part)
                parts.append(hits.assign(part=part))
    found = [p for p in parts if len(p)]
    hits = pd.concat(found, ignore_index=True) if found else empty_hits().assign(part=pd.Series([], dtype=object))
    return hits.astype({"rid": "int64"})[[*HIT_COLUMNS, "part"]]


def hit_rows_sql(frames: list[str]) -> str:
    """The hits with their rows' identity, joined back from the frames by row id."""
    parts = [
        f"""select f.kind, f.source_file, f.source_line, f.row_key, f.school_id, f.month,
                   h.severity, h.reason_code, h.column_name, h.value, h.message_lv, h.message_en, h.part, h.frame
            from validate_hits h
            join validate_frame_{frame} f on f.rid = h.rid
            where h.frame = '{frame}'"""
        for frame in frames
    ]
    return " union all ".join(parts)


# The row-local hits of files not judged this run are taken over from validation.local_hits.
SAVE_LOCAL_SQL = """
delete from validation.local_hits
where source_file not in (select source_file from validate_files where not to_judge);
insert into validation.local_hits
select source_file, source_line, kind, school_id, row_key, month, severity, reason_code, column_name, value,
       message_lv, message_en
from validate_new_hits where part = 'local';
-- the kept frame's cross-table hits: of files not judged again and rows not judged again (cross_rows.sql)
delete from validation.cross_hits
where not $kept_cross
   or source_file not in (select source_file from validate_files where not to_judge)
   or (source_file, source_line) in (
       select g.source_file, g.source_line from staging.grades g
       where g.rowid in (select rid from validate_cross_rows)
   );
insert into validation.cross_hits
select source_file, source_line, kind, school_id, row_key, month, severity, reason_code, column_name, value,
       message_lv, message_en
from validate_new_hits where part = 'cross' and frame = $kept_frame;
delete from validation.cross_registry;
insert into validation.cross_registry select distinct school_id from staging.schools where school_id is not null;
delete from validation.cross_rosters;
insert into validation.cross_rosters
select pupil_id, school_id, school_year, max(grade_level) from staging.pupils group by all;
delete from validation.cross_unknown_subjects;
insert into validation.cross_unknown_subjects
select source_file, source_line, row_count from validate_unknown_subjects where kind = $kept_frame;
delete from validation.cross_state;
insert into validation.cross_state select fingerprint, $reference_date from validate_fingerprint;
delete from validation.judged_files;
insert into validation.judged_files
select f.source_file, f.sha256, f.ingested_at, p.fingerprint
from validate_files f, validate_fingerprint p;
delete from validation.file_months;
insert into validation.file_months select * from validate_file_months;
delete from validation.month_counts;
insert into validation.month_counts select * from validate_month_counts;
create or replace temp table validate_hit_rows as
select * exclude (part, frame) from validate_new_hits where part = 'cross' and frame <> $kept_frame
union all
select kind, source_file, source_line, row_key, school_id, month, severity, reason_code, column_name, value,
       message_lv, message_en
from validation.cross_hits
union all
select kind, source_file, source_line, row_key, school_id, month, severity, reason_code, column_name, value,
       message_lv, message_en
from validation.local_hits;
"""


def save_results(
    con: duckdb.DuckDBPyConnection,
    hits: pd.DataFrame,
    run_id: str,
    parameters: dict[str, Any],
    *,
    kept_cross: bool = False,
) -> None:
    """Replace this stage's outputs in one transaction, so a failed run leaves the last good state."""
    quality_sql = load_sql(SQL_DIR, "quality")
    counts_sql = load_sql(SQL_DIR, "file_counts")
    deliverers_sql = load_sql(SQL_DIR, "file_deliverers")
    con.execute(f"create or replace temp table validate_file_school_rows as {load_sql(SQL_DIR, 'file_school_rows')}")
    con.register("validate_hits", hits)
    con.execute(f"create or replace temp table validate_new_hits as {hit_rows_sql(list(FRAMES))}")
    try:
        with transaction(con):
            if not kept_cross:  # read by SAVE_LOCAL_SQL: no row is judged again, every hit is replaced
                con.execute("create or replace temp table validate_cross_rows (rid bigint)")
            values = {
                "kept_cross": kept_cross,
                "kept_frame": KEPT_CROSS_FRAME,
                "reference_date": parameters["reference_date"],
            }
            for statement in filter(str.strip, SAVE_LOCAL_SQL.split(";")):
                con.execute(statement, sql_parameters(statement, values))
            con.execute("delete from quarantine.rows where stage = 'validate'")
            con.execute("delete from validation.flags")
            con.execute(
                """insert into quarantine.rows
                   (source_file, source_line, kind, school_id, stage, column_name, value,
                    reason_code, message_lv, message_en, row_key, run_id)
                   select source_file, source_line, kind, school_id, 'validate', column_name, value,
                          reason_code, message_lv, message_en, row_key, $run_id
                   from validate_hit_rows where severity = 'error'
                   order by source_file, source_line, reason_code, column_name""",
                {"run_id": run_id},
            )
            con.execute(
                """insert into validation.flags
                   (source_file, source_line, kind, school_id, row_key, severity, reason_code,
                    column_name, value, message_lv, message_en, run_id)
                   select source_file, source_line, kind, school_id, row_key, severity, reason_code,
                          column_name, value, message_lv, message_en, $run_id
                   from validate_hit_rows w
                   where severity = 'warning'
                     -- a quarantined row is not kept, so its warnings would only be noise
                     and not exists (
                         select 1 from validate_hit_rows e
                         where e.severity = 'error' and e.source_file = w.source_file and e.source_line = w.source_line
                     )
                   order by source_file, source_line, reason_code, column_name, value""",
                {"run_id": run_id},
            )
            # one unknown_subject warning stands for every row of the school with that value
            con.execute(
                """update validation.flags set row_count = u.row_count
                   from validate_unknown_subjects u
                   where validation.flags.reason_code = 'unknown_subject'
                     and validation.flags.source_file = u.source_file
                     and validation.flags.source_line = u.source_line"""
            )
            con.execute(
                f"""update meta.files set rows_loaded = c.rows_loaded, rows_quarantined = c.rows_quarantined
                    from ({counts_sql}) c where meta.files.file_path = c.source_file"""
            )
            con.execute("delete from validation.quality")
            con.execute(f"insert into validation.quality {quality_sql}", sql_parameters(quality_sql, parameters))
            # after the flags: every file with a problem gets its deliverer (feedback.sql routes by it)
            con.execute("delete from validation.file_deliverers")
            con.execute(f"insert into validation.file_deliverers {deliverers_sql} order by source_file")
    finally:
        con.unregister("validate_hits")
        con.execute("drop table if exists validate_hit_rows")
        con.execute("drop table if exists validate_new_hits")


def summary_counts(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cursor = con.execute(load_sql(SQL_DIR, "summary"))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
