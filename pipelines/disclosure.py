"""Statistical disclosure control for published tables: primary and complementary cell suppression.

Rule set: the UK Government Statistical Service / Department for Education practice for
published pupil counts (GSS "Dealing with disclosure risk in tables"; DfE "Statistics:
disclosure control" guidance), with Eurostat-style hypercube secondary suppression:

* primary: a count between 1 and k−1 is withheld; true zeros are published;
* every figure computed from the people in a withheld count (the rest of its row) is withheld too;
* complementary: tables carry 'ALL' margins along each key. For every key dimension and every
  combination of the other keys, the cells along that dimension and their margin form one
  equation (margin = sum, or for distinct counts the union, of the cells). An equation with
  exactly one withheld member would give that member away by subtraction, so a second member is
  withheld: the smallest non-zero published cell (a margin only if no cell qualifies), ties
  broken by the table's sorted key order. This repeats over all dimensions until no equation
  has exactly one withheld member; margins are cells of higher-level equations, so withholding a
  margin propagates upwards.

Schools as readers (the respondent rule): a school that alone makes up a cell knows it even where it is
withheld (it delivered the data and gets its own figures back), so where every withheld member of an
equation but one is that school's, it gets the one by subtraction. Each caller that knows which cells one
school makes up passes them (`owner`), and then no equation may leave any school exactly one withheld
member it does not know: a second member that is not that school's is withheld too (Hundepool et al.
2012 §4.2 on respondents as intruders; τ-ARGUS's "singleton" protection is the same idea).

Distinct counts (pupils, staff) are not exact sums of their cells; they are protected as if they
were, which is conservative. The method guards against recovery from any one equation; the
linear-programming audit across all equations and files at once is in disclosure_audit.py (export and report).

The published CSVs (export) and the report tables and charts (report) follow these same rules; the
report adapts the result for display (`protect`: withheld cells become NaN floats, which tables print
as "<k" and charts leave out) and guards every frame it shows (`assert_no_small`).

Everything here is pure: small pandas frames in, new frames out; the input is never changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

ALL = "ALL"


@dataclass(frozen=True)
class _Equation:
    """The equations along one key dimension: rows grouped by every other key."""

    group: np.ndarray  # group number per row
    is_margin: np.ndarray  # the row holds ALL in this dimension
    has_margin: np.ndarray  # per group: a margin row is published, so the group is an equation


@dataclass(frozen=True)
class Layout:
    """What suppression needs of a table's keys alone: its equations and each row's rank. Computed
    once for a table suppressed again and again (the LP audit's rounds), not once per pattern."""

    eqs: list[_Equation]
    rank: np.ndarray


def layout(frame: pd.DataFrame, keys: Sequence[str], all_value: str = ALL) -> Layout:
    return Layout(equations(frame, keys, all_value), _key_rank(frame, keys, all_value))


def sort_rows(frame: pd.DataFrame, keys: Sequence[str], all_value: str = ALL) -> pd.DataFrame:
    """Rows in key order with each key's margin last; the order every export is written in."""
    return frame.iloc[np.argsort(_key_rank(frame, keys, all_value))].reset_index(drop=True)


def equations(frame: pd.DataFrame, keys: Sequence[str], all_value: str = ALL) -> list[_Equation]:
    """One entry per key dimension: which rows add up (or unite) to which published margin."""
    key_frame = frame[list(keys)].astype(str)
    if key_frame.duplicated().any():
        raise ValueError(f"Atslēgas nav unikālas / keys are not unique: {list(keys)}")
    out = []
    for dim in keys:
        others = [k for k in keys if k != dim]
        if others:
            group = key_frame.groupby(others, sort=True, dropna=False).ngroup().to_numpy()
        else:
            group = np.zeros(len(frame), dtype=np.int64)
        is_margin = (key_frame[dim] == all_value).to_numpy()
        n_groups = int(group.max()) + 1 if len(group) else 0
        has_margin = np.bincount(group, weights=is_margin, minlength=n_groups) >= 1
        out.append(_Equation(group=group, is_margin=is_margin, has_margin=has_margin))
    return out


def _key_rank(frame: pd.DataFrame, keys: Sequence[str], all_value: str) -> np.ndarray:
    """Each row's position in sorted key order: the deterministic tie-break."""
    rows = [tuple((str(v) == all_value, str(v)) for v in r) for r in frame[list(keys)].itertuples(index=False)]
    rank = np.empty(len(rows), dtype=np.int64)
    rank[sorted(range(len(rows)), key=rows.__getitem__)] = np.arange(len(rows))
    return rank


def protect_column(
    values: np.ndarray,
    initial: np.ndarray,
    eqs: Sequence[_Equation],
    rank: np.ndarray,
    known: np.ndarray | None = None,
    owner: np.ndarray | None = None,
) -> np.ndarray:
    """Complementary suppression for one count column: grow `initial` until no equation has
    exactly one withheld member. Returns a new boolean mask.

    `known`: cells a reader knows although they may be withheld (unchanged since an earlier run
    published them, pipelines/disclosure_time.py): they do not count as withheld members and are
    never chosen as complements.
    `owner`: per cell, the one school whose data alone make it up (a code ≥ 0; −1 where several or
    none do). That school knows the cell although it is withheld (it delivered the data and gets its
    figures back), so an equation whose withheld members are all that school's but one gives the one
    away to it: a second member that is not that school's is withheld too (the respondent rule)."""
    supp = initial.copy()
    known = np.zeros(len(values), dtype=bool) if known is None else np.asarray(known, dtype=bool)
    publishable = ~np.isnan(values) & (values > 0) & ~known
    changed = True
    while changed:
        changed = False
        for eq in eqs:
            n_groups = len(eq.has_margin)
            count = np.bincount(eq.group, weights=supp & ~known, minlength=n_groups)
            exposed = (count == 1) & eq.has_margin
            if owner is not None and _insider_partners(eq, supp, known, count, owner, publishable, values, rank):
                changed = True
                count = np.bincount(eq.group, weights=supp & ~known, minlength=n_groups)
                exposed = (count == 1) & eq.has_margin
            if not exposed.any():
                continue
            candidate = np.flatnonzero(exposed[eq.group] & ~supp & publishable)
            if candidate.size == 0:
                continue
            # Per group: cells before the margin, then smallest value, then key order.
            order = np.lexsort((rank[candidate], values[candidate], eq.is_margin[candidate], eq.group[candidate]))
            ordered = candidate[order]
            first = np.ones(ordered.size, dtype=bool)
            first[1:] = eq.group[ordered[1:]] != eq.group[ordered[:-1]]
            supp[ordered[first]] = True
            changed = True
    return supp


def _insider_partners(
    eq: _Equation,
    supp: np.ndarray,
    known: np.ndarray,
    count: np.ndarray,
    owner: np.ndarray,
    publishable: np.ndarray,
    values: np.ndarray,
    rank: np.ndarray,
) -> bool:
    """The respondent rule for one dimension's equations, in place on `supp`: for every group and school
    whose withheld members leave exactly one member that school does not know, withhold the cheapest
    published member that is not that school's (cells before the margin, smallest value, key order).
    Returns whether anything was added."""
    mine = supp & ~known & (owner >= 0)
    if not mine.any():
        return False
    rows = np.flatnonzero(mine)
    width = int(owner.max()) + 1
    pair, per_school = np.unique(eq.group[rows] * width + owner[rows], return_counts=True)
    group, school = pair // width, pair % width
    hit = (count[group] - per_school == 1) & eq.has_margin[group]
    if not hit.any():
        return False
    by_group = np.argsort(eq.group, kind="stable")
    starts = np.searchsorted(eq.group[by_group], np.arange(len(eq.has_margin) + 1))
    added = False
    for g, s in zip(group[hit], school[hit], strict=True):
        members = by_group[starts[g] : starts[g + 1]]
        if (supp[members] & ~known[members] & (owner[members] != s)).sum() != 1:
            continue  # a partner added for another school of this group already covers this one
        candidate = members[~supp[members] & publishable[members] & (owner[members] != s)]
        if candidate.size == 0:
            continue
        supp[candidate[np.lexsort((rank[candidate], values[candidate], eq.is_margin[candidate]))[0]]] = True
        added = True
    return added


def suppression_pattern(
    frame: pd.DataFrame,
    keys: Sequence[str],
    count_columns: Sequence[str],
    k: int = 5,
    *,
    primary: str | None = None,
    start: Mapping[str, np.ndarray] | None = None,
    all_value: str = ALL,
    keys_layout: Layout | None = None,
    known: Mapping[str, np.ndarray] | None = None,
    owner: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Which cell of each count column to withhold (boolean mask per column, in row order).

    `primary` (default: the first count column) counts the people the row describes; where it
    is withheld the whole row is withheld, and the other count columns start from that pattern.
    `start` adds cells already withheld elsewhere (a linked table sharing these rows).
    `keys_layout`: `layout(frame, keys, all_value)`, when the caller has it already.
    `known`: per column, cells a reader knows from an earlier run (`protect_column`).
    `owner`: per row, the one school whose data alone make it up, as a code ≥ 0 (−1: several or none),
    for the respondent rule (`protect_column`).
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    primary = primary or count_columns[0]
    start = start or {}
    known = known or {}
    keys_layout = keys_layout or layout(frame, keys, all_value)
    eqs, rank = keys_layout.eqs, keys_layout.rank
    none = np.zeros(len(frame), dtype=bool)

    def initial(column: str, values: np.ndarray) -> np.ndarray:
        small = ~np.isnan(values) & (values >= 1) & (values <= k - 1)
        return small | np.asarray(start.get(column, none), dtype=bool)

    pattern: dict[str, np.ndarray] = {}
    values = frame[primary].to_numpy(dtype=float, na_value=np.nan)
    pattern[primary] = protect_column(values, initial(primary, values), eqs, rank, known.get(primary), owner)
    for column in count_columns:
        if column == primary:
            continue
        values = frame[column].to_numpy(dtype=float, na_value=np.nan)
        pattern[column] = protect_column(
            values, initial(column, values) | pattern[primary], eqs, rank, known.get(column), owner
        )
    return pattern


def apply_pattern(
    frame: pd.DataFrame,
    pattern: Mapping[str, np.ndarray],
    derived_columns: Sequence[str] = (),
    derived_from: Sequence[str] | None = None,
    derived_extra: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """A copy with withheld cells blank and a `suppressed` flag (any figure in the row withheld).

    Derived columns are blanked wherever any of `derived_from` (default: every count column in the
    pattern) is withheld, since they are computed from the same people, and where `derived_extra`
    withholds them on their own (the linear-programming audit).
    """
    out = frame.copy()
    any_withheld = np.zeros(len(frame), dtype=bool)
    for column, mask in pattern.items():
        out[column] = pd.array(frame[column].to_numpy(dtype=float, na_value=np.nan), dtype="Float64").astype("Int64")
        out.loc[mask, column] = pd.NA
        any_withheld |= mask
    sources = list(derived_from) if derived_from is not None else list(pattern)
    blank = np.zeros(len(frame), dtype=bool)
    for column in sources:
        blank |= pattern[column]
    for column in derived_columns:
        out[column] = frame[column].astype("Float64")
        alone = np.asarray((derived_extra or {}).get(column, np.zeros(len(frame), dtype=bool)), dtype=bool)
        out.loc[blank | alone, column] = pd.NA
        any_withheld |= alone
    out["suppressed"] = any_withheld | blank
    return out


def suppress(
    frame: pd.DataFrame,
    keys: Sequence[str],
    count_columns: Sequence[str],
    derived_columns: Sequence[str] = (),
    k: int = 5,
    *,
    primary: str | None = None,
    derived_from: Sequence[str] | None = None,
    all_value: str = ALL,
) -> pd.DataFrame:
    """Primary + complementary suppression of a table with 'ALL' margins; see the module docstring.

    Returns a new frame: count columns as nullable integers, withheld cells blank (<NA>), derived
    columns blanked with their counts, and a boolean `suppressed` column.
    """
    pattern = suppression_pattern(frame, keys, count_columns, k, primary=primary, all_value=all_value)
    return apply_pattern(frame, pattern, derived_columns, derived_from)


def linked_patterns(
    tables: Sequence[tuple[pd.DataFrame, Sequence[str], str | None]],
    count_columns: Sequence[str],
    k: int = 5,
    *,
    primary: str | None = None,
    start: Sequence[Mapping[str, np.ndarray]] | None = None,
    all_value: str = ALL,
    layouts: Sequence[Layout] | None = None,
    known: Sequence[Mapping[str, np.ndarray]] | None = None,
    owners: Sequence[np.ndarray | None] | None = None,
) -> list[dict[str, np.ndarray]]:
    """Suppression patterns for tables that publish the same cells, withheld alike in all of them.

    Each table is (frame, keys, breakdown key); its rows with the breakdown at `all_value` are the
    shared cells (e.g. the summary table repeated inside the by-subject and by-role tables).
    Without this, a cell withheld in one file could be read off another. A single table may have
    no breakdown (None). `start` (one mapping per table) adds cells withheld for other reasons,
    such as the linear-programming audit. `layouts`: each table's `layout`, when the caller has them.
    `known` (one mapping per table): cells a reader knows from an earlier run (`protect_column`); a shared
    cell known in one table is known in all. `owners` (one array or None per table): each row's one
    school as a code ≥ 0 (−1: several or none), the same code for the same school in every table
    (`protect_column`'s respondent rule).
    """
    layouts = layouts or [layout(frame, keys, all_value) for frame, keys, _ in tables]
    if len(tables) == 1 and tables[0][2] is None:
        frame, keys, _ = tables[0]
        first = dict(start[0]) if start else None
        return [
            suppression_pattern(
                frame,
                keys,
                count_columns,
                k,
                primary=primary,
                start=first,
                all_value=all_value,
                keys_layout=layouts[0],
                known=known[0] if known else None,
                owner=owners[0] if owners else None,
            )
        ]
    positions: list[np.ndarray] = []
    shared_keys: list[tuple[str, ...]] | None = None
    for frame, keys, breakdown in tables:
        base = [key for key in keys if key != breakdown]
        rows = np.flatnonzero((frame[breakdown].astype(str) == all_value).to_numpy())
        lookup = dict(zip(frame.iloc[rows][base].astype(str).itertuples(index=False, name=None), rows, strict=True))
        if shared_keys is None:
            shared_keys = sorted(lookup)
        elif sorted(lookup) != shared_keys:
            raise ValueError("Saistītajām tabulām atšķiras kopējās rindas / linked tables do not share the same rows")
        positions.append(np.array([lookup[key] for key in shared_keys], dtype=np.int64))
    n_shared = len(shared_keys or [])
    shared = {column: np.zeros(n_shared, dtype=bool) for column in count_columns}
    patterns: list[dict[str, np.ndarray]] = [
        {
            column: np.asarray((start[i] if start else {}).get(column, np.zeros(len(frame), dtype=bool)), dtype=bool)
            for column in count_columns
        }
        for i, (frame, _, _) in enumerate(tables)
    ]
    known_in = [
        {
            column: np.asarray((known[i] if known and i < len(known) else {}).get(column, np.zeros(len(frame))), bool)
            for column in count_columns
        }
        for i, (frame, _, _) in enumerate(tables)
    ]
    for column in count_columns:
        either = np.logical_or.reduce([mask[column][positions[i]] for i, mask in enumerate(known_in)])
        for i, mask in enumerate(known_in):
            mask[column][positions[i]] |= either
    changed = True
    while changed:
        changed = False
        for i, (frame, keys, _) in enumerate(tables):
            begin = {column: patterns[i][column].copy() for column in count_columns}
            for column in count_columns:
                begin[column][positions[i]] |= shared[column]
            patterns[i] = suppression_pattern(
                frame,
                keys,
                count_columns,
                k,
                primary=primary,
                start=begin,
                all_value=all_value,
                keys_layout=layouts[i],
                known=known_in[i],
                owner=owners[i] if owners else None,
            )
            for column in count_columns:
                grown = shared[column] | patterns[i][column][positions[i]]
                if (grown != shared[column]).any():
                    shared[column] = grown
                    changed = True
    return patterns


# The two largest pupils' payments per cell (export/programme_cube.sql, report/queries.py): read by the
# dominance rule, never written.
TOP_EUR = ("financial_top1_eur", "financial_top2_eur")


def dominated(frame: pd.DataFrame, p: float, total: str = "financial_support_eur") -> np.ndarray:
    """The p% rule (Hundepool et al., Statistical Disclosure Control, 2012, §4.2.2): a cell of financial
    support is sensitive when the pupils other than the two largest got less than p × the largest payment,
    i.e. the second-largest recipient (who knows their own payment) could subtract it from the total and
    estimate the largest pupil's support to within p %. Counts of 1..k-1 are withheld anyway."""
    cell = frame[total].to_numpy(dtype=float, na_value=0.0)
    top1, top2 = (frame[column].to_numpy(dtype=float, na_value=0.0) for column in TOP_EUR)
    return (top1 > 0) & (cell - top1 - top2 < p * top1 - 1e-9)


# --- for the reports: the same rules, withheld cells as NaN -------------------------------------
def protect(
    frame: pd.DataFrame,
    keys: Sequence[str],
    count_cols: Sequence[str],
    k: int,
    derived: Sequence[str] = (),
) -> pd.DataFrame:
    """A copy with withheld counts and figures as NaN; the first count column counts pupils."""
    if frame.empty:
        out = frame.copy()
        out["suppressed"] = pd.Series(dtype=bool)
        return out
    out = suppress(frame, list(keys), list(count_cols), list(derived), k=k)
    for col in (*count_cols, *derived):
        out[col] = out[col].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    return out


def small_mask(counts: pd.Series, k: int) -> pd.Series:
    """True where a count is between 1 and k-1."""
    values = pd.to_numeric(counts, errors="coerce")
    return (values >= 1) & (values < k)


def suppress_small(frame: pd.DataFrame, count_col: str, k: int, measures: Sequence[str] = ()) -> pd.DataFrame:
    """Primary suppression only, for marts that come without margins: a row with 1..k-1 pupils
    loses that count and `measures` (NaN)."""
    out = frame.copy()
    if out.empty:
        return out
    mask = small_mask(out[count_col], k).fillna(False).to_numpy(dtype=bool)
    for col in (count_col, *measures):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
        out.loc[mask, col] = np.nan
    return out


def assert_no_small(frame: pd.DataFrame, count_cols: Sequence[str], k: int) -> None:
    """Guard before showing a frame: fails loudly rather than publishing a small count."""
    for col in count_cols:
        if col in frame and small_mask(frame[col], k).any():
            raise AssertionError(f"Pārskatā ir skaits mazāks par {k} / a count below {k} in column {col!r}")
