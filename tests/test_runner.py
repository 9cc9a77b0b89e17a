"""Run safety: one run at a time, stamps that only change when content changes, and faults of
the machine (read-only folder, damaged warehouse) told in one line."""

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.config import Settings
from pipelines.personal_code import make_old_code
from pipelines.pseudonym import KEY_ENV
from pipelines.runner import WarehouseLockedError, explain_failure, warehouse_lock
from pipelines.stamps import table_checksum, write_stamp
from pipelines.warehouse import connect, ensure_schema


def test_second_run_on_the_same_warehouse_is_refused(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with (
        warehouse_lock(warehouse),
        pytest.raises(WarehouseLockedError, match="another atbalsts run"),
        warehouse_lock(warehouse),
    ):
        pass
    with warehouse_lock(warehouse):  # released after the first run ends
        pass


def test_stamp_ignores_run_bookkeeping_but_sees_content(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    ensure_schema(con)
    con.execute("insert into meta.files (file_path, sha256, status, run_id) values ('a.csv', 'h1', 'loaded', 'r1')")
    first = table_checksum(con, "meta.files")
    con.execute("update meta.files set status = 'unchanged', run_id = 'r2'")
    assert table_checksum(con, "meta.files") == first
    con.execute("update meta.files set sha256 = 'h2'")
    assert table_checksum(con, "meta.files") != first

    path = write_stamp(con, tmp_path / "stages", "ingest")
    before = path.stat().st_mtime_ns
    write_stamp(con, tmp_path / "stages", "ingest")
    assert path.stat().st_mtime_ns == before  # unchanged content is not rewritten


# --- faults of the machine, not of the data: one line each, through the real command -----------

ATBALSTS = str(Path(sys.executable).with_name("atbalsts"))


def atbalsts(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != KEY_ENV}
    return subprocess.run([ATBALSTS, *args], capture_output=True, text=True, timeout=600, check=False, env=env)


def small_raw(folder: Path) -> Path:
    raw = folder / "raw"
    raw.mkdir(parents=True)
    codes = [make_old_code(15, 3, 2012, n) for n in range(100, 130)]
    lines = ["date,personal_code,school_id,subject,grade,assessment_type"]
    lines += [f"2024-10-{i % 28 + 1:02d},{c},2712900123,matemātika,{i % 10 + 1},summative" for i, c in enumerate(codes)]
    (raw / "grades.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return raw


def test_a_read_only_output_folder_is_one_line_and_status_still_reads(tmp_path, tmpfs):
    raw = small_raw(tmp_path)
    disk = tmpfs.mount("8m")
    out = disk / "out"
    assert atbalsts("ingest", "--raw", str(raw), "--out", str(out), "--demo-key").returncode == 0
    tmpfs.remount(disk, "ro")

    result = atbalsts("run", "--raw", str(raw), "--out", str(out), "--demo-key", "--no-reports")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"Kļūda / error: Mapē {out} nevar rakstīt (tikai lasāma failu sistēma): izvēlieties citu --out mapi. / "
        f"Cannot write to {out} (read-only file system): choose another --out folder."
    )
    status = atbalsts("status", "--out", str(out))
    assert status.returncode == 0, status.stderr
    assert "completed" in status.stdout and status.stderr == ""


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_warehouse_says_restore_or_delete_and_rerun(tmp_path, damage):
    raw = small_raw(tmp_path)
    out = tmp_path / "out"
    assert atbalsts("ingest", "--raw", str(raw), "--out", str(out), "--demo-key").returncode == 0
    warehouse = out / "warehouse.duckdb"
    if damage == "garbage":
        warehouse.write_bytes(bytes(range(256)) * 4096)
    else:
        os.truncate(warehouse, warehouse.stat().st_size // 2)
    expected = (
        f"Kļūda / error: Noliktavas fails {warehouse} ir bojāts vai nepilnīgs: atjaunojiet to no rezerves kopijas "
        f"vai izdzēsiet to un palaidiet `atbalsts run` vēlreiz (visi faili tiks ielādēti no jauna). / The warehouse "
        f"file {warehouse} is damaged or truncated: restore it from a backup, or delete it and run `atbalsts run` "
        f"again (every file is loaded anew). Sīkāk / details: {out / 'logs' / 'atbalsts.log'}"
    )
    for command in (["status"], ["run", "--raw", str(raw), "--demo-key", "--no-reports"]):
        result = atbalsts(*command, "--out", str(out))
        assert result.returncode == 2
        assert result.stderr.strip() == expected, command


def test_no_permission_names_the_path_and_an_unknown_error_is_not_explained(tmp_path):
    """As root, permissions cannot be denied for real: the error the OS raises is built here instead."""
    settings = Settings(out_dir=tmp_path / "out")
    denied = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "out" / "logs"))
    assert explain_failure(denied, settings) == (
        f"Nav atļaujas piekļūt {tmp_path / 'out' / 'logs'}: labojiet tiesības vai izvēlieties citu --out mapi. / "
        f"Permission denied on {tmp_path / 'out' / 'logs'}: fix its permissions or choose another --out folder."
    )
    assert explain_failure(ValueError("a bug"), settings) is None
