"""The insider attack on risk_summary.csv: a school that is the only scored school of its municipality has
that municipality's cells exactly on its own early-warning list (one row per pupil, band and has_plan), so
it solves the margins with them filled in. The probe did this on the 3-school sample (ALL high − Madonas −
its own = Balvu's withheld 4). The support files' insider attack is in test_export_lp_audit.py.
"""

from __future__ import annotations

import pandas as pd
import pytest
from lp_attack import table_equations
from test_export_subgroups import effectiveness

from pipelines.export.stage import EMPTY_SUBGROUPS, protect_effectiveness, protect_risk_summary

K = 5


def risk_frame() -> pd.DataFrame:
    """risk_summary's cube for three municipalities of one school each (as in the probe's sample):
    ALL high 18 = A 10 + B 4 + C 4; the early-warning list gives each school its own row exactly."""
    cells = {  # municipality: (school, {band: (pupils, with plan)})
        "A": ("s1", {"high": (10, 8), "medium": (20, 9), "low": (30, 6)}),
        "B": ("s2", {"high": (4, 3), "medium": (15, 7), "low": (25, 2)}),
        "C": ("s3", {"high": (4, 2), "medium": (12, 6), "low": (40, 9)}),
    }
    rows = []
    for m, (school, bands) in cells.items():
        for band, (n, p) in bands.items():
            rows.append((m, band, n, p, school))
        rows.append((m, "ALL", sum(v[0] for v in bands.values()), sum(v[1] for v in bands.values()), school))
    for band in ("high", "medium", "low"):
        n = sum(c[1][band][0] for c in cells.values())
        p = sum(c[1][band][1] for c in cells.values())
        rows.append(("ALL", band, n, p, None))
    totals = [r for r in rows if r[0] != "ALL" and r[1] == "ALL"]
    rows.append(("ALL", "ALL", sum(r[2] for r in totals), sum(r[3] for r in totals), None))
    frame = pd.DataFrame(rows, columns=["municipality", "risk_band", "n_pupils", "n_with_plan", "sole_school_id"])
    frame.insert(1, "school_year", "2025/2026")
    frame.insert(2, "semester", "ALL")
    frame["share_with_plan"] = frame["n_with_plan"] / frame["n_pupils"]
    return frame


def substitution(frame: pd.DataFrame, column: str, known: set[str]) -> dict[tuple, float]:
    """Every withheld cell an insider pins by solving margins one unknown at a time, with the rows of
    the municipalities in `known` filled in from its own list."""
    keys = ["municipality", "risk_band"]
    rows = {tuple(r[keys]): r for _, r in frame.iterrows()}
    values = {k: (float(r[column]) if not pd.isna(r[column]) else None) for k, r in rows.items()}
    for key in values:
        if key[0] in known:
            values[key] = float(TRUTH[key][column])
    solved: dict[tuple, float] = {}
    changed = True
    while changed:
        changed = False
        for margin, members in table_equations(list(values)):
            group = [margin, *members]
            unknown = [k for k in group if values[k] is None]
            if len(unknown) == 1:
                u = unknown[0]
                rest = sum(values[k] for k in members if values[k] is not None)
                values[u] = values[margin] - rest if u != margin else rest
                solved[u] = values[u]
                changed = True
    return solved


TRUTH = {tuple(r[["municipality", "risk_band"]]): r for _, r in risk_frame().iterrows()}


@pytest.mark.parametrize("insider", ["A", "B", "C"])
def test_a_school_with_its_early_warning_list_cannot_solve_risk_summary(insider: str) -> None:
    out = protect_risk_summary(risk_frame(), K)
    for column in ("n_pupils", "n_with_plan"):
        solved = substitution(out[out["school_year"] == "2025/2026"], column, {insider})
        small = {
            key: value
            for key, value in solved.items()
            if key[0] != insider and (1 <= float(TRUTH[key]["n_pupils"]) <= K - 1 or 1 <= value <= K - 1)
        }
        assert not small, f"school of {insider} solves {column}: {small}"
    assert "sole_school_id" not in out.columns  # used, never published


def test_a_municipalitys_only_school_cannot_subtract_its_supported_pupils_from_effectiveness() -> None:
    """effectiveness.csv: n_supported_total counts a cell's supported pupils, which the school that alone
    supported them knows. Three municipalities of one school each; B's 3 supported pupils are withheld, with
    C as the complement. Without the respondent rule, C's school (knowing its own 28) gets B as ALL − A − C."""
    rows = {"A": (40, 120, 40), "B": (3, 10, 3), "C": (28, 90, 28), "ALL": (71, 220, 71)}
    frame = effectiveness({m: (n, c) for m, (n, c, _) in rows.items()})
    frame = frame.assign(project_code="P1", municipality=list(rows))
    frame["n_supported_total"] = [float(t) for _, _, t in rows.values()]
    frame["sole_school_id"] = ["sA", "sB", "sC", None]
    out, _ = protect_effectiveness(frame, K, EMPTY_SUBGROUPS)
    assert "sole_school_id" not in out.columns
    shown = dict(zip(out["municipality"], out["n_supported_total"], strict=True))
    assert pd.isna(shown["B"])
    for insider, own in (("A", 40.0), ("C", 28.0)):
        known = {**shown, insider: own}
        unknown = [m for m, v in known.items() if pd.isna(v)]
        assert len(unknown) != 1 or unknown == ["ALL"], f"the school of {insider} solves {unknown[0]}"
