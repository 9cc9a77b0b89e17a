"""Every query the report notebooks run, in one place.

Each function returns a small aggregated pandas frame (never a pupil-level row), so a column
rename in the warehouse touches this module only. `municipality` and `school_year` are
optional filters; None means the whole project. Pupil counts are suppressed (1..k-1) here,
before any notebook sees them, together with the measures computed from those pupils.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from pipelines.changes import Published, key_text, read_package
from pipelines.deliveries import MISSING_SQL
from pipelines.disclosure import (
    TOP_EUR,
    apply_pattern,
    dominated,
    protect,
    sort_rows,
    suppression_pattern,
)
from pipelines.disclosure_audit import SOLE_SCHOOL, ColumnRule, RowBound, audited_patterns, school_codes, split_owners
from pipelines.disclosure_time import LastPublished, same_as_published
from pipelines.effect_schools import effect_schools
from pipelines.report.cells import RecordTable, key_values
from pipelines.warehouse import load_sql, table_exists, table_or_empty

Con = duckdb.DuckDBPyConnection
SQL_DIR = Path(__file__).with_name("sql")


def _params(municipality: str | None, school_year: str | None) -> dict[str, Any]:
    return {"municipality": municipality or None, "school_year": school_year or None}


def _df(con: Con, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    return con.execute(sql, params or {}).df()


def _query(con: Con, name: str, params: dict[str, Any] | None = None, **parts: Any) -> pd.DataFrame:
    """report/sql/<name>.sql as a frame (pipelines.warehouse.load_sql: identifiers and fragments in
    `{placeholders}`, values as DuckDB `$parameters`)."""
    return _df(con, load_sql(SQL_DIR, name, **parts), params)


def columns_of(con: Con, schema: str, table: str) -> list[str]:
    rows = con.execute(load_sql(SQL_DIR, "columns_of"), {"schema": schema, "table": table}).fetchall()
    return [r[0] for r in rows]


# ---------------------------------------------------------------- lineage (index page)


def data_period(con: Con) -> tuple[date | None, date | None]:
    """First and last date of any consultation or grade."""
    tables = {t: table_or_empty(con, "core", t, "date date") for t in ("consultations", "grades")}
    lo, hi = con.execute(load_sql(SQL_DIR, "data_period", fragments=tables)).fetchall()[0]
    return lo, hi


def file_totals(con: Con) -> tuple[int, int]:
    """Files behind the warehouse (loaded now or earlier and unchanged) and their loaded rows."""
    files, rows = con.execute(load_sql(SQL_DIR, "file_totals")).fetchall()[0]
    return int(files), int(rows)


def municipalities(con: Con) -> list[str]:
    return [r[0] for r in con.execute(load_sql(SQL_DIR, "municipalities")).fetchall()]


def school_years(con: Con) -> list[str]:
    return [r[0] for r in con.execute(load_sql(SQL_DIR, "school_years")).fetchall()]


# ---------------------------------------------------------------- data quality


def files_by_status(con: Con) -> pd.DataFrame:
    return _query(con, "files_by_status")


def deliveries(con: Con, municipality: str | None = None, school_year: str | None = None) -> pd.DataFrame:
    """Rows received per school and month (long form)."""
    return _query(con, "deliveries", _params(municipality, school_year))


def quarantine_reasons(con: Con, municipality: str | None = None, lang: str = "lv") -> pd.DataFrame:
    """Quarantined rows by stage, kind, reason and column, with the (templated) message schools get.

    Messages are written per reason and column, never with a row's value, so one per group is shown.
    """
    message = "message_en" if lang == "en" else "message_lv"
    return _query(con, "quarantine_reasons", {"municipality": municipality or None}, message=message)


def warning_reasons(con: Con, municipality: str | None = None, lang: str = "lv") -> pd.DataFrame:
    """Warnings (rows kept) by kind, reason and column, with their message."""
    message = "message_en" if lang == "en" else "message_lv"
    return _query(con, "warning_reasons", {"municipality": municipality or None}, message=message)


def missing_deliveries(con: Con, municipality: str | None = None) -> pd.DataFrame:
    """Schools with a teaching month without consultations or grades (pipelines/deliveries.sql,
    the definition `atbalsts status` uses too)."""
    return _query(con, "missing_deliveries", {"municipality": municipality or None}, fragments={"missing": MISSING_SQL})


# ---------------------------------------------------------------- support overview (marts.support_cube)

SUPPORT_CUBE_COLUMNS = (
    "breakdown varchar, project_code varchar, municipality varchar, school_year varchar, semester varchar, "
    "level varchar, n_pupils_supported bigint, n_consultations bigint, consultation_hours double, "
    "hours_remote double, n_staff bigint, n_schools bigint"
)


SUPPORT_BREAKDOWNS = ("subject", "staff_role", "mode")
SUPPORT_KEYS = ["municipality", "school_year", "semester", "level"]
# As the export's support files: pupils first (a withheld pupil count takes its row), then the other
# counts; hours are computed from the pupils' consultations and go with them.
SUPPORT_COUNTS = ["pupils", "consultations", "staff", "schools"]
SUPPORT_DERIVED = ["hours", "hours_remote"]
# What an attacker knows about the support tables, as for the export's support files (its support_rules):
# a pupil can be in several cells (distinct counts), records and hours add up exactly (hours shown to
# 0.1 at most), records ≥ pupils and records ≥ hours × 60 / the longest allowed consultation.
SUPPORT_RULES = (
    ColumnRule("pupils", exact=False),
    ColumnRule("consultations", exact=True),
    ColumnRule("hours", exact=True, decimals=1, count=False),
)
SUPPORT_RECORD = {
    b: RecordTable(f"support_{b}.csv", tuple(SUPPORT_KEYS), (*SUPPORT_COUNTS, *SUPPORT_DERIVED))
    for b in ("subject", "staff_role", "mode")
}
# Labels the report shows for keys the cube spells otherwise.
NONE_LABELS = {"none": "NONE", "unknown": "NONE"}


def protected_support(con: Con, k: int) -> dict[str, pd.DataFrame]:
    """marts.support_cube for the report, every breakdown (`subject`, `staff_role`, `mode`, its value in
    `level`), protected once over all municipalities and school years together.

    Each municipality's report and the overview publish rows of the same table, and a one-year report
    publishes that year's rows: protecting only the rows one report shows would let a cell withheld there
    be recovered as the overview's figure minus the other municipalities' (or the all-years figure minus
    the other years'). So the complementary suppression runs over municipality × school year × semester
    × level with every `ALL` margin (the hypercube method of pipelines/disclosure.py), the three
    breakdowns linked through their shared `ALL` level rows (the support totals), and each report then
    shows its slice. Withheld cells are NaN."""
    frames = support_frames(con)
    key = (k, *(int(pd.util.hash_pandas_object(f, index=False).sum()) if len(f) else 0 for f in frames))
    if key not in _PROTECTED:
        _PROTECTED.clear()  # one warehouse at a time: the notebooks ask for the same table many times
        _PROTECTED[key] = _protect_support(frames, k)
    return {name: _labelled(frame) for name, frame in _PROTECTED[key].items()}


def support_frames(con: Con) -> list[pd.DataFrame]:
    """The support tables before protection, one per breakdown (SUPPORT_BREAKDOWNS), in key order, each
    with `sole_school_id` (the one school whose consultations make up the row; never shown)."""
    fragments = {
        "support_cube": table_or_empty(con, "marts", "support_cube", SUPPORT_CUBE_COLUMNS),
        "consultations": table_or_empty(con, "core", "consultations", CONSULTATION_COLUMNS),
    }
    return [
        sort_rows(_query(con, "support_cells", {"breakdown": b}, fragments=fragments), SUPPORT_KEYS)
        for b in SUPPORT_BREAKDOWNS
    ]


CONSULTATION_COLUMNS = (
    "municipality varchar, school_year varchar, semester integer, subject varchar, staff_role varchar, "
    "mode varchar, school_id varchar"
)


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """A protected support table as the reports show its keys (`none`/`unknown` read 'NONE')."""
    out = frame.copy()
    for col in ("level", "school_year", "semester"):
        out[col] = out[col].astype(str).replace(NONE_LABELS)
    return out


_PROTECTED: dict[tuple, dict[str, pd.DataFrame]] = {}
_PLANS: dict[tuple, pd.DataFrame] = {}
# The export's files of this run (history/<run_id>/), when the report is given them (use_published).
_PUBLISHED: dict[str, Published] = {}
# Which export file publishes a report table's project-`ALL` cells, and its name for each count.
EXPORT_FILE = {"subject": "support_by_subject.csv", "staff_role": "support_by_role.csv"}
EXPORT_COUNT = {
    "pupils": "n_pupils_supported",
    "consultations": "n_consultations",
    "staff": "n_staff",
    "schools": "n_schools",
}
# The report's own kept cells (pipelines/report/cells.py) and the reports' cells of earlier runs.
_RECORD: dict[str, Published] = {}
_EARLIER: list[LastPublished] = []
_LAST_RECORD: dict[str, Published] = {}  # the latest earlier run's report cells (its blanks)
MAX_MINUTES = 240.0  # validate's default longest consultation; the stage passes the configured one
_LIMITS = {"max_minutes": MAX_MINUTES}
PROGRAMME_EXPORT_COUNT = {"activity_pupils": "n_pupils_activities", "financial_pupils": "n_pupils_financial_support"}
PROGRAMME_EXPORT_MEASURE = {"activity_hours": "activity_hours", "financial_eur": "financial_support_eur"}


def use_published(folder: str | Path | None, record: str | Path | None = None) -> None:
    """Withhold in the reports every cell the export withheld in the files of `folder` (its kept copy,
    `history/<run_id>/`). The export adds what a report cannot: the month-to-month rule (a count that
    moved by 1..k-1 since last published), the LP audit and the project dimension. Without this, a cell
    the export withholds could be shown in a report, and an exported cell it protects would follow by
    subtraction. Without files (a report run before any export) the reports protect on their own.

    `record`: this run's report cells (`report_history/<run_id>/`, pipelines/report/cells.py), written by
    the report stage with the month-to-month rule for the tables only the reports publish; every report
    starts from its blanks, so all of them withhold the same cells."""
    _PUBLISHED.clear()
    _PROTECTED.clear()
    _PLANS.clear()
    _EW.clear()
    _MEANS.clear()
    _RECORD.clear()
    _LAST_RECORD.clear()
    _EARLIER.clear()
    if folder and Path(folder).is_dir():
        _PUBLISHED.update(read_package(Path(folder)))
    if record and Path(record).is_dir():
        _RECORD.update(read_package(Path(record)))


def use_earlier_reports(folders: list[Path], k: int, max_minutes: float = MAX_MINUTES) -> None:
    """For the report stage, before it records this run's cells: the reports' cells of earlier runs
    (`report_history/<run_id>/`, oldest first), whose counts that moved by 1..k-1 are withheld now, and
    the longest allowed consultation (validate's limit: records ≥ hours × 60 / it, for the LP audit)."""
    _PROTECTED.clear()
    _PLANS.clear()
    _EW.clear()
    _MEANS.clear()
    _EARLIER.clear()
    _EARLIER.append(LastPublished.read_runs(folders, k))
    _LAST_RECORD.clear()
    if folders:
        _LAST_RECORD.update(read_package(folders[-1]))
    _LIMITS["max_minutes"] = float(max_minutes)


def _recorded_blank(
    table: RecordTable, frame: pd.DataFrame, columns: list[str], record: dict[str, Published] | None = None
) -> dict[str, np.ndarray]:
    """Per column: the rows this run's record (or `record`) withholds (none without a record)."""
    out = {c: np.zeros(len(frame), dtype=bool) for c in columns}
    published = (_RECORD if record is None else record).get(table.file)
    if published is None:
        return out
    for i, values in enumerate(key_values(frame, table.keys)):
        row = published.rows.get(key_text(table.keys, dict(zip(table.keys, values, strict=True))))
        for column in columns if row is not None else ():
            out[column][i] = (row.get(column) or "") == ""
    return out


def _moved(
    table: RecordTable, frame: pd.DataFrame, counts: list[str], moving: list[str] | None = None
) -> dict[str, np.ndarray]:
    """Per count: the rows whose count moved by 1..k-1 since an earlier run's reports showed it (only the
    `moving` counts, default all), or that the previous run withheld and moved by less than k since
    (pipelines/disclosure_time.py)."""
    if not _EARLIER:
        return {c: np.zeros(len(frame), dtype=bool) for c in counts}
    return _EARLIER[0].moved(table.file, table.keys, key_values(frame, table.keys), frame, counts, moving=moving)


def earlier_reports() -> LastPublished | None:
    """The reports' cells of earlier runs (use_earlier_reports), to load and keep the withheld true values."""
    return _EARLIER[0] if _EARLIER else None


def moved_cells() -> dict[str, int]:
    """Per kept table: how many cells the month-to-month rule withheld in this run's reports."""
    return dict(_EARLIER[0].withheld) if _EARLIER else {}


def _blank_in_export(
    file: str, key_columns: dict[str, str], counts: dict[str, str], where: dict[str, str] | None = None
) -> dict[tuple, set[str]]:
    """Project-`ALL` rows (or those matching `where`) of an exported file: their key (as the report spells
    it) -> report count columns the export left blank. `key_columns`: report key -> the file's column."""
    published = _PUBLISHED.get(file)
    if published is None:
        return {}
    where = {"project_code": "ALL"} if where is None else where
    blank: dict[tuple, set[str]] = {}
    for row in published.rows.values():
        if any(row.get(c) != v for c, v in where.items()):
            continue
        key = tuple(NONE_LABELS.get(row.get(c) or "", row.get(c) or "") for c in key_columns.values())
        blank[key] = {mine for mine, theirs in counts.items() if (row.get(theirs) or "") == ""}
    return blank


def _withheld_in_export(keys: list[tuple], blank: dict[tuple, set[str]], column: str) -> np.ndarray:
    """Per row key (as the report spells it): whether the export left this column blank there."""
    return np.array([column in blank.get(key, ()) for key in keys], dtype=bool)


def _support_keys(frame: pd.DataFrame) -> list[tuple]:
    """A support table's row keys as _blank_in_export spells them (`none`/`unknown` read 'NONE')."""
    rows = frame[SUPPORT_KEYS].astype(str).itertuples(index=False, name=None)
    return [tuple(NONE_LABELS.get(v, v) for v in row) for row in rows]


def _hours_blank_in_export(frame: pd.DataFrame, breakdown: str) -> np.ndarray:
    """Rows whose consultation hours the export withheld (it can withhold hours without the pupils).

    The mode breakdown is not exported, but its levels add up to the hours of the `ALL` level, which is
    the subject file's cell: where that is withheld, every mode level's hours are withheld too."""
    file = EXPORT_FILE.get(breakdown, EXPORT_FILE["subject"])
    level_column = breakdown if breakdown in EXPORT_FILE else "subject"
    columns = {"municipality": "municipality", "school_year": "school_year", "semester": "semester"}
    columns["level"] = level_column
    blank = _blank_in_export(file, columns, {"hours": "consultation_hours"})
    keys = _support_keys(frame)
    if breakdown not in EXPORT_FILE:
        keys = [(*key[:3], ALL_ROW) for key in keys]
    return _withheld_in_export(keys, blank, "hours")


def _start_from_export(frame: pd.DataFrame, breakdown: str) -> dict[str, np.ndarray]:
    """Per count column of a support table: the rows whose cell the export withheld."""
    file = EXPORT_FILE.get(breakdown)
    if file is None:
        return {c: np.zeros(len(frame), dtype=bool) for c in SUPPORT_COUNTS}
    columns = {"municipality": "municipality", "school_year": "school_year", "semester": "semester", "level": breakdown}
    blank = _blank_in_export(file, columns, EXPORT_COUNT)
    keys = _support_keys(frame)
    return {c: _withheld_in_export(keys, blank, c) for c in SUPPORT_COUNTS}


def _protect_support(frames: list[pd.DataFrame], k: int) -> dict[str, pd.DataFrame]:
    """The three breakdowns protected together: cells the export withheld (its project-`ALL` rows) and
    this run's record withholds start withheld, pupil counts that moved by 1..k-1 since earlier reports
    showed them too (the mode levels exist only in the reports); then complementary suppression and the
    LP audit (pipelines/disclosure_audit.py) over all three tables at once, as the export does for its
    support files. Keys stay as the cube spells them (the record's keys)."""
    # The one school whose consultations make up a row knows it (it delivered them): the respondent rule.
    pairs = [split_owners(frame) for frame in frames]
    frames, schools = [frame for frame, _ in pairs], [ids for _, ids in pairs]
    present = [(b, frame) for b, frame in zip(SUPPORT_BREAKDOWNS, frames, strict=True) if not frame.empty]
    insiders = [ids for ids, frame in zip(schools, frames, strict=True) if not frame.empty]
    patterns = iter(())
    if present:
        start, moved = [], []
        for breakdown, frame in present:
            record = SUPPORT_RECORD[breakdown]
            given = _start_from_export(frame, breakdown)
            given["hours"] = _hours_blank_in_export(frame, breakdown)
            kept = _recorded_blank(record, frame, [*SUPPORT_COUNTS, "hours"])
            # The 1..k-1 rule keys on the pupils; records and hours withheld last run stay withheld while
            # they moved by less than k (released unchanged, last run's margins would give what they hid).
            change = _moved(record, frame, [*SUPPORT_COUNTS, "hours"], moving=["pupils"])
            start.append({c: given[c] | kept[c] | change[c] for c in given})
            moved.append(change)
        bounds = (
            RowBound("consultations", "pupils"),
            RowBound("consultations", "hours", 60.0 / _LIMITS["max_minutes"]),
        )
        tables = [(frame, SUPPORT_KEYS, "level") for _, frame in present]
        result = audited_patterns(
            tables,
            SUPPORT_COUNTS,
            k,
            SUPPORT_RULES,
            bounds,
            primary="pupils",
            start=start,
            sensitive=moved,
            insiders=insiders,
        )
        patterns = iter(zip(result.counts, result.derived, strict=True))
    out = {}
    for breakdown, frame in zip(SUPPORT_BREAKDOWNS, frames, strict=True):
        if frame.empty:
            out[breakdown] = frame.assign(suppressed=pd.Series(dtype=bool))
            continue
        counts, derived = next(patterns)
        kept = _recorded_blank(SUPPORT_RECORD[breakdown], frame, ["hours_remote"])["hours_remote"]
        kept &= (frame["level"] == ALL_ROW).to_numpy()  # the record keeps remote hours for the totals only
        extra = {"hours": derived["hours"], "hours_remote": derived["hours"] | kept}
        shown = apply_pattern(frame, counts, SUPPORT_DERIVED, ["pupils"], extra)
        for col in (*SUPPORT_COUNTS, *SUPPORT_DERIVED):
            shown[col] = shown[col].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        out[breakdown] = shown
    if "mode" in out and len(out["mode"]):
        # A total's remote hours are the mode table's `remote` cell, and its hours minus them the in-person
        # cell (the report charts both per semester): withheld wherever a mode level's hours are.
        mode = out["mode"]
        hidden = mode[(mode["level"] != ALL_ROW) & mode["hours"].isna()]
        where = set(hidden[SUPPORT_KEYS[:3]].astype(str).itertuples(index=False, name=None))
        for shown in out.values():
            rows = shown[SUPPORT_KEYS[:3]].astype(str).itertuples(index=False, name=None)
            mask = np.array([key in where for key in rows], dtype=bool) & (shown["level"] == ALL_ROW).to_numpy()
            shown.loc[mask, "hours_remote"] = np.nan
    return out


def _slice(frame: pd.DataFrame, municipality: str | None, school_year: str | None, year: str = "school_year"):
    """One report's rows of a table protected over every municipality and year: the municipality's
    (None: the `ALL` margin), and with a school year only that year's rows, repeated as the `ALL` year
    (the year is the report's whole period). Every row shown is a cell of the protected table."""
    out = frame[frame["municipality"] == (municipality or ALL_ROW)].drop(columns="municipality")
    if school_year:
        one = out[out[year] == school_year]
        out = pd.concat([one, one.assign(**{year: ALL_ROW})], ignore_index=True)
    return out.reset_index(drop=True)


def support_cells(
    con: Con, k: int, breakdown: str, municipality: str | None = None, school_year: str | None = None
) -> pd.DataFrame:
    """One report's rows of `protected_support` for one breakdown."""
    return _slice(protected_support(con, k)[breakdown], municipality, school_year)


PLANS_RECORD = RecordTable("plans_by_school.csv", ("municipality", "school_name", "school_year"), ("plans",))
# A pupil may have new plans in two years or at two schools: the margins are unions, not sums.
PLANS_RULES = (ColumnRule("plans", exact=False),)


def protected_plans(con: Con, k: int) -> pd.DataFrame:
    """Pupils with a new plan per municipality × school × school year with `ALL` margins, protected as
    one table (the overview shows every school, each municipality its own and its total). Only the
    reports publish it, so they apply the export's month-to-month rule and LP audit to it themselves:
    a count that moved by 1..k-1 since an earlier run's reports showed it is withheld (one pupil's new
    plan at a school, by subtraction), and cells this run's record withholds start withheld."""
    out = _query(con, "plans_by_school")
    keys = list(PLANS_RECORD.keys)
    if out.empty:
        return protect(out.drop(columns=SOLE_SCHOOL, errors="ignore"), keys, ["plans"], k)
    cache_key = (k, int(pd.util.hash_pandas_object(out, index=False).sum()))
    if cache_key not in _PLANS:
        _PLANS.clear()  # the notebooks ask for it once per section
        _PLANS[cache_key] = _protect_plans(out, k)
    return _PLANS[cache_key].copy()


def _protect_plans(out: pd.DataFrame, k: int) -> pd.DataFrame:
    keys = list(PLANS_RECORD.keys)
    # the school whose plans make up a row (its own rows, a municipality's only school) knows it: the respondent rule
    out, schools = split_owners(sort_rows(out.astype({"plans": float}), keys))
    kept = _recorded_blank(PLANS_RECORD, out, ["plans"])
    moved = _moved(PLANS_RECORD, out, ["plans"])
    start = [{"plans": kept["plans"] | moved["plans"]}]
    result = audited_patterns(
        [(out, keys, None)], ["plans"], k, PLANS_RULES, start=start, sensitive=[moved], insiders=[schools]
    )
    shown = apply_pattern(out, result.counts[0])
    shown["plans"] = shown["plans"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    return shown


def report_cells(con: Con, k: int) -> dict[RecordTable, pd.DataFrame]:
    """The tables only the reports publish (and the support tables they are linked with), as every report
    of this run shows them: what the report stage keeps (pipelines/report/cells.py)."""
    protected_support(con, k)  # fills the cache, which keeps the cube's keys
    raw = next(iter(_PROTECTED.values()))
    # Remote hours are shown for the totals (the `ALL` level: per semester) only, so the record keeps them there.
    out = {
        SUPPORT_RECORD[b]: raw[b].assign(hours_remote=raw[b]["hours_remote"].where(raw[b]["level"] == ALL_ROW))
        for b in SUPPORT_BREAKDOWNS
        if len(raw[b])
    }
    out[PLANS_RECORD] = protected_plans(con, k)
    if table_exists(con, "marts", "effectiveness_detail"):
        flow = protected_flow(con, k)
        if set(FLOW_STEPS) <= set(flow.columns):
            out[FLOW_RECORD] = flow
    audit = protected_early_warning(con, k)
    if audit:
        out[EW_RECORD] = pd.concat([_ew_recorded(f, d) for d, f in audit.items()], ignore_index=True)
    out.update(effect_cells(con, k))
    costs = costs_cells(con, k)
    if len(costs):
        out[COSTS_RECORD] = costs
    return out


def support_totals(con: Con, k: int, municipality: str | None = None, school_year: str | None = None) -> pd.DataFrame:
    """One row: pupils, consultations, hours, staff, schools, plans (cells of the protected tables)."""
    cells = support_cells(con, k, "subject", municipality, school_year)
    total = cells[(cells["level"] == "ALL") & (cells["school_year"] == "ALL") & (cells["semester"] == "ALL")]
    columns = ["pupils", "consultations", "hours", "staff", "schools"]
    if total.empty:  # no consultation: zero people, no hours
        out = pd.DataFrame({"pupils": [0], "consultations": [0], "hours": [float("nan")], "staff": [0], "schools": [0]})
    else:
        out = total[columns].head(1).reset_index(drop=True)
    plans = _slice(protected_plans(con, k), municipality, school_year)
    plans = plans.loc[(plans["school_name"] == ALL_ROW) & (plans["school_year"] == ALL_ROW), "plans"]
    out["plans"] = float(plans.iloc[0]) if len(plans) else 0.0
    return out


def programme_totals(
    con: Con, k: int, municipality: str | None = None, school_year: str | None = None, dominance_p: float = 0.1
) -> pd.DataFrame:
    """One row (the municipality's, or the whole project's) of programme_by_municipality."""
    rows = programme_by_municipality(con, k, school_year, dominance_p)
    row = rows[rows["municipality"] == (municipality or ALL_ROW)].drop(columns=["municipality", "suppressed"])
    if row.empty:  # no activity or payment there: zeros
        row = pd.DataFrame([dict.fromkeys(row.columns, 0.0)])
    return row.reset_index(drop=True)


ALL_ROW = "ALL"


def programme_by_municipality(
    con: Con, k: int, school_year: str | None = None, dominance_p: float = 0.1
) -> pd.DataFrame:
    """Per municipality and `ALL`: activities held, pupils listed in them and participant-hours (head
    counts included); pupils with financial support and the EUR paid. Protected as one table, as the
    exports are (every municipality's report and the overview publish its rows: a figure withheld in
    one report must not be the total minus the others): each pupil count withheld at 1..k-1 with the
    figures computed from those pupils (the EUR of a small group would reveal one pupil's support),
    the EUR also where one pupil's payments dominate it (the exports' p% rule, export.dominance_p),
    and complementary cells against the `ALL` row."""
    tables = {
        "activities": table_or_empty(
            con,
            "core",
            "activities",
            "municipality varchar, school_year varchar, minutes double, n_participants integer",
        ),
        "participants": table_or_empty(
            con,
            "core",
            "activity_participants",
            "municipality varchar, school_year varchar, pupil_id varchar, school_id varchar",
        ),
        "financial": table_or_empty(
            con,
            "core",
            "financial_support",
            "municipality varchar, school_year varchar, pupil_id varchar, amount_eur double, school_id varchar",
        ),
    }
    out = _query(con, "programme_by_municipality", {"school_year": school_year or None}, fragments=tables)
    # The one school whose lists / payments make up a row's pupils knows the count: the respondent rule.
    owners = dict(
        zip(
            ("activity_pupils", "financial_pupils"),
            school_codes([split_owners(out, column)[1] for column in ("activity_school", "financial_school")]),
            strict=True,
        )
    )
    out = out.drop(columns=["activity_school", "financial_school"], errors="ignore")
    # Withheld from the outset: a dominated EUR cell, and every cell support_summary.csv withholds for
    # all projects and semesters of the same municipality and year (use_published).
    columns = {"municipality": "municipality", "school_year": "school_year", "semester": "semester"}
    blank = _blank_in_export("support_summary.csv", columns, {**PROGRAMME_EXPORT_COUNT, **PROGRAMME_EXPORT_MEASURE})
    year = school_year or ALL_ROW
    keys = [(m, year, ALL_ROW) for m in out["municipality"]]
    exported = {count: _withheld_in_export(keys, blank, count) for count in PROGRAMME_EXPORT_COUNT}
    dominant = dominated(out, dominance_p, "financial_eur") | exported["financial_pupils"]
    parts = (
        ("activity_pupils", ["activity_hours"], {"activity_pupils": exported["activity_pupils"]}),
        ("financial_pupils", ["financial_eur"], {"financial_pupils": dominant}),
    )
    suppressed = np.zeros(len(out), dtype=bool)
    for count, measures, start in parts:
        pattern = suppression_pattern(out, ["municipality"], [count], k, start=start, owner=owners[count])
        withheld = pattern[count]
        for col in (count, *measures):
            out[col] = out[col].astype("float64").where(~withheld, np.nan)
        suppressed |= withheld
    for measure in PROGRAMME_EXPORT_MEASURE:  # hours or EUR the export withheld although it shows the pupils
        hidden = _withheld_in_export(keys, blank, measure)
        out[measure] = out[measure].astype("float64").where(~hidden, np.nan)
    return out.drop(columns=list(TOP_EUR)).assign(suppressed=suppressed)


def costs_by_municipality(con: Con, k: int, school_year: str | None = None) -> pd.DataFrame:
    """Per municipality (+ 'ALL'): costs as reported, pupils supported in any way, their support
    hours, EUR per pupil and per hour. The pupils are protected as every table (complementary
    suppression against the 'ALL' row); the EUR, and EUR per pupil or hour, are withheld with them
    (costs.csv withholds every cost line where 1..k-1 pupils were supported: it is spent on them)."""
    tables = {
        "costs": table_or_empty(con, "core", "costs", "municipality varchar, school_year varchar, amount_eur double"),
        "participants": table_or_empty(
            con,
            "core",
            "activity_participants",
            "municipality varchar, school_year varchar, pupil_id varchar, minutes double",
        ),
        "financial": table_or_empty(
            con, "core", "financial_support", "municipality varchar, school_year varchar, pupil_id varchar"
        ),
    }
    out = _query(con, "costs_by_municipality", {"school_year": school_year or None}, fragments=tables)
    if out.empty:
        return out.assign(eur_per_pupil=pd.Series(dtype=float), eur_per_hour=pd.Series(dtype=float))
    out["eur_per_pupil"] = out["eur"] / out["pupils"].where(out["pupils"] > 0)
    out["eur_per_hour"] = out["eur"] / out["hours"].where(out["hours"] > 0)
    out = protect(out, ["municipality"], ["pupils"], k, ["hours", "eur", "eur_per_pupil", "eur_per_hour"])
    out = _costs_over_time(out, school_year)
    # As costs.csv: per municipality only the EUR; pupils, hours and EUR per pupil or hour only for the
    # whole project, where esf_indicators.csv publishes the same counts under the month-to-month rule
    # (EUR ÷ EUR per pupil would give a municipality's exact count, which no rule protects there).
    local = (out["municipality"] != ALL_ROW).to_numpy()
    for col in ("pupils", "hours", "eur_per_pupil", "eur_per_hour"):
        out[col] = out[col].where(~local, np.nan)
    # and the EUR costs.csv withholds for the municipality (all projects and categories) is withheld here
    columns = {"municipality": "municipality", "school_year": "school_year", "cost_category": "cost_category"}
    blank = _blank_in_export("costs.csv", columns, {"eur": "amount_eur"})
    year = school_year or ALL_ROW
    withheld = _withheld_in_export([(m, year, ALL_ROW) for m in out["municipality"]], blank, "eur")
    out["eur"] = out["eur"].where(~withheld, np.nan)
    return out


# The costs table's project row (per school-year filter: `ALL` = all years) as the reports show it.
COSTS_RECORD = RecordTable("costs_total.csv", ("school_year",), ("pupils", "hours"))


def _costs_over_time(out: pd.DataFrame, school_year: str | None) -> pd.DataFrame:
    """The project row's pupils and support hours under the reports' month-to-month rule: pupils that
    moved by 1..k-1 since earlier reports showed them are withheld with everything computed from them, and
    so are the hours (and EUR per hour) where they moved while the pupils did not: the difference would be
    what one or a few pupils' late rows added (probe: 2 777.2 → 2 800.0 h at 286 pupils, one pupil's 22.8
    consultation hours). esf_indicators.csv leaves these hours blank in its `ALL` rows; the report keeps
    them where no such move shows them (decided: EUR per hour is what evaluators ask of a costs table)."""
    total = (out["municipality"] == ALL_ROW).to_numpy()
    if not total.any():
        return out
    row = out[total].assign(school_year=school_year or ALL_ROW).reset_index(drop=True)
    counts = list(COSTS_RECORD.columns)
    kept = _recorded_blank(COSTS_RECORD, row, counts)
    change = _moved(COSTS_RECORD, row, counts, moving=["pupils"])
    pupils = bool(kept["pupils"][0] or change["pupils"][0])
    hours = pupils or bool(kept["hours"][0] or change["hours"][0] or _moved_alone(COSTS_RECORD, row, "hours")[0])
    out = out.copy()
    for col, hidden in (("pupils", pupils), ("eur_per_pupil", pupils), ("hours", hours), ("eur_per_hour", hours)):
        if hidden:
            out.loc[total, col] = np.nan
    out.loc[total, "suppressed"] = out.loc[total, "suppressed"].to_numpy(dtype=bool) | pupils | hours
    return out


def _moved_alone(table: RecordTable, frame: pd.DataFrame, figure: str) -> np.ndarray:
    """Rows whose `figure` differs from what earlier reports last showed for it while every pupil count of
    the table is what they showed (the rule keys on the counts: a figure that moved alone is one or a few
    known pupils' late rows)."""
    out = np.zeros(len(frame), dtype=bool)
    if not _EARLIER:
        return out
    cells = _EARLIER[0].values.get(table.file, {})
    counts = [c for c in table.columns if c != figure]
    for i, values in enumerate(key_values(frame, table.keys)):
        old = cells.get(key_text(table.keys, dict(zip(table.keys, values, strict=True))), {})
        now = frame.iloc[i]
        if figure not in old or pd.isna(now[figure]) or any(pd.isna(now[c]) or c not in old for c in counts):
            continue
        same = all(same_as_published(now[c], old[c]) for c in counts)
        out[i] = same and not same_as_published(now[figure], old[figure])
    return out


def costs_cells(con: Con, k: int) -> pd.DataFrame:
    """The costs table's project row for all years and for each school year (a one-year report's), for
    the record (report_cells)."""
    rows = []
    for year in [None, *school_years(con)]:
        costs = costs_by_municipality(con, k, year)
        if len(costs) and "suppressed" in costs:
            rows.append(costs[costs["municipality"] == ALL_ROW].assign(school_year=year or ALL_ROW))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def support_by_semester(
    con: Con, k: int, municipality: str | None = None, school_year: str | None = None
) -> pd.DataFrame:
    """Pupils, consultations, hours and staff per school year × semester, with 'ALL' margins."""
    cells = support_cells(con, k, "subject", municipality, school_year)
    columns = ["school_year", "semester", "pupils", "consultations", "hours", "hours_remote", "staff", "suppressed"]
    return cells.loc[cells["level"] == "ALL", columns].sort_values(["school_year", "semester"]).reset_index(drop=True)


def _by_one(con: Con, k: int, col: str, municipality: str | None, school_year: str | None) -> pd.DataFrame:
    cells = support_cells(con, k, col, municipality, school_year)
    whole = (cells["school_year"] == "ALL") & (cells["semester"] == "ALL")
    columns = ["level", "pupils", "consultations", "hours", "staff", "suppressed"]
    out = cells.loc[whole, columns].rename(columns={"level": col})
    return out.sort_values(["hours", col], ascending=[False, True], na_position="last").reset_index(drop=True)


def staff_by_role(con: Con, k: int, municipality: str | None = None, school_year: str | None = None) -> pd.DataFrame:
    """Staff (distinct people), pupils they saw and hours, per role; 'ALL' row = total."""
    return _by_one(con, k, "staff_role", municipality, school_year)


def support_by_subject(
    con: Con, k: int, municipality: str | None = None, school_year: str | None = None
) -> pd.DataFrame:
    """Per subject; 'NONE' = support not tied to a subject; 'ALL' row = total."""
    return _by_one(con, k, "subject", municipality, school_year)


def support_by_mode(con: Con, k: int, municipality: str | None = None, school_year: str | None = None) -> pd.DataFrame:
    """Per mode and semester (in person / remote), with 'ALL' margins."""
    cells = support_cells(con, k, "mode", municipality, school_year)
    columns = ["level", "school_year", "semester", "pupils", "consultations", "hours", "suppressed"]
    out = cells[columns].rename(columns={"level": "mode"}).sort_values(["mode", "school_year", "semester"])
    return out.reset_index(drop=True)


def plans_by_school(con: Con, k: int, municipality: str | None = None, school_year: str | None = None) -> pd.DataFrame:
    """New plans (distinct pupils whose plan starts) per school and school year, with 'ALL' margins:
    one report's rows of `protected_plans`."""
    out = _slice(protected_plans(con, k), municipality, school_year)
    return out.sort_values(["school_name", "school_year"]).reset_index(drop=True)


# ---------------------------------------------------------------- effectiveness (marts built by evaluate)

EFFECT_MEASURES = [
    "naive_change", "effect", "ci_low", "ci_high", "hedges_g", "baseline_std_diff", "improvement_index",
    "mdes", "prob_positive", "prob_above_threshold", "effect_pooled", "ci_low_pooled", "ci_high_pooled",
]  # fmt: skip


EFFECT_KEYS = ["project_code", "municipality", "subject", "school_year"]
EFFECT_COUNTS = ["n_pupils", "n_comparison"]


def protected_effectiveness(con: Con, k: int) -> pd.DataFrame:
    """marts.effectiveness protected once over all its cells (project × municipality × subject × school
    year, `ALL` margins): the overview lists every municipality's pupils and the total, each municipality's
    report its own, so a count withheld in one (1..k-1, or an estimate evaluate withheld) must not be the
    total minus the others. Estimates go with their pupils; cells evaluate withheld start withheld."""
    out = sort_rows(_query(con, "effectiveness", fragments={"cells": "true"}), EFFECT_KEYS)
    hidden = out["suppressed"].fillna(False).astype(bool).to_numpy() if "suppressed" in out else None
    if hidden is None:
        hidden = np.zeros(len(out), dtype=bool)
    counts = [c for c in EFFECT_COUNTS if c in out]
    if out.empty or not counts:
        return out
    # effectiveness.csv publishes the same cells: what it withheld (the month-to-month rule, its LP audit)
    # starts withheld here too.
    columns = {key: key for key in EFFECT_KEYS}
    blank = _blank_in_export("effectiveness.csv", columns, {c: c for c in counts}, where={})
    rows = out[EFFECT_KEYS].astype(object).where(out[EFFECT_KEYS].notna(), "none").astype(str)
    keys = [tuple(NONE_LABELS.get(v, v) for v in row) for row in rows.itertuples(index=False, name=None)]
    start = {c: hidden | _withheld_in_export(keys, blank, c) for c in counts}
    # No respondent rule here: an estimate's pupils and comparisons are the ones the evaluation matched
    # (comparisons from any school), which no school knows exactly (docs/data-dictionary.md, "schools as readers").
    pattern = suppression_pattern(out, EFFECT_KEYS, counts, k, start=start)
    measures = [c for c in EFFECT_MEASURES if c in out]
    for col in (*counts, *measures):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    out.loc[pattern[counts[0]] | hidden, measures] = np.nan
    for col in counts:
        out.loc[pattern[col], col] = np.nan
    out["suppressed"] = hidden | np.logical_or.reduce([pattern[c] for c in counts])
    return out


def effectiveness(
    con: Con,
    k: int,
    by: str = "overall",
    municipality: str | None = None,
    school_year: str | None = None,
) -> pd.DataFrame:
    """Rows of marts.effectiveness for one breakdown: 'overall', 'project' (the primary result of each
    project), 'subject' or 'municipality'; cells of `protected_effectiveness`.

    'ALL' in a key column marks a total; the breakdown column is the only one not 'ALL'.
    """
    if not table_exists(con, "marts", "effectiveness"):
        return pd.DataFrame()
    out = protected_effectiveness(con, k)
    if out.empty:
        return out
    keys = {"overall": (), "project": ("project_code",), "subject": ("subject",), "municipality": ("municipality",)}
    wanted = {"project_code": ALL_ROW, "subject": ALL_ROW, "municipality": municipality or ALL_ROW}
    wanted["school_year"] = school_year or ALL_ROW
    rows = np.ones(len(out), dtype=bool)
    for col, value in wanted.items():
        column = out[col].astype(str)
        rows &= (column != ALL_ROW).to_numpy() if col in keys[by] else (column == value).to_numpy()
    out = out[rows].sort_values("effect", ascending=False, na_position="last", kind="stable")
    return out.reset_index(drop=True)


DIAGNOSTIC_MEASURES = [
    "effect", "ci_low", "ci_high", "naive_change", "placebo_effect", "placebo_ci_low", "placebo_ci_high",
    "placebo_b_effect", "placebo_b_ci_low", "placebo_b_ci_high", "robustness_value", "benchmark_adjusted_effect",
    "effect_all_supported", "ci_low_all_supported", "ci_high_all_supported",
    "placebo_c_effect", "placebo_c_ci_low", "placebo_c_ci_high", "spillover_effect", "spillover_ci_low",
    "spillover_ci_high", "own_school_weight_share", "effect_other_schools", "ci_low_other_schools",
    "ci_high_other_schools",
    # outcomes missing not at random (evaluate/attrition.py) and the school count behind the interval
    "outcome_share_supported", "outcome_share_comparison", "nv_share_supported", "nv_share_comparison", "n_clusters",
]  # fmt: skip
FLOW_STEPS = ["n_episodes", "n_with_baseline", "n_supported_total", "n_pupils"]
# the supported's recorded-marks shares (evaluate/attrition.py): withheld with the flow's baseline → outcome step
ATTRITION_SHARES = ["outcome_share_supported", "nv_share_supported"]
FLOW_RECORD = RecordTable("sample_flow.csv", ("municipality", "school_year"), tuple(FLOW_STEPS))
DIAGNOSTIC_FLAGS = [
    "design_warning", "design_warning_reason", "bias_direction", "benchmark_explains_away", "interval_method", "note",
]  # fmt: skip


def _flow_withheld(
    frame: pd.DataFrame, steps: list[str], k: int, start: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Per row, the flow steps to withhold: all of them where the estimate's pupils are (evaluate's flag,
    none, 1..k-1 or already withheld); else, walking the steps, a count of 1..k-1, or whose drop from the
    last shown step is 1..k-1, or one already withheld (`start`)."""
    out = {step: np.zeros(len(frame), dtype=bool) for step in steps}
    flagged = frame["suppressed"].fillna(False).astype(bool).to_numpy() if "suppressed" in frame else None
    for i in range(len(frame)):
        pupils = frame["n_pupils"].iloc[i]
        hidden = pd.isna(pupils) or 0 < pupils < k or start["n_pupils"][i] or (flagged is not None and flagged[i])
        shown = None
        for step in steps:
            value = frame[step].iloc[i]
            known = not pd.isna(value)
            small = known and 0 < value < k
            small_drop = known and shown is not None and 0 < shown - value < k
            if hidden or small or small_drop or start[step][i]:
                out[step][i] = True
            elif known:
                shown = value
    return out


def protected_flow(con: Con, k: int) -> pd.DataFrame:
    """The headline cells' sample flow (marts.effectiveness_detail, all projects and subjects) for every
    municipality and school year with `ALL` margins, protected as one table: each municipality's report
    shows its flow and the overview the total, so a step withheld in one must not be the total minus the
    others. The in-row rule (`_flow_withheld`) and complementary cells over municipality × school year
    are repeated until neither adds a cell. Withheld steps are NaN."""
    available = set(columns_of(con, "marts", "effectiveness_detail"))
    steps = [c for c in FLOW_STEPS if c in available]
    wanted = ["municipality", "school_year", *steps, *(["suppressed"] if "suppressed" in available else [])]
    frame = _query(con, "design_diagnostics", {}, fragments={"columns": ", ".join(wanted), "cells": "true"})
    keys = ["municipality", "school_year"]
    frame = sort_rows(frame, keys)
    if frame.empty or "n_pupils" not in steps:
        return frame
    # Withheld from the outset: the steps effectiveness.csv withheld (its n_pupils and n_supported_total
    # for all projects and subjects), this run's record withholds, and any that moved by 1..k-1 since an
    # earlier run's reports showed it (n_episodes and n_with_baseline exist only in the reports).
    given = {step: np.zeros(len(frame), dtype=bool) for step in steps}
    columns = {"municipality": "municipality", "school_year": "school_year"}
    where = {"project_code": ALL_ROW, "subject": ALL_ROW}
    blank = _blank_in_export("effectiveness.csv", columns, {c: c for c in steps}, where)
    rows = frame[keys].astype(object).where(frame[keys].notna(), "none").astype(str)
    row_keys = [tuple(NONE_LABELS.get(v, v) for v in row) for row in rows.itertuples(index=False, name=None)]
    recorded = len(steps) == len(FLOW_STEPS)
    kept = _recorded_blank(FLOW_RECORD, frame, steps) if recorded else given
    moved = _moved(FLOW_RECORD, frame, steps) if recorded else given
    for step in steps:
        given[step] = _withheld_in_export(row_keys, blank, step) | kept[step] | moved[step]
    masks = {step: np.zeros(len(frame), dtype=bool) for step in steps}
    # a municipality's only school knows its supported pupils' episodes: the respondent rule
    owner = school_codes([effect_schools(con, frame, {"project_code": ALL_ROW, "subject": ALL_ROW})])[0]
    while True:
        start = _flow_withheld(frame, steps, k, {step: masks[step] | given[step] for step in steps})
        grown = suppression_pattern(frame, keys, steps, k, primary="n_pupils", start=start, owner=owner)
        if all((grown[step] == masks[step]).all() for step in steps):
            break
        masks = grown
    out = frame.copy()
    for step in steps:
        out[step] = pd.to_numeric(out[step], errors="coerce").astype("float64").where(~masks[step], np.nan)
    return out.assign(pupils_withheld=masks["n_pupils"])


def design_diagnostics(con: Con, k: int, municipality: str | None = None, school_year: str | None = None) -> dict:
    """The headline cell's design diagnostics (placebos, warning, robustness, all-supported effect) and
    its sample flow, from marts.effectiveness_detail; {} when there is none.

    Disclosure: the flow's counts are pupils, and so are the differences between steps (pupils dropped
    at a step). Walking the steps, a count that is 1..k-1, or whose drop from the last shown step is,
    is withheld (None); every figure is withheld when the estimate's own pupils are (n_pupils). The flow
    is a row of `protected_flow` (protected over every municipality and year at once).
    """
    if not table_exists(con, "marts", "effectiveness_detail"):
        return {}
    available = set(columns_of(con, "marts", "effectiveness_detail"))
    wanted = [c for c in [*FLOW_STEPS, *DIAGNOSTIC_MEASURES, *DIAGNOSTIC_FLAGS, "suppressed"] if c in available]
    columns = ", ".join(wanted)
    cells = "municipality = coalesce($municipality, 'ALL') and school_year = coalesce($school_year, 'ALL')"
    params = _params(municipality, school_year)
    rows = _query(con, "design_diagnostics", params, fragments={"columns": columns, "cells": cells})
    if rows.empty:
        return {}
    # plain Python values: numpy's bool_ is not `True`, and the notebooks test flags with `is True`
    row = {c: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v) for c, v in rows.iloc[0].items()}
    flow = protected_flow(con, k)
    if "pupils_withheld" not in flow:  # no pupil count to protect the flow by: show none of it
        return row | dict.fromkeys([c for c in [*FLOW_STEPS, *ATTRITION_SHARES] if c in row])
    key = (flow["municipality"] == (municipality or ALL_ROW)) & (flow["school_year"] == (school_year or ALL_ROW))
    here = flow[key]
    if here.empty or bool(here["pupils_withheld"].iloc[0]):
        return {c: None for c in row} | {"suppressed": True}
    for step in FLOW_STEPS:
        if step in here:
            value = here[step].iloc[0]
            row[step] = None if pd.isna(value) else int(value)
    if row.get("n_with_baseline") is None or row.get("n_supported_total") is None:
        # the supported's shares tell the drop from baseline to outcome the flow withholds
        row |= dict.fromkeys([c for c in ATTRITION_SHARES if c in row])
    return row


def _blank_suppressed(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    out = frame.copy()
    mask = out["suppressed"].fillna(False).astype(bool).to_numpy()
    for col in cols:
        if col in out:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
            out.loc[mask, col] = float("nan")
    return out


def _mart(con: Con, table: str) -> pd.DataFrame:
    if not table_exists(con, "marts", table):
        return pd.DataFrame()
    return _query(con, "mart", table=table)


# ---------------------------------------------------------------- effect tables: means next to counts
#
# The effectiveness report's absences, subgroup, dose, staying and event-study tables each show means
# (or shares, effects, intervals) over n pupils next to n. A mean next to its n is a sum: n moving by 1
# between two monthly reports gives that pupil's figure (probe: 26 → 27 pupils, unexcused lessons per
# month 0.86 → 1.06, i.e. 6.26 for the pupil who joined). So each is a recorded table (report_history,
# pipelines/report/cells.py) under the month-to-month rule, with complementary suppression against its
# `ALL` row: `protected_means`.

MEANS_RECORD = {
    "absences": RecordTable("effect_absences.csv", ("school_year",), ("n_pupils", "n_comparison")),
    # n_left: the supported pupils who left, n_pupils × (1 − share): what the share gives at one decimal
    "staying": RecordTable("effect_staying.csv", ("school_year",), ("n_pupils", "n_comparison", "n_left")),
    "subgroups": RecordTable(
        "effect_subgroups.csv", ("project_code", "subgroup", "level"), ("n_pupils", "n_comparison")
    ),
    "dose": RecordTable("effect_dose.csv", ("dimension", "level"), ("n_pupils", "n_comparison")),
    # the step counts are not shown, but the means are, and the count is what makes a mean a sum
    "event": RecordTable("effect_event_study.csv", ("period",), ("n_supported", "n_comparison")),
}
MEANS_MART = {
    "absences": "effectiveness_absences",
    "staying": "staying",
    "subgroups": "effectiveness_subgroups",
    "dose": "dose_response",
    "event": "event_study",
}
_MEANS: dict[tuple, pd.DataFrame] = {}


def protected_means(
    frame: pd.DataFrame,
    table: RecordTable,
    keys: list[str],
    measures: list[str],
    k: int,
    start: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """A table of means next to the counts they are computed from (`table.columns`, the first counting the
    pupils the row describes), protected as the reports' other recorded tables: a count starts withheld
    where `start` says (evaluate's or the export's blanks), where this run's record withholds it, and where
    it moved by 1..k-1 since an earlier run's reports showed it (or the previous run withheld it and it
    moved by less than k: pipelines/disclosure_time.py); then complementary cells along `keys` against
    their `ALL` rows, withheld cells included (a withheld small year is not the total minus the others).
    Every measure of a row goes wherever any of its counts is withheld. Withheld cells are NaN."""
    counts = list(table.columns)
    out = frame.copy().reset_index(drop=True)
    for col in (*counts, *measures):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    if out.empty:
        return out.assign(suppressed=pd.Series(dtype=bool))
    none = np.zeros(len(out), dtype=bool)
    kept = _recorded_blank(table, out, counts)
    change = _moved(table, out, counts)
    first = {c: np.asarray((start or {}).get(c, none), dtype=bool) | kept[c] | change[c] for c in counts}
    known = getattr(change, "known", None)
    pattern = suppression_pattern(out, keys, counts, k, start=first, known=known)
    withheld = np.logical_or.reduce([pattern[c] for c in counts])
    for col in counts:
        out.loc[pattern[col], col] = np.nan
    out.loc[withheld, measures] = np.nan
    return out.assign(suppressed=withheld)


def _evaluate_withheld(frame: pd.DataFrame, counts: list[str]) -> dict[str, np.ndarray]:
    """Per count: the rows evaluate withheld (its `suppressed` flag), which start withheld, so that they
    are withheld members of their equations (a blank small year is not the total minus the others) at
    record time as when the notebooks start from the record's blanks. A count of 0 hides nothing."""
    if "suppressed" not in frame:
        return {c: np.zeros(len(frame), dtype=bool) for c in counts}
    flag = frame["suppressed"].fillna(False).astype(bool).to_numpy()
    return {c: flag & (pd.to_numeric(frame[c], errors="coerce").fillna(1).to_numpy() != 0) for c in counts}


def _cached_means(con: Con, k: int, name: str, build: Callable[[pd.DataFrame, int], pd.DataFrame]) -> pd.DataFrame:
    """One protection per table and warehouse (the record and the notebook ask for the same table)."""
    raw = _mart(con, MEANS_MART[name])
    key = (name, k, int(pd.util.hash_pandas_object(raw, index=False).sum()) if len(raw) else 0)
    if key not in _MEANS:
        _MEANS[key] = build(raw, k) if len(raw) else pd.DataFrame()
    return _MEANS[key].copy()


def dose_response(con: Con, k: int, dimension: str = "hours_band") -> pd.DataFrame:
    """Effect per level of one dose dimension (hours_band, main_mode, main_role, support_form), in level order."""
    out = _cached_means(con, k, "dose", _protect_dose)
    if out.empty:
        return out
    out = out[(out["dimension"] == dimension) & (out["level"] != ALL_ROW)]
    return out.sort_values("level_order").reset_index(drop=True)


def _protect_dose(raw: pd.DataFrame, k: int) -> pd.DataFrame:
    """Every dimension's levels, each with a margin (the sum of its levels, never shown): the levels split
    the headline's matched pupils, which the report publishes, so a withheld level is withheld with a
    complementary level, or it would be the headline minus the others. The margin is kept in the record
    (blank where withheld) with the levels: where a level moved since last month and the others did not,
    its complement is the margin (the headline, which moved with it and is withheld with it in
    effectiveness.csv), and the notebooks must start from the same choice."""
    counts = list(MEANS_RECORD["dose"].columns)
    out = raw[raw["level"] != ALL_ROW].reset_index(drop=True)
    measures = [c for c in EFFECT_MEASURES if c in out]
    for col in counts:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    # a level evaluate withheld (e.g. 3 remote pupils) is the headline minus the others too
    start = _evaluate_withheld(out, counts)
    if "suppressed" in out:
        out = _blank_suppressed(out, measures)
    margins = out.groupby("dimension", sort=False)[counts].sum(min_count=1).reset_index().assign(level=ALL_ROW)
    table = pd.concat([out, margins], ignore_index=True)
    start = {c: np.concatenate([m, np.zeros(len(margins), dtype=bool)]) for c, m in start.items()}
    return protected_means(table, MEANS_RECORD["dose"], ["dimension", "level"], measures, k, start)


def event_study(con: Con, k: int) -> pd.DataFrame:
    """The semester-aligned event study (s−2 … s+1): both groups' means, the gap and its 95 % interval.

    A step resting on fewer than k supported or k comparison pupil-subjects, or whose counts moved by
    1..k-1 since an earlier run's reports, is left out (its figures blank); the steps have no margin.
    """
    out = _cached_means(con, k, "event", _protect_event)
    if out.empty or "step" not in out:
        return pd.DataFrame()
    return out.sort_values("step").reset_index(drop=True)


def _protect_event(raw: pd.DataFrame, k: int) -> pd.DataFrame:
    if "step" not in raw:
        return pd.DataFrame()
    measures = ["mean_supported", "mean_comparison", "difference", "ci_low", "ci_high"]
    return protected_means(raw, MEANS_RECORD["event"], ["period"], measures, k)


SUBGROUP_MEASURES = ["effect", "ci_low", "ci_high", "p_heterogeneity"]
SUBGROUP_EXPORT = "effectiveness_subgroups.csv"


def subgroups(con: Con, k: int, project: str = "ALL") -> pd.DataFrame:
    """Effects by subgroup level for one project (`ALL`: all projects), with each subgroup's heterogeneity
    p-value: cells of `_protect_subgroups`."""
    out = _cached_means(con, k, "subgroups", _protect_subgroups)
    if out.empty:
        return out
    return out[out["project_code"] == project].reset_index(drop=True)


def _protect_subgroups(raw: pd.DataFrame, k: int) -> pd.DataFrame:
    """Each subgroup protected over project × level with `ALL` margins (the levels add up to the project
    total, the projects to `ALL`). effectiveness_subgroups.csv publishes the same cells, so what it
    withheld (the month-to-month rule, its LP audit) starts withheld here; so does what this run's record
    withholds and what moved by 1..k-1 since an earlier run's reports (`protected_means`). The p-value goes
    wherever any level of its subgroup is withheld (the test uses every level's estimate)."""
    # counts stay for the disclosure step (a level without an estimate still adds up to the total)
    out = _blank_suppressed(raw, ["effect", "ci_low", "ci_high"])
    counts = list(MEANS_RECORD["subgroups"].columns)
    columns = {"project_code": "project_code", "subgroup": "subgroup", "level": "level"}
    blank = _blank_in_export(SUBGROUP_EXPORT, columns, {c: c for c in counts}, where={})
    parts = []
    for _, part in out.groupby("subgroup", sort=False):
        part = sort_rows(part.reset_index(drop=True), ["project_code", "level"])
        rows = part[list(columns)].astype(str).itertuples(index=False, name=None)
        keys = [tuple(NONE_LABELS.get(v, v) for v in row) for row in rows]
        start = {c: _withheld_in_export(keys, blank, c) for c in counts}
        shown = protected_means(part, MEANS_RECORD["subgroups"], ["project_code", "level"], SUBGROUP_MEASURES, k, start)
        hidden = shown.groupby("project_code")["suppressed"].transform("any").to_numpy(dtype=bool)
        shown.loc[hidden, "p_heterogeneity"] = float("nan")
        parts.append(shown)
    return pd.concat(parts, ignore_index=True).drop(columns="note", errors="ignore")


STAYING_NAMES = {
    "share_stayed_supported": "mean_treated",
    "share_stayed_comparison": "mean_comparison",
    "difference": "effect",
}
STAYING_MEASURES = ["mean_treated", "mean_comparison", "effect", "ci_low", "ci_high"]


def staying(con: Con, k: int) -> pd.DataFrame:
    """Share still enrolled at the end of the school year, supported against matched comparisons.

    Supported pupils who left are pupils too (n_pupils × (1 − share), shown at one decimal): a year's
    figures are withheld where its pupils, comparisons or leavers are 1..k-1, moved by 1..k-1 since an
    earlier run's reports, or would follow from the `ALL` row and the other years (`protected_means`).
    """
    out = _cached_means(con, k, "staying", _protect_staying)
    if out.empty:
        return out
    return out.drop(columns="n_left").sort_values("school_year").reset_index(drop=True)


def _protect_staying(raw: pd.DataFrame, k: int) -> pd.DataFrame:
    out = raw.rename(columns=STAYING_NAMES)
    counts = list(MEANS_RECORD["staying"].columns)
    out["n_left"] = (
        pd.to_numeric(out["n_pupils"], errors="coerce") * (1 - pd.to_numeric(out["mean_treated"], errors="coerce"))
    ).round()
    start = _evaluate_withheld(out, counts)
    if "suppressed" in out:
        out = _blank_suppressed(out, [*counts, *STAYING_MEASURES])
    return protected_means(out, MEANS_RECORD["staying"], ["school_year"], STAYING_MEASURES, k, start)


def staying_balance(con: Con) -> dict[str, int] | None:
    """How many start period × grade band cells of the staying estimate (its ALL row) there were, and in
    how many the comparison weights could not be balanced (evaluate's staying.StayingShares); None when
    the mart has no such figures (no estimate, or a warehouse from before them). Cells, not pupils: the
    report says this in words, never the pupils in those cells."""
    out = _mart(con, "staying")
    wanted = ["n_balance_cells", "n_unbalanced_cells"]
    if out.empty or not set(wanted) <= set(out.columns):
        return None
    total = out.loc[out["school_year"] == ALL_ROW, wanted].dropna()
    if total.empty:
        return None
    cells, unbalanced = (int(v) for v in total.iloc[0])
    return {"cells": cells, "unbalanced": unbalanced}


ABSENCE_NAMES = {
    "unexcused_per_month_supported": "mean_treated",
    "unexcused_per_month_comparison": "mean_comparison",
    "difference": "effect",
}


def absences(con: Con, k: int) -> pd.DataFrame:
    """Unexcused lessons per month in the outcome window, supported against matched comparisons.

    A school year with 1..k-1 supported or comparison pupils, or whose counts moved by 1..k-1 since an
    earlier run's reports, loses its figures, with a complementary year or the `ALL` row so that the
    year's pupils and mean do not follow from the total and the other years (`protected_means`)."""
    out = _cached_means(con, k, "absences", _protect_absences)
    if out.empty:
        return out
    return out.sort_values("school_year").reset_index(drop=True)


def _protect_absences(raw: pd.DataFrame, k: int) -> pd.DataFrame:
    out = raw.rename(columns=ABSENCE_NAMES)
    counts = list(MEANS_RECORD["absences"].columns)
    measures = ["mean_treated", "mean_comparison", "effect", "ci_low", "ci_high"]
    start = _evaluate_withheld(out, counts)
    if "suppressed" in out:
        out = _blank_suppressed(out, [*counts, *measures])
    return protected_means(out, MEANS_RECORD["absences"], ["school_year"], measures, k, start)


def effect_cells(con: Con, k: int) -> dict[RecordTable, pd.DataFrame]:
    """The five effect tables as the effectiveness report shows them, for the record (report_cells), with
    the cells their protection ran over and the notebooks do not show (the dose margins; the subgroups of
    each project, as effectiveness_subgroups.csv publishes them), so that the notebooks, starting from the
    record's blanks, withhold what it withheld."""
    tables = {
        "absences": _cached_means(con, k, "absences", _protect_absences),
        "staying": _cached_means(con, k, "staying", _protect_staying),
        "subgroups": _cached_means(con, k, "subgroups", _protect_subgroups),
        "dose": _cached_means(con, k, "dose", _protect_dose),
        "event": _cached_means(con, k, "event", _protect_event),
    }
    out = {}
    for name, frame in tables.items():
        table = MEANS_RECORD[name]
        if frame.empty or not set(table.keys) | set(table.columns) <= set(frame.columns):
            continue
        out[table] = frame.reset_index(drop=True)
    return out


# ---------------------------------------------------------------- early warning (counts and rates only)

EW_COUNTS = ("n_pupils", "n_leavers", "n_flagged")
# Not shown, but recall × leavers would give them away: protected like the shown counts.
EW_HIDDEN_COUNTS = ("n_flagged_leavers", "n_flagged_stayers")
EW_RATES = ("flag_rate", "recall", "false_positive_rate")


def early_warning_method(con: Con) -> dict[str, Any]:
    """How the scores were made (model or rules), the years and the AUC with its interval (a rank
    statistic over the whole test year: no small count behind it unless the year has < k leavers)."""
    if not table_exists(con, "marts", "early_warning_metrics"):
        return {}
    rows = _query(con, "early_warning_method")
    return rows.iloc[0].to_dict() if len(rows) else {}


EW_DIMENSIONS = ("gender", "grade_band", "municipality")
EW_KEYS = ["scope", "group_value"]  # scope: one value (the test year's table); group_value `ALL` is the total
EW_ALL_COUNTS = [*EW_COUNTS, *EW_HIDDEN_COUNTS]
# Each pupil of the test year is in one group of each dimension (one gender, one grade band, one
# municipality), so every count adds up exactly; flagged leavers are at most the leavers and the flagged.
EW_RULES = tuple(ColumnRule(c, exact=True) for c in EW_ALL_COUNTS)
EW_BOUNDS = (
    RowBound("n_pupils", "n_leavers"),
    RowBound("n_pupils", "n_flagged"),
    RowBound("n_leavers", "n_flagged_leavers"),
    RowBound("n_flagged", "n_flagged_leavers"),
    RowBound("n_flagged", "n_flagged_stayers"),
)
# Kept per run (report_history): the counts shown and the two that a shown rate × a shown count gives.
# The test year is in the key: next school year's audit is another population, compared with nothing.
EW_RECORD = RecordTable("early_warning_audit.csv", ("test_year", "dimension", "group_value"), tuple(EW_ALL_COUNTS))
_EW: dict[tuple, dict[str, pd.DataFrame]] = {}


def early_warning_audit(con: Con, k: int, dimension: str) -> pd.DataFrame:
    """One row per group of `dimension` (gender, grade_band, municipality) and the `ALL` total: pupils,
    leavers and flagged pupils with the flag rate, recall and false-positive rate and their intervals;
    one table of `protected_early_warning`."""
    return protected_early_warning(con, k).get(dimension, pd.DataFrame()).copy()


def protected_early_warning(con: Con, k: int) -> dict[str, pd.DataFrame]:
    """The early-warning audit tables (by gender, grade band and municipality, test year), protected
    together: they share their `ALL` row and only the reports publish them, so the reports apply the
    export's month-to-month rule and LP audit to them themselves. A count that moved by 1..k-1 since an
    earlier run's reports showed it is withheld (a new pupil of the test year would otherwise show as
    M 227 → 228, i.e. that pupil's gender, grade band and municipality and that they neither left nor
    were flagged), cells this run's record withholds start withheld, and so does every cell the latest
    earlier run's reports withheld for the same test year: a cell withheld last month and shown now would
    give last month's withheld cells from last month's margins (e.g. a grade band's flagged pupils as the
    total minus the other bands); the test year's figures change only as late records arrive, and next
    year's audit starts afresh. Then complementary cells and the LP audit over all three tables. Every
    rate and interval is withheld with any of its row's counts."""
    if not table_exists(con, "marts", "early_warning_metrics"):
        return {}
    frames = {}
    for dimension in EW_DIMENSIONS:
        frame = _query(con, "early_warning_audit", {"dimension": dimension})
        if len(frame) >= 2:
            frames[dimension] = sort_rows(frame.assign(scope="test_year"), EW_KEYS)
    if not frames:
        return {}
    key = (k, *(int(pd.util.hash_pandas_object(f, index=False).sum()) for f in frames.values()), *frames)
    if key not in _EW:
        _EW.clear()
        _EW[key] = _protect_early_warning(frames, k)
    return {d: f.copy() for d, f in _EW[key].items()}


def _ew_recorded(frame: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """A table as its record spells it (keys dimension, group_value)."""
    return frame.assign(dimension=dimension)


def _protect_early_warning(frames: dict[str, pd.DataFrame], k: int) -> dict[str, pd.DataFrame]:
    start, moved = [], []
    for dimension, frame in frames.items():
        for col in EW_ALL_COUNTS:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        recorded = _ew_recorded(frame, dimension)
        kept = _recorded_blank(EW_RECORD, recorded, EW_ALL_COUNTS)
        before = _recorded_blank(EW_RECORD, recorded, EW_ALL_COUNTS, _LAST_RECORD)
        change = _moved(EW_RECORD, recorded, EW_ALL_COUNTS)
        start.append({c: kept[c] | before[c] | change[c] for c in EW_ALL_COUNTS})
        moved.append(change)
    tables = [(frame, EW_KEYS, "group_value") for frame in frames.values()]
    result = audited_patterns(
        tables, EW_ALL_COUNTS, k, EW_RULES, EW_BOUNDS, primary="n_pupils", start=start, sensitive=moved
    )
    out = {}
    for (dimension, frame), counts in zip(frames.items(), result.counts, strict=True):
        derived = [c for c in frame.columns if c not in ("group_value", "scope", "test_year", *EW_ALL_COUNTS)]
        shown = apply_pattern(frame, counts, derived)
        for col in (*EW_ALL_COUNTS, *derived):
            shown[col] = shown[col].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        out[dimension] = shown.drop(columns="scope")
    return out


def early_warning_warnings(con: Con, k: int) -> list[str]:
    """The plain-words warnings on recall gaps between groups (no counts in them): evaluate's sentence,
    with both groups' recall, where the audit table shows both; without any figure where the table
    withholds either (a recall of 1..k-1 leavers, e.g. "finds 100 % in Balvu" for its one leaver, would
    say what the table withholds)."""
    if not table_exists(con, "marts", "early_warning_metrics"):
        return []
    tables = protected_early_warning(con, k)
    out = []
    for dimension, pair, note in con.execute(load_sql(SQL_DIR, "early_warning_warnings")).fetchall():
        table = tables.get(dimension)
        recall = dict(zip(table["group_value"], table["recall"], strict=True)) if table is not None else {}
        groups = [(hi, lo) for hi in recall for lo in recall if hi != lo and f"{hi} vs {lo}" == pair]
        if groups and not any(pd.isna(recall[g]) for g in groups[0]):
            out.append(note)
        elif groups:
            out.append(recall_warning_withheld(dimension, *groups[0]))
        else:  # groups the table does not list: name none
            out.append(recall_warning_withheld(dimension, None, None))
    return out


def recall_warning_withheld(dimension: str, hi: str | None, lo: str | None) -> str:
    """The recall-gap warning without figures (Latvian / English), for groups whose figures are withheld."""
    if hi is None or lo is None:
        return (
            f"Brīdinājums: saraksts dažās grupās ({dimension}) atrod aizgājušos daudz retāk nekā citās. / "
            f"Warning: the list finds leavers much less often in some groups ({dimension}) than in others."
        )
    return (
        f"Brīdinājums: saraksts grupā {dimension}={lo} atrod aizgājušos daudz retāk nekā grupā {hi} (skaitļi "
        f"aizklāti: grupas ir mazas); šīs grupas skolēni sarakstā ir retāk, nekā vajadzētu. / "
        f"Warning: the list finds leavers in {dimension}={lo} much less often than in {hi} (figures withheld: "
        f"small groups): pupils of that group who will leave are missed more often."
    )


RISK_KEYS = ["municipality", "risk_band"]
RISK_COUNTS = ["n_pupils", "n_with_plan"]
# As the export's risk_summary.csv: one score per pupil, so both counts add up exactly; pupils ≥ with a plan.
RISK_RULES = (ColumnRule("n_pupils", exact=True), ColumnRule("n_with_plan", exact=True))
RISK_BOUNDS = (RowBound("n_pupils", "n_with_plan"),)


def risk_coverage(con: Con, k: int, municipality: str | None = None) -> pd.DataFrame:
    """Pupils per risk band (and `ALL`) on the latest data date, with how many have an open plan; one
    municipality's rows (None: the project's) of the table protected over every municipality.

    These are risk_summary.csv's cells for all years and semesters, so every cell the export withheld
    there (the month-to-month rule included) starts withheld; 1..k-1 pupils without a plan withhold the
    count with a plan (pupils − with a plan would give them), and the LP audit runs as in the export,
    with the respondent rule (a municipality's only scored school knows its rows, disclosure.protect_column)."""
    if not table_exists(con, "marts", "early_warning"):
        return pd.DataFrame()
    frame = _query(con, "risk_coverage")
    if frame.empty:
        return frame
    frame = sort_rows(frame.astype({c: float for c in RISK_COUNTS}), RISK_KEYS)
    # the one school whose pupils make up a row knows it from its early-warning list: the insider rule
    schools = frame.pop("sole_school_id").astype(object).to_numpy() if "sole_school_id" in frame else None
    columns = {"municipality": "municipality", "risk_band": "risk_band"}
    where = {"school_year": ALL_ROW, "semester": ALL_ROW}
    blank = _blank_in_export("risk_summary.csv", columns, {c: c for c in RISK_COUNTS}, where)
    rows = frame[RISK_KEYS].astype(str).itertuples(index=False, name=None)
    keys = [tuple(NONE_LABELS.get(v, v) for v in row) for row in rows]
    start = {c: _withheld_in_export(keys, blank, c) for c in RISK_COUNTS}
    without_plan = (frame["n_pupils"] - frame["n_with_plan"]).to_numpy()
    start["n_with_plan"] |= (without_plan >= 1) & (without_plan <= k - 1)
    result = audited_patterns(
        [(frame, RISK_KEYS, None)], RISK_COUNTS, k, RISK_RULES, RISK_BOUNDS, start=[start], insiders=[schools]
    )
    frame = apply_pattern(frame, result.counts[0], ["share_with_plan"])
    for col in (*RISK_COUNTS, "share_with_plan"):
        frame[col] = frame[col].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    frame = frame[frame["municipality"] == (municipality or ALL_ROW)].drop(columns="municipality")
    order = {"high": 0, "medium": 1, "low": 2, "ALL": 3}
    return frame.sort_values("risk_band", key=lambda s: s.map(order)).reset_index(drop=True)
