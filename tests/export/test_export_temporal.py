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
from pipelines.warehouse import connect, ensure_schema

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


# Probe F1's pattern: in run 1 the ALL-municipality high band (4 pupils) is withheld with the medium band
# as its complement; run 2 adds one pupil to A's low band only, and (before the fix) released the medium
# band unchanged, so run 1's published margins gave the high band as total − low − medium.
RISK_RUN1 = {
    ("A", "high"): (1, 1), ("A", "medium"): (13, 2), ("A", "low"): (65, 17),
    ("B", "high"): (3, 2), ("B", "medium"): (5, 1), ("B", "low"): (44, 5),
}  # fmt: skip
RISK_RUN2 = {**RISK_RUN1, ("A", "low"): (66, 17)}


def risk_run(cells: dict, history: Path, run_id: str, con) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One run as the export stage makes risk_summary.csv: the month-to-month rule against the kept runs
    and the warehouse's withheld true values, the file kept in `history/<run_id>/`, this run's kept."""
    from test_export_risk_summary import cube

    from pipelines.export.stage import protect_risk_summary, render_files
    from pipelines.export.tables import RISK_SUMMARY

    last = LastPublished.read(history, run_id, 5, con)
    truth = cube(cells)
    contents, _ = render_files([(RISK_SUMMARY, protect_risk_summary(truth, 5, last))], 5, run_id, False)
    (history / run_id).mkdir(parents=True)
    for name, data in contents.items():
        (history / run_id / name).write_bytes(data)
    last.save_withheld(con, "export", run_id, history / run_id)
    published = read(history / run_id / "risk_summary.csv")
    for column in ("n_pupils", "n_with_plan"):
        published[column] = pd.to_numeric(published[column])
    return truth, published


def test_a_cell_withheld_last_run_is_not_released_unchanged(tmp_path: Path) -> None:
    """An attacker fills run 1's blanks with what run 2 publishes for them and solves run 1's margins:
    no withheld count of 1..4 pupils of run 1 may come out exact."""
    from test_export_risk_summary import KEYS, lp_intervals

    con = connect(tmp_path / "w.duckdb")
    truth, first = risk_run(RISK_RUN1, tmp_path / "history", "20260101T000000-run1", con)
    _, second = risk_run(RISK_RUN2, tmp_path / "history", "20260201T000000-run2", con)
    kept = con.execute("select count(*) from meta.withheld_cells where scope = 'export'").fetchone()[0]
    con.close()
    assert kept > 0  # the true values are in the warehouse, not in history/
    later = second.set_index(KEYS)
    filled = first.copy()
    for column in ("n_pupils", "n_with_plan"):
        for i in filled.index[filled[column].isna()]:
            value = later.loc[tuple(filled.loc[i, KEYS]), column]
            if not pd.isna(value):
                filled.at[i, column] = value
    true = truth.set_index(KEYS)
    for column in ("n_pupils", "n_with_plan"):
        for i, (low, high) in lp_intervals(filled, column).items():
            key = tuple(filled.loc[i, KEYS])
            value = float(true.loc[key, column])
            if 1 <= value <= 4:
                assert high - low >= 1, (column, key, low, high, value)
    medium = second[(second[KEYS[:3]] == "ALL").all(axis=1) & (second["risk_band"] == "medium")].iloc[0]
    assert pd.isna(medium["n_pupils"])  # the complement stays withheld: its count did not move by 5


def test_without_kept_true_values_last_run_s_blanks_stay_withheld(tmp_path: Path) -> None:
    """First run after the upgrade: no meta.withheld_cells, so a cell withheld last run is withheld
    again whatever its value; with the table, one that moved by k is released."""
    from pipelines.changes import key_text

    history = tmp_path / "history"
    run = history / "20260101T000000-run1"
    run.mkdir(parents=True)
    (run / "t.csv").write_text("g,n\na,\nb,40\n", encoding="utf-8")
    (run / "datapackage.json").write_text(
        '{"resources": [{"path": "t.csv", "schema": {"primaryKey": ["g"], "fields": []}}]}', encoding="utf-8"
    )
    con = connect(tmp_path / "w.duckdb")
    con.execute("drop table if exists meta.withheld_cells")
    frame = pd.DataFrame({"g": ["a", "b"], "n": [30.0, 40.0]})
    last = LastPublished.read(history, "20260201T000000-run2", 5, con)
    assert last.moved("t.csv", ["g"], [("a",), ("b",)], frame, ["n"])["n"].tolist() == [True, False]
    con.execute(
        "create table meta.withheld_cells as select 'export' as scope, 't.csv' as file, ? as row_key, "
        "'n' as column_name, 25.0 as value, '20260101T000000-run1' as run_id",
        [key_text(["g"], {"g": "a"})],
    )
    for value, withheld in ((29.0, True), (30.0, False), (21.0, True), (20.0, False)):
        last = LastPublished.read(history, "20260201T000000-run2", 5, con)
        moved = last.moved("t.csv", ["g"], [("a",)], pd.DataFrame({"n": [value]}), ["n"])
        assert moved["n"].tolist() == [withheld], value
    con.close()


# The mirror case: run 1 publishes every cell; in run 2 A's high band drops to 3 pupils (a small count,
# moved by 7 ≥ k, so not the 1..k-1 rule). Before the fix its complements were A's medium band and B's
# high band, unchanged since run 1: a reader of run 1's file knew them, and run 2's margins gave the
# 3 pupils as 81 − 13 − 65.
MIRROR_RUN1 = {
    ("A", "high"): (10, 5), ("A", "medium"): (13, 6), ("A", "low"): (65, 20),
    ("B", "high"): (10, 5), ("B", "medium"): (20, 8), ("B", "low"): (44, 10),
}  # fmt: skip
MIRROR_RUN2 = {**MIRROR_RUN1, ("A", "high"): (3, 0)}


def test_a_complement_unchanged_since_published_does_not_protect(tmp_path: Path) -> None:
    """The reader fills run 2's blanks whose true value equals what run 1 published for them (they did
    not move, and run 1's file says what they were) and solves run 2's margins: no withheld count of
    1..4 pupils may come out narrower than the audit's protection (3). An unchanged third run publishes
    exactly run 2's cells (no flip-flop)."""
    from test_export_risk_summary import KEYS, lp_intervals

    con = connect(tmp_path / "w.duckdb")
    history = tmp_path / "history"
    _, first = risk_run(MIRROR_RUN1, history, "20260101T000000-run1", con)
    truth, second = risk_run(MIRROR_RUN2, history, "20260201T000000-run2", con)
    assert first[["n_pupils", "n_with_plan"]].notna().all().all()  # run 1 published everything
    earlier = first.set_index(KEYS)
    true = truth.set_index(KEYS)
    filled = second.copy()
    for column in ("n_pupils", "n_with_plan"):
        for i in filled.index[filled[column].isna()]:
            key = tuple(filled.loc[i, KEYS])
            if float(true.loc[key, column]) == float(earlier.loc[key, column]):
                filled.at[i, column] = earlier.loc[key, column]
    small = 0
    for column in ("n_pupils", "n_with_plan"):
        for i, (low, high) in lp_intervals(filled, column).items():
            key = tuple(filled.loc[i, KEYS])
            value = float(true.loc[key, column])
            if 1 <= value <= 4:
                small += 1
                assert high - low >= 3 - 1e-6, (column, key, low, high, value)
    assert small > 0  # A's high band is withheld and was attacked
    _, third = risk_run(MIRROR_RUN2, history, "20260301T000000-run3", con)
    con.close()
    pd.testing.assert_frame_equal(second, third)


def test_hours_or_eur_withheld_alone_last_run_are_not_released_unchanged(tmp_path: Path) -> None:
    """Outside the support files too: support_summary.csv's financial support EUR of a row whose pupils
    were published, withheld alone in the previous run (as the LP audit does for a complement), is
    withheld again while it moved by less than k EUR, and released once it moved by k."""
    import duckdb
    from test_export_dominance import CONSULTATION_COLUMNS, PROJECT, payments

    from pipelines.changes import key_text
    from pipelines.export.programme import cube_sql, summary_with_programme
    from pipelines.export.stage import render_files

    mem = duckdb.connect()
    mem.execute("create schema core")
    mem.execute(
        "create table core.financial_support (project_code varchar, municipality varchar, school_id varchar, "
        "school_year varchar, semester integer, pupil_id varchar, amount_eur double)"
    )
    mem.executemany(
        "insert into core.financial_support values (?, ?, ?, ?, ?, ?, ?)", [(PROJECT, *r) for r in payments()]
    )
    programme = mem.execute(cube_sql(mem, "programme_cube")).df()
    summary = pd.DataFrame(columns=CONSULTATION_COLUMNS)

    def row(frame: pd.DataFrame) -> pd.Series:
        at = frame[(frame["municipality"] == "Bauska") & (frame["semester"].astype(str) == "2")]
        return at[(at["project_code"] == PROJECT) & (at["school_year"] == "2024/2025")].iloc[0]

    first = summary_with_programme(summary, programme, k=5, dominance_p=0.0)
    assert row(first)["financial_support_eur"] == 600.0 and not row(first)["suppressed"]
    run1 = tmp_path / "history" / "20260101T000000-run1"
    run1.mkdir(parents=True)
    contents, _ = render_files([(SUPPORT_SUMMARY, first)], 5, run1.name, False)
    for name, data in contents.items():
        (run1 / name).write_bytes(data)
    # As if run 1's audit had withheld Bauska's second-semester EUR alone (its 6 pupils published).
    published = read(run1 / "support_summary.csv")
    at = (published["municipality"] == "Bauska") & (published["semester"] == "2")
    at &= (published["project_code"] == PROJECT) & (published["school_year"] == "2024/2025")
    assert at.sum() == 1 and published.loc[at, "n_pupils_financial_support"].iloc[0] == "6"
    published.loc[at, "financial_support_eur"] = ""
    published.to_csv(run1 / "support_summary.csv", index=False)
    key = key_text(SUPPORT_SUMMARY.keys, published.loc[at].iloc[0].to_dict())

    con = connect(tmp_path / "w.duckdb")
    ensure_schema(con)
    for kept, withheld in ((600.0, True), (596.0, True), (595.0, False)):  # EUR last run; moved by 0, 4, 5
        con.execute("delete from meta.withheld_cells")
        con.execute(
            "insert into meta.withheld_cells values ('export', 'support_summary.csv', ?, "
            "'financial_support_eur', ?, ?)",
            [key, kept, run1.name],
        )
        last = LastPublished.read(tmp_path / "history", "20260201T000000-run2", 5, con)
        second = summary_with_programme(summary, programme, k=5, last=last, dominance_p=0.0)
        assert pd.isna(row(second)["financial_support_eur"]) is withheld, kept
        assert row(second)["n_pupils_financial_support"] == 6  # the pupils did not move
    con.close()
