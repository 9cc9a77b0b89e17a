"""Incremental validation equals a full one: after a new roster, a new grades file and a corrected
consultations file, validating incrementally gives the same tables as validating everything on a
fresh warehouse, while GX judges row-local rules only on the rows of the new and changed files."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date

import pytest
from test_validate_stage import CONS, GRADES, GRADES_B, build_scenario
from validate_fixtures import SCHOOL_A, YEAR, register_files, stage

from pipelines.config import ValidateSettings
from pipelines.validate.stage import run_validate
from pipelines.validate.suites import CROSS_TABLE_COLUMNS, part_of
from pipelines.warehouse import connect, ensure_schema

NEW_ROSTER = "A/skolēni_papildu.csv"
NEW_GRADES = "A/vērtējumi_oktobris.csv"


def add_files(con) -> None:
    """A roster with every pupil graded, consulted or planned but not on a roster yet; a grades file
    with a row-local error, a row-local warning and a cross-table warning; CONS line 3 corrected."""
    missing = con.execute(
        """select distinct pupil_id from (
               select pupil_id, school_id from staging.grades union all
               select pupil_id, school_id from staging.consultations union all
               select pupil_id, school_id from staging.plans)
           where school_id = ? and pupil_id is not null
             and pupil_id not in (select pupil_id from staging.pupils) order by 1""",
        [SCHOOL_A],
    ).fetchall()
    assert missing  # the scenario has rows flagged pupil_not_on_roster
    stage(con, "pupils", NEW_ROSTER, [{"pupil_id": p, "school_year": YEAR} for (p,) in missing])
    stage(
        con,
        "grades",
        NEW_GRADES,
        [
            {"date": date(2024, 10, 7)},  # 2 passes
            {"date": date(2024, 10, 7), "grade_raw": "11", "grade_score": 11},  # 3 out of range
            {"date": date(2024, 10, 8), "subject": None, "subject_raw": "Xyz"},  # 4 unknown subject
            {"date": date(2024, 10, 9), "pupil_id": "nobody"},  # 5 not on roster
        ],
    )
    con.execute("update staging.consultations set minutes = 30 where source_file = ? and source_line = 3", [CONS])


def register(con) -> None:
    con.execute("delete from meta.files")
    register_files(con, {GRADES: 2, GRADES_B: 1})
    con.execute("update meta.files set sha256 = 'corrected' where file_path = ?", [CONS])


def snapshot(con) -> dict[str, list]:
    return {
        "quarantine": con.execute("select * exclude (run_id) from quarantine.rows order by all").fetchall(),
        "flags": con.execute("select * exclude (run_id) from validation.flags order by all").fetchall(),
        "quality": con.execute("select * from validation.quality order by all").fetchall(),
        "files": con.execute("select * from meta.files order by all").fetchall(),
    }


@pytest.fixture
def judged(runner, monkeypatch) -> Counter:
    """Rows GX judged, by (frame, part)."""
    counts: Counter = Counter()
    real = runner.run

    def spy(frame, chunk, parameters, part=None):
        counts[frame, part] += len(chunk)
        return real(frame, chunk, parameters, part)

    monkeypatch.setattr(runner, "run", spy)
    return counts


def test_incremental_after_new_and_changed_files_equals_full_on_a_fresh_warehouse(tmp_path, settings, runner, judged):
    con = connect(tmp_path / "incremental.duckdb")
    ensure_schema(con)
    build_scenario(con)
    run_validate(con, settings, "r1", runner=runner)
    before = snapshot(con)
    add_files(con)
    register(con)
    judged.clear()
    run_validate(con, settings, "r2", runner=runner)
    incremental, seen = snapshot(con), dict(judged)

    fresh = connect(tmp_path / "fresh.duckdb")
    ensure_schema(fresh)
    build_scenario(fresh)
    add_files(fresh)
    register(fresh)
    run_validate(fresh, settings, "r1", runner=runner, incremental=False)
    assert incremental == snapshot(fresh)

    # the data really changed, for unchanged files too (cross-table rules re-judged on every row)
    assert incremental != before
    flagged = con.execute("select source_file, source_line, reason_code from validation.flags").fetchall()
    assert (GRADES, 10, "pupil_not_on_roster") not in flagged
    assert (NEW_GRADES, 5, "pupil_not_on_roster") in flagged and (NEW_GRADES, 4, "unknown_subject") in flagged
    quarantined = con.execute("select source_file, source_line from quarantine.rows where stage = 'validate'")
    assert (NEW_GRADES, 3) in quarantined.fetchall()
    assert (CONS, 3) not in [r[:2] for r in incremental["quarantine"]]

    # row-local rules saw only the new and corrected files' rows
    rows = {
        kind: con.execute(
            f"select count(*) from staging.{kind} where source_file in (?, ?, ?)", [NEW_ROSTER, NEW_GRADES, CONS]
        ).fetchall()[0][0]
        for kind in ("pupils", "grades", "consultations")
    }
    # and of those only the rows SQL found some rule could fail: line 3 of the new grades file
    # (line 2 passes every rule; lines 4, an unknown subject warned once per school, and 5 fail
    # only cross-table ones)
    assert rows["grades"] == 4 and seen["grades", "local"] == 1
    assert seen["consultations", "local"] <= rows["consultations"]
    assert seen["pupils", "local"] == rows["pupils"]  # a pair-equality rule: not narrowed, every row
    assert ("plans", "local") not in seen and ("schools", "local") not in seen
    # cross-table rules look at every file's rows, but GX sees only the candidates among them
    assert 0 < seen["grades", "cross"] < con.execute("select count(*) from staging.grades").fetchall()[0][0]

    # a repeat run judges no row-local rule and changes nothing
    judged.clear()
    run_validate(con, settings, "r3", runner=runner)
    assert snapshot(con) == incremental
    assert sum(n for (_, part), n in judged.items() if part == "local") == 0
    con.close()
    fresh.close()


def test_rules_on_roster_plan_registry_and_volume_are_cross_table(runner):
    """The split follows CROSS_TABLE_COLUMNS: every rule reading a derived cross-table fact is cross."""
    parts = {
        (frame, e["meta"]["reason_code"]): part
        for (frame, part), expectations in runner._expectations.items()
        for e in expectations
    }
    for reason in ("unknown_school", "pupil_not_on_roster", "consultation_outside_plan"):
        assert {p for (f, r), p in parts.items() if r == reason} == {"cross"}
    assert parts["consultations", "duplicate_consultation_same_day"] == "cross"
    assert {p for (f, r), p in parts.items() if r == "date_in_future"} == {"cross"}  # depends on the day
    assert parts["monthly_volume", "monthly_volume_drop"] == "cross"
    assert parts["consultations", "minutes_out_of_range"] == "local"
    assert parts["grades", "unknown_subject"] == "cross"  # once per school and value: other files decide
    assert part_of("some_new_frame", {"kwargs": {"column": "x"}, "meta": {"value_column": "x"}}) == "cross"
    assert parts["attendance", "periods_overlap"] == parts["attendance", "too_many_lessons_per_day"] == "cross"
    assert parts["attendance", "implausible_absences"] == "local"
    assert set(CROSS_TABLE_COLUMNS) == {
        *("consultations", "grades", "plans", "pupils", "schools"),
        *("activities", "financial_support", "costs", "attendance"),
    }


def test_a_later_run_with_another_reference_date_equals_a_full_one(tmp_path, settings, runner, judged):
    earlier = replace(settings, validate=ValidateSettings(today=date(2024, 11, 4)))
    con = connect(tmp_path / "incremental.duckdb")
    ensure_schema(con)
    build_scenario(con)
    run_validate(con, settings, "r1", runner=runner)
    judged.clear()
    run_validate(con, earlier, "r2", runner=runner)
    assert sum(n for (_, part), n in judged.items() if part == "local") == 0  # nothing new to judge row by row
    incremental = snapshot(con)

    fresh = connect(tmp_path / "fresh.duckdb")
    ensure_schema(fresh)
    build_scenario(fresh)
    run_validate(fresh, earlier, "r1", runner=runner, incremental=False)
    assert incremental == snapshot(fresh)
    future = [r for r in incremental["quarantine"] if r[7] == "date_in_future"]
    assert len(future) > 3  # November and later are in the future now
    con.close()
    fresh.close()
