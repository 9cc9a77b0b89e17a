"""The data-generating process of the sample: a seeded, in-memory world with a KNOWN effect of support.

Nothing here touches the disk. The returned frames are clean and shaped like the warehouse `core`
tables (docs/warehouse.md) so the evaluation can be tested against the truth without ingest.
The model is written down in docs/sample-data.md; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from pipelines.contract import LEARNING_LEVELS
from pipelines.personal_code import make_new_code, make_old_code
from pipelines.sample import world

# Latent grade model (docs/sample-data.md, "Grades").
BASE = 6.3
SD_ABILITY = 1.1
SD_SUBJECT = 0.6
SD_SHOCK = 0.7  # transient: fresh every pupil × subject × semester, the source of regression to the mean
SD_MARK = 1.0
LEVEL_CUTS = (4.5, 6.0, 7.8)  # latent -> S / T / A / P in grades 1–3
# Selection into support: P = logistic(ALPHA + BETA * (THRESHOLD - m)), m = previous-semester mean.
ALPHA = -2.6
BETA = 1.8
THRESHOLD = 5.0
SELECTION_SEMESTERS = (1, 2, 3)  # indices into world.semester_calendar(): 2024/25 S2, 2025/26 S1, 2025/26 S2
# Leaving school (grades 7–12): hazard per semester = LEAVE_BASE * exp(LEAVE_ABILITY * a) * (1 - staying effect).
LEAVE_BASE = 0.03
LEAVE_ABILITY = -0.7
NEW_CODE_SHARE = 0.2
NEVER = np.iinfo(np.int64).max  # "no date" for integer day numbers
EPOCH = date(1970, 1, 1)
GRADE_COLUMNS = (
    "date", "school_year", "semester", "pupil_code", "pupil_id", "school_id", "subject", "grade_raw", "grade_kind",
    "grade_score", "grade_level_code", "passed", "grade_percent", "assessment_type",
)  # fmt: skip
EPISODE_COLUMNS = (
    "pupil_id", "school_id", "subject", "school_year", "semester", "first_consultation", "baseline_mean",
    "plan_start", "plan_end", "true_effect",
)  # fmt: skip
EPISODE_COLUMNS_BY_INDEX = [
    "pupil_id", "school_idx", "subject", "first_consultation", "baseline_mean", "plan_start", "plan_end",
    "true_effect",
]  # fmt: skip
VOLUME_DROP = (0, "2025-11", 0.3)  # (school index, month, share of consultations kept): a reporting gap
# The harder worlds (docs/sample-data.md, "Worlds"). Their extra draws come from their own stream
# (WORLD_STREAM), so the baseline world's draws, frames and files stay exactly what they were.
WORLD_STREAM = 3  # 2 is the writers' stream (writers.build_files)
SD_SCHOOL = 0.3  # school_effects: school intercept u_j ~ N(0, 0.3), added to every latent mark
SD_SCHOOL_EFFECT = 0.4  # school_effects: effect in school j = effect · max(0, 1 + v_j), v_j ~ N(0, 0.4)
HET_SLOPE = 0.3  # heterogeneous: effect for pupil i, subject s = effect · max(0, 1 − 0.3 · (a_i + b_is))
TERM_TREND = 1.0  # term_trend: marks rise by this much from a semester's first to its last school day
DIP = 0.7  # dip: selection adds −DIP · e_ist, the start term's (unobserved) shock, to the logit
# Attendance (docs/sample-data.md, "Attendance"). Drawn from its own stream after everything else, so
# the marks, plans, consultations and leaving of every world stay exactly what they were.
ATTENDANCE_STREAM = 4
# Latent leaving risk r_i = LEAVE_ABILITY · a_i: the log of the pupil's leaving-hazard multiplier in
# draw_leaving. The same r_i drives unexcused absences: P(unexcused on a school day) =
# UNEXCUSED_BASE · exp(UNEXCUSED_RISK · r_i), × UNEXCUSED_RUNUP in the RUNUP_DAYS before a pupil leaves.
UNEXCUSED_BASE = 0.012
UNEXCUSED_RISK = 1.5
UNEXCUSED_RUNUP = 5.0
RUNUP_DAYS = 90
ILLNESS_P = 0.03  # a whole day off sick, independent of the risk
EXCUSED_P = 0.008  # a whole day excused (family, competitions), independent of the risk
UNKNOWN_P = 0.002  # one lesson missed, reason not recorded


@dataclass(frozen=True)
class Simulation:
    """Clean frames shaped like the warehouse core tables, plus the planted truth."""

    schools: pl.DataFrame
    pupils: pl.DataFrame
    plans: pl.DataFrame
    consultations: pl.DataFrame
    grades: pl.DataFrame
    # one row per supported pupil × subject: when support began, baseline mean, true effect on marks and on staying
    episodes: pl.DataFrame
    staff: pl.DataFrame  # staff_id, school_id, staff_name, staff_role, subject
    truth: dict[str, Any] = field(default_factory=dict)
    # one row per pupil × school day × reason with lessons missed (draw_attendance)
    attendance: pl.DataFrame | None = None


@dataclass(frozen=True)
class WorldTerms:
    """What a world adds to the baseline model; the baseline's terms change nothing (zeros and ones)."""

    name: str
    school_intercept: np.ndarray  # per school, added to every latent mark
    school_effect_scale: np.ndarray  # per school, multiplies the effect
    effect_scale: np.ndarray  # pupil × subject, multiplies the effect (school scale included)
    shift: np.ndarray  # per pupil, added to every latent mark (the school intercept)
    trend: float  # rise in marks from the first to the last school day of a semester
    dip: float  # weight of the start term's shock in the selection logit (with a minus sign)


def world_terms(name: str, p: dict[str, np.ndarray], n_schools: int, seed: int) -> WorldTerms:
    """The named world's terms (docs/sample-data.md, "Worlds"), drawn from the world's own stream."""
    if name not in world.WORLDS:
        raise ValueError(f"Nezināma pasaule / unknown world {name!r}: {', '.join(world.WORLDS)}")
    rng = np.random.Generator(np.random.PCG64([seed, WORLD_STREAM]))
    n = len(p["level0"])
    intercept, school_scale = np.zeros(n_schools), np.ones(n_schools)
    pupil_scale = np.ones((n, len(world.SUBJECT_CODES)))
    if name == "school_effects":
        intercept = rng.normal(0.0, SD_SCHOOL, n_schools)
        school_scale = np.maximum(0.0, 1.0 + rng.normal(0.0, SD_SCHOOL_EFFECT, n_schools))
    if name == "heterogeneous":
        pupil_scale = np.maximum(0.0, 1.0 - HET_SLOPE * (p["ability"][:, None] + p["offset"]))
    return WorldTerms(
        name=name,
        school_intercept=intercept,
        school_effect_scale=school_scale,
        effect_scale=pupil_scale * school_scale[p["school_idx"]][:, None],
        shift=intercept[p["school_idx"]],
        trend=TERM_TREND if name == "term_trend" else 0.0,
        dip=DIP if name == "dip" else 0.0,
    )


def simulate(
    schools: int = 9, seed: int = 42, effect: float = 0.6, staying_effect: float = 0.5, world_name: str = "baseline"
) -> Simulation:
    """Simulate two school years of rosters, support plans, consultations and marks.

    Pure and deterministic: the same arguments always give the same frames. `world_name` picks the
    data-generating process (world.WORLDS); "baseline" is the one the estimator is built for.
    """
    if schools < 1:
        raise ValueError("Skolu skaitam jābūt vismaz 1 / schools must be at least 1")
    rng = np.random.Generator(np.random.PCG64(seed))
    calendar = world.semester_calendar()
    school_frame = make_schools(schools, rng)
    pupils = make_pupils(school_frame, rng)
    terms = world_terms(world_name, pupils, schools, seed)
    staff = make_staff(school_frame, rng)
    state = run_semesters(pupils, staff, calendar, rng, effect, staying_effect, terms)
    state["episodes"] = with_staying_truth(state["episodes"], pupils, calendar, staying_effect)
    grades = plant_identical_marks(state["grades"], rng)
    consultations = drop_reporting_month(state["consultations"], school_frame)
    truth = {
        "seed": seed,
        "effect": effect,
        "staying_effect": staying_effect,
        "selection": {
            "rule": "P(support) = logistic(alpha + beta * (threshold - m))",
            "alpha": ALPHA,
            "beta": BETA,
            "threshold": THRESHOLD,
            "m": "mean of the previous semester's 10-point formative and summative marks in the subject",
            "semesters": [f"{calendar[s]['school_year']} S{calendar[s]['semester']}" for s in SELECTION_SEMESTERS],
            "eligible_subjects": list(world.ELIGIBLE),
        },
        "latent": {
            "base": BASE,
            "sd_ability": SD_ABILITY,
            "sd_subject": SD_SUBJECT,
            "sd_semester_shock": SD_SHOCK,
            "sd_mark": SD_MARK,
            "level_cuts": list(LEVEL_CUTS),
        },
        "leaving": {"base_per_semester": LEAVE_BASE, "ability_coefficient": LEAVE_ABILITY, "grades": [7, 12]},
        "attendance": {
            "risk": "r = ability_coefficient * ability (log of the leaving-hazard multiplier)",
            "unexcused_per_day": "unexcused_base * exp(unexcused_risk * r), x runup in the runup_days before leaving",
            "unexcused_base": UNEXCUSED_BASE,
            "unexcused_risk": UNEXCUSED_RISK,
            "runup": UNEXCUSED_RUNUP,
            "runup_days": RUNUP_DAYS,
            "illness_per_day": ILLNESS_P,
            "excused_per_day": EXCUSED_P,
            "unknown_per_day": UNKNOWN_P,
        },
        "volume_drop": {"school_id": school_frame["school_id"][VOLUME_DROP[0]], "month": VOLUME_DROP[1]},
        "world": world_truth(terms, school_frame, state["episodes"], effect),
    }
    return Simulation(
        schools=school_frame,
        pupils=roster_frame(pupils, school_frame, calendar),
        plans=state["plans"],
        consultations=consultations,
        grades=grades,
        episodes=state["episodes"],
        staff=staff,
        truth=truth,
        attendance=draw_attendance(pupils, school_frame, calendar, seed),
    )


def world_truth(terms: WorldTerms, schools: pl.DataFrame, episodes: pl.DataFrame, effect: float) -> dict[str, Any]:
    """The world's name, parameters and the realised average effect on the supported (ATT)."""
    params: dict[str, Any] = {}
    if terms.name == "school_effects":
        params = {
            "sd_school_intercept": SD_SCHOOL,
            "sd_school_effect_multiplier": SD_SCHOOL_EFFECT,
            "school_intercept": dict(zip(schools["school_id"], terms.school_intercept.tolist(), strict=True)),
            "school_effect": dict(
                zip(schools["school_id"], (effect * terms.school_effect_scale).tolist(), strict=True)
            ),
        }
    elif terms.name == "heterogeneous":
        params = {"rule": "effect_is = effect * max(0, 1 - slope * (a_i + b_is))", "slope": HET_SLOPE}
    elif terms.name == "term_trend":
        params = {"rise_per_semester": TERM_TREND}
    elif terms.name == "dip":
        params = {"rule": "selection logit adds -dip * e_ist (start-term shock)", "dip": DIP}
    att = float(episodes["true_effect"].mean()) if episodes.height else None
    return {"name": terms.name, "parameters": params, "expected_effect": effect, "att_supported": att}


# --- schools, pupils, staff ------------------------------------------------------------------------


def make_schools(count: int, rng: np.random.Generator) -> pl.DataFrame:
    """Schools round-robin over three municipalities (five when there are more than nine schools)."""
    names = list(world.MUNICIPALITIES)[: 3 if count <= 9 else 5]
    digits = rng.choice(np.arange(10_000, 100_000), size=count, replace=False)
    rows = []
    for i in range(count):
        municipality = names[i % len(names)]
        prefix, _slug, school_names = world.MUNICIPALITIES[municipality]
        j = i // len(names)
        name = school_names[j] if j < len(school_names) else f"{school_names[0].split()[0]} {j + 1}. vidusskola"
        rows.append((f"{prefix}139{digits[i]:05d}", name, municipality))
    return pl.DataFrame(rows, schema=["school_id", "school_name", "municipality"], orient="row")


def max_grade_of(name: str) -> int:
    return 9 if "pamatskola" in name else 12


def make_pupils(schools: pl.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Pupils as parallel arrays: year-1 pupils of all grades, then grade-1 entrants of year 2."""
    school_idx, level0, start_year = [], [], []
    for i, name in enumerate(schools["school_name"]):
        top = max_grade_of(name)
        n = int(rng.integers(120, 221))
        school_idx.append(np.full(n, i))
        level0.append(np.sort(rng.integers(1, top + 1, size=n)))
        start_year.append(np.zeros(n, dtype=int))
        entrants = max(round(n / top * rng.uniform(0.8, 1.2)), 5)
        school_idx.append(np.full(entrants, i))
        level0.append(np.zeros(entrants, dtype=int))  # grade 1 in the second year
        start_year.append(np.ones(entrants, dtype=int))
    p = {
        "school_idx": np.concatenate(school_idx),
        "level0": np.concatenate(level0),
        "start_year": np.concatenate(start_year),
    }
    n = len(p["level0"])
    p["pupil_id"] = np.array([f"P{i:06d}" for i in range(1, n + 1)])
    p["female"] = rng.random(n) < 0.49
    p["first_name"] = np.where(
        p["female"],
        np.array(world.FEMALE_FIRST)[rng.integers(0, len(world.FEMALE_FIRST), n)],
        np.array(world.MALE_FIRST)[rng.integers(0, len(world.MALE_FIRST), n)],
    )
    surname = rng.integers(0, len(world.SURNAMES), n)
    p["last_name"] = np.array([world.SURNAMES[k][1 if f else 0] for k, f in zip(surname, p["female"], strict=True)])
    p["class_letter"] = np.where(rng.random(n) < 0.3, "b", "a")
    # Grade 1 in 2024/25 means born in 2017: birth year = 2018 - level0.
    birth = np.array([np.datetime64(f"{2018 - lv}-01-01") for lv in p["level0"]]) + rng.integers(0, 365, n)
    p["birth"] = birth.astype("datetime64[D]")
    p["pupil_code"] = personal_codes(p["birth"], rng.random(n) < NEW_CODE_SHARE, rng)
    p["ability"] = rng.normal(0.0, SD_ABILITY, n)
    p["offset"] = rng.normal(0.0, SD_SUBJECT, (n, len(world.SUBJECT_CODES)))
    p["shock"] = rng.normal(0.0, SD_SHOCK, (n, len(world.SUBJECT_CODES), 4))
    p["left_day"] = np.full(n, NEVER, dtype=np.int64)
    p["leaving_reason"] = np.full(n, None, dtype=object)
    tops = np.array([max_grade_of(name) for name in schools["school_name"]])
    p["max_grade"] = tops[p["school_idx"]]
    return p


def personal_codes(birth: np.ndarray, new_format: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Valid, unique codes: old `DDMMYY-CNNNN` from the birth date, or new `32…` for about a fifth."""
    serials = rng.integers(0, 10**8, len(birth))
    seen: set[str] = set()
    out = []
    for day, new, serial in zip(birth.astype(object), new_format, serials, strict=True):
        while True:
            code = make_new_code(int(serial)) if new else make_old_code(day.day, day.month, day.year, int(serial))
            if code not in seen:
                break
            serial += 7
        seen.add(code)
        out.append(code)
    return np.array(out)


def make_staff(schools: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Per school: subject teachers (two for mathematics, Latvian), two assistants, a psychologist, class teachers."""
    rows = []
    for i, school_id in enumerate(schools["school_id"]):
        posts = [
            ("teacher", s) for s in world.SUBJECT_CODES for _ in range(2 if s in ("mathematics", "latvian") else 1)
        ]
        posts += [("teaching_assistant", None)] * 2 + [("psychologist", None)] + [("class_teacher", None)] * 3
        used: set[str] = set()
        for k, (role, subject) in enumerate(posts):
            while True:
                female = rng.random() < 0.8
                first = world.FEMALE_FIRST if female else world.MALE_FIRST
                surname = world.SURNAMES[rng.integers(len(world.SURNAMES))][int(female)]
                name = f"{first[rng.integers(len(first))]} {surname}"
                if name not in used:
                    break
            used.add(name)
            rows.append((f"S{i + 1:02d}{k + 1:03d}", school_id, name, role, subject))
    return pl.DataFrame(rows, schema=["staff_id", "school_id", "staff_name", "staff_role", "subject"], orient="row")


def roster_frame(p: dict[str, np.ndarray], schools: pl.DataFrame, calendar: list[dict]) -> pl.DataFrame:
    """One row per pupil × school year on the roll on 1 September or later in that year."""
    parts = []
    for y, year in enumerate(world.SCHOOL_YEARS):
        year_start = day_number(calendar[2 * y]["start"])
        year_end = day_number(calendar[2 * y + 1]["year_end"])
        level = p["level0"] + y
        on = (p["start_year"] <= y) & (level >= 1) & (level <= p["max_grade"]) & (p["left_day"] >= year_start)
        idx = np.flatnonzero(on)
        left = p["left_day"][idx]
        left_in_year = left <= year_end
        parts.append(
            pl.DataFrame(
                {
                    "pupil_code": p["pupil_code"][idx],
                    "first_name": p["first_name"][idx],
                    "last_name": p["last_name"][idx],
                    "pupil_id": p["pupil_id"][idx],
                    "school_id": schools["school_id"].to_numpy()[p["school_idx"][idx]],
                    "school_year": np.full(len(idx), year),
                    "class_raw": [f"{lv}.{c}" for lv, c in zip(level[idx], p["class_letter"][idx], strict=True)],
                    "grade_level": level[idx].astype(np.int32),
                    "class_letter": p["class_letter"][idx],
                    "gender": np.where(p["female"][idx], "F", "M"),
                    "left_on": to_dates(np.where(left_in_year, left, NEVER)),
                    "leaving_reason": pl.Series(
                        np.where(left_in_year, p["leaving_reason"][idx], None).tolist(), dtype=pl.String
                    ),
                }
            )
        )
    return pl.concat(parts)


# --- the semester loop: selection, support, leaving, marks ---------------------------------------------


def run_semesters(
    p: dict[str, np.ndarray],
    staff: pl.DataFrame,
    calendar: list[dict],
    rng: np.random.Generator,
    effect: float,
    staying_effect: float,
    terms: WorldTerms,
) -> dict[str, pl.DataFrame]:
    """Semester by semester, because who is supported depends on the marks of the semester before."""
    n_subjects = len(world.SUBJECT_CODES)
    first_consult = np.full((len(p["level0"]), n_subjects), NEVER, dtype=np.int64)
    ever_supported = np.zeros(len(p["level0"]), dtype=bool)
    previous_marks: dict[str, np.ndarray] | None = None
    grade_parts, episode_parts, plan_parts, consult_parts = [], [], [], []
    for s, cal in enumerate(calendar):
        start = day_number(cal["start"])
        level = p["level0"] + cal["year_index"]
        active = (
            (p["start_year"] <= cal["year_index"]) & (level >= 1) & (level <= p["max_grade"]) & (p["left_day"] > start)
        )
        pairs_p, pairs_s = subject_pairs(np.flatnonzero(active), level)
        supported_before = ever_supported.copy()
        if s in SELECTION_SEMESTERS and previous_marks is not None:
            dip = dip_shock(p, pairs_p, pairs_s, s, terms)
            episodes = select_for_support(pairs_p, pairs_s, level, previous_marks, first_consult, cal, rng, dip)
            first_consult[episodes["p"], episodes["s"]] = episodes["first_consult"]
            ever_supported[episodes["p"]] = True
        else:
            episodes = None
        draw_leaving(p, active & (level >= 7), supported_before, first_consult, cal, rng, staying_effect)
        if episodes is not None:  # who left before the first consultation was never supported
            episodes = drop_episodes_of_leavers(episodes, p, first_consult, ever_supported, supported_before)
        marks = draw_marks(p, pairs_p, pairs_s, level, first_consult, s, cal, rng, effect, terms)
        grade_parts.append(marks)
        previous_marks = marks
        if episodes is not None and len(episodes["p"]):
            plans, eps, consults = support_records(p, episodes, staff, calendar, s, rng, effect * terms.effect_scale)
            plan_parts.append(plans)
            episode_parts.append(eps)
            consult_parts.append(consults)
    return {
        "grades": grades_frame(p, grade_parts, school_ids(staff)),
        "plans": pl.concat(plan_parts).sort("plan_start", "school_id", "pupil_id", maintain_order=True),
        "episodes": pl.concat(episode_parts)
        .select(EPISODE_COLUMNS)
        .sort("first_consultation", "pupil_id", "subject", maintain_order=True),
        "consultations": pl.concat(consult_parts).sort(
            "date", "school_id", "pupil_id", "subject", nulls_last=True, maintain_order=True
        ),
    }


def with_staying_truth(
    episodes: pl.DataFrame, p: dict[str, np.ndarray], calendar: list[dict], staying_effect: float
) -> pl.DataFrame:
    """Add `true_staying_effect`: the planted rise in the probability of still being enrolled at the end
    of the episode's school year, for a pupil enrolled after the first consultation (draw_leaving):

    (1 − h(1 − e)·r)(1 − h(1 − e))^(m−1) − (1 − h·r)(1 − h)^(m−1),  r = (a/D) / (1 − h·b/D),

    h the pupil's leaving hazard per semester (0 below grade 7), e = staying_effect, D the start
    semester's school days, b of them on or before the first consultation and a = D − b after it (r: the
    chance of leaving in those a days, given enrolment through the first b), m the semesters from the
    start semester to the year's end (2 from autumn, 1 from spring; spring school days all end before
    1 June). Meaningful for the pupil's first episode. No random draws."""
    year_index = {c["school_year"]: c["year_index"] for c in calendar}
    days_of = {(c["school_year"], int(c["semester"])): day_number(c["school_days"]) for c in calendar}
    pupils = pl.DataFrame({"pupil_id": p["pupil_id"], "ability": p["ability"], "level0": p["level0"]})
    level = pl.col("level0") + pl.col("school_year").replace_strict(year_index, return_dtype=pl.Int64)
    hazard = pl.when(level >= 7).then(LEAVE_BASE * (LEAVE_ABILITY * pl.col("ability")).exp()).otherwise(0.0)
    semesters = pl.when(pl.col("semester").cast(pl.Int64) == 1).then(2).otherwise(1)
    starts = day_number(episodes["first_consultation"].to_numpy().astype("datetime64[D]"))
    keys = zip(episodes["school_year"].to_list(), episodes["semester"].cast(pl.Int64).to_list(), strict=True)
    shares = []
    for (year, semester), start in zip(keys, starts, strict=True):
        days = days_of[(year, semester)]
        shares.append(np.searchsorted(days, start, side="right") / len(days))
    before = pl.Series("_b", shares, dtype=pl.Float64)
    h, m, e = pl.col("_h"), pl.col("_m"), staying_effect
    r = (1 - pl.col("_b")) / (1 - h * pl.col("_b"))
    stay_with = (1 - h * (1 - e) * r) * (1 - h * (1 - e)).pow(m - 1)
    stay_without = (1 - h * r) * (1 - h).pow(m - 1)
    return (
        episodes.with_columns(before)
        .join(pupils, on="pupil_id", how="left")
        .with_columns(hazard.alias("_h"), semesters.alias("_m"))
        .with_columns((stay_with - stay_without).alias("true_staying_effect"))
        .select(*episodes.columns, "true_staying_effect")
    )


def subject_pairs(pupils: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pupil, subject) index pairs for the subjects each pupil's grade level is taught."""
    ps, ss = [], []
    for lv in range(1, 13):
        who = pupils[level[pupils] == lv]
        subjects = [world.SUBJECT_CODES.index(s) for s in world.subjects_for_level(lv)]
        if lv in world.PASS_FAIL_LEVELS:
            subjects.append(world.SUBJECT_CODES.index(world.PASS_FAIL_SUBJECT))
        ps.append(np.repeat(who, len(subjects)))
        ss.append(np.tile(subjects, len(who)))
    p_idx, s_idx = np.concatenate(ps), np.concatenate(ss)
    order = np.lexsort((s_idx, p_idx))
    return p_idx[order].astype(np.int64), s_idx[order].astype(np.int64)


def select_for_support(
    pairs_p: np.ndarray,
    pairs_s: np.ndarray,
    level: np.ndarray,
    previous: dict[str, np.ndarray],
    first_consult: np.ndarray,
    cal: dict,
    rng: np.random.Generator,
    dip: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """New support episodes at the start of a semester, selected on last semester's visible marks.

    dip (the dip world only): a per-pair term added to the logit, what teachers see in the start
    term's first weeks and the evaluation cannot (it matches on the previous semester).
    """
    n_subjects = first_consult.shape[1]
    visible = (previous["kind"] == "score") & np.isin(previous["assessment"], ("formative", "summative"))
    key = previous["p"][visible] * n_subjects + previous["s"][visible]
    size = first_consult.size
    total = np.bincount(key, weights=previous["score"][visible], minlength=size)
    count = np.bincount(key, minlength=size)
    pair_key = pairs_p * n_subjects + pairs_s
    eligible_subject = np.isin(pairs_s, [world.SUBJECT_CODES.index(s) for s in world.ELIGIBLE])
    has_marks = count[pair_key] > 0
    eligible = eligible_subject & has_marks & (level[pairs_p] >= 4) & (first_consult[pairs_p, pairs_s] == NEVER)
    m = np.where(has_marks, total[pair_key] / np.maximum(count[pair_key], 1), np.nan)
    logit = ALPHA + BETA * (THRESHOLD - np.nan_to_num(m, nan=THRESHOLD))
    if dip is not None:
        logit = logit + dip
    chance = 1.0 / (1.0 + np.exp(-logit))
    chosen = eligible & (rng.random(len(pairs_p)) < chance)
    idx = np.flatnonzero(chosen)
    days = cal["school_days"]
    weeks = rng.integers(2, 6, len(idx))
    target = cal["start"] + (7 * weeks).astype("timedelta64[D]") + rng.integers(0, 5, len(idx)).astype("timedelta64[D]")
    first = days[np.minimum(np.searchsorted(days, target), len(days) - 1)]
    return {"p": pairs_p[idx], "s": pairs_s[idx], "m": m[idx], "first_consult": day_number(first)}


def dip_shock(
    p: dict[str, np.ndarray], pairs_p: np.ndarray, pairs_s: np.ndarray, s: int, terms: WorldTerms
) -> np.ndarray | None:
    """−dip × the start term's shock e_ist per pair (None outside the dip world): a low term is picked."""
    if terms.dip == 0:
        return None
    return -terms.dip * p["shock"][pairs_p, pairs_s, s]


def draw_leaving(
    p: dict[str, np.ndarray],
    at_risk: np.ndarray,
    supported_before: np.ndarray,
    first_consult: np.ndarray,
    cal: dict,
    rng: np.random.Generator,
    staying_effect: float,
) -> None:
    """Some older pupils leave during the semester, on a uniformly drawn school day; support multiplies
    the hazard by (1 − staying_effect) from the first consultation on.

    A pupil supported in an earlier semester has the cut hazard all semester. A pupil whose support
    starts this semester has the full hazard on the days up to the first consultation and the cut one
    after it (the day drawn from that piecewise density); one who leaves on or before that day was never
    supported (drop_episodes_of_leavers)."""
    n = len(at_risk)
    base = LEAVE_BASE * np.exp(LEAVE_ABILITY * p["ability"])
    days = day_number(cal["school_days"])
    n_days = len(days)
    start_now = first_consult.min(axis=1)
    now = ~supported_before & (start_now >= days[0]) & (start_now <= days[-1])
    # school days on or before the first consultation (full hazard), of all the semester's days
    before = np.where(now, np.searchsorted(days, np.minimum(start_now, days[-1]), side="right"), n_days)
    after_weight = np.where(supported_before, 0.0, 1.0 - staying_effect) * (n_days - before)
    mass = np.where(supported_before, (1.0 - staying_effect) * n_days, before + after_weight)  # in day units
    hazard = base * mass / n_days
    leaves = at_risk & (rng.random(n) < hazard)
    pick = rng.random(n)
    position = pick * mass  # inverse of the piecewise-uniform distribution over the days
    scale = np.where(supported_before, 1.0 - staying_effect, 1.0)
    index = np.where(
        position < before,
        position / np.where(scale > 0, scale, 1.0),
        before + (position - before) / max(1.0 - staying_effect, 1e-12),
    )
    chosen_day = days[np.clip(index.astype(np.int64), 0, n_days - 1)]
    reason = np.array(world.LEAVING_REASONS)[rng.choice(len(world.LEAVING_REASONS), size=n, p=world.LEAVING_REASON_P)]
    p["left_day"] = np.where(leaves, chosen_day, p["left_day"])
    p["leaving_reason"] = np.where(leaves, reason, p["leaving_reason"])


def lessons_per_day(level: np.ndarray) -> np.ndarray:
    """A school day's lessons by grade: 5 in grades 1–3, 6 in 4–6, 7 in 7–9, 8 in 10–12."""
    return 5 + (np.clip(level, 1, 12) - 1) // 3


def draw_attendance(p: dict[str, np.ndarray], schools: pl.DataFrame, calendar: list[dict], seed: int) -> pl.DataFrame:
    """Absences on every school day a pupil is enrolled, from the attendance stream: sick and excused
    days (independent of the pupil), single unexcused lessons driven by the latent leaving risk, and
    a few lessons with no reason recorded (docs/sample-data.md, "Attendance")."""
    rng = np.random.Generator(np.random.PCG64([seed, ATTENDANCE_STREAM]))
    risk = LEAVE_ABILITY * p["ability"]
    subjects = np.array(world.SUBJECT_CODES)
    parts = []
    for cal in calendar:
        days = day_number(cal["school_days"])
        level = p["level0"] + cal["year_index"]
        active = (p["start_year"] <= cal["year_index"]) & (level >= 1) & (level <= p["max_grade"])
        idx = np.flatnonzero(active)
        on_roll = days[None, :] < p["left_day"][idx][:, None]
        runup = (p["left_day"][idx][:, None] - days[None, :]) <= RUNUP_DAYS
        boost = np.where(runup, UNEXCUSED_RUNUP, 1.0)
        p_unexcused = np.minimum(UNEXCUSED_BASE * np.exp(UNEXCUSED_RISK * risk[idx])[:, None] * boost, 0.9)
        u = rng.random((4, len(idx), len(days)))
        full = lessons_per_day(level[idx])[:, None] * np.ones((1, len(days)), dtype=np.int64)
        sick = u[0] < ILLNESS_P
        excused = (u[1] < EXCUSED_P) & ~sick
        present = ~sick & ~excused  # a day off whole leaves no lesson to skip
        draws = (
            ("illness", sick, full),
            ("excused", excused, full),
            ("unexcused", (u[2] < p_unexcused) & present, 1 + (u[2] * 1000 % 3).astype(int)),
            ("unknown", (u[3] < UNKNOWN_P) & present, np.ones_like(full)),
        )
        for reason, hit, lessons in draws:
            rows, cols = np.nonzero(hit & on_roll)
            pupils = idx[rows]
            named = reason in ("unexcused", "unknown")  # a skipped lesson names its subject
            parts.append(
                pl.DataFrame(
                    {
                        "date": to_dates(days[cols]),
                        "pupil_idx": pupils,
                        "reason": np.full(len(rows), reason),
                        "lessons_missed": lessons[rows, cols].astype(np.int32),
                        "subject": pl.Series(
                            subjects[rng.integers(0, 7, len(rows))].tolist() if named else [None] * len(rows),
                            dtype=pl.String,
                        ),
                    }
                )
            )
    frame = pl.concat(parts)
    ids = schools["school_id"].to_numpy()
    idx = frame["pupil_idx"].to_numpy()
    return (
        frame.with_columns(
            pl.Series("pupil_code", p["pupil_code"][idx]),
            pl.Series("pupil_id", p["pupil_id"][idx]),
            pl.Series("school_id", ids[p["school_idx"][idx]]),
        )
        .drop("pupil_idx")
        .sort("date", "school_id", "pupil_id", "reason")
    )


def drop_episodes_of_leavers(
    episodes: dict[str, np.ndarray],
    p: dict[str, np.ndarray],
    first_consult: np.ndarray,
    ever_supported: np.ndarray,
    supported_before: np.ndarray,
) -> dict[str, np.ndarray]:
    """Episodes whose first consultation would fall on or after the pupil's leaving day never happen."""
    gone = p["left_day"][episodes["p"]] <= episodes["first_consult"]
    if not gone.any():
        return episodes
    first_consult[episodes["p"][gone], episodes["s"][gone]] = NEVER
    kept = {name: values[~gone] for name, values in episodes.items()}
    ever_supported[:] = supported_before
    ever_supported[kept["p"]] = True
    return kept


def round_half_up(x: np.ndarray) -> np.ndarray:
    return np.floor(x + 0.5)


def draw_marks(
    p: dict[str, np.ndarray],
    pairs_p: np.ndarray,
    pairs_s: np.ndarray,
    level: np.ndarray,
    first_consult: np.ndarray,
    s: int,
    cal: dict,
    rng: np.random.Generator,
    effect: float,
    terms: WorldTerms,
) -> dict[str, np.ndarray]:
    """Marks of one semester: 4–6 per pupil × subject, a term grade, a pass/fail for computing."""
    days = cal["school_days"]
    computing = world.SUBJECT_CODES.index(world.PASS_FAIL_SUBJECT)
    graded = pairs_s != computing
    gp, gs = pairs_p[graded], pairs_s[graded]
    per_pair = rng.integers(4, 7, len(gp))
    row_pair = np.repeat(np.arange(len(gp)), per_pair)
    mp, ms = gp[row_pair], gs[row_pair]
    n = len(mp)
    mark_day = day_number(days[rng.integers(0, len(days) - 1, n)])  # the last day is kept for term grades
    summative = rng.random(n) < 0.3
    treated = mark_day >= first_consult[mp, ms]
    latent = BASE + p["ability"][mp] + p["offset"][mp, ms] + p["shock"][mp, ms, s] + rng.normal(0, SD_MARK, n)
    if terms.name != "baseline":  # kept out of the baseline so its arithmetic, and its files, stay unchanged
        latent = latent + terms.shift[mp] + terms.trend * term_phase(mark_day, days)
        latent = latent + effect * terms.effect_scale[mp, ms] * treated
    else:
        latent = latent + effect * treated
    score = np.clip(round_half_up(latent), 1, 10)
    early = level[mp] <= 3
    level_idx = np.searchsorted(np.array(LEVEL_CUTS), latent, side="right")  # 0..3 -> S T A P
    kind = np.where(early, "level", "score").astype(object)
    u = rng.random(n)
    kind = np.where(u < 0.015, "no_grade", kind)
    percent_mark = (~early) & (~summative) & (u >= 0.015) & (u < 0.045)
    kind = np.where(percent_mark, "percent", kind)
    percent = np.clip(round_half_up(latent * 10 + rng.normal(0, 4, n)), 0, 100)
    assessment = np.where(summative, "summative", "formative").astype(object)
    alive = mark_day < p["left_day"][mp]
    marks = {
        "p": mp,
        "s": ms,
        "day": mark_day,
        "kind": kind,
        "score": score,
        "level_idx": level_idx,
        "percent": percent,
        "passed": np.zeros(n, dtype=bool),
        "assessment": assessment,
    }
    marks = {k: v[alive] for k, v in marks.items()}
    term = term_grades(marks, p, first_consult.shape[1], int(day_number(days[-1])))
    passfail = pass_fail(p, pairs_p[~graded], pairs_s[~graded], s, days, rng, terms)
    return {k: np.concatenate([marks[k], term[k], passfail[k]]) for k in marks}


def term_phase(day: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Position within the semester's school days, −0.5 on the first day to +0.5 on the last."""
    first, last = int(day_number(days[0])), int(day_number(days[-1]))
    return (np.asarray(day, dtype=float) - first) / max(last - first, 1) - 0.5


def term_grades(marks: dict[str, np.ndarray], p: dict[str, np.ndarray], n_subjects: int, day: int) -> dict:
    """The rounded mean of the semester's visible marks, dated the last school day (pupils still on the roll)."""
    out: dict[str, list] = {}
    for kind in ("score", "level"):
        sel = marks["kind"] == kind
        value = marks["score"][sel] if kind == "score" else marks["level_idx"][sel].astype(float)
        key = marks["p"][sel] * n_subjects + marks["s"][sel]
        keys, inverse = np.unique(key, return_inverse=True)
        mean = np.bincount(inverse, weights=value) / np.bincount(inverse)
        pp, ss = keys // n_subjects, keys % n_subjects
        keep = p["left_day"][pp] > day
        rounded = round_half_up(mean[keep])
        k = int(keep.sum())
        out.setdefault("p", []).append(pp[keep])
        out.setdefault("s", []).append(ss[keep])
        out.setdefault("day", []).append(np.full(k, day, dtype=np.int64))
        out.setdefault("kind", []).append(np.full(k, kind, dtype=object))
        out.setdefault("score", []).append(rounded if kind == "score" else np.zeros(k))
        out.setdefault("level_idx", []).append(rounded.astype(np.int64) if kind == "level" else np.zeros(k, np.int64))
        out.setdefault("percent", []).append(np.zeros(k))
        out.setdefault("passed", []).append(np.zeros(k, dtype=bool))
        out.setdefault("assessment", []).append(np.full(k, "term", dtype=object))
    return {k: np.concatenate(v) for k, v in out.items()}


def pass_fail(
    p: dict[str, np.ndarray],
    pp: np.ndarray,
    ss: np.ndarray,
    s: int,
    days: np.ndarray,
    rng: np.random.Generator,
    terms: WorldTerms,
) -> dict[str, np.ndarray]:
    """Computing is an "ieskaite": one i/ni per semester, failed when the latent value is below 4."""
    day = int(day_number(days[-4]))
    keep = p["left_day"][pp] > day
    pp, ss = pp[keep], ss[keep]
    k = len(pp)
    latent = BASE + p["ability"][pp] + p["offset"][pp, ss] + p["shock"][pp, ss, s] + rng.normal(0, SD_MARK, k)
    if terms.name != "baseline":
        latent = latent + terms.shift[pp] + terms.trend * term_phase(np.full(k, day), days)
    return {
        "p": pp,
        "s": ss,
        "day": np.full(k, day, dtype=np.int64),
        "kind": np.full(k, "pass_fail", dtype=object),
        "score": np.zeros(k),
        "level_idx": np.zeros(k, dtype=np.int64),
        "percent": np.zeros(k),
        "passed": latent >= 4.0,
        "assessment": np.full(k, "term", dtype=object),
    }


def grades_frame(p: dict[str, np.ndarray], parts: list[dict], ids: pl.DataFrame) -> pl.DataFrame:
    """The marks as the warehouse's core.grades shape."""
    g = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    kind = g["kind"].astype(str)
    level_code = np.array(world_levels())[np.clip(g["level_idx"], 0, 3)]
    score_txt = g["score"].astype(np.int64).astype(str)
    percent_txt = np.char.add(g["percent"].astype(np.int64).astype(str), "%")
    raw = np.select(
        [kind == "score", kind == "level", kind == "no_grade", kind == "percent"],
        [score_txt, level_code, "nv", percent_txt],
        default=np.where(g["passed"], "i", "ni"),
    )
    is_kind = {k: pl.col("grade_kind") == k for k in ("score", "level", "pass_fail", "percent")}
    frame = pl.DataFrame(
        {
            "date": to_dates(g["day"]),
            "pupil_code": p["pupil_code"][g["p"]],
            "pupil_id": p["pupil_id"][g["p"]],
            "school_idx": p["school_idx"][g["p"]],
            "subject": np.array(world.SUBJECT_CODES)[g["s"]],
            "grade_raw": raw,
            "grade_kind": kind,
            "grade_score": g["score"].astype(np.int32),
            "grade_level_code": level_code,
            "passed": g["passed"],
            "grade_percent": g["percent"],
            "assessment_type": g["assessment"].astype(str),
        }
    ).with_columns(
        pl.when(is_kind["score"]).then(pl.col("grade_score")).alias("grade_score"),
        pl.when(is_kind["level"]).then(pl.col("grade_level_code")).alias("grade_level_code"),
        pl.when(is_kind["pass_fail"]).then(pl.col("passed")).alias("passed"),
        pl.when(is_kind["percent"]).then(pl.col("grade_percent")).alias("grade_percent"),
    )
    return (
        finish_dated(frame, ids)
        .select(GRADE_COLUMNS)
        .sort("date", "school_id", "pupil_id", "subject", "assessment_type", maintain_order=True)
    )


# --- support: plans, episodes, consultations --------------------------------------------------------


def support_records(
    p: dict[str, np.ndarray],
    episodes: dict[str, np.ndarray],
    staff: pl.DataFrame,
    calendar: list[dict],
    s: int,
    rng: np.random.Generator,
    true_effect: np.ndarray,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One plan per pupil per semester, weekly consultations in each supported subject until the plan's end.

    true_effect: pupil × subject, the effect planted on the marks from the first consultation on.
    """
    cal = calendar[s]
    ids = school_ids(staff)
    posts: dict[tuple[str, str, str | None], list[dict]] = {}
    for member in staff.iter_rows(named=True):
        posts.setdefault((member["school_id"], member["staff_role"], member["subject"]), []).append(member)
    plan_rows, episode_rows, consult_rows = [], [], []
    sem_end = int(day_number(cal["end"]))
    for pupil in np.unique(episodes["p"]):
        mine = np.flatnonzero(episodes["p"] == pupil)
        school_id = ids["school_id"][int(p["school_idx"][pupil])]
        plan_start = int(episodes["first_consult"][mine].min()) - int(rng.integers(1, 8))
        whole_year = rng.random() < 0.4
        if whole_year:
            plan_end = int(day_number(cal["year_end"]))
            # A plan begun in semester 1 for the whole year carries on into semester 2.
            consult_until = int(day_number(calendar[s + 1]["end"])) if cal["semester"] == 1 else sem_end
        else:
            plan_end = sem_end
            consult_until = sem_end
        consult_until = min(consult_until, int(p["left_day"][pupil]) - 1)
        project = world.PROJECT_CODES[rng.choice(3, p=world.PROJECT_P)]
        plan_rows.append(
            (p["pupil_code"][pupil], p["pupil_id"][pupil], p["school_idx"][pupil], plan_start, plan_end, project,
             world.RISK_FACTORS[rng.integers(len(world.RISK_FACTORS))])
        )  # fmt: skip
        for e in mine:
            subject = world.SUBJECT_CODES[episodes["s"][e]]
            first = int(episodes["first_consult"][e])
            episode_rows.append(
                (p["pupil_id"][pupil], p["school_idx"][pupil], subject, first, float(episodes["m"][e]), plan_start,
                 plan_end, float(true_effect[pupil, episodes["s"][e]]))
            )  # fmt: skip
            teachers = posts[(school_id, "teacher", subject)]
            assistants = posts[(school_id, "teaching_assistant", None)]
            teacher = teachers[int(rng.integers(len(teachers)))]
            assistant = assistants[int(rng.integers(len(assistants)))]
            individual = rng.random() < 0.6
            for day in weekly(first, consult_until, 7, calendar, rng):
                who = assistant if rng.random() < 0.15 else teacher
                consult_rows.append(consultation(p, pupil, day, who, subject, individual, project, rng))
        if rng.random() < 0.3:
            role = "psychologist" if rng.random() < 0.5 else "class_teacher"
            pool = posts[(school_id, role, None)]
            who = pool[int(rng.integers(len(pool)))]
            for day in weekly(plan_start + 7, consult_until, 21, calendar, rng):
                consult_rows.append(consultation(p, pupil, day, who, None, True, project, rng))
    plans = pl.DataFrame(
        plan_rows,
        schema=["pupil_code", "pupil_id", "school_idx", "plan_start", "plan_end", "project_code", "risk_factors"],
        orient="row",
    )
    plans = plans.with_columns(
        pl.col("plan_start").cast(pl.Date),
        pl.col("plan_end").cast(pl.Date),
        pl.lit(cal["school_year"]).alias("school_year"),
    )
    eps = pl.DataFrame(
        episode_rows,
        schema=EPISODE_COLUMNS_BY_INDEX,
        orient="row",
    ).with_columns(
        pl.col("first_consultation", "plan_start", "plan_end").cast(pl.Date),
        pl.lit(cal["school_year"]).alias("school_year"),
        pl.lit(cal["semester"]).alias("semester"),
    )
    consults = pl.DataFrame(
        consult_rows,
        schema={
            "date": pl.Int64,
            "pupil_code": pl.String,
            "pupil_id": pl.String,
            "school_idx": pl.Int64,
            "staff_name": pl.String,
            "staff_id": pl.String,
            "staff_role": pl.String,
            "subject": pl.String,
            "minutes": pl.Float64,
            "mode": pl.String,
            "group_size": pl.Int32,
            "project_code": pl.String,
        },
        orient="row",
    ).with_columns(pl.col("date").cast(pl.Date))
    plans = plans.join(ids, on="school_idx").select(
        "pupil_code", "pupil_id", "school_id", "plan_start", "plan_end", "project_code", "risk_factors", "school_year"
    )
    eps = eps.join(ids, on="school_idx").drop("school_idx")
    consults = finish_dated(consults, ids).select(
        "date", "school_year", "semester", "pupil_code", "pupil_id", "school_id", "staff_name", "staff_id",
        "staff_role", "subject", "minutes", "mode", "group_size", "project_code",
    )  # fmt: skip
    return plans, eps, consults


def weekly(first: int, until: int, step: int, calendar: list[dict], rng: np.random.Generator) -> list[int]:
    """Every `step` days from `first` through `until`, on school days only, some weeks skipped."""
    school_days = set(np.concatenate([day_number(c["school_days"]) for c in calendar]).tolist())
    out = []
    for day in range(first, until + 1, step):
        if day in school_days and (day == first or rng.random() >= 0.15):
            out.append(day)
    return out


def consultation(
    p: dict[str, np.ndarray],
    pupil: int,
    day: int,
    who: dict,
    subject: str | None,
    individual: bool,
    project: str,
    rng: np.random.Generator,
) -> tuple:
    minutes = float(rng.choice([40, 20, 45, 60, 80], p=[0.72, 0.07, 0.08, 0.08, 0.05]))
    mode = "in_person" if rng.random() < 0.75 else "remote"
    group = 1 if individual else int(rng.integers(2, 6))
    return (
        day, p["pupil_code"][pupil], p["pupil_id"][pupil], int(p["school_idx"][pupil]), who["staff_name"],
        who["staff_id"], who["staff_role"], subject, minutes, mode, group, project,
    )  # fmt: skip


# --- finishing touches ---------------------------------------------------------------------------------


def plant_identical_marks(grades: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Two genuinely identical marks (same pupil, day, subject, value) in the last semester: both count."""
    last = grades.filter(
        (pl.col("school_year") == world.SCHOOL_YEARS[-1])
        & (pl.col("semester") == 2)
        & (pl.col("grade_kind") == "score")
        & (pl.col("assessment_type") == "formative")
    )
    picks = rng.choice(last.height, size=min(3, last.height), replace=False)
    twins = last[np.sort(picks).tolist()]
    return pl.concat([grades, twins]).sort(
        "date", "school_id", "pupil_id", "subject", "assessment_type", maintain_order=True
    )


def drop_reporting_month(consultations: pl.DataFrame, schools: pl.DataFrame) -> pl.DataFrame:
    """One school logs only a fraction of its consultations in one month (a staff absence): a volume drop."""
    school_idx, month, keep_share = VOLUME_DROP
    school_id = schools["school_id"][school_idx]
    in_month = (pl.col("school_id") == school_id) & (pl.col("date").dt.strftime("%Y-%m") == month)
    numbered = consultations.with_columns(pl.int_range(pl.len()).over(in_month).alias("_n"))
    kept = in_month.not_() | (pl.col("_n") % 10 < int(keep_share * 10))
    return numbered.filter(kept).drop("_n")


def school_ids(staff: pl.DataFrame) -> pl.DataFrame:
    """school_idx -> school_id, in the order the schools were made."""
    ids = staff["school_id"].unique(maintain_order=True)
    return pl.DataFrame({"school_idx": pl.int_range(len(ids), eager=True), "school_id": ids})


def finish_dated(frame: pl.DataFrame, ids: pl.DataFrame) -> pl.DataFrame:
    """Add school_id (from school_idx), school_year and semester derived from the date."""
    year_start = (
        pl.when(pl.col("date").dt.month() >= 9).then(pl.col("date").dt.year()).otherwise(pl.col("date").dt.year() - 1)
    )
    out = frame.with_columns(
        (year_start.cast(pl.String) + "/" + (year_start + 1).cast(pl.String)).alias("school_year"),
        pl.when(pl.col("date").dt.month() >= 9).then(1).otherwise(2).cast(pl.Int32).alias("semester"),
    )
    out = out.join(ids.with_columns(pl.col("school_idx").cast(out["school_idx"].dtype)), on="school_idx", how="left")
    return out.drop("school_idx")


def world_levels() -> tuple[str, ...]:
    return LEARNING_LEVELS


def day_number(value: np.ndarray | np.datetime64) -> np.ndarray:
    """Days since 1970-01-01 as int64 (dates are compared as integers inside the model)."""
    return np.asarray(value).astype("datetime64[D]").astype(np.int64)


def to_dates(days: np.ndarray) -> pl.Series:
    """Integer day numbers to a polars Date series; NEVER becomes null."""
    days = np.asarray(days, dtype=np.int64)
    return pl.Series(np.where(days == NEVER, None, days).astype(float)).fill_nan(None).cast(pl.Int32).cast(pl.Date)


def date_of(day: int) -> date:
    return EPOCH + timedelta(days=int(day))
