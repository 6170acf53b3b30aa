"""Evidence sentences: from the retrieved passages, the few sentences that answer the question,
each with its section and a little of the text before it, best first.

The default model (135M parameters) misreads a context of four whole passages full of other
numbers; handed only the sentences that answer, it copies the right value far more often. A
sentence is scored against the question both ways: by the words they share, rare words (a clause
number, an error code, a parameter name) counting most, and by embedding similarity. Written here
because no maintained library picks sentences from passages by both; the embedder is ours.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# A sentence ends at . ! ? followed by a space; a line break always ends one (list items, table
# rows and headings stay units of their own).
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'“])|\n+")
_WORD = re.compile(r"[a-z0-9]+(?:[-./][a-z0-9]+)*")
_STOP = """a an and are as at be by can do does did for from has have how i if in is it its of on or
s that the their there these this to was what when where which who whom why will with would
should could may must shall than then so not no yes any all"""
STOPWORDS = frozenset(_STOP.split())


@dataclass(frozen=True)
class Sentence:
    """One sentence of a retrieved passage, with where it sits."""

    passage: int  # rank of its passage among the hits, from 0
    position: int  # its place in the passage, from 0
    text: str


@dataclass(frozen=True)
class Evidence:
    """A chosen sentence with the sentences kept before it, and its score."""

    sentence: Sentence
    texts: tuple[str, ...]  # what the model reads: neighbours and the sentence, in passage order
    score: float

    @property
    def context(self) -> str:
        return " ".join(self.texts)


def sentences_of(passage: str) -> list[str]:
    """A passage cut into sentences; headings and blank lines dropped."""
    parts = (part.strip(" \t-*>|") for part in SENTENCE_END.split(passage))
    return [part for part in parts if len(part) > 2 and not part.startswith("#")]


def words(text: str) -> list[str]:
    """Lower-case words and codes ("e-204", "3.1", "eth2"), stopwords dropped."""
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


def lexical_scores(question: str, sentences: Sequence[str]) -> list[float]:
    """The share of the question's word weight each sentence holds; a word weighs its inverse
    document frequency over these sentences, so rare words count most."""
    asked = set(words(question))
    if not asked or not sentences:
        return [0.0] * len(sentences)
    held = [set(words(s)) for s in sentences]
    n = len(sentences)
    weight = {w: math.log((n + 1) / (0.5 + sum(w in h for h in held))) + 1.0 for w in asked}
    total = sum(weight.values())
    return [sum(weight[w] for w in asked & h) / total for h in held]


def pick(
    question: str,
    passages: Sequence[str],
    embed: Callable[[list[str]], np.ndarray],
    *,
    count: int = 3,
    neighbours: int = 1,
    lexical_weight: float = 0.5,
) -> list[Evidence]:
    """The `count` best sentences of `passages` for `question`, best first. `embed` turns texts
    into unit vectors (the question's comes first). Each keeps up to `neighbours` sentences
    before it from its passage, so that "It is kept for 24 months." still says what it is."""
    candidates = [
        Sentence(rank, position, text)
        for rank, passage in enumerate(passages)
        for position, text in enumerate(sentences_of(passage))
    ]
    if not candidates:
        return []
    vectors = embed([question, *(c.text for c in candidates)])
    similarity = vectors[1:] @ vectors[0]
    lexical = lexical_scores(question, [c.text for c in candidates])
    scores = [
        lexical_weight * lex + (1 - lexical_weight) * float(sim)
        for lex, sim in zip(lexical, similarity, strict=True)
    ]
    order = sorted(range(len(candidates)), key=lambda i: scores[i], reverse=True)
    by_place = {(c.passage, c.position): c.text for c in candidates}
    covered: set[tuple[int, int]] = set()  # sentences already in the context
    chosen: list[Evidence] = []
    for i in order:
        if len(chosen) == count:
            break
        sentence = candidates[i]
        if (sentence.passage, sentence.position) in covered:
            continue
        before = [
            (sentence.passage, p)
            for p in range(sentence.position - neighbours, sentence.position)
            if (sentence.passage, p) in by_place and (sentence.passage, p) not in covered
        ]
        covered.update([*before, (sentence.passage, sentence.position)])
        texts = (*(by_place[place] for place in before), sentence.text)
        chosen.append(Evidence(sentence, texts, scores[i]))
    return chosen
