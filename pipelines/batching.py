"""Continuous batching: every running answer advances by one token per forward pass.

One worker thread owns the model. A new request is prefilled on its own (no padding, so its
first token comes as soon as its prompt is read), then joins the running batch: its key/value
cache is left-padded to the batch's length and stacked, and from then on one forward pass
decodes the next token of every row. Rows choose their adapter through PEFT's
``adapter_names`` ("__base__" = none), so base, RAG and LoRA answers share each pass while the
base rows never see the adapter. A finished or cancelled row leaves the batch at once.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# What a request's queue receives: token ids, then None (finished) or the exception that ended it.
Event = list[int] | BaseException | None


@dataclass(eq=False)
class Request:
    """One answer to generate. Tokens arrive on `out`; set `cancelled` to stop early."""

    ids: list[int]
    adapter: str | None  # an adapter name, "__base__", or None when the model has no adapter
    max_new_tokens: int
    temperature: float = 0.0
    min_new_tokens: int = 0  # ignore end-of-sequence before this many tokens (benchmarks)
    out: queue.Queue[Event] = field(default_factory=queue.Queue)
    cancelled: threading.Event = field(default_factory=threading.Event)


@dataclass(eq=False)
class _Row:
    request: Request
    length: int  # real tokens in the cache (prompt + fed back), i.e. the next position
    generated: int = 0
    next_token: int = 0


class Batcher:
    """Serves Requests from one thread; `max_batch` rows decode together at most."""

    def __init__(self, model: Any, eos_ids: set[int], max_batch: int = 8) -> None:
        self.model = model
        self.eos_ids = eos_ids
        self.max_batch = max_batch
        self.uses_adapters = hasattr(model, "peft_config")
        self._rows = threading.local()  # adapter names of the pass this thread is running
        if self.uses_adapters:
            self._install_adapter_hooks()
        self._pending: queue.Queue[Request] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.passes = 0  # forward passes run, for tests and the benchmark
        self.max_rows_seen = 0

    def submit(self, request: Request) -> Request:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name="batcher", daemon=True)
                self._thread.start()
        self._pending.put(request)
        return request

    def _serve(self) -> None:
        import torch

        rows: list[_Row] = []
        cache: Any = None
        mask: Any = None
        while True:
            try:
                with torch.inference_mode():
                    rows, cache, mask = self._admit(rows, cache, mask, block=not rows)
                    if rows:
                        rows, cache, mask = self._step(rows, cache, mask)
            except Exception as exc:  # a failed pass ends the answers in it, not the server
                log.exception("generation failed")
                for row in rows:
                    row.request.out.put(exc)
                rows, cache, mask = [], None, None

    # -- joining -------------------------------------------------------------------------

    def _admit(self, rows: list[_Row], cache: Any, mask: Any, block: bool) -> tuple:
        while len(rows) < self.max_batch:
            try:
                request = self._pending.get(block=block)
            except queue.Empty:
                break
            block = False
            if request.cancelled.is_set():
                request.out.put(None)
                continue
            try:
                row, row_cache = self._prefill(request)
            except Exception as exc:
                log.exception("prefill failed")
                request.out.put(exc)
                continue
            if row is not None:
                rows, cache, mask = self._join(rows, cache, mask, row, row_cache)
        return rows, cache, mask

    def _prefill(self, request: Request) -> tuple[_Row | None, Any]:
        import torch
        from transformers import DynamicCache

        ids = torch.tensor([request.ids])
        cache = DynamicCache()
        out = self._forward([request], input_ids=ids, past_key_values=cache, logits_to_keep=1)
        row = _Row(request, length=len(request.ids))
        if not self._emit(row, out.logits[0, -1]):
            return None, None
        return row, cache

    def _join(self, rows: list[_Row], cache: Any, mask: Any, row: _Row, row_cache: Any) -> tuple:
        import torch
        from transformers import DynamicCache

        row_layers = _layers(row_cache)
        row_mask = torch.ones(1, row.length, dtype=torch.long)
        if not rows:
            return [row], row_cache, row_mask
        layers = _layers(cache)
        width = max(mask.shape[1], row.length)
        merged = [
            (
                torch.cat([_pad_left(k, width), _pad_left(rk, width)]),
                torch.cat([_pad_left(v, width), _pad_left(rv, width)]),
            )
            for (k, v), (rk, rv) in zip(layers, row_layers, strict=True)
        ]
        mask = torch.cat([_pad_left(mask, width, dim=1), _pad_left(row_mask, width, dim=1)])
        return [*rows, row], DynamicCache(ddp_cache_data=merged), mask

    # -- decoding ------------------------------------------------------------------------

    def _step(self, rows: list[_Row], cache: Any, mask: Any) -> tuple:
        import torch

        self.max_rows_seen = max(self.max_rows_seen, len(rows))
        mask = torch.cat([mask, torch.ones(len(rows), 1, dtype=torch.long)], dim=1)
        out = self._forward(
            [r.request for r in rows],
            input_ids=torch.tensor([[r.next_token] for r in rows]),
            attention_mask=mask,
            position_ids=torch.tensor([[r.length] for r in rows]),
            past_key_values=cache,
        )
        keep = []
        for i, row in enumerate(rows):
            row.length += 1
            if self._emit(row, out.logits[i, -1]):
                keep.append(i)
        if len(keep) == len(rows):
            return rows, cache, mask
        if not keep:
            return [], None, None
        index = torch.tensor(keep)
        cache.batch_select_indices(index)
        mask = mask[index]
        unused = int((mask.sum(dim=0) == 0).sum())  # columns that only held finished rows
        if unused:
            cache = _trim_left(cache, unused)
            mask = mask[:, unused:]
        return [rows[i] for i in keep], cache, mask

    def _emit(self, row: _Row, logits: Any) -> bool:
        """Pick and send the row's next token; False when the row is finished."""
        import torch

        request = row.request
        if request.cancelled.is_set():
            request.out.put(None)
            return False
        if request.temperature > 0:
            probs = torch.softmax(logits.float() / request.temperature, dim=-1)
            token = int(torch.multinomial(probs, 1))
        else:
            token = int(torch.argmax(logits))
        ended = token in self.eos_ids and row.generated >= request.min_new_tokens
        if not ended:
            row.generated += 1
            row.next_token = token
            request.out.put([token])
        if ended or row.generated >= request.max_new_tokens:
            request.out.put(None)
            return False
        return True

    def _forward(self, requests: list[Request], **kwargs: Any) -> Any:
        """One forward pass, each row with its own adapter."""
        self._rows.names = [r.adapter for r in requests] if self.uses_adapters else None
        try:
            return self.model(use_cache=True, **kwargs)
        finally:
            self._rows.names = None
            self.passes += 1

    def _install_adapter_hooks(self) -> None:
        """Hand each LoRA layer the rows' adapter names, as PEFT's `adapter_names` argument
        does, but with hooks installed once: PEFT's per-call hooks walk every module on each
        pass, which costs more than the pass itself for a model this small."""
        from peft.tuners.lora import LoraLayer

        def inject(module: Any, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
            names = getattr(self._rows, "names", None)
            if names is not None:
                kwargs["adapter_names"] = names
            return args, kwargs

        for module in self.model.modules():
            if isinstance(module, LoraLayer):
                module.register_forward_pre_hook(inject, with_kwargs=True)


def _layers(cache: Any) -> list[tuple[Any, Any]]:
    return [(layer.keys, layer.values) for layer in cache.layers]


def _pad_left(tensor: Any, width: int, dim: int = 2) -> Any:
    import torch

    missing = width - tensor.shape[dim]
    if missing <= 0:
        return tensor
    shape = list(tensor.shape)
    shape[dim] = missing
    return torch.cat([tensor.new_zeros(shape), tensor], dim=dim)


def _trim_left(cache: Any, columns: int) -> Any:
    from transformers import DynamicCache

    return DynamicCache(
        ddp_cache_data=[(k[:, :, columns:], v[:, :, columns:]) for k, v in _layers(cache)]
    )
