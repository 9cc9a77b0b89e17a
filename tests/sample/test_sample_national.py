"""The national generator: valid, deterministic, streamed files that ingest loads without a single rejected row."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.ingest.stage import run_ingest
from pipelines.personal_code import compact_personal_code
from pipelines.sample.national import write_national


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("national")
    write_national(out, schools=4, pupils=600, months=2, seed=7)
    return out


def read_all(folder: Path, stem: str, separator: str) -> pl.DataFrame:
    frames = []
    for path in sorted(folder.rglob(f"{stem}*.csv")):
        header = path.read_text(encoding="utf-8").split("\n", 1)[0]
        if (";" in header) == (separator == ";"):
            frames.append(pl.read_csv(path, separator=separator, infer_schema=False))
    return pl.concat(frames)


def test_layout_one_file_per_school_kind_and_month(small: Path) -> None:
    names = sorted(p.relative_to(small).as_posix() for p in small.rglob("*.csv"))
    assert "skolu_registrs_2025.csv" in names
    folders = {n.split("/")[0] for n in names if "/" in n}
    assert len(folders) == 4 and all(f.startswith("iestade=") for f in folders)
    one_school = sorted(Path(n).name for n in names if n.startswith(sorted(folders)[0] + "/"))
    assert one_school == [
        "iap_2025-09_0.csv", "iap_2025-10_0.csv", "konsultacijas_2025-09_0.csv", "konsultacijas_2025-10_0.csv",
        "skoleni_2025-2026_0.csv", "vertejumi_2025-09_0.csv", "vertejumi_2025-10_0.csv",
    ]  # fmt: skip


def test_rows_codes_and_dialects(small: Path) -> None:
    english = read_all(small, "skoleni", ",")
    latvian = read_all(small, "skoleni", ";")
    assert english.height + latvian.height == 600
    assert english.columns[:2] == ["pupil_code", "first_name"] and latvian.columns[:2] == ["Personas kods", "Vārds"]
    codes = [*english["pupil_code"], *latvian["Personas kods"]]
    compact = [compact_personal_code(c) for c in codes]
    assert all(err is None for _digits, err in compact)
    assert len({digits for digits, _err in compact}) == 600  # one distinct person per pupil
    grades = read_all(small, "vertejumi", ";")
    assert grades["Datums"].str.contains(r"^\d{2}\.\d{2}\.2025$").all()
    marks = read_all(small, "vertejumi", ",")
    assert set(marks["assessment_type"].unique()) == {"formative", "summative"}
    per_pupil_month = (grades.height + marks.height) / 600 / 2
    assert 25 <= per_pupil_month <= 35  # ~270 marks a pupil over nine months


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, small: Path) -> None:
    write_national(tmp_path / "a", schools=4, pupils=600, months=1, seed=7)
    write_national(tmp_path / "b", schools=4, pupils=600, months=1, seed=8)
    rel = next(small.glob("iestade=*")).name + "/vertejumi_2025-09_0.csv"

    def sorted_lines(path: Path) -> list[str]:  # a parallel COPY may order rows differently
        return sorted(path.read_text(encoding="utf-8").splitlines())

    assert sorted_lines(tmp_path / "a" / rel) == sorted_lines(small / rel)
    assert sorted_lines(tmp_path / "b" / rel) != sorted_lines(small / rel)


def test_increment_is_next_september_with_older_pupils(tmp_path: Path) -> None:
    first = write_national(tmp_path, schools=2, pupils=400, months=9, seed=3)
    nxt = write_national(tmp_path, schools=2, pupils=400, school_year="2026/2027", months=1, seed=3)
    assert 0 < nxt.rows["pupils"] < 400  # the year-12 pupils have left
    assert nxt.rows["grades"] < first.rows["grades"] / 5
    new = sorted(p.name for p in tmp_path.rglob("*2026-09*"))
    assert new and all(n.split("_")[0] in {"iap", "konsultacijas", "vertejumi"} for n in new)
    assert (tmp_path / "skolu_registrs_2026.csv").exists()


def test_ingest_loads_every_row(small: Path) -> None:
    con = duckdb.connect()
    result = run_ingest(con, small, b"test-key-32-characters-or-longer!", "run-1")
    assert result.count("loaded") == len(list(small.rglob("*.csv")))
    quarantined = con.execute("select count(*) from quarantine.rows").fetchall()[0][0]
    assert quarantined == 0
    staged = con.execute("select count(*) from staging.grades").fetchall()[0][0]
    written = read_all(small, "vertejumi", ";").height + read_all(small, "vertejumi", ",").height
    assert staged == written
