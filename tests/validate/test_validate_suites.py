"""The suite files are the rule book: readable, complete, documented, and GX accepts them."""

from __future__ import annotations

import json
import re
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


# --- narrowing: SQL picks the rows GX must see ----------------------------------------------------


def edge_frame(runner: SuiteRunner, frame: str, parameters: dict, rows: int = 3_000) -> pd.DataFrame:
    """Random rows built from every value the frame's rules turn on: set members and a stranger,
    each bound, one past it and on it, nulls, both booleans."""
    import random

    pools: dict[str, set] = {}
    for part in runner.parts(frame):
        for e in runner._expectations[frame, part]:
            kwargs = e["kwargs"]
            for name in (kwargs.get(k) for k in ("column", "column_A", "column_B") if k in kwargs):
                pool = pools.setdefault(name, {None})
                if "value_set" in kwargs:
                    values = kwargs["value_set"]
                    pool.update(values)
                    pool.add(not values[0] if isinstance(values[0], bool) else "zzz")
                for bound in ("min_value", "max_value"):
                    value = kwargs.get(bound)
                    value = parameters[value["$PARAMETER"]] if isinstance(value, dict) else value
                    if value is not None:
                        pool.update({value - 1, value, value + 1})
                if "regex" in kwargs:
                    pool.update({"2024/2025", "2024-25"})
            condition = str(kwargs.get("row_condition", ""))
            for name, number in re.findall(r"(\w+)\s*[<>=!]=?\s*(\d+)", condition):
                pools.setdefault(name, {None}).update({int(number) - 1, int(number), int(number) + 1})
            if ".notna()" in condition:
                pools.setdefault(condition.split(".")[0], {None}).add("Xyz")
            pools.setdefault(e["meta"]["value_column"], {None, "shown"})
    rng = random.Random(5)
    typed = {c: sorted((v for v in pool if v is not None), key=repr) for c, pool in pools.items()}
    data = {c: [rng.choice([None, *values]) for _ in range(rows)] for c, values in typed.items()}
    chunk = pd.DataFrame(data)
    for c, values in typed.items():  # numbers as numbers, so GX compares them as numbers
        if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            chunk[c] = pd.to_numeric(chunk[c])
    chunk.index = range(1, rows + 1)
    return chunk


@pytest.mark.parametrize("frame", ["consultations", "grades", "plans", "pupils", "schools", "monthly_volume"])
def test_sql_candidates_contain_every_row_gx_finds_unexpected(frame):
    """The narrowing is safe only if no row GX would flag is left out; it is useful only if it
    leaves out the rows that pass. Checked rule by rule on rows built from every edge value."""
    import duckdb

    runner = SuiteRunner(load_suites())
    parameters = suite_parameters(ValidateSettings(today=date(2025, 3, 15)))
    chunk = edge_frame(runner, frame, parameters)
    con = duckdb.connect()
    con.register("edge", chunk.reset_index(names="rid"))
    narrowed = 0
    for part in runner.parts(frame):
        hits = set(runner.run(frame, chunk, parameters, part)["rid"])
        candidates_sql = runner.candidates_sql(frame, part, parameters)
        if candidates_sql is None:
            continue
        narrowed += 1
        candidates = {r for (r,) in con.execute(f"select rid from edge where {candidates_sql}").fetchall()}
        assert hits <= candidates, f"{frame}/{part}: GX flags rows SQL left out: {sorted(hits - candidates)[:5]}"
        assert hits and len(candidates) < len(chunk)
    assert narrowed or frame in ("pupils", "schools")  # regex and column-pair rules are not narrowed


def test_a_shown_value_holding_a_personal_code_is_masked():
    """A free-text cell (`klātienē 160411-28446`) is shown back to the school as its value; the code in it
    must not reach validation.flags, quarantine.rows or the feedback file."""
    from pipelines.validate.suites import MASK, hits_from

    chunk = pd.DataFrame({"mode": ["klātienē 160411-28446", "klātienē 32123456789", "attālināti", "Matemātika"]})
    meta = {
        "column_name": "mode",
        "value_column": "mode",
        "severity": "error",
        "reason_code": "mode_not_allowed",
        "message_lv": "x",
        "message_en": "x",
    }
    hits = hits_from("consultations", chunk, [0, 1, 2, 3], meta, {})
    assert hits["value"].tolist() == [MASK, MASK, "attālināti", "Matemātika"]
