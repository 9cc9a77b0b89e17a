"""Stage `export`: ministry CSVs with statistical disclosure control.

Load (read marts.support_cube and marts.effectiveness, aggregate the other core tables in DuckDB) → Process (disclosure
control, formatting, descriptors, all pure) → Save (atomic writes into `exports/`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.config import Settings
from pipelines.disclosure import ALL, apply_pattern, sort_rows
from pipelines.disclosure_audit import (
    SOLE_SCHOOL,
    Audit,
    ColumnRule,
    Protected,
    RowBound,
    audited_patterns,
    split_owners,
)
from pipelines.effect_schools import effect_schools
from pipelines.errors import UserError
from pipelines.marts import SUBGROUPS as SUBGROUP_NAMES
from pipelines.warehouse import load_sql, table_exists

from .files import csv_bytes, formatted_rows, json_bytes, manifest, write_atomic, xlsx_bytes
from .programme import (
    compensations_beyond,
    costs_per_hour_as_published,
    costs_table,
    esf_table,
    load_programme,
    protect_supported,
    summary_with_programme,
)
from .tables import (
    COSTS,
    DICTIONARY_NAME,
    EFFECTIVENESS,
    EFFECTIVENESS_DESCRIPTIVE,
    EFFECTIVENESS_SUBGROUPS,
    ESF_INDICATORS,
    NO_PROJECT,
    RISK_SUMMARY,
    SUPPORT_BY_ROLE,
    SUPPORT_BY_SUBJECT,
    SUPPORT_SUMMARY,
    UNKNOWN,
    TableSpec,
    datapackage,
    render_dictionary,
)
from .temporal import LastPublished

log = logging.getLogger("atbalsts.export")

SQL_DIR = Path(__file__).with_name("sql")
WORKBOOK_NAME = "atbalsts.xlsx"


@dataclass(frozen=True)
class ExportResult:
    files: tuple[Path, ...]
    rows: dict[str, int] = field(default_factory=dict)
    suppressed_rows: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {"files": len(self.files), **{f"{name}_rows": n for name, n in self.rows.items()}}


def run_export(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str, excel: bool = False) -> ExportResult:
    """Write the ministry exports for the current warehouse into `settings.exports_dir`."""
    k = settings.export.k
    # Load
    by_subject = load_support_cube(con, "subject")
    by_role = load_support_cube(con, "staff_role")
    effectiveness = load_effectiveness(con)
    programme = load_programme(con)
    risk = load_risk_summary(con)
    subgroups = load_subgroups(con)
    last = LastPublished.read(settings.history_dir, run_id, k, con)
    # Process
    tables = protect_tables(
        by_subject,
        by_role,
        effectiveness,
        k,
        settings.validate.max_consultation_minutes,
        programme=programme,
        subgroups=subgroups,
        last=last,
        dominance_p=settings.export.dominance_p,
    )
    tables.append((RISK_SUMMARY, protect_risk_summary(risk, k, last)))
    contents, rows = render_files(tables, k, run_id, excel)
    # Save
    out_dir = settings.exports_dir
    for name, data in contents.items():
        write_atomic(out_dir / name, data)
    if not excel and (out_dir / WORKBOOK_NAME).exists():
        (out_dir / WORKBOOK_NAME).unlink()  # a workbook from an earlier run would not match the manifest
    kept = last.save_withheld(con, "export", run_id, out_dir)  # next run's rule (disclosure_time.py)
    suppressed = {spec.name: int(frame["suppressed"].sum()) for spec, frame in tables}
    log.info(
        "export: %d šūnas aizklātas, jo skaits kopš pēdējās publicēšanas mainījies par 1..%d / "
        "cells withheld because the count moved by 1..%d since last published, or by < %d since withheld "
        "(%d earlier runs): %s; %d withheld counts kept in meta.withheld_cells",
        sum(last.withheld.values()),
        k - 1,
        k - 1,
        k,
        last.runs,
        last.withheld,
        kept,
    )
    for spec, frame in tables:
        log.info(
            "export %s: %d rindas / rows, %d ar aizklātām šūnām / with withheld cells",
            spec.file,
            len(frame),
            suppressed[spec.name],
        )
    return ExportResult(files=tuple(out_dir / name for name in contents), rows=rows, suppressed_rows=suppressed)


# --- Load -------------------------------------------------------------------------------------


def load_support_cube(con: duckdb.DuckDBPyConnection, breakdown: str) -> pd.DataFrame:
    """The support cube broken down by `subject` or `staff_role`, margins included (small frame): the
    rows of marts.support_cube, which evaluate counts once for export and report alike."""
    if breakdown not in ("subject", "staff_role"):
        raise ValueError(f"unknown breakdown {breakdown!r}")
    if not table_exists(con, "core", "consultations"):
        raise UserError(
            "Noliktavā nav core.consultations: vispirms palaidiet `atbalsts transform` / "
            "core.consultations is missing: run `atbalsts transform` first"
        )
    clash = con.execute(
        "select count(*) from core.consultations where $all in "
        "(project_code, municipality, school_year, cast(semester as varchar), subject, staff_role)",
        {"all": ALL},
    ).fetchall()[0][0]
    if clash:
        raise UserError(f"Vērtība '{ALL}' ir rezervēta kopsummām / the value '{ALL}' is reserved for totals")
    if not table_exists(con, "marts", "support_cube"):
        raise UserError(
            "Noliktavā nav marts.support_cube: vispirms palaidiet `atbalsts evaluate` / "
            "marts.support_cube is missing: run `atbalsts evaluate` first"
        )
    sql = load_sql(SQL_DIR, "support_cube", breakdown=breakdown)
    return con.execute(sql, {"breakdown": breakdown}).df()


def load_effectiveness(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """marts.effectiveness with its `suppressed` renamed to `estimate_withheld`; empty when not built."""
    columns = [c.name for c in EFFECTIVENESS.columns if c.name not in ("estimate_withheld", "suppressed")]
    if not table_exists(con, "marts", "effectiveness"):
        log.warning("marts.effectiveness nav izveidota; effectiveness.csv būs tukša / not built; file will be empty")
        return pd.DataFrame({**{c: pd.Series(dtype="object") for c in columns}, "estimate_withheld": []})
    frame = con.execute(f"select {', '.join(columns)}, suppressed as estimate_withheld from marts.effectiveness").df()
    frame[SOLE_SCHOOL] = effect_schools(con, frame)  # the respondent rule: pipelines/effect_schools.py
    return frame


def load_risk_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The early-warning scores as a cube with `ALL` margins; empty when marts.early_warning is not built."""
    columns = [c for c in RISK_SUMMARY.column_names if c != "suppressed"]
    if not table_exists(con, "marts", "early_warning"):
        log.warning("marts.early_warning nav izveidota; risk_summary.csv būs tukša / not built; file will be empty")
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    sql = load_sql(SQL_DIR, "risk_summary")
    return con.execute(sql).df()[[*columns, SOLE_SCHOOL]]


def load_subgroups(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """marts.effectiveness_subgroups (the export columns); empty when not built."""
    columns = [c.name for c in EFFECTIVENESS_SUBGROUPS.columns if c.name != "suppressed"]
    if not table_exists(con, "marts", "effectiveness_subgroups"):
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    return con.execute(f"select {', '.join(columns)} from marts.effectiveness_subgroups").df()


# --- Process ----------------------------------------------------------------------------------


def support_rules(max_minutes: float) -> tuple[tuple[ColumnRule, ...], tuple[RowBound, ...]]:
    """What an attacker knows about the figures about pupils: which margins are exact sums, which
    are unions (a pupil can be in several cells), and how the figures of one row bound each other.

    Staff and school counts are not audited: they keep the k threshold and the one-equation rule.
    """
    rules = (
        ColumnRule("n_pupils_supported", exact=False, additive_along=("municipality",)),
        ColumnRule("n_consultations", exact=True),
        ColumnRule("consultation_hours", exact=True, decimals=1, count=False),
    )
    bounds = (
        RowBound("n_consultations", "n_pupils_supported"),
        RowBound("n_consultations", "consultation_hours", 60.0 / max_minutes),  # no record is longer
    )
    return rules, bounds


EFFECTIVENESS_RULES = (
    ColumnRule("n_pupils", exact=False),
    ColumnRule("n_comparison", exact=False),
    ColumnRule("n_supported_total", exact=False),
)
EFFECTIVENESS_BOUNDS = (RowBound("n_supported_total", "n_pupils"),)  # the evaluated are among them


def protect_tables(
    by_subject: pd.DataFrame,
    by_role: pd.DataFrame,
    effectiveness: pd.DataFrame,
    k: int,
    max_minutes: float = 240.0,
    *,
    programme: dict[str, pd.DataFrame] | None = None,
    subgroups: pd.DataFrame | None = None,
    last: LastPublished | None = None,
    dominance_p: float = 0.1,
) -> list[tuple[TableSpec, pd.DataFrame]]:
    """Disclosure control for every export; the summary is the `ALL` slice shared by both breakdowns.

    Counts that moved by 1..k-1 since last published (`last`, temporal.py) are withheld first; then
    complementary suppression, then the LP audit across all three support files at once (they
    share their summary rows), adding cells until no withheld cell can be narrowed too far.
    """
    last = last or LastPublished(k)
    by_subject, subject_schools = split_owners(sort_rows(by_subject, SUPPORT_BY_SUBJECT.keys))
    by_role, role_schools = split_owners(sort_rows(by_role, SUPPORT_BY_ROLE.keys))
    counts = SUPPORT_BY_SUBJECT.counts
    rules, bounds = support_rules(max_minutes)
    # Only the pupil count: consultations, staff and schools that moved by 1..k-1 say nothing about one
    # pupil, and keying on them made most rows sensitive (117 of 142 in the demo's June re-run).
    # Every audited figure (consultations, hours too) is kept withheld where the previous run withheld it
    # and it moved by less than k since (disclosure_time.py), so an unchanged re-run ends where it ended.
    pupils = (counts[0],)
    audited = tuple(dict.fromkeys([*counts, *(r.name for r in rules)]))
    moved = [
        last.forced(SUPPORT_BY_SUBJECT, by_subject, audited, moving=pupils),
        last.forced(SUPPORT_BY_ROLE, by_role, audited, moving=pupils),
    ]
    support = audited_patterns(
        [(by_subject, SUPPORT_BY_SUBJECT.keys, "subject"), (by_role, SUPPORT_BY_ROLE.keys, "staff_role")],
        counts,
        k,
        rules,
        bounds,
        start=moved,
        sensitive=moved,
        insiders=[subject_schools, role_schools],
    )
    log_audit("support", support)
    (subject_pattern, role_pattern), (subject_extra, role_extra) = support.counts, support.derived
    derived_from = [counts[0]]
    subject_out = apply_pattern(by_subject, subject_pattern, SUPPORT_BY_SUBJECT.derived, derived_from, subject_extra)
    role_out = apply_pattern(by_role, role_pattern, SUPPORT_BY_ROLE.derived, derived_from, role_extra)
    summary_out = subject_out[subject_out["subject"] == ALL].drop(columns="subject").reset_index(drop=True)
    subgroups = EMPTY_SUBGROUPS if subgroups is None else subgroups
    effect_out, subgroups_out = protect_effectiveness(prepare_effectiveness(effectiveness), k, subgroups, last)
    programme = programme or empty_programme()
    supported = protect_supported(programme["supported"], k, last)
    summary_out, costs_out = protect_summary_and_costs(summary_out, programme, supported, k, last, dominance_p)
    esf_out = esf_table(summary_out, supported, costs_out)
    costs_out = costs_per_hour_as_published(costs_out, esf_out)
    return [
        (SUPPORT_SUMMARY, summary_out),
        (SUPPORT_BY_SUBJECT, subject_out),
        (SUPPORT_BY_ROLE, role_out),
        (EFFECTIVENESS, effect_out),
        (EFFECTIVENESS_SUBGROUPS, subgroups_out),
        (COSTS, costs_out),
        (ESF_INDICATORS, esf_out),
    ]


def protect_summary_and_costs(
    summary: pd.DataFrame,
    programme: dict[str, pd.DataFrame],
    supported: pd.DataFrame,
    k: int,
    last: LastPublished,
    dominance_p: float = 0.1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """support_summary with the programme, and costs.csv, whose compensations line is the financial
    support: costs.csv withholds it wherever support_summary does, and support_summary withholds the
    financial support wherever costs.csv needs its compensations line as a complementary cell, repeated
    until both files withhold the same amounts."""
    counted = dict(last.withheld)
    also: set[tuple[str, str, str]] = set()
    while True:
        last.withheld = dict(counted)  # each round compares the same cells: count them once in the log
        out = summary_with_programme(summary, programme["programme"], k, last, dominance_p, withhold_financial=also)
        costs = costs_table(programme["costs"], supported, out, programme["supported"], k, last)
        more = compensations_beyond(costs, out) - also
        if not more:
            return out, costs
        also |= more


def empty_programme() -> dict[str, pd.DataFrame]:
    """No activities, financial support or costs (the cubes' columns, no rows)."""
    keys = ["project_code", "municipality", "school_year"]
    return {
        "programme": pd.DataFrame(
            columns=[
                *keys,
                "semester",
                "n_pupils_activities",
                "activity_hours",
                "n_pupils_financial_support",
                "financial_support_eur",
            ]
        ),
        "supported": pd.DataFrame(
            columns=[
                *keys,
                "n_pupils_any",
                "n_schools",
                "n_municipalities",
                "support_hours",
                "n_on_roster",
                "n_enrolled_at_end",
                "n_left_year_end",
            ]
        ),
        "costs": pd.DataFrame(columns=[*keys, "cost_category", "amount_eur"]),
    }


def log_audit(name: str, protected: Protected) -> None:
    result = protected.audit
    log.info(
        "LP audits %s: %d kārtas / rounds, +%d šūnas / cells, %d LP, %d bloki / blocks (lielākais / largest %d)",
        name,
        protected.rounds,
        protected.added,
        result.lps,
        result.blocks,
        result.largest_block,
    )


# Each pupil is in exactly one cell of risk_summary (one score per pupil), so both counts are exact sums
# along every key; a pupil with a plan is a pupil.
RISK_RULES = (ColumnRule("n_pupils", exact=True), ColumnRule("n_with_plan", exact=True))
RISK_BOUNDS = (RowBound("n_pupils", "n_with_plan"),)


def protect_risk_summary(frame: pd.DataFrame, k: int, last: LastPublished | None = None) -> pd.DataFrame:
    """Primary and complementary suppression, then the LP audit (an attacker solving every margin at
    once, disclosure_audit.py); the share is withheld with either count."""
    if frame.empty:
        out = frame.drop(columns=SOLE_SCHOOL, errors="ignore")
        out["suppressed"] = pd.Series(dtype=bool)
        return out
    frame = sort_rows(frame.astype({c: float for c in RISK_SUMMARY.counts}), RISK_SUMMARY.keys)
    frame, schools = split_owners(frame)
    frame["share_with_plan"] = pd.to_numeric(frame["share_with_plan"], errors="coerce").astype(float)
    # 1–4 pupils *without* a plan are as small a group as 1–4 with one: n_pupils − n_with_plan would
    # give them away, so n_with_plan (and the share) is withheld from the outset there too.
    without_plan = (frame["n_pupils"] - frame["n_with_plan"]).to_numpy()
    moved = (last or LastPublished(k)).forced(RISK_SUMMARY, frame, RISK_SUMMARY.counts)
    forced = {
        "n_pupils": moved["n_pupils"],
        "n_with_plan": moved["n_with_plan"] | ((without_plan > 0) & (without_plan < k)),
    }
    risk = audited_patterns(
        [(frame, RISK_SUMMARY.keys, None)],
        RISK_SUMMARY.counts,
        k,
        RISK_RULES,
        RISK_BOUNDS,
        start=[forced],
        sensitive=[moved],
        insiders=[schools],
    )
    log_audit("risk_summary", risk)
    return apply_pattern(frame, risk.counts[0], RISK_SUMMARY.derived)


def protect_effectiveness(
    frame: pd.DataFrame, k: int, subgroups: pd.DataFrame, last: LastPublished | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The counts and derived figures as every export (LP-audited on their own); the interval method
    and the design warning are withheld wherever the estimate they describe is.

    The subgroup file's `ALL` rows are the project totals of this file, and its levels add up to them
    (gender exactly): so a total withheld here is withheld there, and a total the subgroup audit has to
    withhold is withheld here too, repeated until both files withhold the same totals.
    """
    frame, schools = split_owners(frame)  # a municipality's only school knows its supported pupils
    totals = total_rows(frame)
    last = last or LastPublished(k)
    moved_totals = last.forced(EFFECTIVENESS, frame, EFFECTIVENESS.counts)
    # n_supported_total − n_pupils counts the pupils left without a comparable peer: 1..k-1 of them are
    # as small a group as any, so n_supported_total is withheld there from the outset, and its LP
    # interval must be as wide as a small count's (else the ALL rows would narrow it back).
    without_peer = small_difference(frame, "n_supported_total", "n_pupils", k)
    moved_totals.add("n_supported_total", without_peer)
    forced = {c: mask.copy() for c, mask in moved_totals.items()}
    subgroup_tables = subgroup_frames(prepare_subgroups(subgroups))
    moved = [
        last.forced(EFFECTIVENESS_SUBGROUPS, table, SUBGROUP_COUNTS, fixed={"subgroup": name}, key_from={"level": name})
        for table, _, name in subgroup_tables
    ]
    while True:
        effect = audited_patterns(
            [(frame, EFFECTIVENESS.keys, None)],
            EFFECTIVENESS.counts,
            k,
            EFFECTIVENESS_RULES,
            EFFECTIVENESS_BOUNDS,
            start=[forced],
            sensitive=[moved_totals],
            insiders=[schools],
        )
        pattern = effect.counts[0]
        sub = protect_subgroups(
            subgroup_tables, k, {p: {c: pattern[c][i] for c in SUBGROUP_COUNTS} for p, i in totals.items()}, moved
        )
        grown = False
        for (table, _, name), counts in zip(subgroup_tables, sub.counts, strict=True):
            for row in np.flatnonzero((table[name] == ALL).to_numpy()):
                i = totals.get(table["project_code"].iloc[row])
                for c in SUBGROUP_COUNTS:
                    if i is not None and counts[c][row] and not pattern[c][i]:
                        forced[c][i] = grown = True
        if not grown:
            break
    log_audit("effectiveness", effect)
    log_audit("effectiveness_subgroups", sub)
    out = apply_pattern(frame, pattern, EFFECTIVENESS.derived)
    blank = np.logical_or.reduce([pattern[c] for c in EFFECTIVENESS.counts])
    for column in EFFECTIVENESS_DESCRIPTIVE:
        out[column] = frame[column].astype(object).where(~blank, None)
    return out, subgroups_output(subgroup_tables, sub)


def small_difference(frame: pd.DataFrame, big: str, small: str, k: int) -> np.ndarray:
    """Rows where `big` − `small` (both counts of the same row) is 1..k-1: a small group by subtraction."""
    difference = frame[big].to_numpy(dtype=float, na_value=np.nan) - frame[small].to_numpy(dtype=float, na_value=np.nan)
    return (difference >= 1) & (difference <= k - 1)


SUBGROUP_COUNTS = EFFECTIVENESS_SUBGROUPS.counts
SUBGROUP_ESTIMATES = ("effect", "ci_low", "ci_high")
EMPTY_SUBGROUPS = pd.DataFrame({c.name: pd.Series(dtype="object") for c in EFFECTIVENESS_SUBGROUPS.columns})


def total_rows(frame: pd.DataFrame) -> dict[str, int]:
    """Row of each project's total (every other key `ALL`) in the effectiveness frame."""
    rest = [key for key in EFFECTIVENESS.keys if key != "project_code"]
    is_total = np.logical_and.reduce([(frame[key] == ALL).to_numpy() for key in rest])
    return {str(frame["project_code"].iloc[i]): int(i) for i in np.flatnonzero(is_total)}


def prepare_subgroups(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["project_code"] = out["project_code"].fillna(NO_PROJECT).astype(str)
    for column in ("subgroup", "level"):
        out[column] = out[column].astype(str)
    for column in ("effect", "ci_low", "ci_high", "p_heterogeneity"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    return out.astype({c: float for c in SUBGROUP_COUNTS})


def subgroup_frames(frame: pd.DataFrame) -> list[tuple[pd.DataFrame, tuple[str, ...], str]]:
    """One table per subgroup, keyed (project_code, <subgroup>), linked through their `ALL` rows."""
    tables = []
    for name in SUBGROUP_NAMES:
        part = frame[frame["subgroup"] == name].drop(columns="subgroup").rename(columns={"level": name})
        if not part.empty:
            tables.append((sort_rows(part, ("project_code", name)), ("project_code", name), name))
    return tables


def protect_subgroups(
    tables: list[tuple[pd.DataFrame, tuple[str, ...], str]],
    k: int,
    totals: dict[str, dict[str, bool]],
    moved: list[dict[str, np.ndarray]] | None = None,
) -> Protected:
    """Complementary suppression and the LP audit of the three subgroup tables together, with each
    project total withheld wherever effectiveness.csv withholds it. Pupils fall into exactly one gender,
    so along `gender` the pupil count is an exact sum; other counts are distinct counts (a pupil can be in
    two grade bands or terciles, a comparison matched to pupils of several levels)."""
    if not tables:
        return Protected([], [], Audit(low={}, high={}, exposed={}), 0, 0)
    start = []
    for index, (table, _, name) in enumerate(tables):
        given = {c: np.zeros(len(table), dtype=bool) for c in SUBGROUP_COUNTS}
        for c, mask in (moved[index] if moved else {}).items():
            given[c] |= mask
        for row in np.flatnonzero((table[name] == ALL).to_numpy()):
            for c, withheld in totals.get(str(table["project_code"].iloc[row]), {}).items():
                given[c][row] = bool(withheld)
        start.append(given)
    rules = (ColumnRule("n_pupils", exact=False, exact_along=("gender",)), ColumnRule("n_comparison", exact=False))
    return audited_patterns(tables, SUBGROUP_COUNTS, k, rules, start=start, sensitive=moved)


def subgroups_output(tables: list[tuple[pd.DataFrame, tuple[str, ...], str]], protected: Protected) -> pd.DataFrame:
    """The protected subgroup rows in the export's long form; `p_heterogeneity` withheld on every row of a
    project × subgroup where any row of it is withheld (the test uses every level's estimate)."""
    parts = []
    for (table, _, name), counts in zip(tables, protected.counts, strict=True):
        out = apply_pattern(table, counts, (*SUBGROUP_ESTIMATES, "p_heterogeneity"))
        hidden = out.groupby("project_code")["suppressed"].transform("any").to_numpy(dtype=bool)
        out.loc[hidden, "p_heterogeneity"] = pd.NA
        parts.append(out.rename(columns={name: "level"}).assign(subgroup=name))
    if not parts:
        return EMPTY_SUBGROUPS.assign(suppressed=pd.Series(dtype=bool))
    columns = [c.name for c in EFFECTIVENESS_SUBGROUPS.columns]
    return sort_rows(pd.concat(parts, ignore_index=True)[columns], EFFECTIVENESS_SUBGROUPS.keys)


def prepare_effectiveness(frame: pd.DataFrame) -> pd.DataFrame:
    """Keys as text (nulls named), estimates as floats, rows in key order."""
    out = frame.copy()
    out["project_code"] = out["project_code"].fillna(NO_PROJECT).astype(str)
    for key in ("municipality", "subject", "school_year"):
        out[key] = out[key].fillna(UNKNOWN).astype(str)
    for column in EFFECTIVENESS.derived:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    out["estimate_withheld"] = out["estimate_withheld"].fillna(False).astype(bool)
    out = out.astype({column: float for column in EFFECTIVENESS.counts})
    out["design_warning"] = out["design_warning"].astype(object).where(out["design_warning"].notna(), None)
    return sort_rows(out, EFFECTIVENESS.keys)


def render_files(
    tables: list[tuple[TableSpec, pd.DataFrame]], k: int, run_id: str, excel: bool
) -> tuple[dict[str, bytes], dict[str, int]]:
    """Every file's bytes (CSV, descriptor, dictionary, optional workbook, manifest last)."""
    contents: dict[str, bytes] = {}
    rows: dict[str, int] = {}
    formatted: dict[str, tuple[TableSpec, list[list[str]]]] = {}
    for spec, frame in tables:
        assert_publishable(frame, spec, k)
        formatted[spec.name] = (spec, formatted_rows(frame, spec))
        contents[spec.file] = csv_bytes(formatted[spec.name][1], spec)
        rows[spec.file] = len(frame)
    contents["datapackage.json"] = json_bytes(datapackage(k))
    contents[DICTIONARY_NAME] = render_dictionary(k).encode("utf-8")
    if excel:
        contents[WORKBOOK_NAME] = xlsx_bytes(formatted)
    contents["manifest.json"] = json_bytes(manifest(contents, rows, run_id, k))
    return contents, rows


def assert_publishable(frame: pd.DataFrame, spec: TableSpec, k: int) -> None:
    """Last gate before a file leaves the machine: no small count, no person-level column."""
    extra = set(frame.columns) - set(spec.column_names)
    if extra & {"pupil_id", "staff_id", "pupil_code", "staff_name", "first_name", "last_name"}:
        raise AssertionError(f"{spec.file}: personas līmeņa kolonna / person-level column {sorted(extra)}")
    for column in spec.counts:
        values = frame[column].to_numpy(dtype=float, na_value=np.nan)
        if ((values >= 1) & (values <= k - 1)).any():
            raise AssertionError(f"{spec.file}: {column} publicētu 1..{k - 1} / would publish a count 1..{k - 1}")
