"""The programme beyond consultations in the exports: activities and financial support beside
the consultations in support_summary.csv, reported costs (costs.csv) and the ESF indicators per
project and school year (esf_indicators.csv).

Disclosure control as every export (disclosure.py, disclosure_audit.py): each new pupil count is withheld
at 1..k-1 with complementary suppression and LP-audited across its margins, and the figures
computed from the same pupils (hours, EUR of financial support, EUR per pupil, the enrolled
share) are withheld with it. The pupils who left by the year's end are such a count too (the enrolled
share times the pupils gives them), and the share is withheld with them as well.
One table of pupils supported in any way (supported_cube.sql) is protected once and feeds both costs.csv
and esf_indicators.csv, so a count withheld in one cannot be read off the other. Costs are the projects'
spending, published as reported except where they can be a few pupils' payments: costs.csv's
compensations line is the financial support, withheld wherever support_summary.csv withholds it
(costs_table).
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.disclosure import ALL, TOP_EUR, apply_pattern, dominated, sort_rows
from pipelines.disclosure_audit import ColumnRule, RowBound, audited_patterns, split_owners
from pipelines.warehouse import load_sql, table_or_empty

from .tables import COSTS, ESF_INDICATORS, SUPPORT_SUMMARY
from .temporal import LastPublished

log = logging.getLogger("atbalsts.export")
SQL_DIR = Path(__file__).with_name("sql")
SUMMARY_KEYS = ("project_code", "municipality", "school_year", "semester")
SUPPORTED_KEYS = ("project_code", "municipality", "school_year")
COST_KEYS = ("project_code", "municipality", "school_year", "cost_category")
ESF_KEYS = ("project_code", "school_year")

# Core tables a warehouse from before these kinds may lack: each is a `{placeholder}` in the cubes' SQL,
# filled with the table or, where it is missing, an empty relation with the columns the SQL uses.
EMPTY_TABLES: dict[str, str] = {
    "activities": "project_code varchar, municipality varchar, school_year varchar, semester integer, "
    "school_id varchar, pupil_id varchar, minutes double, n_participants integer, n_listed integer",
    "activity_participants": "project_code varchar, municipality varchar, school_year varchar, semester integer, "
    "school_id varchar, pupil_id varchar, minutes double",
    "financial_support": "project_code varchar, municipality varchar, school_year varchar, semester integer, "
    "school_id varchar, pupil_id varchar, amount_eur double",
    "costs": "project_code varchar, municipality varchar, school_year varchar, cost_category varchar, "
    "amount_eur double",
    "pupils": "pupil_id varchar, school_year varchar, left_on date",
}


def cube_sql(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """The cube's SQL, with any core table this warehouse lacks read as an empty one (a fragment of
    load_sql, CONTRIBUTING.md "SQL")."""
    tables = {table: table_or_empty(con, "core", table, columns) for table, columns in EMPTY_TABLES.items()}
    return load_sql(SQL_DIR, name, fragments=tables)


def load_programme(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The three cubes (small frames): programme (summary keys), supported (any support), costs."""
    return {name: con.execute(cube_sql(con, f"{name}_cube")).df() for name in ("programme", "supported", "costs")}


ACTIVITY_RULES = (
    ColumnRule("n_pupils_activities", exact=False),
    ColumnRule("activity_hours", exact=True, decimals=1, count=False),
)
FINANCIAL_RULES = (
    ColumnRule("n_pupils_financial_support", exact=False),
    ColumnRule("financial_support_eur", exact=True, decimals=2, count=False),
)
SUPPORTED_RULES = (
    ColumnRule("n_pupils_any", exact=False),
    ColumnRule("n_left_year_end", exact=False),  # a pupil can be in several projects: ALL is an upper bound
    ColumnRule("support_hours", exact=True, decimals=1, count=False),
)
# The enrolled share times the published pupils gives the leavers: they are a count of the table like the
# pupils (primary 1..k-1, complementary cells, LP audit, month to month), and the share goes with them.
SUPPORTED_COUNTS = ("n_pupils_any", "n_left_year_end")
SUPPORTED_BOUNDS = (RowBound("n_pupils_any", "n_left_year_end"),)  # leavers are supported pupils
# Institutions, not people: not thresholded themselves, but withheld with the pupils they served.
INSTITUTION_COUNTS = ("n_schools", "n_municipalities")


def protect_one(
    frame: pd.DataFrame,
    keys: tuple[str, ...],
    counts: tuple[str, ...],
    rules: tuple[ColumnRule, ...],
    k: int,
    also: tuple[str, ...] = (),
    start: dict[str, np.ndarray] | None = None,
    bounds: tuple[RowBound, ...] = (),
    insiders: np.ndarray | None = None,
) -> pd.DataFrame:
    """A copy of `frame` with `counts` and their audited figures (and the columns `also`) withheld
    (blank) where needed, and `suppressed`: any of them withheld. `insiders`: per row, the one school
    that makes it up (None: several), for the respondent rule (pipelines/disclosure.py protect_column)."""
    given = [start] if start else None
    protected = audited_patterns(
        [(frame, keys, None)], counts, k, rules, bounds, start=given, sensitive=given, insiders=[insiders]
    )
    pattern = protected.counts[0]
    derived = [r.name for r in rules if r.name not in counts]
    return apply_pattern(frame, pattern, [*derived, *also], [counts[0]], protected.derived[0])


# The programme cube's column naming the one school of each part's pupils in a row (programme_cube.sql).
SCHOOL_OF = {"activities": "activity_school", "financial": "financial_school"}


def summary_with_programme(
    summary: pd.DataFrame,
    programme: pd.DataFrame,
    k: int,
    last: LastPublished | None = None,
    dominance_p: float = 0.1,
    withhold_financial: set[tuple[str, str, str]] | None = None,
) -> pd.DataFrame:
    """support_summary with activities and financial support beside the consultations: each part
    protected on its own (different pupils), rows of either kept (a part without rows there is 0).
    A financial-support cell one pupil's payment dominates (`dominated`, p = `dominance_p`) is withheld
    from the outset like a small count, with complementary cells, and LP-audited as sensitive.
    `withhold_financial`: project × municipality × year whose all-semester financial support is withheld
    from the outset (costs.csv withholds the same amount as its compensations line)."""
    grid = programme.copy() if len(programme) else programme.iloc[0:0].copy()
    for column in TOP_EUR:
        if column not in grid.columns:
            grid[column] = 0.0
    for column in SCHOOL_OF.values():  # the one school of a row's pupils (respondent rule), never published
        if column not in grid.columns:
            grid[column] = None
    activities = grid[[*SUMMARY_KEYS, "n_pupils_activities", "activity_hours", SCHOOL_OF["activities"]]]
    financial = grid[
        [*SUMMARY_KEYS, "n_pupils_financial_support", "financial_support_eur", *TOP_EUR, SCHOOL_OF["financial"]]
    ]
    parts = []
    for part, frame, counts, rules in (
        ("activities", activities, ("n_pupils_activities",), ACTIVITY_RULES),
        ("financial", financial, ("n_pupils_financial_support",), FINANCIAL_RULES),
    ):
        school = SCHOOL_OF[part]
        if len(frame):
            frame = sort_rows(frame, SUMMARY_KEYS)
            # a school that alone listed or paid a cell's pupils knows its count, hours and EUR (probe5 N1)
            frame, insiders = split_owners(frame, school)
            # The 1..k-1 rule keys on the pupils; hours and EUR withheld last run stay withheld while they
            # moved by less than k (in their own unit): released unchanged, last run's margins give what they hid.
            audited = tuple(dict.fromkeys([*counts, *(r.name for r in rules)]))
            moved = (last or LastPublished(k)).forced(SUPPORT_SUMMARY, frame, audited, moving=counts)
            if counts[0] == "n_pupils_financial_support":
                moved.add(counts[0], dominated(frame, dominance_p))
                if withhold_financial:
                    moved.add(counts[0], whole_semesters_in(frame, withhold_financial))
                frame = frame.drop(columns=list(TOP_EUR))
            frame = protect_one(frame, SUMMARY_KEYS, counts, rules, k, start=moved, insiders=insiders)
        else:
            frame = frame.drop(columns=[c for c in (*TOP_EUR, school) if c in frame.columns])
            frame = frame.assign(suppressed=pd.Series(dtype=bool))
        parts.append(frame.rename(columns={"suppressed": f"_suppressed_{counts[0]}"}))
    extra = parts[0].merge(parts[1], on=list(SUMMARY_KEYS), how="outer")
    out = summary.merge(extra, on=list(SUMMARY_KEYS), how="outer", indicator=True)
    only_programme = (out["_merge"] == "right_only").to_numpy()
    for column in ("n_pupils_supported", "n_consultations", "n_staff", "n_schools"):
        out[column] = out[column].astype("Int64").where(~only_programme, 0)
    out["consultation_hours"] = out["consultation_hours"].astype("Float64").where(~only_programme, 0.0)
    only_summary = (out["_merge"] == "left_only").to_numpy()
    for column in ("n_pupils_activities", "n_pupils_financial_support"):
        out[column] = out[column].astype("Int64").where(~only_summary, 0)
    for column in ("activity_hours", "financial_support_eur"):
        out[column] = out[column].astype("Float64").where(~only_summary, 0.0)
    flags = [out["suppressed"], out["_suppressed_n_pupils_activities"], out["_suppressed_n_pupils_financial_support"]]
    out["suppressed"] = np.logical_or.reduce([f.fillna(False).astype(bool).to_numpy() for f in flags])
    out = out.drop(columns=["_merge", "_suppressed_n_pupils_activities", "_suppressed_n_pupils_financial_support"])
    return sort_rows(out, SUMMARY_KEYS)


def whole_semesters_in(frame: pd.DataFrame, cells: set[tuple[str, str, str]]) -> np.ndarray:
    """Rows of a summary-keyed frame that are the all-semester row of one of `cells`."""
    keys = frame[list(SUPPORTED_KEYS)].astype(str).itertuples(index=False, name=None)
    whole = (frame["semester"].astype(str) == ALL).to_numpy()
    return whole & np.array([tuple(key) in cells for key in keys], dtype=bool)


def compensations_beyond(costs: pd.DataFrame, summary: pd.DataFrame) -> set[tuple[str, str, str]]:
    """Project × municipality × year whose compensations line costs.csv withholds while support_summary.csv
    publishes the same financial support (an attacker would read the one off the other)."""
    lines = costs[(costs["cost_category"].astype(str) == COMPENSATIONS) & costs["amount_eur"].isna()]
    return set(lines[list(SUPPORTED_KEYS)].astype(str).itertuples(index=False, name=None)) - financial_withheld(summary)


def protect_supported(supported: pd.DataFrame, k: int, last: LastPublished | None = None) -> pd.DataFrame:
    """The any-support table protected once (pupils and the pupils who left by the end of the school year
    LP-audited with their hours; schools and municipalities withheld with the pupils); the enrolled share
    is withheld wherever the pupils or the leavers are. Leavers are withheld from the outset where the
    pupils who stayed number 1..k-1 (the share would give them as pupils minus leavers)."""
    if not len(supported):
        return supported.drop(columns=["n_on_roster", "n_enrolled_at_end"], errors="ignore").assign(
            n_left_year_end=pd.Series(dtype=float),
            share_enrolled_year_end=pd.Series(dtype=float),
            suppressed=pd.Series(dtype=bool),
        )
    frame = sort_rows(supported, SUPPORTED_KEYS)
    on_roster = frame["n_on_roster"].to_numpy(dtype=float)
    left = frame["n_left_year_end"].to_numpy(dtype=float)
    # Stayed to the end of every school year of the cell (in one school year: still enrolled at its end).
    enrolled = on_roster - left
    # Published in esf_indicators.csv at every municipality (`ALL`).
    audited = tuple(dict.fromkeys([*SUPPORTED_COUNTS, *(r.name for r in SUPPORTED_RULES)]))
    moved = (last or LastPublished(k)).forced(
        ESF_INDICATORS, frame, audited, rows=(frame["municipality"] == ALL).to_numpy(), moving=SUPPORTED_COUNTS
    )
    moved.add("n_left_year_end", (enrolled >= 1) & (enrolled <= k - 1))
    out = protect_one(
        frame, SUPPORTED_KEYS, SUPPORTED_COUNTS, SUPPORTED_RULES, k, INSTITUTION_COUNTS, moved, SUPPORTED_BOUNDS
    )
    share = np.divide(enrolled, on_roster, out=np.full(len(frame), np.nan), where=on_roster > 0)
    withheld = out["n_pupils_any"].isna().to_numpy() | out["n_left_year_end"].isna().to_numpy()
    out["share_enrolled_year_end"] = pd.array(np.where(withheld, np.nan, share), dtype="Float64")
    out["n_left_year_end"] = out["n_left_year_end"].astype("Int64")
    return out.drop(columns=["n_on_roster", "n_enrolled_at_end"])


COMPENSATIONS = "compensations"  # the cost category of payments to pupils (their financial support)
COSTS_RULES = (ColumnRule("amount_eur", exact=True, decimals=2, count=False),)


def financial_withheld(summary: pd.DataFrame) -> set[tuple[str, str, str]]:
    """Project × municipality × school year (margins included) whose financial support EUR of all
    semesters is withheld in support_summary.csv."""
    whole = summary[(summary["semester"].astype(str) == ALL) & summary["financial_support_eur"].isna()]
    return set(whole[list(SUPPORTED_KEYS)].astype(str).itertuples(index=False, name=None))


def costs_forced(
    costs: pd.DataFrame, supported: pd.DataFrame, withheld: set[tuple[str, str, str]], k: int
) -> np.ndarray:
    """Cost cells withheld from the outset (rows of `costs`, sorted): the compensations line wherever the
    same financial support is withheld (it is those pupils' payments: 1..k-1 pupils, one pupil's dominance,
    a month-to-month move), and every line of a project × municipality × year whose pupils supported in any
    way number 1..k-1 (what was spent there is spent on those few pupils, as their hours are withheld)."""
    keys = [tuple(r) for r in costs[list(SUPPORTED_KEYS)].astype(str).itertuples(index=False, name=None)]
    pupils = supported.set_index(list(SUPPORTED_KEYS))["n_pupils_any"].astype(float)
    pupils.index = pupils.index.map(lambda key: tuple(str(v) for v in key))
    few = {key for key, n in pupils.items() if 1 <= n <= k - 1}
    paid = (costs["cost_category"].astype(str) == COMPENSATIONS).to_numpy()
    return np.array([(p and key in withheld) or key in few for key, p in zip(keys, paid, strict=True)], dtype=bool)


def costs_table(
    costs: pd.DataFrame,
    supported: pd.DataFrame,
    summary: pd.DataFrame,
    raw_supported: pd.DataFrame,
    k: int,
    last: LastPublished | None = None,
) -> pd.DataFrame:
    """costs.csv: reported amounts, withheld where they can be a few pupils' payments (`costs_forced`)
    with complementary cells and the LP audit over the file's own totals, as every export; EUR per
    supported pupil and per support hour only at `ALL` municipalities, where esf_indicators.csv publishes
    (and protects, month to month too) the same pupils and hours: elsewhere amount ÷ EUR per pupil would
    publish an unprotected pupil count. Both ratios are blank where the amount or those pupils are withheld.

    `supported` is the protected any-support table, `raw_supported` its true counts, `summary` the
    protected support_summary (its financial support EUR). An amount withheld in the previous run stays
    withheld while it moved by less than k EUR (`last`, pipelines/disclosure_time.py), as the support files'
    hours do: released unchanged, last run's totals would give the amount it hid."""
    frame = sort_rows(costs.astype({"amount_eur": float}), COST_KEYS)
    if len(frame):
        forced = (last or LastPublished(k)).forced(COSTS, frame, ("amount_eur",), moving=())
        forced.add("amount_eur", costs_forced(frame, raw_supported, financial_withheld(summary), k))
        # k = 1: amounts are EUR, not counts, so no amount is small on its own; only the forced cells are secrets
        protected = audited_patterns(
            [(frame, COST_KEYS, None)], ("amount_eur",), 1, COSTS_RULES, start=[forced], sensitive=[forced]
        )
        withheld = protected.counts[0]["amount_eur"]
        log.info(
            "LP audits costs: %d kārtas / rounds, +%d šūnas / cells, %d LP",
            protected.rounds,
            protected.added,
            protected.audit.lps,
        )
    else:
        withheld = np.zeros(0, dtype=bool)
    per = supported[[*SUPPORTED_KEYS, "n_pupils_any", "support_hours"]]
    out = frame.merge(per, on=list(SUPPORTED_KEYS), how="left")
    whole = (out["municipality"].astype(str) == ALL).to_numpy()
    pupils = out["n_pupils_any"].astype("Float64")
    hours = out["support_hours"].astype("Float64")
    amount = out["amount_eur"].astype("Float64")
    shown = whole & ~withheld
    out["cost_per_supported_pupil"] = (amount / pupils).where((pupils > 0) & shown)
    out["cost_per_support_hour"] = (amount / hours).where((hours > 0) & shown)
    out["amount_eur"] = amount.where(~withheld)
    pupils_withheld = (out["n_pupils_any"].isna() & supported_exists(out, supported)).to_numpy() & whole
    out["suppressed"] = withheld | pupils_withheld
    return sort_rows(out.drop(columns=["n_pupils_any", "support_hours"]), COST_KEYS)


def costs_per_hour_as_published(costs: pd.DataFrame, esf: pd.DataFrame) -> pd.DataFrame:
    """costs.csv's EUR per support hour only where esf_indicators.csv publishes the hours it divides by:
    EUR ÷ EUR per hour would give the support hours esf_table withholds (see there)."""
    hidden = esf.loc[esf["support_hours"].isna(), ["project_code", "school_year"]].astype(str)
    keys = set(hidden.itertuples(index=False, name=None))
    rows = costs[["project_code", "school_year"]].astype(str).itertuples(index=False, name=None)
    withheld = np.array([key in keys for key in rows], dtype=bool)
    out = costs.copy()
    out["cost_per_support_hour"] = out["cost_per_support_hour"].where(~withheld)
    return out


def supported_exists(out: pd.DataFrame, supported: pd.DataFrame) -> pd.Series:
    """Rows whose project × municipality × year has supported pupils at all (so a blank is a withheld figure)."""
    keys = set(supported[list(SUPPORTED_KEYS)].astype(str).itertuples(index=False, name=None))
    return pd.Series([tuple(r) in keys for r in out[list(SUPPORTED_KEYS)].astype(str).itertuples(index=False)])


def esf_table(summary: pd.DataFrame, supported: pd.DataFrame, costs: pd.DataFrame) -> pd.DataFrame:
    """esf_indicators.csv: one row per project × school year (`ALL` totals). Pupils by consultations,
    activities and financial support are the protected support_summary cells of all municipalities
    and semesters; the any-support figures are the protected supported table's; the EUR spent is the
    protected costs.csv total (withheld with it)."""
    whole = summary[(summary["municipality"] == ALL) & (summary["semester"] == ALL)]
    by_kind = whole[
        [*ESF_KEYS, "n_pupils_supported", "n_pupils_activities", "n_pupils_financial_support", "suppressed"]
    ]
    by_kind = by_kind.rename(columns={"n_pupils_supported": "n_pupils_consultations", "suppressed": "_kinds_withheld"})
    any_ = supported[supported["municipality"] == ALL].drop(columns="municipality")
    spent = costs[(costs["municipality"] == ALL) & (costs["cost_category"] == ALL)][[*ESF_KEYS, "amount_eur"]]
    spent = spent.assign(_spent_withheld=spent["amount_eur"].isna())
    out = any_.merge(by_kind, on=list(ESF_KEYS), how="outer").merge(spent, on=list(ESF_KEYS), how="left")
    for column in ("n_pupils_consultations", "n_pupils_activities", "n_pupils_financial_support"):
        known = out["_kinds_withheld"].notna()
        out[column] = out[column].astype("Int64").where(known | out[column].notna(), 0)
    out = out.rename(columns={"amount_eur": "eur_spent"})
    # support_hours = consultation hours + activity hours: where support_summary withholds either, the
    # other and support_hours would give it by subtraction, so support_hours is withheld too. Both are
    # protected patterns over the same project × year margins, so their union leaves no margin with a
    # single withheld cell.
    hours = whole[[*ESF_KEYS, "consultation_hours", "activity_hours"]]
    hidden = hours.assign(_hours_withheld=hours["consultation_hours"].isna() | hours["activity_hours"].isna())
    out = out.merge(hidden[[*ESF_KEYS, "_hours_withheld"]], on=list(ESF_KEYS), how="left")
    out["support_hours"] = out["support_hours"].astype("Float64").where(~out["_hours_withheld"].fillna(False))
    out = out.drop(columns="_hours_withheld")
    pupils = out["n_pupils_any"].astype("Float64")
    out["eur_per_pupil"] = (out["eur_spent"].astype("Float64") / pupils).where(pupils > 0)
    flags = [out["suppressed"], out["_kinds_withheld"], out["_spent_withheld"]]
    out["suppressed"] = np.logical_or.reduce([f.fillna(False).astype(bool).to_numpy() for f in flags])
    return sort_rows(out.drop(columns=["_kinds_withheld", "_spent_withheld"]), ESF_KEYS)
