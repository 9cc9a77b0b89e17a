"""Differencing two runs: a count that moved by 1..k-1 since it was last published is withheld."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
from export_checks import build_support_cube

from pipelines.changes import record_exports
from pipelines.config import ExportSettings, Settings
from pipelines.export.stage import run_export
from pipelines.export.tables import SUPPORT_SUMMARY
from pipelines.export.temporal import LastPublished
from pipelines.warehouse import connect

YEAR = "2024/2025"
PAID = {"PA": 12, "PB": 12, "PC": 20, "PD": 20}  # pupils paid per project in the first run


def payments(counts: dict[str, int]) -> pd.DataFrame:
    rows = [
        {
            "project_code": project,
            "municipality": "Rīga",
            "school_year": YEAR,
            "semester": 1,
            "school_id": "9000000001",
            "pupil_id": f"{project}-{i:03d}",
            "amount_eur": 100.0 + 7.31 * i,
        }
        for project, n in counts.items()
        for i in range(n)
    ]
    return pd.DataFrame(rows)


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_a_count_moved_by_one_pupil_is_withheld_in_the_next_run(tmp_path: Path) -> None:
    settings = replace(Settings(out_dir=tmp_path / "out"), export=ExportSettings(k=5))
    con = connect(tmp_path / "w.duckdb")
    consultations = pd.DataFrame(
        {
            "date": pd.to_datetime("2024-10-01").date(),
            "school_year": YEAR,
            "semester": 1,
            "pupil_id": [f"c{i:03d}" for i in range(30)],
            "school_id": "9000000001",
            "municipality": "Rīga",
            "staff_id": "s1",
            "staff_role": "teacher",
            "subject": "mathematics",
            "minutes": 45.0,
            "mode": "in_person",
            "group_size": None,
            "project_code": "PA",
        }
    )
    con.register("c", consultations)
    con.execute("create table core.consultations as select * from c")
    build_support_cube(con)
    con.register("p", payments(PAID))
    con.execute("create table core.financial_support as select * from p")
    run_export(con, settings, "20250101T000000-run1")
    record_exports(settings.exports_dir, settings.history_dir, "20250101T000000-run1")
    first = read(settings.exports_dir / "support_summary.csv")

    # A correction adds exactly one paid pupil to PA, and five (= k) to PB.
    con.register("p2", payments({"PA": 13, "PB": 17}))
    con.execute("insert into core.financial_support select * from p2 anti join core.financial_support using (pupil_id)")
    run_export(con, settings, "20250201T000000-run2")
    second = read(settings.exports_dir / "support_summary.csv")
    con.close()

    def cell(frame: pd.DataFrame, project: str, column: str) -> str:
        row = frame[(frame["project_code"] == project) & (frame["municipality"] == "Rīga")]
        row = row[(row["school_year"] == YEAR) & (row["semester"] == "1")]
        assert len(row) == 1
        return row[column].iloc[0]

    assert cell(first, "PA", "n_pupils_financial_support") == "12"
    assert cell(first, "PA", "financial_support_eur") != ""
    # Published twice, the two rows would give the new pupil's payment as a difference.
    assert cell(second, "PA", "n_pupils_financial_support") == ""
    assert cell(second, "PA", "financial_support_eur") == ""
    # Every row of PA (all margins over municipality and semester carry the same pupils) is withheld.
    pa = second[second["project_code"] == "PA"]
    assert (pa["n_pupils_financial_support"] == "").all()
    # ... and not recoverable as the total minus the other projects: a complementary cell goes with it.
    rows = second[(second["municipality"] == "Rīga") & (second["school_year"] == YEAR) & (second["semester"] == "1")]
    assert (rows["financial_support_eur"] == "").sum() >= 2
    # A change of k or more is still published: the grand total went 64 → 70.
    total = second[(second[["project_code", "municipality", "school_year", "semester"]] == "ALL").all(axis=1)]
    assert total["n_pupils_financial_support"].tolist() == ["70"]
    # The consultations did not move and stay published.
    assert cell(second, "PA", "n_pupils_supported") == "30"

    last = LastPublished.read(settings.history_dir, "20250201T000000-run2", k=5)
    moved = payments({"PA": 13, "PB": 17, "PC": 20}).groupby("project_code", as_index=False)["pupil_id"].count()
    moved = moved.rename(columns={"pupil_id": "n_pupils_financial_support"}).assign(
        municipality="Rīga", school_year=YEAR, semester=1
    )
    forced = last.forced(SUPPORT_SUMMARY, moved, ("n_pupils_financial_support",))["n_pupils_financial_support"]
    assert forced.tolist() == [True, False, False]  # PA moved by 1; PB by 5 = k; PC not at all
