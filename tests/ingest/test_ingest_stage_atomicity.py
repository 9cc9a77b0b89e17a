"""A load interrupted mid-file leaves the warehouse as it was before that file."""

from __future__ import annotations

import pytest
from ingest_fixtures import (
    ANNA,
    BERTS,
    CILDA,
    GRADES_HEADER_EN,
    SCHOOL,
    ingest_dir,
    rows,
    write,
)

import pipelines.ingest.stage as ingest


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
