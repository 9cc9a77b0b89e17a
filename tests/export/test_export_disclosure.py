"""Disclosure control as a pure function: hand-made tables with counts around k, then seeded random cubes."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from export_checks import ALL, assert_additive, assert_protected

from pipelines.disclosure import equations, linked_patterns, sort_rows, suppress, suppression_pattern


def one_dim(values: dict[str, int], margin: int | None = None) -> pd.DataFrame:
    keys = [*values, ALL]
    counts = [*values.values(), sum(values.values()) if margin is None else margin]
    return pd.DataFrame({"g": keys, "n": counts, "hours": [c * 1.5 for c in counts]})


def shown(frame: pd.DataFrame, column: str = "n") -> list:
    return [None if pd.isna(v) else int(v) for v in frame[column]]


def test_small_cell_and_its_smallest_partner_are_withheld() -> None:
    frame = one_dim({"a": 3, "b": 10, "c": 7})
    out = suppress(frame, ["g"], ["n"], ["hours"], k=5)
    assert shown(out) == [None, 10, None, 20]
    assert out["suppressed"].tolist() == [True, False, True, False]
    assert out["hours"].isna().tolist() == [True, False, True, False]
    assert frame["n"].tolist() == [3, 10, 7, 20]  # input untouched


def test_zero_is_published_and_never_chosen_as_partner() -> None:
    out = suppress(one_dim({"a": 0, "b": 3, "c": 10, "d": 12}), ["g"], ["n"], k=5)
    assert shown(out) == [0, None, None, 12, 25]


def test_tie_is_broken_by_key_order() -> None:
    out = suppress(one_dim({"x": 7, "b": 7, "a": 2}), ["g"], ["n"], k=5)
    assert shown(out) == [7, None, None, 16]  # a small; b and x tie at 7, b comes first


def test_margin_is_withheld_when_no_cell_can_partner() -> None:
    # Distinct counts: the margin (6) is not the sum of cells (3 + 0). Only the margin can partner.
    out = suppress(one_dim({"a": 3, "b": 0}, margin=6), ["g"], ["n"], k=5)
    assert shown(out) == [None, 0, None]


def test_margin_suppression_propagates_to_the_higher_level() -> None:
    rows = [("p1", "m1", 3), ("p1", "m2", 0), ("p2", "m1", 9), ("p2", "m2", 8)]
    frame = cube(pd.DataFrame(rows, columns=["p", "m", "n"]), ["p", "m"])
    out = sort_rows(suppress(frame, ["p", "m"], ["n"], k=5), ["p", "m"])
    table = {(p, m): n for p, m, n in zip(out["p"], out["m"], shown(out), strict=True)}
    assert table[("p1", "m1")] is None and table[("p1", ALL)] is None  # p1 total equals the small cell
    assert table[("p2", "m1")] is None and table[(ALL, "m1")] is not None
    assert table[("p2", ALL)] is None or table[("p2", "m2")] is None
    assert_protected(out, ["p", "m"], "n", 5)


def test_k_is_configurable() -> None:
    frame = one_dim({"a": 7, "b": 12, "c": 30})
    assert shown(suppress(frame, ["g"], ["n"], k=5)) == [7, 12, 30, 49]
    assert shown(suppress(frame, ["g"], ["n"], k=10)) == [None, None, 30, 49]


def test_secondary_count_is_withheld_alone_but_primary_blanks_the_row() -> None:
    frame = pd.DataFrame(
        {
            "g": ["a", "b", "c", ALL],
            "n_pupils": [20, 30, 3, 53],
            "n_staff": [2, 6, 1, 8],
            "hours": [10.0, 20.0, 1.0, 31.0],
        }
    )
    out = suppress(frame, ["g"], ["n_pupils", "n_staff"], ["hours"], k=5, derived_from=["n_pupils"])
    assert shown(out, "n_pupils") == [None, 30, None, 53]
    assert shown(out, "n_staff") == [None, 6, None, 8]
    assert out["hours"].isna().tolist() == [True, False, True, False]
    # n_staff = 2 in a row whose pupils are published: only n_staff is withheld, hours stay.
    frame2 = frame.assign(n_pupils=[20, 30, 9, 59])
    out2 = suppress(frame2, ["g"], ["n_pupils", "n_staff"], ["hours"], k=5, derived_from=["n_pupils"])
    assert shown(out2, "n_pupils") == [20, 30, 9, 59]
    assert shown(out2, "n_staff") == [None, 6, None, 8]
    assert out2["hours"].notna().all()
    assert out2["suppressed"].tolist() == [True, False, True, False]


def test_duplicate_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="unique"):
        suppress(pd.DataFrame({"g": ["a", "a"], "n": [1, 2]}), ["g"], ["n"])


def cube(cells: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Full cube with ALL margins (sums) over the given cells."""
    parts = []
    for mask in itertools.product([False, True], repeat=len(keys)):
        kept = [key for key, rolled in zip(keys, mask, strict=True) if not rolled]
        agg = cells.groupby(kept, as_index=False)["n"].sum() if kept else pd.DataFrame({"n": [cells["n"].sum()]})
        for key, rolled in zip(keys, mask, strict=True):
            if rolled:
                agg[key] = ALL
        parts.append(agg[[*keys, "n"]])
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("seed", range(25))
def test_random_cubes_are_protected(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_dims = int(rng.integers(1, 4))
    keys = [f"d{i}" for i in range(n_dims)]
    levels = [[f"v{j}" for j in range(int(rng.integers(1, 5)))] for _ in keys]
    cells = pd.DataFrame(list(itertools.product(*levels)), columns=keys)
    cells["n"] = rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8, 13, 40], size=len(cells))
    frame = cube(cells, keys)
    frame["rate"] = frame["n"] / 7.0
    k = int(rng.choice([3, 5, 10]))
    out = suppress(frame, keys, ["n"], ["rate"], k=k)
    assert_protected(out, keys, "n", k)
    assert_additive(frame, out, keys, "n")
    assert (out["rate"].isna() == out["n"].isna()).all()
    again = suppress(frame.sample(frac=1, random_state=seed).reset_index(drop=True), keys, ["n"], ["rate"], k=k)
    assert sort_rows(again, keys).equals(sort_rows(out, keys))  # row order of the input does not matter


# --- The respondent rule: a school that alone makes up a row knows it although it is withheld ---


def test_a_partner_the_only_school_of_its_row_knows_gets_a_partner_of_its_own() -> None:
    frame = one_dim({"a": 3, "b": 10, "c": 7})  # rows a, b, c, ALL; c is school 2's alone
    owner = np.array([0, 1, 2, -1])
    plain = suppression_pattern(frame, ["g"], ["n"], k=5)["n"]
    assert plain.tolist() == [True, False, True, False]  # school 2 knows c: 20 − 10 − c gives a = 3
    guarded = suppression_pattern(frame, ["g"], ["n"], k=5, owner=owner)["n"]
    assert guarded.tolist() == [True, True, True, False]


@pytest.mark.parametrize("seed", range(15))
def test_random_cubes_leave_no_school_one_unknown_in_any_equation(seed: int) -> None:
    """Seeded cubes whose first key is the municipality, each made up by one school (some by one school
    together): no equation leaves exactly one withheld member a school does not know."""
    rng = np.random.default_rng(500 + seed)
    keys = ["m", "s", "t"][: int(rng.integers(2, 4))]
    levels = [[f"v{j}" for j in range(int(rng.integers(2, 5)))] for _ in keys]
    cells = pd.DataFrame(list(itertools.product(*levels)), columns=keys)
    cells["n"] = rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 13, 40], size=len(cells))
    frame = cube(cells, keys)
    school_of = {m: int(rng.integers(0, 3)) for m in levels[0]}  # municipality → its only school
    owner = np.array([sole_school(cells, row, keys, school_of) for row in frame[keys].itertuples(index=False)])
    withheld = suppression_pattern(frame, keys, ["n"], k=5, owner=owner)["n"]
    for eq in equations(frame, keys):
        for group in np.flatnonzero(eq.has_margin):
            members = np.flatnonzero(eq.group == group)
            for school in range(3):
                unknown = withheld[members] & (owner[members] != school)
                assert unknown.sum() != 1, (seed, school, frame.iloc[members].to_dict("records"))


def sole_school(cells: pd.DataFrame, row: tuple, keys: list[str], school_of: dict[str, int]) -> int:
    """The one school whose non-zero cells make up a cube row (−1: several or none), as the export's SQL."""
    under = cells["n"] > 0
    for key, value in zip(keys, row, strict=True):
        if value != ALL:
            under &= cells[key] == value
    schools = {school_of[m] for m in cells.loc[under, "m"]}
    return schools.pop() if len(schools) == 1 else -1


def shared_mask(frame: pd.DataFrame, breakdown: str, mask: np.ndarray) -> dict[tuple[str, str], bool]:
    rows = frame[breakdown].eq(ALL).to_numpy()
    return dict(zip(frame.loc[rows, ["p", "t"]].itertuples(index=False, name=None), mask[rows].tolist(), strict=True))


@pytest.mark.parametrize("seed", range(10))
def test_linked_tables_withhold_their_shared_rows_alike(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    base = [["a", "b", "c"], ["1", "2"]]
    subject_cells = pd.DataFrame(list(itertools.product(*base, ["x", "y", "z"])), columns=["p", "t", "s"])
    subject_cells["n"] = rng.choice([0, 0, 0, 1, 2, 5, 9], size=len(subject_cells))
    # The role table splits the same (p, t) totals differently over its own three roles.
    role_rows = []
    for (p, t), total in subject_cells.groupby(["p", "t"])["n"].sum().items():
        for role_code, n in zip(["x", "y", "z"], rng.multinomial(total, [0.6, 0.3, 0.1]), strict=True):
            role_rows.append((p, t, role_code, int(n)))
    subject = cube(subject_cells, ["p", "t", "s"])
    role = cube(pd.DataFrame(role_rows, columns=["p", "t", "r", "n"]), ["p", "t", "r"])
    patterns = linked_patterns([(subject, ["p", "t", "s"], "s"), (role, ["p", "t", "r"], "r")], ["n"], 5)
    s_map = shared_mask(subject, "s", patterns[0]["n"])
    assert s_map == shared_mask(role, "r", patterns[1]["n"])
    assert any(s_map.values())  # the seeds do produce withheld shared totals
    for frame, keys, pattern in ((subject, ["p", "t", "s"], patterns[0]), (role, ["p", "t", "r"], patterns[1])):
        published = frame.assign(n=frame["n"].astype(float).where(~pattern["n"]))
        assert_protected(published, keys, "n", 5)
