"""Validation of activities, financial support and costs: amounts ≥ 0 and plausible, dates inside
the project's period, participants on the roster, vocabularies, and unknown projects and
municipalities flagged."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml
from validate_fixtures import NOT_IN_REGISTRY, REFERENCE_DATE, register_files, stage

from pipelines.config import Settings, ValidateSettings, load_settings
from pipelines.validate.stage import run_validate
from pipelines.warehouse import connect, ensure_schema

CASES = [
    # (kind, file, line, expected (severity, reason) or None)
    ("activities", "a.csv", 2, None),
    ("activities", "a.csv", 3, ("error", "activity_type_not_allowed")),
    ("activities", "a.csv", 4, ("error", "minutes_out_of_range")),
    ("activities", "a.csv", 5, ("error", "date_outside_project")),
    ("activities", "a.csv", 6, ("warning", "pupil_not_on_roster")),
    ("activities", "a.csv", 7, None),  # a head count: nobody to find on a roster
    ("activities", "a.csv", 8, ("error", "participants_invalid")),
    ("activities", "a.csv", 9, ("error", "unknown_school")),
    ("financial_support", "f.csv", 2, None),
    ("financial_support", "f.csv", 3, ("error", "amount_out_of_range")),  # negative
    ("financial_support", "f.csv", 4, ("error", "amount_out_of_range")),  # implausible
    ("financial_support", "f.csv", 5, ("error", "support_type_not_allowed")),
    ("financial_support", "f.csv", 6, ("error", "date_in_future")),
    ("financial_support", "f.csv", 7, ("warning", "pupil_not_on_roster")),
    ("costs", "c.csv", 2, None),
    ("costs", "c.csv", 3, ("error", "amount_out_of_range")),
    ("costs", "c.csv", 4, ("error", "date_outside_project")),  # before Skola – kopienā began
    ("costs", "c.csv", 5, ("error", "cost_category_not_allowed")),
    ("costs", "c.csv", 6, ("warning", "unknown_municipality")),
    ("costs", "c.csv", 7, None),  # same municipality, other spelling
    ("costs", "c.csv", 8, ("error", "month_in_future")),
]


@pytest.fixture(scope="module")
def outcome(tmp_path_factory, runner):
    tmp = tmp_path_factory.mktemp("programme")
    con = connect(tmp / "w.duckdb")
    ensure_schema(con)
    stage(con, "schools", "s.csv", [{"municipality": "Rēzeknes novads"}])
    stage(con, "pupils", "p.csv", [{}])
    stage(con, "activities", "a.csv", [
        {},
        {"activity_type": None, "activity_type_raw": "Kosmosa ceļojums"},
        {"minutes": 600.0},
        {"date": date(2015, 11, 5), "school_year": "2015/2016"},
        {"pupil_id": "stranger"},
        {"pupil_id": None, "participants": 12},
        {"pupil_id": None, "participants": 0},
        {"school_id": NOT_IN_REGISTRY},
    ])  # fmt: skip
    stage(con, "financial_support", "f.csv", [
        {},
        {"amount_eur": -5.0},
        {"amount_eur": 15000.0},
        {"support_type": None, "support_type_raw": "Kabatas nauda"},
        {"date": date(2025, 6, 1), "school_year": "2024/2025", "semester": 2},
        {"pupil_id": "stranger"},
    ])  # fmt: skip
    stage(con, "costs", "c.csv", [
        {"municipality": "Rēzeknes novads"},
        {"amount_eur": 5_000_000.0},
        {"project_code": "4.2.3.1/1/24/I/001", "month": date(2023, 11, 1)},
        {"cost_category": None, "cost_category_raw": "Kafija"},
        {"municipality": "Atlantīda"},
        {"municipality": "REZEKNES NOVADS"},
        {"month": date(2025, 4, 1), "municipality": "Rēzeknes novads"},
    ])  # fmt: skip
    register_files(con)
    settings = replace(Settings(out_dir=tmp / "out"), validate=ValidateSettings(today=REFERENCE_DATE))
    run_validate(con, settings, "run-1", runner=runner)
    hits = con.execute(
        "select kind, source_file, source_line, 'error', reason_code from quarantine.rows where stage = 'validate' "
        "union all select kind, source_file, source_line, severity, reason_code from validation.flags"
    ).fetchall()
    yield {(k, f, line): (sev, reason) for k, f, line, sev, reason in hits}, con
    con.close()


@pytest.mark.parametrize(("kind", "file", "line", "expected"), CASES)
def test_each_rule_sends_the_row_where_its_severity_says(outcome, kind, file, line, expected):
    hits, _ = outcome
    assert hits.get((kind, file, line)) == expected


def test_file_counts_add_up_for_the_new_kinds(outcome):
    _, con = outcome
    rows = dict(
        con.execute(
            "select file_path, (rows_loaded, rows_quarantined) from meta.files where file_path in ('a.csv', 'c.csv')"
        ).fetchall()
    )
    assert rows == {"a.csv": (3, 5), "c.csv": (3, 4)}


def test_a_date_outside_the_configured_project_period_is_quarantined(outcome, runner, tmp_path):
    """The periods come from params.yaml (validate.project_periods), not from code: ending 8.3.2.2 in
    2020 and PuMPuRS in 2022 (their published terms) quarantines the rows dated 2024 under them."""
    _, con = outcome
    published = load_settings(write_params(tmp_path, PUBLISHED_TERMS)).validate.project_periods
    settings = replace(
        Settings(out_dir=tmp_path / "out"), validate=ValidateSettings(today=REFERENCE_DATE, project_periods=published)
    )
    try:
        run_validate(con, settings, "run-2", runner=runner)
        outside = con.execute(
            """select kind, source_file, source_line from quarantine.rows
               where stage = 'validate' and reason_code = 'date_outside_project' order by all"""
        ).fetchall()
    finally:  # the module's other tests read the default outcome
        default = replace(Settings(out_dir=tmp_path / "out"), validate=ValidateSettings(today=REFERENCE_DATE))
        run_validate(con, default, "run-3", runner=runner)
    assert ("activities", "a.csv", 2) in outside  # 8.3.2.2, 5 Nov 2024: fine with the default period
    assert ("financial_support", "f.csv", 2) in outside  # PuMPuRS, 5 Nov 2024
    assert ("costs", "c.csv", 2) in outside  # PuMPuRS, November 2024
    assert ("costs", "c.csv", 7) in outside


PUBLISHED_TERMS = """validate:
  project_periods:
    "8.3.4.0/16/I/001": [2017-03-01, 2022-12-31]
    "8.3.2.2/16/I/001": [2017-01-01, 2020-12-31]
"""


def write_params(tmp_path, text: str):
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('validate:\n  project_periods:\n    "9.9.9/1/I/001": [2017-01-01, 2020-12-31]\n', "unknown project"),
        ('validate:\n  project_periods:\n    "8.3.4.0/16/I/001": [2022-12-31, 2017-01-01]\n', "ends before"),
        ('validate:\n  project_periods:\n    "8.3.4.0/16/I/001": 2022-12-31\n', "first day, last day"),
    ],
)
def test_a_project_period_setting_that_cannot_be_right_is_refused(tmp_path, text, problem):
    with pytest.raises(ValueError, match=problem):
        load_settings(write_params(tmp_path, text))


def test_params_yaml_sets_every_project_period():
    """params.yaml names every project's period (none is left to a default hidden in code)."""
    from pipelines.contract import PROJECTS

    raw = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))
    assert set(raw["validate"]["project_periods"]) == set(PROJECTS)
