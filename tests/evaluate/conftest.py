"""Shared fixtures: a warehouse whose core tables come straight from the seeded sample world."""

from __future__ import annotations

import duckdb

from pipelines.sample.core import core_connection, simulation_frames

__all__ = ["core_connection", "simulation_connection"]


def simulation_connection(**kwargs) -> duckdb.DuckDBPyConnection:
    from pipelines.sample import simulate

    return core_connection(simulation_frames(simulate(**kwargs)))
