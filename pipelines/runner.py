"""Run several pipelines on one question at once and merge their streams into one.

A column that fails shows its own error; the others go on. Anything that is not a PipelineError
is a bug: it goes to the log with its traceback and the user sees a short message.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from common.errors import PipelineError
from common.messages import Message
from pipelines.core import Answer, Pipeline

log = logging.getLogger(__name__)
INTERNAL_ERROR = "This column failed with an internal error; the details are in the server log."


@dataclass(frozen=True)
class ColumnState:
    """The latest state of one column: a (partial) answer, or an error message."""

    index: int
    answer: Answer | None = None
    error: str | None = None


def run_all(
    pipelines: Sequence[Pipeline], question: str, histories: Sequence[Sequence[Message]]
) -> Iterator[ColumnState]:
    """Yield Updates from every pipeline as they arrive, until all are finished."""
    states: queue.Queue[ColumnState | int] = queue.Queue()
    stop = threading.Event()

    def work(index: int, pipeline: Pipeline) -> None:
        stream = None
        try:  # a pipeline may fail when called as well as while streaming
            stream = pipeline.stream(question, histories[index])
            for answer in stream:
                if stop.is_set():
                    break
                states.put(ColumnState(index, answer=answer))
        except PipelineError as exc:
            states.put(ColumnState(index, error=str(exc)))
        except Exception:
            log.exception("pipeline %s failed", pipeline.name)
            states.put(ColumnState(index, error=INTERNAL_ERROR))
        finally:
            if stream is not None:
                stream.close()  # releases the model if the consumer went away mid-answer
            states.put(index)

    workers = [
        threading.Thread(target=work, args=(i, p), name=f"pipeline-{p.name}", daemon=True)
        for i, p in enumerate(pipelines)
    ]
    for worker in workers:
        worker.start()
    running = len(workers)
    try:
        while running:
            item = states.get()
            if isinstance(item, int):
                running -= 1
            else:
                yield item
    finally:
        stop.set()
