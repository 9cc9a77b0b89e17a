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
table, and the optimum of every earlier LP in its block) do not show the interval wide enough.
Each block is one HiGHS model: rows over a single unknown are passed as its bounds, the first LP
is solved with presolve and dual simplex, and every later one only changes the objective and
re-solves from the last basis. On a monthly re-run, counts that moved since last published make a
large share of the withheld cells sensitive (the demo's June re-run: one block of ~2,750 unknowns,
half of them sensitive, several rounds): see BENCHMARKS.md ("Monthly re-run export").
"""

from __future__ import annotations

import logging
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd

from pipelines.disclosure import ALL, equations, linked_patterns

log = logging.getLogger("atbalsts.export")

EPS = 1e-6


@dataclass(frozen=True)
class ColumnRule:
    """How a column's margins relate to their cells."""

    name: str
    exact: bool  # margin = sum of cells; otherwise max(cells) ≤ margin ≤ sum(cells)
    exact_along: tuple[str, ...] = ()  # dimensions where a distinct count is an exact sum after all
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


@dataclass
class Audit:
    """Per audited column: the feasible interval of each withheld cell (NaN where published)."""

    low: dict[str, np.ndarray]
    high: dict[str, np.ndarray]
    exposed: dict[str, np.ndarray]  # withheld cells whose interval is narrower than required
    lps: int = 0
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
) -> Audit:
    """Feasible interval of every withheld cell of the ruled columns, block by block.

    `seen`: an audit of the same tables with fewer cells withheld. Its feasible points stay
    feasible when more is withheld (a published value becomes an unknown at its true value), so
    its intervals are a head start and most cells need no LP at all.
    """
    columns = [r.name for r in rules]
    rule_of = {r.name: r for r in rules}
    var_column: list[str] = []
    var_cell: list[int] = []
    var_of: dict[str, np.ndarray] = {}
    for column in columns:
        cells = np.flatnonzero(system.withheld[column])
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
            if rule.exact or dim in rule.exact_along:
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
            low_seen[vars_] = np.fmin(low_seen[vars_], seen.low[column][cells])
            high_seen[vars_] = np.fmax(high_seen[vars_], seen.high[column][cells])
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
        block_constraints = [rows[r] for r in block_rows.get(int(block_of[block[0]]), [])]
        result.lps += _audit_block(
            block, block_constraints, lower, integer, need, low_seen, high_seen, solved_low, solved_high
        )
    low = np.where(np.isnan(solved_low), low_seen, solved_low)
    high = np.where(np.isnan(solved_high), high_seen, solved_high)
    width = np.array([_width(lo, hi, i) for lo, hi, i in zip(low, high, integer, strict=True)])
    exposed_var = width < need - EPS
    for column in columns:
        size = len(system.rank)
        result.low[column] = np.full(size, np.nan)
        result.high[column] = np.full(size, np.nan)
        result.exposed[column] = np.zeros(size, dtype=bool)
        vars_ = var_of[column][var_of[column] >= 0]
        cells = np.flatnonzero(var_of[column] >= 0)
        result.low[column][cells] = low[vars_]
        result.high[column][cells] = high[vars_]
        result.exposed[column][cells] = exposed_var[vars_]
    result.stats = {"variables": n, "constraints": len(rows)}
    return result


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
    rows: list[tuple[dict[int, float], float, float]],
    lower: np.ndarray,
    integer: np.ndarray,
    need: np.ndarray,
    low_seen: np.ndarray,
    high_seen: np.ndarray,
    solved_low: np.ndarray,
    solved_high: np.ndarray,
) -> int:
    """Widen the seen range of each variable with LP optima until it is wide enough or exact."""
    model = _Model(block, rows, lower[block])
    lps = 0

    def wide_enough(v: int) -> bool:
        return _width(low_seen[v], high_seen[v], integer[v]) >= need[v] - EPS

    def solve(objective: np.ndarray) -> np.ndarray | None:
        nonlocal lps
        lps += 1
        return model.optimum(objective)

    def learn(x: np.ndarray | None) -> None:
        if x is not None:
            np.minimum.at(low_seen, block, x)
            np.maximum.at(high_seen, block, x)

    size = len(block)
    open_ = [v for v in block if not wide_enough(v)]
    if open_:  # two cheap LPs move every open variable at once
        weights = np.zeros(size)
        weights[[model.local[v] for v in open_]] = 1.0 / need[open_]
        for sign in (-1.0, 1.0):
            learn(solve(sign * weights))
    for v in block:
        if wide_enough(v):
            continue
        objective = np.zeros(size)
        objective[model.local[v]] = -1.0
        x = solve(objective)
        if x is None:
            high_seen[v] = np.inf
        learn(x)
        solved_high[v] = high_seen[v]
        if wide_enough(v):
            continue
        objective[model.local[v]] = 1.0
        learn(solve(objective))
        solved_low[v] = low_seen[v]
    return lps


class _Model:
    """One block as a HiGHS model, built once; each objective re-solves from the last basis."""

    def __init__(self, block: np.ndarray, rows: list[tuple[dict[int, float], float, float]], lower: np.ndarray):
        self.local = {int(v): i for i, v in enumerate(block)}
        self.size = len(block)
        inf = highspy.kHighsInf
        col_lower = lower.astype(float)
        col_upper = np.full(self.size, inf)
        # A row over one variable is a bound on it: as a bound HiGHS needs no row (and no basis
        # position) for it (about a fifth of the rows on the demo's monthly re-run).
        kept = []
        for coef, low, high in rows:
            if len(coef) != 1:
                kept.append((coef, low, high))
                continue
            ((v, a),) = coef.items()
            i = self.local[v]
            low, high = (low / a, high / a) if a > 0 else (high / a, low / a)
            col_lower[i] = max(col_lower[i], low)
            col_upper[i] = min(col_upper[i], high)
        lp = highspy.HighsLp()
        lp.num_col_ = self.size
        lp.num_row_ = len(kept)
        lp.col_cost_ = np.zeros(self.size)
        lp.col_lower_ = col_lower
        lp.col_upper_ = np.where(np.isfinite(col_upper), col_upper, inf)
        lp.row_lower_ = np.array([low if np.isfinite(low) else -inf for _, low, _ in kept], dtype=float)
        lp.row_upper_ = np.array([high if np.isfinite(high) else inf for _, _, high in kept], dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum([len(coef) for coef, _, _ in kept])]).astype(np.int32)
        lp.a_matrix_.index_ = np.array([self.local[v] for coef, _, _ in kept for v in coef], dtype=np.int32)
        lp.a_matrix_.value_ = np.array([a for coef, _, _ in kept for a in coef.values()], dtype=float)
        self.highs = _highs()
        self.highs.passModel(lp)
        self.columns = np.arange(self.size, dtype=np.int32)
        self.warm = False

    def optimum(self, objective: np.ndarray) -> np.ndarray | None:
        """The minimising point, or None when the objective is unbounded below."""
        self.highs.changeColsCost(self.size, self.columns, objective.astype(float))
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
        again = np.zeros(len(values), dtype=bool) if stuck is None else stuck.get(column, again_default(values))
        for cell in exposed[np.argsort(system.rank[exposed], kind="stable")]:
            own = by_cell.get(int(cell), [])
            groups = ([[e] for e in own] or [[]]) if again[cell] else [[]]
            found = False
            for only in [*groups, []] if groups != [[]] else groups:
                if found and not only:
                    break  # the wider search is only a fallback
                partner, _ = _partner(system, by_cell, int(cell), values, withheld, only)
                if partner is None:
                    continue
                found = True
                chosen[column].append(partner)
                withheld[partner] = True
    return chosen


def again_default(values: np.ndarray) -> np.ndarray:
    return np.zeros(len(values), dtype=bool)


def _partner(
    system: System,
    by_cell: Mapping[int, list[int]],
    cell: int,
    values: np.ndarray,
    withheld: np.ndarray,
    only: Sequence[int] = (),
) -> tuple[int | None, list[int]]:
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
                if withheld[j] or np.isnan(v) or v <= 0:
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
            nxt |= {int(m) for m in members if withheld[int(m)]} | ({margin} if withheld[margin] else set())
        frontier = sorted(nxt - seen_cells)
        seen_cells |= nxt
    return None, []


# --- Tables → one system, and the fixed point --------------------------------------------------


def linked_system(
    tables: Sequence[tuple[pd.DataFrame, Sequence[str], str | None]],
    patterns: Sequence[Mapping[str, np.ndarray]],
    rules: Sequence[ColumnRule],
    primary: str,
    k: int,
    all_value: str = ALL,
    sensitive_rows: Sequence[Mapping[str, np.ndarray]] | None = None,
) -> tuple[System, list[np.ndarray]]:
    """The cells of linked tables as one system, and each table row's cell number.

    A row whose breakdown is `all_value` is the same cell in every table (the summary rows).
    `sensitive_rows` (one mapping per table, count columns): rows whose withheld figures need the
    protection interval although their count is k or more (a count that moved by 1..k-1 since it was
    last published, pipelines/disclosure_time.py: pinned, it would give the few pupils' figures by difference).
    """
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
    for (frame, keys, _), ids in zip(tables, cell_of, strict=True):
        for dim, eq in zip(keys, equations(frame, keys, all_value), strict=True):
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
    nonzero = {
        rule.name: withheld[rule.name] & (rule.count & ((rule.name == primary) | ~primary_withheld)) for rule in rules
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
    system = System(
        rank=rank,
        equations=eqs,
        values=values,
        shown=shown,
        withheld=withheld,
        nonzero=nonzero,
        sensitive=sensitive,
    )
    return system, cell_of


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
) -> Protected:
    """Complementary suppression (disclosure.py), then LP audits and extra cells until none is exposed.

    Audited derived columns (those in `rules` but not in `count_columns`) are withheld wherever an
    audited count of the row is, plus any cell the audit adds for them alone. Why: withheld only
    with the primary count, hours cells beside a published record count stayed pinned by the
    published totals and gained ±0.05 per extra cell (34 rounds, 74 s on the demo); withheld with
    the records they follow the records' pattern, which already passes (3 rounds, 5 s).
    `start` (one mapping per table, count columns): cells withheld from the outset, e.g. because another
    file that publishes the same cell withholds it. `sensitive` (same form): rows withheld from the outset
    whose figures the LP audit must protect as if their count were 1..k-1 (pipelines/disclosure_time.py).
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
    result: Audit | None = None
    stuck: dict[str, np.ndarray] | None = None
    previous: dict[str, np.ndarray] | None = None
    for rounds in range(1, max_rounds + 1):
        counts = linked_patterns(
            tables, count_columns, k, primary=primary, start=[{c: e[c] for c in count_columns} for e in extra]
        )
        full = [
            {**p, **{d: np.logical_or.reduce([p[c] for c in audited_counts]) | e[d] for d in derived}}
            for p, e in zip(counts, extra, strict=True)
        ]
        system, cell_of = linked_system(tables, full, rules, primary, k, sensitive_rows=sensitive)
        # An earlier audit's feasible points only stay feasible if nothing it withheld is published
        # again (redoing the one-equation rule with the extra cells can drop partners).
        grown = previous is not None and all((previous[c] <= system.withheld[c]).all() for c in columns)
        result = audit(system, rules, bounds, seen=result if grown else None)
        previous = {c: system.withheld[c].copy() for c in columns}
        log.debug("LP audit round %d: %d LP, %d exposed", rounds, result.lps, result.n_exposed)
        if result.n_exposed == 0:
            return Protected(counts, [{d: f[d] for d in derived} for f in full], result, rounds, added)
        chosen = extra_cells(system, result, columns, stuck)
        stuck = {c: result.exposed[c].copy() for c in columns}
        if not any(chosen.values()):
            raise AssertionError(
                f"LP audits: {result.n_exposed} aizklātas šūnas nav aizsargājamas / withheld cells cannot be protected"
            )
        for column, cells in chosen.items():
            for t, ids in enumerate(cell_of):
                extra[t][column] |= np.isin(ids, cells)
            added += len(cells)
    raise AssertionError(f"LP audits nesasniedza līdzsvaru / the LP audit did not settle in {max_rounds} rounds")
