"""Kept row counts (validation.file_months, validation.month_counts) give the same outcome as counting
everything again: after a monthly increment that adds a school to the registry, corrects one old file,
removes another, delivers late rows for an old month and a roster, and moves the reference date,
incremental validation equals a full one on a fresh warehouse, and old rows and months change their
verdict. Counts of school-months no changed file touches are kept, not recounted."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import duckdb
import pytest
from validate_fixtures import SCHOOL_A, SCHOOL_B, YEAR, register_files, stage

from pipelines.config import Settings, ValidateSettings
from pipelines.validate.stage import run_validate
from pipelines.warehouse import connect, ensure_schema

REGISTRY = "skolas.csv"
ROSTER_A = "A/skolēni.csv"
ROSTER_A_NEW = "A/skolēni_janvāris.csv"
SCHOOL_NEW = "4000000009"  # delivers from September, reaches the registry only with the increment
FIRST = date(2025, 1, 15)  # reference date of the first run
LATER = date(2025, 3, 15)  # and of the increment's


def grades_file(school: str, month: int) -> str:
    return f"{school}/vērtējumi_{month:02d}.csv"


def cons_file(school: str, month: int) -> str:
    return f"{school}/konsultācijas_{month:02d}.csv"


def month_rows(day: date, n: int, pupil: str = "p2") -> list[dict]:
    return [{"date": day, "pupil_id": pupil} for _ in range(n)]


def build_year(con: duckdb.DuckDBPyConnection) -> None:
    """Schools A and SCHOOL_NEW (unknown to the registry), one grades file a month; A's December is a
    drop; consultations for B; a roster for A without p7, who has grades."""
    stage(con, "schools", REGISTRY, [{"school_id": SCHOOL_A}, {"school_id": SCHOOL_B}])
    stage(con, "pupils", ROSTER_A, [{"pupil_id": "p2"}])
    for school in (SCHOOL_A, SCHOOL_NEW):
        for year, month, n in ((2024, 9, 12), (2024, 10, 12), (2024, 11, 12), (2024, 12, 3), (2025, 1, 12)):
            rows = month_rows(date(year, month, 10), n)
            if school == SCHOOL_A and month == 9:
                rows[0]["pupil_id"] = "p9"  # never on the roster
                rows[1].update(subject="~xyz", subject_raw="Xyz")  # unknown subject, later in February too
            if school == SCHOOL_A and month == 10:
                rows[0]["pupil_id"] = "p7"  # not on the roster until the increment
            if school == SCHOOL_A and year == 2025:
                rows[0]["date"] = date(2025, 2, 20)  # in the future until the reference date moves
            stage(con, "grades", grades_file(school, month), [{**r, "school_id": school} for r in rows])
    for month, n in ((9, 12), (10, 12), (11, 12), (12, 12)):
        stage(con, "consultations", cons_file(SCHOOL_B, month), month_rows(date(2024, month, 12), n))
    con.execute("update staging.consultations set school_id = ?", [SCHOOL_B])
    register_files(con)


def increment(con: duckdb.DuckDBPyConnection) -> None:
    """What the next month's ingest leaves: a new registry version naming SCHOOL_NEW, A's November
    re-delivered with 4 rows, B's November consultations withdrawn, February grades of A with late
    December rows, and a roster naming p7."""
    stage(con, "schools", REGISTRY, [{"school_id": SCHOOL_NEW}], first_line=4)
    con.execute("update meta.files set sha256 = 'v2' where file_path = ?", [REGISTRY])
    november = grades_file(SCHOOL_A, 11)
    con.execute("delete from staging.grades where source_file = ? and source_line > 5", [november])
    con.execute("update meta.files set sha256 = 'v2', rows_read = 4, rows_loaded = 4 where file_path = ?", [november])
    withdrawn = cons_file(SCHOOL_B, 11)
    con.execute("delete from staging.consultations where source_file = ?", [withdrawn])
    con.execute("delete from meta.files where file_path = ?", [withdrawn])
    february = f"{SCHOOL_A}/vērtējumi_2025-02.csv"  # sorts after September: its unknown subject stays first
    late = month_rows(date(2024, 12, 20), 9)
    stage(
        con,
        "grades",
        february,
        [
            *month_rows(date(2025, 2, 10), 11),
            {"date": date(2025, 2, 10), "subject": "~xyz", "subject_raw": "Xyz"},
            *late,
        ],
    )
    con.execute("update staging.grades set school_id = ? where source_file = ?", [SCHOOL_A, february])
    stage(con, "pupils", ROSTER_A_NEW, [{"pupil_id": "p7", "school_year": YEAR}])
    con.execute(
        """insert into meta.files (file_path, sha256, kind, status, rows_read, rows_loaded, rows_quarantined,
                                   ingested_at, run_id)
           select file_path, 'v1', kind, 'loaded', rows_read, rows_read, 0, ingested_at, 'ingest-run-2'
           from (values (?, 'grades', 21), (?, 'pupils', 1)) v(file_path, kind, rows_read),
                (select max(ingested_at) as ingested_at from meta.files)""",
        [february, ROSTER_A_NEW],
    )


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    return {
        "quarantine": con.execute("select * exclude (run_id) from quarantine.rows order by all").fetchall(),
        "flags": con.execute("select * exclude (run_id) from validation.flags order by all").fetchall(),
        "quality": con.execute("select * from validation.quality order by all").fetchall(),
        "files": con.execute("select * from meta.files order by all").fetchall(),
    }


def verdicts(con: duckdb.DuckDBPyConnection) -> set[tuple]:
    """Volume drops (school, value), schools quarantined as unknown, grade rows flagged off the roster
    or quarantined as future, and unknown subject notes."""
    return {
        *con.execute(
            "select 'drop', school_id, value from validation.flags where reason_code = 'monthly_volume_drop'"
        ).fetchall(),
        *con.execute(
            "select distinct 'unknown', school_id, null from quarantine.rows where reason_code = 'unknown_school'"
        ).fetchall(),
        *con.execute(
            """select 'off roster', source_file, source_line from validation.flags
               where reason_code = 'pupil_not_on_roster' and kind = 'grades'"""
        ).fetchall(),
        *con.execute(
            "select 'future', source_file, source_line from quarantine.rows where reason_code = 'date_in_future'"
        ).fetchall(),
        *con.execute(
            "select 'subject', source_file, value from validation.flags where reason_code = 'unknown_subject'"
        ).fetchall(),
    }


def on(settings: Settings, day: date) -> Settings:
    return replace(settings, validate=ValidateSettings(today=day))


@pytest.fixture
def validated(tmp_path, settings, runner) -> tuple[duckdb.DuckDBPyConnection, dict[str, list], dict[str, list]]:
    """The warehouse after the year's run and the increment's, with both snapshots."""
    con = connect(tmp_path / "incremental.duckdb")
    ensure_schema(con)
    build_year(con)
    run_validate(con, on(settings, FIRST), "r1", runner=runner)
    before = verdicts(con)
    increment(con)
    run_validate(con, on(settings, LATER), "r2", runner=runner)
    yield con, before, snapshot(con)
    con.close()


def test_increment_with_kept_counts_equals_a_full_validation(validated, tmp_path, settings, runner):
    con, before, after = validated
    fresh = connect(tmp_path / "fresh.duckdb")
    ensure_schema(fresh)
    build_year(fresh)
    increment(fresh)
    run_validate(fresh, on(settings, LATER), "r1", runner=runner, incremental=False)
    assert after == snapshot(fresh)
    fresh.close()

    now = verdicts(con)
    drop = "(iepriekš vidēji / previous average 12.0)"
    # old months changed their verdict: SCHOOL_NEW's December drop is warned once the registry names it;
    # A's December drop is gone (late rows), its November (re-delivered smaller) is one; B's withdrawn November
    assert ("drop", SCHOOL_NEW, f"2024-12: 3 {drop}") in now - before
    assert ("drop", SCHOOL_A, f"2024-12: 3 {drop}") in before - now
    assert ("drop", SCHOOL_A, f"2024-11: 4 {drop}") in now - before
    assert ("drop", SCHOOL_B, f"2024-11: 0 {drop}") in now - before
    # old rows too: SCHOOL_NEW's grades are no longer unknown_school, p7's October grade is on the roster
    assert before - now >= {("unknown", SCHOOL_NEW, None), ("off roster", grades_file(SCHOOL_A, 10), 2)}
    # and the earlier unknown subject's note counts the new row; January's February row is not future now
    september = grades_file(SCHOOL_A, 9)
    assert ("subject", september, "Xyz (1 rindas / rows)") in before - now
    assert ("subject", september, "Xyz (2 rindas / rows)") in now - before
    assert ("future", grades_file(SCHOOL_A, 1), 2) in before - now
    assert ("off roster", september, 2) in before & now
    # the month of the reference date is counted up to that day, every run
    assert con.execute("select count(*) from validation.quality where month = '2025-02'").fetchall() == [(1,)]


def test_counts_and_hits_no_changed_file_touches_are_kept_not_recounted(validated, settings, runner):
    """Kept means not looked at again: tampered counts and hits of untouched rows survive an incremental
    run (a full one puts them right), which is how the increment stays proportional to what changed."""
    con, _, after = validated
    p9 = [grades_file(SCHOOL_A, 9), 2, "pupil_not_on_roster"]
    con.execute(
        "update validation.cross_hits set value = 'kept' where source_file = ? and source_line = ? and reason_code = ?",
        p9,
    )
    september = [SCHOOL_A, "grades", date(2024, 9, 1)]
    where = "where school_id = ? and kind = ? and month_start = ?"
    con.execute(f"update validation.month_counts set row_count = 999 {where}", september)
    con.execute("update validation.file_months set row_count = 999 where source_file = ?", [grades_file(SCHOOL_A, 9)])
    run_validate(con, on(settings, LATER), "r3", runner=runner)  # nothing changed: both kept as they are
    assert con.execute(f"select row_count from validation.month_counts {where}", september).fetchall() == [(999,)]
    quality = con.execute("select school_id, month, rows_received from validation.quality").fetchall()
    assert (SCHOOL_A, "2024-09", 999) in quality
    flagged = "select value from validation.flags where source_file = ? and source_line = ? and reason_code = ?"
    assert con.execute(flagged, p9).fetchall() == [("kept",)]
    run_validate(con, on(settings, LATER), "r4", runner=runner, incremental=False)  # a full run counts again
    assert con.execute(f"select row_count from validation.month_counts {where}", september).fetchall() == [(12,)]
    assert snapshot(con) == after
