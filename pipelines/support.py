"""Whether an answer is supported by the context the model was given, and the answer made short.

The tiny model, handed passages that do not hold the answer, still answers — with a number from
its weights or from a neighbouring clause. An answer whose numbers (amounts, periods, versions,
addresses, clause numbers) do not occur in its context is not grounded; the RAG columns then
decline instead. Rules rather than a model: they are exact, fast and can be read.
"""

from __future__ import annotations

import re

from documents.evidence import SENTENCE_END  # the evidence picker's sentences

# 24 · 99.9 · 192.168.40.1 · 2,000 · 3.1.2 · 2026-01-31 · 14:00
_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")


def numbers(text: str) -> set[str]:
    """The numbers of `text`, thousands separators dropped ("2,000" and "2000" are one)."""
    found = set()
    for match in _NUMBER.findall(text):
        number = match.rstrip(".,:/-")
        if re.fullmatch(r"\d{1,3}(,\d{3})+", number):
            number = number.replace(",", "")
        found.add(number)
    return found


def unsupported(answer: str, context: str) -> list[str]:
    """The numbers of `answer` that its context (the passages and the question the model was
    given) does not hold, in sorted order. Names are not checked: a check of capitalised words
    declined many right answers on the validation split (the model capitalises freely)."""
    held = numbers(context)
    held |= {n.replace(",", "") for n in held}
    return sorted(n for n in numbers(answer) if n not in held)


def shortened(text: str, sentences: int = 2) -> str:
    """The first `sentences` sentences of `text`: the value, then at most one more."""
    parts = [part for part in SENTENCE_END.split(text.strip()) if part.strip()]
    return " ".join(parts[:sentences]).strip()
