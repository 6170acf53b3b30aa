"""A conversation exported with every measured number: JSON, CSV and a standalone HTML page."""

from __future__ import annotations

import csv
import html
import io
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common.files import replace_atomically
from documents.pages import page_label
from pipelines.core import Answer, Source
from ui.render import answer_text, decode_speed, format_cost, vote_label

CSV_FIELDS = (
    "turn", "asked_at", "question", "column", "title", "answer", "cut_at_tokens", "prompt_tokens",
    "completion_tokens", "total_s", "first_token_s", "retrieval_s", "tokens_per_s", "cost",
    "currency", "sources", "vote",
)  # fmt: skip


@dataclass(frozen=True)
class Turn:
    """One question, the final answer of each column shown, and the user's vote if any."""

    question: str
    asked_at: str  # UTC ISO time
    answers: dict[str, Answer]  # column name -> final Answer
    vote: str | None = None  # a column name, "tie", "all bad" or None
    # what produced the answers (model, adapters, this session's retrieval settings)
    settings: dict[str, object] = field(default_factory=dict)
    # the question's id in the arena's records (votes, feedback, shared links): made by the
    # server, never taken from the browser
    key: str = field(default_factory=lambda: secrets.token_hex(8))


def to_json(turns: Sequence[Turn], titles: Mapping[str, str], currency: str) -> str:
    """The whole conversation as indented JSON; numbers stay numbers, missing ones are null."""
    document = {
        "exported_at": _now(),
        "currency": currency,
        "turns": [
            {
                "question": turn.question,
                "asked_at": turn.asked_at,
                "vote": turn.vote,
                "answers": {
                    name: answer_record(name, answer, titles)
                    for name, answer in turn.answers.items()
                },
            }
            for turn in turns
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def to_csv(turns: Sequence[Turn], titles: Mapping[str, str], currency: str) -> str:
    """One row per (turn, column), numbers unrounded and empty when not measured."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for number, turn in enumerate(turns, start=1):
        for name, answer in turn.answers.items():
            record = answer_record(name, answer, titles)
            record.update(
                turn=number,
                asked_at=turn.asked_at,
                question=turn.question,
                column=name,
                answer=record.pop("text"),
                currency=currency,
                sources=sources_line(answer.sources),
                vote=turn.vote or "",
            )
            writer.writerow({key: "" if value is None else value for key, value in record.items()})
    return out.getvalue()


def to_html(turns: Sequence[Turn], titles: Mapping[str, str], currency: str) -> str:
    """A standalone page (inline CSS, no scripts, no links out): one section per question."""
    if turns:
        body = "\n".join(
            turn_html(number, turn, titles, currency) for number, turn in enumerate(turns, start=1)
        )
    else:
        body = '<p class="empty">No questions yet.</p>'
    return page_html(
        "Conversation: RAG vs fine-tuning", f"Exported {_now()} · costs in {currency}", body
    )


def page_html(heading: str, meta: str, body: str) -> str:
    """A standalone page (inline CSS, no scripts, no links out) around `body`, already HTML."""
    return _PAGE.format(
        style=_STYLE, heading=html.escape(heading), meta=html.escape(meta), body=body
    )


def write_exports(
    turns: Sequence[Turn], titles: Mapping[str, str], currency: str, folder: Path
) -> list[Path]:
    """Write conversation.json, .csv and .html into `folder` (created if needed); return them.
    The CSV file starts with a UTF-8 byte-order mark so that spreadsheets read Unicode right."""
    exports = [
        ("conversation.json", to_json(turns, titles, currency), "utf-8"),
        ("conversation.csv", to_csv(turns, titles, currency), "utf-8-sig"),
        ("conversation.html", to_html(turns, titles, currency), "utf-8"),
    ]
    return [_write(Path(folder) / name, text, encoding) for name, text, encoding in exports]


def _write(path: Path, text: str, encoding: str) -> Path:
    # newline="" keeps the CSV's own \r\n line ends and the answers' \n exactly as they are.
    return replace_atomically(
        path, lambda partial: partial.write_text(text, encoding=encoding, newline="")
    )


def sources_line(sources: Sequence[Source]) -> str:
    """Sources on one line: "[1] legal/sla.md §3.1 (0.812); [2] …", or a note as it is."""
    return "; ".join(_source_label(source) for source in sources)


def _source_label(source: Source) -> str:
    if source.rank is None:
        return source.text
    page = f" {page_label(source.page, source.last_page)}" if source.page else ""
    section = f" §{source.section}" if source.section else ""
    score = "" if source.score is None else f" ({source.score:.3f})"
    return f"[{source.rank}] {source.document}{page}{section}{score}"


def answer_record(name: str, answer: Answer, titles: Mapping[str, str]) -> dict[str, object]:
    """The fields JSON and CSV share for one answer, in export order."""
    return {
        "title": titles.get(name, name),
        "text": answer.text,
        "cut_at_tokens": answer.cut_at,
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "total_s": answer.total_s,
        "first_token_s": answer.first_token_s,
        "retrieval_s": answer.retrieval_s,
        "tokens_per_s": answer.tokens_per_s,
        "cost": answer.cost,
        "sources": [
            {
                "rank": source.rank,
                "document": source.document,
                "section": source.section,
                "score": source.score,
                "text": source.text,
                # a converted PDF's pages (documents/pages.py), only where there are some
                **({"page": source.page, "last_page": source.last_page} if source.page else {}),
            }
            for source in answer.sources
        ],
    }


def saved_answers(turn: Turn, titles: Mapping[str, str]) -> dict[str, dict[str, object]]:
    """A question's answers as the arena keeps them: the export fields and the settings."""
    return {
        name: {**answer_record(name, answer, titles), "settings": turn.settings}
        for name, answer in turn.answers.items()
    }


def turn_from_record(record: Mapping[str, Any]) -> tuple[Turn, dict[str, str]]:
    """A stored question (question, asked_at, answers as answer_record writes them, settings,
    vote) back as a Turn, with the titles its columns had."""
    stored: Mapping[str, Mapping[str, Any]] = record["answers"]
    answers = {name: _answer_from(name, fields) for name, fields in stored.items()}
    settings = dict(record.get("settings") or {})
    turn = Turn(record["question"], record["asked_at"] or "", answers, record.get("vote"), settings)
    return turn, {name: fields["title"] for name, fields in stored.items()}


def _answer_from(name: str, fields: Mapping[str, Any]) -> Answer:
    """The inverse of answer_record. The record keeps the decode speed, not when the last token
    came: that time is worked back from it so that the page shows the speed measured."""
    first, speed = fields["first_token_s"], fields["tokens_per_s"]
    tokens = fields["completion_tokens"]
    return Answer(
        pipeline=name,
        text=fields["text"],
        sources=tuple(Source(**source) for source in fields["sources"]),  # its own field names
        prompt_tokens=fields["prompt_tokens"],
        completion_tokens=tokens,
        total_s=fields["total_s"],
        first_token_s=first,
        last_token_s=first + (tokens - 1) / speed if first is not None and speed else None,
        retrieval_s=fields["retrieval_s"],
        cost=fields["cost"],
        done=True,
        cut_at=fields["cut_at_tokens"],
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def turn_html(number: int, turn: Turn, titles: Mapping[str, str], currency: str) -> str:
    answers = "\n".join(
        _answer_html(titles.get(name, name), answer, currency)
        for name, answer in turn.answers.items()
    )
    return (
        f'<section class="turn">\n<h2>Question {number}</h2>\n'
        f'<p class="question" dir="auto">{html.escape(turn.question)}</p>\n'
        f'<p class="meta">Asked {html.escape(turn.asked_at)}</p>\n'
        f'<div class="answers">\n{answers}\n</div>\n'
        f'<p class="vote">Vote: <b>{html.escape(vote_label(turn.vote, titles))}</b></p>\n'
        "</section>"
    )


def _answer_html(title: str, answer: Answer, currency: str) -> str:
    speed = decode_speed(answer)
    metrics = " · ".join(
        [
            f"total {_seconds(answer.total_s)}",
            f"first token {_seconds(answer.first_token_s)}",
            f"retrieval {_seconds(answer.retrieval_s)}",
            "–" if speed is None else f"{speed:.1f} tok/s",
            f"{answer.prompt_tokens} prompt + {answer.completion_tokens} completion tokens",
            format_cost(answer.cost, currency),
        ]
    )
    return (
        f'<article class="answer">\n<h3 dir="auto">{html.escape(title)}</h3>\n'
        f'<div class="text" dir="auto">{html.escape(answer_text(answer))}</div>\n'
        f'<p class="metrics">{html.escape(metrics)}</p>\n'
        f"{_sources_html(answer.sources)}\n</article>"
    )


def _sources_html(sources: Sequence[Source]) -> str:
    """The retrieved passages, counted; a column without any (the weights-only note) says so."""
    passages = [source for source in sources if source.rank is not None]
    if not passages:
        notes = " ".join(html.escape(source.text) for source in sources) or "No sources."
        return f'<p class="meta"><i dir="auto">{notes}</i></p>'
    items = "\n".join(
        f'<li><b dir="auto">{html.escape(_source_label(source))}</b>'
        f'<blockquote dir="auto">{html.escape(source.text)}</blockquote></li>'
        for source in passages
    )
    return f"<details><summary>Sources ({len(passages)})</summary>\n<ul>\n{items}\n</ul></details>"


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 80rem; margin: 0 auto; padding: 1rem;
       color: #1f2937; line-height: 1.45; }
.turn { border-top: 1px solid #d1d5db; padding: 1rem 0; }
.question { font-size: 1.15rem; font-weight: 600; white-space: pre-wrap; }
.meta, .metrics { color: #6b7280; font-size: 0.85rem; }
.answers { display: grid; gap: 1rem;
           grid-template-columns: repeat(auto-fit, minmax(min(18rem, 100%), 1fr)); }
.answer { border: 1px solid #e5e7eb; border-radius: 0.5rem; padding: 0.75rem; min-width: 0; }
.answer h3 { margin: 0 0 0.5rem; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
details ul { padding-left: 1.2rem; }
blockquote { margin: 0.25rem 0 0.5rem; padding-left: 0.5rem; border-left: 3px solid #e5e7eb;
             white-space: pre-wrap; overflow-wrap: anywhere; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{heading}</title>
<style>{style}</style>
</head>
<body>
<h1>{heading}</h1>
<p class="meta">{meta}</p>
{body}
</body>
</html>
"""
