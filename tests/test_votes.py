import logging
import sqlite3
import threading
from pathlib import Path

import pytest

from arena.store import ALL_BAD, TIE, Standing, VoteStore

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
