"""The leaderboard: Bradley-Terry ratings with bootstrap 95 % intervals from the blind votes,
the same from every vote shown apart, and the blind votes' pairwise win rates as a heat map."""

from __future__ import annotations

import html
import threading
from collections.abc import Mapping, Sequence

from arena.ranking import Rating, rank, win_rates
from arena.store import ALL_BAD, TIE, Vote, VoteStore
from ui.render import plural

ROUNDS = 1000  # bootstrap resamples per table (about 1 s for 500 votes of 5 columns)
HEADERS = ["Column", "Rating", "95 % interval", "Votes", "Won"]
RULE = (
    "Ratings: Bradley–Terry maximum likelihood on the Elo scale (mean 1000), as LMSYS Chatbot "
    "Arena computes them; a vote for one answer beats each other answer shown, Tie and All bad "
    "count as a draw between every pair shown; intervals from 1,000 bootstrap resamples of the "
    "votes. Only votes cast before the names were shown are blind."
)


class Leaderboard:
    """The tables, computed again only when the votes changed (a bootstrap takes a second)."""

    def __init__(self, store: VoteStore, titles: Mapping[str, str]) -> None:
        self.store, self.titles = store, titles
        self._lock = threading.Lock()
        self._cached: tuple[tuple[int, int], str] | None = None

    def html(self) -> str:
        """The whole leaderboard as HTML (escaped; no scripts)."""
        votes = self.store.votes()
        key = (len(votes), max((v.id for v in votes), default=0))
        with self._lock:
            if self._cached is None or self._cached[0] != key:
                self._cached = (key, render(votes, self.titles))
            return self._cached[1]


def render(votes: Sequence[Vote], titles: Mapping[str, str]) -> str:
    """Blind ratings, all ratings and the blind win-rate matrix."""
    blind = [v for v in votes if v.blind]
    parts = [
        f"<h3>Blind votes ({plural(len(blind), 'vote')})</h3>",
        _ratings_table(_ballots(blind), titles, "leaderboard-blind"),
        "<h4>How often each column beat each other one (blind votes)</h4>",
        _matrix(_ballots(blind), titles),
        f"<h3>All votes, names seen or not ({plural(len(votes), 'vote')})</h3>",
        _ratings_table(_ballots(votes), titles, "leaderboard-all"),
        f"<p class='leaderboard-note'>{_counts(votes)} {html.escape(RULE)}</p>",
    ]
    return "\n".join(parts)


def _ballots(votes: Sequence[Vote]) -> list[tuple[Sequence[str], str]]:
    return [(v.shown, v.choice) for v in votes]


def _ratings_table(
    ballots: Sequence[tuple[Sequence[str], str]], titles: Mapping[str, str], elem: str
) -> str:
    ratings = rank(ballots, rounds=ROUNDS)
    if not ratings:
        return f"<p class='{elem}'>No votes yet.</p>"
    head = "".join(f"<th>{h}</th>" for h in HEADERS)
    rows = "".join(_rating_row(r, titles) for r in ratings)
    return f"<table class='leaderboard {elem}'><tr>{head}</tr>{rows}</table>"


def _rating_row(rating: Rating, titles: Mapping[str, str]) -> str:
    name = html.escape(titles.get(rating.name, rating.name))
    return (
        f"<tr><td>{name}</td><td>{rating.rating:.0f}</td>"
        f"<td>{rating.low:.0f} – {rating.high:.0f}</td><td>{rating.votes}</td>"
        f"<td>{rating.wins}</td></tr>"
    )


def _matrix(ballots: Sequence[tuple[Sequence[str], str]], titles: Mapping[str, str]) -> str:
    """Rows beat columns this share of their meetings (ties half), coloured from red (never)
    through white (half) to green (always); empty where two columns never met."""
    names, shares = win_rates(ballots)
    if not names:
        return "<p class='win-matrix'>No blind votes yet.</p>"
    label = [html.escape(titles.get(n, n)) for n in names]
    head = "<th>row beats column</th>" + "".join(f"<th>{t}</th>" for t in label)
    rows = "".join(
        f"<tr><th>{label[i]}</th>" + "".join(_share_cell(s) for s in row) + "</tr>"
        for i, row in enumerate(shares)
    )
    return f"<table class='win-matrix'><tr>{head}</tr>{rows}</table>"


def _share_cell(share: float | None) -> str:
    if share is None:
        return "<td></td>"
    # red (0) -> white (0.5) -> green (1): the colour only repeats the number written in it
    red, green = (255, round(510 * share)) if share < 0.5 else (round(510 * (1 - share)), 255)
    blue = min(red, green)
    return f"<td style='background: rgb({red}, {green}, {blue})'>{share:.0%}</td>"


def _counts(votes: Sequence[Vote]) -> str:
    ties = sum(v.choice == TIE for v in votes)
    bad = sum(v.choice == ALL_BAD for v in votes)
    return f"Ties {ties} · all bad {bad}."
