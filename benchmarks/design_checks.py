"""Design checks on worlds that break the design, and on worlds where it holds (docs/method.md,
"Design diagnostics": the numbers behind the thresholds of the missing-outcome checks and the
pre-period gap).

Per world × seed, the headline (ALL) cell through the stage's own code, as benchmarks/coverage.py:
load_analysis → analysis_rows → match_within_strata → estimate_cell + diagnose_cell (placebos, the
event-study pre-period gaps) with school-jackknife draws, and attrition.attrition_checks (outcome
availability and the nv share, supported vs comparison, jackknife intervals). One JSON line per run.

Worlds: the generator's own (baseline, school_effects, heterogeneous, term_trend, dip; `null` is
baseline with effect 0), and `mnar`: the null world with the supported pupils' 10-point marks of 4 or
less dated from their first consultation recorded as `nv` with probability 0.7 (retakes; the probe's
world D6, applied to the generated marks as tests/evaluate/test_evaluate_design_checks.py does).
`--probe PATH` adds worlds from an external builder module with `make_sim(world, schools, seed)`
(the design probe's D1 … D9 were measured that way).

    nice -n 10 .venv/bin/python -m benchmarks.design_checks --worlds mnar null baseline --seeds 42 1 2 \\
        --jsonl benchmarks/design_checks_result.jsonl
    .venv/bin/python -m benchmarks.design_checks --summarise benchmarks/design_checks_result.jsonl
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.config import Settings
from pipelines.evaluate.attrition import attrition_checks, attrition_reasons, availability_rows
from pipelines.evaluate.bootstrap import bootstrap_statistics, replicate_count
from pipelines.evaluate.cells import cell_frames
from pipelines.evaluate.diagnostics import diagnose_cell
from pipelines.evaluate.estimate import SCHOOL_JACKKNIFE, estimate_cell
from pipelines.evaluate.matching import match_within_strata
from pipelines.evaluate.stage import CELL_KEYS, analysis_rows, load_analysis
from pipelines.sample import simulate
from pipelines.sample.core import core_connection, simulation_frames

TOTAL = [()]
BUILTIN = {"baseline": 0.6, "school_effects": 0.6, "heterogeneous": 0.6, "term_trend": 0.6, "dip": 0.6}


def unrecorded_failing_marks(frames: dict[str, pl.DataFrame], episodes: pl.DataFrame, seed: int) -> dict:
    """`mnar`: a supported pupil's mark of ≤ 4 from the first consultation on becomes `nv` w.p. 0.7."""
    starts = episodes.select("pupil_id", "subject", "school_year", "semester", "first_consultation")
    grades = frames["grades"].join(starts, on=["pupil_id", "subject", "school_year", "semester"], how="left")
    draw = pl.Series(np.random.default_rng([seed, 99]).random(grades.height) < 0.7)
    hidden = (
        (pl.col("date") >= pl.col("first_consultation")).fill_null(False)
        & (pl.col("grade_kind") == "score")
        & (pl.col("grade_score") <= 4)
        & draw
    )
    grades = grades.with_columns(
        pl.when(hidden).then(pl.lit("no_grade")).otherwise(pl.col("grade_kind")).alias("grade_kind"),
        pl.when(hidden).then(None).otherwise(pl.col("grade_score")).alias("grade_score"),
    ).drop("first_consultation")
    return frames | {"grades": grades}


def world_frames(world: str, schools: int, seed: int, probe: object | None) -> dict[str, pl.DataFrame]:
    if world in BUILTIN:
        return simulation_frames(simulate(schools=schools, seed=seed, effect=BUILTIN[world], world_name=world))
    if world in ("null", "mnar"):
        sim = simulate(schools=schools, seed=seed, effect=0.0)
        frames = simulation_frames(sim)
        return unrecorded_failing_marks(frames, sim.episodes, seed) if world == "mnar" else frames
    if probe is None:
        raise SystemExit(f"unknown world {world!r} (give --probe for external worlds)")
    sim, _ = probe.make_sim(world, schools=schools, seed=seed)
    return simulation_frames(sim)


def run(world: str, schools: int, seed: int, probe: object | None) -> dict:
    t0 = time.perf_counter()
    con = core_connection(world_frames(world, schools, seed, probe))
    settings = Settings()
    cfg = settings.evaluate
    _, episodes, candidates, outcomes = load_analysis(con, settings)
    con.close()
    sample = analysis_rows(episodes, candidates, outcomes, cfg)
    pairs = match_within_strata(sample, caliper_sd=cfg.caliper_sd, n_matches=cfg.n_matches)
    _, sizes, frame = next(cell_frames(sample, pairs, list(CELL_KEYS), TOTAL))
    count = replicate_count(sample, scheme="jackknife", replicates=cfg.bootstrap_replicates)
    stats = bootstrap_statistics(
        sample, CELL_KEYS, replicates=cfg.bootstrap_replicates, seed=cfg.seed, caliper_sd=cfg.caliper_sd,
        n_matches=cfg.n_matches, min_supported=cfg.min_supported_for_estimate, sets=TOTAL, scheme="jackknife",
    )  # fmt: skip
    draws = {name: d.get(("ALL",) * len(CELL_KEYS)) for name, d in stats.items()}
    est = estimate_cell(
        frame, min_supported=cfg.min_supported_for_estimate, boot_draws=draws.get("effect"),
        boot_replicates=count, naive_change=sizes.get("naive_change_all"), interval_method=SCHOOL_JACKKNIFE,
    )  # fmt: skip
    diag = diagnose_cell(
        frame, est, min_supported=cfg.min_supported_for_estimate, draws=draws, replicates=count,
        interval_method=SCHOOL_JACKKNIFE,
    )  # fmt: skip
    rows = availability_rows(candidates, outcomes, episodes, min_outcome_grades=cfg.min_outcome_grades)
    checks = attrition_checks(
        rows, list(CELL_KEYS), TOTAL, interval_method=SCHOOL_JACKKNIFE, replicates=cfg.bootstrap_replicates,
        seed=cfg.seed,
    ).row(0, named=True)  # fmt: skip
    reasons = [r for r in (diag["design_warning_reason"] or "").split(",") if r] + attrition_reasons(checks)

    def r(x: object) -> float | None:
        return None if x is None else round(float(x), 3)

    return {
        "world": world, "schools": schools, "seed": seed, "effect": r(est.effect),
        "ci": [r(est.ci_low), r(est.ci_high)], "reasons": reasons, "bias_direction": diag["bias_direction"],
        **{k: r(v) for k, v in checks.items() if k not in CELL_KEYS},
        "sec": round(time.perf_counter() - t0, 1),
    }  # fmt: skip


def summarise(path: Path) -> str:
    """Per world: how often each reason fires, and the range of both gaps."""
    by_world: dict[str, list[dict]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            by_world.setdefault(row["world"], []).append(row)
    names = ("outcome_availability", "no_grade_share", "pretrend_s-2", "pretrend_s_before", "placebo_a", "placebo_b")
    out = [
        "| world | seeds | availability gap (min…max) | nv-share gap (min…max) | " + " | ".join(names) + " | any |",
        "|---|---|---|---|" + "---|" * (len(names) + 1),
    ]
    for world, rows in by_world.items():
        a = [x["outcome_share_gap"] for x in rows]
        v = [x["nv_share_gap"] for x in rows]
        fired = [sum(name in x["reasons"] for x in rows) for name in names]
        anyone = sum(bool(x["reasons"]) for x in rows)
        n = len(rows)
        out.append(
            f"| {world} | {n} | {min(a):+.3f}…{max(a):+.3f} | {min(v):+.3f}…{max(v):+.3f} | "
            + " | ".join(f"{f}/{n}" for f in fired)
            + f" | {anyone}/{n} |"
        )
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", nargs="+", default=["mnar", "null", "baseline"])
    ap.add_argument("--schools", type=int, default=9)
    ap.add_argument("--seeds", type=int, nargs="+", default=[42])
    ap.add_argument("--probe", type=Path, default=None, help="a module with make_sim(world, schools, seed)")
    ap.add_argument("--jsonl", type=Path, default=None)
    ap.add_argument("--summarise", type=Path, default=None)
    args = ap.parse_args()
    if args.summarise:
        print(summarise(args.summarise))
        return
    probe = None
    if args.probe:
        sys.path.insert(0, str(args.probe.parent))
        spec = importlib.util.spec_from_file_location(args.probe.stem, args.probe)
        probe = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(probe)
    for world in args.worlds:
        for seed in args.seeds:
            line = json.dumps(run(world, args.schools, seed, probe), ensure_ascii=False)
            print(line, flush=True)
            if args.jsonl:
                with args.jsonl.open("a", encoding="utf-8") as fh:
                    fh.write(line + "\n")


if __name__ == "__main__":
    main()
