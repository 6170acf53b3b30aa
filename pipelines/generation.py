"""Turn a chat prompt into a stream of measured Answers; shared by every model-backed column."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace

from common.config import Config
from common.errors import PipelineError
from common.messages import Message, clean_history
from pipelines.core import Answer, Source
from pipelines.costs import cost
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
    use_adapter: bool,
    started: float,
    sources: tuple[Source, ...] = (),
    retrieval_s: float | None = None,
) -> Iterator[Answer]:
    """Stream the model's reply to `messages`; timings count from `started` (perf_counter)."""
    input_ids = engine.prompt_ids(messages)
    # A local engine counts the prompt now; a model server counts it itself and reports its
    # count with the reply (Chunk.prompt_tokens), which then takes this one's place.
    prompt_tokens = engine.prompt_tokens(input_ids)
    limit = engine.context_window
    if limit and prompt_tokens is not None and prompt_tokens + config.max_new_tokens > limit:
        raise PipelineError(
            f"The prompt is {prompt_tokens} tokens; with APP_MAX_NEW_TOKENS="
            f"{config.max_new_tokens} it exceeds the model's context window of {limit} tokens. "
            "Clear the conversation or ask a shorter question."
        )
    answer = Answer(
        pipeline=name,
        sources=sources,
        prompt_tokens=prompt_tokens or 0,
        retrieval_s=retrieval_s,
    )
    yield answer
    for chunk in engine.stream(
        input_ids,
        use_adapter=use_adapter,
        max_new_tokens=config.max_new_tokens,
        temperature=config.temperature,
    ):
        if chunk.prompt_tokens is not None:
            answer = replace(answer, prompt_tokens=chunk.prompt_tokens)
        answer = replace(
            answer,
            text=chunk.text,
            completion_tokens=chunk.tokens,
            total_s=time.perf_counter() - started,
            first_token_s=chunk.first_token_at - started if chunk.first_token_at else None,
            cost=cost(answer.prompt_tokens, chunk.tokens, config),
        )
        yield answer
    yield replace(
        answer,
        text=answer.text.strip(),
        total_s=time.perf_counter() - started,
        cost=cost(answer.prompt_tokens, answer.completion_tokens, config),
        done=True,
    )


def chat(history: Sequence[Message], question: str) -> list[Message]:
    """The system prompt (always ours), the conversation so far (`clean_history`) and the new
    question, as chat messages."""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        *clean_history(history),
        {"role": "user", "content": question},
    ]
