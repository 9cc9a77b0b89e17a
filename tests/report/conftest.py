"""Fixtures for the report tests: one small warehouse per test module (see report_fixtures.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from report_fixtures import build_warehouse

from pipelines.warehouse import connect


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: executes notebooks with papermill (deselect with -m 'not slow')")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("wh") / "warehouse.duckdb")


@pytest.fixture()
def con(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect(warehouse, read_only=True)
    yield c
    c.close()
