"""Stage: ingest. Every file under the raw folder → typed, pseudonymised rows in `staging`.

Files are saved in transactions of one or more whole files (old rows of those paths out, new rows
in, meta.files updated), so an interrupted run leaves every file either fully in its old or its
new state. Every data row ends up in staging or in quarantine.rows; every file gets a FileReport.

Per-file fixed cost matters at national scale (15,000+ files). Each file is read, hashed and
recognised on its own (dialects differ from school to school), but files of one kind are then
typed and saved in batches (BATCH_ROWS), so the typing SQL, the pseudonyms of pupils who appear
month after month and the commit are paid per batch; if a batch fails, its files are retried one
by one. A run also reads meta.files and the staging column lists once, lets the WAL grow instead
of checkpointing after every few commits (one CHECKPOINT at the end), and does not re-hash a file
whose size and mtime_ns are those recorded with its last hash.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.contract import KINDS
from pipelines.ingest import normalise, values
from pipelines.ingest.kinds import recognise
from pipelines.ingest.legacy import migrate_free_text
from pipelines.ingest.messages import reasons_frame
from pipelines.ingest.paths import PathScrubber, ensure_tables
from pipelines.ingest.readers import NotData, RawTable, Unreadable, header_cells, read_table
from pipelines.pseudonym import check_warehouse_key
from pipelines.warehouse import ensure_schema, machine_failure, rollback

__all__ = ["FileReport", "IngestResult", "run_ingest"]

log = logging.getLogger("atbalsts.ingest")

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
    # (path as stored, sha256) of this run's files whose names held personal data (see paths.py)
    personal_names: list[tuple[str, str | None]] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)


# While ingesting, DuckDB checkpoints only when the WAL passes this size (default 16 MiB: every few
# files), and once at the end. Each batch is still its own committed transaction in the WAL.
INGEST_CHECKPOINT_THRESHOLD = "1GB"
UNCHANGED_BATCH = 500  # unchanged files are marked in one update per this many files
# Files of one kind are typed and saved together, up to this many rows or files per batch: per-file SQL,
# commits and pseudonyms of the same pupils month after month were most of ingest's time.
BATCH_ROWS = 500_000
BATCH_FILES = 400


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


@dataclass(frozen=True)
class _Pending:
    """A file read and recognised, waiting in its kind's batch: its cells, not yet typed."""

    rel: str
    digest: str
    kind: str
    cells: pl.DataFrame
    encoding: str | None
    delimiter: str | None
    previous: _Previous | None
    stat: _Stat


@dataclass
class _Batch:
    kind: str
    files: list[_Pending] = field(default_factory=list)
    rows: int = 0

    def add(self, pending: _Pending) -> None:
        self.files.append(pending)
        self.rows += pending.cells.height


@dataclass
class _RunState:
    """What one run reads once instead of once per file."""

    run_id: str
    previous: dict[str, _Previous]
    columns: dict[str, list[str]]
    pupil_ids: values.PupilIds  # this run's key; each personal code checked once per run
    scrubber: PathScrubber
    identities: dict[str, str]  # raw relative path -> the path as stored and shown (paths.py)
    unchanged: list[tuple[str, int | None, int | None]] = field(default_factory=list)

    def identity_of(self, con: duckdb.DuckDBPyConnection, raw: str) -> str:
        """The stored path of a raw relative path (listed ones were looked up at the start)."""
        if raw not in self.identities:
            self.identities.update(self.scrubber.identities(con, [raw]))
        return self.identities[raw]


def run_ingest(
    con: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    key: bytes,
    run_id: str,
    on_file: Callable[[FileReport], None] | None = None,
    *,
    batch_rows: int = BATCH_ROWS,
    batch_files: int = BATCH_FILES,
) -> IngestResult:
    """Ingest every file under raw_dir (recursively, in sorted order); one bad file never stops the rest."""
    ensure_schema(con)
    check_warehouse_key(con, key, run_id)  # a weak key, or not the one the warehouse was built with: refused
    migrate_meta_files(con)
    ensure_tables(con)
    migrate_free_text(con, key)
    normalise.install_macros(con)
    raw_dir = Path(raw_dir)
    files = list_files(raw_dir)
    raws = [path.relative_to(raw_dir).as_posix() for path in files]
    scrubber = PathScrubber(key)
    scrubber.rescrub_stored(con, raws)  # names stored by an interrupted run; paths from before the rule
    state = _RunState(
        run_id, previous_versions(con), staging_columns(con), values.PupilIds(key), scrubber,
        scrubber.identities(con, raws),
    )  # fmt: skip
    result = IngestResult()
    batches: dict[str, _Batch] = {}

    def report(found: FileReport) -> None:
        result.files.append(found)

    def flush(kind: str) -> None:
        batch = batches.pop(kind, None)
        if batch is not None:
            for found in load_batch(con, batch, key, state):
                report(found)

    threshold = con.execute("select current_setting('checkpoint_threshold')").fetchall()[0][0]
    con.execute(f"SET checkpoint_threshold = '{INGEST_CHECKPOINT_THRESHOLD}'")
    try:
        for path in files:
            examined = examine_file(con, raw_dir, path, state)
            if isinstance(examined, FileReport):
                report(examined)
            else:
                batch = batches.setdefault(examined.kind, _Batch(examined.kind))
                batch.add(examined)
                if batch.rows >= batch_rows or len(batch.files) >= batch_files:
                    flush(examined.kind)
            if len(state.unchanged) >= UNCHANGED_BATCH:
                flush_unchanged(con, state)
        for kind in list(batches):
            flush(kind)
    finally:
        flush_unchanged(con, state)
        con.execute(f"drop table if exists {normalise.TYPED_TABLE}")
        con.execute(f"SET checkpoint_threshold = '{threshold.replace(' ', '')}'")
    finish_paths(con, state, raws, result)
    con.execute("CHECKPOINT")
    result.files.sort(key=lambda f: f.path)
    if on_file is not None:  # after finish_paths: a name learned late in the run is never shown
        for found in result.files:
            on_file(found)
    return result


def finish_paths(con: duckdb.DuckDBPyConnection, state: _RunState, raws: list[str], result: IngestResult) -> None:
    """Rename paths holding a name learned this run (a file read before the roster that names its
    pupil), and list this run's files whose names held personal data, for the analyst."""
    renames = state.scrubber.rescrub_stored(con, raws)
    result.files = [replace(f, path=renames.get(f.path, f.path)) for f in result.files]
    digests = dict(con.execute("select file_path, sha256 from meta.files").fetchall())
    stored = {raw: renames.get(state.identities[raw], state.identities[raw]) for raw in raws}
    result.personal_names = sorted((path, digests.get(path)) for raw, path in stored.items() if path != raw)
    for path, digest in result.personal_names:
        log.warning("file name holds personal data, stored as %s (sha256 %s)", path, digest)


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


def examine_file(con: duckdb.DuckDBPyConnection, raw_dir: Path, path: Path, state: _RunState) -> FileReport | _Pending:
    """Read one file and decide: unchanged, skipped or rejected (recorded at once), or rows to load
    (returned, to be typed and saved with other files of its kind). Errors become a report, never a traceback."""
    rel = state.identity_of(con, path.relative_to(raw_dir).as_posix())
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
        return read_file(con, rel, data, digest, previous, state, stat)
    except Exception as exc:  # one bad file must not stop the others; no data in the message
        return reject_internal(con, rel, digest, previous, state, exc)


def content_hash(data: bytes) -> str:
    """What decides whether a file changed (size and mtime only decide whether to compute it)."""
    return hashlib.sha256(data).hexdigest()


def read_file(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    data: bytes,
    digest: str,
    previous: _Previous | None,
    state: _RunState,
    stat: _Stat,
) -> FileReport | _Pending:
    """Decode, split and recognise one file; its cells go to a batch, anything else is saved now."""
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
    cells = normalise.select_cells(table.frame, found.kind, found.positions)
    return _Pending(rel, digest, found.kind, cells, encoding, delimiter, previous, stat)


def load_batch(con: duckdb.DuckDBPyConnection, batch: _Batch, key: bytes, state: _RunState) -> list[FileReport]:
    """Type and save a batch of one kind's files in one transaction; if that fails, file by file,
    so a file the code cannot handle is rejected alone ("one bad file never stops the others")."""
    try:
        return type_and_save(con, batch.kind, batch.files, key, state)
    except Exception as exc:
        if len(batch.files) == 1:
            only = batch.files[0]
            return [reject_internal(con, only.rel, only.digest, only.previous, state, exc)]
    reports = []
    for pending in batch.files:
        try:
            reports.extend(type_and_save(con, batch.kind, [pending], key, state))
        except Exception as exc:
            reports.append(reject_internal(con, pending.rel, pending.digest, pending.previous, state, exc))
    return reports


def reject_internal(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    digest: str,
    previous: _Previous | None,
    state: _RunState,
    exc: Exception,
) -> FileReport:
    """A file the code failed on: reported with the error's type only (no data in the message).
    A failure to write the warehouse (full disk) is not the file's: it stops the run, called here
    from the handler so the original traceback is kept."""
    if machine_failure(exc):
        raise exc
    reason = f"Iekšēja kļūda, fails netika ielādēts / Internal error, the file was not loaded ({type(exc).__name__})"
    if previous is None:  # keep an earlier good version's rows and record intact
        save_file(con, rel, digest, None, "rejected", reason, None, None, state, None, _Stat())
    return FileReport(rel, None, "rejected", reason=reason)


def type_and_save(
    con: duckdb.DuckDBPyConnection, kind: str, files: list[_Pending], key: bytes, state: _RunState
) -> list[FileReport]:
    """Process (pseudonyms, codes, typing SQL) the files' rows together, then Save them in one transaction."""
    cells = pl.concat([p.cells.with_columns(pl.lit(p.rel).alias("source_file")) for p in files], how="vertical")
    state.scrubber.record_names(con, cells)  # names seen before they are dropped: paths holding them are masked
    normalise.type_rows(con, kind, normalise.map_values(normalise.clean_cells(cells), kind, key, state.pupil_ids))
    counts = {
        path: (int(loaded), int(quarantined))
        for path, loaded, quarantined in con.execute(
            f"select source_file, count(*) filter (where error_reason is null), "
            f"count(*) filter (where error_reason is not null) from {normalise.TYPED_TABLE} group by source_file"
        ).fetchall()
    }
    reports = []
    for p in files:
        loaded, quarantined = counts.get(p.rel, (0, 0))
        reports.append(FileReport(p.rel, kind, "loaded", loaded + quarantined, loaded, quarantined))
    now = datetime.now()
    records = [
        (p.rel, p.digest, kind, r.status, r.rows_read, r.rows_loaded, r.rows_quarantined, None, p.encoding,
         p.delimiter, now, state.run_id, p.stat.size, p.stat.mtime_ns)
        for p, r in zip(files, reports, strict=True)
    ]  # fmt: skip
    con.execute("begin transaction")
    try:
        for previous_kind, paths in _by_previous_kind(files).items():
            remove_rows(con, paths, previous_kind)
        insert_rows(con, kind, state, any(r.rows_quarantined for r in reports))
        upsert_files(con, records)
        con.execute("commit")
    except BaseException:
        rollback(con)
        raise
    return reports


def _by_previous_kind(files: list[_Pending]) -> dict[str | None, list[str]]:
    out: dict[str | None, list[str]] = {}
    for p in files:
        if p.previous is not None:
            out.setdefault(p.previous.kind, []).append(p.rel)
    return out


def mark_unchanged(state: _RunState, rel: str, previous: _Previous, stat: _Stat) -> FileReport:
    """Same path, same bytes: nothing is rewritten but the status of this run (and the stat, so the
    next run need not hash it); collected and written in one update (flush_unchanged)."""
    state.unchanged.append((rel, stat.size, stat.mtime_ns))
    return FileReport(
        rel, previous.kind, "unchanged", previous.rows_read, previous.rows_loaded, previous.rows_quarantined
    )


META_SCHEMA = {
    "file_path": pl.String,
    "sha256": pl.String,
    "kind": pl.String,
    "status": pl.String,
    "rows_read": pl.Int64,
    "rows_loaded": pl.Int64,
    "rows_quarantined": pl.Int64,
    "reason": pl.String,
    "encoding": pl.String,
    "delimiter": pl.String,
    "ingested_at": pl.Datetime("us"),
    "run_id": pl.String,
    "file_size": pl.Int64,
    "file_mtime_ns": pl.Int64,
}


def upsert_files(con: duckdb.DuckDBPyConnection, records: list[tuple]) -> None:
    """meta.files rows for files read this run, in one statement (executemany costs ~5 ms a row)."""
    con.register("ingest_meta", pl.DataFrame(records, schema=META_SCHEMA, orient="row"))
    try:
        con.execute(f"insert or replace into meta.files ({', '.join(META_SCHEMA)}) select * from ingest_meta")
    finally:
        con.unregister("ingest_meta")


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
) -> FileReport:
    """A file without rows to load (skipped or rejected), in one transaction: earlier rows out, meta.files in."""
    con.execute("begin transaction")
    try:
        if previous is not None:
            remove_rows(con, [rel], previous.kind)
        record = (rel, digest, kind, status, 0, 0, 0, reason, encoding, delimiter, datetime.now(), state.run_id,
                  stat.size, stat.mtime_ns)  # fmt: skip
        upsert_files(con, [record])
        con.execute("commit")
    except BaseException:
        rollback(con)
        raise
    return FileReport(rel, kind, status, 0, 0, 0, reason)


def remove_rows(con: duckdb.DuckDBPyConnection, paths: list[str], kind: str | None) -> None:
    """Changed files replace their earlier versions: staging rows and ingest quarantine of those paths."""
    for table in [kind] if kind in KINDS else []:
        con.execute(f"delete from staging.{table} where source_file in (select unnest(?))", [paths])
    con.execute("delete from quarantine.rows where stage = 'ingest' and source_file in (select unnest(?))", [paths])


def insert_rows(con: duckdb.DuckDBPyConnection, kind: str, state: _RunState, any_quarantined: bool) -> None:
    """Valid rows to staging.<kind>, the others to quarantine.rows with what to fix."""
    columns = ", ".join(state.columns[kind])
    con.execute(
        f"insert into staging.{kind} ({columns}) select {columns} from {normalise.TYPED_TABLE} "
        "where error_reason is null"
    )
    if any_quarantined:
        insert_quarantine(con, kind, state.run_id)


def insert_quarantine(con: duckdb.DuckDBPyConnection, kind: str, run_id: str) -> None:
    """The typed table's error rows to quarantine.rows, with the message for the school."""
    con.register("ingest_reasons", reasons_frame(kind))
    try:
        con.execute(
            f"""
            insert into quarantine.rows (source_file, source_line, kind, school_id, stage, column_name, value,
                                         reason_code, message_lv, message_en, row_key, run_id)
            select t.source_file, t.source_line, ?, t.raw_school_id, 'ingest', t.error_column,
                   {normalise.quarantine_value_sql(kind)},
                   t.error_reason,
                   coalesce(r.message_lv, 'Rinda netika ielādēta: ' || t.error_reason),
                   coalesce(r.message_en, 'The row was not loaded: ' || t.error_reason),
                   null, ?
            from {normalise.TYPED_TABLE} t
            left join ingest_reasons r on r.reason_code = t.error_reason and r.column_name = t.error_column
            where t.error_reason is not null
            order by t.source_file, t.source_line
            """,
            [kind, run_id],
        )
    finally:
        con.unregister("ingest_reasons")
