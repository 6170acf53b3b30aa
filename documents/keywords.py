"""Keyword search (BM25, with bm25s) over the index's chunks, and its fusion with the vector
search: exact words matter in contracts and manuals (a clause number, an error code, a parameter
name, an amount), and an embedding of a short question often misses them.

The BM25 index is built from the Chroma collection itself, so it always holds exactly the chunks
the vector index holds: a new collection after an upload, edit or removal gets a new one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG

# Words and codes as one token each: "e-204", "3.1", "192.168.40.1", "eth2", "max_connections".
TOKEN = r"(?u)\b\w(?:[\w.-]*\w)?\b"
RRF_K = 60  # reciprocal rank fusion's constant (Cormack et al. 2009), the usual choice


def tokenize(texts: list[str]) -> Any:
    import bm25s

    return bm25s.tokenize(texts, token_pattern=TOKEN, stopwords="en", show_progress=False)


class KeywordIndex:
    """BM25 over chunk texts; `search` gives chunk ids, best first."""

    def __init__(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        import bm25s

        self.ids = list(ids)
        self.retriever = bm25s.BM25()
        self.vocabulary: frozenset[str] = frozenset()  # every word of the chunks, lower case
        if self.ids:
            tokens = tokenize(list(texts))
            self.vocabulary = frozenset(tokens.vocab)
            self.retriever.index(tokens, show_progress=False)

    def knows(self, word: str) -> bool:
        """Whether a chunk holds this lower-case word (stopwords are not indexed: all known)."""
        from bm25s.stopwords import STOPWORDS_EN

        return word in self.vocabulary or word in STOPWORDS_EN

    def search(self, query: str, k: int) -> list[str]:
        """The ids of the (at most) k chunks that score above zero, best first."""
        if not self.ids:
            return []
        found, scores = self.retriever.retrieve(
            tokenize([query]), k=min(k, len(self.ids)), show_progress=False, n_threads=1
        )
        return [self.ids[int(i)] for i, s in zip(found[0], scores[0], strict=True) if s > 0]


def fuse(rankings: Sequence[Sequence[str]], k: int) -> list[str]:
    """Reciprocal rank fusion: each id scores the sum of 1 / (RRF_K + rank) over the rankings
    that hold it; the k best ids, ties kept in the order of the first ranking."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores, key=lambda key: scores[key], reverse=True)[:k]
