"""An unrecognised project is stored as `other`; the school is warned once per distinct value."""

from __future__ import annotations

from validate_fixtures import SCHOOL_A, SCHOOL_B, register_files, stage

from pipelines.validate.stage import run_validate


def test_one_warning_per_school_and_distinct_value_showing_the_hash(con, settings, runner) -> None:
    stage(con, "schools", "registry.csv", [{"school_id": SCHOOL_A}, {"school_id": SCHOOL_B}])
    stage(con, "pupils", "a.csv", [{}, {"school_id": SCHOOL_B}])
    other = {"project_code": "other"}
    stage(
        con,
        "plans",
        "plans_a.csv",
        [{**other, "project_text_hash": "aaaa1111"}, {**other, "project_text_hash": "bbbb2222"}, {}],
    )
    stage(con, "plans", "plans_b.csv", [{**other, "project_text_hash": "aaaa1111", "school_id": SCHOOL_B}])
    stage(
        con,
        "consultations",
        "k_a.csv",
        [{**other, "project_text_hash": "aaaa1111"}, {**other, "project_text_hash": "aaaa1111"}],
    )
    register_files(con)
    run_validate(con, settings, "run-1", runner=runner)
    flags = con.execute(
        "select school_id, kind, source_file, source_line, column_name, value, severity from validation.flags "
        "where reason_code = 'unknown_project' order by all"
    ).fetchall()
    assert flags == [
        (SCHOOL_A, "consultations", "k_a.csv", 2, "project_code", "aaaa1111", "warning"),
        (SCHOOL_A, "plans", "plans_a.csv", 3, "project_code", "bbbb2222", "warning"),
        (SCHOOL_B, "plans", "plans_b.csv", 2, "project_code", "aaaa1111", "warning"),
    ]
