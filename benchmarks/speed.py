"""Generation speed, measured for the benchmark: one answer vs three together, per-stream decode
speed against llama.cpp on the same weights, and agreement with the float32 reference."""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.machine import in_fresh_process
from evaluation.metrics import contains
from serving.engine import BASE
from serving.local_engine import LocalEngine

# (prompt token ids, the adapter's name or None for the base weights)
Prompt = tuple[Any, str | None]


@dataclass(frozen=True)
class Timing:
    """One streamed answer: when it was asked, its first and last token, how many tokens."""

    start: float
    first: float
    end: float
    tokens: int
    text: str

    @property
    def decode_tok_s(self) -> float:
        return (self.tokens - 1) / (self.end - self.first) if self.end > self.first else 0.0


def stream_timed(engine: LocalEngine, prompt: Prompt, n: int, forced: bool = True) -> Timing:
    """Stream one answer; `forced` makes it exactly n tokens long (end-of-text ignored)."""
    ids, adapter = prompt
    start = time.perf_counter()
    first, tokens, text = 0.0, 0, ""
    for chunk in engine.stream(
        ids,
        adapter=adapter,
        max_new_tokens=n,
        temperature=0.0,
        min_new_tokens=n if forced else 0,
    ):
        first = first or time.perf_counter()
        tokens, text = chunk.tokens, chunk.text
    return Timing(start, first, time.perf_counter(), tokens, text)


def together(
    engine: LocalEngine, prompts: Sequence[Prompt], n: int, forced: bool = True
) -> list[Timing]:
    """All prompts at once, each from its own thread as the app's columns do."""
    results: list[Timing | None] = [None] * len(prompts)

    def run(i: int) -> None:
        results[i] = stream_timed(engine, prompts[i], n, forced)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(prompts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for r in results if r is not None]


def wall(timings: Sequence[Timing]) -> float:
    return max(t.end for t in timings) - min(t.start for t in timings)


def llama_cpp_decode(gguf: str, prompt: str, n: int, threads: int, runs: int = 3) -> float | None:
    """llama.cpp's decode speed (tokens/s, best of `runs`) through its own Python API on the
    GGUF file, in a fresh process so that no other runtime's threads compete; None if
    llama-cpp-python is not installed."""
    if importlib.util.find_spec("llama_cpp") is None:
        return None
    return in_fresh_process(_llama_cpp_decode, gguf, prompt, n, threads, runs)


def _llama_cpp_decode(gguf: str, prompt: str, n: int, threads: int, runs: int) -> float:
    import logging

    from llama_cpp import Llama

    logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)
    llm = Llama(model_path=gguf, n_ctx=2048, n_threads=threads, verbose=False)
    llm.create_completion(prompt, max_tokens=4, temperature=0.0)  # warm-up
    best = 0.0
    for _ in range(runs):
        first, tokens = 0.0, 0
        for _ in llm.create_completion(prompt, max_tokens=n, temperature=0.0, stream=True):
            first = first or time.perf_counter()
            tokens += 1
        best = max(best, (tokens - 1) / (time.perf_counter() - first))
    return best


def reference_answer(model: Any, tokenizer: Any, ids: Any, adapter: str | None, n: int) -> str:
    """transformers' own generate(), one answer at a time: the reference for greedy text."""
    import torch

    # On a PEFT model the adapter is active unless the row says "__base__".
    with_adapters = hasattr(model, "peft_config")
    extra = {"adapter_names": [adapter or BASE]} if with_adapters else {}
    with torch.inference_mode():
        out = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=n,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
            **extra,
        )
    return tokenizer.decode(out[0, ids.shape[-1] :], skip_special_tokens=True)


def agreement(
    engine: LocalEngine,
    reference: LocalEngine,
    groups: Sequence[Sequence[Prompt]],
    golds: Sequence[Sequence[Sequence[str]]],
    n: int,
) -> dict[str, float]:
    """Batched answers of `engine` vs one-at-a-time answers of the `reference` engine (float32):
    how many are identical, and whether the gold answer is found as often."""
    same = total = hits_engine = hits_reference = 0
    for prompts, answers in zip(groups, golds, strict=True):
        batched = together(engine, prompts, n, forced=False)
        for (ids, adapter), timing, gold in zip(prompts, batched, answers, strict=True):
            expected = reference_answer(reference.model, reference.tokenizer, ids, adapter, n)
            total += 1
            same += timing.text.strip() == expected.strip()
            hits_engine += contains(timing.text, gold)
            hits_reference += contains(expected, gold)
    return {
        "answers": total,
        "identical": same / total if total else 0.0,
        "contains_engine": hits_engine / total if total else 0.0,
        "contains_reference": hits_reference / total if total else 0.0,
    }
