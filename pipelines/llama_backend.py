"""The batch rows on llama.cpp (llama-cpp-python's C API): the GGUF file as it is, quantised.

One model, two contexts: one plain, one with the LoRA adapter (llama.cpp sets adapters per
context, so a row with the adapter and a row without cannot share a pass). Each row is a
sequence in its context's key/value cache; a step decodes every plain row in one pass and every
adapter row in a second pass.
"""

from __future__ import annotations

import ctypes
import logging
import os
from dataclasses import dataclass
from typing import Any

from pipelines.batching import Request
from pipelines.engine import ADAPTER

log = logging.getLogger(__name__)


@dataclass(eq=False)
class _Seq:
    context: _Context
    seq: int
    position: int = 0


class _Context:
    def __init__(self, model: Any, n_ctx: int, max_seqs: int, threads: int, lora: Any) -> None:
        import llama_cpp as lc

        params = lc.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = 512
        params.n_ubatch = 512
        params.n_seq_max = max_seqs
        params.n_threads = threads
        params.n_threads_batch = threads
        params.kv_unified = True  # the sequences share one cache of n_ctx tokens
        self.ctx = lc.llama_init_from_model(model, params)
        if not self.ctx:
            raise RuntimeError("llama.cpp could not create a context")
        if lora is not None:
            adapters = (lc.llama_adapter_lora_p_ctypes * 1)(lora)
            scales = (ctypes.c_float * 1)(1.0)
            if lc.llama_set_adapters_lora(self.ctx, adapters, 1, scales):
                raise RuntimeError("llama.cpp could not apply the LoRA adapter")
        self.memory = lc.llama_get_memory(self.ctx)
        self.free = list(range(max_seqs))
        self.batch = lc.llama_batch_init(512, 0, 1)

    def decode(self, items: list[tuple[int, int, int, bool]]) -> None:
        """Decode (token, position, sequence, wants logits) items, at most 512, in one pass."""
        import llama_cpp as lc

        batch = self.batch
        batch.n_tokens = len(items)
        for i, (token, position, seq, logits) in enumerate(items):
            batch.token[i] = token
            batch.pos[i] = position
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq
            batch.logits[i] = logits
        status = lc.llama_decode(self.ctx, batch)
        if status != 0:
            raise RuntimeError(f"llama.cpp decode failed ({status}); the cache may be full")

    def logits(self, i: int, n_vocab: int) -> Any:
        import llama_cpp as lc
        import numpy as np

        pointer = lc.llama_get_logits_ith(self.ctx, i)
        return np.ctypeslib.as_array(pointer, shape=(n_vocab,)).copy()

    def release(self, seq: int) -> None:
        import llama_cpp as lc

        lc.llama_memory_seq_rm(self.memory, seq, -1, -1)
        self.free.append(seq)


class LlamaRows:
    """Batch rows on llama.cpp: prefill one request, decode all rows, keep some."""

    def __init__(
        self,
        gguf: str,
        lora_gguf: str | None,
        max_batch: int,
        n_ctx: int = 8192,
        threads: int | None = None,
    ) -> None:
        import llama_cpp as lc

        # llama.cpp logs every tensor it loads; its Python binding forwards only this level.
        logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)
        lc.llama_backend_init()
        params = lc.llama_model_default_params()
        self.model = lc.llama_model_load_from_file(gguf.encode(), params)
        if not self.model:
            raise RuntimeError(f"llama.cpp could not load {gguf}")
        self.context_window = min(n_ctx, lc.llama_model_n_ctx_train(self.model))
        self.vocab = lc.llama_model_get_vocab(self.model)
        self.n_vocab = lc.llama_vocab_n_tokens(self.vocab)
        self.eos_ids = {t for t in range(self.n_vocab) if lc.llama_vocab_is_eog(self.vocab, t)} | {
            lc.llama_vocab_eos(self.vocab)
        }
        threads = threads or os.cpu_count() or 1
        self.lora = None
        if lora_gguf:
            self.lora = lc.llama_adapter_lora_init(self.model, lora_gguf.encode())
            if not self.lora:
                raise RuntimeError(f"llama.cpp could not load the LoRA adapter {lora_gguf}")
        self.plain = _Context(self.model, n_ctx, max_batch, threads, None)
        self.adapted = (
            _Context(self.model, n_ctx, max_batch, threads, self.lora) if self.lora else None
        )
        self.rows: list[_Seq] = []

    def prefill(self, request: Request) -> Any:
        context = self.adapted if request.adapter == ADAPTER else self.plain
        if context is None:
            raise RuntimeError("no LoRA adapter is loaded")
        if not context.free:
            raise RuntimeError("no free sequence slot")
        row = _Seq(context, context.free.pop())
        ids = request.ids
        try:
            for start in range(0, len(ids), 512):
                part = ids[start : start + 512]
                last = start + len(part) == len(ids)
                context.decode(
                    [
                        (t, start + j, row.seq, last and j == len(part) - 1)
                        for j, t in enumerate(part)
                    ]
                )
        except Exception:
            context.release(row.seq)
            raise
        row.position = len(ids)
        self.rows.append(row)
        return context.logits(-1, self.n_vocab)  # the last token of the last chunk

    def decode(self, tokens: list[int]) -> list[Any]:
        out: list[Any] = [None] * len(self.rows)
        for context in (self.plain, self.adapted):
            mine = [i for i, row in enumerate(self.rows) if row.context is context]
            if not mine:
                continue
            items = [(tokens[i], self.rows[i].position, self.rows[i].seq, True) for i in mine]
            context.decode(items)
            for j, i in enumerate(mine):
                out[i] = context.logits(j, self.n_vocab)
                self.rows[i].position += 1
        return out

    def keep(self, indices: list[int]) -> None:
        kept = set(indices)
        for i, row in enumerate(self.rows):
            if i not in kept:
                row.context.release(row.seq)
        self.rows = [self.rows[i] for i in indices]

    def start(self) -> None:
        """llama.cpp runs its own threads (`threads`, set per context)."""
