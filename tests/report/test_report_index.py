"""The index page's "what changed since the previous run" section (issue 19, item 5), without notebooks."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from pipelines.changes import Change, ChangeSummary
from pipelines.report.stage import WarehouseFacts, build_index

FACTS = WarehouseFacts(["Rīgas valstspilsēta"], (date(2024, 9, 2), date(2025, 5, 30)), 12, 3456)
WHEN = datetime(2026, 11, 29, 1, 0)
CHANGES = [
    Change("support_summary.csv", "project_code=ALL; municipality=ALL", "n_pupils_supported", "1200", "1212"),
    Change("support_summary.csv", "project_code=ALL; municipality=Cēsu novads", "*", "absent", "present"),
    Change("costs.csv", "project_code=ALL; municipality=ALL", "amount_eur", "<b>10</b>", "12"),
]
SUMMARY = ChangeSummary(
    previous_run="20261028T010000-aaaaaa",
    run="20261128T010000-bbbbbb",
    cells_changed=2,
    rows_added=1,
    files_compared=2,
    largest={"file": "support_summary.csv", "key": "project_code=ALL", "column": "n_pupils_supported",
             "old": "1200", "new": "1212"},
)  # fmt: skip


def index(lang: str, changes: tuple[list[Change], ChangeSummary] | None) -> str:
    return build_index(FACTS, [Path("support_overview.html")], "run-1", WHEN, lang, 5, changes)


def test_the_index_says_what_changed_in_the_run_summarys_words_with_a_count_per_file() -> None:
    html = index("lv", (CHANGES, SUMMARY))
    assert "<h2>Kas mainījies kopš iepriekšējās palaišanas</h2>" in html
    assert f"<p>{SUMMARY.sentence('lv')}</p>" in html  # the run summary's sentence, word for word
    assert "2 šūnas mainītas, 1 jaunas rindas" in html and "lielākā izmaiņa: support_summary.csv" in html
    assert '<tr><td>support_summary.csv</td><td class="n">1</td><td class="n">1</td><td class="n">0</td></tr>' in html
    assert "<td>costs.csv</td>" in html and "exports/changes.csv" in html
    assert "<b>10</b>" not in html  # published text is escaped, never markup
    english = index("en", (CHANGES, SUMMARY))
    assert "What changed since the previous run" in english and SUMMARY.sentence("en") in english


def test_the_index_says_plainly_when_there_is_nothing_to_compare() -> None:
    assert "Eksporti vēl nav saglabāti" in index("lv", None)
    first = ChangeSummary(previous_run=None, run="r1")
    assert "No earlier run to compare with." in index("en", ([], first))
