"""The Arena tab: blind comparison. Each question's answers come back as Answer A, B, C… in an
order drawn anew for every question; the names are not on the page (nor in its DOM) until the
visitor votes or presses Reveal. Only a vote cast before the names were shown counts as blind.

One vote per question per browser session: voting again replaces the earlier vote (after the
names are shown, as a vote that is no longer blind). Earlier questions of the session can be
picked again to vote on. Each arena question stands alone (no conversation history), as in
Chatbot Arena's battles, so that a column is not recognised by its earlier answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import gradio as gr

from arena.store import ALL_BAD, TIE, VoteStore
from common.config import Config
from common.messages import MAX_QUESTION_CHARS, clean_question
from pipelines.core import Answer, Pipeline
from pipelines.runner import run_all
from ui.arena_battles import FAILED, LETTERS, Battle, Locate, cast, shuffled, slot_title, slots
from ui.layout import COLUMN_MIN_PX
from ui.share_page import share_link, share_record
from ui.transcript import Turn


@dataclass
class ArenaParts:
    """What the app refreshes: the leaderboard after a vote and on page load."""

    board: gr.HTML
    voted: Any  # the vote event, for `.then`


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
    w = _widgets(count, titles, board_html)
    battles = gr.State([])

    def show(kept: list[Battle], index: int | None) -> list[Any]:
        return slots(_at(kept, index), count, titles, config, locate)

    def voted(kept: list[Battle], index: int | None, choice: str | None, sid: str | None) -> list:
        kept, said, sid = cast(store, kept, index, choice, sid, titles)
        return [kept, said, sid, *show(kept, index)]

    def revealed(kept: list[Battle], index: int | None) -> list[Any]:
        kept = _revealed(kept, index)
        said = "Names shown: a vote on this question now counts as not blind."
        return [kept, said, *show(kept, index)]

    def shared(kept: list[Battle], index: int | None, request: gr.Request) -> list[Any]:
        kept = _revealed(kept, index)  # the shared page names the columns
        battle = kept[index]
        turn = replace(battle.turn, vote=battle.vote)
        link = share_link(
            store.share(share_record(turn, index + 1, titles, config.currency)), request
        )
        said = f"Names shown (a vote now is not blind). Read-only link: [{link}]({link})"
        return [kept, said, *show(kept, index)]

    answer = _asker(contestants, titles, config, locate)
    for trigger in (w.ask.click, w.question.submit):
        trigger(
            answer,
            [w.question, battles],
            [w.question, battles, w.pick, w.status, *w.flat],
            concurrency_limit=4,
            concurrency_id="answer",
            api_visibility="private",
        )
    w.pick.change(show, [battles, w.pick], w.flat, api_visibility="private")
    event = w.vote.click(
        voted,
        [battles, w.pick, w.choice, session],
        [battles, w.status, session, *w.flat],
        api_name="arena_vote",
    ).then(  # the names first, the ratings after; a vote cast while they are computed gets its own
        board_html, None, w.board, api_visibility="private", trigger_mode="always_last"
    )
    outputs = [battles, w.status, *w.flat]
    w.reveal.click(revealed, [battles, w.pick], outputs, api_visibility="private")
    w.share.click(shared, [battles, w.pick], outputs, api_visibility="private")
    return ArenaParts(w.board, event)


@dataclass
class _Widgets:
    question: gr.Textbox
    ask: gr.Button
    pick: gr.Dropdown
    flat: list[gr.Markdown]  # title, answer, numbers and sources of each slot, slot by slot
    choice: gr.Radio
    vote: gr.Button
    reveal: gr.Button
    share: gr.Button
    status: gr.Markdown
    board: gr.HTML


def _widgets(count: int, titles: dict[str, str], board_html: Callable[[], str]) -> _Widgets:
    gr.Markdown(
        "Ask a question: the answers come back as **Answer A, B, C** in a new random order for "
        "every question. Vote for the best one — the names appear after your vote (or when you "
        "press Reveal or Share, and a vote after that is not blind). The ranking below counts "
        "blind votes apart from all votes."
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
    flat: list[gr.Markdown] = []
    with gr.Row(elem_id="arena-slots"):
        for i in range(count):
            with gr.Column(min_width=COLUMN_MIN_PX):
                flat += [
                    gr.Markdown(slot_title(i, None, titles), elem_id=f"arena-title-{i}"),
                    gr.Markdown("", elem_id=f"arena-answer-{i}"),
                    gr.Markdown("", elem_id=f"arena-stats-{i}", elem_classes="answer-stats"),
                    gr.Markdown("", elem_id=f"arena-sources-{i}"),
                ]
    with gr.Row(equal_height=True):
        letters = [(f"{LETTERS[i]} is best", LETTERS[i]) for i in range(count)]
        choice = gr.Radio(
            [*letters, ("Tie", TIE), ("All bad", ALL_BAD)],
            label="Which answer is best?",
            scale=4,
            elem_id="arena-choice",
        )
        vote = gr.Button("Vote", scale=0, elem_id="arena-vote")
        reveal = gr.Button("Reveal names", scale=0, elem_id="arena-reveal")
        share = gr.Button("Share", scale=0, elem_id="arena-share")
    status = gr.Markdown("", elem_id="arena-status")
    with gr.Accordion("Leaderboard: every visitor's votes", open=True):
        board = gr.HTML(board_html(), elem_id="arena-leaderboard")
    return _Widgets(question, ask, pick, flat, choice, vote, reveal, share, status, board)


def _asker(
    contestants: Sequence[Pipeline], titles: dict[str, str], config: Config, locate: Locate
) -> Callable[[str, list[Battle]], Iterator[list[Any]]]:
    """The Ask handler: the contestants answer in a new order, streamed into the slots."""
    count, by_name = len(contestants), {p.name: p for p in contestants}

    def answer(text: str, kept: list[Battle]) -> Iterator[list[Any]]:
        text, notice = clean_question(text if isinstance(text, str) else "")
        if notice:
            gr.Warning(notice)
        if not text:
            raise gr.Error("Type a question first.")
        order = shuffled(list(by_name), kept[-1].order if kept else None)
        final: dict[str, Answer] = {}
        battle = Battle(Turn(text, datetime.now(UTC).isoformat(timespec="seconds"), final), order)
        yield ["", kept, gr.update(), "", *slots(battle, count, titles, config, locate)]
        asked = [by_name[name] for name in order]
        for state in run_all(asked, text, [[] for _ in asked]):
            # an error message may name the column (its adapter, its weights): not shown here
            final[order[state.index]] = state.answer or Answer(order[state.index], text=FAILED)
            shown = slots(battle, count, titles, config, locate)
            yield [gr.update(), kept, gr.update(), "", *shown]
        done = [*kept, replace(battle, turn=replace(battle.turn, answers=dict(final)))]
        shown = slots(done[-1], count, titles, config, locate)
        yield ["", done, _picker(done, len(done) - 1), "", *shown]

    return answer


def _at(battles: list[Battle], index: int | None) -> Battle | None:
    return battles[index] if index is not None and 0 <= index < len(battles) else None


def _revealed(battles: list[Battle], index: int | None) -> list[Battle]:
    """The battles with the picked one's names shown; gr.Error when none is picked."""
    battle = _at(battles, index)
    if battle is None or index is None:
        raise gr.Error("Ask a question first.")
    return [*battles[:index], replace(battle, revealed=True), *battles[index + 1 :]]


def _picker(battles: list[Battle], index: int) -> Any:
    """The question list, latest first, the given one chosen."""
    labels = [(f"{i + 1}. {b.turn.question[:60]}", i) for i, b in enumerate(battles)]
    return gr.Dropdown(choices=labels[::-1], value=index)
