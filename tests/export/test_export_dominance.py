"""The p% dominance rule for financial support: a cell one pupil's payments dominate is withheld with
a complementary cell, even with k or more pupils; pupils are summed over their payments first."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from pipelines.export.programme import SUMMARY_KEYS, TOP_EUR, cube_sql, dominated, summary_with_programme

PROJECT = "8.3.4.0/16/I/001"
CONSULTATION_COLUMNS = [
    *SUMMARY_KEYS,
    "n_pupils_supported",
    "n_consultations",
    "consultation_hours",
    "n_staff",
    "n_schools",
    "share_remote",
    "suppressed",
]


def payments() -> list[tuple[str, str, str, int, str, float]]:
    """(municipality, school, year, semester, pupil, EUR): in Aizpute's first semester pupil `big` got
    1 500 EUR in three payments of 500, five others 20 each; every other cell six pupils × 100."""
    rows = [("Aizpute", "1", "2024/2025", 1, "big", 500.0)] * 3
    rows += [("Aizpute", "1", "2024/2025", 1, f"a{i}", 20.0) for i in range(5)]
    for municipality, semester in (("Aizpute", 2), ("Bauska", 1), ("Bauska", 2)):
        rows += [(municipality, "2", "2024/2025", semester, f"{municipality}{semester}{i}", 100.0) for i in range(6)]
    return rows


@pytest.fixture(scope="module")
def programme() -> pd.DataFrame:
    con = duckdb.connect()
    con.execute("create schema core")
    con.execute(
        "create table core.financial_support (project_code varchar, municipality varchar, school_id varchar, "
        "school_year varchar, semester integer, pupil_id varchar, amount_eur double)"
    )
    con.executemany(
        "insert into core.financial_support values (?, ?, ?, ?, ?, ?, ?)", [(PROJECT, *row) for row in payments()]
    )
    return con.execute(cube_sql(con, "programme_cube")).df()


def cell(frame: pd.DataFrame, municipality: str, semester: str) -> dict:
    row = frame[
        (frame["project_code"] == PROJECT)
        & (frame["municipality"] == municipality)
        & (frame["school_year"] == "2024/2025")
        & (frame["semester"] == semester)
    ]
    assert len(row) == 1
    return row.iloc[0].to_dict()


def test_the_two_largest_pupils_are_summed_over_their_payments(programme) -> None:
    first = cell(programme, "Aizpute", "1")
    assert (first["n_pupils_financial_support"], first["financial_support_eur"]) == (6, 1600.0)
    assert (first["financial_top1_eur"], first["financial_top2_eur"]) == (1500.0, 20.0)
    assert dominated(programme, 0.1).sum() >= 1
    flagged = programme[dominated(programme, 0.1)]
    # Aizpute's first semester and the margins it dominates (Aizpute's year: 1 600 + 600, rest 580 > 150)
    assert set(zip(flagged["municipality"], flagged["semester"], strict=True)) == {("Aizpute", "1")}


def test_a_dominated_cell_is_withheld_with_a_partner_and_the_top_payments_never_leave(programme) -> None:
    summary = pd.DataFrame(columns=CONSULTATION_COLUMNS)
    out = summary_with_programme(summary, programme, k=5, dominance_p=0.1)
    assert not set(TOP_EUR) & set(out.columns)
    first = cell(out, "Aizpute", "1")
    assert pd.isna(first["financial_support_eur"]) and pd.isna(first["n_pupils_financial_support"])
    assert first["suppressed"]
    # not recoverable by one subtraction: Aizpute's other semester or Bauska's first is withheld too
    partners = [cell(out, "Aizpute", "2"), cell(out, "Bauska", "1")]
    assert any(pd.isna(p["financial_support_eur"]) for p in partners)
    # the rule off: the same cell is published (six pupils, k = 5)
    plain = cell(summary_with_programme(summary, programme, k=5, dominance_p=0.0), "Aizpute", "1")
    assert plain["financial_support_eur"] == 1600.0 and not plain["suppressed"]


def test_the_reports_withhold_a_dominated_financial_support_total_and_a_partner() -> None:
    """Aizpute's EUR is one pupil's support: its report withholds it (with the count, as the exports do),
    and another municipality's too, so the whole project's total minus the other reports does not give it."""
    from pipelines.report.queries import programme_by_municipality, programme_totals

    con = duckdb.connect()
    con.execute("create schema core")
    con.execute(
        "create table core.financial_support as select municipality, school_id, school_year, pupil_id, amount_eur "
        "from (values " + ", ".join(f"('{m}', '{s}', '{y}', '{p}', {e})" for m, s, y, _, p, e in payments()) + ") "
        "t(municipality, school_id, school_year, pupil_id, amount_eur)"
    )
    con.execute("update core.financial_support set municipality = 'Cēsis' where pupil_id like 'Aizpute%'")
    aizpute = programme_totals(con, 5, "Aizpute", None, dominance_p=0.1).iloc[0]
    assert pd.isna(aizpute["financial_eur"]) and pd.isna(aizpute["financial_pupils"])
    rows = programme_by_municipality(con, 5, None, dominance_p=0.1).set_index("municipality")
    assert not set(TOP_EUR) & set(rows.columns)
    others = rows.loc[["Bauska", "Cēsis", "ALL"], "financial_eur"]
    assert others.isna().sum() >= 1  # a partner: ALL minus the published others is not Aizpute's EUR
    assert programme_totals(con, 5, "Aizpute", None, dominance_p=0.0).iloc[0]["financial_eur"] == 1600.0
    assert programme_totals(con, 5, "Valka", None, dominance_p=0.1).iloc[0]["financial_eur"] == 0.0


def test_every_cube_reads_the_programme_tables_a_warehouse_lacks_as_empty() -> None:
    """A warehouse from before activities, financial support, costs and rosters: each cube still runs,
    with no programme rows; a table that is there is read as it is (programme.cube_sql)."""
    con = duckdb.connect()
    con.execute("create schema core")
    con.execute(
        "create table core.consultations as select '8.3.4.0/16/I/001' project_code, 'Aizpute' municipality, "
        "'2024/2025' school_year, 'p1' pupil_id, '1' school_id, 40.0 as minutes"
    )
    programme = con.execute(cube_sql(con, "programme_cube")).df()
    assert (programme[["n_pupils_activities", "n_pupils_financial_support"]] == 0).all().all()
    supported = con.execute(cube_sql(con, "supported_cube")).df().set_index(["project_code", "municipality"])
    assert supported.loc[("ALL", "ALL"), "n_pupils_any"].tolist() == [1, 1]  # the year and ALL
    assert supported["n_on_roster"].eq(0).all()
    assert con.execute(cube_sql(con, "costs_cube")).df()["amount_eur"].isna().all()  # the grand total of nothing
    con.execute(
        "create table core.costs as select '8.3.4.0/16/I/001' project_code, 'Aizpute' municipality, "
        "'2024/2025' school_year, 'staff' cost_category, 100.0 amount_eur"
    )
    assert "core.costs" in cube_sql(con, "costs_cube")
    assert con.execute(cube_sql(con, "costs_cube")).df()["amount_eur"].max() == 100.0
