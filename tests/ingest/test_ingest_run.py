"""run_ingest end to end on small files written here: dialects, notations, rejections,
re-deliveries, atomicity and the privacy guarantee."""

from __future__ import annotations

import datetime as dt
import json
import os
from datetime import date
from pathlib import Path

import pytest
import xlsxwriter

import pipelines.ingest.stage as ingest
from pipelines.ingest.stage import FileReport, run_ingest
from pipelines.personal_code import make_new_code, make_old_code
from pipelines.pseudonym import pseudonym
from pipelines.run_summary import write_run_summary
from pipelines.warehouse import connect

KEY = b"test-key-32-characters-or-longer!"
SCHOOL = "2712900123"
ANNA = make_old_code(15, 3, 2012, 123)  # DDMMYY-CNNNC
BERTS = make_new_code(4567)  # 32NNNN-NNNNN
CILDA = make_old_code(2, 11, 2016, 7)
BAD_CHECK = ANNA[:-1] + str((int(ANNA[-1]) + 1) % 10)
NAMES = ("Anna", "Bērziņa", "Berts", "Kalniņš", "Cilda", "Zariņa", "Ilze Ozoliņa")

GRADES_HEADER_EN = ["date", "personal_code", "school_id", "subject", "grade", "assessment_type"]
GRADES_HEADER_LV = ["Datums", "Personas kods", "Iestādes kods", "Mācību priekšmets", "Vērtējums", "Vērtējuma veids"]


def pid(code: str) -> str:
    return pseudonym(KEY, code.replace("-", ""), "pupil")


def write(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    *,
    sep: str = ",",
    encoding: str = "utf-8",
    newline: str = "\n",
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [sep.join(header), *(sep.join(r) for r in rows)]
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    yield con
    con.close()


def ingest_dir(con, raw: Path, run_id: str = "r1") -> dict[str, FileReport]:
    return {f.path: f for f in run_ingest(con, raw, KEY, run_id).files}


def rows(con, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


# --- dialects -------------------------------------------------------------------------------


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


# --- grade notations and row quarantine ----------------------------------------------------


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


# --- files that are not loaded --------------------------------------------------------------


def test_rejected_and_skipped_files_do_not_stop_the_others(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    write(
        raw / "a_missing.csv",
        ["Datums", "Personas kods", "Iestādes kods", "Mācību priekšmets", "Vērtējuma veids"],
        [["15.01.2024", ANNA, SCHOOL, "Fizika", "summatīvs"]],
    )
    (raw / "b_note.txt").write_text("Sveiki! Dati par janvāri pievienoti.\n", encoding="utf-8")
    (raw / "c_empty.csv").write_bytes(b"")
    write(raw / "d_unknown.csv", ["Skolotājs", "Kabinets"], [["x", "101"]])
    write(raw / "e_ok.csv", GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]])
    reports = ingest_dir(con, raw)
    missing = reports["a_missing.csv"]
    # a rejected file's rows are read and quarantined, none loaded (read = loaded + quarantined)
    assert (missing.kind, missing.status, missing.rows_read, missing.rows_quarantined) == ("grades", "rejected", 1, 1)
    assert "Vērtējums" in missing.reason and "grade" in missing.reason
    assert reports["b_note.txt"].status == "skipped"
    assert reports["c_empty.csv"].status == "skipped" and "Empty file" in reports["c_empty.csv"].reason
    assert reports["d_unknown.csv"].status == "skipped" and "matches no kind" in reports["d_unknown.csv"].reason
    assert reports["e_ok.csv"].status == "loaded"
    assert rows(con, "select file_path, status from meta.files order by 1") == [
        ("a_missing.csv", "rejected"),
        ("b_note.txt", "skipped"),
        ("c_empty.csv", "skipped"),
        ("d_unknown.csv", "skipped"),
        ("e_ok.csv", "loaded"),
    ]
    assert rows(con, "select count(*) from staging.grades") == [(1,)]


# --- re-deliveries and idempotency -----------------------------------------------------------


def test_cumulative_redelivery_counts_each_entry_once(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    october = [
        ["01.10.2024", ANNA, SCHOOL, "Fizika", "8", ""],
        ["01.10.2024", ANNA, SCHOOL, "Fizika", "8", ""],  # two identical marks on one day: both real
        ["02.10.2024", BERTS, SCHOOL, "Fizika", "6", ""],
    ]
    later = [["03.06.2025", ANNA, SCHOOL, "Fizika", "9", ""], ["04.06.2025", BERTS, SCHOOL, "Fizika", "nv", ""]]
    write(raw / "2024-10" / "grades.csv", GRADES_HEADER_EN, october)
    # June's year-to-date export repeats October's rows, in another dialect and order
    june = [[r[0], r[1], r[2], r[3].upper(), r[4], r[5]] for r in reversed(october)] + later
    write(raw / "2025-06" / "grades.csv", GRADES_HEADER_LV, june, sep=";", encoding="cp1257", newline="\r\n")
    ingest_dir(con, raw)
    assert rows(con, "select count(*), count(distinct row_key) from staging.grades") == [(8, 5)]
    keys = rows(con, "select source_file, row_key from staging.grades where grade_raw = '8' order by 1, 2")
    assert [k.split("#")[1] for _, k in keys] == ["1", "2", "1", "2"]
    assert {k for f, k in keys if f.startswith("2024")} == {k for f, k in keys if f.startswith("2025")}


def test_unchanged_file_is_not_rewritten(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    write(raw / "g.csv", GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]])
    ingest_dir(con, raw, "r1")
    before = rows(con, "select * from staging.grades")
    meta_before = rows(con, "select sha256, ingested_at, run_id from meta.files")
    report = ingest_dir(con, raw, "r2")["g.csv"]
    assert (report.status, report.rows_loaded) == ("unchanged", 1)
    assert rows(con, "select * from staging.grades") == before
    assert rows(con, "select sha256, ingested_at, run_id from meta.files") == meta_before
    assert rows(con, "select status from meta.files") == [("unchanged",)]


def test_changed_file_replaces_its_earlier_rows(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    path = write(
        raw / "g.csv",
        GRADES_HEADER_EN,
        [
            ["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""],
            ["16.01.2024", ANNA, SCHOOL, "Fizika", "abc", ""],
        ],
    )
    write(raw / "other.csv", GRADES_HEADER_EN, [["15.01.2024", BERTS, SCHOOL, "Fizika", "5", ""]])
    ingest_dir(con, raw, "r1")
    write(path.parent / path.name, GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "9", ""]])
    reports = ingest_dir(con, raw, "r2")
    assert reports["g.csv"].status == "loaded" and reports["other.csv"].status == "unchanged"
    assert rows(con, "select source_file, grade_raw from staging.grades order by 1") == [
        ("g.csv", "9"),
        ("other.csv", "5"),
    ]
    assert rows(con, "select count(*) from quarantine.rows") == [(0,)]
    assert rows(
        con, "select file_path, rows_read, rows_loaded, rows_quarantined, run_id from meta.files order by 1"
    ) == [
        ("g.csv", 1, 1, 0, "r2"),
        ("other.csv", 1, 1, 0, "r1"),
    ]


def test_same_content_at_a_new_path_is_loaded_with_the_same_row_keys(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    write(raw / "a" / "g.csv", GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]])
    write(raw / "b" / "g.csv", GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]])
    ingest_dir(con, raw)
    assert rows(con, "select count(*), count(distinct row_key) from staging.grades") == [(2, 1)]


# --- atomicity --------------------------------------------------------------------------------


def snapshot(con) -> dict[str, list[tuple]]:
    return {
        t: rows(con, f"select * from {t} order by all")
        for t in ("staging.grades", "staging.consultations", "quarantine.rows")
    }


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_interrupted_load_leaves_the_warehouse_as_before_that_file(con, tmp_path, monkeypatch, error) -> None:
    raw = tmp_path / "raw"
    b = write(
        raw / "b.csv",
        GRADES_HEADER_EN,
        [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""], ["15.01.2024", ANNA, SCHOOL, "Fizika", "x", ""]],
    )
    ingest_dir(con, raw, "r1")
    before, meta_before = snapshot(con), rows(con, "select * from meta.files order by file_path")
    # New run: b.csv changed, a.csv and c.csv are new. Fail b.csv after its staging insert.
    write(raw / "a.csv", GRADES_HEADER_EN, [["16.01.2024", BERTS, SCHOOL, "Fizika", "7", ""]])
    write(
        b.parent / "b.csv",
        GRADES_HEADER_EN,
        [["15.01.2024", ANNA, SCHOOL, "Fizika", "9", ""], ["15.01.2024", ANNA, SCHOOL, "Fizika", "y", ""]],
    )
    write(raw / "c.csv", GRADES_HEADER_EN, [["17.01.2024", CILDA, SCHOOL, "Fizika", "6", ""]])
    real = ingest.reasons_frame

    def failing(kind: str):
        if rows(con, "select count(*) from staging.grades where grade_raw = '9'")[0][0]:
            raise error("simulated crash mid-file")
        return real(kind)

    monkeypatch.setattr(ingest, "reasons_frame", failing)
    if error is KeyboardInterrupt:
        with pytest.raises(KeyboardInterrupt):
            ingest_dir(con, raw, "r2")
        # a.csv and b.csv were saved in one batch: the interrupt leaves both exactly as before the run
        assert rows(con, "select source_file, grade_raw from staging.grades order by 1, 2") == [("b.csv", "8")]
        assert rows(con, "select * from meta.files order by file_path") == meta_before
        return
    reports = ingest_dir(con, raw, "r2")
    assert reports["b.csv"].status == "rejected" and "RuntimeError" in reports["b.csv"].reason
    assert reports["a.csv"].status == reports["c.csv"].status == "loaded"
    after = snapshot(con)
    assert [r for r in after["staging.grades"] if r[0] == "b.csv"] == before["staging.grades"]
    assert after["quarantine.rows"] == before["quarantine.rows"]
    assert rows(con, "select * from meta.files where file_path = 'b.csv'") == meta_before
    assert rows(con, "select source_file from staging.grades order by 1") == [("a.csv",), ("b.csv",), ("c.csv",)]


# --- privacy ----------------------------------------------------------------------------------


def test_no_personal_code_or_name_anywhere(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    write(
        raw / "skolēni.csv",
        ["Personas kods", "Vārds", "Uzvārds", "Iestādes kods", "Klase", "Mācību gads"],
        [
            [ANNA, "Anna", "Bērziņa", SCHOOL, "7.b", "2024/2025"],
            [BERTS, "Berts", "Kalniņš", SCHOOL, CILDA, "2024/2025"],  # a code where the class belongs: masked
            [BAD_CHECK, "Cilda", "Zariņa", SCHOOL, "7.b", "2024/2025"],
        ],
        sep=";",
        encoding="cp1257",
    )
    write(
        raw / "k.csv",
        ["date", "personal_code", "school_id", "staff_name", "minutes"],
        [
            ["15.01.2024", CILDA.replace("-", ""), SCHOOL, "Ilze Ozoliņa", "40"],
            ["15.01.2024", ANNA, SCHOOL, "Ilze Ozoliņa", "abc"],
            ["xx.01.2024", BERTS, SCHOOL, "Ilze Ozoliņa", "40"],
        ],
    )
    write(raw / "g.csv", GRADES_HEADER_EN, [["15.01.2024", CILDA, SCHOOL, "Fizika", BERTS.replace("-", ""), ""]])
    ingest_dir(con, raw)
    summary_path = tmp_path / "out" / "run_summary.json"
    write_run_summary(con, summary_path, "r1")
    assert rows(con, "select count(*) from staging.pupils") == [(1,)]
    assert rows(con, "select value from quarantine.rows where column_name = 'class'") == [("***",)]
    assert rows(con, "select count(*) from quarantine.rows") == [(5,)]

    needles = [c for code in (ANNA, BERTS, CILDA, BAD_CHECK) for c in (code, code.replace("-", ""))]
    needles += [n.lower() for n in NAMES] + ["berzina", "ozolina"]
    columns = rows(
        con,
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR' and table_catalog = current_database()",
    )
    assert len(columns) > 40
    for schema, table, column in columns:
        values = {v for (v,) in rows(con, f'select distinct "{column}" from {schema}.{table}') if v is not None}
        for value in values:
            low = value.lower()
            leaks = [n for n in needles if n.lower() in low]
            assert not leaks, f"{schema}.{table}.{column} holds personal data"
    summary = summary_path.read_text(encoding="utf-8").lower()
    assert not [n for n in needles if n.lower() in summary]
    assert json.loads(summary)["totals"]["rows_quarantined"] == 5


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


def test_school_registry_loads_and_a_markdown_note_is_skipped(tmp_path):
    """Regression: the registry has no pupil column; a README with ragged lines is a note, not bad data."""
    from pipelines.ingest.stage import run_ingest
    from pipelines.warehouse import connect

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "skolu_registrs.csv").write_text(
        "Iestādes kods;Nosaukums;Pašvaldība\n2713968911;Rēzeknes 5. vidusskola;Rēzeknes valstspilsēta\n",
        encoding="utf-8",
    )
    (raw / "README.md").write_text("# Piezīmes\n\nŠis fails, ar komatiem, nav dati; tikai teksts.\n", encoding="utf-8")
    con = connect(tmp_path / "w.duckdb")
    reports = {f.path: f for f in run_ingest(con, raw, KEY, "r1").files}
    assert reports["skolu_registrs.csv"].status == "loaded"
    assert con.execute("select school_id, municipality from staging.schools").fetchall() == [
        ("2713968911", "Rēzeknes valstspilsēta")
    ]
    assert reports["README.md"].status == "skipped"


# --- per-run costs (national scale: 15,000+ files) -------------------------------------------


def count_hashes(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = ingest.content_hash

    def counting(data: bytes) -> str:
        calls.append(len(data))
        return real(data)

    monkeypatch.setattr(ingest, "content_hash", counting)
    return calls


def test_untouched_file_is_not_even_hashed_and_a_touched_one_is(con, tmp_path, monkeypatch) -> None:
    raw = tmp_path / "raw"
    g = write(raw / "g.csv", GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]])
    h = write(raw / "h.csv", GRADES_HEADER_EN, [["15.01.2024", BERTS, SCHOOL, "Fizika", "7", ""]])
    ingest_dir(con, raw, "r1")
    stat = g.stat()
    assert rows(con, "select file_size, file_mtime_ns from meta.files where file_path = 'g.csv'") == [
        (stat.st_size, stat.st_mtime_ns)
    ]
    hashed = count_hashes(monkeypatch)
    reports = ingest_dir(con, raw, "r2")
    assert hashed == []
    assert (reports["g.csv"].status, reports["g.csv"].rows_loaded, reports["g.csv"].kind) == ("unchanged", 1, "grades")
    assert rows(con, "select status, run_id from meta.files order by 1") == [("unchanged", "r1")] * 2

    # same bytes, new mtime: hashed once, still unchanged, and the new stat is remembered
    os.utime(g, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    # new bytes of the same size: hashed and loaded
    old = h.stat()
    write(h, GRADES_HEADER_EN, [["15.01.2024", BERTS, SCHOOL, "Fizika", "9", ""]])
    os.utime(h, ns=(old.st_atime_ns, old.st_mtime_ns + 5_000_000_000))  # a coarse clock could repeat the mtime
    reports = ingest_dir(con, raw, "r3")
    assert sorted(hashed) == [g.stat().st_size, h.stat().st_size]
    assert (reports["g.csv"].status, reports["h.csv"].status) == ("unchanged", "loaded")
    assert rows(con, "select grade_raw from staging.grades order by 1") == [("8",), ("9",)]
    assert rows(con, "select file_mtime_ns from meta.files where file_path = 'g.csv'") == [(g.stat().st_mtime_ns,)]
    hashed.clear()
    ingest_dir(con, raw, "r4")
    assert hashed == []


def test_old_warehouse_gains_the_stat_columns_and_settings_are_restored(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    write(raw / "g.csv", GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]])
    ingest.ensure_schema(con)  # meta.files as schema.sql creates it, without file_size / file_mtime_ns
    con.execute("insert into meta.files (file_path, sha256, kind, status) values ('gone.csv', 'x', 'grades', 'loaded')")
    before = rows(con, "select current_setting('checkpoint_threshold')")
    ingest_dir(con, raw)
    assert rows(con, "select current_setting('checkpoint_threshold')") == before
    assert rows(con, "select file_path, file_size is null from meta.files order by 1") == [
        ("g.csv", False),
        ("gone.csv", True),
    ]
    # a table with no ingest errors gets no quarantine insert, a file of only errors no staging insert
    write(raw / "bad.csv", GRADES_HEADER_EN, [["15.01.2024", BAD_CHECK, SCHOOL, "Fizika", "8", ""]])
    reports = ingest_dir(con, raw, "r2")
    assert (reports["bad.csv"].rows_loaded, reports["bad.csv"].rows_quarantined) == (0, 1)
    assert rows(con, "select source_file, count(*) from quarantine.rows group by 1") == [("bad.csv", 1)]


def test_batches_of_files_give_the_same_rows_as_one_file_at_a_time(tmp_path) -> None:
    """Typing files of one kind together must not change a single row, key, line or count."""
    from pipelines.sample import write_sample

    raw = tmp_path / "raw"
    write_sample(raw, schools=2, seed=11)
    write(raw / "dup.csv", GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]] * 3)
    write(raw / "dup2.csv", GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]] * 2)
    tables = ("staging.schools", "staging.pupils", "staging.plans", "staging.consultations", "staging.grades")
    tables += (
        "staging.activities",
        "staging.financial_support",
        "staging.costs",
        "staging.attendance",
    )  # the sample writes them too
    results = {}
    for name, batch_files in (("one", 1), ("batched", 10_000)):
        con = connect(tmp_path / f"{name}.duckdb")
        reports = run_ingest(con, raw, KEY, "r1", batch_files=batch_files).files
        results[name] = (
            [(f.path, f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) for f in reports],
            {t: rows(con, f"select * from {t} order by all") for t in tables},
            rows(con, "select * from quarantine.rows order by all"),
            rows(con, "select * exclude (ingested_at) from meta.files order by all"),
        )
        con.close()
    assert results["one"] == results["batched"]
    files, staged, quarantined, _ = results["batched"]
    assert sum(f[2] for f in files if f[1] == "loaded") == sum(len(v) for v in staged.values()) + len(quarantined)
    assert len(quarantined) > 0 and len(staged["staging.grades"]) > 1000
    # equal marks in one file differ by their occurrence; across files (a re-delivery) the keys repeat
    keys = sorted(r[2] for r in staged["staging.grades"] if r[0] in ("dup.csv", "dup2.csv"))
    assert [k.split("#")[1] for k in keys] == ["1", "1", "2", "2", "3"]
    assert len({k.split("#")[0] for k in keys}) == 1


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
