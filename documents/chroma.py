"""The Chroma connection: an embedded database in the data folder, or a Chroma server
(APP_CHROMA_URL) with this data folder's collections kept apart by a name prefix; and the few
collection operations the index needs."""

from __future__ import annotations

import logging
import re
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common.config import Config
from common.errors import PipelineError
from common.files import replace_atomically

log = logging.getLogger(__name__)


def connect(config: Config, root: Path) -> tuple[Any, str]:
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
        raise PipelineError(unreachable(config.chroma_url, exc)) from None
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


def unreachable(url: str, exc: Exception) -> str:
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


def store(client: Any, name: str, embeddings: Any) -> Any:
    from langchain_chroma import Chroma

    return Chroma(
        client=client,
        collection_name=name,
        embedding_function=embeddings,
        collection_metadata={"hnsw:space": "cosine"},
    )


def names(client: Any) -> set[str]:
    return {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}


def copy_vectors(source: Any, target: Any, documents: list[str], page: int = 1000) -> None:
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


def collection(store: Any) -> Any:
    """The Chroma collection behind a LangChain Chroma store, for counts, copies and raw reads.
    langchain-chroma keeps it in a private attribute and offers no accessor: read it only here."""
    return store._collection
