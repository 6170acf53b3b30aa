"""A converted PDF keeps its page numbers (issue #23, point 6): every chunk knows the pages it is
on, sources and evidence marks say "p. 3", and the open-document link goes to that page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from common.config import Config
from documents.chunks import CorpusFile, split
from documents.loaders import to_markdown
from documents.pages import page_label, split_pages
from pipelines.core import Answer, Source
from tests.document_files import make_pdf, show, write
from ui.render import sources_markdown

PAGES = (
    "The Vantor lease starts on 1 March 2027.",
    "",  # an empty page: no text, no mark, but it still counts
    "The monthly rent of the Vantor lease is 2,400 euros.",
)


def converted(tmp_path: Path) -> str:
    return to_markdown(write(tmp_path, "vantor.pdf", make_pdf(*(show(p) for p in PAGES))))


def test_each_page_of_a_pdf_starts_with_its_mark_and_empty_pages_keep_their_number(tmp_path):
    text = converted(tmp_path)
    assert [number for number, _ in split_pages(text)] == [None, 1, 3]
    assert "<!-- page 3 -->\nThe monthly rent" in text and "<!-- page 2 -->" not in text
    assert [body.strip() for _, body in split_pages(text)] == ["# Vantor", PAGES[0], PAGES[2]]


def test_chunks_know_their_pages_and_hold_no_marks(tmp_path):
    chunks = split([CorpusFile("uploads/vantor.pdf.md", converted(tmp_path))], 60, 0)
    pages = {c.metadata["text"]: (c.metadata["page"], c.metadata["last_page"]) for c in chunks}
    assert pages == {PAGES[0]: (1, 1), PAGES[2]: (3, 3)}
    assert all("<!--" not in c.page_content for c in chunks)
    # one chunk over a page break is on both pages
    (whole,) = split([CorpusFile("uploads/vantor.pdf.md", converted(tmp_path))], 500, 0)
    assert (whole.metadata["page"], whole.metadata["last_page"]) == (1, 3)
    assert whole.metadata["text"].split() == f"{PAGES[0]} {PAGES[2]}".split()


def test_overlapping_chunks_of_long_pages_keep_the_page_they_start_on():
    body = "\n\n".join(
        f"<!-- page {n} -->\n" + " ".join(f"page{n}-line{i}." for i in range(40)) for n in (1, 2, 3)
    )
    chunks = split([CorpusFile("long.pdf.md", f"# Long\n\n{body}")], 200, 40)
    for chunk in chunks:
        said = {int(re.match(r"page(\d+)", w)[1]) for w in chunk.metadata["text"].split()}
        assert chunk.metadata["page"] == min(said), chunk.metadata
        assert chunk.metadata["last_page"] == max(said), chunk.metadata


def test_documents_without_marks_have_no_pages():
    (chunk,) = split([CorpusFile("sla.md", "# SLA\n\n## Uptime\nUptime is 99.9 %.")], 500, 0)
    assert "page" not in chunk.metadata and chunk.metadata["text"] == "Uptime is 99.9 %."


def test_page_labels():
    assert page_label(None) == "" and page_label(4) == "p. 4" and page_label(4, 4) == "p. 4"
    assert page_label(4, 6) == "pp. 4–6"


def test_a_source_names_its_page_and_links_to_it():
    source = Source("uploads/vantor.pdf.md", "", PAGES[2], 0.8, 1, page=3, last_page=3)
    answer = Answer("rag", "2,400 euros.", (source,), done=True)
    shown = sources_markdown(answer, locate=lambda path: Path(path))
    assert "<b>[1] uploads/vantor.pdf.md</b> · p. 3 ·" in shown
    assert 'href="/documents/uploads/vantor.pdf.md#page-3"' in shown
    assert "Open uploads/vantor.pdf.md at p. 3" in shown


@pytest.fixture
def served_documents(tmp_path):
    """The app's documents route over one converted PDF and one Markdown document."""
    from ui.web import launch_options

    files = {
        "uploads/vantor.pdf.md": converted(tmp_path) + "\n\n<!-- page 4 -->\n<script>x()</script>",
        "sla.md": "# SLA\n\n<b>Uptime</b> is 99.9 %.\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)

    def locate(path: str) -> Path | None:
        return tmp_path / path if path in files else None

    options = launch_options(Config(data_dir=str(tmp_path / "data")), locate)
    with TestClient(Starlette(routes=options["app_kwargs"]["routes"])) as client:
        yield client


def test_a_converted_pdf_is_served_page_by_page_with_anchors_and_escaped(served_documents):
    page = served_documents.get("/documents/uploads/vantor.pdf.md")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    html = page.text
    assert '<h2 id="page-1">' in html and '<h2 id="page-3">' in html and 'id="page-2"' not in html
    assert html.index('id="page-3"') < html.index("monthly rent") < html.index('id="page-4"')
    assert "<script>" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html


def test_other_documents_are_still_served_as_they_are(served_documents):
    plain = served_documents.get("/documents/sla.md")
    assert plain.headers["content-type"].startswith("text/plain")
    assert plain.text == "# SLA\n\n<b>Uptime</b> is 99.9 %.\n"


def test_an_evidence_mark_names_the_page_of_its_sentence(tmp_path, real_config):
    from grounding.lookup import SUPPORTED, check_answer
    from pipelines.resources import Resources
    from tests.conftest import made_up_corpus
    from ui.evidence_panel import mark_html

    config = made_up_corpus(tmp_path, {"vantor.pdf.md": converted(tmp_path)}, real_config)
    check = check_answer(
        Resources(config).index(), "What is the Vantor rent?", "The Vantor rent is 2,400 euros."
    )
    (mark,) = check.marks
    assert (mark.verdict, mark.page) == (SUPPORTED, 3)
    shown = mark_html(mark, locate=lambda path: Path(path))
    assert "vantor.pdf.md p. 3" in shown and 'href="/documents/vantor.pdf.md#page-3"' in shown
