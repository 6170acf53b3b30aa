"""Run a question set through pipelines and measure every answer: quality, retrieval, speed, cost.

A question set is JSONL with `question` and `answers` (a list; empty = not answerable from the
corpus), optionally `id` and `source` (the document that holds the answer, for retrieval metrics).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any

from common.config import QA_DIR, REPO_ROOT
from common.errors import PipelineError
from common.logs import Progress
from evaluation.failures import breakdown, by_type, question_type
from evaluation.grounded import grounding_figures
from evaluation.metrics import abstained, answer_scores, contains, percentile
from pipelines.core import Answer, Pipeline, price

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Record:
    """One pipeline's answer to one question, with its per-answer metrics."""

    pipeline: str
    id: str
    question: str
    answers: list[str]
    text: str = ""
    error: str | None = None
    exact_match: float = 0.0
    f1: float = 0.0
    contains: float = 0.0
    abstained: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_s: float = 0.0
    first_token_s: float | None = None
    retrieval_s: float | None = None
    tokens_per_s: float | None = None
    cost: float = 0.0
    source: str | None = None
    retrieved: list[str] = field(default_factory=list)
    gold_rank: int | None = None  # rank of the first passage from the gold source document
    passages_hold_answer: bool | None = None
    # whether the sentences handed to the model hold it (None: whole passages were handed)
    evidence_holds_answer: bool | None = None
    kind: str = ""  # the question's type (evaluation/failures.py)
    # the evidence check, after all answers (evaluation/grounded.py): the answer's values and
    # how many the documents support or contradict; check_s None = not checked
    values_checked: int = 0
    values_supported: int = 0
    values_contradicted: int = 0
    check_s: float | None = None

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


DEFAULT_SETS = tuple(
    str(REPO_ROOT / QA_DIR / name) for name in ("test.jsonl", "unanswerable.jsonl")
)


def load_questions(paths: Sequence[Path], limit: int = 0) -> list[dict[str, Any]]:
    """Question items from JSONL files (the first `limit` of each, 0 = all), checked for shape.
    Raises ValueError naming the file and line of a malformed item."""
    items: list[dict[str, Any]] = []
    for path in paths:
        rows = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                raise ValueError(f"{path.name} line {number}: not valid JSON") from None
            ok = isinstance(row, dict) and isinstance(row.get("question"), str)
            if not ok or not isinstance(row.get("answers"), list) or not row["question"].strip():
                raise ValueError(
                    f"{path.name} line {number}: needs a non-empty 'question' and an 'answers' list"
                )
            row.setdefault("id", f"{path.stem}-{number}")
            rows.append(row)
        items += rows[:limit] if limit else rows
    return items


def item_id(item: dict[str, Any]) -> str:
    """An item's id, or else its question: answers are matched across columns by it."""
    return str(item.get("id", item["question"]))


def score_answer(pipeline: str, item: dict[str, Any], answer: Answer) -> Record:
    gold = list(item.get("answers") or [])
    passages = [s for s in answer.sources if s.rank is not None]
    docs = [s.document for s in passages]
    source = item.get("source")
    rank = next((s.rank for s in passages if s.document == source), None) if source else None
    em, f1, has = answer_scores(answer.text, gold)
    return Record(
        pipeline=pipeline,
        id=item_id(item),
        question=item["question"],
        answers=gold,
        text=answer.text,
        exact_match=em,
        f1=f1,
        contains=has,
        abstained=abstained(answer.text),
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        total_s=answer.total_s,
        first_token_s=answer.first_token_s,
        retrieval_s=answer.retrieval_s,
        tokens_per_s=answer.tokens_per_s,
        cost=answer.cost,
        source=source,
        retrieved=docs,
        gold_rank=rank,
        passages_hold_answer=any(contains(s.text, gold) for s in passages)
        if passages and gold
        else None,
        evidence_holds_answer=any(contains(" ".join(s.used), gold) for s in passages)
        if gold and any(s.used for s in passages)
        else None,
        kind=question_type(item),
    )


def evaluate(
    pipelines: Sequence[Pipeline],
    items: Sequence[dict[str, Any]],
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> list[Record]:
    """Answer every item with every pipeline, one at a time (so latencies do not interfere).
    Setting `stop` ends the run after the current question; what was answered is returned."""
    records: list[Record] = []
    total = len(items) * len(pipelines)
    for item in items:
        if stop is not None and stop.is_set():
            break
        for pipeline in pipelines:
            try:
                records.append(score_answer(pipeline.name, item, pipeline.answer(item["question"])))
            except PipelineError as exc:
                records.append(
                    Record(
                        pipeline=pipeline.name,
                        id=item_id(item),
                        question=item["question"],
                        answers=list(item["answers"]),
                        error=str(exc),
                    )
                )
            if progress:
                progress(len(records), total)
    return records


def _pct(values: list[float], p: int) -> float | None:
    return percentile(values, p) if values else None


def _avg(values: list[float]) -> float | None:
    return mean(values) if values else None


def summarize(
    records: Sequence[Record], price_input_per_m: float = 0.0
) -> dict[str, dict[str, Any]]:
    """Per pipeline: quality, abstention, retrieval, speed and cost figures. The context overhead
    (extra prompt tokens over the base column) is also priced at `price_input_per_m`."""
    summary: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(r.pipeline for r in records):
        rows = [r for r in records if r.pipeline == name and r.error is None]
        answerable = [r for r in rows if r.answerable]
        unanswerable = [r for r in rows if not r.answerable]
        with_source = [r for r in answerable if r.source and r.retrieved]
        cost = _avg([r.cost for r in rows])
        summary[name] = {
            "answers": len(rows),
            "errors": sum(1 for r in records if r.pipeline == name and r.error is not None),
            "exact_match": _avg([r.exact_match for r in answerable]),
            "f1": _avg([r.f1 for r in answerable]),
            "contains": _avg([r.contains for r in answerable]),
            "abstention_rate": _avg([float(r.abstained) for r in unanswerable]),
            "false_abstention_rate": _avg([float(r.abstained) for r in answerable]),
            "recall_at_k": _avg([float(r.gold_rank is not None) for r in with_source]),
            "mrr": _avg([1 / r.gold_rank if r.gold_rank else 0.0 for r in with_source]),
            "passages_hold_answer": _avg(
                [
                    float(r.passages_hold_answer)
                    for r in answerable
                    if r.passages_hold_answer is not None
                ]
            ),
            "evidence_holds_answer": _avg(
                [
                    float(r.evidence_holds_answer)
                    for r in answerable
                    if r.evidence_holds_answer is not None
                ]
            ),
            **breakdown(rows),
            **grounding_figures(rows),
            "latency_p50_s": _pct([r.total_s for r in rows], 50),
            "latency_p95_s": _pct([r.total_s for r in rows], 95),
            "first_token_p50_s": _pct([r.first_token_s for r in rows if r.first_token_s], 50),
            "retrieval_p50_s": _pct([r.retrieval_s for r in rows if r.retrieval_s is not None], 50),
            "tokens_per_s": _avg([r.tokens_per_s for r in rows if r.tokens_per_s]),
            # over the answers that asked the model: a decline before asking reads no prompt
            "prompt_tokens": _avg([float(r.prompt_tokens) for r in rows if r.prompt_tokens]),
            "completion_tokens": _avg([float(r.completion_tokens) for r in rows]),
            "cost_per_answer": cost,
            "cost_per_1000": None if cost is None else cost * 1000,
            "context_overhead_tokens": (overhead := _overhead(records, name)),
            "context_overhead_cost_per_1000": None
            if overhead is None
            else price(overhead, 0, price_input_per_m, 0) * 1000,
            "by_type": by_type(rows),
        }
    return summary


def _overhead(records: Sequence[Record], name: str, reference: str = "base") -> float | None:
    """Mean extra prompt tokens over the reference pipeline for the same questions (RAG context)."""
    base = {r.id: r.prompt_tokens for r in records if r.pipeline == reference and r.error is None}
    extra = [
        r.prompt_tokens - base[r.id]
        for r in records
        if r.pipeline == name and r.error is None and r.id in base
    ]
    return _avg([float(e) for e in extra])
