"""Transform of activities, financial support and costs: each row once across re-deliveries,
activities with their participants, costs under the registry's municipality spelling."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.transform.stage import run_transform
from pipelines.warehouse import connect, ensure_schema

SCHOOL = "2712900001"


def insert(con, table: str, rows: list[dict]) -> None:
    for row in rows:
        columns = ", ".join(row)
        con.execute(f"insert into staging.{table} ({columns}) values ({', '.join('?' * len(row))})", list(row.values()))


def activity(file: str, line: int, key: str, activity_id: str, pupil: str | None, participants: int | None = None):
    return {
        "source_file": file, "source_line": line, "row_key": key, "date": date(2025, 2, 12),
        "school_year": "2024/2025", "semester": 2, "school_id": SCHOOL, "activity_id": activity_id,
        "pupil_id": pupil, "activity_type": "research_workshop", "minutes": 90.0, "participants": participants,
        "project_code": "8.3.2.2/16/I/001",
    }  # fmt: skip


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    ensure_schema(con)
    con.execute(
        "insert into staging.schools "
        "(source_file, source_line, row_key, school_id, school_name, municipality, school_type) "
        "values ('reg.csv', 2, 'k1', ?, 'Balvu pamatskola', 'Balvu novads', null)",
        [SCHOOL],
    )
    insert(con, "activities", [
        activity("feb.csv", 2, "a#1", "R-17", "p1"),
        activity("feb.csv", 3, "b#1", "R-17", "p2"),
        activity("jun.csv", 2, "a#1", "R-17", "p1"),  # cumulative re-delivery of the same row
        activity("feb.csv", 4, "c#1", "R-18", None, 23),
        activity("jun.csv", 3, "d#1", "R-19", "p1"),
        activity("jun.csv", 4, "e#1", "R-19", "p3"),
        activity("jun.csv", 5, "f#1", "R-19", None, 4),  # fewer than listed: the listed count wins
    ])  # fmt: skip
    payment = {"date": date(2025, 2, 3), "school_year": "2024/2025", "semester": 2, "pupil_id": "p1",
               "school_id": SCHOOL, "support_type": "meals", "amount_eur": 12.5}  # fmt: skip
    insert(con, "financial_support", [
        {"source_file": "f.csv", "source_line": 2, "row_key": "x#1", **payment},
        {"source_file": "f2.csv", "source_line": 2, "row_key": "x#1", **payment},
    ])  # fmt: skip
    line = {"month": date(2025, 1, 1), "school_year": "2024/2025", "project_code": "8.3.4.0/16/I/001"}
    insert(con, "costs", [
        {"source_file": "c.csv", "source_line": 2, "row_key": "c#1", **line, "municipality": "BALVU NOVADS",
         "cost_category": "remuneration", "amount_eur": 1000.0},
        {"source_file": "c.csv", "source_line": 3, "row_key": "c#2", **line, "municipality": "Atlantīda",
         "cost_category": "other", "amount_eur": 5.0},
    ])  # fmt: skip
    yield con
    con.close()


def test_activities_count_participants_once_and_head_counts_add_nobody(con):
    counts = run_transform(con)
    assert (counts["activities"], counts["activity_participants"]) == (3, 4)
    rows = con.execute(
        "select activity_id, n_listed, n_participants, municipality, source_file from core.activities order by 1"
    ).fetchall()
    assert rows == [
        ("R-17", 2, 2, "Balvu novads", "feb.csv"),
        ("R-18", 0, 23, "Balvu novads", "feb.csv"),
        ("R-19", 2, 4, "Balvu novads", "jun.csv"),
    ]


def test_payments_and_costs_are_kept_once_and_costs_take_the_registry_spelling(con):
    """A municipality the registry does not know is `unknown`: the project's own text never goes on."""
    counts = run_transform(con)
    assert (counts["financial_support"], counts["costs"]) == (1, 2)
    assert con.execute("select source_file, municipality from core.financial_support").fetchall() == [
        ("f.csv", "Balvu novads")
    ]
    assert con.execute("select municipality, municipality_known from core.costs order by amount_eur").fetchall() == [
        ("unknown", False),
        ("Balvu novads", True),
    ]


def test_a_row_quarantined_by_validation_is_not_in_core(con):
    con.execute(
        "insert into quarantine.rows (source_file, source_line, kind, stage, reason_code, message_lv, message_en) "
        "values ('c.csv', 2, 'costs', 'validate', 'amount_out_of_range', 'x', 'x')"
    )
    run_transform(con)
    assert con.execute("select count(*) from core.costs").fetchall() == [(1,)]
