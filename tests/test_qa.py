"""The committed QA dataset: evidence really is in the corpus, and splits do not overlap."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.config import REPO_ROOT
from training.qa import FactError, load_facts, read_jsonl, split_facts, verify_fact

QA = REPO_ROOT / "data" / "qa"
CORPUS = REPO_ROOT / "corpus"


def _split(name: str) -> list[dict]:
    return read_jsonl(QA / f"{name}.jsonl")


def test_every_item_has_its_evidence_in_the_cited_document():
    for name in ("train", "validation", "test"):
        for item in _split(name):
            text = (CORPUS / item["source"]).read_text(encoding="utf-8")
            assert item["evidence"] in text, item["id"]
            assert all(answer in item["evidence"] for answer in item["answers"]), item["id"]


def test_splits_share_no_questions_and_have_the_promised_sizes():
    questions = {
        n: {i["question"].strip().lower() for i in _split(n)}
        for n in ("train", "validation", "test")
    }
    assert not questions["train"] & questions["validation"]
    assert not questions["train"] & questions["test"]
    assert not questions["validation"] & questions["test"]
    assert len(questions["train"]) >= 600
    assert len(questions["validation"]) >= 100 and len(questions["test"]) >= 100


def test_all_fact_seeds_verify_against_the_corpus():
    facts = load_facts(REPO_ROOT / "data" / "facts")
    assert len(facts) >= 300
    for fact in facts:
        verify_fact(fact, CORPUS)


def test_verification_catches_a_fact_that_is_not_in_the_corpus(tmp_path: Path):
    (tmp_path / "doc.md").write_text("# Doc\n\n## 1. Limits\nThe limit is 5 units.\n")
    fact = {
        "id": "x",
        "doc": "doc.md",
        "section": "1. Limits",
        "evidence": "The limit is 5 units.",
        "answer": "5 units",
        "questions": ["a?", "b?", "c?", "d?"],
    }
    verify_fact(fact, tmp_path)
    for field, value in (
        ("evidence", "The limit is 6 units."),
        ("answer", "7 units"),
        ("section", "9. Nowhere"),
        ("questions", ["a?", "a?", "c?", "d?"]),
    ):
        with pytest.raises(FactError):
            verify_fact({**fact, field: value}, tmp_path)


def test_held_out_questions_ask_about_trained_facts_in_new_words():
    facts = [
        {
            "id": f"f{i}",
            "doc": "d",
            "section": "s",
            "evidence": "e",
            "answer": "a",
            "questions": [f"q{i}-{p}" for p in range(4)],
        }
        for i in range(10)
    ]
    splits = split_facts(facts, held_out=3)
    trained = {item.id.split("/")[0] for item in splits["train"]}
    held = [item for name in ("validation", "test") for item in splits[name]]
    assert {item.id.split("/")[0] for item in held} <= trained
    assert len(splits["train"]) == 20 and len(splits["validation"]) == len(splits["test"]) == 3
    assert not {i.question for i in held} & {i.question for i in splits["train"]}


def test_unanswerable_questions_ask_about_what_the_corpus_never_mentions():
    items = _split("unanswerable")
    assert len(items) >= 10
    corpus = "\n".join(
        f.read_text(encoding="utf-8").lower() for f in CORPUS.rglob("*.md") if f.name != "README.md"
    )
    for item in items:
        assert item["answers"] == []
        assert not [t for t in item["absent_terms"] if t.lower() in corpus], item["question"]


def test_general_knowledge_set_is_large_enough_and_well_formed():
    items = _split("general")
    assert len(items) >= 50
    assert all(item["question"].endswith("?") and item["answers"] for item in items)
