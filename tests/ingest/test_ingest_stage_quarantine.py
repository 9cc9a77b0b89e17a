"""Rows that cannot be typed are quarantined with their line and a reason; the rest of the file loads."""

from __future__ import annotations

from ingest_fixtures import (
    ANNA,
    BAD_CHECK,
    BERTS,
    GRADES_HEADER_EN,
    GRADES_HEADER_LV,
    SCHOOL,
    ingest_dir,
    rows,
    write,
)


def test_every_grade_notation_and_an_unknown_one(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    marks = ["1", "10", "S", "T", "A", "P", "nv", "i", "ni", "85%", "abc"]
    write(raw / "g.csv", GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Matemātika", m, "formatīvs"] for m in marks])
    report = ingest_dir(con, raw)["g.csv"]
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (11, 10, 1)
    got = rows(
        con,
        "select grade_raw, grade_kind, grade_score, grade_level_code, passed, grade_percent "
        "from staging.grades order by source_line",
    )
    assert got == [
        ("1", "score", 1, None, None, None),
        ("10", "score", 10, None, None, None),
        ("S", "level", None, "S", None, None),
        ("T", "level", None, "T", None, None),
        ("A", "level", None, "A", None, None),
        ("P", "level", None, "P", None, None),
        ("nv", "no_grade", None, None, None, None),
        ("i", "pass_fail", None, None, True, None),
        ("ni", "pass_fail", None, None, False, None),
        ("85%", "percent", None, None, None, 85.0),
    ]
    q = rows(
        con,
        "select source_file, source_line, kind, school_id, stage, column_name, value, reason_code, "
        "message_lv like '%S/T/A/P%', message_en like '%85%%' from quarantine.rows",
    )
    assert q == [("g.csv", 12, "grades", SCHOOL, "ingest", "grade", "abc", "unknown_grade_notation", True, True)]


def test_invalid_codes_bad_dates_and_missing_values_are_quarantined(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    write(
        raw / "g.csv",
        GRADES_HEADER_EN,
        [
            ["15.01.2024", BAD_CHECK, SCHOOL, "Fizika", "8", ""],
            ["15.01.2024", "320000-1234", SCHOOL, "Fizika", "8", ""],
            ["15.01.2024", "310299-12345", SCHOOL, "Fizika", "8", ""],
            ["32.01.2024", ANNA, SCHOOL, "Fizika", "8", ""],
            ["15.01.2024", ANNA, SCHOOL, "", "8", ""],
            ["15.01.2024", "", SCHOOL, "Fizika", "8", ""],
            ["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""],
        ],
    )
    report = ingest_dir(con, raw)["g.csv"]
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (7, 1, 6)
    assert rows(
        con, "select source_line, column_name, value, reason_code from quarantine.rows order by source_line"
    ) == [
        (2, "pupil_code", "***", "invalid_personal_code_checksum"),
        (3, "pupil_code", "***", "invalid_personal_code_format"),
        (4, "pupil_code", "***", "invalid_personal_code_date"),
        (5, "date", "32.01.2024", "unparseable_date"),
        (6, "subject", None, "missing_required"),
        (7, "pupil_code", "***", "missing_required"),
    ]
    assert rows(con, "select rows_read, rows_loaded, rows_quarantined from meta.files") == [(7, 1, 6)]


def test_unparseable_minutes_and_group_size(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    write(
        raw / "k.csv",
        ["Datums", "Personas kods", "Iestādes kods", "Ilgums", "Grupas lielums"],
        [
            ["15.01.2024", ANNA, SCHOOL, "četrdesmit", ""],
            ["15.01.2024", ANNA, SCHOOL, "300", "2,5"],
            ["15.01.2024", ANNA, SCHOOL, "300", "2"],  # 300 > 240 is typed: range checks are validation's
        ],
        sep=";",
    )
    ingest_dir(con, raw)
    assert rows(con, "select source_line, column_name, reason_code from quarantine.rows order by 1") == [
        (2, "minutes", "unparseable_number"),
        (3, "group_size", "unparseable_number"),
    ]
    assert rows(con, "select minutes, group_size from staging.consultations") == [(300.0, 2)]


def test_header_only_file_and_a_row_with_too_many_fields(con, tmp_path) -> None:
    """A row with more fields than the header is quarantined with its line; the file loads (it was
    rejected whole before)."""
    raw = tmp_path / "raw"
    write(raw / "header_only.csv", GRADES_HEADER_LV, [], sep=";")
    write(
        raw / "ragged.csv",
        GRADES_HEADER_EN,
        [
            ["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""],
            ["15.01.2024", BERTS, SCHOOL, "Fizika", "8", "", "extra", "more", "x", "y", "z", "w", "v"],
            ["16.01.2024", BERTS, SCHOOL, "Fizika", "7", "", "", ""],  # empty trailing fields are fine
        ],
    )
    reports = ingest_dir(con, raw)
    assert (reports["header_only.csv"].status, reports["header_only.csv"].rows_read) == ("loaded", 0)
    ragged = reports["ragged.csv"]
    assert (ragged.status, ragged.rows_read, ragged.rows_loaded, ragged.rows_quarantined) == ("loaded", 3, 2, 1)
    assert rows(con, "select source_line, column_name, value, reason_code, message_en from quarantine.rows") == [
        (
            3,
            None,
            None,
            "too_many_fields",
            "The row has more fields than the header: check the delimiters (;) and quotes in this row.",
        )
    ]


def test_a_row_filled_only_in_an_unknown_column_is_quarantined_and_blank_rows_are_not_data(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    write(
        raw / "g.csv",
        [*GRADES_HEADER_EN, "Piezīmes"],
        [
            ["15.01.2024", ANNA, SCHOOL, "Fizika", "8", "", ""],
            [" ", "", "", "", "", "", ""],
            ["", "", "", "", "", "", "see the next sheet"],
            ["16.01.2024", ANNA, SCHOOL, "Fizika", "7", "", "late"],
        ],
    )
    report = ingest_dir(con, raw)["g.csv"]
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    assert rows(con, "select source_line, reason_code from quarantine.rows") == [(4, "missing_required")]
