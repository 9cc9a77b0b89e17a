"""The linear-programming attack on the published files, and the audit that defeats it.

An attacker holding every export solves all published margins at once (lp_attack.py, written
independently of the module). Before the audit, withheld `n_consultations` of small groups were
recovered exactly; now every withheld figure about fewer than k pupils keeps an interval at least
max(3, 20 % of its value) wide.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from export_checks import build_support_cube
from lp_attack import ALL, BASE, protection, support_cells, support_intervals
from test_export_stage import consultations, settings

from pipelines import disclosure_audit as audit_module
from pipelines.changes import record_exports
from pipelines.disclosure import linked_patterns
from pipelines.disclosure_audit import ColumnRule, _Model, audit, audited_patterns, linked_system
from pipelines.export.stage import load_support_cube, run_export
from pipelines.export.tables import SUPPORT_BY_SUBJECT
from pipelines.warehouse import connect

K = 5


def several_projects(path: Path, n: int = 500):
    """A warehouse whose consultations spread over three projects and four municipalities."""
    con = connect(path)
    frame = consultations(seed=11, n=n)
    con.register("frame", frame)
    con.execute(
        "create table core.consultations as select * exclude (semester), cast(semester as integer) as semester "
        "from frame"
    )
    build_support_cube(con)
    return con


def truth_by_key(cube: pd.DataFrame, breakdown: str) -> dict[tuple, pd.Series]:
    out = {}
    for _, row in cube.iterrows():
        value = str(row[breakdown])
        key = (*(str(row[k]) for k in BASE), breakdown if value != ALL else None, value)
        out[key] = row
    return out


@pytest.fixture(scope="module")
def attacked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[tuple, pd.Series]]:
    tmp = tmp_path_factory.mktemp("lp")
    con = several_projects(tmp / "w.duckdb")
    truth = {**truth_by_key(load_support_cube(con, "subject"), "subject")}
    truth.update(truth_by_key(load_support_cube(con, "staff_role"), "staff_role"))
    run_export(con, settings(tmp), "run-lp")
    con.close()
    return tmp / "out" / "exports", truth


@pytest.mark.parametrize(("column", "exact"), [("n_consultations", True), ("n_pupils_supported", False)])
def test_lp_attack_cannot_narrow_a_withheld_figure_about_few_pupils(attacked, column: str, exact: bool) -> None:
    exports, truth = attacked

    def about_few(key: tuple) -> bool:
        row = truth[key]
        return bool(1 <= float(row["n_pupils_supported"]) <= K - 1 or 1 <= float(row[column]) <= K - 1)

    intervals = support_intervals(exports, column, exact, about_few)
    checked = 0
    for key, low, high in intervals.itertuples(index=False):
        row = truth[key]
        pupils, value = float(row["n_pupils_supported"]), float(row[column])
        if not (1 <= pupils <= K - 1 or 1 <= value <= K - 1):
            continue  # a complementary cell about k or more pupils: an unknown, not a secret
        checked += 1
        assert low <= value <= high, (key, low, value, high)
        width = np.floor(high + 1e-6) - np.ceil(low - 1e-6)
        assert width >= protection(value) - 1e-6, f"{column} {key}: {value} known to lie in [{low}, {high}]"
    assert checked > 20  # the fixture really withholds figures about small groups


def test_hand_made_table_gets_the_extra_cell_worked_out_by_hand() -> None:
    # k = 3 (counts of 1–2 withheld). Two projects × two municipalities with every margin:
    #        m1   m2   ALL
    #   p1    1   30    31
    #   p2    3    7    10
    #   ALL   4   37    41
    # The one-equation rule withholds the 1, its partners 30 (row) and 3 (column), and 7: a square.
    # Solving the margins together: p1m1 = 1 + s, p2m1 = 3 − s, p1m2 = 30 − s, p2m2 = 7 + s, and a
    # withheld count is ≥ 1 (zeros are published), so s ∈ [0, 2]: the 1 is known to lie in [1, 3],
    # narrower than 3. Every cell of its two equations is withheld, so the cheapest published
    # partner is a margin: ALL/m1 = 4 (not p1/ALL = 31). Redoing the one-equation rule from the
    # start with ALL/m1 withheld pairs the 1 with ALL/m1 in column m1 (the 3 and the 7 are no
    # longer needed) and ALL/m1 with ALL/m2 in the ALL row. Then p1m1 ∈ [1, 30]: protected.
    rows = [
        ("p1", "m1", 1),
        ("p1", "m2", 30),
        ("p2", "m1", 3),
        ("p2", "m2", 7),
        ("p1", ALL, 31),
        ("p2", ALL, 10),
        (ALL, "m1", 4),
        (ALL, "m2", 37),
        (ALL, ALL, 41),
    ]
    k = 3
    frame = pd.DataFrame(rows, columns=["p", "m", "n"]).astype({"n": float})
    tables = [(frame, ("p", "m"), None)]
    rules = [ColumnRule("n", exact=True)]
    before = linked_patterns(tables, ["n"], k)[0]["n"]
    assert before.tolist() == [True, True, True, True, False, False, False, False, False]
    system, _ = linked_system(tables, [{"n": before}], rules, "n", k)
    first = audit(system, rules)
    assert (first.low["n"][0], first.high["n"][0]) == (1, 3)
    assert first.exposed["n"].tolist() == [True, False, False, False, False, False, False, False, False]
    protected = audited_patterns(tables, ["n"], k, rules)
    assert protected.counts[0]["n"].tolist() == [True, True, False, False, False, False, True, True, False]
    assert protected.added == 1 and protected.rounds == 2
    final = protected.audit
    assert not final.exposed["n"].any()
    assert final.high["n"][0] - final.low["n"][0] >= 3


@pytest.fixture(scope="module")
def second_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[tuple, pd.Series], set[tuple]]:
    """Two runs a month apart: the second adds a few consultations, so counts move by 1..k-1."""
    tmp = tmp_path_factory.mktemp("lp2")
    con = several_projects(tmp / "w.duckdb", n=250)
    run_export(con, settings(tmp), "20250101T000000-run1")
    record_exports(tmp / "out" / "exports", tmp / "out" / "history", "20250101T000000-run1")
    first = support_cells(tmp / "out" / "exports")
    more = consultations(seed=12, n=30)
    con.register("more", more)
    con.execute("insert into core.consultations select * exclude (semester), cast(semester as integer) from more")
    build_support_cube(con)
    truth = {**truth_by_key(load_support_cube(con, "subject"), "subject")}
    truth.update(truth_by_key(load_support_cube(con, "staff_role"), "staff_role"))
    run_export(con, settings(tmp), "20250201T000000-run2")
    con.close()
    moved = set()
    for key, row in truth.items():
        old = first.get(key, {})
        for column in SUPPORT_BY_SUBJECT.counts:
            if old.get(column, "") != "" and 1 <= abs(float(row[column]) - float(old[column])) <= K - 1:
                moved.add(key)
    return tmp / "out" / "exports", truth, moved


@pytest.mark.parametrize(("column", "exact"), [("n_consultations", True), ("n_pupils_supported", False)])
def test_lp_attack_on_a_second_run_cannot_narrow_a_figure_whose_count_moved(
    second_run, column: str, exact: bool
) -> None:
    """The monthly re-run's audit (faster since issue 18) still gives every withheld figure of a row whose
    count moved by 1..k-1 the protection interval against the attacker (small groups: the test above)."""
    exports, truth, moved = second_run

    intervals = support_intervals(exports, column, exact, lambda key: key in moved)
    checked = large = 0
    for key, low, high in intervals.itertuples(index=False):
        value = float(truth[key][column])
        checked += 1
        large += value >= 5 * K
        assert low <= value <= high, (key, low, value, high)
        width = np.floor(high + 1e-6) - np.ceil(low - 1e-6)
        assert width >= protection(value) - 1e-6, f"{column} {key}: {value} known to lie in [{low}, {high}]"
    assert checked > 10
    if exact:
        assert large > 0  # moved cells of many records (wider intervals needed) are among those checked


def test_audit_model_takes_one_variable_rows_as_bounds_and_gives_the_same_interval() -> None:
    """A row over one unknown (cell ≤ a published margin) is a bound: HiGHS gets fewer rows, same optimum."""
    rows = [
        ({0: 1.0, 1: 1.0}, 10.0, 10.0),  # x0 + x1 = 10
        ({0: 1.0}, 0.0, 7.0),  # x0 ≤ 7
        ({1: -2.0}, -np.inf, -4.0),  # x1 ≥ 2
        ({1: 1.0}, -np.inf, 7.0),  # x1 ≤ 7
        ({1: 1.0, 2: -1.0}, 0.0, np.inf),  # x1 ≥ x2
    ]
    model = _Model(np.arange(3), rows, np.ones(3))
    assert model.highs.getNumRow() == 2  # 5 rows, 3 of them over one unknown
    low = model.optimum(np.array([1.0, 0.0, 0.0]))
    high = model.optimum(np.array([-1.0, 0.0, 0.0]))
    assert low is not None and high is not None
    assert (round(low[0], 6), round(high[0], 6)) == (3.0, 7.0)
    assert model.optimum(np.array([0.0, 0.0, -1.0]))[2] == pytest.approx(7.0)


def crossed_table(
    seed: int = 3, projects: int = 4, places: int = 8, subjects: int = 10
) -> tuple[pd.DataFrame, np.ndarray]:
    """A project × place × subject table of exact counts with every margin, and a quarter of its rows
    marked as moved since last published (sensitive): many cells of one linked block end up exposed."""
    rng = np.random.default_rng(seed)
    rows = [
        (f"p{p}", f"m{m}", f"s{s}", float(rng.choice([0, 1, 2, 3]) if rng.random() < 0.15 else rng.integers(5, 120)))
        for p in range(projects)
        for m in range(places)
        for s in range(subjects)
    ]
    cells = pd.DataFrame(rows, columns=["p", "m", "s", "n"])
    parts = [cells]
    for keep in (("p", "m"), ("p", "s"), ("m", "s"), ("p",), ("m",), ("s",), ()):
        sums = cells.groupby(list(keep), as_index=False)["n"].sum() if keep else pd.DataFrame({"n": [cells["n"].sum()]})
        parts.append(sums.assign(**{c: ALL for c in ("p", "m", "s") if c not in keep})[["p", "m", "s", "n"]])
    frame = pd.concat(parts, ignore_index=True)
    moved = (np.random.default_rng(seed + 1).random(len(frame)) < 0.25) & (frame["n"].to_numpy() > 0)
    return frame, moved


def test_neighbourhood_lps_find_the_same_exposed_cells_with_fewer_lps_on_the_block(monkeypatch) -> None:
    """Issue 18 (monthly increment): LPs near a cell settle most cells; the verdicts are the block LPs' own."""
    frame, moved = crossed_table()
    tables, rules, start = [(frame, ("p", "m", "s"), None)], [ColumnRule("n", exact=True)], [{"n": moved}]
    patterns = linked_patterns(tables, ["n"], K, start=start)
    system, _ = linked_system(tables, patterns, rules, "n", K, sensitive_rows=start)
    monkeypatch.setattr(audit_module, "NEIGHBOURHOODS_FROM", 10**9)
    block_only = audit(system, rules)
    monkeypatch.setattr(audit_module, "NEIGHBOURHOODS_FROM", 0)
    near = audit(system, rules)
    exposed = block_only.exposed["n"]
    assert exposed.sum() >= 20  # the table really exposes many cells
    assert (near.exposed["n"] == exposed).all()
    assert near.local_lps > 0 and near.lps < block_only.lps - exposed.sum()  # most exposed cells: no block LP
    # An exposed cell's interval from a neighbourhood contains the exact one; values reached are feasible.
    assert (near.low["n"][exposed] <= block_only.low["n"][exposed] + 1e-6).all()
    assert (near.high["n"][exposed] >= block_only.high["n"][exposed] - 1e-6).all()
    solved = ~np.isnan(block_only.low["n"]) & exposed
    assert (near.reached_low["n"][solved] >= block_only.low["n"][solved] - 1e-6).all()
    assert (near.reached_high["n"][solved] <= block_only.high["n"][solved] + 1e-6).all()


def test_audited_patterns_are_the_same_with_neighbourhoods_and_earlier_points(monkeypatch) -> None:
    """The published pattern does not depend on the shortcuts: block LPs alone give the same cells."""
    frame, moved = crossed_table(seed=5)
    tables, rules, start = [(frame, ("p", "m", "s"), None)], [ColumnRule("n", exact=True)], [{"n": moved}]
    monkeypatch.setattr(audit_module, "NEIGHBOURHOODS_FROM", 0)
    fast = audited_patterns(tables, ["n"], K, rules, start=start, sensitive=start)
    monkeypatch.setattr(audit_module, "NEIGHBOURHOODS_FROM", 10**9)
    monkeypatch.setattr(audit_module, "_still_feasible", lambda *args: [])
    slow = audited_patterns(tables, ["n"], K, rules, start=start, sensitive=start)
    assert fast.rounds == slow.rounds > 1 and fast.added == slow.added
    assert (fast.counts[0]["n"] == slow.counts[0]["n"]).all()


def test_a_point_of_an_earlier_round_is_kept_only_if_it_meets_every_constraint_now() -> None:
    """x0 + x1 + x2 = 12 (true 4, 4, 4; each ≥ 1). Earlier points moved x0 and x1; x2 is published now
    (not an unknown), so a point is kept only where x0 + x1 still makes 8."""
    keys = np.array([10, 11])  # the unknowns x0, x1 by cell key; x2 (key 12) is published at 4
    truth, lower = np.array([4.0, 4.0]), np.ones(2)
    rows = [({0: 1.0, 1: 1.0}, 8.0, 8.0)]
    constraints = audit_module._Rows.of(rows, range(2), 2)
    points = [
        (np.array([10, 11]), np.array([1.0, 7.0])),  # x0 + x1 = 8: feasible now
        (np.array([10, 12]), np.array([2.0, 6.0])),  # needed x2 = 6, published 4: x0 + x1 = 6
        (np.array([11]), np.array([0.0])),  # x1 = 0 breaks x1 ≥ 1 and the sum
    ]
    kept = audit_module._still_feasible(points, keys, truth, lower, constraints)
    assert [(v.tolist(), x.tolist()) for v, x in kept] == [([0, 1], [1.0, 7.0])]


# --- Insiders: a school that alone makes up its municipality's rows knows them (the respondent rule) ---

ONE_SCHOOL = ("Cēsu novads", "Ludzas novads")  # one school each in the fixture (test_export_stage.consultations)


@pytest.mark.parametrize("insider", ONE_SCHOOL)
def test_an_insider_one_school_municipality_cannot_solve_another_small_cell(attacked, insider: str) -> None:
    exports, truth = attacked
    column = "n_consultations"
    known = {key: float(row[column]) for key, row in truth.items() if key[1] == insider}

    def about_few(key: tuple) -> bool:
        return key[1] != insider and 1 <= float(truth[key]["n_pupils_supported"]) <= K - 1

    intervals = support_intervals(exports, column, True, about_few, known=known)
    assert len(intervals) > 0
    pinned = []
    for key, low, high in intervals.itertuples(index=False):
        value = float(truth[key][column])
        assert low - 1e-6 <= value <= high + 1e-6, (key, low, value, high)
        if np.floor(high + 1e-6) - np.ceil(low - 1e-6) < protection(value) - 1e-6:
            pinned.append((key, low, high, value))
    assert not pinned, f"{insider} narrows {len(pinned)} withheld cells, e.g. {pinned[:3]}"
