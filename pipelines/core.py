"""The columns' shared vocabulary: one Answer, one Source, one Pipeline protocol, one price."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from common.errors import PipelineError
from common.messages import Message


@dataclass(frozen=True)
class Source:
    """One retrieved passage, or a note that the answer comes from the weights only."""

    document: str
    section: str
    text: str
    score: float | None = None
    rank: int | None = None
    used: tuple[str, ...] = ()  # its sentences the model was given (evidence mode), in order
    page: int | None = None  # the pages of a converted PDF it is on (documents/pages.py)
    last_page: int | None = None


@dataclass(frozen=True)
class Answer:
    """An answer, complete (`done`) or partial while it streams. Every number is measured."""

    pipeline: str
    text: str = ""
    sources: tuple[Source, ...] = ()
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_s: float = 0.0
    first_token_s: float | None = None
    last_token_s: float | None = None  # when the last token came (total_s goes on after it)
    retrieval_s: float | None = None
    cached_tokens: int = 0  # prompt tokens restored from the engine's prompt cache, not read
    cost: float = 0.0
    done: bool = False
    cut_at: int | None = None  # the token budget the answer stopped at; None: it ended itself

    @property
    def tokens_per_s(self) -> float | None:
        """Decode speed from the first token to the last, or None before there is a second."""
        if self.first_token_s is None or self.completion_tokens < 2:
            return None
        last = self.total_s if self.last_token_s is None else self.last_token_s
        decode_s = last - self.first_token_s
        return (self.completion_tokens - 1) / decode_s if decode_s > 0 else None


@runtime_checkable
class Pipeline(Protocol):
    """A way to answer. `stream` yields growing partial Answers; the last one has done=True.
    An `optional` column starts hidden in the chat and is left out of default evaluations."""

    name: str
    title: str
    optional: bool

    def stream(self, question: str, history: Sequence[Message] = ()) -> Iterator[Answer]: ...

    def answer(self, question: str, history: Sequence[Message] = ()) -> Answer: ...


def last(answers: Iterator[Answer]) -> Answer:
    """Drain a stream and return its final answer."""
    final = None
    for answer in answers:
        final = answer
    if final is None:
        raise PipelineError("the pipeline produced no answer")
    return final


def price(
    prompt_tokens: float, completion_tokens: float, input_per_m: float, output_per_m: float
) -> float:
    """Money for tokens at prices per million input and output tokens: the one cost formula
    (answers, the Costs tab's projections and the evaluation's context overhead use it)."""
    return (prompt_tokens * input_per_m + completion_tokens * output_per_m) / 1_000_000
