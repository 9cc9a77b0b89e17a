"""Reading raw text bytes into frames of text cells, whatever dialect the school's system wrote.

Every cell stays a string here (typing happens later, in SQL); the header is the first record
and a data row's line is its record number + 1, the row a spreadsheet shows. The file's kind is
never guessed from its name: zip signatures go to containers.py (xlsx, archives), everything
else is tried as delimited text.

A text file is parsed in chunks of whole records (TextSource.rows), so one huge export never sits
in memory as one frame; a small file is one chunk. Rows a file cannot hold are not a reason to
reject the file: a row with more fields than the header, or with bytes that are not text in the
file's encoding, comes out with a row problem (quarantined with its line, the rest loads).
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import polars as pl

ZIP_MAGIC = b"PK\x03\x04"
XLSX_MAGIC = ZIP_MAGIC  # kept for callers that named it so
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old binary .xls (and .doc)
DELIMITERS: tuple[str, ...] = (";", "\t", ",")  # preference on a tie in the header
CHUNK_BYTES = 8 * 1024 * 1024  # a text file is parsed this many bytes (whole records) at a time
# A line longer than this rejects the file (params.yaml ingest.max_line_kb): one 300 MB line would be
# one 300 MB record, parsed in one piece at ~4 GB RSS; no export row comes anywhere near 1 MB.
MAX_LINE_BYTES = 1024 * 1024

# Row problems (reason codes in messages.REASONS); the row is quarantined, the file loads.
TOO_MANY_FIELDS = "too_many_fields"
INVALID_ENCODING = "invalid_encoding"
PROBLEM = "row_problem"
PROBLEM_VALUE = "row_problem_value"
PROBLEM_SCHEMA = {PROBLEM: pl.String, PROBLEM_VALUE: pl.String}
BAD_BYTE = "\ufffd"  # stands in for an undecodable byte while the row is parsed
UTF8_LATVIAN = re.compile(rb"[\xc4\xc5][\x80-\xbf]")  # ā č ē ģ ī ķ ļ ņ š ū ž (U+0100–U+017F) in UTF-8
MAX_BAD_BYTES = 100  # more undecodable sequences than this: not "UTF-8 with a few stray bytes"


class NotData(Exception):
    """The file is not a data export (empty, a note, a binary file): skipped with this reason."""


class Unreadable(Exception):
    """The file looks like data but cannot be parsed: rejected with this reason."""


class TooLong(Unreadable):
    """A line, or a quoted cell running over lines, longer than the limit: the file is rejected
    whatever its header says (a note or README is never that long either)."""


def too_long(data: bytes, offset: int, limit: int) -> TooLong:
    """The one-line reason: the line (as a text editor counts them) where the long record is."""
    line = data.count(b"\n", 0, offset) + 1
    size = size_text(limit)
    return TooLong(
        f"Rinda {line} ir garāka par {size} (vai tajā pēdiņa nav aizvērta): pārbaudiet, vai fails ir eksports "
        f"ar vienu ierakstu katrā rindā, un iesūtiet to vēlreiz / Line {line} is longer than {size} (or a quote "
        f"in it is not closed): check that the file is an export with one record per line, and send it again"
    )


def size_text(size: int) -> str:
    for unit, name in ((1 << 20, "MB"), (1 << 10, "KB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size} B"


@dataclass(frozen=True)
class RawTable:
    """All cells as text; row 0 is the header row. `problems`: per row (aligned), or None."""

    frame: pl.DataFrame
    encoding: str  # utf-8, utf-8-sig, cp1257 or xlsx
    delimiter: str | None  # None for xlsx
    problems: pl.DataFrame | None = None


@dataclass(frozen=True)
class Rows:
    """Consecutive data rows (no header): cells as text, the line of the first, a problem per row."""

    cells: pl.DataFrame
    first_line: int
    problems: pl.DataFrame


@dataclass(frozen=True)
class Encoding:
    """How a file's bytes decode: its name and the offsets of bytes that are not text in it."""

    name: str  # utf-8, utf-8-sig or cp1257
    bad_offsets: tuple[int, ...] = ()


def read_table(data: bytes) -> RawTable:
    """Decode and split one file whole (the first sheet of a workbook); raises NotData or Unreadable."""
    if data.startswith(ZIP_MAGIC):
        from pipelines.ingest.containers import first_sheet  # containers imports this module

        return first_sheet(data)
    source = open_text(data)
    parts = list(source.rows())
    header = pl.DataFrame([source.header], schema=list(source.columns), orient="row")
    frame = pl.concat([header, *(p.cells for p in parts)], how="vertical")
    problems = pl.concat(
        [pl.DataFrame([(None, None)], schema=PROBLEM_SCHEMA, orient="row"), *(p.problems for p in parts)]
    )
    return RawTable(frame, source.encoding.name, source.delimiter, problems)


def check_text(data: bytes) -> None:
    """Raise NotData for bytes that are no text export at all."""
    if not data or data.isspace():  # (not data.strip(): that copies the file)
        raise NotData("Tukšs fails / Empty file")
    if data.startswith(OLE_MAGIC):
        raise NotData(
            "Vecais Excel .xls formāts netiek atbalstīts: saglabājiet kā .xlsx vai CSV / "
            "Old Excel .xls format is not supported: save as .xlsx or CSV"
        )
    if b"\x00" in data:
        raise NotData("Nav teksta vai .xlsx fails / Not a text or .xlsx file")


def open_text(data: bytes, chunk_bytes: int = CHUNK_BYTES, max_line: int = MAX_LINE_BYTES) -> TextSource:
    """The file as delimited text: its encoding, header row and delimiter; rows are parsed lazily.
    TooLong when a line is longer than `max_line` bytes (checked before anything is parsed)."""
    check_text(data)
    long_line = first_long_line(data, max_line)
    if long_line is not None:
        raise too_long(data, long_line, max_line)
    encoding = decide_encoding(data)
    start = 3 if encoding.name == "utf-8-sig" else 0
    header_end = record_end(data, start, limit=max_line)
    header_text = decode_part(data[start:header_end], encoding.name, start, encoding.bad_offsets)[0]
    delimiter = detect_delimiter(first_line(header_text.decode("utf-8")))
    header_frame = parse_csv(header_text, delimiter, None)
    header = list(header_frame.row(0)) if header_frame.height else [None]
    return TextSource(data, encoding, delimiter, header, start, header_end, chunk_bytes, max_line)


@dataclass
class TextSource:
    """A delimited text file opened: parsed chunk by chunk (whole records) by rows()."""

    data: bytes
    encoding: Encoding
    delimiter: str
    header: list[str | None]
    start: int  # after a BOM
    header_end: int  # first byte after the header record
    chunk_bytes: int = CHUNK_BYTES
    max_line: int = MAX_LINE_BYTES
    columns: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.columns = tuple(f"column_{i + 1}" for i in range(len(self.header)))

    def rows(self) -> Iterator[Rows]:
        """Data rows in chunks of about chunk_bytes; a row's line counts records, blank ones included."""
        line = 2
        for begin, end in record_chunks(self.data, self.header_end, self.chunk_bytes, self.max_line):
            text, bad = decode_part(self.data[begin:end], self.encoding.name, begin, self.encoding.bad_offsets)
            cells, problems = split_rows(text, self.delimiter, len(self.columns), bad)
            yield Rows(cells, line, problems)
            line += cells.height

    def only(self, positions: list[int]) -> Iterator[pl.DataFrame]:
        """Just the cells at these header positions of every data row, chunk by chunk (`f<position>`):
        the names a run learns before it stores anything (names.py) cost no more than their columns."""
        width = len(self.columns)
        for begin, end in record_chunks(self.data, self.header_end, self.chunk_bytes, self.max_line):
            text = decode_part(self.data[begin:end], self.encoding.name, begin, self.encoding.bad_offsets)[0]
            yield parse_csv(text, self.delimiter, width, positions)


def decide_encoding(data: bytes) -> Encoding:
    """UTF-8, UTF-8 with a few stray bytes, or Windows-1257; decided on the whole file.

    Strict UTF-8 first: a Windows-1257 file almost never survives that, while a prefix check can be
    fooled by an ASCII-only first page. A file that is UTF-8 but for a few bytes, and writes Latvian
    letters as UTF-8, stays UTF-8 (the lines with those bytes are quarantined): decoding it as
    cp1257 would turn every ā into mojibake. Otherwise cp1257, the Baltic Windows code page. No
    charset detector: they mistake cp1257 for cp1250. Neither: NotData with the first bad byte.
    """
    bom = data.startswith(b"\xef\xbb\xbf")
    bad = utf8_bad_offsets(data, MAX_BAD_BYTES + 1)
    if not bad:
        return Encoding("utf-8-sig" if bom else "utf-8")
    # Latvian letters in UTF-8, counted only as far as the rule needs (a whole-file count cost as
    # much as decoding a Windows-1257 file, which has none)
    latvian = _count_at_most(UTF8_LATVIAN, data, len(bad) + 1) if len(bad) <= MAX_BAD_BYTES else 0
    if latvian and len(bad) <= MAX_BAD_BYTES and len(bad) < latvian:
        return Encoding("utf-8-sig" if bom else "utf-8", tuple(bad))
    if data.translate(None, CP1257_DEFINED):  # a byte Windows-1257 leaves undefined (found without decoding)
        latvian = latvian or _count_at_most(UTF8_LATVIAN, data, 1)
        offset = bad[0] if latvian else CP1257_UNDEFINED.search(data).start()
        raise Unreadable(
            f"Fails nav ne UTF-8, ne Windows-1257 teksts: nederīgs baits pozīcijā {offset} / "
            f"The file is neither UTF-8 nor Windows-1257 text: invalid byte at offset {offset}"
        )
    return Encoding("cp1257")


# Python's cp1257 codec has no character for these bytes (a test checks this against the codec).
CP1257_UNDEFINED = re.compile(rb"[\x81\x83\x88\x8a\x8c\x90\x98\x9a\x9c\x9f\xa1\xa5]")
CP1257_DEFINED = bytes(b for b in range(256) if not CP1257_UNDEFINED.match(bytes([b])))


def _count_at_most(pattern: re.Pattern[bytes], data: bytes, most: int) -> int:
    """Matches of pattern in data, counted up to `most` (the scan stops there)."""
    found = 0
    for _ in pattern.finditer(data):
        found += 1
        if found >= most:
            break
    return found


def utf8_bad_offsets(data: bytes, limit: int, block: int = 1 << 22) -> list[int]:
    """Offsets of the first `limit` byte sequences that are not UTF-8 (decoded in blocks: bounded memory).

    Blocks are slices of a memoryview decoded by the codec itself, not by an incremental decoder,
    which copies each block into a new bytes object: a Windows-1257 file restarts the scan ~100
    times, and those copies were most of the time spent deciding its encoding."""
    bad: list[int] = []
    view = memoryview(data)
    pos = 0
    while pos < len(data) and len(bad) < limit:
        end = min(pos + block, len(data))
        try:
            # not final before the end: a character cut by the block's end is left for the next block
            pos += codecs.utf_8_decode(view[pos:end], "strict", end == len(data))[1]
        except UnicodeDecodeError as exc:
            offset = pos + exc.start
            bad.append(offset)
            pos = offset + max(1, exc.end - exc.start)
    return bad


def decode_part(part: bytes, encoding: str, offset: int, bad: tuple[int, ...]) -> tuple[bytes, list[int]]:
    """UTF-8 bytes of part of a file, and the file offsets of its undecodable bytes (marked BAD_BYTE)."""
    if encoding == "cp1257":
        return part.decode("cp1257").encode("utf-8"), []
    inside = [b for b in bad if offset <= b < offset + len(part)]
    if not inside:
        return part, []
    return part.decode("utf-8", errors="replace").encode("utf-8"), inside


def record_end(data: bytes, pos: int, at: int | None = None, limit: int | None = None) -> int:
    """The offset after the first record end at or after `at` (default pos), counting quotes from
    pos (a record start): a newline ends a record when the `"` before it are even in number ("" escapes
    keep the parity; a stray quote in an unquoted field only makes a chunk longer). Else the end.
    With `limit`: TooLong when the record runs on more than that many bytes past `at` (a quoted
    cell over many lines, or a quote never closed), before those bytes are parsed."""
    at = pos if at is None else at
    newline = data.find(b"\n", at)
    quotes = data.count(b'"', pos, newline + 1) if newline >= 0 else 0
    while newline >= 0 and quotes % 2:
        if limit is not None and newline - at > limit:
            raise too_long(data, open_quote(data, pos, newline), limit)
        following = data.find(b"\n", newline + 1)
        quotes += data.count(b'"', newline + 1, following + 1 if following >= 0 else len(data))
        newline = following
    end = len(data) if newline < 0 else newline + 1
    if limit is not None and end - at > limit + 2:  # (+ a line end)
        raise too_long(data, at, limit)
    return end


def open_quote(data: bytes, pos: int, end: int) -> int:
    """The offset of the quote left open between a record start `pos` and `end` (for the message:
    its line is where the school should look). Only on the way to an error: a loop over quotes."""
    at, opened, inside = pos, pos, False
    while (at := data.find(b'"', at, end)) >= 0:
        if not inside:
            opened = at
        inside, at = not inside, at + 1
    return opened


def record_chunks(data: bytes, pos: int, size: int, limit: int | None = None) -> Iterator[tuple[int, int]]:
    """(begin, end) of consecutive chunks of about `size` bytes that start and end on a record;
    a chunk passes `size` by at most `limit` bytes (else TooLong, see record_end)."""
    while pos < len(data):
        end = len(data) if pos + size >= len(data) else record_end(data, pos, pos + size - 1, limit)
        yield pos, end
        pos = end


def first_long_line(data: bytes, limit: int) -> int | None:
    """The offset of the first line longer than `limit` bytes (its `\n` not counted), or None.
    From a line start, the last newline within `limit` bytes is the next place to look from: one
    C-speed search per `limit` bytes, nothing copied."""
    pos = 0
    while len(data) - pos > limit:
        newline = data.rfind(b"\n", pos, pos + limit + 1)
        if newline < 0:
            return pos
        pos = newline + 1
    return None


def split_rows(text: bytes, delimiter: str, width: int, bad: list[int]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows of `width` cells, and per row a problem: more fields than the header, undecodable bytes."""
    frame = parse_csv(text, delimiter, 2 * width)  # up to as many extra fields as the header has
    cells = frame.select(frame.columns[:width])
    extra = frame.columns[width:]
    too_many = pl.any_horizontal(pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != "") for c in extra)
    # Only the chunk's undecodable bytes are marked BAD_BYTE (decode_part); with none, a U+FFFD the
    # file itself holds is text, and no cell needs scanning (most chunks: ~10 % of reading a file).
    marks = (
        pl.sum_horizontal(pl.col(c).str.count_matches(BAD_BYTE, literal=True).fill_null(0) for c in frame.columns)
        if bad
        else pl.lit(0)
    )
    flags = frame.select(too_many.alias("too_many"), marks.alias("marks")).with_row_index()
    problem: list[str | None] = [None] * frame.height
    value: list[str | None] = [None] * frame.height
    if extra:
        for i in flags.filter(pl.col("too_many")).get_column("index").to_list():
            problem[i] = TOO_MANY_FIELDS
    seen = 0
    for i, n in flags.filter(pl.col("marks") > 0).select("index", "marks").iter_rows() if bad else ():
        if seen < len(bad):  # the row's first bad byte, as an offset in the file
            problem[i], value[i] = INVALID_ENCODING, f"baits / byte {bad[seen]}"
        seen += n
    problems = pl.DataFrame({PROBLEM: problem, PROBLEM_VALUE: value}, schema=PROBLEM_SCHEMA)
    return cells.rename(dict(zip(cells.columns, [f"column_{i + 1}" for i in range(width)], strict=True))), problems


def parse_csv(text: bytes, delimiter: str, width: int | None, select: list[int] | None = None) -> pl.DataFrame:
    """Every field as text; blank lines stay as all-null rows so row numbers match the file.
    With `width`, rows are cut (or padded) to that many fields; without, the first row decides.
    `select`: only the fields at these positions (with `width`; named `f<position>`)."""
    options = {"schema": {f"f{i}": pl.String for i in range(width)}, "truncate_ragged_lines": True} if width else {}
    if select is not None:
        options["columns"] = select
    try:
        return pl.read_csv(
            io.BytesIO(text),
            separator=delimiter,
            has_header=False,
            infer_schema=False,
            quote_char='"',
            raise_if_empty=False,
            missing_columns="insert",
            **options,
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, pl.exceptions.SchemaError) as exc:
        raise Unreadable(
            "CSV nevar nolasīt: pēdiņas nav aizvērtas / The CSV cannot be parsed: a quote is not closed"
        ) from exc


def decode(data: bytes) -> tuple[bytes, str]:
    """UTF-8 bytes (BOM removed) and the encoding the file was in (see decide_encoding)."""
    encoding = decide_encoding(data)
    start = 3 if encoding.name == "utf-8-sig" else 0
    return decode_part(data[start:], encoding.name, start, encoding.bad_offsets)[0], encoding.name


def header_cells(data: bytes) -> list[str]:
    """The first line split on its own delimiter: enough to tell a data export from a note, also
    when the rest of the file cannot be decoded or split."""
    line = data[:65536].split(b"\n", 1)[0].removeprefix(b"\xef\xbb\xbf")
    try:
        header = line.decode("utf-8")
    except UnicodeDecodeError:
        header = line.decode("cp1257", errors="replace")
    header = header.rstrip("\r")
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


_FILLED_LINE = re.compile(rb"\n[ \t\r\f\v]*[^ \t\r\n\f\v]")  # a line end followed by a non-blank line


def count_data_lines(data: bytes) -> int:
    """Non-blank lines after the first: the rows of a file that could not be split into records.
    Matched in place, not split (a file of one 300 MB line is not copied)."""
    return sum(1 for _ in _FILLED_LINE.finditer(data))
