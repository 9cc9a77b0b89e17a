"""Running stages as one job: the lock, the `meta.runs` record, the log file, stage counts.

The CLI only parses arguments and prints; everything a scheduled run needs to be safe
(one run at a time, a record of what ran, tracebacks in a log file and not on screen)
lives here.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

from pipelines import __version__, stages
from pipelines.config import Settings
from pipelines.errors import UserError  # also re-exported here for older imports; use pipelines.errors
from pipelines.run_summary import write_run_summary
from pipelines.stamps import write_stamp
from pipelines.warehouse import (
    DISK_FULL,
    READ_ONLY,
    compact,
    compaction_requested,
    connect,
    ensure_schema,
    release_cache,
)

log = logging.getLogger("atbalsts")


class WarehouseLockedError(UserError):
    pass


@dataclass
class StageOutcome:
    name: str
    seconds: float
    counts: dict[str, Any] = field(default_factory=dict)


class Reporter:
    """Where a run's messages go; this one says nothing (the CLI's Output prints or writes JSON lines)."""

    def event(self, event: str, **data: Any) -> None:
        pass

    def say(self, text: str) -> None:
        pass

    def spinner(self, name: str) -> AbstractContextManager[Any]:
        return nullcontext()


@dataclass
class RunContext:
    settings: Settings
    run_id: str
    command: str
    outcomes: list[StageOutcome] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)  # demo_key, excel, lang, strict
    out: Reporter = field(default_factory=Reporter)
    summary: dict[str, Any] = field(default_factory=dict)  # sections stages add to run_summary.json


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


class _LogFile(logging.FileHandler):
    """The log file; when it cannot be written (full disk), records are dropped without a word.

    Why: logging's default prints "--- Logging error ---" and a traceback to stderr for every
    record it fails to write, burying the one-line message the analyst needs."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:
        self.failed = True


def setup_logging(out_dir: Path) -> Path | None:
    """Full detail (tracebacks included) goes to a log file beside the warehouse; None when the
    file cannot be created (a read-only output folder): the command then runs without it."""
    log_path = out_dir / "logs" / "atbalsts.log"
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for noisy in ("great_expectations", "papermill", "traitlets", "matplotlib", "nbconvert"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    handler = _log_handler(log_path)
    if handler is not None:
        handler.failed = False
        return log_path
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        handler = _LogFile(log_path, encoding="utf-8")
    except OSError:
        if not root.handlers:  # else logging's last resort prints every warning and traceback on stderr
            root.addHandler(logging.NullHandler())
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    return log_path


def _log_handler(log_path: Path) -> _LogFile | None:
    target = log_path.resolve()
    for h in logging.getLogger().handlers:
        if isinstance(h, _LogFile) and Path(h.baseFilename) == target:
            return h
    return None


def log_written(log_path: Path | None) -> bool:
    """Whether everything logged so far reached the log file (false on a full disk)."""
    if log_path is None:
        return False
    handler = _log_handler(log_path)
    if handler is None:
        return False
    try:
        handler.flush()
    except OSError:
        handler.failed = True
    return not handler.failed


def _lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


@contextmanager
def warehouse_lock(warehouse: Path) -> Iterator[None]:
    """One run at a time: a second run on the same warehouse exits with a clear message.

    The lock file says who holds it (pid, host, start time) for `atbalsts status`; the kernel
    releases the lock when the process ends, however it ends, so a killed run never leaves a
    stale lock behind."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    handle = _lock_path(warehouse).open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = run_holder(warehouse)
            raise WarehouseLockedError(
                f"Noliktavu {warehouse} šobrīd apstrādā cits atbalsts process{_holder_lv(holder)}; pagaidiet, līdz "
                f"tas beidzas. / The warehouse {warehouse} is in use by another atbalsts run{_holder_en(holder)}; "
                f"wait for it to finish."
            ) from exc
        handle.seek(0)
        handle.truncate()
        started = datetime.now().isoformat(sep=" ", timespec="seconds")
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started_at": started}) + "\n")
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def run_holder(warehouse: Path) -> dict[str, Any] | None:
    """Who is running on this warehouse now (pid, host, started_at from the lock file), or None.

    A shared lock that cannot be taken means a live run holds the exclusive one."""
    try:
        handle = _lock_path(warehouse).open("r")
    except OSError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                return dict(json.loads(handle.read()))
            except (ValueError, TypeError):  # written by an older version: a bare pid
                return {}
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


def _holder_lv(holder: dict[str, Any] | None) -> str:
    if not holder:
        return ""
    return f" (sākts {holder.get('started_at', '?')}, PID {holder.get('pid', '?')}, dators {holder.get('host', '?')})"


def _holder_en(holder: dict[str, Any] | None) -> str:
    if not holder:
        return ""
    return f" (started at {holder.get('started_at', '?')}, PID {holder.get('pid', '?')} on {holder.get('host', '?')})"


def run_in_progress_message(warehouse: Path, holder: dict[str, Any]) -> str:
    """What `atbalsts status` says while a run has the warehouse open for writing."""
    return (
        f"Notiek palaišana{_holder_lv(holder)}; statuss būs redzams, kad tā beigsies. / "
        f"A run is in progress{_holder_en(holder)}; the status can be shown when it has finished ({warehouse})."
    )


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
        text = str(exc).lower()
        if "could not set lock" in text:  # checked first: the message names the holder's path, "…/versions/…"
            raise WarehouseLockedError(
                f"Noliktavu {path} izmanto cits process. / The warehouse {path} is in use by another process."
            ) from exc
        if "version number" in text or "newer version" in text:
            raise UserError(
                f"Noliktavu {path} ir rakstījusi jaunāka programmas versija; atjauniniet atbalsts. / "
                f"The warehouse {path} was written by a newer version; update atbalsts."
            ) from exc
        raise
    if not read_only:
        ensure_schema(con)
    return con


def start_run(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    """Record the run; a run still `running` in meta.runs is dead (this one holds the lock): it
    was killed or lost its machine before it could record its end, so it is marked `interrupted`."""
    con.execute("update meta.runs set outcome = 'interrupted' where outcome = 'running'")
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


def run_stages(
    settings: Settings, names: tuple[str, ...], *, command: str, out: Reporter | None = None, **options: Any
) -> int:
    """Run the named stages (pipelines/stages.py) in order under the lock, recording the run in
    meta.runs, writing each stage's stamp and, after any stage that changes the file counts,
    run_summary.json. Returns the exit code: 3 when `strict` and validation found errors."""
    ctx = RunContext(settings=settings, run_id=new_run_id(), command=command, options=options)
    ctx.out = out or Reporter()
    exit_code = 0
    with warehouse_lock(settings.warehouse):
        con: duckdb.DuckDBPyConnection = open_warehouse(settings)
        start_run(con, ctx)
        ctx.out.event("run_started", run_id=ctx.run_id, stages=list(names))
        try:
            for name in names:
                stage = stages.BY_NAME[name]
                if not stage.uses_connection:
                    con.close()  # the stage opens the warehouse read-only itself (notebook kernels)
                stage_con = con if stage.uses_connection else None
                with ctx.out.spinner(name):
                    outcome = timed_stage(ctx, name, partial(stage.run, stage_con, ctx))
                    if not stage.uses_connection:
                        con = open_warehouse(settings)
                    if compaction_requested(con):  # text masked in place (a name first known now)
                        con.close()
                        compact(settings.warehouse)
                        con = open_warehouse(settings)
                        ctx.out.event("warehouse_compacted", stage=name)
                    if stage.stamped:
                        write_stamp(con, settings.stamps_dir, name)
                    if stage.refreshes_summary:
                        write_run_summary(con, settings.run_summary_path, ctx.run_id, ctx.summary)
                    release_cache(con, settings.ingest.duckdb_memory_limit)  # not under the next stage's frames
                ctx.out.say(f"[green]✓[/] {name:<10} {outcome.seconds:6.1f} s  {short_counts(outcome.counts)}")
                ctx.out.event("stage", name=name, seconds=round(outcome.seconds, 2), counts=outcome.counts)
                if options.get("strict") and outcome.counts.get("has_errors"):
                    exit_code = 3
            finish_run(con, ctx, "completed")
        except BaseException:
            con = record_failed_run(con, settings, ctx)
            raise
        finally:
            con.close()
    ctx.out.event("run_finished", run_id=ctx.run_id, exit_code=exit_code)
    return exit_code


def record_failed_run(con: Any, settings: Settings, ctx: RunContext) -> Any:
    """Mark the run failed in meta.runs; returns the connection to close.

    A stage that failed inside DuckDB (out of memory, full disk) can leave its connection
    unusable, so a second try goes through a fresh one. If that fails too (a full disk), the log
    has the traceback and the run stays `running` in meta.runs until the next run marks it
    `interrupted`."""
    try:
        finish_run(con, ctx, "failed")
        return con
    except Exception:
        log.warning("could not record the failed run on the stage's connection; reopening", exc_info=True)
    with suppress(Exception):
        con.close()
    try:
        con = open_warehouse(settings)
        finish_run(con, ctx, "failed")
    except Exception:
        log.exception("could not record the failed run")
    return con


def short_counts(counts: dict[str, Any]) -> str:
    """One line of counts for the progress display; floats rounded, flags left to the summary."""
    parts = []
    for key, value in counts.items():
        if isinstance(value, bool | dict | list):
            continue
        parts.append(f"{key}={value:.2f}" if isinstance(value, float) else f"{key}={value}")
    return ", ".join(parts)


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and every one it was raised from or while handling, each once."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [current.__cause__, current.__context__]
    return seen


NO_PERMISSION = ("permission denied",)
CORRUPT = (
    "not a valid duckdb database file",
    "could not read enough bytes from file",
    "corrupt database file",
)


def explain_failure(exc: BaseException, settings: Settings) -> str | None:
    """One line for a failure of the machine, not of the data: a full disk, an output folder that
    cannot be written, a damaged warehouse file. None for anything else.

    The whole chain is searched, because the first error is often re-raised under another (a
    rollback or a "database has been invalidated" that fails after the disk filled up)."""
    chain = _chain(exc)
    texts = [str(e).lower() for e in chain]
    codes = {getattr(e, "errno", None) for e in chain}
    out, warehouse = settings.out_dir, settings.warehouse
    if codes & {errno.ENOSPC, errno.EDQUOT} or any(m in t for t in texts for m in DISK_FULL):
        return (
            f"Disks ir pilns (rakstot {out}): atbrīvojiet vietu vai izvēlieties citu --out mapi un palaidiet "
            f"vēlreiz. / The disk is full (writing {out}): free some space or choose another --out folder, then "
            f"run again."
        )
    if errno.EROFS in codes or any(m in t for t in texts for m in READ_ONLY):
        return (
            f"Mapē {out} nevar rakstīt (tikai lasāma failu sistēma): izvēlieties citu --out mapi. / "
            f"Cannot write to {out} (read-only file system): choose another --out folder."
        )
    if codes & {errno.EACCES, errno.EPERM} or any(m in t for t in texts for m in NO_PERMISSION):
        denied = next((e.filename for e in chain if isinstance(e, OSError) and e.filename), out)
        return (
            f"Nav atļaujas piekļūt {denied}: labojiet tiesības vai izvēlieties citu --out mapi. / "
            f"Permission denied on {denied}: fix its permissions or choose another --out folder."
        )
    if any(m in t for t in texts for m in CORRUPT) or any("checksum" in t and "does not match" in t for t in texts):
        return (
            f"Noliktavas fails {warehouse} ir bojāts vai nepilnīgs: atjaunojiet to no rezerves kopijas vai izdzēsiet "
            f"to un palaidiet `atbalsts run` vēlreiz (visi faili tiks ielādēti no jauna). / The warehouse file "
            f"{warehouse} is damaged or truncated: restore it from a backup, or delete it and run `atbalsts run` "
            f"again (every file is loaded anew)."
        )
    return None
