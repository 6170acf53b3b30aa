import json
from pathlib import Path

import pytest

from arena.dataset import SCHEMA, export_jsonl, preference_pairs, pseudonym, records
from arena.store import ALL_BAD, TIE, VoteStore

THREE = ["base", "rag", "lora"]
ANSWERS = {
    "base": {"text": "I do not know.", "sources": []},
    "rag": {"text": "An electric motor (manual, p. 3).", "sources": [{"file": "manual.pdf"}]},
    "lora": {"text": "A diesel engine.", "sources": [], "settings": {"adapter": "v1"}},
}


@pytest.fixture
def store(tmp_path: Path):
    votes = VoteStore(tmp_path / "votes.sqlite")
    yield votes
    votes.close()


def by_turn(store: VoteStore) -> dict[tuple[str, str], dict]:
    return {(_session(r), r["turn"]): r for r in records(store)}


def _session(record: dict) -> str:
    """The test's own session name behind a record's pseudonym."""
    return {pseudonym(s): s for s in ("s", "s1", "s2", "")}[record["session"]]


def test_a_record_holds_answers_vote_feedback_and_pairs(store: VoteStore):
    store.save_turn("s1", "t1", "What powers the pump?", "2025-01-31T09:30:00", ANSWERS)
    store.record(
        "What powers the pump?", "rag", ["lora", "rag", "base"], "s1", turn="t1", blind=True
    )
    store.add_feedback("s1", "t1", "lora", -1, "wrong engine")
    store.add_feedback("s1", "t1", "rag", 1)
    (record,) = records(store)
    vote = record.pop("vote")
    assert vote.pop("created_at").endswith("+00:00")
    assert vote == {"choice": "rag", "blind": True, "shown": ["lora", "rag", "base"]}
    assert record == {
        "schema": SCHEMA,
        "session": pseudonym("s1"),
        "turn": "t1",
        "question": "What powers the pump?",
        "asked_at": "2025-01-31T09:30:00",
        "answers": ANSWERS,
        "feedback": {
            "lora": {"rating": -1, "comment": "wrong engine"},
            "rag": {"rating": 1, "comment": ""},
        },
        "pairs": [
            {
                "chosen": "rag",
                "rejected": "lora",
                "from": "vote",
                "chosen_text": ANSWERS["rag"]["text"],
                "rejected_text": ANSWERS["lora"]["text"],
            },
            {
                "chosen": "rag",
                "rejected": "base",
                "from": "vote",
                "chosen_text": ANSWERS["rag"]["text"],
                "rejected_text": ANSWERS["base"]["text"],
            },
            {
                "chosen": "rag",
                "rejected": "lora",
                "from": "feedback",
                "chosen_text": ANSWERS["rag"]["text"],
                "rejected_text": ANSWERS["lora"]["text"],
            },
        ],
    }


def test_thumbs_pair_every_up_with_every_down_and_comments_pair_nothing(store: VoteStore):
    store.save_turn("s", "t", "q", "now", ANSWERS)
    store.add_feedback("s", "t", "base", 1)
    store.add_feedback("s", "t", "rag", 1)
    store.add_feedback("s", "t", "lora", -1)
    store.add_feedback("s", "u", "rag", 0, "a comment, no rating")
    found = by_turn(store)
    pairs = [(p["chosen"], p["rejected"], p["from"]) for p in found["s", "t"]["pairs"]]
    assert pairs == [("base", "lora", "feedback"), ("rag", "lora", "feedback")]
    assert found["s", "t"]["vote"] is None
    assert found["s", "u"]["pairs"] == []
    assert found["s", "u"]["answers"] == {} and found["s", "u"]["asked_at"] is None


@pytest.mark.parametrize("choice", [TIE, ALL_BAD])
def test_a_tie_or_all_bad_makes_no_pairs(store: VoteStore, choice):
    store.save_turn("s", "t", "q", "now", ANSWERS)
    store.record("q", choice, THREE, "s", turn="t")
    (record,) = records(store)
    assert record["vote"]["choice"] == choice
    assert record["pairs"] == []


def test_pairs_without_saved_answers_have_no_texts(store: VoteStore):
    store.save_turn("s", "t", "q", "now", {"rag": {"text": "kept"}, "base": {"sources": []}})
    store.record("q", "rag", THREE, "s", turn="t")
    store.record("a vote from an old file", "lora", THREE)  # no session, no turn
    (record, loose) = records(store)
    texts = [(p["rejected"], p["chosen_text"], p["rejected_text"]) for p in record["pairs"]]
    assert texts == [("base", "kept", None), ("lora", "kept", None)]
    assert (loose["turn"], loose["question"], loose["answers"]) == (
        "",
        "a vote from an old file",
        {},
    )
    assert [(p["chosen"], p["chosen_text"]) for p in loose["pairs"]] == [("lora", None)] * 2


def test_preference_pairs_are_flat_rows_and_skip_pairs_without_texts(store: VoteStore):
    store.save_turn("s", "t", "What powers the pump?", "now", ANSWERS)
    store.record("What powers the pump?", "lora", THREE, "s", turn="t")
    store.save_turn("s", "u", "only rag saved", "now", {"rag": ANSWERS["rag"]})
    store.record("only rag saved", "rag", THREE, "s", turn="u")
    rows = preference_pairs(records(store))
    assert rows == [
        {
            "prompt": "What powers the pump?",
            "chosen": ANSWERS["lora"]["text"],
            "rejected": ANSWERS[other]["text"],
            "chosen_column": "lora",
            "rejected_column": other,
            "source": "vote",
        }
        for other in ("base", "rag")
    ]


def test_export_writes_one_json_line_per_question(store: VoteStore, tmp_path: Path):
    store.save_turn("s1", "t1", "Wie funktioniert die Pumpe? 🚰", "now", ANSWERS)
    store.record("Wie funktioniert die Pumpe? 🚰", "rag", THREE, "s1", turn="t1")
    store.add_feedback("s1", "t1", "rag", 1, "gut")  # same question: still one line
    store.save_turn("s1", "t2", "second", "later", {})
    store.add_feedback("s2", "t1", "base", -1)
    out = tmp_path / "export" / "arena.jsonl"
    assert export_jsonl(store, out) == 3
    text = out.read_text(encoding="utf-8")
    assert "🚰" in text  # UTF-8, not \\u escapes
    lines = [json.loads(line) for line in text.splitlines()]
    keys = [(_session(r), r["turn"]) for r in lines]
    assert sorted(keys) == [("s1", "t1"), ("s1", "t2"), ("s2", "t1")]
    assert all(r["schema"] == SCHEMA for r in lines)
    assert lines[0]["feedback"] == {"rag": {"rating": 1, "comment": "gut"}}
    assert not list(out.parent.glob("*.partial"))


def test_an_empty_store_exports_an_empty_file(store: VoteStore, tmp_path: Path):
    out = tmp_path / "arena.jsonl"
    out.write_text("stale\n")
    assert export_jsonl(store, out) == 0
    assert out.read_text() == ""


def test_the_export_never_holds_a_session_id(store: VoteStore, tmp_path):
    """A session's id names its export folder, which the app serves: the dataset hides it."""
    secret = "9f1c2e7a5b3d4c6e8f0a1b2c3d4e5f60"
    store.save_turn(secret, "t1", "q", "2025-01-31T09:30:00", ANSWERS)
    store.record("q", "rag", ["lora", "rag"], secret, turn="t1")
    store.add_feedback(secret, "t1", "rag", 1)
    export_jsonl(store, tmp_path / "arena.jsonl")
    text = (tmp_path / "arena.jsonl").read_text(encoding="utf-8")
    assert secret not in text and pseudonym(secret) in text
