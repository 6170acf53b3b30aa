"""A question as typed (or sent to the API) made safe to ask: control characters out, length cut."""

from __future__ import annotations

import unicodedata

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
