"""The programme's other records in the sample: activities, individual financial support and the
projects' monthly costs, drawn from the simulated world with their own random stream.

Why a separate stream (PCG64([seed, 3])): the consultations, marks and planted errors keep exactly
the numbers they had before these kinds existed. Nothing here feeds the planted effect on marks.
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import numpy as np
import polars as pl

from pipelines.contract import ACTIVITY_TYPES, COST_CATEGORIES, PROJECTS, SUBJECTS, SUPPORT_TYPES
from pipelines.sample import world

STREAM = 3  # PCG64([seed, STREAM]); writers.build_files uses 2
ACTIVITIES_PER_SEMESTER = 4  # per school
REZEKNE_PROJECT = "8.3.2.2/16/I/001"  # group activities in Rēzekne run under 8.3.2.2 (issue 17)
OTHER_ACTIVITY_PROJECTS = ("8.3.4.0/16/I/001", "4.2.3.1/1/24/I/001")
FINANCIAL_PROJECT = "8.3.4.0/16/I/001"  # PuMPuRS pays individual financial support
TITLES = ("Robotikas pulciņš", "Zinātnes centra apmeklējums", "Astronomijas vakars", "Video darbnīca")
SEMESTERS = ((9, 15, 12, 15), (2, 1, 5, 20))  # (first month, day, last month, day) when activities happen
ACTIVITY_SUBJECTS = ("physics", "mathematics", "biology", "chemistry", "computing")
PAID_MONTHS = (10, 11, 12, 2, 3, 4, 5)


def programme_frames(sim: object, seed: int) -> dict[str, pl.DataFrame]:
    """Canonical rows of the three kinds (dates as dates, amounts as floats), with `_school`
    (index in sim.schools; -1 for costs, which belong to no school) and `_year` (school year)."""
    rng = np.random.Generator(np.random.PCG64([seed, STREAM]))
    activities = make_activities(sim, rng)
    financial = make_financial_support(sim, rng)
    costs = make_costs(sim, activities, financial, rng)
    return {"activities": activities, "financial_support": financial, "costs": costs}


def school_days(start: date, end: date) -> list[date]:
    days = []
    day = start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def make_activities(sim: object, rng: np.random.Generator) -> pl.DataFrame:
    """Per school and semester a few activities: most list their participants (some supported pupils,
    some not), study visits give a head count instead."""
    types = list(ACTIVITY_TYPES)
    rows = []
    for i, school in enumerate(sim.schools.iter_rows(named=True)):
        rezekne = school["municipality"].startswith("Rēzeknes")
        for year in world.SCHOOL_YEARS:
            y0 = int(year[:4])
            roster = sim.pupils.filter((pl.col("school_id") == school["school_id"]) & (pl.col("school_year") == year))
            supported = set(
                sim.plans.filter((pl.col("school_id") == school["school_id"]) & (pl.col("school_year") == year))[
                    "pupil_code"
                ].to_list()
            )
            for s, (m0, d0, m1, d1) in enumerate(SEMESTERS):
                yy = y0 if s == 0 else y0 + 1
                days = school_days(date(yy, m0, d0), date(yy, m1, d1))
                for n in range(ACTIVITIES_PER_SEMESTER):
                    day = days[int(rng.integers(len(days)))]
                    kind = types[int(rng.integers(len(types)))]
                    project = REZEKNE_PROJECT if rezekne else OTHER_ACTIVITY_PROJECTS[int(rng.integers(2))]
                    minutes = 240 if kind == "study_visit" else int(rng.choice([45, 90]))
                    subject = (
                        ACTIVITY_SUBJECTS[int(rng.integers(len(ACTIVITY_SUBJECTS)))]
                        if kind in ("group_lesson", "research_workshop", "interdisciplinary")
                        else None
                    )
                    base = {
                        "date": day,
                        "school_id": school["school_id"],
                        "activity_id": f"P{y0 % 100:02d}-{s + 1}{n + 1:02d}",
                        "activity_type": kind,
                        "title": TITLES[int(rng.integers(len(TITLES)))],
                        "subject": subject,
                        "minutes": float(minutes),
                        "project_code": project,
                        "_school": i,
                        "_year": year,
                    }
                    on_roll = roster.filter(pl.col("left_on").is_null() | (pl.col("left_on") > day))
                    if kind == "study_visit" or on_roll.height == 0:
                        rows.append({**base, "pupil_code": None, "participants": int(rng.integers(12, 40))})
                        continue
                    codes = on_roll["pupil_code"].to_list()
                    weights = np.array([3.0 if c in supported else 1.0 for c in codes])
                    k = min(len(codes), int(rng.integers(5, 13)))
                    chosen = rng.choice(len(codes), size=k, replace=False, p=weights / weights.sum())
                    rows += [{**base, "pupil_code": codes[j], "participants": None} for j in sorted(chosen)]
    return pl.DataFrame(rows, schema=ACTIVITY_SCHEMA, orient="row") if rows else pl.DataFrame(schema=ACTIVITY_SCHEMA)


ACTIVITY_SCHEMA = {
    "date": pl.Date, "school_id": pl.String, "activity_id": pl.String, "activity_type": pl.String,
    "title": pl.String, "subject": pl.String, "minutes": pl.Float64, "project_code": pl.String,
    "_school": pl.Int64, "_year": pl.String, "pupil_code": pl.String, "participants": pl.Int64,
}  # fmt: skip
FINANCIAL_SCHEMA = {
    "date": pl.Date, "pupil_code": pl.String, "school_id": pl.String, "support_type": pl.String,
    "amount_eur": pl.Float64, "project_code": pl.String, "_school": pl.Int64, "_year": pl.String,
}  # fmt: skip
COST_SCHEMA = {
    "month": pl.Date, "project_code": pl.String, "municipality": pl.String, "cost_category": pl.String,
    "amount_eur": pl.Float64, "_school": pl.Int64, "_year": pl.String,
}  # fmt: skip


def make_financial_support(sim: object, rng: np.random.Generator) -> pl.DataFrame:
    """About a third of PuMPuRS-supported pupils get transport or meals paid monthly while their plan runs."""
    index = {sid: i for i, sid in enumerate(sim.schools["school_id"].to_list())}
    rows = []
    plans = sim.plans.filter(pl.col("project_code") == FINANCIAL_PROJECT).sort("pupil_code", "plan_start")
    for plan in plans.iter_rows(named=True):
        if rng.random() >= 1 / 3:
            continue
        kind = ("transport", "meals", "dormitory", "school_supplies")[int(rng.choice(4, p=[0.45, 0.35, 0.1, 0.1]))]
        end = plan["plan_end"] or date(int(plan["school_year"][5:]), 6, 30)
        y0 = int(plan["school_year"][:4])
        for month in PAID_MONTHS:
            day = date(y0 if month >= 9 else y0 + 1, month, 5)
            if not plan["plan_start"] <= day <= end:
                continue
            amount = round(float(rng.uniform(10, 60 if kind != "dormitory" else 120)), 2)
            rows.append(
                {
                    "date": day,
                    "pupil_code": plan["pupil_code"],
                    "school_id": plan["school_id"],
                    "support_type": kind,
                    "amount_eur": amount,
                    "project_code": FINANCIAL_PROJECT,
                    "_school": index[plan["school_id"]],
                    "_year": plan["school_year"],
                }
            )
    return pl.DataFrame(rows, schema=FINANCIAL_SCHEMA, orient="row") if rows else pl.DataFrame(schema=FINANCIAL_SCHEMA)


def make_costs(
    sim: object, activities: pl.DataFrame, financial: pl.DataFrame, rng: np.random.Generator
) -> pl.DataFrame:
    """Each project's monthly costs per municipality where it worked (September–June): pay, the
    financial support it compensated, activities and administration."""
    municipality = dict(zip(sim.schools["school_id"].to_list(), sim.schools["municipality"].to_list(), strict=True))
    worked = {
        (municipality[s], p)
        for frame in (activities, financial, sim.plans)
        for s, p in frame.select("school_id", "project_code").unique().iter_rows()
        if p in PROJECTS
    }
    paid = (
        financial.with_columns(pl.col("date").dt.truncate("1mo").alias("month"))
        .with_columns(pl.col("school_id").replace_strict(municipality).alias("municipality"))
        .group_by("municipality", "month")
        .agg(pl.col("amount_eur").sum())
    )
    compensated = {(m, d): a for m, d, a in paid.iter_rows()}
    rows = []
    for name, project in sorted(worked):
        for year in world.SCHOOL_YEARS:
            y0 = int(year[:4])
            for month in (9, 10, 11, 12, 1, 2, 3, 4, 5, 6):
                first = date(y0 if month >= 9 else y0 + 1, month, 1)
                amounts = {
                    "remuneration": round(float(rng.uniform(2500, 7500)), 2),
                    "activities": round(float(rng.uniform(150, 1200)), 2),
                    "administration": round(float(rng.uniform(250, 600)), 2),
                }
                if project == FINANCIAL_PROJECT and (name, first) in compensated:
                    amounts["compensations"] = round(compensated[name, first], 2)
                for category in COST_CATEGORIES:
                    if category in amounts:
                        rows.append(
                            {
                                "month": first,
                                "project_code": project,
                                "municipality": name,
                                "cost_category": category,
                                "amount_eur": amounts[category],
                                "_school": -1,
                                "_year": year,
                            }
                        )
    return pl.DataFrame(rows, schema=COST_SCHEMA, orient="row") if rows else pl.DataFrame(schema=COST_SCHEMA)


# --- how each dialect writes them -----------------------------------------------------------------


def written(frame: pl.DataFrame, kind: str, dialect: str) -> pl.DataFrame:
    """The frame's words and numbers as a school system writes them: vocabulary in LV or EN (without
    diacritics in `tab_plain`), amounts with a decimal comma and months as `01.2025` in the Latvian
    dialects, `2025-01` in the English one. Leaves `_date_text` for writers.render."""
    english = dialect == "utf8_bom_en"

    def words(table: dict[str, tuple[str, str, tuple[str, ...]]]) -> dict[str, str]:
        out = {code: (en if english else lv) for code, (lv, en, _more) in table.items()}
        return {k: strip(v) for k, v in out.items()} if dialect == "tab_plain" else out

    exprs: list[pl.Expr] = [pl.lit(None, dtype=pl.String).alias("_date_text")]
    for column, table in (("activity_type", ACTIVITY_TYPES), ("support_type", SUPPORT_TYPES),
                          ("cost_category", COST_CATEGORIES), ("subject", SUBJECTS)):  # fmt: skip
        if column in frame.columns:
            exprs.append(pl.col(column).replace_strict(words(table), default=None, return_dtype=pl.String))
    if "amount_eur" in frame.columns:
        text = pl.col("amount_eur").map_elements(lambda v: f"{v:.2f}", return_dtype=pl.String)
        exprs.append(text if english else text.str.replace(".", ",", literal=True))
    if "month" in frame.columns:
        exprs.append(pl.col("month").dt.strftime("%Y-%m" if english else "%m.%Y"))
    if "project_code" in frame.columns and dialect in world.PROJECT_SPELLINGS:
        exprs.append(pl.col("project_code").replace(world.PROJECT_SPELLINGS[dialect]))
    if english and "pupil_code" in frame.columns:
        exprs.append(pl.col("pupil_code").str.replace("-", "", literal=True))
    return frame.with_columns(exprs)


def strip(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
