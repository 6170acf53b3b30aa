"""How the RAG index grows with the corpus: for each size, in a fresh process, the time to add
the vectors, the size on disk, retrieval latency and the process's memory; and the embedder's
speed, from which the time to embed that many chunks is extrapolated."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.machine import in_fresh_process, machine, memory_mb
from benchmarks.results import TEST_SET, write_json
from benchmarks.retrieval import retrieval_at_scale
from common.config import Config
from common.files import time_stamp
from common.logs import setup
from documents.chroma import collection
from evaluation.run import load_questions
from pipelines.resources import Resources

log = logging.getLogger(__name__)


def index_sizes(
    sizes: Sequence[int], queries: int, sample: int, out: str = ""
) -> tuple[dict[str, Any], Path]:
    """Each index size measured in a fresh process (`queries` test questions each), the
    embedder timed on `sample` real chunks; the results and the JSON file written (`out`, or
    else the data folder's benchmarks/sizing-<time>.json)."""
    config = Config.from_env()
    results: dict[str, Any] = {
        "machine": machine(config),
        "embedding": in_fresh_process(embedding_rate, sample),
        "sizes": [],
    }
    for chunks in sizes:
        results["sizes"].append(in_fresh_process(measure_size, chunks, queries))
        log.info("%d chunks: %s", chunks, results["sizes"][-1])
    path = write_json(results, out, config.data_path / "benchmarks" / f"sizing-{time_stamp()}.json")
    return results, path


def measure_size(chunks: int, queries: int) -> dict[str, Any]:
    """One index size, in this (fresh) process: retrieval at scale, and the memory before."""
    setup()
    config = Config.from_env()
    resources = Resources(config)
    index = resources.index()
    embeddings = resources.embeddings()
    questions = [item["question"] for item in load_questions([TEST_SET])][:queries]
    embeddings.embed_query(questions[0])  # the embedder's first call allocates its buffers
    before = memory_mb(os.getpid(), "VmRSS:")
    log.info("%d chunks: building", chunks)
    result = retrieval_at_scale(index, embeddings, questions, chunks, config.top_k)
    return {**result, "rss_before_mb": before}


def embedding_rate(sample: int) -> dict[str, float]:
    """Chunks per second the embedder encodes, over up to `sample` of the app's real chunks."""
    setup()
    resources = Resources(Config.from_env())
    store = resources.index().store
    texts = collection(store).get(include=["documents"], limit=sample)["documents"]
    embeddings = resources.embeddings()
    embeddings.embed_documents(texts[:8])  # warm-up
    started = time.perf_counter()
    embeddings.embed_documents(texts)
    seconds = time.perf_counter() - started
    return {"chunks": len(texts), "seconds": seconds, "chunks_per_s": len(texts) / seconds}


def table(results: dict[str, Any]) -> str:
    """The sizes as a Markdown table."""
    rate = results["embedding"]["chunks_per_s"]
    lines = [
        "| chunks | index on disk | vectors added | embedding them (extrapolated) "
        "| retrieval p50 / p95 | of which vector search | process memory (RSS) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results["sizes"]:
        lines.append(
            f"| {r['chunks']:,} | {r['disk_mb']:.0f} MB | {_duration(r['build_s'])} "
            f"| {_duration(r['chunks'] / rate)} | {r['p50_ms']:.1f} / {r['p95_ms']:.1f} ms "
            f"| {r['search_p50_ms']:.1f} / {r['search_p95_ms']:.1f} ms "
            f"| {r['rss_mb']:.0f} MB (+{r['rss_mb'] - r['rss_before_mb']:.0f}) |"
        )
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
