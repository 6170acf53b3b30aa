"""Votes on "which answer is best" (blind or not), feedback on each answer, the answers behind
them, and shared comparisons: one SQLite file that every browser session writes through.

The tables and their versions are in arena/schema.py. One VoteStore serves every session of a
process (its lock serialises them); other processes may open the same file at the same time.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arena.schema import CorruptDatabase, connect, move_aside, now, transaction

log = logging.getLogger(__name__)

TIE = "tie"
ALL_BAD = "all bad"
RATINGS = (1, -1, 0)  # thumbs up, thumbs down, a comment alone
COMMENT_LIMIT = 500  # characters, after trimming
RECORD_LIMIT = 1_000_000  # bytes of JSON in a shared comparison or in a question's answers
_SHARE_ID = re.compile(r"[A-Za-z0-9_-]{12}")  # what secrets.token_urlsafe(9) makes

_VOTE = "SELECT id, created_at, session, turn, question, choice, blind FROM votes"
_FEEDBACK = "SELECT id, created_at, session, turn, column_name, rating, comment FROM feedback"
_TURN = "SELECT session, turn, question, asked_at, answers FROM turns"


@dataclass(frozen=True)
class Standing:
    """One column's record: how often it was voted best out of the votes it was shown in."""

    name: str
    wins: int
    shown: int
    win_rate: float


@dataclass(frozen=True)
class Vote:
    """One vote; `shown` holds the columns in the order they were displayed."""

    id: int
    created_at: str
    session: str
    turn: str
    question: str
    choice: str
    shown: tuple[str, ...]
    blind: bool


@dataclass(frozen=True)
class Feedback:
    """A thumbs up (1), a thumbs down (-1) or a comment alone (0) on one column's answer."""

    id: int
    created_at: str
    session: str
    turn: str
    column: str
    rating: int
    comment: str


class VoteStore:
    """The arena's SQLite file; safe to use from several threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._conn = connect(self.path)
        except CorruptDatabase as error:
            moved = move_aside(self.path)
            log.warning("%s is not a valid vote database (%s); kept as %s", path, error, moved)
            self._conn = connect(self.path)

    def record(
        self,
        question: str,
        choice: str,
        columns: Sequence[str],
        session: str = "",
        *,
        turn: str = "",
        blind: bool = False,
    ) -> int:
        """Store one vote, cast while `columns` were shown in that order; return its id. With a
        session and a turn, it replaces that question's earlier vote."""
        shown = checked(choice, columns)
        with self._lock, transaction(self._conn) as conn:
            if session and turn:
                old = "SELECT id FROM votes WHERE session = ? AND turn = ?"
                conn.execute(f"DELETE FROM vote_columns WHERE vote_id IN ({old})", (session, turn))
                conn.execute("DELETE FROM votes WHERE session = ? AND turn = ?", (session, turn))
            cursor = conn.execute(
                "INSERT INTO votes (created_at, session, turn, question, choice, blind)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (now(), session, turn, question, choice, int(blind)),
            )
            vote_id = int(cursor.lastrowid or 0)
            conn.executemany(
                "INSERT INTO vote_columns (vote_id, name, position) VALUES (?, ?, ?)",
                [(vote_id, name, position) for position, name in enumerate(shown)],
            )
        return vote_id

    def votes(self, blind: bool | None = None) -> list[Vote]:
        """Every vote, oldest first; only the blind ones (True) or the others (False)."""
        flag = None if blind is None else int(blind)
        return self._votes("? IS NULL OR blind = ?", (flag, flag))

    def vote_of(self, session: str, turn: str) -> Vote | None:
        """The vote on one question of a session, if any (votes need both to be per question)."""
        found = self._votes("session = ? AND turn = ?", (session, turn)) if session and turn else []
        return found[0] if found else None

    def _votes(self, where: str, values: tuple[Any, ...]) -> list[Vote]:
        """The votes that `where` (our own SQL, with `values` bound) selects, oldest first."""
        with self._lock:
            rows = self._conn.execute(f"{_VOTE} WHERE {where} ORDER BY id", values).fetchall()
            names = self._conn.execute(
                "SELECT c.vote_id, c.name FROM vote_columns c JOIN votes v ON v.id = c.vote_id"
                f" WHERE {where} ORDER BY c.vote_id, c.position, c.rowid",
                values,
            ).fetchall()
        shown: dict[int, list[str]] = {}
        for vote_id, name in names:
            shown.setdefault(vote_id, []).append(name)
        return [_vote(row, shown.get(row[0], [])) for row in rows]

    def save_turn(
        self, session: str, turn: str, question: str, asked_at: str, answers: dict[str, dict]
    ) -> None:
        """Store (or replace) one question of a session and its answers, by column name."""
        _require(session=session, turn=turn)
        encoded = _encoded(answers, "the answers")
        with self._lock, transaction(self._conn) as conn:
            conn.execute(
                "INSERT INTO turns (session, turn, question, asked_at, answers, saved_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session, turn) DO UPDATE SET"
                " question = excluded.question, asked_at = excluded.asked_at,"
                " answers = excluded.answers, saved_at = excluded.saved_at",
                (session, turn, question, asked_at, encoded, now()),
            )

    def turn_record(self, session: str, turn: str) -> dict[str, Any] | None:
        """One saved question: session, turn, question, asked_at and answers; None if unsaved."""
        with self._lock:
            row = self._conn.execute(
                f"{_TURN} WHERE session = ? AND turn = ?", (session, turn)
            ).fetchone()
        return None if row is None else _turn(row)

    def turns(self) -> list[dict[str, Any]]:
        """Every saved question, as turn_record gives it, in the order first saved."""
        with self._lock:
            rows = self._conn.execute(f"{_TURN} ORDER BY rowid").fetchall()
        return [_turn(row) for row in rows]

    def add_feedback(
        self, session: str, turn: str, column: str, rating: int, comment: str = ""
    ) -> int:
        """Store feedback on one column's answer, replacing any earlier one; return its id."""
        _require(session=session, turn=turn, column=column)
        comment = comment.strip()
        if isinstance(rating, bool) or rating not in RATINGS:
            raise ValueError(f"invalid rating {rating!r}: use 1 (up), -1 (down) or 0 (comment)")
        if len(comment) > COMMENT_LIMIT:
            raise ValueError(f"a comment holds at most {COMMENT_LIMIT} characters")
        if rating == 0 and not comment:
            raise ValueError("feedback needs a rating or a comment")
        key = (session, turn, column)
        with self._lock, transaction(self._conn) as conn:
            where = "session = ? AND turn = ? AND column_name = ?"
            conn.execute(f"DELETE FROM feedback WHERE {where}", key)
            cursor = conn.execute(
                "INSERT INTO feedback (created_at, session, turn, column_name, rating, comment)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (now(), *key, rating, comment),
            )
        return int(cursor.lastrowid or 0)

    def feedback(self) -> list[Feedback]:
        """Every feedback, oldest first."""
        with self._lock:
            rows = self._conn.execute(f"{_FEEDBACK} ORDER BY id").fetchall()
        return [Feedback(*row) for row in rows]

    def share(self, record: dict[str, Any]) -> str:
        """Store a comparison to show at a link; return its id (12 URL-safe characters)."""
        encoded = _encoded(record, "a shared comparison")
        # 72 random bits: a clash is too unlikely to handle; the primary key would refuse it.
        share_id = secrets.token_urlsafe(9)
        with self._lock, transaction(self._conn) as conn:
            conn.execute(
                "INSERT INTO shares (id, created_at, record) VALUES (?, ?, ?)",
                (share_id, now(), encoded),
            )
        return share_id

    def shared(self, share_id: str) -> dict[str, Any] | None:
        """The comparison stored under `share_id`; None for an unknown or malformed id."""
        # The id comes from a URL: anything that share() could not have made is refused here.
        if not isinstance(share_id, str) or not _SHARE_ID.fullmatch(share_id):
            return None
        with self._lock:
            row = self._conn.execute(
                "SELECT record FROM shares WHERE id = ?", (share_id,)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def leaderboard(self) -> tuple[list[Standing], dict[str, int]]:
        """Columns by win rate, then wins (best first), and the tie / all-bad / total counts."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT c.name, COUNT(*), SUM(v.choice = c.name) FROM vote_columns c"
                " JOIN votes v ON v.id = c.vote_id GROUP BY c.name"
            ).fetchall()
            choices = dict(
                self._conn.execute(
                    "SELECT choice, COUNT(*) FROM votes WHERE choice IN (?, ?) GROUP BY choice",
                    (TIE, ALL_BAD),
                ).fetchall()
            )
            total = self._conn.execute("SELECT COUNT(*) FROM votes").fetchone()[0]
        standings = [
            Standing(name=name, wins=wins, shown=shown, win_rate=wins / shown if shown else 0.0)
            for name, shown, wins in rows
        ]
        standings.sort(key=lambda s: (-s.win_rate, -s.wins, s.name))
        counts = {TIE: choices.get(TIE, 0), ALL_BAD: choices.get(ALL_BAD, 0), "total": total}
        return standings, counts

    def count(self) -> int:
        """How many votes are stored."""
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM votes").fetchone()[0]

    def close(self) -> None:
        """Close the database; the store is unusable afterwards."""
        with self._lock:
            self._conn.close()


def checked(choice: str, columns: Sequence[str]) -> list[str]:
    """The shown column names in display order, each once, after refusing a vote that cannot
    be counted."""
    shown = list(dict.fromkeys(columns))
    if not shown:
        raise ValueError("a vote needs the names of the columns that were shown")
    reserved = {TIE, ALL_BAD} & set(shown)
    if reserved:
        raise ValueError(f"{sorted(reserved)} cannot be column names: they are vote choices")
    if choice not in shown and choice not in (TIE, ALL_BAD):
        allowed = ", ".join(repr(name) for name in [*shown, TIE, ALL_BAD])
        raise ValueError(f"invalid vote {choice!r}: choose one of {allowed}")
    return shown


def _require(**values: str) -> None:
    """Refuse an empty key: feedback and saved questions are found again by these."""
    for name, value in values.items():
        if not value:
            raise ValueError(f"{name} must not be empty")


def _encoded(record: dict[str, Any], what: str) -> str:
    """`record` as strict JSON (no NaN: the export must be readable anywhere), size-checked."""
    if not isinstance(record, dict):
        raise ValueError(f"{what} must be a dict, not {type(record).__name__}")
    text = json.dumps(record, ensure_ascii=False, allow_nan=False)
    size = len(text.encode("utf-8"))
    if size > RECORD_LIMIT:
        raise ValueError(f"{what}: {size:,} bytes of JSON, over the limit of {RECORD_LIMIT:,}")
    return text


def _vote(row: tuple, shown: Sequence[str]) -> Vote:
    vote_id, created_at, session, turn, question, choice, blind = row
    return Vote(vote_id, created_at, session, turn, question, choice, tuple(shown), bool(blind))


def _turn(row: tuple) -> dict[str, Any]:
    keys = ("session", "turn", "question", "asked_at")
    return {**dict(zip(keys, row[:4], strict=True)), "answers": json.loads(row[4])}
