"""Coverage study: do the evaluation's 95% intervals contain the effect planted in the sample world?

For each seed: simulate() → core tables in an in-memory DuckDB → run_evaluate() → the headline
(ALL) cell. Reports, over seeds, the mean estimate (bias against the planted effect), the empirical
SD of the estimates, the mean reported SE and the share of 95% intervals that cover the truth, for
the stage's interval (school bootstrap re-running the matching, when replicates > 0) and for the
school-clustered CR1 interval computed on the same matched sample; the same for the naive change,
and the mean estimate per selection wave (the later-wave bias suspected in docs/sample-data.md).

    .venv/bin/python -m benchmarks.coverage --schools 6 9 --seeds 30 --effect 0 0.6

Writes benchmarks/COVERAGE.md. Runs on at most 2 worker processes (the machine is shared).
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from dataclasses import replace
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

from pipelines.config import Settings
from pipelines.evaluate import CELL_KEYS, run_evaluate
from pipelines.evaluate.estimate import CellData, ancova, point_effect
from pipelines.sample import simulate
from pipelines.sample.core import core_connection, simulation_frames

OUT = Path(__file__).with_name("COVERAGE.md")
HEADLINE = " and ".join(f"{k} = 'ALL'" for k in CELL_KEYS)


# --- one seed ---------------------------------------------------------------------------------------


def run_seed(schools: int, seed: int, effect: float, replicates: int) -> dict:
    """The headline of one simulated world: the stage's interval, CR1 on the same sample, and wave estimates."""
    con = core_connection(simulation_frames(simulate(schools=schools, seed=seed, effect=effect)))
    base = Settings()
    settings = replace(base, evaluate=replace(base.evaluate, bootstrap_replicates=replicates))
    started = time.perf_counter()
    run_evaluate(con, settings)
    seconds = time.perf_counter() - started
    row = con.sql(f"select * from marts.effectiveness_detail where {HEADLINE}").pl().row(0, named=True)
    matched = con.sql("select * from marts.evaluation_sample where matched").pl()
    con.close()
    _, cr1_se, n_clusters = ancova(CellData.from_frame(matched))
    return {
        "schools": schools,
        "seed": seed,
        "effect_planted": effect,
        "effect": row["effect"],
        "se": row["se"],
        "ci_low": row["ci_low"],
        "ci_high": row["ci_high"],
        "cr1_se": cr1_se,
        "n_clusters": n_clusters,
        "naive_change": row["naive_change"],
        "waves": wave_effects(matched),
        "seconds": seconds,
    }


def wave_effects(matched: pl.DataFrame) -> dict[str, float | None]:
    """Point estimate per selection wave (school year × semester) on the stage's matched sample."""
    waves = matched.with_columns(pl.format("{} S{}", "school_year", "semester").alias("wave"))
    return {
        wave[0]: point_effect(CellData.from_frame(part))
        for wave, part in waves.partition_by("wave", as_dict=True, maintain_order=True).items()
    }


# --- summaries --------------------------------------------------------------------------------------


def summarise(rows: list[dict]) -> list[dict]:
    """One line per interval method (and the naive change) for one configuration."""
    truth = rows[0]["effect_planted"]
    est = np.array([r["effect"] for r in rows])
    g = rows[0]["n_clusters"]
    crit = float(stats.t.ppf(0.975, g - 1))
    cr1 = np.array([r["cr1_se"] for r in rows])
    se = np.array([r["se"] for r in rows])
    stage_cover = np.array([r["ci_low"] <= truth <= r["ci_high"] for r in rows])
    cr1_cover = np.abs(est - truth) <= crit * cr1
    naive = np.array([r["naive_change"] for r in rows])
    common = {"schools": rows[0]["schools"], "seeds": len(rows), "planted": truth}
    return [
        {**common, "method": "stage interval", **stats_line(est, se, stage_cover, truth, rows)},
        {**common, "method": "CR1 school-clustered, t(G-1)", **stats_line(est, cr1, cr1_cover, truth, rows)},
        {**common, "method": "naive change (no interval)", **stats_line(naive, None, None, truth, rows)},
    ]


def stats_line(est: np.ndarray, se: np.ndarray | None, cover: np.ndarray | None, truth: float, rows: list) -> dict:
    sd = float(np.std(est, ddof=1))
    mean_se = None if se is None else float(np.mean(se))
    return {
        "mean": float(np.mean(est)),
        "bias": float(np.mean(est) - truth),
        "sd": sd,
        "mean_se": mean_se,
        "sd_over_se": None if mean_se is None else sd / mean_se,
        "coverage": None if cover is None else float(np.mean(cover)),
        "missed": ""
        if cover is None
        else " ".join(str(r["seed"]) for r, ok in zip(rows, cover, strict=True) if not ok),
    }


def wave_lines(rows: list[dict]) -> list[dict]:
    truth = rows[0]["effect_planted"]
    waves = sorted({w for r in rows for w in r["waves"]})
    out = []
    for wave in waves:
        values = np.array([r["waves"][w] for r in rows for w in [wave] if r["waves"].get(w) is not None])
        out.append(
            {"schools": rows[0]["schools"], "planted": truth, "wave": wave, "bias": float(values.mean() - truth),
             "sd": float(values.std(ddof=1)), "mc_se": float(values.std(ddof=1) / math.sqrt(len(values)))}
        )  # fmt: skip
    return out


def fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def markdown(lines: list[dict], waves: list[dict], command: str, replicates: int, seconds: float) -> str:
    cols = ["schools", "planted", "seeds", "method", "mean", "bias", "sd", "mean_se", "sd_over_se", "coverage"]
    table = ["| " + " | ".join(cols) + " | missed seeds |", "|" + "---|" * (len(cols) + 1)]
    table += ["| " + " | ".join(fmt(line[c]) for c in cols) + f" | {line['missed']} |" for line in lines]
    wcols = ["schools", "planted", "wave", "bias", "sd", "mc_se"]
    wtable = ["| " + " | ".join(wcols) + " |", "|" + "---|" * len(wcols)]
    wtable += ["| " + " | ".join(fmt(w[c]) for c in wcols) + " |" for w in waves]
    mc_se = math.sqrt(0.95 * 0.05 / max(line["seeds"] for line in lines))
    return "\n".join(
        [
            "# Interval coverage of the effectiveness headline (ALL cell)",
            "",
            f"Generated by `{command}` (bootstrap replicates: {replicates}; "
            f"mean evaluate stage time per seed: {seconds:.1f} s). Seeds 1…K of `simulate()`.",
            "",
            "`stage interval` is what marts.effectiveness publishes; `CR1` is the regression's school-clustered",
            "interval on the same matched sample (the stage's interval when bootstrap_replicates = 0).",
            "sd = empirical SD of the estimates over seeds; mean_se = mean reported SE; coverage = share of",
            f"95% intervals containing the planted effect (Monte Carlo SE of a true 0.95: {mc_se:.3f}).",
            "",
            *table,
            "",
            "## Mean estimate by selection wave (bias vs planted effect; mc_se = Monte Carlo SE of the bias)",
            "",
            *wtable,
            "",
        ]
    )


# --- entry point ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, nargs="+", default=[6, 9])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--effect", type=float, nargs="+", default=[0.0])
    parser.add_argument("--replicates", type=int, default=Settings().evaluate.bootstrap_replicates)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    jobs = [
        (n, seed, e, args.replicates)
        for n, e in itertools.product(args.schools, args.effect)
        for seed in range(1, args.seeds + 1)
    ]
    with Pool(min(args.workers, 2)) as pool:
        results = pool.starmap(run_seed, jobs)
    lines, waves = [], []
    for n, e in itertools.product(args.schools, args.effect):
        rows = [r for r in results if r["schools"] == n and r["effect_planted"] == e]
        lines += summarise(rows)
        waves += wave_lines(rows)
    command = "python -m benchmarks.coverage " + " ".join(sys.argv[1:] if argv is None else argv)
    seconds = float(np.mean([r["seconds"] for r in results]))
    text = markdown(lines, waves, command.strip(), args.replicates, seconds)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
