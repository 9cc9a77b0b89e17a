"""Early warning: who is at risk of leaving school without finishing, and whom would the list miss?

Why here: the evaluate stage already reads every core table; the scores are one more mart (no new
stage). Method in docs/method.md, "Early warning". In short:

* A *snapshot* reads the indicators a school had on one day (`early_warning.snapshot_month_day` of
  each school year; for the scores, the latest data date). Label: left school without finishing
  after the snapshot and before 1 June of that year (roster `left_on`; `leaving_reason` mapped to
  contract.LEAVING_REASONS, `early_warning.leaving_codes` count). A year is labelled once
  `min_label_days` after its snapshot are in the data.
* Out of time: a standardised logistic regression (scikit-learn) is trained on the earlier labelled
  years and tested on the last one; the scores use a model refitted on all labelled years. With
  fewer than `min_leavers` leavers in the training years (or no second year to test on), the
  documented indicator rules (RULES) score instead and every row says `method = rules`.
* Reasons per pupil: the indicators with the largest positive contributions coef × standardised value.
* Audit on the test year: AUC, precision and recall of the `high` band, calibration by decile, and by
  gender, grade band and municipality the flag rate, recall and false-positive rate (fairlearn
  MetricFrame) with Wilson intervals, and a plain-words warning when recall differs by more than
  `recall_margin` between groups.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl

from pipelines.config import EarlyWarningSettings
from pipelines.contract import RISK_FACTORS, leaving_reason_code, school_year_of
from pipelines.csv_text import safe_text_columns
from pipelines.warehouse import load_sql, table_exists

log = logging.getLogger("atbalsts.evaluate")

SQL_DIR = Path(__file__).with_name("sql")
MODEL, RULES_METHOD = "logistic_regression", "rules"
BANDS = ("high", "medium", "low")
ATTENDANCE_TABLE = ("core", "attendance_monthly")
# Who delivered each file (the validate stage): a list row goes to the school that delivered the roster
# file, and a school's own plans are those of the files it delivered (docs/method.md, "Where it goes").
DELIVERERS_TABLE = ("validation", "file_deliverers")

# Indicator -> reason code. Every model feature is an indicator a school can act on and may be a reason.
MARK_FEATURES = ("low_marks", "failing_marks", "nv_marks", "mark_fall", "repeated_grade", "school_change")
ATTENDANCE_FEATURES = ("unexcused_absences", "absences", "absence_trend")
RISK_FACTOR_FEATURES = tuple(f"risk_factor_{code}" for code in RISK_FACTORS)
# Context: in the model, never a reason (nothing a school can act on). Leaving concentrates in the upper
# grades (compulsory basic education ends with grade 9), so a score without it ranks a weak grade-2 pupil
# with a weak grade-11 one. A vocational pupil has a course year (1–4), not a grade: `vocational` gives
# them their own intercept and `course_year` their own slope, and each level counts as the training mean
# (no contribution) for the pupils it does not describe, so a course year is never read as a grade.
CONTEXT_FEATURES = ("grade_level", "course_year", "vocational")

# The documented indicator rules (docs/method.md): used when history has too few leavers.
# 20 unexcused lessons a semester is the statutory-style signal; per month over a 5-month semester, 4.
RULES: dict[str, tuple[str, float]] = {
    "low_marks": ("mean scored mark below", 4.5),
    "failing_marks": ("share of scored marks below 4 at least", 0.1),
    "nv_marks": ("share of marks that are `nv` at least", 0.05),
    "mark_fall": ("mean mark fell by at least (points)", 1.0),
    "repeated_grade": ("repeats a grade", 1.0),
    "school_change": ("changed school", 1.0),
    "unexcused_absences": ("unexcused lessons missed per month at least", 4.0),
    "absences": ("lessons missed per month at least", 16.0),
    "absence_trend": ("lessons missed per month rose by at least", 4.0),
    "risk_factor": ("a risk factor recorded in a support plan", 1.0),
}

EARLY_WARNING_SCHEMA: dict[str, pl.DataType] = {
    "pupil_id": pl.String(),
    "school_id": pl.String(),
    # The school whose list shows the row: the deliverer of the roster file (else the school it names).
    "list_school_id": pl.String(),
    "municipality": pl.String(),
    "school_year": pl.String(),
    "as_of": pl.Date(),
    "class_raw": pl.String(),
    "grade_level": pl.Int32(),
    "course_year": pl.Int32(),
    "source_file": pl.String(),
    "source_line": pl.Int32(),
    "risk_score": pl.Float64(),
    "risk_band": pl.String(),
    "reasons": pl.String(),
    "has_plan": pl.Boolean(),
    "method": pl.String(),
    # What the school's own list shows: the reasons and the open plan with the plans' risk factors
    # taken from this school's plans only (the score, band and `reasons` read the whole record).
    "school_reasons": pl.String(),
    "school_has_plan": pl.Boolean(),
}
METRICS_SCHEMA: dict[str, pl.DataType] = {
    "metric": pl.String(),
    "dimension": pl.String(),
    "group_value": pl.String(),
    "n_pupils": pl.Int64(),
    "n_leavers": pl.Int64(),
    "n_flagged": pl.Int64(),
    "n_flagged_leavers": pl.Int64(),
    "value": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "predicted": pl.Float64(),
    "method": pl.String(),
    "train_years": pl.String(),
    "test_year": pl.String(),
    "note": pl.String(),
}


@dataclass(frozen=True)
class Snapshot:
    school_year: str
    as_of: date

    @property
    def year_start(self) -> date:
        return date(int(self.school_year[:4]), 9, 1)

    @property
    def prev_year(self) -> str:
        start = int(self.school_year[:4])
        return f"{start - 1}/{start}"

    @property
    def cutoff(self) -> date:
        """1 June: a leaving date from June on is a completion or a move between years (as staying.py)."""
        return date(int(self.school_year[5:]), 6, 1)


# --- entry point (called from the evaluate stage) --------------------------------------------------


def early_warning_marts(con: duckdb.DuckDBPyConnection, cfg: EarlyWarningSettings) -> dict[str, pl.DataFrame]:
    """Load the snapshots' indicators, fit, score and audit: the marts `early_warning` (one row per
    pupil enrolled at the latest data date) and `early_warning_metrics`, for the stage to store."""
    latest = latest_data_date(con)
    if latest is None:
        return {"early_warning": empty(EARLY_WARNING_SCHEMA), "early_warning_metrics": empty(METRICS_SCHEMA)}
    labelled, current = plan_snapshots(con, latest, cfg)
    features = load_features(con, [*labelled, current], cfg)
    labels = load_labels(con, labelled, latest, cfg)
    scores, metrics = score_and_audit(features, labels, labelled, current, cfg)
    return {"early_warning": scores, "early_warning_metrics": metrics}


def empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


# --- Load ---------------------------------------------------------------------------------------------


def latest_data_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """The last dated row of marks, consultations or attendance: the scores are for this day."""
    parts = ["select max(date) as d from core.grades", "select max(date) from core.consultations"]
    if table_exists(con, *ATTENDANCE_TABLE):
        parts.append("select max(last_day(month)) from core.attendance_monthly")
    return con.execute(f"select max(d) from ({' union all '.join(parts)})").fetchall()[0][0]


def snapshot_day(school_year: str, month_day: str) -> date:
    month, day = (int(x) for x in month_day.split("-"))
    start = int(school_year[:4])
    return next(d for y in (start, start + 1) if school_year_of(d := date(y, month, day)) == school_year)


def plan_snapshots(
    con: duckdb.DuckDBPyConnection, latest: date, cfg: EarlyWarningSettings
) -> tuple[list[Snapshot], Snapshot]:
    """Labelled snapshots (one per school year whose leaving after the snapshot is known) and the
    current one: the latest data date, in its school year (or the latest roster year if that year
    has no roster yet)."""
    years = [r[0] for r in con.execute("select distinct school_year from core.pupils order by 1").fetchall() if r[0]]
    labelled = [
        Snapshot(y, snapshot_day(y, cfg.snapshot_month_day))
        for y in years
        if snapshot_day(y, cfg.snapshot_month_day) + timedelta(days=cfg.min_label_days) <= latest
    ]
    year = school_year_of(latest)
    if year not in years and years:
        year = years[-1]
    return labelled, Snapshot(year, latest)


def load_features(con: duckdb.DuckDBPyConnection, snapshots: list[Snapshot], cfg: EarlyWarningSettings) -> pl.DataFrame:
    """The indicators per pupil × snapshot (DuckDB), attendance added when core.attendance_monthly exists."""
    frame = pl.DataFrame(
        {
            "school_year": [s.school_year for s in snapshots],
            "as_of": [s.as_of for s in snapshots],
            "year_start": [s.year_start for s in snapshots],
            "prev_year": [s.prev_year for s in snapshots],
        },
        schema={"school_year": pl.String, "as_of": pl.Date, "year_start": pl.Date, "prev_year": pl.String},
    ).unique(maintain_order=True)
    con.register("ew_snapshots", frame.to_arrow())
    con.register("ew_deliverers", file_deliverers(con).to_arrow())
    try:
        out = con.sql(
            f"select * from ({load_sql(SQL_DIR, 'early_warning_features')}) order by all",
            params={"recent_days": cfg.recent_days},
        ).pl()
        if table_exists(con, *ATTENDANCE_TABLE):
            attendance = con.sql(f"select * from ({load_sql(SQL_DIR, 'early_warning_attendance')}) order by all").pl()
            out = out.join(attendance, on=["as_of", "pupil_id"], how="left")
    finally:
        con.unregister("ew_snapshots")
        con.unregister("ew_deliverers")
    return out


def file_deliverers(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """File -> the school that delivered it (validation.file_deliverers). Empty in a warehouse the validate
    stage never filled (each row then counts for the school it names, as before deliverers were kept)."""
    schema = {"source_file": pl.String, "school_id": pl.String}
    if not table_exists(con, *DELIVERERS_TABLE):
        return pl.DataFrame(schema=schema)
    return con.sql("select source_file, school_id from validation.file_deliverers").pl().cast(schema)


def load_labels(
    con: duckdb.DuckDBPyConnection, snapshots: list[Snapshot], latest: date, cfg: EarlyWarningSettings
) -> pl.DataFrame:
    """Per labelled snapshot × pupil: 1 when the pupil left without finishing after the snapshot and
    before 1 June of that year (and by the latest data date)."""
    rows = con.execute(
        "select pupil_id, school_year, left_on, leaving_reason from core.pupils where left_on is not null order by all"
    ).fetchall()
    out = []
    for snap in snapshots:
        end = min(snap.cutoff, latest + timedelta(days=1))
        for pupil_id, year, left_on, reason in rows:
            if (
                year == snap.school_year
                and snap.as_of < left_on < end
                and leaving_reason_code(reason) in cfg.leaving_codes
            ):
                out.append((snap.as_of, pupil_id))
    return (
        pl.DataFrame(out, schema={"as_of": pl.Date, "pupil_id": pl.String}, orient="row")
        .unique()
        .with_columns(pl.lit(1, dtype=pl.Int8).alias("left"))
    )


# --- Process: indicators, model, rules ------------------------------------------------------------


def indicator_frame(features: pl.DataFrame) -> pd.DataFrame:
    """Model features, one column per indicator (NaN where the pupil has no data for it)."""
    f = features
    out = pd.DataFrame(
        {
            "low_marks": -f["mean_mark"].to_numpy(),  # higher = worse, like every other indicator
            "failing_marks": ratio(f["n_failing"], f["n_scored"]),
            "nv_marks": ratio(f["n_nv"], f["n_marks"]),
            "mark_fall": f["mark_fall"].to_numpy(),
            "repeated_grade": f["repeated_grade"].cast(pl.Float64).to_numpy(),
            "school_change": f["school_change"].cast(pl.Float64).to_numpy(),
            "grade_level": f["grade_level"].cast(pl.Float64).to_numpy(),
            "course_year": f["course_year"].cast(pl.Float64).to_numpy(),
            "vocational": f["course_year"].is_not_null().cast(pl.Float64).to_numpy(),
        }
    )
    if "unexcused_per_month" in f.columns:
        out["unexcused_absences"] = f["unexcused_per_month"].to_numpy()
        out["absences"] = f["absences_per_month"].to_numpy()
        out["absence_trend"] = f["absence_trend"].to_numpy()
    out = out.astype(float)
    return with_risk_factors(out, f["risk_codes"])


def with_risk_factors(x: pd.DataFrame, risk_codes: pl.Series) -> pd.DataFrame:
    """`x` with the risk-factor indicators set from `risk_codes` (a list of codes per row)."""
    out = x.copy()
    codes = risk_codes.to_list()
    for code in RISK_FACTORS:
        out[f"risk_factor_{code}"] = [float(code in (c or [])) for c in codes]
    return out


def ratio(num: pl.Series, den: pl.Series) -> np.ndarray:
    n, d = num.to_numpy().astype(float), den.to_numpy().astype(float)
    return np.divide(n, d, out=np.full(len(n), np.nan), where=d > 0)


class Model:
    """Standardised logistic regression with per-pupil contributions; NaN indicators count as the
    training mean (no data, no contribution)."""

    def __init__(self, x: pd.DataFrame, y: np.ndarray, c: float) -> None:
        from sklearn.linear_model import LogisticRegression

        self.mean = x.mean().fillna(0.0)
        z = x.fillna(self.mean) - self.mean
        sd = z.std(ddof=0)
        self.columns = [col for col in x.columns if sd[col] > 0]  # a constant indicator carries nothing
        self.sd = sd[self.columns]
        self.fit = LogisticRegression(C=c, max_iter=1000).fit(self.standardise(x), y)

    def standardise(self, x: pd.DataFrame) -> np.ndarray:
        cols = self.columns
        return ((x[cols].fillna(self.mean[cols]) - self.mean[cols]) / self.sd).to_numpy()

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        return self.fit.predict_proba(self.standardise(x))[:, 1]

    def contributions(self, x: pd.DataFrame) -> pd.DataFrame:
        """coef × standardised value per indicator (context features left out: never a reason)."""
        out = pd.DataFrame(self.standardise(x) * self.fit.coef_[0], columns=self.columns)
        return out.drop(columns=[c for c in CONTEXT_FEATURES if c in out.columns])

    def coefficients(self) -> dict[str, float]:
        return dict(zip(self.columns, self.fit.coef_[0].tolist(), strict=True))


def top_reasons(contributions: pd.DataFrame, n: int) -> list[str | None]:
    """The `n` indicators with the largest positive contributions, largest first, `;`-joined."""
    values = contributions.to_numpy()
    names = np.array(contributions.columns)
    out: list[str | None] = []
    for row in values:
        order = np.argsort(-row, kind="stable")[:n]
        picked = [str(names[i]) for i in order if row[i] > 1e-9]
        out.append(";".join(picked) or None)
    return out


def rule_flags(x: pd.DataFrame) -> pd.DataFrame:
    """Which documented rules each pupil meets (False where the indicator has no data)."""
    flags = {}
    for name, (_text, threshold) in RULES.items():
        if name == "risk_factor":
            cols = [c for c in x.columns if c.startswith("risk_factor_")]
            flags[name] = (x[cols] > 0).any(axis=1) if cols else pd.Series(False, index=x.index)
        elif name == "low_marks":
            flags[name] = (-x[name] < threshold).fillna(False)
        elif name in x.columns:
            flags[name] = (x[name] >= threshold).fillna(False)
    return pd.DataFrame(flags, index=x.index).astype(bool)


def rule_scores(x: pd.DataFrame, cfg: EarlyWarningSettings) -> tuple[np.ndarray, list[str | None], np.ndarray]:
    """Score = rules met / rules that can be judged; band by the number met; reasons = the rules met."""
    flags = rule_flags(x)
    met = flags.sum(axis=1).to_numpy()
    score = met / max(len(flags.columns), 1)
    reasons = met_reasons(flags)
    band = np.where(met >= cfg.rule_high_flags, "high", np.where(met >= cfg.rule_medium_flags, "medium", "low"))
    return score, reasons, band


def met_reasons(flags: pd.DataFrame) -> list[str | None]:
    """Per row, the names of the rules met joined by ';' (None when none). Built once per distinct
    combination of rules (a few dozen), not once per pupil: row by row it was most of evaluate's
    early-warning time on a regional set."""
    names = list(flags.columns)
    if not names:
        return [None] * len(flags)
    values = flags.to_numpy(dtype=bool)
    combos, inverse = np.unique(values, axis=0, return_inverse=True)
    texts = [";".join(n for n, on in zip(names, combo, strict=True) if on) or None for combo in combos]
    return [texts[i] for i in np.asarray(inverse).reshape(-1)]


def model_band(score: np.ndarray, cfg: EarlyWarningSettings) -> np.ndarray:
    return np.where(score >= cfg.band_high, "high", np.where(score >= cfg.band_medium, "medium", "low"))


def score_and_audit(
    features: pl.DataFrame,
    labels: pl.DataFrame,
    labelled: list[Snapshot],
    current: Snapshot,
    cfg: EarlyWarningSettings,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Fit out of time, audit on the last labelled year, score the current snapshot."""
    data = features.join(labels, on=["as_of", "pupil_id"], how="left").with_columns(pl.col("left").fill_null(0))
    x_all = indicator_frame(data)
    y_all = data["left"].to_numpy().astype(int)
    as_of = data["as_of"].to_numpy()
    mask = {s.as_of: as_of == np.datetime64(s.as_of) for s in [*labelled, current]}
    test = labelled[-1] if len(labelled) >= 2 else None
    train = [s for s in labelled if test is not None and s.as_of < test.as_of]
    train_rows = np.logical_or.reduce([mask[s.as_of] for s in train]) if train else np.zeros(len(data), bool)
    n_train_leavers = int(y_all[train_rows].sum())
    use_model = test is not None and n_train_leavers >= cfg.min_leavers and int(y_all[mask[test.as_of]].sum()) > 0
    method = MODEL if use_model else RULES_METHOD
    note = (
        f"out of time: trained on {', '.join(s.school_year for s in train)} ({n_train_leavers} leavers), "
        f"tested on {test.school_year}"
        if use_model and test is not None
        else (
            f"too few leavers to train a model ({n_train_leavers} < early_warning.min_leavers = {cfg.min_leavers}, "
            "or no later school year to test on): the documented indicator rules score instead"
        )
    )
    log.info("early warning: %s; %s", method, note)

    def scored(
        rows: np.ndarray, model: Model | None, x_from: pd.DataFrame = x_all
    ) -> tuple[np.ndarray, list[str | None], np.ndarray]:
        x = x_from[rows].reset_index(drop=True)
        if model is None:
            return rule_scores(x, cfg)
        score = model.predict(x)
        return score, top_reasons(model.contributions(x), cfg.max_reasons), model_band(score, cfg)

    metrics = empty(METRICS_SCHEMA)
    if test is not None:
        out_of_time = Model(x_all[train_rows], y_all[train_rows], cfg.inverse_regularisation) if use_model else None
        rows = mask[test.as_of]
        score, _reasons, band = scored(rows, out_of_time)
        audit = data.filter(pl.Series(rows)).select("municipality", "gender", "grade_level", "course_year")
        audit = audit.to_pandas()
        audit["score"], audit["band"], audit["left"] = score, band, y_all[rows]
        metrics = audit_metrics(audit, cfg, method, ", ".join(s.school_year for s in train), test.school_year, note)
    final = None
    if use_model:
        all_rows = np.logical_or.reduce([mask[s.as_of] for s in labelled])
        final = Model(x_all[all_rows], y_all[all_rows], cfg.inverse_regularisation)
        log.info("early warning coefficients (standardised): %s", final.coefficients())
    rows = mask[current.as_of]
    score, reasons, band = scored(rows, final)
    # The school's list: the same model, its reasons read with only this school's plans' risk factors
    # (a plan made at the pupil's previous school stays there); score and band are left as they are.
    x_school = with_risk_factors(x_all, data["school_risk_codes"])
    _score, school_reasons, _band = scored(rows, final, x_school)
    current_rows = data.filter(pl.Series(rows))
    scores = current_rows.with_columns(
        pl.Series("risk_score", score, dtype=pl.Float64),
        pl.Series("risk_band", band.tolist(), dtype=pl.String),
        pl.Series("reasons", reasons, dtype=pl.String),
        pl.lit(method).alias("method"),
        pl.Series("school_reasons", school_reasons, dtype=pl.String),
    )
    scores = scores.select(list(EARLY_WARNING_SCHEMA)).cast(EARLY_WARNING_SCHEMA)
    scores = scores.sort(
        ["school_id", "risk_score", "source_file", "source_line"], descending=[False, True, False, False]
    )
    if metrics.is_empty():
        metrics = pl.DataFrame(
            [{"metric": "method", "dimension": "ALL", "group_value": "ALL", "method": method, "note": note}]
        )
        metrics = conform(metrics, METRICS_SCHEMA)
    return scores, metrics


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    missing = [pl.lit(None, dtype=d).alias(n) for n, d in schema.items() if n not in frame.columns]
    return frame.with_columns(missing).select(list(schema)).cast(schema)


# --- Process: the audit ------------------------------------------------------------------------------


GRADE_BANDS = ((1, 3, "1-3"), (4, 6, "4-6"), (7, 9, "7-9"), (10, 12, "10-12"))
COURSE_BANDS = ((1, 2, "K1-2"), (3, 4, "K3-4"))  # vocational course years: their own groups


def grade_band(level: pd.Series, course: pd.Series | None = None) -> pd.Series:
    """The audit's grade band: grades 1-3 … 10-12, a vocational course year K1-2 / K3-4."""
    out = pd.Series("unknown", index=level.index, dtype=object)
    for values, bins in ((level, GRADE_BANDS), (course, COURSE_BANDS)):
        if values is None:
            continue
        for lo, hi, name in bins:
            out[((values >= lo) & (values <= hi)).fillna(False).to_numpy(dtype=bool)] = name
    return out


def wilson(successes: int, n: int) -> tuple[float | None, float | None]:
    """95 % Wilson score interval (statsmodels), None without trials."""
    if n <= 0:
        return None, None
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(successes, n, alpha=0.05, method="wilson")
    return float(lo), float(hi)


def auc_interval(auc: float, n_pos: int, n_neg: int) -> tuple[float, float]:
    """Hanley & McNeil (1982) standard error, normal 95 % interval clipped to 0–1."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (n_pos * n_neg)
    half = 1.959964 * float(np.sqrt(max(var, 0.0)))
    return max(0.0, auc - half), min(1.0, auc + half)


def audit_metrics(
    audit: pd.DataFrame, cfg: EarlyWarningSettings, method: str, train_years: str, test_year: str, note: str
) -> pl.DataFrame:
    """AUC, precision/recall of the high band, calibration by decile, and the fairness table.

    `audit`: one row per pupil of the test snapshot with score, band, left (0/1), gender,
    grade_level, municipality, and (when there are vocational pupils) course_year."""
    from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate
    from sklearn.metrics import roc_auc_score

    y = audit["left"].to_numpy().astype(int)
    flag = (audit["band"] == "high").to_numpy().astype(int)
    score = audit["score"].to_numpy()
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    rows: list[dict] = []

    def row(metric: str, dimension: str, group: str, mask: np.ndarray, value, ci=(None, None), **extra) -> None:
        rows.append(
            {
                "metric": metric,
                "dimension": dimension,
                "group_value": group,
                "n_pupils": int(mask.sum()),
                "n_leavers": int(y[mask].sum()),
                "n_flagged": int(flag[mask].sum()),
                "n_flagged_leavers": int((flag & y)[mask].sum()),
                "value": None if value is None or np.isnan(value) else float(value),
                "ci_low": ci[0],
                "ci_high": ci[1],
                **extra,
            }
        )

    everyone = np.ones(len(y), dtype=bool)
    if n_pos and n_neg:
        auc = float(roc_auc_score(y, score))
        row("auc", "ALL", "ALL", everyone, auc, auc_interval(auc, n_pos, n_neg))
    else:
        row("auc", "ALL", "ALL", everyone, None, note="no leavers or no stayers in the test year")
    tp = int((flag & y).sum())
    row("precision_high", "ALL", "ALL", everyone, tp / flag.sum() if flag.sum() else None, wilson(tp, int(flag.sum())))
    row("recall_high", "ALL", "ALL", everyone, tp / n_pos if n_pos else None, wilson(tp, n_pos))
    row("flag_rate", "ALL", "ALL", everyone, flag.mean() if len(y) else None, wilson(int(flag.sum()), len(y)))
    fp = int(flag.sum()) - tp
    row("false_positive_rate", "ALL", "ALL", everyone, fp / n_neg if n_neg else None, wilson(fp, n_neg))
    # calibration by decile of the score (ties kept together: ranks first)
    if len(y):
        decile = np.minimum((pd.Series(score).rank(method="first").to_numpy() - 1) * 10 // len(y), 9).astype(int)
        for d in range(10):
            m = decile == d
            if m.any():
                observed = y[m].mean()
                row("calibration", "decile", str(d + 1), m, observed, wilson(int(y[m].sum()), int(m.sum())),
                    predicted=float(score[m].mean()))  # fmt: skip
    groups = {
        "gender": audit["gender"].fillna("unknown").astype(str),
        "grade_band": grade_band(audit["grade_level"], audit.get("course_year")),
        "municipality": audit["municipality"].fillna("unknown").astype(str),
    }
    warnings: list[str] = []
    for dimension, sensitive in groups.items():
        frame = MetricFrame(
            metrics={
                "flag_rate": selection_rate,
                "recall": lambda t, p: true_positive_rate(t, p) if t.sum() else np.nan,
                "false_positive_rate": lambda t, p: false_positive_rate(t, p) if (1 - t).sum() else np.nan,
            },
            y_true=y,
            y_pred=flag,
            sensitive_features=sensitive.to_numpy(),
        )
        by_group = frame.by_group
        recalls = {}
        for group in by_group.index:
            m = (sensitive == group).to_numpy()
            pos, neg = y[m] == 1, y[m] == 0
            f = flag[m]
            row("flag_rate", dimension, str(group), m, by_group.loc[group, "flag_rate"],
                wilson(int(f.sum()), int(m.sum())))  # fmt: skip
            row("recall", dimension, str(group), m, by_group.loc[group, "recall"],
                wilson(int(f[pos].sum()), int(pos.sum())))  # fmt: skip
            row("false_positive_rate", dimension, str(group), m, by_group.loc[group, "false_positive_rate"],
                wilson(int(f[neg].sum()), int(neg.sum())))  # fmt: skip
            if pos.sum():
                recalls[str(group)] = float(by_group.loc[group, "recall"])
        if len(recalls) >= 2:
            hi, lo = max(recalls, key=recalls.get), min(recalls, key=recalls.get)
            gap = recalls[hi] - recalls[lo]
            if gap > cfg.recall_margin:
                text = recall_warning(dimension, hi, lo, recalls[hi], recalls[lo], cfg.recall_margin)
                warnings.append(text)
                row("recall_gap", dimension, f"{hi} vs {lo}", (sensitive.isin([hi, lo])).to_numpy(), gap, note=text)
    out = pl.DataFrame(rows, infer_schema_length=None)
    out = conform(out, METRICS_SCHEMA).with_columns(
        pl.lit(method).alias("method"),
        pl.lit(train_years).alias("train_years"),
        pl.lit(test_year).alias("test_year"),
        pl.when(pl.col("note").is_null() & (pl.col("metric") == "auc"))
        .then(pl.lit(note))
        .otherwise(pl.col("note"))
        .alias("note"),
    )
    return out


def recall_warning(dimension: str, hi: str, lo: str, r_hi: float, r_lo: float, margin: float) -> str:
    """The plain-words warning (Latvian / English)."""
    return (
        f"Brīdinājums: saraksts atrod {r_lo:.0%} aizgājušo grupā {dimension}={lo}, bet {r_hi:.0%} grupā {hi} "
        f"(starpība virs {margin:.0%}); šīs grupas skolēni sarakstā ir retāk, nekā vajadzētu. / "
        f"Warning: the list finds {r_lo:.0%} of leavers in {dimension}={lo} but {r_hi:.0%} in {hi} (a gap above "
        f"{margin:.0%}): pupils of that group who will leave are missed more often."
    )


# --- Save: the per-school lists -----------------------------------------------------------------------

LIST_COLUMNS = ("roster_file", "roster_line", "class", "risk_score", "risk_band", "reasons", "has_plan")


def school_lists(scores: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """One frame per school: every pupil of the roster files it delivered (`list_school_id`, not the school
    a row names: a typo must not send one school's pupil and file to another), highest risk first, found
    by the roster file and line (no code, no name, no pseudonym). `reasons` and `has_plan` are the
    school's own (`school_reasons`, `school_has_plan`): another school's plan and its risk factors never
    reach it."""
    out = {}
    for school_id, part in scores.partition_by("list_school_id", as_dict=True, maintain_order=True).items():
        frame = part.sort(["risk_score", "source_file", "source_line"], descending=[True, False, False]).select(
            pl.col("source_file").alias("roster_file"),
            pl.col("source_line").alias("roster_line"),
            pl.col("class_raw").alias("class"),
            pl.col("risk_score").round(3),
            "risk_band",
            pl.col("school_reasons").alias("reasons"),
            pl.col("school_has_plan").alias("has_plan"),
        )
        out[str(school_id[0])] = safe_text_columns(frame, ["roster_file", "class", "reasons"])
    return out


def write_school_lists(scores: pl.DataFrame, directory: Path) -> None:
    """`<school_id>.csv` per school; lists of schools no longer scored are removed."""
    directory.mkdir(parents=True, exist_ok=True)
    written = set()
    for school_id, frame in school_lists(scores).items():
        path = directory / f"{safe_name(school_id)}.csv"
        tmp = path.with_suffix(".csv.tmp")
        frame.write_csv(tmp)
        tmp.replace(path)
        written.add(path)
    for stale in set(directory.glob("*.csv")) - written:
        stale.unlink()


def safe_name(school_id: str) -> str:
    """A school id as a file name (ids are 10 digits; anything else is reduced to safe characters)."""
    return "".join(ch for ch in school_id if ch.isalnum() or ch in "-_") or "unknown"
