"""Hybrid retrieval: BM25 fused with the vector search finds the passage that holds an exact term
(an error code) which the vector search alone ranks low, and the keyword index follows the
documents through an upload, an edit and a removal as the vector index does."""

from __future__ import annotations

import pytest

from common.config import Config
from documents.embeddings import LocalEmbeddings
from documents.index import open_index
from documents.keywords import KeywordIndex, fuse
from documents.store import Documents
from tests.test_index import DOCS


@pytest.fixture(scope="module")
def embeddings() -> LocalEmbeddings:
    return LocalEmbeddings(Config().embedder)


def test_fusion_rewards_what_both_rankings_hold():
    assert fuse([["a", "b", "c"], ["c", "d"]], 3) == ["c", "a", "b"]
    assert fuse([["a"], []], 5) == ["a"]


def test_bm25_matches_codes_and_numbers_as_whole_tokens():
    keywords = KeywordIndex(
        ["one", "two", "three"],
        ["E-204 means the seal failed.", "Clause 3.1 sets 99.9 % uptime.", "The pump hums."],
    )
    assert keywords.search("what is e-204", 3) == ["one"]
    assert keywords.search("clause 3.1", 3) == ["two"]
    assert keywords.search("nothing shared", 3) == []


def test_an_error_code_the_vector_search_ranks_low_is_found(embeddings, tmp_path):
    # The app's own corpus: its troubleshooting manual lists dozens of codes in like words.
    config = Config(data_dir=str(tmp_path))
    index = open_index(config, embeddings)
    question = "What does E-104 mean?"
    dense = [hit.document.metadata["text"] for hit in index.search(question, 4)]
    hybrid = index.hybrid_search(question, 4)
    assert not any("E-104" in text for text in dense)
    assert "E-104" in hybrid[0].document.metadata["text"]
    assert 0 < hybrid[0].score <= 1  # still the cosine similarity, as the sources panel shows


def test_keywords_follow_an_upload_an_edit_and_a_removal(embeddings, tmp_path):
    corpus = tmp_path / "corpus"
    for name, text in DOCS.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text)
    config = Config(corpus_dir=str(corpus), data_dir=str(tmp_path / "data"))
    documents = Documents(config)

    def top(question: str) -> str:
        index = open_index(config, embeddings, documents=documents)
        assert len(index.keywords().ids) == index.size  # one BM25 entry per indexed chunk
        return index.hybrid_search(question, 1)[0].document.metadata["text"]

    upload = tmp_path / "codes.md"
    upload.write_text("# Codes\n\n## Q-731\nQ-731 means the intake filter is clogged.\n")
    documents.add(upload)
    assert "Q-731" in top("What does Q-731 mean?")
    upload.write_text("# Codes\n\n## Q-732\nQ-732 means the outlet valve is stuck.\n")
    documents.add(upload, replace=True)
    assert "Q-732" in top("What does Q-732 mean?")
    assert "Q-731" not in top("What does Q-731 mean?")
    documents.remove("uploads/codes.md")
    assert "Q-73" not in top("What does Q-732 mean?")
