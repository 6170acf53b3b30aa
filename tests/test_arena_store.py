import sqlite3
import threading
from pathlib import Path

import pytest

from arena.schema import SCHEMA_VERSION, SchemaTooNew
from arena.store import ALL_BAD, COMMENT_LIMIT, TIE, Feedback, VoteStore

THREE = ["base", "rag", "lora"]

# The tables exactly as ui/votes.py created them before schema versions existed (user_version 0).
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS votes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    session TEXT NOT NULL,
    question TEXT NOT NULL,
    choice TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS vote_columns (
    vote_id INTEGER NOT NULL REFERENCES votes(id),
    name TEXT NOT NULL,
    PRIMARY KEY (vote_id, name)
);
"""


@pytest.fixture
def store(tmp_path: Path):
    votes = VoteStore(tmp_path / "votes.sqlite")
    yield votes
    votes.close()


def version_of(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def test_a_second_vote_on_the_same_question_replaces_the_first(store: VoteStore):
    first = store.record("q1", "rag", THREE, "s1", turn="t1")
    second = store.record("q1", "lora", THREE, "s1", turn="t1")
    assert second > first
    assert store.count() == 1
    assert store.vote_of("s1", "t1").choice == "lora"
    assert store.leaderboard()[0][0].name == "lora"  # the replaced vote counts nowhere
    store.record("q2", TIE, THREE, "s1", turn="t2")  # another question of the session
    store.record("q1", "base", THREE, "s2", turn="t1")  # the same turn name, another session
    store.record("no turn", "rag", THREE, "s1")  # votes without a turn never replace
    store.record("no turn", "rag", THREE, "s1")
    assert store.count() == 5
    assert [v.choice for v in store.votes()] == ["lora", TIE, "base", "rag", "rag"]
    assert store.vote_of("s1", "missing") is None
    assert store.vote_of("s1", "") is None


def test_blind_flag_is_stored_and_filters_votes(store: VoteStore):
    store.record("q1", "rag", THREE, "s1", turn="t1", blind=True)
    store.record("q2", "base", THREE, "s1", turn="t2")
    store.record("q3", ALL_BAD, THREE, "s2", turn="t1", blind=True)
    assert [v.question for v in store.votes(blind=True)] == ["q1", "q3"]
    assert [v.question for v in store.votes(blind=False)] == ["q2"]
    assert [v.blind for v in store.votes()] == [True, False, True]
    assert store.vote_of("s1", "t1").blind is True


def test_columns_keep_the_order_they_were_displayed_in(store: VoteStore):
    store.record("q", "rag", ["lora", "rag", "base", "rag"], "s", turn="t")
    store.record("q", "base", ["rag_lora", "base", "alpha"], "s", turn="u")
    vote = store.vote_of("s", "t")
    assert vote.shown == ("lora", "rag", "base")  # duplicates dropped, order kept
    assert (vote.session, vote.turn, vote.question, vote.choice) == ("s", "t", "q", "rag")
    assert vote.created_at.endswith("+00:00")
    assert [v.shown for v in store.votes()] == [
        ("lora", "rag", "base"),
        ("rag_lora", "base", "alpha"),
    ]


def test_an_invalid_vote_does_not_remove_the_vote_it_would_replace(store: VoteStore):
    store.record("q", "rag", THREE, "s", turn="t")
    with pytest.raises(ValueError, match="invalid vote"):
        store.record("q", "gpt", THREE, "s", turn="t")
    assert store.vote_of("s", "t").choice == "rag"


def test_feedback_is_stored_replaced_and_checked(store: VoteStore):
    first = store.add_feedback("s", "t", "rag", 1, "  clear and sourced  ")
    store.add_feedback("s", "t", "base", -1)
    store.add_feedback("s", "u", "rag", 0, "only a comment")
    again = store.add_feedback("s", "t", "rag", -1, "on second thought, wrong")
    assert again > first
    given = store.feedback()
    assert [(f.turn, f.column, f.rating, f.comment) for f in given] == [
        ("t", "base", -1, ""),
        ("u", "rag", 0, "only a comment"),
        ("t", "rag", -1, "on second thought, wrong"),
    ]
    assert isinstance(given[0], Feedback) and given[0].created_at.endswith("+00:00")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("s", "t", "rag", 1, "x" * (COMMENT_LIMIT + 1)), f"at most {COMMENT_LIMIT} characters"),
        (("s", "t", "rag", 2), "invalid rating 2"),
        (("s", "t", "rag", True), "invalid rating True"),
        (("s", "t", "rag", 0, "   "), "a rating or a comment"),
        (("", "t", "rag", 1), "session must not be empty"),
        (("s", "t", "", 1), "column must not be empty"),
    ],
)
def test_invalid_feedback_is_refused(store: VoteStore, args, message):
    store.add_feedback("s", "t", "rag", 1, "kept")
    with pytest.raises(ValueError, match=message):
        store.add_feedback(*args)
    assert [(f.rating, f.comment) for f in store.feedback()] == [(1, "kept")]


def test_a_comment_at_the_limit_after_trimming_is_kept(store: VoteStore):
    store.add_feedback("s", "t", "rag", 1, "  " + "é" * COMMENT_LIMIT + "\n")
    assert store.feedback()[0].comment == "é" * COMMENT_LIMIT


def test_saved_turns_round_trip_and_are_replaced(tmp_path: Path):
    path = tmp_path / "votes.sqlite"
    answers = {
        "rag": {"text": "Ventil 🚀", "sources": [{"file": "a.md", "score": 0.5}], "tokens": 12},
        "base": {"text": "no idea", "sources": [], "settings": {"temperature": 0.0}},
    }
    store = VoteStore(path)
    store.save_turn("s", "t", "What powers the pump?", "2025-01-31T09:30:00", answers)
    store.save_turn("s", "u", "old", "x", {})
    store.save_turn("s", "u", "new", "y", {"lora": {"text": "z"}})
    store.close()
    again = VoteStore(path)
    assert again.turn_record("s", "t") == {
        "session": "s",
        "turn": "t",
        "question": "What powers the pump?",
        "asked_at": "2025-01-31T09:30:00",
        "answers": answers,
    }
    assert again.turn_record("s", "u")["question"] == "new"
    assert [t["turn"] for t in again.turns()] == ["t", "u"]
    assert again.turn_record("s", "missing") is None
    with pytest.raises(ValueError, match="over the limit"):
        again.save_turn("s", "v", "q", "x", {"rag": {"text": "x" * 1_000_001}})
    with pytest.raises(ValueError, match="turn must not be empty"):
        again.save_turn("s", "", "q", "x", {})
    again.close()


def test_shared_comparisons_survive_reopening(tmp_path: Path):
    path = tmp_path / "votes.sqlite"
    record = {"question": "Was ist RAG?", "answers": {"rag": {"text": "Retrieval…"}}, "n": [1, 2]}
    store = VoteStore(path)
    share_id = store.share(record)
    other = store.share({"question": "another"})
    store.close()
    assert len(share_id) == 12 and share_id != other
    again = VoteStore(path)
    assert again.shared(share_id) == record
    assert again.shared(other) == {"question": "another"}
    again.close()


@pytest.mark.parametrize(
    "share_id",
    ["../../etc/passwd", "' OR 1=1 --", "", "AAAAAAAAAAAA", "aaaaaaaaaaa\n", "a" * 13, None],
)
def test_unknown_and_malformed_share_ids_find_nothing(store: VoteStore, share_id):
    store.share({"question": "stored"})
    assert store.shared(share_id) is None


def test_a_share_too_large_or_not_a_dict_is_refused(store: VoteStore):
    with pytest.raises(ValueError, match="over the limit of 1,000,000"):
        store.share({"text": "x" * 1_000_000})
    with pytest.raises(ValueError, match="must be a dict"):
        store.share(["not", "a", "dict"])


def test_an_old_file_is_migrated_in_place_and_keeps_its_votes(tmp_path: Path):
    path = tmp_path / "votes.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
        for vote_id, (choice, shown) in enumerate([("rag", THREE), (TIE, ["lora", "base"])], 1):
            conn.execute(
                "INSERT INTO votes (created_at, session, question, choice) VALUES (?, ?, ?, ?)",
                ("2024-05-01T10:00:00.000+00:00", "old", f"question {vote_id}", choice),
            )
            conn.executemany(
                "INSERT INTO vote_columns (vote_id, name) VALUES (?, ?)",
                [(vote_id, name) for name in shown],
            )
    conn.close()
    assert version_of(path) == 0

    store = VoteStore(path)
    votes = store.votes()
    assert [(v.question, v.choice, v.shown, v.blind, v.turn) for v in votes] == [
        ("question 1", "rag", tuple(THREE), False, ""),
        ("question 2", TIE, ("lora", "base"), False, ""),
    ]
    assert store.votes(blind=True) == []
    assert store.leaderboard()[1] == {TIE: 1, ALL_BAD: 0, "total": 2}
    store.record("new", "lora", THREE, "s", turn="t", blind=True)  # the new columns work
    store.add_feedback("s", "t", "lora", 1)
    store.close()
    assert version_of(path) == SCHEMA_VERSION == 2
    assert VoteStore(path).count() == 3  # a migrated file opens again without migrating twice


def test_a_failed_migration_leaves_the_old_file_as_it_was(tmp_path: Path):
    path = tmp_path / "votes.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA + "CREATE TABLE turns (x TEXT);")  # blocks the upgrade
        conn.execute("INSERT INTO votes VALUES (1, 'then', 's', 'q', 'rag')")
    conn.close()
    with pytest.raises(sqlite3.OperationalError, match="turns already exists"):
        VoteStore(path)
    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(votes)")]
        assert columns == ["id", "created_at", "session", "question", "choice"]
        assert conn.execute("SELECT COUNT(*) FROM votes").fetchone()[0] == 1
    conn.close()
    assert version_of(path) == 0


def test_a_file_from_newer_code_is_refused_with_both_versions(tmp_path: Path):
    path = tmp_path / "votes.sqlite"
    VoteStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 7")
    conn.close()
    with pytest.raises(SchemaTooNew, match="schema version 7.*versions up to 2"):
        VoteStore(path)
    assert version_of(path) == 7  # left as it was, not moved aside
    assert list(tmp_path.glob("*.corrupt-*")) == []


def test_concurrent_votes_from_threads_and_a_second_store_are_all_kept(tmp_path: Path):
    path = tmp_path / "votes.sqlite"
    shared, other = VoteStore(path), VoteStore(path)  # `other` plays a second worker process
    threads_n, per_thread = 20, 25
    errors: list[BaseException] = []
    start = threading.Barrier(threads_n + 1)

    def vote(store: VoteStore, worker: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                store.record(f"q{i}", THREE[i % 3], THREE, f"s{worker}", turn=f"t{i}")
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    workers = [threading.Thread(target=vote, args=(shared, w)) for w in range(threads_n)]
    workers.append(threading.Thread(target=vote, args=(other, threads_n)))
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert errors == []
    total = (threads_n + 1) * per_thread
    expected = {(f"s{w}", f"t{i}") for w in range(threads_n + 1) for i in range(per_thread)}
    for store in (shared, other):
        assert store.count() == total
        assert {(v.session, v.turn) for v in store.votes()} == expected
    shared.close()
    other.close()
    reopened = VoteStore(path)
    assert reopened.count() == total
    assert {(v.session, v.turn) for v in reopened.votes()} == expected
    reopened.close()
