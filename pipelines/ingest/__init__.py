"""Stage: ingest. Every file under the raw folder → typed, pseudonymised rows in `staging`.

Each file is loaded in one transaction (old rows of that path out, new rows in, meta.files
updated), so an interrupted run leaves every file either fully in its old or its new state.
Every data row ends up in staging or in quarantine.rows; every file gets a FileReport.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.contract import KINDS
from pipelines.ingest import normalise
from pipelines.ingest.kinds import recognise
from pipelines.ingest.messages import reasons_frame
from pipelines.ingest.readers import NotData, RawTable, Unreadable, header_cells, read_table
from pipelines.warehouse import ensure_schema

__all__ = ["FileReport", "IngestResult", "run_ingest"]

STATUSES = ("loaded", "unchanged", "rejected", "skipped")


@dataclass(frozen=True)
class FileReport:
    path: str  # relative to the raw folder, POSIX slashes
    kind: str | None
    status: str  # loaded | unchanged | rejected | skipped
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reason: str | None = None


@dataclass
class IngestResult:
    files: list[FileReport] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)


@dataclass(frozen=True)
class _Previous:
    sha256: str
    kind: str | None
    status: str


def run_ingest(
    con: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    key: bytes,
    run_id: str,
    on_file: Callable[[FileReport], None] | None = None,
) -> IngestResult:
    """Ingest every file under raw_dir (recursively, in sorted order); one bad file never stops the rest."""
    ensure_schema(con)
    normalise.install_macros(con)
    raw_dir = Path(raw_dir)
    result = IngestResult()
    for path in list_files(raw_dir):
        report = ingest_file(con, raw_dir, path, key, run_id)
        result.files.append(report)
        if on_file is not None:
            on_file(report)
    return result


def list_files(raw_dir: Path) -> list[Path]:
    """All files, sorted by their relative POSIX path so every run sees them in the same order."""
    return sorted((p for p in raw_dir.rglob("*") if p.is_file()), key=lambda p: p.relative_to(raw_dir).as_posix())


def ingest_file(con: duckdb.DuckDBPyConnection, raw_dir: Path, path: Path, key: bytes, run_id: str) -> FileReport:
    """Load → Process → Save for one file; errors become a report, never a traceback."""
    rel = path.relative_to(raw_dir).as_posix()
    try:
        data = path.read_bytes()
    except OSError as exc:
        return FileReport(rel, None, "rejected", reason=f"Failu nevar nolasīt / Cannot read the file ({exc.strerror})")
    digest = hashlib.sha256(data).hexdigest()
    previous = previous_version(con, rel)
    if previous and previous.sha256 == digest and previous.status in ("loaded", "unchanged"):
        return mark_unchanged(con, rel)
    try:
        return load_file(con, rel, data, digest, previous, key, run_id)
    except Exception as exc:  # one bad file must not stop the others; no data in the message
        reason = (
            f"Iekšēja kļūda, fails netika ielādēts / Internal error, the file was not loaded ({type(exc).__name__})"
        )
        if previous is None:  # keep an earlier good version's rows and record intact
            save_file(con, rel, digest, None, "rejected", reason, None, None, run_id, None)
        return FileReport(rel, None, "rejected", reason=reason)


def load_file(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    data: bytes,
    digest: str,
    previous: _Previous | None,
    key: bytes,
    run_id: str,
) -> FileReport:
    # Load
    try:
        table: RawTable = read_table(data)
    except NotData as exc:
        return save_file(con, rel, digest, None, "skipped", str(exc), None, None, run_id, previous)
    except Unreadable as exc:
        if recognise(header_cells(data)).kind is None:  # a note or README that merely fails to split
            reason = "Nav datu fails (galvene neatbilst nevienam datu veidam) / Not a data file (no known header)"
            return save_file(con, rel, digest, None, "skipped", reason, None, None, run_id, previous)
        return save_file(con, rel, digest, None, "rejected", str(exc), None, None, run_id, previous)
    encoding, delimiter = table.encoding, table.delimiter
    if table.frame.height == 0:
        return save_file(
            con, rel, digest, None, "skipped", "Tukšs fails / Empty file", encoding, delimiter, run_id, previous
        )
    headers = list(table.frame.row(0))
    found = recognise(headers)
    if found.kind is None and found.problem:  # data, but the header fits two kinds equally
        return save_file(con, rel, digest, None, "rejected", found.problem, encoding, delimiter, run_id, previous)
    if found.kind is None:
        reason = (
            "Galvene neatbilst nevienam datu veidam (nav datu fails?) / "
            "The header matches no kind of export (not a data file?)"
        )
        return save_file(con, rel, digest, None, "skipped", reason, encoding, delimiter, run_id, previous)
    if found.problem:
        return save_file(con, rel, digest, found.kind, "rejected", found.problem, encoding, delimiter, run_id, previous)

    # Process
    prepared = normalise.prepare(table.frame, found.kind, found.positions, key)
    normalise.type_rows(con, found.kind, prepared)

    # Save
    return save_file(con, rel, digest, found.kind, "loaded", None, encoding, delimiter, run_id, previous, typed=True)


def previous_version(con: duckdb.DuckDBPyConnection, rel: str) -> _Previous | None:
    rows = con.execute("select sha256, kind, status from meta.files where file_path = ?", [rel]).fetchall()
    return _Previous(*rows[0]) if rows else None


def mark_unchanged(con: duckdb.DuckDBPyConnection, rel: str) -> FileReport:
    """Same path, same bytes: nothing is re-read or rewritten, only the status of this run."""
    con.execute("update meta.files set status = 'unchanged' where file_path = ?", [rel])
    kind, read, loaded, quarantined = con.execute(
        "select kind, rows_read, rows_loaded, rows_quarantined from meta.files where file_path = ?", [rel]
    ).fetchall()[0]
    return FileReport(rel, kind, "unchanged", read, loaded, quarantined)


def save_file(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    digest: str,
    kind: str | None,
    status: str,
    reason: str | None,
    encoding: str | None,
    delimiter: str | None,
    run_id: str,
    previous: _Previous | None,
    *,
    typed: bool = False,
) -> FileReport:
    """One transaction: the path's earlier rows out, the typed rows (if any) in, meta.files upserted."""
    con.execute("begin transaction")
    try:
        if previous is not None:
            remove_rows(con, rel, previous.kind)
        loaded = quarantined = 0
        if typed and kind is not None:
            loaded, quarantined = insert_rows(con, rel, kind, run_id)
        con.execute(
            "insert or replace into meta.files (file_path, sha256, kind, status, rows_read, rows_loaded, "
            "rows_quarantined, reason, encoding, delimiter, ingested_at, run_id) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                rel,
                digest,
                kind,
                status,
                loaded + quarantined,
                loaded,
                quarantined,
                reason,
                encoding,
                delimiter,
                datetime.now(),
                run_id,
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        if typed:
            con.execute(f"drop table if exists {normalise.TYPED_TABLE}")
    return FileReport(rel, kind, status, loaded + quarantined, loaded, quarantined, reason)


def remove_rows(con: duckdb.DuckDBPyConnection, rel: str, kind: str | None) -> None:
    """A changed file replaces its earlier version: staging rows and ingest quarantine of that path."""
    for table in [kind] if kind in KINDS else []:
        con.execute(f"delete from staging.{table} where source_file = ?", [rel])
    con.execute("delete from quarantine.rows where stage = 'ingest' and source_file = ?", [rel])


def insert_rows(con: duckdb.DuckDBPyConnection, rel: str, kind: str, run_id: str) -> tuple[int, int]:
    """Valid rows to staging.<kind>, the others to quarantine.rows with what to fix."""
    staging_columns = [
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'staging' and table_name = ? order by ordinal_position",
            [kind],
        ).fetchall()
    ]
    typed_columns = [c for c in staging_columns if c != "source_file"]
    con.execute(
        f"insert into staging.{kind} ({', '.join(staging_columns)}) "
        f"select ?, {', '.join(typed_columns)} from {normalise.TYPED_TABLE} "
        "where error_reason is null",
        [rel],
    )
    con.register("ingest_reasons", reasons_frame(kind))
    try:
        con.execute(
            f"""
            insert into quarantine.rows (source_file, source_line, kind, school_id, stage, column_name, value,
                                         reason_code, message_lv, message_en, row_key, run_id)
            select ?, t.source_line, ?, t.raw_school_id, 'ingest', t.error_column,
                   {normalise.quarantine_value_sql(kind)},
                   t.error_reason,
                   coalesce(r.message_lv, 'Rinda netika ielādēta: ' || t.error_reason),
                   coalesce(r.message_en, 'The row was not loaded: ' || t.error_reason),
                   null, ?
            from {normalise.TYPED_TABLE} t
            left join ingest_reasons r on r.reason_code = t.error_reason and r.column_name = t.error_column
            where t.error_reason is not null
            order by t.source_line
            """,
            [rel, kind, run_id],
        )
    finally:
        con.unregister("ingest_reasons")
    counts = con.execute(
        f"select count(*) filter (where error_reason is null), count(*) filter (where error_reason is not null) "
        f"from {normalise.TYPED_TABLE}"
    ).fetchall()[0]
    return int(counts[0]), int(counts[1])
