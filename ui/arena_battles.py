"""The arena's battles: one question's answers in a drawn order, the names hidden until a vote
or Reveal, and the vote that maps a letter back to its column (ui/arena_tab.py shows them)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import gradio as gr

from arena.store import ALL_BAD, TIE, VoteStore
from common.config import Config
from pipelines.core import Answer
from pipelines.generation import WEIGHTS_ONLY
from ui.jobs import new_session_id
from ui.render import answer_text, sources_markdown, stats_markdown, vote_label
from ui.transcript import Turn, saved_answers

LETTERS = "ABCDEFGH"
FAILED = "*This answer failed; the server log has the details.*"
Locate = Callable[[str], Any]
_shuffler = random.SystemRandom()


@dataclass(frozen=True)
class Battle:
    """One arena question: its answers, the order they are shown in, and whether the names
    were shown (by a vote or by Reveal)."""

    turn: Turn
    order: tuple[str, ...]  # column names as Answer A, B, C…
    revealed: bool = False
    vote: str | None = None  # a column name, TIE or ALL_BAD


def shuffled(names: Sequence[str], last: Sequence[str] | None = None) -> tuple[str, ...]:
    """A random order of `names`, never the same as the previous question's (with two or more
    columns), so that no column keeps a place a visitor could learn."""
    order = list(names)
    while True:
        _shuffler.shuffle(order)
        if len(order) < 2 or last is None or tuple(order) != tuple(last):
            return tuple(order)


def slot_title(index: int, battle: Battle | None, titles: dict[str, str]) -> str:
    """ "Answer B", and after the names are shown "Answer B: RAG (retrieval)"."""
    head = f"### Answer {LETTERS[index]}"
    if battle is None or not battle.revealed:
        return head
    return f"{head}: {titles.get(battle.order[index], battle.order[index])}"


def blind_sources(answer: Answer, locate: Locate, min_score: float) -> str:
    """The passages as the chat shows them; a weights-only note without the adapter's or the
    weights' name, which would tell the column."""
    if answer.sources and all(source.rank is None for source in answer.sources):
        return f"*{WEIGHTS_ONLY}*"
    return sources_markdown(answer, locate, min_score)


def cast(
    store: VoteStore,
    battles: list[Battle],
    index: int | None,
    choice: str | None,
    session: str | None,
    titles: dict[str, str],
) -> tuple[list[Battle], str, str]:
    """Record a vote on battle `index`: (battles, status, session). `choice` is a letter, TIE
    or ALL_BAD. Raises gr.Error with what to do on a vote that cannot count."""
    if index is None or not 0 <= index < len(battles):
        raise gr.Error("Ask a question first.")
    battle = battles[index]
    answered = [n for n in battle.order if battle.turn.answers.get(n, Answer(n)).done]
    picked = _picked(choice, battle.order)
    if picked is None or (picked not in (TIE, ALL_BAD) and picked not in answered):
        raise gr.Error("Pick an answer (or Tie / All bad) first.")
    session = session or new_session_id()
    turn = battle.turn
    store.save_turn(session, turn.key, turn.question, turn.asked_at, saved_answers(turn, titles))
    store.record(turn.question, picked, answered, session, turn=turn.key, blind=not battle.revealed)
    was = battle.vote
    kind = "blind vote" if not battle.revealed else "vote (names were shown: not blind)"
    voted = replace(battle, revealed=True, vote=picked)
    now = vote_label(picked, titles)
    said = f"Thanks — {kind} recorded: **{now}**."
    if was is not None:
        said = f"Vote changed to **{now}** (was: {vote_label(was, titles)}); {kind}."
    return [*battles[:index], voted, *battles[index + 1 :]], said, session


def _picked(choice: str | None, order: Sequence[str]) -> str | None:
    if choice in (TIE, ALL_BAD):
        return choice
    if choice and len(choice) == 1 and LETTERS.find(choice) in range(len(order)):
        return order[LETTERS.index(choice)]
    return None


def slots(
    battle: Battle | None, count: int, titles: dict[str, str], config: Config, locate: Locate
) -> list[Any]:
    """Title, answer, numbers and sources of every slot, in the battle's order."""
    out: list[Any] = []
    for i in range(count):
        name = battle.order[i] if battle else None
        answer = battle.turn.answers.get(name) if battle and name else None
        if answer is None:
            out += [slot_title(i, battle, titles), "…" if battle else "", "", ""]
            continue
        sources = blind_sources(answer, locate, config.rag_min_score) if answer.done else ""
        out += [
            slot_title(i, battle, titles),
            answer_text(answer) or "…",
            stats_markdown(answer, config.currency) if answer.text else "",
            sources,
        ]
    return out
