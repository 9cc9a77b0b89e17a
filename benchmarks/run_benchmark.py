"""Benchmark atbalsts on generated data: the DuckDB floor, each stage, the whole run and a monthly increment.

    .venv/bin/python benchmarks/run_benchmark.py --scale regional --workdir /tmp/atbalsts-bench

Every measured command runs as its own process; wall time comes from the clock and peak memory
(RSS) from `os.wait4`, which reports the child's high-water mark (the largest process of its tree
that was waited for, so a notebook kernel counts when the report stage waits for it). The floor is
DuckDB's own `read_csv` of every raw file into a table, nothing else. Results go to stdout, to
`<workdir>/results-<scale>.json` and, unless `--no-markdown`, into this scale's section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make `pipelines` importable
    sys.path.insert(0, str(REPO))

SCALES: dict[str, dict[str, int]] = {
    "ci": {"schools": 4, "pupils": 1_200, "months": 3},
    "regional": {"schools": 60, "pupils": 22_000, "months": 9},
    # issue 18's regional set: few large schools, both dialects, a third of the schools in Windows-1257 with CRLF
    "regional-18k": {"schools": 6, "pupils": 18_000, "months": 9},
    "national": {"schools": 600, "pupils": 220_000, "months": 9},
}
PIPELINE_STAGES = ("ingest", "validate", "transform", "evaluate", "export")
MEMORY_LIMIT = "4GB"  # the floor's DuckDB limit (the floor streams; its numbers so far were taken at 4GB)
# pipelines.sample.national.FILE_STEMS (a test keeps them equal). The parent process imports neither duckdb nor
# polars: Linux reports a child's peak RSS as at least its parent's at fork, so the parent must stay small.
KIND_OF_STEM = {
    "skoleni": "pupils",
    "iap": "plans",
    "konsultacijas": "consultations",
    "vertejumi": "grades",
    "skolu_registrs": "schools",
}


@dataclass
class Measure:
    """One measured command: what, how long, how many input rows, peak memory."""

    name: str
    seconds: float
    rows: int
    peak_rss_mb: float
    ok: bool = True
    note: str = ""

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Results:
    scale: str
    sizes: dict[str, int]
    machine: dict[str, str]
    rows: dict[str, int] = field(default_factory=dict)
    increment_rows: dict[str, int] = field(default_factory=dict)
    measures: list[Measure] = field(default_factory=list)

    def get(self, name: str) -> Measure | None:
        return next((m for m in self.measures if m.name == name), None)

    @property
    def floor(self) -> float:
        m = self.get("floor: duckdb read_csv")
        return m.seconds if m else float("nan")

    @property
    def pipeline_seconds(self) -> float:
        """ingest + validate + transform + evaluate + export, stage by stage (each its own process)."""
        return sum(m.seconds for s in PIPELINE_STAGES if (m := self.get(f"stage: {s}")))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.floor_only:  # internal: the floor measured in a child process of its own
        raw, db = args.floor_only
        print(json.dumps(read_csv_floor(Path(raw), Path(db))))
        return 0
    if args.generate_only:  # internal: the generator in a child process of its own
        raw, schools, pupils, months, year = args.generate_only
        print(json.dumps(generate(Path(raw), int(schools), int(pupils), int(months), year)))
        return 0
    if args.runs:
        side = run_side_by_side(args.scale, Path(args.workdir), args.runs, args.baseline, args.code)
        print(format_side_by_side(side))
        if not args.no_markdown:
            update_side_by_side_markdown(Path(args.markdown), side)
            print(f"→ {args.markdown}")
        return 0 if side.ok else 1
    results = run_benchmark(
        args.scale,
        Path(args.workdir),
        stages=not args.no_stages,
        reports=not args.no_reports,
        increment=not args.no_increment,
        pipeline=not args.no_pipeline,
    )
    print(format_table(results))
    if not args.no_markdown:
        update_markdown(Path(args.markdown), results)
        print(f"→ {args.markdown}")
    return 0 if all(m.ok for m in results.measures) else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="atbalsts benchmark at ci, regional or national scale")
    p.add_argument("--scale", choices=sorted(SCALES), default="ci")
    p.add_argument("--workdir", default="/tmp/atbalsts-bench")
    p.add_argument("--markdown", default=str(REPO / "BENCHMARKS.md"))
    p.add_argument("--no-markdown", action="store_true", help="print only, leave BENCHMARKS.md alone")
    p.add_argument("--no-stages", action="store_true", help="skip the stage-by-stage pass (whole run only)")
    p.add_argument("--no-reports", action="store_true", help="skip the HTML reports")
    p.add_argument("--no-increment", action="store_true", help="skip the monthly increment")
    p.add_argument("--no-pipeline", action="store_true", help="generate and measure the floor only")
    p.add_argument(
        "--runs",
        type=int,
        default=0,
        help="side by side: N rounds of floor + run --no-reports + increment, min/median/max (issue 18)",
    )
    p.add_argument(
        "--baseline",
        help="with --runs: also run the code in this source folder (e.g. `git archive` of main) in each round",
    )
    p.add_argument(
        "--code", help="with --runs: run `this` from this source folder too (a snapshot: edits meanwhile don't count)"
    )
    p.add_argument("--floor-only", nargs=2, metavar=("RAW", "DB"), help=argparse.SUPPRESS)
    p.add_argument("--generate-only", nargs=5, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def run_benchmark(
    scale: str,
    workdir: Path,
    *,
    stages: bool = True,
    reports: bool = True,
    increment: bool = True,
    pipeline: bool = True,
) -> Results:
    """Generate → floor → stages → whole run (+ reports) → monthly increment, each measured."""
    size = SCALES[scale]
    if workdir.exists():
        shutil.rmtree(workdir)
    raw = workdir / "raw"
    results = Results(scale, dict(size), machine_info())

    generated = measure_generate(raw, size["schools"], size["pupils"], size["months"], "2025/2026")
    results.measures.append(generated)
    results.rows = json.loads(generated.note or "{}")
    generated.note = ""
    total = generated.rows

    results.measures.append(measure_floor(raw, workdir / "floor.duckdb", total))
    if not pipeline:
        save_json(workdir / f"results-{scale}.json", results)
        return results

    if stages:
        out = workdir / "out-stages"
        for stage in PIPELINE_STAGES:
            extra = ["--raw", str(raw), "--demo-key"] if stage == "ingest" else []
            results.measures.append(measure(f"stage: {stage}", [stage, "--out", str(out), *extra], total))
        if reports:
            results.measures.append(measure("stage: report", ["report", "--out", str(out)], total))

    out = workdir / "out-run"
    run_args = ["run", "--raw", str(raw), "--out", str(out), "--demo-key", "--no-reports", "--json-log"]
    results.measures.extend(measure_run("run --no-reports", run_args, total))
    if reports:
        results.measures.append(measure("report (after run)", ["report", "--out", str(out)], total))

    if increment:
        # September of the next school year: new rosters, plans, consultations and marks for one month.
        inc = measure_generate(raw, size["schools"], size["pupils"], 1, "2026/2027")
        results.increment_rows = json.loads(inc.note or "{}")
        inc_total = inc.rows
        results.measures.extend(measure_run("increment: run --no-reports", run_args, inc_total))
        if reports:
            results.measures.append(measure("increment: report", ["report", "--out", str(out)], inc_total))
    save_json(workdir / f"results-{scale}.json", results)
    return results


# --- measuring -----------------------------------------------------------------------------------


def atbalsts() -> str:
    """The console script next to this interpreter (the project's venv)."""
    candidate = Path(sys.executable).with_name("atbalsts")
    return str(candidate) if candidate.exists() else "atbalsts"


def measure(name: str, args: list[str], rows: int) -> Measure:
    """Run `atbalsts <args>` as a child process; wall time and the child's peak RSS."""
    seconds, rss, code, output = run_child([atbalsts(), *args])
    note = "" if code == 0 else f"exit {code}: {tail(output)}"
    return Measure(name, seconds, rows, rss, ok=code == 0, note=note)


def measure_run(name: str, args: list[str], rows: int) -> list[Measure]:
    """`atbalsts run --json-log`: the whole run, then each stage's time as the run itself logged it
    (`name › stage`; peak RSS is the run's, shown once). Cheaper than a separate stage-by-stage pass."""
    seconds, rss, code, output = run_child([atbalsts(), *args])
    note = "" if code == 0 else f"exit {code}: {tail(output)}"
    measures = [Measure(name, seconds, rows, rss, ok=code == 0, note=note)]
    for stage, stage_seconds in stage_times(output).items():
        measures.append(Measure(f"{name} › {stage}", stage_seconds, rows, 0.0))
    return measures


def run_child(cmd: list[str], code_path: str | None = None) -> tuple[float, float, int, str]:
    """(seconds, peak RSS in MB, exit code, captured output) of one child process; `code_path`: a
    source folder put first on its PYTHONPATH (another version of the code, run side by side)."""
    seconds, rss, code, output, _cpu = run_child_cpu(cmd, code_path)
    return seconds, rss, code, output


def run_child_cpu(cmd: list[str], code_path: str | None = None) -> tuple[float, float, int, str, float]:
    """run_child and the child's CPU seconds (user + system, all its threads): on a shared machine
    CPU time moves less with the other jobs than wall time does."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if code_path:
        env["PYTHONPATH"] = code_path
    started = time.perf_counter()
    with open(os.devnull, "rb") as stdin:
        proc = subprocess.Popen(
            cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=code_path or REPO
        )
        output = proc.stdout.read().decode("utf-8", errors="replace") if proc.stdout else ""
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    return seconds, usage.ru_maxrss / 1024, proc.returncode, output, usage.ru_utime + usage.ru_stime


def tail(text: str, lines: int = 5) -> str:
    return " | ".join(text.strip().splitlines()[-lines:])


def measure_generate(raw: Path, schools: int, pupils: int, months: int, year: str) -> Measure:
    """write_national in a child process; the rows per kind travel back in the note (JSON)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--generate-only", str(raw)]
    seconds, rss, code, output = run_child([*cmd, str(schools), str(pupils), str(months), year])
    name = f"generate {year} ({months} months)"
    if code != 0:
        return Measure(name, seconds, 0, rss, ok=False, note=tail(output))
    rows = json.loads(output.strip().splitlines()[-1])
    return Measure(name, seconds, sum(rows.values()), rss, note=json.dumps(rows))


def generate(raw: Path, schools: int, pupils: int, months: int, year: str) -> dict[str, int]:
    from pipelines.sample.national import write_national

    return write_national(raw, schools=schools, pupils=pupils, months=months, school_year=year).rows


def measure_floor(raw: Path, db: Path, rows: int) -> Measure:
    """The floor in its own process, so its peak RSS is its own."""
    return floor_with_cpu(raw, db, rows)[0]


def read_csv_floor(raw: Path, db: Path) -> dict[str, float | int]:
    """DuckDB's `read_csv` of every raw CSV into a table per kind and delimiter, all text, no pipeline logic."""
    import duckdb

    groups = csv_groups(raw)
    if db.exists():
        db.unlink()
    started = time.perf_counter()
    con = duckdb.connect(str(db))
    con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
    con.execute("set enable_progress_bar = false")
    rows = 0
    for (kind, delimiter, encoding), files in sorted(groups.items()):
        # DuckDB reads no Windows-1257: latin-1 reads the same bytes (mangling letters), which is the floor
        table = f"{kind}_{'semicolon' if delimiter == ';' else 'comma'}_{encoding.replace('-', '')}"
        con.execute(
            f"create table {table} as select * from read_csv(?, all_varchar = true, header = true, "
            f"delim = '{delimiter}', encoding = '{encoding}', union_by_name = false)",
            [[f.as_posix() for f in files]],
        )
        rows += int(con.execute(f"select count(*) from {table}").fetchall()[0][0])
    con.close()
    return {"seconds": time.perf_counter() - started, "rows": rows}


def csv_groups(raw: Path) -> dict[tuple[str, str, str], list[Path]]:
    """Raw CSVs grouped by kind (from the generator's file stem), delimiter (from the header line) and
    encoding (`utf-8`, or `latin-1` for a file that is not UTF-8: the benchmark's Windows-1257 files)."""
    out: dict[tuple[str, str, str], list[Path]] = {}
    for path in sorted(raw.rglob("*.csv")):
        stem = re.sub(r"_\d{4}(-\d{2,4})?(_\d+)?$", "", path.stem)
        kind = KIND_OF_STEM.get(stem)
        if kind is None:
            continue
        data = path.read_bytes()
        try:
            data.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "latin-1"
        header = data.split(b"\n", 1)[0].decode(encoding)
        delimiter = ";" if header.count(";") > header.count(",") else ","
        out.setdefault((kind, delimiter, encoding), []).append(path)
    return out


def machine_info() -> dict[str, str]:
    from importlib.metadata import version

    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "platform": platform.platform(),
        "cpu": cpu_name(),
        "cores": str(os.cpu_count()),
        "memory_gb": f"{mem_kb / 1024**2:.1f}",
        "python": platform.python_version(),
        "duckdb": version("duckdb"),
        "polars": version("polars"),
    }


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


# --- side by side (issue 18) ----------------------------------------------------------------------

TARGETS = {  # issue 18's targets (the increment's is national: one new month of 600 schools)
    "`run --no-reports` / floor": "≤ 3×",
    "monthly increment (one new month of files), s": "< 60 s (national)",
    "peak RSS, run (GB)": "< 4",
    "peak RSS, increment (GB)": "< 4",
}


@dataclass
class Round:
    """One round: the floor, then each code's whole run and its monthly increment, back to back."""

    floor: float
    increment_floor: float
    floor_cpu: float = 0.0  # CPU seconds of the floor's process (interpreter start-up included)
    runs: dict[str, dict[str, float]] = field(default_factory=dict)  # code -> measure -> seconds or MB


@dataclass
class SideBySide:
    scale: str
    sizes: dict[str, int]
    machine: dict[str, str]
    files: int = 0
    megabytes: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    increment_rows: dict[str, int] = field(default_factory=dict)
    cp1257_files: int = 0
    rounds: list[Round] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def codes(self) -> list[str]:
        return sorted(self.rounds[0].runs, key=lambda c: c != "baseline") if self.rounds else []


def run_side_by_side(
    scale: str, workdir: Path, runs: int, baseline: str | None = None, code: str | None = None
) -> SideBySide:
    """Generate the year and its next month once; then `runs` rounds of: the floor of the year, and
    for each code (this checkout, and `baseline` if given) `run --no-reports` on a fresh warehouse,
    then the next month's files added and `run --no-reports` again (the monthly increment), then the
    floor of that month's files. Each round's ratios are to that round's floor: on a shared machine
    only numbers measured side by side compare."""
    size = SCALES[scale]
    if workdir.exists():
        shutil.rmtree(workdir)
    year, month = workdir / "year", workdir / "next-month"
    side = SideBySide(scale, dict(size), machine_info())
    for folder, months, school_year in ((year, size["months"], "2025/2026"), (month, 1, "2026/2027")):
        generated = measure_generate(folder, size["schools"], size["pupils"], months, school_year)
        if not generated.ok:
            side.failures.append(f"generate {school_year}: {generated.note}")
            return side
        counted = json.loads(generated.note or "{}")
        if folder == year:
            side.rows = counted
        else:
            side.increment_rows = counted
    if scale == "regional-18k":
        side.cp1257_files = to_cp1257(year, every=3) + to_cp1257(month, every=3)
    files = [f for f in year.rglob("*") if f.is_file()]
    side.files, side.megabytes = len(files), sum(f.stat().st_size for f in files) / 1e6
    codes = {"this": code} if not baseline else {"baseline": baseline, "this": code}
    for number in range(runs):
        floor, cpu = floor_with_cpu(year, workdir / "floor.duckdb", sum(side.rows.values()))
        inc_floor, _ = floor_with_cpu(month, workdir / "floor.duckdb", sum(side.increment_rows.values()))
        if not (floor.ok and inc_floor.ok):
            side.failures.append(f"round {number + 1} floor: {floor.note or inc_floor.note}")
        one = Round(floor.seconds, inc_floor.seconds, floor_cpu=cpu)
        order = list(codes.items()) if number % 2 == 0 else list(reversed(codes.items()))  # neither always first
        for code, source in order:
            one.runs[code] = run_round(workdir / f"round-{number + 1}-{code}", year, month, source, side.failures)
        side.rounds.append(one)
        save_json(workdir / f"side-by-side-{scale}.json", side)
    return side


def floor_with_cpu(raw: Path, db: Path, rows: int) -> tuple[Measure, float]:
    """measure_floor, and the CPU seconds of its process (interpreter start-up included)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--floor-only", str(raw), str(db)]
    seconds, rss, code, output, cpu = run_child_cpu(cmd)
    if code != 0:
        return Measure("floor: duckdb read_csv", seconds, rows, rss, ok=False, note=tail(output)), cpu
    loaded = json.loads(output.strip().splitlines()[-1])
    note = "" if loaded["rows"] == rows else f"read {loaded['rows']} rows, generator wrote {rows}"
    return Measure("floor: duckdb read_csv", loaded["seconds"], rows, rss, ok=not note, note=note), cpu


def run_round(folder: Path, year: Path, month: Path, source: str | None, failures: list[str]) -> dict[str, float]:
    """`run --no-reports` of one code on a fresh warehouse, then the increment; its raw folder holds
    hard links to the generated files (same bytes and mtimes, nothing copied)."""
    raw, out = folder / "raw", folder / "out"
    shutil.copytree(year, raw, copy_function=os.link)
    args = ["run", "--raw", str(raw), "--out", str(out), "--demo-key", "--no-reports", "--json-log"]
    found: dict[str, float] = {}
    for label in ("run", "increment"):
        if label == "increment":
            shutil.copytree(month, raw, copy_function=os.link, dirs_exist_ok=True)
        seconds, rss, code, output, cpu = run_child_cpu([*command(source), *args], code_path=source)
        if code != 0:
            failures.append(f"{folder.name} {label}: exit {code}: {tail(output)}")
        found[label] = seconds
        found[f"{label} rss"] = rss
        found[f"{label} cpu"] = cpu
        for stage, stage_seconds in stage_times(output).items():
            found[f"{label} › {stage}"] = stage_seconds
    shutil.rmtree(folder)
    return found


def command(source: str | None) -> list[str]:
    """This checkout's console script, or the CLI of another source folder with this interpreter."""
    if source is None:
        return [atbalsts()]
    return [sys.executable, "-c", "import sys; from pipelines.cli import app; sys.argv[0] = 'atbalsts'; app()"]


def stage_times(output: str) -> dict[str, float]:
    """Each stage's seconds as the run logged them (its `--json-log` events), in the order it ran them:
    the one reading of them, for measure_run and run_round."""
    times: dict[str, float] = {}
    for line in output.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("event") == "stage":
            times[event["name"]] = float(event["seconds"])
    return times


def to_cp1257(raw: Path, every: int) -> int:
    """Every `every`-th school folder (and nothing else) rewritten as Windows-1257 with CRLF line
    ends, as older school systems write: a mixed set, like real deliveries. Returns the files."""
    folders = sorted(p for p in raw.iterdir() if p.is_dir())
    changed = 0
    for folder in folders[every - 1 :: every]:
        for path in sorted(folder.rglob("*.csv")):
            stat = path.stat()
            text = path.read_text(encoding="utf-8")
            path.write_bytes(text.replace("\r\n", "\n").replace("\n", "\r\n").encode("cp1257"))
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
            changed += 1
    return changed


def spread(values: list[float], unit: str = "", digits: int = 1) -> str:
    """min / median / max (one value alone when there is one)."""
    if not values:
        return ""
    low, mid, high = min(values), statistics.median(values), max(values)
    if len(values) == 1:
        return f"{mid:.{digits}f}{unit}"
    return f"{low:.{digits}f} / {mid:.{digits}f} / {high:.{digits}f}{unit}"


def side_rows(side: SideBySide) -> list[tuple[str, ...]]:
    """(measure, one column per code) in issue 18's shape: ratios to the same round's floor, seconds, peak RSS."""
    rounds = side.rounds

    def per(code: str, name: str) -> list[float]:
        return [r.runs[code][name] for r in rounds if name in r.runs.get(code, {})]

    def ratio(code: str, name: str, floor: str = "floor") -> list[float]:
        return [r.runs[code][name] / getattr(r, floor) for r in rounds if name in r.runs.get(code, {})]

    stages = sorted({k.split(" › ")[1] for r in rounds for v in r.runs.values() for k in v if k.startswith("run › ")},
                    key=lambda s: PIPELINE_STAGES.index(s) if s in PIPELINE_STAGES else 99)  # fmt: skip
    lines: list[tuple[str, ...]] = [
        ("floor: DuckDB `read_csv` of the year, s", *(spread([r.floor for r in rounds]) for _ in side.codes)),
        ("`run --no-reports` / floor", *(spread(ratio(c, "run"), "×") for c in side.codes)),
        ("`run --no-reports`, s", *(spread(per(c, "run")) for c in side.codes)),
    ]
    for stage in stages:
        lines.append((f"› {stage} / floor", *(spread(ratio(c, f"run › {stage}"), "×") for c in side.codes)))
        if stage == "ingest":
            lines.append(("› ingest, s", *(spread(per(c, "run › ingest")) for c in side.codes)))
    lines += [
        ("monthly increment (one new month of files), s", *(spread(per(c, "increment")) for c in side.codes)),
        ("› increment ingest, s", *(spread(per(c, "increment › ingest")) for c in side.codes)),
        (
            "increment / floor of the month's files",
            *(spread(ratio(c, "increment", "increment_floor"), "×") for c in side.codes),
        ),
        ("CPU s (all threads): floor", *(spread([r.floor_cpu for r in rounds]) for _ in side.codes)),
        (
            "CPU s: `run --no-reports` / floor",
            *(
                spread(
                    [
                        r.runs[c]["run cpu"] / r.floor_cpu
                        for r in rounds
                        if "run cpu" in r.runs.get(c, {}) and r.floor_cpu
                    ],
                    "×",
                )
                for c in side.codes
            ),
        ),
        ("peak RSS, run (GB)", *(spread([v / 1024 for v in per(c, "run rss")], digits=2) for c in side.codes)),
        (
            "peak RSS, increment (GB)",
            *(spread([v / 1024 for v in per(c, "increment rss")], digits=2) for c in side.codes),
        ),
    ]
    return lines


def side_header(side: SideBySide) -> str:
    m, size = side.machine, side.sizes
    rounds = len(side.rounds)
    return (
        f"Scale `{side.scale}`: {size['schools']} schools, {size['pupils']:,} pupils, {size['months']} months; "
        f"the year in {side.files} files, {side.megabytes:,.0f} MB ({side.cp1257_files} files of the year and "
        f"the next month in Windows-1257 with CRLF). Input rows: {counts(side.rows)}; "
        f"next month: {counts(side.increment_rows)}. "
        f"{rounds} round{'s' if rounds != 1 else ''} measured {m['date']} on {m['cpu']}, {m['cores']} cores, "
        f"{m['memory_gb']} GB RAM; Python {m['python']}, DuckDB {m['duckdb']}, polars {m['polars']}. "
        "Each cell: min / median / max over the rounds; each ratio is to the floor of its own round."
    )


def format_side_by_side(side: SideBySide) -> str:
    head = ("measure", *side.codes)
    rows = [head, *side_rows(side)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [side_header(side)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines + [f"  ✗ {f}" for f in side.failures])


def update_side_by_side_markdown(path: Path, side: SideBySide) -> None:
    """This scale's side-by-side section (between its markers) replaced; the rest of the file kept."""
    head = ("measure", *(f"{c} (min / median / max)" for c in side.codes), "target")
    lines = [side_header(side), "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join((*r, TARGETS.get(r[0], ""))) + " |" for r in side_rows(side)]
    lines += [f"- ✗ {f}" for f in side.failures]
    begin, end = f"<!-- side-by-side:{side.scale} -->", f"<!-- /side-by-side:{side.scale} -->"
    block = f"{begin}\n" + "\n".join(lines) + f"\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


# --- reporting -----------------------------------------------------------------------------------


def rows_of(results: Results) -> list[tuple[str, str, str, str, str, str]]:
    """(what, seconds, rows, rows/s, peak RSS MB, × floor) per measure, plus the pipeline total."""
    floor = results.floor
    out = []
    for m in results.measures:
        ratio = (
            f"{m.seconds / floor:.1f}"
            if floor == floor and floor > 0 and m.name.startswith(("stage", "run", "report"))
            else ""
        )
        status = "" if m.ok else " ✗"
        out.append((m.name + status, f"{m.seconds:.1f}", f"{m.rows:,}", f"{m.rows_per_s:,.0f}",
                    f"{m.peak_rss_mb:,.0f}" if m.peak_rss_mb else "", ratio))  # fmt: skip
    in_run = [results.get(f"run --no-reports › {stage}") for stage in PIPELINE_STAGES]
    run = results.get("run --no-reports")
    if all(in_run) and run is not None:
        total = sum(m.seconds for m in in_run if m is not None)
        rows = sum(results.rows.values())
        out.append(("ingest…export (within the run)", f"{total:.1f}", f"{rows:,}", f"{rows / total:,.0f}",
                    f"{run.peak_rss_mb:,.0f}", f"{total / floor:.1f}"))  # fmt: skip
    if results.get("stage: ingest"):
        total = results.pipeline_seconds
        peak = max(m.peak_rss_mb for m in results.measures if m.name.startswith("stage") and m.name != "stage: report")
        rows = sum(results.rows.values())
        out.append(("ingest…export (sum of stages)", f"{total:.1f}", f"{rows:,}", f"{rows / total:,.0f}",
                    f"{peak:,.0f}", f"{total / floor:.1f}"))  # fmt: skip
    return out


HEADERS = ("what", "seconds", "input rows", "rows/s", "peak RSS MB", "× floor")


def format_table(results: Results) -> str:
    rows = [HEADERS, *rows_of(results)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    lines = [f"atbalsts benchmark — scale {results.scale} {results.sizes}"]
    for r in rows:
        lines.append(
            "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        )
    notes = [f"  ✗ {m.name}: {m.note}" for m in results.measures if m.note]
    return "\n".join(lines + notes)


def markdown_section(results: Results) -> str:
    m = results.machine
    size = results.sizes
    rows = results.rows
    lines = [
        f"### Scale `{results.scale}`: {size['schools']} schools, {size['pupils']:,} pupils, {size['months']} months",
        "",
        f"Measured {m['date']} on {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, {m['platform']}; "
        f"Python {m['python']}, DuckDB {m['duckdb']}, polars {m['polars']}.",
        "",
        f"Input rows: {counts(rows)}"
        + (f"; increment: {counts(results.increment_rows)}" if results.increment_rows else ""),
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "---|" * len(HEADERS),
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows_of(results)]
    notes = [f"- ✗ {m.name}: {m.note}" for m in results.measures if m.note]
    return "\n".join(lines + (["", *notes] if notes else []))


def counts(rows: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in rows.items())


def update_markdown(path: Path, results: Results) -> None:
    """Replace this scale's section between its markers; everything else in the file stays as written."""
    begin, end = f"<!-- results:{results.scale} -->", f"<!-- /results:{results.scale} -->"
    block = f"{begin}\n{markdown_section(results)}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def save_json(path: Path, results: Results | SideBySide) -> None:
    data = asdict(results)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
