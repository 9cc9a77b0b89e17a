"""`atbalsts status`: what the warehouse holds, what is missing, when it last ran."""

from __future__ import annotations

from typing import Any

import duckdb
from rich.table import Table

from pipelines.deliveries import missing_months
from pipelines.warehouse import table_exists


def last_runs(con: duckdb.DuckDBPyConnection, limit: int = 5, *, run_in_progress: bool = False) -> list[tuple]:
    """The latest runs. Without a run in progress (no one holds the lock), a run still recorded as
    `running` was killed before it could record its end: it is shown as `interrupted`."""
    outcome = "outcome" if run_in_progress else "case when outcome = 'running' then 'interrupted' else outcome end"
    return con.execute(
        f"select run_id, command, started_at, finished_at, {outcome}, code_version from meta.runs "
        "order by started_at desc limit ?",
        [limit],
    ).fetchall()


def deliveries(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Per school: months with consultations and grades, the last month delivered, and the teaching
    months it did not deliver (pipelines/deliveries.sql, as the data-quality report says)."""
    if not table_exists(con, "core", "schools"):
        return []
    missing = missing_months(con) if table_exists(con, "validation", "quality") else {}
    rows = con.execute(
        """
        with months as (
            select school_id, 'consultations' as kind, strftime(date, '%Y-%m') as month from core.consultations
            union all
            select school_id, 'grades', strftime(date, '%Y-%m') from core.grades
        )
        select s.school_id, s.school_name, s.municipality,
               count(distinct m.month) filter (where m.kind = 'consultations') as consultation_months,
               count(distinct m.month) filter (where m.kind = 'grades') as grade_months,
               max(m.month) as last_month
        from core.schools s left join months m using (school_id)
        group by all order by s.municipality, s.school_name
        """
    ).fetchall()
    return [(*row, missing.get(row[0], [])) for row in rows]


def render_status(con: duckdb.DuckDBPyConnection, *, run_in_progress: bool = False) -> list[Any]:
    blocks: list[Any] = []
    runs = Table(title="Pēdējās palaišanas / last runs")
    for col in ("run", "komanda / command", "sākums / started", "beigas / finished", "rezultāts / outcome", "versija"):
        runs.add_column(col)
    for row in last_runs(con, run_in_progress=run_in_progress):
        runs.add_row(*(str(v) if v is not None else "" for v in row))
    blocks.append(runs)

    files = con.execute(
        "select coalesce(kind, '—'), status, count(*), sum(rows_read), sum(rows_quarantined) "
        "from meta.files group by all order by 1, 2"
    ).fetchall()
    ftable = Table(title="Faili / files")
    for col in ("veids / kind", "statuss / status", "faili / files", "rindas / rows", "karantīnā / quarantined"):
        ftable.add_column(col)
    for row in files:
        ftable.add_row(*(str(v) for v in row))
    blocks.append(ftable)

    rows = deliveries(con)
    if rows:
        dtable = Table(title="Skolas / schools (mēneši ar datiem / months with data)")
        for col in (
            "kods / id",
            "skola / school",
            "pašvaldība",
            "konsult. mēn.",
            "vērt. mēn.",
            "pēdējais / last",
            "trūkst / missing",
        ):
            dtable.add_column(col)
        for school_id, name, municipality, cons, grades, last, missing in rows:
            dtable.add_row(
                school_id,
                name or "",
                municipality or "",
                str(cons),
                str(grades),
                last or "—",
                f"[red]{', '.join(missing)}[/]" if missing else "",
            )
        blocks.append(dtable)
    return blocks
