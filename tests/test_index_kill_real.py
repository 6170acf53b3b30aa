"""`scripts.add_documents` killed (SIGKILL) while it embeds: the previous index stays in use,
the next open finishes the update, and votes, documents and the index survive a restart."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from arena.store import VoteStore
from common.config import REPO_ROOT, Config
from documents.chroma import collection
from documents.store import Documents
from pipelines.resources import Resources

pytestmark = pytest.mark.model

TINY = {
    "manual/pump.md": "# Pump Manual\n\n## 1. Power\nThe pump runs on 48 V DC.\n\n"
    "## 2. Maintenance\nReplace the seal every 2,000 hours.\n",
    "legal/lease.md": "# Lease\n\n## 1. Term\nThe lease runs for 36 months.\n\n"
    "## 2. Notice\nEither party may end the lease with 90 days' notice.\n",
}
COLOURS = ["amber", "cobalt", "crimson", "jade", "ivory", "saffron"]
BIRDS = ["falcon", "heron", "osprey", "wren", "kestrel"]
PROGRESS = re.compile(r"indexing corpus:.*?(\d+)/(\d+)")


def _generated(folder: Path, count: int = 30) -> None:
    """`count` Markdown files of about 7,000 characters (16 chunks) each, every one about a
    valve of its own: enough chunks that embedding them takes several progress-bar steps."""
    folder.mkdir()
    for i in range(count):
        name = f"{COLOURS[i % 6]} {BIRDS[i // 6]} valve"
        sections = []
        for part in range(8):
            facts = " ".join(
                f"In test {part}.{step} the {name} (model V-{100 + i}) held {20 + i + step} bar "
                f"for {part + step + 1} minutes at {40 + 5 * step} degrees without a leak."
                for step in range(8)
            )
            sections.append(f"## {part + 1}. Test series {part + 1}\n{facts}")
        text = f"# The {name.title()}\n\n" + "\n\n".join(sections) + "\n"
        (folder / f"valve-{i:02d}.md").write_text(text)


def _kill_while_embedding(env: dict[str, str], folder: Path) -> tuple[int, int]:
    """Run add_documents on `folder`; SIGKILL it once its progress bar shows a first batch
    embedded (and not the last). The (done, total) chunks it had reached."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.add_documents", str(folder)],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    seen: list[str] = []
    reached: list[tuple[int, int]] = []
    embedding = threading.Event()

    def watch() -> None:
        while chunk := os.read(process.stderr.fileno(), 4096):
            seen.append(chunk.decode(errors="replace"))
            for done, total in PROGRESS.findall("".join(seen)[-400:]):
                if 0 < int(done) < int(total):
                    reached.append((int(done), int(total)))
                    embedding.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    deadline = time.monotonic() + 180
    try:
        while not embedding.wait(timeout=0.05) and process.poll() is None:
            assert time.monotonic() < deadline, "".join(seen)[-2000:]
    finally:
        process.kill()
        process.wait()
        watcher.join(timeout=10)
    assert process.returncode == -9, "".join(seen)[-2000:]  # else it ended before the kill
    return reached[0]


def _chroma_restart() -> None:
    """Forget this process's Chroma clients, as a new process would start without them."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def test_a_killed_ingest_keeps_the_old_index_and_the_next_open_finishes_it(tmp_path):
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    for name, text in TINY.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text)
    config = Config(corpus_dir=str(corpus), data_dir=str(data))
    before = Resources(config).index()
    manifest_path = data / "index" / "current.json"
    old = json.loads(manifest_path.read_text())
    assert (old["collection"], old["chunks"]) == (collection(before.store).name, before.size)
    VoteStore(data / "votes.sqlite").record("What powers the pump?", "rag", ["base", "rag"])
    _chroma_restart()

    env = {"APP_CORPUS_DIR": str(corpus), "APP_DATA_DIR": str(data)}
    _generated(tmp_path / "new")
    done, total = _kill_while_embedding(env, tmp_path / "new")
    assert 0 < done < total

    # The old index is still the current one, whole, and answers searches.
    _chroma_restart()
    assert json.loads(manifest_path.read_text()) == old
    stored = [d.path for d in Documents(config).listing() if d.origin == "uploaded"]
    assert len(stored) == 30  # every file was stored before the embedding began
    import chromadb
    from langchain_chroma import Chroma

    client = chromadb.PersistentClient(path=str(data / "index"))
    embeddings = Resources(config).embeddings()
    store = Chroma(client=client, collection_name=old["collection"], embedding_function=embeddings)
    assert collection(store).count() == old["chunks"]
    hit = store.similarity_search("How much notice ends the lease?", k=1)[0]
    assert hit.metadata["document"] == "legal/lease.md"
    assert len(client.list_collections()) == 2  # the old one and the killed update's

    # The next open (the app's next question, or its restart) finishes the update.
    _chroma_restart()
    index = Resources(config).index()
    manifest = json.loads(manifest_path.read_text())
    assert index.sync is not None and manifest["collection"] != old["collection"]
    assert manifest["chunks"] == index.size == collection(index.store).count()
    assert set(manifest["documents"]) == {*TINY, *stored}
    for path in stored:
        chunks = collection(index.store).get(where={"document": path}, include=[])["ids"]
        assert len(chunks) == manifest["documents"][path]["chunks"] > 0
    found = sum(
        f"uploads/{path.stem}.md"
        in {h.document.metadata["document"] for h in index.search(_title(path), k=4)}
        for path in sorted((tmp_path / "new").iterdir())
    )
    assert found == 30
    assert [c.name for c in _names(index)] == [manifest["collection"]]  # the partial is gone

    # A restart: new objects on the same data folder find everything as it was.
    _chroma_restart()
    again = Resources(config)
    reopened = again.index()
    assert reopened.sync is None and reopened.size == index.size
    assert sorted(d.path for d in again.documents.listing()) == sorted([*TINY, *stored])
    votes = VoteStore(data / "votes.sqlite")
    assert votes.count() == 1 and votes.leaderboard()[0][0].name == "rag"


def _title(path: Path) -> str:
    return path.read_text().splitlines()[0].removeprefix("# ")


def _names(index) -> list:
    return index.store._client.list_collections()
