"""The persistent Chroma index of the corpus, rebuilt when the corpus content changes.

Each build goes into a fresh collection named after the corpus hash; `current.json` is switched to
it only when the build is complete, so an interrupted build leaves the previous index in use.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from pipelines.config import Config
from pipelines.corpus import corpus_hash, read_corpus, split
from pipelines.files import replace_atomically
from pipelines.threads import on_all_cores

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (chunks done, chunks total)
_BATCH = 64


@dataclass(frozen=True)
class Hit:
    document: Document
    score: float  # cosine similarity of query and chunk, 1 = identical direction


class Index:
    def __init__(self, store: Any, corpus_hash: str, size: int) -> None:
        self.store = store
        self.corpus_hash = corpus_hash
        self.size = size

    def search(self, query: str, k: int) -> list[Hit]:
        """The k most similar chunks, best first."""
        pairs = self.store.similarity_search_with_relevance_scores(query, k=k)
        return [Hit(doc, float(score)) for doc, score in pairs]


def open_index(config: Config, embeddings: Any, progress: Progress | None = None) -> Index:
    """Open the index for the current corpus, building it first if the corpus changed."""
    import chromadb

    root = config.data_path / "index"
    root.mkdir(parents=True, exist_ok=True)
    client = chromadb.PersistentClient(path=str(root))
    files = read_corpus(Path(config.corpus_dir))
    if not files:
        log.warning("no documents (.md, .txt) in %s (APP_CORPUS_DIR)", config.corpus_dir)
    wanted = corpus_hash(files, config.chunk_size, config.chunk_overlap, config.embedder)
    name = f"corpus-{wanted[:24]}"
    manifest = root / "current.json"
    current = _read_manifest(manifest)
    if current.get("collection") != name or name not in _names(client):
        chunks = split(files, config.chunk_size, config.chunk_overlap)
        on_all_cores(lambda: _build(client, name, chunks, embeddings, progress))
        _write_manifest(manifest, {"collection": name, "hash": wanted, "chunks": len(chunks)})
    for stale in _names(client) - {name}:
        client.delete_collection(stale)
    store = _store(client, name, embeddings)
    return Index(store, wanted, store._collection.count())


def _build(
    client: Any,
    name: str,
    chunks: list[Document],
    embeddings: Any,
    progress: Progress | None,
) -> None:
    started = time.perf_counter()
    if name in _names(client):
        client.delete_collection(name)  # left over from an interrupted build
    store = _store(client, name, embeddings)
    for start in range(0, len(chunks), _BATCH):
        batch = chunks[start : start + _BATCH]
        ids = [f"{d.metadata['document']}#{d.metadata['chunk']}" for d in batch]
        store.add_documents(batch, ids=ids)
        if progress:
            progress(start + len(batch), len(chunks))
    log.info("indexed %d chunks in %.1f s", len(chunks), time.perf_counter() - started)


def _store(client: Any, name: str, embeddings: Any) -> Any:
    from langchain_chroma import Chroma

    return Chroma(
        client=client,
        collection_name=name,
        embedding_function=embeddings,
        collection_metadata={"hnsw:space": "cosine"},
    )


def _names(client: Any) -> set[str]:
    return {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_manifest(path: Path, data: dict[str, Any]) -> None:
    replace_atomically(path, lambda partial: partial.write_text(json.dumps(data, indent=2)))
