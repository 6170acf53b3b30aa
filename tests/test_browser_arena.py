"""Playwright: the Arena tab asks blind. The names are nowhere in the answer slots until the vote,
the order changes from one question to the next, a vote before the names are shown is stored
as blind and one after Reveal as not blind; the leaderboard counts them apart."""

from __future__ import annotations

import pytest

from arena.store import VoteStore
from tests.ui_helpers import served

pytestmark = pytest.mark.browser

TITLES = ("Base model", "RAG (retrieval)", "LoRA fine-tuned")
SPEAKERS = {"Base says": "base", "RAG says": "rag", "LoRA says": "lora"}  # the fakes' replies


def _ask(page, question: str) -> tuple[str, ...]:
    """Ask in the arena; wait for the three answers; the columns in the order shown."""
    page.locator("#arena-question textarea").fill(question)
    page.click("#arena-ask")
    # the question list picks the question once every answer is in
    picked = "document.querySelector('#arena-pick input')?.value.includes(q)"
    page.wait_for_function(f"q => {picked}", arg=question, timeout=30_000)
    order = []
    for slot in range(3):
        text = page.inner_text(f"#arena-answer-{slot}")
        found = [name for start, name in SPEAKERS.items() if start in text]
        assert len(found) == 1, text
        order.append(found[0])
    return tuple(order)


def _slots_html(page) -> str:
    return page.inner_html("#arena-slots") + page.inner_text("#arena-status")


def test_blind_answers_hide_the_names_until_the_vote(browser, page, fake_pipelines, fake_config):
    from app import VOTES_DB, build_app
    from ui.web import launch_options

    store = VoteStore(fake_config.data_path / VOTES_DB)
    demo = build_app(fake_pipelines, fake_config, votes=store)
    with served(demo, **launch_options(fake_config, lambda _: None, store)) as url:
        page.goto(url)
        page.get_by_role("tab", name="Arena (blind)").click()
        first = _ask(page, "What is the notice period?")
        slots = _slots_html(page)
        assert not any(title in slots for title in TITLES)
        assert "smollm2" not in slots
        titles = [page.inner_text(f"#arena-title-{i}") for i in range(3)]
        assert titles == ["Answer A", "Answer B", "Answer C"]

        page.locator("#arena-choice").get_by_label("B is best").check()
        page.click("#arena-vote")
        page.get_by_text("blind vote recorded").wait_for(timeout=5000)
        title = {"base": "Base model", "rag": "RAG (retrieval)", "lora": "LoRA fine-tuned"}
        assert page.inner_text("#arena-title-1") == f"Answer B: {title[first[1]]}"

        second = _ask(page, "And the fees?")
        assert second != first  # a new order for every question
        assert not any(t in _slots_html(page) for t in TITLES)  # hidden again
        page.click("#arena-reveal")
        page.get_by_text("Names shown").wait_for(timeout=5000)
        assert page.inner_text("#arena-title-0") == f"Answer A: {title[second[0]]}"
        page.locator("#arena-choice").get_by_label("Tie").check()
        page.click("#arena-vote")
        page.get_by_text("names were shown: not blind").wait_for(timeout=5000)
        counted = "document.querySelector('#arena-leaderboard').innerText.includes('(2 votes)')"
        page.wait_for_function(f"() => {counted}", timeout=20_000)
        board = page.inner_text("#arena-leaderboard")
        assert "Blind votes (1 vote)" in board and "(2 votes)" in board
        page.click("#arena-share")  # the question voted on last: a read-only page, names shown
        link = page.locator("#arena-status a")
        link.wait_for(timeout=5000)
        other = browser.new_context()
        try:
            shared = other.new_page()
            shared.goto(link.get_attribute("href"))
            text = shared.inner_text("body")
        finally:
            other.close()
        assert "And the fees?" in text and "Vote: Tie" in text
        assert all(title in text for title in TITLES)

    votes = store.votes()
    store.close()
    assert [(v.choice, v.blind) for v in votes] == [(first[1], True), ("tie", False)]
    assert votes[0].shown == first and votes[1].shown == second
