"""The generator's worlds: each runs, is deterministic, and shows the property it was built to have."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipelines.sample import simulate
from pipelines.sample.world import WORLDS

TENPOINT = (pl.col("grade_kind") == "score") & pl.col("assessment_type").is_in(["formative", "summative"])
SCHOOLS, SEED = 4, 42
# grades, episodes, consultations rows; sum of 10-point marks. Re-pinned when leaving before the first
# consultation became possible (draw_leaving: such a pupil is never supported, and the draws after it move).
FINGERPRINT = (75687, 236, 3595, 310228)


@pytest.fixture(scope="module")
def sims() -> dict:
    return {name: simulate(schools=SCHOOLS, seed=SEED, effect=0.6, world_name=name) for name in WORLDS}


def test_at_least_the_five_worlds_of_the_coverage_study():
    assert {"baseline", "school_effects", "heterogeneous", "term_trend", "dip"} <= set(WORLDS)


@pytest.mark.parametrize("name", WORLDS)
def test_each_world_is_deterministic_and_records_its_truth(sims, name):
    again = simulate(schools=SCHOOLS, seed=SEED, effect=0.6, world_name=name)
    for frame in ("schools", "pupils", "plans", "consultations", "grades", "episodes"):
        assert getattr(sims[name], frame).equals(getattr(again, frame)), frame
    truth = sims[name].truth["world"]
    assert truth["name"] == name and truth["expected_effect"] == 0.6
    assert truth["att_supported"] == pytest.approx(sims[name].episodes["true_effect"].mean())
    assert sims[name].episodes.height > 100


def test_baseline_is_the_default_and_unchanged():
    """The baseline world is today's generator: pinned figures of seed 42 with 3 schools."""
    default = simulate(schools=3, seed=42)
    named = simulate(schools=3, seed=42, world_name="baseline")
    assert default.grades.equals(named.grades) and default.episodes.equals(named.episodes)
    # Fingerprint taken from the generator before the worlds existed (byte-identical files were checked then).
    scores = default.grades.filter(TENPOINT)["grade_score"]
    assert (default.grades.height, default.episodes.height, default.consultations.height) == FINGERPRINT[:3]
    assert int(scores.sum()) == FINGERPRINT[3]
    assert (default.episodes["true_effect"] == 0.6).all()


def test_unknown_world_is_refused():
    with pytest.raises(ValueError, match="unknown world"):
        simulate(schools=1, seed=1, world_name="utopia")


def school_means(sim) -> pl.DataFrame:
    return (
        sim.grades.filter(TENPOINT & (pl.col("school_year") == "2024/2025") & (pl.col("semester") == 1))
        .group_by("school_id")
        .agg(pl.col("grade_score").mean().alias("mean"))
    )


def test_school_effects_shift_each_school_by_its_intercept(sims):
    """Same seed, same pupils: before any support, a school's mean moves by its planted intercept."""
    truth = sims["school_effects"].truth["world"]["parameters"]
    both = school_means(sims["school_effects"]).join(school_means(sims["baseline"]), on="school_id", suffix="_0")
    shift = both.with_columns((pl.col("mean") - pl.col("mean_0")).alias("shift"))
    planted = shift["school_id"].replace_strict(truth["school_intercept"]).to_numpy()
    assert np.abs(shift["shift"].to_numpy() - planted).max() < 0.1  # rounding to whole marks only
    assert np.std(list(truth["school_intercept"].values())) > 0.05
    # the effect varies by school, and every supported pupil-subject carries its school's effect
    eps = sims["school_effects"].episodes
    per_school = eps.group_by("school_id").agg(
        pl.col("true_effect").n_unique().alias("k"), pl.col("true_effect").first()
    )
    assert (per_school["k"] == 1).all() and per_school["true_effect"].n_unique() == per_school.height
    assert per_school["true_effect"].to_list() == pytest.approx(
        per_school["school_id"].replace_strict(truth["school_effect"]).to_list()
    )


def test_heterogeneous_effect_is_larger_for_weaker_pupils(sims):
    eps = sims["heterogeneous"].episodes
    assert np.corrcoef(eps["true_effect"], eps["baseline_mean"])[0, 1] < -0.3
    assert eps["true_effect"].mean() > 0.7  # the supported are weaker than average: more than the planted 0.6
    assert eps["true_effect"].min() >= 0.0 and eps["true_effect"].max() > 1.0


def third_difference(sim) -> float:
    """Mean of unsupported pupils' marks in a semester's last third minus its first third."""
    supported = sim.episodes.select("pupil_id", "subject")
    marks = sim.grades.filter(TENPOINT).join(supported, on=["pupil_id", "subject"], how="anti")
    autumn = marks.filter((pl.col("school_year") == "2024/2025") & (pl.col("semester") == 1)).with_columns(
        ((pl.col("date") - pl.col("date").min()).dt.total_days() / 109).alias("phase")
    )
    early = autumn.filter(pl.col("phase") < 1 / 3)["grade_score"].mean()
    late = autumn.filter(pl.col("phase") > 2 / 3)["grade_score"].mean()
    return late - early


def test_term_trend_raises_marks_within_the_term(sims):
    assert third_difference(sims["term_trend"]) > 0.45  # +1.0 over the term: about 2/3 between the thirds
    assert abs(third_difference(sims["baseline"])) < 0.15


def pre_support_gap(sim) -> float:
    """Supported minus comparable unsupported pupils' start-term marks dated before support began.

    Comparable: same subject, semester and previous-semester mean m (0.25-wide bins); the cut date
    for the unsupported is the median first consultation of that semester and subject.
    """
    marks = sim.grades.filter(TENPOINT)
    prev = (
        marks.with_columns((pl.col("school_year").str.slice(0, 4).cast(pl.Int32) * 2 + pl.col("semester")).alias("t"))
        .group_by("pupil_id", "subject", "t")
        .agg(pl.col("grade_score").mean().alias("m"))
    )
    eps = sim.episodes.with_columns(
        (pl.col("school_year").str.slice(0, 4).cast(pl.Int32) * 2 + pl.col("semester")).alias("t")
    )
    cut = eps.group_by("t", "subject").agg(pl.col("first_consultation").median().cast(pl.Date).alias("cut"))
    rows = (
        prev.join(cut, on=["t", "subject"])
        .join(prev.with_columns(pl.col("t") + 1).rename({"m": "m_prev"}), on=["pupil_id", "subject", "t"])
        .join(eps.select("pupil_id", "subject", "t", "first_consultation"), on=["pupil_id", "subject", "t"], how="left")
        .join(eps.select("pupil_id", "subject", pl.col("t").alias("t_start")), on=["pupil_id", "subject"], how="left")
        .filter(pl.col("t_start").is_null() | (pl.col("t_start") >= pl.col("t")))  # later starters compare too
        .with_columns(
            pl.col("first_consultation").is_not_null().alias("treated"),
            pl.coalesce("first_consultation", "cut").alias("before"),
            (pl.col("m_prev") * 4).floor().alias("bin"),
        )
    )
    pre = (
        marks.with_columns((pl.col("school_year").str.slice(0, 4).cast(pl.Int32) * 2 + pl.col("semester")).alias("t"))
        .join(rows.select("pupil_id", "subject", "t", "before"), on=["pupil_id", "subject", "t"])
        .filter(pl.col("date") < pl.col("before"))
        .group_by("pupil_id", "subject", "t")
        .agg(pl.col("grade_score").mean().alias("pre"))
    )
    cells = (
        rows.join(pre, on=["pupil_id", "subject", "t"])
        .group_by("t", "subject", "bin", "treated")
        .agg(pl.col("pre").mean(), pl.len().alias("n"))
    )
    t, c = cells.filter("treated"), cells.filter(~pl.col("treated"))
    paired = t.join(c, on=["t", "subject", "bin"], suffix="_c")
    gap = (paired["pre"] - paired["pre_c"]) * paired["n"]
    return float(gap.sum() / paired["n"].sum())


def test_dip_world_supported_are_already_lower_before_support_began():
    """The threat the placebo must catch: a dip before the first consultation, unseen in the matched semester.

    Nine schools: with four the comparison's noise (SE ≈ 0.12) is as large as the gap to detect.
    """
    dip = simulate(schools=9, seed=SEED, effect=0.6, world_name="dip")
    baseline = simulate(schools=9, seed=SEED, effect=0.6)
    assert pre_support_gap(dip) < -0.2  # about −0.34 planted: E[e | selected] with dip weight 0.7
    assert abs(pre_support_gap(baseline)) < 0.12


def test_cli_writes_a_named_world_and_refuses_an_unknown_one(tmp_path):
    from typer.testing import CliRunner

    from pipelines.cli import app

    runner = CliRunner()
    out = tmp_path / "raw"
    result = runner.invoke(app, ["sample", "--out", str(out), "--schools", "1", "--seed", "3", "--world", "dip"])
    assert result.exit_code == 0, result.output
    assert "world: `dip`" in (out / "SAMPLE_README.md").read_text(encoding="utf-8")
    bad = runner.invoke(app, ["sample", "--out", str(tmp_path / "x"), "--world", "utopia"])
    assert bad.exit_code == 2 and not (tmp_path / "x").exists()
