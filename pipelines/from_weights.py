"""The parent of the columns that answer from the weights alone (base, LoRA, Retrained): the
question and the conversation go to the model, no passages; the sources say so."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from common.messages import Message
from pipelines.core import Answer, Source, last
from pipelines.generation import WEIGHTS_ONLY, chat, generate_answer
from pipelines.resources import Resources

if TYPE_CHECKING:
    from serving.engine import Engine


class FromWeightsPipeline:
    """A column without retrieval; subclasses name it and choose the weights."""

    name: str
    title: str
    optional = False
    adapter: str | None = None  # the engine's adapter it answers with; None: the base weights

    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    def stream(self, question: str, history: Sequence[Message] = ()) -> Iterator[Answer]:
        started = time.perf_counter()
        yield from generate_answer(
            self.engine(),
            self.resources.config,
            self.name,
            chat(history, question),
            adapter=self.adapter,
            started=started,
            sources=(self.weights_source(),),
        )

    def engine(self) -> Engine:
        return self.resources.engine()

    def weights_source(self) -> Source:
        return Source(document="", section="", text=WEIGHTS_ONLY)

    def answer(self, question: str, history: Sequence[Message] = ()) -> Answer:
        return last(self.stream(question, history))
