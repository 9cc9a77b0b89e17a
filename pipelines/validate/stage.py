"""Stage `validate`: judge every staging row against the suites in `expectations/`.

Per-row facts (roster membership, plan coverage, days after the reference date, ...) are
derived in DuckDB SQL (`sql/frame_*.sql`) into one temporary frame per input kind; GX then
judges those frames in pandas chunks. Errors go to `quarantine.rows` (stage `validate`),
warnings to `validation.flags`. Each run recomputes everything from the current staging
tables, so the outcome depends only on the data and the settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipelines.config import Settings, ValidateSettings
from pipelines.run_summary import write_run_summary
from pipelines.validate.feedback import write_feedback
from pipelines.validate.suites import HIT_COLUMNS, SUITES_DIR, SuiteRunner, empty_hits, load_suites
from pipelines.warehouse import ensure_schema

SQL_DIR = Path(__file__).with_name("sql")
# Order matters only for reading; each frame is independent of the others.
FRAMES = ("schools", "pupils", "plans", "consultations", "grades", "monthly_volume")
CHUNK_ROWS = 500_000


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
) -> ValidateResult:
    """Re-validate all staging rows, replace this stage's quarantine rows, flags and quality
    summary, refresh meta.files counts, write feedback CSVs and the run summary.

    `runner` lets tests share one GX context; normally the suites are read from `suites_dir`.
    """
    ensure_schema(con)
    parameters = suite_parameters(settings.validate)
    runner = runner or SuiteRunner(load_suites(suites_dir))

    try:
        # Load: derive the frames the suites judge
        n_checked = build_frames(con, parameters)
        # Process: GX judges them chunk by chunk
        hits = judge_frames(con, runner, parameters, chunk_rows)
        # Save
        save_results(con, hits, run_id, parameters)
        feedback_files = write_feedback(con, settings.feedback_dir)
    finally:
        drop_frames(con)
    write_run_summary(con, settings.run_summary_path, run_id)
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
        "min_volume_ratio": 1 - settings.volume_drop_share,
        "volume_drop_percent": round(100 * settings.volume_drop_share),
    }


def sql_file(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def sql_parameters(sql: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Only the `$name` parameters a statement uses (DuckDB rejects unused ones)."""
    return {k: parameters[k] for k in sorted(set(re.findall(r"\$(\w+)", sql)))}


def build_frames(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> int:
    """One temporary table per frame; returns how many staging rows they hold."""
    for frame in FRAMES:
        sql = sql_file(f"frame_{frame}")
        con.execute(f"create or replace temp table validate_frame_{frame} as {sql}", sql_parameters(sql, parameters))
    staged = " union all ".join(f"select count(*) from validate_frame_{f}" for f in FRAMES if f != "monthly_volume")
    return scalar(con, f"select sum(n) from ({staged}) t(n)")


def drop_frames(con: duckdb.DuckDBPyConnection) -> None:
    for frame in FRAMES:
        con.execute(f"drop table if exists validate_frame_{frame}")


def judge_frames(
    con: duckdb.DuckDBPyConnection, runner: SuiteRunner, parameters: dict[str, Any], chunk_rows: int
) -> pd.DataFrame:
    """Run every suite on its frame in chunks of `chunk_rows` (bounded memory at any scale)."""
    unknown = set(runner.frames) - set(FRAMES)
    if unknown:
        raise ValueError(f"Suites name frames that no SQL builds: {sorted(unknown)}")
    parts = []
    for frame in FRAMES:
        if frame not in runner.frames:
            continue
        total = scalar(con, f"select count(*) from validate_frame_{frame}")
        available = con.table(f"validate_frame_{frame}").columns
        columns = ", ".join(f'"{c}"' for c in runner.columns_for(frame, available))
        for start in range(0, total, chunk_rows):
            chunk = con.execute(
                f"select rid, {columns} from validate_frame_{frame} where rid > ? and rid <= ? order by rid",
                [start, start + chunk_rows],
            ).df()
            chunk.index = chunk.pop("rid").to_numpy()
            parts.append(runner.run(frame, chunk, parameters))
    hits = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else empty_hits()
    return hits.astype({"source_line": "int64"})[list(HIT_COLUMNS)]


def save_results(con: duckdb.DuckDBPyConnection, hits: pd.DataFrame, run_id: str, parameters: dict[str, Any]) -> None:
    """Replace this stage's outputs in one transaction, so a failed run leaves the last good state."""
    quality_sql = sql_file("quality")
    counts_sql = sql_file("file_counts")
    con.register("validate_hits", hits)
    con.execute("begin transaction")
    try:
        con.execute("delete from quarantine.rows where stage = 'validate'")
        con.execute("delete from validation.flags")
        con.execute(
            """insert into quarantine.rows
               (source_file, source_line, kind, school_id, stage, column_name, value,
                reason_code, message_lv, message_en, row_key, run_id)
               select source_file, source_line, kind, school_id, 'validate', column_name, value,
                      reason_code, message_lv, message_en, row_key, $run_id
               from validate_hits where severity = 'error'
               order by source_file, source_line, reason_code, column_name""",
            {"run_id": run_id},
        )
        con.execute(
            """insert into validation.flags
               (source_file, source_line, kind, school_id, row_key, severity, reason_code,
                column_name, value, message_lv, message_en, run_id)
               select source_file, source_line, kind, school_id, row_key, severity, reason_code,
                      column_name, value, message_lv, message_en, $run_id
               from validate_hits w
               where severity = 'warning'
                 -- a quarantined row is not kept, so its warnings would only be noise
                 and not exists (
                     select 1 from validate_hits e
                     where e.severity = 'error' and e.source_file = w.source_file and e.source_line = w.source_line
                 )
               order by source_file, source_line, reason_code, column_name, value""",
            {"run_id": run_id},
        )
        con.execute(
            f"""update meta.files set rows_loaded = c.rows_loaded, rows_quarantined = c.rows_quarantined
                from ({counts_sql}) c where meta.files.file_path = c.source_file"""
        )
        con.execute("delete from validation.quality")
        con.execute(f"insert into validation.quality {quality_sql}", sql_parameters(quality_sql, parameters))
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister("validate_hits")


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(con.execute(sql).fetchall()[0][0] or 0)


def summary_counts(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cursor = con.execute(sql_file("summary"))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
