"""Is a difference between two columns real? Paired tests on the same questions.

For every pair of columns, over the questions both answered without an error:

- Exact McNemar test on right/wrong: only the discordant questions (one column right, the other
  wrong) carry information; under "no difference" each is equally likely to go either way.
- A paired bootstrap 95 % interval of the difference in accuracy (first column minus second):
  questions are resampled with both columns' outcomes kept together.

"Right" is what the summary tables show: contains-gold on an answerable question, declining on
an unanswerable one. The "all answerable" row pools the answerable questions only (as the
summary's `contains` does); unanswerable questions get their own row, tested on declines. No
correction for multiple comparisons: with many rows, some p < 0.05 come by chance alone.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from evaluation.failures import TYPES
from evaluation.run import Record

ALL = "all answerable"  # the row over every answerable question of a pair
MIN_QUESTIONS = 5  # fewest questions of one type that get a row of their own
CONFIDENCE = 0.95


@dataclass(frozen=True)
class McNemar:
    """Exact McNemar test of two columns' right/wrong on the same questions."""

    n: int  # questions
    a_only: int  # right in a, wrong in b ("b" in the textbook 2x2 table)
    b_only: int  # wrong in a, right in b ("c")
    p_value: float  # two-sided; 1.0 with no discordant question
    accuracy_a: float
    accuracy_b: float


@dataclass(frozen=True)
class Difference:
    """Accuracy of a minus accuracy of b, with a paired bootstrap 95 % interval."""

    n: int
    difference: float
    low: float
    high: float


@dataclass(frozen=True)
class Comparison:
    """Column a against column b on one group of questions (flat, so it is one JSON object)."""

    a: str
    b: str
    kind: str  # ALL or a question type (evaluation/failures.py)
    n: int
    a_right: int
    b_right: int
    a_only: int
    b_only: int
    p_value: float
    difference: float
    low: float
    high: float


def _paired(correct_a: Sequence[bool], correct_b: Sequence[bool]) -> tuple[np.ndarray, ...]:
    if len(correct_a) != len(correct_b):
        raise ValueError(
            f"paired tests need the same questions: {len(correct_a)} outcomes against "
            f"{len(correct_b)}"
        )
    if len(correct_a) == 0:
        raise ValueError("paired tests need at least one question")
    return np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)


def mcnemar(correct_a: Sequence[bool], correct_b: Sequence[bool]) -> McNemar:
    """Exact McNemar test; the outcomes are for the same questions in the same order."""
    a, b = _paired(correct_a, correct_b)
    a_only, b_only = int(np.sum(a & ~b)), int(np.sum(~a & b))
    p_value = 1.0
    if a_only + b_only:
        # scipy.stats takes about a second to import: loaded at the first test, not at import.
        from scipy.stats import binomtest

        # The exact (conditional) McNemar test is a two-sided binomial test of b successes in
        # b + c discordant pairs with p = 1/2 (McNemar 1947; Fagerland, Lydersen & Laake 2013,
        # BMC Med Res Methodol 13:91; statsmodels' mcnemar(exact=True) computes the same).
        p_value = float(binomtest(a_only, a_only + b_only, 0.5).pvalue)
    return McNemar(len(a), a_only, b_only, p_value, float(a.mean()), float(b.mean()))


def _mean_difference(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def paired_difference(
    correct_a: Sequence[bool], correct_b: Sequence[bool], n_resamples: int = 2000, seed: int = 0
) -> Difference:
    """Accuracy a − b with a seeded paired bootstrap 95 % percentile interval."""
    a, b = _paired(correct_a, correct_b)
    a, b = a.astype(float), b.astype(float)
    difference = float(_mean_difference(a, b))
    if len(a) < 2 or np.all(a - b == a[0] - b[0]):
        # Every resample would be the same (one question, or every question differs alike):
        # nothing to resample; scipy refuses a single question and its BCa gives NaN here.
        return Difference(len(a), difference, difference, difference)
    from scipy.stats import bootstrap

    result = bootstrap(
        (a, b),
        _mean_difference,
        paired=True,
        vectorized=True,
        n_resamples=n_resamples,
        confidence_level=CONFIDENCE,
        # percentile, as arena/ranking.py's intervals: BCa's acceleration divides by the
        # jackknife's spread, which 0/1 outcomes with few discordant questions can make 0
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    interval = result.confidence_interval
    return Difference(len(a), difference, float(interval.low), float(interval.high))


def _outcomes(records: Sequence[Record], name: str) -> dict[str, tuple[str, bool]]:
    """Question id -> (type, right) for one column's answers without an error."""
    return {
        r.id: (r.kind, bool(r.contains) if r.answerable else r.abstained)
        for r in records
        if r.pipeline == name and r.error is None
    }


def _compare(
    a: str, b: str, kind: str, right_a: list[bool], right_b: list[bool], seed: int
) -> Comparison:
    test = mcnemar(right_a, right_b)
    diff = paired_difference(right_a, right_b, seed=seed)
    return Comparison(
        a=a,
        b=b,
        kind=kind,
        n=test.n,
        a_right=sum(right_a),
        b_right=sum(right_b),
        a_only=test.a_only,
        b_only=test.b_only,
        p_value=test.p_value,
        difference=diff.difference,
        low=diff.low,
        high=diff.high,
    )


def compare_pipelines(
    records: Sequence[Record],
    pipelines: Sequence[str] | None = None,
    by_type: bool = True,
    seed: int = 0,
) -> list[Comparison]:
    """Every pair of `pipelines` (default: as they first appear in `records`), first against
    later: one row over all answerable questions, then one per question type with at least
    MIN_QUESTIONS questions both answered. Pairs with no question in common are left out."""
    names = list(pipelines or dict.fromkeys(r.pipeline for r in records))
    outcomes = {name: _outcomes(records, name) for name in names}
    rows = []
    for a, b in combinations(names, 2):
        shared = [i for i in outcomes[a] if i in outcomes[b]]
        groups = {ALL: [i for i in shared if outcomes[a][i][0] != "unanswerable"]}
        for kind in TYPES if by_type else ():
            ids = [i for i in shared if outcomes[a][i][0] == kind]
            if len(ids) >= MIN_QUESTIONS:
                groups[kind] = ids
        for kind, ids in groups.items():
            if ids:
                right_a = [outcomes[a][i][1] for i in ids]
                right_b = [outcomes[b][i][1] for i in ids]
                rows.append(_compare(a, b, kind, right_a, right_b, seed))
    return rows


HEADERS = (
    "pair",
    "type",
    "n",
    "a right",
    "b right",
    "only a",
    "only b",
    "McNemar p",
    f"a − b [{CONFIDENCE:.0%} interval]",
)
NOTHING = "fewer than two columns answered the same questions: nothing to compare"


def _p(p_value: float) -> str:
    return "<0.001" if p_value < 0.001 else f"{p_value:.3f}"


def _cells(row: Comparison) -> list[str]:
    return [
        f"{row.a} vs {row.b}",
        row.kind,
        str(row.n),
        str(row.a_right),
        str(row.b_right),
        str(row.a_only),
        str(row.b_only),
        _p(row.p_value),
        f"{row.difference:+.2f} [{row.low:+.2f}, {row.high:+.2f}]",
    ]


def significance_table(comparisons: Sequence[Comparison]) -> str:
    """The paired tests as a Markdown table; a sentence when there is nothing to compare."""
    if not comparisons:
        return NOTHING.capitalize() + "."
    lines = [HEADERS, *(_cells(row) for row in comparisons)]
    text = ["| " + " | ".join(cells) + " |" for cells in lines]
    return "\n".join([text[0], "|---" * len(HEADERS) + "|", *text[1:]])


HOW_TO_READ = (
    "Same questions only, both columns without an error. Right = contains the gold answer "
    "(answerable) or declines (unanswerable). McNemar p: exact test on the questions where only "
    "one column was right; small p = unlikely to be chance. Interval: paired bootstrap of the "
    "accuracy difference; one that excludes 0 backs the difference (with few questions only "
    "one way, it runs narrow: go by p where they disagree). Few questions give wide "
    "intervals; a zero-width interval means every question came out alike (no spread to "
    "resample), not certainty. No correction for the number of rows."
)


def significance_html(comparisons: Sequence[Comparison]) -> str:
    """The paired tests as an HTML table with a note on how to read them."""
    if not comparisons:
        return f'<p class="significance">{html.escape(NOTHING.capitalize())}.</p>'
    head = "".join(f"<th>{html.escape(c)}</th>" for c in HEADERS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in _cells(row)) + "</tr>"
        for row in comparisons
    )
    return (
        f'<div class="significance"><p>{html.escape(HOW_TO_READ)}</p>'
        f"<table><tr>{head}</tr>{body}</table></div>"
    )
