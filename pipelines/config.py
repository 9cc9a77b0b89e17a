"""Settings: `params.yaml` read once into a typed object and passed to every stage."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PARAMS = Path("params.yaml")


@dataclass(frozen=True)
class IngestSettings:
    pseudonym_key_file: str = "~/.config/atbalsts/pseudonym.key"
    duckdb_memory_limit: str = "2GB"
    # zip archives (pipelines/ingest/containers.py): limits against zip bombs
    archive_max_total_mb: int = 2048
    archive_max_members: int = 10_000
    archive_max_depth: int = 2
    # a text file with a longer line is rejected before it is parsed (pipelines/ingest/readers.py)
    max_line_kb: int = 1024


@dataclass(frozen=True)
class ValidateSettings:
    max_consultation_minutes: int = 240
    volume_drop_share: float = 0.5
    max_lessons_per_day: int = 10  # more lessons missed by one pupil on one day is implausible (attendance)
    today: date | None = None
    # Plausibility of the programme kinds (docs/validation-rules.md): beyond these a row is quarantined.
    max_activity_minutes: int = 480  # one activity (a study visit is a school day at most)
    max_financial_support_eur: float = 2000.0  # one payment to one pupil
    max_cost_eur: float = 1_000_000.0  # one cost line: a project × municipality × month × category
    # (project code, first day, last day), inclusive: a row dated outside is quarantined. params.yaml
    # `project_periods` sets them (docs/input-contract.md, "Projects": the published terms, to confirm).
    project_periods: tuple[tuple[str, date, date], ...] = field(default_factory=lambda: default_project_periods())

    def reference_date(self) -> date:
        return self.today or date.today()


# evaluate.interval_method's words (the same as estimate.INTERVAL_METHODS, kept here so that reading
# the settings does not import the statistics stack; tests/evaluate/test_evaluate_stage.py checks they agree).
INTERVAL_METHODS = ("school_bootstrap", "school_jackknife", "cluster_robust", "cr2", "cr3", "wild_cluster_bootstrap")


@dataclass(frozen=True)
class TransformSettings:
    # Cabinet Regulation No. 89 (1 Feb 2011), point 5.3: the school informs the municipality when a pupil
    # misses more than 20 lessons without a valid reason in a semester (docs/method.md, "Attendance").
    unexcused_semester_threshold: int = 20


@dataclass(frozen=True)
class EvaluateSettings:
    min_supported_for_estimate: int = 10
    caliper_sd: float = 0.25
    n_matches: int = 3
    min_baseline_grades: int = 2
    min_outcome_grades: int = 2
    hours_bands: tuple[float, ...] = (0, 5, 10, 20)
    bootstrap_replicates: int = 40
    seed: int = 20240901
    # How a cell's 95 % interval is made (estimate.INTERVAL_METHODS; chosen on benchmarks/COVERAGE.md).
    interval_method: str = "school_jackknife"
    # For decisions (docs/method.md, "For decisions"): cells whose MDES exceeds this are "too small to
    # tell"; the probability of an effect above decision_threshold, under a N(0, prior_sd²) prior.
    max_useful_mdes: float = 0.5
    decision_threshold: float = 0.2
    prior_sd: float = 0.3

    def __post_init__(self) -> None:
        if self.interval_method not in INTERVAL_METHODS:
            raise ValueError(
                f"params.yaml: evaluate.interval_method {self.interval_method!r} is not one of {list(INTERVAL_METHODS)}"
            )


@dataclass(frozen=True)
class EarlyWarningSettings:
    """The early-warning model (pipelines/evaluate/early_warning.py; docs/method.md, "Early warning")."""

    snapshot_month_day: str = "10-31"  # indicators read on this day of each school year (MM-DD)
    min_label_days: int = 90  # a year's leaving is known once this many days after its snapshot are in the data
    recent_days: int = 30  # the "recent" part of the year for the fall in the mean mark (a month: the
    # October snapshot then compares October with September)
    min_leavers: int = 10  # fewer leavers in the training years: documented indicator rules instead
    leaving_codes: tuple[str, ...] = ("dropout",)  # contract.LEAVING_REASONS codes that count as leaving
    band_high: float = 0.05  # model: risk_score at or above this is `high`
    band_medium: float = 0.02  # ... at or above this `medium`, else `low`
    rule_high_flags: int = 3  # rules: this many indicators or more is `high`
    rule_medium_flags: int = 2  # ... this many `medium`
    max_reasons: int = 3  # reasons per pupil (largest positive contributions)
    inverse_regularisation: float = 1.0  # scikit-learn's C (L2)
    recall_margin: float = 0.2  # warn when recall differs by more than this between groups

    def __post_init__(self) -> None:
        if not self.band_high > self.band_medium > 0:
            raise ValueError("params.yaml: early_warning needs band_high > band_medium > 0")
        if not self.rule_high_flags > self.rule_medium_flags > 0:
            raise ValueError("params.yaml: early_warning needs rule_high_flags > rule_medium_flags > 0")


@dataclass(frozen=True)
class ExportSettings:
    k: int = 5
    # p% rule for financial support EUR (export/programme.py `dominated`): a cell whose pupils other than
    # the two largest got less than p × the largest payment is withheld and protected like a small count.
    dominance_p: float = 0.1


@dataclass(frozen=True)
class ReportSettings:
    lang: str = "lv"


@dataclass(frozen=True)
class Settings:
    raw_dir: Path = Path("data/raw")
    out_dir: Path = Path("data/processed")
    warehouse_name: str = "warehouse.duckdb"
    # Where expectations/, notebooks/ and docs/ are read from; None: the copies installed with the
    # package (pipelines/resources.py). Set it (`paths.root`) to run with edited suites or notebooks.
    project_root: Path | None = None
    ingest: IngestSettings = field(default_factory=IngestSettings)
    validate: ValidateSettings = field(default_factory=ValidateSettings)
    transform: TransformSettings = field(default_factory=TransformSettings)
    evaluate: EvaluateSettings = field(default_factory=EvaluateSettings)
    early_warning: EarlyWarningSettings = field(default_factory=EarlyWarningSettings)
    export: ExportSettings = field(default_factory=ExportSettings)
    report: ReportSettings = field(default_factory=ReportSettings)

    @property
    def warehouse(self) -> Path:
        path = Path(self.warehouse_name).expanduser()
        return path if path.is_absolute() else self.out_dir / path

    @property
    def run_summary_path(self) -> Path:
        return self.out_dir / "run_summary.json"

    @property
    def exports_dir(self) -> Path:
        return self.out_dir / "exports"

    @property
    def reports_dir(self) -> Path:
        return self.out_dir / "reports"

    @property
    def history_dir(self) -> Path:
        """Each run's exports, kept to say what changed since (pipelines/changes.py)."""
        return self.out_dir / "history"

    @property
    def report_history_dir(self) -> Path:
        """Each run's report cells, kept for the reports' month-to-month rule (pipelines/report/cells.py)."""
        return self.out_dir / "report_history"

    @property
    def stamps_dir(self) -> Path:
        return self.out_dir / "stages"

    @property
    def early_warning_dir(self) -> Path:
        """Per-school early-warning lists: for the schools only, never under exports/ (docs/method.md)."""
        return self.out_dir / "early_warning"

    @property
    def feedback_dir(self) -> Path:
        return self.out_dir / "feedback"

    def with_paths(self, raw: Path | None = None, out: Path | None = None, warehouse: Path | None = None) -> Settings:
        """Command-line paths override the parameters file."""
        changes: dict[str, Any] = {}
        if raw is not None:
            changes["raw_dir"] = Path(raw)
        if out is not None:
            changes["out_dir"] = Path(out)
        if warehouse is not None:
            changes["warehouse_name"] = str(Path(warehouse).resolve())
        return replace(self, **changes)


def default_project_periods() -> tuple[tuple[str, date, date], ...]:
    from pipelines.contract import PROJECT_PERIODS

    return tuple((code, start, end) for code, (start, end) in PROJECT_PERIODS.items())


def _project_periods(data: Any) -> tuple[tuple[str, date, date], ...]:
    """`validate.project_periods` ({code: [first day, last day]}): every project named must be one of
    contract.PROJECTS and its period must not end before it starts; projects not named keep the default."""
    from pipelines.contract import PROJECTS

    periods = {code: (start, end) for code, start, end in default_project_periods()}
    for code, days in dict(data or {}).items():
        if str(code) not in PROJECTS:
            raise ValueError(f"params.yaml: validate.project_periods names an unknown project {code!r}")
        if not isinstance(days, list | tuple) or len(days) != 2:
            raise ValueError(f"params.yaml: validate.project_periods[{code!r}] must be [first day, last day]")
        start, end = (d if isinstance(d, date) else date.fromisoformat(str(d)) for d in days)
        if end < start:
            raise ValueError(f"params.yaml: validate.project_periods[{code!r}] ends before it starts")
        periods[str(code)] = (start, end)
    return tuple((code, start, end) for code, (start, end) in periods.items())


def _section(cls: type, data: dict[str, Any] | None) -> Any:
    data = dict(data or {})
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"params.yaml: unknown setting(s) {sorted(unknown)} for {cls.__name__}")
    if "leaving_codes" in data:
        data["leaving_codes"] = tuple(str(x) for x in data["leaving_codes"])
    if "hours_bands" in data:
        data["hours_bands"] = tuple(float(x) for x in data["hours_bands"])
    if "project_periods" in data:
        data["project_periods"] = _project_periods(data["project_periods"])
    if data.get("today") and isinstance(data["today"], str):
        data["today"] = date.fromisoformat(data["today"])
    return cls(**data)


def _root(value: str | None, params: Path) -> Path | None:
    """`paths.root`, relative to the parameters file's folder."""
    if not value:
        return None
    root = Path(value).expanduser()
    return root if root.is_absolute() else (params.parent / root).resolve()


def load_settings(path: Path | None = None) -> Settings:
    """Read params.yaml (or the defaults when the file is absent, e.g. outside the repo)."""
    path = Path(path) if path else Path(os.environ.get("ATBALSTS_PARAMS", DEFAULT_PARAMS))
    raw: dict[str, Any] = {}
    if path.exists():
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    paths = raw.get("paths", {}) or {}
    return Settings(
        raw_dir=Path(paths.get("raw", "data/raw")),
        out_dir=Path(paths.get("out", "data/processed")),
        warehouse_name=str(paths.get("warehouse", "warehouse.duckdb")),
        project_root=_root(paths.get("root"), path),
        ingest=_section(IngestSettings, raw.get("ingest")),
        validate=_section(ValidateSettings, raw.get("validate")),
        transform=_section(TransformSettings, raw.get("transform")),
        evaluate=_section(EvaluateSettings, raw.get("evaluate")),
        early_warning=_section(EarlyWarningSettings, raw.get("early_warning")),
        export=_section(ExportSettings, raw.get("export")),
        report=_section(ReportSettings, raw.get("report")),
    )
