"""A real Chroma index with the real embedder, on a tiny corpus of its own."""

from __future__ import annotations

import pytest

from pipelines.config import Config
from pipelines.embeddings import LocalEmbeddings
from pipelines.index import open_index

DOCS = {
    "manual/pump.md": "# Pump Manual\n\n## 1. Power\nThe pump runs on 48 V DC.\n\n"
    "## 2. Maintenance\nReplace the seal every 2,000 hours.\n",
    "legal/lease.md": "# Lease\n\n## 1. Term\nThe lease runs for 36 months.\n\n"
    "## 2. Notice\nEither party may end the lease with 90 days' notice.\n",
}


@pytest.fixture(scope="module")
def embeddings() -> LocalEmbeddings:
    return LocalEmbeddings(Config().embedder)


@pytest.fixture
def tiny(tmp_path):
    corpus = tmp_path / "corpus"
    for name, text in DOCS.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text)
    return Config(corpus_dir=str(corpus), data_dir=str(tmp_path / "data"))


def test_embedder_is_the_local_minilm(embeddings):
    vector = embeddings.embed_query("hello")
    assert len(vector) == 384
    assert sum(v * v for v in vector) == pytest.approx(1.0, abs=1e-4)


def test_index_is_built_searched_and_reopened_without_rebuilding(tiny, embeddings):
    progress = []
    index = open_index(tiny, embeddings, lambda done, total: progress.append((done, total)))
    assert index.size == 4 and progress[-1] == (4, 4)
    hits = index.search("How long is the notice period to end the lease?", k=2)
    assert hits[0].document.metadata["document"] == "legal/lease.md"
    assert hits[0].document.metadata["section"] == "2. Notice"
    assert hits[0].score > hits[1].score
    progress.clear()
    again = open_index(tiny, embeddings, lambda done, total: progress.append((done, total)))
    assert progress == [] and again.corpus_hash == index.corpus_hash and again.size == 4


def test_index_is_rebuilt_when_the_corpus_changes(tiny, embeddings):
    first = open_index(tiny, embeddings)
    pump = f"{tiny.corpus_dir}/manual/pump.md"
    with open(pump, "a") as handle:
        handle.write("\n## 3. Noise\nThe pump is quieter than 55 dB(A).\n")
    second = open_index(tiny, embeddings)
    assert second.corpus_hash != first.corpus_hash and second.size == 5
    hit = second.search("How loud is the pump?", k=1)[0]
    assert hit.document.metadata["section"] == "3. Noise"


def test_an_interrupted_build_leaves_the_previous_index_in_use(tiny, embeddings):
    first = open_index(tiny, embeddings)
    with open(f"{tiny.corpus_dir}/legal/lease.md", "a") as handle:
        handle.write("\n## 3. Rent\nRent is due on the 1st.\n")

    def crash(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        open_index(tiny, embeddings, crash)
    import json
    from pathlib import Path

    manifest = json.loads((Path(tiny.data_dir) / "index" / "current.json").read_text())
    assert manifest["hash"] == first.corpus_hash
    assert open_index(tiny, embeddings).size == 5  # the next start finishes the job
