"""Playwright drives the Costs tab with fakes: the plot runs to about three times the break-even,
the LoRA line pays a retraining per document edit, and every price preset shows whole."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

import pytest

from common.messages import Message
from pipelines.core import Answer
from tests.conftest import FakePipeline
from tests.ui_helpers import ask_all, fill_and_leave, served, wait_text

pytestmark = pytest.mark.browser


class WordyRag(FakePipeline):
    """A RAG fake that pays for 300 prompt tokens of context, as the real one does."""

    def stream(self, question: str, history: Sequence[Message] = ()) -> Iterator[Answer]:
        for answer in super().stream(question, history):
            yield replace(answer, prompt_tokens=answer.prompt_tokens + 300)


def _break_even(page) -> int:
    found = re.search(r"from question ([\d,]+) on", page.inner_text("#cost-summary"))
    assert found, page.inner_text("#cost-summary")
    return int(found.group(1).replace(",", ""))


def test_the_plot_scales_to_the_break_even_and_lora_pays_for_each_edit(page, fake_config):
    from app import build_app
    from ui.cost_model import horizon

    pipelines = [
        FakePipeline("base", "Base model", "Base says 120 days."),
        WordyRag("rag", "RAG (retrieval)", "RAG says 60 days."),
        FakePipeline("lora", "LoRA fine-tuned", "LoRA says 60 days."),
    ]
    with served(build_app(pipelines, fake_config)) as url:
        page.goto(url)
        ask_all(page, "What is the notice period?", timeout_s=30)
        page.get_by_role("tab", name="Costs").click()
        wait_text(page, "#cost-summary", "Break-even:")
        n = _break_even(page)
        wait_text(page, "#cost-summary", f"Plotted to {horizon(n):,} questions, about 3×")
        assert 2.5 * n <= horizon(n) <= 3.5 * n  # not squashed against the axis
        summary = page.inner_text("#cost-summary")
        assert "4 document edits per month, each a retraining" in summary
        assert "retraining per answer" in summary
        fill_and_leave(page, "#cost-edits input", "12")
        wait_text(page, "#cost-summary", "12 document edits per month")
        later = _break_even(page)
        assert later > n  # the upkeep is in the LoRA line
        wait_text(page, "#cost-summary", f"Plotted to {horizon(later):,} questions")
        page.locator("#cost-plot").locator("canvas, svg").first.wait_for(timeout=10_000)


@pytest.mark.parametrize("width", [1400, 390])
def test_every_price_preset_shows_whole(page, fake_pipelines, fake_config, width):
    from app import CSS, build_app
    from ui.cost_model import PRESETS

    page.set_viewport_size({"width": width, "height": 900})
    with served(build_app(fake_pipelines, fake_config), css=CSS) as url:
        page.goto(url)
        page.get_by_role("tab", name="Costs").click()
        presets = page.locator("#cost-preset")
        presets.wait_for(timeout=10_000)
        for name in PRESETS:
            label = presets.get_by_text(name, exact=True)
            assert label.is_visible(), f"{name!r} is not shown"
            assert label.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), f"{name!r} is cut"
            box = label.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
        presets.get_by_text(next(n for n in PRESETS if n.startswith("Large"))).click()
        page.wait_for_function("() => document.querySelector('#cost-in input').value === '15'")
