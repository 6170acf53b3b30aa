"""Whether an answer is supported by the context the model was given, and the answer made short.

The tiny model, handed passages that do not hold the answer, still answers — with a number from
its weights or from a neighbouring clause. An answer whose numbers (amounts, periods, versions,
addresses, clause numbers) do not occur in its context is not grounded; the RAG columns then
decline instead. Rules rather than a model: they are exact, fast and can be read.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from documents.evidence import SENTENCE_END, STOPWORDS  # the evidence picker's sentences
from documents.keywords import TOKEN  # the keyword index's words

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


def _name_like(word: str, first: bool) -> bool:
    """A name, code or acronym ("Bluetooth", "SNMP", "5G", "LoRaWAN", "json_extract"), not a
    plain word or a number. The question's first word counts only when it is not a capitalised
    plain word."""
    letters = [c for c in word if c.isalpha()]
    if len(word) < 2 or not letters or word.lower() in STOPWORDS:
        return False
    inner = any(c.isupper() or c.isdigit() or c == "_" for c in word[1:]) or word[0].isdigit()
    return inner or (word[0].isupper() and not first)


def _known(word: str, knows: Callable[[str], bool]) -> bool:
    """Whether the documents hold the word: as it is, without a plural or possessive "s", or
    every part of a compound ("Utrecht-based", "STAT-off"); a version ("2.x") has no parts to
    know."""
    word = word.lower()
    forms = {word, word.removesuffix("'s"), word.removesuffix("s")}
    parts = [p for p in re.split(r"[-./]", word) if len(p) > 1 and not p.isdigit()]
    return any(knows(f) for f in forms) or all(knows(p) for p in parts)


def unknown_names(question: str, knows: Callable[[str], bool]) -> list[str]:
    """The names the question asks about that no passage of the documents holds ("Which
    Bluetooth version does the HX-40 support?" of a corpus that never says Bluetooth): the
    documents cannot answer it, whatever the model would say. `knows` says whether the
    documents hold a lower-case word."""
    words = [m.group() for m in re.finditer(TOKEN, question)]
    return [
        word
        for i, word in enumerate(words)
        if _name_like(word, first=i == 0) and not _known(word, knows)
    ]


def shortened(text: str, sentences: int = 2) -> str:
    """The first `sentences` sentences of `text`: the value, then at most one more."""
    parts = [part for part in SENTENCE_END.split(text.strip()) if part.strip()]
    return " ".join(parts[:sentences]).strip()


# Words before a figure that change what it means ("within 30 days", "at least 5 years"); the
# 135M model, base or reader, often drops them and answers the bare figure.
_QUALIFIERS = (
    "no later than", "no more than", "not more than", "more than", "less than", "fewer than",
    "at least", "at most", "up to", "within", "every", "about", "approximately",
)  # fmt: skip
_QUALIFIER_BEFORE = re.compile(rf"\b({'|'.join(_QUALIFIERS)})\s+$", re.I)


def qualified(answer: str, context: str) -> str:
    """A short answer that starts with a bare figure ("24 hours. …") given back the qualifier
    its context states that figure with ("within 24 hours. …"): only when the context holds the
    figure and says the same qualifier before it every time, so nothing is added that the
    context does not state. Any other answer is returned as it is."""
    parts = SENTENCE_END.split(answer.strip(), maxsplit=1)
    figure = parts[0].rstrip(".").strip()
    if not figure[:1].isdigit():
        return answer
    before = set()
    for found in re.finditer(rf"(?<![\w.,]){re.escape(figure)}(?![\w]|[.,]\d)", context, re.I):
        qualifier = _QUALIFIER_BEFORE.search(context[max(found.start() - 24, 0) : found.start()])
        before.add(qualifier.group(1).lower() if qualifier else None)
    if len(before) != 1 or None in before:
        return answer
    return f"{before.pop()} {answer.strip()}"
