"""A fresh warehouse file per test for the ingest tests."""

from __future__ import annotations

import pytest

from pipelines.warehouse import connect


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    yield con
    con.close()
