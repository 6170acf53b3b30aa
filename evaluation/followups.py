"""Follow-up or new subject: how well the RAG column's search finds the passage for the second
question of a pair, with the previous question searched too (a follow-up names its subject only
in the first question) or not (a new subject must keep its own passages), at each threshold of
APP_RAG_FOLLOW_UP_BELOW. The pairs: data/dev/followups.jsonl."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from documents.index import Hit
from evaluation.metrics import contains
from pipelines.rag import RagPipeline

THRESHOLDS = (0.0, 0.5, 0.55, 0.6, 1.0)  # 0: never search the previous question; 1: always


def load_pairs(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def holds(hit: Hit, pair: dict[str, Any]) -> bool:
    """Whether `hit` is a passage of the pair's document that holds its answer."""
    meta = hit.document.metadata
    return meta["document"] == pair["source"] and bool(contains(meta["text"], pair["answers"]))


def measure(
    rag: RagPipeline, pairs: Sequence[dict[str, Any]], thresholds: Sequence[float] = THRESHOLDS
) -> list[dict[str, Any]]:
    """Per threshold and kind of pair: how many pairs, the share whose answer passage is among
    the top-k ("found") and first ("first")."""
    rows = []
    for threshold in thresholds:
        column = rag.tuned(rag_follow_up_below=threshold)
        for kind in sorted({p["kind"] for p in pairs}):
            group = [p for p in pairs if p["kind"] == kind]
            found = first = 0
            for pair in group:
                history = [
                    {"role": "user", "content": pair["first"]},
                    {"role": "assistant", "content": ""},
                ]
                hits = column.retrieve(pair["second"], history)
                found += any(holds(h, pair) for h in hits)
                first += bool(hits) and holds(max(hits, key=lambda h: h.score), pair)
            rows.append(
                {
                    "threshold": threshold,
                    "kind": kind,
                    "pairs": len(group),
                    "found": found / len(group),
                    "first": first / len(group),
                }
            )
    return rows
