"""Why answers went wrong, and for which kinds of question: a wrong answer whose passages held
the gold answer is a reading failure (the model had it and missed it); one whose passages did not
is a retrieval failure. Recall at 1, 3 and 5 passages, and every figure per question type."""

from __future__ import annotations

import re
from collections.abc import Sequence
from statistics import mean
from typing import Any

TYPES = ("number", "period", "name", "term", "yes/no", "unanswerable")
_PERIOD = re.compile(
    r"\b\d[\d,.]*\s*(?:-\s*)?(?:second|minute|hour|day|week|month|year|business day)s?\b", re.I
)


def question_type(item: dict[str, Any]) -> str:
    """The item's `type` where the question set gives one; else read from its gold answers."""
    if item.get("type") in TYPES:
        return str(item["type"])
    answers = [str(a) for a in item.get("answers") or []]
    if not answers:
        return "unanswerable"
    if any(a.strip().lower() in ("yes", "no") for a in answers):
        return "yes/no"
    if any(_PERIOD.search(a) for a in answers):
        return "period"
    if any(re.search(r"\d", a) for a in answers):
        return "number"
    if any(a[:1].isupper() for a in answers):
        return "name"
    return "term"


def breakdown(rows: Sequence[Any]) -> dict[str, Any]:
    """Failure kinds and recall@1/3/5 over `rows` (one pipeline's Records without errors)."""
    answerable = [r for r in rows if r.answerable]
    wrong = [r for r in answerable if not r.contains and r.passages_hold_answer is not None]
    with_source = [r for r in answerable if r.source and r.retrieved]
    figures: dict[str, Any] = {
        "reading_failures": _share([bool(r.passages_hold_answer) for r in wrong]),
        "retrieval_failures": _share([not r.passages_hold_answer for r in wrong]),
    }
    for k in (1, 3, 5):
        figures[f"recall_at_{k}"] = _share(
            [r.gold_rank is not None and r.gold_rank <= k for r in with_source]
        )
    return figures


def by_type(rows: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """Per question type: how many, contains-gold (answerable) or declined (unanswerable),
    false declines, and mean prompt tokens."""
    result: dict[str, dict[str, Any]] = {}
    for kind in TYPES:
        group = [r for r in rows if r.kind == kind]
        if not group:
            continue
        result[kind] = {
            "questions": len(group),
            "contains": _share([bool(r.contains) for r in group])
            if kind != "unanswerable"
            else None,
            "declined": _share([r.abstained for r in group]),
            "prompt_tokens": mean([r.prompt_tokens for r in group if r.prompt_tokens] or [0]),
        }
    return result


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None
