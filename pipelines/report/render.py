"""Execute the report notebooks with papermill and render them to standalone HTML.

All notebooks run from this one Python process (papermill starts a kernel per notebook);
nbconvert renders them with the code hidden and with a template that drops the CDN scripts
(require.js, MathJax, Mermaid) of the stock `lab` template, so a report opens offline.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import uuid
from collections import Counter
from collections.abc import Mapping
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jinja2
import jupytext
import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from nbconvert import HTMLExporter
from traitlets import CaselessStrEnum

from pipelines.contract import normalise_text
from pipelines.resources import PACKAGED

NOTEBOOK_DIR = PACKAGED / "notebooks"  # run_report reads resources.resource_dir(...) to honour paths.root
KERNELSPEC = {"name": "python3", "language": "python", "display_name": "Python 3"}

PAGE_CSS = """
<style>
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 1em 1.5em 3em 1.5em; }
.jp-RenderedHTMLCommon h1 { font-size: 1.8em; margin-top: 0.6em; }
.jp-RenderedHTMLCommon h2 { font-size: 1.3em; margin-top: 1.6em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
.jp-RenderedHTMLCommon p { max-width: 46em; line-height: 1.5; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
.jp-OutputPrompt, .jp-InputPrompt { display: none; }
</style>
"""

TEMPLATE = (
    "{%- extends 'index.html.j2' -%}\n"
    "{% block html_head_js_requirejs %}{% endblock html_head_js_requirejs %}\n"
    "{% block html_head_js_mathjax %}{% endblock html_head_js_mathjax %}\n"
    "{% block html_head_js_mermaidjs %}{% endblock html_head_js_mermaidjs %}\n"
    "{% block jupyter_widgets %}{% endblock jupyter_widgets %}\n"
    "{% block extra_css %}" + PAGE_CSS + "{% endblock extra_css %}\n"
)

EXTERNAL_URL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
SLUG_MAX = 60  # characters; far below any file system's limit on a name


def slug(name: str) -> str:
    """'Rīgas valstspilsēta' -> 'rigas-valstspilseta' (file-name safe, stable, at most SLUG_MAX long)."""
    return re.sub(r"[^a-z0-9]+", "-", normalise_text(name))[:SLUG_MAX].strip("-") or "nezinama"


def municipality_files(municipalities: list[str]) -> dict[str, str]:
    """Municipality -> the file name of its report. Names that give the same slug (`Rīga` and
    `Riga`, or two long names) each get a short hash of the name, so no report overwrites another."""
    slugs = {m: slug(m) for m in municipalities}
    uses = Counter(slugs.values())
    return {
        m: f"municipality_{s}-{hashlib.sha256(m.encode()).hexdigest()[:8]}.html"
        if uses[s] > 1
        else f"municipality_{s}.html"
        for m, s in slugs.items()
    }


class UnixSocketKernelManager(AsyncKernelManager):
    """A kernel that talks over Unix sockets named after its own connection file.

    Over TCP, jupyter_client picks five free ports and only then lets the kernel bind them; two
    kernels started side by side (two notebooks at once, or two runs on one machine) can pick the
    same port and one dies with "Address already in use". Socket files cannot collide that way.
    """

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    def _ip_default(self) -> str:
        # The stock default, "kernel-ipc" in the working folder, is shared by every kernel whose
        # connection file is not named yet: side by side they would bind one another's sockets.
        return str(Path(tempfile.gettempdir()) / f"atbalsts-kernel-{uuid.uuid4().hex[:12]}")


def load_notebook(path: Path) -> nbformat.NotebookNode:
    """A jupytext percent script as a notebook papermill can run (it needs the kernelspec)."""
    nb = jupytext.reads(path.read_text(encoding="utf-8"), fmt="py:percent")
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.setdefault("language_info", {"name": "python"})
    return nb


def execute(source: Path, executed: Path, parameters: Mapping[str, Any]) -> nbformat.NotebookNode:
    """Run one notebook with `parameters`; the executed copy is written to `executed`."""
    executed.parent.mkdir(parents=True, exist_ok=True)
    return papermill.execute_notebook(
        load_notebook(source),
        str(executed),
        parameters=dict(parameters),
        kernel_name="python3",
        kernel_manager_class=UnixSocketKernelManager,
        language="python",
        progress_bar=False,
        log_output=False,
        # No `cwd`: papermill would chdir the whole process, which races with the other
        # notebook thread's relative paths. Notebooks get absolute paths as parameters instead.
        # The kernel's own start-up chatter (e.g. "running over TCP without encryption") is not for
        # the analyst's console; cell errors still arrive as messages and fail the run.
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
    )


def exporter(lang: str) -> HTMLExporter:
    html = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"atbalsts.html.j2": TEMPLATE})],
        template_file="atbalsts.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    html.language_code = lang
    return html


def to_html(nb: nbformat.NotebookNode, title: str, lang: str) -> str:
    """Standalone HTML of an executed notebook, code hidden; fails if anything points online."""
    nb = nbformat.from_dict(nb)
    nb.metadata["title"] = title
    body, _ = exporter(lang).from_notebook_node(nb)
    external = external_links(body)
    if external:
        raise RuntimeError(f"Pārskatā ir ārēja saite / the report links outside: {external[:3]}")
    return body


class _LinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [f"<{tag} {k}={v}>" for k, v in attrs if k in ("src", "href") and EXTERNAL_URL.match(v or "")]


def external_links(html: str) -> list[str]:
    """`src`/`href` attributes of real elements that point to another site (parsed, so a name that
    merely reads `src=//x` in the text is not one)."""
    finder = _LinkFinder()
    finder.feed(html)
    finder.close()
    return finder.found


INDEX_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; max-width: 820px; margin: 2em auto; padding: 0 1.5em;
       color: #222; line-height: 1.5; }
h1 { font-size: 1.7em; } h2 { font-size: 1.25em; margin-top: 1.5em; border-bottom: 1px solid #ccc; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.3em 1.5em; }
dt { font-weight: 600; } dd { margin: 0; } li { margin: 0.25em 0; }
table { border-collapse: collapse; margin: 0.5em 0; } th, td { padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; }
th { text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
a { color: #0072B2; } .note { color: #555; font-size: 0.9em; }
"""


def changes_html(heading: str, sentence: str, header: list[str], rows: list[list[str]], note: str) -> str:
    """The index's "what changed" section: the run summary's sentence, then a table per published file."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    number = '<td class="n">'

    def row(cells: list[str]) -> str:
        tds = "".join(f"{'<td>' if i == 0 else number}{escape(c)}</td>" for i, c in enumerate(cells))
        return f"<tr>{tds}</tr>"

    body = "".join(row(r) for r in rows)
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>" if rows else ""
    return f'<h2>{escape(heading)}</h2><p>{escape(sentence)}</p>{table}<p class="note">{escape(note)}</p>'


def index_html(
    title: str,
    facts: list[tuple[str, str]],
    sections: list[tuple[str, list[tuple[str, str]]]],
    note: str,
    lang: str,
    changes: str = "",
) -> str:
    """The landing page: run facts as a definition list, one list of links per section, then what
    changed in the published files since the previous run (`changes`, from changes_html)."""
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    parts = []
    for heading, links in sections:
        items = "".join(f'<li><a href="{escape(href)}">{escape(text)}</a></li>' for text, href in links)
        parts.append(f"<h2>{escape(heading)}</h2><ul>{items}</ul>")
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1.0">'
        f"<title>{escape(title)}</title><style>{INDEX_CSS}</style></head>"
        f"<body><h1>{escape(title)}</h1><dl>{dl}</dl>{''.join(parts)}{changes}"
        f'<p class="note">{escape(note)}</p></body></html>\n'
    )
