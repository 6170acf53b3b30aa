"""SQuAD-style answer metrics: exact match, token F1, contains-gold, and abstention; and the
one percentile that every latency figure (evaluation, benchmark, load test, sizing) uses.

Normalisation: lower case, punctuation removed, the articles a/an/the removed, whitespace
collapsed. Numbers written as words are *not* normalised ("seven" does not match "7"): gold
answers list both forms where both are right.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

import numpy as np

_PUNCTUATION = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_ABSTAIN = re.compile(
    r"do(es)? not (contain|say|mention|specify|state|include)|not (mentioned|specified|stated)"
    r"|no information|cannot (answer|find)|can't (answer|find)|i don'?t know",
    re.IGNORECASE,
)


def normalize(text: str) -> str:
    text = text.lower().translate(_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, answers: Sequence[str]) -> float:
    """1.0 if the normalised prediction equals a normalised gold answer."""
    guess = normalize(prediction)
    return float(any(guess == normalize(answer) for answer in answers))


def token_f1(prediction: str, answers: Sequence[str]) -> float:
    """Best token-overlap F1 against any gold answer."""
    return max(
        (_f1(normalize(prediction).split(), normalize(a).split()) for a in answers), default=0.0
    )


def _f1(guess: list[str], gold: list[str]) -> float:
    common = sum((Counter(guess) & Counter(gold)).values())
    if not guess or not gold or common == 0:
        return float(guess == gold)
    precision, recall = common / len(guess), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def contains(prediction: str, answers: Sequence[str]) -> float:
    """1.0 if a normalised gold answer occurs in the normalised prediction as whole words."""
    guess = f" {normalize(prediction)} "
    return float(any(normalize(a) and f" {normalize(a)} " in guess for a in answers))


def answer_scores(prediction: str, answers: Sequence[str]) -> tuple[float, float, float]:
    """(exact match, token F1, contains gold) of one answer; all 0 with no gold answers."""
    if not answers:
        return 0.0, 0.0, 0.0
    return (
        exact_match(prediction, answers),
        token_f1(prediction, answers),
        contains(prediction, answers),
    )


def abstained(prediction: str) -> bool:
    """Whether the answer declines ("The documents do not contain the answer", "I don't know")."""
    return bool(_ABSTAIN.search(prediction))


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) by linear interpolation between the closest ranks: numpy's
    default, the same as `statistics.quantiles(method="inclusive")`; p50 is the median.
    Raises ValueError for no values."""
    if len(values) == 0:
        raise ValueError("a percentile of no values")
    return float(np.percentile(values, p))
