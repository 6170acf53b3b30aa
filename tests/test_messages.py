"""Questions are cleaned and cut before any model sees them; the app answers a 100,000-character
question through its API with a notice instead of failing."""

from __future__ import annotations

import pytest

from common.messages import MAX_QUESTION_CHARS, clean_question, text_of
from tests.ui_helpers import served


def test_control_characters_go_and_unusual_unicode_stays():
    text, notice = clean_question("  Wie\x00 lang\x1b[31m? 🚀 مرحبا e\u0301\u200d\tok\r\n\x7f ")
    assert text == "Wie lang[31m? 🚀 مرحبا e\u0301\u200d\tok"
    assert notice is None
    assert clean_question("\x00\x01 \n") == ("", None)
    assert clean_question(None) == ("", None)


def test_a_long_question_is_cut_with_a_notice():
    text, notice = clean_question("x" * 100_000)
    assert len(text) == MAX_QUESTION_CHARS
    assert "100,000 characters" in notice and f"first {MAX_QUESTION_CHARS:,}" in notice


@pytest.mark.browser  # starts the UI server, like the browser tests
def test_the_api_answers_a_100k_character_question_cut_to_fit(fake_pipelines, fake_config):
    from gradio_client import Client

    from app import build_app

    with served(build_app(fake_pipelines, fake_config)) as url:
        client = Client(url, verbose=False)
        result = client.predict("Why? " * 20_000, api_name="/answer_all")
        asked, answered = (text_of(message["content"]) for message in result[1])
        assert asked.endswith("[…]") and len(asked) < MAX_QUESTION_CHARS + 10
        assert "Base says 120 days." in answered
        assert f"{100 + MAX_QUESTION_CHARS - 1} prompt" in result[4]  # fake: 100 + len(question)
