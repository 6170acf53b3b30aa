"""The batch rows on llama.cpp (llama-cpp-python's C API) over a GGUF file (by default the shipped
model re-encoded as bf16, see `llama_engine.py`).

One model, one context per adapter plus the plain one (llama.cpp sets adapters per context, so
rows with different adapters cannot share a pass). Each row is a sequence in its context's
key/value cache; a step decodes the rows of each context in a pass of their own: the plain rows
in one, the recall adapter's in a second, the reader's in a third.

Each context also keeps the key/value entries of its recent prompts: a new prompt that starts
like one of them (the RAG instructions, the conversation so far in a follow-up question) copies
that part instead of reading it again, and is read only from where it differs; a prompt asked
again is not read at all.
"""

from __future__ import annotations

import ctypes
import logging
import os
from dataclasses import dataclass
from typing import Any

from serving.batching import Request

log = logging.getLogger(__name__)

MIN_REUSE = 8  # fewer tokens in common are read again rather than copied
# A prompt read partly from the cache can round differently from one read whole: a pass of one
# token runs other kernels than a pass of several (its logits differed on every prompt measured),
# and in prompts of several hundred tokens the split point, like the cells other rows hold,
# moves the last bits too. So the remainder is never one token, and a prompt seen before is
# restored whole with its logits, never re-split: asked again, it answers exactly as before.
MIN_READ = 2


@dataclass(eq=False)
class _Seq:
    context: _Context
    seq: int
    position: int = 0


@dataclass
class _Cached:
    """A prompt read before: its key/value entries (llama.cpp's sequence state) and the logits
    that followed it."""

    ids: list[int]
    state: Any  # ctypes byte array
    logits: Any  # numpy float32

    @property
    def size(self) -> int:
        return len(self.state) + self.logits.nbytes


def common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def passes(start: int, end: int, size: int = 512) -> list[tuple[int, int]]:
    """Split the positions start..end-1 into passes of at most `size`, none of one token
    (unless there is only one to read)."""
    out = []
    while start < end:
        stop = min(start + size, end)
        if end - stop == 1:
            stop -= 1
        out.append((start, stop))
        start = stop
    return out


class _Context:
    def __init__(
        self, model: Any, n_ctx: int, max_seqs: int, threads: int, lora: Any, cache_bytes: int
    ) -> None:
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
                lc.llama_free(self.ctx)
                raise RuntimeError("llama.cpp could not apply the LoRA adapter")
        self.memory = lc.llama_get_memory(self.ctx)
        self.free = list(range(max_seqs))
        self.batch = lc.llama_batch_init(512, 0, 1)
        self.cache_bytes = cache_bytes
        self.cache: list[_Cached] = []  # least recently used first

    def start(self, ids: list[int]) -> tuple[int, int, Any]:
        """A free sequence that already holds the longest cached beginning of `ids`: (sequence,
        tokens it holds, the logits after them when it holds all of `ids`, else None). A prompt
        seen before is restored whole, with its logits, so that it answers exactly as it did;
        otherwise at least MIN_READ tokens are left to read."""
        import llama_cpp as lc

        if not self.free:
            raise RuntimeError("no free sequence slot")
        seq = self.free.pop()
        exact = next((c for c in self.cache if c.ids == ids), None)
        best = exact or max(self.cache, key=lambda c: common_prefix(c.ids, ids), default=None)
        if best is None:
            return seq, 0, None
        same = best is exact
        reused = len(ids) if same else min(common_prefix(best.ids, ids), len(ids) - MIN_READ)
        if reused < MIN_REUSE:
            return seq, 0, None
        if not lc.llama_state_seq_set_data(self.ctx, best.state, len(best.state), seq):
            lc.llama_memory_seq_rm(self.memory, seq, -1, -1)
            return seq, 0, None  # no room in one piece: read the whole prompt
        lc.llama_memory_seq_rm(self.memory, seq, reused, -1)
        self.cache.remove(best)
        self.cache.append(best)
        return seq, reused, best.logits.copy() if same else None

    def remember(self, seq: int, ids: list[int], logits: Any) -> None:
        """Keep a copy of the prompt just read (all `seq` holds) and its logits for later
        prompts; past `cache_bytes` the least recently used go. A prompt it extends stays: only
        its own entry brings it back with its logits, exactly as it was read."""
        import llama_cpp as lc

        size = lc.llama_state_seq_get_size(self.ctx, seq)
        if size + logits.nbytes > self.cache_bytes:
            return
        state = (ctypes.c_uint8 * size)()
        if lc.llama_state_seq_get_data(self.ctx, state, size, seq) != size:
            return
        self.cache = [c for c in self.cache if c.ids != ids]
        self.cache.append(_Cached(list(ids), state, logits.copy()))
        while sum(c.size for c in self.cache) > self.cache_bytes:
            self.cache.pop(0)

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
        max_batch: int,
        n_ctx: int = 8192,
        threads: int | None = None,
        cache_mb: int = 48,
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
        # what every context is made with: (n_ctx, sequences, threads, prompt cache bytes)
        self._sizes = (n_ctx, max_batch, threads or os.cpu_count() or 1, cache_mb << 20)
        self.plain = self._context(None)
        self.contexts: dict[str | None, _Context] = {None: self.plain}  # by adapter name
        self.rows: list[_Seq] = []
        self.reused_tokens = 0  # prompt tokens copied from the cache instead of read

    def _context(self, lora: Any) -> _Context:
        n_ctx, max_seqs, threads, cache_bytes = self._sizes
        return _Context(self.model, n_ctx, max_seqs, threads, lora, cache_bytes)

    def add_adapter(self, name: str, lora_gguf: str) -> None:
        """Serve the GGUF LoRA `lora_gguf` as `name`, in a context of its own; before the first
        request. Raises RuntimeError where llama.cpp cannot load or apply it."""
        import llama_cpp as lc

        lora = lc.llama_adapter_lora_init(self.model, lora_gguf.encode())
        if not lora:
            raise RuntimeError(f"llama.cpp could not load the LoRA adapter {lora_gguf}")
        self.contexts[name] = self._context(lora)

    def prefill(self, request: Request) -> Any:
        context = self.contexts.get(request.adapter)
        if context is None:
            raise RuntimeError(f"no LoRA adapter {request.adapter!r} is loaded")
        ids = request.ids
        seq, reused, logits = context.start(ids)
        row = _Seq(context, seq)
        try:
            for start, end in passes(reused, len(ids)):
                context.decode([(ids[i], i, row.seq, i == len(ids) - 1) for i in range(start, end)])
            if logits is None:
                logits = context.logits(-1, self.n_vocab)  # the last token of the last pass
                context.remember(row.seq, ids, logits)
        except Exception:
            context.release(row.seq)
            raise
        row.position = len(ids)
        self.rows.append(row)
        self.reused_tokens += reused
        request.cached_tokens = reused
        return logits

    def decode(self, tokens: list[int]) -> list[Any]:
        out: list[Any] = [None] * len(self.rows)
        for context in self.contexts.values():
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

    def forget(self) -> None:
        for context in self.contexts.values():
            context.cache = []
