"""The contract's normalisation decides which headers and values are recognised."""

from datetime import date

import pytest

from pipelines.contract import (
    HEADER_LOOKUP,
    MODE_LOOKUP,
    ROLE_LOOKUP,
    SUBJECT_LOOKUP,
    normalise_text,
    school_year_of,
    semester_of,
)


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Ilgums (min)", "minutes"),
        ("  ILGUMS  ", "minutes"),
        ("Macibu prieksmets", "subject"),
        ("Mācību priekšmets", "subject"),
        ("pupil_code", "pupil_code"),
        ("Personas kods", "pupil_code"),
        ("Iestades kods", "school_id"),
        ("Vērtējuma veids", "assessment_type"),
    ],
)
def test_headers_match_with_or_without_diacritics_units_and_case(header, column):
    assert HEADER_LOOKUP[normalise_text(header)] == column


def test_dictionaries_map_free_text_to_codes():
    assert SUBJECT_LOOKUP[normalise_text("MATEMĀTIKA")] == "mathematics"
    assert SUBJECT_LOOKUP[normalise_text("kimija")] == "chemistry"
    assert ROLE_LOOKUP[normalise_text("Pedagoga palīgs")] == "teaching_assistant"
    assert MODE_LOOKUP[normalise_text("attālināti")] == "remote"
    assert MODE_LOOKUP[normalise_text("Klātienē")] == "in_person"
    assert normalise_text("Robotika") not in SUBJECT_LOOKUP


@pytest.mark.parametrize(
    ("day", "year", "semester"),
    [
        (date(2024, 9, 1), "2024/2025", 1),
        (date(2024, 12, 31), "2024/2025", 1),
        (date(2025, 1, 2), "2024/2025", 2),
        (date(2025, 8, 31), "2024/2025", 2),
        (date(2025, 9, 1), "2025/2026", 1),
    ],
)
def test_school_year_runs_september_to_august(day, year, semester):
    assert school_year_of(day) == year
    assert semester_of(day) == semester


def test_sql_macros_are_the_same_rule(tmp_path):
    """Every warehouse connection has school_year_of / semester_of / school_year_of_month (contract.sql)."""
    from datetime import timedelta

    from pipelines.warehouse import connect

    con = connect(tmp_path / "w.duckdb")
    days = [date(2023, 8, 1) + timedelta(days=d) for d in range(0, 800, 5)]
    got = con.execute(
        "select d, school_year_of(d), semester_of(d), school_year_of_month(strftime(d, '%Y-%m')) "
        "from unnest(?::date[]) t(d) order by d",
        [days],
    ).fetchall()
    assert got == [(d, school_year_of(d), semester_of(d), school_year_of(d)) for d in days]
    assert con.execute("select school_year_of_month(null), school_year_of_month('nav')").fetchall() == [(None, None)]
    con.close()
    read_only = connect(tmp_path / "w.duckdb", read_only=True)  # report connections are read-only
    assert read_only.execute("select school_year_of(date '2025-09-01')").fetchall() == [("2025/2026",)]
    read_only.close()


def test_the_school_year_rule_is_written_once():
    """No stage derives the school year from a month number itself (the sample generator, which
    plays the schools, keeps its own)."""
    import re
    from pathlib import Path

    package = Path(__file__).parents[1] / "pipelines"
    rule = re.compile(r">=\s*9\b")
    copies = sorted(
        path.relative_to(package).as_posix()
        for path in [*package.rglob("*.py"), *package.rglob("*.sql")]
        if "sample" not in path.relative_to(package).parts
        and "_data" not in path.relative_to(package).parts
        and rule.search(path.read_text(encoding="utf-8"))
    )
    assert copies == ["contract.py", "contract.sql"]
