"""Markdown for what the UI shows under an answer: measured latency, tokens, cost and sources."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

from arena.store import ALL_BAD, TIE
from common.messages import CUT_NOTE, NOT_FOUND
from documents.pages import page_anchor, page_label
from evaluation.metrics import token_f1
from pipelines.core import Answer

Locate = Callable[[str], Path | None]  # a document path -> its file, or None
DOCUMENTS_ROUTE = "/documents/"  # the app's route to a document, by its path in the index
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def format_cost(amount: float, currency: str) -> str:
    """Small amounts stay readable: 0.000123 USD, not 0.00 USD."""
    if amount == 0:
        return f"0 {currency}"
    digits = 2 if amount >= 0.01 else 6
    return f"{amount:.{digits}f} {currency}"


def answer_text(answer: Answer) -> str:
    """The answer as the chat shows it: marked where it stopped at its token budget, so that a
    cut-off answer does not look finished."""
    if answer.done and answer.cut_at is not None:
        return answer.text + CUT_NOTE.format(answer.cut_at)
    return answer.text


def plural(count: int, noun: str) -> str:
    """ "1 vote", "2 votes"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


# Fewer tokens than this give no decode speed worth showing: one prefill of another answer
# between two of them (continuous batching) reads as "0.9 tok/s".
MIN_SPEED_TOKENS = 8


def decode_speed(answer: Answer) -> float | None:
    """Tokens per second after the first, where the answer is long enough to tell."""
    return answer.tokens_per_s if answer.completion_tokens >= MIN_SPEED_TOKENS else None


def stats_markdown(answer: Answer, currency: str) -> str:
    """Latency split, token counts (from the tokenizer) and cost (at configured prices)."""
    speed = decode_speed(answer)
    first = f"first token {_seconds(answer.first_token_s)}"
    if answer.cached_tokens:
        first += f" ({answer.cached_tokens} of {answer.prompt_tokens} prompt tokens from the cache)"
    latency = [f"total **{_seconds(answer.total_s)}**", first]
    if answer.retrieval_s is not None:
        latency.append(f"retrieval {answer.retrieval_s * 1000:.0f} ms")
    if speed is not None:
        latency.append(f"{speed:.1f} tok/s")
    state = "" if answer.done else " · *generating…*"
    return (
        f"**Latency** {' · '.join(latency)}{state}  \n"
        f"**Tokens** {answer.prompt_tokens} prompt + {answer.completion_tokens} completion  \n"
        f"**Cost** {format_cost(answer.cost, currency)}"
    )


def sources_markdown(answer: Answer, locate: Locate | None = None, min_score: float = 0.0) -> str:
    """Retrieved passages in rank order, each expandable to its text with the sentence that
    best supports the answer marked and, where `locate` finds the document's file (in a folder
    the app serves), a link to the whole document; or the note that the answer is from weights
    only. Open: the passages the model read sentences of (else the first). A passage scoring
    below `min_score` (APP_RAG_MIN_SCORE) that the model did not read is labelled so; when none
    reaches it, the answer did not use the documents."""
    if not answer.sources:
        return "*No sources.*"
    parts = []
    read = any(source.used for source in answer.sources)
    for source in answer.sources:
        if source.rank is None:
            parts.append(f"*{source.text}*")
            continue
        score = "" if source.score is None else f" · score {source.score:.3f}"
        if source.score is not None and source.score < min_score and not source.used:
            score += " · *below the relevance threshold*"
        opened = " open" if (source.used if read else source.rank == 1) else ""
        page = f" · {page_label(source.page, source.last_page)}" if source.page else ""
        parts.append(
            f"<details{opened}><summary><b>[{source.rank}] {html.escape(source.document)}</b>"
            f"{page} · §{html.escape(source.section or '–')}{score}</summary>"
            f"<blockquote>{_marked(source.text, answer.text, source.used)}</blockquote>"
            f"{document_link(source.document, locate, source.page)}</details>"
        )
    if read:
        parts.insert(0, "*Underlined: the sentences given to the model.*")
    elif answer.done and not answer.completion_tokens and answer.text.startswith(NOT_FOUND):
        parts.insert(
            0, "*Declined without asking the model: none of these passages was given to it.*"
        )
    scores = [s.score for s in answer.sources if s.rank is not None and s.score is not None]
    if scores and max(scores) < min_score:
        parts.insert(
            0,
            f"*No passage reaches the relevance threshold ({min_score:.2f}, APP_RAG_MIN_SCORE): "
            "the answer did not use the documents.*",
        )
    return "\n\n".join(parts)


def document_link(document: str, locate: Locate | None, page: int | None = None) -> str:
    """A link that opens the whole document, if it is there: by the document's path in the
    index (the app's documents route), never by a path on the server; at `page` for a
    converted PDF (ui/document_page.py)."""
    if locate is None or locate(document) is None:
        return ""
    href = DOCUMENTS_ROUTE + quote(document)
    if page:
        href += f"#{page_anchor(page)}"
    at = f" at {page_label(page)}" if page else ""
    return f'<p><a href="{href}" target="_blank">Open {html.escape(document)}{at}</a></p>'


def _marked(passage: str, answer: str, used: Sequence[str] = ()) -> str:
    """The passage as HTML, its sentence sharing the most words with the answer in <mark> and
    the sentences the model was given underlined."""
    sentence = supporting_sentence(passage, answer)
    text = html.escape(passage)
    if sentence:
        text = text.replace(html.escape(sentence), f"<mark>{html.escape(sentence)}</mark>", 1)
    for given in used:
        text = text.replace(html.escape(given), f"<u>{html.escape(given)}</u>", 1)
    return text.replace("\n", "<br>")


def supporting_sentence(passage: str, answer: str, minimum: float = 0.15) -> str | None:
    """The passage's sentence with the best token F1 against the answer, if it reaches
    `minimum` (below that the answer is not taken from this passage)."""
    sentences = [s.strip() for s in _SENTENCE_END.split(passage) if s.strip()]
    scored = [(token_f1(sentence, [answer]), sentence) for sentence in sentences]
    best = max(scored, default=(0.0, None), key=lambda pair: pair[0])
    return best[1] if best[0] >= minimum else None


def vote_label(choice: str | None, titles: Mapping[str, str]) -> str:
    """A vote as people read it: the column's title, "Tie", "All bad", or "none"."""
    if choice is None:
        return "none"
    return {TIE: "Tie", ALL_BAD: "All bad"}.get(choice) or titles.get(choice, choice)
