"""The simulated world: deterministic, valid codes, and a planted effect hidden behind regression to the mean."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.personal_code import compact_personal_code
from pipelines.sample import simulate

TENPOINT = (pl.col("grade_kind") == "score") & pl.col("assessment_type").is_in(["formative", "summative"])


@pytest.fixture(scope="module")
def sim():
    return simulate(schools=3, seed=42, effect=0.6)


@pytest.fixture(scope="module")
def sim_no_effect():
    return simulate(schools=3, seed=42, effect=0.0)


def naive_change(sim) -> pl.DataFrame:
    """Post (marks on/after the first consultation, same semester) minus the baseline mean, per supported pair."""
    marks = sim.grades.filter(TENPOINT)
    post = (
        marks.join(sim.episodes, on=["pupil_id", "subject", "school_year", "semester"])
        .filter(pl.col("date") >= pl.col("first_consultation"))
        .group_by("pupil_id", "subject")
        .agg(pl.col("grade_score").mean().alias("post"))
    )
    return sim.episodes.join(post, on=["pupil_id", "subject"]).select(
        "pupil_id", "subject", (pl.col("post") - pl.col("baseline_mean")).alias("change")
    )


def test_same_seed_same_world_and_other_seed_another(sim):
    again = simulate(schools=3, seed=42, effect=0.6)
    for name in ("schools", "pupils", "plans", "consultations", "grades", "episodes", "attendance"):
        assert getattr(sim, name).equals(getattr(again, name)), name
    other = simulate(schools=3, seed=7, effect=0.6)
    assert not other.grades.equals(sim.grades)
    assert set(other.schools["school_id"]) != set(sim.schools["school_id"])


def test_frames_have_the_warehouse_columns(sim):
    assert sim.grades.columns[:6] == ["date", "school_year", "semester", "pupil_code", "pupil_id", "school_id"]
    assert set(sim.grades["grade_kind"].unique()) == {"score", "level", "no_grade", "pass_fail", "percent"}
    assert set(sim.consultations["mode"].unique()) == {"in_person", "remote"}
    assert {"teacher", "teaching_assistant"} <= set(sim.consultations["staff_role"].unique())
    assert sim.consultations["subject"].null_count() > 0  # non-subject support exists
    assert sim.schools.height == 3 and sim.schools["school_id"].str.len_chars().to_list() == [10, 10, 10]
    supported = sim.episodes.join(sim.pupils, on=["pupil_id", "school_year"])
    assert supported.height == sim.episodes.height and supported["grade_level"].min() >= 4
    # levels S/T/A/P only in grades 1–3, the 10-point scale from grade 4
    levels = sim.grades.filter(pl.col("grade_kind") == "level").join(
        sim.pupils.select("pupil_id", "school_year", "grade_level"), on=["pupil_id", "school_year"]
    )
    assert levels["grade_level"].max() == 3
    assert sim.grades.filter(pl.col("grade_kind") == "score")["grade_score"].is_between(1, 10).all()


def test_every_personal_code_is_valid_and_both_formats_occur(sim):
    codes = sim.pupils["pupil_code"].unique().to_list()
    assert all(compact_personal_code(c)[1] is None for c in codes)
    new = [c for c in codes if c.startswith("32")]
    assert 0.1 < len(new) / len(codes) < 0.3
    # a pupil keeps one code across both years
    assert sim.pupils.group_by("pupil_id").agg(pl.col("pupil_code").n_unique())["pupil_code"].max() == 1


def test_pupils_move_up_one_grade_and_leavers_do_not_come_back(sim):
    years = sim.pupils.pivot(on="school_year", index="pupil_id", values="grade_level").drop_nulls()
    assert (years["2025/2026"] - years["2024/2025"] == 1).all()
    left_first_year = sim.pupils.filter(pl.col("left_on").is_not_null() & (pl.col("school_year") == "2024/2025"))
    assert left_first_year.height > 0
    assert (
        not left_first_year["pupil_id"].is_in(sim.pupils.filter(pl.col("school_year") == "2025/2026")["pupil_id"]).any()
    )


def test_consultations_lie_inside_plans(sim):
    inside = sim.consultations.join(sim.plans, on="pupil_id").filter(
        pl.col("date").is_between(pl.col("plan_start"), pl.col("plan_end"))
    )
    assert inside.select("date", "pupil_id", "staff_id", "subject").unique().height == (
        sim.consultations.select("date", "pupil_id", "staff_id", "subject").unique().height
    )


def test_naive_before_after_overstates_the_planted_effect(sim, sim_no_effect):
    with_effect = naive_change(sim)["change"].mean()
    without = naive_change(sim_no_effect)["change"].mean()
    assert with_effect > 0.6 + 0.4  # effect + regression to the mean
    assert without > 0.4  # regression to the mean alone
    # selection overlaps: some supported pupils had middling marks, most had low ones
    m = sim.episodes["baseline_mean"]
    assert (m >= 5.5).sum() > 0 and (m < 5).mean() > 0.6


def test_effect_sits_exactly_on_marks_after_support_began(sim, sim_no_effect):
    """Before the second wave of selection the two worlds share every draw, so they differ only in treated marks."""
    first_year = pl.col("school_year") == "2024/2025"
    a = sim.grades.filter(first_year & TENPOINT)
    b = sim_no_effect.grades.filter(first_year & TENPOINT)
    assert a.height == b.height
    same = [c for c in sim.episodes.columns if c != "true_effect"]  # the planted effect differs, by design
    assert sim.episodes.filter(first_year).select(same).equals(sim_no_effect.episodes.filter(first_year).select(same))
    starts = sim.episodes.select("pupil_id", "subject", "first_consultation")
    both = (
        a.with_columns(b["grade_score"].alias("score_0"))
        .join(starts, on=["pupil_id", "subject"], how="left")
        .with_columns((pl.col("date") >= pl.col("first_consultation")).fill_null(False).alias("treated"))
    )
    untreated = both.filter(~pl.col("treated"))
    assert (untreated["grade_score"] == untreated["score_0"]).all()
    treated = both.filter("treated")
    assert treated.height > 100
    assert 0.45 < (treated["grade_score"] - treated["score_0"]).mean() < 0.75  # +0.6, rounded and clipped


def test_truth_records_the_planted_parameters(sim):
    t = sim.truth
    assert t["effect"] == 0.6 and t["staying_effect"] == 0.5 and t["seed"] == 42
    assert t["selection"]["beta"] == 1.8 and t["selection"]["threshold"] == 5.0


def test_pupils_who_leave_miss_more_lessons_without_reason(sim):
    """Absences share the leaving risk (docs/sample-data.md, "Attendance"): per semester with any
    unexcused absence, pupils who later drop out miss more such lessons than those who stay."""
    dropped = sim.pupils.filter(pl.col("leaving_reason") == "pārtrauca mācības")["pupil_id"].implode()
    per_semester = (
        sim.attendance.filter(pl.col("reason") == "unexcused")
        .group_by("pupil_id", pl.col("date").dt.year(), (pl.col("date").dt.month() >= 9).alias("autumn"))
        .agg(pl.col("lessons_missed").sum())
        .group_by(pl.col("pupil_id").is_in(dropped).alias("dropped"))
        .agg(pl.col("lessons_missed").mean())
    )
    means = dict(per_semester.iter_rows())
    assert means[True] > 1.5 * means[False]
    days = sim.attendance.group_by("pupil_id", "date").agg(pl.col("lessons_missed").sum())
    assert days["lessons_missed"].max() <= 8  # never more than a day's lessons
