"""Attendance (issue 16): both shapes, in Latvian and English headers, load into one staging table;
a cumulative re-delivery repeats row keys; bad cells are quarantined with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.contract import COLUMNS, SIGNATURE, normalise_text
from pipelines.ingest.kinds import recognise
from pipelines.ingest.stage import run_ingest
from pipelines.personal_code import make_old_code
from pipelines.warehouse import connect

KEY = b"test-key-32-characters-or-longer!"
SCHOOL = "2712900123"
ANNA = make_old_code(15, 3, 2012, 123)

LESSONS_LV = (
    "Datums;Personas kods;Iestādes kods;Kavētās stundas;Iemesls;Mācību priekšmets\r\n"
    f"15.01.2025;{ANNA};{SCHOOL};2;neattaisnots;Fizika\r\n"
    f"16.01.2025;{ANNA};{SCHOOL};6;slimība;\r\n"
    f"17.01.2025;{ANNA};{SCHOOL};1;;Matemātika\r\n"
    f"20.01.2025;{ANNA};{SCHOOL};1,5;attaisnots;\r\n"
)
LESSONS_EN = (
    "date,pupil_code,school_id,lessons_missed,reason,subject\n"
    f"2025-01-15,{ANNA.replace('-', '')},{SCHOOL},2,unexcused,Physics\n"
    f"2025-01-21,{ANNA.replace('-', '')},{SCHOOL},3,excused,\n"
)
PERIODS_LV = (
    "Personas kods;Iestādes kods;Perioda sākums;Perioda beigas;Attaisnotas stundas;Neattaisnotas stundas;"
    "Slimības dēļ;Notikušās stundas\r\n"
    f"{ANNA};{SCHOOL};01.09.2024;30.09.2024;2;5;8;120\r\n"
    f"{ANNA};{SCHOOL};01.10.2024;31.10.2024;;x;;\r\n"
)
PERIODS_EN = (
    "pupil_code,school_id,period_start,period_end,excused,unexcused,illness\n"
    f"{ANNA},{SCHOOL},2024-09-01,2024-12-20,4,21,10\n"
)


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    yield con
    con.close()


def load(con, raw: Path, files: dict[str, bytes]) -> dict:
    raw.mkdir(exist_ok=True)
    for name, data in files.items():
        (raw / name).write_bytes(data)
    return {f.path: f for f in run_ingest(con, raw, KEY, "r1").files}


def test_both_shapes_in_both_dialects_load_into_one_table(con, tmp_path) -> None:
    reports = load(
        con,
        tmp_path / "raw",
        {
            "kavejumi.csv": LESSONS_LV.encode("cp1257"),
            "absences.csv": b"\xef\xbb\xbf" + LESSONS_EN.encode("utf-8"),
            "kopsavilkums.csv": PERIODS_LV.encode("cp1257"),
            "summary.csv": PERIODS_EN.encode("utf-8"),
        },
    )
    kinds = {path: (r.kind, r.rows_loaded, r.rows_quarantined) for path, r in reports.items()}
    assert kinds == {
        "kavejumi.csv": ("attendance_lessons", 3, 1),
        "absences.csv": ("attendance_lessons", 2, 0),
        "kopsavilkums.csv": ("attendance_periods", 1, 1),
        "summary.csv": ("attendance_periods", 1, 0),
    }
    got = con.execute(
        """select source_file, shape, period_start, period_end, reason, subject,
                  lessons_missed, excused, unexcused, illness, unknown_reason, lessons_held
           from staging.attendance order by source_file, source_line"""
    ).fetchall()
    d = __import__("datetime").date
    assert got == [
        ("absences.csv", "lessons", d(2025, 1, 15), d(2025, 1, 15), "unexcused", "physics", 2, 0, 2, 0, 0, None),
        ("absences.csv", "lessons", d(2025, 1, 21), d(2025, 1, 21), "excused", None, 3, 3, 0, 0, 0, None),
        ("kavejumi.csv", "lessons", d(2025, 1, 15), d(2025, 1, 15), "unexcused", "physics", 2, 0, 2, 0, 0, None),
        ("kavejumi.csv", "lessons", d(2025, 1, 16), d(2025, 1, 16), "illness", None, 6, 0, 0, 6, 0, None),
        ("kavejumi.csv", "lessons", d(2025, 1, 17), d(2025, 1, 17), "unknown", "mathematics", 1, 0, 0, 0, 1, None),
        ("kopsavilkums.csv", "periods", d(2024, 9, 1), d(2024, 9, 30), None, None, 15, 2, 5, 8, None, 120),
        ("summary.csv", "periods", d(2024, 9, 1), d(2024, 12, 20), None, None, 35, 4, 21, 10, None, None),
    ]
    # the same absence in two files (a cumulative re-delivery) has one row_key: transform keeps it once
    keys = con.execute(
        "select count(distinct row_key) from staging.attendance where period_start = date '2025-01-15'"
    ).fetchall()
    assert keys == [(1,)]
    quarantined = con.execute(
        "select source_file, source_line, kind, column_name, reason_code from quarantine.rows order by source_file"
    ).fetchall()
    assert quarantined == [
        ("kavejumi.csv", 5, "attendance_lessons", "lessons_missed", "not_whole_number"),
        ("kopsavilkums.csv", 3, "attendance_periods", "unexcused", "not_whole_number"),
    ]
    assert "pupil_code" not in {c[0] for c in con.execute("describe staging.attendance").fetchall()}


def test_a_replaced_attendance_file_replaces_its_rows(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    load(con, raw, {"kavejumi.csv": LESSONS_LV.encode("cp1257")})
    load(con, raw, {"kavejumi.csv": LESSONS_EN.encode("utf-8")})
    assert con.execute("select count(*) from staging.attendance").fetchall() == [(2,)]


@pytest.mark.parametrize("kind", list(COLUMNS))
def test_every_kind_is_recognised_by_its_own_header_in_both_languages(kind) -> None:
    for header in ([c.name for c in COLUMNS[kind]], [c.latvian for c in COLUMNS[kind]]):
        found = recognise(header)
        assert (found.kind, found.problem) == (kind, None)


def test_no_attendance_header_shares_a_column_another_kind_is_recognised_by() -> None:
    # why recognising attendance stays unambiguous: an attendance header holds no signature column of
    # another kind, nor another kind's header an attendance one (other kinds may share among themselves,
    # e.g. costs' `municipality`, which recognise() ranks: tests/ingest/test_ingest_programme_kinds.py)
    attendance = ("attendance_lessons", "attendance_periods")
    for kind, own in SIGNATURE.items():
        for other, columns in COLUMNS.items():
            if other != kind and (kind in attendance or other in attendance):
                assert not own & {c.name for c in columns}, (kind, other)


def test_no_header_spelling_means_two_columns() -> None:
    meaning: dict[str, str] = {}
    for columns in COLUMNS.values():
        for col in columns:
            for spelling in (col.name, col.latvian, *col.aliases):
                assert meaning.setdefault(normalise_text(spelling), col.name) == col.name, spelling


def test_lesson_records_are_not_taken_for_grades_or_consultations() -> None:
    # date, pupil, school and subject are shared with grades and consultations: the counts decide
    found = recognise(["Datums", "Personas kods", "Iestādes kods", "Mācību priekšmets", "Kavētās stundas"])
    assert (found.kind, found.problem) == ("attendance_lessons", None)
