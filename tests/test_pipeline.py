"""The whole monthly job on a small seeded sample, run as the analyst runs it.

One module-scoped run feeds several checks: counts add up, nothing personal leaks anywhere,
a repeat run changes nothing, a corrected file re-loads only itself, a killed run recovers to
the same result as a clean one, and a second run on a locked warehouse is refused.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.contract import school_year_of, semester_of
from pipelines.evaluate.early_warning import LIST_COLUMNS
from pipelines.pseudonym import KEY_ENV
from pipelines.runner import warehouse_lock
from pipelines.sample import Simulation, simulate, write_sample
from pipelines.stamps import STAGE_TABLES, table_checksum

SCHOOLS, SEED = 3, 7
ATBALSTS = str(Path(sys.executable).with_name("atbalsts"))
runner = CliRunner()


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    """The installed command, as the analyst runs it; no real key in its environment (--demo-key refuses one)."""
    environ = {k: v for k, v in os.environ.items() if k != KEY_ENV} | env
    return subprocess.run([ATBALSTS, *args], capture_output=True, text=True, timeout=600, check=False, env=environ)


def checksums(warehouse: Path) -> dict[str, dict]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [t for stage in ("ingest", "validate", "transform") for t in STAGE_TABLES[stage]]
        marts = [
            r[0]
            for r in con.execute(
                "select 'marts.' || table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]
        return {t: table_checksum(con, t) for t in (*tables, *sorted(marts))}
    finally:
        con.close()


def export_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "exports").glob("*.csv"))}


@pytest.fixture(scope="module")
def sim() -> Simulation:
    """The world the sample files are written from (simulated once: several checks compare with it)."""
    return simulate(schools=SCHOOLS, seed=SEED)


@pytest.fixture(scope="module")
def sample_raw(tmp_path_factory, sim) -> Path:
    raw = tmp_path_factory.mktemp("sample") / "raw"
    write_sample(raw, schools=SCHOOLS, seed=SEED)
    plant_free_text(raw, sim)
    return raw


def planted_people(sim: Simulation) -> tuple[dict, str]:
    """A pupil of the sample (first and last name, code, school) and a staff member's name."""
    pupil = sim.pupils.filter(pl.col("grade_level") >= 4).sort("pupil_code").row(0, named=True)
    staff = sim.consultations["staff_name"].drop_nulls().sort()[0]
    return pupil, staff


def plant_free_text(raw: Path, sim: Simulation) -> None:
    """What a careless school sends: a pupil's name and code in file names and in the free-text
    project and risk-factor cells (the file sorts before the roster that names the pupil)."""
    pupil, staff = planted_people(sim)
    person = f"{pupil['first_name']} {pupil['last_name']}"
    code = pupil["pupil_code"]
    header = "Personas kods;Iestādes kods;Sākuma datums;Beigu datums;Projekts;Riska faktori\n"
    row = f"{code};{pupil['school_id']};01.10.2024;;PuMPuRS {person} {code};kavējumi, {person} {code}\n"
    folder = raw / "planted"
    folder.mkdir()
    (folder / f"IAP {person} {code}.csv").write_text(header + row, encoding="utf-8")
    row = f"{code};{pupil['school_id']};01.02.2025;;{person};{code}\n"
    (folder / f"{staff} {code.replace('-', '')}.csv").write_text(header + row, encoding="utf-8")


@pytest.fixture(scope="module")
def first_run(sample_raw, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    result = run_cli("run", "--raw", str(sample_raw), "--out", str(out), "--demo-key", "--no-reports")
    assert result.returncode == 0, result.stdout + result.stderr
    (out / "logs" / "console.txt").write_text(result.stdout + result.stderr, encoding="utf-8")  # scanned too
    shutil.copytree(out, out.with_name(f"{out.name}-pristine"))  # for tests that need it before the repeat run
    return out


@pytest.fixture
def first_run_copy(first_run, tmp_path) -> Path:
    """The output folder as the first run left it, to run again in: a copy costs less than another run."""
    out = tmp_path / "out"
    shutil.copytree(first_run.with_name(f"{first_run.name}-pristine"), out)
    return out


def test_every_row_is_loaded_or_quarantined_and_bad_files_are_named(first_run):
    summary = json.loads((first_run / "run_summary.json").read_text(encoding="utf-8"))
    by_status: dict[str, list[str]] = {}
    for f in summary["files"]:
        by_status.setdefault(f["status"], []).append(f["path"])
        assert f["rows_read"] == f["rows_loaded"] + f["rows_quarantined"], f
    assert "SAMPLE_README.md" in by_status["skipped"]
    assert any(p.endswith(".txt") for p in by_status["skipped"])
    assert len(by_status["rejected"]) == 1  # the consultation log without "Ilgums (min)"
    rejected = next(f for f in summary["files"] if f["status"] == "rejected")
    assert "Ilgums" in rejected["reason"]
    assert summary["totals"]["rows_quarantined"] > 0
    assert summary["totals"]["rows_loaded"] > 10_000


def test_no_personal_code_or_name_leaves_the_raw_folder(first_run, sim):
    codes = set(sim.pupils["pupil_code"].to_list())
    secrets = codes | {c.replace("-", "") for c in codes}
    names = set(sim.pupils["last_name"].to_list()) | set(sim.consultations["staff_name"].drop_nulls().to_list())
    names = {n for n in names if len(n) > 3}

    con = duckdb.connect(str(first_run / "warehouse.duckdb"), read_only=True)
    columns = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog')"
    ).fetchall()
    for schema, table, column in columns:
        values = {r[0] for r in con.execute(f'select distinct "{column}" from {schema}.{table}').fetchall()}
        assert not values & secrets, f"personal code in {schema}.{table}.{column}"
        assert not values & names, f"name in {schema}.{table}.{column}"
    con.close()

    texts = [p for p in first_run.rglob("*") if p.is_file() and p.suffix in {".json", ".csv", ".log", ".md", ".html"}]
    assert texts
    blob = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in texts)
    digits_found = [c for c in codes if c in blob or c.replace("-", "") in blob]
    assert not digits_found
    assert not [n for n in names if n in blob]


def test_no_free_text_or_file_name_leaks_the_planted_name_or_code(first_run, sim):
    """The planted name and code (in file names, project and risk-factor cells) are nowhere: not in any
    warehouse column (cast to text, as substrings), not in any output file's text or name."""
    pupil, staff = planted_people(sim)
    needles = {pupil["pupil_code"], pupil["pupil_code"].replace("-", ""), pupil["first_name"] + " "}
    needles |= {pupil["last_name"], f"{pupil['first_name']} {pupil['last_name']}", staff}
    needles = {n.lower() for n in needles}

    con = duckdb.connect(str(first_run / "warehouse.duckdb"), read_only=True)
    columns = con.execute(
        "select c.table_schema, c.table_name, c.column_name from information_schema.columns c "
        "join information_schema.tables t using (table_catalog, table_schema, table_name) "
        "where t.table_type = 'BASE TABLE' and c.table_catalog = current_database()"
    ).fetchall()
    assert len(columns) > 100
    for schema, table, column in columns:
        text = con.execute(
            f'select lower(string_agg(distinct cast("{column}" as varchar), chr(10))) from "{schema}"."{table}"'
        ).fetchall()[0][0]
        found = [n for n in needles if text and n in text]
        assert not found, f"{schema}.{table}.{column} holds planted personal data"
    plans = con.execute("select project_code, risk_factors from core.plans where source_file like 'planted/%'")
    assert sorted(plans.fetchall(), key=str) == [("other", "absences;other"), ("other", "other")]
    stored = [r[0] for r in con.execute("select file_path from meta.files where file_path like 'planted/%'").fetchall()]
    con.close()
    assert sorted(p.split(" #")[0] for p in stored) == ["planted/*** *** ***.csv", "planted/IAP *** *** ***.csv"]

    outputs = [p for p in first_run.rglob("*") if p.is_file() and ".duckdb" not in p.name]
    assert {"run_summary.json", "atbalsts.log", "console.txt"} <= {p.name for p in outputs}
    console = (first_run / "logs" / "console.txt").read_text(encoding="utf-8")
    assert console.count("! Faila nosaukumā ir personas dati") == 2  # one (wrapped) line per file
    assert any(p.parent.name == "feedback" for p in outputs) and any(p.parent.name == "exports" for p in outputs)
    for path in outputs:
        text = (path.relative_to(first_run).as_posix() + "\n" + path.read_bytes().decode("utf-8", "replace")).lower()
        assert not [n for n in needles if n in text], f"{path.relative_to(first_run)} holds planted personal data"


def test_repeat_run_changes_nothing(first_run, sample_raw):
    before = checksums(first_run / "warehouse.duckdb")
    exports = export_bytes(first_run)
    result = run_cli("run", "--raw", str(sample_raw), "--out", str(first_run), "--demo-key", "--no-reports")
    assert result.returncode == 0, result.stderr
    summary = json.loads((first_run / "run_summary.json").read_text(encoding="utf-8"))
    assert {f["status"] for f in summary["files"]} <= {"unchanged", "skipped", "rejected"}
    assert checksums(first_run / "warehouse.duckdb") == before
    assert export_bytes(first_run) == exports


def test_corrected_file_replaces_only_its_own_rows(sample_raw, first_run_copy, tmp_path):
    raw, out = tmp_path / "raw", first_run_copy  # the first run on these files was first_run's
    shutil.copytree(sample_raw, raw)
    roster = sorted(raw.rglob("sk*lēni_*.csv"))[0]
    lines = roster.read_bytes().splitlines(keepends=True)
    roster.write_bytes(b"".join(lines[:-1]))  # the school corrects its roster: one pupil fewer
    log = sorted(raw.rglob("konsultacijas_*.csv"))[-1]
    consultations = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(consultations[:-1]))  # ... and a school withdraws its last consultation

    result = run_cli("run", "--raw", str(raw), "--out", str(out), "--demo-key", "--no-reports")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "run_summary.json").read_text(encoding="utf-8"))
    loaded = [f["path"] for f in summary["files"] if f["status"] == "loaded"]
    assert loaded == sorted(p.relative_to(raw).as_posix() for p in (roster, log))
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    in_staging = con.execute(
        "select count(*) from staging.pupils where source_file = ?", [roster.relative_to(raw).as_posix()]
    ).fetchall()[0][0]
    con.close()
    assert in_staging == len(lines) - 2  # header and the removed line
    assert_changes_are_the_withdrawn_consultation(out, summary, consultations[-1].decode("utf-8", "replace"))


def assert_changes_are_the_withdrawn_consultation(out: Path, summary: dict, withdrawn: str) -> None:
    """exports/changes.csv against the two runs' published files: every line repeats a published cell
    of each side (a withheld cell stays empty), and the changes are the one consultation's."""
    runs = sorted(p.name for p in (out / "history").iterdir())
    assert len(runs) == 2 and summary["changes"]["previous_run"] == runs[0] and summary["changes"]["run"] == runs[1]
    changes = pl.read_csv(out / "exports" / "changes.csv", infer_schema=False).fill_null("")
    assert changes.columns == ["file", "key", "column", "old", "new"] and changes.height > 0
    assert summary["changes"]["cells_changed"] == changes.height and summary["changes"]["rows_added"] == 0
    package = json.loads((out / "exports" / "datapackage.json").read_text(encoding="utf-8"))
    keys = {r["path"]: r["schema"]["primaryKey"] for r in package["resources"]}

    def cells(run_dir: Path, file: str) -> dict[tuple[str, str], str]:
        frame = pl.read_csv(run_dir / file, infer_schema=False).fill_null("")
        return {
            ("; ".join(f"{k}={row[k]}" for k in keys[file]), column): row[column]
            for row in frame.iter_rows(named=True)
            for column in frame.columns
            if column not in keys[file]
        }

    old_cells = {f: cells(out / "history" / runs[0], f) for f in keys}
    new_cells = {f: cells(out / "exports", f) for f in keys}
    expected = {
        (f, key, column, old_cells[f][key, column], value)
        for f in keys
        for (key, column), value in new_cells[f].items()
        if old_cells[f][key, column] != value
    }
    assert set(changes.iter_rows()) == expected  # the published cells, nothing derived, nothing missed

    found = re.search(r"(\d{1,2})\.(\d{1,2})\.(\d{4})|(\d{4})-(\d{2})-(\d{2})", withdrawn)
    assert found, withdrawn
    d, m, y, iy, im, id_ = found.groups()
    day = date(int(y), int(m), int(d)) if y else date(int(iy), int(im), int(id_))
    for key, old, new in changes.select("key", "old", "new").iter_rows():
        if not (old and new):  # withheld on one side: complementary cells of other rows move with them
            continue
        assert f"school_year={school_year_of(day)}" in key or "school_year=ALL" in key  # the withdrawn one's rows
        assert "semester=" not in key or f"semester={semester_of(day)}" in key or "semester=ALL" in key
    assert changes.filter(pl.col("column") == "n_consultations").height > 0
    # One consultation fewer. A record count may move by one in plain sight: with the pupils unchanged it
    # singles out no pupil. A pupil count that moved by 1..k-1 is withheld (export/temporal.py), so none
    # moves by 1..k-1 in plain sight.
    pupils = changes.filter(pl.col("column").str.starts_with("n_pupils"))
    pairs = list(pupils.select("old", "new").iter_rows())
    assert not any(1 <= abs(int(o) - int(n)) <= 4 for o, n in pairs if o and n)


@pytest.mark.parametrize("kill_after_event", ["file", "validate"])
def test_killed_run_then_rerun_equals_a_clean_run(first_run, sample_raw, tmp_path, kill_after_event):
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [ATBALSTS, "run", "--raw", str(sample_raw), "--out", str(out), "--demo-key", "--no-reports", "--json-log"],
        stdout=subprocess.PIPE,
        text=True,
    )
    files_seen = 0
    assert proc.stdout is not None
    for line in proc.stdout:
        event = json.loads(line)
        if event["event"] == "file":
            files_seen += 1
        if (kill_after_event == "file" and files_seen == 5) or (
            kill_after_event == "validate" and event["event"] == "stage" and event["name"] == "validate"
        ):
            proc.send_signal(signal.SIGKILL)  # mid-ingest, or as the transform starts
            break
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL

    result = run_cli("run", "--raw", str(sample_raw), "--out", str(out), "--demo-key", "--no-reports")
    assert result.returncode == 0, result.stderr
    assert checksums(out / "warehouse.duckdb") == checksums(first_run / "warehouse.duckdb")
    assert export_bytes(out) == export_bytes(first_run)


def test_second_run_on_a_locked_warehouse_is_refused_with_a_message(first_run, sample_raw):
    with warehouse_lock(first_run / "warehouse.duckdb"):
        result = run_cli("run", "--raw", str(sample_raw), "--out", str(first_run), "--demo-key")
    assert result.returncode == 2
    assert "another atbalsts run" in result.stderr.replace("\n", " ")
    assert "Traceback" not in result.stderr + result.stdout


def test_a_full_disk_is_one_line_and_the_next_run_recovers(first_run, sample_raw, tmpfs):
    """A real full disk: no "Logging error" flood, no file blamed for it (rejected as an internal
    error), the cause not hidden behind a failed rollback; with space again, the same result."""
    disk = tmpfs.mount("3m")
    out = disk / "out"
    result = run_cli("run", "--raw", str(sample_raw), "--out", str(out), "--demo-key", "--no-reports")
    assert result.returncode == 2
    message = (
        f"Kļūda / error: Disks ir pilns (rakstot {out}): atbrīvojiet vietu vai izvēlieties citu --out mapi un "
        f"palaidiet vēlreiz. / The disk is full (writing {out}): free some space or choose another --out folder, "
        f"then run again."
    )  # and where the details are, if the log could still be written
    assert re.fullmatch(
        re.escape(message) + f"( Sīkāk / details: {re.escape(str(out / 'logs' / 'atbalsts.log'))})?",
        result.stderr.strip(),
    )

    tmpfs.remount(disk, "size=300m")
    again = run_cli("run", "--raw", str(sample_raw), "--out", str(out), "--demo-key", "--no-reports")
    assert again.returncode == 0, again.stderr
    summary = json.loads((out / "run_summary.json").read_text(encoding="utf-8"))
    assert not [f for f in summary["files"] if "Internal error" in (f["reason"] or "")]
    assert checksums(out / "warehouse.duckdb") == checksums(first_run / "warehouse.duckdb")


def test_status_during_a_run_and_a_killed_run_is_interrupted(sample_raw, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [ATBALSTS, "run", "--raw", str(sample_raw), "--out", str(out), "--demo-key", "--no-reports", "--json-log"],
        stdout=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != KEY_ENV},
    )
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if json.loads(line)["event"] == "file":  # ingest under way: the warehouse is open for writing
                break
        during = run_cli("status", "--out", str(out))
        lock = (out / "warehouse.duckdb.lock").read_text(encoding="utf-8")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=120)
    host, warehouse = socket.gethostname(), out / "warehouse.duckdb"
    assert during.returncode == 0, during.stderr
    started = json.loads(lock)["started_at"]  # the lock file says who holds it
    assert during.stdout.strip() == (
        f"Notiek palaišana (sākts {started}, PID {proc.pid}, dators {host}); statuss būs redzams, kad tā beigsies. / "
        f"A run is in progress (started at {started}, PID {proc.pid} on {host}); the status can be shown when it "
        f"has finished ({warehouse})."
    )

    after = run_cli("status", "--out", str(out), COLUMNS="200")
    assert after.returncode == 0, after.stderr
    assert "interrupted" in after.stdout and "running" not in after.stdout
    assert run_cli("ingest", "--raw", str(sample_raw), "--out", str(out), "--demo-key").returncode == 0
    con = duckdb.connect(str(warehouse), read_only=True)
    runs = con.execute("select command, outcome from meta.runs order by started_at").fetchall()
    con.close()
    assert runs == [("run", "interrupted"), ("ingest", "completed")]


def test_user_errors_are_one_line_without_traceback(tmp_path, monkeypatch):
    monkeypatch.delenv("ATBALSTS_PSEUDONYM_KEY", raising=False)
    missing = runner.invoke(app, ["ingest", "--raw", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert missing.exit_code == 2
    assert "nope" in missing.output and "Traceback" not in missing.output

    (tmp_path / "raw").mkdir()
    params = tmp_path / "params.yaml"
    params.write_text(f"ingest:\n  pseudonym_key_file: {tmp_path / 'none.key'}\n")
    no_key = runner.invoke(
        app, ["ingest", "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "o"), "--params", str(params)]
    )
    assert no_key.exit_code == 2
    assert "ATBALSTS_PSEUDONYM_KEY" in no_key.output


def test_a_stage_that_breaks_its_connection_still_records_the_failed_run(tmp_path, monkeypatch):
    """As after DuckDB runs out of memory: the stage's connection is unusable when the run is recorded."""
    from dataclasses import replace

    from pipelines import stages

    def broken_transform(con, ctx):
        con.close()
        raise RuntimeError("simulated fatal DuckDB error")

    monkeypatch.setitem(stages.BY_NAME, "transform", replace(stages.BY_NAME["transform"], run=broken_transform))
    result = runner.invoke(app, ["transform", "--out", str(tmp_path / "o")])

    assert result.exit_code == 1
    assert "simulated fatal DuckDB error" in result.output and "Traceback" not in result.output
    con = duckdb.connect(str(tmp_path / "o" / "warehouse.duckdb"), read_only=True)
    assert con.execute("select command, outcome from meta.runs").fetchall() == [("transform", "failed")]
    con.close()


def test_runs_table_records_each_run(first_run):
    con = duckdb.connect(str(first_run / "warehouse.duckdb"), read_only=True)
    runs = con.execute(
        "select command, outcome, params_hash, stage_counts from meta.runs order by started_at"
    ).fetchall()
    con.close()
    assert runs and all(r[1] == "completed" for r in runs if r[0] == "run")
    counts = json.loads(runs[0][3])
    assert set(counts) == {"ingest", "validate", "transform", "evaluate", "export"}


def test_status_lists_runs_files_and_schools(first_run):
    result = runner.invoke(app, ["status", "--out", str(first_run)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "completed" in result.output
    assert "grades" in result.output and "consultations" in result.output
    assert "Balvu pamatskola" in result.output  # the schools table names each school


def all_row(frame: pl.DataFrame, keys: tuple[str, ...]) -> dict:
    """The grand-total row: `ALL` in every key."""
    return frame.filter(pl.all_horizontal(pl.col(c) == "ALL" for c in keys)).row(0, named=True)


def test_programme_export_totals_equal_hand_sums_of_the_sample(first_run, sim):
    """The grand totals of activities, financial support and costs equal sums over the sample
    generator's own rows (cumulative files and dialects in between)."""
    from pipelines.sample.programme import programme_frames

    frames = programme_frames(sim, SEED)
    exports = first_run / "exports"
    summary = pl.read_csv(exports / "support_summary.csv", infer_schema_length=0)
    total = all_row(summary, ("project_code", "municipality", "school_year", "semester"))
    activities = frames["activities"]
    per_activity = activities.group_by("school_id", "activity_id").agg(
        pl.col("pupil_code").drop_nulls().n_unique().alias("listed"),
        pl.col("participants").max(),
        pl.col("minutes").first(),
    )
    head_count = pl.max_horizontal("listed", pl.col("participants").fill_null(0))
    hours = per_activity.select((head_count * pl.col("minutes")).sum() / 60).item()
    assert int(total["n_pupils_activities"]) == activities["pupil_code"].drop_nulls().n_unique()
    assert float(total["activity_hours"]) == pytest.approx(hours, abs=0.05)
    money = frames["financial_support"]
    assert int(total["n_pupils_financial_support"]) == money["pupil_code"].n_unique()
    assert float(total["financial_support_eur"]) == pytest.approx(money["amount_eur"].sum(), abs=0.005)
    costs = pl.read_csv(exports / "costs.csv", infer_schema_length=0)
    spent = float(all_row(costs, ("project_code", "municipality", "school_year", "cost_category"))["amount_eur"])
    assert spent == pytest.approx(frames["costs"]["amount_eur"].sum(), abs=0.005)
    margin = ("project_code", "municipality", "school_year")
    by_category = costs.filter(
        pl.all_horizontal(pl.col(c) == "ALL" for c in margin) & (pl.col("cost_category") != "ALL")
    )
    assert by_category["amount_eur"].cast(pl.Float64).sum() == pytest.approx(spent, abs=0.05)
    whole = all_row(pl.read_csv(exports / "esf_indicators.csv", infer_schema_length=0), ("project_code", "school_year"))
    assert float(whole["eur_spent"]) == pytest.approx(spent, abs=0.005)
    assert int(whole["n_pupils_activities"]) == int(total["n_pupils_activities"])
    assert int(whole["n_pupils_any"]) >= max(int(total["n_pupils_activities"]), int(total["n_pupils_supported"]))


def test_early_warning_lists_point_at_roster_lines_of_their_school(first_run, sample_raw):
    """Every row of every per-school list is a line of that school's roster file in the raw folder
    (the school finds the pupil in its own export), with the class that line holds."""
    con = duckdb.connect(str(first_run / "warehouse.duckdb"), read_only=True)
    enrolled = con.execute("select list_school_id, count(*) from marts.early_warning group by 1 order by 1").fetchall()
    con.close()
    lists = sorted((first_run / "early_warning").glob("*.csv"))
    assert [(p.stem, pl.read_csv(p).height) for p in lists] == enrolled
    checked = 0
    sheets: dict[str, list[tuple]] = {}
    for path in lists:
        frame = pl.read_csv(path, infer_schema_length=0)
        assert frame.columns == list(LIST_COLUMNS)
        for roster_file, line, klass in frame.select("roster_file", "roster_line", "class").iter_rows():
            name, _, sheet = roster_file.partition(".xlsx#")
            if sheet:  # a workbook sheet: the line is the sheet row
                if roster_file not in sheets:
                    book = openpyxl.load_workbook(sample_raw / f"{name}.xlsx", read_only=True)
                    sheets[roster_file] = [tuple(map(str, r)) for r in book[sheet].iter_rows(values_only=True)]
                    book.close()
                row = " ".join(sheets[roster_file][int(line) - 1])
            else:
                raw = (sample_raw / roster_file).read_bytes()
                text = raw.decode("utf-8-sig") if raw[:3] == b"\xef\xbb\xbf" else raw.decode("utf-8", errors="replace")
                if "\ufffd" in text:
                    text = raw.decode("cp1257")
                row = text.splitlines()[int(line) - 1]
            assert path.stem in row and klass in row, (roster_file, line)
            checked += 1
    assert checked > 100
