"""The arena's SQLite file: its tables, their version (`PRAGMA user_version`), the upgrade of
older files, and what happens to a damaged one.

Version 1 is the file that ui/votes.py wrote before the arena existed (user_version 0, the tables
`votes` and `vote_columns`). Version 2 adds, per question, the turn and whether the vote was blind,
the display order of the columns, and the tables `turns`, `feedback` and `shares`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

SCHEMA_VERSION = 2

# SQLite's own codes for "this is not a database" and "this database is damaged"; any other
# error (locked, read-only, no such folder) is not corruption and must not move the file aside.
_CORRUPTION = {"SQLITE_NOTADB", "SQLITE_CORRUPT"}

# The tables as version 1 made them, kept verbatim: a new file is built by creating these and then
# running every upgrade, so that new and upgraded files cannot differ.
_VERSION_1 = (
    """CREATE TABLE votes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL,
        session TEXT NOT NULL,
        question TEXT NOT NULL,
        choice TEXT NOT NULL
    )""",
    """CREATE TABLE vote_columns (
        vote_id INTEGER NOT NULL REFERENCES votes(id),
        name TEXT NOT NULL,
        PRIMARY KEY (vote_id, name)
    )""",
)

_TO_VERSION_2 = (
    # Old votes were cast on a whole conversation's last question, always with names showing.
    "ALTER TABLE votes ADD COLUMN turn TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE votes ADD COLUMN blind INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE vote_columns ADD COLUMN position INTEGER NOT NULL DEFAULT 0",
    # Version 1 inserted a vote's columns in display order, so their rowids give that order.
    """UPDATE vote_columns SET position = (
        SELECT COUNT(*) FROM vote_columns AS earlier
        WHERE earlier.vote_id = vote_columns.vote_id AND earlier.rowid < vote_columns.rowid
    )""",
    # One vote per question of a session; votes without a session or a turn are not per question.
    """CREATE UNIQUE INDEX votes_per_turn ON votes (session, turn)
        WHERE session <> '' AND turn <> ''""",
    """CREATE TABLE turns (
        session TEXT NOT NULL,
        turn TEXT NOT NULL,
        question TEXT NOT NULL,
        asked_at TEXT NOT NULL,
        answers TEXT NOT NULL,
        saved_at TEXT NOT NULL,
        PRIMARY KEY (session, turn)
    )""",
    """CREATE TABLE feedback (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL,
        session TEXT NOT NULL,
        turn TEXT NOT NULL,
        column_name TEXT NOT NULL,
        rating INTEGER NOT NULL CHECK (rating IN (-1, 0, 1)),
        comment TEXT NOT NULL,
        UNIQUE (session, turn, column_name)
    )""",
    """CREATE TABLE shares (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        record TEXT NOT NULL
    )""",
)

# The statements that take a file from version N to N + 1.
_UPGRADES = {1: _TO_VERSION_2}


class CorruptDatabase(Exception):
    """The file exists but is not a usable SQLite database."""


class SchemaTooNew(RuntimeError):
    """The file was written by a newer version of the code than this one."""


def now() -> str:
    """The time now in UTC, as every table stores it: 2025-01-31T09:30:00.123+00:00."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def connect(path: Path) -> sqlite3.Connection:
    """Open `path` at the current schema version, creating or upgrading it; every commit is
    durable before it returns. Raises CorruptDatabase for a damaged file, SchemaTooNew for a
    file from newer code."""
    # isolation_level=None: transactions are begun explicitly, by `transaction` below.
    conn = sqlite3.connect(path, timeout=10, check_same_thread=False, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        status = conn.execute("PRAGMA quick_check").fetchone()[0]
        if status != "ok":
            raise CorruptDatabase(f"integrity check: {status}")
        _upgrade(conn, path)
    except sqlite3.DatabaseError as error:
        conn.close()
        if getattr(error, "sqlite_errorname", "") in _CORRUPTION:
            raise CorruptDatabase(str(error)) from error
        raise
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block as one transaction: committed at its end, rolled back on any error."""
    # IMMEDIATE takes the write lock up front, so a writer in another process waits for it (the
    # busy timeout) rather than failing halfway when a read lock cannot be upgraded.
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _upgrade(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the file to SCHEMA_VERSION in one transaction, so that two processes opening it at
    once cannot both upgrade it, and a failed upgrade leaves the file as it was."""
    with transaction(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"{path} has arena schema version {version}, but this code reads versions up to"
                f" {SCHEMA_VERSION}: update the code, or point it at another file"
            )
        if version == 0:  # version 1 never set user_version: it is 0 with or without tables
            if not _has_table(conn, "votes"):
                for statement in _VERSION_1:
                    conn.execute(statement)
            version = 1
        while version < SCHEMA_VERSION:
            for statement in _UPGRADES[version]:
                conn.execute(statement)
            version += 1
        # A PRAGMA takes no bound parameters; the value is our own integer.
        conn.execute(f"PRAGMA user_version = {int(version)}")


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return found.fetchone() is not None


def move_aside(path: Path) -> Path:
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
