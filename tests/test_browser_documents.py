"""Playwright: upload, list, edit and remove documents in the Documents tab (real Chroma and
embedder on a tiny corpus; fake columns)."""

from __future__ import annotations

import pytest

from common.config import Config
from tests.ui_helpers import served, wait_text

pytestmark = pytest.mark.browser


@pytest.fixture
def library(tmp_path):
    from pipelines.resources import Resources

    corpus = tmp_path / "corpus" / "manual"
    corpus.mkdir(parents=True)
    (corpus / "pump.md").write_text("# Pump Manual\n\n## 1. Power\nThe pump runs on 48 V DC.\n")
    return Resources(Config(corpus_dir=str(corpus.parent), data_dir=str(tmp_path / "data")))


def test_upload_list_edit_and_remove_documents(page, fake_pipelines, library, tmp_path):
    from app import build_app

    good = tmp_path / "Price List.html"
    good.write_text(
        "<html><head><title>Prices</title><script>alert(1)</script></head><body>"
        "<h1>Price list 2027</h1><h2>Pumps</h2><p>The pump costs 1,240 euros.</p></body></html>"
    )
    bad = tmp_path / "notes.pdf"
    bad.write_bytes(b"PK\x03\x04 not really a document")
    from ui.notes import column_notes

    notes = column_notes(library)
    with served(build_app(fake_pipelines, library.config, library=library, notes=notes)) as url:
        page.goto(url)
        page.get_by_role("tab", name="Documents").click()
        wait_text(page, "#doc-list", "manual/pump.md", 30)
        page.set_input_files("#doc-upload input[type=file]", [str(good), str(bad)])
        wait_text(page, "#doc-upload", "notes")
        page.click("#doc-add")
        status = page.locator("#doc-status")
        wait_text(page, "#doc-status", "Added uploads/price-list.html.md", 60)
        assert "notes.pdf" in status.inner_text() and "Refused" in status.inner_text()
        table = page.locator("#doc-list")
        wait_text(page, "#doc-list", "uploads/price-list.html.md")
        assert "Price list 2027" in table.inner_text() and "uploaded" in table.inner_text()
        # The other panels follow the change at once, before any question is asked.
        page.get_by_text("Retrain on the changed documents").click()
        wait_text(page, "#retrain-status", "2 added", 30)
        page.get_by_role("tab", name="Chat").click()
        wait_text(page, "#note-rag", "of 2 documents", 30)
        page.get_by_role("tab", name="Documents").click()
        hit = library.index().search("How much does the pump cost?", k=1)[0]
        assert hit.document.metadata["document"] == "uploads/price-list.html.md"

        # Edit a corpus document: an own copy, indexed at once; the corpus file is untouched.
        page.locator("#doc-pick input").click()
        page.get_by_role("option", name="manual/pump.md").click()
        page.wait_for_function(
            "() => document.querySelector('#doc-text textarea').value.includes('48 V')"
        )
        text = page.input_value("#doc-text textarea").replace("48 V", "24 V")
        page.fill("#doc-text textarea", text)
        page.click("#doc-save")
        wait_text(page, "#doc-status", "Updated manual/pump.md", 60)
        wait_text(page, "#doc-list", "edited")
        power = library.index().search("What voltage does the pump run on?", k=1)[0]
        assert "24 V" in power.document.metadata["text"]
        assert "48 V" in (tmp_path / "corpus/manual/pump.md").read_text()

        page.click("#doc-remove")
        wait_text(page, "#doc-status", "Restored the original of manual/pump.md", 60)
        page.locator("#doc-pick input").click()
        page.get_by_role("option", name="uploads/price-list.html.md").click()
        page.click("#doc-remove")
        wait_text(page, "#doc-status", "Removed uploads/price-list.html.md", 60)
        assert "uploads/price-list.html.md" not in table.inner_text()
        assert library.index().size == 1


TERMS = (
    "# Tessaline Cloud Terms of Service\n\n## 3. Account registration\n\n"
    "### 3.4 Trial subscriptions\n\nA new Organisation may start one free trial of the "
    "Professional plan. The trial lasts 30 days and is limited to 3 Gateways and 5 Authorised "
    "Users.\n\n### 3.5 Notice\n\nEither party may end a subscription with 60 days' notice.\n"
)


class IndexColumn:
    """A fake RAG column that answers from the real index: it reads the trial length from the
    best passage, so it follows an edit as RAG does."""

    name, title, optional = "rag", "RAG (retrieval)", False

    def __init__(self, library) -> None:
        self.library = library

    def answer(self, question: str, history=()):
        import re

        from pipelines.core import Answer

        hit = self.library.index().search(question, k=1)[0]
        found = re.search(r"lasts (\d+ days)", hit.document.metadata["text"])
        text = f"The trial lasts {found.group(1)}." if found else "I do not know."
        return Answer(pipeline=self.name, text=text, done=True)


def test_find_and_edit_one_section_and_try_the_freshness_demo(page, fake_pipelines, tmp_path):
    import gradio as gr

    from pipelines.resources import Resources
    from ui.documents_tab import build_documents_tab

    corpus = tmp_path / "corpus"
    (corpus / "legal").mkdir(parents=True)
    terms = corpus / "legal" / "terms-of-service.md"
    terms.write_text(TERMS, encoding="utf-8")
    library = Resources(Config(corpus_dir=str(corpus), data_dir=str(tmp_path / "data")))
    own = tmp_path / "data" / "documents" / "legal" / "terms-of-service.md"
    columns = [IndexColumn(library), fake_pipelines[2]]
    columns[1].reply = "LoRA says 30 days."  # what it was trained on
    with gr.Blocks() as demo:
        build_documents_tab(library, library.config, demo, pipelines=columns)
    with served(demo) as url:
        page.goto(url)
        wait_text(page, "#doc-list", "legal/terms-of-service.md", 60)
        page.get_by_text("Retrain on the changed documents").click()
        wait_text(page, "#retrain", "duration not measured yet")  # before it starts

        # 12. One click: the edit, the question, RAG following and LoRA stale with its date.
        page.click("#fresh-try")
        wait_text(page, "#fresh-answers", "LoRA fine-tuned (trained 2026-11-25) —", 90)
        answers = page.inner_text("#fresh-answers")
        assert "follows the edit: says 45 days" in answers
        assert "stale: still says 30 days" in answers
        assert "Updated legal/terms-of-service.md" in page.inner_text("#doc-status")
        # 11. What retraining would learn from it, said before it starts.
        wait_text(page, "#retrain-plan", "legal/terms-of-service.md: 1 changed fact (30 days")
        page.click("#fresh-restore")
        wait_text(page, "#doc-status", "Restored the original of legal/terms-of-service.md", 60)
        assert not own.exists() and terms.read_text(encoding="utf-8") == TERMS
        page.wait_for_function("() => !document.querySelector('#fresh-answers').innerText.trim()")

        # 9. Find the fact, open only its section, save it back into the document.
        page.locator("#doc-pick input").click()
        page.get_by_role("option", name="legal/terms-of-service.md").click()
        page.fill("#doc-find textarea, #doc-find input", "trial days")
        page.press("#doc-find textarea, #doc-find input", "Enter")
        wait_text(page, "#doc-hits", "3.4 Trial subscriptions")
        assert "1 line in 1 section holds" in page.inner_text("#doc-found")
        page.locator("#doc-hits label").filter(has_text="3.4 Trial subscriptions").click()
        page.wait_for_function(
            "() => document.querySelector('#doc-text textarea').value.startsWith('### 3.4')"
        )
        section = page.input_value("#doc-text textarea")
        assert "3.5 Notice" not in section and "Account registration" not in section
        page.fill("#doc-text textarea", section.replace("30 days", "60 days"))
        page.click("#doc-save")
        wait_text(page, "#doc-status", "Updated legal/terms-of-service.md", 60)
        assert own.read_bytes() == TERMS.replace("30 days", "60 days").encode()
        page.wait_for_function(  # the editor still holds just that section, as saved
            "() => document.querySelector('#doc-text textarea').value.includes('60 days')"
        )
        assert page.input_value("#doc-text textarea").startswith("### 3.4")
        assert page.input_value("#doc-section input") == "3.4 Trial subscriptions · line 5"
        # Bad input is refused with a message, and nothing is lost.
        page.fill("#doc-text textarea", "")
        page.click("#doc-save")
        wait_text(page, "#doc-status", "is empty: nothing was saved")
        assert own.read_bytes() == TERMS.replace("30 days", "60 days").encode()
