"""Playwright: the app with fake columns and a real index of a tiny made-up corpus marks each
column's values under it and, above the columns, says where the columns disagree."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FakePipeline
from tests.test_lookup import DOCS
from tests.ui_helpers import COLUMNS, ask_all, served, wait_text

pytestmark = pytest.mark.browser

QUESTION = "How much notice ends the Quillon agreement?"


@pytest.fixture
def library(tmp_path: Path, fake_config):
    """The app's documents and (lazily built) index over tests/test_lookup.py's documents."""
    from dataclasses import replace

    from pipelines.resources import Resources

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return Resources(replace(fake_config, corpus_dir=str(corpus)))


def test_each_column_shows_its_values_marks_and_the_disagreement_line(page, fake_config, library):
    from app import build_app

    pipelines = [
        FakePipeline("base", "Base model", "The notice period is 120 days."),
        FakePipeline("rag", "RAG (retrieval)", "Either party may end it with 60 days of notice."),
        FakePipeline("lora", "LoRA fine-tuned", "Notice takes sixty days."),
    ]
    with served(build_app(pipelines, fake_config, library=library)) as url:
        page.goto(url)
        assert page.inner_text("#evidence-summary").strip() == ""
        ask_all(page, QUESTION, timeout_s=30)
        # the first check loads the embedder and builds the index
        wait_text(page, "#evidence-summary", "The columns disagree", timeout_s=120)
        for name in COLUMNS:
            wait_text(page, f"#evidence-{name}", "checked in", timeout_s=30)
        base = page.inner_text("#evidence-base")
        assert "✘ 120 days — contradicted: the documents say 60 days" in base
        assert "quillon.md §Notice" in base
        assert "✔ 60 days — supported" in page.inner_text("#evidence-rag")
        assert "✔ sixty days — supported" in page.inner_text("#evidence-lora")
        line = page.inner_text("#evidence-summary")
        assert "3 columns, 2 different values" in line
        said = "120 days contradicted by quillon.md §Notice, which says 60 days (Base model)"
        assert said in line

        # one click shows the document's whole sentence and a link to the document
        page.locator("#evidence-base summary").first.click()
        wait_text(page, "#evidence-base", "Either party may end this agreement", timeout_s=5)
        link = page.locator("#evidence-base a", has_text="Open quillon.md")
        assert link.get_attribute("href") == "/documents/quillon.md"

        page.click("#clear")
        page.wait_for_function(
            """() => ['summary', 'base', 'rag', 'lora'].every(
                id => !document.querySelector('#evidence-' + id).innerText.trim())""",
            timeout=5000,
        )
