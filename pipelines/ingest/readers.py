"""Reading one raw file into a frame of text cells, whatever dialect the school's system wrote.

Every cell stays a string here (typing happens later, in SQL), row 0 is the header and the
frame's row index + 1 is the line a spreadsheet shows. The file's kind is never guessed from
its name: xlsx is recognised by its zip signature, everything else is tried as delimited text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import polars as pl

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old binary .xls (and .doc)
DELIMITERS: tuple[str, ...] = (";", "\t", ",")  # preference on a tie in the header


class NotData(Exception):
    """The file is not a data export (empty, a note, a binary file): skipped with this reason."""


class Unreadable(Exception):
    """The file looks like data but cannot be parsed: rejected with this reason."""


@dataclass(frozen=True)
class RawTable:
    """All cells as text; row 0 is the header row."""

    frame: pl.DataFrame
    encoding: str  # utf-8, utf-8-sig, cp1257 or xlsx
    delimiter: str | None  # None for xlsx


def read_table(data: bytes) -> RawTable:
    """Decode and split one file; raises NotData or Unreadable with an 'LV / EN' reason."""
    if not data.strip():
        raise NotData("Tukšs fails / Empty file")
    if data.startswith(XLSX_MAGIC):
        return read_xlsx(data)
    if data.startswith(OLE_MAGIC):
        raise NotData(
            "Vecais Excel .xls formāts netiek atbalstīts: saglabājiet kā .xlsx vai CSV / "
            "Old Excel .xls format is not supported: save as .xlsx or CSV"
        )
    if b"\x00" in data:
        raise NotData("Nav teksta vai .xlsx fails / Not a text or .xlsx file")
    utf8, encoding = decode(data)
    text_head = utf8[:65536].decode("utf-8", errors="replace")
    delimiter = detect_delimiter(first_line(text_head))
    return RawTable(read_delimited(utf8, delimiter), encoding, delimiter)


def decode(data: bytes) -> tuple[bytes, str]:
    """UTF-8 bytes (BOM removed) and the encoding the file was in.

    The whole file is decoded strictly as UTF-8 first: a Windows-1257 file almost never
    survives that, while a prefix check can be fooled by an ASCII-only first page. Only then
    cp1257, the Baltic Windows code page. No charset detector: they mistake cp1257 for cp1250.
    """
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:], "utf-8-sig"
        return data, "utf-8"
    try:
        text = data.decode("cp1257")
    except UnicodeDecodeError as exc:
        raise NotData(
            "Fails nav UTF-8 vai Windows-1257 teksts / The file is neither UTF-8 nor Windows-1257 text"
        ) from exc
    return text.encode("utf-8"), "cp1257"


def header_cells(data: bytes) -> list[str]:
    """The first line split on its own delimiter: enough to tell a data export from a note."""
    try:
        utf8, _ = decode(data)
    except NotData:
        return []
    header = first_line(utf8[:65536].decode("utf-8", errors="replace"))
    return header.split(detect_delimiter(header))


def first_line(text: str) -> str:
    return text.split("\n", 1)[0].rstrip("\r")


def detect_delimiter(header: str) -> str:
    """The delimiter used most often in the header row, outside quotes.

    The header decides, not the data: data rows hold decimal commas (`40,0`) that would
    out-vote a `;` delimiter.
    """
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: (counts[d], -DELIMITERS.index(d)))
    return best if counts[best] else ","


def read_delimited(utf8: bytes, delimiter: str) -> pl.DataFrame:
    """Every field as text; blank lines stay as all-null rows so row numbers match the file."""
    try:
        return pl.read_csv(
            io.BytesIO(utf8),
            separator=delimiter,
            has_header=False,
            infer_schema=False,
            quote_char='"',
            raise_if_empty=False,
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise Unreadable(
            "CSV nevar nolasīt: rindās atšķiras lauku skaits vai pēdiņas nav aizvērtas / "
            "The CSV cannot be parsed: rows have more fields than the header or a quote is not closed"
        ) from exc


def read_xlsx(data: bytes) -> RawTable:
    """The first sheet as text. Date cells come out as `YYYY-MM-DD 00:00:00`, whole numbers without `.0`."""
    try:
        frame = pl.read_excel(
            data,
            sheet_id=1,
            has_header=False,
            infer_schema_length=0,
            drop_empty_rows=False,
            drop_empty_cols=False,
            raise_if_empty=False,
        )
    except Exception as exc:  # fastexcel raises its own error types for damaged workbooks
        raise Unreadable("Excel darbgrāmatu nevar atvērt / The Excel workbook cannot be opened") from exc
    frame = frame.select(pl.all().cast(pl.String))
    return RawTable(frame, "xlsx", None)
