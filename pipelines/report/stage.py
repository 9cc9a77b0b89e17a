"""Stage: report — HTML reports for evaluators, rendered from the notebooks in `notebooks/`.

`run_report` reads the list of municipalities and the lineage facts from the warehouse, runs
every notebook (one per municipality for the parametrised one) and writes `reports/index.html`
linking them all, with what changed in the published files since the previous run (the export's
kept copies under `history/`, compared by pipelines/changes.py as for `exports/changes.csv`).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipelines.changes import (
    CHANGES_NAME,
    Change,
    ChangeSummary,
    by_file,
    earlier_runs,
    latest_changes,
    latest_kept,
)
from pipelines.config import Settings
from pipelines.errors import UserError
from pipelines.report import fmt, queries, render
from pipelines.report.cells import write_record
from pipelines.report.labels import check_lang, t
from pipelines.resources import resource_dir
from pipelines.warehouse import connect

log = logging.getLogger(__name__)

PROJECT_REPORTS: tuple[str, ...] = ("data_quality", "support_overview", "effectiveness")


@dataclass(frozen=True)
class WarehouseFacts:
    """What the index page says about the data behind the reports."""

    municipalities: list[str]
    period: tuple[object, object]
    files: int
    rows: int


@dataclass
class ReportResult:
    index: Path
    reports: list[Path] = field(default_factory=list)
    seconds: float = 0.0


def run_report(
    settings: Settings,
    run_id: str,
    lang: str | None = None,
    school_year: str | None = None,
    keep_executed: bool = False,
    workers: int = 2,
) -> ReportResult:
    """Execute and render every report into `settings.reports_dir`; returns the files written."""
    started = datetime.now()
    lang = check_lang(lang or settings.report.lang)
    out_dir = settings.reports_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    warehouse = Path(settings.warehouse).resolve()
    # Load
    facts = read_facts(warehouse)
    changes = latest_changes(settings.history_dir, run_id)  # export's kept files (pipelines/changes.py)
    # Process + Save
    published = latest_kept(settings.history_dir, run_id)  # what the export withheld, the reports withhold too
    record = record_report_cells(settings, run_id, warehouse, published)  # and what the reports withhold
    base = {
        "warehouse": str(warehouse),
        "lang": lang,
        "k": settings.export.k,
        "school_year": school_year or "",
        "published": str(published or ""),
        "report_cells": str(record),
    }
    programme = {"dominance_p": settings.export.dominance_p}  # the notebooks with the financial-support section
    decision = {  # only the effectiveness report states probabilities and MDES (docs/method.md, "For decisions")
        "max_useful_mdes": settings.evaluate.max_useful_mdes,
        "decision_threshold": settings.evaluate.decision_threshold,
        "prior_sd": settings.evaluate.prior_sd,
    }
    jobs = [
        (
            name,
            f"{name}.html",
            {
                **base,
                "municipality": "",
                **(decision if name == "effectiveness" else {}),
                **(programme if name == "support_overview" else {}),
            },
        )
        for name in PROJECT_REPORTS
    ]
    jobs += [
        ("municipality", file_name, {**base, **programme, "municipality": m})
        for m, file_name in render.municipality_files(facts.municipalities).items()
    ]
    notebooks = resource_dir("notebooks", settings.project_root)
    executed_dir = out_dir / "_executed" if keep_executed else Path(tempfile.mkdtemp(prefix="atbalsts-nb-"))

    def one(job: tuple[str, str, dict[str, object]]) -> Path:
        notebook, file_name, params = job
        log.info("report %s", file_name)
        source = notebooks / f"{notebook}.py"
        nb = render.execute(source, executed_dir / file_name.replace(".html", ".ipynb"), params)
        path = out_dir / file_name
        path.write_text(render.to_html(nb, report_title(notebook, str(params["municipality"]), lang), lang), "utf-8")
        return path

    try:
        # Most of a notebook's time is kernel start-up and imports, so two run side by side.
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            written = list(pool.map(one, jobs))
    finally:
        if not keep_executed:
            shutil.rmtree(executed_dir, ignore_errors=True)
    for stale in set(out_dir.glob("municipality_*.html")) - set(written):
        stale.unlink()  # a municipality no longer in the data must not keep an old report beside the new ones
    index = out_dir / "index.html"
    html = build_index(facts, written, run_id, started, lang, settings.export.k, changes)
    index.write_text(html, encoding="utf-8")
    return ReportResult(index=index, reports=written, seconds=(datetime.now() - started).total_seconds())


def record_report_cells(settings: Settings, run_id: str, warehouse: Path, published: Path | None) -> Path:
    """Protect the tables only the reports publish (and the support tables linked with them) once for the
    whole run and keep their cells in `report_history/<run_id>/` (pipelines/report/cells.py): a pupil count
    that moved by 1..k-1 since an earlier run's reports showed it, or that the previous run withheld and
    moved by less than k since (its true values: meta.withheld_cells, written here), is withheld, then
    complementary cells and the LP audit. Every notebook starts from this record, so all reports withhold
    the same cells."""
    k = settings.export.k
    earlier = earlier_runs(settings.report_history_dir, run_id)
    queries.use_published(published)
    queries.use_earlier_reports(earlier, k, settings.validate.max_consultation_minutes)
    earlier_cells = queries.earlier_reports()
    con = connect(warehouse, read_only=True)
    try:
        if earlier_cells is not None:
            earlier_cells.load_withheld(con, "report")  # the previous run's withheld true values
        tables = queries.report_cells(con, k)
        moved = queries.moved_cells()
    finally:
        con.close()
        queries.use_published(None)
    settings.report_history_dir.mkdir(parents=True, exist_ok=True)
    folder = write_record(settings.report_history_dir / run_id, tables)
    if earlier_cells is not None:  # kept privately for next run's rule (pipelines/disclosure_time.py)
        con = connect(warehouse)
        try:
            earlier_cells.save_withheld(con, "report", run_id, folder)
        finally:
            con.close()
    log.info(
        "report: %d šūnas aizklātas, jo skaits kopš iepriekšējiem pārskatiem mainījies par 1..%d / cells withheld "
        "because the count moved by 1..%d since earlier reports (%d earlier runs): %s",
        sum(moved.values()),
        k - 1,
        k - 1,
        len(earlier),
        moved,
    )
    return folder


def read_facts(warehouse: Path) -> WarehouseFacts:
    """Municipalities, data period, files and rows; fails with a one-line message before transform."""
    if not warehouse.exists():
        raise UserError(f"Noliktava nav atrasta / warehouse not found: {warehouse} (atbalsts ingest)")
    con = connect(warehouse, read_only=True)
    try:
        if not queries.table_exists(con, "core", "schools"):
            raise UserError("Tīrās tabulas vēl nav izveidotas / core tables missing: run `atbalsts transform` first")
        files, rows = queries.file_totals(con)
        return WarehouseFacts(queries.municipalities(con), queries.data_period(con), files, rows)
    finally:
        con.close()


def report_title(notebook: str, municipality: str, lang: str) -> str:
    title = t(f"title_{notebook}", lang)
    return f"{title}: {municipality}" if municipality else title


def build_index(
    facts: WarehouseFacts,
    written: list[Path],
    run_id: str,
    when: datetime,
    lang: str,
    k: int,
    changes: tuple[list[Change], ChangeSummary] | None = None,
) -> str:
    """The landing page linking every report, with the run date, data period, files and rows, and what
    changed in the published files since the previous run."""
    lo, hi = facts.period
    period = f"{lo:%d.%m.%Y} – {hi:%d.%m.%Y}" if lo and hi else "–"
    facts_rows = [
        (t("index_run_date", lang), f"{when:%d.%m.%Y %H:%M}"),
        (t("index_run_id", lang), run_id),
        (t("index_period", lang), period),
        (t("index_files", lang), fmt.number(facts.files, lang)),
        (t("index_rows", lang), fmt.number(facts.rows, lang)),
    ]
    names = {p.name for p in written}
    project = [(t(f"title_{n}", lang), f"{n}.html") for n in PROJECT_REPORTS if f"{n}.html" in names]
    municipal = [(m, f) for m, f in render.municipality_files(facts.municipalities).items() if f in names]
    sections = [(t("index_reports", lang), project)]
    if municipal:
        sections.append((t("index_municipalities", lang), municipal))
    note = t("index_note", lang, k=k)
    return render.index_html(t("title_index", lang), facts_rows, sections, note, lang, changes_section(changes, lang))


def changes_section(changes: tuple[list[Change], ChangeSummary] | None, lang: str) -> str:
    """The run summary's sentence ("12 cells changed, 3 new rows; largest change: …") and the count per file."""
    heading = t("index_changes", lang)
    note = t("index_changes_note", lang, name=CHANGES_NAME)
    if changes is None:
        return render.changes_html(heading, t("index_changes_none", lang), [], [], note)
    listed, summary = changes
    header = [t(f"index_changes_{c}", lang) for c in ("file", "cells", "added", "removed")]
    rows = [[name, *(fmt.number(n, lang) for n in counts)] for name, counts in by_file(listed).items()]
    return render.changes_html(heading, summary.sentence(lang), header, rows, note)
