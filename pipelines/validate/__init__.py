"""Stage: validate."""

from pipelines.validate.stage import ValidateResult, run_validate

__all__ = ["ValidateResult", "run_validate"]
