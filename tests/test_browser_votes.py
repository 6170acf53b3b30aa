"""Playwright: vote for the best answer, see the leaderboard, download the conversation."""

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
        page.get_by_text("vote recorded: RAG (retrieval)").wait_for(timeout=5000)
        page.get_by_text("Leaderboard: votes of every visitor").click()
        page.get_by_text("1 vote · ties 0 · all bad 0").wait_for(timeout=5000)
        page.locator("#vote-choice").get_by_label("Base model").check()
        page.click("#vote")  # one vote per question: the choice goes back to the one counted
        page.get_by_text("You already voted on this question").first.wait_for(timeout=5000)
        rag = page.locator("#vote-choice").get_by_label("RAG (retrieval)")
        page.wait_for_function(
            "() => document.querySelector('#vote-choice input[value=rag]')?.checked", timeout=5000
        )
        assert (
            rag.is_checked()
            and not page.locator("#vote-choice").get_by_label("Base model").is_checked()
        )

        ask_all(page, "And the fees?", timeout_s=30)
        page.locator("#vote-choice").get_by_label("Tie").check()
        page.click("#vote")
        page.get_by_text("vote recorded: Tie").wait_for(timeout=5000)
        page.get_by_text("2 votes · ties 1 · all bad 0").wait_for(timeout=5000)
        board = page.inner_text("#leaderboard")
        assert "RAG (retrieval)" in board and "50%" in board  # 1 win of 2 questions shown

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
        assert [t["vote"] for t in turns] == ["rag", "tie"]
        assert turns[1]["answers"]["lora"]["text"] == "LoRA says 60 days. (turn 2)"
        rows = list(csv.DictReader(io.StringIO(files["conversation.csv"])))
        assert len(rows) == 6 and {r["column"] for r in rows} == {"base", "rag", "lora"}
        assert all(float(r["total_s"]) > 0 and int(r["prompt_tokens"]) > 0 for r in rows)
        assert "And the fees?" in files["conversation.html"]

    # Votes survive a restart of the app.
    with served(build_app(fake_pipelines, fake_config)) as url:
        page.goto(url)
        page.get_by_text("Leaderboard: votes of every visitor").click()
        page.get_by_text("2 votes · ties 1 · all bad 0").wait_for(timeout=5000)


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
