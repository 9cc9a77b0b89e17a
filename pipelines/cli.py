"""`atbalsts`: the one command. It parses arguments, wires the stages and prints; nothing else.

Stage modules are imported inside the commands so that `atbalsts --help` stays instant
(Great Expectations and Jupyter take seconds to import).
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipelines.config import Settings, load_settings
from pipelines.errors import UserError
from pipelines.runner import (
    Reporter,
    WarehouseLockedError,
    explain_failure,
    log_written,
    open_warehouse,
    run_holder,
    run_in_progress_message,
    run_stages,
    setup_logging,
)
from pipelines.stages import NAMES, STAGES, Stage
from pipelines.warehouse import table_exists

app = typer.Typer(
    help=(
        "atbalsts — skolu atbalsta programmu datu apstrāde un efektivitātes novērtējums.\n\n"
        "Ikmēneša darbs: ielieciet skolu eksporta failus mapē data/raw/ un palaidiet `atbalsts run`.\n\n"
        "(English: process school-support programme exports and evaluate effectiveness. Monthly: drop the "
        "schools' files into data/raw/ and run `atbalsts run`.)"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

console = Console(stderr=False)
err_console = Console(stderr=True)
log = logging.getLogger("atbalsts")

ParamsOpt = Annotated[Path | None, typer.Option("--params", help="Iestatījumu fails / settings file (params.yaml).")]
RawOpt = Annotated[Path | None, typer.Option("--raw", help="Skolu eksporta failu mape / folder of school exports.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Rezultātu mape / output folder (warehouse, exports).")]
WarehouseOpt = Annotated[Path | None, typer.Option("--warehouse", help="DuckDB noliktavas fails / warehouse file.")]
DemoKeyOpt = Annotated[
    bool,
    typer.Option("--demo-key", help="Tikai parauga datiem: publiskā demo atslēga / sample data only: public demo key."),
]
WithdrawOpt = Annotated[
    bool,
    typer.Option(
        "--withdraw-missing",
        help="Izņem rindas failiem, kas vairs nav mapē / withdraw the rows of files no longer in the raw folder.",
    ),
]


class Output(Reporter):
    """Where messages go: rich text for people, JSON lines for schedulers, or nothing."""

    def __init__(self, quiet: bool = False, json_log: bool = False) -> None:
        self.quiet = quiet
        self.json_log = json_log

    def event(self, event: str, **data: Any) -> None:
        if self.json_log:
            print(json.dumps({"event": event, **data}, ensure_ascii=False, default=str), flush=True)

    def say(self, text: str) -> None:
        if not self.quiet and not self.json_log:
            console.print(text)

    def spinner(self, name: str) -> Any:
        if self.quiet or self.json_log:
            return contextlib.nullcontext()
        return console.status(f"[bold]{name}[/] …", spinner="dots")

    def table(self, table: Table) -> None:
        if not self.quiet and not self.json_log:
            console.print(table)


def _settings(params: Path | None, raw: Path | None, out: Path | None, warehouse: Path | None) -> Settings:
    try:
        settings = load_settings(params)
    except (ValueError, OSError) as exc:
        raise UserError(f"Iestatījumu kļūda / settings error: {exc}") from exc
    return settings.with_paths(raw=raw, out=out, warehouse=warehouse)


def _guarded(settings: Settings, func: Callable[[], int]) -> None:
    """Run a command; known problems become one line, anything else a pointer to the log."""
    log_path = setup_logging(settings.out_dir)

    def details() -> str:  # only when the log really holds them (not on a full or read-only disk)
        return f" Sīkāk / details: {log_path}" if log_written(log_path) else ""

    try:
        code = func()
    except UserError as exc:
        log.exception("stopped: %s", exc)
        err_console.print(f"[bold red]Kļūda / error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        log.warning("interrupted by the user")
        err_console.print("Pārtraukts; noliktava ir tāda, kāda bija pirms pēdējā faila. / Interrupted; safe to re-run.")
        raise typer.Exit(130) from None
    except Exception as exc:
        explained = explain_failure(exc, settings)  # full disk, read-only folder, damaged warehouse
        if explained is not None:
            log.exception("stopped: %s", explained)
            err_console.print(f"[bold red]Kļūda / error:[/] {explained}{details()}", soft_wrap=True, markup=True)
            raise typer.Exit(2) from None
        log.exception("unexpected failure")
        err_console.print(
            f"[bold red]Negaidīta kļūda / unexpected error:[/] {type(exc).__name__}: {exc}.{details()}",
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
    if code:
        raise typer.Exit(code)


def _run_stages(
    settings: Settings,
    stages: tuple[str, ...],
    *,
    command: str,
    out: Output,
    **options: Any,
) -> int:
    """Run stages through the runner, then print the closing tables when files were (re)counted."""
    exit_code = run_stages(settings, stages, command=command, out=out, **options)
    if "ingest" in stages or "validate" in stages:
        _print_summary(settings, out)
    return exit_code


def _print_summary(settings: Settings, out: Output) -> None:
    """The closing tables: what happened to the files, what was quarantined where, the headline."""
    path = settings.run_summary_path
    if not path.exists() or out.quiet or out.json_log:
        return
    summary = json.loads(path.read_text(encoding="utf-8"))
    totals = summary["totals"]
    table = Table(title="Kopsavilkums / summary", show_header=False)
    table.add_column("")
    table.add_column("", justify="right")
    labels = {
        "files": "faili / files",
        "loaded": "ielādēti / loaded",
        "unchanged": "nemainīti / unchanged",
        "rejected": "noraidīti / rejected",
        "skipped": "izlaisti / skipped",
        "rows_read": "rindas / rows read",
        "rows_loaded": "ielādētas rindas / rows loaded",
        "rows_quarantined": "karantīnā / quarantined",
    }
    for key, label in labels.items():
        table.add_row(label, _thousands(totals[key]))
    out.table(table)
    problems = [f for f in summary["files"] if f["status"] in ("rejected", "skipped")]
    if problems:
        ptable = Table(title="Faili, kas netika ielādēti / files not loaded")
        for col in ("fails / file", "statuss / status", "iemesls / reason"):
            ptable.add_column(col)
        for f in problems:
            ptable.add_row(f["path"], f["status"], f["reason"] or "")
        out.table(ptable)
    if settings.warehouse.exists():
        con = open_warehouse(settings, read_only=True)
        try:
            _print_quarantine_by_school(con, out)
            _print_headline(con, out)
        finally:
            con.close()
    if summary.get("changes"):
        out.say(escape(f"{summary['changes']['text_lv']} / {summary['changes']['text_en']}"))
    out.say(f"Rezultāti / results: {settings.out_dir}  (run_summary.json, feedback/, exports/, reports/)")


def _thousands(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def _print_quarantine_by_school(con: Any, out: Output) -> None:
    rows = con.execute(
        """
        with issues as (
            select school_id, reason_code, 'kļūda / error' as severity, count(distinct (source_file, source_line)) as n
            from quarantine.rows group by all
            union all
            select school_id, reason_code, 'brīdinājums / warning', count(*) from validation.flags group by all
        )
        select coalesce(i.school_id, '—'), coalesce(s.school_name, ''), i.severity, i.reason_code, i.n
        from issues i left join (select distinct school_id, school_name from staging.schools) s using (school_id)
        order by 1, 3, 4
        """
    ).fetchall()
    if not rows:
        return
    table = Table(title="Problēmas pa skolām / issues by school (feedback/<kods>.csv)")
    table.add_column("skola / school")
    table.add_column("iemesls / reason")
    table.add_column("kļūdas / errors", justify="right")
    table.add_column("brīdin. / warnings", justify="right")
    pivot: dict[tuple[str, str], list[int]] = {}
    for school_id, name, severity, reason, n in rows:
        cell = pivot.setdefault((f"{name or school_id}", reason), [0, 0])
        cell[0 if severity.startswith("kļūda") else 1] += n
    for (school, reason), (errors, warnings) in pivot.items():
        table.add_row(school, reason, _thousands(errors) if errors else "", _thousands(warnings) if warnings else "")
    out.table(table)


def _print_headline(con: Any, out: Output) -> None:
    if not table_exists(con, "marts", "effectiveness"):
        return
    row = con.execute(
        "select n_pupils, effect, ci_low, ci_high, naive_change from marts.effectiveness "
        "where project_code = 'ALL' and municipality = 'ALL' and subject = 'ALL' and school_year = 'ALL'"
    ).fetchall()
    if not row or row[0][1] is None:
        return
    n, effect, low, high, naive = row[0]

    def num(x: float) -> str:
        return f"{x:+.2f}".replace(".", ",")

    out.say(
        f"Efekts pret salīdzinājuma grupu / effect against a comparison group: [bold]{num(effect)}[/] atzīmes "
        f"(95% TI {num(low)}…{num(high)}), {n} atbalstīti skolēni / supported pupils; naivā izmaiņa / naive change "
        f"{num(naive)} (pārvērtē / overstates: regression to the mean)."
    )


# --- commands ----------------------------------------------------------------------------------


SCALES = {"regional": (60, 22_000), "national": (600, 220_000)}


@app.command()
def sample(
    out: Annotated[Path, typer.Option("--out", help="Kur rakstīt parauga failus / where to write the files.")] = Path(
        "data/raw"
    ),
    schools: Annotated[int, typer.Option(help="Skolu skaits / number of schools.")] = 9,
    seed: Annotated[int, typer.Option(help="Nejaušības sēkla / random seed (same seed, same files).")] = 42,
    effect: Annotated[float, typer.Option(help="Iestādītais efekts / planted effect (grade points).")] = 0.6,
    scale: Annotated[
        str,
        typer.Option(help="small (messy demo), regional or national (one clean school year, streamed)."),
    ] = "small",
    months: Annotated[int | None, typer.Option(help="regional/national: only the first N months.")] = None,
    world: Annotated[
        str,
        typer.Option(
            help="small: baseline, school_effects, heterogeneous, term_trend vai/or dip (docs/sample-data.md)."
        ),
    ] = "baseline",
) -> None:
    """Izveido reālistiskus parauga datus / write a realistic, seeded sample of school exports."""
    if scale == "small":
        from pipelines.sample import write_sample
        from pipelines.sample.world import WORLDS

        if world not in WORLDS:
            err_console.print(f"--world: {', '.join(WORLDS)}")
            raise typer.Exit(2)
        summary: Any = write_sample(out, schools=schools, seed=seed, effect=effect, world_name=world)
    elif scale in SCALES:
        from pipelines.sample import write_national

        if world != "baseline":
            err_console.print("--world: tikai/only with --scale small")
            raise typer.Exit(2)

        n_schools, n_pupils = SCALES[scale]
        summary = write_national(out, schools=n_schools, pupils=n_pupils, seed=seed, effect=effect, months=months)
    else:
        err_console.print("--scale: small, regional vai/or national")
        raise typer.Exit(2)
    console.print(f"Parauga dati ierakstīti / sample written: {out}  {summary}")


# One command per stage of the registry (pipelines/stages.py), with the options the stage names.
STAGE_OPTIONS: dict[str, tuple[Any, Any]] = {
    "raw": (RawOpt, None),
    "demo_key": (DemoKeyOpt, False),
    "strict": (Annotated[bool, typer.Option(help="Kļūdas → izejas kods 3 / errors → exit code 3.")], False),
    "excel": (Annotated[bool, typer.Option(help="Arī .xlsx darbgrāmata / also an .xlsx workbook.")], False),
    "lang": (Annotated[str | None, typer.Option(help="lv vai en / lv or en.")], None),
    "withdraw_missing": (WithdrawOpt, False),
}
COMMON_OPTIONS: dict[str, tuple[Any, Any]] = {
    "out": (OutOpt, None),
    "warehouse": (WarehouseOpt, None),
    "params": (ParamsOpt, None),
}


def _stage_command(stage: Stage) -> Callable[..., None]:
    """`atbalsts <stage>`: runs that one stage, with --out/--warehouse/--params and its own options."""

    def command(**kwargs: Any) -> None:
        settings = _settings(kwargs.pop("params"), kwargs.pop("raw", None), kwargs.pop("out"), kwargs.pop("warehouse"))
        _guarded(settings, lambda: _run_stages(settings, (stage.name,), command=stage.name, out=Output(), **kwargs))

    names = [*(o for o in stage.options if o == "raw"), *COMMON_OPTIONS, *(o for o in stage.options if o != "raw")]
    options = COMMON_OPTIONS | STAGE_OPTIONS
    command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=options[n][0], default=options[n][1])
            for n in names
        ]
    )
    command.__doc__ = stage.help
    command.__name__ = stage.name
    return command


for _stage in STAGES:
    app.command(name=_stage.name, help=_stage.help)(_stage_command(_stage))


@app.command()
def run(
    raw: RawOpt = None,
    out: OutOpt = None,
    warehouse: WarehouseOpt = None,
    params: ParamsOpt = None,
    demo_key: DemoKeyOpt = False,
    strict: Annotated[bool, typer.Option(help="Datu kļūdas → izejas kods 3 / data errors → exit code 3.")] = False,
    no_reports: Annotated[bool, typer.Option("--no-reports", help="Bez HTML pārskatiem / skip the reports.")] = False,
    excel: Annotated[bool, typer.Option(help="Arī .xlsx darbgrāmata / also an .xlsx workbook.")] = False,
    lang: Annotated[str | None, typer.Option(help="Pārskatu valoda lv/en / report language.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Tikai kļūdas / errors only.")] = False,
    json_log: Annotated[bool, typer.Option("--json-log", help="JSON rindas plānotājiem / JSON lines.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Parāda posmus, neko nedara / list stages only.")] = False,
    withdraw_missing: WithdrawOpt = False,
) -> None:
    """Viss ikmēneša darbs vienā komandā / the whole monthly job, all stages in order."""
    settings = _settings(params, raw, out, warehouse)
    stages = tuple(s for s in NAMES if not (no_reports and s == "report"))
    if dry_run:
        console.print(" → ".join(stages))
        console.print(f"raw: {settings.raw_dir}  out: {settings.out_dir}  warehouse: {settings.warehouse}")
        return
    output = Output(quiet=quiet, json_log=json_log)
    _guarded(
        settings,
        lambda: _run_stages(
            settings,
            stages,
            command="run",
            out=output,
            demo_key=demo_key,
            excel=excel,
            lang=lang,
            strict=strict,
            withdraw_missing=withdraw_missing,
        ),
    )


@app.command()
def status(out: OutOpt = None, warehouse: WarehouseOpt = None, params: ParamsOpt = None) -> None:
    """Kas ielādēts, kas trūkst, pēdējā palaišana / what is loaded, what is missing, the last run."""
    from pipelines.status import render_status

    settings = _settings(params, None, out, warehouse)

    def show() -> int:
        holder = run_holder(settings.warehouse)
        try:
            con = open_warehouse(settings, read_only=True)
        except WarehouseLockedError:
            if holder is None:
                raise
            console.print(run_in_progress_message(settings.warehouse, holder), soft_wrap=True)
            return 0
        try:
            for block in render_status(con, run_in_progress=holder is not None):
                console.print(block)
        finally:
            con.close()
        return 0

    _guarded(settings, show)


@app.command()
def diff(
    run_a: Annotated[str, typer.Argument(help="Agrākā palaišana / the earlier run (run_id).")],
    run_b: Annotated[str, typer.Argument(help="Vēlākā palaišana / the later run (run_id).")],
    out: OutOpt = None,
    params: ParamsOpt = None,
    limit: Annotated[int, typer.Option(help="Cik rindas rādīt / rows to show (0: all).")] = 50,
) -> None:
    """Kas mainījās publicētajos failos starp divām palaišanām / what changed in the exports between two runs."""
    from pipelines.changes import diff_runs

    settings = _settings(params, None, out, None)

    def show() -> int:
        changes, summary = diff_runs(settings.history_dir, run_a, run_b)
        console.print(f"{summary.sentence('lv')}\n{summary.sentence('en')}", soft_wrap=True, markup=False)
        if changes:
            table = Table()
            for col in ("fails / file", "atslēga / key", "kolonna / column", "bija / old", "ir / new"):
                table.add_column(col, overflow="fold")
            for c in changes[: limit or None]:
                table.add_row(*(escape(v) for v in (c.file, c.key, c.column, c.old, c.new)))
            console.print(table)
            if limit and len(changes) > limit:
                console.print(f"… +{len(changes) - limit}")
        return 0

    _guarded(settings, show)


def main() -> None:  # pragma: no cover - console entry for `python -m pipelines`
    app(prog_name="atbalsts")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
