"""The CI-sized benchmark: the same script as BENCHMARKS.md at a tiny scale, with bounds generous enough for a busy
2-core machine yet far below what a stage that turned quadratic (or started a per-row Python loop) would need."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from pipelines.sample.national import write_national

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "run_benchmark.py"


def load_script():  # benchmarks/ is a folder of scripts, not part of the installed package
    spec = importlib.util.spec_from_file_location("run_benchmark", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_benchmark"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


bench = load_script()
Measure, Results, csv_groups, format_table = bench.Measure, bench.Results, bench.csv_groups, bench.format_table
run_benchmark, update_markdown = bench.run_benchmark, bench.update_markdown


@pytest.mark.slow
def test_ci_benchmark_within_generous_bounds(tmp_path: Path) -> None:
    results = run_benchmark("ci", tmp_path / "bench", stages=False, reports=False, increment=True)
    failed = [f"{m.name}: {m.note}" for m in results.measures if not m.ok]
    assert not failed, failed
    rows = sum(results.rows.values())
    assert rows > 100_000  # ~1,200 pupils × ~30 marks × 3 months
    floor = results.get("floor: duckdb read_csv")
    run = results.get("run --no-reports")
    increment = results.get("increment: run --no-reports")
    assert floor and run and increment
    # the run's own stage times (its --json-log events) are listed under it and add up to at most the run
    in_run = [results.get(f"run --no-reports › {stage}") for stage in bench.PIPELINE_STAGES]
    assert all(in_run) and 0 < sum(m.seconds for m in in_run) <= run.seconds
    assert "ingest…export (within the run)" in format_table(results)
    assert floor.seconds < 10
    # ~15 s here today, most of it interpreter and library start-up; 110k rows at n² would take hours.
    assert run.seconds < 60 and run.rows_per_s > 2_000
    assert run.seconds / floor.seconds < 300
    assert increment.seconds < 60
    assert run.peak_rss_mb < 3_000 and increment.peak_rss_mb < 3_000
    assert (tmp_path / "bench" / "results-ci.json").exists()


def test_floor_groups_files_by_kind_and_delimiter(tmp_path: Path) -> None:
    write_national(tmp_path, schools=2, pupils=1_000, months=1)
    groups = csv_groups(tmp_path)
    assert set(groups) == {
        (kind, delimiter, "utf-8")
        for kind in ("pupils", "plans", "consultations", "grades")
        for delimiter in (",", ";")
    } | {("schools", ";", "utf-8")}
    assert all(len(files) == 1 for key, files in groups.items())  # one school per dialect, one month


def test_markdown_section_replaced_other_text_kept(tmp_path: Path) -> None:
    results = Results("ci", {"schools": 1, "pupils": 2, "months": 1}, {
        "date": "2026-11-23 10:00", "platform": "Linux", "cpu": "cpu", "cores": "2", "memory_gb": "24",
        "python": "3.11", "duckdb": "2.0", "polars": "2.1",
    })  # fmt: skip
    results.rows = {"grades": 1000}
    results.measures = [Measure("floor: duckdb read_csv", 2.0, 1000, 100), Measure("stage: ingest", 5.0, 1000, 200)]
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Title\n\nnotes before\n\n<!-- results:ci -->\nold\n<!-- /results:ci -->\n\nafter\n")
    update_markdown(path, results)
    text = path.read_text()
    assert "old" not in text and text.startswith("# Title\n\nnotes before") and text.endswith("\n\nafter\n")
    assert "| stage: ingest | 5.0 | 1,000 | 200 | 200 | 2.5 |" in text
    assert "| ingest…export (sum of stages) | 5.0 |" in text
    assert "stage: ingest" in format_table(results)


def test_script_knows_the_generator_file_stems() -> None:
    from pipelines.sample.national import FILE_STEMS

    assert {stem: kind for kind, stem in FILE_STEMS.items()} | {"skolu_registrs": "schools"} == bench.KIND_OF_STEM
