"""Coverage study: do the evaluation's 95 % intervals contain the planted effect, and does the placebo warn?

For each world of the sample generator (docs/sample-data.md, "Worlds") × number of schools × seed:
simulate() → core tables in an in-memory DuckDB → the stage's own analysis rows and matching
(pipelines.evaluate.load_analysis / analysis_rows / match_within_strata) → the headline (ALL) cell,
estimated once per interval method (estimate.INTERVAL_METHODS) with the stage's code: estimate_cell
for the effect and its interval, diagnose_cell for placebo A/B and `design_warning` with the SAME
method's intervals (what marts.effectiveness_detail publishes when evaluate.interval_method names
that method). Replicate methods get their draws for the ALL cell only (the costly part of the stage).

Per world × schools × method it reports bias, empirical SD, mean SE, SD/SE, coverage of the
planted average effect on the matched supported, and the placebo warning rate.

    .venv/bin/python -m benchmarks.coverage --worlds baseline dip --schools 6 9 12 --seeds 30 \\
        --jsonl benchmarks/coverage-runs.jsonl          # appends one line per seed (resumable)
    .venv/bin/python -m benchmarks.coverage --summarise benchmarks/coverage-runs.jsonl   # → COVERAGE.md

Runs on at most 2 worker processes (the machine is shared).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from contextlib import nullcontext
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.config import Settings
from pipelines.evaluate.bootstrap import bootstrap_statistics, replicate_count
from pipelines.evaluate.cells import cell_frames
from pipelines.evaluate.diagnostics import diagnose_cell
from pipelines.evaluate.estimate import estimate_cell
from pipelines.evaluate.matching import match_within_strata
from pipelines.evaluate.stage import CELL_KEYS, analysis_rows, load_analysis
from pipelines.marts import INTERVAL_METHODS, SCHOOL_JACKKNIFE
from pipelines.sample import simulate
from pipelines.sample.core import core_connection, simulation_frames
from pipelines.sample.world import WORLDS

OUT = Path(__file__).with_name("COVERAGE.md")
HEADLINE = [()]  # only the grand total (ALL × ALL × ALL × ALL)


# --- one seed ---------------------------------------------------------------------------------------


def run_seed(world: str, schools: int, seed: int, effect: float, replicates: int, methods: list[str]) -> dict:
    """The headline cell of one simulated world under every interval method."""
    started = time.perf_counter()
    sim = simulate(schools=schools, seed=seed, effect=effect, world_name=world)
    con = core_connection(simulation_frames(sim))
    base = Settings()
    settings = replace(base, evaluate=replace(base.evaluate, bootstrap_replicates=replicates))
    cfg = settings.evaluate
    _, episodes, candidates, outcomes = load_analysis(con, settings)
    con.close()
    sample = analysis_rows(episodes, candidates, outcomes, cfg)
    pairs = match_within_strata(sample, caliper_sd=cfg.caliper_sd, n_matches=cfg.n_matches)
    _, sizes, frame = next(cell_frames(sample, pairs, list(CELL_KEYS), HEADLINE))
    truth = true_effects(sim.episodes, frame, sample)
    out = {"world": world, "schools": schools, "seed": seed, "planted": effect, **truth, "methods": {}}
    out["n_pupils"] = frame.filter(pl.col("treated"))["pupil_id"].n_unique()
    out["n_supported_total"] = sizes["n_supported_in_sample"]
    draws_by_scheme: dict[str, tuple[dict, int]] = {}
    for method in methods:
        t0 = time.perf_counter()
        draws, count = None, 0
        if method in ("school_bootstrap", SCHOOL_JACKKNIFE):
            scheme = "jackknife" if method == SCHOOL_JACKKNIFE else "bootstrap"
            if scheme not in draws_by_scheme:
                count = replicate_count(sample, scheme=scheme, replicates=replicates)
                stats = bootstrap_statistics(
                    sample, CELL_KEYS, replicates=replicates, seed=cfg.seed, caliper_sd=cfg.caliper_sd,
                    n_matches=cfg.n_matches, min_supported=cfg.min_supported_for_estimate, sets=HEADLINE,
                    scheme=scheme,
                )  # fmt: skip
                draws_by_scheme[scheme] = ({name: d.get(("ALL",) * 4) for name, d in stats.items()}, count)
            draws, count = draws_by_scheme[scheme]
        est = estimate_cell(
            frame,
            min_supported=cfg.min_supported_for_estimate,
            boot_draws=None if draws is None else draws.get("effect"),
            boot_replicates=count,
            naive_change=sizes.get("naive_change_all"),
            interval_method=method,
        )
        diag = diagnose_cell(
            frame,
            est,
            min_supported=cfg.min_supported_for_estimate,
            draws=draws,
            replicates=count,
            interval_method=method,
        )
        out["methods"][method] = {
            "effect": est.effect,
            "se": est.se,
            "ci_low": est.ci_low,
            "ci_high": est.ci_high,
            "interval_method": est.interval_method,
            "placebo_effect": diag["placebo_effect"],
            "placebo_ci_low": diag["placebo_ci_low"],
            "placebo_ci_high": diag["placebo_ci_high"],
            "design_warning": diag["design_warning"],
            "seconds": time.perf_counter() - t0,
        }
        out["naive_change"] = est.naive_change
        out["n_clusters"] = est.n_clusters
    out["seconds"] = time.perf_counter() - started
    return out


def true_effects(episodes: pl.DataFrame, frame: pl.DataFrame, sample: pl.DataFrame) -> dict[str, float | None]:
    """The planted effect averaged over the supported rows of the matched headline, and over all
    supported rows with a baseline and an outcome (episodes.true_effect, the generator's truth)."""
    truth = (
        sample.filter(pl.col("treated"))
        .select("key", "pupil_id", "subject")
        .join(episodes.select("pupil_id", "subject", "true_effect"), on=["pupil_id", "subject"])
        .select("key", "true_effect")
    )

    def mean_of(rows: pl.DataFrame) -> float | None:
        joined = rows.filter(pl.col("treated")).select("key").join(truth, on="key")
        return float(joined["true_effect"].mean()) if joined.height else None

    return {"att_matched": mean_of(frame), "att_all_supported": mean_of(sample)}


# --- summaries --------------------------------------------------------------------------------------


def load_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def target_of(rows: list[dict]) -> float:
    """The estimand: the planted average effect on the matched supported, in expectation over seeds.

    It is the planted `effect` wherever every supported pupil has the same expected effect (baseline,
    term_trend, dip, and school_effects, whose school multipliers average 1); with a heterogeneous
    effect it depends on who is matched, so its Monte Carlo mean over the seeds is used.
    """
    if rows[0]["world"] == "heterogeneous":
        return float(np.mean([r["att_matched"] for r in rows]))
    return float(rows[0]["planted"])


def summarise(rows: list[dict]) -> list[dict]:
    """One line per world × schools × method."""
    lines = []
    groups = sorted({(r["world"], r["schools"]) for r in rows}, key=lambda k: (WORLDS.index(k[0]), k[1]))
    for world, schools in groups:
        part = sorted((r for r in rows if r["world"] == world and r["schools"] == schools), key=lambda r: r["seed"])
        target = target_of(part)
        att_all = float(np.mean([r["att_all_supported"] for r in part]))
        methods = [m for m in INTERVAL_METHODS if all(m in r["methods"] for r in part)]
        for method in methods:
            cells = [r["methods"][method] for r in part]
            ok = [c for c in cells if c["effect"] is not None]
            est = np.array([c["effect"] for c in ok])
            se = np.array([c["se"] for c in ok if c["se"] is not None])
            with_ci = [c for c in ok if c["ci_low"] is not None]
            cover = np.array([c["ci_low"] <= target <= c["ci_high"] for c in with_ci])
            warn = [c["design_warning"] for c in cells if c["design_warning"] is not None]
            sd = float(np.std(est, ddof=1)) if len(est) > 1 else math.nan
            fallback = sum(c["interval_method"] != method for c in ok)
            lines.append(
                {
                    "world": world,
                    "schools": schools,
                    "method": method,
                    "seeds": len(part),
                    "target": target,
                    "bias": float(est.mean() - target),
                    "bias_vs_all_supported": float(est.mean() - att_all),
                    "sd": sd,
                    "mean_se": float(se.mean()) if len(se) else math.nan,
                    "sd_over_se": sd / float(se.mean()) if len(se) else math.nan,
                    "coverage": float(cover.mean()) if len(cover) else math.nan,
                    "warning_rate": float(np.mean(warn)) if warn else math.nan,
                    "fallbacks": fallback,
                    "seconds": float(np.mean([c["seconds"] for c in cells])),
                }
            )
    return lines


def fmt(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


COLUMNS = [
    "world", "schools", "method", "seeds", "target", "bias", "bias_vs_all_supported", "sd", "mean_se", "sd_over_se",
    "coverage", "warning_rate", "fallbacks", "seconds",
]  # fmt: skip


def table(lines: list[dict], columns: list[str]) -> list[str]:
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return out + ["| " + " | ".join(fmt(line[c]) for c in columns) + " |" for line in lines]


def overview(lines: list[dict]) -> list[dict]:
    """Per method × schools: means over the worlds where the design holds, and the dip world's warning rate."""
    out = []
    for method in dict.fromkeys(line["method"] for line in lines):
        for schools in sorted({line["schools"] for line in lines}):
            held = [x for x in lines if x["method"] == method and x["schools"] == schools and x["world"] != "dip"]
            dip = [x for x in lines if x["method"] == method and x["schools"] == schools and x["world"] == "dip"]
            if not held:
                continue
            out.append(
                {
                    "method": method,
                    "schools": schools,
                    "coverage_min": min(x["coverage"] for x in held),
                    "coverage_mean": float(np.mean([x["coverage"] for x in held])),
                    "sd_over_se_mean": float(np.mean([x["sd_over_se"] for x in held])),
                    "false_warning_mean": float(np.mean([x["warning_rate"] for x in held])),
                    "false_warning_max": max(x["warning_rate"] for x in held),
                    "dip_warning": dip[0]["warning_rate"] if dip else math.nan,
                    "seconds": float(np.mean([x["seconds"] for x in held])),
                }
            )
    return out


OVERVIEW_COLUMNS = [
    "method", "schools", "coverage_min", "coverage_mean", "sd_over_se_mean", "false_warning_mean", "false_warning_max",
    "dip_warning", "seconds",
]  # fmt: skip


def markdown(lines: list[dict], rows: list[dict], command: str) -> str:
    seeds = max(line["seeds"] for line in lines)
    mc_se = math.sqrt(0.95 * 0.05 / seeds)
    per_seed = float(np.mean([r["seconds"] for r in rows]))
    replicates = rows[0].get("replicates", "?")
    return "\n".join(
        [
            "# Interval coverage of the effectiveness headline (ALL cell), by world and method",
            "",
            "Runs: `python -m benchmarks.coverage --schools 6 9 12 --seeds 30 --jsonl benchmarks/coverage-runs.jsonl`"
            " (one JSON line per seed, resumable: a larger `--seeds` adds only the missing ones); table:",
            f"`{command}`: seeds 1…{seeds} of `simulate()` per world and school count, planted "
            f"effect {rows[0]['planted']}, the school bootstrap with {replicates} replicates; "
            f"mean time per seed for all methods together {per_seed:.1f} s on a shared 2-core machine.",
            "",
            f"The stage's default interval (`evaluate.interval_method`) is `{Settings().evaluate.interval_method}`, "
            "chosen on these tables (docs/method.md, the section on intervals).",
            "",
            "- **target**: the planted average effect on the matched supported (the estimand of the matched",
            "  estimator): the planted effect, except in `heterogeneous`, where it is the mean over seeds of",
            "  the planted effect averaged over the matched supported pupil-subjects (the caliper drops the",
            "  weakest, whose effect is largest); `bias_vs_all_supported` compares with the average over all",
            "  supported with a baseline and an outcome instead.",
            "- **sd** = empirical SD of the estimates over seeds; **mean_se** = mean reported SE (for the wild",
            "  bootstrap: the interval's half-width / t(G−1)); **coverage** = share of 95 % intervals containing",
            f"  the target (Monte Carlo SE of a true 0.95 with {seeds} seeds: {mc_se:.3f}); **warning_rate** =",
            "  share of seeds where placebo A or B (with the same method's intervals) raised `design_warning`",
            "  (diagnostics.warning_reasons, as marts.effectiveness_detail publishes it); **fallbacks** = seeds",
            "  where the method could not be applied and CR1 was used; **seconds** = mean time of the method",
            "  (replicate draws, estimate and diagnostics) per seed.",
            "- Methods (pipelines/evaluate/intervals.py): `school_bootstrap` (re-runs the matching, SD of",
            "  replicates, t(G−1)); `school_jackknife` (leave one school out, re-match, t(G−1));",
            "  `cluster_robust` (CR1, t(G−1)); `cr2` (Bell–McCaffrey dof); `cr3` (t(G−1));",
            "  `wild_cluster_bootstrap` (WCR, Webb weights, 999 draws, test inversion). The last four hold",
            "  the matching weights fixed.",
            "",
            "## Overview: the four worlds where the design holds (baseline, school_effects, heterogeneous,",
            "## term_trend), and the placebo's warning rate in the dip world",
            "",
            "coverage_min/mean and sd_over_se_mean over the four worlds; false_warning = `design_warning`",
            "where nothing is wrong (target ≤ 0.10); dip_warning = in the dip world (target ≥ 0.80).",
            "",
            *table(overview(lines), OVERVIEW_COLUMNS),
            "",
            "## Per world",
            "",
            *table(lines, COLUMNS),
            "",
        ]
    )


# --- entry point ------------------------------------------------------------------------------------


def run_jobs(args: argparse.Namespace) -> list[dict]:
    done = set()
    if args.jsonl and args.jsonl.exists():
        done = {(r["world"], r["schools"], r["seed"]) for r in load_rows(args.jsonl)}
    jobs = [
        (w, n, seed, args.effect, args.replicates, args.methods)
        for seed, w, n in itertools.product(range(1, args.seeds + 1), args.worlds, args.schools)
        if (w, n, seed) not in done
    ]
    results = []
    # spawn, not fork: a forked child of a process whose polars/DuckDB thread pools are running can
    # deadlock (seen under pytest); one worker runs in this process.
    pool = get_context("spawn").Pool(min(args.workers, 2)) if args.workers > 1 else None
    with pool or nullcontext():
        for result in pool.imap_unordered(star_run, jobs) if pool else map(star_run, jobs):
            result["replicates"] = args.replicates
            results.append(result)
            if args.jsonl:
                with args.jsonl.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(result) + "\n")
            print(f"{result['world']} {result['schools']} {result['seed']} {result['seconds']:.1f}s", flush=True)
    return load_rows(args.jsonl) if args.jsonl else results


def star_run(job: tuple) -> dict:
    return run_seed(*job)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", nargs="+", default=list(WORLDS), choices=WORLDS)
    parser.add_argument("--schools", type=int, nargs="+", default=[6, 9, 12])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--effect", type=float, default=0.6)
    parser.add_argument("--replicates", type=int, default=Settings().evaluate.bootstrap_replicates)
    parser.add_argument("--methods", nargs="+", default=list(INTERVAL_METHODS), choices=INTERVAL_METHODS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--jsonl", type=Path, default=None, help="append each seed's result here (resumable)")
    parser.add_argument("--summarise", type=Path, default=None, help="only write COVERAGE.md from this JSONL")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    rows = load_rows(args.summarise) if args.summarise else run_jobs(args)
    command = "python -m benchmarks.coverage " + " ".join(sys.argv[1:] if argv is None else argv)
    text = markdown(summarise(rows), rows, command.strip())
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
