"""pipelines/effect_schools.py: one lookup of an effect cell's sole school for export and report."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.effect_schools import effect_schools

EPISODES = [  # project, municipality, school year, subject, school
    ("P1", "Balvu", "2024-2025", "Matemātika", "S1"),
    ("P1", None, "2024-2025", "Matemātika", "S2"),  # a school with no municipality in the registry
    ("P1", "Madonas", "2024-2025", "Angļu valoda", "S3"),
    ("P1", "Madonas", "2024-2025", "Angļu valoda", "S4"),
]


def _warehouse(with_marts: bool = True) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema marts")
    if with_marts:
        con.execute(
            "create table marts.episodes (project_code varchar, municipality varchar, school_year varchar,"
            " subject varchar, school_id varchar)"
        )
        con.executemany("insert into marts.episodes values (?, ?, ?, ?, ?)", EPISODES)
        con.execute("create table marts.evaluation_sample as select *, true as treated from marts.episodes where false")
    return con


def _cells(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["project_code", "municipality", "subject", "school_year"])


def test_each_cell_gets_the_one_school_whose_supported_pupils_make_it_up() -> None:
    frame = _cells(
        ("P1", "Balvu", "Matemātika", "2024-2025"),
        ("P1", "Madonas", "Angļu valoda", "2024-2025"),  # two schools: nobody knows the cell alone
        ("P1", "ALL", "ALL", "ALL"),
        ("P1", "Balvu", "ALL", "ALL"),
    )
    assert list(effect_schools(_warehouse(), frame)) == ["S1", None, None, "S1"]


def test_a_null_key_matches_the_null_cell_and_never_a_named_one() -> None:
    frame = _cells(("P1", None, "Matemātika", "2024-2025"), ("P1", "None", "Matemātika", "2024-2025"))
    assert list(effect_schools(_warehouse(), frame)) == ["S2", None]


def test_fixed_keys_select_the_margin_a_table_without_them_shows() -> None:
    flow = pd.DataFrame({"municipality": ["Balvu", "Madonas"], "school_year": ["2024-2025", "2024-2025"]})
    owners = effect_schools(_warehouse(), flow, {"project_code": "ALL", "subject": "ALL"})
    assert list(owners) == ["S1", None]


def test_before_evaluate_no_cell_has_an_owner() -> None:
    assert list(effect_schools(_warehouse(with_marts=False), _cells(("P1", "Balvu", "ALL", "ALL")))) == [None]
