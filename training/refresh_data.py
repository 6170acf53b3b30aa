"""What an incremental refresh learns from: which facts of the edited documents still hold, which
changed, which are gone, and the small dataset an incremental training run trains on.

A fact seed (data/facts) whose evidence is no longer in its document is re-anchored: the most
similar sentence of the new text becomes its evidence, and the words that replaced the old
answer become the new answer ("up to 25 Authorised Users" -> "up to 30 Authorised Users": the
answer "25" becomes "30"). The fact's questions still ask the same thing. Facts that cannot be
re-anchored are dropped and listed; documents without seeds cannot be learnt at all — that data
cost is what the demo shows.
"""

from __future__ import annotations

import difflib
import random
import re
from dataclasses import asdict, dataclass, field

from training.qa import HEADING, SEED, phrasing_item

REPLAY = 96  # unchanged training questions mixed into an update, against forgetting
REPEAT = 4  # times each changed fact's training phrasings appear in an update's data
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")


@dataclass
class Refresh:
    kept: list[dict] = field(default_factory=list)  # still verbatim in their documents
    updated: list[dict] = field(default_factory=list)  # re-anchored: new evidence and answer
    dropped: list[tuple[dict, str]] = field(default_factory=list)  # with the reason


def refresh_facts(facts: list[dict], texts: dict[str, str]) -> Refresh:
    """Sort the fact seeds against the current document texts (path -> text)."""
    result = Refresh()
    for fact in facts:
        text = texts.get(fact["doc"])
        if text is None:
            result.dropped.append((fact, f"{fact['doc']} was removed"))
        elif fact["evidence"] in text:
            result.kept.append(fact)
        elif (moved := reanchor(fact, text)) is not None:
            result.updated.append(moved)
        else:
            result.dropped.append((fact, f"its evidence is no longer in {fact['doc']}"))
    return result


def reanchor(fact: dict, text: str, minimum: float = 0.7) -> dict | None:
    """The fact with evidence and answer taken from the passage of `text` that replaced its
    evidence, or None if no sentence holds enough of the old evidence's words or the answer
    cannot be located."""
    old = _words(fact["evidence"])
    best, sentence = 0.0, ""
    for candidate in (s.strip() for s in _SENTENCE.split(text) if s.strip()):
        words = _words(candidate)
        score = len(old & words) / max(len(old), 1) - len(words - old) / 1000  # then shortest
        if score > best:
            best, sentence = score, candidate
    if best < minimum:
        return None
    moved = _realign(fact["evidence"], fact["answer"], sentence)
    if moved is None:
        return None
    evidence, answer = moved
    return {
        **fact,
        "evidence": evidence,
        "answer": answer,
        "section": _section_of(text, sentence) or fact["section"],
        "previous_answer": fact["answer"],
    }


def _words(text: str) -> set[str]:
    return {w.strip(".,;:()\"'").lower() for w in text.split()} - {""}


def _realign(old: str, answer: str, sentence: str) -> tuple[str, str] | None:
    """The part of `sentence` that corresponds to the old evidence, and the words in it that
    stand where `answer` stood."""
    start = old.find(answer)
    if start < 0:
        return None
    old_words, new_words = old.split(), sentence.split()
    first = len(old[:start].split())
    last = first + len(answer.split())
    opcodes = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False).get_opcodes()
    pieces: list[str] = []
    for tag, i1, i2, j1, j2 in opcodes:
        low, high = max(i1, first), min(i2, last)
        if tag == "equal" and low < high:
            pieces += new_words[j1 + low - i1 : j1 + high - i1]
        elif (tag != "equal" and low < high) or (tag == "insert" and first < i1 < last):
            pieces += new_words[j1:j2]  # the words that replaced (part of) the answer
    inner = [op for op in opcodes if op[0] != "insert" or 0 < op[1] < len(old_words)]
    evidence = " ".join(new_words[inner[0][3] : inner[-1][4]]) if inner else sentence
    answer = " ".join(pieces).strip(" ,.;:")
    return (evidence, answer) if answer and answer in evidence else None


def _section_of(text: str, sentence: str) -> str | None:
    position = text.find(sentence)
    headings = [m for m in HEADING.finditer(text) if m.start() < position]
    return headings[-1].group(1).strip() if headings else None


def incremental_splits(
    refresh: Refresh,
    old_train: list[dict],
    replay: int = REPLAY,
    repeat: int = REPEAT,
    seed: int = SEED,
) -> dict[str, list[dict]]:
    """Train on the changed facts (phrasings 1-2, repeated) plus a replay sample of unchanged
    training questions, so the update does not wipe out what the adapter knew; validate on
    phrasing 3 and test on phrasing 4 of the changed facts."""
    stale = {f["id"] for f in refresh.updated} | {f["id"] for f, _ in refresh.dropped}
    unchanged = [row for row in old_train if row["id"].split("/")[0] not in stale]
    rng = random.Random(seed)
    sample = rng.sample(unchanged, min(replay, len(unchanged)))
    new = [_qa(fact, p) for fact in refresh.updated for p in (0, 1)] * repeat
    return {
        "train": new + sample,
        "validation": [_qa(fact, 2) for fact in refresh.updated],
        "test": [_qa(fact, 3) for fact in refresh.updated],
    }


def _qa(fact: dict, phrasing: int) -> dict:
    return asdict(phrasing_item(fact, phrasing))
