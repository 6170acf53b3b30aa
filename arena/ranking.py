"""Ratings from arena votes, computed as LMSYS Chatbot Arena (FastChat `compute_mle_elo`) does.

A vote is `(shown, choice)`: the column names that were on screen and the pick, which is one of
them, TIE or ALL_BAD. The rules:

- A vote for X beats every other shown column: one comparison (X, other) per other column.
- TIE is a tie between every pair shown; ALL_BAD is a tie too (FastChat counts "tie (bothbad)"
  as a tie).
- A tie is half a win each way. As in FastChat, every decisive comparison enters the fit twice as
  (winner, loser) and every tie once each way, (a, b) and (b, a).
- Fit: Bradley-Terry maximum likelihood with choix, with a small regularisation (ALPHA), reported
  on FastChat's Elo-like scale, rating = 1000 + 400 * theta / ln(10), theta centred on mean 0.
- Intervals: the 2.5 and 97.5 percentiles of the ratings refitted on `rounds` bootstrap resamples
  of the votes (not of the comparisons: one vote's comparisons share a judge and stay together).
- A choice that is not shown and is not TIE or ALL_BAD raises ValueError, as does a column named
  like a choice. A vote with fewer than two distinct shown columns compares nothing: it is
  skipped and counts nowhere. A column in no comparison is left out; no votes, no ratings.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from arena.store import ALL_BAD, TIE, checked

Ballot = tuple[Sequence[str], str]  # (the columns shown, the choice)

BASE = 1000.0
SCALE = 400.0 / math.log(10.0)  # theta (natural log odds) to Elo points, as FastChat reports
# LSR regularisation: a rate of ALPHA between every pair acts like about a tenth of a vote each
# way. Without it a column that never lost has an infinite maximum-likelihood rating (and a
# group of columns never compared with the rest has no defined offset). Measured: one lone win
# gives a 417 Elo gap, ten give 800; ratings from hundreds of votes move by well under 1 Elo.
ALPHA = 0.1
MAX_ITER = 1000  # LSR refinements allowed (choix stops at 100); 500 votes of 5 columns took 8


@dataclass(frozen=True)
class Rating:
    """One column's place on the leaderboard."""

    name: str
    rating: float  # Elo-like scale, mean 1000
    low: float  # bootstrap 2.5 percentile
    high: float  # bootstrap 97.5 percentile
    votes: int  # votes in which this column was shown (and compared)
    wins: int  # votes it won outright


def _shown(vote: Ballot) -> list[str]:
    """The distinct shown columns, in order, after refusing a vote that cannot be counted (the
    store's rule); none for a vote that showed nothing."""
    columns, choice = vote
    return checked(choice, columns) if columns else []


def _compare(shown: list[str], choice: str) -> list[tuple[str, str, float]]:
    """One vote's comparisons; none when fewer than two columns were shown."""
    if choice in (TIE, ALL_BAD):
        return [(a, b, 0.5) for i, a in enumerate(shown) for b in shown[i + 1 :]]
    return [(choice, other, 1.0) for other in shown if other != choice]


def pairwise(votes: Sequence[Ballot]) -> list[tuple[str, str, float]]:
    """(a, b, score of a) comparisons: 1.0 a won, 0.5 tie."""
    return [c for vote in votes for c in _compare(_shown(vote), vote[1])]


@dataclass(frozen=True)
class _Tally:
    """The votes counted: columns, the distinct vote patterns and how often each was cast."""

    names: list[str]  # every column in some comparison, first seen first
    patterns: np.ndarray  # (kinds, n, n): a vote's doubled comparisons, FastChat's duplication
    counts: np.ndarray  # (kinds,): votes cast with that pattern
    shown: dict[str, int]
    wins: dict[str, int]


def _tally(votes: Sequence[Ballot]) -> _Tally:
    """Count the votes, merging identical ones so the bootstrap works on a few kinds, not many."""
    kinds: dict[tuple[tuple[str, str, float], ...], int] = {}
    shown: dict[str, int] = {}
    wins: dict[str, int] = {}
    for vote in votes:
        columns, choice = _shown(vote), vote[1]
        comparisons = tuple(_compare(columns, choice))
        if not comparisons:
            continue
        kinds[comparisons] = kinds.get(comparisons, 0) + 1
        for name in columns:
            shown[name] = shown.get(name, 0) + 1
        wins[choice] = wins.get(choice, 0) + 1
    names = list(shown)
    index = {name: i for i, name in enumerate(names)}
    patterns = np.zeros((len(kinds), len(names), len(names)))
    for k, comparisons in enumerate(kinds):
        for a, b, score in comparisons:
            # A win enters twice as (a, b); a tie once as (a, b) and once as (b, a).
            patterns[k, index[a], index[b]] += 2 * score
            patterns[k, index[b], index[a]] += 2 * (1 - score)
    return _Tally(names, patterns, np.array(list(kinds.values())), shown, wins)


def _fit(wins: np.ndarray) -> np.ndarray:
    """Elo-like ratings from a matrix of (doubled) wins[i, j]; NaN for a column not compared."""
    present = np.flatnonzero(wins.sum(axis=0) + wins.sum(axis=1) > 0)
    ratings = np.full(len(wins), np.nan)
    if len(present) == 0:
        return ratings
    # choix loads scipy.stats and more (measured 1.7 s): imported at the first fit, not at import.
    import choix

    sub = wins[np.ix_(present, present)]
    # The dense LSR form takes the win counts directly, so merged votes cost nothing extra.
    theta = choix.ilsr_pairwise_dense(sub, alpha=ALPHA, max_iter=MAX_ITER)
    ratings[present] = BASE + SCALE * (theta - theta.mean())
    return ratings


def _bootstrap(tally: _Tally, rounds: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """2.5 and 97.5 percentiles of the ratings refitted on `rounds` resamples of the votes."""
    rng = np.random.default_rng(seed)
    # Drawing len(votes) votes with replacement is drawing how many of each kind: a multinomial
    # with the kinds' shares. The same distribution as indexing votes, without a rounds x votes
    # array. Measured (500 votes, 5 columns, 1000 rounds): 0.75-0.9 s of CPU, about 1 ms a
    # refit (some 8 LSR iterations), on one core shared with a training run.
    counts = rng.multinomial(tally.counts.sum(), tally.counts / tally.counts.sum(), size=rounds)
    matrices = np.tensordot(counts, tally.patterns, axes=1)
    fits = np.array([_fit(m) for m in matrices])
    # A column missing from a round has NaN there: its interval comes from the other rounds.
    return np.nanpercentile(fits, 2.5, axis=0), np.nanpercentile(fits, 97.5, axis=0)


def rank(votes: Sequence[Ballot], rounds: int = 1000, seed: int = 0) -> list[Rating]:
    """Ratings with bootstrap 95 % intervals, best first; rounds=0 gives low = high = rating."""
    tally = _tally(votes)
    if not tally.names:
        return []
    ratings = _fit(np.tensordot(tally.counts, tally.patterns, axes=1))
    low, high = _bootstrap(tally, rounds, seed) if rounds > 0 else (ratings, ratings)
    table = [
        Rating(name, float(r), float(lo), float(hi), tally.shown[name], tally.wins.get(name, 0))
        for name, r, lo, hi in zip(tally.names, ratings, low, high, strict=True)
    ]
    return sorted(table, key=lambda rating: (-rating.rating, rating.name))


def win_rates(votes: Sequence[Ballot]) -> tuple[list[str], list[list[float | None]]]:
    """names (in rank order) and matrix[i][j] = share of i-vs-j comparisons that i won (ties
    half); None where they never met; diagonal None."""
    names = [rating.name for rating in rank(votes, rounds=0)]
    index = {name: i for i, name in enumerate(names)}
    scored = np.zeros((len(names), len(names)))
    met = np.zeros((len(names), len(names)))
    for a, b, score in pairwise(votes):
        i, j = index[a], index[b]
        scored[i, j] += score
        scored[j, i] += 1 - score
        met[i, j] += 1
        met[j, i] += 1
    matrix: list[list[float | None]] = [
        [float(scored[i, j] / met[i, j]) if met[i, j] else None for j in range(len(names))]
        for i in range(len(names))
    ]
    return names, matrix
