"""Shared fixtures: a warehouse whose core tables come straight from the seeded sample world."""

from __future__ import annotations

import os
from collections.abc import Iterator

import duckdb
import pytest

from pipelines.sample.core import core_connection, simulation_frames

__all__ = ["core_connection", "simulation_connection"]


@pytest.fixture(scope="package", autouse=True)
def outputs_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The stage writes the per-school early-warning lists under `paths.out` (relative: data/processed);
    tests that run it with default settings must not write into the checkout."""
    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("evaluate_cwd"))
    yield
    os.chdir(here)


def simulation_connection(**kwargs) -> duckdb.DuckDBPyConnection:
    from pipelines.sample import simulate

    return core_connection(simulation_frames(simulate(**kwargs)))
