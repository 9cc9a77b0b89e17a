"""Stage: export. Ministry CSVs with statistical disclosure control (see disclosure.py)."""

from .disclosure import ALL, apply_pattern, linked_patterns, suppress, suppression_pattern
from .stage import ExportResult, run_export

__all__ = ["ALL", "ExportResult", "apply_pattern", "linked_patterns", "run_export", "suppress", "suppression_pattern"]
