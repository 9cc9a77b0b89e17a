"""Parsers of single values: grade notations, classes, school years, genders, dictionaries, pseudonyms."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest

from pipelines.contract import SUBJECTS, normalise_text, school_year_of, semester_of, subject_key
from pipelines.ingest import normalise, values
from pipelines.ingest.values import (
    SUBJECT_LOOKUP,
    Grade,
    PupilIds,
    lookup_code,
    parse_class,
    parse_gender,
    parse_grade,
    parse_school_year,
    pupil_pseudonym,
    staff_pseudonym,
    subject_row_key,
)
from pipelines.personal_code import make_new_code, make_old_code
from pipelines.pseudonym import pseudonym

KEY = b"test-key-32-characters-or-longer!"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8", Grade("score", score=8)),
        (" 10 ", Grade("score", score=10)),
        ("11", Grade("score", score=11)),  # typed; the 1–10 range is validation's job
        ("7,0", Grade("score", score=7)),
        ("S", Grade("level", level="S")),
        ("t", Grade("level", level="T")),
        ("A", Grade("level", level="A")),
        ("P", Grade("level", level="P")),
        ("nv", Grade("no_grade")),
        ("NV", Grade("no_grade")),
        ("i", Grade("pass_fail", passed=True)),
        ("ni", Grade("pass_fail", passed=False)),
        ("ieskaitīts", Grade("pass_fail", passed=True)),
        ("85%", Grade("percent", percent=85.0)),
        ("72,5 %", Grade("percent", percent=72.5)),
        ("abc", Grade(error="unknown_grade_notation")),
        ("8+", Grade(error="unknown_grade_notation")),
    ],
)
def test_parse_grade(raw: str, expected: Grade) -> None:
    assert parse_grade(raw) == expected


def test_grade_key_is_the_same_for_spellings_of_one_mark() -> None:
    assert parse_grade("8").key == parse_grade("8,0").key == "score:8"
    assert parse_grade("ni").key == "pass_fail:False"
    assert parse_grade("nv").key == "no_grade:"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7.b", (7, "b", None)),
        ("12.a", (12, "a", None)),
        ("7b", (7, "b", None)),
        ("7. B", (7, "b", None)),
        ("1", (1, None, None)),
        ("2.b", (2, "b", None)),
        ("b7", (None, None, None)),
        ("kurss", (None, None, None)),
    ],
)
def test_parse_class(raw: str, expected: tuple) -> None:
    assert parse_class(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2. kurss", (None, None, 2)),
        ("2.kurss", (None, None, 2)),
        ("2. kursa", (None, None, 2)),
        ("1. KURSS", (None, None, 1)),
        ("K2", (None, None, 2)),
        ("k4", (None, None, 4)),
        ("K-3", (None, None, 3)),
        ("2.k", (None, None, 2)),
        ("2 k.", (None, None, 2)),
        ("3.K", (None, None, 3)),
        ("2. kurss B", (None, "b", 2)),
        ("K2b", (None, "b", 2)),
    ],
)
def test_parse_class_reads_vocational_course_years_apart_from_grades(raw: str, expected: tuple) -> None:
    assert parse_class(raw) == expected


@pytest.mark.parametrize("raw", ["2024/2025", "2024./2025.", "2024-2025", "2024 / 25"])
def test_parse_school_year(raw: str) -> None:
    assert parse_school_year(raw) == "2024/2025"


def test_parse_school_year_rejects_text() -> None:
    assert parse_school_year("šogad") is None


@pytest.mark.parametrize(
    ("raw", "expected"), [("M", "M"), ("v", "M"), ("Vīrietis", "M"), ("S", "F"), ("female", "F"), ("X", None)]
)
def test_parse_gender(raw: str, expected: str | None) -> None:
    assert parse_gender(raw) == expected


def test_lookup_code_any_case_and_diacritics() -> None:
    assert lookup_code(SUBJECT_LOOKUP, "MATEMĀTIKA") == ("mathematics", "mathematics")
    assert lookup_code(SUBJECT_LOOKUP, "matematika")[0] == "mathematics"
    assert lookup_code(SUBJECT_LOOKUP, "Ķīnas valoda") == (None, "~kinas valoda")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("Sports un veselība", "sport_health"),
        ("SPORTS UN VESELIBA", "sport_health"),
        ("Dizains un tehnoloģijas", "design_technology"),
        ("Vizuālā māksla", "visual_art"),
        ("Mūzika", "music"),
        ("Sociālās zinības un vēsture", "social_studies"),
        ("Latvijas un pasaules vēsture II", "history"),
        ("Inženierzinības", "engineering"),
        ("Programmēšana II", "programming"),
        ("Teātra māksla", "theatre_art"),
        ("Kultūras pamati", "culture_fundamentals"),
        ("Vācu valoda", "german"),
        ("Franču val.", "french"),
        ("Mazākumtautības valoda (poļu)", "minority_language"),
        ("Ekonomika", "economics"),
        ("Psiholoģija", "psychology"),
        ("Matemātika I", "mathematics"),
        ("Fizika padziļinātais kurss", "physics"),
    ],
)
def test_standard_subjects_and_their_spellings_have_codes(raw: str, code: str) -> None:
    assert subject_key(raw) == code


def test_an_unknown_subject_is_kept_under_its_normalised_text() -> None:
    assert subject_key("Robotikas  pulciņš") == "~robotikas pulcins"
    assert subject_key("   ") is None
    # its row_key part is what it was before the vocabulary grew, and so is a newly known one's
    assert subject_row_key("Robotika") == "~robotika"
    assert subject_row_key("Sports un veselība") == "~sports un veseliba"
    assert subject_row_key("Programmēšana") == "computing"


def test_every_subject_spelling_names_one_subject() -> None:
    seen: dict[str, str] = {}
    for code, (lv, en, more) in SUBJECTS.items():
        for spelling in (code, lv, en, *more):
            assert seen.setdefault(normalise_text(spelling), code) == code, spelling


def test_pupil_pseudonym_both_formats_and_reasons() -> None:
    old, new = make_old_code(15, 3, 2012, 123), make_new_code(4567)
    assert pupil_pseudonym(KEY, old) == (pseudonym(KEY, old.replace("-", ""), "pupil"), None)
    assert pupil_pseudonym(KEY, old.replace("-", ""))[0] == pupil_pseudonym(KEY, old)[0]
    assert pupil_pseudonym(KEY, new)[0] == pseudonym(KEY, new.replace("-", ""), "pupil")
    bad_check = old[:-1] + str((int(old[-1]) + 1) % 10)
    assert pupil_pseudonym(KEY, bad_check) == (None, "invalid_personal_code_checksum")
    assert pupil_pseudonym(KEY, "123") == (None, "invalid_personal_code_format")
    assert pupil_pseudonym(KEY, None) == (None, "missing_required")


def test_pupil_ids_answer_as_pupil_pseudonym_and_check_each_code_once_per_run(monkeypatch) -> None:
    old, new = make_old_code(15, 3, 2012, 123), make_new_code(4567)
    bad = old[:-1] + str((int(old[-1]) + 1) % 10)
    expected = [pupil_pseudonym(KEY, c) for c in (old, new, bad, None, "123")]
    checked: list[str | None] = []
    real = values.compact_personal_code
    monkeypatch.setattr(values, "compact_personal_code", lambda raw: checked.append(raw) or real(raw))
    ids = PupilIds(KEY)
    first = [ids(code) for code in (old, new, bad, None, "123")]
    again = [ids(code) for code in (old, new, bad, "123")]  # the next batch of the same run

    assert first == expected
    assert again == expected[:3] + expected[4:]
    assert checked.count(old) == checked.count(new) == checked.count(bad) == checked.count("123") == 1


def test_staff_pseudonym_ignores_case_and_diacritics() -> None:
    a = staff_pseudonym(KEY, "2712900123", "Anna Bērziņa")
    assert (
        a == staff_pseudonym(KEY, "2712900123", " anna berzina ") == pseudonym(KEY, "2712900123:anna berzina", "staff")
    )
    assert a != staff_pseudonym(KEY, "2712900124", "Anna Bērziņa")
    assert staff_pseudonym(KEY, "2712900123", None) is None


def test_sql_macros_agree_with_contract() -> None:
    con = duckdb.connect()
    normalise.install_macros(con)
    days = [date(2023, 8, 1) + timedelta(days=d) for d in range(0, 800, 7)]
    got = con.execute(
        "select d, ingest_school_year(d), ingest_semester(d) from unnest(?::date[]) t(d) order by d", [days]
    ).fetchall()
    assert got == [(d, school_year_of(d), semester_of(d)) for d in days]
    parsed = con.execute(
        "select ingest_date('15.01.2024'), ingest_date('2024-01-15'), ingest_date('5.1.2024.'), "
        "ingest_date('2024-01-15 00:00:00'), ingest_date('15.01.24'), ingest_date('31.02.2024'), "
        "ingest_number('40,5'), ingest_number('inf'), ingest_integer('3,0'), ingest_integer('3,5')"
    ).fetchall()[0]
    assert parsed == (
        date(2024, 1, 15),
        date(2024, 1, 15),
        date(2024, 1, 5),
        date(2024, 1, 15),
        None,
        None,
        40.5,
        None,
        3,
        None,
    )
