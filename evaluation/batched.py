"""Batched greedy answers from the engine's model, with or without an adapter, and their scores.

Faster than the streaming pipelines for scoring many questions; used by the adapter card and by
the general-knowledge set builder. Batches are left-padded.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import mean
from typing import Any

from common.config import Config
from common.errors import PipelineError
from evaluation.metrics import answer_scores
from pipelines.generation import chat
from serving.engine import ADAPTER, BASE
from serving.local_engine import LocalEngine


def greedy_answers(
    engine: LocalEngine,
    questions: Sequence[str],
    *,
    adapter: str | None,
    max_new_tokens: int = 32,
    batch_size: int = 16,
) -> list[str]:
    """One greedy answer per question, as a chat turn with no history, with the named adapter
    (None: the base weights)."""
    import torch

    if adapter is not None and (error := engine.adapter_error(adapter)):
        raise PipelineError(error)

    tokenizer = engine.tokenizer
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    answers: list[str] = []
    try:
        for start in range(0, len(questions), batch_size):
            batch = questions[start : start + batch_size]
            prompts = [
                tokenizer.apply_chat_template(
                    chat([], q), add_generation_prompt=True, tokenize=False
                )
                for q in batch
            ]
            encoded = tokenizer(
                prompts, return_tensors="pt", padding=True, add_special_tokens=False
            )
            extra: dict[str, Any] = {}
            if engine.loaded:  # a PEFT model: every row names its adapter, BASE for none
                extra["adapter_names"] = [adapter or BASE] * len(batch)
            with torch.inference_mode():
                out = engine.model.generate(
                    **encoded,
                    do_sample=False,
                    max_new_tokens=max_new_tokens,
                    pad_token_id=tokenizer.pad_token_id,
                    **extra,
                )
            width = encoded["input_ids"].shape[1]
            answers += [
                tokenizer.decode(row[width:], skip_special_tokens=True).strip() for row in out
            ]
    finally:
        tokenizer.padding_side = side
    return answers


def trained_engine(method: str, config: Config, folder: str) -> tuple[LocalEngine, str | None]:
    """An engine to score the weights `method` trained into `folder`, and the adapter to ask it
    for: the base model with the LoRA (loaded as ADAPTER, whichever task trained it), or the
    retrained model (None), both in transformers (`greedy_answers` batches through its
    generate())."""
    from dataclasses import replace

    from serving.local_engine import load_engine
    from serving.model import load_model
    from serving.retrained_weights import load_retrained_engine

    if method == "full":
        return load_retrained_engine(replace(config, retrained=folder, engine="transformers")), None
    model, tokenizer = load_model(config)
    return load_engine(model, tokenizer, {ADAPTER: folder}), ADAPTER


def score(predictions: Sequence[str], items: Sequence[dict]) -> dict[str, float]:
    """Mean exact match, token F1 and contains-gold over answerable items."""
    rows = [answer_scores(p, i["answers"]) for p, i in zip(predictions, items, strict=True)]
    names = ("exact_match", "f1", "contains")
    return {**{n: round(mean(r[k] for r in rows), 4) for k, n in enumerate(names)}, "n": len(items)}


def compare(
    variants: dict[str, tuple[LocalEngine, str | None]],
    items: Sequence[dict],
    max_new_tokens: int = 32,
) -> dict[str, Any]:
    """Scores of each named (engine, adapter) variant on the same items, e.g. base vs LoRA on
    one engine, or base vs the retrained weights on two."""
    questions = [item["question"] for item in items]
    return {
        name: score(
            greedy_answers(engine, questions, adapter=adapter, max_new_tokens=max_new_tokens),
            items,
        )
        for name, (engine, adapter) in variants.items()
    }
