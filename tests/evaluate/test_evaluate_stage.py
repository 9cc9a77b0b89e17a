"""The whole stage on the seeded sample world: the planted effect is recovered, the naive change is not.

The sample world (pipelines.sample) selects pupils into support when last semester's marks were low,
so their marks would rise anyway (regression to the mean); the naive pre/post change is inflated.
"""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest
from evaluate_fixtures import simulation_connection

from pipelines.config import EvaluateSettings, Settings
from pipelines.evaluate.estimate import wwc_equivalence
from pipelines.evaluate.stage import CELL_KEYS, effectiveness_table, load_inputs, run_evaluate
from pipelines.sample.core import core_connection
from pipelines.transform.stage import update_marks_by_school

EXPORT_COLUMNS = [
    "project_code", "municipality", "subject", "school_year", "n_pupils", "n_comparison", "naive_change",
    "effect", "ci_low", "ci_high", "hedges_g", "baseline_std_diff", "wwc_equivalence", "improvement_index",
    "n_supported_total",
    "interval_method", "placebo_effect", "placebo_ci_low", "placebo_ci_high", "robustness_value", "design_warning",
    "mdes", "prob_positive", "prob_above_threshold", "effect_pooled", "ci_low_pooled", "ci_high_pooled", "suppressed",
]  # fmt: skip


@pytest.fixture(scope="module")
def planted():
    con = simulation_connection(schools=9, seed=42, effect=0.6)
    result = run_evaluate(con, Settings())
    yield con, result
    con.close()


def grand_total(con) -> dict:
    table = effectiveness_table(con)
    total = table[(table[list(CELL_KEYS)] == "ALL").all(axis=1)]
    assert len(total) == 1
    return total.iloc[0].to_dict()


def test_headline_interval_covers_the_planted_effect_and_the_naive_change_is_inflated(planted):
    con, result = planted
    total = grand_total(con)

    assert total["ci_low"] <= 0.6 <= total["ci_high"]
    assert total["naive_change"] > total["effect"] + 0.3
    assert total["naive_change"] > total["ci_high"]
    assert abs(total["baseline_std_diff"]) <= 0.25
    assert total["n_pupils"] >= 100 and not total["suppressed"]
    assert result.headline_effect == pytest.approx(total["effect"])


def test_no_effect_planted_gives_an_interval_covering_zero():
    con = simulation_connection(schools=9, seed=42, effect=0.0)
    run_evaluate(con, Settings())
    total = grand_total(con)

    assert total["ci_low"] <= 0.0 <= total["ci_high"]
    assert total["naive_change"] > 0.3  # regression to the mean alone


def test_effectiveness_has_exactly_the_export_columns_and_consistent_suppression(planted):
    con, _ = planted
    table = effectiveness_table(con)

    assert list(table.columns) == EXPORT_COLUMNS
    small = table[table["n_pupils"] < 10]
    assert len(small) > 0 and small["suppressed"].all() and small["effect"].isna().all()
    assert small["naive_change"].isna().all()
    assert table.loc[table["n_pupils"] >= 10, "suppressed"].eq(False).all()
    # every key column has its ALL total, and the order is stable (ALL after the named values)
    for key in CELL_KEYS:
        assert (table[key] == "ALL").any()
    assert table.iloc[-1][list(CELL_KEYS)].tolist() == ["ALL"] * 4
    # the WWC verdict is stored beside the difference it judges, so the report never re-applies the rule
    verdicts = [wwc_equivalence(None if pd.isna(d) else float(d)) for d in table["baseline_std_diff"]]
    stored = [None if pd.isna(v) else v for v in table["wwc_equivalence"]]
    assert stored == verdicts and "satisfied" in verdicts


def test_marts_hold_no_personal_data_and_the_side_tables_are_filled(planted):
    con, _ = planted
    tables = [
        r[0]
        for r in con.execute("select table_name from information_schema.tables where table_schema = 'marts'").fetchall()
    ]
    assert set(tables) >= {
        "episodes", "evaluation_sample", "effectiveness", "effectiveness_detail", "dose_response", "staying",
        "event_study", "effectiveness_subgroups",
    }  # fmt: skip
    for table in tables:
        columns = {r[0] for r in con.execute(f"describe marts.{table}").fetchall()}
        assert not columns & {"pupil_code", "first_name", "last_name", "staff_name"}, table
    dose = con.sql("select dimension, level from marts.dose_response").pl()
    assert set(dose["dimension"]) == {"hours_band", "main_mode", "main_role"}
    staying = con.sql("select * from marts.staying where school_year = 'ALL'").pl()
    assert staying.height == 1 and 0.5 < staying["share_stayed_supported"][0] <= 1.0
    event = {row["period"]: row for row in con.sql("select * from marts.event_study").pl().iter_rows(named=True)}
    assert list(event) == ["s-2", "s-1", "s_before", "s_after", "s+1"]
    assert [p for p, row in event.items() if row["matched_on"]] == ["s-1"]
    # before the start (s−2, and the start term before support) the groups track each other within
    # the 95 % band; from the start of support the supported are ahead
    for period in ("s-2", "s_before"):
        assert event[period]["ci_low"] <= 0 <= event[period]["ci_high"], period
    assert event["s_after"]["ci_low"] > 0.3
    assert event["s-2"]["n_supported"] < event["s-1"]["n_supported"]  # s−2 exists only after the first wave


def test_empty_warehouse_writes_empty_marts_with_the_export_columns():
    empty = {
        "schools": pl.DataFrame(schema={"school_id": pl.String, "school_name": pl.String, "municipality": pl.String}),
        "pupils": pl.DataFrame(
            schema={
                "source_file": pl.String, "source_line": pl.Int32, "pupil_id": pl.String, "school_id": pl.String,
                "school_year": pl.String, "class_raw": pl.String, "grade_level": pl.Int32, "gender": pl.String,
                "left_on": pl.Date, "leaving_reason": pl.String,
            }
        ),
        "plans": pl.DataFrame(
            schema={"pupil_id": pl.String, "school_id": pl.String, "plan_start": pl.Date, "plan_end": pl.Date,
                    "project_code": pl.String, "risk_factors": pl.String}
        ),
        "consultations": pl.DataFrame(
            schema={
                "date": pl.Date, "school_year": pl.String, "semester": pl.Int32, "pupil_id": pl.String,
                "school_id": pl.String, "municipality": pl.String, "staff_id": pl.String, "staff_role": pl.String,
                "subject": pl.String, "minutes": pl.Float64, "mode": pl.String, "group_size": pl.Int32,
                "project_code": pl.String,
            }
        ),
        "grades": pl.DataFrame(
            schema={
                "date": pl.Date, "school_year": pl.String, "semester": pl.Int32, "pupil_id": pl.String,
                "school_id": pl.String, "municipality": pl.String, "subject": pl.String, "grade_kind": pl.String,
                "grade_score": pl.Int32, "grade_percent": pl.Float64, "assessment_type": pl.String,
            }
        ),
    }  # fmt: skip
    con = core_connection(empty)
    result = run_evaluate(con, Settings(evaluate=EvaluateSettings()))

    assert list(effectiveness_table(con).columns) == EXPORT_COLUMNS
    assert result.headline_effect is None
    assert con.execute("select count(*) from marts.early_warning").fetchall() == [(0,)]


def test_a_subject_no_dictionary_knows_is_evaluated_in_cells_labelled_other():
    """Issue 17: support and marks in an unknown subject (kept as `~text`) still reach the evaluation;
    it is matched within its own strata and its cells are labelled `other`, never with the text."""
    from dataclasses import replace

    from pipelines.report.labels import subject_name
    from pipelines.sample import simulate
    from pipelines.sample.core import simulation_frames

    frames = simulation_frames(simulate(schools=3, seed=7, effect=0.6))
    unknown = "~geografijas pulcins"
    for name in ("consultations", "grades"):
        renamed = pl.when(pl.col("subject") == "geography").then(pl.lit(unknown)).otherwise(pl.col("subject"))
        frames[name] = frames[name].with_columns(renamed.alias("subject"))
    con = core_connection(frames)
    settings = Settings()
    run_evaluate(con, replace(settings, evaluate=replace(settings.evaluate, bootstrap_replicates=0)))

    episodes = con.execute("select count(distinct pupil_id) from marts.episodes where subject = ?", [unknown])
    n_episodes = episodes.fetchone()[0]
    assert n_episodes > 0
    assert con.execute("select count(*) from marts.evaluation_sample where subject = ?", [unknown]).fetchone()[0] > 0
    cells = effectiveness_table(con)
    assert not cells["subject"].str.startswith("~").any()  # the text never reaches a cell
    other = con.execute(
        """select n_episodes, n_supported_total from marts.effectiveness_detail
           where subject = 'other' and project_code = 'ALL' and municipality = 'ALL' and school_year = 'ALL'"""
    ).fetchall()
    assert len(other) == 1 and other[0][0] == n_episodes and other[0][1] > 0
    assert subject_name("other", "en") == subject_name(unknown, "en") == "Other subject (not in the dictionary)"


def test_the_stage_publishes_subgroups_that_nest_in_the_totals(planted) -> None:
    con, _ = planted
    groups = con.sql("select * from marts.effectiveness_subgroups").pl()
    assert set(groups["subgroup"]) == {"gender", "grade_band", "baseline_tercile"}
    totals = con.sql(
        "select project_code, n_pupils, n_comparison, effect, ci_low, ci_high from marts.effectiveness "
        "where municipality = 'ALL' and subject = 'ALL' and school_year = 'ALL'"
    ).pl()
    alls = groups.filter(pl.col("level") == "ALL").select(totals.columns)
    for subgroup in ("gender", "grade_band", "baseline_tercile"):
        part = groups.filter((pl.col("subgroup") == subgroup) & (pl.col("level") == "ALL")).select(totals.columns)
        assert part.sort("project_code").equals(totals.sort("project_code"))
    assert alls.height == 3 * totals.height
    # pupils have one gender: the levels add up to the total exactly
    gender = groups.filter((pl.col("subgroup") == "gender") & (pl.col("level") != "ALL"))
    summed = gender.group_by("project_code").agg(pl.col("n_pupils").sum())
    assert summed.join(totals, on="project_code").filter(pl.col("n_pupils") != pl.col("n_pupils_right")).is_empty()
    # every estimated level has the headline's interval method, and the test is a probability
    estimated = groups.filter(pl.col("effect").is_not_null())
    assert set(estimated["interval_method"]) <= {"school_jackknife", "cluster_robust"}
    assert (estimated["interval_method"] == "school_jackknife").mean() > 0.8
    p = groups["p_heterogeneity"].drop_nulls()
    assert p.len() > 0 and p.is_between(0, 1).all()


def test_the_baseline_panel_from_transforms_mark_counts_equals_the_one_counted_from_every_mark(planted) -> None:
    """core.marks_by_school (kept by transform) gives the very same baseline panel, to the last bit, as
    counting the row-level marks here (what a warehouse without the table still does)."""
    con, _ = planted
    counted_here = load_inputs(con)["marks"]
    update_marks_by_school(con, whole=True)
    try:
        from_table = load_inputs(con)["marks"]
    finally:
        con.execute("drop table core.marks_by_school")
    assert counted_here.height > 1000
    assert from_table.schema == counted_here.schema
    assert from_table.equals(counted_here)
