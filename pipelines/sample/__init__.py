"""Seeded sample data: a simulated world with a known effect of support, written as messy school exports."""

from pipelines.sample.national import NationalSummary, write_national
from pipelines.sample.simulate import Simulation, simulate
from pipelines.sample.writers import SampleSummary, build_files, write_sample

__all__ = [
    "NationalSummary",
    "SampleSummary",
    "Simulation",
    "build_files",
    "simulate",
    "write_national",
    "write_sample",
]
