"""Stage: evaluate — did support raise marks, against comparable pupils not (yet) supported?

Load (core tables; marks aggregated in DuckDB) → Process (episodes, baselines, windows, matching,
ANCOVA by cell, dose–response, staying) → Save (marts.*). The method is explained in docs/method.md.

Marts written here (grain):
- marts.episodes: pupil × subject (first support), with start semester and dosage.
- marts.evaluation_sample: pupil × subject × semester analysis rows (supported or potential
  comparison) with baseline, outcome, match flag and weight. Pupil-level: stays in the warehouse.
- marts.effectiveness: one row per cell (project × municipality × subject × school year, `ALL` totals),
  the export columns and the WWC baseline-equivalence verdict the report shows (`wwc_equivalence`).
  marts.effectiveness_detail: the same cells with diagnostics.
- marts.dose_response: dimension (hours band, mode, staff role, support form) × level.
- marts.effectiveness_subgroups: project (+ ALL) × subgroup (gender, grade band, baseline tercile) ×
  level (+ ALL), with the interval and the subgroup's heterogeneity p-value (subgroups.py).
- marts.staying: school year (+ ALL): share still enrolled at year end, supported vs matched comparison,
  and in how many start semester × grade band cells the comparison could not be balanced (staying.py).
- marts.effectiveness_absences: school year (+ ALL): unexcused lessons per month in the outcome window,
  supported vs matched comparison (absences.py); empty when no school sends attendance.
- marts.early_warning: pupil enrolled at the latest data date: risk of leaving school without finishing,
  band, reasons, open plan; marts.early_warning_metrics: its out-of-time evaluation and fairness audit
  (early_warning.py). The per-school lists `<out>/early_warning/<school_id>.csv` are written here too,
  for the schools only (never under exports/), each to the school that delivered the roster file
  (validation.file_deliverers, kept by the validate stage).
- marts.support_cube: breakdown (subject, staff role, mode) × project × municipality × school year ×
  semester × level, `ALL` margins: the consultations counted once (sql/support_cube.sql), for export's
  support files and the report's support tables, which read it instead of core.consultations.
- marts.event_study: step of the semester-aligned event study (s−2, s−1, start term before and from
  the window start, s+1): both groups' means and the gap with its 95 % interval (grand total).
The design diagnostics (placebos, design warning, robustness value, all-supported estimate, sample
flow) are in diagnostics.py, the checks on outcomes missing not at random in attrition.py; they are
columns of marts.effectiveness_detail. The figures for decisions
(MDES, probabilities under a sceptical prior, the pooled estimate) are in decide.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl

from pipelines.config import EvaluateSettings, Settings
from pipelines.errors import UserError
from pipelines.evaluate.absences import absence_estimates, absence_sample
from pipelines.evaluate.attrition import ATTRITION_SCHEMA, attrition_checks, availability_rows, with_attrition
from pipelines.evaluate.bootstrap import bootstrap_statistics, jackknife_groups, replicate_count
from pipelines.evaluate.cells import ALL, estimate_groups, grouping_sets
from pipelines.evaluate.decide import DECISION_COLUMNS, decision_columns
from pipelines.evaluate.diagnostics import (
    DIAGNOSIS_SCHEMA,
    SPILLOVER_SCHEMA,
    all_supported_estimates,
    event_study,
    own_school_expr,
    with_spillover_warning,
)
from pipelines.evaluate.diagnostics import sample_flow as build_sample_flow
from pipelines.evaluate.dose import dose_response
from pipelines.evaluate.early_warning import early_warning_marts, write_school_lists
from pipelines.evaluate.episodes import EPISODE_SCHEMA, build_episodes
from pipelines.evaluate.estimate import REPLICATE_METHODS, SCHOOL_JACKKNIFE
from pipelines.evaluate.matching import match_within_strata, matched_rows
from pipelines.evaluate.outcomes import ROW_KEYS, attach_outcomes, baseline_panel, build_candidates, cell_subject
from pipelines.evaluate.staying import first_support_dates, staying_estimates, staying_sample
from pipelines.evaluate.subgroups import SUBGROUP_SCHEMA, SubgroupReplicates, subgroup_estimates, with_levels
from pipelines.marts import SUBGROUPS
from pipelines.warehouse import load_sql, release_cache, table_exists, transaction

log = logging.getLogger("atbalsts.evaluate")

SQL_DIR = Path(__file__).with_name("sql")
CELL_KEYS = ("project_code", "municipality", "subject", "school_year")
EFFECTIVENESS_SCHEMA: dict[str, pl.DataType] = {
    "project_code": pl.String(),
    "municipality": pl.String(),
    "subject": pl.String(),
    "school_year": pl.String(),
    "n_pupils": pl.Int64(),
    "n_comparison": pl.Int64(),
    "naive_change": pl.Float64(),
    "effect": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "hedges_g": pl.Float64(),
    "baseline_std_diff": pl.Float64(),
    "wwc_equivalence": pl.String(),  # the WWC verdict on baseline_std_diff (estimate.py): the report shows it
    "improvement_index": pl.Float64(),
    "n_supported_total": pl.Int64(),
    "interval_method": pl.String(),
    "placebo_effect": pl.Float64(),
    "placebo_ci_low": pl.Float64(),
    "placebo_ci_high": pl.Float64(),
    "robustness_value": pl.Float64(),
    "design_warning": pl.Boolean(),
    **{name: pl.Float64() for name in DECISION_COLUMNS},
    "suppressed": pl.Boolean(),
}
DETAIL_SCHEMA: dict[str, pl.DataType] = {
    **{k: pl.String() for k in CELL_KEYS},
    "n_pupils": pl.Int64(),
    "n_comparison": pl.Int64(),
    "n_treated_rows": pl.Int64(),
    "n_comparison_rows": pl.Int64(),
    "n_episodes": pl.Int64(),
    "n_with_baseline": pl.Int64(),
    "n_supported_total": pl.Int64(),
    "n_supported_in_sample": pl.Int64(),
    "n_supported_rows_in_sample": pl.Int64(),
    "n_clusters": pl.Int64(),
    "naive_change": pl.Float64(),
    "effect": pl.Float64(),
    "se": pl.Float64(),
    "p_value": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "hedges_g": pl.Float64(),
    "improvement_index": pl.Float64(),
    "boot_ci_low": pl.Float64(),
    "boot_ci_high": pl.Float64(),
    "interval_method": pl.String(),
    **DIAGNOSIS_SCHEMA,
    "effect_all_supported": pl.Float64(),
    "ci_low_all_supported": pl.Float64(),
    "ci_high_all_supported": pl.Float64(),
    "interval_method_all_supported": pl.String(),
    **{name: pl.Float64() for name in DECISION_COLUMNS},
    "n_comparison_pool": pl.Int64(),
    "mean_treated": pl.Float64(),
    "mean_comparison": pl.Float64(),
    "baseline_std_diff": pl.Float64(),
    "overall_baseline_std_diff": pl.Float64(),
    "wwc_equivalence": pl.String(),
    "suppressed": pl.Boolean(),
    "note": pl.String(),
    "design": pl.String(),
    **ATTRITION_SCHEMA,  # outcomes missing not at random (attrition.py): both groups' shares and the gaps
    **SPILLOVER_SCHEMA,  # the spill-over check on the whole pool (diagnostics.spillover_contrast)
}
SAMPLE_COLUMNS = (
    "key", "pupil_id", "subject", "school_year", "semester", "school_id", "municipality", "grade_level",
    "course_year", "grade_band", "stratum", "treated", "project_code", "start_date", "window_start", "baseline_subject",
    "n_baseline_marks", "baseline_overall", "outcome", "n_outcome_marks", "change", "matched", "weight",
)  # fmt: skip
DOSE_SCHEMA: dict[str, pl.DataType] = {
    "dimension": pl.String(),
    "level": pl.String(),
    "level_order": pl.Int32(),
    "n_pupils": pl.Int64(),
    "n_comparison": pl.Int64(),
    "n_clusters": pl.Int64(),
    "naive_change": pl.Float64(),
    "effect": pl.Float64(),
    "se": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "p_value": pl.Float64(),
    "hedges_g": pl.Float64(),
    "baseline_std_diff": pl.Float64(),
    "suppressed": pl.Boolean(),
}
STAYING_SCHEMA: dict[str, pl.DataType] = {
    "school_year": pl.String(),
    "n_pupils": pl.Int64(),
    "n_comparison": pl.Int64(),
    "share_stayed_supported": pl.Float64(),
    "share_stayed_comparison": pl.Float64(),
    "difference": pl.Float64(),
    "se": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "p_value": pl.Float64(),
    "n_clusters": pl.Int64(),
    "interval_method": pl.String(),
    "baseline_std_diff": pl.Float64(),
    "wwc_equivalence": pl.String(),
    # how far the comparison weights could be balanced (staying.StayingShares): the report says so when not
    "n_balance_cells": pl.Int64(),
    "n_unbalanced_cells": pl.Int64(),
    "n_unbalanced_pupils": pl.Int64(),
    "suppressed": pl.Boolean(),
    "note": pl.String(),
}
ABSENCES_SCHEMA: dict[str, pl.DataType] = {
    "school_year": pl.String(),
    "n_pupils": pl.Int64(),
    "n_comparison": pl.Int64(),
    "unexcused_per_month_supported": pl.Float64(),
    "unexcused_per_month_comparison": pl.Float64(),
    "difference": pl.Float64(),
    "naive_change": pl.Float64(),
    "se": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "p_value": pl.Float64(),
    "n_clusters": pl.Int64(),
    "baseline_std_diff": pl.Float64(),
    "suppressed": pl.Boolean(),
    "note": pl.String(),
}
DESIGN = (
    "NN matching k={k}, caliper {caliper} SD, exact strata subject×semester×municipality×grade band; "
    "WLS ANCOVA with stratum FE; {interval}"
)


INTERVAL_TEXT = {
    "school_bootstrap": "SE from a school bootstrap re-running the matching ({replicates} replicates), t(G-1)",
    "school_jackknife": "SE from a delete-one-school jackknife re-running the matching "
    "(at most {replicates} groups of schools), t(G-1)",
    "cluster_robust": "school-clustered CR1 SE, t(G-1)",
    "cr2": "school-clustered CR2 SE, Bell-McCaffrey degrees of freedom",
    "cr3": "school-clustered CR3 (leave-one-school-out) SE, t(G-1)",
    "wild_cluster_bootstrap": "wild cluster bootstrap-t (WCR, Webb weights, 999 draws), interval by test inversion",
}


def design_text(cfg: EvaluateSettings) -> str:
    """What the `design` column says, including how the interval was made (cells that fell back to CR1
    say so in `interval_method` and `note`)."""
    method = cfg.interval_method
    if method in REPLICATE_METHODS and cfg.bootstrap_replicates <= 0:
        method = "cluster_robust"
    interval = INTERVAL_TEXT[method].format(replicates=cfg.bootstrap_replicates)
    return DESIGN.format(k=cfg.n_matches, caliper=cfg.caliper_sd, interval=interval)


@dataclass
class EvaluateResult:
    """What the stage built, for the run summary and the CLI."""

    tables: dict[str, int] = field(default_factory=dict)
    headline_effect: float | None = None
    headline_ci: tuple[float | None, float | None] = (None, None)
    naive_change: float | None = None

    def counts(self) -> dict[str, Any]:
        return {**self.tables, "headline_effect": self.headline_effect, "naive_change": self.naive_change}


# --- entry point ---------------------------------------------------------------------------------


def run_evaluate(con: duckdb.DuckDBPyConnection, settings: Settings) -> EvaluateResult:
    """Build the evaluation marts from the core tables."""
    cfg = settings.evaluate
    # Load (and the episodes and candidates: the outcome windows depend on them)
    inputs, episodes, candidates, outcomes = load_analysis(con, settings)
    # Process
    marts = evaluate_frames(
        episodes,
        candidates,
        outcomes,
        inputs["pupils"],
        inputs["consultations"],
        cfg,
        monthly=inputs["absences"],
        activities=inputs["activities"],
    )
    marts |= early_warning_marts(con, settings.early_warning)
    marts["support_cube"] = ordered(con, load_sql(SQL_DIR, "support_cube"))  # counted once, read by export and report
    # Save (the per-school early-warning lists only after their mart is stored)
    write_marts(con, marts)
    write_school_lists(marts["early_warning"], settings.early_warning_dir)
    return summarise(marts)


def load_analysis(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Inputs, episodes, candidates and their outcome windows: everything evaluate_frames needs
    (the coverage study, benchmarks/coverage.py, starts from here too)."""
    inputs = load_inputs(con)
    release_cache(con, settings.ingest.duckdb_memory_limit)
    episodes = build_episodes(inputs["consultations"], inputs["plans"], inputs["pupils"])
    candidates = build_candidates(
        episodes,
        baseline_panel(inputs["marks"]),
        inputs["pupils"],
        min_baseline_grades=settings.evaluate.min_baseline_grades,
    )
    outcomes = load_outcomes(
        con, candidates.select(*ROW_KEYS, "window_start"), supported=episodes.select("pupil_id", "subject")
    )
    release_cache(con, settings.ingest.duckdb_memory_limit)
    return inputs, episodes, candidates, outcomes


# --- pure core ---------------------------------------------------------------------------------------


def evaluate_frames(
    episodes: pl.DataFrame,
    candidates: pl.DataFrame,
    outcomes: pl.DataFrame,
    pupils: pl.DataFrame,
    consultations: pl.DataFrame,
    cfg: EvaluateSettings,
    *,
    monthly: pl.DataFrame | None = None,
    activities: pl.DataFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """Everything after the marks are read: matching, cell estimates, dose–response, staying, and
    absences as a second outcome when `monthly` (core.attendance_monthly) has rows."""
    sample = analysis_rows(episodes, candidates, outcomes, cfg)
    pairs = match_within_strata(sample, caliper_sd=cfg.caliper_sd, n_matches=cfg.n_matches)
    # matched within each subject's own strata; the cells then pool subjects no dictionary knows
    cell_sample = sample.with_columns(cell_subject())
    scheme = "jackknife" if cfg.interval_method == SCHOOL_JACKKNIFE else "bootstrap"
    replicates = replicate_count(sample, scheme=scheme, replicates=cfg.bootstrap_replicates)
    replicate = cfg.interval_method in REPLICATE_METHODS and cfg.bootstrap_replicates > 0
    # The subgroups' replicate effects ride on the headline's replicates (one matching per replicate,
    # not two) when the headline's rows are in the subgroups' order (by key), as the analysis rows
    # come: the replicas, matches and draws are then exactly those of a loop of their own.
    levels = with_levels(sample, pupils) if replicate and not pairs.is_empty() else None
    subgroup_draws = (
        SubgroupReplicates(replicates=cfg.bootstrap_replicates, min_supported=cfg.min_supported_for_estimate)
        if levels is not None and levels["key"].equals(cell_sample["key"])
        else None
    )
    draws = (
        bootstrap_statistics(
            cell_sample
            if subgroup_draws is None
            else cell_sample.with_columns(levels[c] for c in SUBGROUPS if c not in cell_sample.columns),
            CELL_KEYS,
            replicates=cfg.bootstrap_replicates,
            seed=cfg.seed,
            caliper_sd=cfg.caliper_sd,
            n_matches=cfg.n_matches,
            min_supported=cfg.min_supported_for_estimate,
            scheme=scheme,
            carry=SUBGROUPS if subgroup_draws is not None else (),
            riders=(subgroup_draws,) if subgroup_draws is not None else (),
        )
        if replicate
        else None
    )
    cells = estimate_groups(
        cell_sample,
        pairs,
        CELL_KEYS,
        min_supported=cfg.min_supported_for_estimate,
        boot_draws=None if draws is None else draws["effect"],
        boot_replicates=replicates,
        diagnose=True,
        diagnostic_draws=draws,
        interval_method=cfg.interval_method,
    )
    sets = grouping_sets(CELL_KEYS)
    if not cells.is_empty():
        keys = list(CELL_KEYS)
        flow = build_sample_flow(episodes, candidates, sample, pairs, keys, sets)
        # the spill-over contrast's jackknife leaves out the headline's groups of schools (no re-matching)
        left_out = (
            jackknife_groups(sample["school_id"].unique().sort().to_list(), cfg.bootstrap_replicates, cfg.seed)
            if replicate and scheme == "jackknife"
            else None
        )
        pool = all_supported_estimates(
            cell_sample,
            keys,
            sets,
            cfg.min_supported_for_estimate,
            left_out=left_out,
            interval_method=cfg.interval_method,
        )
        cells = with_spillover_warning(
            cells.join(flow.drop("n_with_outcome", "n_matched"), on=keys, how="left", nulls_equal=True)
            .join(pool, on=keys, how="left", nulls_equal=True)
            .with_columns(pl.col("n_supported_in_sample").alias("n_supported_total"))
        )
        checks = attrition_checks(
            availability_rows(candidates, outcomes, episodes, min_outcome_grades=cfg.min_outcome_grades),
            keys,
            sets,
            interval_method=cfg.interval_method,
            replicates=cfg.bootstrap_replicates,
            seed=cfg.seed,
        )
        cells = with_attrition(cells, checks, keys)
        cells = decision_columns(cells, CELL_KEYS, ALL, prior_sd=cfg.prior_sd, threshold=cfg.decision_threshold)
    cells = conform(cells, DETAIL_SCHEMA, design=design_text(cfg))
    cells = order_cells(cells)
    dose = dose_response(
        sample, pairs, bands=cfg.hours_bands, min_supported=cfg.min_supported_for_estimate, activities=activities
    )
    subgroups = subgroup_estimates(
        sample,
        pairs,
        pupils,
        min_supported=cfg.min_supported_for_estimate,
        interval_method=cfg.interval_method,
        replicate_method=draws is not None,
        replicates=cfg.bootstrap_replicates,
        seed=cfg.seed,
        caliper_sd=cfg.caliper_sd,
        n_matches=cfg.n_matches,
        replicate_draws=None if subgroup_draws is None else subgroup_draws.result(),
    )
    stay_rows = staying_sample(candidates, pupils, first_support_dates(consultations, activities), episodes, activities)
    staying = staying_estimates(
        stay_rows,
        caliper_sd=cfg.caliper_sd,
        n_matches=cfg.n_matches,
        min_supported=cfg.min_supported_for_estimate,
        replicates=cfg.bootstrap_replicates,
        seed=cfg.seed,
        interval_method=cfg.interval_method,
    )
    absences = absence_estimates(
        absence_sample(
            candidates, pl.DataFrame() if monthly is None else monthly, pupils,
            first_support_dates(consultations, activities), episodes,
        ),
        caliper_sd=cfg.caliper_sd,
        n_matches=cfg.n_matches,
        min_supported=cfg.min_supported_for_estimate,
    )  # fmt: skip
    return {
        "episodes": conform(episodes, EPISODE_SCHEMA),
        "evaluation_sample": analysis_sample(sample, pairs),
        "effectiveness": conform(cells, EFFECTIVENESS_SCHEMA),
        "effectiveness_detail": cells,
        "dose_response": conform(dose, DOSE_SCHEMA),
        "effectiveness_subgroups": conform(subgroups, SUBGROUP_SCHEMA),
        "staying": conform(staying, STAYING_SCHEMA),
        "effectiveness_absences": conform(absences, ABSENCES_SCHEMA),
        "event_study": event_study(
            matched_rows(sample, pairs),
            None if draws is None else {name: d.get((ALL,) * len(CELL_KEYS)) for name, d in draws.items()},
            replicates,
            cfg.interval_method,
        ),
    }


def analysis_rows(
    episodes: pl.DataFrame, candidates: pl.DataFrame, outcomes: pl.DataFrame, cfg: EvaluateSettings
) -> pl.DataFrame:
    """The analysis rows before matching: candidates with an outcome, supported rows with their support."""
    sample = attach_outcomes(candidates, outcomes, min_outcome_grades=cfg.min_outcome_grades).join(
        episodes.select("pupil_id", "subject", "project_code", "hours", "main_mode", "main_role"),
        on=["pupil_id", "subject"],
        how="left",
    )
    # Attributes of support belong to the supported row only; comparisons get them from their cell.
    support_cols = ["project_code", "hours", "main_mode", "main_role"]
    return sample.with_columns(
        *(pl.when(pl.col("treated")).then(pl.col(c)).otherwise(None).alias(c) for c in support_cols),
        own_school_expr(),  # the spill-over check's contrast (diagnostics.py)
    )


def analysis_sample(sample: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Every analysis row with its overall matching weight (0 when unmatched or unused)."""
    used = matched_rows(sample, pairs).select("key", "weight", pl.lit(True).alias("matched"))
    out = sample.join(used, on="key", how="left").with_columns(
        pl.col("matched").fill_null(False), pl.col("weight").fill_null(0.0)
    )
    return out.select(SAMPLE_COLUMNS).sort("stratum", "treated", "key", descending=[False, True, False])


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType], **constants: str) -> pl.DataFrame:
    """Exactly these columns in this order and type; missing ones null (or the given constant)."""
    if frame.is_empty() and not frame.columns:
        return pl.DataFrame(schema=schema)
    missing = [
        pl.lit(constants.get(name), dtype=dtype).alias(name)
        for name, dtype in schema.items()
        if name not in frame.columns
    ]
    return frame.with_columns(missing).select(list(schema)).cast(schema)


def order_cells(cells: pl.DataFrame) -> pl.DataFrame:
    """Stable order: each key ascending with its ALL total after the named values."""
    order = [e for k in CELL_KEYS for e in ((pl.col(k) == ALL), pl.col(k))]
    return cells.sort(order)


def summarise(marts: dict[str, pl.DataFrame]) -> EvaluateResult:
    total = marts["effectiveness"].filter(pl.all_horizontal(pl.col(k) == ALL for k in CELL_KEYS))
    result = EvaluateResult(tables={name: frame.height for name, frame in marts.items()})
    if total.height:
        row = total.row(0, named=True)
        result.headline_effect = row["effect"]
        result.headline_ci = (row["ci_low"], row["ci_high"])
        result.naive_change = row["naive_change"]
    log.info("evaluate: %s", result.counts())
    return result


# --- I/O at the edges ----------------------------------------------------------------------------------


def load_inputs(con: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    """Consultations, plans and rosters as they are; marks only as pupil × subject × semester sums."""
    missing = [t for t in ("grades", "consultations", "plans", "pupils") if not table_exists(con, "core", t)]
    if missing:
        raise UserError(
            f"Nav tabulu core.{', core.'.join(missing)}: vispirms palaidiet `atbalsts transform`. / "
            f"Missing core.{', core.'.join(missing)}: run `atbalsts transform` first."
        )
    con.execute(f"create or replace temp view scored_marks as {load_sql(SQL_DIR, 'scored_marks')}")
    return {
        "consultations": ordered(
            con,
            "select date, school_year, semester, pupil_id, school_id, municipality, staff_role, subject, "
            "minutes, mode, group_size, project_code from core.consultations",
        ),
        "plans": ordered(con, "select pupil_id, school_id, plan_start, plan_end, project_code from core.plans"),
        "pupils": ordered(
            con,
            "select pupil_id, school_id, school_year, grade_level, course_year, gender, left_on, leaving_reason "
            "from core.pupils",
        ),
        "marks": ordered(con, load_sql(SQL_DIR, "marks_by_semester", fragments={"by_school": marks_by_school(con)})),
        "absences": (
            ordered(con, "select pupil_id, month, school_year, semester, unexcused from core.attendance_monthly")
            if table_exists(con, "core", "attendance_monthly")
            else pl.DataFrame()
        ),
        # listed activity participants: supported too, never a staying comparison after their first activity
        "activities": ordered(con, "select pupil_id, date, subject from core.activity_participants")
        if table_exists(con, "core", "activity_participants")
        else pl.DataFrame(schema={"pupil_id": pl.String, "date": pl.Date}),
    }


def marks_by_school(con: duckdb.DuckDBPyConnection) -> str:
    """The scored marks counted per pupil × subject × semester × school: transform's core.marks_by_school
    (kept with core.grades, a rebuilt key's groups recounted), else counted here from every mark."""
    if table_exists(con, "core", "marks_by_school"):
        return (
            "select pupil_id, subject, school_year, semester, school_id, municipality, n_marks, sum_marks "
            "from core.marks_by_school"
        )
    return (
        "select pupil_id, subject, school_year, semester, school_id, municipality, "
        "count(*) as n_marks, sum(grade_score) as sum_marks from scored_marks group by all"
    )


def ordered(con: duckdb.DuckDBPyConnection, query: str) -> pl.DataFrame:
    """A query's rows in one fixed order: floating sums (weights, bootstrap means) then add up in the
    same order whatever order a re-delivered or resumed load left the core rows in."""
    return con.sql(f"select * from ({query}) order by all").pl()


def load_outcomes(
    con: duckdb.DuckDBPyConnection, windows: pl.DataFrame, supported: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Outcome-window means over the row-level marks, computed in DuckDB. With `supported` (pupil_id,
    subject of every support episode) also placebo C's negative-control outcome `other_subjects`: the
    window's mean in the pupil's subjects without support (sql/other_subjects_window.sql; null without)."""
    con.register("outcome_windows", windows.to_arrow())
    try:
        outcomes = ordered(con, load_sql(SQL_DIR, "outcome_window"))
        if supported is None:
            return outcomes
        con.register("supported_subjects", supported.unique().to_arrow())
        try:
            other = ordered(con, load_sql(SQL_DIR, "other_subjects_window"))
        finally:
            con.unregister("supported_subjects")
        return outcomes.join(other, on=list(ROW_KEYS), how="left", nulls_equal=True)
    finally:
        con.unregister("outcome_windows")


def write_marts(con: duckdb.DuckDBPyConnection, marts: dict[str, pl.DataFrame]) -> None:
    """Replace every mart in one transaction, so readers never see a half-written evaluation."""
    con.execute("create schema if not exists marts")
    with transaction(con):
        for name, frame in marts.items():
            con.register("_evaluate_frame", frame.to_arrow())
            con.execute(f"create or replace table marts.{name} as select * from _evaluate_frame")
            con.unregister("_evaluate_frame")


def effectiveness_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """marts.effectiveness in a stable order (each key ascending, its ALL total last)."""
    order = ", ".join(f"({k} = 'ALL'), {k}" for k in CELL_KEYS)
    return con.execute(f"select * from marts.effectiveness order by {order}").df()


__all__ = ["EvaluateResult", "effectiveness_table", "evaluate_frames", "run_evaluate"]
