"""Coverage study of the staying estimate (marts.staying, ALL row) against the staying effect the sample
world plants (docs/sample-data.md, "Leaving school"; docs/method.md, "Staying in school: validated?").

Per staying_effect × seed: simulate() → core tables in an in-memory DuckDB → the stage's own staying
rows and estimate (load_analysis, staying_sample, staying_estimates with the default settings) → the
estimate, its interval and the truth: the mean `true_staying_effect` over the supported pupils the
estimate describes (those matched to a comparison). Prints one JSON line per run and a summary.

    .venv/bin/python -m benchmarks.staying_coverage --effects 0.9 0 --seeds 1 2 3 4 5 6 7 8 9 10 \\
        > benchmarks/staying_coverage_result.jsonl
"""

from __future__ import annotations

import argparse
import json
import time

import polars as pl

from pipelines.config import Settings
from pipelines.evaluate.matching import match_within_strata, matched_rows
from pipelines.evaluate.stage import load_analysis
from pipelines.evaluate.staying import first_support_dates, staying_estimates, staying_sample
from pipelines.sample import simulate
from pipelines.sample.core import core_connection, simulation_frames


def one_run(staying_effect: float, seed: int, schools: int) -> dict:
    """The ALL row's estimate and interval (p.p.) and the planted truth for its supported pupils."""
    started = time.perf_counter()
    sim = simulate(schools=schools, seed=seed, effect=0.6, staying_effect=staying_effect)
    con = core_connection(simulation_frames(sim))
    settings = Settings()
    inputs, episodes, candidates, _ = load_analysis(con, settings)
    con.close()
    cfg = settings.evaluate
    rows = staying_sample(candidates, inputs["pupils"], first_support_dates(inputs["consultations"]), episodes)
    total = (
        staying_estimates(
            rows,
            caliper_sd=cfg.caliper_sd,
            n_matches=cfg.n_matches,
            min_supported=cfg.min_supported_for_estimate,
            replicates=cfg.bootstrap_replicates,
            seed=cfg.seed,
            interval_method=cfg.interval_method,
        )
        .filter(pl.col("school_year") == "ALL")
        .row(0, named=True)
    )
    pairs = match_within_strata(rows, caliper_sd=cfg.caliper_sd, n_matches=cfg.n_matches)
    described = matched_rows(rows, pairs).filter(pl.col("treated")).select("pupil_id", "subject")
    truth = float(described.join(sim.episodes, on=["pupil_id", "subject"])["true_staying_effect"].mean())
    return {
        "staying_effect": staying_effect,
        "seed": seed,
        "schools": schools,
        "truth": round(100 * truth, 2),
        "estimate": round(100 * total["difference"], 2),
        "ci_low": round(100 * total["ci_low"], 2),
        "ci_high": round(100 * total["ci_high"], 2),
        "se": round(100 * total["se"], 2),
        "covered": total["ci_low"] <= truth <= total["ci_high"],
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--effects", type=float, nargs="+", default=[0.9, 0.0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(1, 11)))
    parser.add_argument("--schools", type=int, default=9)
    args = parser.parse_args()
    runs = []
    for effect in args.effects:
        for seed in args.seeds:
            runs.append(one_run(effect, seed, args.schools))
            print(json.dumps(runs[-1]), flush=True)
    for effect in args.effects:
        mine = [r for r in runs if r["staying_effect"] == effect]
        n = len(mine)
        summary = {
            "staying_effect": effect,
            "runs": n,
            "mean_truth": round(sum(r["truth"] for r in mine) / n, 2),
            "mean_estimate": round(sum(r["estimate"] for r in mine) / n, 2),
            "mean_se": round(sum(r["se"] for r in mine) / n, 2),
            "covered": sum(r["covered"] for r in mine),
        }
        print(json.dumps({"summary": summary}), flush=True)


if __name__ == "__main__":
    main()
