"""The warning box's words for placebo C (negative control) and the spill-over check (nb.Report)."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.report.nb import Report


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    warehouse = tmp_path_factory.mktemp("words") / "empty.duckdb"
    duckdb.connect(str(warehouse)).close()
    return {lang: Report(warehouse, lang=lang) for lang in ("en", "lv")}


DIAG = {
    "placebo_c_effect": 0.21, "placebo_c_ci_low": 0.12, "placebo_c_ci_high": 0.30,
    "spillover_effect": 0.44, "spillover_ci_low": 0.31, "spillover_ci_high": 0.57, "own_school_weight_share": 0.88,
}  # fmt: skip


def test_placebo_c_says_the_supported_also_moved_in_subjects_they_were_not_supported_in(reports):
    (text,) = reports["en"].other_warnings(DIAG, ["placebo_c"])
    assert "also moved in subjects they were not supported in" in text and "+0.21" in text
    assert "motivation" in text and "spilled into other subjects" in text
    (lv,) = reports["lv"].other_warnings(DIAG, ["placebo_c"])
    assert "priekšmetos, kuros viņi atbalstu nesaņēma" in lv


def test_spillover_says_the_comparison_group_was_lifted_and_the_effect_understated(reports):
    texts = reports["en"].other_warnings(DIAG, ["placebo_a", "spillover"])
    assert len(texts) == 1
    assert "assumption 3" in texts[0] and "understated" in texts[0] and "88%" in texts[0]
    with_companion = DIAG | {"effect_other_schools": 0.56, "ci_low_other_schools": 0.39, "ci_high_other_schools": 0.73}
    assert "other schools only (regression, no matching) the effect is +0.56" in " ".join(
        reports["en"].other_warnings(with_companion, ["spillover"])
    )
    assert reports["en"].other_warnings(DIAG, ["placebo_a"]) == []
