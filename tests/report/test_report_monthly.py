"""Two monthly runs of the reports, read by an evaluator who keeps both and subtracts, or who solves one
report's totals as equations.

May is the small report warehouse; by June one pupil of Rīgas 1. vidusskola got a plan and three remote
consultations (2.25 hours), one more support episode in Rīga enters the headline's sample flow, and one
more boy (not a leaver, not flagged) is in the early-warning audit's test year.
The plans by school, the in-person/remote split and the flow's first steps exist only in the reports, so
the export's month-to-month rule never saw them: without the reports' own rule, June's report showed the
school's plans 20 → 21 and Rīga's remote pupils 22 → 23 with their hours, i.e. that pupil's plan and
remote hours (pipelines/report/cells.py, pipelines/disclosure_time.py).
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from report_fixtures import build_warehouse

from pipelines.config import ExportSettings, Settings
from pipelines.disclosure_audit import RowBound, audit, linked_system
from pipelines.evaluate.stage import SQL_DIR as EVALUATE_SQL
from pipelines.report import queries as q
from pipelines.report.stage import record_report_cells
from pipelines.warehouse import connect, load_sql

K = 5
RUNS = ("20260520T060000-aaaaaa", "20260620T060000-bbbbbb")
SCHOOL = "9000000001"  # Rīgas 1. vidusskola
NEW_PUPIL = "left(md5('9000000001-1'), 16)"  # on the roster, no plan in May

JUNE_SQL = f"""
insert into core.plans
select 'plans.csv', 999, 'new-plan', {NEW_PUPIL}, '{SCHOOL}', date '2025-03-01', null::date, '8.3.4.0/16/I/001',
       null, '2024/2025';
insert into core.consultations
select 'consultations.csv', 99000 + m, md5('new-consultation' || m), date '2025-03-10' + to_days(cast(7 * m as int)),
       '2024/2025', 2, {NEW_PUPIL}, '{SCHOOL}', left(md5('{SCHOOL}0'), 16), 'teacher', null, 'mathematics', null,
       45.0, 'remote', null, null, '8.3.4.0/16/I/001', 'Rīgas valstspilsēta'
from range(3) r(m);
update marts.effectiveness_detail set n_episodes = n_episodes + 1
where municipality in ('ALL', 'Rīgas valstspilsēta') and school_year = 'ALL';
update marts.early_warning_metrics set n_pupils = n_pupils + 1
where dimension = 'ALL' or (dimension = 'gender' and group_value = 'M');
drop table marts.support_cube;
create table marts.support_cube as {load_sql(EVALUATE_SQL, "support_cube")};
"""


def shown(con: duckdb.DuckDBPyConnection) -> dict[tuple, float]:
    """Every pupil count and hour figure of the plans and mode tables, as any report of the run shows
    it (the overview and each municipality): NaN where withheld."""
    cells: dict[tuple, float] = {}
    for m in [None, *q.municipalities(con)]:
        muni = m or "ALL"
        for r in q.plans_by_school(con, K, m).itertuples():
            cells[("plans", muni, r.school_name, r.school_year)] = r.plans
        for r in q.support_by_mode(con, K, m).itertuples():
            cells[("mode pupils", muni, r.mode, r.school_year, r.semester)] = r.pupils
            cells[("mode hours", muni, r.mode, r.school_year, r.semester)] = r.hours
        for r in q.support_by_semester(con, K, m).itertuples():
            cells[("remote hours", muni, "remote", r.school_year, r.semester)] = r.hours_remote
        diag = q.design_diagnostics(con, K, m)
        for step in q.FLOW_STEPS if diag else ():
            cells[(step, muni)] = math.nan if diag.get(step) is None else float(diag[step])
    return cells


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Both runs as the report stage makes them: record the cells, then read them as the notebooks do."""
    folder = tmp_path_factory.mktemp("monthly")
    may = build_warehouse(folder / "may.duckdb")
    june = folder / "june.duckdb"
    shutil.copy(may, june)
    con = connect(june)
    con.execute(JUNE_SQL)
    con.close()
    settings = Settings(out_dir=folder / "out", warehouse_name="june.duckdb", export=ExportSettings(k=K))
    out: dict[str, object] = {"settings": settings, "may": may}
    for run_id, warehouse in zip(RUNS, (may, june), strict=True):
        record = record_report_cells(settings, run_id, warehouse, None)
        q.use_published(None, record)
        con = connect(warehouse, read_only=True)
        out[run_id] = shown(con)
        out[f"{run_id} support"] = {
            t.file: f for t, f in q.report_cells(con, K).items() if t.file.startswith("support_")
        }
        out[f"{run_id} truth"] = q.support_frames(con)
        out[f"{run_id} ew"] = {d: q.early_warning_audit(con, K, d) for d in ("gender", "grade_band", "municipality")}
        con.close()
    q.use_published(None)
    return out


def test_the_june_report_minus_the_may_report_singles_out_no_pupil(months: dict[str, object]) -> None:
    may, june = months[RUNS[0]], months[RUNS[1]]
    assert isinstance(may, dict) and isinstance(june, dict)
    both = [key for key in may.keys() & june.keys() if not (math.isnan(may[key]) or math.isnan(june[key]))]
    pupils = sorted(key for key in both if "hours" not in key[0] and 1 <= abs(june[key] - may[key]) <= K - 1)
    assert not pupils, [(key, may[key], june[key]) for key in pupils[:5]]
    # nor is the new pupil's 2.25 remote hours the difference of two figures shown
    hours = sorted(key for key in both if "hours" in key[0] and math.isclose(june[key] - may[key], 2.25))
    assert not hours, [(key, may[key], june[key]) for key in hours[:5]]


def test_every_report_of_a_run_shows_what_the_record_kept(months: dict[str, object]) -> None:
    """The notebooks start from the record's blanks: re-reading gives the same cells, and the record holds
    the June cells the month-to-month rule withheld."""
    settings = months["settings"]
    assert isinstance(settings, Settings)
    record = settings.report_history_dir / RUNS[1]
    plans = pd.read_csv(record / "plans_by_school.csv", dtype=str, keep_default_na=False)
    school = plans[(plans["school_name"] == "Rīgas 1. vidusskola") & (plans["municipality"] == "Rīgas valstspilsēta")]
    assert (school["plans"] == "").any()  # 20 → 21 in May → June: withheld with a complementary cell
    assert (settings.report_history_dir / RUNS[0] / "datapackage.json").is_file()


def test_no_withheld_support_figure_can_be_narrowed_by_solving_the_report(months: dict[str, object]) -> None:
    """An attacker solving every total of the June reports at once (the three support breakdowns share
    their `ALL` rows): every withheld figure about 1..k-1 pupils keeps an interval of max(3, 20 %)."""
    support, truth = months[f"{RUNS[1]} support"], months[f"{RUNS[1]} truth"]
    assert isinstance(support, dict) and isinstance(truth, list)
    shown = [support[f"support_{b}.csv"] for b in q.SUPPORT_BREAKDOWNS]
    tables = [(frame, q.SUPPORT_KEYS, "level") for frame in truth]
    patterns = [{c: frame[c].isna().to_numpy() for c in ("pupils", "consultations", "hours")} for frame in shown]
    system, _ = linked_system(tables, patterns, q.SUPPORT_RULES, "pupils", K)
    bounds = (RowBound("consultations", "pupils"), RowBound("consultations", "hours", 60.0 / 240))
    result = audit(system, q.SUPPORT_RULES, bounds)
    assert sum(int(m.sum()) for m in system.sensitive.values()) > 0  # there is something to protect
    assert result.n_exposed == 0, {c: int(np.sum(m)) for c, m in result.exposed.items()}


def test_a_total_s_remote_hours_go_with_the_mode_cells(months: dict[str, object]) -> None:
    """A total's remote hours are the mode table's `remote` cell (and its hours minus them the in-person
    cell): withheld wherever a mode level's hours are."""
    support = months[f"{RUNS[1]} support"]
    assert isinstance(support, dict)
    mode = support["support_mode.csv"]
    split_hidden = {
        key
        for key in mode.loc[(mode["level"] != "ALL") & mode["hours"].isna(), q.SUPPORT_KEYS[:3]].itertuples(
            index=False, name=None
        )
    }
    assert split_hidden
    for frame in support.values():
        totals = frame[frame["level"] == "ALL"]
        for row in totals.itertuples(index=False):
            if (row.municipality, row.school_year, row.semester) in split_hidden:
                assert math.isnan(row.hours_remote), row


def test_pupils_without_a_plan_are_not_given_by_the_risk_bands(months: dict[str, object]) -> None:
    """n_pupils − n_with_plan of 1..k-1 would count pupils without a plan: n_with_plan is withheld there."""
    may = months["may"]
    assert isinstance(may, Path)
    q.use_published(None)
    con = connect(may, read_only=True)
    try:
        checked = 0
        for m in [None, *q.municipalities(con)]:
            bands = q.risk_coverage(con, K, m)
            without = bands["n_pupils"] - bands["n_with_plan"]
            assert not ((without >= 1) & (without <= K - 1)).any(), bands
            checked += int(bands["n_with_plan"].isna().sum())
        assert checked
    finally:
        con.close()


def test_a_cell_withheld_last_month_is_not_released_unchanged(months: dict[str, object]) -> None:
    """Probe F5: a support cell withheld in May as a complement and shown unchanged in June turns May's
    totals into an equation with one unknown (a 2-pupil subject's records = total − the released
    subject). So June shows a cell May withheld (its pupils, records or hours) only if its pupil
    count moved by at least k."""
    may, june = months[f"{RUNS[0]} support"], months[f"{RUNS[1]} support"]
    truth_may, truth_june = months[f"{RUNS[0]} truth"], months[f"{RUNS[1]} truth"]
    assert isinstance(may, dict) and isinstance(june, dict)
    assert isinstance(truth_may, list) and isinstance(truth_june, list)
    released = 0
    for b, before, after in zip(q.SUPPORT_BREAKDOWNS, truth_may, truth_june, strict=True):
        shown_may, shown_june = may[f"support_{b}.csv"], june[f"support_{b}.csv"]
        assert (before[q.SUPPORT_KEYS].to_numpy() == after[q.SUPPORT_KEYS].to_numpy()).all()
        for column in ("pupils", "consultations", "hours"):
            back = shown_may[column].isna().to_numpy() & shown_june[column].notna().to_numpy()
            moved = np.abs(after["pupils"].to_numpy() - before["pupils"].to_numpy())[back]
            released += int(back.sum())
            assert (moved >= K).all(), (b, column, shown_june[back][q.SUPPORT_KEYS].to_dict("records"))
    may_record = months["settings"].report_history_dir / RUNS[0]  # type: ignore[attr-defined]
    assert may_record.is_dir() and not any("withheld" in p.name for p in may_record.iterdir())


def test_the_early_warning_tables_do_not_show_one_more_pupil(months: dict[str, object]) -> None:
    """The audit tables (by gender, grade band, municipality) exist only in the reports: June's +1 boy
    would show as M and the total 400 → 401 beside unchanged leavers and flagged pupils, i.e. that he
    neither left nor was flagged. Every count shown in both months is equal or moved by k or more, and
    the record keeps the June table with the moved counts blank."""
    may, june = months[f"{RUNS[0]} ew"], months[f"{RUNS[1]} ew"]
    assert isinstance(may, dict) and isinstance(june, dict)
    compared = 0
    for dimension, frame in june.items():
        if frame.empty:
            continue
        before = may[dimension].set_index("group_value")
        for row in frame.itertuples(index=False):
            for count in q.EW_COUNTS:
                old, new = before.loc[row.group_value, count], getattr(row, count)
                if not (math.isnan(old) or math.isnan(new)):
                    compared += 1
                    assert not 1 <= abs(new - old) <= K - 1, (dimension, row.group_value, count, old, new)
    assert compared  # the leavers and flagged counts that did not move are still shown
    assert not math.isnan(may["gender"].set_index("group_value").loc["ALL", "n_pupils"])  # shown in May
    settings = months["settings"]
    assert isinstance(settings, Settings)
    kept = pd.read_csv(settings.report_history_dir / RUNS[1] / "early_warning_audit.csv", dtype=str)
    total = kept[(kept["dimension"] == "gender") & (kept["group_value"] == "ALL")]
    assert total["n_pupils"].isna().all()
    # a cell withheld in May is not released in June (May's margins minus it would give May's blanks)
    before = pd.read_csv(settings.report_history_dir / RUNS[0] / "early_warning_audit.csv", dtype=str)
    keys = ["test_year", "dimension", "group_value"]
    both = before.merge(kept, on=keys, suffixes=("_may", "_june"))
    assert len(both) == len(before)
    for count in q.EW_ALL_COUNTS:
        assert not (both[f"{count}_may"].isna() & both[f"{count}_june"].notna()).any(), count


def test_the_record_keeps_no_figure_finer_than_the_reports_show(months: dict[str, object]) -> None:
    """Hours are shown to 0.1 and remote hours only for the totals (the `ALL` level, per semester): the
    record keeps nothing finer (it kept 2.25-hour steps as 239.33333333333334 and remote hours per subject)."""
    settings = months["settings"]
    assert isinstance(settings, Settings)
    for breakdown in q.SUPPORT_BREAKDOWNS:
        kept = pd.read_csv(settings.report_history_dir / RUNS[1] / f"support_{breakdown}.csv", dtype=str)
        hours = kept["hours"].dropna()
        assert len(hours) and not hours.str.contains(r"\.\d\d").any(), hours[hours.str.contains(r"\.\d\d")].head()
        assert kept.loc[kept["level"] != "ALL", "hours_remote"].isna().all()
        assert kept.loc[kept["level"] == "ALL", "hours_remote"].notna().any()


def test_records_withheld_alone_last_month_are_not_released_unchanged(
    months: dict[str, object], tmp_path: Path
) -> None:
    """A support row whose records alone (its pupils shown) the previous run withheld, e.g. as a complement
    for another row's records: released unchanged, last run's totals give the cell it hid. So they stay
    withheld while they moved by less than k, as the pupil counts do (pipelines/disclosure_time.py)."""
    from pipelines.changes import read_package

    settings = months["settings"]
    assert isinstance(settings, Settings)
    history = tmp_path / "report_history"
    shutil.copytree(settings.report_history_dir / RUNS[0], history / RUNS[0])
    record = history / RUNS[0] / "support_subject.csv"
    cells = read_package(history / RUNS[0])["support_subject.csv"]
    key, row = next(
        (key, row)
        for key, row in sorted(cells.rows.items())
        if row["level"] != "ALL" and row["pupils"] and row["consultations"] and int(float(row["consultations"])) >= 10
    )
    frame = pd.read_csv(record, dtype=str, keep_default_na=False)
    at = np.ones(len(frame), dtype=bool)
    for column in q.SUPPORT_KEYS:
        at &= (frame[column] == row[column]).to_numpy()
    assert at.sum() == 1
    frame.loc[at, "consultations"] = ""  # as if May's audit had withheld them alone
    frame.to_csv(record, index=False)
    true = float(row["consultations"])
    for kept, withheld in ((true, True), (true - K, False)):
        warehouse = tmp_path / f"w{int(kept)}.duckdb"
        shutil.copy(months["may"], warehouse)  # type: ignore[arg-type]
        con = connect(warehouse)
        con.execute("delete from meta.withheld_cells")
        con.execute(
            "insert into meta.withheld_cells values ('report', 'support_subject.csv', ?, 'consultations', ?, ?)",
            [key, kept, RUNS[0]],
        )
        con.close()
        again = Settings(
            out_dir=tmp_path / f"out{int(kept)}", warehouse_name=warehouse.name, export=ExportSettings(k=K)
        )
        shutil.copytree(history, again.report_history_dir)
        folder = record_report_cells(again, "20260720T060000-cccccc", warehouse, None)
        now = read_package(folder)["support_subject.csv"].rows[key]
        assert now["pupils"] == row["pupils"]  # the pupils did not move
        assert (now["consultations"] == "") is withheld, kept
