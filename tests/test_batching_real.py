"""Batched generation with the real model: the same greedy text as one answer at a time.

Run in float32, where batching is exact; in bfloat16 a batch may round differently, and the
benchmark measures how often that changes an answer.
"""

from __future__ import annotations

import threading
import time

import pytest

from benchmarks.speed import reference_answer, together
from pipelines.generation import chat
from serving.engine import ADAPTER
from serving.local_engine import load_engine
from serving.model import load_model

pytestmark = pytest.mark.model

N = 32
QUESTIONS = [
    ("What is the capital of France?", None),
    ("How often should the HX-40 air filter be replaced?", None),
    ("What is the default LAN IP address of the HX-40 on ETH2?", ADAPTER),
]


@pytest.fixture(scope="module")
def fp32_engine(real_config, adapter_dir):
    model, tokenizer = load_model(real_config, dtype="float32")
    return load_engine(model, tokenizer, {ADAPTER: str(adapter_dir)})


@pytest.fixture(scope="module")
def plain_fp32(real_config):
    """A separately loaded model that never saw an adapter."""
    return load_model(real_config, dtype="float32")


def _rag_like(question: str) -> str:
    """A long prompt, as the RAG column sends: passages first, then the question."""
    passage = (
        "The HX-40 gateway ships with its LAN port ETH2 at 192.168.40.1/24. The air filter "
        "is replaced every six months, or every three months in dusty rooms. "
    )
    return f"Context:\n{passage * 6}\nQuestion: {question}\nAnswer:"


def test_a_mixed_batch_gives_each_row_the_text_it_gets_alone(fp32_engine, plain_fp32):
    engine = fp32_engine
    questions = [QUESTIONS[0][0], _rag_like(QUESTIONS[1][0]), QUESTIONS[2][0]]
    adapters = [None, None, ADAPTER]
    pairs = zip(questions, adapters, strict=True)
    prompts = [(engine.prompt_ids(chat([], q)), a) for q, a in pairs]
    passes_before = engine.batcher.passes
    batched = [t.text for t in together(engine, prompts, N, forced=False)]
    passes = engine.batcher.passes - passes_before

    plain_model, plain_tokenizer = plain_fp32
    # Base rows: the same text as a model that never had an adapter; LoRA row: PEFT on its own.
    assert batched[0] == reference_answer(plain_model, plain_tokenizer, prompts[0][0], None, N)
    assert batched[1] == reference_answer(plain_model, plain_tokenizer, prompts[1][0], None, N)
    assert batched[2] == reference_answer(engine.model, engine.tokenizer, prompts[2][0], ADAPTER, N)
    assert batched[2] != batched[0]
    # Shared passes: fewer forward passes than tokens generated one answer at a time.
    assert engine.batcher.max_rows_seen >= 2
    alone = sum(len(engine.tokenizer(t)["input_ids"]) for t in batched) + len(prompts)
    assert passes < alone


def test_the_base_row_of_a_mixed_batch_is_adapter_free(fp32_engine, plain_fp32):
    engine = fp32_engine
    ids = engine.prompt_ids(chat([], QUESTIONS[2][0]))
    texts = [t.text for t in together(engine, [(ids, None), (ids, ADAPTER), (ids, None)], N, False)]
    plain_model, plain_tokenizer = plain_fp32
    plain = reference_answer(plain_model, plain_tokenizer, ids, None, N)
    assert texts[0] == texts[2] == plain
    assert texts[1] == reference_answer(engine.model, engine.tokenizer, ids, ADAPTER, N) != plain
    assert plain == reference_answer(engine.model, engine.tokenizer, ids, None, N)


def test_streams_run_together_and_a_cancelled_row_leaves_the_others_intact(fp32_engine):
    engine = fp32_engine
    prompts = [(engine.prompt_ids(chat([], q)), a) for q, a in QUESTIONS]
    # Forced to full length so that no row can finish before the others start.
    timings = together(engine, prompts, N, forced=True)
    texts = [t.text for t in timings]
    assert max(t.first for t in timings) < min(t.end for t in timings)  # all stream at once
    assert all(t.tokens == N for t in timings)

    stream = engine.stream(prompts[0][0], adapter=None, max_new_tokens=N, temperature=0.0)
    next(stream)
    others: list[str] = []
    worker = threading.Thread(
        target=lambda: others.extend(t.text for t in together(engine, prompts[1:], N, True))
    )
    worker.start()
    time.sleep(0.3)
    stream.close()  # the user went away from the first column
    worker.join()
    assert others == texts[1:]


def test_the_app_runner_streams_all_three_columns_from_shared_passes(resources):
    from pipelines.registry import build_pipelines, default_names
    from pipelines.runner import run_all

    pipelines = build_pipelines(resources, default_names())
    engine = resources.engine()
    engine.batcher.max_rows_seen = 0
    partial: dict[int, int] = {}
    done: set[int] = set()
    for update in run_all(pipelines, QUESTIONS[2][0], [[] for _ in pipelines]):
        assert update.error is None, update.error
        if update.answer.done:
            done.add(update.index)
        elif update.answer.text:
            partial[update.index] = partial.get(update.index, 0) + 1
    assert done == set(range(len(pipelines)))
    assert all(partial.get(i, 0) >= 1 for i in range(len(pipelines)))
    assert engine.batcher.max_rows_seen >= 2  # the columns were decoded together
