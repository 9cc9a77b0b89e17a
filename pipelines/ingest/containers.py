"""Files that hold other files: every sheet of a workbook, every member of a zip archive.

Each sheet and each archive member is ingested as a file of its own, named after its container:
`book.xlsx#Lapa1` (sheet `Lapa1`), `arhivs.zip/iap/janvaris.csv` (a member), and for a workbook
inside an archive `arhivs.zip/book.xlsx#Lapa1`. A container is never silently skipped: it is
opened, or rejected (at its own path) with the reason.

Archives are read in memory, never written to disk: no extracted copy of pupils' data is left in
a temporary folder, and a member name such as `../../etc/x` cannot reach the file system (such an
archive is rejected all the same). Limits (ArchiveLimits, from params.yaml) stop zip bombs: total
uncompressed size and member count declared in the archive's directory (zipfile never returns
more bytes than a member declares), and the depth of archives inside archives.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from xml.etree import ElementTree

import polars as pl

from pipelines.ingest.readers import ZIP_MAGIC, NotData, RawTable, Unreadable

SHEET_MARK = "#"  # book.xlsx#Lapa1
MEMBER_MARK = "/"  # arhivs.zip/member.csv (a file path is never also a folder, so this cannot clash)


@dataclass(frozen=True)
class ArchiveLimits:
    """Guards against zip bombs; configurable in params.yaml (ingest.archive_*)."""

    max_total_mb: int = 2048  # uncompressed bytes of all members, nested archives included
    max_members: int = 10_000  # members of all archives under one top-level archive
    max_depth: int = 2  # 1: archives only; 2: an archive may hold archives, but those may not


@dataclass(frozen=True)
class Member:
    """An archive member: its bytes, or why it is not read (`status` skipped / rejected)."""

    name: str
    data: bytes | None = None
    status: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: its cells, or why it is not read (`status` skipped / rejected)."""

    name: str
    table: RawTable | None = None
    status: str | None = None
    reason: str | None = None
    rows: int = 0  # data rows of a rejected sheet


def container_kind(data: bytes) -> str | None:
    """'xlsx', 'zip', 'document' (another office file: not data) or None (not a zip at all)."""
    if not data.startswith(ZIP_MAGIC):
        return None
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError):
        return "zip"  # rejected when opened, with the reason
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "[Content_Types].xml" in names or "mimetype" in names:
        return "document"  # .docx, .pptx, .ods ...: their parts are no exports
    return "zip"


DOCUMENT_REASON = (
    "Nav datu fails (biroja dokuments, nevis .xlsx vai CSV) / Not a data file (an office document, not .xlsx or CSV)"
)


# --- workbooks ------------------------------------------------------------------------------


def read_sheets(data: bytes) -> list[Sheet]:
    """Every sheet, in workbook order: cells as text (dates `YYYY-MM-DD 00:00:00`, whole numbers
    without `.0`), skipped when empty, rejected when its header row has merged cells."""
    try:
        frames = pl.read_excel(
            data,
            sheet_id=0,
            has_header=False,
            infer_schema_length=0,
            drop_empty_rows=False,
            drop_empty_cols=False,
            raise_if_empty=False,
        )
    except Exception as exc:  # fastexcel raises its own error types for damaged workbooks
        raise Unreadable("Excel darbgrāmatu nevar atvērt / The Excel workbook cannot be opened") from exc
    merged = merged_header_cells(data)
    sheets = []
    for name, frame in frames.items():
        frame = frame.select(pl.all().cast(pl.String))
        if frame.height == 0 or frame.width == 0:
            sheets.append(Sheet(name, status="skipped", reason="Tukša lapa / Empty sheet"))
        elif name in merged:
            ref = merged[name]
            sheets.append(
                Sheet(
                    name,
                    status="rejected",
                    reason=(
                        f"Galvenes rindā ir apvienotas šūnas ({ref}): atceliet apvienošanu, katrai kolonnai savs "
                        f"nosaukums vienā rindā / The header row has merged cells ({ref}): unmerge them, one name "
                        "per column in one row"
                    ),
                    rows=count_filled_rows(frame) - 1,
                )
            )
        else:
            sheets.append(Sheet(name, RawTable(frame, "xlsx", None)))
    return sheets


def first_sheet(data: bytes) -> RawTable:
    """The first sheet as read_sheets reads it (readers.read_table on a workbook)."""
    if container_kind(data) != "xlsx":
        raise Unreadable("Excel darbgrāmatu nevar atvērt / The Excel workbook cannot be opened")
    first = read_sheets(data)[0]
    if first.table is None:
        raise NotData(first.reason)
    return first.table


def count_filled_rows(frame: pl.DataFrame) -> int:
    return frame.filter(pl.any_horizontal(pl.all().is_not_null())).height


_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"(\d+)\"[^>]*>(.*?)</(?:\w+:)?row>", re.S)
_VALUE = re.compile(rb"<(?:\w+:)?(?:v|t)\b[^>]*>")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def merged_header_cells(data: bytes) -> dict[str, str]:
    """Sheet name -> the first merged range that covers part of its header row (the first row
    with a value, which is where the cells read start). fastexcel does not report merges, so the
    sheet XML is searched for them; most sheets have none and are not scanned further."""
    found: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        for name, part in sheet_parts(book).items():
            xml = book.read(part)
            if b"mergeCell" not in xml:
                continue
            header_row = next((int(m.group(1)) for m in _ROW.finditer(xml) if _VALUE.search(m.group(2))), None)
            for m in _MERGE.finditer(xml):
                first, last = int(m.group(2)), int(m.group(4) or m.group(2))
                if header_row is not None and first <= header_row <= last:
                    found[name] = m.group(0).split(b'ref="')[1].rstrip(b'"').decode()
                    break
    return found


def sheet_parts(book: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML part, from the workbook and its relationships."""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(_RELS)}
    parts = {}
    for sheet in workbook.iter():
        if sheet.tag.endswith("}sheet") and sheet.get(_REL_ID) in targets:
            target = targets[sheet.get(_REL_ID)]
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if path in book.namelist():
                parts[sheet.get("name")] = path
    return parts


# --- archives -------------------------------------------------------------------------------


class ArchiveRejected(Exception):
    """The whole archive is rejected with this reason (nothing in it is read)."""


@dataclass
class Budget:
    """What is left of ArchiveLimits while one top-level archive is read, nested ones included."""

    bytes_left: int
    members_left: int


def new_budget(limits: ArchiveLimits) -> Budget:
    return Budget(limits.max_total_mb * 1024 * 1024, limits.max_members)


def archive_members(data: bytes, budget: Budget) -> Iterator[Member]:
    """Every file member in name order, read into memory one at a time; ArchiveRejected before
    the first one when the archive is damaged, unsafe or over the limits."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError) as exc:
        raise ArchiveRejected("Arhīvu nevar atvērt (bojāts zip) / The archive cannot be opened (damaged zip)") from exc
    unsafe = [i.filename for i in infos if not safe_member_name(i.filename)]
    if unsafe:
        raise ArchiveRejected(
            "Arhīvā ir fails ar nedrošu ceļu (../ vai absolūts ceļš): arhīvs netiek atvērts / "
            "The archive holds a member with an unsafe path (../ or an absolute path): it is not opened"
        )
    declared = sum(i.file_size for i in infos)
    if len(infos) > budget.members_left or declared > budget.bytes_left:
        raise ArchiveRejected(
            f"Arhīvs izpakots pārsniedz robežu ({len(infos)} faili, {declared // 2**20} MB): sadaliet to vai "
            f"iesūtiet failus atsevišķi / The archive unpacked exceeds the limit ({len(infos)} files, "
            f"{declared // 2**20} MB): split it or send the files separately"
        )
    budget.members_left -= len(infos)
    budget.bytes_left -= declared
    for info in sorted(infos, key=lambda i: i.filename):
        yield read_member(archive, info)


def safe_member_name(name: str) -> bool:
    """No absolute path, drive letter, backslash or `..`: nothing that could point outside a folder."""
    path = PurePosixPath(name)
    return not (name.startswith("/") or "\\" in name or re.match(r"^[A-Za-z]:", name) or ".." in path.parts or not name)


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Member:
    if info.flag_bits & 0x1:
        return Member(
            info.filename,
            status="rejected",
            reason="Arhīva fails ir aizsargāts ar paroli: iesūtiet to bez paroles / "
            "The archive member is password-protected: send it without a password",
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        return Member(
            info.filename,
            status="skipped",
            reason="Simboliskā saite arhīvā netiek izmantota / A symbolic link inside an archive is not followed",
        )
    try:
        return Member(info.filename, archive.read(info))
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError, RuntimeError) as exc:
        return Member(
            info.filename,
            status="rejected",
            reason=f"Arhīva failu nevar izpakot ({type(exc).__name__}) / The archive member cannot be unpacked",
        )
