"""The stage registry drives the command line, the run loop and the stamps."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines import stages
from pipelines.cli import app
from pipelines.config import Settings
from pipelines.runner import run_stages
from pipelines.stamps import stage_tables

FLAGS = {
    "raw": "--raw",
    "demo_key": "--demo-key",
    "strict": "--strict",
    "excel": "--excel",
    "lang": "--lang",
    "withdraw_missing": "--withdraw-missing",
}


@pytest.mark.parametrize("stage", stages.STAGES, ids=stages.NAMES)
def test_every_stage_is_a_command_with_its_own_options(stage: stages.Stage) -> None:
    result = CliRunner().invoke(app, [stage.name, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert stage.help.split(" / ")[0] in result.output
    shown = {flag for flag in FLAGS.values() if flag in result.output}
    assert shown == {FLAGS[o] for o in stage.options}
    assert {"--out", "--warehouse", "--params"} <= set(result.output.split())


def test_the_graph_follows_the_tables() -> None:
    by = stages.BY_NAME
    assert [s.name for s in stages.upstream(by["export"])] == ["transform", "evaluate"]
    assert [s.name for s in stages.upstream(by["report"])] == ["ingest", "validate", "transform", "evaluate"]
    assert stages.owner_of("marts.effectiveness") is by["evaluate"]
    assert stages.owner_of("core.grades") is by["transform"]


def test_stamps_checksum_the_tables_the_registry_names() -> None:
    con = duckdb.connect()
    con.execute("create schema marts; create table marts.a (x int); create table marts.b (x int)")
    assert stage_tables(con, "evaluate") == ("marts.a", "marts.b")
    assert stage_tables(con, "transform") == stages.BY_NAME["transform"].owns
    assert stage_tables(con, "report") == ()


def test_the_runner_runs_the_registry_and_records_its_counts(tmp_path: Path, monkeypatch) -> None:
    """A stage's run function is called with the run's connection and context; its counts reach meta.runs,
    and a stage that refreshes the summary gets run_summary.json rewritten by the runner."""
    seen = []

    def fake(con, ctx):
        seen.append((con is not None, ctx.options.get("excel")))
        ctx.summary["changes"] = {"cells_changed": 2}
        return {"files": 7}

    monkeypatch.setitem(stages.BY_NAME, "export", replace(stages.BY_NAME["export"], run=fake))
    settings = Settings(out_dir=tmp_path / "out")
    assert run_stages(settings, ("export",), command="export", excel=True) == 0
    assert seen == [(True, True)]
    summary = settings.run_summary_path.read_text(encoding="utf-8")
    assert '"cells_changed": 2' in summary
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    assert con.execute("select command, outcome, stage_counts from meta.runs").fetchall()[0][:2] == (
        "export",
        "completed",
    )
    con.close()
