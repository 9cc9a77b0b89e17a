"""The effectiveness report's tables of means next to counts (absences, subgroups, dose, staying, event
study), read by an evaluator who keeps two monthly reports and subtracts, or who solves one report's
totals as equations (probe6 P1, P2, P5, P6).

A mean over n pupils shown next to n is a sum: n moving 26 → 27 with the mean 0.86 → 1.06 gave one
joining pupil's unexcused lessons per month (27 × 1.06 − 26 × 0.86), and a staying share moving at an
unchanged n one pupil who left. By June one pupil joined the absences' 2025/26 row, the subgroups' girls
and grades 4–6, the dose table's 5–10 h band and the event study's steps, and one supported pupil of
2024/25 left school (staying). A withheld small year must not follow as the total minus the others.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from report_fixtures import build_warehouse
from test_report_queries import _kept_export

from pipelines.config import ExportSettings, Settings
from pipelines.report import queries as q
from pipelines.report.stage import record_report_cells
from pipelines.warehouse import connect

K = 5
RUNS = ("20260520T060000-aaaaaa", "20260620T060000-bbbbbb")

MARTS_SQL = """
create or replace table marts.effectiveness_absences as select * from (values
  ('2024/2025', 30, 44, 1.369444, 0.881481, 0.178, -0.34, 0.70, false),
  ('2025/2026', 26, 36, 0.858974, 0.600000, 0.250, -0.76, 1.30, false),
  ('ALL', 56, 80, 1.130952, 0.750000, 0.210, -0.18, 0.61, false)
) t(school_year, n_pupils, n_comparison, unexcused_per_month_supported, unexcused_per_month_comparison,
    difference, ci_low, ci_high, suppressed);
create or replace table marts.staying as select * from (values
  ('2023/2024', 80, 220, 70 / 80, 0.93, 70 / 80 - 0.93, -0.10, 0.02, 4, 1, 12, false),
  ('2024/2025', 70, 200, 63 / 70, 0.92, 63 / 70 - 0.92, -0.10, 0.05, 3, 0, 0, false),
  ('ALL', 150, 420, 133 / 150, 0.925, 133 / 150 - 0.925, -0.09, 0.02, 7, 1, 12, false)
) v(school_year, n_pupils, n_comparison, share_stayed_supported, share_stayed_comparison, difference, ci_low,
    ci_high, n_balance_cells, n_unbalanced_cells, n_unbalanced_pupils, suppressed);
"""

# One girl of grades 4–6 with 6.26 unexcused lessons a month joins; one supported pupil of 2024/25 leaves.
JUNE_SQL = """
update marts.effectiveness_absences set n_pupils = n_pupils + 1, unexcused_per_month_supported =
    case school_year when '2025/2026' then 1.058642 else 1.222222 end where school_year in ('2025/2026', 'ALL');
update marts.effectiveness_subgroups set n_pupils = n_pupils + 1, effect = effect + 0.01
    where (subgroup = 'gender' and level in ('F', 'ALL')) or (subgroup = 'grade_band' and level in ('4-6', 'ALL'));
update marts.dose_response set n_pupils = n_pupils + 1, effect = effect + 0.02
    where dimension = 'hours_band' and level = '5-10';
update marts.event_study set n_supported = n_supported + 1, mean_supported = mean_supported + 0.03
    where period in ('s-1', 's_after');
update marts.staying set share_stayed_supported = case school_year when 'ALL' then 132 / 150 else 62 / 70 end,
    difference = share_stayed_supported - share_stayed_comparison where school_year in ('2024/2025', 'ALL');
-- two late consultation rows of a pupil already counted (the costs table's pupils stay, its hours move)
insert into core.consultations select * replace (source_line + 100000 as source_line) from core.consultations
where school_year = '2024/2025' and pupil_id = (
    select min(pupil_id) from core.consultations where school_year = '2024/2025') limit 2;
"""
LATE_YEAR = "2024/2025"

TABLES = {  # table -> (keys, counts, a measure computed from those pupils)
    "absences": (["school_year"], ["n_pupils", "n_comparison"], "mean_treated"),
    "subgroups": (["subgroup", "level"], ["n_pupils", "n_comparison"], "effect"),
    "dose": (["level"], ["n_pupils", "n_comparison"], "effect"),
    "staying": (["school_year"], ["n_pupils", "n_comparison"], "mean_treated"),
    "event": (["period"], ["n_supported", "n_comparison"], "mean_supported"),
}


def tables(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The five tables as the effectiveness notebook asks for them."""
    return {
        "absences": q.absences(con, K),
        "subgroups": q.subgroups(con, K),
        "dose": q.dose_response(con, K, "hours_band"),
        "staying": q.staying(con, K),
        "event": q.event_study(con, K),
    }


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Both runs as the report stage makes them (record, then read as the notebooks do), and the truth."""
    folder = tmp_path_factory.mktemp("effect_monthly")
    may = build_warehouse(folder / "may.duckdb")
    con = connect(may)
    con.execute(MARTS_SQL)
    con.close()
    june = folder / "june.duckdb"
    shutil.copy(may, june)
    con = connect(june)
    con.execute(JUNE_SQL)
    con.close()
    settings = Settings(out_dir=folder / "out", warehouse_name="june.duckdb", export=ExportSettings(k=K))
    out: dict[str, object] = {"settings": settings}
    for run_id, warehouse in zip(RUNS, (may, june), strict=True):
        record = record_report_cells(settings, run_id, warehouse, None)
        q.use_published(None, record)
        con = connect(warehouse, read_only=True)
        out[run_id] = tables(con)
        for year in (None, LATE_YEAR):
            out.setdefault("costs", {})[(run_id, year)] = (
                q.costs_by_municipality(con, K, year).set_index("municipality").loc["ALL"]
            )
        q.use_published(None)
        out[f"{run_id} truth"] = tables(con)  # nothing recorded: what a report without the rule shows
        con.close()
    return out


def _indexed(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.set_index(keys)


def test_the_june_report_minus_the_may_report_gives_no_pupil_s_figures(months: dict[str, object]) -> None:
    may, june = months[RUNS[0]], months[RUNS[1]]
    truth_may, truth_june = months[f"{RUNS[0]} truth"], months[f"{RUNS[1]} truth"]
    assert isinstance(may, dict) and isinstance(june, dict)
    assert isinstance(truth_may, dict) and isinstance(truth_june, dict)
    moved_rows = 0
    for name, (keys, counts, measure) in TABLES.items():
        before, after = _indexed(may[name], keys), _indexed(june[name], keys)
        t0, t1 = _indexed(truth_may[name], keys), _indexed(truth_june[name], keys)
        for key in after.index:
            for count in counts:
                old, new = before.loc[key, count], after.loc[key, count]
                if not (math.isnan(old) or math.isnan(new)):
                    assert not 1 <= abs(new - old) <= K - 1, (name, key, count, old, new)
            # a row whose pupils moved by 1..k-1 shows no figure computed from them
            if any(
                1 <= abs(t1.loc[key, c] - t0.loc[key, c]) <= K - 1 for c in counts if not math.isnan(t0.loc[key, c])
            ):
                moved_rows += 1
                assert math.isnan(after.loc[key, measure]), (name, key, measure)
    assert moved_rows >= 8  # absences ×2, subgroups ×4, dose, event ×2: there was something to protect
    settings = months["settings"]
    assert isinstance(settings, Settings)
    kept = pd.read_csv(settings.report_history_dir / RUNS[1] / "effect_absences.csv", dtype=str)
    assert kept.set_index("school_year")["n_pupils"].isna()["2025/2026"]  # the record keeps what June withheld


def test_a_supported_pupil_leaving_between_runs_is_not_published(months: dict[str, object]) -> None:
    """Probe P6: the total's share at one decimal with n unchanged gave the leavers 7 → 8. Leavers
    (n × (1 − share)) that a reader gets from both months moved by 0 or by k or more."""
    may, june = months[RUNS[0]], months[RUNS[1]]
    assert isinstance(may, dict) and isinstance(june, dict)
    before, after = may["staying"].set_index("school_year"), june["staying"].set_index("school_year")
    compared = 0
    for year in after.index:
        left = [round(f.loc[year, "n_pupils"] * (1 - f.loc[year, "mean_treated"]), 3) for f in (before, after)]
        if not any(math.isnan(v) for v in left):
            compared += 1
            assert not 1 <= abs(left[1] - left[0]) <= K - 1, (year, left)
    assert not math.isnan(before.loc["2024/2025", "mean_treated"])  # shown in May


def _synthetic(sql: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(sql)
    return con


def test_a_withheld_small_year_does_not_follow_from_the_total() -> None:
    """Probe P5 (synth.py): a school year of 3 supported pupils (1 left) was blanked, but the total kept
    53 pupils and its share, so the year's pupils were 53 − 50 and its leaver 7 − 6; in absences a
    2-pupil year was 42 − 40. Every equation year + year = total has no single withheld member."""
    q.use_published(None)
    con = _synthetic(
        "create table marts.staying as select * from (values "
        "('2024/2025', 3, 9, 2 / 3, 0.9, -0.23, -0.5, 0.1, false), "
        "('2025/2026', 50, 80, 44 / 50, 0.95, -0.07, -0.2, 0.1, false), "
        "('ALL', 53, 89, 46 / 53, 0.94, -0.07, -0.2, 0.1, false)) t(school_year, n_pupils, n_comparison, "
        "share_stayed_supported, share_stayed_comparison, difference, ci_low, ci_high, suppressed); "
        "create table marts.effectiveness_absences as select * from (values "
        "('2024/2025', 2, 6, 7.5, 1.0, 6.0, 0.0, 1.0, false), "
        "('2025/2026', 40, 70, 1.0, 0.8, 0.2, 0.0, 1.0, false), "
        "('ALL', 42, 76, 55 / 42, 0.81, 0.3, 0.0, 1.0, false)) t(school_year, n_pupils, n_comparison, "
        "unexcused_per_month_supported, unexcused_per_month_comparison, difference, ci_low, ci_high, suppressed)"
    )
    stay, absent = q.staying(con, K).set_index("school_year"), q.absences(con, K).set_index("school_year")
    for frame in (stay, absent):
        years = frame.drop(index="ALL")
        for count in ("n_pupils", "n_comparison"):
            hidden = int(years[count].isna().sum())
            assert hidden != 1 or math.isnan(frame.loc["ALL", count]), (count, frame)
    left = (stay["n_pupils"] * (1 - stay["mean_treated"])).round()
    assert int(left.drop(index="ALL").isna().sum()) != 1 or math.isnan(left["ALL"]), stay


def test_the_subgroup_table_starts_from_the_csv_s_blanks(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """Probe P2: effectiveness_subgroups.csv withheld the boys (moved by 1 since last month) while the
    report showed them with their effect. A cell the CSV leaves blank is blank in the report, with its
    effect and a complementary level (the levels add up to the total)."""
    keys = ["project_code", "subgroup", "level"]
    rows = [
        {"project_code": "ALL", "subgroup": "gender", "level": level, "n_pupils": n, "n_comparison": c}
        for level, n, c in (("F", "70", "200"), ("M", "", ""), ("unknown", "", ""), ("ALL", "150", "420"))
    ]
    folder = _kept_export(tmp_path / "run", "effectiveness_subgroups.csv", keys, rows)
    assert q.subgroups(con, K).set_index(["subgroup", "level"]).loc[("gender", "M"), "n_pupils"] == 77
    try:
        q.use_published(folder)
        gender = q.subgroups(con, K).set_index(["subgroup", "level"]).loc["gender"]
    finally:
        q.use_published(None)
    assert math.isnan(gender.loc["M", "n_pupils"]) and math.isnan(gender.loc["M", "effect"])
    assert math.isnan(gender.loc["M", "n_comparison"])
    hidden = gender.drop(index="ALL")["n_pupils"].isna()
    assert hidden.sum() >= 2 or math.isnan(gender.loc["ALL", "n_pupils"])


def test_the_costs_total_s_hours_do_not_move_alone(months: dict[str, object]) -> None:
    """Probe P7: the costs table's project row went 2 777.2 → 2 800.0 support hours (EUR per hour with
    them) at an unchanged 286 pupils: one known pupil's late consultation rows. Hours that moved while
    the pupils did not are withheld with EUR per hour, in the all-years row and the year's row."""
    costs = months["costs"]
    assert isinstance(costs, dict)
    for filter_year in (None, LATE_YEAR):
        old, new = costs[(RUNS[0], filter_year)], costs[(RUNS[1], filter_year)]
        assert not math.isnan(old["hours"])  # shown in May
        assert new["pupils"] == old["pupils"]  # the pupils did not move: still shown
        assert math.isnan(new["hours"]) and math.isnan(new["eur_per_hour"]), (filter_year, new)
    assert not math.isnan(costs[(RUNS[0], None)]["eur_per_hour"])


def test_a_level_evaluate_withheld_is_not_the_headline_minus_the_others() -> None:
    """A main mode splits the headline's pupils: 3 remote pupils withheld by evaluate were 105 − 102 while
    the in-person level was shown. The withheld level gets a complementary level."""
    q.use_published(None)
    con = _synthetic(
        "create table marts.dose_response as select * from (values "
        "('main_mode', 'in_person', 0, 102, 149, 0.6, 0.1, 1.1, false), "
        "('main_mode', 'remote', 1, 3, 9, null, null, null, true), "
        "('main_role', 'teacher', 0, 105, 150, 0.6, 0.1, 1.1, false), "
        "('main_role', 'teaching_assistant', 1, 0, 0, null, null, null, true)"
        ") t(dimension, level, level_order, n_pupils, n_comparison, effect, ci_low, ci_high, suppressed)"
    )
    modes = q.dose_response(con, K, "main_mode")
    assert modes["n_pupils"].isna().all() and modes["effect"].isna().all()
    roles = q.dose_response(con, K, "main_role").set_index("level")
    assert roles.loc["teacher", "n_pupils"] == 105  # no pupil in the other level: nothing to hide


def test_every_report_shows_what_the_record_kept(months: dict[str, object]) -> None:
    """The notebooks start from the record's blanks and withhold exactly what it kept withheld, so next
    month's rule compares with what was shown."""
    settings, june = months["settings"], months[RUNS[1]]
    assert isinstance(settings, Settings) and isinstance(june, dict)
    files = {"absences": "effect_absences.csv", "dose": "effect_dose.csv", "staying": "effect_staying.csv"}
    files |= {"subgroups": "effect_subgroups.csv", "event": "effect_event_study.csv"}
    for name, file in files.items():
        keys, counts, _ = TABLES[name]
        kept = pd.read_csv(settings.report_history_dir / RUNS[1] / file, dtype={k: str for k in keys})
        if name == "dose":  # the table of one dimension; the record keeps its margin (not shown) too
            kept = kept[(kept["dimension"] == "hours_band") & (kept["level"] != "ALL")].drop(columns="dimension")
        shown = june[name].set_index(keys)
        kept = kept.set_index(keys)
        assert sorted(kept.index) == sorted(shown.index), name
        for count in counts:
            assert (kept[count].isna() == shown.loc[kept.index, count].isna()).all(), (name, count)
