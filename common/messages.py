"""A chat message, and a question and a conversation as sent to the app made safe to ask:
control characters out, lengths cut, only user and assistant turns of text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

# A conversation turn as Gradio's Chatbot keeps it: {"role": "user"|"assistant", "content": str}.
Message = dict[str, str]

MAX_QUESTION_CHARS = 4000  # about 1,000 tokens: leaves room for passages and the answer


def clean_question(text: str | None, limit: int = MAX_QUESTION_CHARS) -> tuple[str, str | None]:
    """The question without control characters (tabs and line breaks stay) and cut to `limit`
    characters, with a notice for the user when it was cut."""
    text = "".join(
        ch for ch in (text or "") if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    ).strip()
    if len(text) <= limit:
        return text, None
    notice = (
        f"Your question was {len(text):,} characters long; only the first {limit:,} were asked, "
        "to fit the model's context window."
    )
    return text[:limit].rstrip(), notice


# What the RAG columns answer when the documents do not hold the answer (the prompt asks the model
# for it too); the UI knows a declined answer by it.
NOT_FOUND = "The documents do not contain the answer."
# What the UI adds to an answer that stopped at its token budget; taken off again before the
# answer goes back to a model as part of the conversation.
CUT_NOTE = " … *(cut at {} tokens)*"
_CUT_NOTE = re.compile(r" … \*\(cut at \d+ tokens\)\*$")

MAX_HISTORY_MESSAGES = 12  # the last six exchanges: a follow-up rarely needs more
MAX_HISTORY_CHARS = 3 * MAX_QUESTION_CHARS
ROLES = ("user", "assistant")  # the only turns a conversation holds; the system turn is ours


def clean_history(history: Sequence[Any]) -> list[dict[str, str]]:
    """The conversation as the prompt may take it: user and assistant turns of text only (any
    other role, such as "system" or "tool", is dropped: the server writes the system turn),
    the most recent ones that fit MAX_HISTORY_MESSAGES and MAX_HISTORY_CHARS, taken before
    anything is tokenised. Pairs stay whole, so the kept part starts with a user turn."""
    turns = []
    for message in history:
        if isinstance(message, Mapping) and message.get("role") in ROLES:
            text = _plain_text(message.get("content"))
            if text is not None:
                turns.append({"role": message["role"], "content": _CUT_NOTE.sub("", text)})
    kept: list[dict[str, str]] = []
    size = 0
    for turn in reversed(turns):
        size += len(turn["content"])
        if len(kept) == MAX_HISTORY_MESSAGES or size > MAX_HISTORY_CHARS:
            break
        kept.insert(0, turn)
    while kept and kept[0]["role"] != "user":
        kept.pop(0)
    return kept


def _plain_text(content: object) -> str | None:
    """The text of a message's content: a string, or a list of text parts as Gradio sends
    them; None for anything else (files, components, numbers)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list | tuple):
        parts = [_plain_text(part) for part in content]
        return None if any(part is None for part in parts) else "".join(parts)  # type: ignore[arg-type]
    if isinstance(content, Mapping) and content.get("type", "text") == "text":
        text = content.get("text")
        return text if isinstance(text, str) else None
    return None


def text_of(content: object) -> str:
    """Plain text of a chat message's content, which Gradio may hand back as a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list | tuple):
        return "".join(text_of(part) for part in content)
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return str(content)
