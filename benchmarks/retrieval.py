"""Serving measurements for the benchmark: retrieval latency on a large index, and the real app's
start time and peak memory (a subprocess, as a user starts it)."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common.config import REPO_ROOT
from documents.index import Index


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def retrieval_at_scale(
    index: Index, embeddings: Any, queries: Sequence[str], chunks: int, k: int, seed: int = 7
) -> dict[str, float]:
    """Query latency (embedding + vector search, as the RAG column does) on a Chroma index of
    `chunks` chunks: the app's real chunks plus perturbed copies of their vectors, so the
    index has realistic neighbours without embedding thousands of new texts. Also the vector
    search alone, the time to add the vectors, the index's size on disk and this process's
    resident memory after."""
    import chromadb
    import numpy as np
    from langchain_chroma import Chroma

    real = index.store._collection.get(include=["embeddings", "documents", "metadatas"])
    vectors = np.asarray(real["embeddings"], dtype=np.float32)
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as folder:
        client = chromadb.PersistentClient(path=folder)
        store = Chroma(
            client=client,
            collection_name="scale",
            embedding_function=embeddings,
            collection_metadata={"hnsw:space": "cosine"},
        )
        collection = store._collection
        started = time.perf_counter()
        for start in range(0, chunks, 2000):
            count = min(2000, chunks - start)
            picks = rng.integers(0, len(vectors), count)
            noisy = vectors[picks] + rng.normal(0, 0.05, (count, vectors.shape[1]))
            noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
            collection.add(
                ids=[f"c{start + i}" for i in range(count)],
                embeddings=noisy.astype(np.float32),
                documents=[real["documents"][p] for p in picks],
                metadatas=[real["metadatas"][p] for p in picks],
            )
        build_s = time.perf_counter() - started
        store.similarity_search_with_relevance_scores(queries[0], k=k)  # warm-up
        times = []
        for query in queries:
            started = time.perf_counter()
            store.similarity_search_with_relevance_scores(query, k=k)
            times.append(time.perf_counter() - started)
        embed_times, vectors_of_queries = [], []
        for query in queries:
            started = time.perf_counter()
            vectors_of_queries.append(embeddings.embed_query(query))
            embed_times.append(time.perf_counter() - started)
        search_times = []  # the index's share alone, the query already embedded
        for vector in vectors_of_queries:
            started = time.perf_counter()
            store.similarity_search_by_vector_with_relevance_scores(vector, k=k)
            search_times.append(time.perf_counter() - started)
        size = collection.count()
        disk = sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())
    return {
        "chunks": size,
        "p50_ms": statistics.median(times) * 1000,
        "p95_ms": percentile(times, 0.95) * 1000,
        "embed_p50_ms": statistics.median(embed_times) * 1000,
        "search_p50_ms": statistics.median(search_times) * 1000,
        "search_p95_ms": percentile(search_times, 0.95) * 1000,
        "build_s": build_s,
        "disk_mb": disk / 2**20,
        "rss_mb": memory_mb(os.getpid(), "VmRSS:"),
    }


def app_start(env: dict[str, str], timeout_s: float = 180.0) -> dict[str, float]:
    """Start `python app.py` and time it until it answers HTTP; then ask one question through
    Gradio's API and read the process's peak resident memory."""
    port = _free_port()
    environ = {**os.environ, **env, "APP_PORT": str(port), "APP_HOST": "127.0.0.1"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=REPO_ROOT,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        ready = _wait_http(url, process, started + timeout_s) - started
        answered = _ask(url, "What is the default LAN IP address of the HX-40 on ETH2?")
        return {
            "ready_s": ready,
            "answered_s": answered,
            "peak_rss_mb": _peak_rss_mb(process.pid),
        }
    finally:
        process.terminate()
        process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, process: subprocess.Popen, deadline: float) -> float:
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with code {process.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter()
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"the app did not answer on {url} in time")


def _ask(url: str, question: str) -> float:
    """Seconds for the Chat tab to finish answering one question, through Gradio's client."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    started = time.perf_counter()
    client.predict(question, api_name="/answer_all")
    return time.perf_counter() - started


def _peak_rss_mb(pid: int) -> float:
    return memory_mb(pid, "VmHWM:")


def memory_mb(pid: int, key: str) -> float:
    """A memory figure of /proc/PID/status (VmRSS: now, VmHWM: peak) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return float("nan")
