"""Settings reach the rules, chunking does not change the outcome, an empty warehouse is fine,
and GX leaves no state behind."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from validate_fixtures import SCHOOL_A, register_files, stage

from pipelines.config import ValidateSettings
from pipelines.validate.stage import run_validate


def consultations_with_minutes(con, minutes: list[float]) -> None:
    stage(con, "schools", "skolas.csv", [{"school_id": SCHOOL_A}])
    stage(con, "pupils", "saraksts.csv", [{}])
    stage(con, "plans", "plāni.csv", [{}])
    rows = [{"date": date(2024, 11, 4 + i), "minutes": m} for i, m in enumerate(minutes)]
    stage(con, "consultations", "konsultācijas.csv", rows)
    register_files(con)


def quarantined_lines(con) -> list[int]:
    rows = con.execute(
        "select source_line from quarantine.rows where reason_code = 'minutes_out_of_range' order by 1"
    ).fetchall()
    return [r[0] for r in rows]


def test_max_minutes_comes_from_settings(con, settings, runner):
    consultations_with_minutes(con, [45, 60, 61, 240])
    strict = replace(settings, validate=replace(settings.validate, max_consultation_minutes=60))

    run_validate(con, strict, "r1", runner=runner)
    assert quarantined_lines(con) == [4, 5]  # 61 and 240 minutes
    message = con.execute("select message_en from quarantine.rows limit 1").fetchall()[0][0]
    assert message == "The duration must be more than 0 and at most 60 minutes."

    run_validate(con, settings, "r2", runner=runner)  # default 240
    assert quarantined_lines(con) == []
    files = con.execute("select rows_loaded, rows_quarantined from meta.files where kind = 'consultations'").fetchall()
    assert files == [(4, 0)]


def test_reference_date_decides_what_is_in_the_future(con, settings, runner):
    consultations_with_minutes(con, [45])  # 2024-11-04
    earlier = replace(settings, validate=ValidateSettings(today=date(2024, 11, 3)))
    run_validate(con, earlier, "r1", runner=runner)
    reasons = con.execute("select reason_code from quarantine.rows").fetchall()
    assert reasons == [("date_in_future",)]


def test_chunked_validation_gives_the_same_rows(con, settings, runner):
    consultations_with_minutes(con, [45, 0, 30, 300, 20, 241, 10])
    run_validate(con, settings, "r1", runner=runner)
    whole = con.execute("select * exclude (run_id) from quarantine.rows order by all").fetchall()
    run_validate(con, settings, "r2", runner=runner, chunk_rows=2)
    assert con.execute("select * exclude (run_id) from quarantine.rows order by all").fetchall() == whole
    assert [r[1] for r in whole] == [3, 5, 7]


def test_empty_warehouse_validates_cleanly(con, settings, runner):
    result = run_validate(con, settings, "r1", runner=runner)
    assert (result.n_checked, result.n_quarantined, result.n_warnings, result.has_errors) == (0, 0, 0, False)
    assert result.counts == []
    assert not settings.run_summary_path.exists()  # only the runner writes it (from meta.files)
    assert con.execute("select count(*) from validation.quality").fetchall() == [(0,)]


def test_gx_leaves_no_state_folder(con, settings, runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    consultations_with_minutes(con, [45])
    run_validate(con, settings, "r1", runner=runner)
    assert not (Path(tmp_path) / "gx").exists()
    assert not (Path(__file__).resolve().parents[2] / "gx").exists()
    assert con.execute("select count(*) from duckdb_tables() where table_name like 'validate_frame_%'").fetchall() == [
        (0,)
    ]
