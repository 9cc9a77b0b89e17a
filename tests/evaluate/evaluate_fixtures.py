"""Helpers for the evaluate tests: a warehouse whose core tables come straight from the seeded sample world."""

from __future__ import annotations

import duckdb

from pipelines.sample import simulate
from pipelines.sample.core import core_connection, simulation_frames


def simulation_connection(**kwargs) -> duckdb.DuckDBPyConnection:
    return core_connection(simulation_frames(simulate(**kwargs)))
