"""The early-warning lists go to the school that DELIVERED the roster file, not to the school a row names.

School B's roster has one row that carries school A's id (a typo). Before the fix that pupil landed on
A's list together with B's file path and line: school A learnt of a pupil of school B. Now the row is on
B's list only (B delivered it and can act on it), and a plan in B's file naming A stays off A's list.
Real files through ingest, validate (which finds each file's deliverer) and transform; then the
early-warning marts and lists as the evaluate stage writes them.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.config import EarlyWarningSettings, Settings, ValidateSettings
from pipelines.evaluate.early_warning import early_warning_marts, write_school_lists
from pipelines.ingest.stage import run_ingest
from pipelines.personal_code import make_old_code
from pipelines.transform.stage import run_transform
from pipelines.validate.stage import run_validate
from pipelines.validate.suites import SuiteRunner, load_suites
from pipelines.warehouse import connect, ensure_schema

KEY = b"test-key-for-early-warning-deliverer-0123"
A, B = "7013971576", "3813966257"
OWN_A, OWN_B, TYPO = make_old_code(14, 3, 2011, 123), make_old_code(2, 5, 2011, 456), make_old_code(9, 9, 2011, 789)
NAMES = ("Anna", "Ozola", "Rita", "Kalna", "Jānis", "Bērziņš")
ROSTER = "Personas kods;Vārds;Uzvārds;Iestādes kods;Klase;Mācību gads\n"
MARKS = "Datums;Personas kods;Iestādes kods;Mācību priekšmets;Vērtējums;Vērtējuma veids\n"
PLANS = "Personas kods;Iestādes kods;Sākuma datums;Beigu datums;Projekts;Riska faktori\n"


def marks(school: str, pupils: list[tuple[str, str]]) -> str:
    days = ("06.10.2025", "20.10.2025", "03.11.2025", "17.11.2025")
    return MARKS + "".join(f"{d};{code};{named};Matemātika;5;ikdienas\n" for code, named in pupils for d in days)


@pytest.fixture(scope="module")
def lists(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, dict[str, list[dict]], str]:
    tmp = tmp_path_factory.mktemp("deliverer")
    raw = tmp / "raw"
    a_dir, b_dir = raw / "madonas-novads" / A, raw / "balvu-novads" / B
    a_dir.mkdir(parents=True)
    b_dir.mkdir(parents=True)
    (raw / "skolas.csv").write_text(
        f"Iestādes kods;Nosaukums;Pašvaldība\n{A};Skola A;Madonas novads\n{B};Skola B;Balvu novads\n",
        encoding="utf-8",
    )
    (a_dir / "skoleni.csv").write_text(f"{ROSTER}{OWN_A};Anna;Ozola;{A};8.a;2025/2026\n", encoding="utf-8")
    (b_dir / "skoleni.csv").write_text(
        f"{ROSTER}{OWN_B};Rita;Kalna;{B};8.b;2025/2026\n"
        f"{TYPO};Jānis;Bērziņš;{A};8.b;2025/2026\n",  # line 3: school A's id in school B's roster
        encoding="utf-8",
    )
    (a_dir / "atzimes.csv").write_text(marks(A, [(OWN_A, A)]), encoding="utf-8")
    (b_dir / "atzimes.csv").write_text(marks(B, [(OWN_B, B), (TYPO, A)]), encoding="utf-8")
    # school B's plans, both rows naming school A: B's pupil (the typo) and A's own pupil
    (b_dir / "plani.csv").write_text(
        f"{PLANS}{TYPO};{A};01.10.2025;;;ģimene\n{OWN_A};{A};01.10.2025;;;uzvedība\n", encoding="utf-8"
    )
    settings = replace(Settings(out_dir=tmp / "out"), validate=ValidateSettings(today=date(2025, 12, 1)))
    con = connect(tmp / "w.duckdb")
    ensure_schema(con)
    run_ingest(con, raw, KEY, "r1")
    run_validate(con, settings, "r1", runner=SuiteRunner(load_suites()))
    run_transform(con, settings.transform)
    scores = early_warning_marts(con, EarlyWarningSettings())["early_warning"]
    write_school_lists(scores, tmp / "lists")
    texts = "".join(p.read_text(encoding="utf-8") for p in sorted((tmp / "lists").glob("*.csv")))
    by_school = {
        p.stem: list(csv.DictReader(p.read_text(encoding="utf-8").splitlines()))
        for p in sorted((tmp / "lists").glob("*.csv"))
    }
    return con, by_school, texts


def test_validate_keeps_who_delivered_each_file(lists) -> None:
    con, _, _ = lists
    rows = con.execute("select source_file, school_id, found_by from validation.file_deliverers").fetchall()
    kept = {f"{Path(f).name}@{school}": found for f, school, found in rows if f.endswith(("skoleni.csv", "plani.csv"))}
    assert kept == {f"skoleni.csv@{A}": "path", f"skoleni.csv@{B}": "path", f"plani.csv@{B}": "path"}


def test_a_row_naming_another_school_goes_to_the_list_of_the_school_that_delivered_it(lists) -> None:
    _, by_school, _ = lists
    on_a = [(Path(r["roster_file"]).parent.name, r["roster_line"]) for r in by_school[A]]
    on_b = [(Path(r["roster_file"]).parent.name, r["roster_line"]) for r in by_school[B]]
    assert on_a == [(A, "2")], "school A's list holds only A's own roster row, nothing from B's file"
    assert sorted(on_b) == [(B, "2"), (B, "3")]


def test_a_plan_in_another_schools_file_stays_off_the_list(lists) -> None:
    """B's plan for A's pupil (naming A) is B's: A's list shows no plan and no risk factor; B's plan for
    the typo row's pupil is on B's list, where that pupil is."""
    _, by_school, _ = lists
    (own_a,) = by_school[A]
    assert own_a["has_plan"] == "false" and "risk_factor" not in (own_a["reasons"] or "")
    typo_row = next(r for r in by_school[B] if r["roster_line"] == "3")
    assert typo_row["has_plan"] == "true" and "risk_factor" in typo_row["reasons"]


def test_the_lists_hold_no_code_no_name(lists) -> None:
    _, _, texts = lists
    assert not [s for s in (OWN_A, OWN_B, TYPO, *NAMES) if s in texts]


def test_a_pupil_on_two_rosters_stays_with_the_school_whose_own_line_names_it() -> None:
    """X is on school A's roster (A's file, naming A) and in school C's file under the id of school B (a
    typo): both lines are current. A's own line wins, whatever the file names' order, and C sees nothing;
    Y, only in C's file under B's id, is on C's list (core tables and deliverers written by hand)."""
    c = "5000000003"
    con = duckdb.connect()
    for schema in ("core", "validation"):
        con.execute(f"create schema {schema}")
    con.execute(f"create table core.schools as select * from (values ('{A}', 'M'), ('{B}', 'B'), ('{c}', 'C')) "
                "t(school_id, municipality)")  # fmt: skip
    con.execute(
        "create table core.pupils as select * from (values "
        f"('a/skoleni.csv', 2, 'X', '{A}', '2025/2026', '8.a', 8, null::integer, 'F', null::date, null),"
        f"('z/skoleni.csv', 2, 'X', '{B}', '2025/2026', '8.c', 8, null::integer, 'F', null::date, null),"
        f"('z/skoleni.csv', 3, 'Y', '{B}', '2025/2026', '8.c', 8, null::integer, 'M', null::date, null)) "
        "t(source_file, source_line, pupil_id, school_id, school_year, class_raw, grade_level, course_year, gender, "
        "left_on, leaving_reason)"
    )
    con.execute(
        "create table core.plans (source_file varchar, source_line integer, pupil_id varchar, school_id varchar, "
        "plan_start date, plan_end date, project_code varchar, risk_factors varchar)"
    )
    con.execute(
        "create table core.grades as select date '2025-10-06' as date, p as pupil_id, 'score' as grade_kind, "
        "6 as grade_score, 'formative' as assessment_type from (values ('X'), ('Y')) t(p)"
    )
    con.execute("create table core.consultations as select date '2025-10-02' as date")
    con.execute(
        f"create table validation.file_deliverers as select * from (values ('a/skoleni.csv', '{A}', 'path'), "
        f"('z/skoleni.csv', '{c}', 'path')) t(source_file, school_id, found_by)"
    )
    scores = early_warning_marts(con, EarlyWarningSettings())["early_warning"]
    on_list = {r["pupil_id"]: (r["list_school_id"], r["source_file"]) for r in scores.iter_rows(named=True)}
    assert on_list == {"X": (A, "a/skoleni.csv"), "Y": (c, "z/skoleni.csv")}
