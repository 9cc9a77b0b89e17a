"""An attacker's linear program over the published CSV files, written independently of the module.

It reads the files back from disk, as anyone holding them would, treats every blank count as an
unknown, and asks scipy's HiGHS for the smallest and largest value of each unknown that is
consistent with every published figure: each margin equals the sum of its cells along every key
(for exact sums) or lies between the largest cell and the sum of the cells (for distinct counts),
the rows shared by several files are one unknown, and a withheld count is at least 1 (zeros are
published) and, for records, at least the published number of pupils in the row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

ALL = "ALL"
BASE = ("project_code", "municipality", "school_year", "semester")
SUPPORT_FILES = (
    ("support_summary.csv", None),
    ("support_by_subject.csv", "subject"),
    ("support_by_role.csv", "staff_role"),
)


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def support_cells(exports: Path) -> dict[tuple, dict[str, str]]:
    """Every published row of the three support files, one entry per distinct cell.

    A row with the breakdown at ALL is the same cell as the summary row with the same keys.
    """
    cells: dict[tuple, dict[str, str]] = {}
    for name, breakdown in SUPPORT_FILES:
        for row in read(exports / name).to_dict("records"):
            value = row.get(breakdown, ALL) if breakdown else ALL
            key = (*(row[k] for k in BASE), breakdown if value != ALL else None, value)
            if key in cells:
                assert all(cells[key][c] == row[c] for c in cells[key] if c in row), f"files disagree on {key}"
            cells[key] = row
    return cells


def equations(keys: Sequence[tuple]) -> list[tuple[tuple, list[tuple]]]:
    """(margin, cells) along each position of the key: the cells differ from the margin only there."""
    present = set(keys)
    out: list[tuple[tuple, list[tuple]]] = []
    for d in range(len(BASE)):
        members: dict[tuple, list[tuple]] = defaultdict(list)
        for key in keys:
            if key[d] != ALL:
                members[(*key[:d], ALL, *key[d + 1 :])].append(key)
        out += [(margin, cells) for margin, cells in members.items() if margin in present]
    by_kind: dict[tuple, list[tuple]] = defaultdict(list)  # one equation per breakdown file
    for key in keys:
        if key[4] is not None:
            by_kind[(*key[:4], key[4])].append(key)
    out += [((*kind[:4], None, ALL), cells) for kind, cells in by_kind.items() if (*kind[:4], None, ALL) in present]
    return out


def support_intervals(
    exports: Path,
    column: str,
    exact: bool,
    wanted: Callable[[tuple], bool] = lambda key: True,
    known: dict[tuple, float] | None = None,
    additive: Callable[[tuple, list[tuple]], bool] = lambda margin, members: False,
) -> pd.DataFrame:
    """The attacker's [low, high] for every withheld `column` cell of the support files (only the
    `wanted` ones are solved for; every withheld cell stays an unknown of the system). `known`: cells
    the attacker knows exactly although they are withheld (an insider: a school's own cells).
    `additive`: equations of a distinct count the attacker takes as exact sums (pupils add up along
    municipality: a pupil is in one unless she moved)."""
    cells = support_cells(exports)
    known = known or {}
    for key, value in known.items():
        if key in cells:
            cells[key] = {**cells[key], column: repr(float(value))}
    keys = list(cells)
    unknown = [key for key in keys if cells[key][column] == ""]
    index = {key: i for i, key in enumerate(unknown)}
    lower = []
    for key in unknown:
        pupils = cells[key]["n_pupils_supported"]
        floor = 1.0
        if column == "n_consultations" and pupils != "":
            floor = max(floor, float(pupils))
        lower.append(floor)
    eq_rows, eq_rhs, ub_rows, ub_rhs = [], [], [], []

    def term(key: tuple) -> tuple[dict[int, float], float]:
        text = cells[key][column]
        return ({}, float(text)) if text != "" else ({index[key]: 1.0}, 0.0)

    for margin, members in equations(keys):
        m_coef, m_const = term(margin)
        total: dict[int, float] = {}
        const = 0.0
        for member in members:
            coef, value = term(member)
            for i, a in coef.items():
                total[i] = total.get(i, 0.0) + a
            const += value
        if exact or additive(margin, members):  # margin = sum of cells
            row = dict(total)
            for i, a in m_coef.items():
                row[i] = row.get(i, 0.0) - a
            if row:
                eq_rows.append(row)
                eq_rhs.append(m_const - const)
        else:  # every cell <= margin <= sum of cells
            row = {i: -a for i, a in total.items()}
            for i, a in m_coef.items():
                row[i] = row.get(i, 0.0) + a
            if row:
                ub_rows.append(row)
                ub_rhs.append(const - m_const)
            for member in members:
                coef, value = term(member)
                row = dict(coef)
                for i, a in m_coef.items():
                    row[i] = row.get(i, 0.0) - a
                if row:
                    ub_rows.append(row)
                    ub_rhs.append(m_const - value)
    return _solve(unknown, lower, eq_rows, eq_rhs, ub_rows, ub_rhs, wanted)


def _matrix(rows: list[dict[int, float]], n: int):
    if not rows:
        return None
    r = [i for i, row in enumerate(rows) for _ in row]
    c = [j for row in rows for j in row]
    v = [a for row in rows for a in row.values()]
    return coo_matrix((v, (r, c)), shape=(len(rows), n)).tocsr()


def _solve(unknown, lower, eq_rows, eq_rhs, ub_rows, ub_rhs, wanted) -> pd.DataFrame:
    n = len(unknown)
    a_eq, a_ub = _matrix(eq_rows, n), _matrix(ub_rows, n)
    b_eq = np.array(eq_rhs) if eq_rows else None
    b_ub = np.array(ub_rhs) if ub_rows else None
    bounds = [(lo, None) for lo in lower]
    out = []
    for i, key in enumerate(unknown):
        if not wanted(key):
            continue
        limits = []
        for sign in (1.0, -1.0):
            c = np.zeros(n)
            c[i] = sign
            res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            if res.status == 3:
                limits.append(np.inf * -sign)
            else:
                assert res.status == 0, res.message
                limits.append(sign * res.fun)
        out.append((key, limits[0], limits[1]))
    return pd.DataFrame(out, columns=["key", "low", "high"])


def protection(true_value: float) -> float:
    """The required width of a withheld cell's interval: the larger of 3 and 20 % of its value."""
    return max(3.0, 0.2 * true_value)


def table_equations(keys: Sequence[tuple]) -> list[tuple[tuple, list[tuple]]]:
    """(margin, cells) along each key of one table: the cells differ from the margin only there."""
    present = set(keys)
    out: list[tuple[tuple, list[tuple]]] = []
    for d in range(len(keys[0]) if keys else 0):
        members: dict[tuple, list[tuple]] = defaultdict(list)
        for key in keys:
            if key[d] != ALL:
                members[(*key[:d], ALL, *key[d + 1 :])].append(key)
        out += [(margin, cells) for margin, cells in members.items() if margin in present]
    return out


def _value(text) -> float | None:
    if text is None or pd.isna(text) or text == "":
        return None
    return float(text)


def table_intervals(
    frame: pd.DataFrame, keys: Sequence[str], column: str, exact: bool, floor: str | None = None, lowest: float = 0.0
) -> dict[tuple, tuple[float, float]]:
    """[low, high] of every cell of `column` in one published table: a published cell is its value; a
    blank one is an unknown, at least `lowest` and the row's published `floor` column, with every margin
    the sum of its cells (`exact`) or between the largest cell and their sum (distinct counts)."""
    rows = {tuple(str(v) for v in r[list(keys)]): r for _, r in frame.iterrows()}
    unknown = [key for key, r in rows.items() if _value(r[column]) is None]
    index = {key: i for i, key in enumerate(unknown)}
    lower = []
    for key in unknown:
        bound = _value(rows[key][floor]) if floor else None
        lower.append(max(lowest, bound if bound is not None else lowest))

    def term(key: tuple) -> tuple[dict[int, float], float]:
        value = _value(rows[key][column])
        return ({}, value) if value is not None else ({index[key]: 1.0}, 0.0)

    eq_rows, eq_rhs, ub_rows, ub_rhs = [], [], [], []
    for margin, members in table_equations(list(rows)):
        m_coef, m_const = term(margin)
        total: dict[int, float] = {}
        const = 0.0
        for member in members:
            coef, value = term(member)
            for i, a in coef.items():
                total[i] = total.get(i, 0.0) + a
            const += value
        if exact:
            row = dict(total)
            for i, a in m_coef.items():
                row[i] = row.get(i, 0.0) - a
            if row:
                eq_rows.append(row)
                eq_rhs.append(m_const - const)
            continue
        row = {i: -a for i, a in total.items()}
        for i, a in m_coef.items():
            row[i] = row.get(i, 0.0) + a
        if row:
            ub_rows.append(row)
            ub_rhs.append(const - m_const)
        for member in members:
            coef, value = term(member)
            row = dict(coef)
            for i, a in m_coef.items():
                row[i] = row.get(i, 0.0) - a
            if row:
                ub_rows.append(row)
                ub_rhs.append(m_const - value)
    solved = _solve(unknown, lower, eq_rows, eq_rhs, ub_rows, ub_rhs, lambda key: True)
    out = {key: (_value(r[column]), _value(r[column])) for key, r in rows.items() if key not in index}
    out.update({key: (low, high) for key, low, high in solved.itertuples(index=False)})
    return out


def distinct_intervals(
    frame: pd.DataFrame, keys: Sequence[str], column: str, floor: str | None = None
) -> dict[tuple, tuple[float, float]]:
    """`table_intervals` for a distinct count (a withheld count is at least 1)."""
    return table_intervals(frame, keys, column, exact=False, floor=floor, lowest=1.0)
