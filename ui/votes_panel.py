"""Under the chat: vote for the best answer, the leaderboard, and the conversation's export."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Any

import gradio as gr

from arena.store import ALL_BAD, TIE, VoteStore
from common.config import Config
from common.files import within
from pipelines.core import Pipeline
from ui.chat_tab import ChatParts
from ui.jobs import new_session_id
from ui.render import plural
from ui.transcript import Turn, write_exports

BOARD_HEADERS = ["Column", "Best answer", "Shown", "Win rate"]
EXPORTS = "exports"  # under the data folder: one folder per browser session


def build_votes(
    parts: ChatParts, pipelines: Sequence[Pipeline], config: Config, store: VoteStore
) -> tuple[gr.Dataframe, gr.Markdown]:
    """The vote row, the export button and the leaderboard (returned, to refresh on load)."""
    titles = {p.name: p.title for p in pipelines}
    with gr.Row(equal_height=True):
        choice = gr.Radio(
            choices=_choices([p.name for p in pipelines if not p.optional], titles),
            label="Which answer is best? (the last question)",
            scale=4,
            elem_id="vote-choice",
        )
        vote = gr.Button("Vote", scale=0, elem_id="vote")
        export = gr.Button("Export conversation", scale=0, elem_id="export")
    status = gr.Markdown("", elem_id="vote-status")
    files = gr.File(
        label="Conversation with all metrics",
        file_count="multiple",
        visible=False,
        elem_id="export-files",
    )
    with gr.Accordion("Leaderboard: votes of every visitor", open=False):
        board = gr.Dataframe(headers=BOARD_HEADERS, interactive=False, elem_id="leaderboard")
        totals = gr.Markdown("", elem_id="vote-totals")

    for event in parts.answered:
        event.then(partial(_after_answer, titles), parts.turns, choice, api_name="after_answer")
    vote.click(
        partial(_cast, store, titles),
        [choice, parts.turns, parts.session],
        [status, parts.turns, board, totals, parts.session, choice],
        api_name="cast",  # the API's names stay what they were (tests, clients)
    )
    export.click(
        partial(_export, config, titles),
        [parts.turns, parts.session],
        [status, files, parts.session],
        api_name="exporting",
    )
    parts.clear.click(lambda: ["", gr.File(visible=False)], None, [status, files])
    return board, totals


def _after_answer(titles: dict[str, str], turns: list[Turn]) -> Any:
    """The vote offers the columns that answered the last question (not one that failed)."""
    return gr.Radio(choices=_choices(_answered(turns[-1]) if turns else [], titles), value=None)


def _answered(turn: Turn) -> list[str]:
    """The columns that answered `turn`, in the page's order: an error is no answer."""
    return [name for name, answer in turn.answers.items() if answer.done]


def _cast(
    store: VoteStore,
    titles: dict[str, str],
    picked: str | None,
    turns: list[Turn],
    session: str | None,
) -> list[Any]:
    """Record one vote on the last question: [status, turns, board rows, totals, session, the
    choice shown]. A refused vote puts the choice back to the vote that counts."""
    unchanged = [gr.update(), gr.update(), session, gr.update()]
    if not turns:
        return [_say("Ask a question first."), turns, *unchanged]
    last = turns[-1]
    if last.vote is not None:
        said = f"You already voted on this question: {_label(last.vote, titles)}."
        return [_say(said), turns, *unchanged[:3], gr.update(value=last.vote)]
    answered = _answered(last)
    if not answered:
        said = _say("No column answered the last question: nothing to vote on.")
        return [said, turns, *unchanged]
    if picked not in answered and picked not in (TIE, ALL_BAD):
        return [_say("Pick an answer (or Tie / All bad) first."), turns, *unchanged]
    session = session or new_session_id()
    store.record(last.question, picked, answered, session)
    voted = [*turns[:-1], replace(last, vote=picked)]
    return [
        f"Thanks — vote recorded: {_label(picked, titles)}.",
        voted,
        *leaderboard(store, titles),
        session,
        gr.update(),
    ]


def _export(
    config: Config, titles: dict[str, str], turns: list[Turn], session: str | None
) -> list[Any]:
    """Write the conversation's files: [status, the file list, session]."""
    if not turns:
        said = _say("Nothing to export yet: ask a question first.")
        return [said, gr.File(visible=False), session]
    session = session or new_session_id()
    # The folder is named by the server's own id for this session, never by a value the
    # browser sends; `within` refuses any path that would leave the exports folder.
    folder = within(config.data_path / EXPORTS, session)
    paths = write_exports(turns, titles, config.currency, folder)
    return [
        f"Exported {plural(len(turns), 'question')}.",
        gr.File(value=[str(p) for p in paths], visible=True),
        session,
    ]


def leaderboard(store: VoteStore, titles: dict[str, str]) -> list[Any]:
    """The table rows and a line with the totals."""
    standings, counts = store.leaderboard()
    rows = [[titles.get(s.name, s.name), s.wins, s.shown, f"{s.win_rate:.0%}"] for s in standings]
    total = counts.get("total", 0)
    line = (
        f"{plural(total, 'vote')} · ties {counts.get(TIE, 0)} · all bad {counts.get(ALL_BAD, 0)}"
        if total
        else "No votes yet."
    )
    return [rows, line]


def _choices(names: Sequence[str], titles: dict[str, str]) -> list[tuple[str, str]]:
    return [(titles.get(n, n), n) for n in names] + [("Tie", TIE), ("All bad", ALL_BAD)]


def _label(choice: str, titles: dict[str, str]) -> str:
    return titles.get(choice, {TIE: "Tie", ALL_BAD: "All bad"}.get(choice, choice))


def _say(message: str) -> str:
    gr.Warning(message)
    return f"**{message}**"
