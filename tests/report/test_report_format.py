"""Formatting, labels and slugs: the small pure helpers every report relies on."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.contract import MODES, STAFF_ROLES, SUBJECTS
from pipelines.report import fmt, labels
from pipelines.report.render import external_links, municipality_files, slug


@pytest.mark.parametrize(
    ("value", "lang", "decimals", "expected"),
    [
        (1234567, "lv", 0, "1\u00a0234\u00a0567"),
        (1234.567, "lv", 2, "1\u00a0234,57"),
        (1234.567, "en", 1, "1,234.6"),
        (-0.5, "lv", 1, "\u22120,5"),
        (-0.001, "lv", 1, "0,0"),
        (None, "lv", 0, "–"),
        (float("nan"), "en", 0, "–"),
        (pd.NA, "lv", 0, "–"),
    ],
)
def test_number(value: object, lang: str, decimals: int, expected: str) -> None:
    assert fmt.number(value, lang, decimals) == expected


def test_signed_interval_percent_count() -> None:
    assert fmt.signed(0.314, "lv") == "+0,31"
    assert fmt.signed(-0.12, "en") == "\u22120.12"
    assert fmt.signed(0.001, "lv") == "0,00"
    assert fmt.interval(-0.1, 0.5, "lv") == "[\u22120,10; +0,50]"
    assert fmt.interval(-0.1, 0.5, "en") == "[\u22120.10, +0.50]"
    assert fmt.percent(12.345, "lv") == "12,3\u00a0%"
    assert fmt.percent(12.345, "en") == "12.3%"
    assert fmt.count(float("nan"), "lv") == "[c]"
    assert fmt.count(0, "lv") == "0"


def test_html_table_formats_hides_index_and_marks_withheld() -> None:
    frame = pd.DataFrame({"name": ["A & B", "Kopā"], "n": [1500.0, float("nan")], "x": [0.5, float("nan")]})
    html = fmt.html_table(
        frame,
        {"name": "Nosaukums", "n": "Skaits", "x": "Vidējais", "absent": "Nav"},
        {"n": lambda v: fmt.count(v), "x": lambda v: fmt.number(v, "lv", 1)},
        total_first_col="Kopā",
        withheld=pd.Series([False, True]),
    )
    assert "A &amp; B" in html
    assert '<td class="num">1\u00a0500</td>' in html
    assert '<td class="num">0,5</td>' in html
    assert html.count("[c]") == 2  # the count and the measure of the withheld row
    assert '<tr class="total">' in html
    assert "Nav" not in html  # a column the frame lacks is left out
    assert "<th>" not in html.split("<thead>")[0]  # no index column before the header


def test_every_label_has_both_languages_and_placeholders_match() -> None:
    for key, (lv, en) in labels.LABELS.items():
        assert lv.strip() and en.strip(), key
        assert sorted(_fields(lv)) == sorted(_fields(en)), key


def _fields(text: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def test_t_and_dictionary_names() -> None:
    assert labels.t("pupils", "lv") == "Skolēni"
    assert labels.t("pupils", "en") == "Pupils"
    assert labels.t("index_note", "en", k=5) == "All figures are aggregated; counts below 5 are not shown."
    assert labels.subject_name("mathematics", "lv") == SUBJECTS["mathematics"][0]
    assert labels.subject_name("mathematics", "en") == "Mathematics"
    assert labels.subject_name("NONE", "en") == "No subject / other support"
    assert labels.subject_name("ALL", "lv") == "Kopā"
    assert labels.role_name("psychologist", "lv") == STAFF_ROLES["psychologist"][0]
    assert labels.mode_name("remote", "en") == MODES["remote"][1]
    assert labels.label_or("status_loaded", "en", "x") == "loaded"
    assert labels.label_or("status_weird", "en", "weird") == "weird"
    with pytest.raises(ValueError, match="unknown language"):
        labels.t("pupils", "de")


def test_slug() -> None:
    assert slug("Rīgas valstspilsēta") == "rigas-valstspilseta"
    assert slug("Ķekavas novads") == "kekavas-novads"
    assert slug("  ") == "nezinama"
    assert slug("<img src=x onerror=alert(1)>") == "img-src-x-onerror-alert"
    assert slug("Novads http://evil.example/a") == "novads-http-evil-example-a"
    assert slug("Ļoti " * 100) == ("loti-" * 12).rstrip("-")  # at most 60 characters


def test_municipality_files_never_share_a_name() -> None:
    files = municipality_files(["Rīga", "Riga", "Cēsu novads", "Ludza (1)", "Ludza (2)"])
    assert files == {
        "Rīga": "municipality_riga-b4d4433a.html",
        "Riga": "municipality_riga-d1199df7.html",
        "Cēsu novads": "municipality_cesu-novads.html",
        "Ludza (1)": "municipality_ludza-6ca1ce29.html",
        "Ludza (2)": "municipality_ludza-8c29456c.html",
    }


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("Novads http://evil.example/a", "Novads http://evil.example/a"),
        ("www.evil.example", "www.evil.example"),
        ("[x](javascript:alert(1))", "[x](javascript:alert(1))"),
        ("**b** a_b_c `c` $x$ # - 1.", "**b** a_b_c `c` $x$ # - 1."),
        ("Tom &amp; Jerry", "Tom &amp;amp; Jerry"),
        ("Rēzeknes 5. vidusskola", "Rēzeknes 5. vidusskola"),
    ],
)
def test_inert_text_is_shown_as_it_is_in_markdown(name: str, shown: str) -> None:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    assert markdown2html_mistune(f"*Atlase: {fmt.inert(name)}*") == f"<p><em>Atlase: {shown}</em></p>\n"


def test_external_links_are_real_attributes_not_text() -> None:
    html = '<p>Skola src=//x href=http://y</p><img src="data:image/png;base64,AA"><a href="#top">¶</a>'
    assert external_links(html) == []
    html += '<script src="https://cdn.example/x.js"></script><a href="//evil.example">x</a>'
    assert external_links(html) == ["<script src=https://cdn.example/x.js>", "<a href=//evil.example>"]


def test_report_needs_a_transformed_warehouse(tmp_path) -> None:
    from pipelines.config import Settings
    from pipelines.errors import UserError
    from pipelines.report.stage import run_report
    from pipelines.warehouse import connect, ensure_schema

    settings = Settings(out_dir=tmp_path, warehouse_name="w.duckdb")
    with pytest.raises(UserError, match="warehouse not found"):
        run_report(settings, "r1")
    con = connect(settings.warehouse)
    ensure_schema(con)
    con.close()
    with pytest.raises(UserError, match="core tables missing"):
        run_report(settings, "r1")
