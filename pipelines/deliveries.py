"""Which schools did not deliver: one definition for `atbalsts status` and the data-quality report."""

from __future__ import annotations

from pathlib import Path

import duckdb

MISSING_SQL = Path(__file__).with_name("deliveries.sql").read_text(encoding="utf-8").strip()


def missing_months(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """School id -> its teaching months without consultations or grades (deliveries.sql)."""
    rows = con.execute(f"select school_id, month from ({MISSING_SQL}) order by school_id, month").fetchall()
    out: dict[str, list[str]] = {}
    for school_id, month in rows:
        out.setdefault(school_id, []).append(month)
    return out
