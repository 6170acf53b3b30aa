"""Reading examples for the reader adapter (--task read): what the context holds is what the example
claims, no question is in two splits, and a tiny `--task read` run saves an adapter and its card."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from common.config import QA_DIR, REPO_ROOT
from common.messages import NOT_FOUND
from evaluation.metrics import contains
from training.qa import read_jsonl, split_file, write_jsonl
from training.reading import check_disjoint, reading_split, reading_splits, target_of
from training.trainer import TrainArgs

DOCS = {
    "zorblat.md": """# Zorblat Gateway Manual

## Status lamp
The Zorblat gateway's status lamp glows teal when the uplink is healthy. It blinks amber while
the firmware updates.

## Ports
The Zorblat gateway has seven ports on its rear panel. Two of them carry power over Ethernet.

## Warranty
The Zorblat warranty lasts 41 months from the date of delivery. Repairs under warranty are free.
""",
    "quillon.md": """# Quillon Works Handbook

## Holidays
Quillon Works staff receive 27 days of paid holiday each year. Unused days expire in March.

## Office
The Quillon Works office is in Port Ellery, on the third floor. Visitors sign in at the desk.
""",
}
FACTS = [  # (answer, evidence, source, section, questions)
    ("teal", "The Zorblat gateway's status lamp glows teal when the uplink is healthy.",
     "zorblat.md", "Status lamp", ["What colour is the Zorblat lamp when all is well?",
                                   "Which colour does the healthy Zorblat status lamp show?",
                                   "When the uplink is fine, what colour is the Zorblat lamp?"]),
    ("seven ports", "The Zorblat gateway has seven ports on its rear panel.",
     "zorblat.md", "Ports", ["How many ports does the Zorblat gateway have?",
                             "What is the number of ports on the Zorblat's rear panel?",
                             "How many rear ports has a Zorblat?"]),
    ("41 months", "The Zorblat warranty lasts 41 months from the date of delivery.",
     "zorblat.md", "Warranty", ["How long is the Zorblat warranty?",
                                "For how many months is a Zorblat under warranty?",
                                "What warranty period does the Zorblat gateway have?"]),
    ("27 days", "Quillon Works staff receive 27 days of paid holiday each year.",
     "quillon.md", "Holidays", ["How many holiday days do Quillon Works staff get?",
                                "What paid holiday does Quillon Works give each year?",
                                "How much paid leave per year at Quillon Works?"]),
    ("Port Ellery", "The Quillon Works office is in Port Ellery, on the third floor.",
     "quillon.md", "Office", ["Where is the Quillon Works office?",
                              "In which town is Quillon Works based?",
                              "Which place holds the Quillon Works office?"]),
    # not in the documents: retrieval cannot find it, so its evidence is put into the context
    ("Ilse Varn", "Quillon Works was founded by Ilse Varn.",
     "quillon.md", "Office", ["Who founded Quillon Works?",
                              "Which person started Quillon Works?",
                              "Quillon Works was set up by whom?"]),
]  # fmt: skip


def _items(phrasing: int, facts: list[tuple] = FACTS) -> list[dict]:
    return [
        {"id": f"f{n}/q{phrasing}", "question": questions[phrasing], "answers": [answer],
         "source": source, "section": section, "evidence": evidence}
        for n, (answer, evidence, source, section, questions) in enumerate(facts)
    ]  # fmt: skip


@pytest.fixture
def tiny(tmp_path: Path, real_config) -> tuple:
    """Made-up documents, their QA splits (train: two phrasings, validation and test: one each)
    and a configuration over them with a data folder of its own."""
    corpus, data = tmp_path / "corpus", tmp_path / "qa"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    write_jsonl(split_file(data, "train"), _items(0) + _items(1))
    write_jsonl(split_file(data, "validation"), _items(2)[:3])
    write_jsonl(split_file(data, "test"), _items(2)[3:])
    config = replace(real_config, corpus_dir=str(corpus), data_dir=str(tmp_path / "data"))
    return config, data


def context_of_example(row: dict) -> str:
    """The context the example's last message hands the model (the RAG prompt's ASK)."""
    text = row["messages"][-1]["content"]
    return text.split("Context:\n", 1)[1].rsplit("\n\nQuestion:", 1)[0]


def assert_claims_hold(splits: dict[str, list[dict]]) -> None:
    for rows in splits.values():
        for row in rows:
            context = context_of_example(row)
            evidence = row["evidence"] and row["answers"] and row["evidence"] in context
            held = bool(contains(context, row["answers"])) or bool(evidence)  # yes/no: evidence
            assert held == row["holds_answer"], row["id"]
            expected = target_of(row["answers"]) if row["holds_answer"] else NOT_FOUND
            assert row["target"] == expected, row["id"]


def test_target_is_the_value_then_a_full_stop_or_the_not_found_sentence():
    assert target_of(["41 months"]) == "41 months."
    assert target_of(["No. 4."]) == "No. 4."
    assert target_of([]) == NOT_FOUND


def test_a_question_in_two_splits_is_refused():
    check_disjoint({"train": [{"question": "A?"}], "test": [{"question": "B?"}]})
    with pytest.raises(ValueError, match="both train and test"):
        check_disjoint({"train": [{"question": "What is X?"}], "test": [{"question": "what is x"}]})


def test_the_repository_splits_share_no_question():
    names = ("train", "validation", "test", "unanswerable", "train-reading")
    check_disjoint({n: read_jsonl(split_file(REPO_ROOT / QA_DIR, n)) for n in names})


def test_tiny_reading_examples_hold_the_gold_where_they_claim(tiny):
    from pipelines.rag import RagPipeline
    from pipelines.resources import Resources

    config, data = tiny
    rag = RagPipeline(Resources(config))
    splits = reading_splits(rag, data, share=0.3, seed=13)
    assert_claims_hold(splits)
    assert sum(not r["holds_answer"] for r in splits["train"]) == 4  # round(0.3 * 12)
    assert sum(not r["holds_answer"] for r in splits["validation"]) == 1  # round(0.3 * 3)
    founder = [r for rows in splits.values() for r in rows if r["answers"] == ["Ilse Varn"]]
    assert [r["inserted"] for r in founder] == [r["holds_answer"] for r in founder]
    assert any(r["inserted"] for r in founder)
    cached = list((config.data_path / "reading").glob("train-*.jsonl"))
    assert len(cached) == 1
    again = reading_splits(rag, data, share=0.3, seed=13)  # read back from the cache
    assert again == json.loads(json.dumps(splits))


EXTRA_QUESTIONS = [
    {"id": "x1", "question": "Does the Zorblat lamp blink amber during a firmware update?",
     "answers": ["yes"], "source": "zorblat.md", "section": "Status lamp",
     "evidence": "It blinks amber while the firmware updates."},
    {"id": "x2", "question": "Which floor is the Quillon Works office on?",
     "answers": ["the third floor"], "source": "quillon.md", "section": "Office",
     "evidence": "The Quillon Works office is in Port Ellery, on the third floor."},
]  # fmt: skip


def test_the_readers_own_questions_join_the_train_split_only(tiny):
    from pipelines.rag import RagPipeline
    from pipelines.resources import Resources

    config, data = tiny
    write_jsonl(split_file(data, "train-reading"), EXTRA_QUESTIONS)
    rag = RagPipeline(Resources(config))
    splits = reading_splits(rag, data, share=0.0, seed=13)
    assert [r["id"] for r in splits["train"][-2:]] == ["x1", "x2"]
    assert len(splits["train"]) == 14 and len(splits["validation"]) == 3
    assert_claims_hold(splits)
    without = reading_splits(rag, data, share=0.0, seed=13, extra=False)
    assert len(without["train"]) == 12 and without["validation"] == splits["validation"]


@pytest.mark.model
def test_both_tasks_data_repeats_the_pairs_and_adds_the_reading_examples(tiny, real_config):
    """--task both: the recall pairs once per recall epoch and the reading examples in one pass,
    validation on both tasks, at the two default runs' sizes."""
    from serving.model import load_model
    from training.mixed import both_data
    from training.tasks import TASKS

    config, data = tiny
    _, tokenizer = load_model(real_config)
    args = TrainArgs(task="both", data_dir=str(data), batch_size=4, no_answer_share=0.3)
    splits = both_data(config, args, tokenizer)
    read_rows = min(12, TASKS["read"].max_steps * 4)
    assert len(splits.train) == 12 * TASKS["recall"].epochs + read_rows
    short = [r for r in splits.train if len(r["input_ids"]) <= TASKS["recall"].max_length]
    assert len(short) >= 12 * TASKS["recall"].epochs  # the pairs, encoded as the LoRA column asks
    assert sum(len(b["input_ids"]) for b in splits.validation) == 3 + 3
    assert splits.sizes["reading train (no answer in context)"] == 4


@pytest.mark.model
def test_repository_reading_examples_hold_the_gold_where_they_claim(real_config):
    """The held-out splits of data/qa over the real documents, as the RAG column retrieves."""
    from pipelines.rag import RagPipeline
    from pipelines.resources import Resources

    rag = RagPipeline(Resources(real_config))
    names = ("validation", "unanswerable")
    splits = {n: reading_split(rag, REPO_ROOT / QA_DIR, n, 0.2, 13) for n in names}
    assert_claims_hold(splits)
    absent = sum(not r["holds_answer"] for r in splits["validation"])
    assert absent == round(0.2 * len(splits["validation"]))
    assert not any(r["holds_answer"] for r in splits["unanswerable"])


@pytest.mark.model
def test_a_tiny_read_run_saves_an_adapter_and_its_card(tiny, tmp_path, monkeypatch):
    from scripts.train_lora import main

    config, data = tiny
    monkeypatch.setenv("APP_CORPUS_DIR", config.corpus_dir)
    monkeypatch.setenv("APP_DATA_DIR", config.data_dir)
    flags = {
        "task": "read", "data_dir": data, "output_root": tmp_path / "adapters", "name": "reader",
        "epochs": 2, "batch_size": 4, "rank": 4, "alpha": 8, "evaluate": 0, "no_answer_share": 0.3,
    }  # fmt: skip
    main([f"--{k.replace('_', '-')}={v}" for k, v in flags.items()])
    out = tmp_path / "adapters" / "reader"
    assert (out / "adapter_model.safetensors").is_file()
    run = json.loads((out / "run.json").read_text())
    assert (
        run["args"]["task"] == "read"
        and run["args"]["max_length"] == TrainArgs(task="read").max_length
    )
    assert run["sizes"]["train"] == 12 and run["sizes"]["train (no answer in context)"] == 4
    card = (out / "README.md").read_text()
    assert "--task read" in card and "No-answer share asked 0.30, measured" in card
    assert "| validation | 3 |" in card


def _reading_loss(model, tokenizer, messages: list[dict], answer: str) -> float:
    """The model's loss on `answer` after the chat `messages` (answer tokens only)."""
    import torch

    from training.batches import encode_messages

    row = encode_messages(tokenizer, messages, answer, TrainArgs(task="read").max_length)
    batch = {k: torch.tensor([v]) for k, v in row.items()}
    with torch.no_grad():
        return float(model(**batch).loss)


@pytest.mark.model
def test_a_tiny_read_run_reads_an_unseen_passage_better_than_the_base(tiny, tmp_path, monkeypatch):
    """Trained on made-up passages, the reader gives the value of a passage it never saw (a
    made-up pump) a higher likelihood than the base model does."""
    from langchain_core.documents import Document
    from peft import PeftModel

    from documents.evidence import Evidence, Sentence
    from documents.index import Hit
    from pipelines.rag import RagPipeline
    from scripts.train_lora import main
    from serving.model import load_model

    config, data = tiny
    monkeypatch.setenv("APP_CORPUS_DIR", config.corpus_dir)
    monkeypatch.setenv("APP_DATA_DIR", config.data_dir)
    flags = {"task": "read", "data_dir": data, "output_root": tmp_path / "adapters",
             "name": "reader", "epochs": 2, "batch_size": 4, "evaluate": 0}  # fmt: skip
    main([f"--{k.replace('_', '-')}={v}" for k, v in flags.items()])

    text = "The Brannock pump delivers 63 litres per minute at full speed."
    meta = {"document": "brannock.md", "title": "Brannock Pump", "section": "Flow", "text": text}
    hits = [Hit(document=Document(page_content=text, metadata=meta), score=1.0)]
    chosen = [Evidence(Sentence(0, 0, text), (text,), 1.0)]
    question = "How many litres per minute does the Brannock pump deliver?"
    messages = RagPipeline(None).messages(question, [], hits, chosen)  # type: ignore[arg-type]
    base, tokenizer = load_model(config, dtype="float32")
    before = _reading_loss(base, tokenizer, messages, "63 litres per minute.")
    reader = PeftModel.from_pretrained(base, str(tmp_path / "adapters" / "reader"))
    after = _reading_loss(reader, tokenizer, messages, "63 litres per minute.")
    assert after < before * 0.8, (before, after)
