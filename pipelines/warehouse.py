"""Opening the DuckDB warehouse the same way everywhere."""

from __future__ import annotations

import errno
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb

from pipelines.contract import install_sql_macros

log = logging.getLogger("atbalsts.warehouse")

SCHEMAS = ("meta", "staging", "quarantine", "validation", "core", "marts")


def connect(path: Path, *, read_only: bool = False, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with the progress bar off (it would garble the analyst's console)."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET enable_progress_bar = false")
    install_sql_macros(con)
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    if not read_only:
        for schema in SCHEMAS:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    return con


SCHEMA_SQL = Path(__file__).with_name("schema.sql")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the shared tables (idempotent)."""
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(SCHEMA_SQL.read_text(encoding="utf-8"))


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back after a failure without hiding it: when the rollback fails too (the disk is full,
    the database was invalidated), that is logged and the caller re-raises the first error."""
    try:
        con.execute("rollback")
    except duckdb.Error:
        log.warning("rollback failed after an earlier error (that error is the cause)", exc_info=True)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Everything in the block commits together or not at all: readers never see half a result, and
    an interrupted run leaves the tables as they were (the rollback's own failure is only logged)."""
    con.execute("begin transaction")
    try:
        yield con
        con.execute("commit")
    except BaseException:
        rollback(con)
        raise


# --- SQL files ---------------------------------------------------------------------------------------

SAFE_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


@cache
def _sql_file(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_sql(folder: Path, name: str, *, fragments: dict[str, str] | None = None, **identifiers: str) -> str:
    """The SQL of `folder/<name>.sql`, the one way every stage reads its SQL (CONTRIBUTING.md, "SQL").

    One templating style: a name the code chooses (a table, a column) is a `{placeholder}` filled here
    from `identifiers`, each checked to be a plain identifier; a piece of SQL the code composes (a
    sub-query, a filter) goes in `fragments`. Values never: they reach DuckDB as parameters (`$name`).
    A file read without either is returned as written, so it may use DuckDB's `{'key': value}` structs;
    with them, whole-line `--` comments are dropped first, so a comment may name the placeholders.
    """
    text = _sql_file(Path(folder) / f"{name}.sql")
    for key, value in identifiers.items():
        if not SAFE_PART.fullmatch(value):
            raise ValueError(f"{name}.sql: {key}={value!r} is not an identifier")
    parts = {**(fragments or {}), **identifiers}
    if not parts:
        return text
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return code.format(**parts)


# Text of a failure to write the warehouse, as DuckDB and the OS word it (lower case).
DISK_FULL = ("no space left on device", "disk quota exceeded")
READ_ONLY = ("read-only file system",)


def machine_failure(exc: BaseException) -> bool:
    """The warehouse cannot be written (full disk, read-only, an invalidated database): the run
    must stop, not blame the file it was saving."""
    if isinstance(exc, duckdb.IOException | duckdb.FatalException):
        return True
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        return True
    text = str(exc).lower()
    return any(m in text for m in (*DISK_FULL, *READ_ONLY))


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    query = "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
    return con.execute(query, [schema, table]).fetchall()[0][0] > 0


def empty_relation(columns: str) -> str:
    """`(select cast(null as <type>) as <name>, ... where false)`: no rows, these typed columns
    (`columns`: "name type, name type")."""
    typed = (column.split() for column in columns.split(", "))
    return f"(select {', '.join(f'cast(null as {kind}) as {name}' for name, kind in typed)} where false)"


def table_or_empty(con: duckdb.DuckDBPyConnection, schema: str, table: str, columns: str) -> str:
    """`schema.table`, or an empty relation with `columns` where a warehouse from before it lacks it (a
    fragment of load_sql)."""
    return f"{schema}.{table}" if table_exists(con, schema, table) else empty_relation(columns)


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The single value of a count-like query (0 when it is null)."""
    return int(con.execute(sql).fetchall()[0][0] or 0)


def request_compaction(con: duckdb.DuckDBPyConnection, reason: str) -> None:
    """Record (in the caller's transaction) that text was masked in place, so its old bytes may be
    in the file's free blocks: DuckDB neither zeroes nor reliably reuses them (a byte scan after
    UPDATE, CHECKPOINT and VACUUM still finds the old text), only a copy to a fresh file drops them."""
    con.execute("insert into meta.compaction values (?, now())", [reason])


def compaction_requested(con: duckdb.DuckDBPyConnection) -> bool:
    return table_exists(con, "meta", "compaction") and scalar(con, "select count(*) from meta.compaction") > 0


def compact(path: Path) -> None:
    """Copy the warehouse (closed by every connection) to a fresh file and put it in its place, so
    no old bytes of masked text remain. Atomic: an interruption leaves the old file and its request,
    and the next run copies again. Costs about the time of reading and writing the file once
    (7.5 s for a 48 MB warehouse)."""
    path = Path(path)
    fresh = path.with_name(path.name + ".compact")
    for stale in (fresh, fresh.with_name(fresh.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        source = con.execute("select current_database()").fetchall()[0][0]
        target = str(fresh).replace("'", "''")
        con.execute(f"ATTACH '{target}' AS compact_target")
        con.execute(f'COPY FROM DATABASE "{source}" TO compact_target')
        con.execute("delete from compact_target.meta.compaction")
        con.execute("DETACH compact_target")
    except BaseException:
        con.close()
        fresh.unlink(missing_ok=True)  # a half copy (a full disk): the old file and its request stay
        raise
    con.close()
    fresh.replace(path)
    log.info("warehouse copied to a fresh file: text masked in place leaves no old bytes")


def release_cache(con: duckdb.DuckDBPyConnection, limit: str) -> None:
    """Hand DuckDB's cached buffers back to the system; `limit` is the connection's memory
    limit, set again afterwards (as configured: DuckDB only reports it rounded).

    Why: after a query over tens of millions of rows DuckDB keeps what it read cached, up to its
    memory limit, and the Python frames of the next step come on top of it (at national scale
    ~0.7 GB of evaluate's peak). Lowering the limit for a moment evicts the cache; nothing is
    lost, only read again if needed. Without a configured limit there is nothing to set back: no-op.
    """
    if not limit:
        return
    try:
        con.execute("SET memory_limit = '64MB'")
    except duckdb.Error:  # more than that is in use and cannot be evicted: keep it
        log.debug("DuckDB cache not released", exc_info=True)
    finally:
        con.execute(f"SET memory_limit = '{limit}'")
