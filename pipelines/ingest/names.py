"""Names learned before anything is stored: a first pass over the run's new and changed files.

Paths and kept text cells are masked against the pupils' and staff members' names known when
they are stored (paths.py). Were names learned as files are loaded, a file read before the roster
that names its pupil would be stored with the name and renamed at the end of the run, and the
first version's bytes would stay in the warehouse file's freed blocks (DuckDB does not overwrite
them). So before the run stores any path or cell, this pass looks at every file the run will
read: its header row is recognised, and of rosters and consultation logs only the name columns
(first + last name, staff name) are read, chunk by chunk, into keyed name-pair hashes in
meta.name_pairs. No name is kept, and nothing else is written.

Cost: a file whose header names no one is read up to its header (a text file's first 64 KB; a
workbook is parsed whole, as calamine does; an archive's members in memory, within the archive
limits). Files the run will find unchanged (size and mtime as recorded) are not opened: their
names were learned when they were loaded. Should the pass fail on a file, the run also learns names
as rows load (late, so paths stored before are renamed at its end), rather than never.
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.ingest import containers, readers
from pipelines.ingest.containers import ArchiveLimits
from pipelines.ingest.kinds import recognise
from pipelines.ingest.paths import PathScrubber, store_pairs

log = logging.getLogger("atbalsts.ingest")

NAME_COLUMNS = ("first_name", "last_name", "staff_name")  # contract columns whose cells are names
HEAD_BYTES = 64 * 1024  # of a text file, enough for its header row (else the file is read whole)
FLUSH_PAIRS = 200_000  # hashes held before they are written


@dataclass
class Learned:
    """What the pass did, for the log and the benchmark."""

    files: int = 0  # files (sheets, members) looked at
    name_files: int = 0  # of which had name columns
    pairs: int = 0  # name-pair hashes found (before duplicates are dropped)
    failed: int = 0  # files the pass failed on (the run then also learns names as it loads)
    seconds: float = 0.0


@dataclass
class NamePass:
    con: duckdb.DuckDBPyConnection
    scrubber: PathScrubber
    limits: ArchiveLimits
    chunk_bytes: int = readers.CHUNK_BYTES
    max_line: int = readers.MAX_LINE_BYTES

    def run(self, paths: Iterable[Path]) -> Learned:
        """Learn the names in these files (on disk); a file that cannot be read is left to the run."""
        started = time.perf_counter()
        found = Learned()
        hashes: set[str] = set()
        for path in paths:
            try:
                hashes |= self.in_file(path, found)
            except Exception as exc:  # the normal pass reads it again and reports what is wrong
                found.failed += 1
                log.warning(
                    "names could not be learned from one file (%s)", type(exc).__name__
                )  # no path: it may hold one
            if len(hashes) >= FLUSH_PAIRS:
                store_pairs(self.con, hashes)
                hashes = set()
        store_pairs(self.con, hashes)
        found.seconds = time.perf_counter() - started
        return found

    def in_file(self, path: Path, found: Learned) -> set[str]:
        with path.open("rb") as f:
            head = f.read(HEAD_BYTES)
        if not head.startswith(readers.ZIP_MAGIC):
            header = head_header(head)
            if header is not None and not name_positions(header):
                found.files += 1
                return set()  # a text file whose header names no one: the rest is not read
        data = head if len(head) < HEAD_BYTES else path.read_bytes()
        return self.in_bytes(data, 0, containers.new_budget(self.limits), found)

    def in_bytes(self, data: bytes, depth: int, budget: containers.Budget, found: Learned) -> set[str]:
        kind = containers.container_kind(data)
        if kind == "xlsx":
            return self.in_workbook(data, found)
        if kind == "zip":
            return self.in_archive(data, depth, budget, found)
        if kind == "document":
            return set()
        found.files += 1
        header = head_header(data[:HEAD_BYTES])
        if header is not None and not name_positions(header):
            return set()
        try:
            source = readers.open_text(data, self.chunk_bytes, self.max_line)
        except (readers.NotData, readers.Unreadable):
            return set()
        positions = name_positions(source.header)
        if not positions:
            return set()
        found.name_files += 1
        hashes: set[str] = set()
        try:
            for frame in source.only(list(positions.values())):
                cells = frame.rename({f"f{i}": f"raw_{name}" for name, i in positions.items()})
                hashes |= self.scrubber.name_hashes(cells)
        except readers.Unreadable:
            pass  # names up to the unreadable part are kept; the file is rejected by the run
        found.pairs += len(hashes)
        return hashes

    def in_workbook(self, data: bytes, found: Learned) -> set[str]:
        try:
            sheets = containers.read_sheets(data)
        except readers.Unreadable:
            return set()
        hashes: set[str] = set()
        for sheet in sheets:
            found.files += 1
            if sheet.table is None:
                continue
            frame = sheet.table.frame
            positions = name_positions(list(frame.row(0)))
            if positions:
                found.name_files += 1
                names = frame.slice(1).select(pl.nth(i).alias(f"raw_{name}") for name, i in positions.items())
                hashes |= self.scrubber.name_hashes(names)
        found.pairs += len(hashes)
        return hashes

    def in_archive(self, data: bytes, depth: int, budget: containers.Budget, found: Learned) -> set[str]:
        if depth + 1 > self.limits.max_depth:
            return set()
        hashes: set[str] = set()
        try:
            for member in containers.archive_members(data, budget):
                if member.data is not None:
                    hashes |= self.in_bytes(member.data, depth + 1, budget, found)
        except containers.ArchiveRejected:
            pass
        return hashes


def head_header(head: bytes) -> list[str | None] | None:
    """The header row of a text file's first bytes (decoded as UTF-8, else Windows-1257; split on
    the delimiter the run would detect, quotes as the run reads them); None when it does not end
    within them, is not text, or a quoted cell runs over the line (the file is then read whole)."""
    start = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    end = head.find(b"\n", start)
    if end < 0 or b"\x00" in head[:end]:
        return None
    line = head[start:end]
    try:
        text = line.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        text = line.decode("cp1257", errors="replace").rstrip("\r")
    if text.count('"') % 2:
        return None
    # the csv module for one line: a polars parse costs ~1 ms a file, most of this pass for small files
    cells = next(csv.reader([text], delimiter=readers.detect_delimiter(text), quotechar='"'), [])
    return [cell if cell != "" else None for cell in cells] or None


def name_positions(header: list[str | None]) -> dict[str, int]:
    """Name column -> header position, for a header of a kind with names (also when the file will
    be rejected for another column: its path is stored all the same)."""
    found = recognise(header)
    return {name: found.positions[name] for name in NAME_COLUMNS if name in found.positions}
