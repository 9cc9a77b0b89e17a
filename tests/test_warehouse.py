"""The warehouse connection helpers."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.warehouse import load_sql, release_cache, transaction


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


def test_a_transaction_commits_whole_or_leaves_the_tables_as_they_were() -> None:
    con = duckdb.connect()
    con.execute("create table t (i integer)")
    with transaction(con):
        con.execute("insert into t values (1)")
    with pytest.raises(RuntimeError), transaction(con):
        con.execute("insert into t values (2)")
        raise RuntimeError("interrupted")
    assert con.execute("select list(i) from t").fetchall() == [([1],)]


def test_load_sql_fills_identifiers_and_fragments_never_values(tmp_path) -> None:
    (tmp_path / "q.sql").write_text(
        "-- rows of {table} where {cells}\nselect {column} from {table} where {cells} and x = $x\n", encoding="utf-8"
    )
    text = load_sql(tmp_path, "q", table="core.t", column="c", fragments={"cells": "a = 'ALL'"})
    assert text == "select c from core.t where a = 'ALL' and x = $x"  # the comment goes, the parameter stays
    with pytest.raises(ValueError, match="not an identifier"):
        load_sql(tmp_path, "q", table="t; drop table t", column="c", fragments={"cells": "true"})
    (tmp_path / "s.sql").write_text("select {'k': 1} as s\n", encoding="utf-8")
    assert duckdb.sql(load_sql(tmp_path, "s")).fetchall() == [({"k": 1},)]  # no parts: read as written
