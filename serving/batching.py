"""Continuous batching: every running answer advances by one token per step.

One worker thread owns the model. A new request is prefilled on its own (no padding, so its
first token comes as soon as its prompt is read), then joins the running batch; from then on
each step decodes the next token of every row. Where the rows live (a transformers key/value
cache, or llama.cpp sequences) is the job of a `Rows` backend; this module only schedules,
picks tokens and streams them. A finished or cancelled row leaves the batch at once.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from common.config import Config

log = logging.getLogger(__name__)

# What a request's queue receives: token ids, then None (finished) or the exception that ended it.
Event = list[int] | BaseException | None


@dataclass(eq=False)
class Request:
    """One answer to generate. Tokens arrive on `out`; set `cancelled` to stop early."""

    ids: list[int]
    adapter: str | None  # an adapter's name (serving/engine.py), or None for the base weights
    max_new_tokens: int
    temperature: float = 0.0
    min_new_tokens: int = 0  # ignore end-of-sequence before this many tokens (benchmarks)
    cached_tokens: int = 0  # set by the rows: prompt tokens restored from their prompt cache
    out: queue.Queue[Event] = field(default_factory=queue.Queue)
    cancelled: threading.Event = field(default_factory=threading.Event)


class Rows(Protocol):
    """The running batch inside a model. Logits are 1-D float32 numpy arrays."""

    def prefill(self, request: Request) -> Any:
        """Read the request's prompt, add it as the last row; the next token's logits."""
        ...

    def decode(self, tokens: list[int]) -> list[Any]:
        """Feed one token per row (in row order); each row's next-token logits."""
        ...

    def keep(self, indices: list[int]) -> None:
        """Keep only these rows, in this order; forget the others."""
        ...

    def start(self) -> None:
        """Called once from the serving thread before its first request."""
        ...

    def forget(self) -> None:
        """Drop what is kept of earlier prompts for reuse, so that the next prompt is read
        whole (to time a prompt as new); only while no request is in flight."""
        ...


@dataclass(eq=False)
class _Row:
    request: Request
    generated: int = 0
    next_token: int = 0


_CLOSE: Any = object()  # put on the queue by Batcher.close()


class Batcher:
    """Serves Requests from one thread; at most `max_batch` rows decode together."""

    def __init__(
        self, rows: Rows, eos_ids: set[int], max_batch: int = Config.max_batch, seed: int = 0
    ) -> None:
        import numpy as np

        self.rows = rows
        self.eos_ids = eos_ids
        self.max_batch = max_batch
        self._rng = np.random.default_rng(seed)
        self._pending: queue.Queue[Request] = queue.Queue()
        self._waiting: list[Request] = []  # taken from the queue, not yet in the batch
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._active: list[_Row] = []
        self._closing = False
        self.passes = 0  # prefills and decode steps run, for tests and the benchmark
        self.max_rows_seen = 0

    def submit(self, request: Request) -> Request:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name="batcher", daemon=True)
                self._thread.start()
        self._pending.put(request)
        return request

    def close(self) -> None:
        """Finish the answers already submitted, then stop the serving thread (when the engine
        is replaced, e.g. after retraining)."""
        self._pending.put(_CLOSE)

    def _serve(self) -> None:
        self.rows.start()
        while not (self._closing and not self._active and not self._waiting):
            try:
                self._admit(block=not self._active)
                if self._active:
                    self._step()
            except Exception as exc:  # a failed pass ends the answers in it, not the server
                log.exception("generation failed")
                for row in self._active:
                    row.request.out.put(exc)
                self._active = []
                self.rows.keep([])

    def _admit(self, block: bool) -> None:
        """Prefill waiting requests into free rows, shortest prompt first: a long RAG prompt
        then does not hold back the first token of the short ones that came with it."""
        taken = [self._pending.get()] if block and not self._waiting else []
        while True:
            try:
                taken.append(self._pending.get_nowait())
            except queue.Empty:
                break
        self._closing = self._closing or _CLOSE in taken
        self._waiting += [r for r in taken if r is not _CLOSE]
        self._waiting.sort(key=lambda r: len(r.ids))
        while self._waiting and len(self._active) < self.max_batch:
            request = self._waiting.pop(0)
            if request.cancelled.is_set():
                request.out.put(None)
                continue
            try:
                logits = self.rows.prefill(request)
            except Exception as exc:  # this request's prompt failed; the batch goes on
                log.exception("prefill failed")
                request.out.put(exc)
                continue
            self.passes += 1
            row = _Row(request)
            if self._emit(row, logits):
                self._active.append(row)
            else:
                self.rows.keep(list(range(len(self._active))))

    def _step(self) -> None:
        self.max_rows_seen = max(self.max_rows_seen, len(self._active))
        logits = self.rows.decode([row.next_token for row in self._active])
        self.passes += 1
        keep = [i for i, row in enumerate(self._active) if self._emit(row, logits[i])]
        if len(keep) < len(self._active):
            self.rows.keep(keep)
            self._active = [self._active[i] for i in keep]

    def _emit(self, row: _Row, logits: Any) -> bool:
        """Pick and send the row's next token; False when the row is finished."""
        request = row.request
        if request.cancelled.is_set():
            request.out.put(None)
            return False
        token = self._pick(logits, request.temperature)
        ended = token in self.eos_ids and row.generated >= request.min_new_tokens
        if not ended:
            row.generated += 1
            row.next_token = token
            request.out.put([token])
        if ended or row.generated >= request.max_new_tokens:
            request.out.put(None)
            return False
        return True

    def _pick(self, logits: Any, temperature: float) -> int:
        import numpy as np

        if temperature <= 0:
            return int(np.argmax(logits))
        scaled = logits.astype(np.float64) / temperature
        probs = np.exp(scaled - scaled.max())
        return int(self._rng.choice(len(probs), p=probs / probs.sum()))
