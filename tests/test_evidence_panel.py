"""The evidence panels without a browser: the Markdown for each verdict and the line above the
columns from hand-made marks, the handler over a stub index (a failed column skipped), the
panels' place on the page (none without an index), and one check over the tiny real index of
tests/test_lookup.py."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import gradio as gr
import pytest

from grounding.lookup import CONTRADICTED, NOT_FOUND, SUPPORTED, Check, Mark
from grounding.values import values
from pipelines.core import Answer
from tests.conftest import made_up_corpus
from tests.test_lookup import DOCS, WARRANTY
from ui.evidence_panel import CHECKING, _checker, build_evidence, marks_markdown, summary_line
from ui.transcript import Turn

TITLES = {"base": "Base model", "rag": "RAG (retrieval)", "lora": "LoRA fine-tuned"}
SENTENCE = "The Zorblat warranty lasts 41 months from the date of delivery."


def value(text: str):
    """The one value `text` states."""
    (found,) = values(text)
    return found


def mark(text: str, verdict: str, stated: str = "", sentence: str = SENTENCE) -> Mark:
    if verdict == NOT_FOUND:
        return Mark(value(text), NOT_FOUND, "", "", "", "")
    return Mark(value(text), verdict, sentence, "zorblat.md", "Warranty", stated)


def check(*marks: Mark) -> Check:
    return Check(tuple(marks), 0.42)


def test_a_supported_value_shows_its_sentence_document_and_the_checks_latency():
    text = marks_markdown(check(mark("41 months", SUPPORTED)), lambda doc: Path(doc))
    assert "✔ <b>41 months</b> — supported: <i>The Zorblat warranty lasts 41 months" in text
    assert "(zorblat.md §Warranty)" in text
    assert "<details>" in text  # the whole sentence one click away, its value in bold
    assert "lasts <b>41 months</b> from the date of delivery." in text
    assert '<a href="/documents/zorblat.md"' in text
    assert "1 of 1 supported" in text and "checked in 0.42 s" in text


def test_a_contradicted_value_shows_the_documents_value_and_sentence():
    text = marks_markdown(check(mark("36 months", CONTRADICTED, stated="41 months")))
    assert "✘ <b>36 months</b> — contradicted: the documents say <b>41 months</b>" in text
    assert "lasts <b>41 months</b> from the date of delivery." in text
    assert "href" not in text  # no file to link to without `locate`


def test_a_value_not_found_says_so_without_a_passage():
    text = marks_markdown(check(mark("7 watts", NOT_FOUND)))
    assert "? <b>7 watts</b> — not found in the documents" in text
    assert "<details>" not in text and "0 of 1 supported" in text


def test_an_answer_without_values_says_there_was_nothing_to_check():
    assert "no numbers, dates, codes or names to check" in marks_markdown(check())


def test_text_from_the_model_or_the_documents_is_escaped():
    odd = mark("7 watts", CONTRADICTED, stated="9 watts", sentence="<script>9 watts</script>")
    text = marks_markdown(check(replace(odd, value=replace(odd.value, text="<i>7 watts"))))
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "<b>&lt;i&gt;7 watts</b>" in text


def test_two_columns_with_different_values_give_one_line_with_each_verdict():
    checks = {
        "base": check(mark("36 months", CONTRADICTED, stated="41 months")),
        "rag": check(mark("41 months", SUPPORTED)),
        "lora": check(mark("forty-one months", SUPPORTED)),  # the same value, as words
    }
    line = summary_line(checks, TITLES)
    assert line.startswith("**The columns disagree.** 3 columns, 2 different values: ")
    said = "✘ <b>36 months</b> contradicted by zorblat.md §Warranty, which says <b>41 months</b>"
    assert f"{said} (Base model); " in line
    assert "✔ <b>41 months</b> supported by zorblat.md §Warranty (RAG (retrieval), LoRA" in line


def test_agreeing_columns_give_one_line_and_a_lone_column_none():
    checks = {
        "rag": check(mark("41 months", SUPPORTED)),
        "lora": check(mark("41 months", SUPPORTED)),
    }
    line = summary_line(checks, TITLES)
    assert line == "All 2 columns agree: ✔ <b>41 months</b> supported by zorblat.md §Warranty."
    assert summary_line({"rag": checks["rag"]}, TITLES) == ""
    assert summary_line({"rag": checks["rag"], "base": check()}, TITLES) == ""


def test_values_of_different_things_are_no_disagreement():
    checks = {
        "rag": check(mark("41 months", SUPPORTED), mark("7 watts", NOT_FOUND)),
        "lora": check(mark("41 months", SUPPORTED)),  # says nothing of the power
    }
    assert summary_line(checks, TITLES).startswith("All 2 columns agree")


class NoHits:
    """An index that finds nothing: every value is not found."""

    def hybrid_search(self, query: str, k: int) -> list:
        return []


def _turn(question: str, answers: dict[str, str], failed: str) -> Turn:
    done = {name: Answer(name, text=text, done=True) for name, text in answers.items()}
    done[failed] = Answer(failed, text="Error: the engine stopped")  # never done
    return Turn(question, "2026-01-02T03:04:05+00:00", done)


def test_the_handler_checks_each_answered_column_and_skips_a_failed_one():
    from tests.conftest import FakePipeline

    pipelines = [FakePipeline(name, title, "") for name, title in TITLES.items()]
    check_latest = _checker(pipelines, NoHits, None)
    turn = _turn("Power?", {"base": "It draws 7 watts.", "rag": "It draws 9 watts."}, "lora")
    steps = list(check_latest([turn], None))
    assert steps[0][:3] == [CHECKING, CHECKING, ""]
    base, rag, lora, line, key = steps[-1]
    assert "? <b>7 watts</b> — not found" in base and "? <b>9 watts</b>" in rag
    assert lora == "" and key == turn.key
    assert line.startswith("**The columns disagree.** 2 columns, 2 different values")
    again = list(check_latest([turn], turn.key))  # an empty question: nothing new to check
    assert len(again) == 1 and all(isinstance(u, dict) for u in again[0][:-1])
    assert again[0][-1] == turn.key


def _page(fake_pipelines, fake_config, index) -> tuple[gr.Blocks, list]:
    """A page with the chat and the evidence panels; the answer events."""
    from ui.chat_tab import build_chat

    with gr.Blocks() as demo:
        parts = build_chat(fake_pipelines, fake_config, lambda doc: None)
        build_evidence(parts, fake_pipelines, index)
    return demo, parts.answered


def _ids(block) -> list[str]:
    found = [block.elem_id] if getattr(block, "elem_id", None) else []
    for child in getattr(block, "children", []):
        found += _ids(child)
    return found


def test_without_an_index_there_is_no_panel(fake_pipelines, fake_config):
    demo, _ = _page(fake_pipelines, fake_config, None)
    assert not [i for i in _ids(demo) if "evidence" in i]
    assert not [f for f in demo.fns.values() if f.concurrency_id == "evidence"]


def test_with_an_index_a_panel_under_each_column_and_the_line_above_them(
    fake_pipelines, fake_config
):
    demo, answered = _page(fake_pipelines, fake_config, NoHits)
    # after every way of asking, and never more than two checks at once
    checks = [f for f in demo.fns.values() if f.concurrency_id == "evidence"]
    assert sorted(f.trigger_after for f in checks) == sorted(e["id"] for e in answered)
    assert {f.concurrency_limit for f in checks} == {2}
    ids = _ids(demo)
    assert ids.index("evidence-summary") < ids.index("columns")
    names = list(TITLES)
    for name, following in zip(names, [*names[1:], None], strict=True):
        # in its own column, under the answer and sources
        assert ids.index(f"column-{name}") < ids.index(f"sources-{name}")
        assert ids.index(f"sources-{name}") < ids.index(f"evidence-{name}")
        if following:
            assert ids.index(f"evidence-{name}") < ids.index(f"column-{following}")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, real_config) -> object:
    """The made-up documents of tests/test_lookup.py, indexed with the real (small) embedder."""
    from pipelines.resources import Resources

    config = made_up_corpus(tmp_path_factory.mktemp("evidence"), DOCS, real_config)
    return Resources(config).index()


def test_the_real_index_marks_each_column_and_the_line_names_the_document(index):
    from tests.conftest import FakePipeline

    pipelines = [FakePipeline(name, title, "") for name, title in TITLES.items()]
    answers = {"base": "The warranty lasts 36 months.", "rag": "The warranty lasts 41 months."}
    turn = _turn(WARRANTY, answers, "lora")
    base, rag, lora, line, _ = list(_checker(pipelines, lambda: index, None)([turn], None))[-1]
    assert "✘ <b>36 months</b> — contradicted: the documents say <b>41 months</b>" in base
    assert "✔ <b>41 months</b> — supported" in rag and "§Warranty" in rag
    assert lora == ""
    assert "2 columns, 2 different values" in line and "zorblat.md §Warranty" in line
