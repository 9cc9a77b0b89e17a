"""HTML injection: hostile municipality and school names run through the real report stage
(papermill + nbconvert) and come out as text in every heading, filter line, table and the index;
a name containing `http://` (or `$…$`, or `src=//`) does not stop the stage.

Heavy (about half a minute): one module-scoped run serves every test here.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_fixtures import build_warehouse

from pipelines.config import ExportSettings, ReportSettings, Settings
from pipelines.report.stage import ReportResult, run_report
from pipelines.warehouse import connect

pytestmark = pytest.mark.slow

IMG = "<img src=x onerror=alert(1)>"
URL = "Daugavpils http://evil.example/novads"
MUNICIPALITIES = {"Rīgas valstspilsēta": IMG, "Daugavpils valstspilsēta": URL}
SCHOOLS = {
    "9000000001": f"{IMG} skola",
    "9000000003": "Skola http://evil.example/skola",
    "9000000006": "Cēsu $\\x$ ģimnāzija src=//evil.example/x.js",  # maths markup and a fake attribute
}
EXPECTED = {
    "index.html",
    "data_quality.html",
    "support_overview.html",
    "effectiveness.html",
    "municipality_cesu-novads.html",
    "municipality_daugavpils-http-evil-example-novads.html",
    "municipality_img-src-x-onerror-alert.html",
    "municipality_ludzas-novads.html",
}


class Page(HTMLParser):
    """Every element with its attributes, and the text inside each h1 and em."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[str, list[str]] = {"h1": [], "em": [], "a": [], "td": []}
        self._open: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag in self.texts:
            self._open.append(tag)
            self.texts[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for tag in self._open:
            self.texts[tag][-1] += data

    def headings(self) -> list[str]:
        return [text.removesuffix("¶") for text in self.texts["h1"]]  # nbconvert's anchor link


def rename(warehouse: Path) -> None:
    """Give the fixture's schools and municipalities hostile names, in every table that holds them."""
    con = connect(warehouse)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.columns where column_name = 'municipality'"
        ).fetchall()
        for schema, table in tables:
            for old, new in MUNICIPALITIES.items():
                con.execute(f"update {schema}.{table} set municipality = ? where municipality = ?", [new, old])
        for school_id, name in SCHOOLS.items():
            con.execute("update core.schools set school_name = ? where school_id = ?", [name, school_id])
    finally:
        con.close()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> ReportResult:
    root = tmp_path_factory.mktemp("hostile")
    warehouse = build_warehouse(root / "warehouse.duckdb")
    rename(warehouse)
    settings = Settings(
        out_dir=root / "out",
        warehouse_name=str(warehouse),
        export=ExportSettings(k=5),
        report=ReportSettings(lang="lv"),
    )
    return run_report(settings, "run-hostile")


def pages(result: ReportResult) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in result.index.parent.glob("*.html")}


def test_the_stage_succeeds_with_safe_file_names(run: ReportResult) -> None:
    assert set(pages(run)) == EXPECTED
    assert {p.name for p in run.reports} == EXPECTED - {"index.html"}


def test_no_page_holds_an_element_from_a_name(run: ReportResult) -> None:
    for name, html in pages(run).items():
        elements = Page(html).elements
        assert not [e for e in elements if e[0] == "img" and e[1].get("src") == "x"], name
        assert not [e for e in elements if "onerror" in e[1]], name
        assert not [e for e in elements if (e[1].get("href") or "").startswith("http")], name
        assert not [e for e in elements if (e[1].get("src") or "").startswith("//")], name
        assert "<img src=x" not in html, name


def test_names_read_as_text_in_headings_filter_lines_and_tables(run: ReportResult) -> None:
    html = pages(run)
    page = Page(html["municipality_img-src-x-onerror-alert.html"])
    assert page.headings() == [f"Pašvaldības pārskats: {IMG}"]
    assert f"Atlase: Pašvaldība: {IMG}" in page.texts["em"]
    assert f"{IMG} skola" in page.texts["td"]  # plans by school
    assert "&lt;img src=x onerror=alert(1)&gt;" in html["municipality_img-src-x-onerror-alert.html"]

    page = Page(html["municipality_daugavpils-http-evil-example-novads.html"])
    assert page.headings() == [f"Pašvaldības pārskats: {URL}"]
    assert f"Atlase: Pašvaldība: {URL}" in page.texts["em"]
    assert "Skola http://evil.example/skola" in page.texts["td"]

    data_quality = Page(html["data_quality.html"])
    assert {IMG, URL} <= set(data_quality.texts["td"])
    assert SCHOOLS["9000000006"] in data_quality.texts["td"]


def test_index_links_each_name_as_text(run: ReportResult) -> None:
    index = Page(pages(run)["index.html"])
    links = dict(zip(index.texts["a"], [e[1]["href"] for e in index.elements if e[0] == "a"], strict=True))
    assert links[IMG] == "municipality_img-src-x-onerror-alert.html"
    assert links[URL] == "municipality_daugavpils-http-evil-example-novads.html"
