"""Run safety: one run at a time, and stamps that only change when content changes."""

import pytest

from pipelines.runner import WarehouseLockedError, warehouse_lock
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
