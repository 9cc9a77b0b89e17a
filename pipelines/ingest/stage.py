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
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.contract import STAGING_TABLES
from pipelines.ingest import containers, normalise, readers, values
from pipelines.ingest.containers import ArchiveLimits
from pipelines.ingest.kinds import recognise
from pipelines.ingest.legacy import migrate_free_text, migrate_subjects
from pipelines.ingest.messages import reasons_frame
from pipelines.ingest.names import NamePass
from pipelines.ingest.paths import (
    IDENTITY,
    PathScrubber,
    ensure_tables,
    mask_code_shapes,
    name_forms_current,
    remask_codes_stored,
    save_name_forms,
)
from pipelines.ingest.readers import NotData, RawTable, Unreadable, header_cells
from pipelines.ingest.sources import Entry, list_entries
from pipelines.pseudonym import check_warehouse_key
from pipelines.warehouse import ensure_schema, machine_failure, transaction

__all__ = ["ArchiveLimits", "FileReport", "IngestResult", "run_ingest"]

log = logging.getLogger("atbalsts.ingest")

STATUSES = ("loaded", "unchanged", "rejected", "skipped")
# Cells kept as written (as `*_raw` beside their code) and so checked for known names before storing.
KEPT_TEXT_CELLS = (
    *("raw_subject", "raw_staff_role", "raw_mode", "raw_class", "raw_grade", "raw_assessment_type"),
    *("raw_activity_id", "raw_activity_type", "raw_support_type", "raw_cost_category", "raw_reason"),
    "raw_municipality",  # registry text, but a costs file's municipality is typed by a project
    # a pupil's name typed as the school id (then quarantined: values.school_id_check), and registry
    # school names: a school named after a person who is also a pupil on a roster is rare, privacy first
    *("raw_school_id", "raw_school_name", "raw_school_type"),
)
# Allowed text shown in reports: personal-code-shaped parts masked (paths.mask_code_shapes), and known
# names as in every kept cell (above).
# A costs file's municipality is registry text too.
REGISTRY_TEXT_CELLS = ("raw_school_name", "raw_municipality")


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
    # paths stored by earlier runs renamed now (a name first known this run): see paths.renamed_warning
    renamed_stored: int = 0
    # distinct kept-text values stored by earlier runs masked again (a name first known now, or in new forms)
    remasked_stored: int = 0
    # paths recorded by earlier runs that are no longer under the raw folder (stored form, sorted), and
    # whether their rows were withdrawn this run (`withdraw_missing`) or kept
    missing: list[str] = field(default_factory=list)
    withdrawn: bool = False

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
# While one huge file is typed, DuckDB keeps its typed rows within this much memory and spills the
# rest to its temp folder (pseudonymised rows only): with Python's chunks beside it, a 3-million-row
# export ingests in ~1.4 GB RSS instead of 2.3 GB at the 2 GB limit (BENCHMARKS.md, issue 13).
STREAM_MEMORY_LIMIT = "1GB"
_UNITS = {"b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


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
    encoding: str | None = None

    def same_stat(self, stat: _Stat) -> bool:
        """Size and mtime_ns as recorded with the last hash: the bytes are taken to be the same."""
        return (self.file_size, self.file_mtime_ns) == (stat.size, stat.mtime_ns)


@dataclass(frozen=True)
class _Stat:
    size: int | None = None
    mtime_ns: int | None = None


@dataclass(frozen=True)
class _Pending:
    """A file read and recognised, waiting in its kind's batch: its cells, not yet typed.

    A small file's cells are read at once; a file larger than one chunk keeps its TextSource and is
    read chunk by chunk while it is typed (`stream`), so it never sits in memory as one frame."""

    rel: str
    digest: str
    kind: str
    cells: pl.DataFrame | None
    encoding: str | None
    delimiter: str | None
    previous: _Previous | None
    stat: _Stat
    stream: readers.TextSource | None = None
    positions: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return self.cells.height if self.cells is not None else BATCH_ROWS

    def frames(self) -> Iterator[pl.DataFrame]:
        """The file's cells under the kind's names, in one frame or chunk by chunk."""
        if self.cells is not None:
            yield self.cells
            return
        for part in self.stream.rows():
            yield normalise.select_rows(part.cells, self.kind, self.positions, part.first_line, part.problems)

    def data_rows(self) -> int:
        """Rows of the file (for a file rejected after it was read: rows_read = rows_quarantined)."""
        if self.cells is not None:
            return self.cells.height
        return readers.count_data_lines(self.stream.data)


@dataclass
class _Batch:
    kind: str
    files: list[_Pending] = field(default_factory=list)
    rows: int = 0

    def add(self, pending: _Pending) -> None:
        self.files.append(pending)
        self.rows += pending.rows


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
    chunk_bytes: int = readers.CHUNK_BYTES
    chunk_rows: int = BATCH_ROWS
    max_line: int = readers.MAX_LINE_BYTES
    archive_limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    parts: dict[str, list[str]] = field(default_factory=dict)  # container path -> its sheets / members last run
    part_raws: list[str] = field(default_factory=list)  # raw paths of this run's sheets and members
    learn_on_load: bool = False  # the names pass failed on a file: names are also learned as rows load

    def identity_of(self, con: duckdb.DuckDBPyConnection, raw: str) -> str:
        """The stored path of a raw relative path (listed ones were looked up at the start)."""
        if raw not in self.identities:
            self.identities.update(self.scrubber.identities(con, [raw]))
        return self.identities[raw]

    def part_identity(self, con: duckdb.DuckDBPyConnection, raw: str) -> str:
        """The stored path of a sheet or archive member (`book.xlsx#Lapa1`, `a.zip/x.csv`)."""
        if raw not in self.identities:
            self.part_raws.append(raw)
        return self.identity_of(con, raw)


def run_ingest(
    con: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    key: bytes,
    run_id: str,
    on_file: Callable[[FileReport], None] | None = None,
    *,
    batch_rows: int = BATCH_ROWS,
    batch_files: int = BATCH_FILES,
    chunk_bytes: int = readers.CHUNK_BYTES,
    archive_limits: ArchiveLimits | None = None,
    memory_limit: str | None = None,
    max_line_bytes: int = readers.MAX_LINE_BYTES,
    withdraw_missing: bool = False,
) -> IngestResult:
    """Ingest every file under raw_dir (recursively, in sorted order); one bad file never stops the rest.

    `chunk_bytes`: a text file larger than this is read and typed chunk by chunk (bounded memory),
    still saved in one transaction. `archive_limits`: zip bomb guards (containers.ArchiveLimits).
    `memory_limit`: the connection's configured DuckDB limit, set back after a huge file.
    `max_line_bytes`: a text file with a longer line is rejected before it is parsed.
    `withdraw_missing`: files recorded by earlier runs and no longer under raw_dir lose their rows
    (staging, ingest quarantine, meta.files); without it their rows are kept and only listed, since a
    raw folder pointed elsewhere by mistake must not empty the warehouse.

    Before anything is stored, the names of this run's rosters and logs are learned (names.py), so
    no path or kept cell is ever stored holding a name the run knows."""
    ensure_schema(con)
    check_warehouse_key(con, key, run_id)  # a weak key, or not the one the warehouse was built with: refused
    migrate_meta_files(con)
    ensure_tables(con)
    migrate_free_text(con, key)
    migrate_subjects(con)
    normalise.install_macros(con)
    raw_dir = Path(raw_dir)
    entries = list_entries(raw_dir)
    raws = [e.rel for e in entries]
    scrubber = PathScrubber(key)
    archive_limits = archive_limits or ArchiveLimits()
    # every file's names once when the stored name forms are older than today's (paths.NAME_FORMS_VERSION)
    relearn = not name_forms_current(con)
    to_learn = readable(entries) if relearn else to_read(con, entries, scrubber)
    learned = NamePass(con, scrubber, archive_limits, chunk_bytes, max_line_bytes).run(to_learn)
    if relearn and not learned.failed:
        save_name_forms(con)
    log.info(
        "names learned first: %d files looked at, %d with names, %.2f s",
        learned.files, learned.name_files, learned.seconds,
    )  # fmt: skip
    # paths stored before a name was known (earlier runs, an interrupted one, warehouses from before the rule)
    renamed = scrubber.rescrub_stored(con, raws)
    remasked = scrubber.remask_stored(con)  # and kept text cells stored before, in every table
    remasked += remask_codes_stored(con)  # and codes a narrower code shape let through (CODE_SHAPE_VERSION)
    state = _RunState(
        run_id,
        previous_versions(con),
        staging_columns(con),
        values.PupilIds(key),
        scrubber,
        scrubber.identities(con, raws),
        chunk_bytes=chunk_bytes,
        chunk_rows=batch_rows,
        max_line=max_line_bytes,
        archive_limits=archive_limits,
        learn_on_load=learned.failed > 0,
    )
    state.parts = container_parts(state.previous, {state.identities[r] for r in raws})
    result = IngestResult(renamed_stored=len(renamed), remasked_stored=remasked)
    result.missing = missing_files(state, raws)
    if result.missing and withdraw_missing:
        remove_files(con, result.missing, state)
        result.withdrawn = True
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
        for entry in entries:
            for examined in examine_entry(con, entry, state):
                if isinstance(examined, FileReport):
                    report(examined)
                elif examined.stream is not None:  # a huge file: typed chunk by chunk, on its own
                    with memory_at_most(con, STREAM_MEMORY_LIMIT, memory_limit):
                        for found in load_batch(con, _Batch(examined.kind, [examined]), key, state):
                            report(found)
                else:
                    batch = batches.setdefault(examined.kind, _Batch(examined.kind))
                    batch.add(examined)
                    if batch.rows >= batch_rows or len(batch.files) >= batch_files:
                        flush(examined.kind)
                if len(state.unchanged) >= UNCHANGED_BATCH:
                    flush_unchanged(con, state)
        for kind in sorted(batches):
            flush(kind)
    finally:
        flush_unchanged(con, state)
        con.execute(f"drop table if exists {normalise.TYPED_TABLE}")
        con.execute(f"SET checkpoint_threshold = '{threshold.replace(' ', '')}'")
    finish_paths(con, state, [*raws, *state.part_raws], result)
    con.execute("CHECKPOINT")
    result.files.sort(key=lambda f: f.path)
    if on_file is not None:  # after finish_paths (see there)
        for found in result.files:
            on_file(found)
    return result


@contextmanager
def memory_at_most(con: duckdb.DuckDBPyConnection, limit: str, configured: str | None = None) -> Iterator[None]:
    """DuckDB's memory limit lowered to `limit` (never raised) for a while, then set back to
    `configured` (DuckDB only reports the limit rounded), else to what it reports."""
    before = configured or con.execute("select current_setting('memory_limit')").fetchall()[0][0].replace(" ", "")
    lower = _bytes(limit) < _bytes(before)
    if lower:
        con.execute(f"SET memory_limit = '{limit}'")
    try:
        yield
    finally:
        if lower:
            con.execute(f"SET memory_limit = '{before}'")


def _bytes(size: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)\s*([A-Za-z]*)", size.strip()).groups()
    return float(number) * _UNITS.get(unit.lower() or "b", 1)


def finish_paths(con: duckdb.DuckDBPyConnection, state: _RunState, raws: list[str], result: IngestResult) -> None:
    """List this run's files whose names held personal data, for the analyst. Names are learned
    before the run stores anything (names.py); should one still be learned later, the paths holding
    it are renamed here (rescrub_stored), so none is ever shown."""
    renames = state.scrubber.rescrub_stored(con, raws)
    result.remasked_stored += state.scrubber.remask_stored(con)  # names learned as rows loaded (learn_on_load)
    result.files = [replace(f, path=renames.get(f.path, f.path)) for f in result.files]
    digests = dict(con.execute("select file_path, sha256 from meta.files").fetchall())
    stored = {raw: renames.get(state.identities[raw], state.identities[raw]) for raw in raws}
    result.personal_names = sorted((path, digests.get(path)) for raw, path in stored.items() if path != raw)
    for path, digest in result.personal_names:
        log.warning("file name holds personal data, stored as %s (sha256 %s)", path, digest)


def missing_files(state: _RunState, raws: list[str]) -> list[str]:
    """Paths recorded by earlier runs that are neither under the raw folder now nor a sheet or member
    of a container that is (those are handled as the container is re-read)."""
    on_disk = {state.identities[raw] for raw in raws}
    parts = {path for paths in state.parts.values() for path in paths}
    return sorted(path for path in state.previous if path not in on_disk and path not in parts)


def migrate_meta_files(con: duckdb.DuckDBPyConnection) -> None:
    """Size and mtime_ns recorded with each hash, a school's type and a pupil's course year (added to
    warehouses created before they existed)."""
    con.execute("alter table meta.files add column if not exists file_size bigint")
    con.execute("alter table meta.files add column if not exists file_mtime_ns bigint")
    con.execute("alter table meta.files add column if not exists school_id varchar")
    con.execute("alter table staging.schools add column if not exists school_type varchar")
    con.execute("alter table staging.schools add column if not exists school_type_raw varchar")
    con.execute("alter table staging.pupils add column if not exists course_year integer")


def previous_versions(con: duckdb.DuckDBPyConnection) -> dict[str, _Previous]:
    """Every path's last recorded version, read once per run."""
    rows = con.execute(
        "select file_path, sha256, kind, status, rows_read, rows_loaded, rows_quarantined, file_size, file_mtime_ns, "
        "encoding from meta.files"
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


CURRENT = ("loaded", "unchanged")
NO_KNOWN_HEADER = "Nav datu fails (galvene neatbilst nevienam datu veidam) / Not a data file (no known header)"


def container_parts(previous: dict[str, _Previous], on_disk: set[str]) -> dict[str, list[str]]:
    """Container path -> the sheets and members recorded for it (`book.xlsx#Lapa1`, `a.zip/x.csv`).

    A recorded path that is no file on disk belongs to the longest path on disk it starts with,
    followed by `#` or `/` (a file path is never also a folder, so this cannot mistake a file).
    Paths are compared as shown, without the tag a path with personal data carries (paths.py)."""
    shown = {_shown(path): path for path in on_disk}
    parts: dict[str, list[str]] = {}
    for path in previous:
        if path in on_disk:
            continue
        text = _shown(path)
        cuts = [i for i, ch in enumerate(text) if ch in (containers.SHEET_MARK, containers.MEMBER_MARK)]
        owner = next((shown[text[:i]] for i in reversed(cuts) if text[:i] in shown), None)
        if owner is not None:
            parts.setdefault(owner, []).append(path)
    return parts


def _shown(identity: str) -> str:
    match = IDENTITY.match(identity)
    return match.group("shown") if match else identity


def examine_entry(con: duckdb.DuckDBPyConnection, entry: Entry, state: _RunState) -> list[FileReport | _Pending]:
    """One path under the raw folder: a link (skipped), a file, or a container of sheets / members.
    Sheets and members recorded last run and not found now are removed (the file was replaced)."""
    rel = state.identity_of(con, entry.rel)
    if entry.skip_reason is not None:
        digest = content_hash(os.fsencode(os.readlink(entry.path)))
        found: list[FileReport | _Pending] = [
            save_file(con, rel, digest, None, "skipped", entry.skip_reason, None, None, state, state.previous.get(rel))
        ]
    else:
        found = examine_file(con, entry.path, entry.rel, rel, state)
    produced = {f.path if isinstance(f, FileReport) else f.rel for f in found}
    stale = [p for p in [rel, *state.parts.get(rel, [])] if p not in produced and p in state.previous]
    if stale:
        remove_files(con, stale, state)
    return found


def examine_file(
    con: duckdb.DuckDBPyConnection, path: Path, raw: str, rel: str, state: _RunState
) -> list[FileReport | _Pending]:
    """Read one file and decide: unchanged, skipped or rejected (recorded at once), or rows to load
    (returned, to be typed and saved with other files of its kind). Errors become a report, never a traceback."""
    previous = state.previous.get(rel)
    parts = [state.previous[p] for p in state.parts.get(rel, [])]
    try:
        # stat before reading: a file rewritten in between gets a newer mtime and is hashed next time
        st = path.stat()
        stat = _Stat(st.st_size, st.st_mtime_ns)
        if known_unchanged(previous, parts, stat):
            if parts:
                return [mark_unchanged(state, p, state.previous[p], stat) for p in state.parts[rel]]
            return [mark_unchanged(state, rel, previous, stat)]
        data = path.read_bytes()
    except OSError as exc:
        return [
            FileReport(rel, None, "rejected", reason=f"Failu nevar nolasīt / Cannot read the file ({exc.strerror})")
        ]
    budget = containers.new_budget(state.archive_limits)
    return examine_bytes(con, raw, rel, data, content_hash(data), stat, state, 0, budget)


def known_unchanged(previous: _Previous | None, parts: list[_Previous], stat: _Stat) -> bool:
    """Size and mtime as recorded (for a workbook or archive: with each of its sheets or members):
    the file is marked unchanged without being read. Not a workbook recorded whole (before each
    sheet was a file): it is read again."""
    if parts and previous is None:
        return all(p.status in CURRENT and p.same_stat(stat) for p in parts)
    whole = previous is not None and previous.encoding != "xlsx"
    return not parts and whole and previous.status in CURRENT and previous.same_stat(stat)


def readable(entries: list[Entry]) -> Iterator[Path]:
    """Every file of the raw folder the run would look at (all but links and skipped entries)."""
    return (entry.path for entry in entries if entry.skip_reason is None)


def to_read(con: duckdb.DuckDBPyConnection, entries: list[Entry], scrubber: PathScrubber) -> Iterator[Path]:
    """The files this run will read (all but links and files known unchanged), for the names pass."""
    previous = previous_versions(con)
    identities = scrubber.identities(con, [e.rel for e in entries])
    parts = container_parts(previous, set(identities.values()))
    for entry in entries:
        if entry.skip_reason is not None:
            continue
        rel = identities[entry.rel]
        try:
            st = entry.path.stat()
        except OSError:
            continue  # the run reports it
        if not known_unchanged(
            previous.get(rel), [previous[p] for p in parts.get(rel, [])], _Stat(st.st_size, st.st_mtime_ns)
        ):
            yield entry.path


def examine_bytes(
    con: duckdb.DuckDBPyConnection,
    raw: str,
    rel: str,
    data: bytes,
    digest: str,
    stat: _Stat,
    state: _RunState,
    depth: int,
    budget: containers.Budget,
) -> list[FileReport | _Pending]:
    """A file's bytes (on disk or an archive member): text, a workbook (a file per sheet) or an
    archive (a file per member, recursively up to ArchiveLimits.max_depth). `raw` is its path as
    found, `rel` as stored (without personal data: paths.py)."""
    previous = state.previous.get(rel)
    try:
        kind = containers.container_kind(data)
        if kind == "xlsx":
            return examine_workbook(con, raw, rel, data, digest, stat, state)
        if kind == "zip":
            return examine_archive(con, raw, rel, data, stat, state, depth, budget)
        if previous is not None and previous.status in CURRENT and previous.sha256 == digest:
            return [mark_unchanged(state, rel, previous, stat)]
        if kind == "document":
            reason = containers.DOCUMENT_REASON
            return [save_file(con, rel, digest, None, "skipped", reason, None, None, state, previous, stat)]
        return [read_file(con, rel, data, digest, previous, state, stat)]
    except Exception as exc:  # one bad file must not stop the others; no data in the message
        return [reject_internal(con, rel, digest, previous, state, exc)]


def examine_workbook(
    con: duckdb.DuckDBPyConnection, raw: str, rel: str, data: bytes, digest: str, stat: _Stat, state: _RunState
) -> list[FileReport | _Pending]:
    """Every sheet is a file of its own, `book.xlsx#<sheet>`; its hash is the workbook's and its name's."""
    try:
        sheets = containers.read_sheets(data)
    except Unreadable as exc:
        return [
            save_file(con, rel, digest, None, "rejected", str(exc), "xlsx", None, state, state.previous.get(rel), stat)
        ]
    found: list[FileReport | _Pending] = []
    for sheet in sheets:
        srel = state.part_identity(con, f"{raw}{containers.SHEET_MARK}{sheet.name}")
        sdigest = content_hash(f"{digest}{containers.SHEET_MARK}{sheet.name}".encode())
        previous = state.previous.get(srel)
        if previous is not None and previous.status in CURRENT and previous.sha256 == sdigest:
            found.append(mark_unchanged(state, srel, previous, stat))
        elif sheet.table is None:
            found.append(
                save_file(
                    con,
                    srel,
                    sdigest,
                    None,
                    sheet.status,
                    sheet.reason,
                    "xlsx",
                    None,
                    state,
                    previous,
                    stat,
                    sheet.rows,
                )
            )
        else:
            found.append(read_rows(con, srel, sdigest, sheet.table, None, previous, state, stat))
    return found


def examine_archive(
    con: duckdb.DuckDBPyConnection,
    raw: str,
    rel: str,
    data: bytes,
    stat: _Stat,
    state: _RunState,
    depth: int,
    budget: containers.Budget,
) -> list[FileReport | _Pending]:
    """Every member is a file of its own, `archive.zip/<member>`, read in memory (never extracted)."""
    digest = content_hash(data)
    previous = state.previous.get(rel)
    if depth + 1 > state.archive_limits.max_depth:
        reason = (
            f"Arhīvs arhīvā dziļāk par {state.archive_limits.max_depth} līmeņiem: iesūtiet failus bez tik daudz "
            f"arhīviem / Archives nested deeper than {state.archive_limits.max_depth} levels: send the files "
            "with fewer archives around them"
        )
        return [save_file(con, rel, digest, None, "rejected", reason, "zip", None, state, previous, stat)]
    found: list[FileReport | _Pending] = []
    try:
        for member in containers.archive_members(data, budget):
            mraw = f"{raw}{containers.MEMBER_MARK}{member.name}"
            mrel = state.part_identity(con, mraw)
            if member.data is None:
                mdigest = content_hash(mrel.encode())
                found.append(
                    save_file(
                        con, mrel, mdigest, None, member.status, member.reason, None, None, state,
                        state.previous.get(mrel), stat,
                    )
                )  # fmt: skip
            else:
                mdigest = content_hash(member.data)
                found += examine_bytes(con, mraw, mrel, member.data, mdigest, stat, state, depth + 1, budget)
    except containers.ArchiveRejected as exc:
        return [save_file(con, rel, digest, None, "rejected", str(exc), "zip", None, state, previous, stat)]
    if not found:
        reason = "Tukšs arhīvs / Empty archive"
        return [save_file(con, rel, digest, None, "skipped", reason, "zip", None, state, previous, stat)]
    return found


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
    """Decode, split and recognise one text file; its cells go to a batch, anything else is saved now.
    A file larger than one chunk is only opened here (header, encoding), and read while it is typed."""
    try:
        source = readers.open_text(data, state.chunk_bytes, state.max_line)
    except NotData as exc:
        return save_file(con, rel, digest, None, "skipped", str(exc), None, None, state, previous, stat)
    except Unreadable as exc:
        if (
            not isinstance(exc, readers.TooLong) and recognise(header_cells(data)).kind is None
        ):  # a note or README that merely fails to split
            return save_file(con, rel, digest, None, "skipped", NO_KNOWN_HEADER, None, None, state, previous, stat)
        rows = readers.count_data_lines(data)
        return save_file(con, rel, digest, None, "rejected", str(exc), None, None, state, previous, stat, rows)
    if len(data) > state.chunk_bytes:
        return read_stream(con, rel, digest, source, previous, state, stat)
    try:
        parts = list(source.rows())
    except Unreadable as exc:
        rows = readers.count_data_lines(data)
        found = recognise(source.header)
        return save_file(
            con, rel, digest, found.kind, "rejected", str(exc), source.encoding.name, source.delimiter, state,
            previous, stat, rows,
        )  # fmt: skip
    header = pl.DataFrame([source.header], schema=list(source.columns), orient="row")
    frame = pl.concat([header, *(p.cells for p in parts)], how="vertical")
    problems = pl.concat([header.select(pl.lit(None, pl.String).alias(c) for c in readers.PROBLEM_SCHEMA)]
                         + [p.problems for p in parts])  # fmt: skip
    table = RawTable(frame, source.encoding.name, source.delimiter, problems)
    return read_rows(con, rel, digest, table, None, previous, state, stat)


def read_rows(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    digest: str,
    table: RawTable,
    stream: readers.TextSource | None,
    previous: _Previous | None,
    state: _RunState,
    stat: _Stat,
) -> FileReport | _Pending:
    """Recognise a table by its header row: rows to load, or the file skipped / rejected now.
    A rejected file counts its data rows as read and quarantined, and names its school if its
    rows name one (feedback reaches that school)."""
    encoding, delimiter = table.encoding, table.delimiter
    headers = list(table.frame.row(0))
    found = recognise(headers)
    if found.kind is None and not found.problem:
        reason = (
            "Galvene neatbilst nevienam datu veidam (nav datu fails?) / "
            "The header matches no kind of export (not a data file?)"
        )
        return save_file(con, rel, digest, None, "skipped", reason, encoding, delimiter, state, previous, stat)
    if found.problem:  # data, but the header fits two kinds, misses a column or names one twice
        rows, school = rejected_rows(table, stream, found.positions.get("school_id"))
        return save_file(
            con, rel, digest, found.kind, "rejected", found.problem, encoding, delimiter, state, previous, stat,
            rows, school,
        )  # fmt: skip
    if stream is not None:
        return _Pending(rel, digest, found.kind, None, encoding, delimiter, previous, stat, stream, found.positions)
    cells = normalise.select_cells(table.frame, found.kind, found.positions, table.problems)
    return _Pending(rel, digest, found.kind, cells, encoding, delimiter, previous, stat)


def read_stream(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    digest: str,
    source: readers.TextSource,
    previous: _Previous | None,
    state: _RunState,
    stat: _Stat,
) -> FileReport | _Pending:
    """A file larger than one chunk: recognised by its header now, its rows read while it is typed."""
    header = pl.DataFrame([source.header], schema=list(source.columns), orient="row")
    table = RawTable(header, source.encoding.name, source.delimiter)
    return read_rows(con, rel, digest, table, source, previous, state, stat)


def rejected_rows(table: RawTable, stream: readers.TextSource | None, school_at: int | None) -> tuple[int, str | None]:
    """(data rows that are not blank, the one school id they name or None) of a rejected table."""
    frames = [table.frame.slice(1)] if stream is None else (p.cells for p in stream.rows())
    rows, schools = 0, set()
    try:
        for frame in frames:
            filled = frame.filter(pl.any_horizontal(pl.all().str.strip_chars() != ""))
            rows += filled.height
            if school_at is not None and len(schools) < 2:
                column = filled.get_column(filled.columns[school_at]).str.strip_chars()
                schools.update(column.str.replace(r"^(\d+)\.0+$", "${1}").drop_nulls().unique().to_list())
    except Unreadable:
        return readers.count_data_lines(stream.data), None
    return rows, (values.safe_school_id(schools.pop()) if len(schools) == 1 else None)


def load_batch(con: duckdb.DuckDBPyConnection, batch: _Batch, key: bytes, state: _RunState) -> list[FileReport]:
    """Type and save a batch of one kind's files in one transaction; if that fails, file by file,
    so a file the code cannot handle is rejected alone ("one bad file never stops the others")."""
    try:
        return type_and_save(con, batch.kind, batch.files, key, state)
    except Exception as exc:
        if len(batch.files) == 1:
            only = batch.files[0]
            return [reject_internal(con, only.rel, only.digest, only.previous, state, exc, only.data_rows())]
    reports = []
    for pending in batch.files:
        try:
            reports.extend(type_and_save(con, batch.kind, [pending], key, state))
        except Exception as exc:
            reports.append(
                reject_internal(con, pending.rel, pending.digest, pending.previous, state, exc, pending.data_rows())
            )
    return reports


def reject_internal(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    digest: str,
    previous: _Previous | None,
    state: _RunState,
    exc: Exception,
    rows: int = 0,
) -> FileReport:
    """A file the code failed on: reported with the error's type only (no data in the message), or
    for a file found unreadable while it was read chunk by chunk (readers.Unreadable), with that reason.
    Its rows count as read and quarantined (none of them is loaded). A failure to write the
    warehouse (full disk) is not the file's: it stops the run, called here from the handler so
    the original traceback is kept."""
    if machine_failure(exc):
        raise exc
    reason = f"Iekšēja kļūda, fails netika ielādēts / Internal error, the file was not loaded ({type(exc).__name__})"
    if isinstance(exc, Unreadable):  # found while a huge file was read chunk by chunk: what to fix
        reason = str(exc)
    if previous is None:  # keep an earlier good version's rows and record intact
        save_file(con, rel, digest, None, "rejected", reason, None, None, state, None, _Stat(), rows)
    return FileReport(rel, None, "rejected", rows, 0, rows, reason)


def type_and_save(
    con: duckdb.DuckDBPyConnection, kind: str, files: list[_Pending], key: bytes, state: _RunState
) -> list[FileReport]:
    """Process (pseudonyms, codes, typing SQL) the files' rows together, a chunk at a time, then Save
    them in one transaction: a failure in any chunk leaves nothing of these files."""
    normalise.begin_typed(con)
    for cells in chunked_cells(files, state.chunk_rows):
        if state.learn_on_load:  # late, but a path stored before is then renamed at the end (finish_paths)
            state.scrubber.record_names(con, cells)
        cells = state.scrubber.scrub_cells(con, cells, KEPT_TEXT_CELLS)
        cells = mask_code_shapes(cells, REGISTRY_TEXT_CELLS)
        prepared = normalise.map_values(normalise.clean_cells(cells), kind, key, state.pupil_ids)
        normalise.add_typed(con, kind, prepared)
        del cells, prepared
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
         p.delimiter, now, state.run_id, p.stat.size, p.stat.mtime_ns, None)
        for p, r in zip(files, reports, strict=True)
    ]  # fmt: skip
    with transaction(con):
        for previous_kind, paths in _by_previous_kind(files).items():
            remove_rows(con, paths, previous_kind)
        insert_rows(con, kind, state, any(r.rows_quarantined for r in reports))
        upsert_files(con, records)
    return reports


def chunked_cells(files: list[_Pending], chunk_rows: int) -> Iterator[pl.DataFrame]:
    """The files' cells (with source_file) in frames: small files together, up to about chunk_rows
    rows a frame; a huge file (streamed) one chunk at a time."""
    group: list[pl.DataFrame] = []
    rows = 0
    for pending in files:
        for frame in pending.frames():
            group.append(frame.with_columns(pl.lit(pending.rel).alias("source_file")))
            rows += frame.height
            if rows >= chunk_rows or pending.stream is not None:
                yield pl.concat(group, how="vertical")
                group, rows = [], 0
    if group:
        yield pl.concat(group, how="vertical")


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
    "school_id": pl.String,  # a skipped or rejected file's school, when its rows name one (feedback)
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
    stat: _Stat = _Stat(),
    rows: int = 0,
    school_id: str | None = None,
) -> FileReport:
    """A file without rows to load (skipped or rejected), in one transaction: earlier rows out, meta.files in.
    `rows`: a rejected file's data rows, counted as read and quarantined (read = loaded + quarantined)."""
    with transaction(con):
        if previous is not None:
            remove_rows(con, [rel], previous.kind)
        record = (rel, digest, kind, status, rows, 0, rows, reason, encoding, delimiter, datetime.now(), state.run_id,
                  stat.size, stat.mtime_ns, school_id)  # fmt: skip
        upsert_files(con, [record])
    return FileReport(rel, kind, status, rows, 0, rows, reason)


def remove_files(con: duckdb.DuckDBPyConnection, paths: list[str], state: _RunState) -> None:
    """Sheets or members no longer in their replaced workbook or archive (or a container recorded
    whole before), or files gone from the raw folder (`withdraw_missing`): their rows and records go,
    in one transaction, one statement per kind."""
    by_kind: dict[str | None, list[str]] = {}
    for path in paths:
        by_kind.setdefault(state.previous[path].kind, []).append(path)
    with transaction(con):
        for kind, of_kind in by_kind.items():
            remove_rows(con, of_kind, kind)
        con.execute("delete from meta.files where file_path in (select unnest(?))", [paths])


def remove_rows(con: duckdb.DuckDBPyConnection, paths: list[str], kind: str | None) -> None:
    """Changed files replace their earlier versions: staging rows and ingest quarantine of those paths."""
    for table in [STAGING_TABLES[kind]] if kind in STAGING_TABLES else []:
        con.execute(f"delete from staging.{table} where source_file in (select unnest(?))", [paths])
    con.execute("delete from quarantine.rows where stage = 'ingest' and source_file in (select unnest(?))", [paths])


def insert_rows(con: duckdb.DuckDBPyConnection, kind: str, state: _RunState, any_quarantined: bool) -> None:
    """Valid rows to the kind's staging table, the others to quarantine.rows with what to fix."""
    table = STAGING_TABLES[kind]
    columns = ", ".join(state.columns[table])
    con.execute(f"insert into staging.{table} ({columns}) select {columns} from ({normalise.keyed_rows_sql()})")
    if any_quarantined:
        insert_quarantine(con, kind, state.run_id, state.scrubber)


def insert_quarantine(con: duckdb.DuckDBPyConnection, kind: str, run_id: str, scrubber: PathScrubber) -> None:
    """The typed table's error rows to quarantine.rows, with the message for the school. The value
    kept is masked like a kept text cell (codes and known names, paths.PathScrubber.scrub): a pupil's
    name can be typed into any column, a date or an amount too."""
    value_sql = normalise.quarantine_value_sql(kind)
    written = [
        r[0]
        for r in con.execute(
            f"select distinct {value_sql} as v from {normalise.TYPED_TABLE} where error_reason is not null"
        ).fetchall()
        if r[0] is not None
    ]
    known = scrubber.known_pairs(con, written)
    masked = {v: shown for v in written if (shown := scrubber.scrub(v, known)) != v}
    con.register("ingest_masked", pl.DataFrame({"value": list(masked), "shown": list(masked.values())},
                                                schema={"value": pl.String, "shown": pl.String}))  # fmt: skip
    con.register("ingest_reasons", reasons_frame(kind))
    try:
        con.execute(
            f"""
            insert into quarantine.rows (source_file, source_line, kind, school_id, stage, column_name, value,
                                         reason_code, message_lv, message_en, row_key, run_id)
            select t.source_file, t.source_line, ?, t.raw_school_id, 'ingest', t.error_column,
                   coalesce(m.shown, t.q_value),
                   t.error_reason,
                   coalesce(r.message_lv, 'Rinda netika ielādēta: ' || t.error_reason),
                   coalesce(r.message_en, 'The row was not loaded: ' || t.error_reason),
                   null, ?
            from (select *, {value_sql} as q_value from {normalise.TYPED_TABLE} where error_reason is not null) t
            left join ingest_masked m on m.value = t.q_value
            left join ingest_reasons r
                on r.reason_code = t.error_reason and r.column_name is not distinct from t.error_column
            where t.error_reason is not null
            order by t.source_file, t.source_line
            """,
            [kind, run_id],
        )
    finally:
        con.unregister("ingest_reasons")
        con.unregister("ingest_masked")
