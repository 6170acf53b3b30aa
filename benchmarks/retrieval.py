"""Retrieval latency on a large index: the app's real chunks plus perturbed copies of their
vectors, searched as the RAG column searches."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.machine import memory_mb
from documents.chroma import collection
from documents.index import Index
from evaluation.metrics import percentile

BATCH = 2000  # vectors added to the scratch index per call


def retrieval_at_scale(
    index: Index, embeddings: Any, queries: Sequence[str], chunks: int, k: int, seed: int = 7
) -> dict[str, float]:
    """Query latency (embedding + vector search, as the RAG column does) on a Chroma index of
    `chunks` chunks: the app's real chunks plus perturbed copies of their vectors, so the
    index has realistic neighbours without embedding thousands of new texts. Also the vector
    search alone, the time to add the vectors, the index's size on disk and this process's
    resident memory after."""
    real = collection(index.store).get(include=["embeddings", "documents", "metadatas"])
    with tempfile.TemporaryDirectory() as folder:
        store = _scratch_store(folder, embeddings)
        started = time.perf_counter()
        _add_perturbed_copies(collection(store), real, chunks, seed)
        build_s = time.perf_counter() - started
        whole, embedding, search = _query_times(store, embeddings, queries, k)
        size = collection(store).count()
        disk = sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())
    return {
        "chunks": size,
        "p50_ms": percentile(whole, 50) * 1000,
        "p95_ms": percentile(whole, 95) * 1000,
        "embed_p50_ms": percentile(embedding, 50) * 1000,
        "search_p50_ms": percentile(search, 50) * 1000,
        "search_p95_ms": percentile(search, 95) * 1000,
        "build_s": build_s,
        "disk_mb": disk / 2**20,
        "rss_mb": memory_mb(os.getpid(), "VmRSS:"),
    }


def _scratch_store(folder: str, embeddings: Any) -> Any:
    """An empty Chroma store in `folder`, set up as the app's index is (cosine distance)."""
    import chromadb
    from langchain_chroma import Chroma

    return Chroma(
        client=chromadb.PersistentClient(path=folder),
        collection_name="scale",
        embedding_function=embeddings,
        collection_metadata={"hnsw:space": "cosine"},
    )


def _add_perturbed_copies(collection: Any, real: dict[str, Any], chunks: int, seed: int) -> None:
    """`chunks` copies of randomly picked `real` chunks (Chroma's get() of the app's index),
    each vector moved by a little noise."""
    import numpy as np

    vectors = np.asarray(real["embeddings"], dtype=np.float32)
    rng = np.random.default_rng(seed)
    for start in range(0, chunks, BATCH):
        count = min(BATCH, chunks - start)
        picks = rng.integers(0, len(vectors), count)
        noisy = vectors[picks] + rng.normal(0, 0.05, (count, vectors.shape[1]))
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        collection.add(
            ids=[f"c{start + i}" for i in range(count)],
            embeddings=noisy.astype(np.float32),
            documents=[real["documents"][p] for p in picks],
            metadatas=[real["metadatas"][p] for p in picks],
        )


def _query_times(
    store: Any, embeddings: Any, queries: Sequence[str], k: int
) -> tuple[list[float], list[float], list[float]]:
    """Seconds per query: the whole search (the query embedded too, as the RAG column does),
    the query's embedding alone, and the vector search alone."""
    store.similarity_search_with_relevance_scores(queries[0], k=k)  # warm-up
    whole = [_timed(store.similarity_search_with_relevance_scores, q, k=k)[0] for q in queries]
    embedded = [_timed(embeddings.embed_query, q) for q in queries]
    search = store.similarity_search_by_vector_with_relevance_scores
    alone = [_timed(search, vector, k=k)[0] for _, vector in embedded]
    return whole, [seconds for seconds, _ in embedded], alone


def _timed(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    """(seconds it took, what it returned) of one call."""
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result
