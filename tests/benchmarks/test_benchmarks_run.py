"""The CI-sized benchmark: the same script as BENCHMARKS.md at a tiny scale, with bounds generous enough for a busy
2-core machine yet far below what a stage that turned quadratic (or started a per-row Python loop) would need."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import run_benchmark as bench
from pipelines.sample.national import write_national

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
    # ~15 s alone, most of it interpreter and library start-up; 110k rows at n² would take hours. The
    # bounds are loose because `make test` runs two test workers on two cores, so the run shares a core.
    assert run.seconds < 120 and run.rows_per_s > 1_000
    assert run.seconds / floor.seconds < 300
    assert increment.seconds < 120
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


def test_side_by_side_section_ratios_per_round(tmp_path: Path) -> None:
    """Each ratio is to its own round's floor; cells are min / median / max; the section is replaced in place."""
    side = bench.SideBySide("ci", {"schools": 1, "pupils": 2, "months": 1}, {
        "date": "2026-11-29 01:00", "platform": "Linux", "cpu": "cpu", "cores": "2", "memory_gb": "24",
        "python": "3.11", "duckdb": "2.0", "polars": "2.1",
    })  # fmt: skip
    for floor, run in ((2.0, 10.0), (4.0, 12.0), (1.0, 9.0)):
        side.rounds.append(bench.Round(floor, 1.0, floor_cpu=floor, runs={
            "baseline": {"run": run * 2, "run › ingest": run, "run cpu": run, "run rss": 1024.0,
                         "increment": 5.0, "increment rss": 2048.0},
            "this": {"run": run, "run › ingest": run / 2, "run cpu": run / 2, "run rss": 1024.0,
                     "increment": 4.0, "increment rss": 2048.0},
        }))  # fmt: skip
    rows = {r[0]: r[1:] for r in bench.side_rows(side)}
    assert side.codes == ["baseline", "this"]
    assert rows["`run --no-reports` / floor"] == ("6.0 / 10.0 / 18.0×", "3.0 / 5.0 / 9.0×")
    assert rows["› ingest / floor"] == ("3.0 / 5.0 / 9.0×", "1.5 / 2.5 / 4.5×")
    assert rows["peak RSS, increment (GB)"] == ("2.00 / 2.00 / 2.00", "2.00 / 2.00 / 2.00")
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# B\n\n<!-- side-by-side:ci -->\nold\n<!-- /side-by-side:ci -->\nafter\n")
    bench.update_side_by_side_markdown(path, side)
    text = path.read_text()
    assert "old" not in text and text.endswith("\nafter\n")
    assert "| `run --no-reports` / floor | 6.0 / 10.0 / 18.0× | 3.0 / 5.0 / 9.0× | ≤ 3× |" in text


def test_cp1257_schools_keep_their_mtime(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.csv").write_text("Vārds;Klase\nĀris;5.a\n", encoding="utf-8")
    before = (tmp_path / "c" / "x.csv").stat().st_mtime_ns
    assert bench.to_cp1257(tmp_path, every=3) == 1
    assert (tmp_path / "c" / "x.csv").read_bytes() == "Vārds;Klase\r\nĀris;5.a\r\n".encode("cp1257")
    assert (tmp_path / "c" / "x.csv").stat().st_mtime_ns == before
    assert (tmp_path / "a" / "x.csv").read_text(encoding="utf-8").startswith("Vārds")
    assert csv_groups(tmp_path) == {}  # not a generator stem: nothing for the floor


def test_stage_times_are_read_from_the_runs_json_log_events_only() -> None:
    """measure_run and run_round both read the stages' seconds this way (bench.stage_times)."""
    output = "\n".join(
        [
            "Ielādē / loading 3 files",
            '{"event": "stage", "name": "ingest", "seconds": 1.5, "counts": {"rows": 10}}',
            '{"event": "run", "name": "run", "seconds": 9.0}',
            "[1, 2]",
            '{"event": "stage", "name": "validate", "seconds": 2}',
            "{not json",
        ]
    )
    assert bench.stage_times(output) == {"ingest": 1.5, "validate": 2.0}
    assert list(bench.stage_times(output)) == ["ingest", "validate"]
