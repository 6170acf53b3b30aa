"""The retrieval settings under the chat change what the RAG column reads, for this session:
the number of passages, evidence sentences or whole passages — with the real model and index."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.ui_helpers import served

pytestmark = [pytest.mark.model, pytest.mark.browser]
QUESTION = "What is the default IP address of the HX-40 gateway on its LAN port ETH2?"


def _ask(page) -> str:
    page.fill("#question textarea", QUESTION)
    page.click("#ask")
    page.wait_for_function("() => document.querySelector('#question textarea').value === ''")
    page.wait_for_function(
        """() => {
            const stats = document.querySelector('#stats-rag');
            return stats && stats.innerText.includes('Cost') && !stats.innerText.includes('gener');
        }""",
        timeout=240_000,
    )
    return page.inner_html("#sources-rag")


def test_top_k_and_context_mode_change_the_passages_the_model_reads(page, resources):
    from app import build_app
    from pipelines.rag import RagPipeline

    demo = build_app([RagPipeline(resources)], resources.config)
    with served(demo) as url:
        page.goto(url)
        first = _ask(page)
        assert first.count("<details") == resources.config.top_k == 4
        assert "given to the model" in first and "<u>" in first  # evidence sentences marked

        page.get_by_text("Retrieval settings (RAG columns, this session)").click()
        slider = page.locator("#top-k input[type=range]")
        number = page.locator("#top-k input[type=number]")
        slider.focus()
        slider.press("Home")  # the slider's own keys: 1, then one step up
        # each key once the slider has shown the last one's value: a key pressed while the
        # accordion still opens was lost now and then (4 + 1 = 5)
        expect(number).to_have_value("1")
        slider.press("ArrowRight")
        expect(number).to_have_value("2")
        page.get_by_label("Whole passages").check()
        page.wait_for_timeout(1500)  # Gradio takes the values on change; then ask
        assert number.input_value() == "2"
        assert page.get_by_label("Whole passages").is_checked()
        second = _ask(page)
        assert second.count("<details") == 2
        assert "given to the model" not in second and "<u>" not in second
        assert page.inner_text("#chat-rag").count(QUESTION) == 2  # both asked in one chat
