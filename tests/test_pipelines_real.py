"""The real small model and a real Chroma index: one question per column, and the base/LoRA pin."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from common.config import REPO_ROOT
from evaluation.metrics import abstained
from pipelines.base import BasePipeline
from pipelines.core import last
from pipelines.generation import chat, generate_answer
from pipelines.lora import LoraPipeline
from pipelines.rag import NOT_FOUND, RagPipeline
from pipelines.rag_lora import RagLoraPipeline
from pipelines.resources import Resources
from pipelines.support import unsupported
from serving.engine import ADAPTER, READER
from training.qa import read_jsonl

pytestmark = pytest.mark.model

TRAINED = read_jsonl(REPO_ROOT / "data" / "qa" / "train.jsonl")


@pytest.fixture(scope="module")
def plain_engine(real_config, tmp_path_factory):
    """A second, separately loaded copy of the model on the same engine, never given an
    adapter (both adapter folders are empty)."""
    empty = str(tmp_path_factory.mktemp("no-adapter"))
    config = replace(real_config, adapter=empty, reader_adapter=empty)
    engine = Resources(config).engine()
    assert engine.loaded == []
    return engine


def _plain_greedy(engine, question: str, max_new_tokens: int) -> str:
    ids = engine.prompt_ids(chat([], question))
    text = ""
    for chunk in engine.stream(ids, adapter=None, max_new_tokens=max_new_tokens, temperature=0.0):
        text = chunk.text
    return text.strip()


def test_both_adapters_are_loaded(resources, adapter_dir):
    engine = resources.engine()
    assert engine.adapter_error(ADAPTER) is None
    assert engine.adapter_error(READER) is None  # the reader is committed beside the adapter


@pytest.mark.parametrize("item", TRAINED[:3], ids=lambda i: i["id"])
def test_base_column_equals_the_plain_model_and_lora_differs(resources, plain_engine, item):
    question = item["question"]
    base = BasePipeline(resources).answer(question)
    lora = LoraPipeline(resources).answer(question)
    plain = _plain_greedy(plain_engine, question, resources.config.max_new_tokens)
    assert base.text == plain
    assert lora.text != base.text
    # Running LoRA must not leave the adapter on for the base column.
    assert BasePipeline(resources).answer(question).text == plain


def test_every_column_answers_with_measured_numbers(resources):
    question = "What is the default LAN IP address of the HX-40 on ETH2?"
    engine = resources.engine()
    columns = (
        BasePipeline(resources),
        RagPipeline(resources),
        LoraPipeline(resources),
        RagLoraPipeline(resources),
    )
    for pipeline in columns:
        answer = pipeline.answer(question)
        assert answer.done and answer.text
        assert 0 < answer.completion_tokens <= resources.config.max_new_tokens
        assert answer.prompt_tokens == engine.prompt_ids(_prompt_of(pipeline, question)).shape[-1]
        assert 0 < answer.first_token_s <= answer.total_s
        assert answer.cost > 0
        assert answer.sources


def _prompt_of(pipeline, question):
    if isinstance(pipeline, RagPipeline):
        hits = pipeline.retrieve(question)
        return pipeline.messages(question, [], hits, pipeline.evidence(question, hits))
    return chat([], question)


def test_rag_answers_a_corpus_fact_and_cites_its_document(resources):
    # The freshness demo's fact. (The ETH2 address question used here before is answered right
    # by the bf16 weights but not by the Q4_1 GGUF served on CPUs without bf16.)
    answer = RagPipeline(resources).answer(
        "How long does the free Tessaline Cloud Professional trial last?"
    )
    assert "30 days" in answer.text
    assert answer.retrieval_s is not None and answer.retrieval_s < answer.first_token_s
    documents = [s.document for s in answer.sources]
    assert documents[0] == "legal/terms-of-service.md"
    assert any("30 days" in s.text for s in answer.sources)
    # In rank order of the fused ranking; each score is still the passage's cosine similarity.
    assert [s.rank for s in answer.sources] == list(range(1, len(answer.sources) + 1))
    assert all(0 < s.score <= 1 for s in answer.sources)
    assert any(s.used for s in answer.sources)  # the sentences the model read are marked


def test_rag_declines_a_question_about_what_no_document_mentions(resources):
    """Asked about Bluetooth, which no document mentions, the RAG column says the not-found
    sentence and why, without asking the model; asked with the check off, it asks the model."""
    question = "Which Bluetooth version does the HX-40 gateway support?"
    answer = RagPipeline(resources).answer(question)
    assert answer.text.startswith(NOT_FOUND) and "Bluetooth" in answer.text
    assert answer.completion_tokens == 0 and answer.sources
    asked = RagPipeline(resources, rag_name_check=0).answer(question)
    assert asked.completion_tokens > 0


def test_rag_marks_an_answer_whose_numbers_its_passages_do_not_hold(resources):
    """The support check's two modes on the same answer of the real model: declined, or kept
    and marked unsupported."""
    rag = RagPipeline(resources, rag_support_check="off")
    # Greedy, the model answers this with a weight its evidence sentences do not hold.
    question = "For a shipping calculation, what mass should be assumed for the bare HX-40 gateway?"
    hits = rag.retrieve(question)
    plain = rag.answer(question).text
    context = rag.messages(question, [], hits, rag.evidence(question, hits))[-1]["content"]
    missing = unsupported(plain, context)
    assert missing, plain
    declined = rag.tuned(rag_support_check="decline").answer(question).text
    marked = rag.tuned(rag_support_check="mark").answer(question).text
    assert declined.startswith(NOT_FOUND) and missing[0] in declined
    assert marked.startswith(plain) and "Unsupported" in marked and not abstained(marked)


def test_streaming_yields_growing_text(resources):
    texts = [a.text for a in BasePipeline(resources).stream("Name three colours.")]
    grown = [t for t in texts if t]
    assert len(grown) > 3
    assert all(later.startswith(earlier.strip()) for earlier, later in itertools.pairwise(grown))


def test_an_answer_that_stops_at_its_budget_says_so(resources):
    config = replace(resources.config, max_new_tokens=5)
    messages = chat([], "Describe the history of Rome in detail.")
    cut = last(
        generate_answer(resources.engine(), config, "base", messages, adapter=None, started=0)
    )
    assert cut.completion_tokens == 5 and cut.cut_at == 5
    whole = BasePipeline(resources).answer("What is the capital of France? One word.")
    assert whole.completion_tokens < resources.config.max_new_tokens and whole.cut_at is None


def test_rag_retrieves_for_a_follow_up_through_the_previous_question(resources):
    rag = RagPipeline(resources)
    follow_up = "How far in advance is it announced?"
    history = [
        {"role": "user", "content": "When is Tessaline's weekly scheduled maintenance window?"},
        {"role": "assistant", "content": "Sundays from 02:00 to 06:00 CET."},
    ]

    def sections(hits):
        return [hit.document.metadata["section"] for hit in hits]

    alone = rag.retrieve(follow_up)
    in_conversation = rag.retrieve(follow_up, history)
    assert not any(s.startswith("5.1") for s in sections(alone))  # "it" alone finds nothing
    assert sections(in_conversation)[0].startswith("5.1 Scheduled maintenance")
    answer = rag.answer(follow_up, history)
    assert answer.sources[0].section.startswith("5.1")


def test_rag_keeps_a_new_subjects_own_passages_after_another_question(resources):
    """Issue 20.2: asked right after the uptime question, a question on another subject gets
    its own passages, not the uptime commitment (its own best passage scores high enough)."""
    rag = RagPipeline(resources)
    question = "Which AWS region holds Tessaline's backups?"
    history = [
        {"role": "user", "content": "What monthly uptime does Tessaline commit to?"},
        {"role": "assistant", "content": "99.9 %."},
    ]
    alone = rag.retrieve(question)
    assert alone[0].score >= resources.config.rag_follow_up_below
    after = rag.retrieve(question, history)
    assert [h.document.metadata["section"] for h in after] == [
        h.document.metadata["section"] for h in alone
    ]
    # The old rule (always search the previous question too) let the uptime passage in.
    always = rag.tuned(rag_follow_up_below=1.0).retrieve(question, history)
    assert any("uptime" in h.document.metadata["section"].lower() for h in always)


def test_a_question_declined_by_the_name_check_shows_its_own_passages(resources):
    """After a question about backup regions, "What is the capital of France?" is declined (no
    document mentions France) without the previous subject's passages as its sources."""
    rag = RagPipeline(resources)
    history = [
        {"role": "user", "content": "Which AWS region holds Tessaline's backups?"},
        {"role": "assistant", "content": "eu-west-1."},
    ]
    question = "What is the capital of France?"
    answer = rag.answer(question, history)
    assert answer.text.startswith(NOT_FOUND) and "France" in answer.text
    assert [s.section for s in answer.sources] == [
        h.document.metadata["section"] for h in rag.retrieve(question)
    ]
    assert not any(s.used for s in answer.sources)  # nothing was given to the model


def test_a_declined_exchange_is_left_out_of_the_next_prompt(resources):
    """The 135M model repeated the previous turn's "No document mentions France." for a question
    whose passages held the answer; declined exchanges no longer go into the prompt."""
    rag = RagPipeline(resources)
    declined = f"{NOT_FOUND} (No document mentions France.)"
    history = [
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": declined},
    ]
    question = "How long is the free trial?"
    hits = rag.retrieve(question, history)
    prompt = rag.messages(question, history, hits, rag.evidence(question, hits))
    assert not any("France" in m["content"] for m in prompt)
    assert "30 days" in rag.answer(question, history).text
