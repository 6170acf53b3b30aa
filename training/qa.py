"""The question/answer dataset: fact seeds (data/facts) verified against the corpus, then split.

Each fact has four phrasings. Phrasings 1 and 2 of every fact are training data; phrasing 3 of a
seeded subset is validation and phrasing 4 of another subset is test, so validation and test ask
about trained facts in words the model never saw (knowledge, not string matching).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

SPLITS = ("train", "validation", "test")
FACTS_DIR = "data/facts"  # the fact seeds, one JSONL file per document
SEED = 13  # every split, replay sample and training run is seeded with it
HELD_OUT = 120  # facts in each held-out split (validation, test)
HEADING = re.compile(r"^#{2,4}\s+(.+)$", re.M)  # a section heading a fact may name


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    answers: list[str]
    source: str  # document path relative to the corpus folder
    section: str
    evidence: str


class FactError(ValueError):
    """A fact seed does not match the corpus; the message says which and why."""


def split_file(folder: str | Path, split: str) -> Path:
    """Where a split (train, validation, test, general) lives in a data folder."""
    return Path(folder) / f"{split}.jsonl"


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def load_facts(facts_dir: Path) -> list[dict]:
    facts = []
    for path in sorted(facts_dir.glob("*.jsonl")):
        facts.extend(read_jsonl(path))
    return facts


def verify_fact(fact: dict, corpus_dir: Path) -> None:
    """Raise FactError unless the evidence, answer and section really are in the document."""
    doc = corpus_dir / fact["doc"]
    if not doc.is_file():
        raise FactError(f"{fact['id']}: no document {fact['doc']}")
    text = doc.read_text(encoding="utf-8")
    if fact["evidence"] not in text:
        raise FactError(f"{fact['id']}: evidence not found verbatim in {fact['doc']}")
    if fact["answer"] not in fact["evidence"]:
        raise FactError(f"{fact['id']}: answer {fact['answer']!r} is not inside its evidence")
    headings = {m.group(1).strip() for m in HEADING.finditer(text)}
    if fact["section"] not in headings:
        raise FactError(f"{fact['id']}: no section {fact['section']!r} in {fact['doc']}")
    questions = fact["questions"]
    if len(questions) != 4 or len({q.strip().lower() for q in questions}) != 4:
        raise FactError(f"{fact['id']}: needs four distinct questions")


def phrasing_item(fact: dict, phrasing: int) -> QAItem:
    """The QA item of one of the fact's four phrasings (0-3)."""
    return QAItem(
        id=f"{fact['id']}/q{phrasing + 1}",
        question=fact["questions"][phrasing],
        answers=[fact["answer"]],
        source=fact["doc"],
        section=fact["section"],
        evidence=fact["evidence"],
    )


def split_facts(facts: list[dict], held_out: int, seed: int = SEED) -> dict[str, list[QAItem]]:
    """Train on phrasings 1-2 of all facts; validate on phrasing 3 and test on phrasing 4 of
    two disjoint seeded subsets of `held_out` facts each (fewer if there are not enough facts)."""
    order = list(range(len(facts)))
    random.Random(seed).shuffle(order)
    size = min(held_out, len(facts) // 2)
    validation_facts, test_facts = order[:size], order[size : 2 * size]
    return {
        "train": [phrasing_item(f, p) for f in facts for p in (0, 1)],
        "validation": [phrasing_item(facts[i], 2) for i in sorted(validation_facts)],
        "test": [phrasing_item(facts[i], 3) for i in sorted(test_facts)],
    }


def build_dataset(
    facts_dir: Path,
    corpus_dir: Path,
    out_dir: Path,
    held_out: int = HELD_OUT,
    seed: int = SEED,
) -> dict[str, int]:
    """Verify every fact seed, then write train/validation/test JSONL files; returns sizes."""
    facts = load_facts(facts_dir)
    for fact in facts:
        verify_fact(fact, corpus_dir)
    splits = split_facts(facts, held_out, seed)
    return {
        name: write_jsonl(split_file(out_dir, name), (asdict(i) for i in items))
        for name, items in splits.items()
    }
