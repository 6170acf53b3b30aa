"""The engines side by side: each engine's answers alone and together (goal 1), its decode speed
against llama.cpp's (goal 2), every column's first token in the app's runner (goal 3a), and its
greedy answers against the float32 reference."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from benchmarks.results import TEST_SET
from benchmarks.speed import Prompt, Timing, agreement, stream_timed, together, wall
from common.config import Config
from common.logs import setup
from evaluation.metrics import percentile
from evaluation.run import load_questions
from pipelines.generation import chat
from pipelines.rag import RagPipeline
from pipelines.resources import Resources
from pipelines.runner import run_all
from serving.engine import ADAPTER

log = logging.getLogger(__name__)

COLUMNS = ("base", "rag", "lora")
SLA = "What is the monthly uptime commitment in Tessaline's SLA?"
# A prompt that keeps the model writing: the decode speed is read over a long answer.
LONG = "Write a detailed story about a lighthouse keeper and the storm that changed her life."


def measure_engine(
    name: str, tokens: int, questions: int, yardstick: float | None
) -> dict[str, Any]:
    """Goals 1, 2 and 3a for one engine (answers of `tokens` tokens, the first `questions` test
    questions), then its greedy agreement with the reference. Run in a fresh process."""
    setup()
    log.info("measuring the %s engine", name)
    config = replace(Config.from_env(), engine=name)
    resources = Resources(config)
    resources.warm_up()
    items = load_questions([TEST_SET], limit=questions)
    result = {
        "label": resources.engine().label,
        "batching": batching(resources, tokens),
        "decode": decode(resources, tokens, yardstick),
        "first_token": first_tokens(resources, [i["question"] for i in items]),
    }
    reference = _float32_reference(config)
    result["agreement"] = greedy_agreement(resources, reference, items, tokens)
    return result


def _float32_reference(config: Config) -> Any:
    """transformers in float32 with PEFT: the reference for greedy answers."""
    from serving.local_engine import load_engine
    from serving.model import load_model

    model, tokenizer = load_model(config, dtype="float32")
    return load_engine(model, tokenizer, {ADAPTER: config.adapter})


def three_prompts(resources: Resources, question: str = SLA) -> list[Prompt]:
    """The columns' real prompts for one question: base, RAG (retrieved context), LoRA."""
    engine = resources.engine()
    rag = RagPipeline(resources)
    hits = rag.retrieve(question)
    return [
        (engine.prompt_ids(chat([], question)), None),
        (engine.prompt_ids(rag.messages(question, [], hits, rag.evidence(question, hits))), None),
        (engine.prompt_ids(chat([], question)), ADAPTER),
    ]


def batching(resources: Resources, n: int) -> dict[str, Any]:
    """Goal 1: the three columns' answers (each n tokens) together vs one answer alone."""
    engine = resources.engine()
    prompts = three_prompts(resources)
    stream_timed(engine, prompts[0], 8)  # warm-up
    alone = []
    for prompt in prompts:
        engine.forget_prompts()  # each run reads its prompts whole, as a new question's are
        alone.append(stream_timed(engine, prompt, n))
    engine.forget_prompts()
    batched = together(engine, prompts, n)
    engine.forget_prompts()
    same_short = together(engine, [prompts[0], prompts[0], prompts[2]], n)
    one = alone[0].end - alone[0].start
    # The step costs bound the ratio from below for long answers: one row alone vs three rows
    # (two plain and one LoRA; timed on the last of the three short prompts to start).
    last = max(same_short, key=lambda t: t.first)
    return {
        "tokens": n,
        "prompt_tokens": [int(p[0].shape[-1]) for p in prompts],
        "alone_s": {c: t.end - t.start for c, t in zip(COLUMNS, alone, strict=True)},
        "one_after_another_s": sum(t.end - t.start for t in alone),
        "together_s": wall(batched),
        "together_short_prompts_s": wall(same_short),
        "ratio": wall(batched) / one,
        "ratio_vs_slowest_alone": wall(batched) / max(t.end - t.start for t in alone),
        "ratio_short_prompts": wall(same_short) / one,
        "first_token_together_s": [t.first - t.start for t in batched],
        "step_ms_one": _step_ms(alone[0]),
        "step_ms_three": _step_ms(last),
    }


def _step_ms(t: Timing) -> float:
    """Milliseconds per token after the first."""
    return (t.end - t.first) / max(t.tokens - 1, 1) * 1000


def decode(resources: Resources, n: int, yardstick: float | None, runs: int = 3) -> dict[str, Any]:
    """Goal 2: one stream's decode speed (best of `runs`), this engine vs `yardstick`,
    llama.cpp's own API on the .gguf file as shipped (None: not measured)."""
    engine = resources.engine()
    ids = engine.prompt_ids(chat([], LONG))
    base = max(stream_timed(engine, (ids, None), n).decode_tok_s for _ in range(runs))
    lora = max(stream_timed(engine, (ids, ADAPTER), n).decode_tok_s for _ in range(runs))
    result: dict[str, Any] = {"engine_tok_s": base, "engine_lora_tok_s": lora}
    if yardstick:
        result["llama_cpp_tok_s"] = yardstick
        result["ratio"] = base / yardstick
    return result


def greedy_agreement(
    resources: Resources, reference: Any, items: list[dict], n: int
) -> dict[str, Any]:
    """This engine's batched answers (the three columns of each question at once) vs
    transformers' generate() in float32, one answer at a time: identical greedy answers (first
    n tokens), and how often each contains the gold answer."""
    engine = resources.engine()
    groups, golds = [], []
    for item in items:
        groups.append(three_prompts(resources, item["question"]))
        golds.append([item["answers"]] * 3)
    return {"tokens": n, **agreement(engine, reference, groups, golds, n)}


def first_tokens(resources: Resources, questions: list[str]) -> dict[str, Any]:
    """Goal 3a: seconds from submit to the first token of every column, in the app's runner;
    each question asked new, then as a follow-up in a conversation that asked the previous
    question first (that turn is then in every column's prompt)."""
    from pipelines.registry import build_pipelines, default_names

    pipelines = build_pipelines(resources, default_names())
    slowest, follow_ups, retrieval = [], [], []
    before: list[list[dict[str, str]]] = []
    for question in questions:
        first, answers, retrieved = _ask_all(pipelines, question, [[] for _ in pipelines])
        slowest.append(first)
        retrieval += retrieved
        if before:
            follow_ups.append(_ask_all(pipelines, question, before)[0])
        turn = [{"role": "user", "content": question}]
        before = [turn + [{"role": "assistant", "content": answer}] for answer in answers]
    return {
        "questions": len(questions),
        "p50_s": percentile(slowest, 50),
        "max_s": max(slowest),
        "follow_up_p50_s": percentile(follow_ups, 50) if follow_ups else float("nan"),
        "retrieval_p50_ms": percentile(retrieval, 50) * 1000 if retrieval else float("nan"),
    }


def _ask_all(
    pipelines: list[Any], question: str, histories: list[list[dict[str, str]]]
) -> tuple[float, list[str], list[float]]:
    """One question to every column: the slowest first token (s), the answers, retrieval
    times."""
    firsts: dict[int, float] = {}
    answers: dict[int, str] = {}
    retrieval = []
    for update in run_all(pipelines, question, histories):
        answer = update.answer
        if answer and answer.done:
            # A column that declined without asking the model shows its text at once.
            firsts[update.index] = answer.first_token_s or answer.total_s
            answers[update.index] = answer.text
            if answer.retrieval_s is not None:
                retrieval.append(answer.retrieval_s)
    return max(firsts.values()), [answers.get(i, "") for i in range(len(pipelines))], retrieval
