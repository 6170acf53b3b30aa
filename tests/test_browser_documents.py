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
