"""esf_indicators.csv's enrolled share and the leavers it implies (probe4 F1): share × published pupils is
an exact leaver count, so the leavers are protected as a count of their own table."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from pipelines.disclosure import ALL
from pipelines.export.programme import protect_supported

YEAR = "2025/2026"
# project: (supported pupils, still enrolled at the year's end); every supported pupil is on a roster.
# As in the probe's sample: 0, 3 and 5 leavers; together 8 (the projects share pupils).
PROJECTS = {"P1": (22, 22), "P2": (60, 57), "P3": (131, 126)}
TOTAL = (179, 171)


def supported_cube() -> pd.DataFrame:
    """The supported cube (supported_cube.sql) of one municipality and one school year, `ALL` margins."""
    rows = []
    for project, (n, stayed) in [*PROJECTS.items(), (ALL, TOTAL)]:
        for municipality in ("M", ALL):
            for year in (YEAR, ALL):
                rows.append((project, municipality, year, n, 1, 1, 10.0 * n, n, stayed, n - stayed))
    columns = ["project_code", "municipality", "school_year", "n_pupils_any", "n_schools", "n_municipalities"]
    return pd.DataFrame(
        rows, columns=[*columns, "support_hours", "n_on_roster", "n_enrolled_at_end", "n_left_year_end"]
    )


def leavers_known(row: pd.Series) -> float:
    """What a reader of one esf_indicators row knows of its leavers: the count, or pupils × (1 − share)."""
    if "n_left_year_end" in row and pd.notna(row["n_left_year_end"]):
        return float(row["n_left_year_end"])
    if pd.notna(row["share_enrolled_year_end"]) and pd.notna(row["n_pupils_any"]):
        return float(round(row["n_pupils_any"] * (1 - row["share_enrolled_year_end"])))
    return np.nan


def test_a_withheld_leaver_count_is_not_pinned_by_the_other_projects_and_the_total() -> None:
    """P2's 3 leavers were withheld only as its share, while P1 (0), P3 (5) and ALL (8) stayed published:
    ALL ≤ P1 + P2 + P3 gave P2 ≥ 3, the blank said ≤ 4. Now the leavers get complementary cells, and an LP
    over what the file publishes (ALL between the largest project and the sum of projects) leaves every
    withheld leaver count of 1..4 a range of at least 3."""
    out = protect_supported(supported_cube(), 5)
    esf = out[(out["municipality"] == ALL) & (out["school_year"] == YEAR)].set_index("project_code")
    assert pd.isna(esf.loc["P2", "share_enrolled_year_end"])
    known = {p: leavers_known(esf.loc[p]) for p in [*PROJECTS, ALL]}
    unknown = [p for p, v in known.items() if np.isnan(v)]
    truth = {p: n - stayed for p, (n, stayed) in [*PROJECTS.items(), (ALL, TOTAL)]}
    assert all(0 <= known[p] == truth[p] for p in known if p not in unknown)
    # On its own, a blank beside published pupils says 1..4 leavers (or stayers): P2 ∈ {3, 4} by one subtraction.
    assert len(unknown) >= 2, unknown

    def term(p: str) -> tuple[np.ndarray, float]:
        row = np.zeros(len(unknown))
        if p in unknown:
            row[unknown.index(p)] = 1.0
            return row, 0.0
        return row, known[p]

    a_ub, b_ub = [], []
    total, total_const = term(ALL)
    rows = [term(p) for p in PROJECTS]
    a_ub.append(total - sum(r for r, _ in rows))  # ALL ≤ Σ projects
    b_ub.append(sum(c for _, c in rows) - total_const)
    for r, c in rows:  # each project ≤ ALL
        a_ub.append(r - total)
        b_ub.append(total_const - c)
    bounds = [(1 if truth[p] >= 1 else 0, PROJECTS[p][0] if p in PROJECTS else TOTAL[0]) for p in unknown]
    for p in unknown:
        if not 1 <= truth[p] <= 4:
            continue
        goal = np.zeros(len(unknown))
        goal[unknown.index(p)] = 1.0
        low = linprog(goal, A_ub=np.array(a_ub), b_ub=b_ub, bounds=bounds, method="highs")
        high = linprog(-goal, A_ub=np.array(a_ub), b_ub=b_ub, bounds=bounds, method="highs")
        assert low.status == 0 and high.status == 0
        width = np.floor(-high.fun + 1e-6) - np.ceil(low.fun - 1e-6)
        assert width >= 3, (p, low.fun, -high.fun)


def test_few_pupils_staying_withholds_the_leavers_and_the_share() -> None:
    """2 of 40 supported pupils stayed: 38 leavers published beside 40 pupils would say so."""
    cube = supported_cube()
    p1 = cube["project_code"] == "P1"
    cube.loc[p1, "n_pupils_any"] = cube.loc[p1, "n_on_roster"] = 40
    cube.loc[p1, "n_enrolled_at_end"] = 2
    cube.loc[p1, "n_left_year_end"] = 38
    out = protect_supported(cube, 5)
    row = out[p1.to_numpy() & (out["municipality"] == ALL).to_numpy() & (out["school_year"] == YEAR).to_numpy()]
    assert row["n_left_year_end"].isna().all() and row["share_enrolled_year_end"].isna().all()
