"""How the RAG index grows with the corpus: size on disk, build time, retrieval latency, memory.

    python -m scripts.sizing                                # 1,000 to 100,000 chunks, ~4 min
    python -m scripts.sizing --chunks 1000,10000 --out sizing.json

Each size is measured in a fresh process, as an app holding that index runs: it opens the app's
own index (building it first if needed), then builds a Chroma index of N chunks from the real
chunks' vectors with noise added (benchmarks.retrieval.retrieval_at_scale), so that 100,000 chunks
need no 100,000 embeddings. Measured per size: the time to add the vectors, the index's size on
disk, the retrieval latency p50/p95 over the test questions (query embedding included, as the RAG
column searches; and the vector search alone) and the process's resident memory before and
after. The embedding time of N chunks is extrapolated from the embedder's measured speed on the
real chunks. Prints a Markdown table; writes JSON to --out (default: data
folder/benchmarks/sizing-<time>.json).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from benchmarks.retrieval import memory_mb, retrieval_at_scale
from common.config import REPO_ROOT, Config
from common.logs import setup
from evaluation.run import load_questions
from pipelines.resources import Resources
from scripts.benchmark import machine

log = logging.getLogger("sizing")

TEST_SET = REPO_ROOT / "data" / "qa" / "test.jsonl"


def measure(chunks: int, queries: int) -> dict[str, Any]:
    """One index size, in this (fresh) process."""
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
    texts = store._collection.get(include=["documents"], limit=sample)["documents"]
    embeddings = resources.embeddings()
    embeddings.embed_documents(texts[:8])  # warm-up
    started = time.perf_counter()
    embeddings.embed_documents(texts)
    seconds = time.perf_counter() - started
    return {"chunks": len(texts), "seconds": seconds, "chunks_per_s": len(texts) / seconds}


def in_fresh_process(function: Any, *args: Any) -> Any:
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def table(results: dict[str, Any]) -> str:
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


def main(argv: list[str] | None = None) -> None:
    setup()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", default="1000,10000,100000", help="comma-separated sizes")
    parser.add_argument("--queries", type=int, default=120, help="test questions per size")
    parser.add_argument("--sample", type=int, default=256, help="chunks to time the embedder on")
    parser.add_argument("--out", default="", help="JSON file to write")
    args = parser.parse_args(argv)
    config = Config.from_env()
    results: dict[str, Any] = {
        "machine": machine(config),
        "embedding": in_fresh_process(embedding_rate, args.sample),
        "sizes": [],
    }
    for chunks in (int(n) for n in args.chunks.split(",")):
        results["sizes"].append(in_fresh_process(measure, chunks, args.queries))
        log.info("%d chunks: %s", chunks, results["sizes"][-1])
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(args.out or config.data_path / "benchmarks" / f"sizing-{stamp}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(table(results))  # noqa: T201 - the table is this command's output
    log.info("wrote %s", out)


if __name__ == "__main__":
    main()
