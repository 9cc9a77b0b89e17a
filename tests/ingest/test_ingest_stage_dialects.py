"""run_ingest on small files written here, one per dialect: encodings, delimiters, Latvian and
English headers (with or without diacritics and units), xlsx date cells, roster notations."""

from __future__ import annotations

import datetime as dt
from datetime import date

import xlsxwriter
from ingest_fixtures import (
    ANNA,
    BERTS,
    CILDA,
    GRADES_HEADER_EN,
    GRADES_HEADER_LV,
    KEY,
    SCHOOL,
    ingest_dir,
    pid,
    rows,
    write,
)

from pipelines.pseudonym import pseudonym


def test_cp1257_semicolon_latvian_headers_crlf_decimal_commas(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    header = [
        "Datums",
        "Personas kods",
        "Iestādes kods",
        "Pedagogs",
        "Amats",
        "Mācību priekšmets",
        "Ilgums",
        "Forma",
        "Grupas lielums",
        "Projekts",
    ]
    write(
        raw / "Rīga" / "konsultācijas.csv",
        header,
        [
            ["15.01.2024", ANNA, SCHOOL, "Ilze Ozoliņa", "Psiholoģe", "", "40,0", "Klātienē", "", "8.3.4.0/16/I/001"],
            ["2024-10-02", BERTS, SCHOOL, "ILZE OZOLINA", "skolotājs", "MATEMĀTIKA", "45,5", "attālināti", "3", ""],
        ],
        sep=";",
        encoding="cp1257",
        newline="\r\n",
    )
    report = ingest_dir(con, raw)["Rīga/konsultācijas.csv"]
    assert (report.kind, report.status, report.rows_loaded, report.rows_quarantined) == (
        "consultations",
        "loaded",
        2,
        0,
    )
    got = rows(
        con,
        "select source_file, source_line, date, school_year, semester, pupil_id, school_id, staff_id, "
        "staff_role, subject, subject_raw, minutes, mode, group_size, project_code "
        "from staging.consultations order by source_line",
    )
    staff = pseudonym(KEY, f"{SCHOOL}:ilze ozolina", "staff")
    assert got == [
        (
            "Rīga/konsultācijas.csv",
            2,
            date(2024, 1, 15),
            "2023/2024",
            2,
            pid(ANNA),
            SCHOOL,
            staff,
            "psychologist",
            None,
            None,
            40.0,
            "in_person",
            None,
            "8.3.4.0/16/I/001",
        ),
        (
            "Rīga/konsultācijas.csv",
            3,
            date(2024, 10, 2),
            "2024/2025",
            1,
            pid(BERTS),
            SCHOOL,
            staff,
            "teacher",
            "mathematics",
            "MATEMĀTIKA",
            45.5,
            "remote",
            3,
            None,
        ),
    ]
    assert rows(con, "select encoding, delimiter from meta.files") == [("cp1257", ";")]


def test_utf8_bom_english_headers(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    path = raw / "g.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(
        "\ufeff".encode() + f"{','.join(GRADES_HEADER_EN)}\n2024-01-15,{ANNA},{SCHOOL},Fizika,9,summatīvs\n".encode()
    )
    assert ingest_dir(con, raw)["g.csv"].rows_loaded == 1
    assert rows(con, "select date, pupil_id, subject, grade_score, assessment_type from staging.grades") == [
        (date(2024, 1, 15), pid(ANNA), "physics", 9, "summative")
    ]
    assert rows(con, "select encoding, delimiter from meta.files") == [("utf-8-sig", ",")]


def test_tab_plans_and_headers_without_diacritics_or_with_units(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    write(
        raw / "plani.tsv",
        ["personas kods", "IESTADES KODS", "Sakuma datums", "Beigu datums (ja ir)", "Projekts"],
        [[ANNA, SCHOOL, "01.09.2024", "", "8.3.4.0/16/I/001"], [BERTS, SCHOOL, "2025-02-03", "2025-06-30", ""]],
        sep="\t",
    )
    write(
        raw / "k.csv",
        ["datums", "personas kods", "iestades kods", "ilgums (min)", "macibu prieksmets"],
        [["15.01.2024", CILDA, SCHOOL, "30", "Angļu valoda"]],
        sep=";",
    )
    reports = ingest_dir(con, raw)
    assert reports["plani.tsv"].kind == "plans" and reports["plani.tsv"].rows_loaded == 2
    assert rows(
        con, "select pupil_id, plan_start, plan_end, school_year, project_code from staging.plans order by source_line"
    ) == [
        (pid(ANNA), date(2024, 9, 1), None, "2024/2025", "8.3.4.0/16/I/001"),
        (pid(BERTS), date(2025, 2, 3), date(2025, 6, 30), "2024/2025", None),
    ]
    assert rows(con, "select minutes, subject from staging.consultations") == [(30.0, "english")]


def test_xlsx_with_real_date_cells(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    book = xlsxwriter.Workbook(raw / "vertejumi.xlsx")
    sheet = book.add_worksheet()
    day = book.add_format({"num_format": "dd.mm.yyyy"})
    sheet.write_row(0, 0, GRADES_HEADER_LV)
    sheet.write_datetime(1, 0, dt.datetime(2024, 11, 5), day)
    sheet.write_string(1, 1, ANNA)
    sheet.write_number(1, 2, float(SCHOOL))
    sheet.write_string(1, 3, "Ķīmija")
    sheet.write_number(1, 4, 7)
    # row 3 left blank on purpose: the next row is line 4 of the sheet
    sheet.write_datetime(3, 0, dt.datetime(2025, 3, 1), day)
    sheet.write_string(3, 1, BERTS)
    sheet.write_string(3, 2, SCHOOL)
    sheet.write_string(3, 3, "Bioloģija")
    sheet.write_string(3, 4, "A")
    book.close()
    report = ingest_dir(con, raw)["vertejumi.xlsx#Sheet1"]  # each sheet is a file of its own
    assert (report.status, report.rows_loaded) == ("loaded", 2)
    assert rows(
        con,
        "select source_line, date, semester, school_id, subject, grade_kind, grade_score, grade_level_code "
        "from staging.grades order by source_line",
    ) == [
        (2, date(2024, 11, 5), 1, SCHOOL, "chemistry", "score", 7, None),
        (4, date(2025, 3, 1), 2, SCHOOL, "biology", "level", None, "A"),
    ]
    assert rows(con, "select encoding, delimiter from meta.files") == [("xlsx", None)]


def test_pupils_roster_classes_years_genders(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    header = ["Personas kods", "Vārds", "Uzvārds", "Iestādes kods", "Klase", "Dzimums", "Mācību gads", "Atskaitīts"]
    write(
        raw / "skolēni.csv",
        header,
        [
            [ANNA, "Anna", "Bērziņa", SCHOOL, "7.b", "S", "2024./2025.", ""],
            [BERTS, "Berts", "Kalniņš", f"{SCHOOL}.0", "12. A", "v", "2024-2025", "20.12.2024"],
            [CILDA, "Cilda", "Zariņa", SCHOOL, "7b", "X", "2024/2025", ""],
        ],
        sep=";",
    )
    report = ingest_dir(con, raw)["skolēni.csv"]
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    assert rows(
        con,
        "select pupil_id, school_id, school_year, class_raw, grade_level, class_letter, gender, left_on "
        "from staging.pupils order by source_line",
    ) == [
        (pid(ANNA), SCHOOL, "2024/2025", "7.b", 7, "b", "F", None),
        (pid(BERTS), SCHOOL, "2024/2025", "12. A", 12, "a", "M", date(2024, 12, 20)),
    ]
    assert rows(con, "select source_line, column_name, value, reason_code from quarantine.rows") == [
        (4, "gender", "X", "unknown_gender")
    ]
