"""Playwright: vote for the best answer to any question, see the leaderboard, download the
conversation, share one comparison by a link."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.ui_helpers import ask_all, served

pytestmark = pytest.mark.browser


def test_vote_then_leaderboard_then_export(page, fake_pipelines, fake_config):
    from app import build_app

    with served(build_app(fake_pipelines, fake_config)) as url:
        page.goto(url)
        page.click("#vote")
        page.get_by_text("Ask a question first.").first.wait_for(timeout=5000)
        ask_all(page, "What is the notice period?", timeout_s=30)
        page.click("#vote")
        page.get_by_text("Pick an answer (or Tie / All bad) first.").first.wait_for(timeout=5000)
        page.locator("#vote-choice").get_by_label("RAG (retrieval)").check()
        page.click("#vote")
        page.get_by_text("vote on question 1 recorded: RAG (retrieval)").wait_for(timeout=5000)
        page.get_by_text("Leaderboard: votes of every visitor").click()
        page.get_by_text("All votes, names seen or not (1 vote)").wait_for(timeout=10_000)
        page.locator("#vote-choice").get_by_label("Base model").check()
        page.click("#vote")  # one vote per question: a second one replaces the first
        changed = "Vote on question 1 changed: Base model (was: RAG (retrieval))."
        page.get_by_text(changed).wait_for(timeout=5000)
        page.get_by_text("All votes, names seen or not (1 vote)").wait_for(timeout=10_000)

        ask_all(page, "And the fees?", timeout_s=30)
        page.locator("#vote-choice").get_by_label("Tie").check()
        page.click("#vote")
        page.get_by_text("vote on question 2 recorded: Tie").wait_for(timeout=5000)
        page.get_by_text("All votes, names seen or not (2 votes)").wait_for(timeout=10_000)
        board = page.inner_text("#leaderboard")
        assert "Blind votes (0 votes)" in board  # named votes are not blind
        assert "Ties 1 · all bad 0." in board
        ranked = board.split("(2 votes)")[1]
        assert ranked.index("Base model") < ranked.index("LoRA fine-tuned")  # 1 win, 1 tie

        page.click("#export")
        links = page.locator("#export-files a")
        links.first.wait_for(timeout=10_000)
        files = {}
        for i in range(links.count()):
            with page.expect_download() as download:
                links.nth(i).click()
            path = download.value.path()
            files[download.value.suggested_filename] = path.read_text(encoding="utf-8-sig")
        assert set(files) == {"conversation.csv", "conversation.json", "conversation.html"}
        turns = json.loads(files["conversation.json"])["turns"]
        assert [t["vote"] for t in turns] == ["base", "tie"]
        assert turns[1]["answers"]["lora"]["text"] == "LoRA says 60 days. (turn 2)"
        rows = list(csv.DictReader(io.StringIO(files["conversation.csv"])))
        assert len(rows) == 6 and {r["column"] for r in rows} == {"base", "rag", "lora"}
        assert all(float(r["total_s"]) > 0 and int(r["prompt_tokens"]) > 0 for r in rows)
        assert "And the fees?" in files["conversation.html"]

    # Votes survive a restart of the app.
    with served(build_app(fake_pipelines, fake_config)) as url:
        page.goto(url)
        page.get_by_text("Leaderboard: votes of every visitor").click()
        page.get_by_text("All votes, names seen or not (2 votes)").wait_for(timeout=10_000)


def test_vote_on_an_earlier_question_and_share_it(browser, page, fake_pipelines, fake_config):
    from app import VOTES_DB, build_app
    from arena.store import VoteStore
    from ui.web import launch_options

    store = VoteStore(fake_config.data_path / VOTES_DB)
    demo = build_app(fake_pipelines, fake_config, votes=store)
    with served(demo, **launch_options(fake_config, lambda _: None, store)) as url:
        page.goto(url)
        ask_all(page, "What is the notice period?", timeout_s=30)
        ask_all(page, "And the fees?", timeout_s=30)
        page.locator("#vote-choice").get_by_label("Tie").check()  # the latest, picked already
        page.click("#vote")
        page.get_by_text("vote on question 2 recorded: Tie").wait_for(timeout=5000)
        _pick_question(page, "1. What is the notice period?")
        page.wait_for_function(  # question 1 has no vote yet: nothing checked
            "() => !document.querySelector('#vote-choice input[value=tie]')?.checked",
            timeout=5000,
        )
        page.locator("#vote-choice").get_by_label("RAG (retrieval)").check()
        page.click("#vote")
        page.get_by_text("vote on question 1 recorded: RAG (retrieval)").wait_for(timeout=5000)
        votes = {vote.question: vote.choice for vote in store.votes()}
        assert votes == {"What is the notice period?": "rag", "And the fees?": "tie"}
        _pick_question(page, "2. And the fees?")  # its own vote comes back
        page.wait_for_function(
            "() => document.querySelector('#vote-choice input[value=tie]')?.checked",
            timeout=5000,
        )

        _pick_question(page, "1. What is the notice period?")
        page.click("#share")
        link = page.locator("#vote-status a")
        link.wait_for(timeout=5000)
        href = link.get_attribute("href")
        assert href.startswith(f"{url}share/"), href
    store.close()
    # The app restarts (a new store on the same file); another visitor opens the link.
    store = VoteStore(fake_config.data_path / VOTES_DB)
    demo = build_app(fake_pipelines, fake_config, votes=store)
    with served(demo, **launch_options(fake_config, lambda _: None, store)) as url:
        other = browser.new_context()  # no session, no cookies
        try:
            shared = other.new_page()
            shared.goto(url + href.split("/", 3)[3])
            text = shared.inner_text("body")
            shared.get_by_text("Sources (1)").first.click()  # the passages fold open
            opened = shared.inner_text("body")
        finally:
            other.close()
    store.close()
    assert "What is the notice period?" in text and "And the fees?" not in text
    for answer in ("Base says 120 days.", "RAG says 60 days.", "LoRA says 60 days."):
        assert f"{answer} (turn 1)" in text
    assert "Base model" in text and "LoRA fine-tuned" in text and "legal/terms.md" in opened
    assert "Vote: RAG (retrieval)" in text


def _pick_question(page, label: str) -> None:
    page.locator("#vote-question input").click()
    page.get_by_role("option", name=label).click()


def test_cost_tab_prices_the_conversations_measured_tokens(page, fake_pipelines, fake_config):
    from app import build_app
    from tests.ui_helpers import fill_and_leave, wait_text

    with served(build_app(fake_pipelines, fake_config)) as url:
        page.goto(url)
        page.get_by_role("tab", name="Costs").click()
        wait_text(page, "#cost-summary", "No measured answers yet")
        page.get_by_role("tab", name="Chat").click()
        ask_all(page, "What is the notice period?", timeout_s=30)  # 126 prompt tokens (fake)
        page.get_by_role("tab", name="Costs").click()
        wait_text(page, "#cost-summary", "means over the 1 questions of this conversation")
        summary = page.inner_text("#cost-summary")
        assert "126" in summary  # mean prompt tokens of the fake answers
        assert "LoRA training" in summary and "Break-even: never" in summary
        fill_and_leave(page, "#cost-in input", "3")
        wait_text(page, "#cost-summary", "0.000382 USD")  # (126 × 3 + 6 × 0.60) / 1e6
        page.locator("#cost-plot").locator("canvas, svg").first.wait_for(timeout=10_000)


def test_explainer_quotes_measured_numbers(page, fake_pipelines, fake_config):
    from app import build_app
    from tests.ui_helpers import wait_text
    from training.runs import read_run

    run = read_run(fake_config.adapter)
    with served(build_app(fake_pipelines, fake_config)) as url:
        page.goto(url)
        ask_all(page, "What is the notice period?", timeout_s=30)
        page.get_by_role("tab", name="Explainer").click()
        wait_text(page, "#explainer", "Knowledge freshness")
        text = page.inner_text("#explainer")
        assert f"{run['evaluation']['forgetting_delta']:+.2f}" in text  # from the adapter's run
        assert f"took {run['wall_s']:.0f} s to train" in text
        assert "0 extra prompt tokens per question" in text  # the fakes' prompts are equal
        assert "12 ms median in this conversation" in text  # the fakes' retrieval time
