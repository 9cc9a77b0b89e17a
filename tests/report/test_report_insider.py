"""The respondent rule in the reports' support tables: a school that alone makes up a municipality's rows
knows them even where they are withheld (it delivered the consultations), so no table may let it subtract
its own figures from the published totals and get another municipality's withheld 1–4 pupil cell
("ALL − published − own"). The export's version is tests/export/test_export_insider.py."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.evaluate.stage import SQL_DIR as EVALUATE_SQL
from pipelines.report import queries as q
from pipelines.warehouse import load_sql

K = 5
# municipality -> its schools and pupils per school: Alpu's one school, Bērzu's 2 pupils (withheld), and
# Cīruļu's two schools. One year, semester, subject, role and mode, one consultation a pupil: every count
# is an exact sum, and Alpu (6) is the cheapest complement of Bērzu's withheld 2 against the `ALL` row.
SCHOOLS = {"Alpu novads": {"A1": 6}, "Bērzu novads": {"B1": 2}, "Cīruļu novads": {"C1": 10, "C2": 10}}

CONSULTATIONS_SQL = """
create schema core;
create schema marts;
create table core.consultations (
    project_code varchar, municipality varchar, school_year varchar, semester integer, subject varchar,
    staff_role varchar, mode varchar, pupil_id varchar, staff_id varchar, school_id varchar, minutes double
);
"""


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    c.execute(CONSULTATIONS_SQL)
    rows = [
        (
            "P1",
            municipality,
            "2024/2025",
            1,
            "mathematics",
            "teacher",
            "in_person",
            f"{school}-{i}",
            f"{school}-t",
            school,
            45.0,
        )
        for municipality, schools in SCHOOLS.items()
        for school, pupils in schools.items()
        for i in range(pupils)
    ]
    c.executemany("insert into core.consultations values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    c.execute(f"create table marts.support_cube as {load_sql(EVALUATE_SQL, 'support_cube')}")
    q.use_published(None)
    yield c
    q.use_published(None)
    c.close()


def solved(table: pd.DataFrame, column: str, known: np.ndarray, keys: list[str] = q.SUPPORT_KEYS) -> dict[tuple, str]:
    """Withheld cells an attacker gets from one equation (a margin = the sum of its cells along one key)
    where every other member is published or `known` to it."""
    value = dict(zip(table[keys].itertuples(index=False, name=None), table[column], strict=True))
    mine = dict(zip(table[keys].itertuples(index=False, name=None), known, strict=True))
    out = {}
    for i, dim in enumerate(keys):
        for key in value:
            if key[i] != "ALL":
                continue
            members = [m for m in value if m[i] != "ALL" and all(m[j] == key[j] for j in range(len(keys)) if j != i)]
            unknown = [m for m in [key, *members] if np.isnan(value[m]) and not mine[m]]
            if len(unknown) == 1 and members:
                out[unknown[0]] = dim
    return out


@pytest.mark.parametrize("insider", ["A1", "B1"])
def test_a_municipalitys_only_school_cannot_subtract_its_own_rows_from_the_support_tables(
    con: duckdb.DuckDBPyConnection, insider: str
) -> None:
    truth = dict(zip(q.SUPPORT_BREAKDOWNS, q.support_frames(con), strict=True))
    protected = q.protected_support(con, K)
    home = next(m for m, schools in SCHOOLS.items() if insider in schools)
    for breakdown, shown in protected.items():
        assert "sole_school_id" not in shown.columns  # used, never shown
        real = truth[breakdown]
        known = (real["municipality"] == home).to_numpy()  # its municipality's rows: its consultations alone
        for column in ("pupils", "consultations"):
            small = {
                key
                for key in solved(shown, column, known)
                if key[0] != home and 1 <= float(real.set_index(q.SUPPORT_KEYS).loc[key, "pupils"]) <= K - 1
            }
            assert not small, f"{insider} gets {breakdown} {column} of {sorted(small)} by subtraction"
    pupils = protected["subject"].set_index(q.SUPPORT_KEYS)["pupils"]
    assert np.isnan(pupils[("Bērzu novads", "ALL", "ALL", "ALL")])  # the 2 pupils stay withheld
    assert pupils[("ALL", "ALL", "ALL", "ALL")] == 28


def test_the_sole_school_of_each_support_row_comes_from_the_consultations(con: duckdb.DuckDBPyConnection) -> None:
    for frame in q.support_frames(con):
        sole = frame.set_index("municipality")["sole_school_id"]
        assert set(sole["Alpu novads"]) == {"A1"} and set(sole["Bērzu novads"]) == {"B1"}
        assert sole["Cīruļu novads"].isna().all() and sole["ALL"].isna().all()  # two schools or more


# --- the tables only the reports publish, keyed by school or municipality ---


def test_a_school_cannot_subtract_its_own_new_plans_from_its_municipalitys_total() -> None:
    """Plans per municipality × school × year: Rāznas 1 (3 new plans, withheld) and Rāznas 2 (12) are one
    municipality's schools. Rāznas 2 knows its own 12, so the municipality's 15 gives the other 3."""
    con = duckdb.connect()
    con.execute("create schema core")
    con.execute(
        "create table core.schools as select * from (values ('R1', 'Rāznas 1', 'Rāznas novads'), "
        "('R2', 'Rāznas 2', 'Rāznas novads'), ('S1', 'Saules', 'Saules novads')) "
        "t(school_id, school_name, municipality)"
    )
    con.execute(
        "create table core.plans as select school_id, '2024/2025' as school_year, school_id || '-' || i as pupil_id "
        "from (values ('R1', 3), ('R2', 12), ('S1', 20)) t(school_id, n), range(n) r(i)"
    )
    q.use_published(None)
    shown = q.protected_plans(con, K)
    assert "sole_school_id" not in shown.columns
    keys = list(q.PLANS_RECORD.keys)
    assert np.isnan(shown.set_index(keys).loc[("Rāznas novads", "Rāznas 1", "2024/2025"), "plans"])
    for insider in ("Rāznas 2", "Saules"):
        # its own rows; Saules, its municipality's only school, also the municipality's
        known = (shown["school_name"] == insider).to_numpy() | (
            (shown["municipality"] == "Saules novads").to_numpy() & (insider == "Saules")
        )
        found = [key for key in solved(shown, "plans", known, keys) if key[1] == "Rāznas 1"]
        assert not found, f"{insider} gets Rāznas 1's withheld plans from {found}"


def test_a_municipalitys_only_school_cannot_subtract_its_activity_pupils_from_the_programme_total() -> None:
    con = duckdb.connect()
    con.execute("create schema core")
    con.execute(
        "create table core.activity_participants (municipality varchar, school_year varchar, pupil_id varchar, "
        "school_id varchar)"
    )
    rows = [
        (municipality, "2024/2025", f"{school}-{i}", school)
        for municipality, schools in SCHOOLS.items()
        for school, pupils in schools.items()
        for i in range(pupils)
    ]
    con.executemany("insert into core.activity_participants values (?, ?, ?, ?)", rows)
    q.use_published(None)
    shown = q.programme_by_municipality(con, K)
    assert not {"activity_school", "financial_school"} & set(shown.columns)
    pupils = shown.set_index("municipality")["activity_pupils"]
    assert np.isnan(pupils["Bērzu novads"]) and pupils["ALL"] == 28
    known = (shown["municipality"] == "Alpu novads").to_numpy()  # Alpu's one school knows its pupils
    assert "Bērzu novads" not in [key[0] for key in solved(shown, "activity_pupils", known, ["municipality"])]


def test_a_municipalitys_only_school_cannot_subtract_its_sample_flow_from_the_total() -> None:
    """The flow (episodes → with a baseline → supported → matched) per municipality × year: Alpu's one
    school knows its supported pupils' episodes, so Alpu's row may not be Bērzu's only complement."""
    con = duckdb.connect()
    con.execute("create schema marts")
    flows = {"Alpu novads": (20, 18, 16, 12), "Bērzu novads": (9, 7, 5, 3), "Cīruļu novads": (40, 38, 36, 30)}
    flows["ALL"] = tuple(sum(v[i] for v in flows.values()) for i in range(4))
    rows = [("ALL", m, "ALL", y, *steps, False) for m, steps in flows.items() for y in ("2024/2025", "ALL")]
    con.execute(
        "create table marts.effectiveness_detail (project_code varchar, municipality varchar, subject varchar, "
        "school_year varchar, n_episodes int, n_with_baseline int, n_supported_total int, n_pupils int, "
        "suppressed boolean)"
    )
    con.executemany("insert into marts.effectiveness_detail values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute(
        "create table marts.episodes (pupil_id varchar, project_code varchar, municipality varchar, "
        "school_year varchar, subject varchar, school_id varchar)"
    )
    episodes = [
        (f"{school}-{i}", "P1", municipality, "2024/2025", "mathematics", school)
        for municipality, schools in SCHOOLS.items()
        for school, pupils in schools.items()
        for i in range(pupils)
    ]
    con.executemany("insert into marts.episodes values (?, ?, ?, ?, ?, ?)", episodes)
    q.use_published(None)
    shown = q.protected_flow(con, K)
    assert shown.set_index(["municipality", "school_year"])["pupils_withheld"][("Bērzu novads", "ALL")]
    known = (shown["municipality"] == "Alpu novads").to_numpy()
    for step in q.FLOW_STEPS:
        found = [key for key in solved(shown, step, known, ["municipality", "school_year"]) if key[0] == "Bērzu novads"]
        assert not found, f"Alpu's school gets Bērzu's {step} from {found}"
