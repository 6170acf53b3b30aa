"""Playwright: a thumbs down with a comment under one column, stored with the answer it rates."""

from __future__ import annotations

import pytest

from arena.store import VoteStore
from tests.ui_helpers import ask_all, fill_and_leave, served, wait_text

pytestmark = pytest.mark.browser

COMMENT = "Right number, but it cites nothing."


def test_thumbs_down_with_a_comment_under_one_column(page, fake_pipelines, fake_config):
    from app import build_app

    with served(build_app(fake_pipelines, fake_config)) as url:
        page.goto(url)
        page.click("#feedback-up-rag")
        page.get_by_text("Ask a question first").first.wait_for(timeout=5000)
        ask_all(page, "What is the notice period?", timeout_s=30)
        fill_and_leave(page, "#feedback-comment-lora textarea", COMMENT)
        page.click("#feedback-down-lora")
        wait_text(page, "#feedback-status-lora", "👎 with your comment saved for question 1")
        assert page.input_value("#feedback-comment-lora textarea") == ""
        assert page.inner_text("#feedback-status-base").strip() == ""  # the other columns: none

        # On a phone the column is most of the screen wide: the three buttons stay in it, on
        # one line, and a tap still stores.
        page.set_viewport_size({"width": 390, "height": 844})
        page.locator("#feedback-up-base").scroll_into_view_if_needed()
        column = page.locator("#column-base").bounding_box()
        boxes = [
            page.locator(f"#feedback-{kind}-base").bounding_box() for kind in ("up", "down", "send")
        ]
        assert all(b["x"] >= column["x"] - 1 for b in boxes)
        assert all(b["x"] + b["width"] <= column["x"] + column["width"] + 1 for b in boxes)
        assert max(b["y"] for b in boxes) - min(b["y"] for b in boxes) < 5  # one line
        page.click("#feedback-up-base")
        wait_text(page, "#feedback-status-base", "👍 saved for question 1")

        page.click("#clear")  # a cleared chat forgets what the lines said
        page.wait_for_function(
            "() => !document.querySelector('#feedback-status-lora').innerText.trim()",
            timeout=5000,
        )

    store = VoteStore(fake_config.data_path / "votes.sqlite")
    try:
        feedback = {f.column: f for f in store.feedback()}
        assert set(feedback) == {"lora", "base"}
        lora = feedback["lora"]
        assert (lora.rating, lora.comment) == (-1, COMMENT)
        saved = store.turn_record(lora.session, lora.turn)
        assert saved is not None and saved["question"] == "What is the notice period?"
        assert saved["answers"]["lora"]["text"] == "LoRA says 60 days. (turn 1)"
        assert saved["answers"]["rag"]["text"] == "RAG says 60 days. (turn 1)"
        assert saved["answers"]["lora"]["settings"]["model"]  # what produced the answers
        assert feedback["base"].turn == lora.turn and feedback["base"].session == lora.session
    finally:
        store.close()
