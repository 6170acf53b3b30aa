"""Votes on "which answer is best", kept in one SQLite file, and the leaderboard they make."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

TIE = "tie"
ALL_BAD = "all bad"

# SQLite's own codes for "this is not a database" and "this database is damaged"; any other
# error (locked, read-only, no such folder) is not corruption and must not move the file aside.
_CORRUPTION = {"SQLITE_NOTADB", "SQLITE_CORRUPT"}


class _CorruptDatabase(Exception):
    """The file exists but is not a usable SQLite database."""


_SCHEMA = """
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


@dataclass(frozen=True)
class Standing:
    """One column's record: how often it was voted best out of the votes it was shown in."""

    name: str
    wins: int
    shown: int
    win_rate: float


class VoteStore:
    """Votes on 'which answer is best', in one SQLite file; safe to use from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._conn = _open(self.path)
        except _CorruptDatabase as error:
            moved = _move_aside(self.path)
            log.warning("%s is not a valid vote database (%s); kept as %s", path, error, moved)
            self._conn = _open(self.path)

    def record(self, question: str, choice: str, columns: Sequence[str], session: str = "") -> int:
        """Store one vote for `question`, cast while `columns` were shown; return its id."""
        shown = _checked(choice, columns)
        created_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        with self._lock, self._conn:  # the connection's context commits, or rolls back
            cursor = self._conn.execute(
                "INSERT INTO votes (created_at, session, question, choice) VALUES (?, ?, ?, ?)",
                (created_at, session, question, choice),
            )
            vote_id = int(cursor.lastrowid or 0)
            self._conn.executemany(
                "INSERT INTO vote_columns (vote_id, name) VALUES (?, ?)",
                [(vote_id, name) for name in shown],
            )
        return vote_id

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


def _checked(choice: str, columns: Sequence[str]) -> list[str]:
    """The shown column names, each once, after refusing a vote that cannot be counted."""
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


def _open(path: Path) -> sqlite3.Connection:
    """Connect, create the tables, and make every commit durable before it returns."""
    conn = sqlite3.connect(path, timeout=10, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(_SCHEMA)
        status = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        conn.close()
        if getattr(error, "sqlite_errorname", "") in _CORRUPTION:
            raise _CorruptDatabase(str(error)) from error
        raise
    if status != "ok":
        conn.close()
        raise _CorruptDatabase(f"integrity check: {status}")
    return conn


def _move_aside(path: Path) -> Path:
    """Rename `path` to `<name>.corrupt-<UTC time>`, its WAL and shared-memory files with it,
    so that the moved database still opens as it was; nothing is deleted."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    moved = path.with_name(f"{path.name}.corrupt-{stamp}")
    serial = 1
    while moved.exists():
        moved = path.with_name(f"{path.name}.corrupt-{stamp}-{serial}")
        serial += 1
    for suffix in ("-wal", "-shm"):
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            sidecar.rename(moved.with_name(moved.name + suffix))
    path.rename(moved)
    return moved
