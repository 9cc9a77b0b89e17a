"""Stage: ingest. Every file under the raw folder → typed, pseudonymised rows in `staging`.

Each file is loaded in one transaction (old rows of that path out, new rows in, meta.files
updated), so an interrupted run leaves every file either fully in its old or its new state.
Every data row ends up in staging or in quarantine.rows; every file gets a FileReport.

Per-file fixed cost matters at national scale (15,000+ files), so a run reads meta.files and the
staging column lists once, lets the WAL grow instead of checkpointing after every few commits
(one CHECKPOINT at the end), and does not re-hash a file whose size and mtime_ns are those
recorded with its last hash (the content hash still decides whenever either differs).
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


# While ingesting, DuckDB checkpoints only when the WAL passes this size (default 16 MiB: every few
# files), and once at the end. Each file is still its own committed transaction in the WAL.
INGEST_CHECKPOINT_THRESHOLD = "1GB"
UNCHANGED_BATCH = 500  # unchanged files are marked in one update per this many files


@dataclass(frozen=True)
class _Previous:
    sha256: str
    kind: str | None
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    file_size: int | None = None
    file_mtime_ns: int | None = None

    def same_stat(self, stat: _Stat) -> bool:
        """Size and mtime_ns as recorded with the last hash: the bytes are taken to be the same."""
        return (self.file_size, self.file_mtime_ns) == (stat.size, stat.mtime_ns)


@dataclass(frozen=True)
class _Stat:
    size: int | None = None
    mtime_ns: int | None = None


@dataclass
class _RunState:
    """What one run reads once instead of once per file."""

    run_id: str
    previous: dict[str, _Previous]
    columns: dict[str, list[str]]
    unchanged: list[tuple[str, int | None, int | None]] = field(default_factory=list)


def run_ingest(
    con: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    key: bytes,
    run_id: str,
    on_file: Callable[[FileReport], None] | None = None,
) -> IngestResult:
    """Ingest every file under raw_dir (recursively, in sorted order); one bad file never stops the rest."""
    ensure_schema(con)
    migrate_meta_files(con)
    normalise.install_macros(con)
    raw_dir = Path(raw_dir)
    state = _RunState(run_id, previous_versions(con), staging_columns(con))
    result = IngestResult()
    threshold = con.execute("select current_setting('checkpoint_threshold')").fetchall()[0][0]
    con.execute(f"SET checkpoint_threshold = '{INGEST_CHECKPOINT_THRESHOLD}'")
    try:
        for path in list_files(raw_dir):
            report = ingest_file(con, raw_dir, path, key, state)
            result.files.append(report)
            if on_file is not None:
                on_file(report)
            if len(state.unchanged) >= UNCHANGED_BATCH:
                flush_unchanged(con, state)
    finally:
        flush_unchanged(con, state)
        con.execute(f"drop table if exists {normalise.TYPED_TABLE}")
        con.execute(f"SET checkpoint_threshold = '{threshold.replace(' ', '')}'")
    con.execute("CHECKPOINT")
    return result


def migrate_meta_files(con: duckdb.DuckDBPyConnection) -> None:
    """Size and mtime_ns recorded with each hash (added to warehouses created before they existed)."""
    con.execute("alter table meta.files add column if not exists file_size bigint")
    con.execute("alter table meta.files add column if not exists file_mtime_ns bigint")


def previous_versions(con: duckdb.DuckDBPyConnection) -> dict[str, _Previous]:
    """Every path's last recorded version, read once per run."""
    rows = con.execute(
        "select file_path, sha256, kind, status, rows_read, rows_loaded, rows_quarantined, file_size, file_mtime_ns "
        "from meta.files"
    ).fetchall()
    return {row[0]: _Previous(*row[1:]) for row in rows}


def staging_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Each staging table's columns in order, read once per run."""
    columns: dict[str, list[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'staging' order by table_name, ordinal_position"
    ).fetchall():
        columns.setdefault(table, []).append(column)
    return columns


def flush_unchanged(con: duckdb.DuckDBPyConnection, state: _RunState) -> None:
    """Mark the collected unchanged files in one statement (status, and the stat for the next run)."""
    if not state.unchanged:
        return
    paths, sizes, mtimes = (list(c) for c in zip(*state.unchanged, strict=True))
    con.execute(
        "update meta.files set status = 'unchanged', file_size = u.file_size, file_mtime_ns = u.file_mtime_ns "
        "from (select unnest(?) as file_path, unnest(?) as file_size, unnest(?) as file_mtime_ns) u "
        "where meta.files.file_path = u.file_path",
        [paths, sizes, mtimes],
    )
    state.unchanged.clear()


def list_files(raw_dir: Path) -> list[Path]:
    """All files, sorted by their relative POSIX path so every run sees them in the same order."""
    return sorted((p for p in raw_dir.rglob("*") if p.is_file()), key=lambda p: p.relative_to(raw_dir).as_posix())


def ingest_file(con: duckdb.DuckDBPyConnection, raw_dir: Path, path: Path, key: bytes, state: _RunState) -> FileReport:
    """Load → Process → Save for one file; errors become a report, never a traceback."""
    rel = path.relative_to(raw_dir).as_posix()
    previous = state.previous.get(rel)
    current = (previous is not None) and previous.status in ("loaded", "unchanged")
    try:
        # stat before reading: a file rewritten in between gets a newer mtime and is hashed next time
        st = path.stat()
        stat = _Stat(st.st_size, st.st_mtime_ns)
        if current and previous.same_stat(stat):
            return mark_unchanged(state, rel, previous, stat)
        data = path.read_bytes()
    except OSError as exc:
        return FileReport(rel, None, "rejected", reason=f"Failu nevar nolasīt / Cannot read the file ({exc.strerror})")
    digest = content_hash(data)
    if current and previous.sha256 == digest:
        return mark_unchanged(state, rel, previous, stat)
    try:
        return load_file(con, rel, data, digest, previous, key, state, stat)
    except Exception as exc:  # one bad file must not stop the others; no data in the message
        reason = (
            f"Iekšēja kļūda, fails netika ielādēts / Internal error, the file was not loaded ({type(exc).__name__})"
        )
        if previous is None:  # keep an earlier good version's rows and record intact
            save_file(con, rel, digest, None, "rejected", reason, None, None, state, None, _Stat())
        return FileReport(rel, None, "rejected", reason=reason)


def content_hash(data: bytes) -> str:
    """What decides whether a file changed (size and mtime only decide whether to compute it)."""
    return hashlib.sha256(data).hexdigest()


def load_file(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    data: bytes,
    digest: str,
    previous: _Previous | None,
    key: bytes,
    state: _RunState,
    stat: _Stat,
) -> FileReport:
    # Load
    try:
        table: RawTable = read_table(data)
    except NotData as exc:
        return save_file(con, rel, digest, None, "skipped", str(exc), None, None, state, previous, stat)
    except Unreadable as exc:
        if recognise(header_cells(data)).kind is None:  # a note or README that merely fails to split
            reason = "Nav datu fails (galvene neatbilst nevienam datu veidam) / Not a data file (no known header)"
            return save_file(con, rel, digest, None, "skipped", reason, None, None, state, previous, stat)
        return save_file(con, rel, digest, None, "rejected", str(exc), None, None, state, previous, stat)
    encoding, delimiter = table.encoding, table.delimiter
    if table.frame.height == 0:
        return save_file(
            con, rel, digest, None, "skipped", "Tukšs fails / Empty file", encoding, delimiter, state, previous, stat
        )
    headers = list(table.frame.row(0))
    found = recognise(headers)
    if found.kind is None and found.problem:  # data, but the header fits two kinds equally
        return save_file(con, rel, digest, None, "rejected", found.problem, encoding, delimiter, state, previous, stat)
    if found.kind is None:
        reason = (
            "Galvene neatbilst nevienam datu veidam (nav datu fails?) / "
            "The header matches no kind of export (not a data file?)"
        )
        return save_file(con, rel, digest, None, "skipped", reason, encoding, delimiter, state, previous, stat)
    if found.problem:
        return save_file(
            con, rel, digest, found.kind, "rejected", found.problem, encoding, delimiter, state, previous, stat
        )

    # Process
    prepared = normalise.prepare(table.frame, found.kind, found.positions, key)
    normalise.type_rows(con, found.kind, prepared)

    # Save
    return save_file(
        con, rel, digest, found.kind, "loaded", None, encoding, delimiter, state, previous, stat, typed=True
    )


def mark_unchanged(state: _RunState, rel: str, previous: _Previous, stat: _Stat) -> FileReport:
    """Same path, same bytes: nothing is rewritten but the status of this run (and the stat, so the
    next run need not hash it); collected and written in one update (flush_unchanged)."""
    state.unchanged.append((rel, stat.size, stat.mtime_ns))
    return FileReport(
        rel, previous.kind, "unchanged", previous.rows_read, previous.rows_loaded, previous.rows_quarantined
    )


def save_file(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    digest: str,
    kind: str | None,
    status: str,
    reason: str | None,
    encoding: str | None,
    delimiter: str | None,
    state: _RunState,
    previous: _Previous | None,
    stat: _Stat,
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
            loaded, quarantined = insert_rows(con, rel, kind, state)
        con.execute(
            "insert or replace into meta.files (file_path, sha256, kind, status, rows_read, rows_loaded, "
            "rows_quarantined, reason, encoding, delimiter, ingested_at, run_id, file_size, file_mtime_ns) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                state.run_id,
                stat.size,
                stat.mtime_ns,
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return FileReport(rel, kind, status, loaded + quarantined, loaded, quarantined, reason)


def remove_rows(con: duckdb.DuckDBPyConnection, rel: str, kind: str | None) -> None:
    """A changed file replaces its earlier version: staging rows and ingest quarantine of that path."""
    for table in [kind] if kind in KINDS else []:
        con.execute(f"delete from staging.{table} where source_file = ?", [rel])
    con.execute("delete from quarantine.rows where stage = 'ingest' and source_file = ?", [rel])


def insert_rows(con: duckdb.DuckDBPyConnection, rel: str, kind: str, state: _RunState) -> tuple[int, int]:
    """Valid rows to staging.<kind>, the others to quarantine.rows with what to fix."""
    loaded, quarantined = (
        int(n)
        for n in con.execute(
            f"select count(*) filter (where error_reason is null), count(*) filter (where error_reason is not null) "
            f"from {normalise.TYPED_TABLE}"
        ).fetchall()[0]
    )
    columns = state.columns[kind]
    typed_columns = [c for c in columns if c != "source_file"]
    if loaded:
        con.execute(
            f"insert into staging.{kind} ({', '.join(columns)}) "
            f"select ?, {', '.join(typed_columns)} from {normalise.TYPED_TABLE} "
            "where error_reason is null",
            [rel],
        )
    if quarantined:
        insert_quarantine(con, rel, kind, state.run_id)
    return loaded, quarantined


def insert_quarantine(con: duckdb.DuckDBPyConnection, rel: str, kind: str, run_id: str) -> None:
    """The typed table's error rows to quarantine.rows, with the message for the school."""
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
