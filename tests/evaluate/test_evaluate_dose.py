"""Dose–response: the form of support (consultations only, or with activities) as a descriptive contrast."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from evaluate_fixtures import simulation_connection

from pipelines.config import Settings
from pipelines.evaluate.dose import SUPPORT_FORMS, dose_response, with_support_form
from pipelines.evaluate.matching import match_within_strata, matched_rows
from pipelines.evaluate.stage import analysis_rows, load_analysis


def test_support_form_counts_an_activity_in_the_start_semester_only() -> None:
    sample = pl.DataFrame(
        {
            "key": ["a|m|3", "b|m|3", "c|m|3"],
            "pupil_id": ["a", "b", "c"],
            "school_year": ["2025/2026"] * 3,
            "semester": [1, 1, 1],
        }
    )
    activities = pl.DataFrame(
        {"pupil_id": ["a", "b", "b"], "date": [date(2025, 11, 3), date(2025, 6, 1), date(2026, 1, 12)]}
    )
    forms = dict(with_support_form(sample, activities).select("pupil_id", "support_form").iter_rows())
    # b's activities fall in the semesters before and after the start semester
    assert forms == {"a": SUPPORT_FORMS[1], "b": SUPPORT_FORMS[0], "c": SUPPORT_FORMS[0]}


@pytest.fixture(scope="module")
def matched():
    con = simulation_connection(schools=9, seed=42, effect=0.6)
    settings = Settings()
    _, episodes, candidates, outcomes = load_analysis(con, settings)
    con.close()
    cfg = settings.evaluate
    sample = analysis_rows(episodes, candidates, outcomes, cfg)
    return sample, match_within_strata(sample, caliper_sd=cfg.caliper_sd, n_matches=cfg.n_matches), cfg


def test_dose_response_contrasts_consultations_with_and_without_activities(matched) -> None:
    sample, pairs, cfg = matched
    treated = sample.filter(pl.col("treated")).select("pupil_id", "start_date").unique("pupil_id").sort("pupil_id")
    # every other supported pupil also took part in an activity on the day support began
    activities = treated.gather_every(2).rename({"start_date": "date"})
    dose = dose_response(
        sample, pairs, bands=cfg.hours_bands, min_supported=cfg.min_supported_for_estimate, activities=activities
    )
    form = dose.filter(pl.col("dimension") == "support_form").sort("level_order")
    assert form["level"].to_list() == list(SUPPORT_FORMS)
    assert form["level_order"].to_list() == [0, 1]
    # each matched supported row counts in the level of its pupil's start semester
    rows = matched_rows(with_support_form(sample, activities), pairs).filter(pl.col("treated"))
    expected = rows.group_by("support_form").agg(pl.col("pupil_id").n_unique()).sort("support_form")
    assert dict(zip(form["level"], form["n_pupils"], strict=True)) == dict(expected.iter_rows())
    assert form["effect"].is_not_null().all()
    # no activity data: no such dimension (it would only repeat the total)
    plain = dose_response(sample, pairs, bands=cfg.hours_bands, min_supported=cfg.min_supported_for_estimate)
    assert "support_form" not in plain["dimension"].to_list()
