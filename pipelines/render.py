"""Markdown for what the UI shows under an answer: measured latency, tokens, cost and sources."""

from __future__ import annotations

import html

from pipelines.core import Answer
from pipelines.costs import format_cost


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def stats_markdown(answer: Answer, currency: str) -> str:
    """Latency split, token counts (from the tokenizer) and cost (at configured prices)."""
    speed = answer.tokens_per_s
    latency = [
        f"total **{_seconds(answer.total_s)}**",
        f"first token {_seconds(answer.first_token_s)}",
    ]
    if answer.retrieval_s is not None:
        latency.append(f"retrieval {answer.retrieval_s * 1000:.0f} ms")
    latency.append("–" if speed is None else f"{speed:.1f} tok/s")
    state = "" if answer.done else " · *generating…*"
    return (
        f"**Latency** {' · '.join(latency)}{state}  \n"
        f"**Tokens** {answer.prompt_tokens} prompt + {answer.completion_tokens} completion  \n"
        f"**Cost** {format_cost(answer.cost, currency)}"
    )


def sources_markdown(answer: Answer) -> str:
    """Retrieved passages in rank order, or the note that the answer is from weights only."""
    if not answer.sources:
        return "*No sources.*"
    parts = []
    for source in answer.sources:
        if source.rank is None:
            parts.append(f"*{source.text}*")
            continue
        score = "" if source.score is None else f" · score {source.score:.3f}"
        quoted = "\n".join(
            f"> {html.escape(line)}" for line in source.text.splitlines() if line.strip()
        )
        parts.append(
            f"**[{source.rank}] {source.document}** · §{source.section or '–'}{score}\n\n{quoted}"
        )
    return "\n\n".join(parts)
