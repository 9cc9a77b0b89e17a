"""params.yaml is read once into typed settings; typos are errors, not silent defaults."""

from datetime import date
from pathlib import Path

import pytest

from pipelines.config import load_settings


def test_repository_params_load_with_their_values():
    settings = load_settings(Path(__file__).parents[1] / "params.yaml")
    assert settings.export.k == 5
    assert settings.validate.max_consultation_minutes == 240
    assert settings.evaluate.hours_bands == (0.0, 5.0, 10.0, 20.0)
    assert settings.warehouse == Path("data/processed/warehouse.duckdb")


def test_unknown_setting_is_rejected(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("export:\n  kk: 3\n")
    with pytest.raises(ValueError, match="kk"):
        load_settings(path)


def test_command_line_paths_override(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("validate:\n  today: '2026-11-23'\n")
    settings = load_settings(path).with_paths(raw=tmp_path / "r", out=tmp_path / "o")
    assert settings.validate.reference_date() == date(2026, 11, 23)
    assert settings.warehouse == tmp_path / "o" / "warehouse.duckdb"
    assert settings.run_summary_path == tmp_path / "o" / "run_summary.json"
