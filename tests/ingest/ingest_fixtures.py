"""Helpers for the run_ingest tests: people with valid personal codes, small files written in the test."""

from __future__ import annotations

from pathlib import Path

from pipelines.ingest.stage import FileReport, run_ingest
from pipelines.personal_code import make_new_code, make_old_code
from pipelines.pseudonym import pseudonym

KEY = b"test-key-32-characters-or-longer!"
SCHOOL = "2712900123"
ANNA = make_old_code(15, 3, 2012, 123)  # DDMMYY-CNNNC
BERTS = make_new_code(4567)  # 32NNNN-NNNNN
CILDA = make_old_code(2, 11, 2016, 7)
BAD_CHECK = ANNA[:-1] + str((int(ANNA[-1]) + 1) % 10)
NAMES = ("Anna", "Bērziņa", "Berts", "Kalniņš", "Cilda", "Zariņa", "Ilze Ozoliņa")

GRADES_HEADER_EN = ["date", "personal_code", "school_id", "subject", "grade", "assessment_type"]
GRADES_HEADER_LV = ["Datums", "Personas kods", "Iestādes kods", "Mācību priekšmets", "Vērtējums", "Vērtējuma veids"]


def pid(code: str) -> str:
    return pseudonym(KEY, code.replace("-", ""), "pupil")


def write(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    *,
    sep: str = ",",
    encoding: str = "utf-8",
    newline: str = "\n",
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [sep.join(header), *(sep.join(r) for r in rows)]
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def ingest_dir(con, raw: Path, run_id: str = "r1") -> dict[str, FileReport]:
    return {f.path: f for f in run_ingest(con, raw, KEY, run_id).files}


def rows(con, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()
