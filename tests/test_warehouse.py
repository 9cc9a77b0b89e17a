"""The warehouse connection helpers."""

from __future__ import annotations

import duckdb

from pipelines.warehouse import release_cache


def test_releasing_duckdb_cache_frees_buffers_and_keeps_the_memory_limit(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("SET memory_limit = '1GB'")
    con.execute("create table t as select i, i % 97 as g, md5(i::varchar) as s from range(4000000) r(i)")
    con.execute("checkpoint")
    con.execute("select g, count(distinct s) from t group by g").fetchall()  # reads the table into the cache
    in_use = "select sum(memory_usage_bytes) from duckdb_memory()"
    before = con.execute(in_use).fetchall()[0][0]
    limit = con.execute("select current_setting('memory_limit')").fetchall()[0][0]

    release_cache(con, "1GB")

    assert before > 64 * 2**20
    assert con.execute(in_use).fetchall()[0][0] <= 64 * 2**20  # evicted down to the 64 MB of the release
    assert con.execute("select current_setting('memory_limit')").fetchall()[0][0] == limit
    con.close()
