"""Playwright: the optional columns (offered only when they can answer, five in one row at
1400 px, a late one says what it missed, only answers are vote options) and the phone layout
(one question's answers as a swipeable row under a one-line summary per column)."""

from __future__ import annotations

import pytest

from tests.ui_helpers import COLUMNS, ask_all, served, wait_text

pytestmark = pytest.mark.browser

NAMES = ("base", "rag", "lora", "rag_lora", "retrained")
PHONE = {"width": 390, "height": 844}


def _five(fake_pipelines):
    from tests.conftest import FakePipeline

    return [
        *fake_pipelines,
        FakePipeline("rag_lora", "RAG + reader fine-tune", "Both say 60 days.", optional=True),
        FakePipeline("retrained", "Retrained (full)", "Retrained says 60 days.", optional=True),
    ]


def _switch_on_both(page) -> None:
    for name in NAMES[3:]:
        page.check(f"#show-{name} input")
        page.locator(f"#chat-{name}").wait_for(state="visible", timeout=5000)


def _vote_options(page) -> list[str]:
    return [label.strip() for label in page.locator("#vote-choice label").all_inner_texts()]


def test_five_columns_read_side_by_side_in_one_row_at_1400_px(page, fake_pipelines, fake_config):
    from app import build_app

    with served(build_app(_five(fake_pipelines), fake_config)) as url:
        page.set_viewport_size({"width": 1400, "height": 900})
        page.goto(url)
        _switch_on_both(page)
        ask_all(page, "What is the notice period?", timeout_s=30)
        wait_text(page, "#chat-retrained", "Retrained says 60 days. (turn 1)")
        boxes = [page.locator(f"#chat-{name}").bounding_box() for name in NAMES]
        assert len({round(box["y"]) for box in boxes}) == 1  # one row, none wrapped below
        assert all(box["width"] >= 240 for box in boxes)  # each still readable
        assert max(box["x"] + box["width"] for box in boxes) <= 1400
        assert page.evaluate("document.documentElement.scrollWidth") <= 1400
        assert not page.locator("#answer-summary").is_visible()  # the phone's summary only
        assert "Retrained (full)" in _vote_options(page)  # it answered: a choice


def test_retrained_without_weights_is_offered_disabled_with_its_command(
    page, fake_pipelines, fake_config
):
    from app import build_app
    from pipelines.resources import Resources
    from pipelines.retrained import RetrainedPipeline

    retrained = RetrainedPipeline(Resources(fake_config))  # real column, no weights trained
    with served(build_app([*fake_pipelines, retrained], fake_config)) as url:
        page.set_viewport_size({"width": 1400, "height": 900})
        page.goto(url)
        wait_text(page, "#show-retrained", "python -m scripts.train_lora --method full")
        assert page.locator("#show-retrained input").is_disabled()
        assert not page.locator("#chat-retrained").is_visible()
        ask_all(page, "What is the notice period?", timeout_s=30)
        page.wait_for_function("() => document.querySelectorAll('#vote-choice label').length")
        assert _vote_options(page) == [
            "Base model",
            "RAG (retrieval)",
            "LoRA fine-tuned",
            "Tie",
            "All bad",
        ]
        # Once the weights are there, the next page load offers the column.
        folder = fake_config.retrained_path
        folder.mkdir(parents=True)
        (folder / "config.json").write_text("{}")
        (folder / "model.safetensors").write_bytes(b"")
        page.reload()
        page.locator("#show-retrained input").wait_for(timeout=10_000)
        page.wait_for_function("() => !document.querySelector('#show-retrained input').disabled")
        assert "train_lora" not in page.inner_text("#show-retrained")


def test_a_column_that_fails_is_no_vote_option(page, fake_pipelines, fake_config):
    from app import build_app
    from tests.conftest import FakePipeline

    broken = FakePipeline("rag_lora", "RAG + reader fine-tune", "", fail="pipeline", optional=True)
    with served(build_app([*fake_pipelines, broken], fake_config)) as url:
        page.goto(url)
        page.check("#show-rag_lora input")
        ask_all(page, "What is the notice period?", timeout_s=30)
        wait_text(page, "#chat-rag_lora", "switched off for this test")
        page.wait_for_function("() => document.querySelectorAll('#vote-choice label').length")
        assert "RAG + reader fine-tune" not in _vote_options(page)
        assert "LoRA fine-tuned" in _vote_options(page)


def test_a_column_switched_on_later_says_it_has_no_earlier_answers(
    page, fake_pipelines, fake_config
):
    from app import build_app

    with served(build_app(_five(fake_pipelines), fake_config)) as url:
        page.goto(url)
        ask_all(page, "What is the notice period?", timeout_s=30)
        ask_all(page, "And the fees?", timeout_s=30)
        page.check("#show-rag_lora input")
        wait_text(page, "#joined-rag_lora", "Switched on after 2 questions")
        assert "no earlier answers" in page.inner_text("#joined-rag_lora")
        assert "Switched on after 2 questions" in page.inner_text("#chat-rag_lora")  # empty
        ask_all(page, "And the renewal?", timeout_s=30)
        wait_text(page, "#chat-rag_lora", "Both say 60 days. (turn 1)")
        assert "Switched on after 2 questions" in page.inner_text("#joined-rag_lora")
        page.uncheck("#show-rag_lora input")
        ask_all(page, "And the term?", timeout_s=30)
        page.check("#show-rag_lora input")
        wait_text(page, "#joined-rag_lora", "Off for 3 of the 4 questions so far")
        page.click("#clear")
        page.wait_for_function("() => !document.querySelector('#joined-rag_lora').innerText.trim()")
        assert "Switched on" not in page.inner_text("#chat-rag_lora")


def test_a_phone_shows_one_question_as_a_swipeable_row_under_a_summary(
    page, fake_pipelines, fake_config
):
    from app import build_app

    with served(build_app(_five(fake_pipelines), fake_config)) as url:
        page.set_viewport_size(PHONE)
        page.goto(url)
        _switch_on_both(page)
        ask_all(page, "What is the notice period?", timeout_s=30)
        wait_text(page, "#answer-summary", "Retrained says 60 days.")
        # The summary: one line per column, on the first screen after asking.
        summary = page.locator("#answer-summary")
        assert summary.is_visible() and summary.bounding_box()["y"] < PHONE["height"]
        lines = page.locator("#answer-summary .summary-line").all_inner_texts()
        assert len(lines) == 5 and "LoRA fine-tuned" in lines[2] and "LoRA says" in lines[2]
        assert all(" s" in line for line in lines)  # each with its latency
        # The columns: side by side in one row that scrolls, not a page of stacked columns.
        boxes = [page.locator(f"#chat-{name}").bounding_box() for name in NAMES]
        assert len({round(box["y"]) for box in boxes}) == 1
        assert all(box["width"] >= 280 for box in boxes)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollHeight") < 3 * PHONE["height"]
        # A tap on a summary line brings its column into view.
        page.locator("#answer-summary .summary-line", has_text="RAG + reader fine-tune").click()
        page.wait_for_function(
            """() => {
                const box = document.querySelector('#chat-rag_lora').getBoundingClientRect();
                return box.left >= 0 && box.right <= window.innerWidth;
            }"""
        )


@pytest.mark.parametrize("width", [1400, 390])
def test_every_column_shows_its_newest_answer_after_each_question(page, fake_config, width):
    """Issue 20.1: a viewer scrolls the RAG column up to read one long answer; every later
    question still brings each column to its newest answer."""
    from app import build_app
    from tests.conftest import FakePipeline

    class LongOnce(FakePipeline):
        asked = 0

        def stream(self, question, history=()):
            LongOnce.asked += 1
            self.reply = " ".join(["word"] * 300) if LongOnce.asked == 1 else "A short one."
            yield from super().stream(question, history)

    pipelines = [
        FakePipeline("base", "Base", "Base says 120 days.", delay=0.002),
        LongOnce("rag", "RAG", "", delay=0.002),
        FakePipeline("lora", "LoRA", "LoRA says 60 days.", delay=0.002),
    ]
    page.set_viewport_size({"width": width, "height": 900})
    with served(build_app(pipelines, fake_config)) as url:
        page.goto(url)
        ask_all(page, "The long one?", 60)
        page.wait_for_timeout(500)  # the last tokens laid out
        page.evaluate(  # the viewer scrolls up to read the long answer
            """() => { for (const box of document.querySelectorAll('#chat-rag *'))
                if (box.scrollHeight > box.clientHeight + 1) {
                    box.scrollTop = 0; box.dispatchEvent(new Event('scroll')); } }"""
        )
        page.wait_for_timeout(500)  # reading it
        for question in ("Second?", "Third?"):
            ask_all(page, question, 60)
            page.wait_for_timeout(300)  # the browser has laid out the last tokens
            for name in COLUMNS:
                below = page.evaluate(
                    """name => Math.max(0, ...[...document.querySelectorAll('#chat-' + name
                        + ' *')].filter(b => b.scrollHeight > b.clientHeight + 1)
                        .map(b => b.scrollHeight - b.scrollTop - b.clientHeight))""",
                    name,
                )
                assert below <= 2, f"{name} is {below} px above its newest answer"
