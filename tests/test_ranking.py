"""Ratings from votes (arena/ranking.py): the comparison rules, recovery of known strengths,
bootstrap coverage and the win-rate matrix. Seeded and model-free: a few seconds in all."""

import math

import numpy as np
import pytest

from arena.ranking import pairwise, rank, win_rates
from arena.store import ALL_BAD, TIE

THREE = ["base", "rag", "lora"]
# Known strengths on the Elo-like scale; the fit is centred on 1000, so the truth is too.
TRUTH = {"a": 1150.0, "b": 1050.0, "c": 1000.0, "d": 850.0}
CENTRED = {name: elo - np.mean(list(TRUTH.values())) + 1000 for name, elo in TRUTH.items()}


def _winner(rng: np.random.Generator, shown: list[str]) -> str:
    """One Bradley-Terry (first choice of Plackett-Luce) draw among the shown columns."""
    strength = np.array([10 ** (TRUTH[name] / 400) for name in shown])
    return shown[rng.choice(len(shown), p=strength / strength.sum())]


def _votes(n: int, seed: int) -> list[tuple[list[str], str]]:
    """Synthetic votes, half between two columns and half among three. Ties come only from
    two-column votes where the judge, asked twice, disagreed with itself: a tie then has
    probability 2p(1-p) and leaves the expected score at p, so the truth is still the BT fit."""
    rng = np.random.default_rng(seed)
    names = list(TRUTH)
    votes = []
    for _ in range(n):
        shown = [names[i] for i in rng.choice(len(names), rng.choice([2, 3]), replace=False)]
        first = _winner(rng, shown)
        if len(shown) == 2 and rng.random() < 0.5 and _winner(rng, shown) != first:
            votes.append((shown, TIE if rng.random() < 0.5 else ALL_BAD))
        else:
            votes.append((shown, first))
    return votes


def test_pairwise_rules():
    assert pairwise([(THREE, "rag")]) == [("rag", "base", 1.0), ("rag", "lora", 1.0)]
    halves = [("base", "rag", 0.5), ("base", "lora", 0.5), ("rag", "lora", 0.5)]
    assert pairwise([(THREE, TIE)]) == halves
    assert pairwise([(THREE, ALL_BAD)]) == halves
    # Fewer than two distinct columns compare nothing; a repeated name counts once.
    assert pairwise([(["base"], "base"), (["rag", "rag"], TIE)]) == []
    assert pairwise([(["base", "base", "rag"], "base")]) == [("base", "rag", 1.0)]


def test_invalid_choice_names_it():
    with pytest.raises(ValueError, match="'rag_lora'"):
        rank([(THREE, "rag_lora")])
    with pytest.raises(ValueError, match="'oops'"):
        pairwise([(["base"], "oops")])
    with pytest.raises(ValueError, match="cannot be column names"):
        pairwise([(["base", TIE], "base")])


def test_no_votes_no_ratings():
    assert rank([]) == []
    assert rank([(["base"], "base")]) == []
    assert win_rates([]) == ([], [])


def test_fit_recovers_known_strengths():
    votes = _votes(1000, seed=0)
    ratings = rank(votes, rounds=200)
    assert [r.name for r in ratings] == list(TRUTH)
    assert math.isclose(np.mean([r.rating for r in ratings]), 1000.0)
    for r in ratings:
        assert abs(r.rating - CENTRED[r.name]) < 40, r
        assert r.low < r.rating < r.high
    shown = {name: sum(name in s for s, _ in votes) for name in TRUTH}
    wins = {name: sum(c == name for _, c in votes) for name in TRUTH}
    assert {r.name: r.votes for r in ratings} == shown
    assert {r.name: r.wins for r in ratings} == wins


def test_bootstrap_intervals_cover_the_truth():
    covered = trials = 0
    for seed in range(20):
        for r in rank(_votes(150, seed=100 + seed), rounds=150, seed=seed):
            covered += r.low <= CENTRED[r.name] <= r.high
            trials += 1
    assert trials == 80
    assert covered / trials >= 0.8, f"{covered}/{trials} intervals cover the truth"


def test_bootstrap_is_seeded():
    votes = _votes(100, seed=1)
    assert rank(votes, rounds=50, seed=3) == rank(votes, rounds=50, seed=3)
    assert rank(votes, rounds=50, seed=3) != rank(votes, rounds=50, seed=4)


def test_a_column_that_always_wins_is_finite_and_first():
    votes = [(THREE, "lora")] * 5 + [(["base", "rag"], "rag")] * 3 + [(["base", "rag"], TIE)]
    ratings = rank(votes, rounds=100)
    assert ratings[0].name == "lora"
    assert all(math.isfinite(x) for r in ratings for x in (r.rating, r.low, r.high))
    assert (ratings[0].votes, ratings[0].wins) == (5, 5)


def test_win_rates_by_hand():
    votes = [
        (["base", "rag"], "rag"),
        (["base", "rag"], "rag"),
        (["base", "rag"], TIE),
        (["rag", "lora"], "lora"),
        (["rag", "lora"], ALL_BAD),
        (["lora", "web"], "lora"),
    ]
    names, matrix = win_rates(votes)
    # web lost its one meeting, base won a sixth of its three: web ranks above base.
    assert names == ["lora", "rag", "web", "base"]
    at = {name: i for i, name in enumerate(names)}

    def share(a: str, b: str) -> float | None:
        return matrix[at[a]][at[b]]

    assert share("rag", "base") == 2.5 / 3
    assert share("base", "rag") == 0.5 / 3
    assert share("lora", "rag") == 0.75
    assert share("rag", "lora") == 0.25
    assert share("lora", "web") == 1.0
    assert share("web", "lora") == 0.0
    assert share("base", "lora") is None
    assert share("web", "rag") is None
    assert all(matrix[i][i] is None for i in range(len(names)))
