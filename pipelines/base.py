"""Base column: the plain instruct model, no retrieval, no adapter."""

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
    from serving.openai_engine import OpenAIEngine


class BasePipeline:
    name = "base"
    title = "Base model"
    optional = False
    use_adapter = False

    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    def stream(self, question: str, history: Sequence[Message] = ()) -> Iterator[Answer]:
        started = time.perf_counter()
        yield from generate_answer(
            self.engine(),
            self.resources.config,
            self.name,
            chat(history, question),
            use_adapter=self.use_adapter,
            started=started,
            sources=(self.weights_source(),),
        )

    def engine(self) -> Engine | OpenAIEngine:
        return self.resources.engine()

    def weights_source(self) -> Source:
        return Source(document="", section="", text=WEIGHTS_ONLY)

    def answer(self, question: str, history: Sequence[Message] = ()) -> Answer:
        return last(self.stream(question, history))
