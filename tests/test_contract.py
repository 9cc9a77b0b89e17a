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
