"""Probe5 N0, on the worst-case sample (three schools, each alone in its municipality): an outsider who takes
the pupil totals along municipality as exact sums (a pupil is in one municipality unless she moved) must not
narrow any withheld count of 1–4 pupils of support_summary.csv (the support files' `ALL` rows). With the
distinct-count bounds alone the audit let 10 of its 33 such cells be narrowed so. And (probe5 N1) a school alone
in its municipality must not get another municipality's withheld financial support by subtracting its own.
One pipeline run (~25 s), shared by the module."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lp_attack import ALL, support_intervals
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.warehouse import connect

K = 5
COLUMN = "n_pupils_supported"


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[tuple, float], pd.DataFrame]:
    tmp = tmp_path_factory.mktemp("sample3")
    runner = CliRunner()
    for args in (
        ["sample", "--out", str(tmp / "raw"), "--schools", "3", "--seed", "7"],
        ["run", "--raw", str(tmp / "raw"), "--out", str(tmp / "out"), "--demo-key", "--no-reports"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    con = connect(tmp / "out" / "warehouse.duckdb", read_only=True)
    truth = {}
    for breakdown in ("subject", "staff_role"):
        rows = con.execute(
            "select project_code, municipality, school_year, semester, level, n_pupils_supported "
            "from marts.support_cube where breakdown = ?",
            [breakdown],
        ).fetchall()
        for *base, level, pupils in rows:
            key = (*(str(v) for v in base), breakdown if level != ALL else None, str(level))
            truth[key] = float(pupils)
    paid = con.execute(
        "select coalesce(project_code, 'none') as project_code, municipality, school_year, "
        "cast(semester as varchar) as semester, school_id, sum(amount_eur) as eur "
        "from core.financial_support group by all"
    ).df()
    con.close()
    return tmp / "out" / "exports", truth, paid


def test_an_outsider_adding_pupils_along_municipality_narrows_no_small_count(sample_run) -> None:
    exports, truth, _ = sample_run

    def along_municipality(margin: tuple, members: list[tuple]) -> bool:
        if margin[1] != ALL or not members or any(m[1] == ALL for m in members):
            return False
        rest = (margin[0], *margin[2:])
        if any((m[0], *m[2:]) != rest for m in members) or margin not in truth:
            return False
        return abs(sum(truth.get(m, 0.0) for m in members) - truth[margin]) < 1e-9

    def summary_few(key: tuple) -> bool:  # support_summary.csv's rows: solving the breakdowns' cells takes minutes
        return key[4] is None and 1 <= truth.get(key, 0) <= K - 1

    intervals = support_intervals(exports, COLUMN, False, summary_few, additive=along_municipality)
    assert len(intervals) > 0
    narrow = [
        (key, low, high)
        for key, low, high in intervals.itertuples(index=False)
        if np.floor(high + 1e-6) - np.ceil(low - 1e-6) < max(3.0, 0.2 * truth[key]) - 1e-6
    ]
    assert not narrow, f"{len(narrow)} pupil counts narrowed, e.g. {narrow[:3]}"


def test_a_school_alone_in_its_municipality_cannot_subtract_its_payments_from_support_summary(sample_run) -> None:
    exports, _, paid = sample_run
    summary = pd.read_csv(exports / "support_summary.csv", dtype=str, keep_default_na=False)
    own = paid.groupby(["municipality", "school_id"])["eur"].size().reset_index()
    alone = own.groupby("municipality")["school_id"].nunique()
    schools = {m for m, n in alone.items() if n == 1}
    assert schools  # the sample's three schools are each alone in their municipality
    solved = []
    for _, group in summary[summary["project_code"] != ALL].groupby(["project_code", "school_year", "semester"]):
        total = group[group["municipality"] == ALL]
        if total.empty or total["financial_support_eur"].iloc[0] == "":
            continue
        cells = group[group["municipality"] != ALL]
        blank = cells[cells["financial_support_eur"] == ""]
        for insider in schools & set(blank["municipality"]):
            if len(blank) == 2:  # its own is known to it: the other one would follow by subtraction
                solved.append((tuple(group.iloc[0][["project_code", "school_year", "semester"]]), insider))
    assert not solved, f"a school alone in its municipality solves {len(solved)} cells, e.g. {solved[:3]}"
