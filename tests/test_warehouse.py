"""The warehouse connection helpers."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.warehouse import ensure_schema, load_sql, release_cache, transaction


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


@pytest.mark.parametrize("table", ["grades", "consultations"])
def test_staging_row_keys_are_stored_uncompressed(tmp_path, table: str) -> None:
    """The big staging tables keep their random row_keys uncompressed (DICT_FSST only halved them and
    cost ~0.8 CPU µs a key on every ingest insert; BENCHMARKS.md, issue 18); the keys read back as written."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(con)
    con.execute(
        f"insert into staging.{table} (source_file, source_line, row_key) "
        "select 'f.csv', i, sha256(i::varchar) || '#1' from range(3000) t(i)"
    )
    con.execute("checkpoint")
    storage = f"select distinct compression from pragma_storage_info('staging.{table}') where column_name = 'row_key'"
    assert {c for (c,) in con.execute(storage).fetchall()} <= {"Uncompressed", "Constant"}
    keys = f"select count(*) from staging.{table} where row_key = sha256(source_line::varchar) || '#1'"
    assert con.execute(keys).fetchall() == [(3000,)]
    con.close()
