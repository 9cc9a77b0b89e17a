"""Running stages as one job: the lock, the `meta.runs` record, the log file, stage counts.

The CLI only parses arguments and prints; everything a scheduled run needs to be safe
(one run at a time, a record of what ran, tracebacks in a log file and not on screen)
lives here.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines import __version__
from pipelines.config import Settings
from pipelines.warehouse import connect, ensure_schema

log = logging.getLogger("atbalsts")


class UserError(Exception):
    """A problem the analyst can fix; shown as one line, never as a traceback."""


class WarehouseLockedError(UserError):
    pass


@dataclass
class StageOutcome:
    name: str
    seconds: float
    counts: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunContext:
    settings: Settings
    run_id: str
    command: str
    outcomes: list[StageOutcome] = field(default_factory=list)


def new_run_id() -> str:
    return datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def code_version() -> str:
    """`git describe` when run from a checkout, else the package version."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
            check=False,
        )
        if out.returncode == 0 and out.stdout.strip():
            return f"{__version__}+{out.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        pass
    return __version__


def params_hash(settings: Settings) -> str:
    return hashlib.sha256(repr(settings).encode()).hexdigest()[:16]


def setup_logging(out_dir: Path) -> Path:
    """Full detail (tracebacks included) goes to a log file beside the warehouse."""
    log_path = out_dir / "logs" / "atbalsts.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    if not any(
        isinstance(h, logging.FileHandler) and Path(h.baseFilename) == log_path.resolve() for h in root.handlers
    ):
        handler = logging.FileHandler(log_path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    for noisy in ("great_expectations", "papermill", "traitlets", "matplotlib", "nbconvert"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return log_path


@contextmanager
def warehouse_lock(warehouse: Path) -> Iterator[None]:
    """One run at a time: a second run on the same warehouse exits with a clear message."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    lock_path = warehouse.with_name(warehouse.name + ".lock")
    handle = lock_path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise WarehouseLockedError(
                f"Noliktavu {warehouse} šobrīd apstrādā cits atbalsts process; pagaidiet, līdz tas beidzas. / "
                f"The warehouse {warehouse} is in use by another atbalsts run; wait for it to finish."
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def open_warehouse(settings: Settings, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path = settings.warehouse
    if read_only and not path.exists():
        raise UserError(
            f"Noliktava {path} vēl nav izveidota: palaidiet `atbalsts run`. / "
            f"The warehouse {path} does not exist yet: run `atbalsts run` first."
        )
    try:
        con = connect(path, read_only=read_only, memory_limit=settings.ingest.duckdb_memory_limit)
    except duckdb.IOException as exc:
        text = str(exc)
        if "version" in text.lower():
            raise UserError(
                f"Noliktavu {path} ir rakstījusi jaunāka programmas versija; atjauniniet atbalsts. / "
                f"The warehouse {path} was written by a newer version; update atbalsts."
            ) from exc
        if "lock" in text.lower():
            raise WarehouseLockedError(
                f"Noliktavu {path} izmanto cits process. / The warehouse {path} is in use by another process."
            ) from exc
        raise
    if not read_only:
        ensure_schema(con)
    return con


def start_run(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    con.execute(
        "insert into meta.runs (run_id, started_at, code_version, params_hash, command, outcome) "
        "values (?, now(), ?, ?, ?, 'running')",
        [ctx.run_id, code_version(), params_hash(ctx.settings), ctx.command],
    )


def finish_run(con: duckdb.DuckDBPyConnection, ctx: RunContext, outcome: str) -> None:
    counts = {o.name: {"seconds": round(o.seconds, 2), **o.counts} for o in ctx.outcomes}
    hashes = dict(con.execute("select file_path, sha256 from meta.files order by file_path").fetchall())
    con.execute(
        "update meta.runs set finished_at = now(), outcome = ?, stage_counts = ?, input_hashes = ? where run_id = ?",
        [outcome, json.dumps(counts, ensure_ascii=False, default=str), json.dumps(hashes), ctx.run_id],
    )


def timed_stage(ctx: RunContext, name: str, func: Callable[[], dict[str, Any]]) -> StageOutcome:
    log.info("run %s: stage %s started", ctx.run_id, name)
    started = time.perf_counter()
    counts = func()
    outcome = StageOutcome(name, time.perf_counter() - started, counts)
    ctx.outcomes.append(outcome)
    log.info("run %s: stage %s finished in %.1fs: %s", ctx.run_id, name, outcome.seconds, counts)
    return outcome
