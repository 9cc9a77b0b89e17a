"""The written sample: byte-identical per seed, all four dialects, valid codes, and every planted error present."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from pipelines.contract import HEADER_LOOKUP, normalise_text
from pipelines.personal_code import compact_personal_code
from pipelines.sample import build_files, simulate, write_sample

SCHOOLS = 3


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("sample")
    return out, write_sample(out, schools=SCHOOLS, seed=42, effect=0.6)


def data_files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file() and p.suffix in (".csv", ".xlsx") and p.stat().st_size)


def read_any(path: Path) -> pl.DataFrame:
    """A file as text columns named canonically (a small stand-in for ingest, so these tests stand alone)."""
    data = path.read_bytes()
    if path.suffix == ".xlsx":
        frame = pl.read_excel(io.BytesIO(data), infer_schema_length=0)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1257")
        header = text.split("\n", 1)[0]
        sep = max((";", "\t", ","), key=header.count)
        frame = pl.read_csv(io.StringIO(text), separator=sep, infer_schema=False)
    return frame.rename({c: HEADER_LOOKUP.get(normalise_text(c), c) for c in frame.columns})


@pytest.fixture(scope="module")
def tables(sample) -> dict[Path, pl.DataFrame]:
    out, _ = sample
    return {p: read_any(p) for p in data_files(out)}


def test_same_seed_same_bytes_other_seed_other_bytes(sample):
    out, _ = sample
    files, _rows, _n = build_files(simulate(schools=SCHOOLS, seed=42, effect=0.6), 42)
    written = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert written == files  # every file, xlsx included, byte for byte
    assert any(name.endswith(".xlsx") for name in files)
    other, _rows, _n = build_files(simulate(schools=SCHOOLS, seed=43, effect=0.6), 43)
    assert other["skolu_registrs.csv"] != files["skolu_registrs.csv"]
    data = {v for k, v in files.items() if k.endswith((".csv", ".xlsx")) and v}
    assert not set(other.values()) & data


def test_summary_counts_files_and_rows(sample):
    out, summary = sample
    assert summary.files == sum(1 for p in out.rglob("*") if p.is_file())
    assert summary.rows["schools"] == SCHOOLS + 1 and summary.rows["grades"] > 10_000  # + the vocational school
    assert "faili / files" in str(summary)


def test_all_four_dialects(sample):
    out, _ = sample
    raw = {p: p.read_bytes() for p in data_files(out)}
    # a school's file (the projects' cost files name no school)
    cp1257 = [
        b
        for b in raw.values()
        if b"\r\n" in b and b.count(b";") > 10 and "Iestādes".encode("cp1257") in b and "ē".encode("cp1257") in b
    ]
    assert cp1257
    with pytest.raises(UnicodeDecodeError):
        cp1257[0].decode("utf-8")
    text = cp1257[0].decode("cp1257")
    assert "Iestādes kods" in text and "ē" in text
    assert any(",0;" in b.decode("cp1257") for b in cp1257 if "Ilgums (min)" in b.decode("cp1257"))
    bom = [b for b in raw.values() if b.startswith(b"\xef\xbb\xbf")]
    assert bom and bom[0][3:].decode("utf-8").startswith(("pupil_code", "date"))
    assert any(b"\t" in b and b"Macibu prieksmets" in b for b in raw.values())
    books = [p for p in raw if p.suffix == ".xlsx"]
    assert books
    plans = next(p for p in books if p.name.startswith("iap_"))
    frame = pl.read_excel(plans)
    assert frame.height > 5 and frame.schema["Sākuma datums"] in (pl.Date, pl.Datetime("ms"), pl.Datetime("us"))
    sheet = openpyxl.load_workbook(plans).worksheets[0]
    assert sheet.cell(1, 3).value == "Sākuma datums"
    assert isinstance(sheet.cell(2, 3).value, datetime)  # a real date cell, not text


def test_personal_codes_valid_except_the_planted_ones(tables):
    codes: set[str] = set()
    for frame in tables.values():
        if "pupil_code" in frame.columns:
            codes |= set(frame["pupil_code"].drop_nulls().to_list())
    invalid = {c for c in codes if compact_personal_code(c)[1] is not None}
    assert len(invalid) == 2  # one in a consultation log, one in a grade record
    digits = {compact_personal_code(c)[0] for c in codes} - {None}
    assert any(d.startswith("32") for d in digits) and any(not d.startswith("32") for d in digits)


def test_planted_errors_are_there(sample, tables):
    out, summary = sample
    cells = pl.concat(
        [t.select(c for c in ("date", "subject") if c in t.columns) for t in tables.values()], how="diagonal"
    )
    assert {"31.02.2025", "nezināms"} <= set(cells["date"].to_list())
    assert "Robotika" in cells["subject"].to_list()
    assert cells["date"].str.contains("2027").any()
    assert (out / "rezeknes-valstspilseta").exists()
    empty = [p for p in out.rglob("*.csv") if p.stat().st_size == 0]
    assert len(empty) == 1
    assert len(list(out.rglob("piezimes.txt"))) == 1
    broken = next(out.rglob("konsultacijas_labots_2026-02.*"))
    assert "minutes" not in read_any(broken).columns and "date" in read_any(broken).columns
    minutes = pl.concat([t.select("minutes") for t in tables.values() if "minutes" in t.columns])["minutes"]
    assert {"0", "300"} <= set(minutes.str.replace(",0", "", literal=True).to_list())
    grades = pl.concat([t.select("grade") for t in tables.values() if "grade" in t.columns])
    assert "11" in grades["grade"].to_list()
    readme = (out / "SAMPLE_README.md").read_text(encoding="utf-8")
    assert "+0.6" in readme and "42" in readme and "Robotika" in readme
    assert summary.planted == 16
    assert readme.count("| `") == 16 and "|  |" not in readme  # every planted error names its file(s)


def test_cumulative_exports_repeat_the_autumn(sample, tables):
    out, _ = sample
    for dec in out.rglob("konsultacijas_2025-12.csv"):
        autumn, year = tables[dec], tables[dec.with_name("konsultacijas_2026-06.csv")]
        assert year.head(autumn.height).equals(autumn)
        assert year.height > autumn.height


def test_volume_drop_month(sample):
    sim = simulate(schools=SCHOOLS, seed=42)
    school = sim.truth["volume_drop"]["school_id"]
    monthly = (
        sim.consultations.filter(pl.col("school_id") == school)
        .group_by(pl.col("date").dt.strftime("%Y-%m").alias("month"))
        .len()
    )
    count = dict(zip(monthly["month"], monthly["len"], strict=True))
    assert count["2025-11"] < 0.5 * count["2025-10"]


def test_attendance_in_both_shapes(tables):
    """Lesson records from some schools (Latvian and English headers), period summaries from another."""
    lessons = [t for p, t in tables.items() if p.name.startswith("kavejumi_")]
    periods = [t for p, t in tables.items() if p.name.startswith("kavejumu_kopsavilkums_")]
    assert lessons and periods
    assert all({"lessons_missed", "reason"} <= set(t.columns) for t in lessons)
    assert all({"period_start", "period_end", "unexcused"} <= set(t.columns) for t in periods)
    reasons = set(pl.concat([t.select(pl.col("reason").cast(pl.String)) for t in lessons])["reason"].drop_nulls())
    assert {"neattaisnots", "unexcused"} <= reasons  # both languages


def test_a_vocational_school_with_course_years_and_the_whole_curriculum(tables):
    """Issue 17: the registry says which school is vocational; its roster counts course years in the
    spellings schools use, never grades; its marks cover every subject of the standards."""
    from pipelines.contract import SUBJECTS, subject_code
    from pipelines.ingest.values import parse_class

    registry = next(t for p, t in tables.items() if p.name == "skolu_registrs.csv")
    vocational = registry.filter(pl.col("school_type") == "profesionālā")["school_id"].to_list()
    assert len(vocational) == 1 and set(registry["school_type"]) == {"vispārējā", "profesionālā"}
    mine = {p.name: t for p, t in tables.items() if p.parent.name == vocational[0]}

    classes = mine["skoleni_2024-2025.csv"]["class"].to_list()
    parsed = [parse_class(c) for c in classes]
    assert {c[2] for c in parsed} == {1, 2, 3, 4} and all(c[0] is None for c in parsed)
    assert {"1. kurss", "K2", "3.k"} <= set(classes)

    subjects = {subject_code(s) for s in mine["vertejumi_2024-2025.csv"]["subject"].to_list()}
    assert subjects == set(SUBJECTS)  # every standard subject, each recognised
    assert mine["konsultacijas_2024-2025.csv"].height > 0 and mine["iap_2024-2025.csv"].height > 0
