"""The simulated world written as the messy files schools send: four dialects, cumulative exports, planted errors.

`build_files` is pure (path -> bytes); `write_sample` only adds the disk. Every random choice here comes
from a generator seeded with the sample's seed, so the same seed gives byte-identical files.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import xlsxwriter

from pipelines.contract import (
    ABSENCE_REASONS,
    ASSESSMENT_TYPES,
    COLUMNS,
    LEARNING_LEVELS,
    MODES,
    SCHOOL_TYPES,
    STAFF_ROLES,
    SUBJECTS,
)
from pipelines.personal_code import make_old_code
from pipelines.sample import programme, world
from pipelines.sample.simulate import Simulation, lessons_per_day, simulate
from pipelines.sample.vocational import vocational_files, vocational_school

DIALECTS: tuple[str, ...] = ("cp1257", "utf8_bom_en", "tab_plain", "xlsx")
DIALECT_TEXT = {
    "cp1257": "Windows-1257, `;`, latviskas galvenes, datumi dd.mm.gggg, decimālkomats, CRLF",
    "utf8_bom_en": "UTF-8 ar BOM, `,`, angliskas galvenes, ISO datumi",
    "tab_plain": "UTF-8, tabulācija, galvenes bez garumzīmēm, datumi dd.mm.gggg",
    "xlsx": "Excel .xlsx, īsti datumu lauki, latviskas galvenes",
}
XLSX_CREATED = datetime(2026, 11, 23, 8, 0, 0)  # fixed document date: the same bytes on every run
DATE_COLUMNS = {"date", "plan_start", "plan_end", "left_on", "period_start", "period_end"}
EXPORT_COLUMNS: dict[str, tuple[str, ...]] = {kind: tuple(c.name for c in cols) for kind, cols in COLUMNS.items()}
FILE_STEMS = {
    "pupils": "skolēni",
    "plans": "iap",
    "consultations": "konsultacijas",
    "grades": "vertejumi",
    "activities": "pasakumi",
    "financial_support": "finansialais_atbalsts",
    "costs": "izmaksas",
    "attendance_lessons": "kavejumi",
    "attendance_periods": "kavejumu_kopsavilkums",
}
# How each project's office writes its costs file (one per project and school year).
COST_DIALECTS = ("cp1257", "utf8_bom_en", "xlsx")
# Attendance shapes (docs/sample-data.md, "Attendance"): school i sends period summaries when i % 3 == 2
# (monthly with lessons held when i % 6 == 2, per semester without when i % 6 == 5), lesson records otherwise.
ATTENDANCE_STREAM = 5  # the writers' own stream for attendance: the other files' bytes stay as they were
COUNT_COLUMNS = ("minutes", "group_size", "lessons_missed", "excused", "unexcused", "illness", "lessons_held")
README_NAME = "SAMPLE_README.md"


@dataclass(frozen=True)
class SampleSummary:
    """What `write_sample` wrote: how many files and data rows of each kind (cumulative repeats included)."""

    out_dir: Path
    files: int
    rows: dict[str, int] = field(default_factory=dict)
    planted: int = 0

    def __str__(self) -> str:
        counts = ", ".join(f"{kind} {n}" for kind, n in self.rows.items())
        return (
            f"{self.files} faili / files; rindas / rows: {counts}; iestādītas kļūdas / planted errors: {self.planted}"
        )


@dataclass
class Planted:
    """One deliberate error: where it is and what it is (for SAMPLE_README.md)."""

    school_idx: int
    kind: str
    when: date
    what_lv: str
    what_en: str
    files: list[str] = field(default_factory=list)
    file_stem: str | None = None  # for whole-file errors


def write_sample(
    out_dir: Path, schools: int = 9, seed: int = 42, effect: float = 0.6, world_name: str = "baseline"
) -> SampleSummary:
    """Simulate, then write the messy export files under out_dir (Load → Process → Save)."""
    sim = simulate(schools=schools, seed=seed, effect=effect, world_name=world_name)
    files, rows, planted = build_files(sim, seed)
    out_dir = Path(out_dir)
    for rel, data in files.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return SampleSummary(out_dir=out_dir, files=len(files), rows=rows, planted=planted)


def build_files(sim: Simulation, seed: int) -> tuple[dict[str, bytes], dict[str, int], int]:
    """Every file of the sample as relative path -> bytes, rows written per kind, planted error count."""
    rng = np.random.Generator(np.random.PCG64([seed, 2]))
    n_schools = sim.schools.height
    dialects = assign_dialects(n_schools)
    tables = {kind: export_frame(sim, kind, rng) for kind in ("pupils", "plans", "consultations", "grades")}
    tables, planted = plant_errors(sim, tables, rng)
    tables.update(attendance_frames(sim, np.random.Generator(np.random.PCG64([seed, ATTENDANCE_STREAM]))))
    # the vocational school comes from its own random stream: the general schools' files do not move
    vocational = vocational_school(sim.schools, seed)
    registry = pl.concat(
        [
            sim.schools.with_columns(pl.lit("general").alias("school_type")),
            pl.DataFrame([{**vocational, "school_type": "vocational"}]),
        ]
    )
    files: dict[str, bytes] = {"skolu_registrs.csv": registry_bytes(registry)}
    rows = {"schools": registry.height} | {kind: 0 for kind in tables}
    slug = world.MUNICIPALITIES[vocational["municipality"]][1]
    codes = set(sim.pupils["pupil_code"].to_list())
    voc_files, voc_rows = vocational_files(vocational, codes, seed, f"{slug}/{vocational['school_id']}")
    files.update(voc_files)
    rows = {kind: n + voc_rows.get(kind, 0) for kind, n in rows.items()}
    for i, school in enumerate(sim.schools.iter_rows(named=True)):
        folder = f"{world.MUNICIPALITIES[school['municipality']][1]}/{school['school_id']}"
        for kind, table in tables.items():
            mine = table.filter(pl.col("_school") == i)
            dialect = dialects.get((i, kind), dialects[(i, None)])
            # Excel is slow to write and schools exporting to Excel send grades one semester at a time.
            cumulative = not (dialect == "xlsx" and kind == "grades")
            for name, part in split_into_files(kind, mine, cumulative):
                rel = f"{folder}/{name}{'.xlsx' if dialect == 'xlsx' else '.csv'}"
                files[rel] = render(part, kind, dialect)
                rows[kind] += part.height
                for k in part.filter(pl.col("_planted"))["_planted_id"].to_list():
                    planted[k].files.append(rel)
        files.update(extra_files(i, folder, tables["consultations"], dialects[(i, None)], n_schools))
    files.update(programme_files(sim, seed, dialects, rows))
    for p in planted:
        if p.file_stem:
            p.files.extend(rel for rel in files if Path(rel).stem == p.file_stem)
    files[README_NAME] = readme(sim, planted, dialects).encode("utf-8")
    return dict(sorted(files.items())), rows, len(planted)


def programme_files(
    sim: Simulation, seed: int, dialects: dict[tuple[int, str | None], str], rows: dict[str, int]
) -> dict[str, bytes]:
    """Activities and financial support per school and school year in the school's dialect; each
    project's costs per school year in its own folder (programme.py draws them on a stream of their own)."""
    frames = programme.programme_frames(sim, seed)
    out: dict[str, bytes] = {}
    for kind in ("activities", "financial_support"):
        rows[kind] = 0
        for i, school in enumerate(sim.schools.iter_rows(named=True)):
            folder = f"{world.MUNICIPALITIES[school['municipality']][1]}/{school['school_id']}"
            dialect = dialects[(i, None)]
            for year in world.SCHOOL_YEARS:
                part = frames[kind].filter((pl.col("_school") == i) & (pl.col("_year") == year))
                if part.height:
                    ext = ".xlsx" if dialect == "xlsx" else ".csv"
                    rel = f"{folder}/{FILE_STEMS[kind]}_{year.replace('/', '-')}{ext}"
                    out[rel] = render(programme.written(part, kind, dialect), kind, dialect)
                    rows[kind] += part.height
    rows["costs"] = 0
    for j, project in enumerate(sorted(frames["costs"]["project_code"].unique().to_list())):
        dialect = COST_DIALECTS[j % len(COST_DIALECTS)]
        for year in world.SCHOOL_YEARS:
            part = frames["costs"].filter((pl.col("project_code") == project) & (pl.col("_year") == year))
            if part.height:
                slug = project.replace("/", "-").lower()
                ext = ".xlsx" if dialect == "xlsx" else ".csv"
                rel = f"projekti/{slug}/{FILE_STEMS['costs']}_{year.replace('/', '-')}{ext}"
                out[rel] = render(programme.written(part, "costs", dialect), "costs", dialect)
                rows["costs"] += part.height
    return out


def assign_dialects(n_schools: int) -> dict[tuple[int, str | None], str]:
    """School i writes every file in dialect i mod 4; with fewer than four schools the missing dialects
    go to some schools' rosters and plans, so every dialect still appears."""
    out: dict[tuple[int, str | None], str] = {(i, None): DIALECTS[i % 4] for i in range(n_schools)}
    for d in range(n_schools, 4):
        out[(d % n_schools, "pupils")] = DIALECTS[d]
        out[(d % n_schools, "plans")] = DIALECTS[d]
    return out


# --- from clean frames to export rows ----------------------------------------------------------------


def export_frame(sim: Simulation, kind: str, rng: np.random.Generator) -> pl.DataFrame:
    """Canonical export columns (dates still dates), the school index, the split date and planted-error marks."""
    ids = sim.schools.select("school_id", pl.int_range(pl.len()).alias("_school"))
    if kind == "pupils":
        frame = sim.pupils.rename({"class_raw": "class"}).with_columns(
            pl.date(pl.col("school_year").str.slice(0, 4).cast(pl.Int32), 9, 1).alias("_when")
        )
    elif kind == "plans":
        frame = sim.plans.with_columns(pl.col("plan_start").alias("_when"))
    elif kind == "consultations":
        frame = sim.consultations.with_columns(
            pl.col("date").alias("_when"),
            subject_text(sim.consultations["subject"], rng),
            pl.col("staff_role").alias("_role"),
            pl.col("mode").alias("_mode"),
        )
    else:
        frame = sim.grades.rename({"grade_raw": "grade"}).with_columns(
            pl.col("date").alias("_when"),
            subject_text(sim.grades["subject"], rng),
            pl.col("assessment_type").alias("_assessment"),
        )
    keep = [*EXPORT_COLUMNS[kind], *[c for c in ("_role", "_mode", "_assessment") if c in frame.columns], "_when"]
    return (
        frame.join(ids, on="school_id", how="left", maintain_order="left")
        .select(*keep, "_school")
        .with_columns(
            pl.lit(None, dtype=pl.String).alias("_date_text"),
            pl.lit(False).alias("_planted"),
            pl.lit(None, dtype=pl.Int64).alias("_planted_id"),
        )
    )


def summary_school(i: int) -> bool:
    return i % 3 == 2


def attendance_frames(sim: Simulation, rng: np.random.Generator) -> dict[str, pl.DataFrame]:
    """Lesson records of the schools that send them, period summaries of the others (every pupil on the
    roll in the period, zeros included), in the shape export_frame gives the other kinds."""
    ids = sim.schools.select("school_id", pl.int_range(pl.len()).alias("_school"))
    marks = [
        pl.lit(None, dtype=pl.String).alias("_date_text"),
        pl.lit(False).alias("_planted"),
        pl.lit(None, dtype=pl.Int64).alias("_planted_id"),
    ]
    absences = sim.attendance.join(ids, on="school_id", how="left", maintain_order="left")
    records = absences.filter(~summary_school_expr())
    records = records.with_columns(
        subject_text(records["subject"], rng), pl.col("reason").alias("_reason"), pl.col("date").alias("_when")
    )
    lessons = records.select(*EXPORT_COLUMNS["attendance_lessons"], "_reason", "_when", "_school", *marks)
    periods = period_summaries(sim, absences.filter(summary_school_expr()), ids)
    return {"attendance_lessons": lessons, "attendance_periods": periods.with_columns(marks)}


def summary_school_expr() -> pl.Expr:
    return pl.col("_school") % 3 == 2


def period_summaries(sim: Simulation, absences: pl.DataFrame, ids: pl.DataFrame) -> pl.DataFrame:
    """Per pupil on the roll: one row per month (schools i % 6 == 2, with lessons held) or per semester."""
    periods = []
    for cal in world.semester_calendar():
        days = cal["school_days"].astype("datetime64[D]").astype(date)
        start, end = days[0], days[-1]
        periods.append((cal["school_year"], start, end, "semester", len(days)))
        for month in sorted({(d.year, d.month) for d in days}):
            first = date(month[0], month[1], 1)
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
            held = sum(first <= d <= last for d in days)
            periods.append((cal["school_year"], first, last, "month", held))
    frame = pl.DataFrame(
        periods, schema=["school_year", "period_start", "period_end", "_granularity", "_school_days"], orient="row"
    )
    roster = (
        sim.pupils.join(ids, on="school_id", how="left")
        .filter(summary_school_expr())
        .select("pupil_code", "school_id", "school_year", "grade_level", "left_on", "_school")
    )
    wanted = pl.when(pl.col("_school") % 6 == 2).then(pl.lit("month")).otherwise(pl.lit("semester"))
    on_roll = pl.col("left_on").is_null() | (pl.col("left_on") >= pl.col("period_start"))
    rows = roster.join(frame, on="school_year").filter((pl.col("_granularity") == wanted) & on_roll)
    counts = (
        rows.select("pupil_code", "period_start", "period_end")
        .join(absences.select("pupil_code", "date", "reason", "lessons_missed"), on="pupil_code")
        .filter(pl.col("date").is_between(pl.col("period_start"), pl.col("period_end")))
        .group_by("pupil_code", "period_start")
        .agg(
            pl.col("lessons_missed").filter(pl.col("reason") == reason).sum().alias(reason)
            for reason in ("excused", "unexcused", "illness")
        )
    )
    per_day = pl.Series(lessons_per_day(rows["grade_level"].to_numpy()))
    return (
        rows.with_columns(per_day.alias("_per_day"))
        .join(counts, on=["pupil_code", "period_start"], how="left")
        .with_columns(
            pl.col("excused", "unexcused", "illness").fill_null(0).cast(pl.Int64),
            pl.when(pl.col("_school") % 6 == 2)
            .then(pl.col("_school_days") * pl.col("_per_day"))
            .cast(pl.Int64)
            .alias("lessons_held"),
            pl.col("period_start").alias("_when"),
        )
        .sort("period_start", "school_id", "pupil_code")
        .select(*EXPORT_COLUMNS["attendance_periods"], "_when", "_school")
    )


def subject_text(codes: pl.Series, rng: np.random.Generator) -> pl.Series:
    """Subjects as people type them: the Latvian name, now and then in capitals or lower case."""
    latvian = {code: lv for code, (lv, _en, _more) in SUBJECTS.items()}
    names = codes.replace_strict(latvian, default=None, return_dtype=pl.String)
    style = rng.random(len(codes))
    out = [
        None if n is None else n.upper() if u < 0.05 else n.lower() if u < 0.15 else n
        for n, u in zip(names.to_list(), style, strict=True)
    ]
    return pl.Series("subject", out, dtype=pl.String)


# --- deliberate errors -------------------------------------------------------------------------------


def plant_errors(
    sim: Simulation, tables: dict[str, pl.DataFrame], rng: np.random.Generator
) -> tuple[dict[str, pl.DataFrame], list[Planted]]:
    """Add the deliberate bad rows (each in schools 0–2, wrapping round with fewer schools)."""
    n = sim.schools.height
    s0, s1, s2 = 0, 1 % n, 2 % n
    planted: list[Planted] = []
    extra: dict[str, list[pl.DataFrame]] = {kind: [] for kind in tables}
    consult, grades = tables["consultations"], tables["grades"]

    def add(kind: str, row: pl.DataFrame, school: int, lv: str, en: str, **changes: Any) -> None:
        exprs = [pl.lit(v, dtype=row.schema[k]).alias(k) for k, v in changes.items()]
        marks = [pl.lit(True).alias("_planted"), pl.lit(len(planted), dtype=pl.Int64).alias("_planted_id")]
        extra[kind].append(row.with_columns(*exprs, *marks))
        planted.append(Planted(school, kind, row["_when"][0], lv, en))

    def pick(table: pl.DataFrame, school: int, condition: pl.Expr) -> pl.DataFrame:
        rows = table.filter((pl.col("_school") == school) & condition)
        assert rows.height, "no row to plant an error in: the simulated world changed shape"
        return rows.slice(int(rng.integers(rows.height)), 1)

    subject_row = pl.col("subject").is_not_null()
    row = pick(consult, s0, subject_row)
    add("consultations", row, s0, "nederīgs personas kods (kontrolcipars)", "invalid personal code (check digit)",
        pupil_code=break_check_digit(row["pupil_code"][0]))  # fmt: skip
    row = pick(grades, s1, pl.col("_assessment") != "term")
    add("grades", row, s1, "nederīgs personas kods (kontrolcipars)", "invalid personal code (check digit)",
        pupil_code=break_check_digit(row["pupil_code"][0]))  # fmt: skip
    row = pick(consult, s1, subject_row & (pl.col("_when").dt.strftime("%Y-%m") == "2025-02"))
    add("consultations", row, s1, "nenolasāms datums „31.02.2025”", "unparseable date '31.02.2025'",
        _date_text="31.02.2025")  # fmt: skip
    row = pick(grades, s2, pl.col("_assessment") != "term")
    add("grades", row, s2, "nenolasāms datums „nezināms”", "unparseable date 'nezināms'", _date_text="nezināms")
    row = pick(grades, s0, pl.col("grade").str.contains(r"^\d+$") & (pl.col("_assessment") != "term"))
    add("grades", row, s0, "vērtējums 11 (ārpus skalas 1–10)", "grade 11 (outside the 1–10 scale)", grade="11")
    second_graders = sim.pupils.filter(pl.col("grade_level") == 2).select("pupil_code", "school_year")
    year_of_mark = (
        pl.when(pl.col("_when").dt.month() >= 9)
        .then(pl.col("_when").dt.year())
        .otherwise(pl.col("_when").dt.year() - 1)
    )
    marks_of_year = grades.with_columns(pl.format("{}/{}", year_of_mark, year_of_mark + 1).alias("school_year"))
    row = pick(
        marks_of_year.join(second_graders, on=["pupil_code", "school_year"], how="semi").drop("school_year"),
        s1,
        pl.col("grade").is_in(list(LEARNING_LEVELS)),
    )
    add("grades", row, s1, "10 ballu vērtējums 2. klases skolēnam (gaidīts līmenis S/T/A/P)",
        "a 10-point grade for a grade-2 pupil (a level S/T/A/P expected)", grade="7")  # fmt: skip
    row = pick(consult, s2, subject_row)
    add("consultations", row, s2, "ilgums 0 minūtes", "duration 0 minutes", minutes=0.0)
    row = pick(consult, s2, subject_row)
    add("consultations", row, s2, "ilgums 300 minūtes", "duration 300 minutes", minutes=300.0)
    row = pick(consult, s0, subject_row)
    add("consultations", row, s0, "skolēns nav šīs skolas sarakstā", "pupil not on this school's roster",
        pupil_code=stranger_code(sim, rng))  # fmt: skip
    row = pick(consult, s1, subject_row)
    other_minutes = 20.0 if row["minutes"][0] != 20 else 40.0
    add("consultations", row, s1, "tas pats pedagogs, skolēns un priekšmets divreiz vienā dienā",
        "same staff member, pupil and subject twice on one day", minutes=other_minutes)  # fmt: skip
    # A pupil whose first plan began in 2025/26: a consultation a week before it lies outside every plan.
    first_plan = (
        sim.plans.group_by("pupil_code")
        .agg(pl.col("plan_start").min())
        .filter(pl.col("plan_start") >= date(2025, 10, 1))
    )
    row = pick(consult, s2, subject_row & pl.col("pupil_code").is_in(first_plan["pupil_code"].implode()))
    start = first_plan.filter(pl.col("pupil_code") == row["pupil_code"][0])["plan_start"][0]
    before = start - timedelta(days=7)
    before -= timedelta(days=max(0, before.weekday() - 4))  # a weekday
    add("consultations", row, s2, "konsultācija ārpus IAP datumiem", "consultation outside the plan dates",
        date=before, _when=before)  # fmt: skip
    row = pick(consult, s0, subject_row)
    add("consultations", row, s0, "nezināms priekšmets „Robotika”", "unknown subject 'Robotika'", subject="Robotika")
    row = pick(consult, s1, subject_row & (pl.col("_when") >= date(2026, 1, 1)))
    add("consultations", row, s1, "datums nākotnē (2027)", "date in the future (2027)", date=date(2027, 2, 15))
    out = {kind: pl.concat([table, *extra[kind]]).sort("_when", maintain_order=True) for kind, table in tables.items()}
    files = [
        ("piezimes", s0, "piezīmju fails, nav dati", "a note, not data"),
        ("tukss_eksports", s1, "tukšs CSV fails", "an empty CSV file"),
        ("konsultacijas_labots_2026-02", s2, "konsultāciju fails bez obligātās kolonnas „Ilgums (min)”",
         "consultations file without the required column 'Ilgums (min)' (rejected whole)"),
    ]  # fmt: skip
    for name, school, lv, en in files:
        planted.append(Planted(school, "file", date(2026, 2, 28), lv, en, file_stem=name))
    return out, planted


def break_check_digit(code: str) -> str:
    """The same code with a wrong check digit: looks right, fails validation."""
    return code[:-1] + str((int(code[-1]) + 3) % 10)


def stranger_code(sim: Simulation, rng: np.random.Generator) -> str:
    """A valid personal code that is on no school's roster."""
    known = set(sim.pupils["pupil_code"].to_list())
    while True:
        code = make_old_code(int(rng.integers(1, 29)), int(rng.integers(1, 13)), 2011, int(rng.integers(1000)))
        if code not in known:
            return code


# --- files -------------------------------------------------------------------------------------------


def split_into_files(kind: str, table: pl.DataFrame, cumulative: bool = True) -> list[tuple[str, pl.DataFrame]]:
    """Rosters and plans one file per school year; consultations and grades as year-to-date exports
    (through December, then the whole year again through June), or one file per semester."""
    out: list[tuple[str, pl.DataFrame]] = []
    for year in world.SCHOOL_YEARS:
        y0, y1 = int(year[:4]), int(year[5:])
        start = date(y0, 9, 1)
        if kind in ("pupils", "plans"):
            part = table.filter(pl.col("_when").is_between(start, date(y1, 8, 31)))
            if part.height:
                out.append((f"{FILE_STEMS[kind]}_{y0}-{y1}", part))
            continue
        spring = start if cumulative else date(y1, 1, 1)
        for begin, end, label in ((start, date(y0, 12, 31), f"{y0}-12"), (spring, date(y1, 6, 30), f"{y1}-06")):
            part = table.filter(pl.col("_when").is_between(begin, end))
            if part.height:
                out.append((f"{FILE_STEMS[kind]}_{label}", part))
    return out


def extra_files(
    school: int, folder: str, consultations: pl.DataFrame, dialect: str, n_schools: int
) -> dict[str, bytes]:
    """The non-data note, the empty CSV and the consultations file missing its minutes column."""
    out: dict[str, bytes] = {}
    if school == 0:
        note = (
            "Piezīmes par eksportu\r\n"
            "Februārī konsultāciju žurnālā bija tehniskas problēmas; labotais fails atsūtīts atsevišķi.\r\n"
            "Jautājumus sūtīt direktora vietniecei.\r\n"
        )
        out[f"{folder}/piezimes.txt"] = note.encode("utf-8")
    if school == 1 % n_schools:
        out[f"{folder}/tukss_eksports.csv"] = b""
    if school == 2 % n_schools:
        part = consultations.filter(
            (pl.col("_school") == school) & pl.col("_when").is_between(date(2026, 1, 1), date(2026, 2, 28))
        )
        name = f"{folder}/konsultacijas_labots_2026-02{'.xlsx' if dialect == 'xlsx' else '.csv'}"
        out[name] = render(part, "consultations", dialect, drop=("minutes",))
    return out


def registry_bytes(schools: pl.DataFrame) -> bytes:
    """The schools registry: UTF-8, `;`, Latvian headers; the school type as the registry words it."""
    headers = [c.latvian for c in COLUMNS["schools"]]
    if "school_type" not in schools.columns:
        schools = schools.with_columns(pl.lit("general").alias("school_type"))
    words = {code: lv.lower() for code, (lv, _en, _more) in SCHOOL_TYPES.items()}
    schools = schools.with_columns(pl.col("school_type").replace_strict(words, default=None))
    frame = schools.select(EXPORT_COLUMNS["schools"])
    frame.columns = headers
    return frame.write_csv(separator=";").encode("utf-8")


def header_text(kind: str, column: str, dialect: str) -> str:
    col = next(c for c in COLUMNS[kind] if c.name == column)
    if dialect == "utf8_bom_en":
        return col.name
    text = f"{col.latvian} (min)" if column == "minutes" else col.latvian
    if dialect == "tab_plain":
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return text


def value_texts(part: pl.DataFrame, kind: str, dialect: str) -> pl.DataFrame:
    """Dictionary values as each dialect's system writes them (roles, modes, assessment types)."""
    english = dialect == "utf8_bom_en"
    exprs = []
    if "_role" in part.columns:
        roles = {code: (en if english else lv) for code, (lv, en, _m) in STAFF_ROLES.items()}
        exprs.append(pl.col("_role").replace_strict(roles, default=None, return_dtype=pl.String).alias("staff_role"))
    if "_mode" in part.columns:
        modes = {code: (en.lower() if english else lv.lower()) for code, (lv, en, _m) in MODES.items()}
        if dialect == "tab_plain":
            modes = {k: strip_marks(v) for k, v in modes.items()}
        exprs.append(pl.col("_mode").replace_strict(modes, default=None, return_dtype=pl.String).alias("mode"))
    if "_assessment" in part.columns:
        types = {code: (en.lower() if english else lv) for code, (lv, en, _m) in ASSESSMENT_TYPES.items()}
        exprs.append(
            pl.col("_assessment").replace_strict(types, default=None, return_dtype=pl.String).alias("assessment_type")
        )
    if kind in ("plans", "consultations") and dialect in world.PROJECT_SPELLINGS:
        exprs.append(pl.col("project_code").replace(world.PROJECT_SPELLINGS[dialect]))
    if kind == "pupils" and dialect == "cp1257":
        exprs.append(pl.col("gender").replace_strict({"M": "V", "F": "S"}, default=None).alias("gender"))  # vīr./siev.
    if "_reason" in part.columns:
        reasons = {code: (en if english else lv) for code, (lv, en, _m) in ABSENCE_REASONS.items()}
        if dialect == "tab_plain":
            reasons = {k: strip_marks(v) for k, v in reasons.items()}
        exprs.append(pl.col("_reason").replace_strict(reasons, default=None, return_dtype=pl.String).alias("reason"))
    if english and kind in ("pupils", "plans", "consultations", "grades", "attendance_lessons", "attendance_periods"):
        exprs.append(pl.col("pupil_code").str.replace("-", "", literal=True))  # this system drops the hyphen
    return part.with_columns(exprs) if exprs else part


def strip_marks(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def render(part: pl.DataFrame, kind: str, dialect: str, drop: tuple[str, ...] = ()) -> bytes:
    """One file's bytes in the school's dialect."""
    part = value_texts(part, kind, dialect)
    columns = [c for c in EXPORT_COLUMNS[kind] if c not in drop]
    if dialect == "xlsx":
        return xlsx_bytes(part, kind, columns)
    date_format = "%Y-%m-%d" if dialect == "utf8_bom_en" else "%d.%m.%Y"
    exprs = []
    for col in columns:
        if col in DATE_COLUMNS:
            text = pl.col(col).dt.strftime(date_format)
            if col == "date":
                text = pl.coalesce(pl.col("_date_text"), text)
            exprs.append(text.alias(col))
        elif col == "minutes":
            minutes = pl.col(col).cast(pl.Int64).cast(pl.String)
            if dialect == "cp1257":
                minutes = pl.format("{},{}", pl.col(col).cast(pl.Int64), (pl.col(col) * 10 % 10).cast(pl.Int64))
            exprs.append(minutes.alias(col))
        else:
            exprs.append(pl.col(col).cast(pl.String))
    frame = part.select(exprs)
    frame.columns = [header_text(kind, c, dialect) for c in columns]
    separator = {"cp1257": ";", "utf8_bom_en": ",", "tab_plain": "\t"}[dialect]
    text = frame.write_csv(separator=separator, line_terminator="\r\n" if dialect == "cp1257" else "\n")
    if dialect == "cp1257":
        return text.encode("cp1257")
    if dialect == "utf8_bom_en":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode("utf-8")


def xlsx_bytes(part: pl.DataFrame, kind: str, columns: list[str]) -> bytes:
    """First sheet, Latvian headers, real date cells, numbers as numbers; fixed properties for identical bytes."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    book.set_properties({"created": XLSX_CREATED, "author": "e-klases eksports", "title": f"atbalsts {kind}"})
    sheet = book.add_worksheet("Eksports")
    date_cell = book.add_format({"num_format": "dd.mm.yyyy"})
    bold = book.add_format({"bold": True})
    for j, col in enumerate(columns):
        sheet.write_string(0, j, header_text(kind, col, "xlsx"), bold)
    writers: dict[str, Callable[[int, int, Any], None]] = {}
    for col in columns:
        if col in DATE_COLUMNS:
            writers[col] = lambda r, c, v: sheet.write_datetime(r, c, datetime(v.year, v.month, v.day), date_cell)
        elif col in COUNT_COLUMNS:
            writers[col] = lambda r, c, v: sheet.write_number(r, c, float(v))
        elif col == "grade":
            writers[col] = lambda r, c, v: (
                sheet.write_number(r, c, int(v)) if v.isdigit() else sheet.write_string(r, c, v)
            )
        else:
            writers[col] = lambda r, c, v: sheet.write_string(r, c, str(v))
    date_texts = part["_date_text"].to_list()
    for i, row in enumerate(part.select(columns).iter_rows(), start=1):
        for j, (col, value) in enumerate(zip(columns, row, strict=True)):
            if col == "date" and date_texts[i - 1] is not None:
                sheet.write_string(i, j, date_texts[i - 1])
            elif value is not None:
                writers[col](i, j, value)
    sheet.set_column(0, len(columns) - 1, 16)
    book.close()
    return buffer.getvalue()


# --- the ground-truth note ------------------------------------------------------------------------


def world_lines(truth: dict) -> list[str]:
    """The README line naming a harder world (none for the baseline, whose README stays as it was)."""
    if truth["name"] == "baseline":
        return []
    return [
        f"- Pasaule / world: `{truth['name']}` {truth['parameters']}; vidējais efekts atbalstītajiem / average "
        f"effect on the supported: {truth['att_supported']:.3f} (docs/sample-data.md, „Worlds”)"
    ]


def readme(sim: Simulation, planted: list[Planted], dialects: dict[tuple[int, str | None], str]) -> str:
    """SAMPLE_README.md: what this is, the seed, the planted effect and selection rule, the planted errors."""
    t = sim.truth
    sel = t["selection"]
    lines = [
        "# Parauga dati / Sample data",
        "",
        "**LV:** Šie faili ir izdomāti (simulēti) skolu eksporti atbalsta programmu datu apstrādes demonstrācijai un "
        "testiem. Neviena persona nav īsta; personas kodi ir tikai formāli derīgi.",
        "",
        "**EN:** These files are simulated school exports for demonstrating and testing the pipeline. No person is "
        "real; the personal codes are only formally valid.",
        "",
        f"- Sēkla / seed: `{t['seed']}`; skolas / schools: {sim.schools.height}",
        f"- Iestādītais efekts / planted effect on marks: **+{t['effect']}** balles / grade points, "
        "katrai atzīmei atbalstītajā priekšmetā no pirmās konsultācijas / on every mark in the supported subject "
        "from the first consultation on",
        f"- Efekts uz palikšanu skolā / staying effect: aiziešanas risks × (1 − {t['staying_effect']}) / "
        f"leaving hazard × (1 − {t['staying_effect']})",
        f"- Atlase / selection: `{sel['rule']}`, alpha = {sel['alpha']}, beta = {sel['beta']}, "
        f"threshold = {sel['threshold']}; m = iepriekšējā semestra 10 ballu formatīvo un summatīvo atzīmju vidējais / "
        f"{sel['m']}; semestri / semesters: {', '.join(sel['semesters'])}",
        "- Tāpēc naivs „pirms–pēc” salīdzinājums pārspīlē efektu (regresija uz vidējo) / A naive before–after "
        "comparison therefore overstates the effect (regression to the mean).",
        *world_lines(t["world"]),
        f"- Mēneša apjoma kritums / monthly volume drop: iestāde / school {t['volume_drop']['school_id']}, "
        f"{t['volume_drop']['month']}",
        "- Divas identiskas atzīmes vienā dienā ir likumīgas (abas skaitās) / identical marks on one day are "
        "legitimate (both count).",
        f"- Kavējumi / absences: latentais risks / latent risk r = {t['leaving']['ability_coefficient']} · spējas / "
        "ability (aiziešanas riska reizinātāja logaritms / log of the leaving-hazard multiplier); neattaisnots "
        f"kavējums dienā / unexcused absence on a day: {t['attendance']['unexcused_base']} · "
        f"exp({t['attendance']['unexcused_risk']} · r), × {t['attendance']['runup']} pēdējās / in the last "
        f"{t['attendance']['runup_days']} dienās pirms aiziešanas / days before leaving. Skolas ar indeksu i mod 3 = 2 "
        "sūta kopsavilkumus, pārējās — ierakstus / schools with index i mod 3 = 2 send period summaries, the others "
        "lesson records (docs/sample-data.md, „Attendance”).",
        "",
        "## Dialekti / dialects",
        "",
    ]
    for i, school in enumerate(sim.schools.iter_rows(named=True)):
        d = dialects[(i, None)]
        more = [f"{kind}: {dialects[key]}" for key in dialects if key[0] == i and (kind := key[1])]
        lines.append(f"- {school['school_id']} {school['school_name']}: {d} ({DIALECT_TEXT[d]})"
                     + (f"; {', '.join(more)}" if more else ""))  # fmt: skip
    lines += ["", "## Iestādītās kļūdas / planted errors", "", "| LV | EN | faili / files |", "|---|---|---|"]
    for p in planted:
        files = ", ".join(f"`{f}`" for f in sorted(set(p.files)))
        lines.append(f"| {p.what_lv} | {p.what_en} | {files} |")
    lines.append("")
    return "\n".join(lines)
