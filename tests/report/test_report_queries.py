"""The report queries on the small warehouse: right numbers, and no small count ever leaves."""

from __future__ import annotations

import csv
import json
import math
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from report_fixtures import SMALL_MUNICIPALITY

from pipelines.disclosure import assert_no_small, protect, small_mask, suppress_small
from pipelines.evaluate.stage import SQL_DIR as EVALUATE_SQL
from pipelines.report import queries as q
from pipelines.warehouse import load_sql

K = 5


def test_lineage_facts(con: duckdb.DuckDBPyConnection) -> None:
    lo, _hi = q.data_period(con)
    assert (lo.date() if hasattr(lo, "date") else lo) == date(2023, 9, 15)
    assert q.file_totals(con) == (3, 4226)  # loaded + unchanged files; the skipped one is not counted
    assert q.municipalities(con) == ["Cēsu novads", "Daugavpils valstspilsēta", "Ludzas novads", "Rīgas valstspilsēta"]


def test_data_quality_queries(con: duckdb.DuckDBPyConnection) -> None:
    missing = q.missing_deliveries(con)
    assert missing["school_name"].tolist() == ["Daugavpils 9. vidusskola"]
    assert missing["missing_months"].iloc[0] == "2024-11, 2024-12"
    assert q.missing_deliveries(con, "Rīgas valstspilsēta").empty
    quar = q.quarantine_reasons(con)
    assert quar.set_index("reason_code")["n_rows"].to_dict() == {
        "grade_out_of_range": 2,
        "invalid_personal_code": 1,
        "unparseable_date": 1,
    }
    assert "value" not in quar.columns  # reasons, never the offending values
    assert q.quarantine_reasons(con, SMALL_MUNICIPALITY)["n_rows"].sum() == 2
    assert q.warning_reasons(con)["n_rows"].sum() == 2
    deliv = q.deliveries(con)
    assert deliv["month"].nunique() == 21
    assert set(q.files_by_status(con)["status"]) == {"loaded", "unchanged", "skipped"}


def test_support_totals_match_core(con: duckdb.DuckDBPyConnection) -> None:
    pupils, minutes = con.execute("select count(distinct pupil_id), sum(minutes) from core.consultations").fetchall()[0]
    tot = q.support_totals(con, K).iloc[0]
    assert tot["pupils"] == pupils == 103
    assert tot["hours"] == pytest.approx(minutes / 60)
    assert tot["schools"] == 6


def test_small_municipality_is_withheld(con: duckdb.DuckDBPyConnection) -> None:
    tot = q.support_totals(con, K, SMALL_MUNICIPALITY).iloc[0]
    assert math.isnan(tot["pupils"]) and math.isnan(tot["hours"]) and math.isnan(tot["plans"])
    roles = q.staff_by_role(con, K, SMALL_MUNICIPALITY)
    assert roles["pupils"].isna().all() and roles["hours"].isna().all()
    assert roles["suppressed"].all()


def test_complementary_suppression_in_plans(con: duckdb.DuckDBPyConnection) -> None:
    plans = q.plans_by_school(con, K).set_index(["school_name", "school_year"])["plans"]
    # Rīgas 1. vidusskola: 16 plans in 2023/2024 and 4 in 2024/2025, total 20 published: the 16 goes too.
    assert math.isnan(plans[("Rīgas 1. vidusskola", "2024/2025")])
    assert math.isnan(plans[("Rīgas 1. vidusskola", "2023/2024")])
    assert plans[("Rīgas 1. vidusskola", "ALL")] == 20
    assert plans[("ALL", "ALL")] == 103


@pytest.mark.parametrize("municipality", [None, SMALL_MUNICIPALITY, "Rīgas valstspilsēta"])
def test_no_query_returns_a_small_count(con: duckdb.DuckDBPyConnection, municipality: str | None) -> None:
    frames = {
        "totals": q.support_totals(con, K, municipality),
        "semester": q.support_by_semester(con, K, municipality),
        "roles": q.staff_by_role(con, K, municipality),
        "subjects": q.support_by_subject(con, K, municipality),
        "modes": q.support_by_mode(con, K, municipality),
        "plans": q.plans_by_school(con, K, municipality),
        "effect": q.effectiveness(con, K, "subject", municipality),
        "effect_m": q.effectiveness(con, K, "municipality"),
        "dose": q.dose_response(con, K),
        "event": q.event_study(con, K),
        "staying": q.staying(con, K),
    }
    for name, frame in frames.items():
        assert_no_small(frame, ("pupils", "plans", "n_pupils", "n_comparison"), K), name


def test_effectiveness_breakdowns(con: duckdb.DuckDBPyConnection) -> None:
    subjects = q.effectiveness(con, K, "subject").set_index("subject")
    assert subjects.loc["mathematics", "effect"] == pytest.approx(0.41)
    assert subjects.loc["mathematics", "wwc_equivalence"] == "satisfied"  # |0.04| <= 0.05
    assert subjects.loc["latvian", "wwc_equivalence"] == "adjustment_required"  # 0.09
    assert math.isnan(subjects.loc["physics", "effect"])  # 3 supported pupils: withheld with its estimate
    munis = q.effectiveness(con, K, "municipality").set_index("municipality")
    assert math.isnan(munis.loc[SMALL_MUNICIPALITY, "n_pupils"])
    riga = q.effectiveness(con, K, "overall", "Rīgas valstspilsēta")
    assert riga["effect"].tolist() == [pytest.approx(0.35)]
    riga_subjects = q.effectiveness(con, K, "subject", "Rīgas valstspilsēta")
    assert riga_subjects["subject"].tolist() == ["mathematics"]


def test_marts_for_effectiveness(con: duckdb.DuckDBPyConnection) -> None:
    dose = q.dose_response(con, K)
    assert dose["level"].tolist() == ["0-5", "5-10", "10-20", "20+"]
    event = q.event_study(con, K).set_index("period")
    assert list(event.index) == ["s-2", "s-1", "s_before", "s_after", "s+1"]
    assert math.isnan(event.loc["s_before", "difference"])  # 3 supported pupil-subjects in that step
    assert math.isnan(event.loc["s_before", "ci_low"]) and event.loc["s_after", "ci_low"] == pytest.approx(0.48)
    stay = q.staying(con, K).set_index("school_year")
    assert math.isnan(stay.loc["2023/2024", "mean_treated"])  # 80 × 5 % = 4 leavers would show
    assert math.isnan(stay.loc["2024/2025", "mean_treated"])  # else ALL minus it gives the 4 away
    assert stay["suppressed"].tolist() == [True, True, False]
    assert stay.loc["ALL", "mean_treated"] == pytest.approx(0.94)
    # the effect and its interval go with the leavers (one more leaver would move the effect by 1/n)
    assert math.isnan(stay.loc["2023/2024", "effect"]) and stay.loc["ALL", "effect"] == pytest.approx(0.01)


def test_staying_balance_counts_the_cells_the_comparison_could_not_be_balanced_in(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """The effectiveness report says so when any cell fell back to matching alone (q.staying_balance);
    a warehouse where every cell balanced, or from before the counts, gives nothing to say."""
    from pipelines.warehouse import connect, ensure_schema

    assert q.staying_balance(con) == {"cells": 7, "unbalanced": 1}
    c = connect(tmp_path / "w.duckdb")
    ensure_schema(c)
    assert q.staying_balance(c) is None  # no mart
    c.execute("create table marts.staying as select 'ALL' school_year, 150 n_pupils, 0.01 difference, false suppressed")
    assert q.staying_balance(c) is None  # a mart from before the counts
    c.execute("alter table marts.staying add column n_balance_cells bigint default 7")
    c.execute("alter table marts.staying add column n_unbalanced_cells bigint default 0")
    assert q.staying_balance(c) == {"cells": 7, "unbalanced": 0}
    c.close()


def test_design_diagnostics_of_the_headline_cell(con: duckdb.DuckDBPyConnection) -> None:
    project = q.design_diagnostics(con, K)
    assert project["design_warning"] is False
    assert [project[c] for c in q.FLOW_STEPS] == [190, 180, 170, 150]
    riga = q.design_diagnostics(con, K, "Rīgas valstspilsēta")
    assert riga["design_warning"] is True and riga["bias_direction"] == "down"
    assert riga["placebo_effect"] == pytest.approx(-0.40)
    # Cēsu: 30 → 25 → 22 → 20; the drops 3 and 2 would count pupils, so those steps are withheld and
    # every shown drop is 0 or at least k
    cesu = q.design_diagnostics(con, K, "Cēsu novads")
    assert [cesu[c] for c in q.FLOW_STEPS] == [30, 25, None, 20]
    assert q.design_diagnostics(con, K, SMALL_MUNICIPALITY) == {}


def test_missing_mart_gives_empty_frame(tmp_path) -> None:
    from pipelines.warehouse import connect, ensure_schema

    c = connect(tmp_path / "w.duckdb")
    ensure_schema(c)
    assert q.effectiveness(c, K).empty and q.dose_response(c, K).empty and q.staying(c, K).empty
    c.close()


def test_protect_and_primary_suppression_do_not_mutate() -> None:
    frame = pd.DataFrame({"g": ["a", "b", "ALL"], "pupils": [3, 40, 43], "hours": [2.0, 30.0, 32.0]})
    before = frame.copy()
    out = protect(frame, ["g"], ["pupils"], 5, ["hours"])
    pd.testing.assert_frame_equal(frame, before)
    assert out["pupils"].isna().tolist() == [True, True, False]  # b withheld too: 43 − 40 = 3
    assert out["hours"].isna().tolist() == [True, True, False]
    simple = suppress_small(frame, "pupils", 5, ["hours"])
    assert simple["pupils"].isna().tolist() == [True, False, False]
    assert small_mask(pd.Series([0, 1, 4, 5, None]), 5).tolist() == [False, True, True, False, False]
    with pytest.raises(AssertionError, match="below 5"):
        assert_no_small(frame, ("pupils",), 5)


def test_absences_hide_a_small_year_and_the_total_that_would_give_it_away() -> None:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        """create table marts.effectiveness_absences as select * from (values
            ('2024/2025', 40, 80, 1.2, 1.4, -0.2, -0.5, 0.1, false),
            ('2025/2026', 3, 10, 2.0, 1.0, 1.0, 0.1, 1.9, false),
            ('ALL', 43, 90, 1.25, 1.35, -0.1, -0.4, 0.2, false)
        ) t(school_year, n_pupils, n_comparison, unexcused_per_month_supported, unexcused_per_month_comparison,
            difference, ci_low, ci_high, suppressed)"""
    )
    out = q.absences(con, K).set_index("school_year")
    assert out.loc["2025/2026", ["n_pupils", "mean_treated", "mean_comparison", "effect"]].isna().all()
    # a complementary cell: the other year (before the total), with its mean; the total stays shown
    assert out.loc["2024/2025", ["n_pupils", "mean_treated", "mean_comparison", "effect"]].isna().all()
    assert out.loc["ALL", "n_pupils"] == 43 and out.loc["ALL", "mean_treated"] == 1.25


def test_status_and_the_data_quality_report_name_the_same_missing_months(con: duckdb.DuckDBPyConnection) -> None:
    """One definition of a missing delivery (pipelines/deliveries.sql) for `atbalsts status` and the report."""
    from pipelines.status import deliveries

    in_status = {name: ", ".join(months) for _id, name, _m, _c, _g, _last, months in deliveries(con) if months}
    in_report = dict(q.missing_deliveries(con)[["school_name", "missing_months"]].itertuples(index=False))
    assert in_status == in_report == {"Daugavpils 9. vidusskola": "2024-11, 2024-12"}


def test_unknown_subjects_are_one_other_row_labelled_without_their_text() -> None:
    """Issue 17: consultations in subjects no dictionary knows (`~text` in core) are one `other` row."""
    from pipelines.report.labels import subject_name

    con = duckdb.connect()
    con.execute("create schema core; create schema marts")
    con.execute(
        """create table core.consultations as
           select 'p' || i as pupil_id, 's1' as staff_id, 'x1' as school_id, 40.0 as minutes, 'M' as municipality,
                  '2024/2025' as school_year, 1 as semester,
                  ['~robotika', '~sahs', 'mathematics'][1 + i % 3] as subject,
                  'teacher' as staff_role, 'in_person' as mode, null as project_code
           from range(30) t(i)"""
    )
    con.execute(f"create table marts.support_cube as {load_sql(EVALUATE_SQL, 'support_cube')}")  # as evaluate does
    out = q.support_by_subject(con, K).set_index("subject")
    assert set(out.index) == {"other", "mathematics", "ALL"}
    assert out.loc["other", "pupils"] == 20 and out.loc["ALL", "pupils"] == 30
    assert subject_name("other") == "Cits priekšmets (nav vārdnīcā)"


def test_early_warning_audit_withholds_the_hidden_count_behind_recall(con: duckdb.DuckDBPyConnection) -> None:
    """Boys: 6 leavers, 2 of them flagged. Recall 1/3 × 6 would give the 2 away, so the row is withheld,
    and the girls' row with it (their counts would be the total minus the boys'); the recall-gap
    warning then states no rate the table withholds."""
    gender = q.early_warning_audit(con, K, "gender").set_index("group_value")
    assert math.isnan(gender.loc["M", "recall"]) and math.isnan(gender.loc["M", "n_flagged_leavers"])
    assert math.isnan(gender.loc["F", "n_flagged_leavers"])
    assert gender.loc["ALL", "n_pupils"] == 400 and gender.loc["ALL", "recall"] == pytest.approx(0.667)
    # the recall gap warning names the groups but not the boys' withheld 33 % (nor the girls' 100 %)
    (warning,) = q.early_warning_warnings(con, K)
    assert "gender=M" in warning and "%" not in warning and "33" not in warning
    assert "figures withheld" in warning and "skaitļi aizklāti" in warning
    coverage = q.risk_coverage(con, K, SMALL_MUNICIPALITY).set_index("risk_band")
    assert math.isnan(coverage.loc["high", "n_pupils"])  # 3 pupils
    assert coverage.loc["ALL", "n_pupils"] == 40
    for frame in (gender, coverage):
        assert_no_small(frame, ("n_pupils", "n_leavers", "n_flagged", "n_flagged_leavers", "n_with_plan"), K)


def test_a_small_dose_level_is_not_the_headline_minus_the_others() -> None:
    """3 + 40 supported pupils: withholding only the 3 would leave them as 43 − 40 (the headline is published)."""
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.dose_response as select * from (values "
        "('support_form', 'consultations_only', 1, 40, 60, 0.5), "
        "('support_form', 'consultations_and_activities', 2, 3, 10, 0.9), "
        "('hours_band', '1-5', 1, 20, 30, 0.4), ('hours_band', '6+', 2, 23, 40, 0.6)"
        ") t(dimension, level, level_order, n_pupils, n_comparison, effect)"
    )
    form = q.dose_response(con, 5, "support_form")
    assert form["n_pupils"].isna().all() and form["effect"].isna().all()
    bands = q.dose_response(con, 5, "hours_band")
    assert bands["n_pupils"].tolist() == [20, 23] and bands["effect"].tolist() == [0.4, 0.6]


def test_a_payment_at_a_school_outside_the_registry_is_its_own_cell() -> None:
    """A NULL municipality is 'unknown', so 'ALL' counts its pupil once and equals the sum of the cells."""
    con = duckdb.connect()
    con.execute("create schema core")
    con.execute(
        "create table core.financial_support as select * from (values "
        "('Madonas novads', '2025/2026', 'p1', 100.0, 's1'), ('Madonas novads', '2025/2026', 'p2', 50.0, 's2'), "
        "(null, '2025/2026', 'p3', 35.0, 's8'), (null, '2025/2026', 'p3', 35.0, 's9')) "
        "t(municipality, school_year, pupil_id, amount_eur, school_id)"
    )
    out = q.programme_by_municipality(con, 1).set_index("municipality")
    assert out.loc["ALL", "financial_pupils"] == 3 and out.loc["ALL", "financial_eur"] == 220.0
    assert "unknown" in out.index  # withheld there (one pupil dominates it), but its own row


def _kept_export(folder: Path, file: str, keys: list[str], rows: list[dict[str, str]]) -> Path:
    """A kept export (history/<run_id>/) holding one file, as pipelines.changes.read_package reads it."""
    folder.mkdir(parents=True, exist_ok=True)
    columns = list(rows[0])
    with (folder / file).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    schema = {"primaryKey": keys, "fields": [{"name": c, "type": "string"} for c in columns]}
    package = {"resources": [{"path": file, "schema": schema}]}
    (folder / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    return folder


def test_a_cell_the_export_withheld_is_withheld_in_the_reports(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """The export adds the month-to-month rule and the LP audit: its blank cell must not reappear in a report."""
    shown = q.support_by_subject(con, 5)
    row = shown[(shown["subject"] != "ALL") & shown["pupils"].notna()].iloc[0]
    key = {"project_code": "ALL", "municipality": "ALL", "school_year": "ALL", "semester": "ALL"}
    counts = dict.fromkeys(("n_pupils_supported", "n_consultations", "n_staff", "n_schools"), "")
    blank = {**key, "subject": row["subject"], **counts}
    folder = _kept_export(tmp_path / "run", "support_by_subject.csv", [*key, "subject"], [blank])
    try:
        q.use_published(folder)
        after = q.support_by_subject(con, 5).set_index("subject")
        assert pd.isna(after.loc[row["subject"], "pupils"]) and pd.isna(after.loc[row["subject"], "hours"])
        others = after.drop(index=["ALL", row["subject"]])
        assert others["pupils"].isna().any()  # and a complementary cell, or the total would give it back
    finally:
        q.use_published(None)
    assert q.support_by_subject(con, 5).set_index("subject").loc[row["subject"], "pupils"] == row["pupils"]


def test_hours_the_export_withheld_are_withheld_in_the_reports(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """The export can withhold a cell's hours while publishing its pupils; the report must not show them,
    nor the hours of the (unexported) in-person/remote levels that add up to a withheld total."""
    shown = q.support_by_subject(con, 5)
    row = shown[(shown["subject"] != "ALL") & shown["hours"].notna()].iloc[0]
    key = {"project_code": "ALL", "municipality": "ALL", "school_year": "ALL", "semester": "ALL"}
    counts = {"n_pupils_supported": "9", "n_consultations": "9", "n_staff": "9", "n_schools": "1"}
    rows = [
        {**key, "subject": row["subject"], **counts, "consultation_hours": ""},
        {**key, "subject": "ALL", **counts, "consultation_hours": ""},
    ]
    folder = _kept_export(tmp_path / "run", "support_by_subject.csv", [*key, "subject"], rows)
    try:
        q.use_published(folder)
        after = q.support_by_subject(con, 5).set_index("subject")
        assert pd.isna(after.loc[row["subject"], "hours"]) and after.loc[row["subject"], "pupils"] == row["pupils"]
        modes = q.support_by_mode(con, 5)
        whole = modes[(modes["school_year"] == "ALL") & (modes["semester"] == "ALL")]
        assert whole["hours"].isna().all()
    finally:
        q.use_published(None)


def test_the_costs_table_shows_counts_only_for_the_whole_project(con: duckdb.DuckDBPyConnection) -> None:
    """EUR ÷ EUR per pupil would give a municipality's exact count of supported pupils (as in costs.csv)."""
    costs = q.costs_by_municipality(con, 5)
    local = costs[costs["municipality"] != "ALL"]
    assert local[["pupils", "hours", "eur_per_pupil", "eur_per_hour"]].isna().all().all()


def test_eur_the_export_withheld_is_withheld_in_the_reports(tmp_path: Path) -> None:
    """support_summary.csv may withhold a municipality's EUR while it shows how many pupils got support."""
    con = duckdb.connect()
    con.execute("create schema core")
    con.execute(
        "create table core.financial_support as select *, 's1' as school_id from (values "
        "('Madonas novads', '2025/2026', 'p1', 100.0), ('Madonas novads', '2025/2026', 'p2', 50.0), "
        "('Madonas novads', '2025/2026', 'p3', 70.0)) t(municipality, school_year, pupil_id, amount_eur)"
    )
    key = {"project_code": "ALL", "municipality": "Madonas novads", "school_year": "ALL", "semester": "ALL"}
    row = {**key, "n_pupils_activities": "0", "activity_hours": "0", "n_pupils_financial_support": "3"}
    folder = _kept_export(tmp_path / "run", "support_summary.csv", list(key), [{**row, "financial_support_eur": ""}])
    assert (
        q.programme_by_municipality(con, 1, None, 0.0).set_index("municipality").loc["Madonas novads", "financial_eur"]
        == 220.0
    )
    try:
        q.use_published(folder)
        shown = q.programme_by_municipality(con, 1, None, 0.0).set_index("municipality")
        assert pd.isna(shown.loc["Madonas novads", "financial_eur"])
        assert shown.loc["Madonas novads", "financial_pupils"] == 3
    finally:
        q.use_published(None)
