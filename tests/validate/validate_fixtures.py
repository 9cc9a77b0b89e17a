"""Helpers for validate tests: staging rows with sensible defaults, and meta.files as ingest leaves it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

SCHOOL_A = "4000000001"
SCHOOL_B = "4000000002"
SCHOOL_C = "4000000003"
NOT_IN_REGISTRY = "9999999999"
REFERENCE_DATE = date(2025, 3, 15)
YEAR = "2024/2025"

DEFAULTS: dict[str, dict[str, Any]] = {
    "schools": {"school_id": SCHOOL_A, "school_name": "Skola", "municipality": "Novads"},
    "pupils": {
        "pupil_id": "p2",
        "school_id": SCHOOL_A,
        "school_year": YEAR,
        "class_raw": "7.a",
        "grade_level": 7,
        "class_letter": "a",
        "gender": "F",
        "left_on": None,
        "leaving_reason": None,
    },
    "plans": {
        "pupil_id": "p2",
        "school_id": SCHOOL_A,
        "plan_start": date(2024, 10, 1),
        "plan_end": date(2024, 12, 31),
        "project_code": "8.3.4.0/16/I/001",
        "project_text_hash": None,
        "risk_factors": None,
        "school_year": YEAR,
    },
    "consultations": {
        "date": date(2024, 11, 5),
        "school_year": YEAR,
        "semester": 1,
        "pupil_id": "p2",
        "school_id": SCHOOL_A,
        "staff_id": "s1",
        "staff_role": "teacher",
        "staff_role_raw": "Skolotājs",
        "subject": "mathematics",
        "subject_raw": "Matemātika",
        "minutes": 45.0,
        "mode": "in_person",
        "mode_raw": "Klātienē",
        "group_size": 1,
        "project_code": "8.3.4.0/16/I/001",
        "project_text_hash": None,
    },
    "grades": {
        "date": date(2024, 11, 5),
        "school_year": YEAR,
        "semester": 1,
        "pupil_id": "p2",
        "school_id": SCHOOL_A,
        "subject": "mathematics",
        "subject_raw": "Matemātika",
        "grade_raw": "8",
        "grade_kind": "score",
        "grade_score": 8,
        "grade_level_code": None,
        "passed": None,
        "grade_percent": None,
        "assessment_type": "summative",
        "assessment_type_raw": "Summatīvais",
    },
    "activities": {
        "date": date(2024, 11, 5),
        "school_year": YEAR,
        "semester": 1,
        "school_id": SCHOOL_A,
        "activity_id": "A1",
        "pupil_id": "p2",
        "activity_type": "research_workshop",
        "activity_type_raw": "Pētnieciskā darbnīca",
        "subject": "physics",
        "subject_raw": "Fizika",
        "minutes": 90.0,
        "participants": None,
        "project_code": "8.3.2.2/16/I/001",
        "project_text_hash": None,
    },
    "financial_support": {
        "date": date(2024, 11, 5),
        "school_year": YEAR,
        "semester": 1,
        "pupil_id": "p2",
        "school_id": SCHOOL_A,
        "support_type": "meals",
        "support_type_raw": "Ēdināšana",
        "amount_eur": 25.0,
        "project_code": "8.3.4.0/16/I/001",
        "project_text_hash": None,
    },
    "costs": {
        "month": date(2024, 11, 1),
        "school_year": YEAR,
        "project_code": "8.3.4.0/16/I/001",
        "project_text_hash": None,
        "municipality": "Novads",
        "cost_category": "remuneration",
        "cost_category_raw": "Atlīdzība",
        "amount_eur": 15000.0,
    },
    # a lesson record (shape `lessons`): two lessons missed without a valid reason on a Tuesday
    "attendance": {
        "shape": "lessons",
        "pupil_id": "p2",
        "school_id": SCHOOL_A,
        "period_start": date(2024, 11, 5),
        "period_end": date(2024, 11, 5),
        "school_year": YEAR,
        "semester": 1,
        "reason": "unexcused",
        "reason_raw": "neattaisnots",
        "subject": None,
        "subject_raw": None,
        "lessons_missed": 2,
        "excused": 0,
        "unexcused": 2,
        "illness": 0,
        "unknown_reason": 0,
        "lessons_held": None,
    },
}


def stage(con, kind: str, file: str, rows: list[dict[str, Any]], first_line: int = 2) -> None:
    """Insert rows into staging.<kind>: line numbers count from `first_line`, row_key is unique
    per file and line unless a row gives its own (a re-delivery repeats the key)."""
    columns = ["source_file", "source_line", "row_key", *DEFAULTS[kind]]
    values = []
    for i, row in enumerate(rows):
        line = first_line + i
        full = {"source_file": file, "source_line": line, "row_key": f"{file}#{line}", **DEFAULTS[kind], **row}
        values.append([full[c] for c in columns])
    placeholders = ",".join("?" * len(columns))
    con.executemany(f"insert into staging.{kind} ({', '.join(columns)}) values ({placeholders})", values)


def register_files(con, extra_ingest_rejects: dict[str, int] | None = None) -> None:
    """meta.files as ingest leaves it: rows_read = staged rows + rows it quarantined itself."""
    con.execute(
        """insert into meta.files (file_path, sha256, kind, status, rows_read, rows_loaded, rows_quarantined,
                                   ingested_at, run_id)
           select source_file, 'x', kind, 'loaded', count(*), count(*), 0, ?, 'ingest-run'
           from (select source_file, 'schools' as kind from staging.schools
                 union all select source_file, 'pupils' from staging.pupils
                 union all select source_file, 'plans' from staging.plans
                 union all select source_file, 'consultations' from staging.consultations
                 union all select source_file, 'grades' from staging.grades
                 union all select source_file, 'activities' from staging.activities
                 union all select source_file, 'financial_support' from staging.financial_support
                 union all select source_file, 'costs' from staging.costs
                 union all select source_file, 'attendance_' || shape from staging.attendance)
           group by all""",
        [datetime(2025, 3, 1, 10, 0)],
    )
    for file, n in (extra_ingest_rejects or {}).items():
        con.execute(
            "update meta.files set rows_read = rows_read + ?, rows_quarantined = ? where file_path = ?", [n, n, file]
        )
