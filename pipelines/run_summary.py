"""`run_summary.json`: what happened to every file the run found (the analyst's receipt)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb


def file_reports(con: duckdb.DuckDBPyConnection) -> list[dict]:
    rows = con.execute(
        """select file_path, kind, status, rows_read, rows_loaded, rows_quarantined, reason
           from meta.files order by file_path"""
    ).fetchall()
    keys = ("path", "kind", "status", "rows_read", "rows_loaded", "rows_quarantined", "reason")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def write_run_summary(
    con: duckdb.DuckDBPyConnection, path: Path, run_id: str | None, sections: dict[str, Any] | None = None
) -> dict:
    """Write the summary from meta.files (and the sections stages reported, e.g. `changes`).

    Only the runner calls this (after every stage that changes the counts): stages put what they
    know into the warehouse or their result, never into this file."""
    files = file_reports(con)
    summary = {
        **(sections or {}),
        "run_id": run_id,
        "files": files,
        "totals": {
            "files": len(files),
            **{s: sum(f["status"] == s for f in files) for s in ("loaded", "unchanged", "rejected", "skipped")},
            "rows_read": sum(f["rows_read"] for f in files),
            "rows_loaded": sum(f["rows_loaded"] for f in files),
            "rows_quarantined": sum(f["rows_quarantined"] for f in files),
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    return summary
