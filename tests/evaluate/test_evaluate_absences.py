"""Absences as a second outcome (issue 16, item 6): on the sample world, which plants no effect of
support on absences, the interval covers 0; an effect planted on the supported pupils' months after
their first consultation is recovered within the interval."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.config import Settings, TransformSettings
from pipelines.evaluate.absences import absence_estimates, absence_sample
from pipelines.evaluate.stage import load_analysis
from pipelines.evaluate.staying import first_support_dates
from pipelines.sample import simulate
from pipelines.sample.core import core_connection, simulation_frames
from pipelines.transform.stage import build_attendance

PLANTED = 2.0  # unexcused lessons per month added to a supported pupil's months after support began


@pytest.fixture(scope="module")
def world():
    """The 3-school world's analysis inputs and its monthly absences built by transform's own SQL."""
    sim = simulate(schools=3, seed=42, effect=0.6)
    con = core_connection(simulation_frames(sim))
    counts = {r: pl.when(pl.col("reason") == r).then(pl.col("lessons_missed")).otherwise(0) for r in ("excused",
              "unexcused", "illness", "unknown")}  # fmt: skip
    lessons = sim.attendance.select(
        pl.lit("lessons").alias("shape"), "pupil_id", "school_id", pl.col("date").alias("period_start"),
        pl.col("date").alias("period_end"),
        *(e.alias("unknown_reason" if r == "unknown" else r) for r, e in counts.items()),
        pl.lit(None, dtype=pl.Int32).alias("lessons_held"), pl.lit(None, dtype=pl.String).alias("row_key"),
    )  # fmt: skip
    con.register("_a", lessons.to_arrow())
    con.execute("create table core.attendance as select * from _a")
    build_attendance(con, "attendance_monthly", TransformSettings())
    monthly = con.sql("select * from core.attendance_monthly order by all").pl()
    settings = Settings()
    inputs, episodes, candidates, _ = load_analysis(con, settings)
    con.close()
    return sim, monthly, inputs, episodes, candidates, settings.evaluate


def total(world, monthly: pl.DataFrame) -> dict:
    _, _, inputs, episodes, candidates, cfg = world
    rows = absence_sample(candidates, monthly, inputs["pupils"], first_support_dates(inputs["consultations"]), episodes)
    estimates = absence_estimates(
        rows, caliper_sd=cfg.caliper_sd, n_matches=cfg.n_matches, min_supported=cfg.min_supported_for_estimate
    )
    return estimates.filter(pl.col("school_year") == "ALL").row(0, named=True)


def test_no_effect_on_absences_planted_gives_an_interval_covering_zero(world) -> None:
    found = total(world, world[1])
    assert found["n_pupils"] >= 30
    assert found["ci_low"] <= 0.0 <= found["ci_high"]


def test_a_planted_effect_on_absences_is_recovered(world) -> None:
    sim, monthly = world[0], world[1]
    started = sim.consultations.group_by("pupil_id").agg(pl.col("date").min().alias("first"))
    planted = (
        monthly.join(started, on="pupil_id", how="left")
        .with_columns(
            pl.when(pl.col("month") > pl.col("first").dt.truncate("1mo"))
            .then(pl.col("unexcused") + PLANTED)
            .otherwise(pl.col("unexcused"))
            .alias("unexcused")
        )
        .drop("first")
    )
    found = total(world, planted)
    assert found["ci_low"] <= PLANTED <= found["ci_high"]
    assert found["ci_low"] > 0
