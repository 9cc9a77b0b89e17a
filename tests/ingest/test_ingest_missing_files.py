"""Files gone from the raw folder: listed and kept by default (a raw folder pointed elsewhere by
mistake must not empty the warehouse), withdrawn with their rows when the run is told so."""

from __future__ import annotations

import zipfile

from ingest_fixtures import ANNA, BERTS, GRADES_HEADER_EN, KEY, SCHOOL, rows, write

from pipelines.ingest.paths import missing_warning
from pipelines.ingest.stage import run_ingest


def _raw(tmp_path):
    raw = tmp_path / "raw"
    write(raw / "a" / "grades.csv", GRADES_HEADER_EN, [["15.01.2025", ANNA, SCHOOL, "Fizika", "8", ""]])
    write(raw / "b" / "grades.csv", GRADES_HEADER_EN, [["16.01.2025", BERTS, SCHOOL, "Fizika", "x", ""]])
    inner = write(tmp_path / "m.csv", GRADES_HEADER_EN, [["17.01.2025", BERTS, SCHOOL, "Ķīmija", "7", ""]])
    with zipfile.ZipFile(raw / "c.zip", "w") as archive:
        archive.write(inner, "m.csv")
    return raw


def _stored(con) -> tuple[list, list, list]:
    return (
        rows(con, "select distinct source_file from staging.grades order by 1"),
        rows(con, "select distinct source_file from quarantine.rows order by 1"),
        rows(con, "select file_path from meta.files order by 1"),
    )


def test_missing_files_are_listed_and_their_rows_kept(con, tmp_path) -> None:
    raw = _raw(tmp_path)
    run_ingest(con, raw, KEY, "r1")
    before = _stored(con)
    assert before[0] == [("a/grades.csv",), ("c.zip/m.csv",)] and before[1] == [("b/grades.csv",)]
    (raw / "b" / "grades.csv").unlink()
    (raw / "c.zip").unlink()
    result = run_ingest(con, raw, KEY, "r2")
    assert (result.missing, result.withdrawn) == (["b/grades.csv", "c.zip/m.csv"], False)
    assert _stored(con) == before
    line = missing_warning(result.missing, result.withdrawn)
    assert "\n" not in line and "--withdraw-missing" in line and "b/grades.csv" in line


def test_withdraw_missing_removes_the_files_rows_and_records(con, tmp_path) -> None:
    raw = _raw(tmp_path)
    run_ingest(con, raw, KEY, "r1")
    (raw / "b" / "grades.csv").unlink()
    (raw / "c.zip").unlink()
    result = run_ingest(con, raw, KEY, "r2", withdraw_missing=True)
    assert result.withdrawn and len(result.missing) == 2
    assert _stored(con) == ([("a/grades.csv",)], [], [("a/grades.csv",)])
    again = run_ingest(con, raw, KEY, "r3", withdraw_missing=True)  # nothing left to withdraw
    assert (again.missing, [f.status for f in again.files]) == ([], ["unchanged"])
