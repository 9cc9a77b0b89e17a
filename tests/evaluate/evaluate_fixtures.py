"""Helpers for the evaluate tests: a warehouse whose core tables come straight from the seeded sample world."""

from __future__ import annotations

import duckdb

from pipelines.sample import simulate
from pipelines.sample.core import core_connection, simulation_frames


def simulation_connection(**kwargs) -> duckdb.DuckDBPyConnection:
    return core_connection(simulation_frames(simulate(**kwargs)))


# core.grades with the columns the outcome-window SQL reads, for tests that write their marks by hand
GRADES_DDL = (
    "create table core.grades (date date, school_year varchar, semester integer, pupil_id varchar, "
    "school_id varchar, municipality varchar, subject varchar, grade_kind varchar, grade_score integer, "
    "assessment_type varchar)"
)
