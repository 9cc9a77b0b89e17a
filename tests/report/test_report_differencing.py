"""Every report together: a figure withheld in one report must not follow by subtraction from what
the overview, the other municipalities' reports and the one-year reports publish (the support
tables, the plans by school, the pupils per risk band, the headline's sample flow and the pupils
behind each effect estimate)."""

from __future__ import annotations

import math
from collections import defaultdict

import duckdb
import pandas as pd
from report_fixtures import SMALL_MUNICIPALITY

from pipelines.report import queries as q

K = 5
ALL = "ALL"
BREAKDOWNS = {"subject": q.support_by_subject, "staff_role": q.staff_by_role}


def _value(x: float) -> float | None:
    return None if pd.isna(x) else float(x)


def published(con: duckdb.DuckDBPyConnection) -> dict[tuple, set]:
    """Pupil counts each report shows (the overview, every municipality; all years and each year), by cell:
    ("subject" | "staff_role" | "mode", municipality, school year, semester, level),
    ("plans", municipality, school, school year), ("risk", municipality, risk band) or
    ("effect", project, municipality, subject, school year), (flow step, municipality, school year).
    None: withheld."""
    cells: dict[tuple, set] = defaultdict(set)
    for year in [None, *q.school_years(con)]:

        def y(value: str, year: str | None = year) -> str:
            return year if year and value == ALL else value

        for m in [None, *q.municipalities(con)]:
            muni = m or ALL
            tot = q.support_totals(con, K, m, year).iloc[0]
            for b in (*BREAKDOWNS, "mode"):
                cells[(b, muni, y(ALL), ALL, ALL)].add(_value(tot["pupils"]))
            cells[("plans", muni, ALL, y(ALL))].add(_value(tot["plans"]))
            for r in q.support_by_semester(con, K, m, year).itertuples():
                for b in (*BREAKDOWNS, "mode"):
                    cells[(b, muni, y(r.school_year), r.semester, ALL)].add(_value(r.pupils))
            for b, query in BREAKDOWNS.items():
                for level, pupils in query(con, K, m, year)[[b, "pupils"]].itertuples(index=False):
                    cells[(b, muni, y(ALL), ALL, level)].add(_value(pupils))
            for r in q.support_by_mode(con, K, m, year).itertuples():
                cells[("mode", muni, y(r.school_year), r.semester, r.mode)].add(_value(r.pupils))
            for r in q.plans_by_school(con, K, m, year).itertuples():
                cells[("plans", muni, r.school_name, y(r.school_year))].add(_value(r.plans))
            if year is None:  # the latest data date: no year filter
                for r in q.risk_coverage(con, K, m).itertuples():
                    cells[("risk", muni, r.risk_band)].add(_value(r.n_pupils))
            diag = q.design_diagnostics(con, K, m, year)
            for step in q.FLOW_STEPS if diag else ():
                cells[(step, muni, year or ALL)].add(_value(diag[step] if diag[step] is not None else math.nan))
            for by in ("overall", "project", "subject", "municipality"):
                for r in q.effectiveness(con, K, by, m, year).itertuples():
                    key = ("effect", r.project_code, r.municipality, r.subject, r.school_year)
                    cells[key].add(_value(r.n_pupils))
    return cells


PLANS_CUBE = """
select coalesce(municipality, 'ALL'), coalesce(school_name, 'ALL'), coalesce(school_year, 'ALL'),
       count(distinct pupil_id)
from core.plans join core.schools using (school_id)
group by cube (municipality, school_name, school_year)
"""


def universe(con: duckdb.DuckDBPyConnection) -> dict[tuple, float]:
    """Every cell of the tables the reports slice, with its true pupil count."""
    cube = con.execute(
        "select breakdown, municipality, school_year, semester, level, n_pupils_supported "
        "from marts.support_cube where project_code = 'ALL' and breakdown in ('subject', 'staff_role', 'mode')"
    ).fetchall()
    label = {"none": "NONE", "unknown": "NONE"}
    out = {(b, m, label.get(y, y), label.get(s, s), label.get(v, v)): float(n) for b, m, y, s, v, n in cube}
    plans = con.execute(PLANS_CUBE).fetchall()
    for m, school, year, n in plans:
        out[("plans", m, school, year)] = float(n)
    risk = con.execute(
        "select coalesce(municipality, 'ALL'), coalesce(risk_band, 'ALL'), count(*) "
        "from marts.early_warning group by cube (municipality, risk_band)"
    )
    for m, band, n in risk.fetchall():
        out[("risk", m, band)] = float(n)
    flow = con.execute(
        f"select municipality, school_year, {', '.join(q.FLOW_STEPS)} from marts.effectiveness_detail "
        "where project_code = 'ALL' and subject = 'ALL'"
    )
    for m, year, *counts in flow.fetchall():
        for step, n in zip(q.FLOW_STEPS, counts, strict=True):
            out[(step, m, year)] = math.nan if n is None else float(n)
    effect = con.execute("select project_code, municipality, subject, school_year, n_pupils from marts.effectiveness")
    for project, m, subject, year, n in effect.fetchall():
        out[("effect", project, m, subject, year)] = math.nan if n is None else float(n)
    return out


def recovered(truth: dict[tuple, float], known: set[tuple]) -> set[tuple]:
    """What an attacker learns solving the margin equations one unknown at a time (margin = sum of
    its cells, along each key), until nothing more follows."""
    known = set(known)
    groups: dict[tuple, list[tuple]] = defaultdict(list)
    for key in truth:
        for d in range(1, len(key)):
            groups[(d, *key[:d], "*", *key[d + 1 :])].append(key)
    changed = True
    while changed:
        changed = False
        for (d, *_), members in groups.items():
            margin = next((c for c in members if c[d] == ALL), None)
            if margin is None or len(members) < 2:
                continue
            unknown = [c for c in members if c not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                changed = True
    return known


def test_no_report_figure_follows_from_the_others(con: duckdb.DuckDBPyConnection) -> None:
    cells = published(con)
    truth = universe(con)
    # The same cell reads alike in every report, and what is shown is the true count.
    for key, values in cells.items():
        assert len(values) == 1, (key, values)
    shown = {key for key, values in cells.items() if None not in values}
    for key in shown:
        assert next(iter(cells[key])) == truth.get(key, 0.0), key
    withheld = {key for key, values in cells.items() if None in values}
    assert ("subject", SMALL_MUNICIPALITY, ALL, ALL, ALL) in withheld  # the 3 pupils of Ludzas novads
    assert ("plans", SMALL_MUNICIPALITY, ALL, ALL) in withheld
    assert ("effect", ALL, SMALL_MUNICIPALITY, ALL, ALL) in withheld  # withheld by evaluate
    learnt = recovered(truth, {key for key in shown if key in truth} | (shown - truth.keys()))
    assert not (withheld & learnt), sorted(withheld & learnt)[:5]
    small = {key for key, n in truth.items() if 1 <= n < K}
    assert not (small & learnt), sorted(small & learnt)[:5]
