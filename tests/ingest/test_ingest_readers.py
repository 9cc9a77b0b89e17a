"""Reading raw bytes: encodings decided on the whole file, delimiters from the header, xlsx cells."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import xlsxwriter

from pipelines.ingest.kinds import recognise
from pipelines.ingest.readers import (
    NotData,
    Unreadable,
    decide_encoding,
    decode,
    detect_delimiter,
    read_table,
    utf8_bad_offsets,
)


def test_decode_cp1257_utf8_and_bom() -> None:
    assert decode("Vērtējums;Ķīmija".encode("cp1257")) == ("Vērtējums;Ķīmija".encode(), "cp1257")
    assert decode("\ufeffDatums".encode()) == (b"Datums", "utf-8-sig")
    assert decode("Datums;Ģeogrāfija".encode()) == ("Datums;Ģeogrāfija".encode(), "utf-8")


def test_decode_looks_at_the_whole_file_not_a_prefix() -> None:
    # ASCII for 200 kB, then one cp1257 letter: a prefix check would call it UTF-8.
    data = b"a;b\n" + b"x;y\n" * 50_000 + "ž;ā\n".encode("cp1257")
    utf8, encoding = decode(data)
    assert encoding == "cp1257"
    assert utf8.endswith("ž;ā\n".encode())


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Datums;Ilgums (min);Forma", ";"),
        ("date\tminutes\tmode", "\t"),
        ("date,minutes", ","),
        ('"a;b",c,d', ","),
        ("one", ","),
    ],
)
def test_detect_delimiter_from_header(header: str, expected: str) -> None:
    assert detect_delimiter(header) == expected


def test_semicolon_file_with_decimal_commas_and_crlf() -> None:
    data = "Datums;Ilgums;Forma\r\n15.01.2024;40,5;Klātienē\r\n\r\n16.01.2024;30;\r\n".encode("cp1257")
    table = read_table(data)
    assert (table.encoding, table.delimiter) == ("cp1257", ";")
    rows = table.frame.rows()
    assert rows[0] == ("Datums", "Ilgums", "Forma")
    assert rows[1] == ("15.01.2024", "40,5", "Klātienē")
    assert rows[3] == ("16.01.2024", "30", None)  # line 4 in the file: the blank line keeps its row


@pytest.mark.parametrize("data", [b"", b"  \r\n", b"\xd0\xcf\x11\xe0rest-of-an-old-xls", b"\x89PNG\x00\x00"])
def test_not_data(data: bytes) -> None:
    with pytest.raises(NotData):
        read_table(data)


def test_xlsx_first_sheet_dates_and_numbers() -> None:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet("Vērtējumi")
    sheet.write_row(0, 0, ["Datums", "Iestādes kods", "Vērtējums"])
    sheet.write_datetime(1, 0, dt.datetime(2024, 1, 15), book.add_format({"num_format": "dd.mm.yyyy"}))
    sheet.write_number(1, 1, 2712900123)
    sheet.write_number(1, 2, 8)
    book.add_worksheet("Other").write_row(0, 0, ["x"])
    book.close()
    table = read_table(buffer.getvalue())
    assert table.encoding == "xlsx"
    assert table.frame.rows() == [("Datums", "Iestādes kods", "Vērtējums"), ("2024-01-15 00:00:00", "2712900123", "8")]


def test_recognise_headers_any_spelling() -> None:
    found = recognise([" DATUMS ", "personas kods", "Iestades kods", "Ilgums (min)", "Forma", "Piezīmes"])
    assert found.kind == "consultations"
    assert found.problem is None
    assert found.positions == {"date": 0, "pupil_code": 1, "school_id": 2, "minutes": 3, "mode": 4}


def test_recognise_english_grades_with_a_class_column_of_another_kind() -> None:
    found = recognise(["date", "personal_code", "school_id", "subject", "grade", "class"])
    assert (found.kind, found.problem) == ("grades", None)


def test_recognise_missing_required_column_is_named() -> None:
    found = recognise(["Datums", "Personas kods", "Iestādes kods", "Mācību priekšmets", "Vērtējuma veids"])
    assert found.kind == "grades"
    assert "Vērtējums" in found.problem and "(grade)" in found.problem


def test_recognise_no_kind_and_duplicate_column() -> None:
    assert recognise(["Sveiki", "šī ir piezīme"]).kind is None
    dup = recognise(["Datums", "Personas kods", "personal_code", "Iestādes kods", "Mācību priekšmets", "Vērtējums"])
    assert dup.kind == "grades" and "divreiz" in dup.problem


def test_recognise_a_header_complete_for_two_kinds_is_a_problem() -> None:
    found = recognise(["Datums", "Personas kods", "Iestādes kods", "Mācību priekšmets", "Vērtējums", "Ilgums"])
    assert found.kind is None
    assert "consultations" in found.problem and "grades" in found.problem


def test_cp1257_undefined_bytes_are_the_codecs() -> None:
    """decide_encoding finds Windows-1257's undefined bytes without decoding: the set must be the codec's."""
    from pipelines.ingest.readers import CP1257_DEFINED

    for byte in range(256):
        try:
            bytes([byte]).decode("cp1257")
            defined = True
        except UnicodeDecodeError:
            defined = False
        assert (byte in CP1257_DEFINED) is defined, hex(byte)


def test_neither_encoding_names_the_first_bad_byte() -> None:
    # 0x81 is undefined in Windows-1257 (and not UTF-8): the message names its offset
    undefined = b"\x81"
    data = b"a;b\n" + "ā;ž\n".encode("cp1257") + b"x;" + undefined + b"\n"
    with pytest.raises(Unreadable, match=f"offset {data.index(undefined)}$"):
        decide_encoding(data)
    # with a UTF-8 Latvian letter (but more bad bytes than letters): the first byte that is not UTF-8
    utf = "ā\n".encode() + b"q;" + undefined * 2 + b"\n"  # (ā is C4 81 in UTF-8: the bad one is at 5)
    with pytest.raises(Unreadable, match=r"offset 5$"):
        decide_encoding(utf)


def test_utf8_offsets_across_blocks_and_without_copies() -> None:
    """A character cut by a block's end is not bad; bad bytes are found in every block, in order."""
    text = ("ā" * 7 + "\n").encode() * 50  # 15 bytes a line; odd block sizes cut the ā's in two
    data = text[:105] + b"\xff" + text[105:255] + b"\xfe" + text[255:]
    assert utf8_bad_offsets(text, 10, block=5) == []
    assert utf8_bad_offsets(data, 10, block=7) == [105, 256]
    assert utf8_bad_offsets(data, 1, block=7) == [105]
    cp1257 = "ā;ž\n".encode("cp1257") * 1000
    assert len(utf8_bad_offsets(cp1257, 101)) == 101
