"""The arena's votes and feedback as a dataset: one JSON object per question, and the preference
pairs (chosen / rejected answer) they make, ready for DPO-style training.

One record per (session, turn) that has a saved question, a vote or feedback, ordered by session,
then turn. A vote cast without a turn (files from before the arena) is a record of its own, with
turn "" and no answers. Schema "rag-vs-ft/arena-1":

    {"schema": "rag-vs-ft/arena-1", "session": str (a hash of the browser session's id),
     "turn": str, "question": str,
     "asked_at": str | null,
     "answers": {column: {...the record the UI saved: text, sources, numbers, settings...}},
     "vote": {"choice": column | "tie" | "all bad", "blind": bool,
              "shown": [columns, in display order], "created_at": str} | null,
     "feedback": {column: {"rating": 1 | -1 | 0, "comment": str}},
     "pairs": [{"chosen": column, "rejected": column, "from": "vote" | "feedback",
                "chosen_text": str | null, "rejected_text": str | null}]}

Pairs: a vote for column X makes X chosen over every other shown column (a tie or "all bad"
makes none); feedback makes each thumbs-up column chosen over each thumbs-down column of the
same question. Texts are the saved answers' "text", null when that answer was not saved.

Run: `export_jsonl(VoteStore(path), Path("arena.jsonl"))`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from arena.store import ALL_BAD, TIE, Feedback, Vote, VoteStore
from common.files import replace_atomically

SCHEMA = "rag-vs-ft/arena-1"


def records(store: VoteStore) -> list[dict[str, Any]]:
    """One record per question with a saved turn, a vote or feedback (the schema above)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for saved in store.turns():
        found[saved["session"], saved["turn"]] = _record(
            saved["session"], saved["turn"], saved["question"], saved["asked_at"], saved["answers"]
        )
    loose: list[dict[str, Any]] = []  # votes without a turn: not tied to any saved question
    for vote in store.votes():
        if vote.session and vote.turn:
            key = (vote.session, vote.turn)
            found.setdefault(key, _record(vote.session, vote.turn, vote.question))
            found[key]["vote"] = _vote(vote)
        else:
            loose.append({**_record(vote.session, vote.turn, vote.question), "vote": _vote(vote)})
    for given in store.feedback():
        record = found.setdefault((given.session, given.turn), _record(given.session, given.turn))
        record["feedback"][given.column] = _feedback(given)
    every = [found[key] for key in sorted(found)] + loose
    for record in every:
        record["pairs"] = _pairs(record)
    return every


def preference_pairs(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records' pairs as flat rows (prompt, chosen, rejected, ...) for a DPO trainer; pairs
    without both answers' texts are left out, since a trainer needs the texts."""
    rows = []
    for record in records:
        for pair in record["pairs"]:
            if pair["chosen_text"] is None or pair["rejected_text"] is None:
                continue
            rows.append(
                {
                    "prompt": record["question"],
                    "chosen": pair["chosen_text"],
                    "rejected": pair["rejected_text"],
                    "chosen_column": pair["chosen"],
                    "rejected_column": pair["rejected"],
                    "source": pair["from"],
                }
            )
    return rows


def export_jsonl(store: VoteStore, path: Path) -> int:
    """Write `records(store)` to `path` as UTF-8 JSON Lines, all or nothing; return how many."""
    every = records(store)

    def write(partial: Path) -> None:
        with partial.open("w", encoding="utf-8") as out:
            for record in every:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")

    replace_atomically(Path(path), write)
    return len(every)


def pseudonym(session: str) -> str:
    """A session's id as the dataset shows it: a one-way hash. The id itself names the
    session's export folder, which the app serves: an export must not hand it to others."""
    return hashlib.sha256(session.encode("utf-8")).hexdigest()[:16] if session else ""


def _record(
    session: str,
    turn: str,
    question: str = "",
    asked_at: str | None = None,
    answers: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A record with no vote, feedback or pairs yet."""
    return {
        "schema": SCHEMA,
        "session": pseudonym(session),
        "turn": turn,
        "question": question,
        "asked_at": asked_at,
        "answers": answers or {},
        "vote": None,
        "feedback": {},
        "pairs": [],
    }


def _vote(vote: Vote) -> dict[str, Any]:
    return {
        "choice": vote.choice,
        "blind": vote.blind,
        "shown": list(vote.shown),
        "created_at": vote.created_at,
    }


def _feedback(given: Feedback) -> dict[str, Any]:
    return {"rating": given.rating, "comment": given.comment}


def _pairs(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The (chosen, rejected) columns a record's vote and feedback make, with their texts."""
    found: list[tuple[str, str, str]] = []
    vote = record["vote"]
    if vote is not None and vote["choice"] not in (TIE, ALL_BAD):
        chosen = vote["choice"]
        found += [(chosen, other, "vote") for other in vote["shown"] if other != chosen]
    ratings = {column: given["rating"] for column, given in record["feedback"].items()}
    up = [column for column, rating in ratings.items() if rating > 0]
    down = [column for column, rating in ratings.items() if rating < 0]
    found += [(good, bad, "feedback") for good in up for bad in down]
    return [
        {
            "chosen": chosen,
            "rejected": rejected,
            "from": source,
            "chosen_text": _text(record["answers"], chosen),
            "rejected_text": _text(record["answers"], rejected),
        }
        for chosen, rejected, source in found
    ]


def _text(answers: dict[str, Any], column: str) -> str | None:
    """The saved answer's text, or None when the column's answer (or its text) was not saved."""
    answer = answers.get(column)
    text = answer.get("text") if isinstance(answer, dict) else None
    return text if isinstance(text, str) else None
