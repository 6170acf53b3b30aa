"""The persistent Chroma index of the documents, brought up to date when they change.

Each change goes into a fresh collection: vectors of unchanged documents are copied from the
current one, only new or edited documents are embedded. `current.json` is switched to the new
collection when it is complete, so an interrupted update leaves the previous index in use.
The collections live in APP_DATA_DIR/index, or on the Chroma server at APP_CHROMA_URL; the
manifest stays in the data folder either way.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document

from common.config import Config
from common.errors import PipelineError
from common.files import read_json_object, replace_atomically
from common.logs import Progress
from common.threads import on_all_cores
from documents import chroma
from documents.chunks import CorpusFile, corpus_hash, split
from documents.keywords import KeywordIndex, fuse
from documents.store import Documents, text_hash

log = logging.getLogger(__name__)
MANIFEST = "current.json"  # which collection is the index, and what it holds

_BATCH = 64


@dataclass(frozen=True)
class Hit:
    document: Document
    score: float  # cosine similarity of query and chunk, 1 = identical direction


@dataclass(frozen=True)
class IndexSync:
    """What bringing the index up to date did."""

    embedded: tuple[str, ...]  # documents (new or changed) whose chunks were embedded
    removed: tuple[str, ...]  # documents no longer indexed
    reused: int  # documents whose vectors were copied unchanged
    chunks: int  # chunks embedded now
    seconds: float


class Index:
    def __init__(
        self,
        store: Any,
        corpus_hash: str,
        size: int,
        documents: dict[str, dict[str, Any]],
        signature: object = None,
        sync: IndexSync | None = None,
        server: str = "",
    ) -> None:
        self.store = store
        self.corpus_hash = corpus_hash
        self.size = size
        self.documents = documents  # path -> {"hash", "chunks"}
        self.signature = signature  # see index_signature
        self.sync = sync  # None when the index was already up to date
        self.server = server  # APP_CHROMA_URL, or "" for the embedded index
        self._keywords: KeywordIndex | None = None
        self._keywords_lock = threading.Lock()

    def search(self, query: str, k: int) -> list[Hit]:
        """The k most similar chunks, best first."""
        with self._server_errors():
            pairs = self.store.similarity_search_with_relevance_scores(query, k=k)
        return [Hit(doc, float(score)) for doc, score in pairs]

    def hybrid_search(self, query: str, k: int, pool: int = 20) -> list[Hit]:
        """The k best chunks by the fusion of two rankings of `pool` each: vector similarity
        and BM25 keywords (documents/keywords.py). Every hit's score is still its cosine
        similarity to the query, so that thresholds and the sources panel read the same."""
        with self._server_errors():
            vector = self.store.embeddings.embed_query(query)
            pairs = self.store.similarity_search_by_vector_with_relevance_scores(vector, k=pool)
            dense = {doc.id: Hit(doc, 1.0 - float(distance)) for doc, distance in pairs}
            chosen = fuse([list(dense), self.keywords().search(query, pool)], k)
            return [hit for _, hit in self._hits(chosen, vector, dense)]

    def keywords(self) -> KeywordIndex:
        """The BM25 index of this collection's chunks, built on first use."""
        with self._keywords_lock:
            if self._keywords is None:
                got = chroma.collection(self.store).get(include=["documents"])
                self._keywords = KeywordIndex(got["ids"], got["documents"])
            return self._keywords

    def _hits(
        self, ids: list[str], vector: list[float], known: dict[str, Hit]
    ) -> list[tuple[str, Hit]]:
        """(id, Hit) in the order of `ids`; chunks the vector search did not return are read
        from the collection with their stored vectors, to score them the same way."""
        missing = [key for key in ids if key not in known]
        found: dict[str, Hit] = {}
        if missing:
            got = chroma.collection(self.store).get(
                ids=missing, include=["documents", "metadatas", "embeddings"]
            )
            query = np.asarray(vector)
            for key, text, meta, stored in zip(
                got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
            ):
                document = Document(page_content=text, metadata=meta, id=key)
                found[key] = Hit(document, float(np.asarray(stored) @ query))
        return [(key, known.get(key) or found[key]) for key in ids]

    @contextmanager
    def _server_errors(self) -> Iterator[None]:
        """A Chroma server that stopped answering is a PipelineError naming APP_CHROMA_URL."""
        try:
            yield
        except Exception as exc:
            import httpx

            if self.server and isinstance(exc, httpx.TransportError):
                raise PipelineError(chroma.unreachable(self.server, exc)) from None
            raise


def open_index(
    config: Config,
    embeddings: Any,
    progress: Progress | None = None,
    documents: Documents | None = None,
) -> Index:
    """Open the index of the current documents, updating it first if they changed."""
    documents = documents or Documents(config)
    folders = documents.signature()
    files = documents.files()
    if not files:
        log.warning("no documents (.md, .txt) in %s (APP_CORPUS_DIR)", config.corpus_dir)
    root = index_dir(config)
    client, prefix = chroma.connect(config, root)
    wanted = corpus_hash(files, config.chunk_size, config.chunk_overlap, config.embedder)
    name = f"{prefix}corpus-{wanted[:24]}"
    manifest = root / MANIFEST
    current = read_json_object(manifest)
    sync = None
    if not _usable(client, name, current):
        settings = _settings(config)
        old = current if current.get("settings") == settings else {}
        if old and not _usable(client, old.get("collection", ""), old):
            log.warning("the index in %s is incomplete; rebuilding it", root)
            old = {}
        build = _Build(client, name, embeddings, progress)
        sync, indexed = on_all_cores(lambda: build.run(files, old, config))
        _write_manifest(
            manifest,
            {
                "collection": name,
                "hash": wanted,
                "settings": settings,
                "chunks": sum(d["chunks"] for d in indexed.values()),
                "documents": indexed,
                "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )
        current = read_json_object(manifest)
    for stale in chroma.names(client) - {name}:
        if stale.startswith(prefix):  # a shared server also holds other data folders' indexes
            client.delete_collection(stale)
    store = chroma.store(client, name, embeddings)
    size = chroma.collection(store).count()
    indexed = current.get("documents", {})
    signature = (folders, _stamp(manifest))
    return Index(store, wanted, size, indexed, signature, sync, config.chroma_url)


def index_dir(config: Config) -> Path:
    """APP_DATA_DIR/index: the embedded database and the manifest of the current collection."""
    return config.data_path / "index"


def index_signature(config: Config, documents: Documents) -> object:
    """Changes when a document changes or another process (the add_documents command, a
    second app on the same data folder) switched the index: then it must be opened again."""
    return (documents.signature(), _stamp(index_dir(config) / MANIFEST))


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns)


class _Build:
    """One update: a new collection from the old one's unchanged vectors plus new chunks."""

    def __init__(self, client: Any, name: str, embeddings: Any, progress: Progress | None):
        self.client, self.name, self.embeddings, self.progress = client, name, embeddings, progress

    def run(
        self, files: list[CorpusFile], old: dict[str, Any], config: Config
    ) -> tuple[IndexSync, dict[str, dict[str, Any]]]:
        started = time.perf_counter()
        before = old.get("documents", {})
        hashes = {f.path: text_hash(f.text) for f in files}
        keep = [p for p, h in hashes.items() if before.get(p, {}).get("hash") == h]
        fresh = [f for f in files if f.path not in keep]
        chunks = split(fresh, config.chunk_size, config.chunk_overlap)
        if self.name in chroma.names(self.client):
            self.client.delete_collection(self.name)  # left over from an interrupted update
        store = chroma.store(self.client, self.name, self.embeddings)
        if keep:
            source = chroma.collection(
                chroma.store(self.client, old["collection"], self.embeddings)
            )
            chroma.copy_vectors(source, chroma.collection(store), keep)
        for start in range(0, len(chunks), _BATCH):
            batch = chunks[start : start + _BATCH]
            ids = [f"{d.metadata['document']}#{d.metadata['chunk']}" for d in batch]
            store.add_documents(batch, ids=ids)
            if self.progress:
                self.progress(start + len(batch), len(chunks))
        counts = {p: before[p]["chunks"] for p in keep}
        for chunk in chunks:
            path = chunk.metadata["document"]
            counts[path] = counts.get(path, 0) + 1
        indexed = {p: {"hash": hashes[p], "chunks": counts.get(p, 0)} for p in hashes}
        sync = IndexSync(
            embedded=tuple(f.path for f in fresh),
            removed=tuple(sorted(set(before) - set(hashes))),
            reused=len(keep),
            chunks=len(chunks),
            seconds=time.perf_counter() - started,
        )
        log.info(
            "index updated in %.1f s: %d chunks embedded (%s), %d documents reused, %d removed",
            sync.seconds,
            sync.chunks,
            ", ".join(sync.embedded) or "none",
            sync.reused,
            len(sync.removed),
        )
        return sync, indexed


def _settings(config: Config) -> str:
    return f"{config.chunk_size}/{config.chunk_overlap}/{config.embedder}"


def _usable(client: Any, name: str, manifest: dict[str, Any]) -> bool:
    """The manifest's collection exists, is `name` and holds the chunks the manifest lists."""
    if not name or manifest.get("collection") != name or "documents" not in manifest:
        return False
    if name not in chroma.names(client):
        return False
    return client.get_collection(name).count() == manifest.get("chunks")


def _write_manifest(path: Path, data: dict[str, Any]) -> None:
    replace_atomically(path, lambda partial: partial.write_text(json.dumps(data, indent=2)))
