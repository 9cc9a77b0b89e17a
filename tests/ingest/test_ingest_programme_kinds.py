"""Activities, financial support and costs: recognised from their headers in two dialects each,
typed, quarantined with what to fix, and free text (an activity's title) never stored."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipelines.contract import COLUMNS, normalise_text
from pipelines.ingest.kinds import recognise
from pipelines.ingest.stage import run_ingest
from pipelines.personal_code import make_old_code
from pipelines.pseudonym import pseudonym
from pipelines.warehouse import connect

KEY = b"test-key-32-characters-or-longer!"
SCHOOL = "2712900123"
ANNA = make_old_code(15, 3, 2012, 123)
BERTS = make_old_code(2, 11, 2013, 45)
TITLE = "Jāņa Ozola robotikas pulciņš"  # free text with a name: never stored

ACTIVITIES_LV = ["Datums", "Iestādes kods", "Pasākuma ID", "Pasākuma veids", "Pasākuma nosaukums",
                 "Mācību priekšmets", "Ilgums (min)", "Projekts", "Personas kods", "Dalībnieku skaits"]  # fmt: skip
ACTIVITIES_EN = ["date", "school_id", "activity_id", "activity_type", "title", "subject", "minutes", "project_code",
                 "pupil_code", "participants"]  # fmt: skip
FINANCIAL_LV = ["Datums", "Personas kods", "Iestādes kods", "Atbalsta veids", "Summa (EUR)", "Projekts"]
FINANCIAL_EN = ["date", "pupil_code", "school_id", "support_type", "amount_eur", "project_code"]
COSTS_LV = ["Mēnesis", "Projekts", "Pašvaldība", "Izmaksu kategorija", "Summa (EUR)"]
COSTS_EN = ["month", "project_code", "municipality", "cost_category", "amount_eur"]
# A bare `Nosaukums` is the registry's school name: in an activities file it is ignored (not stored).
BARE_TITLE = ["Datums", "Iestādes kods", "Pasākuma ID", "Pasākuma veids", "Nosaukums", "Ilgums", "Projekts",
              "Dalībnieku skaits"]  # fmt: skip
ATTENDANCE = ["date", "pupil_code", "school_id", "lessons_missed", "reason", "subject"]
ATTENDANCE_PERIOD = ["period_start", "period_end", "pupil_code", "school_id", "excused", "unexcused", "illness"]


def write(path: Path, header: list[str], rows: list[list[str]], sep: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(sep.join(r) for r in [header, *rows]) + "\n").encode(encoding))


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        (ACTIVITIES_LV, "activities"),
        (ACTIVITIES_EN, "activities"),
        (ACTIVITIES_LV[:-1], "activities"),  # participants listed only
        ([h for h in ACTIVITIES_LV if h != "Personas kods"], "activities"),  # head counts only
        (BARE_TITLE, "activities"),
        (FINANCIAL_LV, "financial_support"),
        (FINANCIAL_EN, "financial_support"),
        (COSTS_LV, "costs"),
        (COSTS_EN, "costs"),
    ],
)
def test_each_kind_is_recognised_from_its_header_alone(header, kind) -> None:
    found = recognise(header)
    assert (found.kind, found.problem) == (kind, None)


def test_no_header_of_one_kind_fits_another() -> None:
    """Every kind's full header, Latvian and English, is recognised as itself and nothing else; an
    attendance export (another kind, with its own signature) is none of the new three."""
    for kind, columns in COLUMNS.items():
        for header in ([c.latvian for c in columns], [c.name for c in columns]):
            found = recognise(header)
            assert (found.kind, found.problem) == (kind, None), (kind, header)
    for header in (ATTENDANCE, ATTENDANCE_PERIOD):
        assert recognise(header).kind not in ("activities", "financial_support", "costs")


def test_a_header_missing_its_required_column_is_rejected_with_the_column_named() -> None:
    found = recognise([h for h in FINANCIAL_LV if h != "Summa (EUR)"])
    assert found.kind == "financial_support"
    assert "Summa (EUR)" in found.problem


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    p = "8.3.2.2/16/I/001"
    write(raw / "a" / "pasakumi.csv", ACTIVITIES_LV, [
        ["12.02.2025", SCHOOL, "R-17", "Pētnieciskā darbnīca", TITLE, "Fizika", "90", p, ANNA, ""],
        ["12.02.2025", SCHOOL, "R-17", "Pētnieciskā darbnīca", TITLE, "Fizika", "90", p, BERTS, ""],
        ["13.02.2025", SCHOOL, "R-18", "mācību ekskursija", TITLE, "", "240", "Skola – kopienā", "", "23"],
        ["14.02.2025", SCHOOL, "R-19", "grupu nodarbība", TITLE, "", "45", p, "", ""],  # nobody
        ["15.02.2025", SCHOOL, "R-20", "Kosmosa ceļojums", TITLE, "", "45", p, "", "5"],  # unknown type: kept raw
    ], ";", "cp1257")  # fmt: skip
    write(raw / "b" / "activities.csv", ACTIVITIES_EN, [
        ["2025-03-01", SCHOOL, "X1", "Research workshop", TITLE, "Physics", "60", "8.3.2.2", ANNA.replace("-", ""), ""],
        ["2025-03-02", SCHOOL, "X2", "Mentoring", TITLE, "", "1h", "8.3.2.2", ANNA, ""],  # minutes unreadable
    ], ",")  # fmt: skip
    write(raw / "a" / "atbalsts.csv", FINANCIAL_LV, [
        ["03.02.2025", ANNA, SCHOOL, "Ēdināšana", "12,50", "PuMPuRS"],
        ["03.02.2025", BERTS, SCHOOL, "transports", "1 234,00 €", "PuMPuRS"],
        ["04.02.2025", BERTS, SCHOOL, "dienesta viesnica", "desmit", "PuMPuRS"],
    ], ";")  # fmt: skip
    write(raw / "b" / "financial.csv", FINANCIAL_EN, [
        ["2025-02-03", ANNA, SCHOOL, "Meals", "7.5", ""],
    ], ",")  # fmt: skip
    write(raw / "c" / "izmaksas.csv", COSTS_LV, [
        ["01.2025", "PuMPuRS", "Rēzeknes valstspilsēta", "Atlīdzība", "15000"],
        ["2025-02", "8.3.4.0/16/I/001", "Rēzeknes valstspilsēta", "pasākumi", "2500,75"],
        ["13.2025", "PuMPuRS", "Rēzeknes valstspilsēta", "Atlīdzība", "1"],
    ], ";")  # fmt: skip
    write(raw / "c" / "costs.csv", COSTS_EN, [
        ["2025-03", "4.2.3.1/1/24/I/001", "Balvu novads", "Administration", "300"],
    ], "\t")  # fmt: skip
    con = connect(tmp_path_factory.mktemp("wh") / "w.duckdb")
    result = run_ingest(con, raw, KEY, "run-1")
    yield con, result
    con.close()


def test_rows_load_typed_in_both_dialects(loaded) -> None:
    con, result = loaded
    kinds = {f.path: (f.kind, f.status, f.rows_read, f.rows_loaded) for f in result.files}
    assert kinds == {
        "a/pasakumi.csv": ("activities", "loaded", 5, 4),
        "b/activities.csv": ("activities", "loaded", 2, 1),
        "a/atbalsts.csv": ("financial_support", "loaded", 3, 2),
        "b/financial.csv": ("financial_support", "loaded", 1, 1),
        "c/izmaksas.csv": ("costs", "loaded", 3, 2),
        "c/costs.csv": ("costs", "loaded", 1, 1),
    }
    activities = con.execute(
        "select activity_id, activity_type, activity_type_raw, subject, minutes, participants, project_code, "
        "pupil_id is not null from staging.activities order by source_file, source_line"
    ).fetchall()
    assert activities == [
        ("R-17", "research_workshop", "Pētnieciskā darbnīca", "physics", 90.0, None, "8.3.2.2/16/I/001", True),
        ("R-17", "research_workshop", "Pētnieciskā darbnīca", "physics", 90.0, None, "8.3.2.2/16/I/001", True),
        ("R-18", "study_visit", "mācību ekskursija", None, 240.0, 23, "4.2.3.1/1/24/I/001", False),
        ("R-20", None, "Kosmosa ceļojums", None, 45.0, 5, "8.3.2.2/16/I/001", False),
        ("X1", "research_workshop", "Research workshop", "physics", 60.0, None, "8.3.2.2/16/I/001", True),
    ]
    anna = pseudonym(KEY, ANNA.replace("-", ""), "pupil")
    assert con.execute("select count(*) from staging.activities where pupil_id = ?", [anna]).fetchall()[0][0] == 2
    money = con.execute(
        "select support_type, amount_eur, project_code from staging.financial_support order by source_file, source_line"
    ).fetchall()
    assert money == [("meals", 12.5, "8.3.4.0/16/I/001"), ("transport", 1234.0, "8.3.4.0/16/I/001"),
                     ("meals", 7.5, None)]  # fmt: skip
    costs = con.execute(
        "select month, school_year, project_code, municipality, cost_category, amount_eur from staging.costs "
        "order by source_file desc, source_line"
    ).fetchall()
    assert costs == [
        (date(2025, 1, 1), "2024/2025", "8.3.4.0/16/I/001", "Rēzeknes valstspilsēta", "remuneration", 15000.0),
        (date(2025, 2, 1), "2024/2025", "8.3.4.0/16/I/001", "Rēzeknes valstspilsēta", "activities", 2500.75),
        (date(2025, 3, 1), "2024/2025", "4.2.3.1/1/24/I/001", "Balvu novads", "administration", 300.0),
    ]


def test_bad_rows_are_quarantined_with_what_to_fix(loaded) -> None:
    con, _ = loaded
    rows = con.execute(
        "select source_file, source_line, column_name, reason_code, value from quarantine.rows "
        "where stage = 'ingest' order by source_file, source_line"
    ).fetchall()
    assert rows == [
        ("a/atbalsts.csv", 4, "amount_eur", "unparseable_number", "desmit"),
        ("a/pasakumi.csv", 5, "participants", "missing_participants", None),
        ("b/activities.csv", 3, "minutes", "unparseable_number", "1h"),
        ("c/izmaksas.csv", 4, "month", "unparseable_month", "13.2025"),
    ]


def test_an_activity_title_is_stored_nowhere(loaded) -> None:
    con, _ = loaded
    needles = {normalise_text(TITLE), "ozola", "robotikas"}
    for schema, table, column in con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog')"
    ).fetchall():
        values = con.execute(f'select distinct "{column}" from {schema}.{table}').fetchall()
        text = " ".join(normalise_text(v[0]) for v in values if v[0])
        assert not any(n in text for n in needles), (schema, table, column)
