"""Shared for validate tests: one GX context per session (importing and setting up GX costs seconds)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from validate_fixtures import REFERENCE_DATE

from pipelines.config import Settings, ValidateSettings
from pipelines.validate.suites import SuiteRunner, load_suites
from pipelines.warehouse import connect, ensure_schema


@pytest.fixture(scope="session")
def runner() -> SuiteRunner:
    return SuiteRunner(load_suites())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return replace(Settings(out_dir=tmp_path / "out"), validate=ValidateSettings(today=REFERENCE_DATE))


@pytest.fixture
def con(tmp_path: Path):
    con = connect(tmp_path / "w.duckdb")
    ensure_schema(con)
    yield con
    con.close()
