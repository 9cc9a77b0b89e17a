"""The suite files are the rule book: readable, complete, documented, and GX accepts them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pipelines.config import ValidateSettings
from pipelines.validate.stage import FRAMES, suite_parameters
from pipelines.validate.suites import SUITES_DIR, Suite, SuiteRunner, load_suites, values_text

DOCS = Path(__file__).resolve().parents[2] / "docs" / "validation-rules.md"


def test_suite_files_are_pretty_printed_with_sorted_keys():
    for path in sorted(SUITES_DIR.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        canonical = json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        assert text == canonical, f"{path.name}: re-save with indent=2, sort_keys=True"


def test_every_rule_has_meta_and_messages_that_format():
    suites = load_suites()
    names = {s.name for s in suites}
    assert {"grades.critical", "consultations.warning", "cross_table.warning"} <= names
    assert {s.frame for s in suites} <= set(FRAMES)
    parameters = suite_parameters(ValidateSettings(today=date(2025, 3, 15)))
    for suite in suites:
        for rule in suite.rules:
            assert rule["severity"] == suite.severity
            assert "{" not in rule["message_lv"].format_map(parameters)
            assert "{" not in rule["message_en"].format_map(parameters)


def test_required_reason_codes_exist_with_the_right_severity():
    severity = {r["reason_code"]: r["severity"] for s in load_suites() for r in s.rules}
    errors = {
        "grade_not_allowed_for_level",
        "minutes_out_of_range",
        "group_size_invalid",
        "date_outside_school_year",
        "date_in_future",
        "mode_not_allowed",
        "unknown_school",
    }
    warnings = {
        "pupil_not_on_roster",
        "consultation_outside_plan",
        "duplicate_consultation_same_day",
        "monthly_volume_drop",
        "unknown_subject",
    }
    assert {c: severity.get(c) for c in errors} == dict.fromkeys(errors, "error")
    assert {c: severity.get(c) for c in warnings} == dict.fromkeys(warnings, "warning")


def test_every_reason_code_is_documented():
    docs = DOCS.read_text(encoding="utf-8")
    codes = {r["reason_code"] for s in load_suites() for r in s.rules}
    assert {c for c in codes if f"`{c}`" not in docs} == set()


def test_a_rule_without_its_meta_is_refused(tmp_path):
    suite = {
        "name": "grades.critical",
        "meta": {"frame": "grades"},
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"}, "meta": {"severity": "error"}}
        ],
    }
    (tmp_path / "grades.critical.json").write_text(json.dumps(suite), encoding="utf-8")
    with pytest.raises(ValueError, match="lacks"):
        load_suites(tmp_path)


@pytest.mark.parametrize(
    ("values", "text"),
    [
        (pd.Series([241.0, 45.5, None]), ["241", "45.5", None]),
        (pd.Series(pd.to_datetime(["2024-11-05", None])), ["2024-11-05", None]),
        (pd.Series([1, None], dtype="Int32"), ["1", None]),
        (pd.Series(["pa telefonu", None], dtype="str"), ["pa telefonu", None]),
    ],
)
def test_values_are_shown_as_the_school_wrote_them(values, text):
    assert values_text(values) == text


def test_each_suite_file_loads_into_gx_as_it_is(runner):
    import great_expectations as gx

    for path in sorted(SUITES_DIR.glob("*.json")):
        suite = gx.ExpectationSuite(**json.loads(path.read_text(encoding="utf-8")))
        assert suite.name == path.stem
        assert all(e.meta["reason_code"] for e in suite.expectations)


def test_a_rule_that_cannot_run_stops_the_stage_instead_of_passing(runner):
    meta = {
        "reason_code": "x",
        "severity": "error",
        "column_name": "x",
        "value_column": "x",
        "message_lv": "LV",
        "message_en": "EN",
    }
    broken = Suite(
        name="grades.critical",
        frame="grades",
        severity="error",
        definition={
            "name": "grades.critical",
            "expectations": [
                {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "no_such_column"}, "meta": meta}
            ],
        },
    )
    chunk = pd.DataFrame({c: ["a"] for c in ("kind", "source_file", "row_key", "school_id", "month", "x")})
    chunk["source_line"] = [2]
    with pytest.raises(RuntimeError, match="Frame grades, rule x"):
        SuiteRunner([broken]).run("grades", chunk, {})
