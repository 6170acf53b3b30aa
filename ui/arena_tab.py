"""The Arena tab: blind comparison. Each question's answers come back as Answer A, B, C… in an
order drawn anew for every question; the names are not on the page (nor in its DOM) until the
visitor votes or presses Reveal. Only a vote cast before the names were shown counts as blind.

One vote per question per browser session: voting again replaces the earlier vote (after the
names are shown, as a vote that is no longer blind). Earlier questions of the session can be
picked again to vote on. Each arena question stands alone (no conversation history), as in
Chatbot Arena's battles, so that a column is not recognised by its earlier answers.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import gradio as gr

from arena.store import ALL_BAD, TIE, VoteStore
from common.config import Config
from common.messages import MAX_QUESTION_CHARS, clean_question
from pipelines.core import Answer, Pipeline
from pipelines.generation import WEIGHTS_ONLY
from pipelines.runner import run_all
from ui.jobs import new_session_id
from ui.layout import COLUMN_MIN_PX
from ui.render import answer_text, sources_markdown, stats_markdown
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


@dataclass
class ArenaParts:
    """What the app refreshes: the leaderboard after a vote and on page load."""

    board: gr.HTML
    voted: Any  # the vote event, for `.then`


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
    said = f"Thanks — {kind} recorded: **{_label(picked, titles)}**."
    if was is not None:
        said = f"Vote changed to **{_label(picked, titles)}** (was: {_label(was, titles)}); {kind}."
    return [*battles[:index], voted, *battles[index + 1 :]], said, session


def _picked(choice: str | None, order: Sequence[str]) -> str | None:
    if choice in (TIE, ALL_BAD):
        return choice
    if choice and len(choice) == 1 and LETTERS.find(choice) in range(len(order)):
        return order[LETTERS.index(choice)]
    return None


def _label(choice: str, titles: dict[str, str]) -> str:
    return {TIE: "Tie", ALL_BAD: "All bad"}.get(choice) or titles.get(choice, choice)


def build_arena(
    pipelines: Sequence[Pipeline],
    config: Config,
    store: VoteStore,
    session: gr.State,
    locate: Locate,
    board_html: Callable[[], str],
) -> ArenaParts:
    """The arena's question box, its anonymous answer slots, the vote and the leaderboard."""
    contestants = [p for p in pipelines if not p.optional]
    titles = {p.name: p.title for p in pipelines}
    count = len(contestants)
    gr.Markdown(
        "Ask a question: the answers come back as **Answer A, B, C** in a new random order for "
        "every question. Vote for the best one — the names appear after your vote (or when you "
        "press Reveal, and a vote after that is not blind). The ranking below counts blind "
        "votes apart from all votes."
    )
    with gr.Row(equal_height=True):
        question = gr.Textbox(
            placeholder="Ask a question; which answer is best?",
            show_label=False,
            scale=5,
            elem_id="arena-question",
            max_length=MAX_QUESTION_CHARS,
        )
        ask = gr.Button("Ask", variant="primary", scale=1, elem_id="arena-ask")
    pick = gr.Dropdown(choices=[], label="Question", elem_id="arena-pick", interactive=True)
    slots: list[list[gr.Markdown]] = []
    with gr.Row(elem_id="arena-slots"):
        for i in range(count):
            with gr.Column(min_width=COLUMN_MIN_PX):
                slots.append(
                    [
                        gr.Markdown(slot_title(i, None, titles), elem_id=f"arena-title-{i}"),
                        gr.Markdown("", elem_id=f"arena-answer-{i}"),
                        gr.Markdown("", elem_id=f"arena-stats-{i}", elem_classes="answer-stats"),
                        gr.Markdown("", elem_id=f"arena-sources-{i}"),
                    ]
                )
    with gr.Row(equal_height=True):
        choices = [(f"{LETTERS[i]} is best", LETTERS[i]) for i in range(count)]
        choice = gr.Radio(
            [*choices, ("Tie", TIE), ("All bad", ALL_BAD)],
            label="Which answer is best?",
            scale=4,
            elem_id="arena-choice",
        )
        vote = gr.Button("Vote", scale=0, elem_id="arena-vote")
        reveal = gr.Button("Reveal names", scale=0, elem_id="arena-reveal")
    status = gr.Markdown("", elem_id="arena-status")
    with gr.Accordion("Leaderboard: every visitor's votes", open=True):
        board = gr.HTML(board_html(), elem_id="arena-leaderboard")
    battles = gr.State([])
    flat = [part for slot in slots for part in slot]

    def view(kept: list[Battle], index: int | None) -> list[Any]:
        battle = kept[index] if index is not None and 0 <= index < len(kept) else None
        return _slots(battle, count, titles, config, locate)

    def run(text: str, kept: list[Battle]) -> Iterator[list[Any]]:
        text, notice = clean_question(text if isinstance(text, str) else "")
        if notice:
            gr.Warning(notice)
        if not text:
            raise gr.Error("Type a question first.")
        order = shuffled([p.name for p in contestants], kept[-1].order if kept else None)
        by_name = {p.name: p for p in contestants}
        asked_at = datetime.now(UTC).isoformat(timespec="seconds")
        final: dict[str, Answer] = {}
        battle = Battle(Turn(text, asked_at, final), order)
        yield ["", kept, gr.update(), "", *_slots(battle, count, titles, config, locate)]
        asked = [by_name[name] for name in order]
        for state in run_all(asked, text, [[] for _ in asked]):
            name = order[state.index]
            # an error message may name the column (its adapter, its weights): not shown here
            final[name] = state.answer or Answer(name, text=FAILED)
            yield [
                gr.update(),
                kept,
                gr.update(),
                "",
                *_slots(battle, count, titles, config, locate),
            ]
        done = [*kept, replace(battle, turn=replace(battle.turn, answers=dict(final)))]
        yield [
            "",
            done,
            _picker(done, len(done) - 1),
            "",
            *_slots(done[-1], count, titles, config, locate),
        ]

    def voted(
        kept: list[Battle], index: int | None, picked: str | None, sid: str | None
    ) -> list[Any]:
        kept, said, sid = cast(store, kept, index, picked, sid, titles)
        return [kept, said, sid, *view(kept, index)]

    def revealed(kept: list[Battle], index: int | None) -> list[Any]:
        if index is None or not 0 <= index < len(kept):
            raise gr.Error("Ask a question first.")
        kept = [*kept[:index], replace(kept[index], revealed=True), *kept[index + 1 :]]
        return [
            kept,
            "Names shown: a vote on this question now counts as not blind.",
            *view(kept, index),
        ]

    for trigger in (ask.click, question.submit):
        trigger(
            run,
            [question, battles],
            [question, battles, pick, status, *flat],
            concurrency_limit=4,
            concurrency_id="answer",
            api_visibility="private",
        )
    pick.change(view, [battles, pick], flat, api_visibility="private")
    event = vote.click(
        voted,
        [battles, pick, choice, session],
        [battles, status, session, *flat],
        api_name="arena_vote",
    ).then(
        # the names first, the ratings after; a vote cast while they are computed gets its own
        board_html,
        None,
        board,
        api_visibility="private",
        trigger_mode="always_last",
    )
    reveal.click(revealed, [battles, pick], [battles, status, *flat], api_visibility="private")
    return ArenaParts(board, event)


def _picker(battles: list[Battle], index: int) -> Any:
    """The question list, latest first, the given one chosen."""
    labels = [(f"{i + 1}. {b.turn.question[:60]}", i) for i, b in enumerate(battles)]
    return gr.Dropdown(choices=labels[::-1], value=index)


def _slots(
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
