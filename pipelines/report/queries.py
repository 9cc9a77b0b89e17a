"""Every query the report notebooks run, in one place.

Each function returns a small aggregated pandas frame (never a pupil-level row), so a column
rename in the warehouse touches this module only. `municipality` and `school_year` are
optional filters; None means the whole project. Pupil counts are suppressed (1..k-1) here,
before any notebook sees them, together with the measures computed from those pupils.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pandas as pd

from pipelines.deliveries import MISSING_SQL
from pipelines.evaluate.estimate import wwc_equivalence
from pipelines.report.disclosure import protect, suppress_small
from pipelines.warehouse import table_exists

Con = duckdb.DuckDBPyConnection

FILTER = (
    "($municipality is null or municipality = $municipality) and ($school_year is null or school_year = $school_year)"
)


def _params(municipality: str | None, school_year: str | None) -> dict[str, Any]:
    return {"municipality": municipality or None, "school_year": school_year or None}


def _df(con: Con, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    return con.execute(sql, params or {}).df()


def columns_of(con: Con, schema: str, table: str) -> list[str]:
    sql = """
        select column_name from information_schema.columns
        where table_schema = ? and table_name = ? order by ordinal_position
    """
    return [r[0] for r in con.execute(sql, [schema, table]).fetchall()]


# ---------------------------------------------------------------- lineage (index page)


def data_period(con: Con) -> tuple[date | None, date | None]:
    """First and last date of any consultation or grade."""
    parts = [
        f"select min(date) as lo, max(date) as hi from core.{t}"
        for t in ("consultations", "grades")
        if table_exists(con, "core", t)
    ]
    if not parts:
        return None, None
    lo, hi = con.execute(f"select min(lo), max(hi) from ({' union all '.join(parts)})").fetchall()[0]
    return lo, hi


def file_totals(con: Con) -> tuple[int, int]:
    """Files behind the warehouse (loaded now or earlier and unchanged) and their loaded rows."""
    sql = """
        select count(*), coalesce(sum(rows_loaded), 0)
        from meta.files where status in ('loaded', 'unchanged')
    """
    files, rows = con.execute(sql).fetchall()[0]
    return int(files), int(rows)


def municipalities(con: Con) -> list[str]:
    rows = con.execute("select distinct municipality from core.schools where municipality is not null order by 1")
    return [r[0] for r in rows.fetchall()]


def school_years(con: Con) -> list[str]:
    rows = con.execute("select distinct school_year from core.consultations where school_year is not null order by 1")
    return [r[0] for r in rows.fetchall()]


# ---------------------------------------------------------------- data quality

QUALITY = """
    with schools as (select school_id, any_value(school_name) as school_name, any_value(municipality) as municipality
                     from core.schools group by school_id),
    quality as (
        select q.*, s.school_name, s.municipality,
               school_year_of_month(q.month) as school_year
        from validation.quality q left join schools s using (school_id)
    )
"""


def files_by_status(con: Con) -> pd.DataFrame:
    sql = """
        select status, count(*) as files, sum(rows_read) as rows_read, sum(rows_loaded) as rows_loaded,
               sum(rows_quarantined) as rows_quarantined
        from meta.files group by status order by files desc
    """
    return _df(con, sql)


def deliveries(con: Con, municipality: str | None = None, school_year: str | None = None) -> pd.DataFrame:
    """Rows received per school and month (long form)."""
    sql = f"""{QUALITY}
        select coalesce(school_name, school_id) as school_name, municipality, month,
               sum(rows_received) as rows_received, sum(rows_loaded) as rows_loaded,
               sum(rows_quarantined) as rows_quarantined, sum(warnings) as warnings
        from quality where {FILTER}
        group by all order by school_name, month
    """
    return _df(con, sql, _params(municipality, school_year))


def quarantine_reasons(con: Con, municipality: str | None = None, lang: str = "lv") -> pd.DataFrame:
    """Quarantined rows by stage, kind, reason and column, with the (templated) message schools get.

    Messages are written per reason and column, never with a row's value, so one per group is shown.
    """
    message = "message_en" if lang == "en" else "message_lv"
    sql = f"""
        with schools as (select school_id, any_value(municipality) as municipality from core.schools group by 1)
        select stage, kind, reason_code, column_name, min({message}) as message,
               count(*) as n_rows, count(distinct source_file) as files
        from quarantine.rows left join schools using (school_id)
        where $municipality is null or municipality = $municipality
        group by stage, kind, reason_code, column_name order by n_rows desc, reason_code
    """
    return _df(con, sql, {"municipality": municipality or None})


def warning_reasons(con: Con, municipality: str | None = None, lang: str = "lv") -> pd.DataFrame:
    """Warnings (rows kept) by kind, reason and column, with their message."""
    message = "message_en" if lang == "en" else "message_lv"
    sql = f"""
        with schools as (select school_id, any_value(municipality) as municipality from core.schools group by 1)
        select kind, reason_code, column_name, min({message}) as message,
               count(*) as n_rows, count(distinct source_file) as files
        from validation.flags left join schools using (school_id)
        where $municipality is null or municipality = $municipality
        group by kind, reason_code, column_name order by n_rows desc, reason_code
    """
    return _df(con, sql, {"municipality": municipality or None})


def missing_deliveries(con: Con, municipality: str | None = None) -> pd.DataFrame:
    """Schools with a teaching month without consultations or grades (pipelines/deliveries.sql,
    the definition `atbalsts status` uses too)."""
    sql = f"""{QUALITY},
        missing as ({MISSING_SQL}),
        delivered as (
            select school_id, max(month) as last_month from validation.quality
            where coalesce(has_consultations, false) or coalesce(has_grades, false)
            group by all
        ),
        final as (
            select s.school_name, s.municipality,
                   count(*) as months_missing,
                   string_agg(m.month, ', ' order by m.month) as missing_months,
                   any_value(d.last_month) as last_month
            from missing m join schools s using (school_id) left join delivered d using (school_id)
            where $municipality is null or s.municipality = $municipality
            group by s.school_id, s.school_name, s.municipality
        )
        select * from final order by months_missing desc, school_name
    """
    return _df(con, sql, {"municipality": municipality or None})


# ---------------------------------------------------------------- support overview

# A subject no dictionary knows (`~text`) is shown as one `other` row, never as the school's text.
CONSULTATIONS = (
    "(select * replace (case when subject like '~%' then 'other' else subject end as subject) "
    f"from core.consultations where {FILTER})"
)


def support_totals(con: Con, k: int, municipality: str | None = None, school_year: str | None = None) -> pd.DataFrame:
    """One row: pupils, consultations, hours, staff, schools, plans."""
    sql = f"""
        with c as {CONSULTATIONS},
        p as (select p.* from core.plans p join (select school_id, any_value(municipality) as municipality
              from core.schools group by 1) s using (school_id) where {FILTER})
        select (select count(distinct pupil_id) from c) as pupils,
               (select count(*) from c) as consultations,
               (select sum(minutes) / 60 from c) as hours,
               (select count(distinct staff_id) from c) as staff,
               (select count(distinct school_id) from c) as schools,
               (select count(distinct pupil_id) from p) as plans
    """
    out = _df(con, sql, _params(municipality, school_year))
    out = suppress_small(out, "pupils", k, ["consultations", "hours"])
    return suppress_small(out, "plans", k)


def _table_or_empty(con: Con, table: str, columns: str) -> str:
    """core.<table>, or an empty relation with `columns` when a warehouse from before it lacks it."""
    if table_exists(con, "core", table):
        return f"core.{table}"
    names = ", ".join(f"cast(null as {c.split()[1]}) as {c.split()[0]}" for c in columns.split(", "))
    return f"(select {names} where false)"


def programme_totals(con: Con, k: int, municipality: str | None = None, school_year: str | None = None) -> pd.DataFrame:
    """One row: activities held, pupils listed in them and participant-hours (head counts included);
    pupils with financial support and the EUR paid. Each pupil count withheld at 1..k-1 with the
    figures computed from those pupils (the EUR of a small group would reveal one pupil's support)."""
    activities = _table_or_empty(
        con, "activities", "municipality varchar, school_year varchar, minutes double, n_participants integer"
    )
    participants = _table_or_empty(
        con, "activity_participants", "municipality varchar, school_year varchar, pupil_id varchar"
    )
    financial = _table_or_empty(
        con, "financial_support", "municipality varchar, school_year varchar, pupil_id varchar, amount_eur double"
    )
    sql = f"""
        select (select count(*) from {activities} where {FILTER}) as activities,
               (select count(distinct pupil_id) from {participants} where {FILTER}) as activity_pupils,
               (select coalesce(sum(n_participants * minutes), 0) / 60 from {activities} where {FILTER})
                   as activity_hours,
               (select count(distinct pupil_id) from {financial} where {FILTER}) as financial_pupils,
               (select coalesce(sum(amount_eur), 0) from {financial} where {FILTER}) as financial_eur
    """
    out = _df(con, sql, _params(municipality, school_year))
    out = suppress_small(out, "activity_pupils", k, ["activity_hours"])
    return suppress_small(out, "financial_pupils", k, ["financial_eur"])


def costs_by_municipality(con: Con, k: int, school_year: str | None = None) -> pd.DataFrame:
    """Per municipality (+ 'ALL'): costs as reported, pupils supported in any way, their support
    hours, EUR per pupil and per hour. The pupils are protected as every table (complementary
    suppression against the 'ALL' row); EUR per pupil or hour is withheld with them."""
    costs = _table_or_empty(con, "costs", "municipality varchar, school_year varchar, amount_eur double")
    participants = _table_or_empty(
        con, "activity_participants", "municipality varchar, school_year varchar, pupil_id varchar, minutes double"
    )
    financial = _table_or_empty(con, "financial_support", "municipality varchar, school_year varchar, pupil_id varchar")
    sql = f"""
        with supported as (
            select municipality, pupil_id, minutes / 60.0 as hours from core.consultations where {FILTER}
            union all
            select municipality, pupil_id, minutes / 60.0 from {participants} where {FILTER}
            union all
            select municipality, pupil_id, 0.0 from {financial} where {FILTER}
        ),
        pupils as (
            select {_margin("municipality", "unknown")}, count(distinct pupil_id) as pupils, sum(hours) as hours
            from supported group by grouping sets ((municipality), ())
        ),
        spent as (
            select {_margin("municipality", "unknown")}, sum(amount_eur) as eur
            from {costs} where {FILTER} group by grouping sets ((municipality), ())
        )
        select municipality, coalesce(p.pupils, 0) as pupils, coalesce(p.hours, 0) as hours, s.eur
        from pupils p full join spent s using (municipality)
        order by municipality = 'ALL', municipality
    """
    out = _df(con, sql, _params(None, school_year))
    if out.empty:
        return out.assign(eur_per_pupil=pd.Series(dtype=float), eur_per_hour=pd.Series(dtype=float))
    out["eur_per_pupil"] = out["eur"] / out["pupils"].where(out["pupils"] > 0)
    out["eur_per_hour"] = out["eur"] / out["hours"].where(out["hours"] > 0)
    return protect(out, ["municipality"], ["pupils"], k, ["hours", "eur_per_pupil", "eur_per_hour"])


def _margin(col: str, none: str = "NONE") -> str:
    """A key column of a CUBE / GROUPING SETS query: 'ALL' on margin rows, `none` for null values."""
    return f"case when grouping({col}) = 1 then 'ALL' else coalesce(cast({col} as varchar), '{none}') end as {col}"


def support_by_semester(
    con: Con, k: int, municipality: str | None = None, school_year: str | None = None
) -> pd.DataFrame:
    """Pupils, consultations, hours and staff per school year × semester, with 'ALL' margins."""
    sql = f"""
        select {_margin("school_year")}, {_margin("semester")},
               count(distinct pupil_id) as pupils, count(*) as consultations, sum(minutes) / 60 as hours,
               coalesce(sum(minutes) filter (where mode = 'remote'), 0) / 60 as hours_remote,
               count(distinct staff_id) as staff
        from {CONSULTATIONS} group by cube (school_year, semester) order by all
    """
    out = _df(con, sql, _params(municipality, school_year))
    return protect(out, ["school_year", "semester"], ["pupils"], k, ["consultations", "hours", "hours_remote"])


def _by_one(con: Con, k: int, col: str, municipality: str | None, school_year: str | None) -> pd.DataFrame:
    sql = f"""
        select {_margin(col)}, count(distinct pupil_id) as pupils, count(*) as consultations,
               sum(minutes) / 60 as hours, count(distinct staff_id) as staff
        from {CONSULTATIONS} group by grouping sets (({col}), ()) order by hours desc
    """
    out = _df(con, sql, _params(municipality, school_year))
    return protect(out, [col], ["pupils"], k, ["consultations", "hours"])


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
    sql = f"""
        select {_margin("mode")}, {_margin("school_year")}, {_margin("semester")},
               count(distinct pupil_id) as pupils, count(*) as consultations, sum(minutes) / 60 as hours
        from {CONSULTATIONS} group by cube (mode, school_year, semester) order by all
    """
    out = _df(con, sql, _params(municipality, school_year))
    return protect(out, ["mode", "school_year", "semester"], ["pupils"], k, ["consultations", "hours"])


def plans_by_school(con: Con, k: int, municipality: str | None = None, school_year: str | None = None) -> pd.DataFrame:
    """New plans (distinct pupils whose plan starts) per school and school year, with 'ALL' margins."""
    sql = f"""
        with schools as (
            select school_id, any_value(school_name) as school_name, any_value(municipality) as municipality
            from core.schools group by 1
        ),
        plans as (select coalesce(s.school_name, p.school_id) as school_name, s.municipality, p.school_year, p.pupil_id
                  from core.plans p left join schools s using (school_id))
        select {_margin("school_name")}, {_margin("school_year")}, count(distinct pupil_id) as plans
        from plans where {FILTER}
        group by cube (school_name, school_year) order by all
    """
    out = _df(con, sql, _params(municipality, school_year))
    return protect(out, ["school_name", "school_year"], ["plans"], k)


# ---------------------------------------------------------------- effectiveness (marts built by evaluate)

EFFECT_MEASURES = [
    "naive_change", "effect", "ci_low", "ci_high", "hedges_g", "baseline_std_diff", "improvement_index",
    "mdes", "prob_positive", "prob_above_threshold", "effect_pooled", "ci_low_pooled", "ci_high_pooled",
]  # fmt: skip


def effectiveness(
    con: Con,
    k: int,
    by: str = "overall",
    municipality: str | None = None,
    school_year: str | None = None,
) -> pd.DataFrame:
    """Rows of marts.effectiveness for one breakdown: 'overall', 'project' (the primary result of each
    project), 'subject' or 'municipality'.

    'ALL' in a key column marks a total; the breakdown column is the only one not 'ALL'.
    """
    if not table_exists(con, "marts", "effectiveness"):
        return pd.DataFrame()
    keys = {"overall": (), "project": ("project_code",), "subject": ("subject",), "municipality": ("municipality",)}
    keys = keys[by]
    where = ["project_code <> 'ALL'" if "project_code" in keys else "project_code = 'ALL'"]
    for col in ("subject", "municipality"):
        if col in keys:
            where.append(f"{col} <> 'ALL'")
        elif col == "municipality" and municipality:
            where.append("municipality = $municipality")
        else:
            where.append(f"{col} = 'ALL'")
    where.append("school_year = $school_year" if school_year else "school_year = 'ALL'")
    sql = f"select * from marts.effectiveness where {' and '.join(where)} order by effect desc nulls last"
    params = {"municipality": municipality} if municipality and "municipality" not in keys else {}
    if school_year:
        params["school_year"] = school_year
    out = _df(con, sql, params)
    if "wwc_equivalence" not in out:  # marts.effectiveness keeps export columns; the verdict is evaluate's rule
        out["wwc_equivalence"] = [wwc_equivalence(None if pd.isna(d) else float(d)) for d in out["baseline_std_diff"]]
    if "suppressed" in out:
        out = _blank_suppressed(out, ["n_pupils", "n_comparison", *EFFECT_MEASURES])
    out = suppress_small(out, "n_pupils", k, [c for c in EFFECT_MEASURES if c in out])
    return suppress_small(out, "n_comparison", k)


DIAGNOSTIC_MEASURES = [
    "effect", "ci_low", "ci_high", "naive_change", "placebo_effect", "placebo_ci_low", "placebo_ci_high",
    "placebo_b_effect", "placebo_b_ci_low", "placebo_b_ci_high", "robustness_value", "benchmark_adjusted_effect",
    "effect_all_supported", "ci_low_all_supported", "ci_high_all_supported",
]  # fmt: skip
FLOW_STEPS = ["n_episodes", "n_with_baseline", "n_supported_total", "n_pupils"]
DIAGNOSTIC_FLAGS = ["design_warning", "design_warning_reason", "bias_direction", "benchmark_explains_away"]


def design_diagnostics(con: Con, k: int, municipality: str | None = None, school_year: str | None = None) -> dict:
    """The headline cell's design diagnostics (placebos, warning, robustness, all-supported effect) and
    its sample flow, from marts.effectiveness_detail; {} when there is none.

    Disclosure: the flow's counts are pupils, and so are the differences between steps (pupils dropped
    at a step). Walking the steps, a count that is 1..k-1, or whose drop from the last shown step is,
    is withheld (None); every figure is withheld when the estimate's own pupils are (n_pupils).
    """
    if not table_exists(con, "marts", "effectiveness_detail"):
        return {}
    where = "project_code = 'ALL' and subject = 'ALL'"
    where += " and municipality = $municipality" if municipality else " and municipality = 'ALL'"
    where += " and school_year = $school_year" if school_year else " and school_year = 'ALL'"
    params = {k_: v for k_, v in _params(municipality, school_year).items() if v}
    available = set(columns_of(con, "marts", "effectiveness_detail"))
    wanted = [c for c in [*FLOW_STEPS, *DIAGNOSTIC_MEASURES, *DIAGNOSTIC_FLAGS, "suppressed"] if c in available]
    rows = _df(con, f"select {', '.join(wanted)} from marts.effectiveness_detail where {where}", params)
    if rows.empty:
        return {}
    # plain Python values: numpy's bool_ is not `True`, and the notebooks test flags with `is True`
    row = {c: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v) for c, v in rows.iloc[0].items()}
    hidden = bool(row.get("suppressed")) or row.get("n_pupils") is None or 0 < row["n_pupils"] < k
    if hidden:
        return {c: None for c in row} | {"suppressed": True}
    shown = None
    for step in FLOW_STEPS:
        value = row.get(step)
        small = value is not None and 0 < value < k
        small_drop = value is not None and shown is not None and 0 < shown - value < k
        if small or small_drop:
            row[step] = None
        elif value is not None:
            shown = value
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
    return _df(con, f"select * from marts.{table}")


def dose_response(con: Con, k: int, dimension: str = "hours_band") -> pd.DataFrame:
    """Effect per level of one dose dimension (hours_band, main_mode, main_role, support_form), in level order."""
    out = _mart(con, "dose_response")
    if out.empty:
        return out
    out = out[(out["dimension"] == dimension) & (out["level"] != "ALL")].sort_values("level_order")
    if "suppressed" in out:
        out = _blank_suppressed(out, ["n_pupils", "n_comparison", *EFFECT_MEASURES])
    out = suppress_small(out, "n_pupils", k, [c for c in EFFECT_MEASURES if c in out])
    return suppress_small(out, "n_comparison", k).reset_index(drop=True)


def event_study(con: Con, k: int) -> pd.DataFrame:
    """The semester-aligned event study (s−2 … s+1): both groups' means, the gap and its 95 % interval.

    A step resting on fewer than k supported or k comparison pupil-subjects is left out (its figures blank).
    """
    out = _mart(con, "event_study")
    if out.empty or "step" not in out:
        return pd.DataFrame()
    measures = ["mean_supported", "mean_comparison", "difference", "ci_low", "ci_high"]
    out = suppress_small(out, "n_supported", k, measures)
    out = suppress_small(out, "n_comparison", k, measures)
    return out.sort_values("step").reset_index(drop=True)


SUBGROUP_MEASURES = ["effect", "ci_low", "ci_high", "p_heterogeneity"]


def subgroups(con: Con, k: int, project: str = "ALL") -> pd.DataFrame:
    """Effects by subgroup level for one project (`ALL`: all projects), with each subgroup's heterogeneity
    p-value. Levels of 1..k-1 pupils or comparisons are withheld with a complementary level (the levels add
    up to the `ALL` row); the p-value goes wherever any level of its subgroup is withheld."""
    out = _mart(con, "effectiveness_subgroups")
    if out.empty:
        return out
    # counts stay for the disclosure step (a level without an estimate still adds up to the total)
    out = _blank_suppressed(out, ["effect", "ci_low", "ci_high"]).drop(columns="suppressed")
    parts = []
    for name, part in out.groupby("subgroup", sort=False):
        shown = protect(
            part.drop(columns="subgroup").reset_index(drop=True),
            ["project_code", "level"],
            ["n_pupils", "n_comparison"],
            k,
            SUBGROUP_MEASURES,
        )
        hidden = shown.groupby("project_code")["suppressed"].transform("any").to_numpy(dtype=bool)
        shown.loc[hidden, "p_heterogeneity"] = float("nan")
        parts.append(shown.assign(subgroup=name))
    out = pd.concat(parts, ignore_index=True)
    return out[out["project_code"] == project].reset_index(drop=True)


STAYING_NAMES = {
    "share_stayed_supported": "mean_treated",
    "share_stayed_comparison": "mean_comparison",
    "difference": "effect",
}


def staying(con: Con, k: int) -> pd.DataFrame:
    """Share still enrolled at the end of the school year, supported against matched comparisons.

    The shares are blanked when they would reveal 1..k-1 supported pupils who left.
    """
    out = _mart(con, "staying")
    if out.empty:
        return out
    out = out.rename(columns=STAYING_NAMES)
    measures = ["mean_treated", "mean_comparison", "effect", "ci_low", "ci_high"]
    if "suppressed" in out:
        out = _blank_suppressed(out, ["n_pupils", "n_comparison", *measures])
    out = suppress_small(out, "n_pupils", k, measures)
    # Supported pupils who left are pupils too: withhold the shares that reveal 1..k-1 of them,
    # and (against the ALL row) whatever would give them away by subtraction.
    out["n_left"] = (out["n_pupils"] * (1 - out["mean_treated"])).round()
    known = out["n_left"].notna()
    shown = protect(
        out[known].reset_index(drop=True), ["school_year"], ["n_left"], k, ["mean_treated", "mean_comparison"]
    )
    withheld = shown["suppressed"].to_numpy()
    out.loc[known, ["mean_treated", "mean_comparison"]] = shown[["mean_treated", "mean_comparison"]].to_numpy()
    flag = out["suppressed"].fillna(False).astype(bool) if "suppressed" in out else pd.Series(False, index=out.index)
    flag.loc[known] = flag.loc[known].to_numpy() | withheld
    out["suppressed"] = flag
    return out.drop(columns="n_left").sort_values("school_year").reset_index(drop=True)


ABSENCE_NAMES = {
    "unexcused_per_month_supported": "mean_treated",
    "unexcused_per_month_comparison": "mean_comparison",
    "difference": "effect",
}


def absences(con: Con, k: int) -> pd.DataFrame:
    """Unexcused lessons per month in the outcome window, supported against matched comparisons.

    A school year with 1..k-1 supported or comparison pupils loses its figures; the ALL row then loses
    them too, or the year's mean would follow from ALL and the other years by subtraction."""
    out = _mart(con, "effectiveness_absences")
    if out.empty:
        return out
    out = out.rename(columns=ABSENCE_NAMES)
    measures = ["mean_treated", "mean_comparison", "effect", "ci_low", "ci_high"]
    out = _blank_suppressed(out, ["n_pupils", "n_comparison", *measures])
    out = suppress_small(out, "n_pupils", k, measures)
    out = suppress_small(out, "n_comparison", k, measures)
    years = out["school_year"] != "ALL"
    if out.loc[years, "mean_treated"].isna().any():
        out.loc[~years, measures] = float("nan")
    return out.sort_values("school_year").reset_index(drop=True)


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
    rows = _df(con, "select * from marts.early_warning_metrics where metric in ('auc', 'method')")
    return rows.iloc[0].to_dict() if len(rows) else {}


def early_warning_audit(con: Con, k: int, dimension: str) -> pd.DataFrame:
    """One row per group of `dimension` (gender, grade_band, municipality) and the `ALL` total: pupils,
    leavers and flagged pupils with the flag rate, recall and false-positive rate and their intervals.
    The groups add up to the total, so complementary suppression applies (report.disclosure.protect);
    every rate and interval is withheld with any of its counts."""
    if not table_exists(con, "marts", "early_warning_metrics"):
        return pd.DataFrame()
    sql = """
        with m as (
            select * exclude (group_value), case when dimension = 'ALL' then 'ALL' else group_value end as grp
            from marts.early_warning_metrics
            where dimension = $dimension
               or (dimension = 'ALL' and metric in ('flag_rate', 'recall_high', 'false_positive_rate'))
        )
        select grp as group_value,
               any_value(n_pupils) as n_pupils, any_value(n_leavers) as n_leavers, any_value(n_flagged) as n_flagged,
               any_value(n_flagged_leavers) as n_flagged_leavers,
               any_value(n_flagged - n_flagged_leavers) as n_flagged_stayers,
               any_value(value) filter (where metric = 'flag_rate') as flag_rate,
               any_value(ci_low) filter (where metric = 'flag_rate') as flag_rate_low,
               any_value(ci_high) filter (where metric = 'flag_rate') as flag_rate_high,
               any_value(value) filter (where metric in ('recall', 'recall_high')) as recall,
               any_value(ci_low) filter (where metric in ('recall', 'recall_high')) as recall_low,
               any_value(ci_high) filter (where metric in ('recall', 'recall_high')) as recall_high,
               any_value(value) filter (where metric = 'false_positive_rate') as false_positive_rate,
               any_value(ci_low) filter (where metric = 'false_positive_rate') as false_positive_rate_low,
               any_value(ci_high) filter (where metric = 'false_positive_rate') as false_positive_rate_high
        from m group by grp order by (grp = 'ALL'), grp
    """
    frame = _df(con, sql, {"dimension": dimension})
    if frame.empty or len(frame) < 2:
        return pd.DataFrame()
    derived = [c for c in frame.columns if c not in ("group_value", *EW_COUNTS, *EW_HIDDEN_COUNTS)]
    return protect(frame, ["group_value"], [*EW_COUNTS, *EW_HIDDEN_COUNTS], k, derived)


def early_warning_warnings(con: Con) -> list[str]:
    """The plain-words warnings on recall gaps between groups (no counts in them)."""
    if not table_exists(con, "marts", "early_warning_metrics"):
        return []
    sql = "select note from marts.early_warning_metrics where metric = 'recall_gap' order by dimension, group_value"
    return [r[0] for r in con.execute(sql).fetchall()]


def risk_coverage(con: Con, k: int, municipality: str | None = None) -> pd.DataFrame:
    """Pupils per risk band (and `ALL`) on the latest data date, with how many have an open plan."""
    if not table_exists(con, "marts", "early_warning"):
        return pd.DataFrame()
    sql = """
        select coalesce(risk_band, 'ALL') as risk_band, count(*) as n_pupils,
               count(*) filter (where has_plan) as n_with_plan,
               count(*) filter (where has_plan) / count(*) as share_with_plan
        from marts.early_warning where $municipality is null or municipality = $municipality
        group by rollup (risk_band)
    """
    frame = _df(con, sql, {"municipality": municipality or None})
    if frame.empty:
        return frame
    order = {"high": 0, "medium": 1, "low": 2, "ALL": 3}
    frame = frame.sort_values("risk_band", key=lambda s: s.map(order)).reset_index(drop=True)
    return protect(frame, ["risk_band"], ["n_pupils", "n_with_plan"], k, ["share_with_plan"])
