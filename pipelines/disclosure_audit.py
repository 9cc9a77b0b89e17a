"""Linear-programming audit of withheld cells, and the extra suppression that makes it pass.

Why: withholding a second cell in every equation (disclosure.py) stops recovery by one
subtraction, but an attacker holding all the files can solve every margin at once. With several
projects that recovered withheld `n_consultations` exactly. So, for every withheld cell, we
compute the smallest and largest value consistent with everything published and require the
interval to be wide enough (the protection rule below); where it is not, we withhold more cells
and audit again, to a fixed point.

What the attacker is assumed to know (and the audit uses):
* every published cell of every file; a cell repeated in several files (the summary rows inside
  the two breakdowns) is one unknown;
* each margin's relation to its cells along every key: exact sums (`n_consultations`, and
  `consultation_hours` up to its rounding to 0.1) are equations; distinct counts (pupils, staff,
  schools, evaluated pupils) only satisfy max(cells) ≤ margin ≤ sum(cells), since one person can
  be in several cells, except along keys where a unit belongs to one cell only (a school to one
  municipality);
* facts within a row: records ≥ pupils ≥ schools, records ≥ staff, and records ≥ hours × 60 /
  the longest allowed session (validation quarantines longer ones);
* zeros are published, so a withheld count is at least 1 (unless it was withheld only because
  its row's pupil count was).
Integer counts are rounded inwards (an attacker knows they are whole numbers); the LP is the
continuous relaxation, as in τ-ARGUS audits (an integer program can be tighter in 3+ dimensions).

Protection rule (Hundepool et al., Statistical Disclosure Control, Wiley 2012, §4.2 on protection
levels; we use the "sliding" protection level, i.e. a width, not fixed upper and lower levels,
because counts of 1–4 cannot have a lower protection level of 3 below their value):
for every withheld cell with true value x, feasible max − feasible min ≥ max(3, 0.2·x).

Speed: the LP is split into independent blocks (connected components of the constraints among
withheld cells), and a cell is only solved for when the feasible points already found (the true
table, the optimum of every earlier LP in its block, and the last round's points that still meet
every constraint) do not show the interval wide enough. Each block is one HiGHS model: rows over a
single unknown are passed as its bounds, the two weighted LPs are solved from scratch with presolve
and dual simplex, and every later one only changes the objective and re-solves from the last basis.
In a large block (_Neighbourhoods) a cell is first tried on small LPs over the constraints near it:
a relaxed one whose interval contains the exact one (narrower than required: exposed) and a
restricted one whose optima are feasible points (wide enough: protected); only cells neither
settles get LPs on the whole block. The verdicts are the same, so the same cells are withheld. On a
monthly re-run, counts that moved since last published make many withheld cells sensitive (the
18k-pupil increment: one block of ~2,500 unknowns, ~560 of them sensitive, five rounds): see
BENCHMARKS.md ("Monthly re-run export").
"""

from __future__ import annotations

import logging
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import highspy
import numpy as np
import pandas as pd
from scipy import sparse

from pipelines.disclosure import ALL, Layout, equations, layout, linked_patterns

log = logging.getLogger("atbalsts.export")

EPS = 1e-6


@dataclass(frozen=True)
class ColumnRule:
    """How a column's margins relate to their cells."""

    name: str
    exact: bool  # margin = sum of cells; otherwise max(cells) ≤ margin ≤ sum(cells)
    exact_along: tuple[str, ...] = ()  # dimensions where a distinct count is an exact sum after all
    # Dimensions where a distinct count adds up in practice (a pupil is in one municipality unless she
    # moved): an attacker may assume it, so the margin is taken as the exact sum wherever the true cells
    # do add up there (probe5 N0: an outsider pinned 1-pupil cells of support_summary.csv so).
    additive_along: tuple[str, ...] = ()
    decimals: int | None = None  # published rounded to this many decimals (None: exact integers)
    count: bool = True  # a count: never withheld as zero on its own, so a withheld one is ≥ 1

    @property
    def integer(self) -> bool:
        return self.decimals is None

    @property
    def tolerance(self) -> float:
        """How far the true value can be from the published one."""
        return 0.0 if self.decimals is None else 0.5 * 10.0**-self.decimals + EPS


@dataclass(frozen=True)
class RowBound:
    """Within every row: `big` ≥ `ratio` × `small`."""

    big: str
    small: str
    ratio: float = 1.0


@dataclass
class System:
    """Cells of one or more linked tables (each distinct cell once) and the equations among them."""

    rank: np.ndarray  # each cell's position in key order: the deterministic tie-break
    equations: list[tuple[int, np.ndarray, str]]  # (margin cell, member cells, dimension)
    values: dict[str, np.ndarray]  # true value per cell
    shown: dict[str, np.ndarray]  # the value as published (rounded); meaningful where not withheld
    withheld: dict[str, np.ndarray]  # per cell
    nonzero: dict[str, np.ndarray]  # withheld cells an attacker knows are at least 1
    sensitive: dict[str, np.ndarray]  # withheld cells that need the protection interval
    # cells a reader knows although withheld (unchanged since an earlier run published them,
    # pipelines/disclosure_time.py): constants in the audit, never chosen as complements
    known: dict[str, np.ndarray] = field(default_factory=dict)

    def unknown(self, column: str) -> np.ndarray:
        """The withheld cells of `column` a reader does not know: the audit's unknowns."""
        known = self.known.get(column)
        return self.withheld[column] if known is None else self.withheld[column] & ~known


@dataclass
class Audit:
    """Per audited column: the feasible interval of each withheld cell (NaN where published).

    `low`/`high`: the exact interval where an LP was solved for the cell; for a cell wide enough
    without one, the values feasible points reached; for an exposed cell a relaxed LP settled, an
    interval containing the exact one (also narrower than required). `reached_low`/`reached_high`:
    only values feasible points reached, which stay feasible when more cells are withheld (`seen`).
    """

    low: dict[str, np.ndarray]
    high: dict[str, np.ndarray]
    exposed: dict[str, np.ndarray]  # withheld cells whose interval is narrower than required
    reached_low: dict[str, np.ndarray] = field(default_factory=dict)
    reached_high: dict[str, np.ndarray] = field(default_factory=dict)
    points: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # feasible points (cell keys, values)
    lps: int = 0  # on whole blocks
    local_lps: int = 0  # relaxed, on neighbourhoods of one cell
    blocks: int = 0
    largest_block: int = 0
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def n_exposed(self) -> int:
        return int(sum(mask.sum() for mask in self.exposed.values()))


def protection(value: np.ndarray, min_width: float = 3.0, share: float = 0.2) -> np.ndarray:
    """Required width of a withheld cell's feasible interval: the larger of 3 and 20 % of its value."""
    return np.maximum(min_width, share * np.abs(value))


def _width(low: float, high: float, integer: bool) -> float:
    if integer:
        return np.floor(high + EPS) - np.ceil(low - EPS)
    return high - low


def audit(
    system: System,
    rules: Sequence[ColumnRule],
    bounds: Sequence[RowBound] = (),
    required: Callable[[np.ndarray], np.ndarray] = protection,
    seen: Audit | None = None,
    earlier: Audit | None = None,
) -> Audit:
    """Feasible interval of every withheld cell of the ruled columns, block by block.

    `seen`: an audit of the same tables with fewer cells withheld. Its feasible points stay
    feasible when more is withheld (a published value becomes an unknown at its true value), so
    its intervals are a head start and most cells need no LP at all.
    `earlier`: an audit of the same tables with any other pattern (the last round's): those of its
    feasible points that satisfy every constraint of this system (checked) are a head start too.
    """
    columns = [r.name for r in rules]
    rule_of = {r.name: r for r in rules}
    var_column: list[str] = []
    var_cell: list[int] = []
    var_of: dict[str, np.ndarray] = {}
    for column in columns:
        cells = np.flatnonzero(system.unknown(column))
        var_of[column] = np.full(len(system.rank), -1, dtype=np.int64)
        var_of[column][cells] = np.arange(len(var_cell), len(var_cell) + len(cells))
        var_column += [column] * len(cells)
        var_cell += cells.tolist()
    n = len(var_cell)
    truth = np.array([system.values[c][i] for c, i in zip(var_column, var_cell, strict=True)], dtype=float)
    lower = np.array([1.0 if system.nonzero[c][i] else 0.0 for c, i in zip(var_column, var_cell, strict=True)])
    rows: list[tuple[dict[int, float], float, float]] = []  # (coefficients, low, high) of a linear form

    def add(terms: Sequence[tuple[str, int, float]], low: float, high: float) -> None:
        """low ≤ Σ sign·value ≤ high, with published values moved to the bounds."""
        coef: dict[int, float] = {}
        for column, cell, sign in terms:
            v = var_of[column][cell]
            if v >= 0:
                coef[v] = coef.get(v, 0.0) + sign
            else:
                const = float(system.shown[column][cell])
                slack = rule_of[column].tolerance if column in rule_of else 0.0
                low, high = low - sign * const - abs(sign) * slack, high - sign * const + abs(sign) * slack
        coef = {v: a for v, a in coef.items() if a != 0.0}
        if coef:
            rows.append((coef, low, high))

    for margin, members, dim in system.equations:
        for column in columns:
            rule = rule_of[column]
            cells = [(column, int(j), 1.0) for j in members]
            additive = (
                dim in rule.additive_along
                and abs(float(np.sum(system.values[column][members])) - float(system.values[column][margin])) < EPS
            )
            if rule.exact or dim in rule.exact_along or additive:
                add([*cells, (column, margin, -1.0)], 0.0, 0.0)
            else:
                add([*cells, (column, margin, -1.0)], 0.0, np.inf)  # margin ≤ sum of cells
                for j in members:
                    add([(column, margin, 1.0), (column, int(j), -1.0)], 0.0, np.inf)  # cell ≤ margin
    for bound in bounds:
        if bound.big not in var_of or bound.small not in var_of:
            continue
        both = np.flatnonzero((var_of[bound.big] >= 0) | (var_of[bound.small] >= 0))
        for cell in both:
            add([(bound.big, int(cell), 1.0), (bound.small, int(cell), -bound.ratio)], 0.0, np.inf)

    sensitive = np.array([system.sensitive[c][i] for c, i in zip(var_column, var_cell, strict=True)], dtype=bool)
    need = np.where(sensitive, required(truth), -np.inf)  # other withheld cells are unknowns, not checked
    integer = np.array([rule_of[c].integer for c in var_column], dtype=bool)
    low_seen, high_seen = truth.copy(), truth.copy()
    if seen is not None:
        for column in columns:
            vars_ = var_of[column][var_of[column] >= 0]
            cells = np.flatnonzero(var_of[column] >= 0)
            low_seen[vars_] = np.fmin(low_seen[vars_], seen.reached_low[column][cells])
            high_seen[vars_] = np.fmax(high_seen[vars_], seen.reached_high[column][cells])
    size = len(system.rank)
    keys = np.array([columns.index(c) * size + i for c, i in zip(var_column, var_cell, strict=True)], dtype=np.int64)
    points: list[tuple[np.ndarray, np.ndarray]] = []  # feasible points found: (variables, values), truth elsewhere
    constraints = _Rows.of(rows, range(n), n)
    # Points are kept as the unknowns they move from the true table, and the restricted LPs hold far
    # unknowns at their true values: both need the true table to be feasible. It is, unless a cell was
    # withheld from the outset at 0 while the attacker is told a withheld count is at least 1.
    truth_feasible = _feasible(constraints, truth[:, None], lower[:, None])[0] if n else True
    if earlier is not None and earlier.points and truth_feasible:
        for vars_, values in _still_feasible(earlier.points, keys, truth, lower, constraints):
            np.minimum.at(low_seen, vars_, values)
            np.maximum.at(high_seen, vars_, values)
            points.append((vars_, values))
    solved_low = np.full(n, np.nan)
    solved_high = np.full(n, np.nan)
    result = Audit(low={}, high={}, exposed={})
    block_of = _blocks(n, rows)
    block_rows: dict[int, list[int]] = defaultdict(list)
    for r, (coef, _, _) in enumerate(rows):
        block_rows[int(block_of[next(iter(coef))])].append(r)
    order = np.argsort(block_of, kind="stable")
    blocks = np.split(order, np.flatnonzero(np.diff(block_of[order])) + 1) if n else []
    result.blocks = len(blocks)
    result.largest_block = max((len(b) for b in blocks), default=0)
    for block in blocks:
        block_constraints = _Rows.of(
            [rows[r] for r in block_rows.get(int(block_of[block[0]]), [])],
            {int(v): i for i, v in enumerate(block)},
            len(block),
        )
        lps, local_lps = _audit_block(
            block,
            block_constraints,
            lower,
            truth,
            integer,
            need,
            low_seen,
            high_seen,
            solved_low,
            solved_high,
            points if truth_feasible else None,
        )
        result.lps += lps
        result.local_lps += local_lps
    low = np.where(np.isnan(solved_low), low_seen, solved_low)
    high = np.where(np.isnan(solved_high), high_seen, solved_high)
    width = np.array([_width(lo, hi, i) for lo, hi, i in zip(low, high, integer, strict=True)])
    exposed_var = width < need - EPS
    for column in columns:
        size = len(system.rank)
        vars_ = var_of[column][var_of[column] >= 0]
        cells = np.flatnonzero(var_of[column] >= 0)
        for out, per_var in (
            (result.low, low),
            (result.high, high),
            (result.reached_low, low_seen),
            (result.reached_high, high_seen),
        ):
            out[column] = np.full(size, np.nan)
            out[column][cells] = per_var[vars_]
        result.exposed[column] = np.zeros(size, dtype=bool)
        result.exposed[column][cells] = exposed_var[vars_]
    result.points = [(keys[vars_], values) for vars_, values in points[-MAX_POINTS:]]
    result.stats = {"variables": n, "constraints": len(rows)}
    return result


MAX_POINTS = 5000  # feasible points handed to the next round (each holds only the unknowns it moved)


def _still_feasible(
    points: list[tuple[np.ndarray, np.ndarray]],
    keys: np.ndarray,
    truth: np.ndarray,
    lower: np.ndarray,
    constraints: _Rows,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The earlier points (cell keys, values) that are feasible here, as (variables, values).

    Each is read as a point of this system (an unknown here that the point did not move, or did not
    know, at its true value; a cell it moved that is published here at its published value) and kept
    only if it meets every constraint and bound here, within the solver's own tolerance: no point is
    taken on trust, so the verdicts are those LPs on this system would give."""
    order = np.argsort(keys)
    sorted_keys = keys[order]
    mapped: list[tuple[np.ndarray, np.ndarray]] = []
    for cells, values in points:
        at = np.searchsorted(sorted_keys, cells)
        known = (at < len(sorted_keys)) & (sorted_keys[np.minimum(at, len(sorted_keys) - 1)] == cells)
        vars_ = order[at[known]]
        if len(vars_) and (values[known] >= lower[vars_] - FEASIBLE).all():
            mapped.append((vars_, values[known]))
    if not mapped:
        return mapped
    n = len(truth)
    moved = sparse.csc_matrix(
        (
            np.concatenate([values - truth[vars_] for vars_, values in mapped]),
            (
                np.concatenate([vars_ for vars_, _ in mapped]),
                np.repeat(np.arange(len(mapped)), [len(vars_) for vars_, _ in mapped]),
            ),
        ),
        shape=(n, len(mapped)),
    )
    points_at = moved.toarray() + truth[:, None]
    ok = _feasible(constraints, points_at, lower[:, None])
    return [point for point, feasible in zip(mapped, ok, strict=True) if feasible]


def _feasible(constraints: _Rows, x: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """For each column of `x` (one point per column): every bound and constraint holds, within the
    solver's own tolerance."""
    activity = constraints.matrix @ x
    low, high = constraints.low[:, None], constraints.high[:, None]
    slack = FEASIBLE * (1.0 + np.abs(np.where(np.isfinite(low), low, high)))
    rows_ok = ((activity >= low - slack) & (activity <= high + slack)).all(axis=0)
    return rows_ok & (x >= lower - FEASIBLE).all(axis=0)


FEASIBLE = 1e-7  # HiGHS's primal feasibility tolerance


def _blocks(n: int, rows: list[tuple[dict[int, float], float, float]]) -> np.ndarray:
    """Block number per variable: variables that share no constraint are solved apart (union-find)."""
    parent = np.arange(n)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for coef, _, _ in rows:
        first, *rest = coef
        root = find(first)
        for v in rest:
            other = find(v)
            if other != root:
                parent[other] = root
    return np.array([find(v) for v in range(n)], dtype=np.int64)


def _audit_block(
    block: np.ndarray,
    rows: _Rows,
    lower: np.ndarray,
    truth: np.ndarray,
    integer: np.ndarray,
    need: np.ndarray,
    low_seen: np.ndarray,
    high_seen: np.ndarray,
    solved_low: np.ndarray,
    solved_high: np.ndarray,
    points: list[tuple[np.ndarray, np.ndarray]] | None,
) -> tuple[int, int]:
    """Widen the seen range of each variable with LP optima until it is wide enough or exact; LPs
    near a variable (_Neighbourhoods) settle most of them before any LP on the whole block.

    `rows` are the block's constraints over its variables in block order. `points`: where to keep the
    feasible points found (None: the true table is not feasible, so no point is kept and no LP holds
    unknowns at their true values). Returns the LPs solved on the whole block and on neighbourhoods."""
    model: _Model | None = None
    near = (
        _Neighbourhoods(block, rows, lower[block], truth[block], points) if len(block) >= NEIGHBOURHOODS_FROM else None
    )
    lps = 0

    def wide_enough(v: int) -> bool:
        return _width(low_seen[v], high_seen[v], integer[v]) >= need[v] - EPS

    def solve(objective: np.ndarray, cold: bool = False) -> np.ndarray | None:
        nonlocal lps, model
        if model is None:
            model = _Model.of(rows, lower[block])
        lps += 1
        return model.optimum(objective, cold)

    def learn(x: np.ndarray | None) -> None:
        if x is not None:
            np.minimum.at(low_seen, block, x)
            np.maximum.at(high_seen, block, x)
            if points is not None:
                points.append(_moved(block, x, truth))

    size = len(block)
    open_ = np.array([i for i, v in enumerate(block) if not wide_enough(v)], dtype=np.int64)
    if len(open_):  # two cheap LPs move every open variable at once
        weights = np.zeros(size)
        weights[open_] = 1.0 / need[block[open_]]
        # The opposite corner is far: from scratch it took a third of the time the ~3,000 pivots
        # from the first one's basis took (a monthly re-run's support audit, 2,500 unknowns).
        for sign in (-1.0, 1.0):
            learn(solve(sign * weights, cold=True))
    for i, v in enumerate(block):
        if wide_enough(v):
            continue
        outer = near.settle(i, need[v], bool(integer[v]), low_seen, high_seen) if near else None
        if outer is not None:  # exposed for certain: the exact interval lies inside this one
            solved_low[v], solved_high[v] = outer
            continue
        if wide_enough(v):  # protected for certain: feasible points near it reach that far
            continue
        objective = np.zeros(size)
        objective[i] = -1.0
        x = solve(objective)
        if x is None:
            high_seen[v] = np.inf
        learn(x)
        solved_high[v] = high_seen[v]
        if wide_enough(v):
            continue
        objective[i] = 1.0
        learn(solve(objective))
        solved_low[v] = low_seen[v]
    return lps, near.lps if near else 0


# Below this many unknowns an LP on the whole block costs little more than one on a neighbourhood,
# and the neighbourhoods' extra LPs do not pay (measured: a block of 330 unknowns took twice as long
# with them, one of 1,150 a little less, the monthly re-run's ~2,500 a third).
NEIGHBOURHOODS_FROM = 1000


@dataclass
class _Rows:
    """Linear constraints low ≤ matrix · x ≤ high (CSR, one row per constraint)."""

    matrix: sparse.csr_matrix
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def of(cls, rows: Sequence[tuple[dict[int, float], float, float]], position: Mapping[int, int], size: int) -> _Rows:
        """From (coefficients by variable, low, high); `position`: each variable's column."""
        lengths = np.array([len(coef) for coef, _, _ in rows], dtype=np.int64)
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        nnz = int(indptr[-1])
        index = np.fromiter((position[v] for coef, _, _ in rows for v in coef), dtype=np.int64, count=nnz)
        value = np.fromiter((a for coef, _, _ in rows for a in coef.values()), dtype=float, count=nnz)
        matrix = sparse.csr_matrix((value, index, indptr), shape=(len(rows), size))
        low = np.array([low for _, low, _ in rows], dtype=float)
        high = np.array([high for _, _, high in rows], dtype=float)
        return cls(matrix, low, high)

    def take(self, rows: np.ndarray, columns: np.ndarray | None = None) -> _Rows:
        matrix = self.matrix[rows]
        return _Rows(matrix if columns is None else matrix[:, columns], self.low[rows], self.high[rows])


def _moved(variables: np.ndarray, x: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A feasible point as the unknowns it moves from the true table, and their values."""
    moved = np.abs(x - truth[variables]) > EPS
    return variables[moved], x[moved]


class _Neighbourhoods:
    """LPs over the constraints near one variable, which settle most cells without the block's LPs.

    Why: on a monthly re-run most LPs on the whole block (~2,500 unknowns) only confirmed that a cell
    is exposed (its largest and smallest value, each round). Near a cell (its constraints, then those
    of every unknown in them, ...) two small LPs bound its interval from both sides:
    * relaxed: only the constraints near it. Dropping constraints widens the feasible set, so this
      interval contains the exact one: narrower than required, the cell is exposed for certain;
    * restricted: every unknown farther away held at its true value, so each optimum is a feasible
      point of the whole block: wide enough, the cell is protected for certain.
    Either way the verdict is the one the block's LPs give. The neighbourhood grows step by step and
    gives up to the block's LPs when neither settles it or it grows past half the block.
    """

    FIRST_STEP = 2  # one step (the cell's own equations) cannot bound a cell whose partners are unknowns
    LAST_STEP = 4

    def __init__(
        self,
        block: np.ndarray,
        rows: _Rows,
        lower: np.ndarray,
        truth: np.ndarray,
        points: list[tuple[np.ndarray, np.ndarray]] | None,
    ):
        self.block = block
        self.rows = rows
        self.by_variable = rows.matrix.T.tocsr()  # the constraints of each variable
        self.lower = lower
        self.truth = truth
        self.at_truth = rows.matrix @ truth
        self.points = points
        self.size = len(block)
        self.highs = _highs()  # one solver for every neighbourhood's model, one at a time
        self.lps = 0

    def settle(
        self, i: int, need: float, integer: bool, low_seen: np.ndarray, high_seen: np.ndarray
    ) -> tuple[float, float] | None:
        """An interval containing every feasible value of the block's `i`-th variable when it is
        narrower than `need`. Else None, with `low_seen`/`high_seen` (by variable number) widened by
        the restricted optima."""
        v = int(self.block[i])
        in_rows = np.zeros(self.rows.matrix.shape[0], dtype=bool)
        in_vars = np.zeros(self.size, dtype=bool)
        in_vars[i] = True
        frontier = np.array([i])
        for step in range(1, self.LAST_STEP + 1):
            new_rows = np.unique(self.by_variable[frontier].indices)
            new_rows = new_rows[~in_rows[new_rows]]
            in_rows[new_rows] = True
            frontier = np.unique(self.rows.matrix[new_rows].indices)
            frontier = frontier[~in_vars[frontier]]
            in_vars[frontier] = True
            if not len(frontier) or in_vars.sum() > self.size // 2:
                return None  # the neighbourhood is the block, or nearly: the block's LPs are as cheap
            if step < self.FIRST_STEP:
                continue
            members = np.flatnonzero(in_vars)
            at = int(np.searchsorted(members, i))
            relaxed = _Model.of(self.rows.take(np.flatnonzero(in_rows), members), self.lower[members], self.highs)
            high = self._optimum(relaxed, at, -1.0)
            # The relaxed minimum is at most the smallest value seen: if even that leaves the interval
            # wide enough, this neighbourhood cannot show it narrow.
            if _width(min(low_seen[v], high), high, integer) < need - EPS:
                low = self._optimum(relaxed, at, 1.0)
                if _width(low, high, integer) < need - EPS:
                    return low, high
            if self.points is None:
                continue
            restricted = _Model.of(self._held(members), self.lower[members], self.highs)
            for sign in (-1.0, 1.0):
                x = self._solve(restricted, at, sign)
                if x is None:
                    if sign < 0:
                        high_seen[v] = np.inf
                    continue
                variables = self.block[members]
                np.minimum.at(low_seen, variables, x)
                np.maximum.at(high_seen, variables, x)
                moved = np.abs(x - self.truth[members]) > EPS
                self.points.append((variables[moved], x[moved]))
                if _width(low_seen[v], high_seen[v], integer) >= need - EPS:
                    return None
        return None

    def _held(self, members: np.ndarray) -> _Rows:
        """Every constraint over `members`, with each other variable at its true value."""
        touching = np.unique(self.by_variable[members].indices)
        inside = self.rows.take(touching, members)
        held = self.at_truth[touching] - inside.matrix @ self.truth[members]
        return _Rows(inside.matrix, inside.low - held, inside.high - held)

    def _solve(self, model: _Model, at: int, sign: float) -> np.ndarray | None:
        objective = np.zeros(model.size)
        objective[at] = sign
        self.lps += 1
        return model.optimum(objective)

    def _optimum(self, model: _Model, at: int, sign: float) -> float:
        x = self._solve(model, at, sign)
        return -sign * np.inf if x is None else float(x[at])


class _Model:
    """One block as a HiGHS model, built once; each objective re-solves from the last basis."""

    def __init__(self, block: np.ndarray, rows: list[tuple[dict[int, float], float, float]], lower: np.ndarray):
        self.local = {int(v): i for i, v in enumerate(block)}
        self._load(_Rows.of(rows, self.local, len(block)), lower)

    @classmethod
    def of(cls, rows: _Rows, lower: np.ndarray, highs: highspy.Highs | None = None) -> _Model:
        """A model over the columns of `rows`, each at least `lower`; in `highs` (replacing the model
        it held: a new solver costs more than a small LP) or a new solver."""
        model = cls.__new__(cls)
        model.local = {}
        model._load(rows, lower, highs)
        return model

    def _load(self, rows: _Rows, lower: np.ndarray, highs: highspy.Highs | None = None) -> None:
        self.size = rows.matrix.shape[1]
        inf = highspy.kHighsInf
        matrix = rows.matrix.tocsr()
        # A row over one variable is a bound on it: as a bound HiGHS needs no row (and no basis
        # position) for it (about a fifth of the rows on the demo's monthly re-run).
        single = np.diff(matrix.indptr) == 1
        col_lower = np.asarray(lower, dtype=float).copy()
        col_upper = np.full(self.size, np.inf)
        if single.any():
            at = matrix.indptr[:-1][single]
            column, a = matrix.indices[at], matrix.data[at]
            low, high = rows.low[single] / a, rows.high[single] / a
            low, high = np.where(a > 0, low, high), np.where(a > 0, high, low)
            np.maximum.at(col_lower, column, low)
            np.minimum.at(col_upper, column, high)
        kept = matrix[~single]
        lp = highspy.HighsLp()
        lp.num_col_ = self.size
        lp.num_row_ = kept.shape[0]
        lp.col_cost_ = np.zeros(self.size)
        lp.col_lower_ = col_lower
        lp.col_upper_ = np.where(np.isfinite(col_upper), col_upper, inf)
        lp.row_lower_ = np.where(np.isfinite(rows.low[~single]), rows.low[~single], -inf)
        lp.row_upper_ = np.where(np.isfinite(rows.high[~single]), rows.high[~single], inf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = kept.indptr.astype(np.int32)
        lp.a_matrix_.index_ = kept.indices.astype(np.int32)
        lp.a_matrix_.value_ = kept.data.astype(float)
        self.highs = highs or _highs()
        self.highs.passModel(lp)
        self.columns = np.arange(self.size, dtype=np.int32)
        self.warm = False

    def optimum(self, objective: np.ndarray, cold: bool = False) -> np.ndarray | None:
        """The minimising point, or None when the objective is unbounded below. `cold`: solve from
        scratch, for an objective far from the last one (cheaper than many pivots from its basis)."""
        self.highs.changeColsCost(self.size, self.columns, objective.astype(float))
        if cold and self.warm:
            self.highs.clearSolver()
            self.warm = False
        if not self.warm:
            # No basis yet: presolve and dual simplex find the first vertex far faster than primal
            # simplex from the slack basis (measured on the demo's monthly re-run: 1,177 iterations
            # against 6,544, 16× less time); the optimal basis is then kept for the warm starts.
            self.highs.setOptionValue("presolve", "on")
            self.highs.setOptionValue("simplex_strategy", 1)
        self.highs.run()
        if not self.warm:
            self.highs.setOptionValue("presolve", "off")
            self.highs.setOptionValue("simplex_strategy", 4)
            self.warm = True
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return np.asarray(self.highs.getSolution().col_value, dtype=float)
        if status in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return None  # the true table is a feasible point, so this is unbounded
        raise RuntimeError(f"LP audit failed: {self.highs.modelStatusToString(status)}")


def _highs() -> highspy.Highs:
    """A silent solver. HiGHS prints a banner on stdout when the first one is made in a process;
    stdout is closed at the file-descriptor level for that moment so it never reaches the user."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
            highs = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    highs.setOptionValue("output_flag", False)
    # Only the objective changes between solves, so the last basis stays feasible: primal simplex
    # from it takes a few pivots (measured: 6× fewer iterations than the default, presolve off).
    highs.setOptionValue("presolve", "off")
    highs.setOptionValue("simplex_strategy", 4)
    return highs


def cell_equations(system: System) -> dict[int, list[int]]:
    """For each cell, the equations it takes part in (as margin or member)."""
    out: dict[int, list[int]] = defaultdict(list)
    for e, (margin, members, _) in enumerate(system.equations):
        out[margin].append(e)
        for j in members:
            out[int(j)].append(e)
    return out


def extra_cells(
    system: System, result: Audit, columns: Sequence[str], stuck: Mapping[str, np.ndarray] | None = None
) -> dict[str, list[int]]:
    """More cells to withhold for the exposed cells: the cheapest published partners.

    Partners come from the exposed cell's equations (cells before margins, then the smallest
    non-zero value, then key order); if none is left there, from the equations of the withheld
    cells it is linked to, widening step by step. Every exposed cell gets one partner (letting
    cells that share an equation wait for the next audit took 46 rounds on the demo sample); a
    cell still exposed after that (`stuck`) gets a partner in every one of its equations.
    """
    by_cell = cell_equations(system)
    chosen: dict[str, list[int]] = {c: [] for c in columns}
    for column in columns:
        exposed = np.flatnonzero(result.exposed.get(column, np.zeros(0, dtype=bool)))
        values = system.values[column]
        withheld = system.withheld[column].copy()
        known = system.known.get(column, np.zeros(len(values), dtype=bool))
        again = np.zeros(len(values), dtype=bool) if stuck is None else stuck.get(column, again_default(values))
        for cell in exposed[np.argsort(system.rank[exposed], kind="stable")]:
            own = by_cell.get(int(cell), [])
            groups = ([[e] for e in own] or [[]]) if again[cell] else [[]]
            found = False
            for only in [*groups, []] if groups != [[]] else groups:
                if found and not only:
                    break  # the wider search is only a fallback
                partner, _ = _partner(system, by_cell, int(cell), values, withheld, only, known)
                if partner is None:
                    continue
                found = True
                chosen[column].append(partner)
                withheld[partner] = True
    return chosen


def fallback_cells(
    system: System, result: Audit, columns: Sequence[str], stuck: Mapping[str, np.ndarray] | None = None
) -> dict[str, list[int]]:
    """Cells to withhold when no published non-zero partner is left (`extra_cells` found none), so that
    the run withholds more instead of stopping (a September run once failed here: the school year's
    with-plan counts were all 0, the published 0 totals pinned a withheld 0 beside a 1-pupil cell).

    First the published zeros as partners (`extra_cells` with 0 read as the smallest value); where none
    is left either, every audited column of every cell linked to an exposed cell through the equations
    (its whole block of the table): with no published figure in it, every withheld cell can grow without
    bound, so the next audit passes. Logged as one line (LV/EN)."""
    as_partners = {c: np.where(system.values[c] == 0, EPS, system.values[c]) for c in columns}
    chosen = extra_cells(replace(system, values=as_partners), result, columns, stuck)
    how_lv, how_en = "nulles kā papildu šūnas", "zeros as complementary cells"
    if not any(chosen.values()):
        block = _linked_block(system, np.logical_or.reduce([result.exposed[c] for c in columns]))
        chosen = {c: np.flatnonzero(block & ~system.withheld[c]).tolist() for c in columns}
        how_lv, how_en = "visas saistītās šūnas", "every linked cell"
    exposed, more = result.n_exposed, sum(len(cells) for cells in chosen.values())
    log.warning(
        "LP audits (%s): %d aizklātas šūnas nevar aizsargāt ar papildu šūnām, aizklātas vēl %d (%s) "
        "/ %d withheld cells cannot be protected by complementary cells, withheld %d more (%s)",
        ", ".join(c for c in columns if result.exposed[c].any()),
        *(exposed, more, how_lv, exposed, more, how_en),
    )
    return chosen


def _linked_block(system: System, cells: np.ndarray) -> np.ndarray:
    """Every cell connected to `cells` through the equations (withheld or published)."""
    by_cell = cell_equations(system)
    block = np.asarray(cells, dtype=bool).copy()
    frontier = np.flatnonzero(block).tolist()
    while frontier:
        nxt = []
        for cell in frontier:
            for e in by_cell.get(int(cell), []):
                margin, members, _ = system.equations[e]
                for j in [margin, *members.tolist()]:
                    if not block[j]:
                        block[j] = True
                        nxt.append(j)
        frontier = nxt
    return block


def again_default(values: np.ndarray) -> np.ndarray:
    return np.zeros(len(values), dtype=bool)


def _partner(
    system: System,
    by_cell: Mapping[int, list[int]],
    cell: int,
    values: np.ndarray,
    withheld: np.ndarray,
    only: Sequence[int] = (),
    known: np.ndarray | None = None,
) -> tuple[int | None, list[int]]:
    known = np.zeros(len(values), dtype=bool) if known is None else known
    unknown = withheld & ~known  # a known withheld cell links nothing: the reader has its value
    seen_cells = {cell}
    frontier = [cell]
    seen_eqs: set[int] = set()
    while frontier:
        eqs = sorted({e for c in frontier for e in by_cell.get(c, [])} - seen_eqs)
        if only and not seen_eqs:
            eqs = list(only)
        seen_eqs |= set(eqs)
        best: tuple | None = None
        for e in eqs:
            margin, members, _ = system.equations[e]
            for j, is_margin in [(int(m), False) for m in members] + [(margin, True)]:
                v = values[j]
                if withheld[j] or known[j] or np.isnan(v) or v <= 0:
                    continue
                key = (is_margin, v, int(system.rank[j]))
                if best is None or key < best:
                    best = key
                    partner = j
        if best is not None:
            return partner, eqs
        if only:
            return None, []
        nxt = set()
        for e in eqs:
            margin, members, _ = system.equations[e]
            nxt |= {int(m) for m in members if unknown[int(m)]} | ({margin} if unknown[margin] else set())
        frontier = sorted(nxt - seen_cells)
        seen_cells |= nxt
    return None, []


# --- Tables → one system, and the fixed point --------------------------------------------------


LinkedCells = tuple[np.ndarray, list[tuple[int, np.ndarray, str]], list[np.ndarray]]


def linked_cells(
    tables: Sequence[tuple[pd.DataFrame, Sequence[str], str | None]],
    all_value: str = ALL,
    layouts: Sequence[Layout] | None = None,
) -> LinkedCells:
    """The part of `linked_system` that depends on the tables' keys alone (computed once for the
    audit's rounds): each distinct cell's rank, the equations among cells, each row's cell number."""
    identity: dict[tuple, int] = {}
    cell_of: list[np.ndarray] = []
    for frame, keys, breakdown in tables:
        base = [key for key in keys if key != breakdown]
        key_frame = frame[list(keys)].astype(str)
        ids = []
        for row in key_frame.itertuples(index=False, name=None):
            named = dict(zip(keys, row, strict=True))
            value = named[breakdown] if breakdown else all_value
            ident = (*(named[key] for key in base), breakdown if value != all_value else None, value)
            ids.append(identity.setdefault(ident, len(identity)))
        cell_of.append(np.array(ids, dtype=np.int64))
    size = len(identity)
    idents = list(identity)
    order = sorted(
        range(size), key=lambda i: tuple((str(v) == all_value, "" if v is None else str(v)) for v in idents[i])
    )
    rank = np.empty(size, dtype=np.int64)
    rank[order] = np.arange(size)

    seen: set[tuple] = set()
    eqs: list[tuple[int, np.ndarray, str]] = []
    for t, ((frame, keys, _), ids) in enumerate(zip(tables, cell_of, strict=True)):
        for dim, eq in zip(keys, layouts[t].eqs if layouts else equations(frame, keys, all_value), strict=True):
            for group in np.flatnonzero(eq.has_margin):
                in_group = eq.group == group
                margin = int(ids[np.flatnonzero(in_group & eq.is_margin)[0]])
                members = np.sort(ids[in_group & ~eq.is_margin])
                if not len(members):  # a margin with no cell under it says nothing (and 0 would be wrong)
                    continue
                signature = (margin, tuple(members.tolist()))
                if signature not in seen:
                    seen.add(signature)
                    eqs.append((margin, members, dim))

    return rank, eqs, cell_of


def linked_system(
    tables: Sequence[tuple[pd.DataFrame, Sequence[str], str | None]],
    patterns: Sequence[Mapping[str, np.ndarray]],
    rules: Sequence[ColumnRule],
    primary: str,
    k: int,
    all_value: str = ALL,
    sensitive_rows: Sequence[Mapping[str, np.ndarray]] | None = None,
    cells: LinkedCells | None = None,
) -> tuple[System, list[np.ndarray]]:
    """The cells of linked tables as one system, and each table row's cell number.

    A row whose breakdown is `all_value` is the same cell in every table (the summary rows).
    `sensitive_rows` (one mapping per table, count columns): rows whose withheld figures need the
    protection interval although their count is k or more (a count that moved by 1..k-1 since it was
    last published, pipelines/disclosure_time.py: pinned, it would give the few pupils' figures by difference).
    `cells`: `linked_cells(tables, all_value)`, when the caller has it already. A mapping of
    `sensitive_rows` may carry `known` (pipelines/disclosure_time.py Forced): per column, cells unchanged
    since an earlier run published them; withheld, they are constants of the audit (`System.known`).
    """
    rank, eqs, cell_of = cells or linked_cells(tables, all_value)
    size = len(rank)
    values: dict[str, np.ndarray] = {}
    shown: dict[str, np.ndarray] = {}
    withheld: dict[str, np.ndarray] = {}
    for rule in rules:
        values[rule.name] = np.full(size, np.nan)
        withheld[rule.name] = np.zeros(size, dtype=bool)
        for (frame, _, _), pattern, ids in zip(tables, patterns, cell_of, strict=True):
            values[rule.name][ids] = frame[rule.name].to_numpy(dtype=float, na_value=np.nan)
            withheld[rule.name][ids] |= np.asarray(pattern[rule.name], dtype=bool)
        shown[rule.name] = (
            np.round(values[rule.name], rule.decimals) if rule.decimals is not None else values[rule.name]
        )
    primary_withheld = np.zeros(size, dtype=bool)
    for pattern, ids in zip(patterns, cell_of, strict=True):
        primary_withheld[ids] |= np.asarray(pattern[primary], dtype=bool)
    # A 0 is withheld only by fallback_cells: there a blank is not known to be ≥ 1.
    nonzero = {
        rule.name: withheld[rule.name]
        & (rule.count & ((rule.name == primary) | ~primary_withheld))
        & ~(values[rule.name] == 0)
        for rule in rules
    }
    primary_value = np.full(size, np.nan)
    for (frame, _, _), ids in zip(tables, cell_of, strict=True):
        primary_value[ids] = frame[primary].to_numpy(dtype=float, na_value=np.nan)
    small_group = (primary_value >= 1) & (primary_value <= k - 1)
    for given, ids in zip(sensitive_rows or [], cell_of, strict=False):
        held = getattr(given, "held", {})  # kept back only as last run's withheld cells: fixed, not sensitive
        for column, mask in given.items():
            mask = np.asarray(mask, dtype=bool)
            small_group[ids] |= mask & ~np.asarray(held[column], dtype=bool) if column in held else mask
    sensitive = {
        rule.name: withheld[rule.name]
        & (small_group | (rule.count & (values[rule.name] >= 1) & (values[rule.name] <= k - 1)))
        for rule in rules
    }
    known = {rule.name: np.zeros(size, dtype=bool) for rule in rules}
    for given, ids in zip(sensitive_rows or [], cell_of, strict=False):
        for column, mask in getattr(given, "known", {}).items():
            if column in known:
                known[column][ids] |= np.asarray(mask, dtype=bool)
    system = System(
        rank=rank,
        equations=eqs,
        values=values,
        shown=shown,
        withheld=withheld,
        nonzero=nonzero,
        sensitive=sensitive,
        known=known,
    )
    return system, cell_of


SOLE_SCHOOL = "sole_school_id"  # the column the SQL names a row's one school in (never published)


def split_owners(frame: pd.DataFrame, column: str = SOLE_SCHOOL) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The frame without `column` (per row, the one school whose data alone make it up; never published) and
    that column as an array for `audited_patterns(insiders=)`, None where several or none do. A frame
    without the column comes back as it is, with no owners."""
    if column not in frame.columns:
        return frame, None
    schools = frame[column].astype(object).where(frame[column].notna(), None).to_numpy()
    return frame.drop(columns=column), schools


def school_codes(insiders: Sequence[np.ndarray | None]) -> list[np.ndarray | None]:
    """Each table's school ids (None, NaN: several or none) as integer codes shared by all tables, −1 for none."""
    names = sorted({str(s) for ids in insiders if ids is not None for s in ids if s is not None and s == s})
    code = {name: i for i, name in enumerate(names)}
    return [
        None
        if ids is None
        else np.array([code[str(s)] if s is not None and s == s else -1 for s in ids], dtype=np.int64)
        for ids in insiders
    ]


@dataclass
class Protected:
    """Patterns that pass the audit: counts per table, withheld derived cells per table, the last audit."""

    counts: list[dict[str, np.ndarray]]
    derived: list[dict[str, np.ndarray]]
    audit: Audit
    rounds: int
    added: int


def audited_patterns(
    tables: Sequence[tuple[pd.DataFrame, Sequence[str], str | None]],
    count_columns: Sequence[str],
    k: int,
    rules: Sequence[ColumnRule],
    bounds: Sequence[RowBound] = (),
    *,
    primary: str | None = None,
    max_rounds: int = 200,
    start: Sequence[Mapping[str, np.ndarray]] | None = None,
    sensitive: Sequence[Mapping[str, np.ndarray]] | None = None,
    insiders: Sequence[np.ndarray | None] | None = None,
) -> Protected:
    """Complementary suppression (disclosure.py), then LP audits and extra cells until none is exposed.

    Audited derived columns (those in `rules` but not in `count_columns`) are withheld wherever an
    audited count of the row is, plus any cell the audit adds for them alone. Why: withheld only
    with the primary count, hours cells beside a published record count stayed pinned by the
    published totals and gained ±0.05 per extra cell (34 rounds, 74 s on the demo); withheld with
    the records they follow the records' pattern, which already passes (3 rounds, 5 s).
    `start` (one mapping per table, count columns): cells withheld from the outset, e.g. because another
    file that publishes the same cell withholds it. `sensitive` (same form): rows withheld from the outset
    whose figures the LP audit must protect as if their count were 1..k-1 (pipelines/disclosure_time.py);
    their `known` cells (unchanged since an earlier run published them) count as published in the
    complementary suppression and the audit.
    `insiders` (one array or None per table): per row, the one school whose data alone make it up (None
    where several or none do). That school knows the row's cells although they are withheld, so no equation
    may leave exactly one withheld member it does not know (disclosure.protect_column's respondent rule).
    """
    primary = primary or count_columns[0]
    derived = [r.name for r in rules if r.name not in count_columns]
    audited_counts = [r.name for r in rules if r.name in count_columns]
    columns = [r.name for r in rules]
    extra = [{c: np.zeros(len(frame), dtype=bool) for c in [*count_columns, *derived]} for frame, _, _ in tables]
    for table, given in zip(extra, start or [], strict=False):
        for column, mask in given.items():
            table[column] |= np.asarray(mask, dtype=bool)
    added = 0
    layouts = [layout(frame, keys) for frame, keys, _ in tables]  # the keys do not change between rounds
    known = [getattr(given, "known", {}) for given in sensitive or []]  # unchanged since published (Forced)
    linked = linked_cells(tables, layouts=layouts)
    owners = school_codes(insiders) if insiders and any(i is not None for i in insiders) else None
    result: Audit | None = None
    stuck: dict[str, np.ndarray] | None = None
    previous: dict[str, np.ndarray] | None = None
    for rounds in range(1, max_rounds + 1):
        counts = linked_patterns(
            tables,
            count_columns,
            k,
            primary=primary,
            start=[{c: e[c] for c in count_columns} for e in extra],
            layouts=layouts,
            known=known or None,
            owners=owners,
        )
        full = [
            {**p, **{d: np.logical_or.reduce([p[c] for c in audited_counts]) | e[d] for d in derived}}
            for p, e in zip(counts, extra, strict=True)
        ]
        system, cell_of = linked_system(tables, full, rules, primary, k, sensitive_rows=sensitive, cells=linked)
        # An earlier audit's feasible points only stay feasible if nothing it withheld is published
        # again (redoing the one-equation rule with the extra cells can drop partners).
        grown = previous is not None and all((previous[c] <= system.withheld[c]).all() for c in columns)
        result = audit(system, rules, bounds, seen=result if grown else None, earlier=result)
        previous = {c: system.withheld[c].copy() for c in columns}
        log.debug("LP audit round %d: %d LP, %d exposed", rounds, result.lps, result.n_exposed)
        if result.n_exposed == 0:
            return Protected(counts, [{d: f[d] for d in derived} for f in full], result, rounds, added)
        chosen = extra_cells(system, result, columns, stuck)
        stuck = {c: result.exposed[c].copy() for c in columns}
        if not any(chosen.values()):
            chosen = fallback_cells(system, result, columns, stuck)
        if not any(chosen.values()):
            raise AssertionError(
                f"LP audits: {result.n_exposed} aizklātas šūnas nav aizsargājamas / withheld cells cannot be protected"
            )
        for column, cells in chosen.items():
            for t, ids in enumerate(cell_of):
                extra[t][column] |= np.isin(ids, cells)
            added += len(cells)
    raise AssertionError(f"LP audits nesasniedza līdzsvaru / the LP audit did not settle in {max_rounds} rounds")
