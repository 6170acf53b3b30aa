import json
import logging
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from arena.store import ALL_BAD, TIE, Standing, VoteStore
from common.config import Config
from pipelines.core import Answer
from ui import votes_panel
from ui.leaderboard import Leaderboard
from ui.transcript import Turn

THREE = ["base", "rag", "lora"]
FOUR = ["base", "rag", "lora", "rag_lora"]


@pytest.fixture
def store(tmp_path: Path):
    votes = VoteStore(tmp_path / "data" / "votes.db")
    yield votes
    votes.close()


def test_leaderboard_matches_hand_counted_votes(store: VoteStore):
    for choice, columns in [
        ("rag", THREE),
        ("lora", THREE),
        ("rag", FOUR),
        (TIE, FOUR),
        ("rag_lora", FOUR),
        (ALL_BAD, THREE),
    ]:
        store.record(f"question {store.count()}", choice, columns)
    standings, counts = store.leaderboard()
    # rag_lora was shown in 3 of the 6 votes: 1/3 ties rag's 2/6, and rag has more wins.
    assert standings == [
        Standing("rag", wins=2, shown=6, win_rate=2 / 6),
        Standing("rag_lora", wins=1, shown=3, win_rate=1 / 3),
        Standing("lora", wins=1, shown=6, win_rate=1 / 6),
        Standing("base", wins=0, shown=6, win_rate=0.0),
    ]
    assert counts == {TIE: 1, ALL_BAD: 1, "total": 6}


def test_empty_store_has_an_empty_leaderboard(store: VoteStore):
    assert store.leaderboard() == ([], {TIE: 0, ALL_BAD: 0, "total": 0})
    assert store.path.parent.is_dir()


@pytest.mark.parametrize(
    ("choice", "columns", "message"),
    [
        ("gpt", THREE, "invalid vote 'gpt'"),
        ("rag_lora", THREE, "invalid vote 'rag_lora'"),  # a column that was not shown
        ("", THREE, "invalid vote ''"),
        (TIE, [], "columns that were shown"),
        (TIE, ["rag", TIE], "cannot be column names"),
    ],
)
def test_invalid_vote_is_refused_and_nothing_is_stored(store, choice, columns, message):
    store.record("kept", "rag", THREE)
    with pytest.raises(ValueError, match=message):
        store.record("refused", choice, columns)
    assert store.count() == 1
    assert store.leaderboard()[1]["total"] == 1


def test_record_returns_increasing_ids(store: VoteStore):
    first = store.record("q", "rag", THREE)
    second = store.record("q", TIE, THREE, session="abc")
    assert second > first


def test_votes_survive_a_new_store_on_the_same_file(tmp_path: Path):
    path = tmp_path / "votes.db"
    question = 'Robert\'); DROP TABLE votes;-- "quoted" 🚀 مرحبا\nline two'
    first = VoteStore(path)
    first.record(question, "lora", THREE, session="s1")
    first.record("another", ALL_BAD, FOUR)
    before = first.leaderboard()
    first.close()

    second = VoteStore(path)
    assert second.count() == 2
    assert second.leaderboard() == before
    second.close()
    with sqlite3.connect(path) as conn:
        stored = conn.execute("SELECT question, choice, session, created_at FROM votes").fetchall()
    assert stored[0][:3] == (question, "lora", "s1")
    assert stored[0][3].endswith("+00:00")  # an ISO time in UTC


def test_concurrent_votes_from_eight_threads_are_all_counted(store: VoteStore):
    per_thread = 25
    ids: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def vote(worker: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                ids.append(store.record(f"q{worker}-{i}", THREE[i % 3], THREE, f"s{worker}"))
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=vote, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.count() == 8 * per_thread
    assert len(set(ids)) == 8 * per_thread
    standings, _ = store.leaderboard()
    assert sum(s.wins for s in standings) == 8 * per_thread
    assert {s.shown for s in standings} == {8 * per_thread}


def test_corrupt_file_is_moved_aside_and_a_fresh_store_started(tmp_path: Path, caplog):
    path = tmp_path / "votes.db"
    garbage = b"this is not an SQLite database\n" * 200
    path.write_bytes(garbage)
    with caplog.at_level(logging.WARNING, logger="arena.store"):
        store = VoteStore(path)
    moved = list(tmp_path.glob("votes.db.corrupt-*"))
    assert len(moved) == 1
    assert moved[0].read_bytes() == garbage
    assert "not a valid vote database" in caplog.text and moved[0].name in caplog.text
    assert store.count() == 0
    store.record("after", "rag", THREE)
    store.close()
    assert VoteStore(path).count() == 1


def test_damaged_pages_inside_a_real_database_count_as_corrupt(tmp_path: Path):
    path = tmp_path / "votes.db"
    store = VoteStore(path)
    for i in range(300):
        store.record(f"question {i} " + "x" * 200, "rag", THREE)
    store.close()  # the last connection to close moves the WAL into the file
    data = bytearray(path.read_bytes())
    page = 4096
    data[2 * page : 4 * page] = b"\xff" * (2 * page)
    path.write_bytes(bytes(data))

    fresh = VoteStore(path)
    assert fresh.count() == 0
    assert [p.read_bytes() for p in tmp_path.glob("votes.db.corrupt-*")] == [bytes(data)]
    fresh.close()


def test_errors_other_than_corruption_are_not_hidden(tmp_path: Path):
    folder = tmp_path / "a folder, not a file"
    folder.mkdir()
    with pytest.raises(sqlite3.OperationalError):
        VoteStore(folder)
    assert folder.is_dir()
    assert list(tmp_path.glob("*.corrupt-*")) == []


# The Chat tab's vote row, through its handlers: a vote per question, replaced, and exported.

TITLES = {"base": "Base model", "rag": "RAG (retrieval)", "lora": "LoRA fine-tuned"}


def _turn(question: str, *, failed: str = "") -> Turn:
    answers = {
        name: Answer(name, f"{name} on {question}", done=name != failed, completion_tokens=3)
        for name in THREE
    }
    return Turn(question, "2025-01-02T03:04:05+00:00", answers, settings={"top_k": 4})


@pytest.fixture
def chat(tmp_path: Path):
    """(store, config, two asked questions) of one browser session, before any vote."""
    config = Config(data_dir=str(tmp_path / "data"))
    votes = VoteStore(config.data_path / "votes.sqlite")
    yield votes, config, [_turn("What is the notice period?"), _turn("And the fees?")]
    votes.close()


def _vote(store, picked, key, turns, session=None):
    ratings = Leaderboard(store, TITLES)
    status, turns, _, session, _ = votes_panel._cast(store, ratings, picked, turns, session, key)
    return status, turns, session


def test_a_vote_on_an_earlier_question_counts_for_that_question_only(chat):
    store, _, turns = chat
    first, second = turns
    status, turns, session = _vote(store, "rag", first.key, turns)
    assert status == "Thanks — vote on question 1 recorded: RAG (retrieval)."
    assert [t.vote for t in turns] == ["rag", None]
    vote = store.vote_of(session, first.key)
    assert (vote.choice, vote.question, vote.blind) == ("rag", first.question, False)
    assert vote.shown == ("base", "rag", "lora")
    saved = store.turn_record(session, first.key)["answers"]
    assert saved["rag"]["text"] == "rag on What is the notice period?"
    assert saved["rag"]["title"] == "RAG (retrieval)" and saved["rag"]["settings"] == {"top_k": 4}

    status, turns, session = _vote(store, TIE, None, turns, session)  # no key: the last one
    assert status == "Thanks — vote on question 2 recorded: Tie."
    status, turns, session = _vote(store, "base", first.key, turns, session)
    assert status == "Vote on question 1 changed: Base model (was: RAG (retrieval))."
    assert [t.vote for t in turns] == ["base", TIE]
    assert store.count() == 2  # replaced, not added
    assert store.vote_of(session, first.key).choice == "base"
    assert store.vote_of(session, second.key).choice == TIE
    assert [s.name for s in store.leaderboard()[0] if s.wins] == ["base"]


def test_a_vote_that_cannot_count_changes_nothing(chat):
    store, _, turns = chat
    assert _vote(store, "rag", None, [])[0] == "**Ask a question first.**"
    assert _vote(store, "rag", "not-a-key", turns)[0] == "**Pick a question first.**"
    assert _vote(store, None, turns[0].key, turns)[0].startswith("**Pick an answer")
    broken = [_turn("q", failed="lora")]
    assert _vote(store, "lora", None, broken)[0].startswith("**Pick an answer")  # it failed
    status, turns, session = _vote(store, "rag", turns[0].key, turns)
    assert _vote(store, "rag", turns[0].key, turns, session)[0] == (
        "Your vote on question 1 stays: RAG (retrieval)."
    )
    assert store.count() == 1


def test_the_question_picker_lists_the_latest_first_and_offers_its_answers(chat):
    _, _, turns = chat
    long = _turn("Which   AWS\nregion " + "x" * 80, failed="lora")
    picker, radio = votes_panel._after_answer(TITLES, [*turns, long])
    assert [value for _, value in picker.choices] == [long.key, turns[1].key, turns[0].key]
    assert picker.value == long.key
    label = picker.choices[0][0]
    assert label.startswith("3. Which AWS region xxx") and label.endswith("…")
    assert len(label) == len("3. ") + votes_panel.LABEL_CHARS + 1
    assert [value for _, value in radio.choices] == ["base", "rag", TIE, ALL_BAD]
    voted = [replace(turns[0], vote="lora"), turns[1]]
    again = votes_panel._pick(TITLES, turns[0].key, voted)
    assert again.value == "lora" and len(again.choices) == 5


def test_share_stores_the_picked_question_and_shows_its_link(chat):
    store, _, turns = chat
    share = votes_panel._sharer(store, TITLES, "USD")
    said = share(turns[0].key, turns, None)
    share_id = said.rsplit("/share/", 1)[1].rstrip(")")
    assert said.startswith("Link to question 1") and f"[/share/{share_id}]" in said
    record = store.shared(share_id)
    assert record["question"] == "What is the notice period?" and record["number"] == 1
    assert record["answers"]["lora"]["title"] == "LoRA fine-tuned"
    assert record["settings"] == {"top_k": 4} and record["vote"] is None
    assert share(None, [], None) == "**Ask a question first.**"


def test_the_dataset_export_writes_one_line_per_question_and_the_pairs(chat):
    store, config, turns = chat
    status, files, session = votes_panel._export_votes(store, config, None)
    assert status.startswith("**Nothing to export yet") and not files.visible
    _, turns, session = _vote(store, "rag", turns[0].key, turns, session)
    _, turns, session = _vote(store, TIE, turns[1].key, turns, session)
    status, files, same = votes_panel._export_votes(store, config, session)
    assert same == session and "schema: docs/arena.md" in status
    folder = config.data_path / votes_panel.EXPORTS / session
    assert [f["orig_name"] for f in files.value] == [
        "arena-votes.jsonl",
        "preference-pairs.jsonl",
    ]
    paths = [folder / "arena-votes.jsonl", folder / "preference-pairs.jsonl"]
    records = [json.loads(line) for line in paths[0].read_text().splitlines()]
    assert sorted(r["question"] for r in records) == ["And the fees?", "What is the notice period?"]
    assert {r["vote"]["choice"] for r in records} == {"rag", TIE}
    pairs = [json.loads(line) for line in paths[1].read_text().splitlines()]
    assert {(p["chosen_column"], p["rejected_column"]) for p in pairs} == {
        ("rag", "base"),
        ("rag", "lora"),
    }  # a tie makes no pair
    assert pairs[0]["prompt"] == "What is the notice period?"
    assert status.startswith(
        "Exported the votes and feedback on 2 questions, and 2 preference pairs"
    )
