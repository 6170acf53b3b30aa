"""A real Chroma index with the real embedder, on a tiny corpus of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.config import Config
from documents.embeddings import LocalEmbeddings
from documents.index import open_index

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

    manifest = json.loads((Path(tiny.data_dir) / "index" / "current.json").read_text())
    assert manifest["hash"] == first.corpus_hash
    assert open_index(tiny, embeddings).size == 5  # the next start finishes the job


def test_an_edit_embeds_only_the_changed_document(tiny, embeddings):
    first = open_index(tiny, embeddings)
    assert first.sync is not None and first.sync.reused == 0
    assert first.documents["legal/lease.md"]["chunks"] == 2
    with open(f"{tiny.corpus_dir}/manual/pump.md", "a") as handle:
        handle.write("\n## 3. Noise\nThe pump is quieter than 55 dB(A).\n")
    progress = []
    second = open_index(tiny, embeddings, lambda done, total: progress.append((done, total)))
    assert second.sync.embedded == ("manual/pump.md",) and second.sync.reused == 1
    assert progress[-1] == (3, 3) and second.size == 5  # the lease's 2 chunks were copied
    hit = second.search("Either party may end the lease with how much notice?", k=1)[0]
    assert hit.document.metadata["document"] == "legal/lease.md" and hit.score > 0.5
    assert hit.document.metadata["section"] == "2. Notice"


def test_uploaded_edited_and_removed_documents_change_the_index(tiny, embeddings, tmp_path):
    from documents.store import Documents

    documents = Documents(tiny)
    upload = tmp_path / "Price List.txt"
    upload.write_text("Prices 2027\n\nThe pump costs 1,240 euros without tax.\n")
    assert documents.add(upload).path == "uploads/price-list.txt.md"
    index = open_index(tiny, embeddings, documents=documents)
    assert index.sync.embedded == (
        "legal/lease.md",
        "manual/pump.md",
        "uploads/price-list.txt.md",
    )
    hit = index.search("How much does the pump cost?", k=1)[0]
    assert hit.document.metadata["document"] == "uploads/price-list.txt.md"

    lease = documents.locate("legal/lease.md").read_text()
    documents.save("legal/lease.md", lease.replace("90 days", "30 days"))
    index = open_index(tiny, embeddings, documents=documents)
    assert index.sync.embedded == ("legal/lease.md",) and index.sync.reused == 2
    notice = index.search("How much notice ends the lease?", k=1)[0]
    assert "30 days" in notice.document.metadata["text"]
    assert "90 days" in (Path(tiny.corpus_dir) / "legal/lease.md").read_text()  # not written

    assert documents.remove("legal/lease.md").action == "restored"
    assert documents.remove("uploads/price-list.txt.md").action == "removed"
    index = open_index(tiny, embeddings, documents=documents)
    assert index.sync.removed == ("uploads/price-list.txt.md",)
    notice = index.search("How much notice ends the lease?", k=1)[0]
    assert "90 days" in notice.document.page_content
    assert index.size == 4


def test_an_unreadable_index_is_moved_aside_and_rebuilt(tiny, embeddings):
    open_index(tiny, embeddings)
    root = Path(tiny.data_dir) / "index"
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()  # as after a restart
    (root / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    index = open_index(tiny, embeddings)
    assert index.size == 4 and index.sync is not None
    assert [p.name.startswith("index.corrupt-") for p in root.parent.iterdir()].count(True) == 1


def test_an_index_switched_by_another_process_is_reopened(tiny, embeddings, tmp_path):
    from documents.store import Documents
    from pipelines.resources import Resources

    resources = Resources(tiny)
    resources._embeddings = embeddings
    first = resources.index()
    # Meanwhile the add_documents command adds a document and removes it again: the folders
    # look as before, but the collection the app had open is gone.
    other = Documents(tiny)
    upload = tmp_path / "note.md"
    upload.write_text("# Note\n\nThe pump hums at night.\n")
    other.add(upload)
    open_index(tiny, embeddings, documents=other)
    other.remove("uploads/note.md")
    open_index(tiny, embeddings, documents=other)
    again = resources.index()
    assert again is not first
    assert again.search("How long is the lease?", k=1)[0].document.metadata["section"] == "1. Term"
