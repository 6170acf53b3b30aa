"""Turn a chat prompt into a stream of measured Answers; shared by every model-backed column."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace

from common.config import Config
from common.errors import PipelineError
from common.messages import Message, clean_history
from pipelines.core import Answer, Source, price
from serving.engine import Engine

WEIGHTS_ONLY = "No documents: this answer comes from the model's weights only."
# One short system prompt for the base and LoRA columns, in training and in evaluation alike.
# (The chat template's default system prompt is three times as long: 24% more tokens to train.)
SYSTEM_PROMPT = "Answer the question briefly."


def generate_answer(
    engine: Engine,
    config: Config,
    name: str,
    messages: Sequence[Message],
    *,
    adapter: str | None,
    started: float,
    sources: tuple[Source, ...] = (),
    retrieval_s: float | None = None,
    budget: tuple[str, int] | None = None,
) -> Iterator[Answer]:
    """Stream the model's reply to `messages` with the named adapter (None: the base weights),
    at most `budget` tokens (the setting that says so and its value; default
    APP_MAX_NEW_TOKENS); timings count from `started`."""
    setting, max_new_tokens = budget or ("APP_MAX_NEW_TOKENS", config.max_new_tokens)
    input_ids = engine.prompt_ids(messages)
    # A local engine counts the prompt now; a model server counts it itself and reports its
    # count with the reply (Piece.prompt_tokens), which then takes this one's place.
    prompt_tokens = engine.prompt_tokens(input_ids)
    limit = engine.context_window
    if limit and prompt_tokens is not None and prompt_tokens + max_new_tokens > limit:
        raise PipelineError(
            f"The prompt is {prompt_tokens} tokens; with {setting}={max_new_tokens} "
            f"it exceeds the model's context window of {limit} tokens. "
            "Clear the conversation or ask a shorter question."
        )
    answer = Answer(
        pipeline=name,
        sources=sources,
        prompt_tokens=prompt_tokens or 0,
        retrieval_s=retrieval_s,
    )
    yield answer
    prices = (config.price_input_per_m, config.price_output_per_m)
    for piece in engine.stream(
        input_ids,
        adapter=adapter,
        max_new_tokens=max_new_tokens,
        temperature=config.temperature,
    ):
        if piece.prompt_tokens is not None:
            answer = replace(answer, prompt_tokens=piece.prompt_tokens)
        now = time.perf_counter() - started
        answer = replace(
            answer,
            text=piece.text,
            completion_tokens=piece.tokens,
            total_s=now,
            last_token_s=now if piece.tokens != answer.completion_tokens else answer.last_token_s,
            cached_tokens=piece.cached_tokens,
            first_token_s=piece.first_token_at - started if piece.first_token_at else None,
            cost=price(answer.prompt_tokens, piece.tokens, *prices),
        )
        yield answer
    yield replace(
        answer,
        text=answer.text.strip(),
        total_s=time.perf_counter() - started,
        cost=price(answer.prompt_tokens, answer.completion_tokens, *prices),
        done=True,
        cut_at=max_new_tokens if answer.completion_tokens >= max_new_tokens else None,
    )


def chat(history: Sequence[Message], question: str) -> list[Message]:
    """The system prompt (always ours), the conversation so far (`clean_history`) and the new
    question, as chat messages."""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        *clean_history(history),
        {"role": "user", "content": question},
    ]
