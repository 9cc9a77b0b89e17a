"""`risk_summary.csv`: the early-warning scores as protected counts, attacked with an LP of our own."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from export_checks import ALL, assert_additive, assert_protected, build_support_cube
from scipy.optimize import linprog
from test_export_stage import read, risk_scores

from pipelines.changes import record_exports
from pipelines.config import ExportSettings, Settings
from pipelines.disclosure import sort_rows
from pipelines.export.files import csv_bytes, formatted_rows
from pipelines.export.stage import load_risk_summary, protect_risk_summary, run_export
from pipelines.export.tables import RISK_SUMMARY
from pipelines.warehouse import connect

KEYS = list(RISK_SUMMARY.keys)


def lp_intervals(published: pd.DataFrame, column: str, only: set[int] | None = None) -> dict[int, tuple[float, float]]:
    """Smallest and largest value of every withheld cell of `column` (of the rows `only`, default all)
    consistent with everything published: every margin is the exact sum of its cells (each pupil is in
    one cell), n_with_plan ≤ n_pupils, ≥ 0."""
    frame = published.reset_index(drop=True)
    both = ["n_pupils", "n_with_plan"]
    unknown = [(c, i) for c in both for i in frame.index if pd.isna(frame.at[i, c])]
    index = {u: j for j, u in enumerate(unknown)}
    eq_rows, eq_rhs = [], []
    keys = [tuple(r) for r in frame[KEYS].astype(str).itertuples(index=False)]
    where = {key: i for i, key in enumerate(keys)}
    for c in both:
        for d in range(len(KEYS)):
            for i, key in enumerate(keys):
                if key[d] != ALL:
                    continue
                members = [j for j, other in enumerate(keys) if other[d] != ALL and
                           all(other[e] == key[e] for e in range(len(KEYS)) if e != d)]  # fmt: skip
                if not members:
                    continue
                row, rhs = np.zeros(len(unknown)), 0.0
                for j, sign in [(i, -1.0), *((m, 1.0) for m in members)]:
                    value = frame.at[j, c]
                    if pd.isna(value):
                        row[index[(c, j)]] += sign
                    else:
                        rhs -= sign * float(value)
                if row.any():
                    eq_rows.append(row)
                    eq_rhs.append(rhs)
    ub_rows, ub_rhs = [], []
    for i in frame.index:  # n_with_plan - n_pupils <= 0
        row, rhs = np.zeros(len(unknown)), 0.0
        for c, sign in (("n_with_plan", 1.0), ("n_pupils", -1.0)):
            if pd.isna(frame.at[i, c]):
                row[index[(c, i)]] += sign
            else:
                rhs -= sign * float(frame.at[i, c])
        if row.any():
            ub_rows.append(row)
            ub_rhs.append(rhs)
    out = {}
    for (c, i), j in index.items():
        if c != column or (only is not None and i not in only):
            continue
        bounds = []
        for sense in (1.0, -1.0):
            goal = np.zeros(len(unknown))
            goal[j] = sense
            res = linprog(goal, A_ub=np.array(ub_rows) if ub_rows else None, b_ub=ub_rhs or None,
                          A_eq=np.array(eq_rows) if eq_rows else None, b_eq=eq_rhs or None,
                          bounds=[(0, None)] * len(unknown), method="highs")  # fmt: skip
            assert res.status in (0, 3)  # 3: unbounded (a cycle of withheld margins), as wide as can be
            bounds.append(sense * res.fun if res.status == 0 else -sense * np.inf)
        out[i] = (bounds[0], bounds[1])
    assert where  # keys were read
    return out


def test_risk_summary_is_protected_and_survives_an_lp_attack(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    con.register("s", risk_scores())
    con.execute("create table marts.early_warning as select * from s")
    truth = sort_rows(load_risk_summary(con), KEYS)
    con.close()
    path = tmp_path / "risk_summary.csv"  # as the export stage writes it
    path.write_bytes(csv_bytes(formatted_rows(protect_risk_summary(truth, 5), RISK_SUMMARY), RISK_SUMMARY))
    published = read(path)
    assert list(published.columns) == RISK_SUMMARY.column_names
    assert truth["n_pupils"].between(1, 4).any()  # the fixture really has small cells
    for column in RISK_SUMMARY.counts:
        assert_protected(published, KEYS, column, 5)
        assert_additive(truth, published, KEYS, column)
    numeric = published.copy()
    for column in ("n_pupils", "n_with_plan"):
        numeric[column] = pd.to_numeric(numeric[column])
    true = truth.set_index(KEYS)
    for column in ("n_pupils", "n_with_plan"):
        for i, (low, high) in lp_intervals(numeric, column).items():
            key = tuple(published.loc[i, KEYS])
            value = float(true.loc[key, column])
            if 1 <= true.loc[key, "n_pupils"] <= 4 or 1 <= value <= 4:
                assert high - low >= max(3.0, 0.2 * value) - 1e-6, (column, key, low, high, value)
    total = published[(published[KEYS] == ALL).all(axis=1)].iloc[0]
    assert int(total["n_pupils"]) == 209 and total["suppressed"] == "false"


def cube(cells: dict[tuple[str, str], tuple[int, int]]) -> pd.DataFrame:
    """municipality × risk band cells (n_pupils, n_with_plan), one year and semester, with `ALL` margins."""
    rows = []
    for (municipality, band), (n, with_plan) in cells.items():
        for m in (municipality, ALL):
            for b in (band, ALL):
                rows.append((m, "2025/2026", "1", b, n, with_plan))
    frame = pd.DataFrame(rows, columns=[*KEYS, "n_pupils", "n_with_plan"])
    frame = frame.groupby(KEYS, as_index=False).sum()
    for column in ("school_year", "semester"):  # one year and semester: their ALL rows repeat the cells
        frame = pd.concat([frame, frame.assign(**{column: ALL})], ignore_index=True)
    frame = frame.drop_duplicates(KEYS)
    frame["share_with_plan"] = (frame["n_with_plan"] / frame["n_pupils"]).round(3)
    return frame


def test_a_few_pupils_without_a_plan_are_not_published_as_a_difference() -> None:
    """12 high-risk pupils, 10 with a plan: publishing both would say "2 without a plan". The LP attack
    then still finds a range of at least 3 for the pupils without a plan in that cell."""
    cells = {(m, b): (n, p) for m, b, n, p in [
        ("A", "high", 12, 10), ("A", "medium", 30, 6), ("A", "low", 200, 5),
        ("B", "high", 15, 7), ("B", "medium", 40, 9), ("B", "low", 300, 8),
    ]}  # fmt: skip
    out = protect_risk_summary(cube(cells), 5)
    row = out[(out["municipality"] == "A") & (out["risk_band"] == "high") & (out["school_year"] != ALL)]
    row = row[row["semester"] != ALL].iloc[0]
    assert pd.isna(row["n_with_plan"]) and pd.isna(row["share_with_plan"])
    numeric = out.drop(columns="suppressed").reset_index(drop=True)
    i = numeric.index[(numeric[KEYS] == row[KEYS]).all(axis=1)][0]
    low, high = lp_intervals(numeric, "n_with_plan")[i]
    assert high - low >= 3 - 1e-6  # so n_pupils − n_with_plan (2) is not pinned either


def september_scores(year: str, as_of: str, sizes: dict[str, int], plans: bool) -> pd.DataFrame:
    """marts.early_warning for municipalities of `sizes` pupils: a few medium and high-risk pupils each,
    a third with a plan, or none at all (a new school year's first weeks)."""
    rows = [
        (f"{m}{i:03d}", m, year, "medium" if i % 40 == 1 else "high" if i % 50 == 3 else "low", plans and i % 3 == 0)
        for m, n in sizes.items()
        for i in range(n)
    ]
    frame = pd.DataFrame(rows, columns=["pupil_id", "municipality", "school_year", "risk_band", "has_plan"])
    return frame.assign(as_of=pd.Timestamp(as_of), school_id=frame["municipality"] + "-school").assign(
        list_school_id=lambda f: f["school_id"]
    )


def test_a_september_run_with_one_municipalitys_new_roster_withholds_more_instead_of_failing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Probe F4: in September one municipality's pupils are scored on the new school year's roster, where
    nobody has a plan yet. The published 0 with-plan totals pinned the withheld 0 beside a 1-pupil cell
    and no non-zero complement was left: the export stopped with an AssertionError every month. Now it
    withholds more (fallback_cells), logs one line, and the LP attack finds every small cell protected."""
    settings = replace(Settings(out_dir=tmp_path / "out"), export=ExportSettings(k=5))
    con = connect(tmp_path / "w.duckdb")
    consultations = pd.DataFrame(
        {
            "date": pd.to_datetime("2025-10-01").date(),
            "school_year": "2025/2026",
            "semester": 1,
            "pupil_id": [f"c{i:03d}" for i in range(30)],
            "school_id": "9000000001",
            "municipality": "A",
            "staff_id": "s1",
            "staff_role": "teacher",
            "subject": "mathematics",
            "minutes": 45.0,
            "mode": "in_person",
            "group_size": None,
            "project_code": "PA",
        }
    )
    con.register("c", consultations)
    con.execute("create table core.consultations as select * from c")
    build_support_cube(con)
    june = september_scores("2025/2026", "2026-05-29", {"A": 100, "B": 123, "C": 60}, plans=True)
    con.register("june", june)
    con.execute("create table marts.early_warning as select * from june")
    run_export(con, settings, "20260601T000000-run1")
    record_exports(settings.exports_dir, settings.history_dir, "20260601T000000-run1")

    new_year = september_scores("2026/2027", "2026-09-20", {"A": 100}, plans=False)
    september = pd.concat([new_year, june[june["municipality"] != "A"].assign(as_of=new_year["as_of"].iloc[0])])
    con.register("september", september)
    con.execute("create or replace table marts.early_warning as select * from september")
    truth = sort_rows(load_risk_summary(con), KEYS)
    with caplog.at_level(logging.WARNING, logger="atbalsts.export"):
        run_export(con, settings, "20260921T000000-run2")
    con.close()
    assert any("cannot be protected by complementary cells" in r.getMessage() for r in caplog.records)
    published = read(settings.exports_dir / "risk_summary.csv")
    numeric = published.copy()
    for column in ("n_pupils", "n_with_plan"):
        numeric[column] = pd.to_numeric(numeric[column])
    true = truth.set_index(KEYS)
    rows = true.loc[[tuple(key) for key in published[KEYS].itertuples(index=False)]].reset_index()
    few = set(np.flatnonzero(rows["n_pupils"].between(1, 4) | rows["n_with_plan"].between(1, 4)).tolist())
    assert few and (numeric["school_year"] == "2026/2027").any()
    for column in ("n_pupils", "n_with_plan"):
        for i, (low, high) in lp_intervals(numeric, column, few).items():
            value = float(rows.loc[i, column])
            assert high - low >= max(3.0, 0.2 * value) - 1e-6, (column, i, low, high, value)
