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
import re
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from common.config import Config
from common.errors import PipelineError
from common.files import read_json_object, replace_atomically
from common.threads import on_all_cores
from documents.chunks import CorpusFile, corpus_hash, split
from documents.store import Documents, text_hash

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (chunks done, chunks total)
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

    def search(self, query: str, k: int) -> list[Hit]:
        """The k most similar chunks, best first."""
        try:
            pairs = self.store.similarity_search_with_relevance_scores(query, k=k)
        except Exception as exc:
            import httpx

            if self.server and isinstance(exc, httpx.TransportError):
                raise PipelineError(_unreachable(self.server, exc)) from None
            raise
        return [Hit(doc, float(score)) for doc, score in pairs]


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
    root = config.data_path / "index"
    client, prefix = _connect(config, root)
    wanted = corpus_hash(files, config.chunk_size, config.chunk_overlap, config.embedder)
    name = f"{prefix}corpus-{wanted[:24]}"
    manifest = root / "current.json"
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
    for stale in _names(client) - {name}:
        if stale.startswith(prefix):  # a shared server also holds other data folders' indexes
            client.delete_collection(stale)
    store = _store(client, name, embeddings)
    size = store._collection.count()
    indexed = current.get("documents", {})
    signature = (folders, _stamp(manifest))
    return Index(store, wanted, size, indexed, signature, sync, config.chroma_url)


def index_signature(config: Config, documents: Documents) -> object:
    """Changes when a document changes or another process (the add_documents command, a
    second app on the same data folder) switched the index: then it must be opened again."""
    return (documents.signature(), _stamp(config.data_path / "index" / "current.json"))


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
        if self.name in _names(self.client):
            self.client.delete_collection(self.name)  # left over from an interrupted update
        store = _store(self.client, self.name, self.embeddings)
        if keep:
            source = _store(self.client, old["collection"], self.embeddings)._collection
            _copy(source, store._collection, keep)
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


def _copy(source: Any, target: Any, documents: list[str], page: int = 1000) -> None:
    """Copy the chunks (vectors, text, metadata) of `documents` from one collection to another."""
    where = {"document": {"$in": documents}}
    offset = 0
    while True:
        got = source.get(
            where=where,
            include=["embeddings", "documents", "metadatas"],
            limit=page,
            offset=offset,
        )
        if not got["ids"]:
            return
        target.add(
            ids=got["ids"],
            embeddings=got["embeddings"],
            documents=got["documents"],
            metadatas=got["metadatas"],
        )
        offset += len(got["ids"])


def _settings(config: Config) -> str:
    return f"{config.chunk_size}/{config.chunk_overlap}/{config.embedder}"


def _usable(client: Any, name: str, manifest: dict[str, Any]) -> bool:
    """The manifest's collection exists, is `name` and holds the chunks the manifest lists."""
    if not name or manifest.get("collection") != name or "documents" not in manifest:
        return False
    if name not in _names(client):
        return False
    return client.get_collection(name).count() == manifest.get("chunks")


def _connect(config: Config, root: Path) -> tuple[Any, str]:
    """The Chroma client, and the prefix of this data folder's collection names in it."""
    if config.chroma_server is None:
        return _client(root), ""  # the folder is this app's own: no prefix, as before servers
    import chromadb
    import httpx

    host, port, ssl = config.chroma_server
    netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    heartbeat = f"{'https' if ssl else 'http'}://{netloc}/api/v2/heartbeat"
    try:  # with a timeout: the client itself waits for ever on a host that never answers
        httpx.get(heartbeat, timeout=10).raise_for_status()
        client = chromadb.HttpClient(host=host, port=port, ssl=ssl)
    except (httpx.HTTPError, ValueError) as exc:
        raise PipelineError(_unreachable(config.chroma_url, exc)) from None
    return client, _prefix(root)


def _prefix(root: Path) -> str:
    """A random id kept in the data folder: unique even where apps in containers share the
    folder's path, and stable across restarts, so stale collections are found and deleted."""
    path = root / "server-prefix"
    key = path.read_text().strip() if path.is_file() else ""
    if not re.fullmatch(r"[0-9a-f]{12}", key):
        key = secrets.token_hex(6)
        replace_atomically(path, lambda partial: partial.write_text(key))
    return f"{key}-"


def _unreachable(url: str, exc: Exception) -> str:
    return (
        f"no Chroma server answers at APP_CHROMA_URL={url} ({str(exc) or type(exc).__name__}): "
        "start it (chroma run --path DIR --port 8000) or leave APP_CHROMA_URL empty"
    )


def _client(root: Path) -> Any:
    """A Chroma client on `root`; an unreadable index folder is moved aside and started anew."""
    import chromadb
    from chromadb.api.client import SharedSystemClient

    root.mkdir(parents=True, exist_ok=True)
    try:
        client = chromadb.PersistentClient(path=str(root))
        client.list_collections()
        return client
    except Exception as exc:  # a corrupt database file must not stop the app
        SharedSystemClient.clear_system_cache()
        aside = root.with_name(f"{root.name}.corrupt-{datetime.now(UTC):%Y%m%dT%H%M%S}")
        log.warning("the index in %s is unreadable (%s); moved to %s, rebuilding", root, exc, aside)
        shutil.move(str(root), str(aside))
        root.mkdir(parents=True)
        return chromadb.PersistentClient(path=str(root))


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


def _write_manifest(path: Path, data: dict[str, Any]) -> None:
    replace_atomically(path, lambda partial: partial.write_text(json.dumps(data, indent=2)))
