"""Warehouses written before free text became codes: the same rule applied to what they hold.

Earlier versions stored `project_code` and `risk_factors` as the schools typed them. Each run
maps any such value still in staging or core to its code (the few distinct values, in place) and
adds the `project_text_hash` column, so no free text outlives an upgrade. Row keys of those old
rows are left as they were; a file delivered again is re-keyed when it is read.

Earlier versions also knew only 12 subjects and stored any other as null: migrate_subjects gives
stored rows the subject the current vocabulary reads from their `subject_raw` (row keys unchanged:
ingest keys subjects by the vocabulary they were first keyed with, values.ROW_KEY_SUBJECTS).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from pipelines.contract import leaving_reason_code, subject_key
from pipelines.ingest import values
from pipelines.warehouse import table_exists

TABLES = (("staging", "plans"), ("staging", "consultations"), ("core", "plans"), ("core", "consultations"))


def migrate_free_text(con: duckdb.DuckDBPyConnection, key: bytes) -> int:
    """Map stored free-text project and risk-factor values to codes; returns how many values changed."""
    for table in ("plans", "consultations"):
        con.execute(f"alter table staging.{table} add column if not exists project_text_hash varchar")
    changed = 0
    for schema, table in TABLES:
        if not table_exists(con, schema, table):
            continue
        has_hash = schema == "staging"
        for (raw,) in con.execute(
            f"select distinct project_code from {schema}.{table} where project_code is not null"
        ).fetchall():
            code, text_hash = values.project_code(key, raw)
            if code == raw:
                continue
            changed += 1
            assignments = "project_code = ?" + (", project_text_hash = ?" if has_hash else "")
            parameters = [code, text_hash] if has_hash else [code]
            con.execute(f"update {schema}.{table} set {assignments} where project_code = ?", [*parameters, raw])
        if table == "plans":
            changed += recode(con, f"{schema}.{table}", "risk_factors", values.risk_factor_codes)
    for schema in ("staging", "core"):  # a roster's leaving reason was kept as written before it became a code
        if table_exists(con, schema, "pupils"):
            changed += recode(con, f"{schema}.pupils", "leaving_reason", leaving_reason_code)
    return changed


def recode(con: duckdb.DuckDBPyConnection, table: str, column: str, to_code: Callable[[str], str | None]) -> int:
    """Replace each distinct stored text of `column` by its code in place; returns how many values changed."""
    changed = 0
    for (raw,) in con.execute(f"select distinct {column} from {table} where {column} is not null").fetchall():
        code = to_code(raw)
        if code != raw:
            changed += 1
            con.execute(f"update {table} set {column} = ? where {column} = ?", [code, raw])
    return changed


# Attendance lesson records kept an unknown subject's normalised text unmasked before ingest_subject
# (a code-shaped subject stored as `~robotika 150312 12345`): re-read, it becomes `~***`.
SUBJECT_TABLES = (
    ("staging", "consultations"),
    ("staging", "grades"),
    ("staging", "activities"),
    ("staging", "attendance"),
    ("core", "consultations"),
    ("core", "grades"),
    ("core", "attendance"),
)


def migrate_subjects(con: duckdb.DuckDBPyConnection) -> int:
    """Re-read each distinct stored `subject_raw` with today's vocabulary; returns how many values changed."""
    changed = 0
    for schema, table in SUBJECT_TABLES:
        if not table_exists(con, schema, table):
            continue
        pairs = con.execute(
            f"select distinct subject_raw, subject from {schema}.{table} where subject_raw is not null"
        ).fetchall()
        for raw, stored in pairs:
            subject = subject_key(raw)
            if subject == stored:
                continue
            changed += 1
            con.execute(
                f"update {schema}.{table} set subject = ? where subject_raw = ? and subject is not distinct from ?",
                [subject, raw, stored],
            )
            if (schema, table) == ("core", "grades"):  # its counts by subject: transform recounts them whole
                con.execute("drop table if exists core.marks_by_school")
    return changed
