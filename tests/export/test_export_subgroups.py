"""effectiveness_subgroups.csv under the same disclosure rules as effectiveness.csv, and consistent with it:
its `ALL` rows are the effectiveness project totals, so a total withheld in one file is withheld in the other,
and a small level (gender not given for two pupils) cannot be read off by subtracting the published levels
from a published total."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.export.stage import prepare_subgroups, protect_effectiveness, subgroup_frames
from pipelines.export.tables import EFFECTIVENESS, EFFECTIVENESS_SUBGROUPS

K = 5


def effectiveness(totals: dict[str, tuple[int, int]]) -> pd.DataFrame:
    rows = [
        {
            "project_code": p,
            "municipality": "ALL",
            "subject": "ALL",
            "school_year": "ALL",
            "n_pupils": n,
            "n_comparison": c,
        }
        for p, (n, c) in totals.items()
    ]
    frame = pd.DataFrame(rows)
    for column in EFFECTIVENESS.column_names:
        if column not in frame:
            frame[column] = np.nan
    frame["n_supported_total"] = frame["n_pupils"]
    frame["estimate_withheld"] = False
    frame["design_warning"] = None
    frame["interval_method"] = "school_jackknife"
    frame["effect"] = 0.5
    return frame.astype({"n_pupils": float, "n_comparison": float, "n_supported_total": float})


def subgroups(rows: list[tuple[str, str, str, int, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["project_code", "subgroup", "level", "n_pupils", "n_comparison"])
    return frame.assign(effect=0.4, ci_low=0.1, ci_high=0.7, p_heterogeneity=0.3)


GENDER = [
    ("P1", "gender", "F", 30, 60), ("P1", "gender", "M", 28, 55), ("P1", "gender", "unknown", 2, 6),
    ("P1", "gender", "ALL", 60, 110),
    ("ALL", "gender", "F", 30, 60), ("ALL", "gender", "M", 28, 55), ("ALL", "gender", "unknown", 2, 6),
    ("ALL", "gender", "ALL", 60, 110),
]  # fmt: skip


@pytest.fixture(scope="module")
def published() -> tuple[pd.DataFrame, pd.DataFrame]:
    return protect_effectiveness(effectiveness({"P1": (60, 110), "ALL": (60, 110)}), K, subgroups(GENDER))


def test_a_small_level_is_withheld_with_a_partner_and_the_test_with_it(published) -> None:
    _, out = published
    p1 = out[out["project_code"] == "P1"].set_index("level")
    assert pd.isna(p1.loc["unknown", "n_pupils"]) and p1.loc["unknown", "suppressed"]
    # pupils fall into exactly one gender: F + M + unknown = ALL, so a second level goes too
    assert p1[["n_pupils"]].isna().sum().item() >= 2
    assert p1["p_heterogeneity"].isna().all()  # the test uses the withheld level's estimate
    assert list(out.columns) == EFFECTIVENESS_SUBGROUPS.column_names


def test_totals_are_withheld_alike_in_both_files() -> None:
    # P1's total is 3 pupils: withheld in effectiveness.csv, so its ALL row in the subgroup file too
    eff, out = protect_effectiveness(
        effectiveness({"P1": (3, 9), "P2": (40, 80), "ALL": (43, 89)}),
        K,
        subgroups(
            [
                ("P1", "gender", "F", 3, 9),
                ("P1", "gender", "ALL", 3, 9),
                ("P2", "gender", "F", 20, 40),
                ("P2", "gender", "M", 20, 40),
                ("P2", "gender", "ALL", 40, 80),
                ("ALL", "gender", "F", 23, 49),
                ("ALL", "gender", "M", 20, 40),
                ("ALL", "gender", "ALL", 43, 89),
            ]
        ),
    )
    for project in ("P1", "P2", "ALL"):
        total = eff[eff["project_code"] == project].iloc[0]
        row = out[(out["project_code"] == project) & (out["level"] == "ALL")].iloc[0]
        for column in ("n_pupils", "n_comparison"):
            assert pd.isna(total[column]) == pd.isna(row[column]), (project, column)
    assert eff[eff["project_code"] == "P1"]["n_pupils"].isna().all()


def test_the_subgroup_tables_link_through_their_totals() -> None:
    tables = subgroup_frames(prepare_subgroups(subgroups(GENDER)))
    assert [name for _, _, name in tables] == ["gender"]
    frame, keys, name = tables[0]
    assert keys == ("project_code", "gender") and (frame[name] == "ALL").sum() == 2
