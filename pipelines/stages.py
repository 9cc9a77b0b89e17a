"""The stage registry: the one place the pipeline's graph is written down.

Each stage names its run function, the warehouse tables it reads and owns, and the folders it
writes under the output folder. The runner runs stages from here, the command line makes one
command per stage from here, the stamps (`stages/<name>.json`) checksum the tables named here,
and `tests/test_dvc_stages.py` checks `dvc.yaml`'s deps and outs against it.

The run functions only wire: they import their stage lazily (Great Expectations and Jupyter
take seconds to import, `atbalsts --help` must not) and turn its result into the counts the run
prints and records. A stage never imports another stage; stages meet through the warehouse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from pipelines.errors import UserError

if TYPE_CHECKING:
    import duckdb

    from pipelines.runner import RunContext

StageRun = Callable[["duckdb.DuckDBPyConnection | None", "RunContext"], dict[str, Any]]


@dataclass(frozen=True)
class Stage:
    name: str
    run: StageRun
    help: str  # the command's one line, Latvian / English
    reads: tuple[str, ...] = ()  # tables read: `schema.table`, or `schema.*` for every table of a schema
    owns: tuple[str, ...] = ()  # tables it (re)builds, checksummed into its stamp; `marts.*`: every marts table
    outputs: tuple[str, ...] = ()  # folders it writes under the output folder (dvc.yaml `outs`)
    options: tuple[str, ...] = ()  # command-line options of its own (pipelines/cli.py STAGE_OPTIONS)
    # False: the stage opens the warehouse itself (read-only, from notebook kernels), so the runner
    # closes its connection first and is passed None.
    uses_connection: bool = True
    # The stage changes what meta.files says about the files (loaded, quarantined rows): the runner
    # rewrites run_summary.json after it.
    refreshes_summary: bool = False

    @property
    def stamped(self) -> bool:
        return bool(self.owns)


# --- run functions ---------------------------------------------------------------------------


def run_ingest(con: Any, ctx: RunContext) -> dict[str, Any]:
    from pipelines.ingest.paths import missing_warning, personal_name_warning, remasked_warning, renamed_warning
    from pipelines.ingest.stage import ArchiveLimits, run_ingest
    from pipelines.pseudonym import KeyProblem, load_key

    raw_dir = ctx.settings.raw_dir
    if not raw_dir.is_dir():
        raise UserError(
            f"Nav mapes {raw_dir}: izveidojiet to un ielieciet tajā skolu failus (vai norādiet --raw). / "
            f"No folder {raw_dir}: create it and put the schools' files in it (or pass --raw)."
        )
    out = ctx.out

    def on_file(report: Any) -> None:
        out.event("file", path=report.path, kind=report.kind, status=report.status, rows_read=report.rows_read)

    ingest = ctx.settings.ingest
    limits = ArchiveLimits(ingest.archive_max_total_mb, ingest.archive_max_members, ingest.archive_max_depth)
    try:
        key = load_key(ingest.pseudonym_key_file, demo=bool(ctx.options.get("demo_key")))
        result = run_ingest(
            con,
            raw_dir,
            key,
            ctx.run_id,
            on_file=on_file,
            archive_limits=limits,
            memory_limit=ingest.duckdb_memory_limit,
            max_line_bytes=ingest.max_line_kb * 1024,
            withdraw_missing=bool(ctx.options.get("withdraw_missing")),
        )
    except KeyProblem as exc:  # no key, a weak one, or not the warehouse's
        raise UserError(str(exc)) from exc
    for path, digest in result.personal_names:
        out.event("personal_data_in_file_name", path=path, sha256=digest)
        out.say(f"[yellow]![/] {escape(personal_name_warning(path, digest))}")
    if result.renamed_stored:
        out.event("stored_paths_renamed", count=result.renamed_stored)
        out.say(f"[yellow]![/] {escape(renamed_warning(result.renamed_stored))}")
    if result.remasked_stored:
        out.event("stored_text_masked", count=result.remasked_stored)
        out.say(f"[yellow]![/] {escape(remasked_warning(result.remasked_stored))}")
    if result.missing:
        out.event("files_missing", count=len(result.missing), withdrawn=result.withdrawn)
        out.say(f"[yellow]![/] {escape(missing_warning(result.missing, result.withdrawn))}")
    statuses = [f.status for f in result.files]
    return {
        "files": len(statuses),
        **{s: statuses.count(s) for s in ("loaded", "unchanged", "rejected", "skipped")},
        **({"withdrawn" if result.withdrawn else "missing": len(result.missing)} if result.missing else {}),
        "rows_read": sum(f.rows_read for f in result.files if f.status == "loaded"),
    }


def run_validate(con: Any, ctx: RunContext) -> dict[str, Any]:
    from pipelines.resources import resource_dir
    from pipelines.validate.stage import run_validate

    suites = resource_dir("expectations", ctx.settings.project_root)
    result = run_validate(con, ctx.settings, ctx.run_id, suites_dir=suites)
    return {"quarantined": result.n_quarantined, "warnings": result.n_warnings, "has_errors": result.has_errors}


def run_transform(con: Any, ctx: RunContext) -> dict[str, Any]:
    from pipelines.transform.stage import run_transform

    return dict(run_transform(con, ctx.settings.transform))


def run_evaluate(con: Any, ctx: RunContext) -> dict[str, Any]:
    from pipelines.evaluate.stage import run_evaluate

    return dict(run_evaluate(con, ctx.settings).counts())


def run_export(con: Any, ctx: RunContext) -> dict[str, Any]:
    """The ministry files, then what changed in them since the previous run (pipelines/changes.py)."""
    from pipelines.changes import record_exports
    from pipelines.export.stage import run_export

    settings = ctx.settings
    result = run_export(con, settings, ctx.run_id, excel=bool(ctx.options.get("excel")))
    changes = record_exports(settings.exports_dir, settings.history_dir, ctx.run_id)
    ctx.summary["changes"] = changes.as_dict()
    counts = {"cells_changed": changes.cells_changed, "rows_added": changes.rows_added}
    return {"files": len(result.files), "changes": counts}  # the sentence is printed with the summary


def run_report(con: Any, ctx: RunContext) -> dict[str, Any]:
    from pipelines.report.stage import run_report

    result = run_report(ctx.settings, ctx.run_id, lang=ctx.options.get("lang"))
    return {"reports": len(result.reports)}


# --- the registry, in run order ------------------------------------------------------------------

STAGES: tuple[Stage, ...] = (
    Stage(
        "ingest",
        run_ingest,
        "Ielādē skolu failus noliktavā / load the schools' files into the warehouse.",
        reads=("meta.files", "meta.name_pairs", "quarantine.rows"),
        owns=(
            "meta.files",
            "staging.schools",
            "staging.pupils",
            "staging.plans",
            "staging.consultations",
            "staging.grades",
            "staging.activities",
            "staging.financial_support",
            "staging.costs",
            "staging.attendance",
        ),
        options=("raw", "demo_key", "withdraw_missing"),
        refreshes_summary=True,
    ),
    Stage(
        "validate",
        run_validate,
        "Pārbauda datus (Great Expectations) / validate the loaded rows, quarantine errors.",
        # validation.local_hits, judged_files, file_months, month_counts and cross_*: its own kept state
        reads=(
            "staging.*",
            "meta.files",
            "quarantine.rows",
            "validation.local_hits",
            "validation.judged_files",
            "validation.file_months",
            "validation.month_counts",
            "validation.cross_hits",
        ),
        owns=("quarantine.rows", "validation.flags", "validation.quality", "validation.file_deliverers"),
        outputs=("feedback",),
        options=("strict",),
        refreshes_summary=True,
    ),
    Stage(
        "transform",
        run_transform,
        "Veido tīrās tabulas / build the de-duplicated core tables.",
        reads=("staging.*", "meta.files", "quarantine.rows"),
        owns=(
            *("core.schools", "core.pupils", "core.plans", "core.consultations", "core.grades"),
            *("core.activities", "core.activity_participants", "core.financial_support", "core.costs"),
            *("core.attendance", "core.attendance_monthly", "core.unexcused_semester", "core.marks_by_school"),
        ),
    ),
    Stage(
        "evaluate",
        run_evaluate,
        "Novērtē atbalsta efektu / estimate the effect of support against a comparison group.",
        reads=("core.*", "validation.file_deliverers"),  # the lists go to the school that delivered the file
        owns=("marts.*",),
        outputs=("early_warning",),  # per-school lists for the schools, never published
    ),
    Stage(
        "export",
        run_export,
        "Raksta ministrijas CSV ar datu aizsardzību / write the ministry CSVs with disclosure control.",
        reads=(
            *("core.*", "marts.support_cube", "marts.effectiveness"),
            *("marts.effectiveness_subgroups", "marts.early_warning"),
            *("marts.episodes", "marts.evaluation_sample"),  # effectiveness.csv's sole schools (respondent rule)
        ),
        outputs=("exports", "history"),
        options=("excel",),
        refreshes_summary=True,
    ),
    Stage(
        "report",
        run_report,
        "Izveido HTML pārskatus vērtētājiem / render the HTML reports for evaluators.",
        reads=("core.*", "marts.*", "meta.files", "quarantine.rows", "validation.flags", "validation.quality"),
        outputs=("reports", "report_history"),  # report_history: each run's report cells (month-to-month rule)
        options=("lang",),
        uses_connection=False,
    ),
)
BY_NAME: dict[str, Stage] = {stage.name: stage for stage in STAGES}
NAMES: tuple[str, ...] = tuple(BY_NAME)


def owner_of(table: str) -> Stage | None:
    """The stage that builds `schema.table` (exactly, or through its `schema.*`)."""
    schema = table.split(".")[0]
    for stage in STAGES:
        if table in stage.owns or f"{schema}.*" in stage.owns:
            return stage
    return None


def upstream(stage: Stage) -> tuple[Stage, ...]:
    """The earlier stages whose tables `stage` reads (a `schema.*` read depends on every owner in it)."""
    earlier = STAGES[: STAGES.index(stage)]
    found = []
    for other in earlier:
        for table in stage.reads:
            schema, name = table.split(".")
            if name == "*":
                hit = any(t.split(".")[0] == schema for t in other.owns)
            else:
                hit = table in other.owns or f"{schema}.*" in other.owns
            if hit:
                found.append(other)
                break
    return tuple(found)
